//! Writing partials: a slice's head and file records (encoded apart, in parallel, by
//! `partial::count_slice`), sealed under the header with its checksum; or a partial held in
//! memory, or a frozen plan, sealed whole.

use std::io;
use std::ops::Range;

use super::{
    checksum, frozen, text, Outcome, Partial, PlanInfo, SliceId, COUNTED, FAILED, HEADER_LEN,
    KIND_BUCKET, KIND_PLAN, KIND_SLICE, MAGIC, SKIPPED, VERSION,
};
use crate::bytes::ByteWriter;
use crate::count::Detail;
use crate::counts_encoding;
use crate::format::{Customs, Format};
use crate::keys::{KeySet, KeyVec, Routed, Split};

/// The plan as both payloads of counts start: its fingerprint, then the plan.
fn put_plan(out: &mut Vec<u8>, plan: &PlanInfo, fingerprint: u128) {
    out.put_u128(fingerprint);
    plan.put(out, true);
}

fn put_format(out: &mut Vec<u8>, format: Option<Format>, customs: &Customs) {
    out.put_u8(Format::opt_code(format, customs));
}

/// The start of a file record: its input and what happened to it (the counted payload follows
/// for a counted file).
fn put_outcome_head<T>(out: &mut Vec<u8>, input: u32, outcome: &Outcome<T>) {
    out.put_u32(input);
    match outcome {
        Outcome::Counted(_) => out.put_u8(COUNTED),
        Outcome::Failed(e) => {
            out.put_u8(FAILED);
            out.put_str(e);
        }
        Outcome::Skipped(r) => {
            out.put_u8(SKIPPED);
            out.put_str(r);
        }
    }
}

/// A partial ready to write: its header and its payload, in pieces that were encoded apart
/// (in parallel) and are never copied into one buffer.
#[derive(Clone, Debug)]
pub struct Sealed {
    label: String,
    pieces: Vec<Vec<u8>>,
}

impl Sealed {
    /// Wraps payload pieces in the header.
    pub(super) fn new(kind: u8, label: String, payload: Vec<Vec<u8>>) -> Sealed {
        let length: usize = payload.iter().map(Vec::len).sum();
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(&MAGIC);
        header.put_u16(VERSION);
        header.put_u8(kind);
        header.put_u8(0);
        header.put_u64(length as u64);
        let crc = checksum(&header, payload.iter().map(Vec::as_slice));
        header.put_u32(crc);
        let mut pieces = Vec::with_capacity(payload.len() + 1);
        pieces.push(header);
        pieces.extend(payload);
        Sealed { label, pieces }
    }

    /// Size of the binary form in bytes.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        false // the header is always there
    }

    /// The binary form, written to `out`.
    pub fn write_binary(&self, out: &mut dyn io::Write) -> io::Result<()> {
        self.pieces.iter().try_for_each(|p| out.write_all(p))
    }

    /// The binary form as one buffer.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        self.pieces.concat()
    }

    /// The text form: a header line, then the binary form in base64, 76 characters a line.
    pub fn to_text(&self) -> String {
        text::encode(&self.label, &self.to_vec())
    }
}

/// The start of a slice partial's payload: the plan, the slice and the number of records
/// that follow.
pub fn slice_head(
    plan: &PlanInfo,
    fingerprint: u128,
    slice: SliceId,
    jobs: &Range<u64>,
    buckets: u32,
    records: usize,
) -> Vec<u8> {
    let mut p = Vec::with_capacity(128 + plan.inputs.len() * 48);
    put_plan(&mut p, plan, fingerprint);
    p.put_u32(slice.index);
    p.put_u32(slice.count);
    p.put_u64(jobs.start);
    p.put_u64(jobs.end);
    p.put_u32(buckets);
    p.put_u64(records as u64);
    p
}

/// A slice partial's file record for a file that failed or was skipped.
pub fn uncounted_record(input: u32, outcome: &Outcome<()>) -> Vec<u8> {
    let mut p = Vec::new();
    put_outcome_head(&mut p, input, outcome);
    p
}

/// What a slice counted of a file, without its keys.
#[derive(Clone, Copy, Debug)]
pub struct Totals {
    pub(crate) total: u64,
    pub(crate) bytes: u64,
    pub(crate) malformed: u64,
    pub(crate) format: Option<Format>,
    pub(crate) filtered: u64,
}

/// A slice partial's file record for a counted file, from the disjoint key sets it was
/// counted into (one block, or one per non-empty bucket of [`Split::Buckets`]), then, under
/// time or top options (which need one bucket), its detail ([`counts_encoding::encode_detail`]).
pub fn counted_record(
    input: u32,
    totals: Totals,
    sets: &[KeySet],
    detail: Option<&Detail>,
    buckets: u32,
    customs: &Customs,
) -> Vec<u8> {
    let mut p = Vec::new();
    put_outcome_head(&mut p, input, &Outcome::Counted(()));
    p.put_u64(totals.total);
    p.put_u64(totals.bytes);
    p.put_u64(totals.malformed);
    put_format(&mut p, totals.format, customs);
    if buckets == 1 {
        if sets.iter().all(|s| s.is_empty()) {
            p.put_u32(0);
        } else {
            p.put_u32(1);
            p.put_u32(0);
            let mut keys = KeyVec::default();
            sets.iter().for_each(|set| keys.add(set));
            put_sorted_keys(&mut p, keys);
        }
        if let Some(detail) = detail {
            counts_encoding::encode_detail(totals.filtered, &detail.periods, &detail.hits, &mut p);
        }
        return p;
    }
    let mut routed = Routed::new(Split::Buckets(buckets));
    sets.iter().for_each(|set| routed.add(set));
    let blocks: Vec<_> = routed.non_empty().collect();
    p.put_u32(blocks.len() as u32);
    for (bucket, keys) in blocks {
        p.put_u32(bucket);
        put_sorted_keys(&mut p, keys.clone());
    }
    if let Some(detail) = detail {
        counts_encoding::encode_detail(totals.filtered, &detail.periods, &detail.hits, &mut p);
    }
    p
}

/// A key block with every kind of key in ascending order: a reader then knows, in one pass,
/// that no key is there twice (`read`'s `check_block`).
fn put_sorted_keys(p: &mut Vec<u8>, mut keys: KeyVec) {
    keys.v4.sort_unstable();
    keys.v6.sort_unstable();
    keys.short.sort_unstable();
    keys.long.sort_unstable();
    counts_encoding::encode_keys(0, std::slice::from_ref(&keys), p);
}

/// Seals a slice partial made of [`slice_head`] and its records, in input order.
pub fn seal_slice(slice: SliceId, head: Vec<u8>, records: Vec<Vec<u8>>) -> Sealed {
    let mut payload = Vec::with_capacity(records.len() + 1);
    payload.push(head);
    payload.extend(records);
    Sealed::new(KIND_SLICE, format!("slice {slice}"), payload)
}

/// Seals a frozen plan (`logcount plan`).
pub fn seal_plan(plan: &crate::plan::Plan) -> Sealed {
    Sealed::new(KIND_PLAN, "plan".into(), vec![frozen::encode(plan)])
}

/// Seals a partial held in memory.
pub fn seal(partial: &Partial) -> Sealed {
    let mut p = Vec::new();
    match partial {
        Partial::Slice(s) => {
            let customs = s
                .plan
                .customs()
                .expect("formats compiled when the plan was read");
            let records = s
                .files
                .iter()
                .map(|f| {
                    let mut r = Vec::new();
                    put_outcome_head(&mut r, f.input, &f.outcome);
                    if let Outcome::Counted(k) = &f.outcome {
                        r.put_u64(k.total);
                        r.put_u64(k.bytes);
                        r.put_u64(k.malformed);
                        put_format(&mut r, k.format, &customs);
                        r.put_u32(k.blocks.len() as u32);
                        for (bucket, keys) in &k.blocks {
                            r.put_u32(*bucket);
                            r.extend_from_slice(keys.encoded());
                        }
                        if !s.plan.query.is_plain() {
                            counts_encoding::encode_detail(
                                k.filtered,
                                &k.detail.periods,
                                &k.detail.hits,
                                &mut r,
                            );
                        }
                    }
                    r
                })
                .collect();
            let head = slice_head(
                &s.plan,
                s.fingerprint,
                s.slice,
                &s.jobs,
                s.buckets,
                s.files.len(),
            );
            seal_slice(s.slice, head, records)
        }
        Partial::Bucket(b) => {
            let customs = b
                .plan
                .customs()
                .expect("formats compiled when the plan was read");
            put_plan(&mut p, &b.plan, b.fingerprint);
            p.put_u32(b.slices);
            p.put_u32(b.bucket.index);
            p.put_u32(b.bucket.count);
            p.put_u64(b.union);
            p.put_u64(b.files.len() as u64);
            for f in &b.files {
                put_outcome_head(&mut p, f.input, &f.outcome);
                if let Outcome::Counted(c) = &f.outcome {
                    p.put_u64(c.total);
                    p.put_u64(c.bytes);
                    p.put_u64(c.ip);
                    p.put_u64(c.malformed);
                    put_format(&mut p, c.format, &customs);
                }
            }
            Sealed::new(KIND_BUCKET, partial.label(), vec![p])
        }
        Partial::Plan(plan) => seal_plan(plan),
    }
}

/// The binary form of a partial held in memory.
pub fn to_bytes(partial: &Partial) -> Vec<u8> {
    seal(partial).to_vec()
}

/// The text form of a partial held in memory.
pub fn to_text(partial: &Partial) -> String {
    seal(partial).to_text()
}

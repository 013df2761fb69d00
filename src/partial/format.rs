//! The partial-result file: versioned, checksummed, compact, and safe to read when corrupt.
//!
//! Binary layout (integers little-endian):
//!
//! ```text
//! magic       8 bytes  "\x89LCPART\n" (a high byte and a newline: text mangling shows)
//! version     u16      4 (a reader refuses any other)
//! kind        u8       1 = slice partial, 2 = bucket result
//! reserved    u8       0
//! length      u64      payload bytes
//! crc32       u32      of the header's first 20 bytes and the payload (IEEE polynomial)
//! payload
//! ```
//!
//! Both payloads start with the plan: its fingerprint (xxh3-128 of the chunk size, the log
//! format asked for and the JSON client fields, every input's path, planned size, compression
//! and format as planned, the plan's errors' and skipped inputs' paths and the number of jobs),
//! then the plan itself, so `merge` can print paths and check the fingerprint. A slice partial
//! goes on with the slice (index, count, its job range) and a record per file it counted:
//! totals, bytes, malformed lines, the format read, and the file's distinct keys, as
//! [`crate::counts_encoding`] blocks (a dotted quad costs 4 bytes), one per non-empty key bucket; or the
//! file's error; or why it was skipped. A bucket result carries, per file, the totals and the
//! distinct count within its bucket, and the bucket's union count.
//!
//! The text form (`--text`) is a header line `logcount-partial v4 slice I/N` (or
//! `bucket B/K`) and the binary form in base64, 76 characters a line. Several partials may
//! follow each other in one stream, in either form.

use std::fmt;
use std::io;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine as _;

use super::fields::{corrupt, put_opt_u64, put_templates, Reader};
pub use super::fields::{FormatError, VERSION};
use crate::bytes::{crc32, BadBytes, ByteReader, ByteWriter};
use crate::count::{Detail, Key, KeySet, KeyVec, Routed, Split, StoredKeys};
use crate::counts_encoding;
use crate::format::{Customs, Format, Query, Spec};
use crate::input::{InputError, Skipped};

/// The first bytes of a binary partial.
pub const MAGIC: [u8; 8] = *b"\x89LCPART\n";
/// The start of a text partial's header line.
pub const TEXT_TAG: &str = "logcount-partial";
const HEADER_LEN: usize = 24;
const TEXT_WIDTH: usize = 76;

const KIND_SLICE: u8 = 1;
const KIND_BUCKET: u8 = 2;
const KIND_PLAN: u8 = 3;

/// One input of the plan, as far as partials are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputInfo {
    pub name: String,
    /// Planned size of a regular file; `None` for a stream.
    pub size: Option<u64>,
    /// How many of the plan's jobs are its (they follow the jobs of the inputs before it).
    pub jobs: u64,
    /// What planning knew of its compression and format, as one-byte codes (the wire's).
    pub compression: u8,
    pub format: u8,
}

/// The plan every slice was cut from: what `merge` checks partials against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanInfo {
    pub chunk_size: Option<u64>,
    /// `--log-format` (`auto`, `combined`, ...).
    pub format: String,
    /// The JSON fields clients are looked for in.
    pub client_fields: Vec<String>,
    /// The run's own log formats (`--log-format TEMPLATE`, `--server-config`), in order.
    pub templates: Vec<Spec>,
    /// `--trusted-proxy`, as given.
    pub proxies: Vec<String>,
    /// The time and top options (`--by`, `--since`, `--until`, `--top`).
    pub query: Query,
    pub jobs: u64,
    pub inputs: Vec<InputInfo>,
    /// Arguments that could not be expanded and files that failed at planning (reported once
    /// by `merge`).
    pub errors: Vec<InputError>,
    /// What the walks left out at planning.
    pub skipped: Vec<Skipped>,
}

impl PlanInfo {
    /// The run's own formats, compiled (as the plan's format codes name them).
    pub fn customs(&self) -> Result<Customs, FormatError> {
        Customs::from_specs(self.templates.iter().cloned()).map_err(corrupt)
    }

    /// A fixed, portable hash of what decides the jobs and the report's paths: the same on
    /// every machine and in every process for the same plan.
    pub fn fingerprint(&self) -> u128 {
        let mut bytes = Vec::with_capacity(64 + self.inputs.len() * 48);
        bytes.extend_from_slice(b"logcount plan 4\0");
        put_opt_u64(&mut bytes, self.chunk_size);
        bytes.put_str(&self.format);
        bytes.put_u64(self.client_fields.len() as u64);
        for f in &self.client_fields {
            bytes.put_str(f);
        }
        put_options(&mut bytes, self);
        bytes.extend_from_slice(&self.query.to_bytes());
        bytes.put_u64(self.jobs);
        bytes.put_u64(self.inputs.len() as u64);
        for input in &self.inputs {
            bytes.put_str(&input.name);
            put_opt_u64(&mut bytes, input.size);
            bytes.put_u64(input.jobs);
            bytes.put_u8(input.compression);
            bytes.put_u8(input.format);
        }
        bytes.put_u64(self.errors.len() as u64);
        for e in &self.errors {
            bytes.put_str(&e.path);
        }
        bytes.put_u64(self.skipped.len() as u64);
        for s in &self.skipped {
            bytes.put_str(&s.path);
        }
        xxhash_rust::xxh3::xxh3_128(&bytes)
    }
}

/// What happened to one file: counted (with what the partial keeps of it), failed, or skipped
/// (met in a walk, not an access log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    Counted(T),
    Failed(String),
    Skipped(String),
}

impl<T> Outcome<T> {
    pub fn counted(&self) -> Option<&T> {
        match self {
            Outcome::Counted(t) => Some(t),
            _ => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Counted(t) => Outcome::Counted(f(t)),
            Outcome::Failed(e) => Outcome::Failed(e),
            Outcome::Skipped(r) => Outcome::Skipped(r),
        }
    }
}

/// Record status bytes.
const COUNTED: u8 = 0;
const FAILED: u8 = 1;
const SKIPPED: u8 = 2;

/// Slice `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SliceId {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for SliceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a slice did with one file: its totals and keys, or its error.
#[derive(Clone, Debug)]
pub struct SliceFile {
    /// Index into [`PlanInfo::inputs`].
    pub input: u32,
    pub outcome: Outcome<FileKeys>,
}

/// A file's counts within one slice; its keys split into buckets (only non-empty ones).
#[derive(Clone, Debug, Default)]
pub struct FileKeys {
    pub total: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub format: Option<Format>,
    /// `(bucket, distinct keys)`, buckets increasing; buckets partition the keys.
    pub blocks: Vec<(u32, KeyBlock)>,
    /// Requests outside `--since`/`--until`.
    pub filtered: u64,
    /// Periods and requests per client (`--by`, `--top`; empty without them).
    pub detail: Detail,
}

/// Distinct keys as a partial stores them ([`counts_encoding`]): checked when the partial is
/// read, then read in place, never copied into lists.
#[derive(Clone, Debug)]
pub struct KeyBlock {
    data: Arc<Vec<u8>>,
    start: usize,
    layout: counts_encoding::Layout,
}

impl KeyBlock {
    /// The block in `data` at `start`, checked.
    fn scan(data: &Arc<Vec<u8>>, start: usize) -> Result<KeyBlock, BadBytes> {
        let layout = counts_encoding::scan(&data[start..])?;
        Ok(KeyBlock {
            data: Arc::clone(data),
            start,
            layout,
        })
    }

    fn bytes(&self) -> &[u8] {
        &self.data[self.start..]
    }

    /// The block's encoding, as stored.
    pub fn encoded(&self) -> &[u8] {
        &self.bytes()[..self.layout.used]
    }

    pub fn len(&self) -> usize {
        self.layout.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layout.is_empty()
    }
}

impl StoredKeys for KeyBlock {
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.layout.v4(self.bytes())
    }

    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.layout.v6(self.bytes())
    }

    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.layout.short(self.bytes())
    }

    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.layout.long(self.bytes())
    }
}

/// A partial result: the counts of one slice of a plan's jobs.
#[derive(Clone, Debug)]
pub struct SlicePartial {
    pub plan: PlanInfo,
    pub fingerprint: u128,
    pub slice: SliceId,
    /// The plan's jobs this slice counted.
    pub jobs: Range<u64>,
    /// Number of key buckets (`--buckets`).
    pub buckets: u32,
    /// One record per file with a job in the slice, by input index.
    pub files: Vec<SliceFile>,
}

/// One file in a bucket result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketFile {
    pub input: u32,
    pub outcome: Outcome<FileCount>,
}

/// A file's totals, and its distinct keys within one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCount {
    pub total: u64,
    pub bytes: u64,
    pub ip: u64,
    pub malformed: u64,
    pub format: Option<Format>,
}

/// `merge --bucket B` of every slice: counts only, for one bucket of the keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketResult {
    pub plan: PlanInfo,
    pub fingerprint: u128,
    /// The number of slices merged.
    pub slices: u32,
    /// Bucket `index` of `count`.
    pub bucket: SliceId,
    /// Distinct keys of this bucket over every counted file.
    pub union: u64,
    /// One record per input, by input index.
    pub files: Vec<BucketFile>,
}

/// Either kind of partial.
#[derive(Clone, Debug)]
pub enum Partial {
    Slice(SlicePartial),
    Bucket(BucketResult),
    /// A frozen plan (`logcount plan`), for `partial --plan`: not counts.
    Plan(Box<crate::plan::Plan>),
}

impl Partial {
    /// `slice 2/4`, `bucket 3/16` or `plan`, for headers and messages.
    pub fn label(&self) -> String {
        match self {
            Partial::Slice(p) => format!("slice {}", p.slice),
            Partial::Bucket(b) => format!("bucket {}", b.bucket),
            Partial::Plan(_) => "plan".into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// A plan's templates and trusted proxies.
fn put_options(out: &mut Vec<u8>, plan: &PlanInfo) {
    put_templates(out, &plan.templates, &plan.proxies);
}

fn put_plan(out: &mut Vec<u8>, plan: &PlanInfo, fingerprint: u128) {
    out.put_u128(fingerprint);
    put_opt_u64(out, plan.chunk_size);
    out.put_str(&plan.format);
    out.put_u64(plan.client_fields.len() as u64);
    for f in &plan.client_fields {
        out.put_str(f);
    }
    put_options(out, plan);
    out.extend_from_slice(&plan.query.to_bytes());
    out.put_u64(plan.jobs);
    out.put_u64(plan.inputs.len() as u64);
    for input in &plan.inputs {
        out.put_str(&input.name);
        put_opt_u64(out, input.size);
        out.put_u64(input.jobs);
        out.put_u8(input.compression);
        out.put_u8(input.format);
    }
    out.put_u64(plan.errors.len() as u64);
    for e in &plan.errors {
        out.put_str(&e.path);
        out.put_str(&e.error);
    }
    out.put_u64(plan.skipped.len() as u64);
    for s in &plan.skipped {
        out.put_str(&s.path);
        out.put_str(&s.reason);
    }
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

/// The checksum of a partial: its header up to the checksum field, then its payload.
fn checksum<'a>(header: &'a [u8], payload: impl IntoIterator<Item = &'a [u8]>) -> u32 {
    crc32(std::iter::once(&header[..HEADER_LEN - 4]).chain(payload))
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
    fn new(kind: u8, label: String, payload: Vec<Vec<u8>>) -> Sealed {
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
    pub fn to_vec(&self) -> Vec<u8> {
        self.pieces.concat()
    }

    /// The text form: a header line, then the binary form in base64, 76 characters a line.
    pub fn to_text(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.to_vec());
        let mut out = String::with_capacity(b64.len() + b64.len() / TEXT_WIDTH + 64);
        out.push_str(&format!("{TEXT_TAG} v{VERSION} {}\n", self.label));
        for line in b64.as_bytes().chunks(TEXT_WIDTH) {
            out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            out.push('\n');
        }
        out
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
    pub total: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub format: Option<Format>,
    pub filtered: u64,
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
/// that no key is there twice ([`check_block`]).
fn put_sorted_keys(p: &mut Vec<u8>, mut keys: KeyVec) {
    keys.v4.sort_unstable();
    keys.v6.sort_unstable();
    keys.short.sort_unstable();
    keys.long.sort_unstable();
    counts_encoding::encode_keys(0, std::slice::from_ref(&keys), p);
}

/// Checks what a CRC cannot: the block's keys are distinct (strictly ascending, as written)
/// and each belongs to the block's bucket of `buckets`.
fn check_block(keys: &KeyBlock, bucket: u32, buckets: u32) -> Result<(), FormatError> {
    fn ascending<T: PartialOrd>(mut it: impl Iterator<Item = T>) -> bool {
        let Some(mut last) = it.next() else {
            return true;
        };
        for next in it {
            if next <= last {
                return false;
            }
            last = next;
        }
        true
    }
    if !(ascending(keys.v4())
        && ascending(keys.v6())
        && ascending(keys.short())
        && ascending(keys.long()))
    {
        return Err(corrupt("keys repeated or out of order"));
    }
    if buckets > 1 {
        let split = Split::Buckets(buckets);
        let theirs = |key: Key<'_>| split.of(key) == bucket as usize;
        let all = keys.v4().all(|v| theirs(Key::V4(v)))
            && keys.v6().all(|v| theirs(Key::V6(v)))
            && keys.short().all(|p| theirs(Key::Short(p)))
            && keys.long().all(|k| theirs(Key::Long(k)));
        if !all {
            return Err(corrupt("a key in another bucket's block"));
        }
    }
    Ok(())
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
    Sealed::new(KIND_PLAN, "plan".into(), vec![super::frozen::encode(plan)])
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

// ---------------------------------------------------------------------------------------------
// Reading

/// Every partial in `bytes` (binary or text forms, one after another), in order. Their keys
/// stay in `bytes`, which the partials share.
pub fn parse_stream(bytes: Vec<u8>) -> Result<Vec<Partial>, FormatError> {
    let data = Arc::new(bytes);
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        at += data[at..].len() - trim_start(&data[at..]).len();
        let rest = &data[at..];
        if rest.is_empty() {
            break;
        }
        if rest.starts_with(&MAGIC) {
            let (partial, used) = parse_binary(&data, at)?;
            out.push(partial);
            at += used;
        } else if rest.starts_with(TEXT_TAG.as_bytes()) {
            let (partial, used) = parse_text(rest)?;
            out.push(partial);
            at += used;
        } else if out.is_empty() {
            return Err(FormatError::NotPartial);
        } else {
            return Err(corrupt(format!(
                "unexpected bytes after partial {}",
                out.len()
            )));
        }
    }
    if out.is_empty() {
        return Err(FormatError::NotPartial);
    }
    Ok(out)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// One text partial from the front of `bytes`: its header line and the base64 lines up to the
/// next header or the end.
fn parse_text(bytes: &[u8]) -> Result<(Partial, usize), FormatError> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let header = lines.next().unwrap_or_default();
    let mut used = header.len();
    let header = String::from_utf8_lossy(header.trim_ascii());
    let version = header
        .strip_prefix(TEXT_TAG)
        .and_then(|h| h.trim_start().strip_prefix('v'))
        .and_then(|h| h.split_whitespace().next())
        .ok_or(FormatError::NotPartial)?;
    match version.parse::<u16>() {
        Ok(VERSION) => {}
        Ok(v) => return Err(FormatError::Version(v)),
        Err(_) => return Err(corrupt(format!("bad header line `{header}`"))),
    }
    let mut b64 = Vec::new();
    for line in lines {
        let text = line.trim_ascii();
        if text.starts_with(TEXT_TAG.as_bytes()) || line.starts_with(&MAGIC[..7]) {
            break; // the next partial
        }
        b64.extend_from_slice(text);
        used += line.len();
    }
    let binary = base64::engine::general_purpose::STANDARD
        .decode(&b64)
        .map_err(|e| match e {
            base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => {
                FormatError::Truncated(format!("base64 text cut short: {e}"))
            }
            _ => corrupt(format!("bad base64: {e}")),
        })?;
    if !binary.starts_with(&MAGIC) {
        return Err(corrupt("text partial does not hold a binary partial"));
    }
    let binary = Arc::new(binary);
    let (partial, inner) = parse_binary(&binary, 0)?;
    if inner != binary.len() {
        return Err(corrupt("text partial holds extra bytes"));
    }
    if header
        .split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ")
        != partial.label()
    {
        return Err(corrupt(format!(
            "header line `{header}` does not match its content ({})",
            partial.label()
        )));
    }
    Ok((partial, used))
}

/// One binary partial at `at` in `data`; returns it and the bytes it used.
fn parse_binary(data: &Arc<Vec<u8>>, at: usize) -> Result<(Partial, usize), FormatError> {
    let bytes = &data[at..];
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(FormatError::NotPartial);
    }
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::Truncated(format!(
            "{} of {HEADER_LEN} header bytes",
            bytes.len()
        )));
    }
    let mut header = ByteReader::new(&bytes[MAGIC.len()..HEADER_LEN], "partial header");
    let version = header.u16()?;
    if version != VERSION {
        return Err(FormatError::Version(version));
    }
    let kind = header.u8()?;
    if header.u8()? != 0 {
        return Err(corrupt("reserved header byte is set"));
    }
    let length = header.u64()?;
    let crc = header.u32()?;
    let available = (bytes.len() - HEADER_LEN) as u64;
    if length > available {
        return Err(FormatError::Truncated(format!(
            "{available} of {length} payload bytes"
        )));
    }
    let payload = &bytes[HEADER_LEN..HEADER_LEN + length as usize];
    if checksum(bytes, [payload]) != crc {
        return Err(corrupt("checksum mismatch"));
    }
    let mut r = Reader {
        fields: ByteReader::new(payload, "partial"),
        data,
        base: at + HEADER_LEN,
    };
    let partial = match kind {
        KIND_SLICE => Partial::Slice(read_slice(&mut r)?),
        KIND_BUCKET => Partial::Bucket(read_bucket(&mut r)?),
        KIND_PLAN => Partial::Plan(Box::new(super::frozen::read(&mut r)?)),
        other => return Err(corrupt(format!("unknown kind {other}"))),
    };
    if !r.fields.at_end() {
        return Err(corrupt("extra bytes in the payload"));
    }
    Ok((partial, HEADER_LEN + payload.len()))
}

/// What only partials read: formats, the plan, per-file records.
impl<'a> Reader<'a> {
    fn format(&mut self, customs: &Customs) -> Result<Option<Format>, FormatError> {
        Format::from_opt_code(self.u8()?, customs).ok_or_else(|| corrupt("unknown format"))
    }

    fn plan(&mut self) -> Result<(PlanInfo, u128), FormatError> {
        let fingerprint = self.u128()?;
        let chunk_size = self.opt_u64()?;
        let format = self.string()?;
        let n = self.count(4)?;
        let client_fields = (0..n)
            .map(|_| self.string())
            .collect::<Result<Vec<_>, FormatError>>()?;
        let (templates, proxies) = self.templates()?;
        let query = self.query()?;
        let jobs = self.u64()?;
        let n = self.count(15)?;
        let inputs = (0..n)
            .map(|_| {
                Ok(InputInfo {
                    name: self.string()?,
                    size: self.opt_u64()?,
                    jobs: self.u64()?,
                    compression: self.u8()?,
                    format: self.u8()?,
                })
            })
            .collect::<Result<Vec<_>, FormatError>>()?;
        let n = self.count(8)?;
        let errors = (0..n)
            .map(|_| Ok(InputError::new(self.string()?, self.string()?)))
            .collect::<Result<Vec<_>, FormatError>>()?;
        let n = self.count(8)?;
        let skipped = (0..n)
            .map(|_| Ok(Skipped::new(self.string()?, self.string()?)))
            .collect::<Result<Vec<_>, FormatError>>()?;
        let plan = PlanInfo {
            chunk_size,
            format,
            client_fields,
            templates,
            proxies,
            query,
            jobs,
            inputs,
            errors,
            skipped,
        };
        if plan.fingerprint() != fingerprint {
            return Err(corrupt("fingerprint does not match the plan"));
        }
        // Every input has jobs of its own, and the inputs' jobs are the plan's.
        let mut jobs = 0u64;
        for input in &plan.inputs {
            if input.jobs == 0 {
                return Err(corrupt("an input without jobs"));
            }
            jobs = jobs.saturating_add(input.jobs);
        }
        if jobs != plan.jobs {
            return Err(corrupt("the inputs' jobs are not the plan's"));
        }
        Ok((plan, fingerprint))
    }

    /// The per-file records of a slice partial or a bucket result, each made by `record`
    /// from an input index (in order) and its outcome: counted (what `counted` reads), failed
    /// (its error) or skipped (why).
    fn file_records<T, F>(
        &mut self,
        plan: &PlanInfo,
        mut counted: impl FnMut(&mut Self) -> Result<T, FormatError>,
        record: impl Fn(u32, Outcome<T>) -> F,
    ) -> Result<Vec<F>, FormatError> {
        let n = self.count(5)?;
        let mut files = Vec::with_capacity(n);
        let mut previous = None;
        for _ in 0..n {
            let input = self.input(plan, previous)?;
            previous = Some(input);
            let outcome = match self.u8()? {
                COUNTED => Outcome::Counted(counted(self)?),
                FAILED => Outcome::Failed(self.string()?),
                SKIPPED => Outcome::Skipped(self.string()?),
                _ => return Err(corrupt("bad file status")),
            };
            files.push(record(input, outcome));
        }
        Ok(files)
    }

    /// A file index, checked against the plan and required to increase.
    fn input(&mut self, plan: &PlanInfo, previous: Option<u32>) -> Result<u32, FormatError> {
        let input = self.u32()?;
        if input as usize >= plan.inputs.len() {
            return Err(corrupt("file index out of range"));
        }
        if previous.is_some_and(|p| input <= p) {
            return Err(corrupt("file records out of order"));
        }
        Ok(input)
    }
}

fn read_slice(r: &mut Reader<'_>) -> Result<SlicePartial, FormatError> {
    let (plan, fingerprint) = r.plan()?;
    let customs = plan.customs()?;
    let slice = SliceId {
        index: r.u32()?,
        count: r.u32()?,
    };
    if slice.count == 0 || slice.index >= slice.count {
        return Err(corrupt(format!("bad slice {slice}")));
    }
    let jobs = r.u64()?..r.u64()?;
    if jobs.start > jobs.end || jobs.end > plan.jobs {
        return Err(corrupt("job range outside the plan"));
    }
    let buckets = r.u32()?;
    if buckets == 0 || buckets > super::MAX_BUCKETS {
        return Err(corrupt(format!("{buckets} key buckets")));
    }
    let keys = |r: &mut Reader<'_>| {
        let total = r.u64()?;
        let bytes = r.u64()?;
        let malformed = r.u64()?;
        let format = r.format(&customs)?;
        let n_blocks = r.u32()? as usize;
        if n_blocks > buckets as usize {
            return Err(corrupt("more key blocks than buckets"));
        }
        // Each block takes at least 36 bytes: never reserve more than could follow.
        let mut blocks = Vec::with_capacity(n_blocks.min(r.left() / 36));
        for _ in 0..n_blocks {
            let bucket = r.u32()?;
            if bucket >= buckets || blocks.last().is_some_and(|&(b, _)| bucket <= b) {
                return Err(corrupt("bad key bucket"));
            }
            let keys = KeyBlock::scan(r.data, r.base + r.pos())
                .map_err(|e| corrupt(format!("keys: {e}")))?;
            if keys.layout.used > r.left() {
                return Err(corrupt("keys run past the payload"));
            }
            check_block(&keys, bucket, buckets)?;
            r.fields.skip(keys.layout.used)?;
            blocks.push((bucket, keys));
        }
        // A key is a request's client: a file has no more distinct keys than requests.
        if blocks.iter().map(|(_, k)| k.len() as u64).sum::<u64>() > total {
            return Err(corrupt("more distinct clients than requests"));
        }
        let (filtered, detail) = read_detail(r, &plan.query, total, buckets)?;
        Ok(FileKeys {
            total,
            bytes,
            malformed,
            format,
            blocks,
            filtered,
            detail,
        })
    };
    let files = r.file_records(&plan, keys, |input, outcome| SliceFile { input, outcome })?;
    // One record for each input with a job in the slice, and none for the others.
    let mut first_job = 0u64;
    let mut held = plan.inputs.iter().enumerate().filter_map(|(i, input)| {
        let own = first_job..first_job + input.jobs;
        first_job = own.end;
        (own.start.max(jobs.start) < own.end.min(jobs.end)).then_some(i as u32)
    });
    if !files.iter().map(|f| f.input).eq(held.by_ref()) {
        return Err(corrupt("its files are not the files of its jobs"));
    }
    Ok(SlicePartial {
        plan,
        fingerprint,
        slice,
        jobs,
        buckets,
        files,
    })
}

/// A counted file's detail (written only under time or top options), checked against the
/// plan's `query` and the file's `total`: periods
/// only under `--by` and adding up to the requests, requests per client only under `--top`
/// and adding up likewise, `filtered` only under a window, and none of it with buckets.
fn read_detail(
    r: &mut Reader<'_>,
    query: &Query,
    total: u64,
    buckets: u32,
) -> Result<(u64, Detail), FormatError> {
    if query.is_plain() {
        return Ok((0, Detail::default()));
    }
    let at = r.base + r.pos();
    let (filtered, periods, hits, used) =
        counts_encoding::decode_detail(&r.data[at..at + r.left()])
            .map_err(|e| corrupt(format!("periods or top clients: {e}")))?;
    r.fields.skip(used)?;
    if !query.is_plain() && buckets > 1 {
        return Err(corrupt("time or top options with key buckets"));
    }
    let period_sum = periods
        .iter()
        .try_fold(0u64, |sum, (_, p)| sum.checked_add(p.total));
    let periods_fit = match query.by {
        Some(_) => period_sum == Some(total),
        None => periods.is_empty(),
    };
    let hits_fit = match query.top {
        Some(_) => hits.requests() == total,
        None => hits.is_empty(),
    };
    if !periods_fit || !hits_fit || (!query.windowed() && filtered > 0) {
        return Err(corrupt(
            "periods or top clients that do not add up to the file's requests",
        ));
    }
    let shown = Default::default();
    Ok((
        filtered,
        Detail {
            periods,
            hits,
            shown,
        },
    ))
}

fn read_bucket(r: &mut Reader<'_>) -> Result<BucketResult, FormatError> {
    let (plan, fingerprint) = r.plan()?;
    let customs = plan.customs()?;
    let slices = r.u32()?;
    let bucket = SliceId {
        index: r.u32()?,
        count: r.u32()?,
    };
    if slices == 0 || bucket.count == 0 || bucket.index >= bucket.count {
        return Err(corrupt(format!("bad bucket {bucket}")));
    }
    let union = r.u64()?;
    let count = |r: &mut Reader<'_>| {
        Ok(FileCount {
            total: r.u64()?,
            bytes: r.u64()?,
            ip: r.u64()?,
            malformed: r.u64()?,
            format: r.format(&customs)?,
        })
    };
    let files = r.file_records(&plan, count, |input, outcome| BucketFile { input, outcome })?;
    if files.len() != plan.inputs.len() {
        return Err(corrupt("a bucket result must hold every file"));
    }
    // The union of the files' keys is at least the largest file's and at most their sum.
    let (mut largest, mut sum) = (0u64, 0u64);
    for c in files.iter().filter_map(|f| f.outcome.counted()) {
        if c.ip > c.total {
            return Err(corrupt("more distinct clients than requests"));
        }
        largest = largest.max(c.ip);
        sum = sum.saturating_add(c.ip);
    }
    if union < largest || union > sum {
        return Err(corrupt("a union no files could make"));
    }
    Ok(BucketResult {
        plan,
        fingerprint,
        slices,
        bucket,
        union,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::KeyVec;

    fn parse(bytes: &[u8]) -> Result<Vec<Partial>, FormatError> {
        parse_stream(bytes.to_vec())
    }

    fn block(keys: KeyVec) -> KeyBlock {
        let mut bytes = Vec::new();
        counts_encoding::encode_keys(0, std::slice::from_ref(&keys), &mut bytes);
        KeyBlock::scan(&Arc::new(bytes), 0).unwrap()
    }

    fn plan() -> PlanInfo {
        PlanInfo {
            chunk_size: Some(4096),
            format: "auto".into(),
            client_fields: vec!["client_ip".into(), "request.remote_ip".into()],
            templates: Vec::new(),
            proxies: Vec::new(),
            query: Query::default(),
            jobs: 3,
            inputs: vec![
                InputInfo {
                    name: "logs/a.log".into(),
                    size: Some(5000),
                    jobs: 1,
                    compression: 1,
                    format: 0,
                },
                InputInfo {
                    name: "logs/b.log.gz".into(),
                    size: Some(10),
                    jobs: 1,
                    compression: 0,
                    format: 0xff,
                },
                InputInfo {
                    name: "logs/error.log".into(),
                    size: Some(10),
                    jobs: 1,
                    compression: 0,
                    format: 0xff,
                },
            ],
            errors: vec![InputError::new("logs/gone.log", "No such file")],
            skipped: vec![Skipped::new("logs/fifo", "FIFO, not a regular file")],
        }
    }

    fn slice() -> Partial {
        let plan = plan();
        Partial::Slice(SlicePartial {
            fingerprint: plan.fingerprint(),
            plan,
            slice: SliceId { index: 1, count: 2 },
            jobs: 0..3,
            buckets: 4,
            files: vec![
                SliceFile {
                    input: 0,
                    outcome: Outcome::Counted(FileKeys {
                        total: 9,
                        bytes: 904,
                        malformed: 2,
                        format: Some(Format::parse("syslog+combined").unwrap()),
                        // Each key in its bucket, each block sorted, as partials are written.
                        blocks: {
                            let mut routed = Routed::new(Split::Buckets(4));
                            routed.add(&KeyVec {
                                v4: vec![1, 2, 3, 9],
                                v6: vec![0x2001_0db8 << 96 | 1, 1],
                                short: vec![crate::count::pack_short(b"-")],
                                long: vec![b"a-long-key-over-fifteen".to_vec().into()],
                            });
                            routed
                                .non_empty()
                                .map(|(b, keys)| {
                                    let mut keys = keys.clone();
                                    keys.dedup();
                                    (b, block(keys))
                                })
                                .collect()
                        },
                        filtered: 0,
                        detail: Detail::default(),
                    }),
                },
                SliceFile {
                    input: 1,
                    outcome: Outcome::Failed("corrupt deflate stream".into()),
                },
                SliceFile {
                    input: 2,
                    outcome: Outcome::Skipped("not an access log (0 of 4)".into()),
                },
            ],
        })
    }

    fn bucket() -> Partial {
        let plan = plan();
        Partial::Bucket(BucketResult {
            fingerprint: plan.fingerprint(),
            plan,
            slices: 2,
            bucket: SliceId { index: 3, count: 4 },
            union: 3,
            files: vec![
                BucketFile {
                    input: 0,
                    outcome: Outcome::Counted(FileCount {
                        total: 7,
                        bytes: 904,
                        ip: 3,
                        malformed: 2,
                        format: None,
                    }),
                },
                BucketFile {
                    input: 1,
                    outcome: Outcome::Failed("gone".into()),
                },
                BucketFile {
                    input: 2,
                    outcome: Outcome::Skipped("not an access log (0 of 4)".into()),
                },
            ],
        })
    }

    fn same(a: &Partial, b: &Partial) -> bool {
        to_bytes(a) == to_bytes(b)
    }

    #[test]
    fn binary_and_text_round_trip_and_concatenate() {
        for p in [slice(), bucket()] {
            let bin = to_bytes(&p);
            let back = parse(&bin).unwrap();
            assert_eq!(back.len(), 1);
            assert!(same(&back[0], &p));
            let text = to_text(&p);
            assert!(text.lines().skip(1).all(|l| l.len() <= TEXT_WIDTH));
            let back = parse(text.as_bytes()).unwrap();
            assert!(same(&back[0], &p));
        }
        let mut both = to_text(&slice()).into_bytes();
        both.extend(to_bytes(&bucket()));
        both.extend(to_text(&bucket()).replace('\n', "\r\n").into_bytes());
        let back = parse(&both).unwrap();
        assert_eq!(back.len(), 3);
        assert!(same(&back[0], &slice()) && same(&back[2], &bucket()));
    }

    #[test]
    fn fingerprint_is_fixed_and_sees_sizes_and_chunks() {
        let p = plan();
        // The same value in every process and on every machine: a literal.
        assert_eq!(p.fingerprint(), 0x38fb_7a9b_525d_5bc0_737b_ee3d_e059_8b3d);
        let mut q = plan();
        q.inputs[0].size = Some(5001);
        assert_ne!(p.fingerprint(), q.fingerprint());
        let mut q = plan();
        q.chunk_size = None;
        assert_ne!(p.fingerprint(), q.fingerprint());
        let mut q = plan();
        q.inputs[1].name = "logs/c.log.gz".into();
        assert_ne!(p.fingerprint(), q.fingerprint());
        let mut q = plan();
        q.inputs[0].jobs = 2;
        assert_ne!(p.fingerprint(), q.fingerprint());
        let mut q = plan();
        q.query.top = Some(10);
        assert_ne!(p.fingerprint(), q.fingerprint());
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error() {
        for p in [slice(), bucket()] {
            let bin = to_bytes(&p);
            for cut in 0..bin.len() {
                let err = parse(&bin[..cut]).unwrap_err();
                assert!(
                    matches!(err, FormatError::Truncated(_) | FormatError::NotPartial),
                    "cut at {cut}: {err}"
                );
            }
            for i in 0..bin.len() {
                let mut bad = bin.clone();
                bad[i] ^= 0x20;
                assert!(parse(&bad).is_err(), "flipped byte {i}");
            }
            let text = to_text(&p);
            let lines: Vec<&str> = text.lines().collect();
            for keep in 1..lines.len() {
                let cut = lines[..keep].join("\n");
                assert!(parse(cut.as_bytes()).is_err(), "{keep} lines");
            }
        }
    }

    /// Seals arbitrary payload bytes with a valid header and checksum, so the payload parser
    /// itself meets them (as it would a buggy or hostile writer's partial).
    fn sealed_raw(kind: u8, payload: &[u8]) -> Vec<u8> {
        Sealed::new(kind, String::new(), vec![payload.to_vec()]).to_vec()
    }

    proptest::proptest! {
        #[test]
        fn checksummed_garbage_is_an_error_not_a_panic(
            kind in 1u8..3,
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let _ = parse(&sealed_raw(kind, &payload));
        }

        #[test]
        fn checksummed_mutations_are_errors_not_panics(
            which in 0usize..2,
            edits in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..4),
        ) {
            let good = to_bytes(&[slice(), bucket()][which]);
            let mut payload = good[HEADER_LEN..].to_vec();
            for (at, byte) in edits {
                let at = at % payload.len();
                payload[at] = byte;
            }
            // Whatever parses must merge or fail cleanly, alone or beside the original.
            if let Ok(parsed) = parse(&sealed_raw(good[10], &payload)) {
                let original = parse(&good).unwrap().remove(0);
                for set in [vec![parsed[0].clone()], vec![parsed[0].clone(), original]] {
                    let mut slices = Vec::new();
                    let mut buckets = Vec::new();
                    for p in set {
                        match p {
                            Partial::Slice(s) => slices.push((String::new(), s)),
                            Partial::Bucket(b) => buckets.push((String::new(), b)),
                            Partial::Plan(_) => {}
                        }
                    }
                    let mut note = |_: String| {};
                    let _ = super::super::merge::merge_slices(slices.clone(), None, &mut note);
                    let _ = super::super::merge::merge_slices(slices, Some(1), &mut note);
                    let _ = super::super::merge::merge_buckets(buckets, &mut note);
                }
            }
        }
    }

    /// Partials a buggy or hostile writer could seal with a valid checksum: each is refused
    /// by what it says, checked against its own plan.
    #[test]
    fn impossible_contents_under_a_valid_checksum_are_corrupt() {
        let corrupt_as = |p: Partial, why: &str| {
            let err = parse(&to_bytes(&p)).map(drop).unwrap_err();
            assert_eq!(err, corrupt(why), "{why}");
        };
        let slice_with = |edit: &dyn Fn(&mut SlicePartial)| {
            let Partial::Slice(mut s) = slice() else {
                unreachable!()
            };
            edit(&mut s);
            s.fingerprint = s.plan.fingerprint();
            Partial::Slice(s)
        };
        fn keys_of(s: &mut SlicePartial) -> &mut FileKeys {
            match &mut s.files[0].outcome {
                Outcome::Counted(k) => k,
                _ => unreachable!(),
            }
        }
        let v4 = |v4: Vec<u32>| {
            block(KeyVec {
                v4,
                ..KeyVec::default()
            })
        };

        corrupt_as(
            slice_with(&|s| {
                s.buckets = 1;
                keys_of(s).blocks = vec![(0, v4(vec![5, 5, 6]))];
            }),
            "keys repeated or out of order",
        );
        corrupt_as(
            slice_with(&|s| keys_of(s).blocks = vec![(0, v4((1..40).collect()))]),
            "a key in another bucket's block",
        );
        corrupt_as(
            slice_with(&|s| keys_of(s).total = 1),
            "more distinct clients than requests",
        );
        // A record for a file none of the slice's jobs belongs to, or one missing.
        corrupt_as(
            slice_with(&|s| s.jobs = 1..3),
            "its files are not the files of its jobs",
        );
        corrupt_as(
            slice_with(&|s| {
                s.files.pop();
            }),
            "its files are not the files of its jobs",
        );
        corrupt_as(
            slice_with(&|s| s.plan.jobs = 4),
            "the inputs' jobs are not the plan's",
        );
        corrupt_as(
            slice_with(&|s| {
                s.plan.inputs[2].jobs = 0;
                s.plan.inputs[0].jobs = 2;
            }),
            "an input without jobs",
        );

        let bucket_with = |edit: &dyn Fn(&mut BucketResult)| {
            let Partial::Bucket(mut b) = bucket() else {
                unreachable!()
            };
            edit(&mut b);
            Partial::Bucket(b)
        };
        fn count_of(b: &mut BucketResult) -> &mut FileCount {
            match &mut b.files[0].outcome {
                Outcome::Counted(c) => c,
                _ => unreachable!(),
            }
        }
        corrupt_as(
            bucket_with(&|b| count_of(b).total = 0),
            "more distinct clients than requests",
        );
        corrupt_as(
            bucket_with(&|b| b.union = u64::MAX),
            "a union no files could make",
        );
        corrupt_as(bucket_with(&|b| b.union = 2), "a union no files could make");

        // Each bucket possible alone, their sum not: an error, never a saturated number.
        let huge = |index| {
            let Partial::Bucket(b) = bucket_with(&|b| {
                *count_of(b) = FileCount {
                    total: 1 << 63,
                    ip: 1 << 63,
                    ..*count_of(b)
                };
                b.union = 1 << 63;
                b.bucket = SliceId { index, count: 2 };
            }) else {
                unreachable!()
            };
            (String::new(), b)
        };
        let err =
            super::super::merge::merge_buckets(vec![huge(0), huge(1)], &mut |_| {}).unwrap_err();
        assert!(err.contains("corrupt partial"), "{err}");
    }

    #[test]
    fn other_bytes_are_not_partials() {
        let err = |bytes: &[u8]| parse(bytes).unwrap_err();
        assert_eq!(err(b""), FormatError::NotPartial);
        assert_eq!(err(b"{\"files\": {}}"), FormatError::NotPartial);
        let mut future = to_bytes(&slice());
        future[8] = 9;
        assert_eq!(err(&future), FormatError::Version(9));
        assert_eq!(
            err(b"logcount-partial v7 slice 0/1\nAAAA\n"),
            FormatError::Version(7)
        );
        let mut trailing = to_bytes(&slice());
        trailing.extend_from_slice(b"junk");
        assert!(matches!(parse(&trailing), Err(FormatError::Corrupt(_))));
    }
}

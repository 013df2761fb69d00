//! The partial-result file: versioned, checksummed, compact, and safe to read when corrupt.
//! Its types are here; `write` makes one, `read` reads one back, `text` is its text form,
//! `fields` the fields its payloads are made of, `frozen` a frozen plan's payload.
//!
//! Binary layout (integers little-endian):
//!
//! ```text
//! magic       8 bytes  "\x89LCPART\n" (a high byte and a newline: text mangling shows)
//! version     u16      6 (a reader refuses any other)
//! kind        u8       1 = slice partial, 2 = bucket result, 3 = frozen plan
//! reserved    u8       0
//! length      u64      payload bytes
//! crc32       u32      of the header's first 20 bytes and the payload (IEEE polynomial)
//! payload
//! ```
//!
//! Both payloads of counts start with the plan: its fingerprint (xxh3-128 of the chunk size,
//! the log format asked for and the JSON client fields, every input's path, planned size,
//! compression and format as planned, the plan's errors' and skipped inputs' paths and the
//! number of jobs), then the plan itself, so `merge` can print paths and check the
//! fingerprint. A slice partial goes on with the slice (index, count, its job range) and a
//! record per file it counted: totals, bytes, malformed lines, the format read, and the file's
//! distinct keys, as [`crate::counts_encoding`] blocks (a dotted quad costs 4 bytes), one per
//! non-empty key bucket; or the file's error; or why it was skipped. A bucket result carries,
//! per file, the totals and the distinct count within its bucket, and the bucket's union
//! count. A frozen plan's payload is `frozen`'s.
//!
//! The text form (`--text`) is a header line `logcount-partial v6 slice I/N` (or
//! `bucket B/K`) and the binary form in base64, 76 characters a line. Several partials may
//! follow each other in one stream, in either form.

mod fields;
mod frozen;
mod read;
mod text;
mod write;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use self::fields::put_opt_u64;
use crate::bytes::{crc32, BadBytes, ByteWriter};
use crate::count::Detail;
use crate::counts_encoding;
use crate::format::{Customs, Format, Query, Spec};
use crate::input::{InputError, Skipped};
use crate::keys::StoredKeys;

pub use self::read::parse_stream;
pub use self::write::{
    counted_record, seal, seal_plan, seal_slice, slice_head, to_bytes, to_text, uncounted_record,
    Sealed, Totals,
};

/// The format version this logcount writes and reads.
pub(crate) const VERSION: u16 = 6;
/// The first bytes of a binary partial.
pub(crate) const MAGIC: [u8; 8] = *b"\x89LCPART\n";
const HEADER_LEN: usize = 24;

const KIND_SLICE: u8 = 1;
const KIND_BUCKET: u8 = 2;
const KIND_PLAN: u8 = 3;

/// Why bytes are not a partial this logcount can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartialFileError {
    #[error("not a logcount partial")]
    NotPartial,
    #[error("partial format version {0} is not supported (this logcount reads version {VERSION})")]
    Version(u16),
    #[error("truncated partial ({0})")]
    Truncated(String),
    #[error("corrupt partial ({0})")]
    Corrupt(String),
}

fn corrupt(what: impl fmt::Display) -> PartialFileError {
    PartialFileError::Corrupt(what.to_string())
}

/// Under a valid checksum, bytes that run short were written so: the partial is corrupt.
impl From<BadBytes> for PartialFileError {
    fn from(bad: BadBytes) -> Self {
        match bad {
            BadBytes::Short { .. } => corrupt("a field runs past the payload"),
            BadBytes::Corrupt { .. } => corrupt(bad),
        }
    }
}

/// The checksum of a partial: its header up to the checksum field, then its payload.
fn checksum<'a>(header: &'a [u8], payload: impl IntoIterator<Item = &'a [u8]>) -> u32 {
    crc32(std::iter::once(&header[..HEADER_LEN - 4]).chain(payload))
}

/// One input of the plan, as far as partials are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputInfo {
    pub(crate) name: String,
    /// Planned size of a regular file; `None` for a stream.
    pub(crate) size: Option<u64>,
    /// How many of the plan's jobs are its (they follow the jobs of the inputs before it).
    pub(crate) jobs: u64,
    /// What planning knew of its compression and format, as one-byte codes (the wire's).
    pub(crate) compression: u8,
    pub(crate) format: u8,
}

/// The plan every slice was cut from: what `merge` checks partials against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanInfo {
    pub(crate) chunk_size: Option<u64>,
    /// `--log-format` (`auto`, `combined`, ...).
    pub(crate) format: String,
    /// The JSON fields clients are looked for in.
    pub(crate) client_fields: Vec<String>,
    /// The run's own log formats (`--log-format TEMPLATE`, `--server-config`), in order.
    pub(crate) templates: Vec<Spec>,
    /// `--trusted-proxy`, as given.
    pub(crate) proxies: Vec<String>,
    /// The time and top options (`--by`, `--since`, `--until`, `--top`).
    pub(crate) query: Query,
    pub jobs: u64,
    pub(crate) inputs: Vec<InputInfo>,
    /// Arguments that could not be expanded and files that failed at planning (reported once
    /// by `merge`).
    pub(crate) errors: Vec<InputError>,
    /// What the walks left out at planning.
    pub(crate) skipped: Vec<Skipped>,
}

impl PlanInfo {
    /// The run's own formats, compiled (as the plan's format codes name them).
    pub(crate) fn customs(&self) -> Result<Customs, PartialFileError> {
        Customs::from_specs(self.templates.iter().cloned()).map_err(corrupt)
    }

    /// A fixed, portable hash of what decides the jobs and the report's paths: the same on
    /// every machine and in every process for the same plan.
    pub fn fingerprint(&self) -> u128 {
        let mut bytes = Vec::with_capacity(64 + self.inputs.len() * 48);
        bytes.extend_from_slice(b"logcount plan 4\0");
        self.put(&mut bytes, false);
        xxhash_rust::xxh3::xxh3_128(&bytes)
    }

    /// The plan's bytes, as a partial file stores them (`reasons`: with each error's and skip's
    /// reason) or as its fingerprint hashes them (without: a reason's wording does not change
    /// the jobs).
    pub(super) fn put(&self, out: &mut Vec<u8>, reasons: bool) {
        put_opt_u64(out, self.chunk_size);
        out.put_str(&self.format);
        out.put_u64(self.client_fields.len() as u64);
        for f in &self.client_fields {
            out.put_str(f);
        }
        crate::format::put_specs(out, &self.templates, &self.proxies);
        out.extend_from_slice(&self.query.to_bytes());
        out.put_u64(self.jobs);
        out.put_u64(self.inputs.len() as u64);
        for input in &self.inputs {
            out.put_str(&input.name);
            put_opt_u64(out, input.size);
            out.put_u64(input.jobs);
            out.put_u8(input.compression);
            out.put_u8(input.format);
        }
        out.put_u64(self.errors.len() as u64);
        for e in &self.errors {
            out.put_str(&e.path);
            if reasons {
                out.put_str(&e.error);
            }
        }
        out.put_u64(self.skipped.len() as u64);
        for s in &self.skipped {
            out.put_str(&s.path);
            if reasons {
                out.put_str(&s.reason);
            }
        }
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
    pub(crate) fn counted(&self) -> Option<&T> {
        match self {
            Outcome::Counted(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
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
    pub(crate) input: u32,
    pub outcome: Outcome<FileKeys>,
}

/// A file's counts within one slice; its keys split into buckets (only non-empty ones).
#[derive(Clone, Debug, Default)]
pub struct FileKeys {
    pub total: u64,
    pub(crate) bytes: u64,
    pub(crate) malformed: u64,
    pub(crate) format: Option<Format>,
    /// `(bucket, distinct keys)`, buckets increasing; buckets partition the keys.
    pub blocks: Vec<(u32, KeyBlock)>,
    /// Requests outside `--since`/`--until`.
    pub(crate) filtered: u64,
    /// Periods and requests per client (`--by`, `--top`; empty without them).
    pub(crate) detail: Detail,
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
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.bytes()[..self.layout.used]
    }

    pub(crate) fn len(&self) -> usize {
        self.layout.len()
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
    pub(crate) slice: SliceId,
    /// The plan's jobs this slice counted.
    pub(crate) jobs: Range<u64>,
    /// Number of key buckets (`--buckets`).
    pub(crate) buckets: u32,
    /// One record per file with a job in the slice, by input index.
    pub files: Vec<SliceFile>,
}

/// One file in a bucket result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BucketFile {
    pub(crate) input: u32,
    pub(crate) outcome: Outcome<FileCount>,
}

/// A file's totals, and its distinct keys within one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FileCount {
    pub(crate) total: u64,
    pub(crate) bytes: u64,
    pub(crate) ip: u64,
    pub(crate) malformed: u64,
    pub(crate) format: Option<Format>,
}

/// `merge --bucket B` of every slice: counts only, for one bucket of the keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketResult {
    pub(crate) plan: PlanInfo,
    pub(crate) fingerprint: u128,
    /// The number of slices merged.
    pub(crate) slices: u32,
    /// Bucket `index` of `count`.
    pub bucket: SliceId,
    /// Distinct keys of this bucket over every counted file.
    pub union: u64,
    /// One record per input, by input index.
    pub(crate) files: Vec<BucketFile>,
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
    pub(crate) fn label(&self) -> String {
        match self {
            Partial::Slice(p) => format!("slice {}", p.slice),
            Partial::Bucket(b) => format!("bucket {}", b.bucket),
            Partial::Plan(_) => "plan".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text::TEXT_WIDTH;
    use super::*;
    use crate::keys::{KeyVec, Routed, Split};

    fn parse(bytes: &[u8]) -> Result<Vec<Partial>, PartialFileError> {
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
                                short: vec![crate::keys::pack_short(b"-")],
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
                    matches!(
                        err,
                        PartialFileError::Truncated(_) | PartialFileError::NotPartial
                    ),
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
        assert_eq!(err(b""), PartialFileError::NotPartial);
        assert_eq!(err(b"{\"files\": {}}"), PartialFileError::NotPartial);
        let mut future = to_bytes(&slice());
        future[8] = 9;
        assert_eq!(err(&future), PartialFileError::Version(9));
        assert_eq!(
            err(b"logcount-partial v7 slice 0/1\nAAAA\n"),
            PartialFileError::Version(7)
        );
        let mut trailing = to_bytes(&slice());
        trailing.extend_from_slice(b"junk");
        assert!(matches!(
            parse(&trailing),
            Err(PartialFileError::Corrupt(_))
        ));
    }
}

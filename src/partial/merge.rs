//! Merging partials: check they belong together, then add them up exactly.
//!
//! Checks come first and any failure is one line and no numbers: partials of different plans
//! (fingerprints differ), different slice or bucket counts, a slice or bucket missing, or one
//! given twice with different contents. The same slice given twice with the same contents (a
//! task an engine retried, whose output was kept twice) is counted once, with a note.
//!
//! Then: a file's totals and bytes are sums over slices; its distinct keys are the union of
//! its slices' keys (a count, when one slice holds the whole file, since a slice stores each
//! file's keys once); the summary's keys are the union over every counted file, built by
//! routing keys to shards by a fixed hash and deduplicating the shards in parallel.

use std::collections::btree_map::{BTreeMap, Entry};

use rayon::prelude::*;

use super::file::{
    BucketFile, BucketResult, FileCount, FileKeys, KeyBlock, Outcome, PlanInfo, SliceId,
    SlicePartial,
};
use crate::count::Detail;
use crate::format::{Format, Query};
use crate::input::{InputError, Skipped};
use crate::keys::{KeySet, KeyVec, Routed, Split, StoredKeys, SHARD_BITS};
use crate::report::{ExecutorInfo, FileStats, Report, Results};

/// What merging yields: per-file counts (or errors) for every input and the union's size.
#[derive(Debug)]
pub struct Merged {
    pub(crate) plan: PlanInfo,
    pub(crate) fingerprint: u128,
    pub(crate) slices: u32,
    /// Bucket count of the partials (1 without `--buckets`).
    pub(crate) buckets: u32,
    /// By input index.
    pub(crate) files: Vec<Outcome<FileCount>>,
    pub(crate) union: u64,
    /// By input index: requests filtered out and the detail (periods, requests per client)
    /// of each counted file; empty for a bucket (time and top options need one bucket).
    pub(crate) details: Vec<(u64, Detail)>,
}

impl Merged {
    /// The report a direct run of the same plan prints.
    pub fn report(self, executor: ExecutorInfo, elapsed_ms: f64) -> Report {
        let query = self.plan.query;
        let mut results = Results {
            errors: self.plan.errors,
            skipped: self.plan.skipped,
            union_ip: self.union,
            ..Results::default()
        };
        let mut details = self.details.into_iter();
        let mut summary = Detail::default();
        for (input, outcome) in self.plan.inputs.into_iter().zip(self.files) {
            let (filtered, detail) = details.next().unwrap_or_default();
            match outcome {
                Outcome::Counted(c) => {
                    results.files.push(FileStats {
                        path: input.name,
                        total: c.total,
                        ip: c.ip,
                        bytes: c.bytes,
                        malformed: c.malformed,
                        format: c.format,
                        extra: crate::reduce::extra(&query, filtered, &detail),
                        malformed_lines: None,
                    });
                    summary.merge(detail);
                }
                Outcome::Failed(e) => results.errors.push(InputError::new(input.name, e)),
                Outcome::Skipped(r) => results.skipped.push(Skipped::new(input.name, r)),
            }
        }
        results.extra = crate::reduce::extra(&query, 0, &summary);
        if summary.out_of_memory() {
            results.union_error = Some(
                "out of memory: the clients of all files' periods or top counts outgrew the \
                 memory available"
                    .into(),
            );
        }
        Report::new(results, executor, elapsed_ms)
    }

    /// The counts-only result of one bucket (`merge --bucket`).
    pub fn into_bucket(self, bucket: u32) -> BucketResult {
        BucketResult {
            plan: self.plan,
            fingerprint: self.fingerprint,
            slices: self.slices,
            bucket: SliceId {
                index: bucket,
                count: self.buckets,
            },
            union: self.union,
            files: self
                .files
                .into_iter()
                .enumerate()
                .map(|(i, outcome)| BucketFile {
                    input: i as u32,
                    outcome,
                })
                .collect(),
        }
    }
}

/// The ids of `0..count` that `have` lacks (`present` of them are there), for a message:
/// the first few, found lazily (a slice count may be huge).
fn missing(count: u32, present: usize, have: impl Fn(u32) -> bool, what: &str) -> String {
    let absent = count as usize - present;
    let shown: Vec<String> = (0..count)
        .filter(|&i| !have(i))
        .take(8)
        .map(|i| format!("{what} {i}/{count}"))
        .collect();
    let more = if absent > shown.len() {
        format!(" and {} more", absent - shown.len())
    } else {
        String::new()
    };
    format!(
        "missing {}{more}: have {present} of {count} {what}s, each is needed exactly once",
        shown.join(", "),
    )
}

/// Keeps one piece per index `0..count`, in index order. An identical repeat (a task the engine
/// ran twice) is counted once, with a note; a repeat with other contents, or a missing index,
/// is an error: never a silently wrong sum.
fn one_per_index<T>(
    parts: Vec<(String, T)>,
    count: u32,
    what: &str,
    id: impl Fn(&T) -> (u32, String),
    same: impl Fn(&T, &T) -> bool,
    note: &mut dyn FnMut(String),
) -> Result<BTreeMap<u32, (String, T)>, String> {
    let mut by_index: BTreeMap<u32, (String, T)> = BTreeMap::new();
    for (src, part) in parts {
        let (index, shown) = id(&part);
        match by_index.entry(index) {
            Entry::Vacant(v) => {
                v.insert((src, part));
            }
            Entry::Occupied(o) => {
                let (kept_src, kept) = o.get();
                if !same(kept, &part) {
                    return Err(format!(
                        "{what} {shown} is given twice with different contents ({kept_src} and \
                         {src}): keep one"
                    ));
                }
                note(format!(
                    "{src}: {what} {shown} again, identical to {kept_src}: counted once"
                ));
            }
        }
    }
    if by_index.len() != count as usize {
        return Err(missing(
            count,
            by_index.len(),
            |i| by_index.contains_key(&i),
            what,
        ));
    }
    Ok(by_index)
}

fn foreign(src: &str, first: &str, a: &PlanInfo, b: &PlanInfo) -> String {
    let option = if a.format != b.format {
        Some("--log-format")
    } else if a.client_fields != b.client_fields
        || a.templates
            .iter()
            .map(|t| &t.client_field)
            .ne(b.templates.iter().map(|t| &t.client_field))
    {
        Some("--client-field")
    } else if a.templates != b.templates {
        Some("--server-config (the log formats)")
    } else if a.proxies != b.proxies {
        Some("--trusted-proxy")
    } else if a.query != b.query {
        return format!(
            "{src} is a partial of a different plan than {first}: {}",
            query_differs(&a.query, &b.query)
        );
    } else if a.chunk_size != b.chunk_size {
        Some("--chunk-size")
    } else {
        None
    };
    match option {
        Some(option) => format!(
            "{src} is a partial of a different plan than {first}: {option} differs; run every \
             task with the same options"
        ),
        None => format!(
            "{src} is a partial of a different plan than {first} (the inputs, their sizes or the \
             chunk size differ): run every task with the same paths, files and --chunk-size"
        ),
    }
}

/// Which of `--by`, `--utc`, `--since`, `--until` and `--top` differs between two plans'
/// queries, and how to make them agree.
fn query_differs(a: &Query, b: &Query) -> String {
    let same = "run every task with the same options";
    let window = |option: &str, x: Option<i64>, y: Option<i64>| {
        let show = |t: Option<i64>| t.map_or("none".to_string(), crate::format::utc_text);
        let mut text = format!("{option} differs ({} and {})", show(x), show(y));
        if let (Some(x), Some(y)) = (x, y) {
            if x.abs_diff(y) < 86_400 {
                text.push_str(&format!(
                    "; a relative {option} (7d, 24h) is reckoned from when each task starts: \
                     give a date ({option} {}), or freeze one plan with `logcount plan` and \
                     give every task --plan",
                    crate::format::utc_text(x.min(y))
                ));
                return text;
            }
        }
        format!("{text}; {same}")
    };
    if a.since != b.since {
        window("--since", a.since, b.since)
    } else if a.until != b.until {
        window("--until", a.until, b.until)
    } else {
        let option = if a.by != b.by {
            "--by"
        } else if a.utc != b.utc {
            "--utc"
        } else {
            "--top"
        };
        format!("{option} differs; {same}")
    }
}

/// Merges slice partials: every key bucket, or only `bucket`.
pub fn merge_slices(
    parts: Vec<(String, SlicePartial)>,
    bucket: Option<u32>,
    note: &mut dyn FnMut(String),
) -> Result<Merged, String> {
    let Some((first_src, first)) = parts.first() else {
        return Err("no partials to merge".into());
    };
    let (first_src, fingerprint, count, buckets) = (
        first_src.clone(),
        first.fingerprint,
        first.slice.count,
        first.buckets,
    );
    for (src, p) in &parts {
        if p.fingerprint != fingerprint {
            return Err(foreign(src, &first_src, &p.plan, &first.plan));
        }
        if p.slice.count != count {
            return Err(format!(
                "{src} is slice {} but {first_src} is slice {}: every task must use the same \
                 slice count",
                p.slice, first.slice
            ));
        }
        if p.buckets != buckets {
            return Err(format!(
                "{src} has {} key buckets but {first_src} has {buckets}: every task must use the \
                 same --buckets",
                p.buckets
            ));
        }
    }
    if let Some(b) = bucket {
        if !first.plan.query.is_plain() {
            return Err(format!(
                "--bucket {b}: the partials were made with --by, --since, --until or --top, \
                 whose results need every key at once: merge them without --bucket"
            ));
        }
        if b >= buckets {
            return Err(format!(
                "--bucket {b}: the partials have {buckets} key bucket(s), numbered 0 to {}",
                buckets - 1
            ));
        }
    }

    let by_slice = one_per_index(
        parts,
        count,
        "slice",
        |p| (p.slice.index, p.slice.to_string()),
        same_slice,
        note,
    )?;
    let plan = by_slice
        .values()
        .next()
        .map(|(_, p)| p.plan.clone())
        .expect("at least one slice");
    let mut at = 0;
    for (src, p) in by_slice.values() {
        if p.jobs.start != at {
            return Err(format!(
                "{src}: slice {} holds jobs {}..{}, but the slices before it end at job {at} \
                 (corrupt partial?)",
                p.slice, p.jobs.start, p.jobs.end
            ));
        }
        at = p.jobs.end;
    }
    if at != plan.jobs {
        return Err(format!(
            "the slices hold jobs 0..{at} of a plan of {} (corrupt partial?)",
            plan.jobs
        ));
    }

    // Gather each file's records, in slice order.
    #[derive(Default)]
    struct Gathered {
        records: u32,
        error: Option<String>,
        skipped: Option<String>,
        total: u64,
        bytes: u64,
        malformed: u64,
        format: Option<Format>,
        blocks: Vec<KeyBlock>,
        filtered: u64,
        detail: Detail,
    }
    let mut gathered: Vec<Gathered> = (0..plan.inputs.len())
        .map(|_| Gathered::default())
        .collect();
    for (_, p) in by_slice.into_values() {
        for f in p.files {
            let g = &mut gathered[f.input as usize];
            g.records += 1;
            match f.outcome {
                Outcome::Failed(e) => {
                    g.error.get_or_insert(e);
                }
                Outcome::Skipped(r) => {
                    g.skipped.get_or_insert(r);
                }
                Outcome::Counted(k) => {
                    g.total = g.total.checked_add(k.total).ok_or_else(impossible)?;
                    g.bytes = g.bytes.checked_add(k.bytes).ok_or_else(impossible)?;
                    g.malformed = g
                        .malformed
                        .checked_add(k.malformed)
                        .ok_or_else(impossible)?;
                    g.format = g.format.or(k.format);
                    g.filtered = g.filtered.checked_add(k.filtered).ok_or_else(impossible)?;
                    g.detail.merge(k.detail);
                    g.blocks.extend(
                        k.blocks
                            .into_iter()
                            .filter(|&(b, _)| bucket.is_none_or(|want| b == want))
                            .map(|(_, keys)| keys),
                    );
                }
            }
        }
    }
    if let Some(i) = gathered.iter().position(|g| g.records == 0) {
        return Err(format!(
            "no slice holds a result for {} (corrupt partial?)",
            plan.inputs[i].name
        ));
    }

    let details: Vec<(u64, Detail)> = gathered
        .iter_mut()
        .map(|g| (g.filtered, std::mem::take(&mut g.detail)))
        .collect();
    // Per file: its distinct keys; a file held by one slice is already distinct.
    let counted: Vec<(Outcome<FileCount>, Distinct)> = gathered
        .into_par_iter()
        .map(|g| {
            if let Some(e) = g.error {
                return (Outcome::Failed(e), Distinct::Merged(KeyVec::default()));
            }
            if let Some(r) = g.skipped {
                return (Outcome::Skipped(r), Distinct::Merged(KeyVec::default()));
            }
            let keys = if g.records == 1 {
                Distinct::Stored(g.blocks)
            } else {
                let mut set = KeySet::default();
                for keys in &g.blocks {
                    set.extend(keys.to_key_vec());
                }
                if set.out_of_memory() {
                    return (
                        Outcome::Failed(crate::input::out_of_memory(set.len()).to_string()),
                        Distinct::Merged(KeyVec::default()),
                    );
                }
                // The distinct keys, as one list.
                Distinct::Merged(set.split(Split::Shards(0)).pop().unwrap_or_default())
            };
            let ip = keys.len() as u64;
            let count = FileCount {
                total: g.total,
                bytes: g.bytes,
                ip,
                malformed: g.malformed,
                format: g.format,
            };
            (Outcome::Counted(count), keys)
        })
        .collect();
    let mut files = Vec::with_capacity(counted.len());
    let mut keys = Vec::with_capacity(counted.len());
    for (outcome, k) in counted {
        files.push(outcome);
        keys.push(k);
    }
    let union = union_len(keys)?;
    check_sums(&files)?;
    Ok(Merged {
        plan,
        fingerprint,
        slices: count,
        buckets,
        files,
        union,
        details,
    })
}

/// Whether two partials of the same slice say the same thing (key order aside).
fn same_slice(a: &SlicePartial, b: &SlicePartial) -> bool {
    fn same_keys(a: &FileKeys, b: &FileKeys) -> bool {
        a.total == b.total
            && a.bytes == b.bytes
            && a.malformed == b.malformed
            && a.format == b.format
            && a.filtered == b.filtered
            && a.detail.same(&b.detail)
            && a.blocks.len() == b.blocks.len()
            && a.blocks.iter().zip(&b.blocks).all(|((ba, ka), (bb, kb))| {
                let (mut ka, mut kb) = (ka.to_key_vec(), kb.to_key_vec());
                ka.dedup();
                kb.dedup();
                ba == bb && ka == kb
            })
    }
    a.jobs == b.jobs
        && a.files.len() == b.files.len()
        && a.files.iter().zip(&b.files).all(|(fa, fb)| {
            fa.input == fb.input
                && match (&fa.outcome, &fb.outcome) {
                    (Outcome::Counted(ka), Outcome::Counted(kb)) => same_keys(ka, kb),
                    (a, b) => a.counted().is_none() && a.clone().map(drop) == b.clone().map(drop),
                }
        })
}

/// Merges the results of `merge --bucket`, one per bucket: per-file distinct counts and the
/// union add up exactly, because buckets partition the keys.
pub fn merge_buckets(
    parts: Vec<(String, BucketResult)>,
    note: &mut dyn FnMut(String),
) -> Result<Merged, String> {
    let Some((first_src, first)) = parts.first() else {
        return Err("no partials to merge".into());
    };
    let first_src = first_src.clone();
    let (fingerprint, slices, first_bucket) = (first.fingerprint, first.slices, first.bucket);
    let count = first_bucket.count;
    for (src, b) in &parts {
        if b.fingerprint != fingerprint {
            return Err(foreign(src, &first_src, &b.plan, &first.plan));
        }
        if b.bucket.count != count || b.slices != slices {
            return Err(format!(
                "{src} is bucket {} of {} slices but {first_src} is bucket {first_bucket} of \
                 {slices} slices: bucket results must come from the same partials",
                b.bucket, b.slices
            ));
        }
    }
    let by_bucket = one_per_index(
        parts,
        count,
        "bucket",
        |b| (b.bucket.index, b.bucket.to_string()),
        |a, b| a == b,
        note,
    )?;
    let mut results = by_bucket.into_values();
    let (_, base) = results.next().expect("at least one bucket");
    let mut files: Vec<Outcome<FileCount>> = base.files.into_iter().map(|f| f.outcome).collect();
    let mut union = base.union;
    for (src, b) in results {
        union = union.checked_add(b.union).ok_or_else(impossible)?;
        for (merged, f) in files.iter_mut().zip(b.files) {
            match (merged, f.outcome) {
                (Outcome::Counted(m), Outcome::Counted(c))
                    if (m.total, m.bytes, m.malformed, m.format)
                        == (c.total, c.bytes, c.malformed, c.format) =>
                {
                    m.ip = m.ip.checked_add(c.ip).ok_or_else(impossible)?
                }
                (m, other) if m.counted().is_none() && *m == other => {}
                _ => {
                    return Err(format!(
                        "{src}: bucket {} disagrees with bucket 0 on {} (made from different \
                         partials?)",
                        b.bucket, b.plan.inputs[f.input as usize].name
                    ))
                }
            }
        }
    }
    check_sums(&files)?;
    let counted = || files.iter().filter_map(Outcome::counted);
    let ips: Option<u64> = counted().try_fold(0u64, |sum, c| sum.checked_add(c.ip));
    if counted().any(|c| c.ip > c.total) || ips.is_none_or(|sum| union > sum) {
        return Err(impossible());
    }
    if !base.plan.query.is_plain() {
        return Err(corrupt_query());
    }
    Ok(Merged {
        plan: base.plan,
        fingerprint,
        slices,
        buckets: count,
        files,
        union,
        details: Vec::new(),
    })
}

/// Bucket results of a plan with time or top options: no partial makes them (those options
/// keep every key in one bucket).
fn corrupt_query() -> String {
    "bucket results of a run with --by, --since, --until or --top (corrupt partial?)".into()
}

fn impossible() -> String {
    "impossible totals (corrupt partial?)".into()
}

/// Refuses totals that no log could have (they overflow 64 bits when added up): a partial
/// that passed its checksum with such numbers was written wrong.
fn check_sums(files: &[Outcome<FileCount>]) -> Result<(), String> {
    let (mut total, mut bytes) = (0u64, 0u64);
    for c in files.iter().filter_map(Outcome::counted) {
        total = total.checked_add(c.total).ok_or_else(impossible)?;
        bytes = bytes
            .checked_add(c.bytes)
            .ok_or("impossible byte counts (corrupt partial?)")?;
        if total == u64::MAX || bytes == u64::MAX {
            return Err(impossible());
        }
    }
    Ok(())
}

/// A file's distinct keys: as its one slice stored them, or merged from several slices.
enum Distinct {
    Stored(Vec<KeyBlock>),
    Merged(KeyVec),
}

impl Distinct {
    fn len(&self) -> usize {
        match self {
            Distinct::Stored(blocks) => blocks.iter().map(KeyBlock::len).sum(),
            Distinct::Merged(keys) => keys.len(),
        }
    }
}

/// The number of distinct keys over every file's keys: keys are routed to shards by a fixed
/// hash (in parallel over files), then each shard's keys go into a set of its own, small
/// enough to stay in cache (in parallel over shards).
fn union_len(files: Vec<Distinct>) -> Result<u64, String> {
    let split = Split::Shards(SHARD_BITS);
    let routed: Vec<Routed> = files
        .into_par_iter()
        .fold(
            || Routed::new(split),
            |mut routed, keys| {
                match &keys {
                    Distinct::Stored(blocks) => blocks.iter().for_each(|b| routed.add(b)),
                    Distinct::Merged(keys) => routed.add(keys),
                }
                routed
            },
        )
        .collect();
    let mut by_shard: Vec<Vec<KeyVec>> = (0..split.groups()).map(|_| Vec::new()).collect();
    for routed in routed {
        for (s, keys) in routed.groups.into_iter().enumerate() {
            by_shard[s].push(keys);
        }
    }
    by_shard
        .into_par_iter()
        .map(|parts| {
            let mut set = KeySet::default();
            for keys in parts {
                set.extend(keys);
            }
            (!set.out_of_memory()).then_some(set.len() as u64)
        })
        .sum::<Option<u64>>()
        .ok_or_else(|| {
            "out of memory: the distinct clients of all files together outgrew the memory \
             available (merge them in key buckets: partial --buckets, merge --bucket)"
                .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_counts_distinct_keys_across_files() {
        let a = KeyVec {
            v4: (0..1000).collect(),
            v6: vec![1, 2],
            short: vec![crate::keys::pack_short(b"-")],
            long: vec![b"a-long-client-key-over-fifteen".to_vec().into()],
        };
        let b = KeyVec {
            v4: (500..1500).collect(),
            v6: vec![2, 3],
            short: vec![crate::keys::pack_short(b"-")],
            long: vec![],
        };
        assert_eq!(
            union_len(vec![Distinct::Merged(a), Distinct::Merged(b)]),
            Ok(1500 + 3 + 1 + 1)
        );
        assert_eq!(union_len(Vec::new()), Ok(0));
    }
}

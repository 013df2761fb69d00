//! Exact, mergeable partial results: logcount under someone else's cluster engine.
//!
//! `logcount partial PATH... --slice I/N -o FILE` plans exactly as a direct run (the same
//! walk, the same chunking), counts slice `I` of `N` of the planned jobs with any executor,
//! and writes what that slice saw: per-file totals, bytes and distinct keys, the plan's
//! fingerprint and the slice id ([`format`]). `logcount merge` checks that the partials come
//! from one plan and cover every slice once, then prints exactly what the direct run prints
//! ([`merge`]). Keys are kept per file, not counted, because a file's chunks may land in
//! different slices and its distinct count must still be exact.
//!
//! Slices are contiguous runs of the plan's jobs of about equal bytes, so most files stay in
//! one slice (their keys are then stored once) while the work is balanced. With
//! `--buckets K`, keys are also split by a fixed hash into `K` buckets that can be merged
//! separately (`merge --bucket B`) when no single merger can hold every key.

pub mod format;
pub mod merge;

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::app::{self, warn, EXIT_FAILED, EXIT_OK};
use crate::cli::{MergeArgs, PartialArgs};
use crate::count::{shard_of, Key, KeySet, KeyVec};
use crate::executor::Executor;
use crate::input::InputError;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::{Event, Reducer};
use crate::report::{self, ExecutorInfo, Format, Report};

pub use format::{
    BucketResult, FileKeys, InputInfo, Partial, PlanInfo, SliceFile, SliceId, SlicePartial,
};

/// The most buckets `--buckets` accepts.
pub const MAX_BUCKETS: u32 = 1 << 16;

/// Parses `I/N` (slice `I` of `N`, counted from 0).
pub fn parse_slice(text: &str) -> Result<SliceId, String> {
    let bad = || format!("`{text}` is not a slice: give I/N with 0 <= I < N (e.g. 0/4)");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let index: u32 = i.trim().parse().map_err(|_| bad())?;
    let count: u32 = n.trim().parse().map_err(|_| bad())?;
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(SliceId { index, count })
}

/// The plan as partials describe it (and fingerprint it).
pub fn plan_info(plan: &Plan) -> PlanInfo {
    PlanInfo {
        chunk_size: plan.chunk_size,
        jobs: plan.jobs.len() as u64,
        inputs: plan
            .inputs
            .iter()
            .map(|i| InputInfo {
                name: i.name.clone(),
                size: i.size,
            })
            .collect(),
        errors: plan.errors.clone(),
    }
}

/// The jobs of a slice: job `j` belongs to the slice its byte midpoint falls in, when the
/// plan's jobs are laid end to end (each weighing its planned bytes plus one, so empty and
/// unknown-size jobs spread too). Slices are contiguous, in order, and together hold every
/// job exactly once; the same plan gives the same slices on every machine.
pub fn slice_jobs(plan: &Plan, slice: SliceId) -> Range<usize> {
    let weights: Vec<u128> = plan
        .jobs
        .iter()
        .map(|j| u128::from(plan.job_bytes(j)) + 1)
        .collect();
    let total: u128 = weights.iter().sum();
    let n = u128::from(slice.count);
    let mut before = 0u128;
    let (mut start, mut end) = (0, 0);
    for w in weights {
        let s = ((2 * before + w) * n / (2 * total)).min(n - 1) as u32;
        before += w;
        if s < slice.index {
            start += 1;
        }
        if s <= slice.index {
            end += 1;
        } else {
            break;
        }
    }
    start..end
}

/// The bucket of a key among `buckets`: the remainder of a 32-bit hash that is the same on
/// every machine and in every build, since partials from different machines must agree on it
/// (or one key could land in two buckets and count twice). Dotted quads and short keys use
/// [`shard_of`]'s multiplicative hash; long keys use xxh3, a hash with a published
/// definition (`shard_of` hashes them with ahash, whose output may differ between CPUs and
/// builds). Any `buckets` works: it is a remainder, not a bit mask.
#[inline]
pub fn bucket_of(key: Key<'_>, buckets: u32) -> u32 {
    let hash = match key {
        Key::Long(bytes) => xxhash_rust::xxh3::xxh3_64(bytes) >> 32,
        portable => shard_of(portable, 32) as u64,
    };
    (hash % u64::from(buckets)) as u32
}

/// A slice, counted and encoded.
#[derive(Debug)]
pub struct CountedSlice {
    pub sealed: format::Sealed,
    /// The plan's jobs the slice held.
    pub jobs: Range<usize>,
    /// Files with a job in the slice.
    pub files: usize,
    /// (file, key) pairs stored.
    pub keys: u64,
}

/// Counts slice `slice` of `plan`'s jobs on `executor` and encodes the partial (file
/// records in parallel, on as many threads as the executor ran); `on_error` hears of each
/// failed file as it fails.
pub fn count_slice(
    plan: &Plan,
    slice: SliceId,
    buckets: u32,
    executor: &dyn Executor,
    progress: &Progress,
    mut on_error: impl FnMut(&InputError) + Send,
) -> CountedSlice {
    let range = slice_jobs(plan, slice);
    // The slice's jobs over the same inputs: executors and the reducer work unchanged.
    let sub = Plan {
        inputs: plan.inputs.clone(),
        jobs: plan.jobs[range.clone()].to_vec(),
        errors: Vec::new(),
        notes: Vec::new(),
        chunk_size: plan.chunk_size,
    };
    let reducer = Reducer::keeping_keys(&sub, |event| {
        if let Event::Error(e) = event {
            on_error(e);
        }
    });
    executor.run(&sub, &reducer, progress);
    let (counted, errors, mut kept) = reducer.finish_keeping_keys();

    let index: HashMap<&str, usize> = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (input.name.as_str(), i))
        .collect();
    type Outcome = Result<(u64, u64, Vec<KeySet>), String>;
    let mut outcomes: Vec<Option<Outcome>> = (0..plan.inputs.len()).map(|_| None).collect();
    for f in counted {
        let i = index[f.path.as_str()];
        outcomes[i] = Some(Ok((f.total, f.bytes, std::mem::take(&mut kept[i]))));
    }
    for e in errors {
        outcomes[index[e.path.as_str()]] = Some(Err(e.error));
    }
    let mut in_slice = vec![false; plan.inputs.len()];
    for job in &sub.jobs {
        in_slice[job.input] = true;
    }
    let files: Vec<(u32, Outcome)> = outcomes
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| in_slice[i])
        .map(|(i, outcome)| {
            // An executor that lost a job must not make the file look counted.
            let outcome = outcome.unwrap_or_else(|| Err("not counted: a job was lost".into()));
            (i as u32, outcome)
        })
        .collect();
    let keys = files
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok())
        .flat_map(|(_, _, sets)| sets)
        .map(|s| s.len() as u64)
        .sum();
    let n_files = files.len();

    let encode = |(input, outcome): (u32, Outcome)| match outcome {
        Ok((total, bytes, sets)) => format::counted_record(input, total, bytes, &sets, buckets),
        Err(e) => format::failed_record(input, &e),
    };
    // Threads start only now that the executor is done (a forking executor needs none before).
    let records: Vec<Vec<u8>> = match rayon::ThreadPoolBuilder::new()
        .num_threads(executor.jobs().max(1))
        .build()
    {
        Ok(pool) => pool.install(|| files.into_par_iter().map(encode).collect()),
        Err(_) => files.into_iter().map(encode).collect(),
    };
    let info = plan_info(plan);
    let jobs = range.start as u64..range.end as u64;
    let head = format::slice_head(&info, info.fingerprint(), slice, &jobs, buckets, n_files);
    CountedSlice {
        sealed: format::seal_slice(slice, head, records),
        jobs: range,
        files: n_files,
        keys,
    }
}

/// A file's keys (disjoint sets) as lists by bucket, non-empty buckets only.
fn bucketize(parts: &[KeySet], buckets: u32) -> Vec<(u32, KeyVec)> {
    let mut out: Vec<KeyVec> = vec![KeyVec::default(); buckets as usize];
    for p in parts {
        for v in p.v4() {
            out[bucket_of(Key::V4(v), buckets) as usize].v4.push(v);
        }
        for s in p.short() {
            out[bucket_of(Key::Short(s), buckets) as usize]
                .short
                .push(s);
        }
        for l in p.long() {
            out[bucket_of(Key::Long(l), buckets) as usize]
                .long
                .push(l.into());
        }
    }
    out.into_iter()
        .enumerate()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(b, keys)| (b as u32, keys))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The commands

/// `logcount partial`: count one slice, write its partial.
pub fn run_partial(args: &PartialArgs) -> i32 {
    let (executor, plan) = match app::prepare(&args.run, &args.paths) {
        Ok(ready) => ready,
        Err(status) => return status,
    };
    let range = slice_jobs(&plan, args.slice);
    let slice_bytes = plan.jobs[range.clone()]
        .iter()
        .map(|j| match (&j.range, plan.inputs[j.input].size) {
            (Some(r), _) => Some(r.end - r.start),
            (None, size) => size,
        })
        .sum();
    let progress = Progress::new(slice_bytes, !args.run.quiet);
    let counted = count_slice(
        &plan,
        args.slice,
        args.buckets,
        executor.as_ref(),
        &progress,
        |e| progress.suspend(|| warn(format_args!("{}: {}", e.path, e.error))),
    );
    progress.finish();

    let written = if args.text {
        let text = counted.sealed.to_text();
        write_output(&args.output, |out| out.write_all(text.as_bytes())).map(|()| text.len())
    } else {
        write_output(&args.output, |out| counted.sealed.write_binary(out))
            .map(|()| counted.sealed.len())
    };
    let size = match written {
        Ok(size) => size,
        Err(e) => {
            warn(format_args!(
                "cannot write the partial to {}: {e}",
                args.output.display()
            ));
            return EXIT_FAILED;
        }
    };
    if !args.run.quiet {
        let per_pair = if counted.keys > 0 {
            format!(
                ", {:.2} bytes per (file, key)",
                size as f64 / counted.keys as f64
            )
        } else {
            String::new()
        };
        warn(format_args!(
            "slice {}: jobs {}..{} of {}, {} file(s), {} keys; wrote {} to {}{per_pair}",
            args.slice,
            counted.jobs.start,
            counted.jobs.end,
            plan.jobs.len(),
            counted.files,
            report::thousands(counted.keys),
            report::human_bytes(size as u64),
            args.output.display(),
        ));
    }
    EXIT_OK
}

/// Writes to `path` (`-` is stdout) with `write`. A file appears whole or not at all: it is
/// written beside its final name and renamed, so a task killed mid-write leaves no partial
/// that could be mistaken for a finished one, and a retried task replaces it atomically.
fn write_output(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if path.as_os_str() == "-" {
        let mut out = io::stdout().lock();
        return write(&mut out).and_then(|()| out.flush());
    }
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| write(&mut file))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Reads a partial's source (`-` is stdin) whole.
fn read_source(path: &Path) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

/// `logcount merge`: check partials, then print the direct run's report (or write one
/// bucket's counts with `--bucket`).
pub fn run_merge(args: &MergeArgs) -> i32 {
    let started = Instant::now();
    let threads = args.jobs.map_or_else(app::default_jobs, |j| j as usize);
    if args
        .partials
        .iter()
        .filter(|p| p.as_os_str() == "-")
        .count()
        > 1
    {
        warn("standard input (`-`) can be read only once");
        return app::EXIT_USAGE;
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("logcount-merge-{i}"))
        .build()
    {
        Ok(pool) => pool,
        Err(e) => {
            warn(format_args!("cannot start threads: {e}"));
            return EXIT_FAILED;
        }
    };
    // Read and check every source in parallel; report the first failure in argument order.
    let parsed: Vec<(String, Result<Vec<Partial>, String>)> = pool.install(|| {
        args.partials
            .par_iter()
            .map(|path| {
                let label = if path.as_os_str() == "-" {
                    "<stdin>".to_string()
                } else {
                    path.display().to_string()
                };
                let parsed = read_source(path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| format::parse_stream(bytes).map_err(|e| e.to_string()));
                (label, parsed)
            })
            .collect()
    });
    let mut slices = Vec::new();
    let mut buckets = Vec::new();
    for (label, parsed) in parsed {
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                warn(format_args!("{label}: {e}"));
                return EXIT_FAILED;
            }
        };
        let several = parsed.len() > 1;
        for (k, partial) in parsed.into_iter().enumerate() {
            let label = if several {
                format!("{label} (partial {})", k + 1)
            } else {
                label.clone()
            };
            match partial {
                Partial::Slice(s) => slices.push((label, s)),
                Partial::Bucket(b) => buckets.push((label, b)),
            }
        }
    }
    if !slices.is_empty() && !buckets.is_empty() {
        warn(format_args!(
            "{} is a slice partial but {} is a bucket result: merge slices (with --bucket) \
             first, then the bucket results on their own",
            slices[0].0, buckets[0].0
        ));
        return EXIT_FAILED;
    }
    let quiet = args.quiet;
    let mut note = |message: String| {
        if !quiet {
            warn(message);
        }
    };
    let merged = if buckets.is_empty() {
        pool.install(|| merge::merge_slices(slices, args.bucket, &mut note))
    } else if args.bucket.is_some() {
        Err("--bucket merges slice partials, and these are bucket results already".into())
    } else {
        merge::merge_buckets(buckets, &mut note)
    };
    let merged = match merged {
        Ok(m) => m,
        Err(e) => {
            warn(e);
            return EXIT_FAILED;
        }
    };

    if let (Some(bucket), Some(output)) = (args.bucket, &args.output) {
        let result = merged.into_bucket(bucket);
        let (count, union) = (result.bucket.count, result.union);
        let partial = Partial::Bucket(result);
        let bytes = if args.text {
            format::to_text(&partial).into_bytes()
        } else {
            format::to_bytes(&partial)
        };
        if let Err(e) = write_output(output, |out| out.write_all(&bytes)) {
            warn(format_args!("cannot write {}: {e}", output.display()));
            return EXIT_FAILED;
        }
        note(format!(
            "bucket {bucket}/{count}: {} distinct keys; wrote {} to {}",
            report::thousands(union),
            report::human_bytes(bytes.len() as u64),
            output.display()
        ));
        return EXIT_OK;
    }

    let info = ExecutorInfo {
        name: "merge".into(),
        jobs: threads,
        start_method: None,
    };
    let report = merged.report(info, started.elapsed().as_secs_f64() * 1e3);
    for e in &report.errors {
        warn(format_args!("{}: {}", e.path, e.error));
    }
    let format = match (args.json, args.format) {
        (true, _) => Format::Json,
        (false, Some(f)) => f,
        (false, None) if io::stdout().is_terminal() => Format::Table,
        (false, None) => Format::Json,
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    if let Err(e) = print_report(&mut out, format, &report).and_then(|()| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return EXIT_OK;
        }
        warn(format_args!("cannot write output: {e}"));
        return EXIT_FAILED;
    }
    if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Prints a report in any format, as a direct run does (NDJSON lists the files in order).
fn print_report(out: &mut impl Write, format: Format, report: &Report) -> io::Result<()> {
    match format {
        Format::Table => report::write_table(out, report),
        Format::Json => report::write_json(out, report),
        Format::Ndjson => {
            for f in &report.files {
                report::write_ndjson_file(out, f)?;
            }
            report::write_ndjson_end(out, report)
        }
        Format::Csv => report::write_csv(out, report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Job;

    fn plan_of(sizes: &[Option<u64>], jobs: &[(usize, Option<Range<u64>>)]) -> Plan {
        Plan {
            inputs: sizes
                .iter()
                .enumerate()
                .map(|(i, &size)| crate::input::Input {
                    name: format!("f{i}"),
                    source: crate::input::Source::File(format!("f{i}").into()),
                    size,
                    id: None,
                    gzip: false,
                })
                .collect(),
            jobs: jobs
                .iter()
                .map(|(input, range)| Job {
                    input: *input,
                    range: range.clone(),
                })
                .collect(),
            ..Plan::default()
        }
    }

    #[test]
    fn slices_tile_the_jobs_and_balance_bytes() {
        // Eight equal files of three chunks each, four slices: two whole files per slice.
        let mut jobs = Vec::new();
        for f in 0..8 {
            for c in 0..3u64 {
                jobs.push((f, Some(c * 100..(c + 1) * 100)));
            }
        }
        let plan = plan_of(&[Some(300); 8], &jobs);
        let got: Vec<_> = (0..4)
            .map(|i| slice_jobs(&plan, SliceId { index: i, count: 4 }))
            .collect();
        assert_eq!(got, vec![0..6, 6..12, 12..18, 18..24]);

        for n in 1..40u32 {
            let mut at = 0;
            for i in 0..n {
                let r = slice_jobs(&plan, SliceId { index: i, count: n });
                assert_eq!(r.start, at, "slice {i}/{n}");
                at = r.end;
            }
            assert_eq!(at, plan.jobs.len(), "{n} slices");
        }
    }

    #[test]
    fn unknown_and_empty_jobs_still_spread() {
        let plan = plan_of(
            &[None, Some(0), Some(0), None],
            &[(0, None), (1, None), (2, None), (3, None)],
        );
        let got: Vec<_> = (0..4)
            .map(|i| slice_jobs(&plan, SliceId { index: i, count: 4 }))
            .collect();
        assert_eq!(got, vec![0..1, 1..2, 2..3, 3..4]);
        let one = plan_of(&[Some(10)], &[(0, None)]);
        let got: Vec<_> = (0..3)
            .map(|i| slice_jobs(&one, SliceId { index: i, count: 3 }))
            .collect();
        assert_eq!(got, vec![0..0, 0..1, 1..1]);
    }

    #[test]
    fn slice_syntax() {
        assert_eq!(parse_slice("0/4"), Ok(SliceId { index: 0, count: 4 }));
        assert_eq!(parse_slice("3/4"), Ok(SliceId { index: 3, count: 4 }));
        for bad in ["4/4", "0/0", "1", "-1/4", "a/b", "1/4/5", ""] {
            assert!(parse_slice(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_partition_keys_and_are_balanced() {
        let mut set = KeySet::default();
        for i in 0..64_000u32 {
            set.insert(crate::count::format_v4(0x0a00_0000 + i).as_bytes());
        }
        set.insert(b"-");
        set.insert(b"a-long-client-key-over-fifteen");
        for k in [1, 3, 16, 1000] {
            let blocks = bucketize(std::slice::from_ref(&set), k);
            let n: usize = blocks.iter().map(|(_, b)| b.len()).sum();
            assert_eq!(n, set.len(), "{k} buckets");
            for (b, keys) in &blocks {
                assert!(keys.v4.iter().all(|&v| bucket_of(Key::V4(v), k) == *b));
                if k <= 16 {
                    let expected = set.len() / k as usize;
                    assert!(
                        keys.len().abs_diff(expected) < expected / 5,
                        "bucket {b}/{k} holds {} keys, expected about {expected}",
                        keys.len()
                    );
                }
            }
        }
        // Fixed: the same bucket on every machine (literals, not recomputations).
        assert_eq!(bucket_of(Key::V4(0x0102_0304), 1000), BUCKET_OF_1_2_3_4);
        let short = crate::count::pack_short(b"2001:db8::1");
        assert_eq!(bucket_of(Key::Short(short), 1000), 529);
        assert_eq!(
            bucket_of(Key::Long(b"a-long-client-key-over-fifteen"), 1000),
            35
        );
    }

    const BUCKET_OF_1_2_3_4: u32 = 428;
}

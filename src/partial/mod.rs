//! Exact, mergeable partial results: logcount under someone else's cluster engine.
//!
//! `logcount partial PATH... --slice I/N -o FILE` plans exactly as a direct run (the same
//! walk, the same chunking), counts slice `I` of `N` of the planned jobs with any executor,
//! and writes what that slice saw: per-file totals, bytes and distinct keys, the plan's
//! fingerprint and the slice id ([`file`](mod@file)). `logcount merge` checks that the
//! partials come from one plan and cover every slice once, then prints exactly what the direct
//! run prints ([`merge`]). Keys are kept per file, not counted, because a file's chunks may
//! land in different slices and its distinct count must still be exact.
//!
//! Slices are contiguous runs of the plan's jobs of about equal bytes, so most files stay in
//! one slice (their keys are then stored once) while the work is balanced. With
//! `--buckets K`, keys are also split by a fixed hash into `K` buckets that can be merged
//! separately (`merge --bucket B`) when no single merger can hold every key.

pub mod file;
pub mod merge;

use std::ops::Range;

use rayon::prelude::*;

use crate::executor::{Executor, Interrupted};
use crate::input::InputError;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::{Event, Kept, Reducer};

use file::{InputInfo, Outcome, PlanInfo, SliceId};

/// The most buckets `--buckets` accepts.
pub const MAX_BUCKETS: u32 = 1 << 16;

/// The plan as partials describe it (and fingerprint it).
pub(crate) fn plan_info(plan: &Plan) -> PlanInfo {
    let mut jobs_of = vec![0u64; plan.inputs.len()];
    for job in &plan.jobs {
        jobs_of[job.input] += 1;
    }
    PlanInfo {
        chunk_size: plan.chunk_size,
        jobs: plan.jobs.len() as u64,
        format: plan.format.to_string(),
        client_fields: plan.options.json.names(),
        templates: plan.options.customs.specs().cloned().collect(),
        proxies: plan.options.proxies.written().to_vec(),
        query: plan.options.query,
        inputs: plan
            .inputs
            .iter()
            .zip(&jobs_of)
            .map(|(i, &jobs)| InputInfo {
                name: i.name.clone(),
                size: i.size,
                jobs,
                compression: i.compression.code(),
                format: i.format.code(&plan.options.customs),
            })
            .collect(),
        errors: plan.errors.clone(),
        skipped: plan.skipped.clone(),
    }
}

/// The jobs of a slice: job `j` belongs to the slice its byte midpoint falls in, when the
/// plan's jobs are laid end to end (each weighing its planned bytes plus one, so empty and
/// unknown-size jobs spread too). Slices are contiguous, in order, and together hold every
/// job exactly once; the same plan gives the same slices on every machine.
pub(crate) fn slice_jobs(plan: &Plan, slice: SliceId) -> Range<usize> {
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

/// A slice, counted and encoded.
#[derive(Debug)]
pub struct CountedSlice {
    pub sealed: file::Sealed,
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
) -> Result<CountedSlice, Interrupted> {
    let range = slice_jobs(plan, slice);
    // The slice's jobs over the same inputs: executors and the reducer work unchanged.
    let sub = Plan {
        jobs: plan.jobs[range.clone()].to_vec(),
        errors: Vec::new(),
        skipped: Vec::new(),
        ..plan.clone()
    };
    let reducer = Reducer::keeping_keys(&sub, |event| {
        if let Event::Error(e) = event {
            on_error(e);
        }
        std::ops::ControlFlow::Continue(())
    });
    executor.run(&sub, &reducer, progress)?;
    let kept = reducer.finish_keeping_keys();

    let mut in_slice = vec![false; plan.inputs.len()];
    for job in &sub.jobs {
        in_slice[job.input] = true;
    }
    let files: Vec<(u32, Kept)> = kept
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| in_slice[i])
        .map(|(i, kept)| (i as u32, kept))
        .collect();
    let keys = files
        .iter()
        .filter_map(|(_, k)| match k {
            Kept::Counted(_, sets, _) => Some(sets),
            _ => None,
        })
        .flatten()
        .map(|s| s.len() as u64)
        .sum();
    let n_files = files.len();

    let encode = |(input, kept): (u32, Kept)| match kept {
        Kept::Counted(f, sets, detail) => {
            let totals = file::Totals {
                total: f.total,
                bytes: f.bytes,
                malformed: f.malformed,
                format: f.format,
                filtered: f.extra.filtered.unwrap_or(0),
            };
            let detail = (!plan.options.query.is_plain()).then_some(&*detail);
            file::counted_record(input, totals, &sets, detail, buckets, &plan.options.customs)
        }
        Kept::Failed(e) => file::uncounted_record(input, &Outcome::Failed(e)),
        Kept::Skipped(r) => file::uncounted_record(input, &Outcome::Skipped(r)),
        // An executor that lost a job must not make the file look counted.
        Kept::Pending => file::uncounted_record(
            input,
            &Outcome::Failed("not counted: a job was lost".into()),
        ),
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
    let head = file::slice_head(&info, info.fingerprint(), slice, &jobs, buckets, n_files);
    Ok(CountedSlice {
        sealed: file::seal_slice(slice, head, records),
        jobs: range,
        files: n_files,
        keys,
    })
}

/// The planned bytes of a slice's jobs; `None` when some input is a stream of unknown size.
pub fn slice_bytes(plan: &Plan, slice: SliceId) -> Option<u64> {
    plan.jobs[slice_jobs(plan, slice)]
        .iter()
        .map(|j| match (&j.range, plan.inputs[j.input].size) {
            (Some(r), _) => Some(r.end - r.start),
            (None, size) => size,
        })
        .sum()
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
                .map(|(i, &size)| crate::input::Input::file(format!("f{i}"), size))
                .collect(),
            jobs: jobs
                .iter()
                .map(|(input, range)| Job {
                    input: *input,
                    range: range.clone(),
                    fields: None,
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
}

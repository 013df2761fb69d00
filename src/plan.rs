//! Planning: the arguments become inputs, and inputs become jobs for an executor.
//!
//! A job owns the lines that *start* inside its byte range (see [`crate::count::OwnedLines`]),
//! so the planner can cut a big file anywhere without looking at its bytes (docs/contract.md §4).

use std::ops::Range;
use std::path::PathBuf;

use crate::input::{self, Input, InputError, Note, Source};

/// The chunk size big files are cut into by executors that run jobs in parallel, unless the
/// user chose one; chosen by measurement (README, Performance): big enough that per-chunk key
/// sets cost little to merge, small enough to balance a single big file over many cores.
pub const DEFAULT_CHUNK: u64 = 32 << 20;

/// The most jobs one file is cut into, whatever `--chunk-size` says (1 GiB at 16 KiB chunks).
pub const MAX_CUTS: u64 = 1 << 16;

/// One unit of work for an executor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Index into [`Plan::inputs`].
    pub input: usize,
    /// A byte range of a regular file, or `None` for the whole input (read as a stream).
    pub range: Option<Range<u64>>,
}

/// Everything an executor needs, decided before any counting starts.
#[derive(Debug, Default)]
pub struct Plan {
    pub inputs: Vec<Input>,
    pub jobs: Vec<Job>,
    /// Arguments that could not be expanded (missing paths, unreadable directories, loops).
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
    /// The chunk size big files were cut with, if any.
    pub chunk_size: Option<u64>,
}

impl Plan {
    /// Expands `args`; regular, uncompressed files bigger than `chunk_size` are cut into
    /// ranges of that size, everything else is one job.
    pub fn new(args: &[PathBuf], chunk_size: Option<u64>) -> Plan {
        let expanded = input::expand(args);
        let mut jobs = Vec::with_capacity(expanded.inputs.len());
        for (index, input) in expanded.inputs.iter().enumerate() {
            match (chunk_size, splittable_size(input)) {
                (Some(chunk), Some(size)) if size > chunk => {
                    // A tiny chunk size on a huge file would plan millions of jobs: the answer
                    // is the same however a file is cut, so cut it in at most MAX_CUTS.
                    let chunk = chunk.max(size.div_ceil(MAX_CUTS));
                    let mut start = 0;
                    while start < size {
                        let end = start.saturating_add(chunk).min(size);
                        jobs.push(Job {
                            input: index,
                            range: Some(start..end),
                        });
                        start = end;
                    }
                }
                _ => jobs.push(Job {
                    input: index,
                    range: None,
                }),
            }
        }
        Plan {
            inputs: expanded.inputs,
            jobs,
            errors: expanded.errors,
            notes: expanded.notes,
            chunk_size,
        }
    }

    /// Total bytes on disk of the inputs, when every size is known (none is a stream).
    pub fn known_bytes(&self) -> Option<u64> {
        self.inputs.iter().map(|i| i.size).sum()
    }

    /// The bytes a job is expected to read (for scheduling big jobs first); 0 when unknown.
    pub fn job_bytes(&self, job: &Job) -> u64 {
        match &job.range {
            Some(r) => r.end - r.start,
            None => self.inputs[job.input].size.unwrap_or(0),
        }
    }

    /// Job indices in the order to start them: streams of unknown size (stdin, FIFOs) first,
    /// as they cannot be split and may be long; then the biggest files first, a file's ranges
    /// together and front to back.
    ///
    /// Big files start early, so none is left running alone at the end; keeping a file's
    /// ranges together means only the few files in flight hold a partial key set (mixing every
    /// file's ranges by size kept one alive per file: 75 MB instead of 19 MB peak RSS on
    /// 20 × 200 MB), and a cold file is read front to back, as read-ahead expects.
    pub fn biggest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.jobs.len()).collect();
        order.sort_by_key(|&j| {
            let job = &self.jobs[j];
            let size = self.inputs[job.input].size.unwrap_or(u64::MAX);
            let start = job.range.as_ref().map_or(0, |r| r.start);
            (std::cmp::Reverse(size), job.input, start)
        });
        order
    }
}

/// The size of an input that can be read by ranges: a regular file that is not compressed.
fn splittable_size(input: &Input) -> Option<u64> {
    match input.source {
        Source::File(_) if !input.gzip => input.size,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_files_are_cut_small_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.log"), vec![b'x'; 1000]).unwrap();
        std::fs::write(dir.path().join("small.log"), vec![b'x'; 100]).unwrap();
        let plan = Plan::new(&[dir.path().to_path_buf()], Some(300));
        let ranges: Vec<_> = plan
            .jobs
            .iter()
            .map(|j| (j.input, j.range.clone()))
            .collect();
        assert_eq!(
            ranges,
            vec![
                (0, Some(0..300)),
                (0, Some(300..600)),
                (0, Some(600..900)),
                (0, Some(900..1000)),
                (1, None),
            ]
        );
        assert_eq!(plan.biggest_first()[4], 4);
        assert_eq!(plan.known_bytes(), Some(1100));
        let whole = Plan::new(&[dir.path().to_path_buf()], None);
        assert_eq!(whole.jobs.len(), 2);
    }

    #[test]
    fn a_file_is_cut_in_at_most_max_cuts_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::File::create(dir.path().join("sparse.log")).unwrap();
        let size = MAX_CUTS * 10 + 7;
        f.set_len(size).unwrap();
        let plan = Plan::new(&[dir.path().to_path_buf()], Some(1));
        assert!(
            plan.jobs.len() as u64 <= MAX_CUTS,
            "{} jobs",
            plan.jobs.len()
        );
        let mut next = 0;
        for job in &plan.jobs {
            let r = job.range.clone().unwrap();
            assert_eq!(r.start, next);
            next = r.end;
        }
        assert_eq!(next, size);
    }
}

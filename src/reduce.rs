//! Reduce: job outcomes become per-file results and the summary.
//!
//! A file's result is the merge of its jobs' counts; the summary's `ip` is the size of the union
//! of every file's keys (not the sum of per-file counts). A file with any failed job is reported
//! as an error and contributes nothing: never half-counted.

use crate::count::{Counts, KeySet};
use crate::executor::JobResult;
use crate::input::InputError;
use crate::plan::Plan;
use crate::report::FileStats;

/// What finishing a job can tell the caller.
#[derive(Debug)]
pub enum Event {
    /// Every job of a file has succeeded.
    File(FileStats),
    /// A file failed (reported once, at its first failed job).
    Error(InputError),
}

#[derive(Debug, Default)]
struct FileState {
    remaining: usize,
    failed: bool,
    counts: Counts,
    bytes: u64,
}

/// Collects job results as they arrive, in any order.
#[derive(Debug)]
pub struct Reducer {
    job_input: Vec<usize>,
    names: Vec<String>,
    files: Vec<FileState>,
    union: KeySet,
    done: Vec<FileStats>,
    errors: Vec<InputError>,
}

impl Reducer {
    pub fn new(plan: &Plan) -> Reducer {
        let mut files: Vec<FileState> = plan.inputs.iter().map(|_| FileState::default()).collect();
        for job in &plan.jobs {
            files[job.input].remaining += 1;
        }
        Reducer {
            job_input: plan.jobs.iter().map(|j| j.input).collect(),
            names: plan.inputs.iter().map(|i| i.name.clone()).collect(),
            files,
            union: KeySet::default(),
            done: Vec::new(),
            errors: plan.errors.clone(),
        }
    }

    /// Records one job's result; returns what became known because of it.
    pub fn job_done(&mut self, job: usize, result: JobResult) -> Option<Event> {
        let input = self.job_input[job];
        let file = &mut self.files[input];
        file.remaining -= 1;
        match result {
            Err(e) => {
                if std::mem::replace(&mut file.failed, true) {
                    return None;
                }
                file.counts = Counts::default();
                let error = InputError::new(self.names[input].clone(), e);
                self.errors.push(error.clone());
                Some(Event::Error(error))
            }
            Ok(_) if file.failed => None,
            Ok((counts, bytes)) => {
                file.counts.merge(counts);
                file.bytes += bytes;
                if file.remaining > 0 {
                    return None;
                }
                let counts = std::mem::take(&mut file.counts);
                let stats = FileStats {
                    path: self.names[input].clone(),
                    total: counts.total,
                    ip: counts.ip(),
                    bytes: file.bytes,
                };
                self.union.merge(counts.keys);
                self.done.push(stats.clone());
                Some(Event::File(stats))
            }
        }
    }

    /// The per-file results sorted by path, the errors sorted by path, and the union's size.
    pub fn finish(mut self) -> (Vec<FileStats>, Vec<InputError>, u64) {
        self.done.sort_by(|a, b| a.path.cmp(&b.path));
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        (self.done, self.errors, self.union.len() as u64)
    }
}

//! Executors: interchangeable ways to run a plan's jobs through the counting core.
//!
//! Every executor takes the same [`Plan`] and reports each job's outcome to a callback; the
//! [`crate::reduce::Reducer`] turns those into per-file results and the summary, so executors
//! differ only in how they schedule the work.

mod serial;

use std::io;

use crate::count::Counts;
use crate::plan::Plan;

pub use serial::Serial;

/// What one job produced: its counts and the bytes it read, or why it failed.
pub type JobResult = io::Result<(Counts, u64)>;

/// Runs jobs and reports each one's result (in any order) to `done(job_index, result)`.
pub trait Executor {
    /// The name shown in reports (`serial`, `threads`, ...).
    fn name(&self) -> &'static str;
    /// How many jobs run at once.
    fn jobs(&self) -> usize;
    fn run(&self, plan: &Plan, done: &mut dyn FnMut(usize, JobResult));
}

/// The executors a user can pick with `--executor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    /// One thread, jobs in order: the baseline every other executor is checked against.
    Serial,
}

impl ExecutorKind {
    /// Builds the executor with `jobs` workers where that means something.
    pub fn build(self, _jobs: usize) -> Box<dyn Executor> {
        match self {
            ExecutorKind::Serial => Box::new(Serial),
        }
    }
}

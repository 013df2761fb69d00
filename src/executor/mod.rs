//! Executors: interchangeable ways to run a plan's jobs through the counting core.
//!
//! Every executor takes the same [`Plan`] and hands each job's outcome to the [`Reducer`]
//! (from any thread, in any order), reporting bytes done to the [`Progress`]; they differ only
//! in how they schedule the work.

mod async_reader;
pub mod procpool;
mod serial;
mod threads;

use std::io;

use crate::count::Counts;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

pub use async_reader::AsyncReader;
pub use procpool::{ProcPool, StartMethod};
pub use serial::Serial;
pub use threads::Threads;

/// What one job produced: its counts and the bytes it counted, or why it failed.
pub type JobResult = io::Result<(Counts, u64)>;

/// Runs a plan's jobs.
pub trait Executor {
    /// The name shown in reports (`serial`, `threads`, ...).
    fn name(&self) -> &'static str;
    /// How many jobs run at once.
    fn jobs(&self) -> usize;
    /// The chunk size big files are cut into for this executor, unless the user chose one.
    fn default_chunk_size(&self) -> Option<u64>;
    /// How workers are started, for executors where that is a choice (procpool).
    fn start_method(&self) -> Option<&'static str> {
        None
    }
    /// Runs every job of `plan`, handing each result to `reducer`.
    fn run(&self, plan: &Plan, reducer: &Reducer<'_>, progress: &Progress);
}

/// The executors a user can pick with `--executor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    /// One thread, jobs in order: the baseline every other executor is checked against.
    Serial,
    /// A rayon pool of `-j` threads; big files are cut into chunks so one file uses every core.
    Threads,
    /// A tokio runtime reading at most `-j` files at once in fixed-size buffers, counted by
    /// counting threads as they arrive: memory stays bounded whatever the file sizes.
    Async,
    /// `-j` worker processes fed over pipes (`--start-method fork|spawn`); a worker that dies
    /// costs only a retry of its job.
    Procpool,
}

impl ExecutorKind {
    /// Builds the executor with `jobs` workers where that means something.
    pub fn build(self, jobs: usize) -> Box<dyn Executor> {
        match self {
            ExecutorKind::Serial => Box::new(Serial),
            ExecutorKind::Threads => Box::new(Threads::new(jobs)),
            ExecutorKind::Async => Box::new(AsyncReader::new(jobs)),
            ExecutorKind::Procpool => Box::new(ProcPool::new(jobs, StartMethod::default())),
        }
    }

    /// Builds the executor from the command line's options: a start method is for the
    /// process pool only, and is a usage error anywhere else.
    pub fn build_with(
        self,
        jobs: usize,
        start_method: Option<StartMethod>,
    ) -> Result<Box<dyn Executor>, &'static str> {
        match (self, start_method) {
            (ExecutorKind::Procpool, Some(method)) => Ok(Box::new(ProcPool::new(jobs, method))),
            (_, Some(_)) => Err("--start-method needs --executor procpool"),
            (kind, None) => Ok(kind.build(jobs)),
        }
    }
}

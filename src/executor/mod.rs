//! Executors: interchangeable ways to run a plan's jobs through the counting core.
//!
//! Every executor takes the same [`Plan`] and hands each job's outcome to the [`Reducer`]
//! (from any thread, in any order), reporting bytes done to the [`Progress`]; they differ only
//! in how they schedule the work. [`execute`] runs a plan on one and makes the [`Report`].

mod async_reader;
pub mod procpool;
mod serial;
mod threads;

use std::cell::Cell;
use std::ops::ControlFlow;
use std::time::Instant;

use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::{Event, Reducer};
use crate::report::{ExecutorInfo, Report};

pub(crate) use async_reader::AsyncReader;
pub(crate) use procpool::{ProcPool, StartMethod};
pub(crate) use serial::Serial;
pub(crate) use threads::Threads;

/// A run was ended by a signal (SIGINT or SIGTERM): no result, and the exit status says which.
/// Executors that install their own handlers (the process pool, while its workers live) return
/// it once every worker is gone; the caller prints nothing and exits with `128 + signal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted(pub i32);

/// Runs a plan's jobs.
pub trait Executor {
    /// The name shown in reports (`serial`, `threads`, ...).
    fn name(&self) -> &'static str;
    /// How many jobs run at once.
    fn jobs(&self) -> usize;
    /// How workers are started, for executors where that is a choice (procpool).
    fn start_method(&self) -> Option<&'static str> {
        None
    }
    /// Runs every job of `plan`, handing each result to `reducer`.
    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted>;
}

/// How many workers (threads, processes, files in flight) an executor was asked for and,
/// once it has run, how many it had at once at most: fewer when there were fewer jobs or not
/// all could start, 1 when none could and the calling thread counted. What
/// [`Executor::jobs`] reports.
#[derive(Clone, Debug)]
pub(crate) struct Workers {
    asked: usize,
    used: Cell<Option<usize>>,
}

impl Workers {
    pub(crate) fn new(asked: usize) -> Workers {
        Workers {
            asked: asked.max(1),
            used: Cell::new(None),
        }
    }

    /// The number asked for (at least 1).
    pub(crate) fn asked(&self) -> usize {
        self.asked
    }

    /// The number used once run, else the number asked for.
    pub(crate) fn get(&self) -> usize {
        self.used.get().unwrap_or(self.asked)
    }

    /// Records the number used (at least 1).
    pub(crate) fn used(&self, n: usize) {
        self.used.set(Some(n.max(1)));
    }
}

/// The executors a user can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorKind {
    /// One thread, jobs in order: the baseline every other executor is checked against.
    Serial,
    /// `-j` threads sharing one queue of jobs; big files are cut into chunks so one file uses
    /// every core.
    Threads,
    /// A tokio runtime reading at most `-j` files at once in fixed-size buffers, counted by
    /// counting threads as they arrive: memory stays bounded whatever the file sizes.
    Async,
    /// `-j` worker processes fed over pipes; a worker that dies costs only a retry of its job.
    Procpool,
}

impl ExecutorKind {
    /// The chunk size big files are cut into for this executor, unless the user chose one:
    /// none for `serial` (one thread gains nothing from cutting files). The plan needs it
    /// before the executor is built (its workers are at most the plan's jobs).
    pub fn default_chunk_size(self) -> Option<u64> {
        match self {
            ExecutorKind::Serial => None,
            ExecutorKind::Threads | ExecutorKind::Async | ExecutorKind::Procpool => {
                Some(crate::plan::DEFAULT_CHUNK)
            }
        }
    }

    /// Builds the executor with `jobs` workers where that means something; `start_method` is
    /// the process pool's (its default when `None`; the others have none).
    pub fn build(self, jobs: usize, start_method: Option<StartMethod>) -> Box<dyn Executor> {
        match self {
            ExecutorKind::Serial => Box::new(Serial),
            ExecutorKind::Threads => Box::new(Threads::new(jobs)),
            ExecutorKind::Async => Box::new(AsyncReader::new(jobs)),
            ExecutorKind::Procpool => {
                Box::new(ProcPool::new(jobs, start_method.unwrap_or_default()))
            }
        }
    }
}

/// One way to run a count, by the arguments that select it: an executor and, for the process
/// pool, its start method. `bench` runs each, and the tests loop over each.
#[derive(Debug, PartialEq, Eq)]
pub struct Variant {
    /// Its name in `bench`'s table and `--executors`.
    pub name: &'static str,
    /// The arguments that select it, without `-j`.
    pub args: &'static [&'static str],
    /// Whether `-j` means something to it; one that ignores it (`serial`) runs once a round.
    pub takes_jobs: bool,
}

impl Variant {
    const fn with_jobs(name: &'static str, args: &'static [&'static str]) -> Self {
        Variant {
            name,
            args,
            takes_jobs: true,
        }
    }
}

/// Every [`Variant`], `serial` first: the one list (a new executor or start method is one line
/// here, and `bench`, its `--executors` and the tests get it).
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "serial",
        args: &["-e", "serial"],
        takes_jobs: false,
    },
    Variant::with_jobs("threads", &["-e", "threads"]),
    Variant::with_jobs("async", &["-e", "async"]),
    Variant::with_jobs(
        "procpool-fork",
        &["-e", "procpool", "--start-method", "fork"],
    ),
    Variant::with_jobs(
        "procpool-spawn",
        &["-e", "procpool", "--start-method", "spawn"],
    ),
    Variant::with_jobs(
        "procpool-forkserver",
        &["-e", "procpool", "--start-method", "forkserver"],
    ),
];

/// The number of CPUs this process may use: the default `-j`, and the most threads worth
/// starting for work that only computes.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `plan` on `executor` and makes the report, telling `on_event` about each file as it
/// completes (from whichever thread completed it; once it breaks, no new job starts and the
/// report is of what was done); `started` is when the run began (its elapsed time is
/// reported).
pub fn execute(
    plan: &Plan,
    executor: &dyn Executor,
    progress: &Progress,
    started: Instant,
    on_event: impl FnMut(&Event) -> ControlFlow<()> + Send,
) -> Result<Report, Interrupted> {
    let reducer = Reducer::new(plan, on_event);
    executor.run(plan, &reducer, progress)?;
    Ok(Report::new(
        reducer.finish(),
        info(executor),
        started.elapsed().as_secs_f64() * 1e3,
    ))
}

/// How `executor` is reported.
pub(crate) fn info(executor: &dyn Executor) -> ExecutorInfo {
    ExecutorInfo {
        name: executor.name().into(),
        jobs: executor.jobs(),
        start_method: executor.start_method().map(Into::into),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every executor, and the process pool with every start method, is in [`VARIANTS`] once,
    /// and each variant's arguments select what its name says.
    #[test]
    fn the_variants_cover_every_executor_and_start_method() {
        let kinds = [
            ExecutorKind::Serial,
            ExecutorKind::Threads,
            ExecutorKind::Async,
            ExecutorKind::Procpool,
        ];
        let methods = [
            StartMethod::Fork,
            StartMethod::Spawn,
            StartMethod::Forkserver,
        ];
        let mut want: Vec<String> = Vec::new();
        for kind in kinds {
            // A new executor kind fails to compile here until it is listed above.
            match kind {
                ExecutorKind::Serial | ExecutorKind::Threads | ExecutorKind::Async => {}
                ExecutorKind::Procpool => {}
            }
            let executor = kind.build(1, None);
            match executor.start_method() {
                None => want.push(executor.name().into()),
                Some(_) => want.extend(
                    methods
                        .iter()
                        .map(|m| format!("{}-{}", executor.name(), m.name())),
                ),
            }
        }
        let names: Vec<&str> = VARIANTS.iter().map(|v| v.name).collect();
        assert_eq!(names, want);
        for v in VARIANTS {
            let (name, method) = v.name.split_once('-').unwrap_or((v.name, ""));
            assert_eq!(v.args[..2], ["-e", name]);
            assert_eq!(v.args.get(3).copied().unwrap_or(""), method);
            assert_eq!(v.takes_jobs, name != "serial");
        }
    }
}

//! The process-pool executor: `-j` worker processes count jobs sent to them over pipes.
//!
//! - [`wire`]: length-prefixed, checksummed binary frames and the messages they carry
//!   (handshake with protocol version and build id, job batches, progress, results with
//!   `Counts` in the compact [`crate::counts_encoding`]).
//! - `worker`: the worker's loop, the same for both start methods.
//! - `fork` / `spawn` / `forkserver`: the three ways to start a worker.
//! - `schedule`: which jobs wait, which each worker holds, and what a worker's death costs
//!   (no I/O: every state a worker can die in is unit-tested there).
//! - `pool`: the parent, one thread multiplexing every pipe with `poll`, handing each result
//!   to the reducer as it arrives (through merging threads from `-j 3`), retrying a dead
//!   worker's job once on a fresh worker.
//! - `signal_pipe`: Ctrl-C and SIGTERM as bytes on a pipe the parent's loop watches.

mod fork;
mod forkserver;
mod pool;
mod schedule;
mod signal_pipe;
mod spawn;
pub mod wire;
mod worker;

use std::cell::Cell;
use std::os::fd::OwnedFd;

use nix::unistd::Pid;

use super::{Executor, Interrupted, Workers};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

pub use worker::{worker_main, FAULT_ENV, WORKER_COMMAND};

/// How worker processes are started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartMethod {
    /// Fork this process: cheapest, and sound because the parent has no second thread when it
    /// forks (a worker started once it has, to retry a job, is spawned).
    Fork,
    /// Run this program's own binary again as a hidden worker command.
    Spawn,
    /// Ask a server process, forked when the pool starts, to fork each worker: every worker
    /// comes from a process with one thread, also a retry's (which `fork` must spawn).
    Forkserver,
}

impl Default for StartMethod {
    fn default() -> Self {
        if cfg!(target_os = "linux") {
            StartMethod::Fork
        } else {
            StartMethod::Spawn
        }
    }
}

impl StartMethod {
    pub fn name(self) -> &'static str {
        match self {
            StartMethod::Fork => "fork",
            StartMethod::Spawn => "spawn",
            StartMethod::Forkserver => "forkserver",
        }
    }
}

/// A started worker: its pid, the write end of its stdin and the read end of its stdout.
pub(crate) struct WorkerProc {
    pid: Pid,
    to: OwnedFd,
    from: OwnedFd,
}

impl WorkerProc {
    fn new(pid: Pid, to: OwnedFd, from: OwnedFd) -> WorkerProc {
        WorkerProc { pid, to, from }
    }
}

/// Runs jobs on `-j` worker processes.
#[derive(Debug)]
pub struct ProcPool {
    workers: Workers,
    /// The method asked for, then the one used (fork falls back to spawn if this process
    /// turns out to have other threads).
    method: Cell<StartMethod>,
}

impl ProcPool {
    pub(crate) fn new(workers: usize, method: StartMethod) -> ProcPool {
        ProcPool {
            workers: Workers::new(workers),
            method: Cell::new(method),
        }
    }
}

impl Executor for ProcPool {
    fn name(&self) -> &'static str {
        "procpool"
    }

    fn jobs(&self) -> usize {
        self.workers.get()
    }

    fn start_method(&self) -> Option<&'static str> {
        Some(self.method.get().name())
    }

    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted> {
        let mut pool = pool::Pool::new(
            plan,
            reducer,
            progress,
            self.workers.asked(),
            self.method.get(),
        );
        let ran = pool.run();
        self.method.set(pool.method());
        if let Some(used) = pool.workers_used() {
            self.workers.used(used);
        }
        ran
    }
}

//! The parent's side: one thread multiplexing every worker's pipes with `poll`, and from
//! `-j 3` on, merging threads that decode the answers and hand them to the reducer.
//!
//! Jobs leave biggest first, small ones batched into one message; each worker has at most two
//! batches in flight, so it never waits for the parent between jobs, and the parent sends a
//! worker its next batch before it merges the answer it just got. Answers go to the reducer as
//! they arrive. Standard input, which cannot be handed to a worker by path, is read and
//! counted here, between other events.
//!
//! Faults: a worker whose pipe ends, or that sends anything that is not a valid frame, is
//! dead. It is killed and reaped; what its death costs is the schedule's decision
//! (`schedule.rs`: the job it was counting runs again alone on a fresh worker, the jobs it had
//! not started go back to the queue). A worker that fails the handshake, or dies before it,
//! means no worker can be trusted: the jobs left become errors. Ctrl-C or SIGTERM kills and
//! reaps every worker and ends the run as `Interrupted`, without a result.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::{mpsc, Mutex, PoisonError};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::unistd::{getpid, Pid};

use super::forkserver::ForkServer;
use super::schedule::{Held, Schedule};
use super::signal_pipe::SignalPipe;
use super::wire::{FrameBuf, Hello};
use super::{StartMethod, WorkerProc};
use crate::diag;
use crate::executor::Interrupted;
use crate::input::READ_BUF;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

mod answers;
mod streams;
mod workers;

use answers::{mergers, Encoded};
use streams::{StreamFrom, StreamJob};
use workers::other_threads;

/// One worker as the parent sees it.
struct Slot {
    pid: Pid,
    /// Its stdin; `None` once closed (no more work for it).
    to: Option<File>,
    from: File,
    outbox: Vec<u8>,
    sent: usize,
    inbox: FrameBuf,
    greeted: bool,
    /// The jobs it holds.
    held: Held,
    /// Already waited for: its pid may belong to another process now, never signal it.
    reaped: bool,
}

impl Slot {
    fn new(w: WorkerProc) -> io::Result<Slot> {
        set_nonblocking(&w.to)?;
        set_nonblocking(&w.from)?;
        let mut outbox = Vec::new();
        Hello::ours().encode(&mut outbox);
        Ok(Slot {
            pid: w.pid,
            to: Some(w.to.into()),
            from: w.from.into(),
            outbox,
            sent: 0,
            inbox: FrameBuf::default(),
            greeted: false,
            held: Held::default(),
            reaped: false,
        })
    }

    /// Writes what the pipe takes now.
    fn flush(&mut self) -> io::Result<()> {
        let Some(to) = &self.to else { return Ok(()) };
        let mut to: &File = to;
        while self.sent < self.outbox.len() {
            match to.write(&self.outbox[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.sent == self.outbox.len() {
            self.outbox.clear();
            self.sent = 0;
        }
        Ok(())
    }
}

fn set_nonblocking(fd: &impl AsFd) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let flags = OFlag::from_bits_truncate(fcntl(fd.as_fd(), FcntlArg::F_GETFL)?);
    fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// The run's state.
pub(super) struct Pool<'a, 'r> {
    plan: &'a Plan,
    reducer: &'a Reducer<'r>,
    progress: &'a Progress,
    size: usize,
    method: StartMethod,
    me: Pid,
    slots: Vec<Slot>,
    /// The workers' jobs: queued biggest first, held, charged for deaths.
    schedule: Schedule,
    /// Set when no worker can be trusted any more; every job left fails with it.
    fatal: Option<String>,
    /// The streams open, being read.
    streams: Vec<StreamJob>,
    /// The streams to open, in the plan's order.
    unopened: VecDeque<usize>,
    /// The one buffer streams are read into, in turn.
    stream_buf: Vec<u8>,
    warned_threads: bool,
    /// Where answers go to be merged on other threads, once those run.
    merging: Option<mpsc::Sender<(usize, Encoded)>>,
    /// The signal that ended the run, once every worker is gone.
    stopped: Option<Signal>,
    /// The fork server, with `--start-method forkserver`, while it serves.
    server: Option<ForkServer>,
    /// The most workers that were open at once (the report's `jobs`).
    peak: usize,
    /// No worker could start: the parent counted the jobs itself.
    counted_here: bool,
}

impl<'a, 'r> Pool<'a, 'r> {
    pub(super) fn new(
        plan: &'a Plan,
        reducer: &'a Reducer<'r>,
        progress: &'a Progress,
        size: usize,
        method: StartMethod,
    ) -> Self {
        let mut queue = VecDeque::new();
        let mut unopened = VecDeque::new();
        for index in plan.biggest_first() {
            let input = &plan.inputs[plan.jobs[index].input];
            if input.regular && input.size.is_some() {
                queue.push_back(index);
            } else {
                unopened.push_back(index);
            }
        }
        let job_bytes = plan.jobs.iter().map(|j| plan.job_bytes(j)).collect();
        Pool {
            plan,
            reducer,
            progress,
            size: size.max(1),
            method,
            me: getpid(),
            slots: Vec::new(),
            schedule: Schedule::new(queue, job_bytes, size.max(1)),
            fatal: None,
            streams: Vec::new(),
            stream_buf: if unopened.is_empty() {
                Vec::new()
            } else {
                vec![0; READ_BUF]
            },
            unopened,
            warned_threads: false,
            merging: None,
            stopped: None,
            server: None,
            peak: 0,
            counted_here: false,
        }
    }

    /// How many workers ran at once at most: what `-j` came to (fewer when not all could
    /// start); 1 when the parent counted every job itself; `None` when the run needed no
    /// worker (a plan of streams only, or of nothing).
    pub(super) fn workers_used(&self) -> Option<usize> {
        (self.peak > 0 || self.counted_here).then_some(self.peak.max(1))
    }

    /// The start method the workers were started with (fork falls back to spawn if this
    /// process has a thread of unknown origin when it would fork).
    pub(super) fn method(&self) -> StartMethod {
        self.method
    }

    /// Runs every job; returns when each has been handed to the reducer and every worker has
    /// been reaped. On SIGINT or SIGTERM, every worker is killed and reaped, and the run ends
    /// with [`Interrupted`] (its results are not to be printed).
    pub(super) fn run(&mut self) -> Result<(), Interrupted> {
        if self.schedule.unresolved() == 0 && self.unopened.is_empty() {
            return Ok(());
        }
        if self.method == StartMethod::Forkserver {
            self.start_server();
        }
        let ran = self.run_started();
        if let Some(server) = self.server.take() {
            server.stop();
        }
        ran
    }

    /// Forks the fork server while this is the only thread (or falls back to spawn).
    fn start_server(&mut self) {
        let started = if other_threads() {
            Err(io::Error::other("this process has other threads"))
        } else {
            ForkServer::start(self.me)
        };
        match started {
            Ok(server) => self.server = Some(server),
            Err(e) => {
                diag::warn(format_args!(
                    "cannot start the fork server ({e}): spawning workers instead"
                ));
                self.method = StartMethod::Spawn;
            }
        }
    }

    fn run_started(&mut self) -> Result<(), Interrupted> {
        let signals = match SignalPipe::install() {
            Ok(s) => s,
            Err(e) => {
                self.fail_all(&format!("cannot watch for signals: {e}"));
                return Ok(());
            }
        };
        // The first workers are forked while this is the only thread; merging threads start
        // after them (a worker started later, to retry a job, is then spawned).
        self.start_workers();
        let reducer = self.reducer;
        let (tx, rx) = mpsc::channel::<(usize, Encoded)>();
        let rx = Mutex::new(rx);
        std::thread::scope(|scope| {
            let mut started = 0;
            for i in 0..mergers(self.size) {
                let rx = &rx;
                let merger = std::thread::Builder::new()
                    .name(format!("logcount-merge-{i}"))
                    .spawn_scoped(scope, move || loop {
                        let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok((job, encoded)) = next else { break };
                        encoded.merge(job, reducer);
                    });
                // Fewer merging threads, or none, only make merging slower.
                started += usize::from(merger.is_ok());
            }
            if started > 0 {
                self.merging = Some(tx);
            }
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                while self.stopped.is_none()
                    && (self.schedule.unresolved() > 0
                        || !self.streams.is_empty()
                        || !self.unopened.is_empty())
                {
                    if self.reducer.stopped() {
                        // The results are not wanted any more: end the workers, start nothing.
                        self.fail_all("not counted: the run was stopped");
                        self.streams.clear();
                        self.unopened.clear();
                        break;
                    }
                    self.start_workers();
                    // Opened after the first workers started, so none of them holds it.
                    self.open_streams();
                    if let Err(e) = self.wait_once(&signals) {
                        self.fail_all(&format!("cannot wait for workers: {e}"));
                        break;
                    }
                }
            }));
            // The merging threads end once they have merged every answer (after a panic too,
            // or joining them would wait forever).
            self.merging = None;
            if let Err(panic) = polled {
                std::panic::resume_unwind(panic);
            }
        });
        if self.stopped.is_none() {
            self.finish();
        }
        // A signal that came while the last workers were ending still ends the run.
        let stopped = self.stopped.or_else(|| signals.received());
        drop(signals);
        match stopped {
            Some(sig) => {
                let _ = self.kill_all();
                self.progress.finish();
                Err(Interrupted(sig as i32))
            }
            None => Ok(()),
        }
    }

    /// Polls once and handles what is ready.
    fn wait_once(&mut self, signals: &SignalPipe) -> io::Result<()> {
        let stdin = io::stdin();
        let mut fds = vec![PollFd::new(signals.fd(), PollFlags::POLLIN)];
        for stream in &self.streams {
            let fd = match &stream.from {
                StreamFrom::Stdin => stdin.as_fd(),
                StreamFrom::File(file) => file.as_fd(),
            };
            fds.push(PollFd::new(fd, PollFlags::POLLIN));
        }
        let first_slot = fds.len();
        for slot in &self.slots {
            fds.push(PollFd::new(slot.from.as_fd(), PollFlags::POLLIN));
            if let Some(to) = slot.to.as_ref().filter(|_| slot.sent < slot.outbox.len()) {
                fds.push(PollFd::new(to.as_fd(), PollFlags::POLLOUT));
            }
        }
        match nix::poll::poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<(i32, PollFlags)> = fds
            .iter()
            .map(|f| {
                (
                    f.as_fd().as_raw_fd(),
                    f.revents().unwrap_or(PollFlags::empty()),
                )
            })
            .collect();
        drop(fds);
        if !ready[0].1.is_empty() {
            if let Some(sig) = signals.received() {
                // No worker is left behind; the run ends without a result.
                let _ = self.kill_all();
                self.stopped = Some(sig);
                return Ok(());
            }
        }
        // Backwards, so that a stream done (removed) leaves the indices before it alone.
        for i in (0..first_slot - 1).rev() {
            if !ready[i + 1].1.is_empty() {
                self.read_stream(i, ready[i + 1].1);
            }
        }
        for &(fd, revents) in &ready[first_slot..] {
            if revents.is_empty() {
                continue;
            }
            // Look the slot up by fd: earlier events may have removed slots.
            if let Some(i) = self.slots.iter().position(|s| s.from.as_raw_fd() == fd) {
                self.on_readable(i);
            } else if let Some(i) = self
                .slots
                .iter()
                .position(|s| s.to.as_ref().is_some_and(|t| t.as_raw_fd() == fd))
            {
                let pid = self.slots[i].pid;
                if let Err(e) = self.slots[i].flush() {
                    self.worker_failed(i, format!("worker {pid} stopped reading its jobs ({e})"));
                } else {
                    self.close_if_idle(i);
                }
            }
        }
        Ok(())
    }
}

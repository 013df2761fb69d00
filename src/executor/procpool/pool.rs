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
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, Pid};

use super::forkserver::ForkServer;
use super::schedule::{Death, Held, Schedule};
use super::signal_pipe::SignalPipe;
use super::wire::{self, FrameBuf, Hello, JobSpec, Kind, WireError};
use super::{fork, spawn, StartMethod, WorkerProc};
use crate::diag;
use crate::executor::Interrupted;
use crate::format::{Customs, Format};
use crate::input::{JobCounter, JobError, JobReader, Source, Witness, READ_BUF};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// How long workers get to exit by themselves once their stdin is closed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

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

/// A message from a worker, checked and copied out (so the frame buffer is free again).
enum Message {
    Hello(Hello),
    Progress(u64),
    Done(u32, Result<Encoded, JobError>),
}

fn decode(kind: Kind, payload: &[u8], customs: &Customs) -> Result<Message, WireError> {
    Ok(match kind {
        Kind::Hello => Message::Hello(Hello::decode(payload)?),
        Kind::Progress => Message::Progress(wire::decode_progress(payload)?),
        Kind::Done => {
            let (id, result) = wire::split_done(payload, customs)?;
            let result = result.and_then(|done| {
                // Counts that grew with the input: without the memory to keep them, the job's
                // error, as its sets' would be.
                let copy = |bytes: &[u8]| {
                    let mut v = Vec::new();
                    v.try_reserve_exact(bytes.len())
                        .map_err(|_| crate::input::out_of_memory(0))?;
                    v.extend_from_slice(bytes);
                    Ok::<_, io::Error>(v)
                };
                Ok(Encoded {
                    bytes: done.bytes,
                    malformed: done.malformed,
                    format: done.format,
                    counts: copy(done.encoded)?,
                    layout: done.layout,
                    detail: copy(done.detail)?,
                    shown: done.shown,
                })
            });
            Message::Done(id, result)
        }
        Kind::Jobs => return Err(WireError::Malformed("job batch from a worker")),
    })
}

/// A job's counts as a worker sent them: checked, not yet decoded.
struct Encoded {
    /// Bytes the job counted.
    bytes: u64,
    malformed: u64,
    format: Option<Format>,
    /// The total and keys, in [`crate::counts_encoding`].
    counts: Vec<u8>,
    /// Where their parts lie in `counts`, as checked when they arrived.
    layout: crate::counts_encoding::Layout,
    /// Periods and requests per client ([`crate::counts_encoding::encode_detail`]).
    detail: Vec<u8>,
    /// The first malformed lines (`--show-malformed`).
    shown: crate::count::Shown,
}

impl Encoded {
    /// Decodes the counts (building the job's key sets) and hands them to the reducer; counts
    /// that do not decode are the job's error (never a number).
    fn merge(self, job: usize, reducer: &Reducer<'_>) {
        let counts = wire::decode_counts(
            &self.counts,
            &self.layout,
            &self.detail,
            self.malformed,
            self.format,
            self.shown,
        );
        let result = match counts {
            Ok(counts) => Ok((counts, self.bytes)),
            Err(e) => Err(JobError::Io(std::io::Error::other(format!(
                "a worker sent counts that do not add up: {e}"
            )))),
        };
        reducer.job_done(job, result);
    }
}

/// Workers per merging thread: one thread decoding and merging answers kept up with about
/// four workers (measured on 16 cores: with all of it on the polling thread, throughput stopped
/// growing at `-j 4`).
const WORKERS_PER_MERGER: usize = 4;

/// Threads that decode and merge answers, beside the polling thread, for `workers` workers:
/// none for up to two (the polling thread keeps up, and stays the only thread, so a worker
/// started later can still be forked), then one per [`WORKERS_PER_MERGER`], at most one per CPU.
fn mergers(workers: usize) -> usize {
    if workers <= 2 {
        return 0;
    }
    workers
        .div_ceil(WORKERS_PER_MERGER)
        .min(crate::executor::cpus())
}

/// A stream (standard input, a FIFO, a file whose size reads as 0), counted by the parent: a
/// stream cannot be read again, so a worker dying halfway through it could not be retried
/// without counting half of it twice or losing it. One is open while it is read.
struct StreamJob {
    job: usize,
    counter: JobCounter,
    from: StreamFrom,
}

enum StreamFrom {
    Stdin,
    File(File),
}

/// The most streams open at once. Each holds a descriptor and a counter while it is read, so
/// 100,000 empty files are read a few at a time, as every other executor reads them (they
/// were all opened at once: "Too many open files" past `ulimit -n`, and 4.6 GB: issue 27);
/// a few, so that a FIFO whose writer is slow does not hold up the others.
const OPEN_STREAMS: usize = 16;

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

    /// Starts workers while there is queued work and fewer than `size` can take it; each
    /// gets one batch before any gets a second, so big jobs spread over every worker.
    fn start_workers(&mut self) {
        let mut started = Vec::new();
        while self.fatal.is_none() && self.schedule.has_queued() {
            if self.open_workers() >= self.size {
                break;
            }
            match self.start_worker() {
                Ok(i) => {
                    let batch = self.schedule.take_batch();
                    self.send(i, &batch);
                    started.push(self.slots[i].pid);
                }
                Err(e) if self.open_workers() > 0 => {
                    // Carry on with the workers there are, without trying again and again.
                    self.size = self.open_workers();
                    diag::warn(format_args!(
                        "cannot start another worker ({e}); going on with {}",
                        self.size
                    ));
                    break;
                }
                Err(e) => {
                    // No worker at all (no descriptor to spare, no process left): counted here
                    // rather than failed, without the isolation workers give.
                    diag::warn(format_args!(
                        "cannot start a worker process ({e}): counting in this process instead"
                    ));
                    self.count_here();
                    return;
                }
            }
        }
        for pid in started {
            if let Some(i) = self.index_of(pid) {
                self.feed(i);
            }
        }
    }

    /// Counts every queued job in this process, one after another, as `serial` would.
    fn count_here(&mut self) {
        self.counted_here = true;
        let mut reader = JobReader::new(self.plan.read_mode);
        let progress = self.progress;
        let add = |n| progress.add(n);
        loop {
            let batch = self.schedule.take_batch();
            if batch.is_empty() {
                break;
            }
            for index in batch {
                let job = &self.plan.jobs[index];
                let counted = reader.count(
                    &self.plan.inputs[job.input],
                    job.range.as_ref(),
                    job.fields.clone(),
                    &self.plan.options,
                    &add,
                );
                self.schedule.resolved();
                self.reducer.job_done(index, counted);
            }
        }
    }

    fn open_workers(&self) -> usize {
        self.slots.iter().filter(|s| s.to.is_some()).count()
    }

    fn index_of(&self, pid: Pid) -> Option<usize> {
        self.slots.iter().position(|s| s.pid == pid)
    }

    fn start_worker(&mut self) -> io::Result<usize> {
        let mut method = self.method;
        if method == StartMethod::Fork && other_threads() {
            // Our own merging threads are expected: a retry's worker is spawned, quietly, and
            // the run still reports the method its workers were started with.
            if self.merging.is_none() {
                if !std::mem::replace(&mut self.warned_threads, true) {
                    diag::warn(
                        "this process has other threads, so workers are spawned, not forked",
                    );
                }
                self.method = StartMethod::Spawn;
            }
            method = StartMethod::Spawn;
        }
        let worker = match method {
            StartMethod::Fork => fork::start(self.me)?,
            StartMethod::Spawn => spawn::start(self.me)?,
            StartMethod::Forkserver => match self.server.as_ref().map(ForkServer::worker) {
                Some(Ok(worker)) => worker,
                Some(Err(e)) => {
                    // A server that died or cannot fork: the run goes on with spawned workers.
                    diag::warn(format_args!(
                        "the fork server failed ({e}): spawning workers instead"
                    ));
                    self.method = StartMethod::Spawn;
                    if let Some(server) = self.server.take() {
                        server.stop();
                    }
                    spawn::start(self.me)?
                }
                None => spawn::start(self.me)?,
            },
        };
        let pid = worker.pid;
        match Slot::new(worker) {
            Ok(slot) => {
                self.slots.push(slot);
                self.peak = self.peak.max(self.open_workers());
                Ok(self.slots.len() - 1)
            }
            Err(e) => {
                let _ = kill(pid, Signal::SIGKILL);
                let _ = waitpid(pid, None);
                Err(e)
            }
        }
    }

    /// Tops up worker `i` with batches, then writes what it can.
    fn feed(&mut self, i: usize) {
        while self.slots[i].to.is_some() {
            let open = self.open_workers();
            let Some(batch) = self.schedule.next_batch_for(&self.slots[i].held, open) else {
                break;
            };
            self.send(i, &batch);
        }
        let pid = self.slots[i].pid;
        if let Err(e) = self.slots[i].flush() {
            self.worker_failed(i, format!("worker {pid} stopped reading its jobs ({e})"));
            return;
        }
        self.close_if_idle(i);
    }

    fn send(&mut self, i: usize, batch: &[usize]) {
        let specs: Vec<JobSpec<'_>> = batch
            .iter()
            .map(|&j| {
                let job = &self.plan.jobs[j];
                let input = &self.plan.inputs[job.input];
                let Source::File(path) = &input.source else {
                    unreachable!("standard input is counted by the parent")
                };
                JobSpec {
                    id: j as u32,
                    attempt: self.schedule.attempt(j),
                    path: path.as_os_str().as_bytes(),
                    file_id: input.id,
                    // Regular files are read up to their planned size, as by every executor.
                    size: input.size,
                    range: job.range.clone(),
                    compression: input.compression,
                    claimed: input.claimed,
                    format: input.format,
                    fields: job.fields.as_deref(),
                    witness: input.witness.as_ref().map(Witness::bytes),
                }
            })
            .collect();
        let slot = &mut self.slots[i];
        if let Err(e) = wire::encode_jobs(
            &mut slot.outbox,
            &self.plan.options,
            self.plan.read_mode,
            &specs,
        ) {
            // Only a batch of absurdly long paths could; send them one by one.
            drop(specs);
            if batch.len() > 1 {
                for &j in batch {
                    self.send(i, &[j]);
                }
            } else {
                self.resolve(batch[0], Err(io::Error::other(e).into()));
            }
            return;
        }
        slot.held.sent(batch);
    }

    /// Closes a worker's stdin when nothing is in flight and nothing is queued: it then ends.
    fn close_if_idle(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if slot.held.idle() && !self.schedule.has_queued() && slot.sent == slot.outbox.len() {
            slot.to = None;
        }
    }

    fn on_readable(&mut self, i: usize) {
        let pid = self.slots[i].pid;
        let slot = &mut self.slots[i];
        let n = match slot.inbox.fill_from(&mut &slot.from) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => return self.worker_failed(i, format!("cannot read from worker {pid}: {e}")),
        };
        if n == 0 {
            return self.worker_ended(i);
        }
        loop {
            let slot = &mut self.slots[i];
            let message = match slot.inbox.next_frame() {
                Ok(None) => return,
                Ok(Some((kind, payload))) => decode(kind, payload, &self.plan.options.customs),
                Err(e) => Err(e),
            };
            let message = match message {
                Ok(m) => m,
                Err(e) => return self.worker_failed(i, format!("worker {pid} sent {e}")),
            };
            if !self.handle(i, message) {
                return;
            }
        }
    }

    /// Acts on one message of worker `i`; false when the worker was removed.
    fn handle(&mut self, i: usize, message: Message) -> bool {
        let slot = &mut self.slots[i];
        let pid = slot.pid;
        match message {
            Message::Hello(theirs) if !slot.greeted => {
                if let Some(why) = Hello::ours().mismatch(&theirs) {
                    self.fail_all(&format!("worker {pid} {why}"));
                    return false;
                }
                slot.greeted = true;
            }
            _ if !slot.greeted => {
                self.fail_all(&format!("worker {pid} did not start with a handshake"));
                return false;
            }
            Message::Hello(_) => {
                self.worker_failed(i, format!("worker {pid} sent a second handshake"));
                return false;
            }
            Message::Progress(n) => self.progress.add(n),
            Message::Done(id, result) => {
                if !slot.held.answered(id as usize) {
                    let why = format!("worker {pid} answered job {id}, which it was not counting");
                    self.worker_failed(i, why);
                    return false;
                }
                // Keep the worker busy while this answer is merged.
                self.feed(i);
                self.resolve(id as usize, result);
                return self.slots.get(i).is_some_and(|s| s.pid == pid);
            }
        }
        true
    }

    fn resolve(&mut self, job: usize, result: Result<Encoded, JobError>) {
        self.schedule.resolved();
        match result {
            Ok(encoded) => match &self.merging {
                Some(merging) => {
                    if let Err(mpsc::SendError((job, encoded))) = merging.send((job, encoded)) {
                        // Every merging thread is gone (a panic, re-raised when they are
                        // joined): merge here rather than lose the answer.
                        encoded.merge(job, self.reducer);
                    }
                }
                None => encoded.merge(job, self.reducer),
            },
            Err(e) => self.reducer.job_done(job, Err(e)),
        }
    }

    /// Worker `i` closed its answers pipe: a normal end if it had nothing to do and had been
    /// told so, a death otherwise.
    fn worker_ended(&mut self, i: usize) {
        let slot = &self.slots[i];
        let pid = slot.pid;
        if slot.to.is_none() && slot.held.idle() && !slot.inbox.has_partial() {
            let slot = self.slots.swap_remove(i);
            drop(slot.from);
            let _ = waitpid(pid, None);
            return;
        }
        let what = if slot.inbox.has_partial() {
            "closed its pipe in the middle of a frame and "
        } else {
            ""
        };
        let (status, code) = end_status(pid);
        self.slots[i].reaped = true;
        if let Some(e) = code.and_then(fork::setup_error) {
            // A forked worker that could not set up its pipes (no descriptor to spare): no job
            // of it started. Its jobs go back to the queue and workers are spawned from now on.
            let slot = self.slots.swap_remove(i);
            self.schedule.returned(slot.held);
            if self.method != StartMethod::Spawn {
                self.method = StartMethod::Spawn;
                if let Some(server) = self.server.take() {
                    server.stop();
                }
                diag::warn(format_args!(
                    "a forked worker could not set up its pipes ({e}): spawning workers instead"
                ));
            } else {
                self.fail_all(&format!("worker {pid} could not set up its pipes: {e}"));
            }
            return;
        }
        let why = format!("worker {pid} {what}{status}");
        if self.slots[i].greeted {
            self.worker_failed(i, why);
        } else {
            self.fail_all(&format!("{why} before the handshake"));
        }
    }

    /// Worker `i` cannot be trusted: kill it, retry the job it was counting on a fresh
    /// worker (or fail it if this was its retry), requeue the jobs it had not started.
    fn worker_failed(&mut self, i: usize, why: String) {
        let slot = self.slots.swap_remove(i);
        if !slot.reaped {
            let _ = kill(slot.pid, Signal::SIGKILL);
            let _ = waitpid(slot.pid, None);
        }
        match self.schedule.died(slot.held, why) {
            Death::Nothing => {}
            Death::Failed { job, error } => self.resolve(job, Err(io::Error::other(error).into())),
            Death::Retry { job, why } => match self.start_worker() {
                Ok(fresh) => {
                    self.send(fresh, &[job]);
                    self.slots[fresh].held.retrying = true;
                    self.feed(fresh);
                }
                Err(e) => {
                    let e = format!("{why}, and no fresh worker could be started to retry ({e})");
                    self.resolve(job, Err(io::Error::other(e).into()));
                }
            },
        }
    }

    /// Kills every worker and fails every job not yet resolved with `why`.
    fn fail_all(&mut self, why: &str) {
        self.fatal.get_or_insert_with(|| why.to_owned());
        let mut jobs = self.kill_all();
        jobs.extend(self.schedule.drain_queue());
        for job in jobs {
            self.resolve(job, Err(io::Error::other(why.to_owned()).into()));
        }
    }

    /// Kills and reaps every worker; returns the jobs they had in flight.
    fn kill_all(&mut self) -> Vec<usize> {
        for slot in self.slots.iter().filter(|s| !s.reaped) {
            let _ = kill(slot.pid, Signal::SIGKILL);
        }
        let mut jobs = Vec::new();
        for slot in self.slots.drain(..) {
            if !slot.reaped {
                let _ = waitpid(slot.pid, None);
            }
            jobs.extend(slot.held.into_jobs());
        }
        jobs
    }

    /// Opens the next streams, up to [`OPEN_STREAMS`] open; one that cannot be opened is its
    /// input's error.
    fn open_streams(&mut self) {
        while self.streams.len() < OPEN_STREAMS {
            let Some(job) = self.unopened.pop_front() else {
                break;
            };
            let input = &self.plan.inputs[self.plan.jobs[job].input];
            let from = match &input.source {
                Source::Stdin => StreamFrom::Stdin,
                Source::File(path) => match crate::input::open_file(path, input.id) {
                    Ok(file) => StreamFrom::File(file),
                    Err(e) => {
                        self.reducer.job_done(job, Err(e.into()));
                        continue;
                    }
                },
            };
            self.streams.push(StreamJob {
                job,
                counter: JobCounter::new(input, None, None, &self.plan.options),
                from,
            });
        }
    }

    /// Reads what stream `i` has; at its end (or an error) its job is done.
    fn read_stream(&mut self, i: usize, revents: PollFlags) {
        let stream = &mut self.streams[i];
        let buf = &mut self.stream_buf;
        let outcome = match &stream.from {
            // A closed stdin reads as empty, as `std::io::stdin` has it.
            StreamFrom::Stdin if revents.contains(PollFlags::POLLNVAL) => Ok(0),
            StreamFrom::Stdin => match nix::unistd::read(io::stdin().as_fd(), buf) {
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => return,
                Err(nix::errno::Errno::EBADF) => Ok(0),
                other => other.map_err(io::Error::from),
            },
            StreamFrom::File(file) => match (&*file).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
                other => other,
            },
        };
        let done = match outcome {
            Ok(0) => Some(Ok(())),
            Ok(n) => match stream.counter.feed(&buf[..n]) {
                Ok(counted) => {
                    self.progress.add(counted);
                    stream.counter.done().then_some(Ok(()))
                }
                Err(e) => Some(Err(e)),
            },
            Err(e) => Some(Err(e)),
        };
        if let Some(end) = done {
            let stream = self.streams.remove(i);
            let result = match end {
                Ok(()) => stream.counter.finish(None),
                Err(e) => Err(e.into()),
            };
            self.reducer.job_done(stream.job, result);
        }
    }

    /// Every job is resolved: close the workers' stdin, give them a moment to exit, kill any
    /// that do not, and reap them all.
    fn finish(&mut self) {
        for slot in &mut self.slots {
            slot.to = None;
        }
        let deadline = Instant::now() + EXIT_GRACE;
        while !self.slots.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut fds: Vec<PollFd<'_>> = self
                .slots
                .iter()
                .map(|s| PollFd::new(s.from.as_fd(), PollFlags::POLLIN))
                .collect();
            let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
            match nix::poll::poll(&mut fds, timeout) {
                Ok(0) => break,
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => break,
            }
            let ended: Vec<bool> = fds
                .iter()
                .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            for i in (0..self.slots.len()).rev() {
                if !ended[i] {
                    continue;
                }
                let mut scratch = [0u8; 4096];
                match (&self.slots[i].from).read(&mut scratch) {
                    Ok(0) | Err(_) => {
                        let slot = self.slots.swap_remove(i);
                        let _ = waitpid(slot.pid, None);
                    }
                    Ok(_) => {} // nothing is expected now; drain until the end
                }
            }
        }
        let _ = self.kill_all();
    }
}

/// How a worker that closed its pipe ended, for messages. A worker closes its pipe only by
/// ending, so it is given a moment to finish; one that lingers is killed, so the wait cannot
/// hang.
/// How worker `pid` ended, in words, and its exit code if it exited.
fn end_status(pid: Pid) -> (String, Option<i32>) {
    let described = |status: WaitStatus| {
        let code = match status {
            WaitStatus::Exited(_, code) => Some(code),
            _ => None,
        };
        (describe(status), code)
    };
    for _ in 0..100 {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(2)),
            Ok(status) => return described(status),
            Err(e) => return (format!("ended ({e})"), None),
        }
    }
    let _ = kill(pid, Signal::SIGKILL);
    match waitpid(pid, None) {
        Ok(status) => described(status),
        Err(e) => (format!("ended ({e})"), None),
    }
}

fn describe(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(_, code) => format!("exited with status {code}"),
        WaitStatus::Signaled(_, sig, _) => format!("was killed by {sig}"),
        other => format!("ended ({other:?})"),
    }
}

/// Whether this process has a thread besides the calling one (from /proc/self/stat's
/// thread count; where that cannot be read, assume the worst).
fn other_threads() -> bool {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return true;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
        return true;
    };
    // num_threads is field 20 overall, the 18th after the command name.
    rest.split_whitespace()
        .nth(17)
        .and_then(|n| n.parse::<u32>().ok())
        .is_none_or(|n| n > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_process_sees_its_own_threads() {
        // The test harness runs this on a thread of its own: there is always another.
        let other = std::thread::spawn(other_threads).join().unwrap();
        assert!(other);
    }
}

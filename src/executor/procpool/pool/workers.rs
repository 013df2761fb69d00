//! The workers' lifecycle: started (forked, spawned or by the fork server, falling back to
//! spawning), fed batches of jobs, retried or failed when one dies, and reaped at the end.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::{Pool, Slot};
use crate::diag;
use crate::executor::procpool::forkserver::ForkServer;
use crate::executor::procpool::schedule::Death;
use crate::executor::procpool::wire::{self, JobSpec};
use crate::executor::procpool::{fork, spawn, StartMethod};
use crate::input::{JobReader, Source, Witness};

/// How long workers get to exit by themselves once their stdin is closed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

impl<'a, 'r> Pool<'a, 'r> {
    /// Starts workers while there is queued work and fewer than `size` can take it; each
    /// gets one batch before any gets a second, so big jobs spread over every worker.
    pub(super) fn start_workers(&mut self) {
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
                    self.reducer.shared_keys(index),
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
    pub(super) fn feed(&mut self, i: usize) {
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
    pub(super) fn close_if_idle(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if slot.held.idle() && !self.schedule.has_queued() && slot.sent == slot.outbox.len() {
            slot.to = None;
        }
    }

    /// Worker `i` closed its answers pipe: a normal end if it had nothing to do and had been
    /// told so, a death otherwise.
    pub(super) fn worker_ended(&mut self, i: usize) {
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
    pub(super) fn worker_failed(&mut self, i: usize, why: String) {
        let slot = self.kill_worker(i);
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

    /// Worker `i`'s answer outgrew the memory there is to read it: the job it answers is its
    /// input's out-of-memory error, as its sets' would be (a retry would only fail again),
    /// and the worker goes; the jobs it had not started go back to the queue.
    pub(super) fn answer_outgrew_memory(&mut self, i: usize) {
        let slot = self.kill_worker(i);
        if let Some(job) = self.schedule.gave_up(slot.held) {
            self.resolve(job, Err(crate::input::out_of_memory(0).into()));
        }
    }

    /// Removes worker `i`, killed and reaped (unless it was reaped already).
    fn kill_worker(&mut self, i: usize) -> Slot {
        let slot = self.slots.swap_remove(i);
        if !slot.reaped {
            let _ = kill(slot.pid, Signal::SIGKILL);
            let _ = waitpid(slot.pid, None);
        }
        slot
    }

    /// Kills every worker and fails every job not yet resolved with `why`.
    pub(super) fn fail_all(&mut self, why: &str) {
        self.fatal.get_or_insert_with(|| why.to_owned());
        let mut jobs = self.kill_all();
        jobs.extend(self.schedule.drain_queue());
        for job in jobs {
            self.resolve(job, Err(io::Error::other(why.to_owned()).into()));
        }
    }

    /// Kills and reaps every worker; returns the jobs they had in flight.
    pub(super) fn kill_all(&mut self) -> Vec<usize> {
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

    /// Every job is resolved: close the workers' stdin, give them a moment to exit, kill any
    /// that do not, and reap them all.
    pub(super) fn finish(&mut self) {
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
pub(super) fn other_threads() -> bool {
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

//! What workers send back: frames read and checked, each answer resolved, and its counts merged
//! on the polling thread or, from `-j 3` on, on merging threads (started only after the first
//! workers are forked, see [`mergers`]).

use std::io;
use std::sync::mpsc;

use super::Pool;
use crate::executor::procpool::wire::{self, Hello, Kind, WireError};
use crate::format::{Customs, Format};
use crate::input::JobError;
use crate::reduce::Reducer;

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
pub(super) struct Encoded {
    /// Bytes the job counted.
    bytes: u64,
    malformed: u64,
    format: Option<Format>,
    /// The total and keys, in [`crate::counts_encoding`]'s encoding.
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
    pub(super) fn merge(self, job: usize, reducer: &Reducer<'_>) {
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
pub(super) fn mergers(workers: usize) -> usize {
    if workers <= 2 {
        return 0;
    }
    workers
        .div_ceil(WORKERS_PER_MERGER)
        .min(crate::executor::cpus())
}

impl<'a, 'r> Pool<'a, 'r> {
    pub(super) fn on_readable(&mut self, i: usize) {
        let pid = self.slots[i].pid;
        let slot = &mut self.slots[i];
        let n = match slot.inbox.fill_from(&mut &slot.from) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
                return self.answer_outgrew_memory(i)
            }
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

    pub(super) fn resolve(&mut self, job: usize, result: Result<Encoded, JobError>) {
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
}

//! The async executor: a tokio runtime schedules the jobs (at most `-j` files open at once) and
//! does every read that would wait for the disk, while counting threads count each buffer as
//! soon as it is read.
//!
//! Each job in flight owns [`BUFS_PER_JOB`] buffers of [`BUF`] bytes: while one is counted the
//! next is being read. A job never holds more buffers than that, whatever the size of its file
//! or of its lines (the counting core carries at most a key across buffer edges), so memory is
//! bounded by `-j` × `BUFS_PER_JOB` × `BUF` plus the key sets.
//!
//! A regular file's job of at least [`crate::input::MIN_MAP`] bytes is counted from a memory map
//! instead (unless `--no-mmap`): its counting thread asks `mincore` whether the next piece is
//! in the page cache, counts it in place if so, and otherwise has a blocking thread touch its
//! pages first; counted pieces are released, so a map holds about one piece.
//!
//! Reading: Linux has no readiness-based I/O for files, so a file read either finds its bytes
//! in the page cache, and is then a memory copy, or waits for the disk. A job's counting thread
//! first tries `preadv2(RWF_NOWAIT)`, which copies the bytes if the page cache has them and
//! fails rather than wait; a read that would wait goes to the runtime's blocking threads, and
//! the counting thread meanwhile counts the buffer it already has, or another job's. Handing
//! every buffer to another thread instead cost two wake-ups per buffer and a third busy thread:
//! 0.76× the speed of `threads` on 2 cores (docs/async-reader.md).
//!
//! Counting: `min(-j, CPUs)` counting threads ("lanes"), each with its own channel. A job stays
//! on one lane from start to end, so its state and key set stay on one thread; a lane with
//! several jobs counts whichever has bytes, and sleeps when none has. The runtime's thread
//! never counts: counting, gzip decompression and merging key sets into the [`Reducer`] run on
//! the lanes.

mod open;

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::{Executor, Interrupted, Workers};
use crate::diag;
use crate::input::{JobCounter, JobError, Witness, MAP_PIECE};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;
use open::{OpenInput, Opening};

/// Size of one read buffer: big enough that a read costs little next to counting it, small
/// enough to stay in cache between the read and the count.
pub(crate) const BUF: usize = 256 * 1024;

/// Buffers per job in flight: one being read while another is counted.
pub(crate) const BUFS_PER_JOB: usize = 2;

/// Reads up to `-j` files at once with a tokio runtime, counting on at most as many threads as
/// there are CPUs.
#[derive(Clone, Debug)]
pub(crate) struct AsyncReader {
    /// Jobs (open files) in flight at most.
    files: Workers,
    /// Threads counting buffers.
    counters: usize,
    /// Whether opens and reads that cannot wait are done in place (always, but for tests of
    /// the path that waits).
    nowait: bool,
}

impl AsyncReader {
    pub(crate) fn new(files: usize) -> AsyncReader {
        let files = Workers::new(files);
        AsyncReader {
            counters: files.asked().min(super::cpus()),
            files,
            nowait: true,
        }
    }

    /// The same, but every open and read goes to a blocking thread, as on a cold disk.
    #[cfg(test)]
    fn always_waiting(files: usize) -> AsyncReader {
        AsyncReader {
            nowait: false,
            ..AsyncReader::new(files)
        }
    }
}

impl Executor for AsyncReader {
    fn name(&self) -> &'static str {
        "async"
    }

    fn jobs(&self) -> usize {
        self.files.get()
    }

    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted> {
        // The calling thread drives the runtime: it only schedules jobs and opens files (in
        // place when the kernel has the path cached, else on blocking threads), so the runtime
        // needs no thread of its own.
        self.files.used(self.files.asked().min(plan.jobs.len()));
        let fall_back = |e: &dyn std::fmt::Display| {
            self.files.used(1);
            diag::warn(format_args!(
                "cannot start the async reader ({e}); counting serially"
            ));
            super::Serial.run(plan, reducer, progress)
        };
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .thread_name("logcount-io")
            // Blocking threads are kept: see the warm-up below.
            .thread_keep_alive(std::time::Duration::from_secs(365 * 86_400))
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return fall_back(&e),
        };
        let io = runtime.handle();
        // tokio panics ("OS can't spawn worker thread") when a blocking read finds no thread
        // and none can start (issue 27): one is started here, where failing is a fall-back,
        // and kept for the run. A plain thread first, as tokio would start it, so that a
        // system that starts none says so without a panic's message.
        if let Err(e) = std::thread::Builder::new().spawn(|| ()).map(|t| t.join()) {
            return fall_back(&e);
        }
        let warm = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(io.spawn_blocking(|| ()))
        }));
        if !matches!(warm, Ok(Ok(()))) {
            return fall_back(&"no thread for blocking reads could start");
        }
        let buffers = Buffers::default();
        std::thread::scope(|scope| {
            let mut lanes = Vec::with_capacity(self.counters);
            for i in 0..self.counters {
                let (tx, rx) = mpsc::channel();
                let lane = Lane {
                    tx,
                    active: Arc::new(AtomicUsize::new(0)),
                };
                let work = LaneWork {
                    me: lane.tx.clone(),
                    active: Arc::clone(&lane.active),
                    io,
                    buffers: &buffers,
                    reducer,
                    progress,
                    among_threads: self.counters > 1,
                };
                let spawned = std::thread::Builder::new()
                    .name(format!("logcount-count-{i}"))
                    .spawn_scoped(scope, move || work.run(rx));
                match spawned {
                    Ok(_) => lanes.push(lane),
                    Err(e) if lanes.is_empty() => return fall_back(&e),
                    Err(_) => break, // fewer counting threads than asked for still work
                }
            }
            // Tells every lane, however this ends (a panic included), that no job will follow,
            // so that the scope's join cannot wait forever.
            let lanes = Closing(lanes);
            runtime.block_on(dispatch(
                plan,
                reducer,
                self.files.asked(),
                self.nowait,
                &lanes.0,
            ));
            Ok(())
        })
    }
}

/// The way to one counting thread.
struct Lane {
    tx: mpsc::Sender<Msg>,
    /// Jobs currently on this lane.
    active: Arc<AtomicUsize>,
}

/// The lanes, told to close once dropped.
struct Closing(Vec<Lane>);

impl Drop for Closing {
    fn drop(&mut self) {
        for lane in &self.0 {
            // A lane that is gone already needs no telling.
            let _ = lane.tx.send(Msg::Close);
        }
    }
}

/// Starts every job of `plan`, biggest first, at most `files` at once (until the reducer has
/// stopped): opens its input (on a blocking thread if that could wait) and hands it to the
/// least busy lane, with the slot it frees when done. Opening on a blocking thread every time cost about 1 ms per job in
/// wake-ups on 2 busy cores (docs/async-reader.md).
async fn dispatch(plan: &Plan, reducer: &Reducer<'_>, files: usize, nowait: bool, lanes: &[Lane]) {
    let slots = Arc::new(Semaphore::new(files));
    let mut opening = JoinSet::new();
    for index in plan.biggest_first() {
        let slot = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        if reducer.stopped() {
            break;
        }
        while let Some(done) = opening.try_join_next() {
            reraise(done);
        }
        let lane = lanes
            .iter()
            .min_by_key(|l| l.active.load(Ordering::Relaxed))
            .expect("at least one lane");
        lane.active.fetch_add(1, Ordering::Relaxed);
        let job = &plan.jobs[index];
        let input = &plan.inputs[job.input];
        let how = Opening::new(input, job.range.as_ref(), nowait, plan.read_mode);
        let counter = JobCounter::new(
            input,
            job.range.as_ref(),
            job.fields.clone(),
            reducer.shared_keys(index),
            &plan.options,
        );
        let start = move |opened| {
            Msg::Start(Box::new(Start {
                job: index,
                opened,
                counter,
                slot,
            }))
        };
        // A lane that is gone died in a panic, which the scope re-raises.
        match how.now() {
            Some(opened) => drop(lane.tx.send(start(opened))),
            None => {
                let tx = lane.tx.clone();
                opening.spawn_blocking(move || drop(tx.send(start(how.wait()))));
            }
        }
    }
    while let Some(done) = opening.join_next().await {
        reraise(done);
    }
}

/// A task's panic is a bug: carry it on to the calling thread.
fn reraise(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if let Ok(panic) = e.try_into_panic() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Read buffers shared by all jobs, so that a run over many small files does not allocate (and
/// zero) fresh buffers for each. It never holds more than the jobs in flight could use at once.
#[derive(Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self, n: usize) -> Vec<Vec<u8>> {
        let mut free = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let reused = free.len().saturating_sub(n);
        let mut bufs: Vec<Vec<u8>> = free.drain(reused..).collect();
        drop(free);
        bufs.resize_with(n, || vec![0u8; BUF]);
        bufs
    }

    fn give_back(&self, bufs: Vec<Vec<u8>>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(bufs);
    }
}

/// What a counting thread is told.
enum Msg {
    /// A job to count.
    Start(Box<Start>),
    /// A piece of a map brought into memory on a blocking thread: the job's reader comes back.
    Touched { job: usize, reader: OpenInput },
    /// A read that had to wait for the disk, done on a blocking thread: the job's reader comes
    /// back with it.
    Read {
        job: usize,
        reader: OpenInput,
        buf: Vec<u8>,
        n: io::Result<usize>,
    },
    /// No more jobs will come: end once the jobs at hand are done.
    Close,
}

/// A job handed to a lane.
struct Start {
    job: usize,
    /// The open input and the witness it is checked against once counted, or why it could
    /// not be opened.
    opened: io::Result<(OpenInput, Option<Witness>)>,
    counter: JobCounter,
    /// The job's place among the `-j` files open at once, given back when its file is closed.
    slot: OwnedSemaphorePermit,
}

/// What a counting thread works with.
struct LaneWork<'a, 'r> {
    /// This lane's own channel, for reads done elsewhere to come back on.
    me: mpsc::Sender<Msg>,
    active: Arc<AtomicUsize>,
    io: &'a Handle,
    buffers: &'a Buffers,
    reducer: &'a Reducer<'r>,
    progress: &'a Progress,
    /// Other lanes count at the same time (maps are then given back in bigger steps).
    among_threads: bool,
}

impl LaneWork<'_, '_> {
    /// Counts the jobs sent to this lane until told to close and every job is done.
    fn run(self, rx: mpsc::Receiver<Msg>) {
        let mut jobs: Vec<LaneJob> = Vec::new();
        let mut closing = false;
        loop {
            // Work on a job whose reader is at hand: it reads and counts until it must wait for
            // the disk or is done.
            if let Some(at) = jobs.iter().position(|j| j.reader.is_some()) {
                if jobs[at].step(&self) {
                    let job = jobs.swap_remove(at);
                    self.finish(job);
                }
                // Take what came meanwhile, without waiting.
                while let Ok(msg) = rx.try_recv() {
                    closing |= self.take(msg, &mut jobs);
                }
                continue;
            }
            if closing && jobs.is_empty() {
                break;
            }
            // Every job waits for the disk, or there is none: sleep until something comes.
            // (`recv` cannot fail: this lane holds a sender to itself.)
            match rx.recv() {
                Ok(msg) => closing |= self.take(msg, &mut jobs),
                Err(_) => break,
            }
        }
    }

    /// Takes a message in; true for [`Msg::Close`].
    fn take(&self, msg: Msg, jobs: &mut Vec<LaneJob>) -> bool {
        match msg {
            Msg::Start(start) => {
                let Start {
                    job,
                    opened,
                    counter,
                    slot,
                } = *start;
                match opened {
                    Ok((reader, witness)) => jobs.push(LaneJob {
                        job,
                        counter,
                        reader: Some(reader),
                        witness,
                        free: self.buffers.take(BUFS_PER_JOB),
                        filled: VecDeque::with_capacity(BUFS_PER_JOB),
                        end: false,
                        ended_at: None,
                        failed: None,
                        slot,
                    }),
                    Err(e) => {
                        // The lane is less busy before the slot it frees wakes the dispatcher.
                        self.active.fetch_sub(1, Ordering::Relaxed);
                        drop(slot);
                        self.reducer.job_done(job, Err(e.into()));
                    }
                }
            }
            Msg::Read {
                job,
                reader,
                buf,
                n,
            } => {
                if let Some(j) = jobs.iter_mut().find(|j| j.job == job) {
                    j.reader = Some(reader);
                    j.read_done(buf, n);
                }
            }
            Msg::Touched { job, mut reader } => {
                if let Some(j) = jobs.iter_mut().find(|j| j.job == job) {
                    if let OpenInput::Mapped(m) = &mut reader {
                        m.touched = true;
                    }
                    j.reader = Some(reader);
                }
            }
            Msg::Close => return true,
        }
        false
    }

    /// Closes a finished job's file, frees its slot and buffers, and reports it.
    fn finish(&self, job: LaneJob) {
        let LaneJob {
            job,
            counter,
            reader,
            mut free,
            filled,
            mut failed,
            ended_at,
            slot,
            witness,
            ..
        } = job;
        if let (None, Some(w), Some(file)) =
            (&failed, witness, reader.as_ref().and_then(OpenInput::file))
        {
            failed = w.check(file).err();
        }
        drop(reader);
        free.extend(filled.into_iter().map(|(buf, _)| buf));
        self.buffers.give_back(free);
        // The next job should come to this lane, which is about to be free, and not queue
        // behind a busy one: so the lane counts as less busy before the slot it frees wakes
        // the dispatcher (the semaphore orders the two), and before reporting, which may take
        // a while (merging the key set). Freeing the slot first sent every few runs a job to
        // the busy lane and left this one idle for 10–15 ms.
        self.active.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
        let result = match failed {
            Some(e) => Err(JobError::Io(e)),
            None => counter.finish(ended_at),
        };
        self.reducer.job_done(job, result);
    }
}

/// A job on a lane.
struct LaneJob {
    job: usize,
    counter: JobCounter,
    /// `None` while a read is out on a blocking thread.
    reader: Option<OpenInput>,
    /// Checked once the job is counted (a file rewritten meanwhile is its error).
    witness: Option<Witness>,
    /// Buffers to read into.
    free: Vec<Vec<u8>>,
    /// Buffers read and not yet counted, in file order, with their lengths.
    filled: VecDeque<(Vec<u8>, usize)>,
    /// The input has no more bytes.
    end: bool,
    /// Where a file read by position ended.
    ended_at: Option<u64>,
    failed: Option<io::Error>,
    slot: OwnedSemaphorePermit,
}

impl LaneJob {
    /// Whether more bytes are wanted: not at the end, no error, and the range not complete.
    fn wants_bytes(&self) -> bool {
        !self.end && self.failed.is_none() && !self.counter.done()
    }

    /// Reads ahead into every free buffer, then counts the oldest buffer read, until a read
    /// must wait for the disk (it is then sent to a blocking thread with the reader) or the job
    /// is done. Returns true when the job is done.
    fn step(&mut self, work: &LaneWork<'_, '_>) -> bool {
        if matches!(self.reader, Some(OpenInput::Mapped(_))) && !self.step_map(work) {
            return false;
        }
        loop {
            while self.wants_bytes() {
                let (Some(reader), Some(mut buf)) = (self.reader.as_mut(), self.free.pop()) else {
                    break;
                };
                match reader.read_cached(&mut buf) {
                    Some(n) => self.read_done(buf, Ok(n)),
                    None => {
                        self.read_elsewhere(buf, work);
                        break;
                    }
                }
            }
            let Some((buf, n)) = self.filled.pop_front() else {
                break;
            };
            if self.failed.is_none() {
                match self.counter.feed(&buf[..n]) {
                    Ok(counted) => work.progress.add(counted),
                    Err(e) => self.failed = Some(e),
                }
            }
            self.free.push(buf);
        }
        // Nothing left to count and the reader at hand: no more bytes are wanted.
        self.reader.is_some()
    }

    /// Counts a mapped job in place, a piece at a time, while its pages are in memory; a piece
    /// that is not goes to a blocking thread to be brought in, with the reader (false: it is
    /// not at hand). Once the job needs no more of the map, the reader reads on from its end
    /// (for a line still being written at the planned size), or the job fails if pages of the
    /// map were lost to a truncation.
    fn step_map(&mut self, work: &LaneWork<'_, '_>) -> bool {
        loop {
            let wants = self.wants_bytes();
            let Some(OpenInput::Mapped(m)) = self.reader.as_mut() else {
                return true;
            };
            let len = m.map.bytes().len();
            if !wants || m.pos == len {
                let Some(OpenInput::Mapped(m)) = self.reader.take() else {
                    unreachable!("a map at hand");
                };
                let (reader, failed) = (*m).read_on();
                self.reader = Some(reader);
                if let Some(e) = failed {
                    self.failed = Some(e);
                }
                return true;
            }
            let piece = m.pos..(m.pos + MAP_PIECE).min(len);
            let ready = std::mem::take(&mut m.touched) || m.nowait && m.map.resident(piece.clone());
            if !ready {
                let reader = self.reader.take().expect("the reader is at hand");
                let back = work.me.clone();
                let job = self.job;
                work.io.spawn_blocking(move || {
                    if let OpenInput::Mapped(m) = &reader {
                        m.map.touch(piece);
                    }
                    let _ = back.send(Msg::Touched { job, reader });
                });
                return false;
            }
            match self.counter.feed(&m.map.bytes()[piece.clone()]) {
                Ok(counted) => work.progress.add(counted),
                Err(e) => self.failed = Some(e),
            }
            m.pos = piece.end;
            m.map.counted(piece.end, work.among_threads);
        }
    }

    /// Takes in the result of a read.
    fn read_done(&mut self, buf: Vec<u8>, n: io::Result<usize>) {
        match n {
            Ok(0) => {
                self.free.push(buf);
                self.end = true;
                self.ended_at = self.reader.as_ref().and_then(OpenInput::ended_at);
            }
            Ok(n) => self.filled.push_back((buf, n)),
            Err(e) => {
                self.free.push(buf);
                self.failed = Some(e);
            }
        }
    }

    /// Sends the next read, which would wait for the disk, to a blocking thread with the
    /// reader; the result comes back on the lane's channel.
    fn read_elsewhere(&mut self, mut buf: Vec<u8>, work: &LaneWork<'_, '_>) {
        let mut reader = self.reader.take().expect("the reader is at hand");
        let back = work.me.clone();
        let job = self.job;
        work.io.spawn_blocking(move || {
            // `OpenInput::read` does not panic, so the lane always hears back.
            let n = reader.read(&mut buf);
            let _ = back.send(Msg::Read {
                job,
                reader,
                buf,
                n,
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::gzip;

    /// Every file's counts and errors, and the union, from running `executor` on `plan`.
    fn answer(executor: &dyn Executor, plan: &Plan) -> (Vec<String>, Vec<String>, u64) {
        let reducer = Reducer::new(plan, |_| std::ops::ControlFlow::Continue(()));
        executor.run(plan, &reducer, &Progress::hidden()).unwrap();
        let results = reducer.finish();
        let files = results
            .files
            .iter()
            .map(|f| {
                let (path, total, ip, bytes, bad) = (&f.path, f.total, f.ip, f.bytes, f.malformed);
                format!("{path} {total} {ip} {bytes} {bad} {:?}", f.format)
            })
            .collect();
        let errors = results.errors.iter().map(|e| e.path.clone()).collect();
        (files, errors, results.union_ip)
    }

    #[test]
    fn reads_that_wait_give_the_same_answers_as_serial() {
        // Files of several buffers, cut into ranges or not, plain and gzip, one missing: every
        // open and read goes to a blocking thread and comes back to the lane, in order.
        let dir = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        for i in 0..60_000u32 {
            let key = match i % 7 {
                0 => format!("10.{}.{}.{}", i % 3, i % 251, i % 13),
                1 => format!("  host-{}-with-a-long-name.example.org,", i % 977),
                2 => String::new(),
                _ => format!("2001:db8::{:x}", i % 4099),
            };
            lines.push(format!("{key} - - [x] \"GET / HTTP/1.1\" 200 {i}\n"));
        }
        let text = lines.concat().into_bytes();
        assert!(text.len() > 6 * BUF);
        std::fs::write(dir.path().join("a.log"), &text).unwrap();
        std::fs::write(dir.path().join("b.log"), &text[..text.len() / 3 + 17]).unwrap();
        std::fs::write(dir.path().join("c.log.gz"), gzip(&text)).unwrap();
        std::fs::write(dir.path().join("d.log"), b"1.2.3.4 - - [x] \"GET /\" 200 1").unwrap();
        let args = [dir.path().to_path_buf(), dir.path().join("missing.log")];
        for chunk in [None, Some(BUF as u64 / 3), Some(BUF as u64 * 2 + 5)] {
            let settings = crate::plan::Settings {
                chunk_size: chunk,
                ..crate::plan::Settings::default()
            };
            let plan = Plan::new(&args, &settings);
            let want = answer(&crate::executor::Serial, &plan);
            assert_eq!(want.0.len(), 4);
            assert_eq!(want.1, [args[1].to_string_lossy()]);
            for files in [1, 2, 3, 8] {
                for reader in [AsyncReader::new(files), AsyncReader::always_waiting(files)] {
                    let got = answer(&reader, &plan);
                    assert_eq!(got, want, "{reader:?}, chunk {chunk:?}");
                }
            }
        }
    }
}

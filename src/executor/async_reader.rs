//! The async executor: a tokio runtime reads files in fixed-size buffers, at most `-j` files
//! open at once, and counting threads count each buffer as soon as it arrives.
//!
//! Each job in flight owns [`BUFS_PER_JOB`] buffers of [`BUF`] bytes that go round: a read
//! fills a free one, it is sent to the job's counting thread, counted, and sent back. Reading
//! the next buffer overlaps counting the last one, and a job never holds more buffers than
//! that, whatever the size of its file or of its lines (the counting core carries at most a
//! key across buffer edges). Memory is therefore bounded by `-j` × `BUFS_PER_JOB` × `BUF`
//! plus the key sets, and the channels between the two sides are bounded too.
//!
//! Reading: Linux has no readiness-based I/O for files, so `tokio::fs` sends every read to a
//! blocking thread. Here a runtime thread first tries `preadv2(RWF_NOWAIT)`, which copies the
//! bytes at once if the page cache has them and fails rather than wait for the disk; only reads
//! that would wait go to tokio's blocking threads. The runtime's threads never count: counting,
//! gzip decompression and merging key sets into the [`Reducer`] run on the counting threads.
//!
//! Counting: `min(-j, CPUs)` threads, each fed by a bounded channel (a "lane"). A job stays on
//! one lane from start to end, so its state and key set stay on one thread, and a counting
//! thread that waits for bytes sleeps instead of spinning (a rayon task per buffer spun in
//! `sched_yield` between buffers; `spawn_blocking` per buffer was slower still: README, Async
//! reader).

use std::fs::File;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use super::Executor;
use crate::count::{Counter, Counts, OwnedLines};
use crate::input::{self, Input, Source};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// Size of one read buffer: big enough that a hand-over costs little next to counting it,
/// small enough to stay in cache between the read and the count.
pub const BUF: usize = 256 * 1024;

/// Buffers per job in flight: one being read while another is counted.
pub const BUFS_PER_JOB: usize = 2;

/// Counting threads one runtime thread can keep fed from the page cache: copying a buffer out
/// of it costs about a third of counting it (profiled on 8 × 146 MB). A single reading thread
/// would cap the whole run at its copying speed, about 6–7 GB/s here.
const COUNTERS_PER_READER: usize = 3;

/// Reads up to `-j` files at once on a tokio runtime, counting on at most as many threads as
/// there are CPUs.
#[derive(Clone, Copy, Debug)]
pub struct AsyncReader {
    /// Jobs (open files) in flight.
    files: usize,
    /// Threads counting buffers.
    counters: usize,
    /// The runtime's worker threads, which issue the reads.
    readers: usize,
}

impl AsyncReader {
    pub fn new(files: usize) -> AsyncReader {
        let files = files.max(1);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let counters = files.min(cpus);
        AsyncReader {
            files,
            counters,
            readers: counters.div_ceil(COUNTERS_PER_READER),
        }
    }
}

impl Executor for AsyncReader {
    fn name(&self) -> &'static str {
        "async"
    }

    fn jobs(&self) -> usize {
        self.files
    }

    fn default_chunk_size(&self) -> Option<u64> {
        Some(super::threads::DEFAULT_CHUNK)
    }

    fn run(&self, plan: &Plan, reducer: &Reducer<'_>, progress: &Progress) {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.readers)
            .thread_name("logcount-io")
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return fall_back(e, plan, reducer, progress),
        };
        std::thread::scope(|scope| {
            let mut lanes = Vec::with_capacity(self.counters);
            for i in 0..self.counters {
                // Never full: a lane holds at most a start, the buffers and an end per job.
                let (tx, rx) = mpsc::channel((BUFS_PER_JOB + 2) * self.files);
                let spawned = std::thread::Builder::new()
                    .name(format!("logcount-count-{i}"))
                    .spawn_scoped(scope, move || count_lane(rx, reducer, progress));
                match spawned {
                    Ok(_) => lanes.push(Lane {
                        tx,
                        active: AtomicUsize::new(0),
                    }),
                    Err(e) if lanes.is_empty() => return fall_back(e, plan, reducer, progress),
                    Err(_) => break, // fewer counting threads than asked for still work
                }
            }
            let lanes: Arc<[Lane]> = lanes.into();
            runtime.block_on(read_jobs(plan, self.files, lanes));
            // The lanes' senders are gone: the counting threads end once they are done.
        });
    }
}

fn fall_back(e: impl std::fmt::Display, plan: &Plan, reducer: &Reducer<'_>, progress: &Progress) {
    crate::app::warn(format_args!(
        "cannot start the async reader ({e}); counting serially"
    ));
    super::Serial.run(plan, reducer, progress)
}

/// The way to one counting thread.
struct Lane {
    tx: mpsc::Sender<Msg>,
    /// Jobs currently on this lane.
    active: AtomicUsize,
}

/// Runs every job of `plan` as a task on the runtime, at most `files` at once.
async fn read_jobs(plan: &Plan, files: usize, lanes: Arc<[Lane]>) {
    let slots = Arc::new(Semaphore::new(files));
    let buffers = Arc::new(Buffers::default());
    let mut tasks = JoinSet::new();
    for index in plan.biggest_first() {
        let slot = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        while let Some(done) = tasks.try_join_next() {
            reraise(done);
        }
        let job = &plan.jobs[index];
        let input = plan.inputs[job.input].clone();
        let range = job.range.clone();
        let lanes = Arc::clone(&lanes);
        let buffers = Arc::clone(&buffers);
        tasks.spawn(async move {
            read_job(index, &input, range.as_ref(), &lanes, &buffers).await;
            drop(slot);
        });
    }
    while let Some(done) = tasks.join_next().await {
        reraise(done);
    }
}

/// Read buffers shared by all jobs, so that a run over many small files does not allocate (and
/// zero) fresh buffers for each. It never holds more than the jobs in flight could use at once.
#[derive(Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self) -> Vec<u8> {
        let free = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        free.unwrap_or_else(|| vec![0u8; BUF])
    }

    fn give_back(&self, bufs: Vec<Vec<u8>>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(bufs);
    }
}

/// A reading task's panic is a bug: carry it on to the calling thread.
fn reraise(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if let Ok(panic) = e.try_into_panic() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// What the runtime tells a counting thread about a job.
enum Msg {
    /// A job starts: its counting state, and where to hand its buffers back.
    Start {
        job: usize,
        sink: Sink,
        back: mpsc::Sender<Returned>,
    },
    /// The next `n` bytes of the job, in `buf`.
    Feed { job: usize, buf: Vec<u8>, n: usize },
    /// The job has no more bytes, or could not read them: report it to the reducer.
    End {
        job: usize,
        error: Option<io::Error>,
    },
}

/// A buffer handed back once counted.
struct Returned {
    buf: Vec<u8>,
    /// The job needs no more bytes: its range is complete, or counting failed.
    stop: bool,
}

/// A job being counted on a lane.
struct Active {
    job: usize,
    sink: Sink,
    back: mpsc::Sender<Returned>,
    failed: Option<io::Error>,
}

/// A counting thread: feeds each job's buffers to its sink in order, then hands the job's
/// result to the reducer. Runs until the runtime drops its sender.
fn count_lane(mut rx: mpsc::Receiver<Msg>, reducer: &Reducer<'_>, progress: &Progress) {
    let mut jobs: Vec<Active> = Vec::new();
    let find = |jobs: &[Active], job| jobs.iter().position(|a| a.job == job);
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            Msg::Start { job, sink, back } => jobs.push(Active {
                job,
                sink,
                back,
                failed: None,
            }),
            Msg::Feed { job, buf, n } => {
                let Some(at) = find(&jobs, job) else { continue };
                let a = &mut jobs[at];
                if a.failed.is_none() && !a.sink.done() {
                    match a.sink.feed(&buf[..n]) {
                        Ok(done) => progress.add(done),
                        Err(e) => a.failed = Some(e),
                    }
                }
                let stop = a.failed.is_some() || a.sink.done();
                // The job's reader may have stopped listening: the buffer is then dropped.
                let _ = a.back.try_send(Returned { buf, stop });
                if rx.len() <= 1 {
                    // The lane is nearly dry and the buffer just handed back woke the reader,
                    // which needs a CPU to refill it. When the counting threads fill every
                    // core, the scheduler would let this one run out its time slice first
                    // (a millisecond or more) and the lanes would drain waiting: yield now.
                    std::thread::yield_now();
                }
            }
            Msg::End { job, error } => {
                let Some(at) = find(&jobs, job) else { continue };
                let a = jobs.swap_remove(at);
                let result = match a.failed.or(error) {
                    Some(e) => Err(e),
                    None => a.sink.finish(),
                };
                reducer.job_done(job, result);
            }
        }
    }
}

/// Runs one job: picks the least busy lane, reads the job's bytes into it, and ends the job
/// there (with the read error, if any).
async fn read_job(
    index: usize,
    input: &Input,
    range: Option<&Range<u64>>,
    lanes: &[Lane],
    buffers: &Buffers,
) {
    let lane = lanes
        .iter()
        .min_by_key(|l| l.active.load(Ordering::Relaxed))
        .expect("at least one lane");
    lane.active.fetch_add(1, Ordering::Relaxed);
    let error = feed_lane(input, range, index, lane, buffers).await.err();
    // A closed lane means its thread died (a panic, re-raised when the scope ends).
    let _ = lane.tx.send(Msg::End { job: index, error }).await;
    lane.active.fetch_sub(1, Ordering::Relaxed);
}

/// Reads a job's bytes into free buffers and sends them to `lane`, until the input ends or the
/// lane says it needs no more. Returns once the file is closed and every buffer is back, so a
/// job in flight is at most one open file and `BUFS_PER_JOB` buffers.
async fn feed_lane(
    input: &Input,
    range: Option<&Range<u64>>,
    job: usize,
    lane: &Lane,
    buffers: &Buffers,
) -> io::Result<()> {
    let lost = || io::Error::other("counting thread stopped");
    let (back, mut returned) = mpsc::channel(BUFS_PER_JOB);
    let sink = Sink::new(input, range);
    lane.tx
        .send(Msg::Start { job, sink, back })
        .await
        .map_err(|_| lost())?;
    let mut reader = Reader::open(input, range).await?;
    let mut free: Vec<Vec<u8>> = Vec::with_capacity(BUFS_PER_JOB);
    let mut taken = 0;
    let mut out = 0;
    let result = loop {
        let mut stop = false;
        while let Ok(r) = returned.try_recv() {
            out -= 1;
            stop |= r.stop;
            free.push(r.buf);
        }
        let mut buf = match free.pop() {
            Some(buf) => buf,
            None if taken < BUFS_PER_JOB => {
                taken += 1;
                buffers.take()
            }
            None => {
                let r = returned.recv().await.ok_or_else(lost)?;
                out -= 1;
                stop |= r.stop;
                r.buf
            }
        };
        if stop {
            free.push(buf);
            break Ok(());
        }
        // Bytes already in the page cache are read right here; anything that would wait for
        // the disk is read on a blocking thread, so the runtime never blocks.
        let (buf, n) = match reader.read_cached(&mut buf) {
            Some(n) => (buf, Ok(n)),
            None => {
                let read = tokio::task::spawn_blocking(move || {
                    let n = reader.read(&mut buf);
                    (reader, buf, n)
                });
                let (back, buf, n) = read.await.map_err(io::Error::other)?;
                reader = back;
                (buf, n)
            }
        };
        match n {
            Err(e) => {
                free.push(buf);
                break Err(e);
            }
            Ok(0) => {
                free.push(buf);
                break reader.check_end();
            }
            Ok(n) => {
                lane.tx
                    .send(Msg::Feed { job, buf, n })
                    .await
                    .map_err(|_| lost())?;
                out += 1;
            }
        }
    };
    drop(reader);
    while out > 0 {
        free.push(returned.recv().await.ok_or_else(lost)?.buf);
        out -= 1;
    }
    buffers.give_back(free);
    result
}

/// An open input.
enum Reader {
    Stdin,
    /// A file; `at` is the offset of the next read for a regular file (read with `pread`), or
    /// `None` for a pipe named on the command line (read in sequence).
    File {
        file: File,
        at: Option<u64>,
        /// Whether reads that must not wait for the disk are worth trying.
        nowait: bool,
        /// The planned end of a positional read: a file ending before it shrank under us.
        end: Option<u64>,
    },
}

impl Reader {
    /// Opens an input on a blocking thread, positioned where its job starts reading.
    async fn open(input: &Input, range: Option<&Range<u64>>) -> io::Result<Reader> {
        let path = match &input.source {
            Source::Stdin => return Ok(Reader::Stdin),
            Source::File(path) => path.clone(),
        };
        // Regular files are read by position up to their planned size (a snapshot appends
        // cannot tear); `.gz` files and FIFOs as streams.
        let range = input::job_range(input, range);
        let id = input.id;
        tokio::task::spawn_blocking(move || {
            let file = input::open_file(&path, id)?;
            let at = range.as_ref().map(|r| OwnedLines::from(r.start));
            Ok(Reader::File {
                file,
                at,
                nowait: at.is_some() && cfg!(target_os = "linux"),
                end: range.map(|r| r.end),
            })
        })
        .await
        .map_err(io::Error::other)?
    }

    /// At the end of a file: an error if it ended before its planned range did.
    fn check_end(&self) -> io::Result<()> {
        match self {
            Reader::File {
                at: Some(at),
                end: Some(end),
                ..
            } if at < end => Err(input::shrank(*end, *at)),
            _ => Ok(()),
        }
    }

    /// Reads the next bytes, waiting for the disk if need be (on a blocking thread), retrying
    /// when interrupted by a signal.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match self {
                Reader::Stdin => io::stdin().read(buf),
                Reader::File {
                    file, at: Some(at), ..
                } => file.read_at(buf, *at),
                Reader::File { file, at: None, .. } => file.read(buf),
            };
            match n {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(n) => {
                    if let Reader::File { at: Some(at), .. } = self {
                        *at += n as u64;
                    }
                    return Ok(n);
                }
            }
        }
    }

    /// Reads the next bytes only if the page cache has them (`preadv2` with `RWF_NOWAIT`): cheap
    /// enough to do on the runtime's thread, where it saves a trip to a blocking thread (`0` is
    /// the end of the file, as for `read`). `None` when the read would wait, or when it is not
    /// worth trying (errors and old kernels are left to [`Reader::read`]).
    fn read_cached(&mut self, buf: &mut [u8]) -> Option<usize> {
        let Reader::File {
            file,
            at: Some(at),
            nowait: nowait @ true,
            ..
        } = self
        else {
            return None;
        };
        loop {
            match read_nowait(file, buf, *at) {
                Ok(n) => {
                    *at += n as u64;
                    return Some(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(_) => {
                    // Not supported here (an old kernel, a file system or a sandbox that
                    // refuses it): stop trying for this file.
                    *nowait = false;
                    return None;
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn read_nowait(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use rustix::io::{preadv2, ReadWriteFlags};
    Ok(preadv2(
        file,
        &mut [io::IoSliceMut::new(buf)],
        at,
        ReadWriteFlags::NOWAIT,
    )?)
}

#[cfg(not(target_os = "linux"))]
fn read_nowait(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

/// A job's counting state, fed one buffer at a time on whichever pool thread is free.
#[derive(Debug)]
enum Sink {
    /// A whole plain stream.
    Stream(Counted),
    /// A gzip stream, decompressed as its compressed bytes are written in.
    Gzip(Box<flate2::write::MultiGzDecoder<Counted>>),
    /// The lines that start inside a byte range of a file.
    Range { lines: OwnedLines, bytes: u64 },
}

/// A [`Counter`] that also counts the bytes it was fed; the gzip decoder writes into it.
#[derive(Debug, Default)]
struct Counted {
    counter: Counter,
    bytes: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.counter.feed(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn new(input: &Input, range: Option<&Range<u64>>) -> Sink {
        match input::job_range(input, range) {
            Some(r) => Sink::Range {
                lines: OwnedLines::new(r.start, r.end),
                bytes: 0,
            },
            _ if input.gzip => Sink::Gzip(Box::new(flate2::write::MultiGzDecoder::new(
                Counted::default(),
            ))),
            _ => Sink::Stream(Counted::default()),
        }
    }

    /// Counts the next bytes of the job; returns how many of them count as progress (bytes
    /// read on disk, or inside the range).
    fn feed(&mut self, piece: &[u8]) -> io::Result<u64> {
        match self {
            Sink::Stream(counted) => counted.write_all(piece)?,
            Sink::Gzip(decoder) => decoder.write_all(piece)?,
            Sink::Range { lines, bytes } => {
                let inside = lines.feed(piece);
                *bytes += inside;
                return Ok(inside);
            }
        }
        Ok(piece.len() as u64)
    }

    /// Whether the job needs no more bytes (a range whose last line is complete).
    fn done(&self) -> bool {
        match self {
            Sink::Range { lines, .. } => lines.done(),
            _ => false,
        }
    }

    /// The job's counts and the bytes it counted (decompressed, for gzip).
    fn finish(self) -> io::Result<(Counts, u64)> {
        let (counts, bytes) = match self {
            Sink::Stream(counted) => (counted.counter.finish(), counted.bytes),
            Sink::Gzip(decoder) => {
                let counted = decoder.finish()?;
                (counted.counter.finish(), counted.bytes)
            }
            Sink::Range { lines, bytes } => (lines.finish(), bytes),
        };
        Ok((counts, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::count_stream;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn gz_input() -> Input {
        Input {
            name: "x.gz".into(),
            source: Source::Stdin,
            size: None,
            id: None,
            gzip: true,
        }
    }

    /// Feeds `data` to a gzip sink in pieces of `piece` bytes.
    fn push(data: &[u8], piece: usize) -> io::Result<(u64, u64, u64)> {
        let mut sink = Sink::new(&gz_input(), None);
        for part in data.chunks(piece) {
            sink.feed(part)?;
        }
        let (c, bytes) = sink.finish()?;
        Ok((c.total, c.ip(), bytes))
    }

    /// What the serial path (a pulling `read::MultiGzDecoder`) makes of the same bytes.
    fn pull(data: &[u8]) -> io::Result<(u64, u64, u64)> {
        let decoder = flate2::read::MultiGzDecoder::new(data);
        let (c, bytes) = count_stream(decoder, &mut [0u8; 1000])?;
        Ok((c.total, c.ip(), bytes))
    }

    #[test]
    fn pushed_gzip_agrees_with_pulled_gzip_on_good_and_broken_streams() {
        let text =
            b"1.1.1.1 a\n2.2.2.2, 3.3.3.3 b\r\n\n  long-client-key-0123456789 c\n".repeat(300);
        let one = gzip(&text);
        let mut two = one.clone();
        two.extend(gzip(b"4.4.4.4 d\n9.9.9.9"));
        let mut cases: Vec<Vec<u8>> = vec![Vec::new(), one.clone(), two.clone(), gzip(b"")];
        for cut in [1, 5, 10, 11, one.len() / 2, one.len() - 8, one.len() - 1] {
            cases.push(one[..cut].to_vec());
        }
        for extra in [&b"\0"[..], b"\x1f", b"\x1f\x8b", b"garbage"] {
            let mut c = two.clone();
            c.extend_from_slice(extra);
            cases.push(c);
        }
        let mut flipped = one.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        cases.push(flipped);
        let mut bad_crc = one.clone();
        let at = bad_crc.len() - 6;
        bad_crc[at] ^= 1;
        cases.push(bad_crc);
        for (i, case) in cases.iter().enumerate() {
            let want = pull(case);
            for piece in [1, 7, 4096, usize::MAX] {
                let got = push(case, piece.min(case.len().max(1)));
                match (&got, &want) {
                    (Ok(g), Ok(w)) => assert_eq!(g, w, "case {i}, piece {piece}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("case {i}, piece {piece}: pushed {got:?}, pulled {want:?}"),
                }
            }
        }
    }

    #[test]
    fn a_range_sink_stops_once_its_last_line_is_complete() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\n3.3.3.3 c\n";
        let input = Input {
            name: "f".into(),
            source: Source::File("f".into()),
            size: Some(data.len() as u64),
            id: None,
            gzip: false,
        };
        // The range 12..21 owns only the line starting at 20; feeding starts one byte early.
        let mut sink = Sink::new(&input, Some(&(12..21)));
        let mut fed = 0;
        for b in data[11..].chunks(3) {
            if sink.done() {
                break;
            }
            fed += sink.feed(b).unwrap();
        }
        assert!(sink.done());
        let (c, bytes) = sink.finish().unwrap();
        assert_eq!((c.total, c.ip(), bytes, fed), (1, 1, 9, 9));
    }
}

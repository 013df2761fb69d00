//! The async executor: a tokio runtime reads files in fixed-size buffers, at most `-j` files
//! open at once, and a small rayon pool counts each buffer as soon as it arrives.
//!
//! Each job owns two buffers that take turns: while one is counted on the pool, a read fills
//! the other, so reading and counting overlap and a job never holds more than two buffers,
//! whatever the size of its file or of its lines (the counting core carries at most a key
//! across buffer edges). Memory is therefore bounded by `-j` × 2 × [`BUF`] plus the key sets.
//!
//! Reads are plain `read` calls on tokio's blocking threads, which is what `tokio::fs` does
//! too (Linux has no readiness-based file I/O), minus its extra copy. The runtime's own thread
//! only schedules: counting, gzip decompression and merging key sets into the [`Reducer`] all
//! run on the counting pool, so they never hold up a read being started.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use futures_util::stream::{self, StreamExt};
use tokio::sync::oneshot;

use super::Executor;
use crate::count::{Counter, Counts, OwnedLines};
use crate::input::{Input, Source};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// Size of one read buffer (each job in flight holds two).
pub const BUF: usize = 256 * 1024;

/// Reads up to `-j` files at once on a tokio runtime, counting on a pool of at most as many
/// threads as there are CPUs.
#[derive(Clone, Copy, Debug)]
pub struct AsyncReader {
    /// Jobs (open files) in flight.
    files: usize,
    /// Threads counting buffers.
    counters: usize,
}

impl AsyncReader {
    pub fn new(files: usize) -> AsyncReader {
        let files = files.max(1);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        AsyncReader {
            files,
            counters: files.min(cpus),
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
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.counters)
            .thread_name(|i| format!("logcount-count-{i}"))
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .thread_name("logcount-io")
            .build();
        let (pool, runtime) = match (pool, runtime) {
            (Ok(pool), Ok(runtime)) => (pool, runtime),
            (Err(e), _) => return fall_back(e, plan, reducer, progress),
            (_, Err(e)) => return fall_back(e, plan, reducer, progress),
        };
        let order = plan.biggest_first();
        pool.in_place_scope(|scope| {
            let counting = Counting {
                scope,
                reducer,
                progress,
            };
            let counting = &counting;
            runtime.block_on(
                stream::iter(order)
                    .map(|index| async move {
                        match read_job(plan, index, counting).await {
                            Ok(sink) => counting.finish(index, sink),
                            Err(e) => reducer.job_done(index, Err(e)),
                        }
                    })
                    .buffer_unordered(self.files)
                    .for_each(|()| async {}),
            );
        });
    }
}

fn fall_back(e: impl std::fmt::Display, plan: &Plan, reducer: &Reducer<'_>, progress: &Progress) {
    crate::app::warn(format_args!(
        "cannot start the async reader ({e}); counting serially"
    ));
    super::Serial.run(plan, reducer, progress)
}

/// The counting side: a rayon scope whose pool counts buffers and finishes jobs.
struct Counting<'a, 'scope, 'r> {
    scope: &'a rayon::Scope<'scope>,
    reducer: &'scope Reducer<'r>,
    progress: &'scope Progress,
}

/// What counting one buffer hands back: the sink, the buffer (free again), and the bytes to
/// report as progress.
type Fed = (Sink, Vec<u8>, io::Result<u64>);

impl Counting<'_, '_, '_> {
    /// Starts counting `buf[..n]` into `sink` on the pool; the answer arrives on the receiver.
    fn feed(&self, mut sink: Sink, buf: Vec<u8>, n: usize) -> oneshot::Receiver<Fed> {
        let (tx, rx) = oneshot::channel();
        self.scope.spawn(move |_| {
            let fed = sink.feed(&buf[..n]);
            let _ = tx.send((sink, buf, fed));
        });
        rx
    }

    /// Finishes a job on the pool: the last line, gzip's checksum, and merging its keys.
    fn finish(&self, index: usize, sink: Sink) {
        let reducer = self.reducer;
        self.scope
            .spawn(move |_| reducer.job_done(index, sink.finish()));
    }
}

/// Reads one job's bytes and feeds them to its sink, one buffer counted while the next is read.
/// Returns the sink once the job has seen every byte it needs; the job's file is closed by then.
async fn read_job(plan: &Plan, index: usize, ctx: &Counting<'_, '_, '_>) -> io::Result<Sink> {
    let job = &plan.jobs[index];
    let input = &plan.inputs[job.input];
    let mut reader = Reader::open(input, job.range.as_ref()).await?;
    // The sink is either here (`idle`) or on the pool counting a buffer (`pending`).
    let mut idle = Some(Sink::new(input, job.range.as_ref()));
    let mut pending: Option<oneshot::Receiver<Fed>> = None;
    let mut free = vec![vec![0u8; BUF], vec![0u8; BUF]];
    loop {
        let mut buf = free.pop().expect("one buffer is free while the other is counted");
        let read = tokio::task::spawn_blocking(move || {
            let n = reader.read(&mut buf);
            (reader, buf, n)
        });
        // Wait for the previous buffer's count, then for the read (always, so that the file
        // is closed before this job ends and the next one opens its own).
        let counted = match pending.take() {
            Some(rx) => Some(rx.await),
            None => None,
        };
        let (back, buf, n) = read.await.map_err(io::Error::other)?;
        reader = back;
        if let Some(counted) = counted {
            let (sink, spare, fed) = counted.map_err(|_| io::Error::other("counting stopped"))?;
            free.push(spare);
            ctx.progress.add(fed?);
            if sink.done() {
                return Ok(sink);
            }
            idle = Some(sink);
        }
        let n = n?;
        let sink = idle.take().expect("the sink is back once its count was awaited");
        if n == 0 {
            return Ok(sink);
        }
        pending = Some(ctx.feed(sink, buf, n));
    }
}

/// An open input, read from blocking threads.
enum Reader {
    Stdin,
    File(File),
}

impl Reader {
    /// Opens an input, positioned where its job starts reading.
    async fn open(input: &Input, range: Option<&Range<u64>>) -> io::Result<Reader> {
        let path = match &input.source {
            Source::Stdin => return Ok(Reader::Stdin),
            Source::File(path) => path.clone(),
        };
        let from = range.map(|r| OwnedLines::from(r.start));
        tokio::task::spawn_blocking(move || {
            let mut file = File::open(path)?;
            if let Some(from) = from.filter(|&f| f > 0) {
                file.seek(SeekFrom::Start(from))?;
            }
            Ok(Reader::File(file))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Reads the next bytes, retrying when interrupted by a signal.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match self {
                Reader::Stdin => io::stdin().read(buf),
                Reader::File(file) => file.read(buf),
            };
            match n {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
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
        match (range, &input.source) {
            (Some(r), Source::File(_)) => Sink::Range {
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
        let text = b"1.1.1.1 a\n2.2.2.2, 3.3.3.3 b\r\n\n  long-client-key-0123456789 c\n".repeat(300);
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

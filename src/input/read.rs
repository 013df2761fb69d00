//! Reading a job: the one counting driver every executor uses.
//!
//! A [`JobCounter`] is fed a job's bytes as they come off the disk, in pieces of any size, and
//! pushes them through decompression (for `.gz`) and the counting core: every executor reads in
//! its own way (in order, by position, without waiting for the disk, in a worker process) and
//! feeds the same counter, so each job is counted by one piece of code.
//!
//! Reads are plain `read`/`pread` calls into a reused buffer: unlike a memory map, they cannot
//! be killed by SIGBUS when a log is truncated under us (logrotate's `copytruncate`); a file that
//! ends before its planned size is that file's error (docs/contract.md §2).

use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;

use super::{open_file, Input, Source};
use crate::count::{Counter, Counts, OwnedLines};

/// Size of the read buffer: big enough that syscalls cost nothing measurable, small enough to
/// stay in cache while it is counted.
pub const READ_BUF: usize = 256 * 1024;

/// Where a job's bytes are read: by position in a regular file (from `start`; a plain file up
/// to its planned `end`, a snapshot appends cannot tear), or in sequence (standard input, a
/// FIFO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The offset of the first positional read; `None` to read in sequence.
    pub start: Option<u64>,
    /// The planned end: a file that ends before it shrank under us.
    pub end: Option<u64>,
}

impl Span {
    /// The span of `input`'s job over `range` (its byte range, for a file cut into jobs).
    pub fn of(input: &Input, range: Option<&Range<u64>>) -> Span {
        match job_range(input, range) {
            // The byte before the range tells whether a line starts at the range's start.
            Some(r) => Span {
                start: Some(OwnedLines::from(r.start)),
                end: Some(r.end),
            },
            None if matches!(input.source, Source::File(_)) && input.size.is_some() => Span {
                start: Some(0),
                end: None,
            },
            None => Span {
                start: None,
                end: None,
            },
        }
    }

    /// At the end of the file (a read at `at` returned nothing): an error if that is before
    /// the planned end.
    pub fn check_end(&self, at: u64) -> io::Result<()> {
        match self.end {
            Some(end) if at < end => Err(shrank(end, at)),
            _ => Ok(()),
        }
    }
}

/// The error for a file that ended at `at`, before the end of the range it was planned with.
pub fn shrank(planned_end: u64, at: u64) -> io::Error {
    io::Error::other(format!(
        "shrank from {planned_end} to {at} bytes while being counted (truncated by log rotation?)"
    ))
}

/// The byte range a job counts by positional reads: its own range, or the whole planned size of
/// a regular uncompressed file. `None` for what is read as a stream (`.gz`, stdin, FIFOs).
pub fn job_range(input: &Input, range: Option<&Range<u64>>) -> Option<Range<u64>> {
    match (&input.source, range, input.size) {
        (Source::File(_), Some(range), _) if !input.gzip => Some(range.clone()),
        (Source::File(_), None, Some(size)) if !input.gzip => Some(0..size),
        _ => None,
    }
}

/// A job's counting state, fed the job's bytes as they are read.
#[derive(Debug)]
pub struct JobCounter(Sink);

#[derive(Debug)]
enum Sink {
    /// A whole plain stream.
    Stream(Counted),
    /// A gzip stream (multi-member, as `gzip -d` reads `cat a.gz b.gz`), decompressed as its
    /// compressed bytes are written in.
    Gzip(Box<flate2::write::MultiGzDecoder<Counted>>),
    /// The lines that start inside a byte range of a file.
    Range { lines: OwnedLines, bytes: u64 },
}

/// A [`Counter`] that also counts the bytes it was fed; a decoder writes into it.
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

impl JobCounter {
    /// The counter for `input`'s job over `range`; it expects the bytes of [`Span::of`].
    pub fn new(input: &Input, range: Option<&Range<u64>>) -> JobCounter {
        JobCounter(match job_range(input, range) {
            Some(r) => Sink::Range {
                lines: OwnedLines::new(r.start, r.end),
                bytes: 0,
            },
            None if input.gzip => Sink::Gzip(Box::new(flate2::write::MultiGzDecoder::new(
                Counted::default(),
            ))),
            None => Sink::Stream(Counted::default()),
        })
    }

    /// Counts the job's next bytes; returns how many of them count as progress (bytes read
    /// from the input, or inside the range).
    pub fn feed(&mut self, piece: &[u8]) -> io::Result<u64> {
        match &mut self.0 {
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
    pub fn done(&self) -> bool {
        match &self.0 {
            Sink::Range { lines, .. } => lines.done(),
            _ => false,
        }
    }

    /// The job's counts and the bytes it counted (decompressed, for gzip).
    pub fn finish(self) -> io::Result<(Counts, u64)> {
        Ok(match self.0 {
            Sink::Stream(counted) => (counted.counter.finish(), counted.bytes),
            Sink::Gzip(decoder) => {
                let counted = decoder.finish()?;
                (counted.counter.finish(), counted.bytes)
            }
            Sink::Range { lines, bytes } => (lines.finish(), bytes),
        })
    }
}

/// Runs one job of a plan on the calling thread: opens its input, reads its [`Span`] into
/// `buf` and feeds a [`JobCounter`]; progress hears of the bytes as they are counted.
pub fn count_job(
    input: &Input,
    range: Option<&Range<u64>>,
    buf: &mut [u8],
    progress: &dyn Fn(u64),
) -> io::Result<(Counts, u64)> {
    let mut counter = JobCounter::new(input, range);
    let span = Span::of(input, range);
    match &input.source {
        Source::Stdin => feed_stream(io::stdin().lock(), &mut counter, buf, progress)?,
        Source::File(path) => {
            let file = open_file(path, input.id)?;
            match span.start {
                None => feed_stream(file, &mut counter, buf, progress)?,
                Some(mut at) => {
                    while !counter.done() {
                        let n = retry(|| file.read_at(buf, at))?;
                        if n == 0 {
                            span.check_end(at)?;
                            break; // the file ends with the span (a last line without `\n` counts)
                        }
                        progress(counter.feed(&buf[..n])?);
                        at += n as u64;
                    }
                }
            }
        }
    }
    counter.finish()
}

/// Feeds a whole stream to `counter`.
fn feed_stream(
    mut reader: impl Read,
    counter: &mut JobCounter,
    buf: &mut [u8],
    progress: &dyn Fn(u64),
) -> io::Result<()> {
    loop {
        let n = retry(|| reader.read(buf))?;
        if n == 0 {
            return Ok(());
        }
        progress(counter.feed(&buf[..n])?);
    }
}

/// Runs a read again when a signal interrupted it.
fn retry(mut read: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match read() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::count;
    use crate::testutil::gzip;
    use std::path::PathBuf;

    fn input(path: PathBuf, size: Option<u64>, gzip: bool) -> Input {
        Input {
            name: path.to_string_lossy().into_owned(),
            source: Source::File(path),
            size,
            id: None,
            gzip,
        }
    }

    #[test]
    fn a_stream_fed_in_pieces_counts_like_the_whole_buffer() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\r\n\n3.3.3.3".repeat(1000);
        let stream = Input {
            source: Source::Stdin,
            ..input(PathBuf::new(), None, false)
        };
        let mut counter = JobCounter::new(&stream, None);
        for piece in data.chunks(7) {
            assert_eq!(counter.feed(piece).unwrap(), piece.len() as u64);
        }
        let (c, bytes) = counter.finish().unwrap();
        let whole = count(&data);
        assert_eq!(bytes, data.len() as u64);
        assert_eq!((c.total, c.ip()), (whole.total, whole.ip()));
    }

    #[test]
    fn file_ranges_add_up_to_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let data = b"1.1.1.1 a\r\n\n2.2.2.2, 9.9.9.9 b\nlong-key-0123456789 c\n3.3.3.3".repeat(50);
        std::fs::write(&path, &data).unwrap();
        let whole = count(&data);
        let size = data.len() as u64;
        let file = input(path, Some(size), false);
        for chunk in [1u64, 3, 10, 64, 1000, size] {
            let done = std::cell::Cell::new(0);
            let progress = |n| done.set(done.get() + n);
            let mut total = Counts::default();
            let mut bytes = 0;
            let mut buf = vec![0u8; 5];
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                let (c, b) = count_job(&file, Some(&(start..end)), &mut buf, &progress).unwrap();
                total.merge(c);
                bytes += b;
                start = end;
            }
            assert_eq!(
                (total.total, total.ip()),
                (whole.total, whole.ip()),
                "chunk {chunk}"
            );
            assert_eq!(bytes, size);
            assert_eq!(done.get(), size);
        }
    }

    #[test]
    fn a_file_that_ends_before_its_planned_size_shrank() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"1.1.1.1 a\n2.2.2.2 b\n").unwrap();
        let file = input(path, Some(100), false);
        let e = count_job(&file, None, &mut [0; 8], &|_| {}).unwrap_err();
        assert!(e.to_string().contains("shrank from 100 to 20"), "{e}");
    }

    /// What a pulling decoder (`read::MultiGzDecoder`, the reference) makes of the same bytes.
    fn pulled(data: &[u8]) -> io::Result<(u64, u64, u64)> {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(data).read_to_end(&mut text)?;
        let c = count(&text);
        Ok((c.total, c.ip(), text.len() as u64))
    }

    /// Feeds `data` to a gzip job in pieces of `piece` bytes.
    fn pushed(data: &[u8], piece: usize) -> io::Result<(u64, u64, u64)> {
        let gz = input(PathBuf::from("x.gz"), None, true);
        let mut counter = JobCounter::new(&gz, None);
        for part in data.chunks(piece) {
            counter.feed(part)?;
        }
        let (c, bytes) = counter.finish()?;
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
            let want = pulled(case);
            for piece in [1, 7, 4096, usize::MAX] {
                let got = pushed(case, piece.min(case.len().max(1)));
                match (&got, &want) {
                    (Ok(g), Ok(w)) => assert_eq!(g, w, "case {i}, piece {piece}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("case {i}, piece {piece}: pushed {got:?}, pulled {want:?}"),
                }
            }
        }
    }

    #[test]
    fn a_range_counter_stops_once_its_last_line_is_complete() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\n3.3.3.3 c\n";
        let file = input(PathBuf::from("f"), Some(data.len() as u64), false);
        // The range 12..21 owns only the line starting at 20; feeding starts one byte early.
        let range = 12..21;
        assert_eq!(Span::of(&file, Some(&range)).start, Some(11));
        let mut counter = JobCounter::new(&file, Some(&range));
        let mut fed = 0;
        for b in data[11..].chunks(3) {
            if counter.done() {
                break;
            }
            fed += counter.feed(b).unwrap();
        }
        assert!(counter.done());
        let (c, bytes) = counter.finish().unwrap();
        assert_eq!((c.total, c.ip(), bytes, fed), (1, 1, 9, 9));
    }
}

//! Reading a job: the one counting driver every executor uses.
//!
//! A [`JobCounter`] is fed a job's raw bytes as they come off the disk, in pieces of any size.
//! It tells the compression from the first bytes (whatever the name says, but a name that
//! claims a codec its bytes do not have is an error), decodes, detects the format from the
//! first lines where the plan left that to the job, and counts: every executor reads in its own
//! way (in order, by position, without waiting for the disk, in a worker process) and feeds the
//! same counter, so each job is counted by one piece of code.
//!
//! A regular file of at least [`MIN_MAP`](super::MIN_MAP) bytes is counted straight from a
//! memory map ([`Mapped`]: one that a truncation cannot kill); anything else, and everything
//! under `--no-mmap`, is read with `read`/`pread` into a reused buffer. Either way a file that
//! ends before its planned size is that file's error (docs/contract.md §2), and a job that
//! needs bytes past its map (a line still being written at the planned size) reads them.

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::{
    open_file, sniff, Codec, Compression, Decoder, Input, Mapped, ReadMode, Source, Witness,
    SNIFF_BYTES,
};
use crate::count::{Counter, Counts, OwnedLines};
use crate::format::{detect, Choice, Detection, Options};
use crate::keys::{ShardWriter, V4Shards};

/// Size of the read buffer: big enough that syscalls cost nothing measurable, small enough to
/// stay in cache while it is counted.
pub const READ_BUF: usize = 256 * 1024;

/// Bytes of a map fed to the counter at a time: progress hears of each piece.
pub const MAP_PIECE: usize = 1 << 20;

/// How far past its range's end a range's map reaches, for the line that crosses the end (a
/// longer one is finished by reading).
const MAP_SLACK: u64 = 64 * 1024;

/// Why a job counted nothing.
#[derive(Debug)]
pub enum JobError {
    /// The input could not be read (or decoded).
    Io(io::Error),
    /// Its first lines are in no known format.
    NotAccessLog(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Io(e) => e.fmt(f),
            JobError::NotAccessLog(reason) => f.write_str(reason),
        }
    }
}

impl From<io::Error> for JobError {
    fn from(e: io::Error) -> Self {
        JobError::Io(e)
    }
}

/// What one job produced: its counts and the bytes of text it counted, or why it failed.
pub type JobResult = Result<(Counts, u64), JobError>;

/// Where a job's positional reads start: one byte before its range (that byte tells whether a
/// line starts right at the range), 0 for a whole regular file; `None` for what is read in
/// sequence (standard input, a FIFO, a file whose size reads as 0).
pub fn read_start(input: &Input, range: Option<&Range<u64>>) -> Option<u64> {
    match (range, input.size) {
        (Some(r), _) => Some(OwnedLines::from(r.start)),
        (None, Some(_)) if matches!(input.source, Source::File(_)) => Some(0),
        _ => None,
    }
}

/// Where a file read by position ended, for [`JobCounter::finish`]: its size now, or the offset
/// at which a read found nothing if that is less (a read that starts past the end of a
/// shrunk file finds nothing too).
pub fn ended_at(file: &std::fs::File, at: u64) -> u64 {
    file.metadata().map_or(at, |m| m.len().min(at))
}

/// The error for a file that ended before its planned size.
pub(super) fn shrank(planned: u64, now: u64) -> io::Error {
    io::Error::other(format!(
        "shrank from {planned} to {now} bytes while being counted (truncated by log rotation?)"
    ))
}

/// The error for a file whose bytes before its planned size changed while it was counted.
pub(super) fn changed(planned: u64) -> io::Error {
    io::Error::other(format!(
        "changed while being counted: its bytes before the planned size of {planned} are not \
         what they were (truncated and written again, as logrotate's copytruncate does?)"
    ))
}

/// How a job's text is to be counted once its format is known.
#[derive(Clone, Debug)]
struct JobSetup {
    /// The lines starting in this byte range of the file (a plain regular file), or the whole
    /// text (`None`).
    range: Option<Range<u64>>,
    format: Choice,
    options: Options,
    /// The W3C `#Fields:` directive in force where the range starts.
    fields: Option<Arc<[u8]>>,
    /// The set this job's file shares with its other jobs, if it has one.
    shared: Option<Arc<dyn V4Shards>>,
}

impl JobSetup {
    fn counter(&self, detected: Option<crate::format::Format>) -> Counter {
        let fields = self.fields.as_deref();
        let counter = match (self.format, detected) {
            (Choice::Named(f), _) | (Choice::Auto, Some(f)) => {
                Counter::with_format(f, &self.options, fields)
            }
            (Choice::Auto, None) => Counter::unread(),
        };
        match &self.shared {
            Some(shared) => counter.sending_v4_to(ShardWriter::new(shared.clone())),
            None => counter,
        }
    }

    fn target(&self, counter: Counter) -> Target {
        match &self.range {
            Some(r) => Target::Range {
                lines: OwnedLines::new(r.start, r.end, counter),
                bytes: 0,
            },
            None => Target::Stream { counter, bytes: 0 },
        }
    }
}

/// Where text is counted.
#[derive(Debug)]
enum Target {
    Range { lines: OwnedLines, bytes: u64 },
    Stream { counter: Counter, bytes: u64 },
}

impl Target {
    fn feed(&mut self, text: &[u8]) {
        match self {
            Target::Range { lines, bytes } => *bytes += lines.feed(text),
            Target::Stream { counter, bytes } => {
                counter.feed(text);
                *bytes += text.len() as u64;
            }
        }
    }

    fn done(&self) -> bool {
        match self {
            Target::Range { lines, .. } => lines.done(),
            Target::Stream { .. } => false,
        }
    }

    fn out_of_memory(&self) -> Option<usize> {
        match self {
            Target::Range { lines, .. } => lines.out_of_memory(),
            Target::Stream { counter, .. } => counter.out_of_memory(),
        }
    }

    fn finish(self) -> (Counts, u64) {
        match self {
            Target::Range { lines, bytes } => (lines.finish(), bytes),
            Target::Stream { counter, bytes } => (counter.finish(), bytes),
        }
    }
}

/// A job's text, on its way to being counted.
#[derive(Debug)]
enum Text {
    /// Held until the format is detected from it.
    Detect {
        held: Vec<u8>,
        setup: JobSetup,
        cap: Option<u64>,
    },
    Count(Target),
    NotAccessLog(String),
}

impl Text {
    fn new(setup: JobSetup, cap: Option<u64>) -> Text {
        match setup.format {
            Choice::Named(_) => Text::Count(setup.target(setup.counter(None))),
            Choice::Auto => Text::Detect {
                held: Vec::new(),
                setup,
                cap,
            },
        }
    }

    fn feed(&mut self, text: &[u8]) {
        match self {
            Text::Count(target) => target.feed(text),
            // The first piece usually samples the input whole: counted from where it lies.
            Text::Detect { held, .. } if held.is_empty() => {
                if !self.try_detect_in(text, false) {
                    if let Text::Detect { held, .. } = self {
                        held.extend_from_slice(text);
                    }
                }
            }
            Text::Detect { held, .. } => {
                held.extend_from_slice(text);
                self.try_detect(false);
            }
            Text::NotAccessLog(_) => {}
        }
    }

    /// Detects the format once the held text samples it (or `at_end`, with what there is),
    /// and counts the held text in it.
    fn try_detect(&mut self, at_end: bool) {
        let Text::Detect { held, .. } = self else {
            return;
        };
        let held = std::mem::take(held);
        if !self.try_detect_in(&held, at_end) {
            if let Text::Detect { held: h, .. } = self {
                *h = held;
            }
        }
    }

    /// Detects the format from `text` (what is held, or the first piece when nothing is) and
    /// counts `text` in it; `false` (nothing done) while more text is needed.
    fn try_detect_in(&mut self, text: &[u8], at_end: bool) -> bool {
        let Text::Detect { setup, cap, .. } = self else {
            return false;
        };
        // A plain file's sample stops at its planned size, a snapshot appends cannot change.
        let known = cap.map_or(text.len(), |c| text.len().min(c as usize));
        let whole = at_end || cap.is_some_and(|c| text.len() as u64 >= c);
        let Some(detection) = detect(&text[..known], whole, &setup.options) else {
            return false;
        };
        let next = match detection {
            Detection::NotAccessLog { .. } | Detection::NoClientField { .. } => {
                Text::NotAccessLog(detection.reason().expect("a reason"))
            }
            Detection::Format(f) => Text::Count(setup.target(setup.counter(Some(f)))),
            Detection::Empty => Text::Count(setup.target(setup.counter(None))),
        };
        *self = next;
        if let Text::Count(target) = self {
            target.feed(text);
        }
        true
    }

    fn done(&self) -> bool {
        match self {
            Text::Count(target) => target.done(),
            Text::NotAccessLog(_) => true,
            Text::Detect { .. } => false,
        }
    }

    fn out_of_memory(&self) -> Option<usize> {
        match self {
            Text::Count(target) => target.out_of_memory(),
            _ => None,
        }
    }

    fn finish(mut self) -> JobResult {
        self.try_detect(true);
        match self {
            Text::Count(target) => Ok(target.finish()),
            Text::NotAccessLog(reason) => Err(JobError::NotAccessLog(reason)),
            Text::Detect { .. } => unreachable!("detection at the end always decides"),
        }
    }
}

impl Write for Text {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A job's bytes, on their way to text.
enum Stage {
    /// Waiting for the first bytes, which tell the compression.
    Sniff {
        head: Vec<u8>,
        text: Text,
    },
    Plain(Text),
    Decode(Box<Decoder<Text>>),
}

/// A job's counting state, fed the job's raw bytes as they are read.
pub struct JobCounter {
    stage: Stage,
    /// What the name claims.
    claimed: Option<Codec>,
    /// The planned size of a regular file read by position.
    planned: Option<u64>,
    /// The part of the raw bytes that counts as progress: `[begin, limit)` from the first byte
    /// fed (a range's bytes), or everything.
    window: Option<(u64, u64)>,
    /// Raw bytes fed so far.
    fed: u64,
}

impl fmt::Debug for JobCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobCounter")
            .field("fed", &self.fed)
            .finish_non_exhaustive()
    }
}

impl JobCounter {
    /// The counter for `input`'s job over `range` (of a file cut into jobs), with the W3C
    /// `#Fields:` in force at its start, its dotted quads sent to the set the file's jobs
    /// share where there is one (`shared`); it expects the bytes from [`read_start`] on.
    pub(crate) fn new(
        input: &Input,
        range: Option<&Range<u64>>,
        fields: Option<Arc<[u8]>>,
        shared: Option<Arc<dyn V4Shards>>,
        options: &Options,
    ) -> JobCounter {
        let start = read_start(input, range);
        // A plain regular file is counted by the lines that start in its planned size.
        let lines = range.cloned().or(input.size.map(|s| 0..s));
        let setup = |range: Option<Range<u64>>| JobSetup {
            range,
            format: input.format,
            options: options.clone(),
            fields: fields.clone(),
            shared: shared.clone(),
        };
        let stage = match input.compression {
            Compression::Plain => Stage::Plain(Text::new(setup(lines.clone()), input.size)),
            Compression::Compressed(codec) => {
                match Decoder::new(codec, Text::new(setup(None), None)) {
                    Ok(d) => Stage::Decode(Box::new(d)),
                    // Only zstd's context can fail to start (out of memory): fail at the first byte.
                    Err(_) => Stage::Sniff {
                        head: Vec::new(),
                        text: Text::new(setup(None), None),
                    },
                }
            }
            Compression::Sniff => Stage::Sniff {
                head: Vec::new(),
                text: Text::new(setup(lines.clone()), input.size),
            },
        };
        let window = match (start, &lines) {
            (Some(from), Some(r)) => Some((r.start - from, r.end - from)),
            _ => None,
        };
        JobCounter {
            stage,
            claimed: input.claimed,
            planned: input.size,
            window,
            fed: 0,
        }
    }

    /// Counts the job's next raw bytes; returns how many of them count as progress.
    pub(crate) fn feed(&mut self, piece: &[u8]) -> io::Result<u64> {
        let progress = match self.window {
            Some((begin, limit)) => {
                let lo = self.fed.max(begin);
                let hi = (self.fed + piece.len() as u64).min(limit);
                hi.saturating_sub(lo)
            }
            None => piece.len() as u64,
        };
        self.fed += piece.len() as u64;
        match &mut self.stage {
            Stage::Plain(text) => text.feed(piece),
            Stage::Decode(decoder) => decoder.write_all(piece)?,
            Stage::Sniff { head, .. } => {
                head.extend_from_slice(piece);
                if head.len() >= SNIFF_BYTES {
                    self.decide()?;
                }
            }
        }
        Ok(progress)
    }

    /// Leaves the sniffing stage with what the head says (at the end of the input, whatever
    /// it holds is plain text, or nothing).
    fn decide(&mut self) -> io::Result<()> {
        let Stage::Sniff { head, text } = &mut self.stage else {
            return Ok(());
        };
        let codec = sniff(head).unwrap_or(None);
        if let Some(claimed) = self.claimed {
            if codec != Some(claimed) && !head.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("named like {claimed} data, but its bytes are not {claimed}"),
                ));
            }
        }
        let head = std::mem::take(head);
        let text = std::mem::replace(text, Text::NotAccessLog(String::new()));
        self.stage = match codec {
            None => Stage::Plain(text),
            Some(codec) => {
                // A compressed file is read whole, its text counted whole.
                let text = match text {
                    Text::Detect { setup, .. } => Text::new(
                        JobSetup {
                            range: None,
                            ..setup
                        },
                        None,
                    ),
                    Text::Count(Target::Range { lines, .. }) => Text::Count(Target::Stream {
                        counter: lines.into_counter(),
                        bytes: 0,
                    }),
                    other => other,
                };
                self.planned = None;
                self.window = None;
                Stage::Decode(Box::new(Decoder::new(codec, text)?))
            }
        };
        match &mut self.stage {
            Stage::Plain(text) => text.feed(&head),
            Stage::Decode(decoder) => decoder.write_all(&head)?,
            Stage::Sniff { .. } => unreachable!("decided"),
        }
        Ok(())
    }

    /// Whether the job needs no more bytes: a range whose last line is complete, an input
    /// found not to be an access log, or one whose clients outgrew the memory.
    pub(crate) fn done(&self) -> bool {
        if self.out_of_memory().is_some() {
            return true;
        }
        match &self.stage {
            Stage::Plain(text) => text.done(),
            Stage::Decode(decoder) => decoder.out().done(),
            Stage::Sniff { .. } => false,
        }
    }

    /// When the job's clients outgrew the memory, how many it held (see
    /// [`Counter::out_of_memory`]).
    fn out_of_memory(&self) -> Option<usize> {
        match &self.stage {
            Stage::Plain(text) => text.out_of_memory(),
            Stage::Decode(decoder) => decoder.out().out_of_memory(),
            Stage::Sniff { .. } => None,
        }
    }

    /// The job's counts and the bytes of text it counted. `ended_at` is where the reader met
    /// the end of the input (for a file read by position): before the planned size, the file
    /// shrank under us.
    pub(crate) fn finish(mut self, ended_at: Option<u64>) -> JobResult {
        // Stopped early (see `done`): its counts would be wrong, and finishing them (the
        // file's set of a `--top` count's clients) would only take more memory.
        if let Some(held) = self.out_of_memory() {
            return Err(out_of_memory(held).into());
        }
        self.decide()?;
        if let (Some(planned), Some(at)) = (self.planned, ended_at) {
            if at < planned {
                return Err(shrank(planned, at).into());
            }
        }
        let (counts, bytes) = match self.stage {
            Stage::Plain(text) => text.finish()?,
            Stage::Decode(decoder) => decoder.finish()?.finish()?,
            Stage::Sniff { .. } => unreachable!("decided"),
        };
        if counts.keys.out_of_memory() {
            return Err(out_of_memory(counts.held()).into());
        }
        Ok((counts, bytes))
    }
}

/// The error of an input whose distinct clients outgrew the memory there was: its set stopped
/// growing at `held` keys, so its count would be wrong (docs/contract.md §2: never a silently
/// wrong number).
pub fn out_of_memory(held: usize) -> io::Error {
    let text = "out of memory: its distinct clients outgrew the memory available";
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        match held {
            // Where the keys were not in sets yet (a worker's answer): no count to give.
            0 => text.to_string(),
            _ => format!("{text} ({held} held)"),
        },
    )
}

/// Reads and counts jobs on one thread: its read buffer, and whether files are mapped.
#[derive(Debug)]
pub struct JobReader {
    buf: Vec<u8>,
    mode: ReadMode,
    /// Other threads of this process count at the same time.
    among_threads: bool,
}

impl JobReader {
    pub(crate) fn new(mode: ReadMode) -> JobReader {
        JobReader::with_buffer(mode, READ_BUF)
    }

    /// With a read buffer of `len` bytes (tests use tiny ones to cut lines everywhere).
    pub(crate) fn with_buffer(mode: ReadMode, len: usize) -> JobReader {
        JobReader {
            buf: vec![0; len.max(1)],
            mode,
            among_threads: false,
        }
    }

    /// Counts beside other threads of this process that count too (maps are then given back
    /// in bigger steps: [`Mapped::counted`]).
    pub(crate) fn among_threads(mut self) -> JobReader {
        self.among_threads = true;
        self
    }

    /// Maps files or reads them from now on.
    pub(crate) fn set_mode(&mut self, mode: ReadMode) {
        self.mode = mode;
    }

    /// Runs one job of a plan: opens its input, counts it from a map or reads it (by position
    /// from [`read_start`], or in sequence) and feeds a [`JobCounter`]; progress hears of the
    /// bytes as they are counted.
    pub(crate) fn count(
        &mut self,
        input: &Input,
        range: Option<&Range<u64>>,
        fields: Option<Arc<[u8]>>,
        shared: Option<Arc<dyn V4Shards>>,
        options: &Options,
        progress: &dyn Fn(u64),
    ) -> JobResult {
        let mut counter = JobCounter::new(input, range, fields, shared, options);
        let buf = &mut self.buf[..];
        let ended_at = match &input.source {
            Source::Stdin => feed_stream(io::stdin().lock(), &mut counter, buf, progress)?,
            Source::File(path) => {
                let file = open_file(path, input.id)?;
                match read_start(input, range) {
                    None => feed_stream(file, &mut counter, buf, progress)?,
                    Some(mut at) => {
                        let witness = witness(input, &file)?;
                        if let Some(map) = map_job(self.mode, &file, input.size, range, at) {
                            let len = map.bytes().len();
                            for from in (0..len).step_by(MAP_PIECE) {
                                if counter.done() {
                                    break;
                                }
                                let piece = from..(from + MAP_PIECE).min(len);
                                progress(counter.feed(&map.bytes()[piece.clone()])?);
                                map.counted(piece.end, self.among_threads);
                            }
                            at = after_map(&map, &file, input.size, at)?;
                        }
                        let ended_at = loop {
                            if counter.done() {
                                break None;
                            }
                            let n = retry(|| file.read_at(buf, at))?;
                            if n == 0 {
                                break Some(ended_at(&file, at));
                            }
                            progress(counter.feed(&buf[..n])?);
                            at += n as u64;
                        };
                        if let Some(w) = witness {
                            w.check(&file)?;
                        }
                        ended_at
                    }
                }
            }
        };
        counter.finish(ended_at)
    }
}

/// The witness a job of `input` checks once counted ([`Witness::wanted`]): the one read at
/// planning, or, for a plan that kept none (a partial's), read now from `file`, just opened.
pub fn witness(input: &Input, file: &std::fs::File) -> io::Result<Option<Witness>> {
    match (&input.witness, input.size) {
        (Some(w), _) => Ok(Some(w.clone())),
        (None, Some(size)) if Witness::wanted(input) => Witness::read(file, size).map(Some),
        _ => Ok(None),
    }
}

/// The map a job of a regular file of planned `size` is counted from, if it is worth one:
/// from `at` (its [`read_start`]) to its range's end and a little more, or to the planned size.
pub fn map_job(
    mode: ReadMode,
    file: &std::fs::File,
    size: Option<u64>,
    range: Option<&Range<u64>>,
    at: u64,
) -> Option<Mapped> {
    let size = size?;
    let end = range.map_or(size, |r| r.end.saturating_add(MAP_SLACK).min(size));
    Mapped::new(mode, file, at, end.checked_sub(at)?)
}

/// Once a job has counted what it needed of `map` (made from offset `at` of `file`): where
/// reading goes on, or the file's error if part of the map was lost to truncation (its zeros
/// must not count): "shrank" to the size it has now (not to where the map lost its pages,
/// which is rounded to a page), or "changed" if it has grown back to its planned size.
pub fn after_map(
    map: &Mapped,
    file: &std::fs::File,
    planned: Option<u64>,
    at: u64,
) -> io::Result<u64> {
    let planned = planned.unwrap_or(0);
    match map.lost() {
        Some(lost) => match file.metadata().map(|m| m.len()) {
            Ok(now) if now >= planned => Err(changed(planned)),
            Ok(now) => Err(shrank(planned, now)),
            Err(_) => Err(shrank(planned, at + lost)),
        },
        None => Ok(at + map.bytes().len() as u64),
    }
}

/// Feeds a whole stream to `counter` (or until it needs no more).
fn feed_stream(
    mut reader: impl Read,
    counter: &mut JobCounter,
    buf: &mut [u8],
    progress: &dyn Fn(u64),
) -> io::Result<Option<u64>> {
    while !counter.done() {
        let n = retry(|| reader.read(buf))?;
        if n == 0 {
            break;
        }
        progress(counter.feed(&buf[..n])?);
    }
    Ok(None)
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
    use crate::format::{Body, Format};
    use crate::testutil::gzip;
    use std::path::{Path, PathBuf};

    const LINE: &[u8] =
        b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612\n";

    fn classic(mut input: Input) -> Input {
        input.format = Choice::Named(Format::CLASSIC);
        input
    }

    fn run(input: &Input, range: Option<&Range<u64>>) -> JobResult {
        let options = Options::default();
        JobReader::with_buffer(ReadMode::Read, 7).count(input, range, None, None, &options, &|_| {})
    }

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> Input {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Input::file(path, (!bytes.is_empty()).then_some(bytes.len() as u64))
    }

    #[test]
    fn a_stream_fed_in_pieces_counts_like_the_whole_buffer() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\r\n\n3.3.3.3".repeat(1000);
        let stream = Input {
            source: Source::Stdin,
            size: None,
            regular: false,
            ..classic(Input::file("-", None))
        };
        let mut counter = JobCounter::new(&stream, None, None, None, &Options::default());
        for piece in data.chunks(7) {
            assert_eq!(counter.feed(piece).unwrap(), piece.len() as u64);
        }
        let (c, bytes) = counter.finish(None).unwrap();
        let whole = count(&data);
        assert_eq!(bytes, data.len() as u64);
        assert_eq!((c.total, c.ip()), (whole.total, whole.ip()));
    }

    #[test]
    fn file_ranges_add_up_to_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"1.1.1.1 a\r\n\n2.2.2.2, 9.9.9.9 b\nlong-key-0123456789 c\n3.3.3.3".repeat(50);
        let mut input = classic(file(dir.path(), "a.log", &data));
        input.compression = Compression::Plain;
        let whole = count(&data);
        let size = data.len() as u64;
        for chunk in [1u64, 3, 10, 64, 1000, size] {
            let done = std::cell::Cell::new(0);
            let progress = |n| done.set(done.get() + n);
            let mut total = Counts::default();
            let mut bytes = 0;
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                let range = start..end;
                let options = Options::default();
                let (c, b) = JobReader::with_buffer(ReadMode::Read, 5)
                    .count(&input, Some(&range), None, None, &options, &progress)
                    .unwrap();
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
    fn mapped_jobs_count_like_read_ones_whole_and_in_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let data =
            b"1.1.1.1 a\r\n\n2.2.2.2, 9.9.9.9 b\nlong-key-0123456789 c\n3.3.3.3".repeat(60_000);
        assert!(data.len() as u64 > 2 * crate::input::MIN_MAP);
        let mut input = classic(file(dir.path(), "a.log", &data));
        input.compression = Compression::Plain;
        let whole = count(&data);
        let size = data.len() as u64;
        for chunk in [
            size,
            crate::input::MIN_MAP + 7,
            3 * crate::input::MIN_MAP / 2,
        ] {
            for mode in [ReadMode::Map, ReadMode::Read] {
                let done = std::cell::Cell::new(0);
                let progress = |n| done.set(done.get() + n);
                let mut reader = JobReader::new(mode);
                let (mut total, mut bytes, mut start) = (Counts::default(), 0, 0);
                while start < size {
                    let range = start..(start + chunk).min(size);
                    let options = Options::default();
                    let (c, b) = reader
                        .count(&input, Some(&range), None, None, &options, &progress)
                        .unwrap();
                    total.merge(c);
                    bytes += b;
                    start = range.end;
                }
                let got = (total.total, total.ip(), total.malformed, bytes, done.get());
                let want = (whole.total, whole.ip(), whole.malformed, size, size);
                assert_eq!(got, want, "chunk {chunk}, {mode:?}");
            }
        }
    }

    /// Counts `input`'s job over `range` in `mode`, running `meddle` after each piece is
    /// counted, with the number of pieces counted so far.
    fn count_meddled(
        input: &Input,
        range: Option<&Range<u64>>,
        mode: ReadMode,
        meddle: impl Fn(u32),
    ) -> JobResult {
        let pieces = std::cell::Cell::new(0);
        let progress = |_| {
            pieces.set(pieces.get() + 1);
            meddle(pieces.get());
        };
        JobReader::new(mode).count(input, range, None, None, &Options::default(), &progress)
    }

    #[test]
    fn a_map_that_lost_pages_names_the_size_the_file_has_not_a_page_boundary() {
        // Truncated after the first piece (the next touches lost pages: zeros under SIGBUS),
        // then either left so or grown back past its planned size after the second.
        let dir = tempfile::tempdir().unwrap();
        let data = LINE.repeat(40_000);
        let size = data.len() as u64;
        let path = dir.path().join("a.log");
        let cut = crate::input::MIN_MAP / 2 + 7;
        for regrow in [false, true] {
            std::fs::write(&path, &data).unwrap();
            let input = Input::file(&path, Some(size));
            let meddle = |piece| {
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                match piece {
                    1 => f.set_len(cut).unwrap(),
                    2 if regrow => f.set_len(size).unwrap(),
                    _ => {}
                }
            };
            let e = count_meddled(&input, None, ReadMode::Map, meddle).unwrap_err();
            let want = if regrow {
                "changed while being counted".to_string()
            } else {
                format!("shrank from {size} to {cut} bytes")
            };
            assert!(e.to_string().contains(&want), "{e}");
        }
    }

    #[test]
    fn a_file_truncated_and_grown_again_while_counted_is_its_error() {
        // logrotate's copytruncate with a writer that does not append: the file keeps its
        // planned size, with zeros where lines were (issue 27: counted as 1 malformed line,
        // exit 0). Mapped and read, whole and in ranges, the witness read at the open (a
        // partial's plan keeps none) or at planning.
        let dir = tempfile::tempdir().unwrap();
        let data = LINE.repeat(40_000);
        let size = data.len() as u64;
        assert!(size > 2 * crate::input::MIN_MAP);
        let path = dir.path().join("a.log");
        let rewrite = |piece| {
            if piece == 1 {
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.set_len(size / 3).unwrap();
                f.set_len(size + 100).unwrap();
            }
        };
        let append = |_| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            f.write_all(LINE).unwrap();
        };
        let ranges = [None, Some(0..size / 2), Some(size / 2..size)];
        for (mode, range, planned) in every_way(&ranges) {
            std::fs::write(&path, &data).unwrap();
            let mut input = Input::file(&path, Some(size));
            if planned {
                let file = std::fs::File::open(&path).unwrap();
                input.witness = Some(Witness::read(&file, size).unwrap());
            }
            let how = format!("{mode:?}, {range:?}, witness read at planning: {planned}");
            let e = count_meddled(&input, range.as_ref(), mode, rewrite).unwrap_err();
            let e = e.to_string();
            assert!(e.starts_with("changed while being counted"), "{how}: {e}");

            // Appends leave the witness as it was: the planned snapshot is counted.
            std::fs::write(&path, &data).unwrap();
            let (c, _) = count_meddled(&input, range.as_ref(), mode, append).unwrap();
            let lines = range.as_ref().map_or(40_000, |r| {
                r.end.div_ceil(LINE.len() as u64) - r.start.div_ceil(LINE.len() as u64)
            });
            assert_eq!(c.total, lines, "{how}");
        }
    }

    /// Every read mode, range of `ranges`, and whether the witness was read at planning.
    fn every_way(ranges: &[Option<Range<u64>>]) -> Vec<(ReadMode, Option<Range<u64>>, bool)> {
        let mut all = Vec::new();
        for mode in [ReadMode::Map, ReadMode::Read] {
            for range in ranges {
                for planned in [false, true] {
                    all.push((mode, range.clone(), planned));
                }
            }
        }
        all
    }

    #[test]
    fn a_file_that_ends_before_its_planned_size_shrank_by_its_own_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut input = classic(file(dir.path(), "a.log", b"1.1.1.1 a\n2.2.2.2 b\n"));
        input.size = Some(100);
        let e = run(&input, None).unwrap_err();
        assert!(e.to_string().contains("shrank from 100 to 20"), "{e}");
        // A job of a file cut into jobs names the file's sizes, not its range.
        input.compression = Compression::Plain;
        let e = run(&input, Some(&(50..100))).unwrap_err();
        assert!(e.to_string().contains("shrank from 100 to 20"), "{e}");
    }

    #[test]
    fn compression_is_told_by_content_whatever_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let text = LINE.repeat(40);
        let (c, bytes) = run(&file(d, "no-ext.log", &gzip(&text)), None).unwrap();
        assert_eq!((c.total, bytes), (40, text.len() as u64));
        assert_eq!(c.format, Some(Format::plain(Body::Combined)));
        let e = run(&file(d, "plain.log.gz", &text), None).unwrap_err();
        assert!(e.to_string().contains("named like gzip data"), "{e}");
        let (c, _) = run(&file(d, "empty.log.gz", b""), None).unwrap();
        assert_eq!((c.total, c.format), (0, None), "an empty file is empty");
        // Plain text named like nothing special, and the same text behind each codec.
        let (plain, _) = run(&file(d, "p.log", &text), None).unwrap();
        assert_eq!(plain.total, 40);
        for (name, bytes) in [
            (
                "x.bz2",
                crate::input::decompress::tests::compress(Codec::Bzip2, &text),
            ),
            (
                "x.xz",
                crate::input::decompress::tests::compress(Codec::Xz, &text),
            ),
            (
                "x",
                crate::input::decompress::tests::compress(Codec::Zstd, &text),
            ),
        ] {
            let (c, b) = run(&file(d, name, &bytes), None).unwrap();
            assert_eq!((c.total, c.ip(), b), (40, 1, text.len() as u64), "{name}");
        }
    }

    #[test]
    fn a_job_detects_its_format_or_stops_early_for_what_is_no_access_log() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut text = b"#Version: 1.0\n#Fields: date time c-ip\n".to_vec();
        text.extend(b"2021-03-22 10:01:02 198.51.100.1\n".repeat(30));
        let (c, _) = run(&file(d, "u_ex.log", &text), None).unwrap();
        assert_eq!((c.total, c.format), (30, Some(Format::plain(Body::W3c))));
        let error_log = b"2022/07/25 10:00:00 [error] 123#0: *1 open() failed\n".repeat(20_000);
        let input = file(d, "error.log", &error_log);
        let mut counter = JobCounter::new(&input, None, None, None, &Options::default());
        let mut fed = 0;
        for piece in error_log.chunks(4096) {
            if counter.done() {
                break;
            }
            counter.feed(piece).unwrap();
            fed += piece.len();
        }
        assert!(fed < 200_000, "stopped after the sample, not at {fed}");
        let e = counter.finish(None).unwrap_err();
        assert!(matches!(e, JobError::NotAccessLog(_)), "{e}");
    }

    #[test]
    fn a_range_counter_stops_once_its_last_line_is_complete() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\n3.3.3.3 c\n";
        let mut input = classic(Input::file("f", Some(data.len() as u64)));
        input.compression = Compression::Plain;
        // The range 12..21 owns only the line starting at 20; feeding starts one byte early.
        let range = 12..21;
        assert_eq!(read_start(&input, Some(&range)), Some(11));
        let mut counter = JobCounter::new(&input, Some(&range), None, None, &Options::default());
        let mut fed = 0;
        for b in data[11..].chunks(3) {
            if counter.done() {
                break;
            }
            fed += counter.feed(b).unwrap();
        }
        assert!(counter.done());
        let (c, bytes) = counter.finish(None).unwrap();
        assert_eq!((c.total, c.ip(), bytes, fed), (1, 1, 9, 9));
    }
}

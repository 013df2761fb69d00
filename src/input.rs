//! Turning command-line arguments into inputs, and reading an input's bytes.
//!
//! Directories are walked recursively in sorted order, hidden entries skipped; the same file
//! reached twice is kept once; `-` is standard input; `.gz` files are decompressed on the fly.
//! Reading is done with plain `read` calls into a reused buffer: unlike a memory map, it cannot
//! be killed by SIGBUS when a log is truncated under us (logrotate's `copytruncate`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::count::{Counter, Counts, OwnedLines};

/// Where an input's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

/// One input to count.
#[derive(Clone, Debug)]
pub struct Input {
    /// The path as reached from the arguments (`-` for standard input); the key in reports.
    pub name: String,
    pub source: Source,
    /// Size at planning time, for regular files (before decompression). Regular files are
    /// counted up to this size (plus the end of a line cut by it), a snapshot that later
    /// appends cannot tear.
    pub size: Option<u64>,
    /// Device and inode at planning time, to notice a file replaced before it is counted.
    pub id: Option<(u64, u64)>,
    /// Decompress with gzip.
    pub gzip: bool,
}

/// An input that could not be used, reported beside the results.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputError {
    pub path: String,
    pub error: String,
}

impl InputError {
    pub fn new(path: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self {
            path: path.into(),
            error: error.to_string(),
        }
    }
}

/// Something noticed while expanding arguments that is neither an input nor an error
/// (a FIFO or device met in a directory walk, which is skipped rather than read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// The result of expanding the arguments.
#[derive(Debug, Default)]
pub struct Expanded {
    pub inputs: Vec<Input>,
    pub errors: Vec<InputError>,
    pub notes: Vec<Note>,
}

/// Expands files, directories and `-` into inputs, in argument order (walks sorted), each
/// file once.
pub fn expand(args: &[PathBuf]) -> Expanded {
    let mut out = Expanded::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg.as_os_str() == "-" {
            if !std::mem::replace(&mut stdin_seen, true) {
                out.inputs.push(Input {
                    name: "-".into(),
                    source: Source::Stdin,
                    size: None,
                    id: None,
                    gzip: false,
                });
            }
            continue;
        }
        match std::fs::metadata(arg) {
            Err(e) => out.errors.push(InputError::new(display(arg), e)),
            Ok(meta) if meta.is_dir() => walk(arg, &mut seen, &mut out),
            // A FIFO named on the command line is read like standard input: `<(zcat a.gz)` is
            // a legitimate way to feed logcount. A device could never end (`/dev/zero`).
            Ok(meta) if meta.is_file() || meta.file_type().is_fifo() => {
                add_file(arg.clone(), &meta, &mut seen, &mut out)
            }
            Ok(meta) => out.errors.push(InputError::new(
                display(arg),
                format!("not a regular file, FIFO or directory ({})", kind(&meta)),
            )),
        }
    }
    out
}

fn walk(root: &Path, seen: &mut HashSet<(u64, u64)>, out: &mut Expanded) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Err(e) => {
                let path = e.path().map_or_else(|| display(root), display);
                let reason = match e.io_error() {
                    Some(io) => io.to_string(),
                    None => e.to_string(),
                };
                out.errors.push(InputError::new(path, reason));
            }
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry) if entry.file_type().is_file() => match entry.metadata() {
                Ok(meta) => add_file(entry.into_path(), &meta, seen, out),
                Err(e) => out.errors.push(InputError::new(display(entry.path()), e)),
            },
            // FIFOs, sockets and devices met in a walk are skipped, never read: a FIFO nobody
            // writes to would hang the run, a device might never end.
            Ok(entry) => {
                let what = entry.metadata().map_or("special file", |m| kind(&m));
                out.notes.push(Note {
                    path: display(entry.path()),
                    message: format!("skipped: {what}, not a regular file"),
                });
            }
        }
    }
}

fn add_file(
    path: PathBuf,
    meta: &std::fs::Metadata,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Expanded,
) {
    if !seen.insert((meta.dev(), meta.ino())) {
        return;
    }
    let gzip = path.extension().is_some_and(|e| e == "gz");
    out.inputs.push(Input {
        name: display(&path),
        size: meta.is_file().then_some(meta.len()),
        id: Some((meta.dev(), meta.ino())),
        source: Source::File(path),
        gzip,
    });
}

/// What kind of special file `meta` describes, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// A path as text for reports (lossy only for names that are not UTF-8).
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A reader that reports the bytes it reads (on disk, before decompression) to `progress`.
struct Tracked<'a, R> {
    inner: R,
    progress: &'a dyn Fn(u64),
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

/// Opens an input as a byte stream, decompressing `.gz`; raw bytes read go to `progress`.
pub fn open<'a>(input: &Input, progress: &'a dyn Fn(u64)) -> io::Result<Box<dyn Read + 'a>> {
    let raw: Box<dyn Read + Send> = match &input.source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(path) => Box::new(open_file(path, input.id)?),
    };
    let tracked = Tracked {
        inner: raw,
        progress,
    };
    Ok(if input.gzip {
        // Multi-member, as `gzip -d` reads concatenated members (`cat a.gz b.gz`).
        Box::new(flate2::read::MultiGzDecoder::new(tracked))
    } else {
        Box::new(tracked)
    })
}

/// How long a FIFO named on the command line may go without a writer before it is an error
/// (a FIFO nobody ever writes to must not hang the run).
pub const FIFO_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens a planned file, refusing one that was replaced since planning.
///
/// The open is non-blocking, so a FIFO without a writer cannot hang it; a FIFO then gets
/// [`FIFO_WAIT`] for a writer to appear. Reads are blocking again afterwards.
pub fn open_file(path: &Path, id: Option<(u64, u64)>) -> io::Result<File> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    check_id(&meta, id)?;
    if meta.file_type().is_fifo() {
        wait_for_writer(&file)?;
    }
    set_blocking(&file)?;
    Ok(file)
}

/// Opens a planned file like [`open_file`], but only where that cannot wait for the disk:
/// `openat2` with `RESOLVE_CACHED` (Linux 5.12+) fails rather than look up a path that is not
/// all in the kernel's cache. `None` when the open would wait, when it fails for any reason
/// (the blocking [`open_file`] then gives the same error), or when the path is not a regular
/// file (a FIFO must wait for its writer).
#[cfg(target_os = "linux")]
pub fn open_file_cached(path: &Path, id: Option<(u64, u64)>) -> Option<io::Result<File>> {
    use rustix::fs::{openat2, Mode, OFlags, ResolveFlags, CWD};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = openat2(CWD, path, flags, Mode::empty(), ResolveFlags::CACHED).ok()?;
    let file = File::from(fd);
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    Some(
        check_id(&meta, id)
            .and_then(|()| set_blocking(&file))
            .map(|()| file),
    )
}

#[cfg(not(target_os = "linux"))]
pub fn open_file_cached(_: &Path, _: Option<(u64, u64)>) -> Option<io::Result<File>> {
    None
}

/// An error if the file opened is not the one planned (device and inode differ).
fn check_id(meta: &std::fs::Metadata, id: Option<(u64, u64)>) -> io::Result<()> {
    if id.is_some_and(|id| id != (meta.dev(), meta.ino())) {
        return Err(io::Error::other(
            "replaced since the run started (log rotation?)",
        ));
    }
    Ok(())
}

/// Waits until a FIFO has data or its writer has come and gone.
fn wait_for_writer(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut fds = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let deadline = std::time::Instant::now() + FIFO_WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
        let ready = unsafe { libc::poll(&mut fds, 1, left.as_millis() as libc::c_int) };
        match ready {
            n if n > 0 => return Ok(()),
            0 => {
                return Err(io::Error::other(format!(
                    "FIFO with no writer for {} s",
                    FIFO_WAIT.as_secs()
                )))
            }
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

fn set_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with flags it accepts; no memory is involved.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Size of the read buffer: big enough that syscalls cost nothing measurable, small enough to
/// stay in cache while it is counted.
pub const READ_BUF: usize = 256 * 1024;

/// Reads into `buf`, retrying when interrupted by a signal.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Counts a whole stream; returns the counts and the number of bytes counted.
pub fn count_stream(mut reader: impl Read, buf: &mut [u8]) -> io::Result<(Counts, u64)> {
    let mut counter = Counter::new();
    let mut bytes = 0u64;
    loop {
        let n = read_some(&mut reader, buf)?;
        if n == 0 {
            break;
        }
        counter.feed(&buf[..n]);
        bytes += n as u64;
    }
    Ok((counter.finish(), bytes))
}

/// Counts the lines that start in `range` of a regular file (reading past its end to finish
/// the last one); returns the counts and the bytes of the range that were read.
///
/// A file that ends before the range does was truncated while we counted (logrotate's
/// `copytruncate`): that is an error for the file rather than a count of a torn snapshot.
pub fn count_range(
    path: &Path,
    id: Option<(u64, u64)>,
    range: &Range<u64>,
    buf: &mut [u8],
    progress: &dyn Fn(u64),
) -> io::Result<(Counts, u64)> {
    let file = open_file(path, id)?;
    let mut job = OwnedLines::new(range.start, range.end);
    let mut at = OwnedLines::from(range.start);
    let mut bytes = 0;
    while !job.done() {
        let n = loop {
            match file.read_at(buf, at) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            if at < range.end {
                return Err(shrank(range.end, at));
            }
            break; // the file ends with the range (a last line without `\n` is still counted)
        }
        let inside = job.feed(&buf[..n]);
        progress(inside);
        bytes += inside;
        at += n as u64;
    }
    Ok((job.finish(), bytes))
}

/// The error for a file that ended at `at`, before the end of the range it was planned with.
pub fn shrank(planned_end: u64, at: u64) -> io::Error {
    io::Error::other(format!(
        "shrank from {planned_end} to {at} bytes while being counted (truncated by log rotation?)"
    ))
}

/// The byte range a job reads by positional reads: its own range, or the whole planned size of
/// a regular uncompressed file. `None` for what is read as a stream (`.gz`, stdin, FIFOs).
pub fn job_range(input: &Input, range: Option<&Range<u64>>) -> Option<Range<u64>> {
    match (&input.source, range, input.size) {
        (Source::File(_), Some(range), _) if !input.gzip => Some(range.clone()),
        (Source::File(_), None, Some(size)) if !input.gzip => Some(0..size),
        _ => None,
    }
}

/// Runs one job of a plan. A regular file is read by positional reads up to its planned size
/// (all of it, or the job's range); a `.gz` file, standard input or a FIFO is read as a stream.
pub fn count_job(
    input: &Input,
    range: Option<&Range<u64>>,
    buf: &mut [u8],
    progress: &dyn Fn(u64),
) -> io::Result<(Counts, u64)> {
    match (&input.source, job_range(input, range)) {
        (Source::File(path), Some(range)) => count_range(path, input.id, &range, buf, progress),
        _ => count_stream(open(input, progress)?, buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_counts_like_buffer() {
        let data = b"1.1.1.1 a\n2.2.2.2 b\r\n\n3.3.3.3".repeat(1000);
        let mut buf = vec![0u8; 7];
        let (c, bytes) = count_stream(&data[..], &mut buf).unwrap();
        let whole = crate::count::count(&data);
        assert_eq!(bytes, data.len() as u64);
        assert_eq!((c.total, c.ip()), (whole.total, whole.ip()));
    }

    #[test]
    fn file_ranges_add_up_to_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let data = b"1.1.1.1 a\r\n\n2.2.2.2, 9.9.9.9 b\nlong-key-0123456789 c\n3.3.3.3".repeat(50);
        std::fs::write(&path, &data).unwrap();
        let whole = crate::count::count(&data);
        let size = data.len() as u64;
        for chunk in [1u64, 3, 10, 64, 1000, size] {
            let done = std::cell::Cell::new(0);
            let progress = |n| done.set(done.get() + n);
            let mut total = Counts::default();
            let mut bytes = 0;
            let mut buf = vec![0u8; 5];
            let mut start = 0;
            while start < size {
                let end = (start + chunk).min(size);
                let (c, b) = count_range(&path, None, &(start..end), &mut buf, &progress).unwrap();
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
    fn walk_is_sorted_skips_hidden_and_dedupes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::create_dir(d.join(".hidden_dir")).unwrap();
        for f in [
            "b.log",
            "a.log",
            "sub/c.log",
            ".hidden.log",
            ".hidden_dir/x.log",
        ] {
            std::fs::write(d.join(f), b"1.1.1.1\n").unwrap();
        }
        let args = vec![d.to_path_buf(), d.join("a.log")];
        let got = expand(&args);
        let names: Vec<String> = got.inputs.iter().map(|i| i.name.clone()).collect();
        let want: Vec<String> = ["a.log", "b.log", "sub/c.log"]
            .iter()
            .map(|f| display(&d.join(f)))
            .collect();
        assert_eq!(names, want);
        assert!(got.errors.is_empty());
    }

    #[test]
    fn missing_path_is_an_error_and_stdin_once() {
        let got = expand(&[
            PathBuf::from("/definitely/not/here.log"),
            PathBuf::from("-"),
            PathBuf::from("-"),
        ]);
        assert_eq!(got.inputs.len(), 1);
        assert_eq!(got.inputs[0].source, Source::Stdin);
        assert_eq!(got.errors.len(), 1);
        assert_eq!(got.errors[0].path, "/definitely/not/here.log");
    }
}

//! Opening a job's input for the async reader, and reading it: by position without waiting
//! where the page cache has the bytes, on a blocking thread where it has not, or from a map
//! counted in place.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::os::unix::fs::FileExt;

use crate::input::{self, read_start, Input, Mapped, ReadMode, Source, Witness};

/// Where and how a job's input is to be opened.
pub(super) struct Opening {
    /// `None` for standard input.
    path: Option<std::path::PathBuf>,
    id: Option<(u64, u64)>,
    /// Where positional reads start; `None` to read in sequence.
    start: Option<u64>,
    /// Whether to try opening and reading without waiting.
    nowait: bool,
    /// Whether to map the file, its planned size, and the job's range.
    mode: ReadMode,
    size: Option<u64>,
    range: Option<Range<u64>>,
    /// The witness planning read, or whether one is to be read at the open.
    witness: Option<Witness>,
    wanted: bool,
}

impl Opening {
    pub(super) fn new(
        input: &Input,
        range: Option<&Range<u64>>,
        nowait: bool,
        mode: ReadMode,
    ) -> Opening {
        Opening {
            mode,
            size: input.size,
            range: range.cloned(),
            path: match &input.source {
                Source::Stdin => None,
                Source::File(path) => Some(path.clone()),
            },
            id: input.id,
            witness: input.witness.clone(),
            wanted: Witness::wanted(input),
            start: read_start(input, range),
            nowait: nowait && cfg!(target_os = "linux"),
        }
    }

    /// Opens the input right away if that cannot wait: standard input, or a regular file
    /// whose path the kernel has cached. `None` if it could wait (a lookup on disk, a FIFO
    /// waiting for its writer): then [`Opening::wait`] on a blocking thread.
    pub(super) fn now(&self) -> Option<io::Result<(OpenInput, Option<Witness>)>> {
        match &self.path {
            None => Some(Ok((OpenInput::Stdin, None))),
            // A witness still to be read would wait for the disk.
            Some(path) if self.start.is_some() && self.nowait && !self.reads_witness() => {
                Some(input::open_file_cached(path, self.id)?.and_then(|file| self.open(file)))
            }
            Some(_) => None,
        }
    }

    /// Opens the input, waiting for the disk or a FIFO's writer if need be.
    pub(super) fn wait(self) -> io::Result<(OpenInput, Option<Witness>)> {
        match &self.path {
            None => Ok((OpenInput::Stdin, None)),
            Some(path) => input::open_file(path, self.id).and_then(|file| self.open(file)),
        }
    }

    /// Whether the open reads the witness (one planning did not read, for a file read by
    /// position).
    fn reads_witness(&self) -> bool {
        self.start.is_some() && self.witness.is_none() && self.wanted
    }

    /// The reader of the opened `file`, and its witness if it has one.
    fn open(&self, file: File) -> io::Result<(OpenInput, Option<Witness>)> {
        let witness = match (self.start, self.size) {
            (Some(_), Some(size)) if self.reads_witness() => Some(Witness::read(&file, size)?),
            (Some(_), _) => self.witness.clone(),
            (None, _) => None,
        };
        Ok((self.reader(file), witness))
    }

    fn reader(&self, file: File) -> OpenInput {
        let nowait = self.start.is_some() && self.nowait;
        if let Some(at) = self.start {
            let range = self.range.as_ref();
            if let Some(map) = input::map_job(self.mode, &file, self.size, range, at) {
                return OpenInput::Mapped(Box::new(MappedInput {
                    map,
                    file,
                    at,
                    pos: 0,
                    planned: self.size,
                    nowait,
                    touched: false,
                }));
            }
        }
        OpenInput::File {
            file,
            at: self.start,
            nowait: self.start.is_some() && self.nowait,
        }
    }
}

/// A job's map, counted in place (see [`LaneJob::step_map`]).
pub(super) struct MappedInput {
    pub(super) map: Mapped,
    file: File,
    /// The file offset the map starts at.
    at: u64,
    /// The offset in the map of the next piece to count.
    pub(super) pos: usize,
    planned: Option<u64>,
    /// Whether pieces are counted in place when they are in memory (else each is brought in on
    /// a blocking thread first, as on a cold disk).
    pub(super) nowait: bool,
    /// The next piece was just brought in.
    pub(super) touched: bool,
}

impl MappedInput {
    /// Once the job needs no more of the map: the reader that reads on from its end (for a
    /// line still being written at the planned size), and the error if pages of the map were
    /// lost to a truncation (the reader then stands where the map started).
    pub(super) fn read_on(self) -> (OpenInput, Option<io::Error>) {
        let MappedInput {
            map,
            file,
            at,
            planned,
            nowait,
            ..
        } = self;
        let next = input::after_map(&map, &file, planned, at);
        drop(map);
        let (at, failed) = match next {
            Ok(end) => (end, None),
            Err(e) => (at, Some(e)),
        };
        let reader = OpenInput::File {
            file,
            at: Some(at),
            nowait,
        };
        (reader, failed)
    }
}

/// An open input.
pub(super) enum OpenInput {
    Stdin,
    /// A regular file counted from a map, until the job needs bytes past it (it then becomes
    /// a [`OpenInput::File`]).
    Mapped(Box<MappedInput>),
    /// A file; `at` is the offset of the next read for a regular file (read with `pread`), or
    /// `None` for a pipe named on the command line (read in sequence).
    File {
        file: File,
        at: Option<u64>,
        /// Whether reads that must not wait for the disk are worth trying.
        nowait: bool,
    },
}

impl OpenInput {
    /// The file read, if it is one.
    pub(super) fn file(&self) -> Option<&File> {
        match self {
            OpenInput::Stdin => None,
            OpenInput::Mapped(m) => Some(&m.file),
            OpenInput::File { file, .. } => Some(file),
        }
    }

    /// Where a file read by position ended (asked at its end).
    pub(super) fn ended_at(&self) -> Option<u64> {
        match self {
            OpenInput::File {
                file, at: Some(at), ..
            } => Some(input::ended_at(file, *at)),
            _ => None,
        }
    }

    /// Reads the next bytes, waiting for the disk if need be (on a blocking thread), retrying
    /// when interrupted by a signal.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match self {
                OpenInput::Stdin => io::stdin().read(buf),
                OpenInput::File {
                    file, at: Some(at), ..
                } => file.read_at(buf, *at),
                OpenInput::File { file, at: None, .. } => file.read(buf),
                // Never read: `LaneJob::step_map` counts it in place and then reads a file.
                OpenInput::Mapped(_) => Err(io::Error::other("a mapped input read as a file")),
            };
            match n {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(n) => {
                    if let OpenInput::File { at: Some(at), .. } = self {
                        *at += n as u64;
                    }
                    return Ok(n);
                }
            }
        }
    }

    /// Reads the next bytes only if the page cache has them (`preadv2` with `RWF_NOWAIT`): cheap
    /// enough to do on a counting thread, where it saves a trip to a blocking thread (`0` is
    /// the end of the file, as for `read`). `None` when the read would wait, or when it is not
    /// worth trying (errors and old kernels are left to [`OpenInput::read`]).
    pub(super) fn read_cached(&mut self, buf: &mut [u8]) -> Option<usize> {
        let OpenInput::File {
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
pub(super) fn read_nowait(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let iov = nix::libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let offset = nix::libc::off_t::try_from(at).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: one iovec over `buf`, which outlives the call; the descriptor is `file`'s.
    let n = unsafe { nix::libc::preadv2(file.as_raw_fd(), &iov, 1, offset, nix::libc::RWF_NOWAIT) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn read_nowait(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_read_that_cannot_wait_reads_a_cached_file_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"0123456789").unwrap();
        let file = File::open(&path).unwrap();
        // Just written: in the page cache, so the read does not wait (or the kernel refuses
        // RWF_NOWAIT altogether, which the reader takes as "read the usual way").
        let mut buf = [0u8; 4];
        match read_nowait(&file, &mut buf, 3) {
            Ok(n) => assert_eq!(&buf[..n], b"3456"),
            Err(e) => assert!(
                matches!(
                    e.raw_os_error(),
                    Some(nix::libc::EOPNOTSUPP | nix::libc::EINVAL)
                ),
                "{e}"
            ),
        }
    }
}

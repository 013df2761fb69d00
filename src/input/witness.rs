//! Noticing a file rewritten while it is counted (docs/contract.md §2).
//!
//! A file truncated and grown again (logrotate's `copytruncate` with a writer that does not
//! append, or `truncate -s` twice) keeps or passes its planned size, so the size check that
//! catches a file that shrank misses it, and a map or a read then sees zeros or other bytes
//! where the counted lines were. Like tar's "file changed as we read it", the last bytes before
//! the planned end are read before counting (at planning) and again after it: appends leave
//! them as they were, a truncation below the planned end cannot.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::read::{changed, shrank};
use super::Input;

/// The bytes before a file's planned end, as they were before it was counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The planned end (the file's planned size).
    end: u64,
    bytes: Arc<[u8]>,
}

impl Witness {
    /// Bytes kept: a few log lines, which a rewrite cannot leave alike by chance.
    pub(crate) const LEN: u64 = 512;

    /// Files up to this size are not witnessed: each is read in one `read` (a rewrite would
    /// have to fall between two system calls), and an open and a read more per file would
    /// cost a run over many small files a fifth of its time. A file just bigger is counted in
    /// ~150 µs; its witness costs ~6 µs, at planning.
    pub(crate) const MIN_SIZE: u64 = super::READ_BUF as u64 + 1;

    /// Whether `input`'s jobs are to be witnessed: a regular file of at least
    /// [`Witness::MIN_SIZE`] bytes.
    pub(crate) fn wanted(input: &Input) -> bool {
        input.regular && input.size.is_some_and(|s| s >= Self::MIN_SIZE)
    }

    /// Reads the witness of `file` for a planned size of `end` bytes (an error if the file is
    /// already shorter: it shrank).
    pub(crate) fn read(file: &File, end: u64) -> io::Result<Witness> {
        let from = end.saturating_sub(Self::LEN);
        let mut bytes = vec![0; (end - from) as usize];
        let n = read_full_at(file, &mut bytes, from)?;
        if n < bytes.len() {
            return Err(shrank(end, super::ended_at(file, from + n as u64)));
        }
        Ok(Witness {
            end,
            bytes: bytes.into(),
        })
    }

    /// The witness bytes, as sent to a worker process.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A witness received with a job whose planned size is `end`; `None` if it cannot be one
    /// (more bytes than the file had).
    pub(crate) fn from_bytes(end: u64, bytes: &[u8]) -> Option<Witness> {
        (bytes.len() as u64 <= end).then(|| Witness {
            end,
            bytes: bytes.into(),
        })
    }

    /// After counting: an error if the bytes before the planned end are no longer those read
    /// before (the file is now shorter than them: it shrank).
    pub(crate) fn check(&self, file: &File) -> io::Result<()> {
        let mut now = vec![0; self.bytes.len()];
        let from = self.end - self.bytes.len() as u64;
        let n = read_full_at(file, &mut now, from)?;
        if n < now.len() {
            return Err(shrank(self.end, super::ended_at(file, from + n as u64)));
        }
        if now[..] != self.bytes[..] {
            return Err(changed(self.end));
        }
        Ok(())
    }
}

/// Reads into `buf` from `at` until it is full or the file ends; the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let read = File::open(f.path()).unwrap();
        (f, read)
    }

    #[test]
    fn appends_keep_the_witness_a_rewrite_or_truncation_does_not() {
        let text = b"10.0.0.1 - - [x] \"GET /\" 200 1\n".repeat(100);
        let (mut f, read) = file(&text);
        let w = Witness::read(&read, text.len() as u64).unwrap();
        assert_eq!(w.bytes().len() as u64, Witness::LEN);
        f.write_all(b"appended\n").unwrap();
        w.check(&read).unwrap();

        // Truncated and grown again past the planned size: zeros where the lines were.
        f.as_file().set_len(100).unwrap();
        f.as_file().set_len(text.len() as u64 + 50).unwrap();
        let e = w.check(&read).unwrap_err().to_string();
        assert!(e.starts_with("changed while being counted"), "{e}");
        assert!(e.contains(&format!("{}", text.len())), "{e}");

        // Truncated below the planned end: it shrank, by its own sizes.
        f.as_file().set_len(1000).unwrap();
        let e = w.check(&read).unwrap_err().to_string();
        assert!(
            e.contains(&format!("shrank from {} to 1000", text.len())),
            "{e}"
        );
    }

    #[test]
    fn a_file_shorter_than_the_witness_is_witnessed_whole() {
        let (f, read) = file(b"1.1.1.1 a\n");
        let w = Witness::read(&read, 10).unwrap();
        assert_eq!(w.bytes(), b"1.1.1.1 a\n");
        w.check(&read).unwrap();
        std::fs::write(f.path(), b"2.2.2.2 b\n").unwrap();
        assert!(w.check(&read).is_err());
        let same = Witness::from_bytes(10, b"2.2.2.2 b\n").unwrap();
        same.check(&read).unwrap();
        assert_eq!(Witness::from_bytes(3, b"2.2.2.2 b\n"), None);
        let e = Witness::read(&read, 20).unwrap_err().to_string();
        assert!(e.contains("shrank from 20 to 10"), "{e}");
    }
}

//! Inputs: what the arguments name ([`expand()`]), how a planned file is opened ([`open`]), how
//! compressed bytes are decoded ([`decompress`]), and how a job's bytes are read ([`map`], or
//! `pread`) and counted ([`read`]).

mod decompress;
mod expand;
mod map;
mod open;
mod read;
mod witness;

use std::path::{Path, PathBuf};

pub(crate) use decompress::{sniff, Codec, Decoder, SNIFF_BYTES};
pub use expand::{expand, Expanded, Filters};
pub use map::{Mapped, ReadMode, MIN_MAP, MIN_MAP_ENV};
pub(crate) use open::open_file;
pub(crate) use open::open_file_cached;
pub use read::{
    after_map, ended_at, map_job, out_of_memory, read_start, witness, JobCounter, JobError,
    JobReader, JobResult, MAP_PIECE, READ_BUF,
};
pub use witness::Witness;

use crate::format::Choice;

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
    /// Size at planning time of a regular file with one (before decompression): it is read
    /// by position up to this size (plus the end of a line cut by it), a snapshot that later
    /// appends cannot tear. `None` for what is read in sequence to its end: standard input, a
    /// FIFO, or a file whose size reads as 0 (an empty file, or `/proc` and `/sys` ones).
    pub(crate) size: Option<u64>,
    /// Device and inode at planning time, to notice a file replaced before it is counted.
    pub(crate) id: Option<(u64, u64)>,
    /// A regular file (not standard input or a FIFO): it can be read again, by anyone.
    pub regular: bool,
    /// Named on the command line (rather than found in a walk): if it is not an access log,
    /// that is an error, not a note.
    pub(crate) named: bool,
    /// Whether its bytes are compressed, as far as planning knows.
    pub(crate) compression: Compression,
    /// The compression its name claims (`.gz`): bytes that say otherwise are an error.
    pub(crate) claimed: Option<Codec>,
    /// How its lines are read: the format named or detected at planning, or detected by its
    /// job from its first lines.
    pub(crate) format: Choice,
    /// The bytes before its planned size, read at planning, for a file big enough to be
    /// witnessed ([`Witness::wanted`]): they are read again after counting, to notice a file
    /// rewritten meanwhile.
    pub(crate) witness: Option<Witness>,
}

impl Input {
    /// A regular file named on the command line, its compression and format left to its job.
    #[cfg(test)]
    pub(crate) fn file(path: impl Into<PathBuf>, size: Option<u64>) -> Input {
        let path = path.into();
        Input {
            name: display(&path),
            claimed: path.file_name().and_then(Codec::of_name),
            source: Source::File(path),
            size,
            id: None,
            regular: true,
            named: true,
            compression: Compression::Sniff,
            format: Choice::Auto,
            witness: None,
        }
    }
}

/// What planning knows of an input's compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Told by its first bytes when it is read.
    Sniff,
    Plain,
    Compressed(Codec),
}

impl Compression {
    /// A one-byte code for wire messages and partial results.
    pub(crate) fn code(self) -> u8 {
        match self {
            Compression::Sniff => 0,
            Compression::Plain => 1,
            Compression::Compressed(codec) => 1 + codec.code(),
        }
    }

    /// The inverse of [`Compression::code`].
    pub(crate) fn from_code(code: u8) -> Option<Compression> {
        Some(match code {
            0 => Compression::Sniff,
            1 => Compression::Plain,
            n => Compression::Compressed(Codec::from_code(n - 1)?),
        })
    }
}

/// An input that could not be used, reported beside the results.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InputError {
    pub path: String,
    pub error: String,
}

impl InputError {
    pub(crate) fn new(path: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self {
            path: path.into(),
            error: error.to_string(),
        }
    }
}

/// An input met in a directory walk that is not counted: not an access log, or a FIFO, socket
/// or device (never read: it might never end).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl Skipped {
    pub(crate) fn new(path: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Self {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

/// A path as text for reports, without loss (docs/contract.md §2): as it is, unless it is not
/// UTF-8, holds `\x`, or holds a character that is not shown ([`crate::diag::is_hidden`]: a
/// control character, a bidirectional control); then every backslash is doubled and each byte
/// that is not part of a UTF-8 character, or is part of a hidden one, is written `\xHH`
/// (`a\xff`, a TAB `\x09`). Distinct paths are never shown alike, in JSON, on a terminal or in
/// HTML: a name shown with `\x` in it is escaped, one without is as it is, and [`name_bytes`]
/// gives the path back. (A TAB and a literal `\t` were both shown `\t` on terminals.)
pub fn display(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    display_bytes(path.as_os_str().as_bytes())
}

/// [`display`] of a path's bytes.
pub(crate) fn display_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains("\\x") && !text.chars().any(crate::diag::is_hidden) => {
            text.to_owned()
        }
        _ => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if crate::diag::is_hidden(c) {
                        let mut utf8 = [0; 4];
                        for b in c.encode_utf8(&mut utf8).bytes() {
                            out.push_str(&format!("\\x{b:02x}"));
                        }
                        continue;
                    }
                    if c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            out
        }
    }
}

/// The path bytes a name from [`display`] stands for.
pub fn name_bytes(shown: &str) -> Vec<u8> {
    if !shown.contains("\\x") {
        return shown.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(shown.len());
    let mut rest = shown.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match rest {
            [b'\\', tail @ ..] => {
                out.push(b'\\');
                rest = tail;
            }
            [b'x', hi, lo, tail @ ..] => {
                let hex = |d: u8| (d as char).to_digit(16).map(|v| v as u8);
                match (hex(*hi), hex(*lo)) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => out.extend_from_slice(&[b'\\', b'x', *hi, *lo]),
                }
                rest = tail;
            }
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_as_they_are_unless_they_must_be_escaped() {
        assert_eq!(display_bytes(b"logs/access.log"), "logs/access.log");
        assert_eq!(display_bytes("café\\n.log".as_bytes()), "café\\n.log");
        assert_eq!(display_bytes(b"a\xff"), "a\\xff");
        assert_eq!(display_bytes(b"a\\\xfe"), "a\\\\\\xfe");
        // A UTF-8 name that looks like an escape is escaped itself, so it cannot pass for one.
        assert_eq!(display_bytes(b"a\\xff"), "a\\\\xff");
        assert_eq!(display_bytes("a\u{fffd}".as_bytes()), "a\u{fffd}");
        // A TAB and a literal `\t` are shown apart, and a bidirectional control is escaped
        assert_eq!(display_bytes(b"x\ty.log"), "x\\x09y.log");
        assert_eq!(display_bytes(b"x\\ty.log"), "x\\ty.log");
        assert_eq!(
            display_bytes("gol.\u{202e}gnp.exe".as_bytes()),
            "gol.\\xe2\\x80\\xaegnp.exe"
        );
        assert_eq!(
            name_bytes("gol.\\xe2\\x80\\xaegnp.exe"),
            "gol.\u{202e}gnp.exe".as_bytes()
        );
    }

    proptest::proptest! {
        #[test]
        fn display_loses_nothing_and_never_merges_two_names(
            a in proptest::collection::vec(proptest::sample::select(b"axt\\\t\n\xff\xc3\xa9\xe2\x80\xae/".to_vec()), 0..12),
            b in proptest::collection::vec(proptest::sample::select(b"axt\\\t\n\xff\xc3\xa9\xe2\x80\xae/".to_vec()), 0..12),
        ) {
            proptest::prop_assert_eq!(&name_bytes(&display_bytes(&a)), &a);
            if a != b {
                proptest::prop_assert_ne!(display_bytes(&a), display_bytes(&b));
            }
        }
    }
}

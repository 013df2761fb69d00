//! Inputs: what the arguments name ([`expand`]), how a planned file is opened ([`open`]), and
//! how a job's bytes are read and counted ([`read`]).

mod expand;
mod open;
mod read;

use std::path::{Path, PathBuf};

pub use expand::{expand, Expanded};
pub use open::open_file;
pub(crate) use open::open_file_cached;
pub use read::{count_job, JobCounter, READ_BUF};
pub(crate) use read::{job_range, Span};

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

/// A path as text for reports (lossy only for names that are not UTF-8).
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

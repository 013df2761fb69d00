//! Where results go: stdout (a closed pipe ends quietly, any other failure is exit 1), and the
//! files `partial -o` and `merge --bucket -o` write (whole or not at all).

use std::io::{self, Read, Write};
use std::path::Path;

use logcount::diag;

use super::ExitStatus;

/// The exit status once stdout was written (or failed to be): a closed pipe (`| head`) is
/// not a failure, anything else (`> /dev/full`) is, so output is never lost with exit 0.
/// `Ok(status)` is the run's own status.
pub fn stdout_done(written: io::Result<()>, status: ExitStatus) -> ExitStatus {
    match written {
        Ok(()) => status,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::OK,
        Err(e) => {
            diag::warn(format_args!("cannot write output: {e}"));
            ExitStatus::FAILED
        }
    }
}

/// Writes to `path` (`-` is stdout) with `write`.
///
/// A regular file (or a symbolic link to one, or a name not taken yet) appears whole or not at
/// all: it is written beside its final name and renamed, so a task killed mid-write leaves no
/// partial that could be mistaken for a finished one, and a retried task replaces it
/// atomically. A link stays a link: what it names is replaced, in that file's directory.
/// Anything else (a FIFO, a device) is written in place, never replaced.
pub fn write_output(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if path.as_os_str() == "-" {
        let mut out = io::stdout().lock();
        return write(&mut out).and_then(|()| out.flush());
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        Ok(meta) if !meta.is_file() => {
            let mut out = std::fs::OpenOptions::new().write(true).open(path)?;
            return write(&mut out).and_then(|()| out.flush());
        }
        _ => {}
    }
    let path = link_target(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| write(&mut file))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The file `path` names once every symbolic link on the way is followed (itself when it is
/// not a link; the name a dangling link points at; `path` again after 40 links, a loop).
fn link_target(path: &Path) -> std::path::PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(next) => at = at.parent().unwrap_or(Path::new("")).join(next),
            Err(_) => return at,
        }
    }
    path.to_path_buf()
}

/// Reads a source (`-` is stdin) whole.
pub fn read_source(path: &Path) -> io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        io::stdin().lock().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(path)
    }
}

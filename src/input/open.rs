//! Opening a planned file: never one replaced since planning, never hanging on a FIFO without
//! a writer, and (for the async reader) without waiting for the disk where the kernel allows.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// How long a FIFO named on the command line may go without a writer before it is an error
/// (a FIFO nobody ever writes to must not hang the run). Once a writer holds it, it is read
/// for as long as the writer takes, as standard input is.
pub(crate) const FIFO_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens a planned file, refusing one that was replaced since planning.
///
/// The open is non-blocking, so a FIFO without a writer cannot hang it; a FIFO then gets
/// [`FIFO_WAIT`] for a writer to appear ([`wait_for_writer`]). Reads are blocking again
/// afterwards.
pub(crate) fn open_file(path: &Path, id: Option<(u64, u64)>) -> io::Result<File> {
    let file = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    check_id(&meta, id)?;
    if meta.file_type().is_fifo() {
        wait_for_writer(path, &file)?;
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
pub(crate) fn open_file_cached(path: &Path, id: Option<(u64, u64)>) -> Option<io::Result<File>> {
    use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag, AT_FDCWD};
    // RESOLVE_CACHED is newer than nix's names for the flags: the kernel's value.
    let cached = ResolveFlag::from_bits_retain(nix::libc::RESOLVE_CACHED);
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
        .resolve(cached);
    let file = File::from(openat2(AT_FDCWD, path, how).ok()?);
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
pub(crate) fn open_file_cached(_: &Path, _: Option<(u64, u64)>) -> Option<io::Result<File>> {
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

/// Waits until a FIFO has a writer (then its reads wait for its data, or its end, for as long
/// as it takes: `<(sleep 7; cat a.log)`, `<(ssh host cat a.log)`), or has data, or had a writer
/// that is gone; an error after [`FIFO_WAIT`] with none of these.
///
/// `poll` tells data and a writer's end, never a writer that is there and quiet, so that is
/// asked apart: an anonymous pipe (what `<(...)` names) has its writer from its start, and a
/// named FIFO has one when a blocking open of it returns (a helper thread tries that; a writer
/// opening for an instant wakes it when it is given up).
fn wait_for_writer(path: &Path, file: &File) -> io::Result<()> {
    if is_pipe(file) {
        return Ok(());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let opener = {
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("fifo-writer".into())
            .spawn(move || {
                // Returns once a writer has the FIFO open (at once when one already has).
                let _ = tx.send(File::open(&path).is_ok());
            })
    };
    let waited = poll_for_data(file);
    let writer = opener.is_ok() && rx.try_recv() == Ok(true);
    if opener.is_ok() && !writer {
        // Wake the helper: a writer for an instant (we are a reader, so it cannot block).
        let _ = File::options()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(path);
    }
    match waited {
        Ok(()) => Ok(()),
        Err(_) if writer => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `file` is an anonymous pipe (Linux shows it as `pipe:[inode]`), not a named FIFO.
fn is_pipe(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .is_ok_and(|target| target.as_os_str().as_encoded_bytes().starts_with(b"pipe:"))
}

/// Waits up to [`FIFO_WAIT`] until a FIFO has data or its writer has come and gone.
fn poll_for_data(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let mut fds = nix::libc::pollfd {
        fd: file.as_raw_fd(),
        events: nix::libc::POLLIN,
        revents: 0,
    };
    let deadline = std::time::Instant::now() + FIFO_WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
        let ready = unsafe { nix::libc::poll(&mut fds, 1, left.as_millis() as nix::libc::c_int) };
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
    let flags = unsafe { nix::libc::fcntl(fd, nix::libc::F_GETFL) };
    if flags < 0
        || unsafe { nix::libc::fcntl(fd, nix::libc::F_SETFL, flags & !nix::libc::O_NONBLOCK) } < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

//! Starting a worker with `fork`.
//!
//! Forking is only sound here because the parent has one thread when it forks: no rayon pool,
//! runtime or progress thread exists, the Reducer merges on the calling thread outside a rayon
//! pool, and the pool's merging threads (from `-j 3`) start only after the first workers are
//! forked. So the child is a consistent copy (no lock held by a thread that does not exist in
//! it) and may run ordinary Rust code. The pool checks the thread count before every fork and
//! spawns instead when it finds another thread (a retry's worker, once merging threads run).
//!
//! The child moves its two pipe ends to fds 0 and 1, closes every other descriptor (other
//! workers' pipes, the signal pipe, the parent's files), runs the worker loop, and leaves
//! with `_exit`: it never returns into the parent's stack, runs no destructor or atexit
//! handler, and never flushes a buffer that belongs to the parent.

use std::io;
use std::os::fd::{IntoRawFd, RawFd};

use nix::fcntl::OFlag;
use nix::unistd::{fork, pipe2, ForkResult, Pid};

use super::{worker, WorkerProc};

/// Forks one worker of `parent` (this process).
pub(super) fn start(parent: Pid) -> io::Result<WorkerProc> {
    let (job_read, job_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (answer_read, answer_write) = pipe2(OFlag::O_CLOEXEC)?;
    // SAFETY: this process has a single thread (the caller checks), so the child starts from
    // a consistent copy of it, and it ends with `_exit` without returning.
    match unsafe { fork() }? {
        ForkResult::Child => {
            let code = std::panic::catch_unwind(move || {
                match into_stdio(job_read.into_raw_fd(), answer_write.into_raw_fd()) {
                    Ok(()) => worker::run(Some(parent)),
                    // The parent reads the cause from the exit status.
                    Err(e) => setup_failed_status(&e),
                }
            })
            .unwrap_or(worker::EXIT_PANIC);
            // SAFETY: ends the child without running anything of the parent's.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => Ok(WorkerProc::new(child, job_write, answer_read)),
    }
}

/// Exit statuses from this base up mean the child could not set up its pipes, with the
/// error number added (`EMFILE` under a low open-file limit).
pub(super) const EXIT_SETUP: i32 = 150;

pub(super) fn setup_failed_status(e: &io::Error) -> i32 {
    match e.raw_os_error() {
        Some(errno) if (1..100).contains(&errno) => EXIT_SETUP + errno,
        _ => worker::EXIT_PANIC,
    }
}

/// The error a child that exited with `code` could not set up its pipes with, if that is why.
pub(super) fn setup_error(code: i32) -> Option<io::Error> {
    (EXIT_SETUP + 1..EXIT_SETUP + 100)
        .contains(&code)
        .then(|| io::Error::from_raw_os_error(code - EXIT_SETUP))
}

/// In the child: `jobs` becomes fd 0, `answers` fd 1, and every fd above 2 is closed. No new
/// descriptor is needed unless `answers` is fd 0 (a parent started with stdin closed): under
/// a low open-file limit there may be none to spare.
pub(super) fn into_stdio(jobs: RawFd, mut answers: RawFd) -> io::Result<()> {
    // SAFETY: plain descriptor calls on descriptors this child owns; nothing else in the
    // child uses the descriptors being replaced or closed.
    unsafe {
        if answers == 0 {
            // dup2(jobs, 0) would close it: move it out of the way first.
            answers = check(nix::libc::fcntl(answers, nix::libc::F_DUPFD_CLOEXEC, 3))?;
        }
        check(nix::libc::dup2(jobs, 0))?;
        check(nix::libc::dup2(answers, 1))?;
        if nix::libc::syscall(nix::libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            close_from_3_slowly();
        }
    }
    Ok(())
}

fn check(ret: nix::libc::c_int) -> io::Result<nix::libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// For kernels without `close_range` (before 5.9): close what /proc lists.
fn close_from_3_slowly() {
    let fds: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|&fd| fd > 2)
                .collect()
        })
        .unwrap_or_default();
    for fd in fds {
        // SAFETY: closing descriptors nothing in the child uses (the directory's own fd is
        // already closed, and closing it twice is harmless).
        unsafe { nix::libc::close(fd) };
    }
}

//! Ctrl-C and SIGTERM while workers run. The handler does the one async-signal-safe thing
//! needed: it writes the signal's number to a pipe that the parent's poll loop watches, so
//! the loop, not the handler, ends the workers and the process.
//!
//! Written with `sigaction` rather than a crate so the previous dispositions are restored when
//! the pool is done: a later Ctrl-C (while the report is written, or in a program that runs
//! several executors) behaves as if no pool had ever run.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};

/// The write end of the live [`SignalPipe`], or -1.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

/// The signals that end a run.
const SIGNALS: [Signal; 2] = [Signal::SIGINT, Signal::SIGTERM];

extern "C" fn on_signal(sig: nix::libc::c_int) {
    let saved = Errno::last_raw();
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = sig as u8;
        // SAFETY: write(2) is async-signal-safe; a full pipe only drops a repeated signal.
        unsafe { nix::libc::write(fd, std::ptr::addr_of!(byte).cast(), 1) };
    }
    Errno::set_raw(saved);
}

/// SIGINT and SIGTERM turned into bytes on a pipe, until dropped.
pub(super) struct SignalPipe {
    read: File,
    _write: OwnedFd,
    previous: Vec<(Signal, SigAction)>,
}

impl SignalPipe {
    /// Installs the handlers. A signal that was ignored when we started (a job started with
    /// `nohup`, or in the background by a non-interactive shell) stays ignored.
    pub(crate) fn install() -> io::Result<SignalPipe> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        WRITE_FD.store(write.as_raw_fd(), Ordering::Relaxed);
        let mut pipe = SignalPipe {
            read: read.into(),
            _write: write,
            previous: Vec::new(),
        };
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for sig in SIGNALS {
            // SAFETY: the handler only calls async-signal-safe functions.
            let old = unsafe { signal::sigaction(sig, &action)? };
            if matches!(old.handler(), SigHandler::SigIgn) {
                // SAFETY: restoring the disposition we just read.
                unsafe { signal::sigaction(sig, &old)? };
            } else {
                pipe.previous.push((sig, old));
            }
        }
        Ok(pipe)
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// The first signal received, if any.
    pub(crate) fn received(&self) -> Option<Signal> {
        let mut byte = [0u8];
        match (&self.read).read(&mut byte) {
            Ok(1) => Signal::try_from(i32::from(byte[0])).ok(),
            _ => None,
        }
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        for (sig, old) in self.previous.drain(..) {
            // SAFETY: putting back the disposition that was there before.
            unsafe {
                let _ = signal::sigaction(sig, &old);
            }
        }
        WRITE_FD.store(-1, Ordering::Relaxed);
    }
}

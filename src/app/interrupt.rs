//! Ctrl-C and SIGTERM for the whole run: exit at once with 130 or 143, but never in the middle of
//! writing a result to stdout, so a reader never sees a partial JSON document.
//!
//! The handler does only async-signal-safe things: outside a write it calls `_exit`; during a
//! write it records the signal, and [`while_writing`] exits once the write is complete. Nothing
//! is flushed or cleaned up on the way out, which is the point: the counts were not finished.
//! This is the one way a run ends other than returning its status to `main`: a signal must end
//! a run at once, whatever thread is counting. Executors that own child processes (the process
//! pool) install their own handlers for as long as their children live, restore these
//! afterwards, and report the signal as `Interrupted` once no child is left.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static WRITING: AtomicBool = AtomicBool::new(false);
static PENDING: AtomicI32 = AtomicI32::new(0);

/// The exit status for a run ended by signal `sig` ([`ExitStatus::signal`]).
const fn exit_status(sig: nix::libc::c_int) -> i32 {
    super::ExitStatus::signal(sig).code()
}

extern "C" fn on_signal(sig: nix::libc::c_int) {
    if WRITING.load(Ordering::SeqCst) {
        PENDING.store(sig, Ordering::SeqCst);
    } else {
        // SAFETY: _exit is async-signal-safe and ends the process without running anything else.
        unsafe { nix::libc::_exit(exit_status(sig)) };
    }
}

/// Installs the handlers for SIGINT and SIGTERM. A signal that was ignored when we started
/// (`nohup`, a background job of a non-interactive shell) stays ignored.
pub fn install() {
    for sig in [nix::libc::SIGINT, nix::libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid "default" value; we fill the fields we use.
        let mut action: nix::libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction =
            on_signal as extern "C" fn(nix::libc::c_int) as nix::libc::sighandler_t;
        action.sa_flags = nix::libc::SA_RESTART;
        // SAFETY: sa_mask is a valid sigset_t owned by `action`.
        unsafe { nix::libc::sigemptyset(&mut action.sa_mask) };
        let mut old: nix::libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointers to initialised sigactions; the handler is async-signal-safe.
        unsafe {
            nix::libc::sigaction(sig, &action, &mut old);
            if old.sa_sigaction == nix::libc::SIG_IGN {
                nix::libc::sigaction(sig, &old, std::ptr::null_mut());
            }
        }
    }
}

/// Runs `write` (a complete result going to stdout) so that a signal arriving meanwhile ends
/// the process only after it, never halfway through.
pub fn while_writing<R>(write: impl FnOnce() -> R) -> R {
    WRITING.store(true, Ordering::SeqCst);
    let result = write();
    WRITING.store(false, Ordering::SeqCst);
    let sig = PENDING.swap(0, Ordering::SeqCst);
    if sig != 0 {
        // SAFETY: as in the handler; stdout was flushed by `write`.
        unsafe { nix::libc::_exit(exit_status(sig)) };
    }
    result
}

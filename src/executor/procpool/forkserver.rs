//! Starting workers through a fork server (`--start-method forkserver`).
//!
//! The server is forked once, when the pool starts and this process still has one thread
//! (the same moment, and the same reason it is sound, as [`super::fork`]). It closes every
//! descriptor but its socket and stderr, dies with the parent (`PR_SET_PDEATHSIG`), ignores
//! Ctrl-C (the parent decides), and does nothing but serve requests: it never returns into the
//! parent's stack. (Forked rather than spawned as a hidden subcommand: it costs no exec, and
//! what it holds of the parent is a copy-on-write snapshot it never touches.)
//!
//! Each request (one byte on a Unix socket) is answered with a fresh worker: the server forks
//! an intermediate process that forks the worker and exits at once. This process is a child
//! subreaper (`PR_SET_CHILD_SUBREAPER`), so the orphaned worker becomes *its* child: the pool
//! waits for it, reads its exit status and kills it exactly as a forked worker. The server
//! sends back the worker's pid and, as `SCM_RIGHTS`, the pool's ends of its two pipes. The
//! worker waits until the intermediate is gone (the end of a pipe only it held, then its
//! parent is this process) before it arms its own parent-death signal, so that signal is tied
//! to this process.
//!
//! What the server buys: every worker is forked from a process with one thread, also a
//! retry's worker started once this process runs merging threads, which `fork` must spawn.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use nix::fcntl::OFlag;
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, getppid, pipe2, ForkResult, Pid};

use super::{fork as forked, worker, WorkerProc};

/// The server, as the pool sees it.
pub(super) struct ForkServer {
    pid: Pid,
    socket: UnixStream,
}

impl ForkServer {
    /// Forks the server. The caller makes sure this process has one thread.
    pub(super) fn start(parent: Pid) -> io::Result<ForkServer> {
        nix::sys::prctl::set_child_subreaper(true)?;
        let (ours, theirs) = UnixStream::pair()?;
        // SAFETY: this process has a single thread (the caller checks), so the child starts
        // from a consistent copy of it, and it ends with `_exit` without returning.
        match unsafe { fork() }? {
            ForkResult::Child => {
                drop(ours);
                let code = std::panic::catch_unwind(move || serve(theirs.into_raw_fd(), parent))
                    .unwrap_or(worker::EXIT_PANIC);
                // SAFETY: ends the server without running anything of the parent's.
                unsafe { nix::libc::_exit(code) }
            }
            ForkResult::Parent { child } => Ok(ForkServer {
                pid: child,
                socket: ours,
            }),
        }
    }

    /// A new worker, forked by the server; an error if the server is gone or could not.
    pub(super) fn worker(&self) -> io::Result<WorkerProc> {
        (&self.socket).write_all(b"w")?;
        let mut reply = [0u8; 4];
        let mut iov = [IoSliceMut::new(&mut reply)];
        let mut space = nix::cmsg_space!([RawFd; 2]);
        let msg = recvmsg::<()>(
            self.socket.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )?;
        let mut fds = Vec::new();
        for cmsg in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(rights) = cmsg {
                // SAFETY: descriptors just received, owned by nobody else in this process.
                fds.extend(
                    rights
                        .into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        if msg.bytes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the fork server is gone",
            ));
        }
        let pid = i32::from_le_bytes(reply);
        match (pid, fds.len()) {
            (pid, 2) if pid > 0 => {
                let from = fds.pop().expect("two descriptors");
                let to = fds.pop().expect("two descriptors");
                Ok(WorkerProc::new(Pid::from_raw(pid), to, from))
            }
            (errno, 0) if errno < 0 => Err(io::Error::from_raw_os_error(-errno)),
            _ => Err(io::Error::other("the fork server answered nonsense")),
        }
    }

    /// Ends the server (closing its socket is its signal to leave) and reaps it.
    pub(super) fn stop(self) {
        let ForkServer { pid, socket } = self;
        drop(socket);
        let _ = signal::kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
    }
}

/// The server's loop: a worker for every request byte, until the socket closes.
fn serve(socket: RawFd, parent: Pid) -> i32 {
    // SAFETY: setting a signal to be ignored runs no handler code.
    unsafe {
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigIgn);
    }
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent {
        return worker::EXIT_PROTOCOL;
    }
    let socket = match keep_only(socket) {
        // SAFETY: the server's one descriptor besides the standard ones.
        Ok(fd) => unsafe { UnixStream::from_raw_fd(fd) },
        Err(_) => return worker::EXIT_PROTOCOL,
    };
    let exit_after = worker::Faults::from_env()
        .ok()
        .and_then(|f| f.server_exit_after);
    let mut served = 0usize;
    let mut request = [0u8; 1];
    loop {
        match (&socket).read(&mut request) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        if exit_after == Some(served) {
            return 0; // the fault hook: a server that dies under the pool
        }
        served += 1;
        let sent = match start_worker(parent) {
            Ok((pid, to, from)) => sendmsg::<()>(
                socket.as_raw_fd(),
                &[IoSlice::new(&pid.as_raw().to_le_bytes())],
                &[ControlMessage::ScmRights(&[
                    to.as_raw_fd(),
                    from.as_raw_fd(),
                ])],
                MsgFlags::empty(),
                None,
            ),
            Err(e) => {
                let errno = -e.raw_os_error().unwrap_or(nix::libc::EIO);
                sendmsg::<()>(
                    socket.as_raw_fd(),
                    &[IoSlice::new(&errno.to_le_bytes())],
                    &[],
                    MsgFlags::empty(),
                    None,
                )
            }
        };
        if sent.is_err() {
            return 0;
        }
    }
}

/// Moves `socket` to fd 3 and closes every descriptor above it; returns 3.
fn keep_only(socket: RawFd) -> io::Result<RawFd> {
    // SAFETY: plain descriptor calls on descriptors this process owns; nothing else in the
    // server uses the ones being replaced or closed.
    unsafe {
        if socket != 3 && nix::libc::dup3(socket, 3, nix::libc::O_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
        if nix::libc::syscall(nix::libc::SYS_close_range, 4u32, u32::MAX, 0u32) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(3)
}

/// Forks a worker through an intermediate process (see the module's doc); returns its pid
/// and the pool's ends of its pipes.
fn start_worker(parent: Pid) -> io::Result<(Pid, OwnedFd, OwnedFd)> {
    let (job_read, job_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (answer_read, answer_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (gate_read, gate_write) = pipe2(OFlag::O_CLOEXEC)?;
    let (pid_read, pid_write) = pipe2(OFlag::O_CLOEXEC)?;
    // SAFETY: the server has a single thread; both children end with `_exit`.
    match unsafe { fork() }? {
        ForkResult::Child => {
            // The intermediate: fork the worker, say its pid, leave.
            // SAFETY: as above.
            let code = match unsafe { fork() } {
                Ok(ForkResult::Child) => {
                    drop((gate_write, pid_write, pid_read, job_write, answer_read));
                    // Wait for the intermediate to be gone: then this process is the pool's.
                    // Its descriptors close (the gate opens) just before its children are
                    // handed over, so the hand-over itself is awaited too, briefly.
                    let mut gate = std::fs::File::from(gate_read);
                    let _ = gate.read(&mut [0u8; 1]);
                    drop(gate);
                    for _ in 0..100_000 {
                        if getppid() == parent {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(20));
                    }
                    let code = std::panic::catch_unwind(move || {
                        match forked::into_stdio(job_read.into_raw_fd(), answer_write.into_raw_fd())
                        {
                            Ok(()) => worker::run(Some(parent)),
                            Err(e) => forked::setup_failed_status(&e),
                        }
                    })
                    .unwrap_or(worker::EXIT_PANIC);
                    // SAFETY: ends the worker without running anything of the server's.
                    unsafe { nix::libc::_exit(code) }
                }
                Ok(ForkResult::Parent { child }) => {
                    let _ = std::fs::File::from(pid_write).write_all(&child.as_raw().to_le_bytes());
                    0
                }
                Err(e) => {
                    let errno = e as i32;
                    let _ = std::fs::File::from(pid_write).write_all(&(-errno).to_le_bytes());
                    1
                }
            };
            // SAFETY: ends the intermediate without running anything of the server's.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop((gate_write, pid_write, gate_read, job_read, answer_write));
            let _ = waitpid(child, None);
            let mut reply = [0u8; 4];
            std::fs::File::from(pid_read).read_exact(&mut reply)?;
            match i32::from_le_bytes(reply) {
                pid if pid > 0 => Ok((Pid::from_raw(pid), job_write, answer_read)),
                errno => Err(io::Error::from_raw_os_error(-errno)),
            }
        }
    }
}

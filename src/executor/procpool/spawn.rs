//! Starting a worker by running this program's own binary again as `logcount __worker`.
//!
//! On Linux the binary is executed through `/proc/self/exe`, which names the very file this
//! process runs even if the path was replaced since (a rebuild during a run): the worker is
//! always the same build, and the handshake would catch anything else. Elsewhere,
//! `std::env::current_exe()`.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use nix::unistd::Pid;

use super::worker::WORKER_COMMAND;
use super::WorkerProc;

/// Spawns one worker of `parent` (this process).
pub(super) fn start(parent: Pid) -> io::Result<WorkerProc> {
    let (exe, name) = executable()?;
    let mut child = Command::new(exe)
        .arg0(name)
        .arg(WORKER_COMMAND)
        .arg("--parent-pid")
        .arg(parent.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let to = child.stdin.take().expect("piped stdin");
    let from = child.stdout.take().expect("piped stdout");
    // The pool waits for the child itself (by pid); dropping `Child` neither kills nor waits.
    Ok(WorkerProc::new(
        Pid::from_raw(child.id() as i32),
        to.into(),
        from.into(),
    ))
}

/// What to execute, and the name to show for it in `ps`.
fn executable() -> io::Result<(PathBuf, PathBuf)> {
    let current = std::env::current_exe();
    let proc_exe = PathBuf::from("/proc/self/exe");
    if proc_exe.exists() {
        let name = current.unwrap_or_else(|_| "logcount".into());
        return Ok((proc_exe, name));
    }
    let current = current?;
    Ok((current.clone(), current))
}

//! Running the binary: the one launcher, runs that end by a deadline (or fail the test, never
//! hang it), and reading what a run printed.

use std::borrow::BorrowMut;
use std::ffi::OsStr;
use std::io::Read;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_logcount");

/// The variable that makes procpool workers fail on purpose (`FAULT_ENV` in the library).
/// [`logcount`] removes it; only tests/procpool.rs sets it, on the runs that want a fault.
pub const WORKER_FAULT_ENV: &str = "LOGCOUNT_TEST_WORKER_FAULT";

/// How long a run may take when its test sets no tighter bound of its own: far more than
/// any run here needs, even in a debug build on a busy machine.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// After a run is killed, how long to wait for what it printed before failing without it.
const GRACE: Duration = Duration::from_secs(5);

/// The binary under test, in an environment no stray variable of the caller's can change.
pub fn logcount() -> Command {
    let mut cmd = Command::new(BIN);
    clean_env(&mut cmd);
    cmd
}

/// The binary under test run by bash under `ulimit LIMIT` (`-n FILES`, `-v KIB`), which applies
/// to the binary alone (`exec`); the arguments [`Command::arg`] adds are the binary's.
pub fn logcount_under_ulimit(limit: &str) -> Command {
    let mut cmd = Command::new("bash");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(BIN);
    cmd
}

/// Gives `cmd` the environment [`logcount`] gives the binary, for a command that runs it
/// through another program (`bash -c`, `setpriv`): no backtraces, no injected worker fault, no
/// `COLUMNS` (which would cut a table printed to a pipe).
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    cmd.env("RUST_BACKTRACE", "0")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove(WORKER_FAULT_ENV)
        .env_remove("COLUMNS")
}

/// Starts `cmd` with standard input from /dev/null and stdout and stderr piped, for a test
/// that acts on the run while it is going; end it with [`wait_within`].
///
/// SIGINT and SIGQUIT start at their defaults, as from an interactive shell. Otherwise a run
/// inherits them ignored from whatever started the tests (a script's `cargo test &`, nohup, a
/// runner), logcount keeps a signal that was ignored at its start ignored (as nohup wants: see
/// tests/signals.rs), and a test of Ctrl-C waited 20 s for an exit that never came, then failed
/// (issue 27: "flaky" on procpool-fork, the first executor such a test tries).
pub fn spawn(cmd: &mut Command) -> Child {
    spawn_with_signals(cmd, nix::libc::SIG_DFL)
}

/// [`spawn`], with SIGINT and SIGQUIT set to `disposition` (`nix::libc::SIG_DFL` or
/// `nix::libc::SIG_IGN`) in the child.
pub fn spawn_with_signals(cmd: &mut Command, disposition: nix::libc::sighandler_t) -> Child {
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec must be; it only
    // sets the dispositions the program will start with.
    unsafe {
        cmd.pre_exec(move || {
            nix::libc::signal(nix::libc::SIGINT, disposition);
            nix::libc::signal(nix::libc::SIGQUIT, disposition);
            Ok(())
        })
    };
    spawn_fed(cmd, None)
}

/// Runs `cmd` to the end within [`DEADLINE`], standard input from /dev/null.
pub fn output(cmd: &mut Command) -> Output {
    output_within(cmd, None, DEADLINE)
}

/// Runs `cmd` to the end within [`DEADLINE`], with `stdin` on its standard input.
pub fn output_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    output_within(cmd, Some(stdin), DEADLINE)
}

/// Runs `cmd` to the end, with `stdin` on its standard input (or /dev/null); kills it and
/// fails the test if it has not ended within `limit`.
pub fn output_within(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Output {
    let child = spawn_fed(cmd, stdin);
    finish(child, &format!("{cmd:?}"), limit).0
}

/// `logcount ARGS` run to the end within [`DEADLINE`], whatever its exit status.
pub fn run(args: &[&str]) -> Output {
    output(logcount().args(args))
}

/// [`run`], failing the test (with its stderr) unless the run succeeded.
pub fn run_ok(args: &[&str]) -> Output {
    output_ok(logcount().args(args))
}

/// The JSON report of a run of `cmd` (a `Command` or `&mut Command`), which must succeed
/// without panicking (see [`no_panic`]).
pub fn report(mut cmd: impl BorrowMut<Command>) -> Value {
    json(&no_panic(output_ok(cmd.borrow_mut())))
}

/// The JSON report of `logcount DIR --json --quiet ARGS`, which must succeed without
/// panicking.
pub fn report_over<S: AsRef<OsStr>>(dir: &Path, args: impl IntoIterator<Item = S>) -> Value {
    report(logcount().arg(dir).args(["--json", "--quiet"]).args(args))
}

/// The JSON report of `logcount ARGS --json --quiet` run in `dir` (paths in ARGS, and the
/// report's, relative to it), which must succeed without panicking.
pub fn report_in<S: AsRef<OsStr>>(dir: &Path, args: impl IntoIterator<Item = S>) -> Value {
    report(
        logcount()
            .current_dir(dir)
            .args(args)
            .args(["--json", "--quiet"]),
    )
}

/// The JSON a run of `cmd` printed on stdout, whatever its exit status.
pub fn json_of(cmd: &mut Command) -> Value {
    json(&output(cmd))
}

/// [`output`] of `cmd` (a `Command` or `&mut Command`), whatever its exit status, failing the
/// test if the run panicked.
pub fn output_no_panic(mut cmd: impl BorrowMut<Command>) -> Output {
    no_panic(output(cmd.borrow_mut()))
}

/// `out`, failing the test if the run panicked (a panic message on its stderr), whatever its
/// exit status.
pub fn no_panic(out: Output) -> Output {
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "the run panicked:\n{err}");
    out
}

/// [`output`], for assert_cmd's checks (`assert(logcount().arg("--help")).success()`).
pub fn assert(cmd: &mut Command) -> assert_cmd::assert::Assert {
    use assert_cmd::assert::OutputAssertExt;
    output(cmd).assert()
}

/// [`output`], failing the test (with its stderr) unless the run succeeded.
pub fn output_ok(cmd: &mut Command) -> Output {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `cmd` like [`output_within`] (standard input from /dev/null); returns its output and
/// its peak resident set in bytes: the child's own `ru_maxrss`, from `wait4`.
///
/// A child's `ru_maxrss` starts from the memory of the process it was started from: at exec,
/// Linux records the high-water mark of the memory being left, which for a child started by
/// `posix_spawn` (`vfork`) is this process's own peak, and for one started by `fork` the
/// pages this process held at the fork. So one test that had held 100 MiB made every later
/// measured run in its binary look 100 MiB large (CI, issue 27). Here the child is forked
/// after this process gave its free memory back (`malloc_trim`) and reset its own peak
/// (`/proc/self/clear_refs`); what it still holds is kept small by its caller: the measuring
/// tests run one at a time and write their inputs through a `BufWriter`.
pub fn output_measured(cmd: &mut Command, limit: Duration) -> (Output, u64) {
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe { nix::libc::malloc_trim(0) };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    // SAFETY: the closure does nothing; its presence makes `spawn` fork (std only uses
    // posix_spawn without one).
    unsafe { cmd.pre_exec(|| Ok(())) };
    let child = spawn_fed(cmd, None);
    finish(child, &format!("{cmd:?}"), limit)
}

/// Waits for a started run ([`spawn`], or any `Command::spawn`) to end and returns what it
/// printed on the streams still piped; kills it and fails the test if it has not ended, or
/// its streams are still open, `limit` from now.
pub fn wait_within(child: Child, limit: Duration) -> Output {
    let what = format!("process {}", child.id());
    finish(child, &what, limit).0
}

/// Waits for `child` to exit, at most `limit`; past it, kills it (with its whole process
/// group when it leads one), reaps it and returns `None`. Does not touch its pipes; `child`
/// is reaped either way, so do not wait for it again.
pub fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    reap_by(child, Instant::now() + limit).map(|(status, _)| status)
}

/// Calls `f` until it gives a value, failing the test if that takes longer than `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} ({limit:?})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a run printed on stdout, which must be UTF-8.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// What a run printed on stderr, invalid UTF-8 replaced.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON a run printed on stdout; fails the test, showing stdout and stderr, if it is not.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The parts of a report every executor must agree on: `files` and `summary`.
pub fn agreed(report: &Value) -> Value {
    json!({"files": report["files"], "summary": report["summary"]})
}

/// The [`agreed`] part of a JSON run over `dir` with `args` (it must exit 0).
pub fn answer(dir: &Path, args: &[&str]) -> Value {
    agreed(&json(&output_ok(
        logcount().arg(dir).args(["--json", "--quiet"]).args(args),
    )))
}

/// [`answer`] with line ends found a byte at a time (eight to a word), not by the CPU's
/// vector compares (the library's test knob): the reference the vector levels must agree with.
pub fn answer_scanned_plainly(dir: &Path, args: &[&str]) -> Value {
    answer_with(dir, args, (logcount::count::SIMD_ENV, "plain"))
}

/// [`answer`] with every job counted from a memory map, however small (the library's test
/// knob).
pub fn answer_mapped(dir: &Path, args: &[&str]) -> Value {
    answer_with(dir, args, (logcount::input::MIN_MAP_ENV, "1"))
}

/// [`answer`] with one of the library's test knobs set in the environment.
fn answer_with(dir: &Path, args: &[&str], (knob, value): (&str, &str)) -> Value {
    agreed(&json(&output_ok(
        logcount()
            .env(knob, value)
            .arg(dir)
            .args(["--json", "--quiet"])
            .args(args),
    )))
}

/// The summary's periods of a `--by` report, as (period, requests).
pub fn summary_periods(report: &Value) -> Vec<(String, u64)> {
    report["summary"]["by"]
        .as_array()
        .expect("a --by report")
        .iter()
        .map(|p| {
            (
                p["period"].as_str().unwrap().to_string(),
                p["total"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// [`agreed`] and `errors`, for inputs whose errors every executor reports alike.
pub fn agreed_with_errors(report: &Value) -> Value {
    json!({"files": report["files"], "summary": report["summary"], "errors": report["errors"]})
}

/// Spawns `cmd`, stdout and stderr piped; standard input is a pipe fed `stdin` (from another
/// thread, then closed) or, without it, /dev/null.
fn spawn_fed(cmd: &mut Command, stdin: Option<&[u8]>) -> Child {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // A run that ends without reading all of it closes the pipe: the test's checks on
        // the output say whether that was right.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    child
}

/// Reads the child's piped streams while waiting for it, by `limit` after now; returns its
/// output and peak RSS, or fails the test (with what it printed) if it outlives `limit` or
/// leaves its streams open (a process it started still holding them) past `limit`.
fn finish(mut child: Child, what: &str, limit: Duration) -> (Output, u64) {
    let deadline = Instant::now() + limit;
    let (tx, rx) = mpsc::channel();
    let mut open = 0;
    if let Some(out) = child.stdout.take() {
        read_in_background(0, out, tx.clone());
        open += 1;
    }
    if let Some(err) = child.stderr.take() {
        read_in_background(1, err, tx.clone());
        open += 1;
    }
    drop(tx);
    let mut streams = [Vec::new(), Vec::new()];
    let mut collect = |open: &mut usize, by: Instant| {
        while *open > 0 {
            match rx.recv_timeout(by.saturating_duration_since(Instant::now())) {
                Ok((i, bytes)) => {
                    streams[i] = bytes;
                    *open -= 1;
                }
                Err(_) => break,
            }
        }
    };
    // The streams close when the run ends (most often): wait on them rather than poll.
    collect(&mut open, deadline);
    let reaped = reap_by(
        &mut child,
        if open == 0 { deadline } else { Instant::now() },
    );
    if reaped.is_none() {
        // Killed: what it printed, for the message, if its streams close now.
        collect(&mut open, Instant::now() + GRACE);
    }
    let [stdout, stderr] = streams;
    let printed = || {
        format!(
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )
    };
    let Some((status, usage)) = reaped else {
        panic!(
            "{what} did not end within {limit:?}: killed it\n{}",
            printed()
        );
    };
    assert!(
        open == 0,
        "{what} exited ({status}) but its stdout or stderr was still open {limit:?} after it \
         started: does a process it started still hold them?\n{}",
        printed()
    );
    let output = Output {
        status,
        stdout,
        stderr,
    };
    (output, usage.ru_maxrss as u64 * 1024)
}

/// Reads `stream` to its end on another thread, then sends `(i, bytes)` on `tx`.
fn read_in_background(
    i: usize,
    mut stream: impl Read + Send + 'static,
    tx: mpsc::Sender<(usize, Vec<u8>)>,
) {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let _ = tx.send((i, bytes));
    });
}

/// Reaps `child` (with `wait4`, for its rusage) once it exits, polling until `deadline`;
/// past it, kills it (its whole process group when it leads one), reaps it, returns `None`.
fn reap_by(child: &mut Child, deadline: Instant) -> Option<(ExitStatus, nix::libc::rusage)> {
    let pid = child.id() as nix::libc::pid_t;
    // Short naps first, so quick runs (most of them) are reaped as soon as they end.
    let mut nap = Duration::from_micros(100);
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it.
        let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child, not yet reaped (nothing else waits for it); both
        // out-pointers are valid.
        let reaped = unsafe { nix::libc::wait4(pid, &mut status, nix::libc::WNOHANG, &mut usage) };
        if reaped == pid {
            return Some((ExitStatus::from_raw(status), usage));
        }
        if reaped < 0 {
            let e = std::io::Error::last_os_error();
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::Interrupted,
                "wait4({pid}): {e}"
            );
            continue;
        }
        if Instant::now() >= deadline {
            // SAFETY: getpgid and kill on our own unreaped child touch no memory of ours.
            unsafe {
                let target = if nix::libc::getpgid(pid) == pid {
                    -pid
                } else {
                    pid
                };
                nix::libc::kill(target, nix::libc::SIGKILL);
            }
            // SAFETY: as above; a null rusage pointer is allowed.
            while unsafe { nix::libc::wait4(pid, &mut status, 0, std::ptr::null_mut()) } < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
            }
            return None;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

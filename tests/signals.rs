//! Ctrl-C and SIGTERM in the middle of a run: exit 130 or 143, nothing on stdout, no child left.
//!
//! The run is kept busy on a FIFO the test holds open, so the signal always lands mid-count.
//! Every executor of tests/util's list, `-j 2` where it takes `-j` (tests/procpool.rs also
//! checks that no worker process outlives the signal).

use crate::util::ExecutorArgs;
use crate::util::{for_each_executor, logcount, mkfifo, spawn_with_signals, wait_within};

use std::fs::OpenOptions;
use std::io::Write;
use std::time::Duration;

fn interrupt(executor: &[&str], format: &str, sig: nix::libc::c_int) -> (Option<i32>, Vec<u8>) {
    interrupt_started(executor, format, nix::libc::SIG_DFL, &[sig])
}

/// Starts a run with SIGINT and SIGQUIT at `disposition`, sends it `signals` a moment apart
/// once it is counting, and returns its exit status and stdout.
fn interrupt_started(
    executor: &[&str],
    format: &str,
    disposition: nix::libc::sighandler_t,
    signals: &[nix::libc::c_int],
) -> (Option<i32>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("live.log");
    mkfifo(&fifo);
    std::fs::write(
        dir.path().join("done.log"),
        b"1.1.1.1 - - [x] \"GET /\" 200 1\n".repeat(1000),
    )
    .unwrap();
    let child = spawn_with_signals(
        logcount()
            .arg(dir.path().join("done.log"))
            .arg(&fifo)
            .args(executor)
            .args(["--format", format]),
        disposition,
    );
    // Returns once logcount has the FIFO open: it is counting.
    let mut writer = OpenOptions::new().write(true).open(&fifo).unwrap();
    writer
        .write_all(b"2.2.2.2 - - [x] \"GET /still-going\" 200 1\n")
        .unwrap();
    for &sig in signals {
        std::thread::sleep(Duration::from_millis(100));
        // SAFETY: signalling our own child.
        assert_eq!(
            unsafe { nix::libc::kill(child.id() as nix::libc::pid_t, sig) },
            0
        );
    }
    // No exit within 20 s of the signal fails the test.
    let out = wait_within(child, Duration::from_secs(20));
    drop(writer);
    (out.status.code(), out.stdout)
}

#[test]
fn sigint_exits_130_with_nothing_on_stdout() {
    for_each_executor(|executor| {
        let executor = executor.jobs("2");
        for format in ["json", "ndjson", "csv"] {
            let (code, stdout) = interrupt(&executor, format, nix::libc::SIGINT);
            assert_eq!(code, Some(130), "{executor:?} {format}");
            // NDJSON may already hold whole lines for finished files, never a partial one.
            let text = String::from_utf8(stdout).unwrap();
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{executor:?} {format}: {text}"
            );
            if format != "ndjson" {
                assert!(text.is_empty(), "{executor:?} {format}: {text}");
            }
            // ...and no summary: a stream without one is a run that did not finish.
            for line in text.lines() {
                let v = serde_json::from_str::<serde_json::Value>(line).unwrap();
                assert_ne!(v["type"], "summary", "{executor:?}: {text}");
            }
        }
    });
}

#[test]
fn sigterm_exits_143_with_nothing_on_stdout() {
    for_each_executor(|executor| {
        let executor = executor.jobs("2");
        let (code, stdout) = interrupt(&executor, "json", nix::libc::SIGTERM);
        assert_eq!(code, Some(143), "{executor:?}");
        assert!(stdout.is_empty(), "{executor:?}");
    });
}

/// A run started with SIGINT ignored (nohup, a script's `&`) keeps it ignored, as nohup wants:
/// Ctrl-C does not end it, SIGTERM still does. (Tests start their runs with SIGINT at its
/// default for that reason: tests/util's `spawn`.)
#[test]
fn sigint_ignored_at_start_stays_ignored() {
    for_each_executor(|executor| {
        let executor = executor.jobs("2");
        let (code, stdout) = interrupt_started(
            &executor,
            "json",
            nix::libc::SIG_IGN,
            &[nix::libc::SIGINT, nix::libc::SIGTERM],
        );
        // 143, not 130: the SIGINT was ignored, the SIGTERM that followed ended it.
        assert_eq!(code, Some(143), "{executor:?}");
        assert!(stdout.is_empty(), "{executor:?}");
    });
}

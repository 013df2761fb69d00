//! Ctrl-C and SIGTERM in the middle of a run: exit 130 or 143, nothing on stdout, no child left.
//!
//! The run is kept busy on a FIFO the test holds open, so the signal always lands mid-count.

mod common;
use common::mkfifo;

use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every executor (tests/procpool.rs also checks that no worker process outlives the signal).
const EXECUTORS: &[&[&str]] = &[
    &["-e", "serial"],
    &["-e", "threads", "-j", "2"],
    &["-e", "async", "-j", "2"],
    &["-e", "procpool", "-j", "2", "--start-method", "fork"],
    &["-e", "procpool", "-j", "2", "--start-method", "spawn"],
];

fn interrupt(executor: &[&str], format: &str, sig: libc::c_int) -> (Option<i32>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("live.log");
    mkfifo(&fifo);
    std::fs::write(dir.path().join("done.log"), b"1.1.1.1 x\n".repeat(1000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logcount"))
        .arg(dir.path().join("done.log"))
        .arg(&fifo)
        .args(executor)
        .args(["--format", format])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Returns once logcount has the FIFO open: it is counting.
    let mut writer = OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(b"2.2.2.2 still going\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no exit after the signal"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(writer);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), out.stdout)
}

#[test]
fn sigint_exits_130_with_nothing_on_stdout() {
    for executor in EXECUTORS {
        for format in ["json", "ndjson", "csv"] {
            let (code, stdout) = interrupt(executor, format, libc::SIGINT);
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
            for line in text.lines() {
                serde_json::from_str::<serde_json::Value>(line).unwrap();
            }
        }
    }
}

#[test]
fn sigterm_exits_143_with_nothing_on_stdout() {
    for executor in EXECUTORS {
        let (code, stdout) = interrupt(executor, "json", libc::SIGTERM);
        assert_eq!(code, Some(143), "{executor:?}");
        assert!(stdout.is_empty(), "{executor:?}");
    }
}

//! The process-pool executor, driven through the real binary: both start methods, standard
//! input, the worker protocol, and every fault a worker can have (dying, panicking, writing
//! garbage or half a frame, being another build), plus signals to the parent.

mod common;
use common::{key, write};

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use logcount::executor::procpool::{wire, FAULT_ENV};
use serde_json::{json, Value};

const METHODS: [&str; 2] = ["fork", "spawn"];

fn logcount() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logcount"));
    cmd.env_remove(FAULT_ENV).env("RUST_BACKTRACE", "0");
    cmd
}

/// Three logs; `b.log` is the one faults are aimed at, and is big enough to be cut into
/// several jobs with `--chunk-size 1K`.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.log",
        b"1.1.1.1 - - [x]\n2.2.2.2 - - [x]\n1.1.1.1 - - [y]\n",
    );
    let mut b = Vec::new();
    for i in 0..400 {
        b.extend_from_slice(
            format!("10.0.{}.{} - - [x] \"GET /\" 200 1\n", i % 7, i % 50).as_bytes(),
        );
    }
    write(dir.path(), "b.log", &b);
    write(
        dir.path(),
        "c.log",
        b"3.3.3.3, 9.9.9.9 - - [z]\n\n2001:db8::1 - - [z]",
    );
    dir
}

/// Runs `cmd` to the end, failing (instead of hanging) if it has not ended within a minute:
/// a run that never ends is exactly the bug these tests look for.
fn output_within_a_minute(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let input = {
        let stdin = stdin.to_vec();
        std::thread::spawn(move || {
            let _ = input.write_all(&stdin);
        })
    };
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let stdout = reader(Box::new(child.stdout.take().unwrap()));
    let stderr = reader(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    input.join().unwrap();
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn run(cmd: &mut Command) -> (Output, Value) {
    let out = output_within_a_minute(cmd, b"");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn count(dir: &Path, args: &[&str], fault: Option<&str>) -> (Output, Value) {
    let mut cmd = logcount();
    cmd.arg(dir).args(["--json", "--quiet"]).args(args);
    if let Some(f) = fault {
        cmd.env(FAULT_ENV, f);
    }
    run(&mut cmd)
}

#[test]
fn reports_the_executor_and_its_start_method() {
    let dir = fixture();
    let want = count(dir.path(), &["-e", "serial"], None).1;
    for method in METHODS {
        let (out, v) = count(
            dir.path(),
            &["-e", "procpool", "-j", "3", "--start-method", method],
            None,
        );
        assert!(out.status.success());
        assert_eq!(
            v["executor"],
            json!({"name": "procpool", "jobs": 3, "start_method": method})
        );
        assert_eq!(
            (&v["files"], &v["summary"]),
            (&want["files"], &want["summary"])
        );
    }
    let (_, v) = count(dir.path(), &["-e", "procpool", "-j", "2"], None);
    assert_eq!(
        v["executor"]["start_method"], "fork",
        "fork is the default on Linux"
    );
}

#[test]
fn start_method_needs_procpool() {
    let out = logcount()
        .args(["x.log", "-e", "threads", "--start-method", "spawn"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--executor procpool"));
}

#[test]
fn the_worker_command_is_hidden_from_help() {
    let out = logcount().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("procpool"));
    assert!(!help.contains("__worker"), "{help}");
}

#[test]
fn standard_input_is_counted_beside_files() {
    let dir = fixture();
    let stdin = b"5.5.5.5 - - [x]\n1.1.1.1 - - [x]\n\n5.5.5.5 x\n".repeat(1000);
    let run_with = |args: &[&str]| {
        let mut cmd = logcount();
        cmd.arg("-")
            .arg(dir.path())
            .args(["--json", "--quiet", "--chunk-size", "1K"])
            .args(args);
        let out = output_within_a_minute(&mut cmd, &stdin);
        assert!(out.status.success(), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (v["files"].clone(), v["summary"].clone())
    };
    let want = run_with(&["-e", "serial"]);
    assert_eq!(
        want.0["-"],
        json!({"total": 3000, "ip": 2, "bytes": stdin.len()})
    );
    for method in METHODS {
        assert_eq!(
            run_with(&["-e", "procpool", "-j", "2", "--start-method", method]),
            want
        );
    }
}

/// Runs with `fault` aimed at b.log and checks: exit 1, b.log's one error says a worker
/// failed twice, and every other file is counted exactly as `serial` counts it.
fn check_fault_fails_only_b(fault: &str, expect_in_error: &str) {
    let dir = fixture();
    let want = count(dir.path(), &["-e", "serial"], None).1;
    for method in METHODS {
        for chunk in ["1K", "64M"] {
            let args = [
                "-e",
                "procpool",
                "-j",
                "2",
                "--start-method",
                method,
                "--chunk-size",
                chunk,
            ];
            let (out, v) = count(dir.path(), &args, Some(fault));
            let context = format!("{fault} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(1), "{context}");
            let errors = v["errors"].as_array().unwrap();
            assert_eq!(errors.len(), 1, "{context}");
            assert_eq!(errors[0]["path"], key(dir.path(), "b.log"), "{context}");
            let error = errors[0]["error"].as_str().unwrap();
            assert!(
                error.contains("a worker failed twice on this input"),
                "{context}"
            );
            assert!(error.contains(expect_in_error), "{context}");
            for f in ["a.log", "c.log"] {
                assert_eq!(
                    v["files"][key(dir.path(), f)],
                    want["files"][key(dir.path(), f)]
                );
            }
            assert!(
                v["files"].get(key(dir.path(), "b.log")).is_none(),
                "{context}"
            );
        }
    }
}

#[test]
fn a_worker_killed_on_a_file_twice_makes_that_file_an_error() {
    check_fault_fails_only_b("die-on:b.log", "was killed by SIGKILL");
}

#[test]
fn a_worker_that_panics_on_a_file_twice_makes_that_file_an_error() {
    check_fault_fails_only_b("panic-on:b.log", "exited with status 101");
}

#[test]
fn a_worker_that_writes_garbage_is_never_trusted() {
    check_fault_fails_only_b("garbage-on:b.log", "garbage instead of a frame header");
}

#[test]
fn a_worker_that_writes_half_a_frame_is_never_trusted() {
    check_fault_fails_only_b("truncate-on:b.log", "in the middle of a frame");
}

#[test]
fn a_job_whose_worker_dies_once_is_retried_on_a_fresh_worker_and_counted() {
    let dir = fixture();
    let want = count(dir.path(), &["-e", "serial"], None).1;
    for method in METHODS {
        for jobs in ["1", "3"] {
            let args = [
                "-e",
                "procpool",
                "-j",
                jobs,
                "--start-method",
                method,
                "--chunk-size",
                "1K",
            ];
            for fault in ["die-once-on:b.log", "die-once-on:.log"] {
                let (out, v) = count(dir.path(), &args, Some(fault));
                assert!(out.status.success(), "{fault} {args:?}");
                assert_eq!(
                    (&v["files"], &v["summary"]),
                    (&want["files"], &want["summary"])
                );
                // With -j 3 the parent merges on a second thread, so the retry's worker is
                // spawned: quietly, and the run still reports the method asked for.
                assert_eq!(v["executor"]["start_method"], method, "{fault} {args:?}");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.is_empty(), "{fault} {args:?}: {stderr}");
            }
        }
    }
}

#[test]
fn a_worker_of_another_build_is_refused_with_a_clear_error() {
    let dir = fixture();
    for method in METHODS {
        let args = ["-e", "procpool", "-j", "2", "--start-method", method];
        let (out, v) = count(dir.path(), &args, Some("bad-hello"));
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(v["summary"]["errors"], 3);
        assert_eq!(v["summary"]["files"], 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is a different build of logcount"),
            "{stderr}"
        );
    }
}

/// Drives `logcount __worker` by hand with `request` on its stdin.
fn worker_session(request: &[u8]) -> Output {
    output_within_a_minute(logcount().arg("__worker"), request)
}

#[test]
fn a_worker_writes_nothing_but_frames_on_stdout() {
    let dir = fixture();
    let path = dir.path().join("b.log");
    let path_bytes = path.to_str().unwrap().as_bytes();
    let jobs = [
        wire::JobSpec {
            id: 0,
            attempt: 0,
            gzip: false,
            range: Some(0..5000),
            file_id: None,
            path: path_bytes,
        },
        wire::JobSpec {
            id: 1,
            attempt: 0,
            gzip: false,
            range: None,
            file_id: None,
            path: b"/no/such.log",
        },
    ];
    let request = |build| {
        let mut out = Vec::new();
        wire::Hello {
            build,
            ..wire::Hello::ours()
        }
        .encode(&mut out);
        wire::encode_jobs(&mut out, &jobs).unwrap();
        out
    };

    // This test's own build id is not the binary's: the worker refuses, silently on stdout.
    let out = worker_session(&request(wire::Hello::ours().build));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different build"));
    assert!(
        out.stdout.is_empty(),
        "a refusing worker says nothing on stdout"
    );

    // With the binary's build id it serves both jobs, and stdout is frames and only frames.
    let exe = Path::new(env!("CARGO_BIN_EXE_logcount"));
    let out = worker_session(&request(wire::build_id_of(exe)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut frames = &out.stdout[..];
    let mut payload = Vec::new();
    let mut kinds = Vec::new();
    let mut done = Vec::new();
    while let Some(kind) = wire::read_frame(&mut frames, &mut payload).unwrap() {
        kinds.push(kind);
        if kind == wire::Kind::Done {
            done.push(wire::decode_done(&payload).unwrap());
        }
    }
    assert_eq!(kinds.first(), Some(&wire::Kind::Hello));
    assert_eq!(done.len(), 2);
    let (counts, bytes) = done[0].1.as_ref().unwrap();
    assert_eq!((done[0].0, *bytes), (0, 5000));
    assert!(counts.total > 0);
    assert_eq!(
        done[1].1.as_ref().unwrap_err().raw_os_error(),
        Some(libc::ENOENT)
    );
}

#[test]
fn a_worker_refuses_garbage_from_its_parent() {
    let out = worker_session(b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage"));
    assert!(out.stdout.is_empty());
}

/// Pid and start time of every process whose parent is `parent`.
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Some((ppid, start, _)) = stat(pid) else {
            continue;
        };
        if ppid == parent {
            out.push((pid, start));
        }
    }
    out
}

/// (parent pid, start time, state) of a process, from /proc.
fn stat(pid: u32) -> Option<(u32, String, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text[text.rfind(')')? + 2..].split(' ').collect();
    Some((
        fields[1].parse().ok()?,
        fields[19].to_owned(),
        fields[0].to_owned(),
    ))
}

/// Whether the process that had start time `start` still exists (alive or zombie).
fn exists(pid: u32, start: &str) -> bool {
    stat(pid).is_some_and(|(_, s, _)| s == start)
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a run over two FIFOs that never end (so it is certainly still running), and
/// returns it with its two workers once both are up.
fn start_endless_run(method: &str, dir: &Path) -> (Child, Vec<(u32, String)>, Vec<std::fs::File>) {
    let mut writers = Vec::new();
    for name in ["x.fifo", "y.fifo"] {
        let path = dir.join(name);
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: plain libc call with a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Read-write so the open does not wait for a reader, and the FIFO always has a
        // writer: the worker's read blocks for ever.
        writers.push(
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap(),
        );
    }
    let child = logcount()
        .args([dir.join("x.fifo"), dir.join("y.fifo")])
        .args([
            "--json",
            "-e",
            "procpool",
            "-j",
            "2",
            "--start-method",
            method,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let workers = wait_for("two workers", || {
        let c = children_of(pid);
        (c.len() == 2).then_some(c)
    });
    (child, workers, writers)
}

#[test]
fn a_signal_ends_every_worker_and_prints_no_result() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        for method in METHODS {
            let dir = tempfile::tempdir().unwrap();
            let (mut child, workers, _writers) = start_endless_run(method, dir.path());
            // SAFETY: signalling our own child.
            assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
            let status = wait_for("the run to end", || child.try_wait().unwrap());
            assert_eq!(status.code(), Some(code), "{method} signal {signal}");
            let mut stdout = Vec::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut stdout)
                .unwrap();
            assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));
            // The parent reaped its workers before exiting: none is left, not even a zombie.
            for (pid, start) in &workers {
                assert!(!exists(*pid, start), "worker {pid} left behind ({method})");
            }
        }
    }
}

#[test]
fn workers_die_with_a_parent_that_is_killed() {
    for method in METHODS {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, workers, _writers) = start_endless_run(method, dir.path());
        child.kill().unwrap();
        child.wait().unwrap();
        for (pid, start) in &workers {
            wait_for("the orphaned worker to die", || {
                let gone = stat(*pid).is_none_or(|(_, s, state)| s != *start || state == "Z");
                gone.then_some(())
            });
        }
    }
}

//! The process-pool executor, driven through the real binary: both start methods, standard
//! input, the worker protocol, and every fault a worker can have (dying, panicking, writing
//! garbage or half a frame, being another build), plus signals to the parent.
//!
//! Both start methods are tests/util's procpool executors; every run ends within a minute
//! or fails: a run that never ends is exactly the bug these tests look for.

use crate::util::logcount_under_ulimit;
use crate::util::ExecutorArgs;
use crate::util::{agreed, executor, for_each_procpool_executor, json, key, logcount, mkfifo};
use crate::util::{output_within, spawn, wait_for, wait_within, write, BIN, WORKER_FAULT_ENV};

use std::path::Path;
use std::process::{Child, Output};
use std::time::Duration;

use logcount::executor::procpool::{wire, FAULT_ENV};
use logcount::format::{Choice, Options};
use logcount::input::{Compression, JobError, ReadMode};
use serde_json::{json, Value};

/// The longest any run here may take.
const A_MINUTE: Duration = Duration::from_secs(60);

/// The longest a worker or a signalled run may take to appear or to end.
const TWENTY_SECONDS: Duration = Duration::from_secs(20);

/// Three logs; `b.log` is the one faults are aimed at, and is big enough to be cut into
/// several jobs with `--chunk-size 1K`.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.log",
        b"1.1.1.1 - - [x] \"GET /\" 200 1\n2.2.2.2 - - [x] \"GET /\" 200 1\n\
          1.1.1.1 - - [y] \"GET /\" 200 1\n",
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
        b"3.3.3.3, 9.9.9.9 - - [z] \"GET /\" 200 1\n\n2001:db8::1 - - [z] \"GET /\" 200 1",
    );
    dir
}

/// Counts `dir` with `args`, with `fault` injected into the workers when given; returns the
/// run's output and its JSON report.
fn count(dir: &Path, args: &[&str], fault: Option<&str>) -> (Output, Value) {
    assert_eq!(
        WORKER_FAULT_ENV, FAULT_ENV,
        "tests/util must clear the library's fault variable"
    );
    let mut cmd = logcount();
    cmd.arg(dir).args(["--json", "--quiet"]).args(args);
    if let Some(f) = fault {
        cmd.env(FAULT_ENV, f);
    }
    let out = output_within(&mut cmd, Some(b""), A_MINUTE);
    let v = json(&out);
    (out, v)
}

#[test]
fn reports_the_executor_and_its_start_method() {
    let dir = fixture();
    let want = count(dir.path(), executor("serial").args, None).1;
    for_each_procpool_executor(|executor| {
        let (out, v) = count(dir.path(), &executor.jobs("3"), None);
        assert!(out.status.success());
        let e = &v["executor"];
        assert_eq!(
            (&e["name"], &e["start_method"]),
            (&json!("procpool"), &json!(executor.start_method()))
        );
        // The workers that ran: at most the 3 asked for (small jobs share batches).
        let jobs = e["jobs"].as_u64().unwrap();
        assert!((1..=3).contains(&jobs), "{e}");
        assert_eq!(agreed(&v), agreed(&want));
    });
    let (_, v) = count(dir.path(), &["-e", "procpool", "-j", "2"], None);
    assert_eq!(
        v["executor"]["start_method"], "fork",
        "fork is the default on Linux"
    );
}

#[test]
fn start_method_needs_procpool() {
    let out = output_within(
        logcount().args(["x.log", "-e", "threads", "--start-method", "spawn"]),
        None,
        A_MINUTE,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--executor procpool"));
}

#[test]
fn the_worker_command_is_hidden_from_help() {
    let out = output_within(logcount().arg("--help"), None, A_MINUTE);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("procpool"));
    assert!(!help.contains("__worker"), "{help}");
}

#[test]
fn standard_input_is_counted_beside_files() {
    let dir = fixture();
    let stdin = b"5.5.5.5 - - [x] \"GET /\" 200 1\n1.1.1.1 - - [x] \"GET /\" 200 1\n\n\
                  5.5.5.5 - - [y] \"GET /\" 200 1\n"
        .repeat(1000);
    let run_with = |args: &[&str]| {
        let mut cmd = logcount();
        cmd.arg("-")
            .arg(dir.path())
            .args(["--json", "--quiet", "--chunk-size", "1K"])
            .args(args);
        let out = output_within(&mut cmd, Some(&stdin), A_MINUTE);
        assert!(out.status.success(), "{args:?}");
        agreed(&json(&out))
    };
    let want = run_with(executor("serial").args);
    assert_eq!(
        want["files"]["-"],
        json!({"total": 3000, "ip": 2, "bytes": stdin.len(), "malformed": 0, "format": "combined"})
    );
    for_each_procpool_executor(|executor| {
        assert_eq!(run_with(&executor.jobs("2")), want);
    });
}

#[test]
fn streams_are_counted_by_the_parent_never_half_by_a_worker_that_dies() {
    // A FIFO fed slowly: a worker that died reading it would have counted half of it. Workers
    // die on anything named *ff*; the FIFO is the parent's, so it is counted whole.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ff");
    mkfifo(&fifo);
    write(dir.path(), "a.log", b"9.9.9.9 - - [x] \"GET /\" 200 1\n");
    for_each_procpool_executor(|executor| {
        let path = fifo.clone();
        let feeder = std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            for i in 0..30 {
                use std::io::Write;
                writeln!(w, "5.5.5.{i} - - [x] \"GET /\" 200 1").unwrap();
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        });
        let mut cmd = logcount();
        cmd.arg(&fifo)
            .arg(dir.path().join("a.log"))
            .args(["--json", "-q"])
            .args(executor.jobs("1"))
            .env(FAULT_ENV, "die-on:ff");
        let out = output_within(&mut cmd, Some(b""), A_MINUTE);
        feeder.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json(&out);
        assert_eq!(
            v["files"][key(dir.path(), "ff")]["total"],
            30,
            "{}",
            executor.name
        );
        assert_eq!(v["summary"]["total"], 31);
    });
}

#[test]
fn a_file_whose_size_reads_as_zero_is_read_alike_by_every_executor() {
    // /proc/self/status is a different file in each process: a worker would find it
    // "replaced since the run started". Read as a stream, by the parent, it is the same file.
    let want = |args: &[&str]| {
        let mut cmd = logcount();
        cmd.args([
            "/proc/self/status",
            "--json",
            "-q",
            "--log-format",
            "classic",
        ])
        .args(args);
        let out = output_within(&mut cmd, Some(b""), A_MINUTE);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)["summary"]["files"].clone()
    };
    assert_eq!(want(executor("serial").args), 1);
    for_each_procpool_executor(|executor| {
        assert_eq!(want(&executor.jobs("2")), 1, "{}", executor.name);
    });
}

#[test]
fn a_low_open_file_limit_costs_workers_never_inputs() {
    let dir = fixture();
    let want = agreed(&count(dir.path(), executor("serial").args, None).1);
    for_each_procpool_executor(|executor| {
        // Enough descriptors for both workers, for one, for none (counted in the parent).
        for limit in [12, 10, 8, 6] {
            let out = output_within(
                logcount_under_ulimit(&format!("-n {limit}"))
                    .arg(dir.path())
                    .args(executor.jobs("2"))
                    .args(["--json", "-q"]),
                Some(b""),
                A_MINUTE,
            );
            assert!(
                out.status.success(),
                "{} -n {limit}: {}",
                executor.name,
                String::from_utf8_lossy(&out.stderr)
            );
            let v = json(&out);
            assert_eq!(agreed(&v), want, "{} -n {limit}", executor.name);
            // The report says how many workers ran, not how many were asked for.
            let jobs = v["executor"]["jobs"].as_u64().unwrap();
            assert!((1..=2).contains(&jobs), "{} -n {limit}: {v}", executor.name);
        }
    });
}

/// Runs with `fault` aimed at b.log and checks: exit 1, b.log's one error says a worker
/// failed twice, and every other file is counted exactly as `serial` counts it.
fn check_fault_fails_only_b(fault: &str, expect_in_error: &str) {
    let dir = fixture();
    let want = count(dir.path(), executor("serial").args, None).1;
    for_each_procpool_executor(|executor| {
        for chunk in ["1K", "64M"] {
            let args = executor.with(&["-j", "2", "--chunk-size", chunk]);
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
    });
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
    let want = count(dir.path(), executor("serial").args, None).1;
    for_each_procpool_executor(|executor| {
        let method = executor.start_method().unwrap();
        for jobs in ["1", "3"] {
            let args = executor.with(&["-j", jobs, "--chunk-size", "1K"]);
            for fault in ["die-once-on:b.log", "die-once-on:.log"] {
                let (out, v) = count(dir.path(), &args, Some(fault));
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{fault} {args:?}: {err}");
                assert_eq!(agreed(&v), agreed(&want));
                // With -j 3 the parent merges on a second thread, so the retry's worker is
                // spawned: quietly, and the run still reports the method asked for.
                assert_eq!(v["executor"]["start_method"], method, "{fault} {args:?}");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.is_empty(), "{fault} {args:?}: {stderr}");
            }
        }
    });
}

/// A fork server that is gone when a worker is asked of it (here it leaves after serving one,
/// through the fault hook): the run goes on with spawned workers, says so in one line, and
/// counts everything — also the job whose worker died and is retried.
#[test]
fn a_fork_server_that_dies_leaves_the_run_to_spawned_workers() {
    let dir = fixture();
    let want = count(dir.path(), executor("serial").args, None).1;
    let pool = executor("procpool-forkserver");
    for jobs in ["1", "3"] {
        let args = pool.with(&["-j", jobs, "--chunk-size", "1K"]);
        let fault = "forkserver-exit-after:1,die-once-on:b.log";
        let (out, v) = count(dir.path(), &args, Some(fault));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert_eq!(agreed(&v), agreed(&want));
        assert_eq!(v["executor"]["start_method"], "spawn", "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("the fork server failed") && err.contains("spawning workers instead"),
            "{err}"
        );
    }
}

#[test]
fn a_worker_of_another_build_is_refused_with_a_clear_error() {
    let dir = fixture();
    for_each_procpool_executor(|executor| {
        let (out, v) = count(dir.path(), &executor.jobs("2"), Some("bad-hello"));
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(v["summary"]["errors"], 3);
        assert_eq!(v["summary"]["files"], 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is a different build of logcount"),
            "{stderr}"
        );
    });
}

/// Drives `logcount __worker` by hand with `request` on its stdin.
fn worker_session(request: &[u8]) -> Output {
    output_within(logcount().arg("__worker"), Some(request), A_MINUTE)
}

#[test]
fn a_worker_writes_nothing_but_frames_on_stdout() {
    let dir = fixture();
    let path = dir.path().join("b.log");
    let path_bytes = path.to_str().unwrap().as_bytes();
    let size = std::fs::metadata(&path).unwrap().len();
    let jobs = [
        wire::JobSpec {
            id: 0,
            attempt: 0,
            path: path_bytes,
            file_id: None,
            size: Some(size),
            range: Some(0..5000),
            compression: Compression::Plain,
            claimed: None,
            format: Choice::Auto,
            fields: None,
            witness: None,
        },
        wire::JobSpec {
            id: 1,
            attempt: 0,
            path: b"/no/such.log",
            file_id: None,
            size: None,
            range: None,
            compression: Compression::Sniff,
            claimed: None,
            format: Choice::Auto,
            fields: None,
            witness: None,
        },
    ];
    let request = |build| {
        let mut out = Vec::new();
        wire::Hello {
            build,
            ..wire::Hello::ours()
        }
        .encode(&mut out);
        wire::encode_jobs(&mut out, &Options::default(), ReadMode::Map, &jobs).unwrap();
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
    let exe = Path::new(BIN);
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
            done.push(wire::decode_done(&payload, &Default::default()).unwrap());
        }
    }
    assert_eq!(kinds.first(), Some(&wire::Kind::Hello));
    assert_eq!(done.len(), 2);
    let (counts, bytes) = done[0].1.as_ref().unwrap();
    assert_eq!((done[0].0, *bytes), (0, 5000));
    assert!(counts.total > 0);
    match &done[1].1 {
        Err(JobError::Io(e)) => assert_eq!(e.raw_os_error(), Some(nix::libc::ENOENT)),
        other => panic!("{other:?}"),
    }
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

/// Starts a run with `executor` (its args with `-j 2`) over two FIFOs that never end (so it is certainly
/// still running), and returns it with its two workers once both are up.
fn start_endless_run(
    executor: &[&str],
    dir: &Path,
) -> (Child, Vec<(u32, String)>, Vec<std::fs::File>) {
    // Two logs whose jobs never finish: the workers hang on them (the fault hook). Each is
    // bigger than a batch's smallest budget, so each goes to its own worker.
    let line = "1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1\n";
    for name in ["x.log", "y.log"] {
        std::fs::write(dir.join(name), line.repeat((300 << 10) / line.len())).unwrap();
    }
    let child = spawn(
        logcount()
            .args([dir.join("x.log"), dir.join("y.log")])
            .arg("--json")
            .args(executor)
            .env(FAULT_ENV, "hang-on:.log"),
    );
    let pid = child.id();
    // Two workers, and the fork server beside them with that start method: each must go.
    let expected = 2 + usize::from(executor.contains(&"forkserver"));
    let workers = wait_for("two workers", TWENTY_SECONDS, || {
        let c = children_of(pid);
        (c.len() == expected).then_some(c)
    });
    (child, workers, Vec::new())
}

#[test]
fn a_signal_ends_every_worker_and_prints_no_result() {
    for (signal, code) in [(nix::libc::SIGINT, 130), (nix::libc::SIGTERM, 143)] {
        for_each_procpool_executor(|executor| {
            let method = executor.name;
            let dir = tempfile::tempdir().unwrap();
            let (child, workers, _writers) = start_endless_run(&executor.jobs("2"), dir.path());
            // SAFETY: signalling our own child.
            assert_eq!(unsafe { nix::libc::kill(child.id() as i32, signal) }, 0);
            // The run ends within 20 s of the signal, or the test fails.
            let out = wait_within(child, TWENTY_SECONDS);
            assert_eq!(out.status.code(), Some(code), "{method} signal {signal}");
            assert!(
                out.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            // The parent reaped its workers before exiting: none is left, not even a zombie.
            for (pid, start) in &workers {
                assert!(!exists(*pid, start), "worker {pid} left behind ({method})");
            }
        });
    }
}

#[test]
fn workers_die_with_a_parent_that_is_killed() {
    for_each_procpool_executor(|executor| {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, workers, _writers) = start_endless_run(&executor.jobs("2"), dir.path());
        child.kill().unwrap();
        child.wait().unwrap();
        for (pid, start) in &workers {
            wait_for("the orphaned worker to die", TWENTY_SECONDS, || {
                let gone = stat(*pid).is_none_or(|(_, s, state)| s != *start || state == "Z");
                gone.then_some(())
            });
        }
    });
}

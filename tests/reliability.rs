//! Files that change under us, bad inputs, and inputs that must never hang the run.
//!
//! Files are changed *between planning and counting*: the run is given a FIFO first and a log
//! second; `serial` plans both, then blocks reading the FIFO, and while it waits the test
//! truncates, appends to, deletes or replaces the log. Every executor of tests/util's list
//! takes its turn, with one worker (`-j 1`) where it takes `-j`. The process pool reads the
//! FIFO itself while its worker counts the log, so its worker waits at a second FIFO (the
//! `gate` fault hook) before its first job.

use crate::util::ExecutorArgs;
use crate::util::{clean_env, for_each_executor, json, logcount, mkfifo, output, output_within};
use crate::util::{results_text, spawn, wait_within, BIN, WORKER_FAULT_ENV};

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};

/// The longest a run here may take: none may hang on what changed under it.
const TWENTY_SECONDS: Duration = Duration::from_secs(20);

/// Asserts that the run reported `path` as its `i`-th error, for a reason containing `reason`.
fn assert_error(v: &Value, i: usize, path: &Path, reason: &str) {
    assert_eq!(v["errors"][i]["path"], key(path), "{v}");
    let error = v["errors"][i]["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "{reason:?} not in {error:?}");
}

fn lines(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            format!("10.0.{}.{} - - [x] \"GET /\" 200 1\n", i / 250, i % 250).into_bytes()
        })
        .collect()
}

const LOG: &str = "1-access.log";

/// Runs `check` on the outcome of [`change_between_plan_and_count`] for every executor, each
/// counting the gate before the log: `serial` in argument order, the others with one worker
/// (`-j 1`), streams first.
fn for_each_executor_changing(
    log_bytes: &[u8],
    change: impl Fn(&Path),
    check: impl Fn(&Output, &Path),
) {
    for_each_executor_changing_with(&[], log_bytes, change, check);
}

/// [`for_each_executor_changing`] with `extra` arguments.
fn for_each_executor_changing_with(
    extra: &[&str],
    log_bytes: &[u8],
    change: impl Fn(&Path),
    check: impl Fn(&Output, &Path),
) {
    for_each_executor(|executor| {
        let workers = executor.start_method().is_some();
        let mut args = executor.jobs("1");
        args.extend_from_slice(extra);
        let (out, dir) = change_between_plan_and_count(&args, workers, log_bytes, &change);
        check(&out, &dir.path().join(LOG));
    });
}

/// How a log big enough to be mapped (`logcount::input::MIN_MAP`) is read in the tests of
/// changes under maps: mapped whole, mapped in ranges (`--chunk-size 1M`: the first and second
/// range's maps reach past the truncation), and read (`--no-mmap`).
const MAPPED: [&[&str]; 3] = [
    &[],
    &["--chunk-size", "1M"],
    &["--no-mmap", "--chunk-size", "1M"],
];

/// A log of `n` requests bigger than `logcount::input::MIN_MAP`.
fn big_lines(n: usize) -> Vec<u8> {
    let bytes = lines(n);
    assert!(bytes.len() as u64 > logcount::input::MIN_MAP * 3 / 2);
    bytes
}

/// Starts `logcount GATE LOG`, lets `change` act on `log` once the run is planned and waiting
/// on the gate FIFO, then releases the gate and returns the run's output.
fn change_between_plan_and_count(
    executor: &[&str],
    workers: bool,
    log_bytes: &[u8],
    change: impl FnOnce(&Path),
) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("0-gate");
    let worker_gate = dir.path().join("worker-gate");
    let log = dir.path().join(LOG);
    std::fs::write(&log, log_bytes).unwrap();
    mkfifo(&gate);
    mkfifo(&worker_gate);
    let fault = format!("gate:{}", worker_gate.display());
    let child = spawn(
        logcount()
            .args([&gate, &log])
            .args(executor)
            .arg("--json")
            .env(WORKER_FAULT_ENV, &fault),
    );
    // Opening the gate for writing returns once logcount opened it for reading: planning is
    // over, and counting the log has not started (a worker, if any, waits at its own gate).
    let mut writer = OpenOptions::new().write(true).open(&gate).unwrap();
    let worker_writer = workers.then(|| OpenOptions::new().write(true).open(&worker_gate).unwrap());
    change(&log);
    writer
        .write_all(b"9.9.9.9 - - [gate] \"GET /\" 200 1\n")
        .unwrap();
    drop(writer);
    drop(worker_writer);
    (wait_within(child, Duration::from_secs(30)), dir)
}

fn key(path: &Path) -> String {
    logcount::input::display(path)
}

#[test]
fn truncated_while_counting_is_that_files_error() {
    let truncate = |log: &Path| {
        OpenOptions::new()
            .write(true)
            .open(log)
            .unwrap()
            .set_len(100)
            .unwrap();
    };
    for_each_executor_changing(&lines(1000), truncate, |out, log| {
        assert_eq!(out.status.code(), Some(1));
        let v = json(out);
        assert_error(&v, 0, log, "shrank");
        assert_eq!(v["summary"]["files"], 1, "the gate is still counted");
    });
}

#[test]
fn truncated_under_a_map_is_that_files_error_never_sigbus() {
    // The log is planned at its full size and mapped so; its pages past the new end are gone
    // when the job reads them (SIGBUS without the handler): every executor says "shrank".
    let truncate = |log: &Path| {
        let f = OpenOptions::new().write(true).open(log).unwrap();
        f.set_len(logcount::input::MIN_MAP / 2).unwrap();
    };
    for extra in MAPPED {
        for_each_executor_changing_with(extra, &big_lines(60_000), truncate, |out, log| {
            assert_eq!(out.status.code(), Some(1), "{extra:?}: {out:?}");
            let v = json(out);
            assert_error(&v, 0, log, "shrank");
            assert_eq!(v["summary"]["files"], 1, "the gate is still counted");
        });
    }
}

#[test]
fn appended_under_a_map_gives_the_planned_snapshot_without_a_torn_line() {
    // The last planned line is finished past the map's end, by reading.
    let mut bytes = big_lines(60_000);
    bytes.extend_from_slice(b"5.5.5.5 - - [x] \"GET /to");
    let append = |log: &Path| {
        let mut f = OpenOptions::new().append(true).open(log).unwrap();
        f.write_all(b"rn\" 200 1\n6.6.6.6 - - [late]\n").unwrap();
    };
    for extra in MAPPED {
        for_each_executor_changing_with(extra, &bytes, append, |out, log| {
            assert_eq!(out.status.code(), Some(0), "{extra:?}: {out:?}");
            let v = json(out);
            assert_eq!(v["files"][key(log)]["total"], 60_001, "{extra:?}");
            assert_eq!(v["files"][key(log)]["ip"], 60_001, "{extra:?}");
            assert_eq!(v["files"][key(log)]["malformed"], 0, "{extra:?}");
        });
    }
}

#[test]
fn truncated_and_grown_again_is_that_files_error_never_its_zeros() {
    // logrotate's copytruncate with a writer that does not append: the file passes its
    // planned size again, with zeros where the counted lines were (issue 27: 1 malformed line
    // and a fraction of the requests, exit 0). The bytes before the planned size, read at
    // planning and again after counting, differ: every executor, mapped or read, whole or in
    // ranges, says "changed while being counted".
    let bytes = big_lines(60_000);
    let size = bytes.len() as u64;
    let rewrite = |log: &Path| {
        let f = OpenOptions::new().write(true).open(log).unwrap();
        f.set_len(size / 3).unwrap();
        f.set_len(size + 4096).unwrap();
    };
    for extra in MAPPED {
        for_each_executor_changing_with(extra, &bytes, rewrite, |out, log| {
            assert_eq!(out.status.code(), Some(1), "{extra:?}: {out:?}");
            let v = json(out);
            assert_error(&v, 0, log, "changed while being counted");
            assert_eq!(v["summary"]["files"], 1, "the gate is still counted");
        });
    }
}

#[test]
fn appended_while_counting_gives_the_planned_snapshot_without_a_torn_line() {
    let mut bytes = lines(100);
    bytes.extend_from_slice(b"5.5.5.5 - - [x] \"GET /to");
    let append = |log: &Path| {
        let mut f = OpenOptions::new().append(true).open(log).unwrap();
        f.write_all(b"rn\" 200 1\n6.6.6.6 - - [late]\n7.7.7.7 - - [late]\n")
            .unwrap();
    };
    for_each_executor_changing(&bytes, append, |out, log| {
        assert_eq!(out.status.code(), Some(0));
        let v = json(out);
        // 100 planned lines plus the torn one, finished once; the late lines are not counted.
        assert_eq!(v["files"][key(log)]["total"], 101);
        assert_eq!(v["files"][key(log)]["ip"], 101);
    });
}

#[test]
fn deleted_before_counting_is_that_files_error() {
    let delete = |log: &Path| std::fs::remove_file(log).unwrap();
    for_each_executor_changing(&lines(10), delete, |out, log| {
        assert_eq!(out.status.code(), Some(1));
        let v = json(out);
        assert_eq!(v["errors"][0]["path"], key(log));
        assert_eq!(v["summary"]["files"], 1);
    });
}

#[test]
fn replaced_before_counting_is_that_files_error() {
    let replace = |log: &Path| {
        let new = log.with_extension("new");
        std::fs::write(&new, lines(3)).unwrap();
        std::fs::rename(&new, log).unwrap();
    };
    for_each_executor_changing(&lines(10), replace, |out, log| {
        assert_eq!(out.status.code(), Some(1));
        let v = json(out);
        assert_error(&v, 0, log, "replaced");
    });
}

#[test]
fn dangling_symlink_named_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("gone.log");
    std::os::unix::fs::symlink(dir.path().join("missing-target"), &link).unwrap();
    let good = dir.path().join("good.log");
    std::fs::write(&good, lines(3)).unwrap();
    let out = output_within(
        logcount().args([&link, &good]).arg("--json"),
        None,
        TWENTY_SECONDS,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["errors"][0]["path"], key(&link));
    assert_eq!(v["files"][key(&good)]["total"], 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gone.log") && stderr.lines().count() == 1,
        "{stderr}"
    );
}

#[test]
fn unreadable_directory_is_an_error_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(root.join("good.log"), lines(4)).unwrap();
    let locked = root.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("secret.log"), lines(2)).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    // Root reads everything: run as `nobody` when we are root (as in CI).
    // SAFETY: geteuid has no preconditions.
    let mut cmd = if unsafe { nix::libc::geteuid() } == 0 {
        let mut c = Command::new("setpriv");
        clean_env(&mut c).args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        logcount()
    };
    let out = output(cmd.arg(root).arg("--json"));
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["files"][key(&root.join("good.log"))]["total"], 4);
    assert_error(&v, 0, &locked, "Permission denied");
}

#[test]
fn fifo_without_writer_named_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody-writes");
    mkfifo(&fifo);
    let out = output_within(logcount().arg(&fifo).arg("--json"), None, TWENTY_SECONDS);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_error(&v, 0, &fifo, "no writer");
}

/// Issue 27: a FIFO whose writer holds it but is slow (`<(sleep 7; cat a.log)`, `<(ssh ...)`)
/// was "FIFO with no writer for 5 s". Now it is read for as long as its writer takes: a named
/// FIFO a writer holds open, quiet for 6 s, and a process substitution, at the same time.
#[test]
fn fifo_whose_writer_is_slow_is_read_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(&log, lines(300)).unwrap();
    let fifo = dir.path().join("slow");
    mkfifo(&fifo);
    let bash = |script: String| {
        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(script);
        clean_env(&mut cmd);
        cmd
    };
    let (f, l) = (fifo.display(), log.display());
    let writer = spawn(&mut bash(format!("exec 3>'{f}'; sleep 6; cat '{l}' >&3")));
    let substituted = spawn(&mut bash(format!(
        "'{BIN}' --json -q <(sleep 6; cat '{l}')"
    )));
    let counted_all = |out: &Output| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert_eq!(json(out)["summary"]["total"], 300);
    };
    counted_all(&output_within(
        logcount().arg(&fifo).arg("--json"),
        None,
        TWENTY_SECONDS,
    ));
    let _ = wait_within(writer, Duration::from_secs(20));
    counted_all(&wait_within(substituted, Duration::from_secs(20)));
}

#[test]
fn fifo_and_device_in_a_walk_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), lines(2)).unwrap();
    mkfifo(&dir.path().join("pipe"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
    let out = output_within(
        logcount().arg(dir.path()).arg("--json"),
        None,
        TWENTY_SECONDS,
    );
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(
        v["summary"],
        json!({"files": 1, "total": 2, "ip": 2, "bytes": 62, "malformed": 0, "errors": 0, "skipped": 2})
    );
    assert_eq!(
        v["skipped"],
        json!([
            {"path": key(&dir.path().join("pipe")), "reason": "FIFO, not a regular file"},
            {"path": key(&dir.path().join("zero")), "reason": "character device, not a regular file"},
        ])
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pipe: skipped: FIFO"), "{stderr}");
    assert!(
        stderr.contains("zero: skipped: character device"),
        "{stderr}"
    );
}

#[test]
fn device_named_is_an_error_not_an_endless_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), lines(2)).unwrap();
    let out = output_within(
        logcount()
            .args([Path::new("/dev/zero"), dir.path()])
            .arg("--json"),
        None,
        TWENTY_SECONDS,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_error(&v, 0, Path::new("/dev/zero"), "character device");
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn symlink_loop_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/a.log"), lines(2)).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    let out = output_within(
        logcount().arg(dir.path()).arg("--json"),
        None,
        TWENTY_SECONDS,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["errors"][0]["path"], key(&dir.path().join("sub/loop")));
}

/// Names that are not UTF-8, one that is U+FFFD itself and one that looks like an escape: each
/// its own entry in every format and through partials, shown without loss, in the same order
/// on every executor.
#[test]
fn names_that_are_not_utf8_are_shown_without_loss_and_never_merged() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 4] = [b"a\xff", b"a\xfe", b"a\xef\xbf\xbd", b"a\\xff"];
    for (i, name) in names.iter().enumerate() {
        let lines: String = (0..=i).map(|c| format!("10.0.0.{c} - - x\n")).collect();
        std::fs::write(dir.path().join(OsStr::from_bytes(name)), lines).unwrap();
    }
    let count = |extra: &[&str]| {
        let out = output(
            logcount()
                .arg(dir.path())
                .args(["--log-format", "classic"])
                .args(extra),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("every format is UTF-8")
    };
    let direct = count(&["--json", "-e", "serial"]);
    let v: Value = serde_json::from_str(&direct).unwrap();
    let files = v["files"].as_object().unwrap();
    assert_eq!(files.len(), 4, "{direct}");
    // Each name gives its file's bytes back, and its file's own numbers.
    for (i, name) in names.iter().enumerate() {
        let shown = key(&dir.path().join(OsStr::from_bytes(name)));
        assert_eq!(
            logcount::input::name_bytes(&shown),
            dir.path()
                .join(OsStr::from_bytes(name))
                .as_os_str()
                .as_bytes()
        );
        assert_eq!(files[&shown]["total"], i + 1, "{shown}: {direct}");
    }
    // The same document, byte for byte up to `executor`, from every executor.
    for_each_executor(|e| {
        let json = count(&e.with(&["--json", "-j", "2"]));
        assert_eq!(results_text(&json), results_text(&direct));
    });
    // Every format: four entries, none merged.
    let csv = count(&["--format", "csv"]);
    let rows: std::collections::HashSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "{csv}");
    let ndjson = count(&["--format", "ndjson"]);
    let paths: std::collections::HashSet<String> = ndjson
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|v| v["path"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(paths.len(), 4, "{ndjson}");
    let table = count(&["--format", "table"]);
    for name in files.keys() {
        assert!(table.contains(name.as_str()), "{name} not in\n{table}");
    }
    // Through a partial and merge: the same document.
    let part = dir.path().join("p.part");
    let out = output(
        logcount()
            .args([
                "partial",
                "--log-format",
                "classic",
                "--slice",
                "0/1",
                "-q",
                "-o",
            ])
            .arg(&part)
            .arg(dir.path()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(dir.path().join(OsStr::from_bytes(names[0]))).unwrap();
    let out = output(logcount().arg("merge").arg(&part).arg("--json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        results_text(&String::from_utf8(out.stdout).unwrap()),
        results_text(&direct)
    );
}

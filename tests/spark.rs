//! logcount under a real engine: Apache Spark with two executor JVMs (`local-cluster`), one
//! `logcount partial` per Spark task, `logcount merge` on the driver (examples/spark). The
//! answer must be exactly a direct run's, also when an executor is killed mid-job and Spark
//! retries its task elsewhere.
//!
//! Needs PySpark and Java: `examples/spark/setup.sh` installs them (`.ci/run` runs it). Without
//! them the tests say so and pass, except under CI, where they fail.

mod common;
use common::{clean_env, exit_within, logcount, output_ok, results_text, stdout, BIN};

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// Two Spark clusters at once would only fight over the cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The longest a Spark run may take before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(300);

fn driver() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark/logcount_spark.py")
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A Python that imports pyspark, with a Java on PATH; or why there is none.
fn spark_python() -> Result<PathBuf, String> {
    let java = Command::new("java")
        .arg("-version")
        .stderr(Stdio::null())
        .status();
    if !java.is_ok_and(|s| s.success()) {
        return Err("no Java runtime on PATH".into());
    }
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("LOGCOUNT_SPARK_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    // Where examples/spark/setup.sh installs it.
    let venv = std::env::var_os("LOGCOUNT_SPARK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
            Path::new(&home).join(".cache/logcount/spark-venv")
        });
    candidates.push(venv.join("bin/python"));
    candidates.push("python3".into());
    for python in &candidates {
        let ok = Command::new(python)
            .args(["-c", "import pyspark"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(python.clone());
        }
    }
    Err(format!("no Python with pyspark among {candidates:?}"))
}

/// The Python to run Spark with, or `None` (after saying why) when the test must be skipped.
fn spark_or_skip(test: &str) -> Option<PathBuf> {
    match spark_python() {
        Ok(p) => Some(p),
        Err(why) if under_ci() => {
            panic!("{test}: CI is set but Spark cannot run ({why}): run examples/spark/setup.sh")
        }
        Err(why) => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {why}; run examples/spark/setup.sh to enable it"
            );
            None
        }
    }
}

/// Logs big enough to cut into several chunks per file, so slices share files.
fn logs(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    output_ok(
        logcount()
            .args([
                "gen",
                logs.to_str().unwrap(),
                "--files",
                "3",
                "--lines",
                "20000",
            ])
            .args(["--seed", "11", "--unique", "5000"]),
    );
    std::fs::write(
        logs.join("awkward.log"),
        b"1.2.3.4 - -\r\n\n01.2.3.4\n-\n,x\n\xff - -",
    )
    .unwrap();
    logs
}

fn direct(logs: &Path) -> String {
    stdout(&output_ok(logcount().arg(logs).args([
        "--chunk-size",
        "256K",
        "--json",
    ])))
}

/// Runs the Spark driver; returns its stdout and stderr. Kills its whole process group (the
/// driver JVM and executor JVMs included) if it outlives [`DEADLINE`]: it leads its own
/// group, which tests/common's `exit_within` kills whole.
fn run_driver(python: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let (out, err) = (dir.join("driver.out"), dir.join("driver.err"));
    // The driver runs logcount: in the environment tests/common gives it.
    let mut child = clean_env(&mut Command::new(python))
        .arg(driver())
        .args([
            "--logcount",
            BIN,
            "--plan-arg=--chunk-size",
            "--plan-arg=256K",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let Some(status) = exit_within(&mut child, DEADLINE) else {
        panic!(
            "Spark driver ran over {DEADLINE:?}; its stderr:\n{}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
    };
    (
        status.success(),
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(err).unwrap(),
    )
}

#[test]
fn spark_tasks_partials_merge_to_the_direct_run() {
    let Some(python) = spark_or_skip("spark_tasks_partials_merge_to_the_direct_run") else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let (ok, out, err) = run_driver(
        &python,
        dir.path(),
        &["--slices", "5", logs.to_str().unwrap()],
    );
    assert!(ok, "Spark driver failed:\n{err}");
    assert_eq!(
        results_text(&out),
        results_text(&direct(&logs)),
        "stderr:\n{err}"
    );
    for i in 0..5 {
        assert!(err.contains(&format!("slice {i}/5: attempt 0")), "{err}");
    }
}

#[test]
fn a_killed_executor_is_retried_and_the_answer_stays_exact() {
    let Some(python) = spark_or_skip("a_killed_executor_is_retried_and_the_answer_stays_exact")
    else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let markers = dir.path().join("markers");
    std::fs::create_dir(&markers).unwrap();
    let (ok, out, err) = run_driver(
        &python,
        dir.path(),
        &[
            "--slices",
            "4",
            "--crash-once",
            "1",
            "--marker-dir",
            markers.to_str().unwrap(),
            logs.to_str().unwrap(),
        ],
    );
    assert!(ok, "Spark driver failed:\n{err}");
    assert!(
        markers.join("crashed-1").exists(),
        "the executor was never killed"
    );
    // Spark ran the killed task again (attempt 1 or later) and the answer is still exact.
    let retried = err
        .lines()
        .find(|l| l.starts_with("logcount_spark: slice 1/4: attempt "))
        .unwrap_or_else(|| panic!("no report of slice 1:\n{err}"));
    assert!(!retried.contains("attempt 0,"), "{retried}");
    assert_eq!(
        results_text(&out),
        results_text(&direct(&logs)),
        "stderr:\n{err}"
    );
}

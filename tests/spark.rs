//! logcount under a real engine: Apache Spark with two executor JVMs (`local-cluster`), one
//! `logcount partial` per Spark task, `logcount merge` on the driver (examples/spark). The
//! answer must be exactly a direct run's, also when an executor is killed mid-job and Spark
//! retries its task elsewhere.
//!
//! Needs PySpark and Java: `examples/spark/setup.sh` installs them (`.ci/run` runs it). Without
//! them the tests say so and pass, except under CI, where they fail.

use crate::util::engines::{direct, one_cluster_at_a_time, Engine};
use crate::util::{logcount, output_ok, results_text, BIN};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The longest a Spark run may take before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(300);

const SPARK: Engine = Engine {
    name: "Spark",
    module: "pyspark",
    python_env: "LOGCOUNT_SPARK_PYTHON",
    venv_env: "LOGCOUNT_SPARK_VENV",
    venv: "spark-venv",
    example: "spark",
};

/// The Python to run Spark with (and a Java on PATH), or `None` when the test must be skipped.
fn spark_or_skip(test: &str) -> Option<PathBuf> {
    SPARK.or_skip(test, || {
        let java = Command::new("java")
            .arg("-version")
            .stderr(Stdio::null())
            .status();
        if java.is_ok_and(|s| s.success()) {
            Ok(())
        } else {
            Err("no Java runtime on PATH".into())
        }
    })
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

/// Runs the Spark driver of examples/spark; returns whether it succeeded, its stdout and
/// stderr (the driver JVM and executor JVMs are in its process group, killed whole on a
/// deadline).
fn run_driver(python: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let args: Vec<&str> = [
        "--logcount",
        BIN,
        "--plan-arg=--chunk-size",
        "--plan-arg=256K",
    ]
    .into_iter()
    .chain(args.iter().copied())
    .collect();
    SPARK.run(python, "logcount_spark.py", dir, &args, DEADLINE)
}

#[test]
fn spark_tasks_partials_merge_to_the_direct_run() {
    let Some(python) = spark_or_skip("spark_tasks_partials_merge_to_the_direct_run") else {
        return;
    };
    let _one = one_cluster_at_a_time();
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
    let _one = one_cluster_at_a_time();
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

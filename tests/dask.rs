//! logcount under Dask (examples/dask): a frozen plan, a local `distributed` cluster of a
//! scheduler on loopback and two worker processes, one `logcount partial --plan` per task,
//! `logcount merge` on the client. The answer must be exactly a direct run's on the frozen
//! snapshot — while a log keeps growing, and when a worker process is killed mid-job and Dask
//! reschedules its task.
//!
//! Needs Dask: `examples/dask/setup.sh` installs it (`.ci/run` runs it). Without it the tests
//! say so and pass, except under CI, where they fail.

use crate::util::engines::{direct, one_cluster_at_a_time, Engine};
use crate::util::{logcount, output_ok, results_text, BIN};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The longest a Dask run may take before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(180);

const DASK: Engine = Engine {
    name: "Dask",
    module: "distributed",
    python_env: "LOGCOUNT_DASK_PYTHON",
    venv_env: "LOGCOUNT_DASK_VENV",
    venv: "dask-venv",
    example: "dask",
};

fn dask_or_skip(test: &str) -> Option<PathBuf> {
    DASK.or_skip(test, || Ok(()))
}

/// Logs big enough to cut into several chunks per file, so slices share files.
fn logs(dir: &Path) -> PathBuf {
    let logs = dir.join("logs");
    output_ok(
        logcount()
            .args(["gen", logs.to_str().unwrap(), "--files", "3"])
            .args(["--lines", "20000", "--seed", "13", "--unique", "5000"]),
    );
    logs
}

/// Runs the Dask client of examples/dask; returns whether it succeeded, its stdout and stderr.
fn run_client(python: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let args: Vec<&str> = ["--logcount", BIN]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    DASK.run(python, "logcount_dask.py", dir, &args, DEADLINE)
}

#[test]
fn dask_tasks_count_a_frozen_plan_exactly_while_a_log_grows() {
    let Some(python) = dask_or_skip("dask_tasks_count_a_frozen_plan_exactly_while_a_log_grows")
    else {
        return;
    };
    let _one = one_cluster_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let want = direct(&logs);
    let plan = dir.path().join("run.plan");
    output_ok(
        logcount()
            .arg("plan")
            .arg(&logs)
            .args(["--chunk-size", "256K", "-q", "-o"])
            .arg(&plan),
    );
    // While the tasks run, one of the logs keeps growing, as a live server's does.
    let stop = AtomicBool::new(false);
    let (ok, out, err) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut log = std::fs::OpenOptions::new()
                .append(true)
                .open(logs.join("access-0001.log"))
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                log.write_all(
                    b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n",
                )
                .unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let ran = run_client(
            &python,
            dir.path(),
            &["--plan", plan.to_str().unwrap(), "--slices", "5"],
        );
        stop.store(true, Ordering::Relaxed);
        ran
    });
    assert!(ok, "Dask client failed:\n{err}");
    assert_eq!(results_text(&out), results_text(&want), "stderr:\n{err}");
    assert_ne!(direct(&logs), want, "the log did grow meanwhile");
    for i in 0..5 {
        assert!(err.contains(&format!("slice {i}/5: attempt 0")), "{err}");
    }
}

#[test]
fn a_killed_dask_worker_is_rescheduled_and_the_answer_stays_exact() {
    let Some(python) =
        dask_or_skip("a_killed_dask_worker_is_rescheduled_and_the_answer_stays_exact")
    else {
        return;
    };
    let _one = one_cluster_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let logs = logs(dir.path());
    let markers = dir.path().join("markers");
    std::fs::create_dir(&markers).unwrap();
    let (ok, out, err) = run_client(
        &python,
        dir.path(),
        &[
            "--slices",
            "4",
            "--crash-once",
            "1",
            "--marker-dir",
            markers.to_str().unwrap(),
            "--plan-arg=--chunk-size",
            "--plan-arg=256K",
            logs.to_str().unwrap(),
        ],
    );
    assert!(ok, "Dask client failed:\n{err}");
    // The task that killed its worker ran again, and the answer is still exact.
    assert!(
        markers.join("1.0").exists() && markers.join("1.1").exists(),
        "{err}"
    );
    assert!(err.contains("slice 1/4: attempt 1"), "{err}");
    assert_eq!(
        results_text(&out),
        results_text(&direct(&logs)),
        "stderr:\n{err}"
    );
}

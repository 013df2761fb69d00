//! What the engine tests (tests/spark.rs, tests/dask.rs) share: finding a Python that has the
//! engine, skipping (or, under CI, failing) without one, and running an example's script with
//! a deadline, one cluster at a time.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::run::{clean_env, exit_within, logcount, output_ok, stdout};
use super::under_ci;

/// Held by every engine test for its whole run: two clusters at once (Spark's or Dask's, in one
/// test binary now) would only fight over the cores.
pub fn one_cluster_at_a_time() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The JSON report of a direct run over `logs`, in the jobs the engine examples cut them into
/// (`--chunk-size 256K`): what a run under an engine must reproduce.
pub fn direct(logs: &Path) -> String {
    stdout(&output_ok(logcount().arg(logs).args([
        "--chunk-size",
        "256K",
        "--json",
    ])))
}

/// Where an engine lives: the module a Python must import, the variables that point at it,
/// and the example whose `setup.sh` installs it (in `~/.cache/logcount/<venv>`).
pub struct Engine {
    pub name: &'static str,
    pub module: &'static str,
    pub python_env: &'static str,
    pub venv_env: &'static str,
    pub venv: &'static str,
    pub example: &'static str,
}

impl Engine {
    /// A Python that imports the engine's module, or why there is none.
    pub fn python(&self) -> Result<PathBuf, String> {
        let mut candidates = Vec::new();
        if let Some(p) = std::env::var_os(self.python_env) {
            candidates.push(PathBuf::from(p));
        }
        let venv = std::env::var_os(self.venv_env)
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
                Path::new(&home).join(".cache/logcount").join(self.venv)
            });
        candidates.push(venv.join("bin/python"));
        candidates.push("python3".into());
        for python in &candidates {
            let ok = Command::new(python)
                .args(["-c", &format!("import {}", self.module)])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Ok(python.clone());
            }
        }
        Err(format!(
            "no Python with {} among {candidates:?}",
            self.module
        ))
    }

    /// The Python to run `test` with, or `None` (after saying why) when it must be skipped;
    /// `check` says what else the engine needs (Java), or why it cannot run.
    pub fn or_skip(&self, test: &str, check: impl Fn() -> Result<(), String>) -> Option<PathBuf> {
        match check().and_then(|()| self.python()) {
            Ok(p) => Some(p),
            Err(why) if under_ci() => panic!(
                "{test}: CI is set but {} cannot run ({why}): run examples/{}/setup.sh",
                self.name, self.example
            ),
            Err(why) => {
                // Straight to stderr, past the test harness's capture, so the skip is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {why}; run examples/{}/setup.sh to enable it",
                    self.example
                );
                None
            }
        }
    }

    /// Runs `script` of the example with `python` and `args`; returns whether it succeeded,
    /// its stdout and its stderr. It leads its own process group, killed whole (the engine's
    /// processes included) if it outlives `deadline`.
    pub fn run(
        &self,
        python: &Path,
        script: &str,
        dir: &Path,
        args: &[&str],
        deadline: Duration,
    ) -> (bool, String, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(self.example)
            .join(script);
        let (out, err) = (dir.join("engine.out"), dir.join("engine.err"));
        // The script runs logcount: in the environment tests/util gives it.
        let mut child = clean_env(&mut Command::new(python))
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .process_group(0)
            .spawn()
            .unwrap();
        let Some(status) = exit_within(&mut child, deadline) else {
            panic!(
                "{} ran over {deadline:?}; its stderr:\n{}",
                self.name,
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        };
        (
            status.success(),
            std::fs::read_to_string(out).unwrap(),
            std::fs::read_to_string(err).unwrap(),
        )
    }
}

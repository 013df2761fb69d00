//! The guard every executor joins: on random inputs, with random `-j` and random (small) chunk
//! sizes, every executor reports exactly the `files` and `summary` that `serial` reports.

mod common;
use common::log_bytes;

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use serde_json::Value;

/// The executors under test, as extra arguments; each new executor adds its line here.
const EXECUTORS: &[&[&str]] = &[
    &["-e", "threads"],
    &["-e", "async"],
    &["-e", "procpool", "--start-method", "fork"],
    &["-e", "procpool", "--start-method", "spawn"],
];

fn run(dir: &Path, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_logcount"))
        .arg(dir)
        .args(["--json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = v.as_object_mut().unwrap();
    serde_json::json!({"files": v.remove("files"), "summary": v.remove("summary")})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn every_executor_agrees_with_serial(
        files in proptest::collection::vec(log_bytes(), 1..5),
        jobs in 1u32..6,
        chunk in 1u64..300,
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (i, bytes) in files.iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{i}.log")), bytes).unwrap();
        }
        let want = run(dir.path(), &["-e", "serial"]);
        let jobs = jobs.to_string();
        let chunk = chunk.to_string();
        for executor in EXECUTORS {
            let mut args = executor.to_vec();
            args.extend(["-j", &jobs, "--chunk-size", &chunk]);
            let got = run(dir.path(), &args);
            prop_assert_eq!(&got, &want, "{:?}", args);
        }
    }
}

#[test]
fn every_executor_agrees_on_the_sample_logs() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let want = run(&samples, &["-e", "serial"]);
    for executor in EXECUTORS {
        for chunk in ["4096", "100K", "64M"] {
            let mut args = executor.to_vec();
            args.extend(["-j", "3", "--chunk-size", chunk]);
            assert_eq!(run(&samples, &args), want, "{args:?}");
        }
    }
}

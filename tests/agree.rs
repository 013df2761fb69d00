//! The guard every executor joins: on random inputs, with random `-j` and random (small) chunk
//! sizes, every executor reports exactly the `files` and `summary` that `serial` reports.
//!
//! The executors are tests/common's list: a new executor joins by adding its line there.

mod common;
use common::{agreed, executor, for_each_parallel_executor, json, log_bytes, logcount};
use common::{output_ok, parallel_executors};

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

/// The `files` and `summary` of a run over `dir` with `args`.
fn answer(dir: &Path, args: &[&str]) -> Value {
    let out = output_ok(logcount().arg(dir).args(["--json", "--quiet"]).args(args));
    agreed(&json(&out))
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
        let want = answer(dir.path(), executor("serial").args);
        let jobs = jobs.to_string();
        let chunk = chunk.to_string();
        // A loop, not for_each_parallel_executor: prop_assert_eq! returns from the test case.
        for executor in parallel_executors() {
            let args = executor.with(&["-j", &jobs, "--chunk-size", &chunk]);
            let got = answer(dir.path(), &args);
            prop_assert_eq!(&got, &want, "{:?}", args);
        }
    }
}

#[test]
fn every_executor_agrees_on_the_sample_logs() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let want = answer(&samples, executor("serial").args);
    for_each_parallel_executor(|executor| {
        for chunk in ["4096", "100K", "64M"] {
            let args = executor.with(&["-j", "3", "--chunk-size", chunk]);
            assert_eq!(answer(&samples, &args), want, "{args:?}");
        }
    });
}

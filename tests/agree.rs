//! The guard every executor joins: on random inputs, with random `-j` and random (small) chunk
//! sizes, every executor reports exactly the `files` and `summary` that `serial` reports: on
//! random bytes read by the `classic` rule, and on random logs of every format read by `auto`,
//! where `serial` must also report each log's true counts. `serial` reads with `pread`
//! (`--no-mmap`) and finds line ends without vector compares; the others count every job from
//! a memory map, however small, with the widest compares the CPU has.
//!
//! The executors are tests/util's list: a new executor joins by adding its line there.

use crate::util::formats::{formatted_log, Log};
use crate::util::parallel_executors;
use crate::util::ExecutorArgs;
use crate::util::{
    answer, answer_mapped, answer_scanned_plainly, executor, for_each_parallel_executor, log_bytes,
};

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

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
        let want = answer(dir.path(), &executor("serial").with(&["--log-format", "classic", "--no-mmap"]));
        let jobs = jobs.to_string();
        let chunk = chunk.to_string();
        // A loop, not for_each_parallel_executor: prop_assert_eq! returns from the test case.
        for executor in parallel_executors() {
            let args = executor.with(&["-j", &jobs, "--chunk-size", &chunk, "--log-format", "classic"]);
            let got = answer_mapped(dir.path(), &args);
            prop_assert_eq!(&got, &want, "{:?}", args);
        }
    }

    #[test]
    fn every_executor_finds_every_format_and_agrees_with_serial(
        logs in proptest::collection::vec(formatted_log(), 1..5),
        jobs in 1u32..6,
        chunk in 1u64..2000,
        show in 0usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (i, log) in logs.iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{i}.log")), &log.bytes).unwrap();
        }
        // Under --show-malformed, each file's first malformed lines too: the same lines, with
        // the same numbers, however the file was cut.
        let shown = show.to_string();
        let show_args: &[&str] = if show > 0 { &["--show-malformed", &shown] } else { &[] };
        let want = answer_scanned_plainly(dir.path(), &executor("serial").with(&[&["--no-mmap"], show_args].concat()));
        for (i, log) in logs.iter().enumerate() {
            let mut got = want["files"][dir.path().join(format!("f{i}.log")).to_str().unwrap()].clone();
            if let Some(lines) = got.as_object_mut().and_then(|f| f.remove("malformed_lines")) {
                prop_assert_eq!(lines.as_array().unwrap().len() as u64, log.malformed.min(show as u64));
            }
            prop_assert_eq!(&got, &truth(log), "{}", String::from_utf8_lossy(&log.bytes));
        }
        let jobs = jobs.to_string();
        let chunk = chunk.to_string();
        for executor in parallel_executors() {
            let args = executor.with(&[&["-j", &jobs, "--chunk-size", &chunk], show_args].concat());
            let got = answer_mapped(dir.path(), &args);
            prop_assert_eq!(&got, &want, "{:?}", args);
        }
    }
}

/// What a correct run reports for `log` under `files` (nothing when it is no access log).
fn truth(log: &Log) -> Value {
    if log.blank {
        return serde_json::json!({
            "total": 0, "ip": 0, "bytes": log.bytes.len(), "malformed": 0, "format": null,
        });
    }
    if !log.detected {
        return Value::Null;
    }
    serde_json::json!({
        "total": log.requests,
        "ip": log.clients.len(),
        "bytes": log.bytes.len(),
        "malformed": log.malformed,
        "format": log.format,
    })
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

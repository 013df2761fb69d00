//! `logcount bench`, driven through the real binary on small generated logs. It must bench
//! exactly tests/util's executors, under the same names.

use crate::util;
use crate::util::ExecutorArgs;
use crate::util::{assert, json, logcount, output, EXECUTORS};

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

/// Two small generated logs.
fn logs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert(
        logcount()
            .args(["gen", "--files", "2", "--lines", "3000", "--seed", "3"])
            .arg(dir.path()),
    )
    .success();
    dir
}

/// `bench --format json --warmup 0` with `extra` arguments (`--runs` among them).
fn bench_json(dir: &Path, extra: &[&str]) -> Value {
    let out = output(
        logcount()
            .arg("bench")
            .arg(dir)
            .args(["--format", "json", "--warmup", "0"])
            .args(extra),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no progress when stderr is not a terminal"
    );
    json(&out)
}

fn result<'a>(report: &'a Value, executor: &str, jobs: u64) -> &'a Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["executor"] == executor && r["jobs"] == jobs)
        .unwrap_or_else(|| panic!("no {executor} -j {jobs} in {report:#}"))
}

#[test]
fn json_has_every_executor_with_its_figures() {
    let dir = logs();
    let report = bench_json(dir.path(), &["-j", "2", "--runs", "1"]);
    let counted = json(&output(logcount().arg(dir.path()).arg("--json")));
    assert_eq!(report["input"]["files"], 2);
    assert_eq!(report["input"]["total"], counted["summary"]["total"]);
    assert_eq!(report["input"]["bytes"], counted["summary"]["bytes"]);
    assert_eq!(report["runs"], 1);
    assert_eq!(report["results"].as_array().unwrap().len(), EXECUTORS.len());

    for e in EXECUTORS {
        let r = result(&report, e.name, if e.takes_jobs { 2 } else { 1 });
        // The bench runs each with the arguments tests/util gives it.
        assert_eq!(r["args"], serde_json::json!(e.jobs("2")), "{r}");
        assert!(r["mb_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["lines_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["median_ms"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["speedup"].as_f64().unwrap() > 0.0, "{r}");
        let runs = r["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0]["wall_ms"], r["median_ms"]);
        if cfg!(unix) {
            let rss = r["peak_rss_bytes"].as_u64().unwrap();
            // A real process's peak RSS: more than a page, less than a terabyte.
            assert!(rss > 4096 && rss < 1 << 40, "{r}");
            assert_eq!(runs[0]["rss_bytes"], rss);
        }
    }
    assert_eq!(result(&report, "serial", 1)["speedup"], 1.0);
    assert_eq!(
        result(&report, "threads", 2)["args"],
        serde_json::json!(["-e", "threads", "-j", "2"])
    );
}

#[test]
fn serial_runs_once_whatever_the_jobs_and_runs_are_all_kept() {
    let dir = logs();
    let report = bench_json(
        dir.path(),
        &["-j", "1,2", "--runs", "2", "-e", "threads,serial"],
    );
    let rows: Vec<(String, u64, usize)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["executor"].as_str().unwrap().to_string(),
                r["jobs"].as_u64().unwrap(),
                r["runs"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("threads".into(), 1, 2),
            ("threads".into(), 2, 2),
            ("serial".into(), 1, 2)
        ]
    );
}

#[test]
fn csv_has_one_row_per_executor_and_jobs() {
    let dir = logs();
    let out = output(logcount().arg("bench").arg(dir.path()).args([
        "--format", "csv", "--runs", "1", "--warmup", "0", "-j", "1,2",
    ]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "executor,jobs,median_ms,min_ms,max_ms,mb_per_s,lines_per_s,speedup,peak_rss_bytes"
    );
    let keys: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(" -j "))
        .collect();
    let mut want = Vec::new();
    for e in EXECUTORS {
        if e.takes_jobs {
            want.extend([format!("{} -j 1", e.name), format!("{} -j 2", e.name)]);
        } else {
            want.push(format!("{} -j 1", e.name));
        }
    }
    assert_eq!(keys, want);
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 9));
}

#[test]
fn table_says_what_was_checked_and_measured() {
    let dir = logs();
    assert(logcount().arg("bench").arg(dir.path()).args([
        "--format", "table", "--runs", "1", "--warmup", "0", "-j", "2",
    ]))
    .success()
    .stdout(predicate::str::contains("2 files, 5,999 requests"))
    .stdout(predicate::str::contains("every executor agrees"))
    .stdout(
        predicate::str::is_match(
            r"(?m)^EXECUTOR +JOBS +WALL MEDIAN \(MIN–MAX\) +MB/S +LINES/S +SPEEDUP +PEAK RSS$",
        )
        .unwrap(),
    )
    .stdout(
        predicate::str::is_match(r"(?m)^serial +1 +[0-9.]+ ms \([0-9.]+–[0-9.]+\) .* 1\.00× ")
            .unwrap(),
    )
    .stdout(predicate::str::is_match(r"(?m)^threads +2 ").unwrap());
}

#[test]
fn plot_writes_an_svg() {
    let dir = logs();
    let svg = dir.path().join("out").join("mbps.svg");
    std::fs::create_dir(svg.parent().unwrap()).unwrap();
    for jobs in ["2", "1,2"] {
        bench_json(
            &dir.path().join("access-0000.log"),
            &["-j", jobs, "--runs", "1", "--plot", svg.to_str().unwrap()],
        );
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.starts_with("<svg"),
            "{jobs}: {}",
            &text[..60.min(text.len())]
        );
        assert!(text.trim_end().ends_with("</svg>"));
        assert!(text.contains("threads"));
        // The title names the input and the runs.
        assert!(text.contains("1 file(s)") && text.contains("median of 1 run(s)"));
        // It renders as a picture (librsvg's `rsvg-convert`: .ci/run installs it), and the
        // picture is not blank: a PNG of several kilobytes.
        if !util::have_tool("rsvg-convert", "librsvg2-bin") {
            continue;
        }
        let png = dir.path().join("out").join("mbps.png");
        let rendered = std::process::Command::new("rsvg-convert")
            .arg("-o")
            .arg(&png)
            .arg(&svg)
            .output()
            .expect("rsvg-convert (librsvg2-bin) is installed");
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{}",
            bytes.len()
        );
    }
}

#[test]
fn a_plot_that_cannot_be_written_fails_after_the_results() {
    let dir = logs();
    let svg = dir.path().join("no-such-dir").join("mbps.svg");
    assert(
        logcount()
            .arg("bench")
            .arg(dir.path())
            .args(["--format", "csv", "--runs", "1", "--warmup", "0", "--plot"])
            .arg(&svg),
    )
    .code(1)
    .stdout(predicate::str::starts_with("executor,jobs,"))
    .stderr(predicate::str::contains("cannot write plot"));
}

#[test]
fn unknown_executor_is_a_usage_error() {
    let dir = logs();
    assert(
        logcount()
            .arg("bench")
            .arg(dir.path())
            .args(["--executors", "serial,warp"]),
    )
    .code(2)
    .stdout("")
    .stderr(predicate::str::contains("unknown executor `warp`"))
    .stderr(predicate::str::contains("serial, threads"));
}

#[test]
fn bad_usage_exits_2() {
    let dir = logs();
    for args in [
        &["--runs", "0"][..],
        &["-j", "0"],
        &["--format", "ndjson"],
        &["-"],
    ] {
        assert(logcount().arg("bench").arg(dir.path()).args(args))
            .code(2)
            .stdout("");
    }
    assert(logcount().arg("bench")).code(2);
}

#[test]
fn a_failing_input_stops_the_bench_with_its_error() {
    let dir = logs();
    assert(
        logcount()
            .arg("bench")
            .arg(dir.path())
            .arg(dir.path().join("missing.log"))
            .args(["--runs", "1", "--warmup", "0"]),
    )
    .code(1)
    .stdout("")
    .stderr(predicate::str::contains("serial failed"))
    .stderr(predicate::str::contains("missing.log"));
}

//! The async reader (`-e async`) through the real binary: it gives serial's answers, keeps at
//! most `-j` files open, and reads gzip, standard input and pipes like every other executor.

use crate::util::ExecutorArgs;
use crate::util::{agreed_with_errors, clean_env, executor, gzip, json, key, logcount};
use crate::util::{logcount_under_ulimit, output, output_with_stdin, BIN};

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

/// Runs serial and async with `extra` on `args`, asserting the same answer (`files`,
/// `summary` and `errors`) and exit status.
fn assert_agrees(args: &[&str], extra: &[&str]) -> Value {
    let serial = output(
        logcount()
            .args(args)
            .args(["--json", "-q"])
            .args(executor("serial").args),
    );
    let got = output(
        logcount()
            .args(args)
            .args(["--json", "-q"])
            .args(executor("async").with(extra)),
    );
    assert_eq!(
        agreed_with_errors(&json(&got)),
        agreed_with_errors(&json(&serial)),
        "{extra:?}"
    );
    assert_eq!(got.status.code(), serial.status.code(), "{extra:?}");
    let v = json(&got);
    assert_eq!(v["executor"]["name"], "async");
    v
}

#[test]
fn ten_thousand_files_under_a_limit_of_64_open_files() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10_000u32 {
        let line = format!(
            "10.{}.{}.{} - - [x] \"GET /\" 200 1\n",
            i % 7,
            i % 251,
            i % 13
        );
        std::fs::write(
            dir.path().join(format!("f{i:05}.log")),
            line.repeat(1 + i as usize % 3),
        )
        .unwrap();
    }
    let dir_arg = dir.path().to_str().unwrap();
    let serial = output(
        logcount()
            .args([dir_arg])
            .args(["--json", "-q"])
            .args(executor("serial").args),
    );
    assert!(serial.status.success());
    // `ulimit -n 64` applies to the logcount that `exec` starts; opening more than 64 files at
    // once would fail some of them with "Too many open files".
    let limited = output(
        logcount_under_ulimit("-n 64")
            .arg(dir_arg)
            .args(["--json", "-q"])
            .args(executor("async").jobs("4")),
    );
    assert!(
        limited.status.success(),
        "{}",
        String::from_utf8_lossy(&limited.stderr)
    );
    assert_eq!(
        agreed_with_errors(&json(&limited)),
        agreed_with_errors(&json(&serial))
    );
    assert_eq!(json(&limited)["summary"]["files"], 10_000);
}

#[test]
fn gzip_plain_and_long_lines_agree_with_serial_at_every_j_and_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = b"1.1.1.1 - - [x]\n2.2.2.2, 10.0.0.1 - - [y]\r\n\n  3.3.3.3 z\n".repeat(20_000);
    // Two members, as `cat a.gz b.gz` makes.
    let mut gz = gzip(&text);
    gz.extend(gzip(b"4.4.4.4 d\n5.5.5.5"));
    std::fs::write(d.join("old.log.gz"), &gz).unwrap();
    std::fs::write(d.join("plain.log"), &text).unwrap();
    // A key and a line far longer than a read buffer, cut by every chunk size below.
    let mut long = b"9.9.9.9 first\n".to_vec();
    long.extend(vec![b'k'; 700_000]);
    long.extend(b" rest\n8.8.8.8 ");
    long.extend(vec![b'x'; 600_000]);
    long.extend(b"\n7.7.7.7 last");
    std::fs::write(d.join("long.log"), &long).unwrap();
    // The classic rule carries keys of any length across buffers.
    let dir_arg = d.to_str().unwrap();
    let args = [dir_arg, "--log-format", "classic"];
    for jobs in ["1", "2", "5"] {
        for chunk in ["1000", "300K", "64M"] {
            let v = assert_agrees(&args, &["-j", jobs, "--chunk-size", chunk]);
            assert_eq!(v["summary"]["files"], 3);
        }
    }
    let v = assert_agrees(&args, &[]);
    assert_eq!(
        v["files"][key(d, "old.log.gz")],
        json!({"total": 60_002, "ip": 5, "bytes": text.len() + 17, "malformed": 0, "format": "classic"})
    );
    assert_eq!(v["files"][key(d, "long.log")]["ip"], 4);
}

#[test]
fn corrupt_gzip_and_a_missing_file_are_their_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.log"), b"1.1.1.1 a\n2.2.2.2 b\n").unwrap();
    let mut gz = gzip(&b"3.3.3.3 c\n".repeat(50_000));
    gz.truncate(gz.len() / 2);
    std::fs::write(d.join("cut.log.gz"), &gz).unwrap();
    let missing = key(d, "missing.log");
    let dir_arg = d.to_str().unwrap();
    let out = output(
        logcount()
            .args([dir_arg, &missing, "--log-format", "classic"])
            .args(["--json", "-q"])
            .args(executor("async").jobs("3")),
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(
        v["files"][key(d, "a.log")],
        json!({"total": 2, "ip": 2, "bytes": 20, "malformed": 0, "format": "classic"})
    );
    assert_eq!(v["errors"][0]["path"], key(d, "cut.log.gz"));
    assert_eq!(v["errors"][1]["path"], missing);
    assert!(v["errors"][1]["error"]
        .as_str()
        .unwrap()
        .contains("No such file"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(
        stderr.lines().all(|l| l.starts_with("logcount: ")),
        "{stderr}"
    );
}

#[test]
fn standard_input_and_pipes_are_read_in_sequence() {
    let log = b"1.1.1.1 a\n\n2.2.2.2 b\n1.1.1.1 c\n".repeat(30_000);
    for jobs in ["1", "4"] {
        let out = output_with_stdin(
            logcount()
                .args(["-", "--json", "-q", "--log-format", "classic"])
                .args(executor("async").jobs(jobs)),
            &log,
        );
        assert!(out.status.success());
        assert_eq!(
            json(&out)["files"]["-"],
            json!({"total": 90_000, "ip": 2, "bytes": log.len(), "malformed": 0, "format": "classic"})
        );
    }
    // A pipe named on the command line (`<(...)`) cannot be read at offsets.
    let out = output(clean_env(&mut Command::new("bash")).args([
        "-c",
        "exec \"$0\" <(printf '1.1.1.1 a\\n2.2.2.2 b\\n') --json -q -e async --log-format classic",
        BIN,
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["summary"]["total"], 2);
}

#[test]
fn one_job_at_a_time_agrees_with_serial_on_the_sample_logs() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let samples = samples.to_str().unwrap();
    let v = assert_agrees(&[samples], &["-j", "1", "--chunk-size", "4096"]);
    assert_eq!(v["executor"]["jobs"], 1);
}

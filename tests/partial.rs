//! `logcount partial` and `logcount merge`: partials over any number of slices merge to
//! exactly the report of a direct run, in every format, and anything that does not add up
//! is a one-line error with exit 1, never a wrong number.

use crate::util;
use crate::util::formats::{header, line, FORMATS};
use crate::util::{gzip, json, log_bytes, logcount, output, output_with_stdin};
use crate::util::{results_text, run, run_ok, stderr, stdout};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use proptest::prelude::*;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Logs with shared clients across files, awkward lines, a gzip file, an empty file, a JSON
/// log, a W3C log with two header blocks, an error log (skipped) and a subdirectory: enough
/// that small chunks put one file's lines in several slices.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    run_ok(&[
        "gen",
        s(&logs),
        "--files",
        "3",
        "--lines",
        "2000",
        "--seed",
        "7",
        "--unique",
        "400",
    ]);
    let req = " - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1";
    let awkward = format!(
        "1.2.3.4{req}\r\n\n  \t\n01.2.3.4{req}\n2001:db8::1{req}\n\
         a-long-client-key-over-fifteen-bytes{req}\n,x\n -\n\u{fffd}{req}\n\
         10.0.0.1, 1.2.3.4{req}\n \"curl/7.54.0\"\n1.2.3.4{req}"
    );
    std::fs::write(logs.join("awkward.log"), awkward).unwrap();
    std::fs::create_dir(logs.join("old")).unwrap();
    let rotated: Vec<u8> = (0..500)
        .flat_map(|i| format!("10.9.{}.{}{req}\n", i % 7, i % 50).into_bytes())
        .collect();
    std::fs::write(logs.join("old/access.log.1.gz"), gzip(&rotated)).unwrap();
    std::fs::write(logs.join("old/empty.log"), b"").unwrap();
    let json: String = (0..300)
        .map(|i| format!("{{\"remote_addr\":\"10.8.0.{}\",\"status\":200}}\n", i % 90))
        .collect();
    std::fs::write(logs.join("caddy.json.log"), json).unwrap();
    let mut w3c = String::from("#Software: IIS\n#Fields: date time c-ip cs-method\n");
    for i in 0..200 {
        w3c.push_str(&format!("2021-03-22 10:01:02 10.7.0.{} GET\n", i % 60));
    }
    w3c.push_str("#Fields: c-ip date time\n");
    for i in 0..200 {
        w3c.push_str(&format!("10.6.0.{} 2021-03-22 10:01:02\n", i % 70));
    }
    std::fs::write(logs.join("u_ex210322.log"), w3c).unwrap();

    std::fs::write(
        logs.join("error.log"),
        "2022/07/25 10:00:00 [error] 123#0: *1 open() failed\n".repeat(50),
    )
    .unwrap();
    dir
}

/// Adds to `logs` a log of every preset and its variants (docs/formats.md), long enough to be
/// cut into jobs.
fn add_every_format(logs: &Path) {
    std::fs::create_dir(logs.join("formats")).unwrap();
    for (k, format) in FORMATS.iter().enumerate() {
        let mut text = header(format).to_string();
        for i in 0..150 {
            text.push_str(&line(format, &format!("10.5.{k}.{}", i % 40), i));
            text.push('\n');
        }
        let name = format!("{}.log", format.replace('+', "_"));
        std::fs::write(logs.join("formats").join(name), text).unwrap();
    }
}

/// Runs `partial` for every slice of `n` with `extra` arguments; returns the partial files.
fn partials(logs: &Path, out: &Path, n: u32, extra: &[&str]) -> Vec<PathBuf> {
    std::fs::create_dir_all(out).unwrap();
    (0..n)
        .map(|i| {
            let file = out.join(format!("{i}.part"));
            let slice = format!("{i}/{n}");
            let mut args = vec!["partial", s(logs), "--slice", &slice, "-o", s(&file), "-q"];
            args.extend_from_slice(extra);
            run_ok(&args);
            file
        })
        .collect()
}

fn merge(parts: &[PathBuf], extra: &[&str]) -> Output {
    output(logcount().arg("merge").args(parts).args(extra))
}

#[test]
fn slices_merge_to_the_direct_run_in_every_format() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    add_every_format(&logs);
    for n in [1u32, 2, 3, 7] {
        let parts = partials(
            &logs,
            &dir.path().join(format!("p{n}")),
            n,
            &["--chunk-size", "3K"],
        );
        let direct = |format: &str| {
            stdout(&run_ok(&[
                s(&logs),
                "--chunk-size",
                "3K",
                "--format",
                format,
            ]))
        };
        let merged = |format: &str| stdout(&merge(&parts, &["--format", format]));

        let (d, m) = (direct("json"), merged("json"));
        assert_eq!(results_text(&m), results_text(&d), "{n} slices");
        let v: Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["executor"]["name"], "merge");
        assert_eq!(v["summary"]["files"], 8 + FORMATS.len());
        assert_eq!(v["summary"]["skipped"], 1);
        assert!(v["summary"]["malformed"].as_u64().unwrap() >= 3);

        assert_eq!(merged("csv"), direct("csv"), "{n} slices");

        let (d, m) = (direct("table"), merged("table"));
        let body = |t: &str| -> Vec<String> { t.lines().rev().skip(1).map(String::from).collect() };
        assert_eq!(body(&m), body(&d), "{n} slices");
        assert!(m.lines().last().unwrap().starts_with("merge ×"));

        // NDJSON: files as they complete in a direct run (any order), sorted by merge.
        let lines = |t: &str| {
            let mut files: Vec<String> = Vec::new();
            let mut end = Vec::new();
            for line in t.lines() {
                let mut v: Value = serde_json::from_str(line).unwrap();
                if v["type"] == "file" {
                    files.push(line.to_string());
                } else {
                    let o = v.as_object_mut().unwrap();
                    o.remove("executor");
                    o.remove("elapsed_ms");
                    end.push(v);
                }
            }
            files.sort();
            (files, end)
        };
        let (m, d) = (merged("ndjson"), direct("ndjson"));
        assert_eq!(lines(&m), lines(&d), "{n} slices");
        let m_files: Vec<&str> = m.lines().filter(|l| l.contains("\"file\"")).collect();
        let mut sorted = m_files.clone();
        sorted.sort();
        assert_eq!(m_files, sorted, "merge lists files in order");
    }
}

#[test]
fn json_is_the_default_when_piped_and_json_flag_works() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let parts = partials(&logs, &dir.path().join("p"), 2, &[]);
    let direct = stdout(&run_ok(&[s(&logs)]));
    for extra in [&[][..], &["--json"][..]] {
        let out = merge(&parts, extra);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(results_text(&stdout(&out)), results_text(&direct));
    }
}

#[test]
fn slices_may_use_different_executors() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let out = dir.path().join("p");
    let a = partials(&logs, &out, 3, &["--chunk-size", "2K", "-e", "serial"]);
    let b = partials(
        &logs,
        &dir.path().join("q"),
        3,
        &["--chunk-size", "2K", "-j", "3"],
    );
    let mixed = vec![a[0].clone(), b[1].clone(), a[2].clone()];
    let direct = stdout(&run_ok(&[s(&logs), "--chunk-size", "2K", "--json"]));
    let m = merge(&mixed, &["--json"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));
}

#[test]
fn a_missing_slice_is_an_error() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let parts = partials(&logs, &dir.path().join("p"), 4, &["--chunk-size", "4K"]);
    let out = merge(&[parts[0].clone(), parts[2].clone()], &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no numbers on a failed merge");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("missing slice 1/4, slice 3/4: have 2 of 4 slices"),
        "{err}"
    );
}

#[test]
fn an_identical_duplicate_is_counted_once_and_a_different_one_is_an_error() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let out_dir = dir.path().join("p");
    let parts = partials(&logs, &out_dir, 2, &["--chunk-size", "4K"]);
    let direct = stdout(&run_ok(&[s(&logs), "--chunk-size", "4K", "--json"]));

    // The engine retried slice 0 and kept both outputs: same contents, counted once.
    let retry = dir.path().join("retry-0.part");
    let rerun_slice_0 = || {
        run_ok(&[
            "partial",
            s(&logs),
            "--slice",
            "0/2",
            "--chunk-size",
            "4K",
            "-o",
            s(&retry),
            "-q",
        ])
    };
    rerun_slice_0();
    let with_retry = vec![parts[0].clone(), parts[1].clone(), retry.clone()];
    let m = merge(&with_retry, &["--json"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));
    assert!(
        stderr(&m).contains("slice 0/2 again, identical to"),
        "{}",
        stderr(&m)
    );
    assert!(merge(&with_retry, &["--json", "-q"]).stderr.is_empty());

    // A file changed in place (same size) between two runs of slice 0: they disagree.
    let first = logs.join("access-0000.log");
    let mut bytes = std::fs::read(&first).unwrap();
    let at = bytes.iter().position(|b| b.is_ascii_digit()).unwrap();
    bytes[at] = if bytes[at] == b'9' { b'8' } else { b'9' };
    std::fs::write(&first, &bytes).unwrap();
    rerun_slice_0();
    let m = merge(&[parts[0].clone(), parts[1].clone(), retry], &["--json"]);
    assert_eq!(m.status.code(), Some(1));
    assert!(m.stdout.is_empty());
    assert!(
        stderr(&m).contains("slice 0/2 is given twice with different contents"),
        "{}",
        stderr(&m)
    );
}

#[test]
fn foreign_partials_are_refused() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let parts = partials(&logs, &dir.path().join("p"), 2, &["--chunk-size", "4K"]);
    let expect_error = |parts: &[PathBuf], what: &str| {
        let m = merge(parts, &["--json"]);
        assert_eq!(m.status.code(), Some(1), "{what}");
        assert!(m.stdout.is_empty(), "{what}");
        let err = stderr(&m);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(what), "{err}");
    };

    // Another chunk size is another plan.
    let other = partials(&logs, &dir.path().join("q"), 2, &["--chunk-size", "5K"]);
    expect_error(
        &[parts[0].clone(), other[1].clone()],
        "is a partial of a different plan than",
    );
    // Another slice count.
    let three = partials(&logs, &dir.path().join("t"), 3, &["--chunk-size", "4K"]);
    expect_error(
        &[parts[0].clone(), parts[1].clone(), three[2].clone()],
        "every task must use the same slice count",
    );
    // Other buckets.
    let bucketed = partials(
        &logs,
        &dir.path().join("b"),
        2,
        &["--chunk-size", "4K", "--buckets", "3"],
    );
    expect_error(
        &[parts[0].clone(), bucketed[1].clone()],
        "every task must use the same --buckets",
    );
    // So is a file that grew.
    std::fs::OpenOptions::new()
        .append(true)
        .open(logs.join("awkward.log"))
        .unwrap()
        .write_all(b"\n9.9.9.9 - -\n")
        .unwrap();
    let grown = partials(&logs, &dir.path().join("r"), 2, &["--chunk-size", "4K"]);
    expect_error(
        &[parts[0].clone(), grown[1].clone()],
        "is a partial of a different plan than",
    );
}

#[test]
fn corrupt_truncated_and_alien_partials_are_errors_not_panics() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let parts = partials(&logs, &dir.path().join("p"), 2, &[]);
    let good = std::fs::read(&parts[1]).unwrap();
    let bad = dir.path().join("bad.part");
    let expect = |bytes: &[u8], what: &str| {
        std::fs::write(&bad, bytes).unwrap();
        let m = merge(&[parts[0].clone(), bad.clone()], &["--json"]);
        assert_eq!(m.status.code(), Some(1), "{what}: {}", stderr(&m));
        assert!(m.stdout.is_empty());
        let err = stderr(&m);
        assert!(err.contains(&format!("bad.part: {what}")), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x01;
    expect(&flipped, "corrupt partial (checksum mismatch)");
    for cut in [good.len() - 1, good.len() / 2, 30, 12] {
        expect(&good[..cut], "truncated partial");
    }
    expect(b"", "not a logcount partial");
    expect(b"path,total,ip,bytes\n", "not a logcount partial");
    let mut future = good.clone();
    future[8] = 9;
    expect(&future, "partial format version 9 is not supported");

    // The same in text form.
    let text = stdout(&run_ok(&[
        "partial",
        s(&logs),
        "--slice",
        "1/2",
        "--text",
        "-o",
        "-",
        "-q",
    ]));
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines[..lines.len() - 1].join("\n");
    expect(cut.as_bytes(), "truncated partial");
    let mut garbled = text.clone().into_bytes();
    let at = garbled.len() / 2;
    garbled[at] = if garbled[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&bad, &garbled).unwrap();
    let m = merge(&[parts[0].clone(), bad.clone()], &[]);
    assert_eq!(m.status.code(), Some(1));
    assert!(stderr(&m).contains("corrupt partial"), "{}", stderr(&m));
}

/// A partial whose checksum is right but whose numbers are impossible (a buggy or hostile
/// writer's): refused by what it says, one line, exit 1, never a number.
#[test]
fn checksummed_partials_with_impossible_contents_are_corrupt() {
    use logcount::partial::file::{parse_stream, to_bytes, Outcome, Partial};

    let dir = fixture();
    let logs = dir.path().join("logs");
    let parts = partials(&logs, &dir.path().join("p"), 2, &[]);
    let good = parse_stream(std::fs::read(&parts[1]).unwrap()).unwrap();
    let Partial::Slice(good) = good.into_iter().next().unwrap() else {
        panic!("a slice partial")
    };
    let bad = dir.path().join("bad.part");
    let expect = |edit: &dyn Fn(&mut logcount::partial::file::SlicePartial), what: &str| {
        let mut p = good.clone();
        edit(&mut p);
        p.fingerprint = p.plan.fingerprint();
        std::fs::write(&bad, to_bytes(&Partial::Slice(p))).unwrap();
        let m = merge(&[parts[0].clone(), bad.clone()], &["--json"]);
        assert_eq!(m.status.code(), Some(1), "{what}: {}", stderr(&m));
        assert!(m.stdout.is_empty());
        let err = stderr(&m);
        assert!(
            err.contains(&format!("bad.part: corrupt partial ({what})")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    let first_counted = |p: &mut logcount::partial::file::SlicePartial| {
        p.files
            .iter_mut()
            .find_map(|f| match &mut f.outcome {
                Outcome::Counted(k) if !k.blocks.is_empty() => Some(k),
                _ => None,
            })
            .map(|k| k.total = 0)
            .expect("a counted file with keys");
    };
    expect(&first_counted, "more distinct clients than requests");
    expect(
        &|p| {
            p.files.pop();
        },
        "its files are not the files of its jobs",
    );
    expect(&|p| p.plan.jobs += 1, "the inputs' jobs are not the plan's");
}

#[test]
fn text_partials_round_trip_one_by_one_or_concatenated_on_stdin() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let direct = stdout(&run_ok(&[s(&logs), "--chunk-size", "3K", "--json"]));
    let mut texts = Vec::new();
    let mut files = Vec::new();
    for i in 0..3 {
        let slice = format!("{i}/3");
        let text = stdout(&run_ok(&[
            "partial",
            s(&logs),
            "--slice",
            &slice,
            "--chunk-size",
            "3K",
            "--text",
            "-o",
            "-",
        ]));
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("logcount-partial v6 slice {i}/3")
        );
        assert!(lines.all(|l| l.len() <= 76 && !l.is_empty()));
        let file = dir.path().join(format!("{i}.txt"));
        std::fs::write(&file, &text).unwrap();
        files.push(file);
        texts.push(text);
    }
    let m = merge(&files, &["--json"]);
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));

    // One stream, slices in any order, as an engine might collect them.
    texts.reverse();
    let all = texts.concat();
    let out = output_with_stdin(logcount().args(["merge", "-", "--json"]), all.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(results_text(&stdout(&out)), results_text(&direct));
}

#[test]
fn input_errors_travel_in_the_partials_and_merge_reports_them() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    std::fs::write(
        logs.join("broken.log.gz"),
        b"\x1f\x8b\x08\x00not gzip at all",
    )
    .unwrap();
    let missing = dir.path().join("missing.log");
    let args = |extra: &[&str]| {
        let mut v = vec![s(&logs).to_string(), s(&missing).to_string()];
        v.extend(extra.iter().map(|e| e.to_string()));
        v
    };
    let direct = output(logcount().args(args(&["--json", "--chunk-size", "4K"])));
    assert_eq!(direct.status.code(), Some(1));
    let out = dir.path().join("p");
    std::fs::create_dir(&out).unwrap();
    let mut parts = Vec::new();
    for i in 0..3 {
        let file = out.join(format!("{i}.part"));
        let slice = format!("{i}/3");
        let p = output(logcount().arg("partial").args(args(&[
            "--chunk-size",
            "4K",
            "--slice",
            &slice,
            "-o",
            s(&file),
        ])));
        // The partial is written: the errors are in it.
        assert_eq!(p.status.code(), Some(0), "{}", stderr(&p));
        assert!(stderr(&p).contains("missing.log"));
        parts.push(file);
    }
    let m = merge(&parts, &["--json"]);
    assert_eq!(m.status.code(), Some(1));
    assert_eq!(results_text(&stdout(&m)), results_text(&stdout(&direct)));
    let v = json(&m);
    assert_eq!(v["summary"]["errors"], 2);
    let err = stderr(&m);
    assert!(
        err.contains("missing.log") && err.contains("broken.log.gz"),
        "{err}"
    );
}

#[test]
fn buckets_merge_one_at_a_time_to_the_direct_run() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let direct = stdout(&run_ok(&[s(&logs), "--chunk-size", "2K", "--json"]));
    let parts = partials(
        &logs,
        &dir.path().join("p"),
        3,
        &["--chunk-size", "2K", "--buckets", "5"],
    );
    // All buckets at once: a plain merge.
    let m = merge(&parts, &["--json"]);
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));

    // One bucket per merger, then the bucket results.
    let mut results = Vec::new();
    for b in 0..5 {
        let file = dir.path().join(format!("b{b}"));
        let bucket = b.to_string();
        let mut extra = vec!["--bucket", &bucket, "-o", s(&file), "-q"];
        if b % 2 == 1 {
            extra.push("--text");
        }
        let out = merge(&parts, &extra);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        results.push(file);
    }
    let sizes: u64 = results
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(
        sizes < 5 * 2000,
        "bucket results hold counts, not keys ({sizes} bytes)"
    );
    let m = merge(&results, &["--json"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));
    let m = merge(&results, &["--format", "csv"]);
    assert_eq!(
        stdout(&m),
        stdout(&run_ok(&[
            s(&logs),
            "--chunk-size",
            "2K",
            "--format",
            "csv"
        ]))
    );

    let err = |parts: &[PathBuf], extra: &[&str]| {
        let m = merge(parts, extra);
        assert_eq!(m.status.code(), Some(1));
        assert!(m.stdout.is_empty());
        stderr(&m)
    };
    assert!(err(&results[..4], &[]).contains("missing bucket 4/5: have 4 of 5 buckets"));
    let mut doubled = results.clone();
    doubled.push(results[2].clone());
    assert!(merge(&doubled, &["-q"]).status.success());
    assert!(err(&[results[0].clone(), parts[0].clone()], &[]).contains("bucket result"));
    let out = dir.path().join("x");
    assert!(err(&parts, &["--bucket", "5", "-o", s(&out)]).contains("numbered 0 to 4"));
    assert!(err(&parts[..2], &["--bucket", "0", "-o", s(&out)]).contains("missing slice 2/3"));
}

#[test]
fn partial_output_appears_whole_and_usage_errors_exit_2() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let file = out.join("0.part");
    let p = run_ok(&["partial", s(&logs), "--slice", "0/1", "-o", s(&file)]);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("0.part")],
        "no temporary file left"
    );
    let note = stderr(&p);
    assert!(
        note.contains("slice 0/1: jobs 0..") && note.contains("bytes per (file, key)"),
        "{note}"
    );

    for bad in [
        &["partial", s(&logs), "--slice", "4/4", "-o", "x"][..],
        &["partial", s(&logs), "--slice", "1", "-o", "x"],
        &["partial", s(&logs), "--slice", "0/2"],
        &[
            "partial",
            s(&logs),
            "--slice",
            "0/2",
            "-o",
            "x",
            "--buckets",
            "0",
        ],
        &["merge"],
        &["merge", s(&file), "--bucket", "0"],
        &["merge", s(&file), "-o", "x"],
        &["merge", "-", "-"],
    ] {
        let o = run(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
    }
    let o = run(&[
        "partial",
        s(&logs),
        "--slice",
        "0/1",
        "-o",
        s(&dir.path().join("no/such/dir/p")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot write the partial"),
        "{}",
        stderr(&o)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_slicing_and_bucketing_merges_to_the_direct_run(
        files in proptest::collection::vec(log_bytes(), 1..5),
        slices in 1u32..7,
        buckets in 1u32..4,
        chunk in 1u64..300,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        for (i, bytes) in files.iter().enumerate() {
            std::fs::write(logs.join(format!("f{i}.log")), bytes).unwrap();
        }
        let chunk = chunk.to_string();
        // A run that counts no file (every one not an access log) fails, as does its merge.
        let direct = run(&[s(&logs), "--json", "-e", "serial", "--chunk-size", &chunk]);
        let code = direct.status.code();
        let direct = stdout(&direct);
        let buckets = buckets.to_string();
        let parts = partials(
            &logs,
            &dir.path().join("p"),
            slices,
            &["--chunk-size", &chunk, "--buckets", &buckets, "-j", "2"],
        );
        let m = merge(&parts, &["--json"]);
        prop_assert_eq!(m.status.code(), code, "{}", stderr(&m));
        let merged = stdout(&m);
        prop_assert_eq!(results_text(&merged), results_text(&direct));
    }
}

#[test]
fn a_partial_costs_at_most_8_bytes_per_file_and_ipv4_key() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // Four files of 5,000 distinct clients each, half of them shared with the next file.
    for f in 0..4u32 {
        let text: String = (0..10_000u32)
            .map(|i| {
                let c = f * 2500 + i % 5000;
                format!(
                    "10.{}.{}.{} - - [x] \"GET /\" 200 1\n",
                    c >> 16,
                    (c >> 8) & 255,
                    c & 255
                )
            })
            .collect();
        std::fs::write(logs.join(format!("{f}.log")), text).unwrap();
    }
    for (n, chunk) in [(1u32, "1G"), (3, "64K")] {
        for i in 0..n {
            let file = dir.path().join(format!("{i}-{n}.part"));
            let slice = format!("{i}/{n}");
            let out = run_ok(&[
                "partial",
                s(&logs),
                "--slice",
                &slice,
                "--chunk-size",
                chunk,
                "-o",
                s(&file),
            ]);
            // The note says how many (file, key) pairs the partial holds.
            let note = stderr(&out);
            let keys: u64 = note
                .split(" keys;")
                .next()
                .and_then(|head| head.rsplit(' ').next())
                .map(|k| k.replace(',', "").parse().unwrap())
                .unwrap_or_else(|| panic!("{note}"));
            let size = std::fs::metadata(&file).unwrap().len();
            assert!(
                size <= 8 * keys,
                "slice {slice}: {size} bytes for {keys} pairs"
            );
            if n == 1 {
                assert_eq!(keys, 4 * 5000);
                // 4 bytes a key, and the plan (the JSON client fields' names among it)
                assert!(size <= 4 * keys + 2048, "{size} bytes for {keys} pairs");
            }
        }
    }
}

#[test]
fn an_output_that_is_not_a_regular_file_is_written_in_place_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = fixture();
    let logs = dir.path().join("logs");
    let partial_to = |out: &Path| {
        output(logcount().args(["partial", s(&logs), "--slice", "0/1", "-q", "-o", s(out)]))
    };
    // A FIFO: its reader gets the partial, and it stays a FIFO.
    let fifo = dir.path().join("out.fifo");
    util::mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let run = partial_to(&fifo);
    assert!(run.status.success(), "{}", stderr(&run));
    let got = reader.join().unwrap();
    let file = dir.path().join("got.part");
    std::fs::write(&file, &got).unwrap();
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let m = merge(&[file], &["--json"]);
    assert!(m.status.success(), "{}", stderr(&m));

    // A symbolic link stays one: the file it names is written (also when it does not exist).
    for exists in [false, true] {
        let target = dir.path().join(format!("real-{exists}.part"));
        if exists {
            std::fs::write(&target, b"old").unwrap();
        }
        let link = dir.path().join(format!("link-{exists}.part"));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let run = partial_to(&link);
        assert!(run.status.success(), "{}", stderr(&run));
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
        let m = merge(&[link], &["--json"]);
        assert!(m.status.success(), "{}", stderr(&m));
    }

    // A device is written, not replaced; a full one is an error.
    let full = Path::new("/dev/full");
    if full.exists() {
        let run = partial_to(full);
        assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
        assert!(stderr(&run).contains("No space left"), "{}", stderr(&run));
        let kind = std::fs::symlink_metadata(full).unwrap().file_type();
        assert!(kind.is_char_device(), "/dev/full is still a device");
    }
}

/// `logcount plan` freezes the run; every `partial --plan` counts that snapshot, whatever
/// happens to the logs meanwhile: a log that grows is counted up to its planned size (and the
/// partials still agree), one that shrinks is that file's error.
#[test]
fn a_frozen_plan_counts_the_snapshot_while_logs_grow() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let direct = stdout(&run_ok(&[s(&logs), "--chunk-size", "3K", "--json"]));
    let plan = dir.path().join("run.plan");
    run_ok(&["plan", s(&logs), "--chunk-size", "3K", "-o", s(&plan), "-q"]);
    let grow = |name: &str| {
        std::fs::OpenOptions::new()
            .append(true)
            .open(logs.join(name))
            .unwrap()
            .write_all(b"9.9.9.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n")
            .unwrap();
    };
    let slices = |out: &str, extra: &[&str]| -> Vec<PathBuf> {
        let out = dir.path().join(out);
        std::fs::create_dir_all(&out).unwrap();
        (0..3)
            .map(|i| {
                grow("access-0001.log"); // between every task
                let file = out.join(format!("{i}.part"));
                let slice = format!("{i}/3");
                let mut args = vec!["partial", "--plan", s(&plan), "--slice", &slice];
                args.extend_from_slice(&["-o", s(&file), "-q"]);
                args.extend_from_slice(extra);
                run_ok(&args);
                file
            })
            .collect()
    };
    let parts = slices("p", &[]);
    let m = merge(&parts, &["--json"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(results_text(&stdout(&m)), results_text(&direct));
    // The text form of the plan works the same, on any executor.
    let text_plan = stdout(&run_ok(&[
        "plan",
        s(&logs),
        "--chunk-size",
        "3K",
        "--text",
        "-o",
        "-",
        "-q",
    ]));
    assert!(
        text_plan.starts_with("logcount-partial v6 plan\n"),
        "{text_plan}"
    );

    // A file that shrank since the plan: that file's error, carried in its partial.
    let shrunk = logs.join("access-0002.log");
    let len = std::fs::metadata(&shrunk).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&shrunk)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let parts = slices("q", &["-e", "serial"]);
    let m = merge(&parts, &["--json"]);
    assert_eq!(m.status.code(), Some(1), "{}", stderr(&m));
    let v: serde_json::Value = serde_json::from_str(&stdout(&m)).unwrap();
    assert_eq!(v["errors"][0]["path"], s(&shrunk), "{v}");
    assert!(
        v["errors"][0]["error"].as_str().unwrap().contains("shrank"),
        "{v}"
    );
}

#[test]
fn a_frozen_plan_is_refused_where_it_does_not_belong() {
    let dir = fixture();
    let logs = dir.path().join("logs");
    let plan = dir.path().join("run.plan");
    run_ok(&["plan", s(&logs), "-o", s(&plan), "-q"]);
    // Not a partial to merge.
    let m = merge(std::slice::from_ref(&plan), &[]);
    assert_eq!(m.status.code(), Some(1));
    assert!(
        stderr(&m).contains("is a frozen plan, not a partial"),
        "{}",
        stderr(&m)
    );
    // Not both a plan and paths, nor options the plan decides.
    for extra in [
        &[s(&logs)][..],
        &["--chunk-size", "1K"],
        &["--log-format", "combined"],
    ] {
        let mut args = vec!["partial", "--plan", s(&plan), "--slice", "0/1", "-o", "-"];
        args.extend_from_slice(extra);
        let o = output(logcount().args(&args));
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
    }
    // A partial is not a plan; standard input cannot be frozen.
    let part = dir.path().join("0.part");
    run_ok(&["partial", s(&logs), "--slice", "0/1", "-o", s(&part), "-q"]);
    let o = output(logcount().args(["partial", "--plan", s(&part), "--slice", "0/1", "-o", "-"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a frozen plan"), "{}", stderr(&o));
    let o = output(logcount().args(["plan", "-", "-o", s(&dir.path().join("x.plan"))]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be frozen"), "{}", stderr(&o));
    // A damaged plan is refused like a damaged partial.
    let mut bytes = std::fs::read(&plan).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&plan, bytes).unwrap();
    let o = output(logcount().args(["partial", "--plan", s(&plan), "--slice", "0/1", "-o", "-"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("checksum mismatch"), "{}", stderr(&o));
}

/// A merge of partials that counted no file (every one skipped) fails in one line, as the
/// direct run does (issue 28).
#[test]
fn a_merge_that_counts_nothing_fails_as_the_direct_run() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("notes.txt"), "just some prose\nand more\n").unwrap();
    let direct = run(&[s(&logs), "--json"]);
    assert_eq!(direct.status.code(), Some(1), "{}", stderr(&direct));
    let parts = partials(&logs, &dir.path().join("p"), 2, &[]);
    let m = merge(&parts, &["--json"]);
    assert_eq!(m.status.code(), Some(1), "{}", stderr(&m));
    assert_eq!(
        stderr(&m),
        "logcount: nothing counted: 1 file skipped (1 not an access log); the report's \
         `skipped` lists them; if one is an access log, name its format with --log-format\n"
    );
    assert_eq!(results_text(&stdout(&m)), results_text(&stdout(&direct)));
}

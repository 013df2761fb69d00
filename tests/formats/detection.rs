//! Detection: file by file, non-logs skipped (an error when named), what a sample decides and
//! how much of a file it reads, named formats and prefixes and bad format options, ties, big
//! files cut into jobs.

use super::{
    combined, counts, entry, lc, log_of, no_lines, paths, summary, sums, CLIENTS, ERROR_LINE,
    FRAGMENT,
};
use crate::util::formats::{line, FORMATS};
use crate::util::ExecutorArgs;
use crate::util::{
    for_each_executor, gzip, json, key, no_panic, output_no_panic, output_with_stdin, report,
    stderr, write,
};

use std::collections::BTreeSet;

use serde_json::json;

/// A directory of one log per format, an error log, a pid file, a README, an empty file and
/// a blank one.
fn mixed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for format in FORMATS {
        write(
            d,
            &format!("{format}.log"),
            log_of(format, CLIENTS).as_bytes(),
        );
    }
    write(d, "error.log", ERROR_LINE.repeat(3).as_bytes());
    write(d, "nginx.pid", b"12345\n");
    write(
        d,
        "README",
        b"Test fixtures\n=============\n\nOne log per format, and some files that are not.\n",
    );
    write(d, "empty.log", b"");
    write(d, "blank.log", b"\n \t\n\r\n\x0b\x0c\n");
    dir
}

#[test]
fn a_mixed_directory_is_detected_file_by_file_and_non_logs_are_skipped() {
    let dir = mixed_dir();
    let d = dir.path();
    let out = output_no_panic(lc([d]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    for format in FORMATS {
        assert_eq!(
            entry(&v, &key(d, &format!("{format}.log"))),
            counts(5, 4, 0, format)
        );
    }
    assert_eq!(entry(&v, &key(d, "empty.log")), no_lines());
    assert_eq!(entry(&v, &key(d, "blank.log")), no_lines());
    let skipped = ["README", "error.log", "nginx.pid"].map(|n| key(d, n));
    assert_eq!(paths(&v, "skipped"), skipped);
    for s in v["skipped"].as_array().unwrap() {
        let reason = s["reason"].as_str().unwrap();
        assert!(reason.starts_with("not an access log ("), "{reason}");
    }
    assert_eq!(v["errors"], json!([]));
    let n = FORMATS.len();
    assert_eq!(summary(&v), sums(n + 2, 5 * n as u64, 4, 0, 0, 3));
    // A note on stderr for each skipped file, and nothing else.
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 3, "{err}");
    for path in &skipped {
        assert!(
            err.lines()
                .any(|l| l.contains(path.as_str()) && l.contains("not an access log")),
            "no note for {path}: {err}"
        );
    }
    // --quiet drops the notes, not the list.
    let out = output_no_panic(lc([d.as_os_str(), "--quiet".as_ref()]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    assert_eq!(paths(&json(&out), "skipped"), skipped);
}

#[test]
fn a_non_log_named_on_the_command_line_is_an_error_naming_log_format() {
    let dir = mixed_dir();
    let d = dir.path();
    write(d, "error.log.gz", &gzip(ERROR_LINE.repeat(3).as_bytes()));
    for bad in ["error.log", "nginx.pid", "error.log.gz"] {
        let out = output_no_panic(lc([key(d, bad), key(d, "combined.log")]));
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(bad) && err.contains("--log-format"), "{err}");
        let v = json(&out);
        assert_eq!(paths(&v, "errors"), [key(d, bad)]);
        let error = v["errors"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("not an access log") && error.contains("--log-format"),
            "{error}"
        );
        assert_eq!(v["skipped"], json!([]));
        assert_eq!(
            entry(&v, &key(d, "combined.log")),
            counts(5, 4, 0, "combined")
        );
        assert_eq!(summary(&v), sums(1, 5, 4, 0, 1, 0));
    }
    // Standard input is named too.
    let out = no_panic(output_with_stdin(&mut lc(["-"]), ERROR_LINE.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--log-format"));
    assert_eq!(paths(&json(&out), "errors"), ["-"]);
}

#[test]
fn an_empty_file_is_counted_with_no_format() {
    let dir = mixed_dir();
    let d = dir.path();
    write(d, "empty.log.gz", &gzip(b""));
    let v = report(lc(
        ["empty.log", "blank.log", "empty.log.gz"].map(|n| key(d, n))
    ));
    for name in ["empty.log", "blank.log", "empty.log.gz"] {
        assert_eq!(entry(&v, &key(d, name)), no_lines(), "{name}");
    }
    assert_eq!(summary(&v), sums(3, 0, 0, 0, 0, 0));
    let out = no_panic(output_with_stdin(&mut lc(["-"]), b""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(entry(&json(&out), "-"), no_lines());
}

#[test]
fn a_damaged_log_is_counted_while_a_tenth_of_its_sample_reads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 30 requests among 70 user-agent fragments: 30% read, its fragments malformed.
    let damaged: String = (0..100)
        .map(|i| {
            if i % 10 < 3 {
                combined(&format!("10.0.{i}.1"))
            } else {
                FRAGMENT.to_string()
            }
        })
        .collect();
    write(d, "damaged.log", damaged.as_bytes());
    // Exactly a tenth: still an access log.
    let tenth = combined("10.1.0.1").repeat(10) + &ERROR_LINE.repeat(90);
    write(d, "tenth.log", tenth.as_bytes());
    // 9 of 100: not one.
    let under = combined("10.2.0.1").repeat(9) + &ERROR_LINE.repeat(91);
    write(d, "under.log", under.as_bytes());
    // Damage past the sample does not change the choice.
    let late: String = (0..200)
        .map(|i| combined(&format!("10.3.0.{i}")))
        .collect::<String>()
        + &FRAGMENT.repeat(500);
    write(d, "late.log", late.as_bytes());
    let out = output_no_panic(lc([d]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        entry(&v, &key(d, "damaged.log")),
        counts(30, 30, 70, "combined")
    );
    assert_eq!(
        entry(&v, &key(d, "tenth.log")),
        counts(10, 1, 90, "combined")
    );
    assert_eq!(
        entry(&v, &key(d, "late.log")),
        counts(200, 200, 500, "combined")
    );
    assert_eq!(paths(&v, "skipped"), [key(d, "under.log")]);
    let reason = v["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("9 of 100 sampled lines"), "{reason}");
    assert_eq!(summary(&v), sums(3, 240, 231, 660, 0, 1));
}

#[test]
fn a_named_format_reads_every_file_in_it() {
    let dir = mixed_dir();
    let d = dir.path();
    let v = report(lc([
        d.as_os_str(),
        "--log-format".as_ref(),
        "combined".as_ref(),
    ]));
    // Nothing is skipped: every line of a log in another format (W3C directives included)
    // and of a non-log is malformed.
    assert_eq!(v["skipped"], json!([]));
    assert_eq!(
        entry(&v, &key(d, "combined.log")),
        counts(5, 4, 0, "combined")
    );
    let mut malformed = 0;
    for format in FORMATS.iter().filter(|f| **f != "combined") {
        let lines = log_of(format, CLIENTS).lines().count() as u64;
        let e = entry(&v, &key(d, &format!("{format}.log")));
        assert_eq!(e, counts(0, 0, lines, "combined"), "{format}");
        malformed += lines;
    }
    assert_eq!(entry(&v, &key(d, "error.log")), counts(0, 0, 3, "combined"));
    assert_eq!(entry(&v, &key(d, "nginx.pid")), counts(0, 0, 1, "combined"));
    assert_eq!(entry(&v, &key(d, "README")), counts(0, 0, 3, "combined"));
    // Files with no non-blank line count zeros (their format is not checked here).
    for name in ["empty.log", "blank.log"] {
        let e = entry(&v, &key(d, name));
        assert_eq!(
            (&e["total"], &e["ip"], &e["malformed"]),
            (&json!(0), &json!(0), &json!(0)),
            "{name}"
        );
    }
    assert_eq!(
        summary(&v),
        sums(FORMATS.len() + 5, 5, 4, malformed + 3 + 1 + 3, 0, 0)
    );
}

#[test]
fn classic_gives_the_teaching_examples_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        combined("1.1.1.1"),
        combined("2.2.2.2, 10.0.0.1"),
        combined("2.2.2.2,10.0.0.2"),
        FRAGMENT.to_string(),
        "garbage here\n".to_string(),
        "\n".to_string(),
        combined("2001:db8::1"),
        combined("1.1.1.1").trim_end().to_string(),
    ];
    let text = lines.concat();
    write(dir.path(), "access.log", text.as_bytes());
    // The original rule, on each non-blank line without its line end.
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(" - -").next().unwrap().split(',').next().unwrap())
        .collect();
    let distinct: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!((keys.len(), distinct.len()), (7, 5));
    let path = key(dir.path(), "access.log");
    let v = report(lc(["--log-format", "classic", &path]));
    assert_eq!(entry(&v, &path), counts(7, 5, 0, "classic"));
    assert_eq!(summary(&v), sums(1, 7, 5, 0, 0, 0));
    // What auto makes of the same lines.
    let v = report(lc([&path]));
    assert_eq!(entry(&v, &path), counts(5, 3, 2, "combined"));
    // classic is never detected: a file of first words is not an access log.
    write(dir.path(), "words.log", b"alpha beta\ngamma delta\n");
    let out = output_no_panic(lc([dir.path()]));
    assert_eq!(
        paths(&json(&out), "skipped"),
        [key(dir.path(), "words.log")]
    );
}

#[test]
fn a_prefix_is_named_before_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "cri.log", log_of("cri+combined", CLIENTS).as_bytes());
    write(d, "plain.log", log_of("combined", CLIENTS).as_bytes());
    write(d, "syslog.log", log_of("syslog+json", CLIENTS).as_bytes());
    let v = report(lc([
        d.as_os_str(),
        "--log-format".as_ref(),
        "cri+combined".as_ref(),
    ]));
    assert_eq!(
        entry(&v, &key(d, "cri.log")),
        counts(5, 4, 0, "cri+combined")
    );
    assert_eq!(
        entry(&v, &key(d, "plain.log")),
        counts(0, 0, 5, "cri+combined")
    );
    assert_eq!(
        entry(&v, &key(d, "syslog.log")),
        counts(0, 0, 5, "cri+combined")
    );
    let v = report(lc([
        d.as_os_str(),
        "--log-format".as_ref(),
        "syslog+json".as_ref(),
    ]));
    assert_eq!(
        entry(&v, &key(d, "syslog.log")),
        counts(5, 4, 0, "syslog+json")
    );
    assert_eq!(
        entry(&v, &key(d, "cri.log")),
        counts(0, 0, 5, "syslog+json")
    );
    // Without its prefix, the body format reads none of the prefixed lines.
    let v = report(lc([
        d.as_os_str(),
        "--log-format".as_ref(),
        "combined".as_ref(),
    ]));
    assert_eq!(entry(&v, &key(d, "cri.log")), counts(0, 0, 5, "combined"));
    assert_eq!(entry(&v, &key(d, "plain.log")), counts(5, 4, 0, "combined"));
}

#[test]
fn bad_format_options_are_usage_errors() {
    let dir = mixed_dir();
    let log = key(dir.path(), "json.log");
    for args in [
        &["--log-format", "nginx"][..],
        &["--log-format", ""],
        &["--log-format", "k8s+combined"],
        &["--log-format", "cri+classic"],
        &["--log-format", "cri+"],
        &["--log-format", "+combined"],
        &["--log-format", "cri+syslog+combined"],
        &["--client-field", "remote_addr", "--log-format", "combined"],
        &["--client-field", "remote_addr", "--log-format", "classic"],
        &["--client-field", "remote_addr", "--log-format", "cri+w3c"],
        &["--client-field", "a..b"],
        &["--client-field", ""],
    ] {
        let out = output_no_panic(lc(args).arg(&log));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
    // The field is for JSON lines, prefixed or detected.
    for args in [
        &["--client-field", "remote_addr"][..],
        &["--client-field", "remote_addr", "--log-format", "json"],
        &[
            "--client-field",
            "remote_addr",
            "--log-format",
            "syslog+json",
        ],
    ] {
        let out = output_no_panic(lc(args).arg(&log));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn ties_go_to_the_earlier_format_in_the_table_whatever_the_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let five = |format: &str, net: u8| {
        let clients: Vec<String> = (0..5).map(|i| format!("10.{net}.0.{i}")).collect();
        let clients: Vec<&str> = clients.iter().map(String::as_str).collect();
        log_of(format, &clients)
    };
    write(
        d,
        "combined-first.log",
        (five("combined", 1) + &five("json", 2)).as_bytes(),
    );
    write(
        d,
        "json-first.log",
        (five("json", 2) + &five("combined", 1)).as_bytes(),
    );
    write(
        d,
        "elb-first.log",
        (five("elb", 3) + &five("alb", 4)).as_bytes(),
    );
    // One line more and the later format wins.
    let more = five("combined", 1) + &five("json", 2) + &line("json", "10.2.0.9", 9) + "\n";
    write(d, "json-more.log", more.as_bytes());
    let v = report(lc([d]));
    assert_eq!(
        entry(&v, &key(d, "combined-first.log")),
        counts(5, 5, 5, "combined")
    );
    assert_eq!(
        entry(&v, &key(d, "json-first.log")),
        counts(5, 5, 5, "combined")
    );
    assert_eq!(entry(&v, &key(d, "elb-first.log")), counts(5, 5, 5, "alb"));
    assert_eq!(entry(&v, &key(d, "json-more.log")), counts(6, 6, 5, "json"));
}

#[test]
fn detection_samples_at_most_100_non_blank_lines_or_64_kib() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let requests: String = (0..1000)
        .map(|i| combined(&format!("10.0.{}.{}", i / 250, i % 250)))
        .collect();
    // 100 lines of errors first: the requests after them are not sampled.
    write(
        d,
        "late-start.log",
        (ERROR_LINE.repeat(100) + &requests).as_bytes(),
    );
    // Blank lines are not sampled: 10 requests in the first 100 non-blank lines.
    let blanks = format!(
        "{}{}{}",
        "\n \n".repeat(300),
        combined("10.9.0.1").repeat(10),
        ERROR_LINE.repeat(90)
    );
    write(d, "blanks.log", (blanks + &requests).as_bytes());
    // 50 long error lines fill the first 64 KiB: fewer than 100 lines are sampled.
    let long_error = format!("{:<1399}\n", ERROR_LINE.trim_end());
    assert_eq!(long_error.len(), 1400, "47 lines start in the first 64 KiB");
    write(
        d,
        "long-lines.log",
        (long_error.repeat(50) + &requests).as_bytes(),
    );
    let out = output_no_panic(lc([d]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        paths(&v, "skipped"),
        [key(d, "late-start.log"), key(d, "long-lines.log")]
    );
    assert_eq!(
        v["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .split(" sampled")
            .next()
            .unwrap(),
        "not an access log (0 of 100"
    );
    let reason = v["skipped"][1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("not an access log (0 of 4"), "{reason}");
    assert_eq!(
        entry(&v, &key(d, "blanks.log")),
        counts(1010, 1001, 90, "combined")
    );
    // Named, they are counted whole.
    let v = report(lc(["--log-format", "combined"]).arg(d));
    assert_eq!(
        entry(&v, &key(d, "late-start.log")),
        counts(1000, 1000, 100, "combined")
    );
    assert_eq!(
        entry(&v, &key(d, "long-lines.log")),
        counts(1000, 1000, 50, "combined")
    );
}

#[test]
fn a_big_file_cut_into_jobs_is_read_in_the_one_format_detected_at_its_start() {
    let dir = tempfile::tempdir().unwrap();
    // The first 200 lines are combined, the 200 after them JSON: every job reads combined.
    let combined_lines: Vec<String> = (0..200).map(|i| format!("10.0.0.{i}")).collect();
    let json_lines: Vec<String> = (0..200).map(|i| format!("10.1.0.{i}")).collect();
    let text = log_of(
        "combined",
        &combined_lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ) + &log_of(
        "json",
        &json_lines.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    write(dir.path(), "access.log", text.as_bytes());
    let path = key(dir.path(), "access.log");
    let want = counts(200, 200, 200, "combined");
    for_each_executor(|e| {
        let v = report(lc(e.jobs("3")).args(["--chunk-size", "1K", &path]));
        assert_eq!(entry(&v, &path), want);
    });
}

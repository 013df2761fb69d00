//! The command line, driven through the real binary: formats, inputs, errors and exit codes.

use crate::util;
use crate::util::ExecutorArgs;
use crate::util::{
    assert, gzip, json, json_of, key, logcount, output, output_with_stdin, spawn, stderr,
    wait_within, write, BIN, DEADLINE,
};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// 3 requests, 2 clients (one behind a proxy list), a user-agent fragment (malformed), a
/// blank line, CRLF.
const A_LOG: &[u8] = b"1.1.1.1 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\r\n\
    2.2.2.2, 10.0.0.1 - - [22/Mar/2021:10:01:03 +0800] \"GET /a HTTP/1.1\" 404 -\r\n\
    \r\n \"curl/7.54.0\"\n\
    1.1.1.1 - - [22/Mar/2021:10:01:04 +0800] \"POST /b HTTP/1.1\" 200 5\n";

/// 2 requests, 2 clients, one shared with a.log; no final newline.
const B_LOG: &[u8] = b"1.1.1.1 - frank [22/Mar/2021:10:02:00 +0800] \"GET / HTTP/1.1\" 200 1\n\
    2001:db8::1 - - [22/Mar/2021:10:02:01 +0800] \"GET / HTTP/1.1\" 200 1";

/// Two small logs whose answers are easy to check by eye.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.log", A_LOG);
    write(dir.path(), "b.log", B_LOG);
    dir
}

/// A file's entry as the fixture's logs have it.
fn entry(total: u64, ip: u64, bytes: usize, malformed: u64) -> Value {
    json!({"total": total, "ip": ip, "bytes": bytes, "malformed": malformed, "format": "combined"})
}

/// A combined line for `client`.
fn line(client: &str) -> String {
    format!("{client} - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612\n")
}

#[test]
fn json_is_the_default_when_piped() {
    let dir = fixture();
    let v = json_of(logcount().arg(dir.path()));
    assert_eq!(
        v["files"][key(dir.path(), "a.log")],
        entry(3, 2, A_LOG.len(), 1)
    );
    assert_eq!(
        v["files"][key(dir.path(), "b.log")],
        entry(2, 2, B_LOG.len(), 0)
    );
    assert_eq!(
        v["summary"],
        json!({"files": 2, "total": 5, "ip": 3, "bytes": A_LOG.len() + B_LOG.len(),
               "malformed": 1, "errors": 0, "skipped": 0})
    );
    assert_eq!(v["errors"], json!([]));
    assert_eq!(v["skipped"], json!([]));
    assert_eq!(v["executor"]["name"], "threads");
    assert!(v["elapsed_ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn files_are_sorted_by_path_whatever_the_argument_order() {
    let dir = fixture();
    let v = json_of(
        logcount()
            .arg(dir.path().join("b.log"))
            .arg(dir.path().join("a.log")),
    );
    let keys: Vec<&String> = v["files"].as_object().unwrap().keys().collect();
    assert_eq!(keys, [&key(dir.path(), "a.log"), &key(dir.path(), "b.log")]);
}

#[test]
fn json_flag_equals_format_json() {
    let dir = fixture();
    let a = json_of(logcount().arg(dir.path()).arg("--json"));
    let b = json_of(logcount().arg(dir.path()).args(["--format", "json"]));
    assert_eq!(a["files"], b["files"]);
    assert_eq!(a["summary"], b["summary"]);
}

#[test]
fn ndjson_files_then_summary() {
    let dir = fixture();
    let out = output(logcount().arg(dir.path()).args(["--format", "ndjson"]));
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let mut a = entry(3, 2, A_LOG.len(), 1);
    a["type"] = json!("file");
    a["path"] = json!(key(dir.path(), "a.log"));
    // Files come as they complete, in either order.
    assert!(lines[..2].contains(&a), "{lines:?}");
    assert_eq!(lines[0]["type"], "file");
    assert_eq!(lines[1]["type"], "file");
    assert_eq!(lines[2]["type"], "summary");
    assert_eq!(lines[2]["ip"], 3);
    assert_eq!(lines[2]["total"], 5);
}

#[test]
fn csv_has_a_header_and_a_row_per_file() {
    let dir = fixture();
    let out = output(logcount().arg(dir.path()).args(["--format", "csv"]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!(
        "path,total,ip,bytes,malformed,format\n{},3,2,{},1,combined\n{},2,2,{},0,combined\n",
        key(dir.path(), "a.log"),
        A_LOG.len(),
        key(dir.path(), "b.log"),
        B_LOG.len(),
    );
    assert_eq!(text, want);
}

/// `--show-malformed N` (docs/contract.md §3): each file's first N malformed lines, numbered
/// from the file's first line (of the decompressed text, however the file was cut into jobs),
/// on stderr as `PATH:LINE: TEXT` beside a table or CSV, in `malformed_lines` in JSON and
/// NDJSON.
#[test]
fn show_malformed_names_the_first_lines_with_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 1..=300u32 {
        match i {
            7 | 150 | 151 | 299 => log.push_str(&format!("garbage {i}\r\n")),
            100 => log.push('\n'),
            _ => log.push_str(&line(&format!("10.0.0.{}", i % 200))),
        }
    }
    write(dir.path(), "a.log", log.as_bytes());
    write(dir.path(), "b.log.gz", &gzip(log.as_bytes()));
    let want = json!([
        {"line": 7, "text": "garbage 7"},
        {"line": 150, "text": "garbage 150"},
        {"line": 151, "text": "garbage 151"},
    ]);
    for chunk in ["100", "1M"] {
        let args = ["--show-malformed", "3", "--chunk-size", chunk];
        let v = json_of(
            logcount()
                .arg(dir.path())
                .args(args)
                .args(["-e", "threads"]),
        );
        for name in ["a.log", "b.log.gz"] {
            let file = &v["files"][key(dir.path(), name)];
            assert_eq!(file["malformed_lines"], want, "{name}, chunk {chunk}");
            assert_eq!(file["malformed"], 4);
        }
    }
    let out = output(logcount().arg(dir.path().join("a.log")).args([
        "--show-malformed",
        "2",
        "--format",
        "csv",
        "-q",
    ]));
    assert!(out.status.success());
    let path = key(dir.path(), "a.log");
    assert_eq!(
        stderr(&out),
        format!("{path}:7: garbage 7\n{path}:150: garbage 150\n{path}: 2 more malformed lines\n")
    );
    // Without the option, JSON has no such field.
    let v = json_of(logcount().arg(dir.path()));
    assert!(v["files"][&path].get("malformed_lines").is_none(), "{v}");
}

/// `--summary`: only the totals, in each format; HTML has no such form.
#[test]
fn summary_prints_the_totals_alone() {
    let dir = fixture();
    let v = json_of(logcount().arg(dir.path()).arg("--summary"));
    assert_eq!(
        v,
        json!({"files": 2, "total": 5, "ip": 3, "bytes": A_LOG.len() + B_LOG.len(),
               "malformed": 1, "errors": 0, "skipped": 0})
    );
    let csv = output(
        logcount()
            .arg(dir.path())
            .args(["--summary", "--format", "csv"]),
    );
    let bytes = A_LOG.len() + B_LOG.len();
    assert_eq!(
        String::from_utf8(csv.stdout).unwrap(),
        format!("files,total,ip,bytes,malformed,errors,skipped\n2,5,3,{bytes},1,0,0\n")
    );
    let table = output(
        logcount()
            .arg(dir.path())
            .args(["--summary", "--format", "table"]),
    );
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("FILES  REQUESTS  UNIQUE IPS"),
        "{text}"
    );
    let ndjson = output(
        logcount()
            .arg(dir.path())
            .args(["--summary", "--format", "ndjson"]),
    );
    assert_eq!(String::from_utf8(ndjson.stdout).unwrap().lines().count(), 1);
    // A failed input still fails the run, and says so on stderr.
    let out = output(
        logcount()
            .arg(dir.path())
            .arg(dir.path().join("missing.log"))
            .arg("--summary"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.log"), "{}", stderr(&out));
    assert_eq!(json(&out)["errors"], 1);
    let html = output(
        logcount()
            .arg(dir.path())
            .args(["--summary", "--format", "html"]),
    );
    assert_eq!(html.status.code(), Some(2));
    assert!(stderr(&html).contains("--summary"), "{}", stderr(&html));
}

#[test]
fn table_has_totals_row_and_separators() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    for i in 0..1500u32 {
        big.extend_from_slice(line(&format!("10.0.{}.{}", i / 256, i % 256)).as_bytes());
    }
    write(dir.path(), "big.log", &big);
    let out = output(logcount().arg(dir.path()).args(["--format", "table"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("PATH"), "{text}");
    assert!(text.contains("1,500"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("TOTAL (1 file)")),
        "{text}"
    );
}

#[test]
fn missing_file_beside_good_ones_exits_1_and_reports_the_rest() {
    let dir = fixture();
    let missing = dir.path().join("missing.log");
    let out = output(logcount().arg(dir.path()).arg(&missing));
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["errors"][0]["path"], missing.to_string_lossy().as_ref());
    assert!(v["errors"][0]["error"]
        .as_str()
        .unwrap()
        .contains("No such file"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("logcount: ") && stderr.contains("missing.log"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_exits_2() {
    // No PATH at all is a usage error only on a terminal: no_path_reads_piped_standard_input.
    assert(logcount().args(["--no-such-flag", "x"])).code(2);
    let zero = output(logcount().args(["-j", "0", "x"]));
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        stderr(&zero).contains("0 workers cannot count: give 1 or more"),
        "{}",
        stderr(&zero)
    );
    assert(logcount().args(["--format", "xml", "x"])).code(2);
    assert(logcount().args(["--executor", "nope", "x"])).code(2);
}

#[test]
fn gen_sizes_out_of_bounds_are_usage_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        ["--files", "18446744073709551615", "--lines", "0"],
        ["--files", "100001", "--lines", "1"],
        ["--files", "1", "--lines", "100000000001"],
    ] {
        let run = output(logcount().arg("gen").arg(out).args(args));
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let err = stderr(&run);
        assert!(err.starts_with("error: invalid value"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!std::path::Path::new(out).exists(), "nothing written");
    }
}

#[test]
fn gen_keeps_existing_files_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--files", "2", "--lines", "10"];
    let first = output(logcount().arg("gen").arg(dir.path()).args(args));
    assert!(first.status.success(), "{}", stderr(&first));
    let mine = dir.path().join("access-0001.log");
    std::fs::write(&mine, b"mine\n").unwrap();
    let again = output(logcount().arg("gen").arg(dir.path()).args(args));
    assert_eq!(again.status.code(), Some(1));
    let err = stderr(&again);
    assert!(
        err.contains("access-0000.log exists already: use --force"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(&mine).unwrap(), b"mine\n", "nothing replaced");
    let forced = output(
        logcount()
            .arg("gen")
            .arg(dir.path())
            .args(args)
            .arg("--force"),
    );
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_ne!(std::fs::read(&mine).unwrap(), b"mine\n");
}

/// Days since 1970-01-01 of a `dd/Mon/yyyy` date (Howard Hinnant's days_from_civil).
fn day_number(date: &str) -> i64 {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day: i64 = date[0..2].parse().unwrap();
    let month = MONTHS.iter().position(|&m| m == &date[3..6]).unwrap() as i64 + 1;
    let year: i64 = date[7..11].parse::<i64>().unwrap() - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

#[test]
fn gen_days_spreads_every_file_over_the_same_days() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--files", "2", "--lines", "5000", "--days", "3"];
    let run = output(logcount().arg("gen").arg(dir.path()).args(args));
    assert!(run.status.success(), "{}", stderr(&run));
    let mut spans = Vec::new();
    for name in ["access-0000.log", "access-0001.log"] {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(text.lines().count(), 5000, "{name}");
        let days: Vec<i64> = text
            .lines()
            .filter_map(|l| l.find('[').map(|i| day_number(&l[i + 1..i + 12])))
            .collect();
        assert!(
            days.windows(2).all(|w| w[0] <= w[1]),
            "{name}: dates go back"
        );
        let mut distinct = days.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{name}: {distinct:?}");
        assert_eq!(distinct[2] - distinct[0], 2, "{name}: consecutive");
        spans.push(distinct);
    }
    assert_eq!(spans[0], spans[1], "the same days in every file");

    for bad in ["0", "3651", "seven"] {
        let out = dir.path().join("bad");
        let run = output(logcount().arg("gen").arg(&out).args(["--days", bad]));
        assert_eq!(run.status.code(), Some(2), "--days {bad}");
        let err = stderr(&run);
        assert!(err.starts_with("error: invalid value"), "{err}");
        assert!(!out.exists(), "nothing written");
    }
}

/// Whether util-linux's `script` (a terminal for a run) is here; without it, a note that
/// `what` is not checked.
fn have_script(what: &str) -> bool {
    let here = Command::new("script").arg("--version").output().is_ok();
    if !here {
        eprintln!("note: `script` (util-linux) is not installed: {what} not checked");
    }
    here
}

/// A log sent through a pipe that then stalls for `secs` seconds, as a shell line for
/// [`on_terminal`] (`env`: variables for logcount; stdout dropped, so what is left is the
/// progress), and the directory that holds the log.
fn stalled_stream(secs: u32, env: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.log",
        &b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1\n".repeat(100),
    );
    let log = dir.path().join("a.log");
    let line = format!(
        "(cat {}; sleep {secs}) | {env} {BIN} - --format json > /dev/null",
        log.display()
    );
    (dir, line)
}

#[test]
fn the_progress_bar_keeps_ticking_while_input_stalls() {
    // A terminal for stderr, from util-linux's `script`; skipped without it.
    if !have_script("progress on a terminal") {
        return;
    }
    let (_dir, line) = stalled_stream(2, "");
    let drawn = on_terminal(80, &line);
    // Each redraw starts with a carriage return; while the input stalls for 2 s the bar is
    // redrawn on its own (a frozen bar would be drawn once or twice).
    let redraws = drawn.matches('\r').count();
    assert!(redraws >= 5, "{redraws} redraws: {drawn:?}");
}

#[test]
fn control_characters_in_names_cannot_forge_lines_or_move_the_cursor() {
    let run = output(logcount().arg("nope\nlogcount: forged\r"));
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains("nope\\x0alogcount: forged\\x0d"), "{err:?}");
    // In the table, too.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a\x1b[2Kb.log",
        b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1\n",
    );
    let run = output(logcount().arg(dir.path()).args(["--format", "table"]));
    let table = String::from_utf8(run.stdout).unwrap();
    assert!(!table.contains('\x1b'), "{table:?}");
    assert!(table.contains("a\\x1b[2Kb.log"), "{table:?}");
}

/// Issue 27: a name with a TAB and one with a literal `\t` were both shown `x\ty.log` on
/// terminals, in HTML and on stderr; a right-to-left override showed a name reversed.
#[test]
fn names_are_shown_apart_everywhere_and_never_reversed() {
    let dir = tempfile::tempdir().unwrap();
    let log = b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1\n";
    for name in ["x\ty.log", "x\\ty.log", "gol.\u{202e}gnp.log"] {
        write(dir.path(), name, log);
    }
    write(dir.path(), "z\tnot-a-log", b"nothing here\n");
    let shown = ["x\\x09y.log", "x\\ty.log", "gol.\\xe2\\x80\\xaegnp.log"];
    for format in ["table", "html", "csv", "json"] {
        let run = output(logcount().arg(dir.path()).args(["--format", format]));
        let text = String::from_utf8(run.stdout.clone()).unwrap();
        assert!(!text.contains('\u{202e}'), "{format}: {text}");
        for name in shown {
            // JSON and HTML write the backslash their own way
            let written = match format {
                "json" => name.replace('\\', "\\\\"),
                _ => name.to_string(),
            };
            assert!(text.contains(&written), "{format}: {written} in {text}");
        }
        // the note for the file that is not a log names it the same way
        assert!(stderr(&run).contains("z\\x09not-a-log"), "{}", stderr(&run));
    }
}

/// Issue 27: a client or a name that a spreadsheet would read as a formula is written with a
/// `'` before it (OWASP's advice on CSV injection); JSON keeps it exact.
#[test]
fn csv_never_hands_a_spreadsheet_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "=cmd.log",
        b"=1+1 - - [x] \"GET / HTTP/1.1\" 200 1\n@SUM(A1) - - [x] \"GET / HTTP/1.1\" 200 1\n",
    );
    let run = output(
        logcount()
            .arg(dir.path())
            .args(["--top", "2", "--format", "csv"]),
    );
    let csv = String::from_utf8(run.stdout).unwrap();
    assert!(csv.contains(",1,\"'=1+1\",1\n"), "{csv}");
    assert!(csv.contains(",2,\"'@SUM(A1)\",1\n"), "{csv}");
    assert!(
        csv.contains("/'=cmd.log") || csv.contains("/=cmd.log"),
        "{csv}"
    );
    let v = json(&output(logcount().arg(dir.path()).args(["--top", "2"])));
    assert_eq!(v["summary"]["top"][0]["client"], "=1+1");
}

#[test]
fn help_and_version() {
    let out = output(logcount().arg("--help"));
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Examples:") && help.contains("--executor"),
        "{help}"
    );
    assert(logcount().arg("--version"))
        .success()
        .stdout(predicates::str::starts_with("logcount "));
}

#[test]
fn stdin_is_dash() {
    let text = [
        line("1.1.1.1"),
        "\n".into(),
        line("2.2.2.2"),
        line("1.1.1.1"),
    ]
    .concat();
    let v = json(&output_with_stdin(logcount().arg("-"), text.as_bytes()));
    assert_eq!(v["files"]["-"], entry(3, 2, text.len(), 0));
    // Compressed standard input is decompressed, whatever is behind the pipe.
    let v = json(&output_with_stdin(
        logcount().arg("-"),
        &gzip(text.as_bytes()),
    ));
    assert_eq!(v["files"]["-"], entry(3, 2, text.len(), 0));
}

#[test]
fn gzip_is_decompressed() {
    let dir = tempfile::tempdir().unwrap();
    let text = [line("1.1.1.1"), line("2.2.2.2"), line("3.3.3.3")].concat();
    // Two members, as `cat a.gz b.gz` makes: both are read.
    let mut gz = gzip(text.as_bytes());
    gz.extend(gzip(line("4.4.4.4").as_bytes()));
    write(dir.path(), "old.log.gz", &gz);
    let v = json_of(logcount().arg(dir.path()));
    assert_eq!(
        v["files"][key(dir.path(), "old.log.gz")],
        entry(4, 4, text.len() + line("4.4.4.4").len(), 0)
    );
}

#[test]
fn corrupt_gzip_is_that_files_error() {
    let dir = fixture();
    let mut gz = gzip(line("1.1.1.1").repeat(10_000).as_bytes());
    gz.truncate(gz.len() / 2);
    write(dir.path(), "cut.log.gz", &gz);
    let out = output(logcount().arg(dir.path()));
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["errors"][0]["path"], key(dir.path(), "cut.log.gz"));
    assert!(v["files"].get(key(dir.path(), "cut.log.gz")).is_none());
}

#[test]
fn hidden_entries_are_skipped_in_walks_but_not_when_named() {
    let dir = fixture();
    write(dir.path(), ".hidden.log", line("9.9.9.9").as_bytes());
    write(dir.path(), ".git/objects.log", line("9.9.9.9").as_bytes());
    write(dir.path(), "sub/deeper/c.log", line("3.3.3.3").as_bytes());
    let v = json_of(logcount().arg(dir.path()));
    assert_eq!(v["summary"]["files"], 3);
    assert_eq!(v["files"][key(dir.path(), "sub/deeper/c.log")]["total"], 1);
    let v = json_of(logcount().arg(dir.path().join(".hidden.log")));
    assert_eq!(v["summary"]["total"], 1);
}

#[test]
fn a_file_reached_twice_is_counted_once() {
    let dir = fixture();
    let a = dir.path().join("a.log");
    std::os::unix::fs::symlink(&a, dir.path().join("link.log")).unwrap();
    let v = json_of(logcount().arg(&a).arg(dir.path()).arg(&a));
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["total"], 5);
    assert!(v["files"].get(key(dir.path(), "link.log")).is_none());
}

#[test]
fn empty_directory_counts_nothing_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let v = json_of(logcount().arg(dir.path()));
    assert_eq!(
        v["summary"],
        json!({"files": 0, "total": 0, "ip": 0, "bytes": 0, "malformed": 0, "errors": 0, "skipped": 0})
    );
}

#[test]
fn closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        write(
            dir.path(),
            &format!("f{i:05}.log"),
            line("1.1.1.1").as_bytes(),
        );
    }
    for format in ["csv", "ndjson", "json"] {
        let mut child = spawn(logcount().arg(dir.path()).args(["--format", format]));
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let out = wait_within(child, DEADLINE);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{format}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{format}");
    }
}

#[test]
fn full_disk_is_an_error_not_silence() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = fixture();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let child = logcount()
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_within(child, DEADLINE);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write output"), "{stderr}");
}

#[test]
fn invalid_utf8_and_awkward_lines_are_counted_by_the_classic_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dirty.log",
        b"\xff\xfe garbage\n  \t\n ,x\n\t1.2.3.4 a\n1.2.3.4\r\n01.2.3.4 b\n\0\n",
    );
    let v = json_of(logcount().arg(dir.path()).args(["--log-format", "classic"]));
    // Keys: "\xff\xfe", "", "1.2.3.4" (twice), "01.2.3.4", "\0".
    assert_eq!(v["summary"]["total"], 6);
    assert_eq!(v["summary"]["ip"], 5);
    assert_eq!(
        v["summary"]["malformed"], 0,
        "with classic no line is malformed"
    );
    // The same file is no access log to `auto`: named, that is its error.
    let out = output(logcount().arg(dir.path().join("dirty.log")));
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert!(v["errors"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not an access log"));
}

/// `-j` means what it says: never more workers than there are jobs, whatever is asked
/// (`-j 100000` on two files once started 10,000+ threads and did not finish in a minute).
#[test]
fn a_huge_jobs_count_starts_only_as_many_workers_as_there_are_jobs() {
    let dir = fixture();
    let serial = json(&output(
        logcount().arg(dir.path()).args(["-e", "serial", "--json"]),
    ));
    util::for_each_parallel_executor(|e| {
        let out = output(
            logcount()
                .arg(dir.path())
                .args(e.with(&["-j", "100000", "--json"])),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(util::agreed(&v), util::agreed(&serial));
        let jobs = v["executor"]["jobs"].as_u64().unwrap();
        if e.executor() == "procpool" || e.executor() == "threads" {
            // The workers that ran: both small jobs may go to one worker in one batch, or
            // be taken by the first thread before the second starts (none then starts).
            assert!((1..=2).contains(&jobs), "two files, two jobs: {v}");
        } else {
            assert_eq!(jobs, 2, "two files, two jobs: {v}");
        }
    });
    let part = dir.path().join("all.part");
    let out = output(
        logcount()
            .args(["partial", "--slice", "0/1", "-q", "-j", "4294967295", "-o"])
            .arg(&part)
            .arg(dir.path()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = output(
        logcount()
            .arg("merge")
            .arg(&part)
            .args(["-j", "4294967295", "--json"]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(util::agreed(&v), util::agreed(&serial));
    assert!(v["executor"]["jobs"].as_u64().unwrap() <= 64, "{v}");
}

/// Completion scripts and the man page come from the clap definitions themselves.
#[test]
fn completions_for_every_shell_and_a_man_page_that_renders() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = output(logcount().args(["completions", shell]));
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("logcount")
                && script.contains("partial")
                && script.contains("executor"),
            "{shell}: {script}"
        );
    }
    let out = output(logcount().args(["completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("logcount.1");
    let out = output(logcount().arg("man"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.starts_with(b".ie") || out.stdout.starts_with(b".TH"));
    std::fs::write(&page, &out.stdout).unwrap();
    // Rendered as a reader would see it (`man -l`, from man-db: .ci/run installs it).
    if !util::have_tool("man", "man-db") {
        return;
    }
    let shown = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
        .expect("man (man-db) is installed");
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    for wanted in [
        "NAME",
        "SYNOPSIS",
        "Count requests and unique client",
        "--executor",
    ] {
        assert!(text.contains(wanted), "{wanted} not in:\n{text}");
    }
}

#[test]
fn an_empty_directory_gets_a_note_and_the_table_lists_what_failed() {
    let dir = fixture();
    let empty = dir.path().join("empty/nested");
    std::fs::create_dir_all(&empty).unwrap();
    let out = output(
        logcount()
            .arg(dir.path().join("empty"))
            .args(["--format", "csv"]),
    );
    // A run that counts nothing fails, and says so even under -q (docs/contract.md §2).
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no input files under"), "{err}");
    let quiet = output(
        logcount()
            .arg(dir.path().join("empty"))
            .args(["--format", "csv", "-q"]),
    );
    assert_eq!(
        stderr(&quiet),
        "logcount: nothing counted: no input file under the paths given\n"
    );
    assert_eq!(quiet.status.code(), Some(1));
    // A directory with logs beside it: a note, and the run succeeds.
    let out = output(
        logcount()
            .arg(dir.path().join("empty"))
            .arg(dir.path().join("a.log"))
            .args(["--format", "csv"]),
    );
    assert!(out.status.success());
    assert!(stderr(&out).contains("no input files under"));
    // A directory with logs gets no such note.
    let out = output(logcount().arg(dir.path()).args(["--format", "csv"]));
    assert!(!stderr(&out).contains("no input files"), "{}", stderr(&out));

    // The table ends with the footer (a time for people) and the inputs that failed.
    let gone = dir.path().join("gone.log");
    let out = output(
        logcount()
            .arg(dir.path().join("a.log"))
            .arg(&gone)
            .args(["--format", "table"]),
    );
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    let n = lines.len();
    assert!(lines[n - 3].contains(" ms, 1 error"), "{table}");
    assert_eq!(lines[n - 2], "errors:", "{table}");
    assert_eq!(
        lines[n - 1],
        format!(
            "  {}: No such file or directory (os error 2)",
            key(dir.path(), "gone.log")
        ),
    );
}

#[test]
fn a_subcommand_word_that_is_also_a_directory_gets_a_tip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("gen")).unwrap();
    let out = output(logcount().arg("gen").current_dir(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("to count it, write `./gen`"), "{err}");
    // Elsewhere, the plain usage error.
    let out = output(logcount().arg("gen"));
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("tip: `gen`"));
}

#[test]
fn colour_only_in_tables_and_warnings_and_only_when_wanted() {
    let dir = fixture();
    let gone = dir.path().join("gone.log");
    let run = |args: &[&str]| {
        output(
            logcount()
                .arg(dir.path().join("a.log"))
                .arg(&gone)
                .args(args),
        )
    };
    let esc = |bytes: &[u8]| bytes.contains(&0x1b);
    let always = run(&["--color", "always", "--format", "table"]);
    let table = String::from_utf8(always.stdout).unwrap();
    assert!(table.starts_with("\x1b[1mPATH"), "{table:?}");
    assert!(table.contains("\x1b[1mTOTAL (1 file)"), "{table:?}");
    assert!(table.contains("\x1b[31merrors:"), "{table:?}");
    assert!(
        always.stderr.starts_with(b"\x1b[31mlogcount: "),
        "red warnings"
    );
    for format in ["json", "csv", "ndjson"] {
        let out = run(&["--color", "always", "--format", format]);
        assert!(!esc(&out.stdout), "{format} is never coloured");
    }
    // Piped, `auto` (the default) and `never` colour nothing.
    for args in [
        &["--format", "table"][..],
        &["--color", "never", "--format", "table"],
    ] {
        let out = run(args);
        assert!(!esc(&out.stdout) && !esc(&out.stderr), "{args:?}");
    }
    // On a terminal (util-linux `script`), auto colours unless NO_COLOR is set.
    if !have_script("colour on a terminal") {
        return;
    }
    let on_terminal = |no_color: Option<&str>| {
        let line = format!(
            "{BIN} {} --format table -q",
            dir.path().join("a.log").display()
        );
        let mut cmd = Command::new("script");
        util::clean_env(&mut cmd).args(["-qec", &line, "/dev/null"]);
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        output(&mut cmd).stdout
    };
    assert!(esc(&on_terminal(None)));
    assert!(!esc(&on_terminal(Some("1"))));
    assert!(esc(&on_terminal(Some(""))), "an empty NO_COLOR is not set");
}

/// `--format html`: one self-contained page, the same on every executor but for its timing
/// line, that a browser renders.
#[test]
fn an_html_report_is_self_contained_the_same_everywhere_and_renders() {
    let dir = fixture();
    write(
        dir.path(),
        "x<&y>.log",
        b"9.9.9.9 - - [x] \"GET / HTTP/1.1\" 200 1\n",
    );
    let gone = dir.path().join("gone.log");
    let page = |args: &[&str]| {
        let out = output(
            logcount()
                .arg(dir.path())
                .arg(&gone)
                .args(args)
                .args(["--format", "html"]),
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let html = page(&["-e", "serial"]);
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{html}"
    );
    assert!(html.ends_with("</html>\n"));
    for absent in ["<script", "http://", "https://", "src=", "<link"] {
        assert!(
            !html.contains(absent),
            "{absent}: nothing runs, nothing is fetched"
        );
    }
    for (open, close) in [
        ("<table", "</table>"),
        ("<tr", "</tr>"),
        ("<svg", "</svg>"),
        ("<g", "</g>"),
        ("<text", "</text>"),
    ] {
        assert_eq!(
            html.matches(open).count(),
            html.matches(close).count(),
            "{open}"
        );
    }
    assert!(html.contains("x&lt;&amp;y&gt;.log"), "paths are escaped");
    assert!(html.contains("<h2>Errors</h2>") && html.contains("gone.log"));
    // Apart from the line saying when the report was made, what ran and for how long, byte
    // for byte the same.
    let without_timing = |page: &str| -> String {
        let (timing, rest): (Vec<&str>, Vec<&str>) = page
            .lines()
            .partition(|l| l.starts_with("<p class=\"sub run\">Made "));
        assert_eq!(timing.len(), 1, "one timing line: {page}");
        rest.join("\n")
    };
    util::for_each_parallel_executor(|e| {
        assert_eq!(without_timing(&page(&e.jobs("2"))), without_timing(&html));
    });

    // Rendered by a browser to a picture that is not blank.
    let file = dir.path().join("report.html");
    std::fs::write(&file, &html).unwrap();
    if let Some(shot) = util::render::screenshot(&file, 1000, 800) {
        let inked = shot.inked(0..shot.width, 0..shot.height);
        assert!(inked > 5_000, "{inked} pixels drawn");
    }
}

/// Issue 28, item 6: the HTML report misled (each quantity scaled to its own largest, no axis,
/// periods side by side whatever the time between them). Now: value axes with labelled ticks,
/// requests and clients on one scale, periods at their place on a time axis (a gap of nine
/// years is most of the chart), values on hover, paths that wrap at `/`, notable malformed
/// shares in red, a subtitle of what was read and when; and it looks right at 1200 and 400 px.
#[test]
fn an_html_report_has_axes_one_scale_and_a_time_axis_and_renders_wide_and_narrow() {
    let dir = tempfile::tempdir().unwrap();
    let at = |client: &str, day: &str| {
        format!("{client} - - [{day}:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n")
    };
    // 2015: 10 requests from 2 clients (9 on the 20th, 1 on the 21st), and 1 malformed line of
    // 11 (9.1%). 2024: 3 requests from 3 clients, nine years on.
    let mut old = at("1.1.1.1", "20/May/2015").repeat(8) + &at("2.2.2.2", "20/May/2015");
    old += &at("1.1.1.1", "21/May/2015");
    old += "not a request\n";
    write(dir.path(), "old/a.log", old.as_bytes());
    let new = ["3.3.3.3", "4.4.4.4", "5.5.5.5"].map(|c| at(c, "12/May/2024"));
    write(dir.path(), "new/b.log", new.concat().as_bytes());
    let before = logcount::format::utc_text(now());
    let out = output(logcount().arg(dir.path()).args([
        "-e", "serial", "--by", "day", "--top", "2", "--format", "html",
    ]));
    let after = logcount::format::utc_text(now());
    assert!(out.status.success(), "{}", stderr(&out));
    let html = String::from_utf8(out.stdout).unwrap();

    // The subtitle: what was read, the time it spans, when the report was made (UTC, ISO 8601).
    let bytes = old.len() + new.concat().len();
    let read = format!(
        "<p class=\"sub\">Read 2 inputs: 2 files counted ({bytes} B of log text); covering \
         2015-05-20 to 2024-05-12.</p>"
    );
    assert!(html.contains(&read), "{html}");
    let timing = "<p class=\"sub run\">Made ";
    let made = &html[html.find(timing).unwrap() + timing.len()..][..20];
    assert!(
        (before.as_str()..=after.as_str()).contains(&made),
        "{before} <= {made} <= {after}"
    );

    // Files: one scale for requests and clients, whose axis is labelled.
    let row = |name: &str| -> &str {
        let start = html.find(&format!("/<wbr>{name}</td>")).expect(name);
        &html[start..start + html[start..].find("</tr>").unwrap()]
    };
    let width = |row: &str, class: &str| -> f64 {
        let at = row.find(&format!("<rect class=\"{class}\"")).expect(class);
        let at = at + row[at..].find("width=\"").unwrap() + 7;
        row[at..at + row[at..].find('"').unwrap()].parse().unwrap()
    };
    let (a, b) = (row("a.log"), row("b.log"));
    assert_eq!(width(a, "req"), 240.0, "10 requests: the axis's top");
    assert_eq!(width(a, "ip"), 48.0, "2 clients of 10");
    assert_eq!(width(b, "req"), 72.0, "3 requests of 10");
    assert_eq!(width(b, "ip"), 72.0, "3 clients: as long as its 3 requests");
    assert!(a.contains("<title>") && a.contains(": 10 requests, 2 unique clients</title>"));
    let files = &html[html.find("<h2>Files</h2>").unwrap()..html.find("<h2>Requests").unwrap()];
    assert_eq!(texts(files, "<th class=\"axis\">"), ["0", "5", "10"]);
    // Paths wrap at their slashes, and 9.1% malformed lines stand out.
    assert!(!html.contains("anywhere") && html.contains("old/<wbr>a.log"));
    assert!(
        a.contains("class=\"n bad\"") && a.contains(">9.1%</span>"),
        "{a}"
    );
    assert!(!b.contains("bad"), "{b}");
    assert!(html.contains("@media print{"));

    // Periods at their place on a time axis: the 21st a day after the 20th, 2024-05-12 the
    // 3,280 days after it that they are, of the 3,281 days the axis spans.
    let day = |y, m, d| logcount::format::days_from_civil(y, m, d);
    let span = (day(2024, 5, 13) - day(2015, 5, 20)) as f64;
    let x = |label: &str| -> f64 {
        let group = &html[html.find(&format!("<g><title>{label}:")).expect(label)..];
        percent(&group[group.find("<rect class=\"req\"").unwrap()..], "x")
    };
    let (first, next, last) = (x("2015-05-20"), x("2015-05-21"), x("2024-05-12"));
    assert!((next - first - 100.0 / span).abs() < 1e-3, "{first} {next}");
    assert!(
        (last - first - 3_280.0 * 100.0 / span).abs() < 1e-3,
        "{first} {last}"
    );
    assert!(last > 99.0, "the gap is nine years of the chart");
    // Its axes: counts up the side, and years along the bottom, each where its 1 January is.
    let chart = &html[html.find("<svg class=\"chart\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(texts(chart, "<g class=\"y-axis\">"), ["0", "5", "10"]);
    let years = &chart[chart.find("<g class=\"x-axis\">").unwrap()..];
    assert_eq!(texts(years, ""), ["2016", "2018", "2020", "2022", "2024"]);
    for (i, year) in (2016..=2024).step_by(2).enumerate() {
        let text = years.match_indices("<text").nth(i).unwrap().0;
        let expected = (day(year, 1, 1) - day(2015, 5, 20)) as f64 * 100.0 / span;
        assert!(
            (percent(&years[text..], "x") - expected).abs() < 1e-3,
            "{year}"
        );
    }

    // Drawn by a browser, wide and narrow: not blank, the bars in their colours, the badge,
    // labels along both axes of the period chart, and nothing past the page's right margin (a
    // table too wide for a phone would be).
    let file = dir.path().join("report.html");
    std::fs::write(&file, &html).unwrap();
    for width in [1200, 400] {
        let Some(shot) = util::render::screenshot(&file, width, 1600) else {
            return;
        };
        let inked = shot.inked(0..shot.width, 0..shot.height);
        assert!(inked > 20_000, "{width} px: {inked} pixels drawn");
        for (what, colour) in [
            ("requests", [0x00, 0x72, 0xb2]),
            ("clients", [0xd5, 0x5e, 0x00]),
            ("badge", [0xb0, 0x00, 0x20]),
        ] {
            assert!(shot.count(colour) > 50, "{width} px: no {what} drawn");
        }
        // The time axis's line (#888) is the longest line across the page; its labels are under
        // it, the values' labels left of the plot.
        let (base, left, long) = shot.longest_run([0x88; 3]);
        assert!(
            long > shot.width / 2,
            "{width} px: a time axis {long} px long"
        );
        let times = shot.inked(0..shot.width, base + 6..base + 22);
        let values = shot.inked(0..left - 3, base - 170..base + 6);
        assert!(
            times > 100 && values > 100,
            "{width} px: labels {times}, {values}"
        );
        let margin = shot.width - 12..shot.width;
        assert_eq!(
            shot.inked(margin, 0..shot.height),
            0,
            "{width} px: drawn in the right margin"
        );
    }
}

/// Seconds since the epoch, now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The texts of the `<text>` elements in the first element after `open` in `html`.
fn texts<'a>(html: &'a str, open: &str) -> Vec<&'a str> {
    let from = &html[html.find(open).expect(open)..];
    let end = [from.find("</svg>"), from.find("</g>")]
        .into_iter()
        .flatten()
        .min();
    let element = &from[..end.unwrap_or(from.len())];
    element
        .split("<text")
        .skip(1)
        .map(|t| &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()])
        .collect()
}

/// The value in percent of the attribute `name` of the first element in `html`.
fn percent(html: &str, name: &str) -> f64 {
    let at = html.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    html[at..at + html[at..].find("%\"").unwrap()]
        .parse()
        .unwrap()
}

/// Issue 28: `cat access.log | logcount` said "the following required arguments were not
/// provided". With no PATH, standard input is read when it is not a terminal (as ripgrep, wc
/// and sort do); on a terminal it is a usage error that says both ways.
#[test]
fn no_path_reads_piped_standard_input() {
    let log = b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n\
                5.6.7.8 - - [22/Mar/2021:10:01:03 +0800] \"GET / HTTP/1.1\" 200 1\n";
    let piped = output_with_stdin(logcount().arg("--json"), log);
    let named = output_with_stdin(logcount().args(["-", "--json"]), log);
    assert!(piped.status.success(), "{}", stderr(&piped));
    let (piped, named) = (json(&piped), json(&named));
    assert_eq!(piped["files"], named["files"]);
    assert_eq!(piped["summary"]["total"], 2);
    // On a terminal (util-linux's `script`; skipped without it): the usage error, exit 2.
    if !have_script("no PATH on a terminal") {
        return;
    }
    let out = output(Command::new("script").args(["-qec", BIN, "/dev/null"]));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("logcount: nothing to count: name log files or directories"),
        "{text}"
    );
}

/// Issue 28: `logcount bnech sample_logs` said "bnech: No such file or directory", counted the
/// rest and exited 1. A first PATH that does not exist and is a subcommand's name mistyped is
/// the usage error git and cargo give, naming the subcommand; any other missing path is still
/// that path's error.
#[test]
fn a_mistyped_subcommand_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.log", b"1.2.3.4 - - [x] \"GET /\" 200 1\n");
    for (typo, meant) in [("bnech", "bench"), ("gne", "gen"), ("mrege", "merge")] {
        let out = output(logcount().arg(typo).arg(dir.path()).current_dir(dir.path()));
        assert_eq!(out.status.code(), Some(2), "{typo}");
        assert_eq!(
            stderr(&out),
            format!(
                "logcount: `{typo}` is not a file or directory, nor a subcommand; did you mean \
                 `logcount {meant}`?\n"
            )
        );
        assert!(out.stdout.is_empty(), "{typo}: nothing counted");
    }
    // Not close to a name, or a path that exists: no suggestion.
    let out = output(
        logcount()
            .args(["nosuch.log", "a.log", "--json"])
            .current_dir(dir.path()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nosuch.log: No such file or directory"),
        "{}",
        stderr(&out)
    );
    write(dir.path(), "bnech", b"1.2.3.4 - - [x] \"GET /\" 200 1\n");
    let out = output(logcount().args(["bnech", "--json"]).current_dir(dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Issue 28: `logcount src` printed 70 "skipped: not an access log" lines, then `TOTAL (0
/// files)`, exit 0. A run that counts no file says so in one line (how many were skipped,
/// why), exit 1; in any run, beyond a few skip notes one line sums up the rest; `--verbose`
/// lists them all; JSON's `skipped` always holds every one (docs/contract.md §2).
#[test]
fn skip_notes_are_summed_up_and_a_run_that_counts_nothing_fails() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..8 {
        write(
            dir.path(),
            &format!("notes{i}.txt"),
            b"just some prose\nand more of it\n",
        );
    }
    let out = output(logcount().arg(dir.path()).arg("--json"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "logcount: nothing counted: 8 files skipped (8 not an access log); --verbose lists \
         them; if one is an access log, name its format with --log-format\n"
    );
    assert_eq!(json(&out)["skipped"].as_array().unwrap().len(), 8);

    write(
        dir.path(),
        "access.log",
        b"1.2.3.4 - - [x] \"GET /\" 200 1\n",
    );
    let out = output(logcount().arg(dir.path()).arg("--json"));
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "{err}");
    assert!(
        lines[..5]
            .iter()
            .all(|l| l.contains(": skipped: not an access log")),
        "{err}"
    );
    assert_eq!(
        lines[5],
        "logcount: 3 more skipped (3 not an access log); --verbose lists them"
    );
    assert_eq!(json(&out)["skipped"].as_array().unwrap().len(), 8);

    let out = output(logcount().arg(dir.path()).args(["--json", "-v"]));
    assert_eq!(stderr(&out).lines().count(), 8, "{}", stderr(&out));
    let out = output(logcount().arg(dir.path()).args(["--json", "-q"]));
    assert_eq!(stderr(&out), "");
}

/// Issue 28: `--log-format json` on an nginx log gave 0 requests and 400 malformed, exit 0,
/// without a word. A named format that reads (almost) none of a file's lines gets one
/// warning line naming the format the file looks like (its head read again, decompressed);
/// the counts and the exit status are the named format's.
#[test]
fn a_named_format_that_reads_no_line_says_what_the_file_looks_like() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n"
        .repeat(20);
    write(dir.path(), "a.log", &text);
    write(dir.path(), "b.log.gz", &gzip(&text));
    for name in ["a.log", "b.log.gz"] {
        let path = dir.path().join(name);
        let out = output(
            logcount()
                .arg(&path)
                .args(["--log-format", "json", "--json"]),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "logcount: {}: 20 of 20 lines do not parse as --log-format json; it looks \
                 like combined: leave --log-format out, or name that\n",
                path.display()
            )
        );
        assert_eq!(json(&out)["summary"]["malformed"], 20);
        // Read in the format it has: no word.
        let out = output(
            logcount()
                .arg(&path)
                .args(["--log-format", "combined", "--json"]),
        );
        assert_eq!(stderr(&out), "");
    }
}

// Issue 28, items 5 and 10: the table and the progress bar fit the terminal, never wrap.

/// What `line` (a shell command, run in the crate's directory) printed on a terminal of
/// `columns` columns: util-linux `script` gives it a terminal and `stty` its size.
fn on_terminal(columns: usize, line: &str) -> String {
    let mut cmd = Command::new("script");
    util::clean_env(&mut cmd)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "-qfec",
            &format!("stty cols {columns} rows 50; {line}"),
            "/dev/null",
        ]);
    let out = output(&mut cmd);
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What a terminal shows of `text`, cut where a line ends, a frame is redrawn (`\r`) or the
/// cursor moves (any escape sequence; colour codes only begin and end a line): each piece is
/// one stretch of one row. Empty pieces are left out.
fn pieces(text: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => pieces.push(String::new()),
            '\x1b' => {
                // CSI: `ESC [`, parameters, one final byte in `@`..=`~`; else one byte.
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                pieces.push(String::new());
            }
            c => pieces.last_mut().unwrap().push(c),
        }
    }
    pieces.retain(|p| !p.trim().is_empty());
    pieces
}

/// Asserts that no piece of `text` is wider than `columns`.
fn assert_fits(text: &str, columns: usize, what: &str) {
    for piece in pieces(text) {
        let width = logcount::terminal::width(&piece);
        assert!(
            width <= columns,
            "{what} at {columns} columns: {width}: {piece:?}\n{text}"
        );
    }
}

/// The right-aligned cell of `row` in the column `name` of `header`: it ends where the name
/// ends (the header is ASCII; a row's elided path has a one-column `…`).
fn cell<'a>(header: &str, row: &'a str, name: &str) -> &'a str {
    let end = header.find(name).expect(name) + name.len();
    let at = row.char_indices().nth(end).map_or(row.len(), |(at, _)| at);
    row[..at].split_whitespace().last().unwrap_or("")
}

/// The JSON report of sample_logs, to check a table's numbers against.
fn sample_logs_json() -> Value {
    json_of(logcount().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "sample_logs",
        "--json",
        "-q",
    ]))
}

#[test]
fn the_table_fits_terminals_of_60_80_and_120_columns_with_the_json_numbers() {
    if !have_script("the table on a terminal") {
        return;
    }
    use logcount::report::thousands;
    let report = sample_logs_json();
    let files = report["files"].as_object().unwrap();
    let number = |v: &Value| thousands(v.as_u64().unwrap());
    for columns in [60, 80, 120] {
        let text = on_terminal(columns, &format!("{BIN} sample_logs --format table -q"));
        assert_fits(&text, columns, "the table");
        let lines = pieces(&text);
        let at = |start: &str| lines.iter().position(|l| l.starts_with(start));
        let header = &lines[at("PATH ").expect("a header")];
        let rule = at("---").expect("a rule");
        let rows = &lines[at("PATH ").unwrap() + 1..rule];
        // Every file, in the JSON's order, with its numbers; then the totals.
        assert_eq!(rows.len(), files.len(), "{text}");
        for (row, (path, file)) in rows.iter().zip(files) {
            assert_eq!(
                cell(header, row, "REQUESTS"),
                number(&file["total"]),
                "{path}: {row}"
            );
            assert_eq!(
                cell(header, row, "UNIQUE IPS"),
                number(&file["ip"]),
                "{path}: {row}"
            );
        }
        let total = &lines[rule + 1];
        assert!(total.starts_with("TOTAL ("), "{text}");
        assert_eq!(
            cell(header, total, "REQUESTS"),
            number(&report["summary"]["total"])
        );
        assert_eq!(
            cell(header, total, "UNIQUE IPS"),
            number(&report["summary"]["ip"])
        );
        // Shown relative to the directory they share, said above the table.
        assert_eq!(lines[0], "paths relative to sample_logs/", "{text}");
        // What was hidden for width is said once, under the table.
        let hidden: Vec<&String> = lines.iter().filter(|l| l.starts_with("hidden")).collect();
        if columns == 120 {
            assert!(
                header.contains("MALFORMED") && header.ends_with("BYTES"),
                "{text}"
            );
            assert!(hidden.is_empty(), "{text}");
        }
        if columns == 60 {
            assert!(
                header.ends_with("REQUESTS  UNIQUE IPS  MALFORMED"),
                "{text}"
            );
            assert_eq!(
                hidden,
                ["hidden for width: BYTES, FORMAT (--format json shows them)"]
            );
        }
    }
}

#[test]
fn columns_sets_the_width_and_a_pipe_without_it_gets_the_whole_table() {
    // Piped, without COLUMNS: no limit, every path whole.
    let piped = output(logcount().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "sample_logs",
        "--format",
        "table",
        "-q",
    ]));
    let text = String::from_utf8(piped.stdout).unwrap();
    for path in sample_logs_json()["files"].as_object().unwrap().keys() {
        assert!(text.contains(&format!("\n{path} ")), "{path}:\n{text}");
    }
    assert!(!text.contains('…') && !text.contains("hidden"), "{text}");
    // Piped, with COLUMNS: that width.
    let cut = output(
        logcount()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("COLUMNS", "80")
            .args(["sample_logs", "--format", "table", "-q"]),
    );
    assert_fits(
        &String::from_utf8(cut.stdout).unwrap(),
        80,
        "the piped table",
    );
    // On a terminal, COLUMNS wins over its size.
    if !have_script("COLUMNS on a terminal") {
        return;
    }
    // (Set on the command: a shell that watches the window size rewrites an exported one.)
    let line = format!("COLUMNS=60 {BIN} sample_logs --format table -q");
    let text = on_terminal(120, &line);
    assert_fits(&text, 60, "the table under COLUMNS=60");
    assert!(text.contains("hidden for width: BYTES, FORMAT"), "{text}");
}

#[test]
fn top_clients_come_first_with_their_share_and_each_files_only_with_verbose() {
    if !have_script("--top on a terminal") {
        return;
    }
    let report = sample_logs_json();
    let files = report["files"].as_object().unwrap().len();
    let text = on_terminal(80, &format!("{BIN} sample_logs --top 10 --format table -q"));
    assert_fits(&text, 80, "--top");
    let lines = pieces(&text);
    // The summary's block right after the files table, no file's, and a line that says where
    // they are: a screenful, not hundreds of lines.
    let titles: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("top clients:"))
        .collect();
    assert_eq!(
        titles,
        [&format!("top clients: all {files} files")],
        "{text}"
    );
    let total = lines.iter().position(|l| l.starts_with("TOTAL (")).unwrap();
    assert!(lines[total + 1..=total + 2].contains(titles[0]), "{text}");
    assert!(lines.contains(&"per-file periods and top clients: -v, or --format json".into()));
    assert!(lines.len() < files + 30, "{} lines:\n{text}", lines.len());
    // SHARE: of all requests, one decimal, as the HTML report.
    let header = lines.iter().find(|l| l.starts_with("CLIENT ")).unwrap();
    assert!(header.ends_with("REQUESTS  SHARE"), "{text}");
    let all = report["summary"]["total"].as_u64().unwrap() as f64;
    let first = lines.iter().skip_while(|l| *l != header).nth(1).unwrap();
    let requests: f64 = cell(header, first, "REQUESTS")
        .replace(',', "")
        .parse()
        .unwrap();
    assert_eq!(
        cell(header, first, "SHARE"),
        format!("{:.1}%", requests / all * 100.0)
    );
    // -v: every file's block too, after the summary's.
    let verbose = output(logcount().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "sample_logs",
        "--top",
        "3",
        "--format",
        "table",
        "-v",
    ]));
    let text = String::from_utf8(verbose.stdout).unwrap();
    let titles: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("top clients:"))
        .collect();
    assert_eq!(titles.len(), files + 1, "{text}");
    assert_eq!(titles[0], format!("top clients: all {files} files"));
    assert!(!text.contains("per-file periods"), "{text}");
}

#[test]
fn no_progress_frame_is_wider_than_the_terminal() {
    if !have_script("progress on a terminal") {
        return;
    }
    let (dir, line) = stalled_stream(1, "");
    for columns in [60, 80, 120] {
        // A stream that stalls: frames redrawn on their own, a second long.
        let stream = on_terminal(columns, &line);
        assert_fits(&stream, columns, "a stream's progress");
        assert!(pieces(&stream).len() >= 3, "{stream:?}");
        if columns == 120 {
            // COLUMNS over the terminal's size, as for the table (a terminal that cannot say
            // its size got frames of 80 columns whatever COLUMNS said).
            let (_narrow_dir, narrow_line) = stalled_stream(1, "COLUMNS=60");
            let narrow = on_terminal(120, &narrow_line);
            assert_fits(&narrow, 60, "progress under COLUMNS=60");
        }
        // `gen` of 64 MiB and more: a bar of lines written.
        let gen = on_terminal(
            columns,
            &format!(
                "{BIN} gen {} --lines 500000 --force > /dev/null",
                dir.path().join("gen").display()
            ),
        );
        assert_fits(&gen, columns, "gen's progress");
        assert!(
            pieces(&gen)
                .iter()
                .any(|p| p.contains("] ") && p.contains("/500,000 lines")),
            "{gen:?}"
        );
    }
}

//! The binary against its oracle: scripts/reference.py writes docs/contract.md §1–2 plainly in
//! Python, and the two must report the same `files`, `skipped` and `summary` (and errors for
//! the same paths): on sample_logs, and on generated logs of every format, compressed or not,
//! with noise, blank lines, a second W3C header block, an empty file and files that are not
//! access logs. Skipped, with a note, where `python3` is not installed.

use crate::util;
use crate::util::formats::{header, line, FORMATS};
use crate::util::{json, logcount, output, write};

use crate::util::templates::{self, template, values};

use proptest::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/reference.py");
const SAMPLE_LOGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_logs");

/// Whether `python3 -c CODE` runs and succeeds.
fn python_runs(code: &str) -> bool {
    Command::new("python3")
        .args(["-c", code])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the oracle can run here; prints why not when it cannot.
fn have_python() -> bool {
    let ok = python_runs("import sys; sys.exit(sys.version_info < (3, 8))");
    if !ok {
        eprintln!(
            "note: python3 (3.8 or later) is not installed: scripts/reference.py not checked"
        );
    }
    ok
}

/// What a report must agree on: files, skipped, summary, and which paths failed (the
/// messages are each tool's own words).
fn comparable(report: &Value) -> Value {
    let errors: Vec<&Value> = report["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .map(|e| &e["path"])
        .collect();
    json!({
        "files": report["files"],
        "skipped": report["skipped"],
        "summary": report["summary"],
        "error_paths": errors,
    })
}

/// The oracle's and the binary's reports on `args`, which must agree.
fn assert_agree(args: &[&str]) {
    let oracle = output(Command::new("python3").arg(SCRIPT).args(args));
    assert!(
        matches!(oracle.status.code(), Some(0 | 1)),
        "reference.py {args:?} failed ({}): {}",
        oracle.status,
        String::from_utf8_lossy(&oracle.stderr)
    );
    let binary = output(logcount().args(args).args(["--json", "--quiet"]));
    assert_eq!(
        oracle.status.code(),
        binary.status.code(),
        "exit status of reference.py and logcount {args:?}"
    );
    let (want, got) = (comparable(&json(&oracle)), comparable(&json(&binary)));
    assert!(
        want == got,
        "logcount {args:?} disagrees with scripts/reference.py\nreference.py: {}\nlogcount: {}",
        serde_json::to_string_pretty(&want).unwrap(),
        serde_json::to_string_pretty(&got).unwrap()
    );
}

/// `src` copied to `dst`, without zstd files when the oracle cannot read them (Python's
/// standard library has no zstd: the oracle needs the `zstandard` module for it).
fn copy_tree(src: &Path, dst: &Path, zstd: bool) {
    std::fs::create_dir_all(dst).unwrap();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let to = dst.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &to, zstd);
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if !zstd && bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            continue;
        }
        std::fs::write(to, bytes).unwrap();
    }
}

fn bzip2(text: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(text).unwrap();
    e.finish().unwrap()
}

fn xz(text: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(text).unwrap();
    e.finish().unwrap()
}

fn zstd(text: &[u8]) -> Vec<u8> {
    zstd::encode_all(text, 1).unwrap()
}

/// A log of `format`: its header, then requests from a few clients with noise and blank lines
/// between, some lines ending `\r\n`, the last without its newline.
fn log(format: &str, lines: usize, seed: usize) -> Vec<u8> {
    const CLIENTS: &[&str] = &[
        "10.0.0.1",
        "10.0.0.2",
        "203.0.113.9",
        "01.2.3.4",
        "2001:db8::1",
        "198.51.100.250",
    ];
    const NOISE: &[&[u8]] = &[
        b"2022/07/25 10:00:00 [error] 123#0: *1 open() failed",
        b" \"curl/7.54.0\"",
        b"\xff\xfe\x00 not a request",
        b"",
        b"  \t",
    ];
    let mut text = header(format).as_bytes().to_vec();
    for i in 0..lines {
        let n = i * 7 + seed;
        if n % 9 == 4 {
            text.extend_from_slice(NOISE[n % NOISE.len()]);
        } else {
            text.extend_from_slice(line(format, CLIENTS[n % CLIENTS.len()], i).as_bytes());
        }
        if n.is_multiple_of(5) {
            text.push(b'\r');
        }
        if i + 1 < lines {
            text.push(b'\n');
        }
    }
    text
}

/// A directory of generated logs: every format, some compressed, in subdirectories; an IIS
/// log with a second header block (and a `#Fields:` with no client between), another without
/// its header; an empty file; and two files that are not access logs.
fn generated(dir: &Path, zstd_ok: bool) {
    for (i, format) in FORMATS.iter().enumerate() {
        let text = log(format, 40 + 13 * i, i);
        let name = format.replace('+', "_");
        match i % 5 {
            1 => write(dir, &format!("gz/{name}.log.gz"), &util::gzip(&text)),
            2 => write(dir, &format!("bz2/{name}.log.bz2"), &bzip2(&text)),
            3 => write(dir, &format!("xz/{name}.log.xz"), &xz(&text)),
            4 if zstd_ok => write(dir, &format!("zst/{name}.log.zst"), &zstd(&text)),
            _ => write(dir, &format!("{name}.log"), &text),
        }
    }
    let mut iis = log("w3c", 30, 1);
    iis.extend_from_slice(
        b"\n#Software: Microsoft Internet Information Services 10.0\n# restarted\n\
          #Fields: date time cs-method\n2021-03-23 00:00:01 GET\n\
          #Fields: c-ip date time cs-method\n198.51.100.2 2021-03-23 00:00:01 GET\n",
    );
    write(dir, "iis/u_ex210323.log", &iis);
    // Cut after its header, as log shippers cut files: IIS's default fields read it.
    let cut = log("w3c", 30, 2);
    write(dir, "iis/u_ex210324.log", &cut[header("w3c").len()..]);
    write(dir, "empty.log", b"");
    write(dir, "blank.log", b"\n \t\r\n");
    write(
        dir,
        "nginx/error.log",
        &b"2022/07/25 10:00:00 [error] 123#0: *1 open() failed\n".repeat(20),
    );
    write(dir, "nginx/nginx.pid", b"12345\n");
    write(dir, ".hidden.log", &log("combined", 5, 0));
}

#[test]
fn sample_logs_agree_with_the_oracle() {
    if !have_python() {
        return;
    }
    let zstd_ok = python_runs("import zstandard");
    if zstd_ok {
        assert_agree(&[SAMPLE_LOGS]);
        assert_agree(&[SAMPLE_LOGS, "--log-format", "classic"]);
        return;
    }
    eprintln!("note: no zstandard module for python3: zstd files left out of the comparison");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sample_logs");
    copy_tree(Path::new(SAMPLE_LOGS), &copy, false);
    let copy = copy.to_str().unwrap();
    assert_agree(&[copy]);
    assert_agree(&[copy, "--log-format", "classic"]);
}

#[test]
fn generated_logs_of_every_format_agree_with_the_oracle() {
    if !have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), python_runs("import zstandard"));
    let d = dir.path().to_str().unwrap();
    assert_agree(&[d]);
    for format in [
        "classic",
        "combined",
        "cri+json",
        "w3c",
        "haproxy",
        "envoy",
        "syslog+squid",
    ] {
        assert_agree(&[d, "--log-format", format]);
    }
    assert_agree(&[d, "--client-field", "remote_addr"]);
    assert_agree(&[
        d,
        "--trusted-proxy",
        "10.0.0.0/8",
        "--trusted-proxy",
        "2001:db8::/32",
    ]);
    // Named on the command line, a file that is not an access log is an error, not skipped.
    let error_log = dir.path().join("nginx/error.log");
    let empty = dir.path().join("empty.log");
    assert_agree(&[error_log.to_str().unwrap(), empty.to_str().unwrap()]);
}

/// Forwarded chains as each format writes them: `X-Forwarded-For` lists of 0 to 3 entries
/// (forged ones to the left, ports, brackets, `unknown`, `-`) before proxies and clients.
fn chained(dir: &Path) {
    const ENTRIES: &[&str] = &[
        "198.51.100.7",
        "203.0.113.9",
        "10.0.1.10",
        "10.9.9.9:5678",
        "[2001:db8::7]:443",
        "2a02:c7f::2",
        "unknown",
        "127.0.0.1",
    ];
    const PEERS: &[&str] = &["10.0.1.10", "10.0.1.11", "192.0.2.44", "-"];
    let chain = |i: usize| -> String {
        let n = i % 4;
        let list: Vec<&str> = (0..n)
            .map(|k| ENTRIES[(i * 3 + k * 5) % ENTRIES.len()])
            .collect();
        if list.is_empty() {
            "-".into()
        } else {
            list.join(", ")
        }
    };
    let (mut combined, mut json, mut w3c, mut cloudfront, mut envoy) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    w3c.push_str("#Fields: date time c-ip OriginalIP sc-status\n");
    cloudfront.push_str("#Version: 1.0\n#Fields: date time x-edge-location c-ip x-forwarded-for\n");
    for i in 0..120 {
        let (xff, peer) = (chain(i), PEERS[i % PEERS.len()]);
        let rest = "- - [06/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5";
        combined.push_str(&match i % 3 {
            0 => format!("\"{xff}\" {peer} {rest}\n"),
            1 if xff.contains(',') => format!("{xff} {peer} {rest}\n"),
            _ if xff != "-" => format!("{xff}, {peer} {rest}\n"),
            _ => format!("{peer} {rest}\n"),
        });
        json.push_str(&format!(
            "{{\"remote_addr\":\"{peer}\",\"http_x_forwarded_for\":\"{xff}\",\"status\":200}}\n"
        ));
        let cell = xff.replace(' ', "");
        // IIS writes the header's spaces as `+`
        let iis = xff.replace(' ', if i.is_multiple_of(2) { "" } else { "+" });
        w3c.push_str(&format!("2026-12-06 10:00:00 {peer} {iis} 200\n"));
        cloudfront.push_str(&format!("2026-12-06\t10:00:00\tLAX1\t{peer}\t{cell}\n"));
        let head = "[2026-12-06T10:00:00.000Z] \"GET / HTTP/1.1\" 200 -";
        envoy.push_str(&if i.is_multiple_of(2) {
            format!("{head} 0 5 1 1 \"{xff}\" \"ua\" \"id\" \"host\" \"10.0.2.1:80\"\n")
        } else {
            let peer = if peer == "-" { "-".into() } else { format!("{peer}:443") };
            format!("{head} via_upstream - \"-\" 0 5 1 1 \"{xff}\" \"ua\" \"id\" \"host\" \"10.0.2.1:80\" outbound|80||svc 10.0.0.5:3765 10.0.0.6:80 {peer} - default\n")
        });
    }
    write(dir, "combined.log", combined.as_bytes());
    write(dir, "json.log", json.as_bytes());
    write(dir, "w3c.log", w3c.as_bytes());
    write(dir, "cloudfront.log", cloudfront.as_bytes());
    write(dir, "envoy.log", envoy.as_bytes());
}

#[test]
fn templates_and_forwarded_chains_agree_with_the_oracle() {
    if !have_python() {
        return;
    }
    let trust = [
        "--trusted-proxy",
        "10.0.0.0/8",
        "--trusted-proxy",
        "203.0.113.0/24",
    ];
    let dir = tempfile::tempdir().unwrap();
    chained(dir.path());
    let d = dir.path().to_str().unwrap();
    assert_agree(&[d]);
    assert_agree(&[&[d][..], &trust].concat());
    // The sample sites' own formats, given as templates.
    let lb = format!("{SAMPLE_LOGS}/nginx-lb/logs");
    let main = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\"";
    let timed = "[$time_iso8601] $remote_addr \"$request\" $status $body_bytes_sent $request_time \"$http_x_forwarded_for\"";
    let apache = format!("{SAMPLE_LOGS}/apache-site/logs");
    let proxied = "%a %{X-Forwarded-For}i %t %D \\\"%r\\\" %>s %b";
    for (logs, template) in [(&lb, main), (&lb, timed), (&apache, proxied)] {
        assert_agree(&[logs, "--log-format", template]);
        assert_agree(&[&[logs.as_str(), "--log-format", template][..], &trust].concat());
        assert_agree(&[
            logs,
            "--log-format",
            template,
            "--client-field",
            "http_x_forwarded_for",
        ]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The oracle translates templates to regular expressions of its own and walks chains its
    /// own way: on random templates and lines, with and without trusted proxies, it agrees.
    #[test]
    fn random_templates_agree_with_the_oracle(
        t in template(),
        lines in proptest::collection::vec(values(), 1..40),
        trusted in any::<bool>(),
    ) {
        if !have_python() {
            return Ok(());
        }
        let dir = tempfile::tempdir().unwrap();
        let text: String = lines.iter().map(|v| templates::line(&t, v, trusted).0 + "\n").collect();
        write(dir.path(), "access.log", text.as_bytes());
        let template = t.text();
        let d = dir.path().to_str().unwrap();
        let mut args = vec![d, "--log-format", &template];
        if trusted {
            args.extend(["--trusted-proxy", "10.0.0.0/8"]);
        }
        assert_agree(&args);
    }
}

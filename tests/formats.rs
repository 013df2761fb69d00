//! Log formats, detection, malformed lines, compression and walk filters (docs/contract.md
//! §1–2), driven through the real binary: every check is an exact number (`total`, `ip`,
//! `malformed` and `format` per file, and the summary), never a loose assertion, and no run
//! may panic, whatever its input.
//!
//! One module per area, in the contract's order: [`clients`] (each format and prefix, and
//! where its client stands), [`detection`], [`malformed`] lines, [`compression`], [`walk`]
//! (`--glob` and `--exclude`) and [`bad_input`]. The helpers they share are below.

mod bad_input;
mod clients;
mod compression;
mod detection;
mod malformed;
mod walk;

use crate::util::formats::{header, line, FORMATS};
use crate::util::{gzip, logcount, write};

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

/// `logcount --json ARGS`.
fn lc<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Command {
    let mut cmd = logcount();
    cmd.arg("--json").args(args);
    cmd
}

/// What the tests check of a file's entry: everything but `bytes`.
fn entry(report: &Value, path: &str) -> Value {
    let f = &report["files"][path];
    assert!(f.is_object(), "no entry for {path} in {report:#}");
    json!({"total": f["total"], "ip": f["ip"], "malformed": f["malformed"], "format": f["format"]})
}

/// A file's expected entry.
fn counts(total: u64, ip: u64, malformed: u64, format: &str) -> Value {
    json!({"total": total, "ip": ip, "malformed": malformed, "format": format})
}

/// The entry of a file with no non-blank line.
fn no_lines() -> Value {
    json!({"total": 0, "ip": 0, "malformed": 0, "format": null})
}

/// The summary without `bytes`.
fn summary(report: &Value) -> Value {
    let mut s = report["summary"].clone();
    s.as_object_mut()
        .unwrap_or_else(|| panic!("no summary in {report:#}"))
        .remove("bytes");
    s
}

/// An expected summary (without `bytes`).
fn sums(files: usize, total: u64, ip: u64, malformed: u64, errors: usize, skipped: usize) -> Value {
    json!({"files": files, "total": total, "ip": ip, "malformed": malformed,
           "errors": errors, "skipped": skipped})
}

/// The keys of `files` in a report, in its order.
fn file_keys(report: &Value) -> Vec<String> {
    report["files"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// The paths of a report's `errors` (or `skipped`), in its order.
fn paths(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {report:#}"))
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect()
}

/// Five requests of four clients (an IPv6 one among them).
const CLIENTS: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.1",
    "2001:db8::1",
    "198.51.100.7",
];

/// A `format` log (its header, then a line per client), as [`line`] writes it.
fn log_of(format: &str, clients: &[&str]) -> String {
    let mut text = header(format).to_string();
    for (i, client) in clients.iter().enumerate() {
        text.push_str(&line(format, client, i));
        text.push('\n');
    }
    text
}

/// Every line of `text` with `prefix` before it.
fn prefixed(prefix: &str, text: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

/// `CLIENT - - [TIME] "GET /" 200 1`: a combined line.
fn combined(client: &str) -> String {
    format!("{client} - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n")
}

/// An IIS header naming a few columns, for tests of what a column holds.
const IIS_SHORT: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
    #Fields: date time s-ip cs-method cs-uri-stem c-ip cs(User-Agent) sc-status\n";

/// A line of an nginx error log: no format reads it.
const ERROR_LINE: &str = "2022/07/25 10:00:00 [error] 123#0: *1 open() failed (2: No such file)\n";

/// A user-agent fragment, as a broken log writer leaves them: malformed in every format.
const FRAGMENT: &str = " \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"\n";

/// Body formats that take any prefix and are told apart from their prefixed forms.
const BODIES: &[&str] = &[
    "combined",
    "vhost",
    "json",
    "alb",
    "elb",
    "cloudfront",
    "w3c",
    "s3",
    "envoy",
    "squid",
    "ssl_request",
];

/// Prefixes, each as its format name calls it and as a line carries it.
const PREFIXES: &[(&str, &str)] = &[
    ("cri", "2023-10-06T00:17:09.669794202Z stdout F "),
    ("cri", "2023-10-06T00:17:09.669794202Z stderr F "),
    // RFC 3164, bare and with a <PRI>, and as rsyslog writes it with an ISO date.
    ("syslog", "Dec  1 19:32:10 web1 nginx: "),
    ("syslog", "<190>Dec 11 09:02:10 web1 nginx[123]: "),
    ("syslog", "2023-10-06T00:17:09.669794+00:00 web1 nginx: "),
    // RFC 5424, without and with structured data (and a BOM before the message).
    ("syslog", "<165>1 2003-10-11T22:14:15.003Z web1 nginx 8710 - - "),
    (
        "syslog",
        "<165>1 2003-08-24T05:14:15.000003-07:00 web1 nginx - ID47 [meta sequenceId=\"1\" x=\"a\\]b\"] \u{feff}",
    ),
];

/// One test's logs: `(file name, format it is read in, its entry)`.
type Case = (String, String, Value);

/// Writes, into `dir`, a log of every format and every prefix before every format, each
/// with its noise; returns what each must count.
fn every_format(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for format in FORMATS {
        // One line no format reads.
        let text = format!("{}garbage\n", log_of(format, CLIENTS));
        let name = format!("{format}.log");
        write(dir, &name, text.as_bytes());
        cases.push((name, format.to_string(), counts(5, 4, 1, format)));
    }
    // HAProxy behind a syslog header with a <PRI>, and without any header.
    let haproxy = log_of("haproxy", CLIENTS);
    let with_pri = prefixed("<134>", &haproxy);
    let bare: String = haproxy
        .lines()
        .map(|l| format!("{}\n", l.split_once("]: ").unwrap().1))
        .collect();
    let cri = prefixed(PREFIXES[0].1, &bare);
    for (name, text, format) in [
        ("haproxy-pri.log", &with_pri, "haproxy"),
        ("haproxy-bare.log", &bare, "haproxy"),
        ("haproxy-cri.log", &cri, "cri+haproxy"),
    ] {
        write(dir, name, text.as_bytes());
        cases.push((name.into(), format.into(), counts(5, 4, 0, format)));
    }
    for (p, (prefix, carried)) in PREFIXES.iter().enumerate() {
        for body in BODIES {
            let format = format!("{prefix}+{body}");
            // A prefixed fragment and an unprefixed line: both malformed.
            let text = format!(
                "{}{carried}{}garbage\n",
                prefixed(carried, &log_of(body, CLIENTS)),
                FRAGMENT.trim_start()
            );
            let name = format!("{p}-{format}.log");
            write(dir, &name, text.as_bytes());
            cases.push((name, format.clone(), counts(5, 4, 2, &format)));
        }
    }
    cases
}

/// A W3C file of `blocks` header blocks (as IIS writes one at every restart), each naming
/// its columns in another order and with another count of them, each followed by `lines`
/// requests; returns it with its requests and distinct clients.
fn w3c_blocks(blocks: usize, lines: usize, prefix: &str) -> (String, u64, u64) {
    const LAYOUTS: [&str; 3] = [
        "date time c-ip cs-method",
        "date time cs-method cs-uri-stem c-ip",
        "c-ip date time s-ip cs-method sc-status",
    ];
    let mut text = String::new();
    let mut clients = BTreeSet::new();
    for b in 0..blocks {
        text.push_str(&prefixed(
            prefix,
            &format!(
                "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
                 #Date: 2021-03-22 10:00:00\n#Fields: {}\n",
                LAYOUTS[b % 3]
            ),
        ));
        for j in 0..lines {
            let client = format!("10.{b}.{}.1", j % 7);
            let line = match b % 3 {
                0 => format!("2021-03-22 10:01:02 {client} GET"),
                1 => format!("2021-03-22 10:01:02 GET /p/{j} {client}"),
                _ => format!("{client} 2021-03-22 10:01:02 10.0.0.1 GET 200"),
            };
            text.push_str(&format!("{prefix}{line}\n"));
            clients.insert(client);
        }
    }
    (text, (blocks * lines) as u64, clients.len() as u64)
}

/// The compression formats logs are rotated with.
#[derive(Clone, Copy, Debug)]
enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

const CODECS: [Codec; 4] = [Codec::Gzip, Codec::Bzip2, Codec::Xz, Codec::Zstd];

impl Codec {
    fn ext(self) -> &'static str {
        match self {
            Codec::Gzip => "gz",
            Codec::Bzip2 => "bz2",
            Codec::Xz => "xz",
            Codec::Zstd => "zst",
        }
    }

    /// `text` compressed as the usual tools do (zstd with its checksum, as `zstd` writes).
    fn compress(self, text: &[u8]) -> Vec<u8> {
        match self {
            Codec::Gzip => gzip(text),
            Codec::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Codec::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Codec::Zstd => {
                let mut e = zstd::Encoder::new(Vec::new(), 1).unwrap();
                e.include_checksum(true).unwrap();
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
        }
    }
}

/// A combined log of `n` requests from `n / 3` clients (and one fragment): big enough that
/// its compressed form has a middle to damage.
fn rotated_log(n: usize) -> (String, Value) {
    let mut text: String = (0..n)
        .map(|i| combined(&format!("10.{}.{}.9", i % 3, i / 9)))
        .collect();
    text.push_str(FRAGMENT);
    let ips: BTreeSet<String> = (0..n)
        .map(|i| format!("10.{}.{}.9", i % 3, i / 9))
        .collect();
    (text, counts(n as u64, ips.len() as u64, 1, "combined"))
}

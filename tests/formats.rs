//! Log formats, detection, malformed lines, compression and walk filters (docs/contract.md
//! §1–2), driven through the real binary: every check is an exact number (`total`, `ip`,
//! `malformed` and `format` per file, and the summary), never a loose assertion, and no run
//! may panic, whatever its input.

use crate::util::formats::{header, line, FORMATS};
use crate::util::{agreed, for_each_executor, gzip, json, key, logcount, output, output_ok};
use crate::util::{output_with_stdin, stderr, write};

use std::borrow::BorrowMut;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `logcount --json ARGS`.
fn lc<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Command {
    let mut cmd = logcount();
    cmd.arg("--json").args(args);
    cmd
}

/// Fails the test if the run panicked, whatever its exit status.
fn no_panic(out: Output) -> Output {
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "the run panicked:\n{err}");
    out
}

/// Runs `cmd` (a `Command` or `&mut Command`) to its end, whatever its exit status,
/// checking it did not panic.
fn run(mut cmd: impl BorrowMut<Command>) -> Output {
    no_panic(output(cmd.borrow_mut()))
}

/// The JSON report of `cmd`, which must exit 0.
fn report(mut cmd: impl BorrowMut<Command>) -> Value {
    json(&no_panic(output_ok(cmd.borrow_mut())))
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

// ---------------------------------------------------------------------------------------------
// 1. Formats, prefixes and where clients stand
// ---------------------------------------------------------------------------------------------

#[test]
fn every_format_and_prefix_is_detected_and_counts_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let cases = every_format(dir.path());
    let v = report(lc([dir.path()]));
    for (name, _, want) in &cases {
        assert_eq!(entry(&v, &key(dir.path(), name)), *want, "{name}");
    }
    let malformed: u64 = cases
        .iter()
        .map(|c| c.2["malformed"].as_u64().unwrap())
        .sum();
    // Every file has the same four clients: the union has four.
    assert_eq!(
        summary(&v),
        sums(cases.len(), 5 * cases.len() as u64, 4, malformed, 0, 0)
    );
}

#[test]
fn every_format_and_prefix_named_gives_what_auto_found() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format, want) in every_format(dir.path()) {
        let v = report(lc(["--log-format", &format, &key(dir.path(), &name)]));
        assert_eq!(entry(&v, &key(dir.path(), &name)), want, "{name}");
    }
}

#[test]
fn every_executor_agrees_on_every_format_cut_into_small_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let cases = every_format(dir.path());
    for_each_executor(|e| {
        let v = report(
            lc(e.jobs("3"))
                .args(["--chunk-size", "200"])
                .arg(dir.path()),
        );
        for (name, _, want) in &cases {
            assert_eq!(entry(&v, &key(dir.path(), name)), *want, "{name}");
        }
        let malformed = cases
            .iter()
            .map(|c| c.2["malformed"].as_u64().unwrap())
            .sum();
        assert_eq!(
            summary(&v),
            sums(cases.len(), 5 * cases.len() as u64, 4, malformed, 0, 0)
        );
    });
}

#[test]
fn an_x_forwarded_for_list_gives_its_first_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        combined("203.0.113.9, 10.0.0.1"),
        combined("203.0.113.9,10.0.0.2"),
        combined("198.51.100.1, 10.0.0.1, 10.0.0.2"),
        combined("10.0.0.1"),
        combined("2001:db8::1, 10.0.0.1"),
    ]
    .concat();
    write(dir.path(), "xff.log", text.as_bytes());
    write(
        dir.path(),
        "xff-cri.log",
        prefixed(PREFIXES[0].1, &text).as_bytes(),
    );
    let v = report(lc([dir.path()]));
    // 203.0.113.9, 198.51.100.1, 10.0.0.1, 2001:db8::1
    assert_eq!(
        entry(&v, &key(dir.path(), "xff.log")),
        counts(5, 4, 0, "combined")
    );
    assert_eq!(
        entry(&v, &key(dir.path(), "xff-cri.log")),
        counts(5, 4, 0, "cri+combined")
    );
    assert_eq!(summary(&v), sums(2, 10, 4, 0, 0, 0));
    // The teaching example's rule reads these lines alike.
    let v = report(lc(["--log-format", "classic", &key(dir.path(), "xff.log")]));
    assert_eq!(
        entry(&v, &key(dir.path(), "xff.log")),
        counts(5, 4, 0, "classic")
    );
}

#[test]
fn vhost_counts_its_second_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        format!("example.com:443 {}", combined("1.1.1.1")),
        format!("shop.example.com:80 {}", combined("1.1.1.1")),
        format!("example.com:443 {}", combined("2.2.2.2")),
        format!("example.com {}", combined("3.3.3.3")),
        format!("example.com:443 {}", combined("[2001:db8::1]")),
        format!("example.com:443 {}", combined("2001:db8::1")),
        format!("example.com:443 {}", combined("2.2.2.2, 10.0.0.1")),
    ]
    .concat();
    write(dir.path(), "vhost.log", text.as_bytes());
    let v = report(lc([dir.path()]));
    // 1.1.1.1, 2.2.2.2, 3.3.3.3, 2001:db8::1: never a virtual host.
    assert_eq!(
        entry(&v, &key(dir.path(), "vhost.log")),
        counts(7, 4, 0, "vhost")
    );
}

#[test]
fn json_clients_stand_anywhere_in_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        // nginx escape=json: the client last
        r#"{"time_local":"22/Mar/2021:10:01:02 +0800","request":"GET / HTTP/1.1","status":"200","remote_addr":"203.0.113.1"}"#,
        // client_ip is preferred over remote_addr wherever each stands
        r#"{"remote_addr":"10.0.0.1","status":200,"client_ip":"203.0.113.2"}"#,
        // Caddy: request.client_ip before request.remote_ip
        r#"{"level":"info","ts":1646861401.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.9","remote_port":"41342","client_ip":"203.0.113.3","proto":"HTTP/1.1","method":"GET","headers":{"User-Agent":["curl/7.82.0"]}},"status":200}"#,
        // older Caddy: request.remote_addr with a port
        r#"{"request":{"method":"GET","remote_addr":"[2001:db8::1]:50000"},"status":200}"#,
        // Traefik: ClientHost before ClientAddr
        r#"{"ClientAddr":"192.168.1.5:51234","ClientHost":"203.0.113.4","ClientPort":"51234","RequestMethod":"GET","DownstreamStatus":200}"#,
        // Traefik with only ClientAddr: its port comes off
        r#"{"RequestMethod":"GET","ClientAddr":"203.0.113.5:1234"}"#,
        // a field of that name nested elsewhere is not the client
        r#"{"upstream":{"remote_addr":"10.9.9.9"},"remote_addr":"203.0.113.1"}"#,
        // escapes are decoded
        r#"{"remote_addr":"203.0.113.\u0036"}"#,
        // no client field: malformed
        r#"{"level":"info","msg":"server started"}"#,
        // not JSON: malformed
        r#"{"remote_addr":"203.0.113.8""#,
    ];
    write(dir.path(), "app.json", (lines.join("\n") + "\n").as_bytes());
    let v = report(lc([dir.path()]));
    // .1 .2 .3 2001:db8::1 .4 .5 .6
    assert_eq!(
        entry(&v, &key(dir.path(), "app.json")),
        counts(8, 7, 2, "json")
    );
}

#[test]
fn client_field_names_the_one_field_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"remote_addr":"10.0.0.1","http":{"peer":{"ip":"198.51.100.4","port":1}}}"#,
        r#"{"client_ip":"10.0.0.2","http":{"peer":{"ip":"198.51.100.5"}}}"#,
        r#"{"remote_addr":"10.0.0.3","http":{"peer":{"addr":"198.51.100.6"}}}"#,
    ];
    let text = lines.join("\n") + "\n";
    write(dir.path(), "app.log", text.as_bytes());
    write(
        dir.path(),
        "app-cri.log",
        prefixed(PREFIXES[0].1, &text).as_bytes(),
    );
    let app = key(dir.path(), "app.log");
    let cri = key(dir.path(), "app-cri.log");
    let v = report(lc([&app]));
    assert_eq!(entry(&v, &app), counts(3, 3, 0, "json"));
    for (field, want) in [
        ("http.peer.ip", counts(2, 2, 1, "json")),
        // remote_addr only: the line with client_ip has no client
        ("remote_addr", counts(2, 2, 1, "json")),
        ("client_ip", counts(1, 1, 2, "json")),
    ] {
        let v = report(lc(["--client-field", field, &app]));
        assert_eq!(entry(&v, &app), want, "--client-field {field}");
        let v = report(lc(["--client-field", field, "--log-format", "json", &app]));
        assert_eq!(
            entry(&v, &app),
            want,
            "--client-field {field} --log-format json"
        );
        let mut prefixed_want = want.clone();
        prefixed_want["format"] = json!("cri+json");
        let v = report(lc([
            "--client-field",
            field,
            "--log-format",
            "cri+json",
            &cri,
        ]));
        assert_eq!(
            entry(&v, &cri),
            prefixed_want,
            "--client-field {field} cri+json"
        );
    }
    // Detection reads JSON lines by the field named: without it, these lines hold no client.
    write(
        dir.path(),
        "peer.log",
        b"{\"peer\":\"1.1.1.1\"}\n{\"peer\":\"1.1.1.2\"}\n",
    );
    let peer = key(dir.path(), "peer.log");
    let v = report(lc(["--client-field", "peer", &peer]));
    assert_eq!(entry(&v, &peer), counts(2, 2, 0, "json"));
    let out = run(lc([&peer]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(paths(&json(&out), "errors"), [peer]);
}

#[test]
fn ipv6_brackets_and_ports_come_off_and_addresses_compare_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let v6 = "2001:db8::1";
    // `[2001:db8::1]` is 2001:db8::1; `2001:DB8::1`, `::ffff:1.2.3.4` and `01.2.3.4` are
    // other clients than 2001:db8::1 and 1.2.3.4.
    let text = log_of(
        "combined",
        &[
            "[2001:db8::1]",
            v6,
            "1.2.3.4",
            "01.2.3.4",
            "2001:DB8::1",
            "::ffff:1.2.3.4",
        ],
    );
    write(dir.path(), "combined.log", text.as_bytes());
    // Load balancers and HAProxy write `ip:port`, IPv6 as `[2001:db8::1]:1024`.
    for format in ["alb", "elb", "haproxy"] {
        let text = log_of(format, &[v6, "1.2.3.4", "01.2.3.4", v6]);
        write(dir.path(), &format!("{format}.log"), text.as_bytes());
    }
    let lines = [
        r#"{"ClientAddr":"[2001:db8::1]:443"}"#,
        r#"{"remote_addr":"2001:db8::1"}"#,
        r#"{"remote_addr":"[2001:db8::1]"}"#,
        r#"{"ClientAddr":"1.2.3.4:80"}"#,
    ];
    write(dir.path(), "json.log", (lines.join("\n") + "\n").as_bytes());
    write(
        dir.path(),
        "w3c.log",
        log_of("w3c", &[v6, "01.2.3.4"]).as_bytes(),
    );
    write(
        dir.path(),
        "cloudfront.log",
        log_of("cloudfront", &[v6, "1.2.3.4"]).as_bytes(),
    );
    let v = report(lc([dir.path()]));
    let d = dir.path();
    assert_eq!(
        entry(&v, &key(d, "combined.log")),
        counts(6, 5, 0, "combined")
    );
    for format in ["alb", "elb", "haproxy"] {
        assert_eq!(
            entry(&v, &key(d, &format!("{format}.log"))),
            counts(4, 3, 0, format),
            "{format}"
        );
    }
    assert_eq!(entry(&v, &key(d, "json.log")), counts(4, 2, 0, "json"));
    assert_eq!(entry(&v, &key(d, "w3c.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(
        entry(&v, &key(d, "cloudfront.log")),
        counts(2, 2, 0, "cloudfront")
    );
    // The union: 2001:db8::1, 1.2.3.4, 01.2.3.4, 2001:DB8::1, ::ffff:1.2.3.4.
    assert_eq!(summary(&v), sums(7, 6 + 12 + 4 + 2 + 2, 5, 0, 0, 0));
}

#[test]
fn quoted_fields_hold_spaces_and_escaped_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = "[22/Mar/2021:10:01:02 +0800]";
    let combined_lines = [
        format!(
            r#"1.1.1.1 - - {t} "GET /search?q=a b HTTP/1.1" 200 5 "http://ref.example/ x" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"""#
        ),
        format!(r#"2.2.2.2 - - {t} "GET /a\"b HTTP/1.1" 200 5 "-" "ua""#),
        format!(r#"3.3.3.3 - - {t} "GET /ends-in-a-backslash\\" 200 5"#),
        format!(r#"4.4.4.4 - - {t} "" 400 0"#),
        // the closing quote is escaped: the request never ends
        format!(r#"5.5.5.5 - - {t} "GET /never-closed\" 200 5"#),
    ];
    write(
        d,
        "combined.log",
        (combined_lines.join("\n") + "\n").as_bytes(),
    );
    let alb = r#"https 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 6.6.6.6:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET https://example.com:443/a b HTTP/1.1" "Mozilla/5.0 (X11) \"x\"" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"#;
    write(d, "alb.log", format!("{alb}\n").as_bytes());
    let haproxy = r#"Feb  6 12:14:14 lb1 haproxy[14389]: 7.7.7.7:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu|Mozilla/5.0 (X11)} {} "GET /a b HTTP/1.1""#;
    write(d, "haproxy.log", format!("{haproxy}\n").as_bytes());
    let json_lines = [
        r#"{"request":"GET /a \"b\" c HTTP/1.1","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","remote_addr":"8.8.8.8"}"#,
        // a key with an escape is not the field it spells
        r#"{"remote\"addr":"9.9.9.9","remote_addr":"8.8.4.4"}"#,
    ];
    write(d, "json.log", (json_lines.join("\n") + "\n").as_bytes());
    let cloudfront = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(User-Agent)\n\
        2019-12-04\t21:02:31\tLAX1\t392\t9.9.9.9\tGET\tMozilla/5.0 (X11; Linux x86_64)\n";
    write(d, "cloudfront.log", cloudfront.as_bytes());
    // IIS writes `+` for a space; a bare space makes one column too many.
    let w3c = format!(
        "{}2021-03-22 10:01:02 10.0.0.1 GET / 1.1.1.1 Mozilla/5.0+(X11;+Linux) 200\n\
         2021-03-22 10:01:02 10.0.0.1 GET / 2.2.2.2 Mozilla/5.0 (X11) 200\n",
        IIS_SHORT
    );
    write(d, "w3c.log", w3c.as_bytes());
    let v = report(lc([d]));
    assert_eq!(
        entry(&v, &key(d, "combined.log")),
        counts(4, 4, 1, "combined")
    );
    assert_eq!(entry(&v, &key(d, "alb.log")), counts(1, 1, 0, "alb"));
    assert_eq!(
        entry(&v, &key(d, "haproxy.log")),
        counts(1, 1, 0, "haproxy")
    );
    assert_eq!(entry(&v, &key(d, "json.log")), counts(2, 2, 0, "json"));
    assert_eq!(
        entry(&v, &key(d, "cloudfront.log")),
        counts(1, 1, 0, "cloudfront")
    );
    assert_eq!(entry(&v, &key(d, "w3c.log")), counts(1, 1, 1, "w3c"));
}

#[test]
fn w3c_and_cloudfront_directives_are_neither_requests_nor_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w3c = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 10:00:00\n#Start-Date: 2021-03-22 10:00:00\n\
        #Fields: date time s-ip cs-method cs-uri-stem c-ip sc-status\n\
        2021-03-22 10:01:02 10.0.0.1 GET / 203.0.113.9 200\n#Remark: a restart follows\n\
        2021-03-22 10:01:03 10.0.0.1 GET / 203.0.113.10 200\n#End-Date: 2021-03-22 11:00:00\n";
    write(d, "u_ex210322.log", w3c.as_bytes());
    let cloudfront = format!(
        "{}2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\n\
         2019-12-04\t21:02:32\tLAX1\t392\t192.0.2.101\tGET\td111111abcdef8.cloudfront.net\n",
        header("cloudfront")
    );
    write(d, "E2EXAMPLE.2019-12-04-21.log", cloudfront.as_bytes());
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "u_ex210322.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(
        entry(&v, &key(d, "E2EXAMPLE.2019-12-04-21.log")),
        counts(2, 2, 0, "cloudfront")
    );
    assert_eq!(summary(&v), sums(2, 4, 4, 0, 0, 0));
}

#[test]
fn every_hash_line_of_a_w3c_log_is_a_directive_but_only_known_ones_make_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Comments and another server's directives are neither requests nor malformed.
    let w3c = "#Software: IIS\n#Fields: date time c-ip\n# rotated by a script\n\
        2021-03-22 10:01:02 203.0.113.9\n#X-Custom: 1\n2021-03-22 10:01:03 203.0.113.10\n";
    write(d, "u_ex.log", w3c.as_bytes());
    let cloudfront = format!(
        "{}#Software: something else\n2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\tx\n",
        header("cloudfront")
    );
    write(d, "cf.log", cloudfront.as_bytes());
    // A #Fields: without c-ip leaves no client: the lines after it are malformed.
    let no_client = "#Fields: date time c-ip\n2021-03-22 10:01:02 203.0.113.9\n\
        #Fields: date time cs-method\n2021-03-22 10:01:02 GET\n2021-03-22 10:01:03 GET\n";
    write(d, "no_client.log", no_client.as_bytes());
    // A file of comments is no W3C log.
    write(
        d,
        "settings.conf",
        "# a setting\n# another\nkey = value\n".repeat(5).as_bytes(),
    );
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "u_ex.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "cf.log")), counts(1, 1, 0, "cloudfront"));
    assert_eq!(entry(&v, &key(d, "no_client.log")), counts(1, 1, 2, "w3c"));
    assert_eq!(v["skipped"][0]["path"], key(d, "settings.conf"));
    assert_eq!(
        summary(&v),
        sums(3, 4, 3, 2, 0, 1),
        "203.0.113.9 is in two files"
    );
}

#[test]
fn w3c_columns_follow_the_fields_directive_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = "#Version: 1.0\n#Fields: c-ip date time cs-method sc-status\n\
        10.0.0.1 2021-03-22 10:01:02 GET 200\n10.0.0.2 2021-03-22 10:01:02 GET 200\n";
    write(d, "ip-first.log", first.as_bytes());
    let last = "#Version: 1.0\n#Fields: date time cs-method cs-uri-stem sc-status c-ip\n\
        2021-03-22 10:01:02 GET / 200 10.0.0.1\n2021-03-22 10:01:02 GET / 200 10.0.0.3\n";
    write(d, "ip-last.log", last.as_bytes());
    // IIS restarted mid-file: a second header block with other columns. A line still in the
    // old layout after it has too few columns: malformed.
    let restart = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 10:00:00\n#Fields: date time c-ip cs-method sc-status\n\
        2021-03-22 10:01:02 10.1.0.1 GET 200\n2021-03-22 10:01:02 10.1.0.2 GET 200\n\
        #Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 11:00:00\n#Fields: date time cs-method cs-uri-stem sc-status c-ip cs(User-Agent)\n\
        2021-03-22 11:00:00 GET / 200 10.1.0.3 curl/8.5.0\n\
        2021-03-22 11:00:01 GET / 200 10.1.0.1 curl/8.5.0\n\
        2021-03-22 11:00:02 10.1.0.9 GET 200\n";
    write(d, "restart.log", restart.as_bytes());
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "ip-first.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "ip-last.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "restart.log")), counts(4, 3, 1, "w3c"));
    assert_eq!(summary(&v), sums(3, 8, 6, 1, 0, 0));
}

#[test]
fn a_big_w3c_file_cut_into_small_jobs_uses_the_fields_in_force_at_each_start() {
    let dir = tempfile::tempdir().unwrap();
    let (text, total, ips) = w3c_blocks(30, 40, "");
    assert!(
        text.len() > 40 << 10,
        "{} bytes: cut into many jobs",
        text.len()
    );
    write(dir.path(), "u_ex.log", text.as_bytes());
    let path = key(dir.path(), "u_ex.log");
    let want = counts(total, ips, 0, "w3c");
    assert_eq!(entry(&report(lc([&path])), &path), want, "whole");
    for_each_executor(|e| {
        for chunk in ["1K", "333"] {
            let v = report(lc(e.jobs("3")).args(["--chunk-size", chunk, &path]));
            assert_eq!(entry(&v, &path), want, "--chunk-size {chunk}");
        }
    });
}

#[test]
fn a_big_prefixed_w3c_file_cut_into_small_jobs_uses_the_fields_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let (text, total, ips) = w3c_blocks(30, 40, PREFIXES[0].1);
    write(dir.path(), "w3c.log", text.as_bytes());
    let path = key(dir.path(), "w3c.log");
    let want = counts(total, ips, 0, "cri+w3c");
    assert_eq!(entry(&report(lc([&path])), &path), want, "whole");
    // CloudFront behind a prefix, its columns not in the standard order.
    let mut cloudfront = prefixed(
        PREFIXES[2].1,
        "#Version: 1.0\n#Fields: date time x-edge-location c-ip cs-method sc-bytes\n",
    );
    for i in 0..300 {
        let line = format!("2019-12-04\t21:02:31\tLAX1\t192.0.2.{}\tGET\t{i}", i % 50);
        cloudfront.push_str(&format!("{}{line}\n", PREFIXES[2].1));
    }
    write(dir.path(), "cloudfront.log", cloudfront.as_bytes());
    let cf = key(dir.path(), "cloudfront.log");
    let cf_want = counts(300, 50, 0, "syslog+cloudfront");
    assert_eq!(entry(&report(lc([&cf])), &cf), cf_want, "whole");
    for_each_executor(|e| {
        let v = report(lc(e.jobs("3")).args(["--chunk-size", "1K", &path, &cf]));
        assert_eq!(entry(&v, &path), want);
        assert_eq!(entry(&v, &cf), cf_want);
    });
}

// ---------------------------------------------------------------------------------------------
// 2. Detection
// ---------------------------------------------------------------------------------------------

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
    let out = run(lc([d]));
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
    let out = run(lc([d.as_os_str(), "--quiet".as_ref()]));
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
        let out = run(lc([key(d, bad), key(d, "combined.log")]));
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
    let out = run(lc([d]));
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
    let out = run(lc([dir.path()]));
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
        let out = run(lc(args).arg(&log));
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
        let out = run(lc(args).arg(&log));
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
    let out = run(lc([d]));
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

// ---------------------------------------------------------------------------------------------
// 3. Malformed lines
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_lines_are_counted_per_file_and_summed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut a = Vec::new();
    a.extend_from_slice(combined("1.1.1.1").replace('\n', "\r\n").as_bytes()); // request, CRLF
    a.extend_from_slice(b"\r\n \t\x0b\x0c\r\n"); // two blank lines
    a.extend_from_slice(FRAGMENT.as_bytes()); // malformed
    a.extend_from_slice(b"\xff\xfe not a request\n"); // malformed
    a.extend_from_slice(b"\x00\x00\x00\n"); // malformed
                                            // Only one \r comes off: the other ends the byte count, which is then no number.
    a.extend_from_slice(combined("2.2.2.2").replace('\n', "\r\r\n").as_bytes());
    a.extend_from_slice(combined("3.3.3.3").trim_end().as_bytes()); // no final newline
    write(d, "a.log", &a);
    let b = [
        r#"{"remote_addr":"1.1.1.1"}"#,
        r#"{"remote_addr":"4.4.4.4"}"#,
        r#"{"msg":"no client here"}"#,
        r#"{"remote_addr":"#,
        "",
        r#"{"remote_addr":"5.5.5.5"}"#,
    ];
    write(d, "b.log", (b.join("\n") + "\n").as_bytes());
    let c = format!(
        "{}2021-03-22 10:01:02 10.0.0.1 GET / 6.6.6.6 ua 200\n\
         2021-03-22 10:01:02 10.0.0.1 GET / 1.1.1.1 ua\n\
         22/03/2021 10:01:02 10.0.0.1 GET / 1.1.1.1 ua 200\n\
         2021-03-22 10:01:03 10.0.0.1 GET / 1.1.1.1 ua 200\n",
        IIS_SHORT
    );
    write(d, "c.log", c.as_bytes());
    let want_a = counts(2, 2, 4, "combined");
    let want_b = counts(3, 3, 2, "json");
    let want_c = counts(2, 2, 2, "w3c");
    // The union: 1.1.1.1, 3.3.3.3, 4.4.4.4, 5.5.5.5, 6.6.6.6.
    let want = sums(3, 7, 5, 8, 0, 0);
    for_each_executor(|e| {
        for chunk in [&[][..], &["--chunk-size", "16"]] {
            let v = report(lc(e.jobs("3")).args(chunk).arg(d));
            assert_eq!(entry(&v, &key(d, "a.log")), want_a, "{chunk:?}");
            assert_eq!(entry(&v, &key(d, "b.log")), want_b, "{chunk:?}");
            assert_eq!(entry(&v, &key(d, "c.log")), want_c, "{chunk:?}");
            assert_eq!(summary(&v), want, "{chunk:?}");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Compression
// ---------------------------------------------------------------------------------------------

#[test]
fn every_codec_is_recognised_by_content_in_files_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = format!("{}garbage\n", log_of("combined", CLIENTS));
    let more = log_of("combined", &["192.0.2.1", "192.0.2.2", "10.0.0.1"]);
    let w3c = log_of("w3c", CLIENTS);
    let mut names = Vec::new();
    for codec in CODECS {
        let ext = codec.ext();
        let one = codec.compress(text.as_bytes());
        write(d, &format!("access.log.{ext}"), &one);
        // A name that says nothing of the compression.
        write(d, &format!("{ext}-inside.log"), &one);
        // Several members, streams or frames, one after another.
        let mut two = one.clone();
        two.extend(codec.compress(more.as_bytes()));
        write(d, &format!("multi.log.{ext}"), &two);
        write(
            d,
            &format!("u_ex.log.{ext}"),
            &codec.compress(w3c.as_bytes()),
        );
        names.push(ext);
    }
    let v = report(lc([d]));
    for ext in &names {
        let c = counts(5, 4, 1, "combined");
        assert_eq!(entry(&v, &key(d, &format!("access.log.{ext}"))), c, "{ext}");
        assert_eq!(entry(&v, &key(d, &format!("{ext}-inside.log"))), c, "{ext}");
        assert_eq!(
            entry(&v, &key(d, &format!("multi.log.{ext}"))),
            counts(8, 6, 1, "combined"),
            "{ext}"
        );
        assert_eq!(
            entry(&v, &key(d, &format!("u_ex.log.{ext}"))),
            counts(5, 4, 0, "w3c"),
            "{ext}"
        );
    }
    assert_eq!(summary(&v), sums(16, 4 * (5 + 5 + 8 + 5), 6, 4 * 3, 0, 0));
    // Every executor alike.
    for_each_executor(|e| {
        let other = report(lc(e.jobs("2")).arg(d));
        assert_eq!(agreed(&other), agreed(&v));
    });
}

#[test]
fn every_codec_is_recognised_on_standard_input() {
    let text = format!("{}garbage\n", log_of("combined", CLIENTS));
    let more = log_of("combined", &["192.0.2.1"]);
    let mut inputs = vec![(
        "plain",
        text.as_bytes().to_vec(),
        counts(5, 4, 1, "combined"),
    )];
    for codec in CODECS {
        inputs.push((
            "one",
            codec.compress(text.as_bytes()),
            counts(5, 4, 1, "combined"),
        ));
        let mut two = codec.compress(text.as_bytes());
        two.extend(codec.compress(more.as_bytes()));
        inputs.push(("two", two, counts(6, 5, 1, "combined")));
    }
    for (what, bytes, want) in inputs {
        let out = no_panic(output_with_stdin(&mut lc(["-"]), &bytes));
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert_eq!(entry(&json(&out), "-"), want, "{what}");
    }
}

#[test]
fn a_gz_name_over_other_bytes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = log_of("combined", CLIENTS);
    write(d, "good.log", text.as_bytes());
    write(d, "plain.log.gz", text.as_bytes());
    write(d, "zstd.log.gz", &Codec::Zstd.compress(text.as_bytes()));
    write(d, "bzip2.log.gz", &Codec::Bzip2.compress(text.as_bytes()));
    let bad = ["bzip2.log.gz", "plain.log.gz", "zstd.log.gz"].map(|n| key(d, n));
    for_each_executor(|e| {
        let out = run(lc(e.jobs("2")).arg(d));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(file_keys(&v), [key(d, "good.log")]);
        assert_eq!(entry(&v, &key(d, "good.log")), counts(5, 4, 0, "combined"));
        assert_eq!(paths(&v, "errors"), bad);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 3, "{err}");
        for path in &bad {
            assert!(
                err.lines().any(|l| l.contains(path.as_str())),
                "{path}: {err}"
            );
        }
        assert_eq!(summary(&v), sums(1, 5, 4, 0, 3, 0));
    });
}

#[test]
fn only_a_gz_name_is_held_to_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = log_of("combined", CLIENTS);
    write(d, "gzip.log.zst", &gzip(text.as_bytes()));
    write(d, "plain.log.bz2", text.as_bytes());
    write(d, "plain.log.xz", text.as_bytes());
    write(d, "zstd.log.xz", &Codec::Zstd.compress(text.as_bytes()));
    let v = report(lc([d]));
    for name in [
        "gzip.log.zst",
        "plain.log.bz2",
        "plain.log.xz",
        "zstd.log.xz",
    ] {
        assert_eq!(
            entry(&v, &key(d, name)),
            counts(5, 4, 0, "combined"),
            "{name}"
        );
    }
}

#[test]
fn corrupt_or_truncated_compressed_data_is_a_one_line_error_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (text, want) = rotated_log(3000);
    write(d, "good.log", text.as_bytes());
    let mut bad = Vec::new();
    for codec in CODECS {
        let ext = codec.ext();
        let whole = codec.compress(text.as_bytes());
        assert!(whole.len() > 200, "{ext}: {} bytes", whole.len());
        write(d, &format!("cut.log.{ext}"), &whole[..whole.len() / 2]);
        write(d, &format!("cut-end.log.{ext}"), &whole[..whole.len() - 4]);
        let mut flipped = whole.clone();
        let mid = flipped.len() / 2;
        for b in &mut flipped[mid..mid + 8] {
            *b ^= 0x5a;
        }
        write(d, &format!("flipped.log.{ext}"), &flipped);
        // A member that ends early after a whole one.
        let mut tail = whole.clone();
        tail.extend_from_slice(&whole[..whole.len() / 3]);
        write(d, &format!("two.log.{ext}"), &tail);
        for name in ["cut", "cut-end", "flipped", "two"] {
            bad.push(key(d, &format!("{name}.log.{ext}")));
        }
    }
    bad.sort();
    for_each_executor(|e| {
        let out = run(lc(e.jobs("3")).arg(d));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        // Nothing half-counted: the damaged files have no entry.
        assert_eq!(file_keys(&v), [key(d, "good.log")]);
        assert_eq!(entry(&v, &key(d, "good.log")), want);
        assert_eq!(paths(&v, "errors"), bad);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), bad.len(), "{err}");
        for path in &bad {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("logcount: ") && l.contains(path.as_str())),
                "{path}: {err}"
            );
        }
    });
    // On standard input too.
    for codec in CODECS {
        let whole = codec.compress(text.as_bytes());
        let out = no_panic(output_with_stdin(&mut lc(["-"]), &whole[..whole.len() / 2]));
        assert_eq!(out.status.code(), Some(1), "{codec:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(paths(&v, "errors"), ["-"], "{codec:?}");
        assert_eq!(v["files"], json!({}), "{codec:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. --glob and --exclude
// ---------------------------------------------------------------------------------------------

/// A log tree: nginx's (with a rotated gzip and an error log), apache's (with an old one),
/// and hidden entries that walks never enter.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "nginx/access.log",
        [combined("10.0.0.1"), combined("10.0.0.2")]
            .concat()
            .as_bytes(),
    );
    write(
        d,
        "nginx/access.log.1.gz",
        &gzip(combined("10.0.0.3").as_bytes()),
    );
    write(d, "nginx/error.log", ERROR_LINE.as_bytes());
    write(d, "apache/access_log", combined("10.0.0.4").as_bytes());
    write(
        d,
        "apache/old/access.log.2",
        combined("10.0.0.5").as_bytes(),
    );
    write(d, ".hidden/access.log", combined("10.9.9.9").as_bytes());
    write(d, "nginx/.access.log.swp", combined("10.9.9.8").as_bytes());
    dir
}

/// The files and skipped files of a walk of `dir` with `args`, relative to `dir`.
fn walked(dir: &Path, args: &[&str]) -> (Vec<String>, Vec<String>, u64) {
    let v = report(lc(args).arg(dir));
    let rel = |p: String| p.strip_prefix(&key(dir, "")).unwrap().to_string();
    let files = file_keys(&v).into_iter().map(rel).collect();
    let skipped = paths(&v, "skipped").into_iter().map(rel).collect();
    (files, skipped, v["summary"]["ip"].as_u64().unwrap())
}

#[test]
fn glob_and_exclude_choose_the_files_of_a_walk() {
    let dir = tree();
    let d = dir.path();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let all = s(&[
        "apache/access_log",
        "apache/old/access.log.2",
        "nginx/access.log",
        "nginx/access.log.1.gz",
    ]);
    assert_eq!(walked(d, &[]), (all, s(&["nginx/error.log"]), 5));
    assert_eq!(
        walked(d, &["--glob", "*.log"]),
        (s(&["nginx/access.log"]), s(&["nginx/error.log"]), 2)
    );
    assert_eq!(
        walked(d, &["--glob", "*.log", "-g", "*.gz"]),
        (
            s(&["nginx/access.log", "nginx/access.log.1.gz"]),
            s(&["nginx/error.log"]),
            3
        )
    );
    assert_eq!(
        walked(d, &["--exclude", "*.gz", "--exclude", "error.log"]),
        (
            s(&[
                "apache/access_log",
                "apache/old/access.log.2",
                "nginx/access.log"
            ]),
            vec![],
            4
        )
    );
    // A glob with a `/` matches the path below the walked directory.
    assert_eq!(
        walked(d, &["--glob", "nginx/**"]),
        (
            s(&["nginx/access.log", "nginx/access.log.1.gz"]),
            s(&["nginx/error.log"]),
            3
        )
    );
    assert_eq!(
        walked(d, &["--glob", "access*", "--exclude", "apache/old/*"]),
        (
            s(&[
                "apache/access_log",
                "nginx/access.log",
                "nginx/access.log.1.gz"
            ]),
            vec![],
            4
        )
    );
    // Hidden entries stay out even when a glob matches them.
    assert_eq!(
        walked(d, &["--glob", "*access.log*"]),
        (
            s(&[
                "apache/old/access.log.2",
                "nginx/access.log",
                "nginx/access.log.1.gz"
            ]),
            vec![],
            4
        )
    );
    // Files named on the command line are kept whatever the filters.
    let v =
        report(lc(["--glob", "*.gz", "--exclude", "access_log"]).arg(d.join("apache/access_log")));
    assert_eq!(
        entry(&v, &key(d, "apache/access_log")),
        counts(1, 1, 0, "combined")
    );
    // A bad glob is bad usage.
    let out = run(lc(["--glob", "a[b"]).arg(d));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // `!` negates, as in ripgrep (it matched no file, silently, before: issue 27).
    assert_eq!(
        walked(d, &["-g", "!*.gz", "-g", "!error.log"]),
        walked(d, &["--exclude", "*.gz", "--exclude", "error.log"])
    );
    // An empty glob, or `!` alone, would count nothing: bad usage, one line.
    for glob in [&["-g", ""][..], &["-g", "!"], &["--exclude", ""]] {
        let out = run(lc(glob).arg(d));
        assert_eq!(out.status.code(), Some(2), "{glob:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

#[test]
fn exclude_with_a_directory_name_leaves_out_what_is_below_it() {
    let dir = tree();
    let d = dir.path();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let rest = (
        s(&[
            "apache/access_log",
            "nginx/access.log",
            "nginx/access.log.1.gz",
        ]),
        s(&["nginx/error.log"]),
        4,
    );
    assert_eq!(walked(d, &["--exclude", "old"]), rest);
    assert_eq!(walked(d, &["--exclude", "old/"]), rest);
}

// ---------------------------------------------------------------------------------------------
// 6. Bad input never panics
// ---------------------------------------------------------------------------------------------

/// Bytes no log holds, and lines that start like each format and break off.
fn nasty_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    write(d, "random.bin", &random);
    let mut nul = vec![0u8; 5000];
    nul[1000] = b'\n';
    nul[3000] = b'\n';
    write(d, "nul.log", &nul);
    let long = format!(
        "1.1.1.1 - - [{}\n{}",
        "x".repeat(200_000),
        combined("1.1.1.1")
    );
    write(d, "long.log", long.as_bytes());
    let deep = format!(
        "{}\n{}\n{{\"remote_addr\":[{}]}}\n",
        "{\"a\":".repeat(10_000),
        "[".repeat(10_000),
        "[".repeat(5000)
    );
    write(d, "deep.json", deep.as_bytes());
    write(
        d,
        "fields.log",
        b"#Fields:\n#Fields: date\n#Fields: c-ip\n\n1.1.1.1\n#Fields: date time c-ip\n2021-03-22 10:01:02\n#\n#Fields: c-ip c-ip c-ip\n1 2 3\n",
    );
    write(d, "cr.log", b"\r\r\r\n\r\n\r");
    write(
        d,
        "quotes.log",
        b"\"\n[\n]\n\\\n\"\\\n1.1.1.1 - - [\n1.1.1.1 - - [x] \"\\\n1.1.1.1 - - [x] \"\\\"\n, , , - -\n,\n - -\n",
    );
    write(
        d,
        "syslog.log",
        "<999999999999>\n<1>1 \n<1>1 - - - - - [\n<1>1 2003-10-11T22:14:15.003Z h a p m [x\\]\n\
         Dec  1 19:32:10 h t: \nDec  1 19:32:10 h t[: x\n2023-10-06T00:17:09.6Z stdout F \n\
         2023-10-06T00:17:09.Z stdout F x\n2023-10-06T00:17:09Z stdout P\n"
            .as_bytes(),
    );
    write(
        d,
        "json.log",
        "{\"remote_addr\":\"\\u\"}\n{\"remote_addr\":\"\\ud800\"}\n{\"remote_addr\":\"\\ud800\\udc00\"}\n\
         {\"remote_addr\":\"\\\n{\"remote_addr\":\"\\uD83D\\uDE00\"}\n{\"remote_addr\":-}\n{\"request\":{\"client_ip\":{}}}\n\
         {\"ClientAddr\":\":\"}\n{\"ClientAddr\":\"[]:1\"}\n{\"ClientAddr\":\"[\"}\n"
            .as_bytes(),
    );
    write(
        d,
        "lb.log",
        "h2 2018-07-02T22:23:00Z x [::1]:1 - -1 -1 -1 460 - 34 0 \"\n\
         http 2018-07-02T22:23:00Z x :1 a b c d e f g h \"\" x\n\
         2015-05-13T23:39:43.945958Z lb []: b c d e f g h i \"\"\n\
         ]: ]: ]: \n1.1.1.1: [x] a b/c 1 200 1\n:1 [x] a b/ 0 -1 +1\n\
         [::1]:1 [] a b/c 1/2 200 +\n"
            .as_bytes(),
    );
    let mut utf8 = "\u{202e}1.1.1.1 - - [x] \"GET /é\" 200 1\n"
        .as_bytes()
        .to_vec();
    utf8.extend_from_slice(b"\xc3 - - [x] \"\xe2\x82\" 200 1\n\xf0\x9f\x98\n");
    write(d, "utf8.log", &utf8);
    dir
}

#[test]
fn bad_input_never_panics_in_any_format() {
    let dir = nasty_dir();
    let d = dir.path();
    let files = std::fs::read_dir(d).unwrap().count();
    let mut formats = vec!["auto", "classic"];
    formats.extend(BODIES);
    formats.extend([
        "haproxy",
        "cri+w3c",
        "syslog+cloudfront",
        "cri+json",
        "syslog+haproxy",
    ]);
    for format in formats {
        let out = run(lc([
            "--log-format",
            format,
            "-e",
            "threads",
            "-j",
            "3",
            "--chunk-size",
            "100",
        ])
        .arg(d));
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let v = json(&out);
        let seen =
            v["summary"]["files"].as_u64().unwrap() + v["summary"]["skipped"].as_u64().unwrap();
        assert_eq!(seen as usize, files, "{format}");
        if format != "auto" {
            assert_eq!(v["skipped"], json!([]), "{format}");
        }
    }
    // Every executor agrees with serial on what auto makes of it.
    let want = report(lc(["-e", "serial"]).arg(d));
    for_each_executor(|e| {
        let v = report(lc(e.jobs("3")).args(["--chunk-size", "1K"]).arg(d));
        assert_eq!(agreed(&v), agreed(&want));
        assert_eq!(v["skipped"], want["skipped"]);
    });
    // And on standard input, compressed or not.
    let random = std::fs::read(d.join("random.bin")).unwrap();
    for bytes in [random.clone(), gzip(&random), Codec::Zstd.compress(&random)] {
        for format in ["auto", "classic", "json", "cri+w3c"] {
            let out = no_panic(output_with_stdin(
                &mut lc(["--log-format", format, "-"]),
                &bytes,
            ));
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{format}: {}",
                stderr(&out)
            );
            json(&out);
        }
    }
}

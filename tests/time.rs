//! Periods, windows and top clients (docs/contract.md §5) against a plain reference: random
//! logs over several days, in several formats and UTC offsets (`+0530`, `-0700`, ...), with
//! requests whose time cannot be read and lines that are not requests, counted by every
//! executor with random `-j` and chunk sizes (so a day's lines fall in several chunks) and
//! through `partial` + `merge`; each must report exactly what the reference computes from the
//! times the generator wrote.

use crate::util;
use crate::util::stderr;
use crate::util::ExecutorArgs;
use crate::util::{executor, json, logcount, output, output_ok, parallel_executors, report_over};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proptest::prelude::*;
use serde_json::{json, Value};

/// 2021-03-20T00:00:00Z: the logs cover the four days from there.
const BASE: i64 = 1_616_198_400;
const SPAN: i64 = 4 * 86_400;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// (year, month 1..=12, day, hour, minute, second) of seconds since the epoch, by counting
/// years and months (not the library's arithmetic).
fn civil(t: i64) -> (i64, usize, i64, i64, i64, i64) {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let (mut days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let mut year = 1970;
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let mut month = 0;
    loop {
        let len = match month {
            1 if leap(year) => 29,
            1 => 28,
            3 | 5 | 8 | 10 => 30,
            _ => 31,
        };
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    (
        year,
        month + 1,
        days + 1,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// `+0530` as NCSA writes an offset of `minutes`, or `+05:30` with `colon`.
fn offset_text(minutes: i64, colon: bool) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", m / 60, m % 60)
}

/// One request as the generator means it: its client, its UTC time, and whether its time is
/// written broken (the line is then malformed under any time option).
#[derive(Clone, Debug)]
struct Request {
    client: String,
    utc: i64,
    broken: bool,
}

/// A log: its format, the UTC offset its server writes, its requests and some lines that are
/// no requests at all.
#[derive(Clone, Debug)]
struct Log {
    format: &'static str,
    offset_minutes: i64,
    requests: Vec<Request>,
    junk: Vec<usize>,
}

impl Log {
    fn line(&self, r: &Request, i: usize) -> String {
        let (y, mo, d, h, mi, s) = civil(r.utc + self.offset_minutes * 60);
        // A broken time: a day no month has (or month 13), every other field as usual.
        let day = if r.broken { 32 } else { d };
        let month = if r.broken { 13 } else { mo };
        let client = &r.client;
        match self.format {
            "combined" => format!(
                "{client} - - [{day:02}/{}/{y}:{h:02}:{mi:02}:{s:02} {}] \"GET /p/{i} HTTP/1.1\" 200 {i}",
                if r.broken { "Foo" } else { MONTHS[mo - 1] },
                offset_text(self.offset_minutes, false)
            ),
            "json" => format!(
                "{{\"time\":\"{y}-{month:02}-{day:02}T{h:02}:{mi:02}:{s:02}{}\",\"remote_addr\":\"{client}\",\"status\":200}}",
                offset_text(self.offset_minutes, true)
            ),
            "elb" => format!(
                "{y}-{month:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{:06}Z my-lb {client}:{} 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 {i} \"GET http://example.com:80/p/{i} HTTP/1.1\" \"curl/7.38.0\" - -",
                i % 1_000_000,
                1024 + i % 60_000
            ),
            "ssl_request" => format!(
                "[{day:02}/{}/{y}:{h:02}:{mi:02}:{s:02} {}] {client} TLSv1.3 TLS_AES_256_GCM_SHA384 \"GET /p/{i} HTTP/1.1\" {i}",
                if r.broken { "Foo" } else { MONTHS[mo - 1] },
                offset_text(self.offset_minutes, false)
            ),
            "envoy" => format!(
                "[{y}-{month:02}-{day:02}T{h:02}:{mi:02}:{s:02}.{:03}Z] \"GET /p/{i} HTTP/1.1\" 200 - 0 {i} 3 2 \"{client}\" \"curl/8\" \"id-{i}\" \"example.com\" \"10.0.2.1:80\"",
                i % 1000
            ),
            // Unix seconds; a broken one has digits no count of reads (12)
            "squid" => format!(
                "{}.{:03} {:>6} {client} TCP_MISS/200 {i} GET http://example.com/p/{i} - HIER_DIRECT/93.184.216.34 text/html",
                if r.broken { format!("{:012}", r.utc) } else { r.utc.to_string() },
                i % 1000,
                i * 7
            ),
            other => unreachable!("{other}"),
        }
    }

    /// The file: requests in order, junk lines where `junk` says.
    fn bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for (i, r) in self.requests.iter().enumerate() {
            if self.junk.contains(&i) {
                out.push_str("a stray line that is no request\n");
            }
            out.push_str(&self.line(r, i));
            out.push('\n');
        }
        out.into_bytes()
    }
}

fn log() -> impl Strategy<Value = Log> {
    let format = prop_oneof![
        3 => Just("combined"),
        1 => Just("json"),
        1 => Just("elb"),
        1 => Just("ssl_request"),
        1 => Just("envoy"),
        1 => Just("squid"),
    ];
    let offset = prop_oneof![
        Just(0i64),
        Just(330),
        Just(-420),
        Just(480),
        Just(-210),
        Just(840)
    ];
    let request =
        (0usize..12, 0..SPAN, proptest::bool::weighted(0.05)).prop_map(|(client, at, broken)| {
            Request {
                client: match client {
                    10 => "2001:db8::1".into(),
                    11 => "a-client-longer-than-fifteen".into(),
                    n => format!("10.0.0.{n}"),
                },
                utc: BASE + at,
                broken,
            }
        });
    (
        format,
        offset,
        proptest::collection::vec(request, 20..120),
        proptest::collection::vec(0usize..120, 0..3),
    )
        .prop_map(|(format, offset, mut requests, junk)| {
            // Logs are written in time order, mostly: sorted, then a few swapped.
            requests.sort_by_key(|r| r.utc);
            if requests.len() > 4 {
                requests.swap(1, 3);
            }
            // these write UTC only
            let utc_only = ["elb", "envoy", "squid"].contains(&format);
            let offset_minutes = if utc_only { 0 } else { offset };
            Log {
                format,
                offset_minutes,
                requests,
                junk,
            }
        })
}

/// The options of one run.
#[derive(Clone, Debug)]
struct Ask {
    by: Option<&'static str>,
    utc: bool,
    since: Option<i64>,
    until: Option<i64>,
    top: Option<usize>,
}

fn ask() -> impl Strategy<Value = Ask> {
    (
        prop_oneof![Just(None), Just(Some("day")), Just(Some("hour"))],
        any::<bool>(),
        proptest::option::of(0..SPAN),
        proptest::option::of(0..SPAN),
        proptest::option::of(1usize..6),
    )
        .prop_map(|(by, utc, since, until, top)| {
            let (since, until) = match (since, until) {
                (Some(a), Some(b)) if a >= b => (Some(b), Some(a + 1)),
                other => other,
            };
            Ask {
                by: by.or(Some("day")).filter(|_| by.is_some() || top.is_none()),
                utc: utc && by.is_some(),
                since: since.map(|s| BASE + s),
                until: until.map(|u| BASE + u),
                top,
            }
        })
}

/// `2021-03-22T10:01:02Z`.
fn iso(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

impl Ask {
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(by) = self.by {
            args.extend(["--by".into(), by.into()]);
        }
        if self.utc {
            args.push("--utc".into());
        }
        if let Some(s) = self.since {
            args.extend(["--since".into(), iso(s)]);
        }
        if let Some(u) = self.until {
            args.extend(["--until".into(), iso(u)]);
        }
        if let Some(n) = self.top {
            args.extend(["--top".into(), n.to_string()]);
        }
        args
    }

    fn timed(&self) -> bool {
        self.by.is_some() || self.since.is_some() || self.until.is_some()
    }

    fn period(&self, log: &Log, utc: i64) -> Option<String> {
        let t = if self.utc {
            utc
        } else {
            utc + log.offset_minutes * 60
        };
        let (y, mo, d, h, _, _) = civil(t);
        match self.by? {
            "day" => Some(format!("{y}-{mo:02}-{d:02}")),
            _ => Some(format!("{y}-{mo:02}-{d:02}T{h:02}:00")),
        }
    }
}

/// Figures the reference keeps per file and for the summary.
#[derive(Default)]
struct Figures {
    total: u64,
    malformed: u64,
    filtered: u64,
    clients: BTreeSet<String>,
    periods: BTreeMap<String, (u64, BTreeSet<String>)>,
    hits: BTreeMap<String, u64>,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.total += other.total;
        self.malformed += other.malformed;
        self.filtered += other.filtered;
        self.clients.extend(other.clients.iter().cloned());
        for (p, (n, c)) in &other.periods {
            let e = self.periods.entry(p.clone()).or_default();
            e.0 += n;
            e.1.extend(c.iter().cloned());
        }
        for (c, n) in &other.hits {
            *self.hits.entry(c.clone()).or_default() += n;
        }
    }

    /// What the JSON report says of these figures beside the totals (`by`, `top`, `filtered`).
    fn extra(&self, ask: &Ask, into: &mut serde_json::Map<String, Value>) {
        if ask.since.is_some() || ask.until.is_some() {
            into.insert("filtered".into(), json!(self.filtered));
        }
        if ask.by.is_some() {
            let by: Vec<Value> = self
                .periods
                .iter()
                .map(|(p, (n, c))| json!({"period": p, "total": n, "ip": c.len(), "malformed": 0}))
                .collect();
            into.insert("by".into(), json!(by));
        }
        if let Some(n) = ask.top {
            let mut top: Vec<(&String, &u64)> = self.hits.iter().collect();
            // Most requests first, ties by the client's bytes.
            top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.as_bytes().cmp(b.0.as_bytes())));
            let top: Vec<Value> = top
                .into_iter()
                .take(n)
                .map(|(c, n)| json!({"client": c, "requests": n}))
                .collect();
            into.insert("top".into(), json!(top));
        }
    }
}

/// The reference: docs/contract.md §5 applied to what the generator wrote.
fn reference(logs: &[Log], ask: &Ask) -> Value {
    let mut files = serde_json::Map::new();
    let mut all = Figures::default();
    for (i, log) in logs.iter().enumerate() {
        let mut f = Figures {
            // One stray line before each request the junk list names (once, if named twice).
            malformed: (0..log.requests.len())
                .filter(|i| log.junk.contains(i))
                .count() as u64,
            ..Figures::default()
        };
        for r in &log.requests {
            if r.broken && ask.timed() {
                f.malformed += 1;
                continue;
            }
            let inside =
                ask.since.is_none_or(|s| s <= r.utc) && ask.until.is_none_or(|u| r.utc < u);
            if ask.timed() && !inside {
                f.filtered += 1;
                continue;
            }
            f.total += 1;
            f.clients.insert(r.client.clone());
            if let Some(p) = ask.period(log, r.utc) {
                let e = f.periods.entry(p).or_default();
                e.0 += 1;
                e.1.insert(r.client.clone());
            }
            *f.hits.entry(r.client.clone()).or_default() += 1;
        }
        let mut entry = serde_json::Map::new();
        entry.insert("total".into(), json!(f.total));
        entry.insert("ip".into(), json!(f.clients.len()));
        entry.insert("malformed".into(), json!(f.malformed));
        f.extra(ask, &mut entry);
        files.insert(format!("f{i}.log"), Value::Object(entry));
        all.add(&f);
    }
    let mut summary = serde_json::Map::new();
    summary.insert("total".into(), json!(all.total));
    summary.insert("ip".into(), json!(all.clients.len()));
    summary.insert("malformed".into(), json!(all.malformed));
    all.extra(ask, &mut summary);
    json!({"files": files, "summary": summary})
}

/// What a report says that the reference computes: per file (by name) and for the summary,
/// the totals and every field of the time and top options.
fn comparable(report: &Value) -> Value {
    let pick = |v: &Value| {
        let mut out = serde_json::Map::new();
        for k in ["total", "ip", "malformed", "filtered", "by", "top"] {
            if let Some(x) = v.get(k) {
                out.insert(k.into(), x.clone());
            }
        }
        Value::Object(out)
    };
    let files: serde_json::Map<String, Value> = report["files"]
        .as_object()
        .expect("files")
        .iter()
        .map(|(path, v)| {
            let name = Path::new(path).file_name().unwrap().to_str().unwrap();
            (name.to_string(), pick(v))
        })
        .collect();
    json!({"files": files, "summary": pick(&report["summary"])})
}

fn write_logs(dir: &Path, logs: &[Log]) {
    for (i, log) in logs.iter().enumerate() {
        std::fs::write(dir.join(format!("f{i}.log")), log.bytes()).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_executor_and_partials_match_the_reference(
        logs in proptest::collection::vec(log(), 1..4),
        ask in ask(),
        jobs in 1u32..5,
        chunk in 200u64..3000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let logs_dir = dir.path().join("logs");
        std::fs::create_dir(&logs_dir).unwrap();
        write_logs(&logs_dir, &logs);
        let want = reference(&logs, &ask);
        let mut args = ask.args();
        let serial = comparable(&report_over(&logs_dir, executor("serial").with(&[]).iter().map(|a| a.to_string()).chain(args.clone()).collect::<Vec<_>>()));
        prop_assert_eq!(&serial, &want, "serial {:?}", args);
        args.extend(["-j".into(), jobs.to_string(), "--chunk-size".into(), chunk.to_string()]);
        for e in parallel_executors() {
            let all: Vec<String> = e.args.iter().map(|a| a.to_string()).chain(args.clone()).collect();
            prop_assert_eq!(&comparable(&report_over(&logs_dir, &all)), &want, "{:?}", all);
        }
        // Through partials: three slices, merged.
        let mut parts = Vec::new();
        for i in 0..3 {
            let part = dir.path().join(format!("p{i}"));
            let slice = format!("{i}/3");
            let out = output_ok(
                logcount()
                    .args(["partial", "-q", "--slice", &slice, "-o"])
                    .arg(&part)
                    .arg(&logs_dir)
                    .args(&args),
            );
            prop_assert!(out.status.success());
            parts.push(part);
        }
        let merged = output_ok(logcount().args(["merge", "--json", "-q"]).args(&parts));
        prop_assert_eq!(comparable(&json(&merged)), want);
    }
}

#[test]
fn bad_time_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.log"),
        "1.2.3.4 - - [22/Mar/2021:10:01:02 +0000] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    for (args, says) in [
        (
            &["--since", "2021-03-23", "--until", "2021-03-22"][..],
            "must be before --until",
        ),
        (&["--since", "yesterday"][..], "is not a time"),
        (&["--until", "2021-02-30"][..], "is not a time"),
        (&["--by", "week"][..], "invalid value"),
        (&["--utc"][..], "--by"),
        (&["--top", "0"][..], "invalid value"),
        (
            &["--by", "day", "--log-format", "classic"][..],
            "classic reads no time",
        ),
        (
            &["--by", "day", "--top", "3", "--format", "csv"][..],
            "one table",
        ),
    ] {
        let out = output(logcount().arg(dir.path()).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let out = output(
        logcount()
            .args([
                "partial",
                "--slice",
                "0/1",
                "--buckets",
                "4",
                "--top",
                "3",
                "-o",
                "-",
            ])
            .arg(dir.path()),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Merging partials with both into CSV is the same usage error (issue 27: it was exit 1,
    // "cannot write output").
    let part = dir.path().join("all.part");
    output_ok(
        logcount()
            .args([
                "partial", "--slice", "0/1", "--by", "day", "--top", "3", "-q", "-o",
            ])
            .arg(&part)
            .arg(dir.path().join("a.log")),
    );
    let out = output(logcount().args(["merge", "--format", "csv"]).arg(&part));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("--by and --top"), "{}", stderr(&out));
}

#[test]
fn merging_partials_of_different_queries_names_the_option() {
    // Issue 27: each said "the inputs, their sizes or the chunk size differ". A relative
    // --since (7d) reckoned by tasks started seconds apart is the classic way to get there.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    std::fs::write(
        &log,
        "1.2.3.4 - - [22/Mar/2021:10:01:02 +0000] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    let part = |name: &str, slice: &str, args: &[&str]| {
        let path = dir.path().join(name);
        output_ok(
            logcount()
                .args(["partial", "-q", "--slice", slice, "-o"])
                .arg(&path)
                .args(args)
                .arg(&log),
        );
        path
    };
    let first = part(
        "0.part",
        "0/2",
        &["--since", "2021-03-01T00:00:00Z", "--top", "3"],
    );
    for (args, says) in [
        (
            &["--since", "2021-03-01T00:00:07Z", "--top", "3"][..],
            "--since differs (2021-03-01T00:00:07Z and 2021-03-01T00:00:00Z); a relative --since",
        ),
        (
            &["--since", "2021-01-01", "--top", "3"][..],
            "--since differs (2021-01-01T00:00:00Z and 2021-03-01T00:00:00Z); run every task",
        ),
        (
            &["--since", "2021-03-01T00:00:00Z", "--top", "4"][..],
            "--top differs",
        ),
        (
            &[
                "--since",
                "2021-03-01T00:00:00Z",
                "--top",
                "3",
                "--by",
                "day",
            ][..],
            "--by differs",
        ),
    ] {
        let second = part("1.part", "1/2", args);
        let out = output(logcount().arg("merge").arg(&first).arg(&second));
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_day_boundary_inside_a_chunk_and_offsets_as_written() {
    // Two servers, one at +0530 and one at -0700, writing the same UTC instants around
    // 2021-03-22T00:00Z: the server's day differs from the UTC day on one side of midnight.
    let dir = tempfile::tempdir().unwrap();
    let mut east = String::new();
    let mut west = String::new();
    for (i, t) in (0..40)
        .map(|i| BASE + 2 * 86_400 - 20 * 60 + i * 60)
        .enumerate()
    {
        let log = |offset: i64| Log {
            format: "combined",
            offset_minutes: offset,
            requests: vec![],
            junk: vec![],
        };
        let r = Request {
            client: format!("10.0.0.{}", i % 7),
            utc: t,
            broken: false,
        };
        east.push_str(&log(330).line(&r, i));
        east.push('\n');
        west.push_str(&log(-420).line(&r, i));
        west.push('\n');
    }
    std::fs::write(dir.path().join("east.log"), east).unwrap();
    std::fs::write(dir.path().join("west.log"), west).unwrap();
    let days = |args: &[&str]| -> Vec<(String, u64)> {
        let out = output_ok(
            logcount()
                .arg(dir.path())
                .args(["--json", "-q", "--by", "day", "--chunk-size", "700"])
                .args(args),
        );
        util::summary_periods(&json(&out))
    };
    // As written: east is already on the 22nd at 05:10 local; west is on the 21st all along.
    assert_eq!(
        days(&[]),
        [
            ("2021-03-21".to_string(), 40),
            ("2021-03-22".to_string(), 40)
        ]
    );
    // In UTC: 20 minutes before midnight and 20 after, in both files.
    assert_eq!(
        days(&["--utc"]),
        [
            ("2021-03-21".to_string(), 40),
            ("2021-03-22".to_string(), 40)
        ]
    );
    let utc = output_ok(
        logcount()
            .arg(dir.path().join("east.log"))
            .args(["--json", "-q", "--by", "hour", "--utc"]),
    );
    let hours: Vec<u64> = json(&utc)["summary"]["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_u64().unwrap())
        .collect();
    assert_eq!(hours, [20, 20]);
}

#[test]
fn every_format_shows_the_same_periods_and_top_clients() {
    let dir = tempfile::tempdir().unwrap();
    let line = |client: &str, day: u32, status: &str| {
        format!("{client} - - [{day:02}/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" {status} 1\n")
    };
    let mut a = String::new();
    for (client, day) in [
        ("10.0.0.1", 22),
        ("10.0.0.2", 22),
        ("10.0.0.1", 23),
        ("10.0.0.1", 23),
    ] {
        a.push_str(&line(client, day, "200"));
    }
    // Malformed (a status of two digits), its time still read: the 23rd's malformed line.
    a.push_str(&line("10.0.0.9", 23, "20"));
    std::fs::write(dir.path().join("a.log"), a).unwrap();
    std::fs::write(dir.path().join("b.log"), line("10.0.0.3", 23, "200")).unwrap();
    let run = |args: &[&str]| {
        let out = output_ok(logcount().arg(dir.path()).arg("-q").args(args));
        String::from_utf8(out.stdout).unwrap()
    };
    let report: Value =
        serde_json::from_str(&run(&["--json", "--by", "day", "--top", "2"])).unwrap();
    let summary = &report["summary"];
    assert_eq!(
        summary["by"],
        json!([
            {"period": "2021-03-22", "total": 2, "ip": 2, "malformed": 0},
            {"period": "2021-03-23", "total": 3, "ip": 2, "malformed": 1},
        ])
    );
    assert_eq!(
        summary["top"],
        json!([{"client": "10.0.0.1", "requests": 3}, {"client": "10.0.0.2", "requests": 1}])
    );
    assert_eq!(
        (summary["total"].as_u64(), summary["malformed"].as_u64()),
        (Some(5), Some(1))
    );

    // NDJSON: each file's period lines after it, the summary's before the summary.
    // (serial: files complete in path order)
    let nd = run(&[
        "--format", "ndjson", "--by", "day", "--top", "2", "-e", "serial",
    ]);
    let lines: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}{}",
                l["type"].as_str().unwrap(),
                l.get("path").map_or("", |_| "+path")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "file+path",
            "period+path",
            "period+path",
            "file+path",
            "period+path",
            "period",
            "period",
            "summary"
        ]
    );
    assert!(lines.iter().all(|l| l.get("by").is_none()));
    assert_eq!(lines[7]["top"], summary["top"]);
    assert_eq!(lines[6]["malformed"], json!(1));

    // CSV: one table, the summary under `*`.
    let csv = run(&["--format", "csv", "--by", "day"]);
    assert!(csv.starts_with("path,period,total,ip,malformed\n"), "{csv}");
    assert!(
        csv.ends_with("*,2021-03-22,2,2,0\n*,2021-03-23,3,2,1\n"),
        "{csv}"
    );
    let csv = run(&["--format", "csv", "--top", "1"]);
    assert!(csv.ends_with("*,1,10.0.0.1,3\n"), "{csv}");
    let csv = run(&["--format", "csv", "--since", "2021-03-23"]);
    assert!(
        csv.starts_with("path,total,ip,bytes,malformed,format,filtered\n"),
        "{csv}"
    );

    // The table: the summary's blocks (each file's only with -v).
    let table = run(&[
        "--format",
        "table",
        "--by",
        "day",
        "--top",
        "2",
        "--since",
        "2021-03-23",
    ]);
    for want in [
        "FILTERED",
        "by day: ",
        "by day: all 2 files",
        "top clients: all 2 files",
        "2021-03-23",
    ] {
        assert!(table.contains(want), "{want}: {table}");
    }
    // HTML: the summary's periods drawn, one bar group each, and the top clients.
    let html = run(&["--format", "html", "--by", "day", "--top", "2"]);
    assert!(html.contains("Requests per day (all files)"), "{html}");
    assert_eq!(html.matches("<g><title>2021-03-2").count(), 2, "{html}");
    assert!(html.contains("Top clients (all files)") && html.contains("10.0.0.1"));
}

//! Result types and the four output formats (DESIGN §3).
//!
//! The JSON document is the serialisation of [`Report`]; the other formats are views of it.

use std::io::{self, Write};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::input::InputError;

/// One counted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileStats {
    #[serde(skip)]
    pub path: String,
    /// Non-blank lines (requests).
    pub total: u64,
    /// Distinct client keys.
    pub ip: u64,
    /// Bytes of log text counted (after decompression for `.gz`).
    pub bytes: u64,
}

/// Totals over every counted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files: u64,
    pub total: u64,
    /// Distinct keys over the union of all files (not the sum of per-file counts).
    pub ip: u64,
    pub bytes: u64,
    pub errors: u64,
}

/// Which executor ran, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExecutorInfo {
    pub name: String,
    pub jobs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_method: Option<String>,
}

/// The whole result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Sorted by path; serialised as an object keyed by path.
    #[serde(serialize_with = "files_as_map")]
    pub files: Vec<FileStats>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
    pub executor: ExecutorInfo,
    pub elapsed_ms: f64,
}

fn files_as_map<S: Serializer>(files: &[FileStats], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(files.len()))?;
    for f in files {
        map.serialize_entry(&f.path, f)?;
    }
    map.end()
}

impl Report {
    pub fn new(
        files: Vec<FileStats>,
        errors: Vec<InputError>,
        union_ip: u64,
        executor: ExecutorInfo,
        elapsed_ms: f64,
    ) -> Report {
        let summary = Summary {
            files: files.len() as u64,
            total: files.iter().map(|f| f.total).sum(),
            ip: union_ip,
            bytes: files.iter().map(|f| f.bytes).sum(),
            errors: errors.len() as u64,
        };
        Report {
            files,
            errors,
            summary,
            executor,
            // One decimal is all the precision a wall-clock figure has.
            elapsed_ms: (elapsed_ms * 10.0).round() / 10.0,
        }
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// One JSON document (default when stdout is not a terminal).
    Json,
    /// One JSON object per line: each file as it completes, then errors, then the summary.
    Ndjson,
    /// `path,total,ip,bytes`, one row per file.
    Csv,
}

pub fn write_json(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// An NDJSON line: a `type` tag first, then the fields of the value it wraps.
#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(flatten)]
    value: &'a T,
}

fn write_tagged<T: Serialize>(
    out: &mut impl Write,
    kind: &'static str,
    path: Option<&str>,
    value: &T,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { kind, path, value })?;
    writeln!(out)
}

/// One NDJSON line for a file, written as soon as the file completes.
pub fn write_ndjson_file(out: &mut impl Write, file: &FileStats) -> io::Result<()> {
    write_tagged(out, "file", Some(&file.path), file)
}

/// The NDJSON lines that follow the files: errors, then the summary (with the executor and the
/// elapsed time, as in the JSON document).
pub fn write_ndjson_end(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for e in &report.errors {
        write_tagged(out, "error", None, e)?;
    }
    #[derive(Serialize)]
    struct End<'a> {
        #[serde(flatten)]
        summary: &'a Summary,
        executor: &'a ExecutorInfo,
        elapsed_ms: f64,
    }
    let end = End {
        summary: &report.summary,
        executor: &report.executor,
        elapsed_ms: report.elapsed_ms,
    };
    write_tagged(out, "summary", None, &end)
}

pub fn write_csv(out: &mut impl Write, report: &Report) -> io::Result<()> {
    writeln!(out, "path,total,ip,bytes")?;
    for f in &report.files {
        writeln!(
            out,
            "{},{},{},{}",
            csv_field(&f.path),
            f.total,
            f.ip,
            f.bytes
        )?;
    }
    Ok(())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

pub fn write_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let s = &report.summary;
    let files_word = if s.files == 1 { "file" } else { "files" };
    let mut rows: Vec<[String; 4]> = Vec::with_capacity(report.files.len() + 2);
    rows.push(["PATH", "REQUESTS", "UNIQUE IPS", "BYTES"].map(String::from));
    for f in &report.files {
        rows.push([
            f.path.clone(),
            thousands(f.total),
            thousands(f.ip),
            human_bytes(f.bytes),
        ]);
    }
    rows.push([
        format!("TOTAL ({} {files_word})", thousands(s.files)),
        thousands(s.total),
        thousands(s.ip),
        human_bytes(s.bytes),
    ]);
    let mut widths = [0usize; 4];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let last = rows.len() - 1;
    for (i, row) in rows.iter().enumerate() {
        if i == last {
            let rule = widths.iter().sum::<usize>() + 3 * 2;
            writeln!(out, "{}", "-".repeat(rule))?;
        }
        let pad = widths[0] - row[0].chars().count();
        write!(out, "{}{}", row[0], " ".repeat(pad))?;
        for (w, cell) in widths[1..].iter().zip(&row[1..]) {
            write!(out, "  {cell:>w$}")?;
        }
        writeln!(out)?;
    }
    let errors = match s.errors {
        0 => String::new(),
        1 => ", 1 error".into(),
        n => format!(", {n} errors"),
    };
    let e = &report.executor;
    let method = e
        .start_method
        .as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{method} ×{} in {:.1} ms{errors}",
        e.name, e.jobs, report.elapsed_ms
    )
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units with one decimal (`1.4 MiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report::new(
            vec![
                FileStats {
                    path: "a,1.log".into(),
                    total: 1234567,
                    ip: 1000,
                    bytes: 5_000_000,
                },
                FileStats {
                    path: "b.log".into(),
                    total: 3,
                    ip: 2,
                    bytes: 100,
                },
            ],
            vec![InputError::new(
                "missing.log",
                "No such file or directory (os error 2)",
            )],
            1001,
            ExecutorInfo {
                name: "serial".into(),
                jobs: 1,
                start_method: None,
            },
            12.345,
        )
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(100), "100 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn summary_sums_totals_but_not_ips() {
        let r = sample();
        assert_eq!(
            r.summary,
            Summary {
                files: 2,
                total: 1234570,
                ip: 1001,
                bytes: 5_000_100,
                errors: 1
            }
        );
        assert_eq!(r.elapsed_ms, 12.3);
    }

    #[test]
    fn json_has_the_documented_shape() {
        let mut out = Vec::new();
        write_json(&mut out, &sample()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["files"]["b.log"],
            serde_json::json!({"total": 3, "ip": 2, "bytes": 100})
        );
        assert_eq!(v["errors"][0]["path"], "missing.log");
        assert_eq!(v["summary"]["ip"], 1001);
        assert_eq!(
            v["executor"],
            serde_json::json!({"name": "serial", "jobs": 1})
        );
        assert_eq!(v["elapsed_ms"], 12.3);
    }

    #[test]
    fn ndjson_lines_are_tagged_first() {
        let r = sample();
        let mut out = Vec::new();
        write_ndjson_file(&mut out, &r.files[1]).unwrap();
        write_ndjson_end(&mut out, &r).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"type":"file","path":"b.log","total":3,"ip":2,"bytes":100}"#
        );
        assert_eq!(
            lines[1],
            r#"{"type":"error","path":"missing.log","error":"No such file or directory (os error 2)"}"#
        );
        assert_eq!(
            lines[2],
            r#"{"type":"summary","files":2,"total":1234570,"ip":1001,"bytes":5000100,"errors":1,"executor":{"name":"serial","jobs":1},"elapsed_ms":12.3}"#
        );
    }

    #[test]
    fn csv_quotes_paths() {
        let mut out = Vec::new();
        write_csv(&mut out, &sample()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path,total,ip,bytes\n\"a,1.log\",1234567,1000,5000000\nb.log,3,2,100\n"
        );
    }

    #[test]
    fn table_is_aligned_with_totals() {
        let mut out = Vec::new();
        write_table(&mut out, &sample()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "PATH              REQUESTS  UNIQUE IPS    BYTES");
        assert_eq!(lines[1], "a,1.log          1,234,567       1,000  4.8 MiB");
        assert_eq!(lines[2], "b.log                    3           2    100 B");
        assert_eq!(lines[3], "-".repeat(lines[0].len()));
        assert_eq!(lines[4], "TOTAL (2 files)  1,234,570       1,001  4.8 MiB");
        assert_eq!(lines[5], "serial ×1 in 12.3 ms, 1 error");
    }
}

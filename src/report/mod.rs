//! Result types and the output formats (docs/contract.md §3).
//!
//! The JSON document is the serialisation of [`Report`]; the other formats are views of it.
//! Every format is an [`Exporter`] (one small file each, as hyperfine's `export/`): a run hands
//! it each file as it completes and the whole report at the end, so a streaming format (NDJSON)
//! writes as it goes and the others write once.

pub mod csv;
mod html;
mod json;
mod ndjson;
mod summary;
mod table;

use std::io::{self, Write};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::format::{Format, Period};
use crate::input::{InputError, Skipped};

/// One counted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileStats {
    #[serde(skip)]
    pub path: String,
    /// Requests.
    pub total: u64,
    /// Distinct client addresses.
    pub(crate) ip: u64,
    /// Bytes of log text counted (after decompression).
    pub(crate) bytes: u64,
    /// Non-blank lines that are not requests in the file's format.
    pub malformed: u64,
    /// The format its lines were read in (`cri+combined`), `null` for a file with no line.
    pub(crate) format: Option<Format>,
    #[serde(flatten)]
    pub(crate) extra: Extra,
    /// Under `--show-malformed N`: its first N malformed lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed_lines: Option<Vec<MalformedLine>>,
}

/// One malformed line shown (`--show-malformed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MalformedLine {
    /// Its number in the file, from 1 (in the decompressed text).
    pub line: u64,
    /// Its first [`crate::count::SHOWN_BYTES`] bytes, as UTF-8 (invalid bytes replaced).
    pub text: String,
}

impl MalformedLine {
    /// The lines `shown` keeps, or `None` when none were asked for.
    pub(crate) fn list(shown: crate::count::Shown, asked: usize) -> Option<Vec<MalformedLine>> {
        (asked > 0).then(|| {
            shown
                .first
                .into_iter()
                .take(asked)
                .map(|(line, text)| MalformedLine {
                    line,
                    text: String::from_utf8_lossy(&text).into_owned(),
                })
                .collect()
        })
    }
}

/// Requests and distinct clients in one period (`--by`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodStats {
    /// `2021-03-22`, or `2021-03-22T10:00` by hour.
    pub(crate) period: String,
    pub(crate) total: u64,
    pub(crate) ip: u64,
    /// Malformed lines whose time could still be read as in the period.
    pub(crate) malformed: u64,
}

/// One of the clients with the most requests (`--top`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopClient {
    /// Shown like a path: without loss ([`crate::input::display_bytes`]).
    pub(crate) client: String,
    pub(crate) requests: u64,
}

/// What the time and top options (docs/contract.md §5) add to a file's figures and the
/// summary's; absent without them, so the default document is unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Extra {
    /// What `by` is by.
    #[serde(skip)]
    pub(crate) period: Option<Period>,
    /// Requests outside `--since`/`--until` (not counted as requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filtered: Option<u64>,
    /// Per period, in time order (`--by`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Vec<PeriodStats>>,
    /// The clients with the most requests, most first, ties by the client's bytes (`--top`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<Vec<TopClient>>,
}

/// Totals over every counted file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub(crate) files: u64,
    pub(crate) total: u64,
    /// Distinct addresses over the union of all files (not the sum of per-file counts).
    pub(crate) ip: u64,
    pub bytes: u64,
    pub(crate) malformed: u64,
    pub(crate) errors: u64,
    pub(crate) skipped: u64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a run found, before it is reported: sorted by path on the way into a [`Report`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Results {
    pub(crate) files: Vec<FileStats>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) skipped: Vec<Skipped>,
    /// Distinct addresses over the union of the files.
    pub(crate) union_ip: u64,
    /// Why the union could not be counted (it outgrew the memory): the run fails.
    pub(crate) union_error: Option<String>,
    /// The summary's periods and top clients (`filtered` is the files' sum).
    pub(crate) extra: Extra,
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
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
    pub(crate) executor: ExecutorInfo,
    pub(crate) elapsed_ms: f64,
    /// Why there is no summary (see [`Results::union_error`]): nothing is to be printed.
    #[serde(skip)]
    pub union_error: Option<String>,
}

fn files_as_map<S: Serializer>(files: &[FileStats], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(files.len()))?;
    for f in files {
        map.serialize_entry(&f.path, f)?;
    }
    map.end()
}

impl Report {
    /// The report of `results` (put in path order: the same whatever order they came in).
    pub(crate) fn new(results: Results, executor: ExecutorInfo, elapsed_ms: f64) -> Report {
        let Results {
            mut files,
            mut errors,
            mut skipped,
            union_ip,
            union_error,
            mut extra,
        } = results;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let summary = Summary {
            files: files.len() as u64,
            total: files.iter().map(|f| f.total).sum(),
            ip: union_ip,
            bytes: files.iter().map(|f| f.bytes).sum(),
            malformed: files.iter().map(|f| f.malformed).sum(),
            errors: errors.len() as u64,
            skipped: skipped.len() as u64,
            extra: {
                // Under a window (the reducer says so), the files' sum.
                if let Some(filtered) = extra.filtered.as_mut() {
                    *filtered = files.iter().filter_map(|f| f.extra.filtered).sum();
                }
                extra
            },
        };
        Report {
            files,
            errors,
            skipped,
            summary,
            executor,
            // One decimal is all the precision a wall-clock figure has.
            elapsed_ms: (elapsed_ms * 10.0).round() / 10.0,
            union_error,
        }
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// One JSON document (default when stdout is not a terminal).
    Json,
    /// One JSON object per line: each file as it completes, then errors, then the summary.
    Ndjson,
    /// `path,total,ip,bytes`, one row per file.
    Csv,
    /// One self-contained HTML page (inline CSS and SVG, no JavaScript).
    Html,
}

/// Writes a run's results in one format: `start` before anything, `file` as each file
/// completes (in completion order), `errors` (and what was skipped) once the run is done, then
/// `finish` with the whole report. Formats that print one document write it in `finish`.
pub trait Exporter {
    fn start(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn file(&mut self, _out: &mut dyn Write, _file: &FileStats) -> io::Result<()> {
        Ok(())
    }

    fn errors(
        &mut self,
        _out: &mut dyn Write,
        _errors: &[InputError],
        _skipped: &[Skipped],
    ) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()>;

    /// Whether `file` writes anything (the caller then flushes after each file).
    fn streams(&self) -> bool {
        false
    }
}

/// The exporter of `format`; `style` (colour, width, which blocks) lays out the table, and only
/// the table: JSON, CSV and NDJSON are never coloured nor cut.
pub fn exporter(format: OutputFormat, style: TableStyle) -> Box<dyn Exporter + Send> {
    match format {
        OutputFormat::Table => Box::new(table::TableExporter { style }),
        OutputFormat::Json => Box::new(json::JsonExporter),
        OutputFormat::Ndjson => Box::new(ndjson::NdjsonExporter),
        OutputFormat::Csv => Box::new(csv::CsvExporter),
        OutputFormat::Html => Box::new(html::HtmlExporter),
    }
}

/// Writes a finished report through `exporter` in one go, its files in path order (for a
/// report that was not made file by file: `merge`).
pub fn write_report(
    exporter: &mut dyn Exporter,
    out: &mut dyn Write,
    report: &Report,
) -> io::Result<()> {
    exporter.start(out)?;
    for f in &report.files {
        exporter.file(out, f)?;
    }
    exporter.errors(out, &report.errors, &report.skipped)?;
    exporter.finish(out, report)
}

pub use summary::SummaryExporter;
pub use table::{write_columns, FileBlocks, TableStyle};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units with one decimal (`1.4 MiB`).
/// A wall time for people: `840.3 ms`, `3.3 s`, `2 min 05 s`.
pub(crate) fn human_duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let secs = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

/// `1536` → `1.5 kB`: decimal units, as the rates of `bench`, `gen` and the progress bar are
/// (one system for everything logcount shows people; `--chunk-size` reads both).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_says_them() {
        assert_eq!(human_duration(0.04), "0.0 ms");
        assert_eq!(human_duration(840.34), "840.3 ms");
        assert_eq!(human_duration(3287.9), "3.3 s");
        assert_eq!(human_duration(59_940.0), "59.9 s");
        assert_eq!(human_duration(125_200.0), "2 min 05 s");
    }
    use crate::format::{Body, Prefix};

    pub(super) fn sample() -> Report {
        let results = Results {
            files: vec![
                FileStats {
                    path: "b.log".into(),
                    total: 3,
                    ip: 2,
                    bytes: 100,
                    malformed: 1,
                    format: Some(Format {
                        prefix: Some(Prefix::Cri),
                        body: Body::Combined,
                    }),
                    extra: Extra::default(),
                    malformed_lines: None,
                },
                FileStats {
                    path: "a,1.log".into(),
                    total: 1234567,
                    ip: 1000,
                    bytes: 5_000_000,
                    malformed: 0,
                    format: None,
                    extra: Extra::default(),
                    malformed_lines: None,
                },
            ],
            errors: vec![InputError::new(
                "missing.log",
                "No such file or directory (os error 2)",
            )],
            skipped: vec![Skipped::new("error.log", "not an access log (0 of 9)")],
            union_ip: 1001,
            union_error: None,
            extra: Extra::default(),
        };
        let executor = ExecutorInfo {
            name: "serial".into(),
            jobs: 1,
            start_method: None,
        };
        Report::new(results, executor, 12.345)
    }

    fn written(format: OutputFormat, report: &Report) -> Vec<u8> {
        let mut out = Vec::new();
        write_report(
            exporter(format, TableStyle::default()).as_mut(),
            &mut out,
            report,
        )
        .unwrap();
        out
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(100), "100 B");
        assert_eq!(human_bytes(1536), "1.5 kB");
        assert_eq!(human_bytes(5_000_000_000), "5.0 GB");
        assert_eq!(human_bytes(999_960), "1.0 MB");
    }

    #[test]
    fn summary_sums_totals_but_not_ips_and_results_are_sorted() {
        let r = sample();
        assert_eq!(
            r.summary,
            Summary {
                files: 2,
                total: 1234570,
                ip: 1001,
                bytes: 5_000_100,
                malformed: 1,
                errors: 1,
                skipped: 1,
                extra: Extra::default(),
            }
        );
        assert_eq!(r.elapsed_ms, 12.3);
        assert_eq!(r.files[0].path, "a,1.log");
    }

    #[test]
    fn json_has_the_documented_shape() {
        let out = written(OutputFormat::Json, &sample());
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["files"]["b.log"],
            serde_json::json!({"total": 3, "ip": 2, "bytes": 100, "malformed": 1, "format": "cri+combined"})
        );
        assert_eq!(v["files"]["a,1.log"]["format"], serde_json::Value::Null);
        assert_eq!(v["errors"][0]["path"], "missing.log");
        assert_eq!(
            v["skipped"],
            serde_json::json!([{"path": "error.log", "reason": "not an access log (0 of 9)"}])
        );
        assert_eq!(v["summary"]["ip"], 1001);
        assert_eq!(v["summary"]["skipped"], 1);
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
        let mut ndjson = exporter(OutputFormat::Ndjson, TableStyle::default());
        ndjson.file(&mut out, &r.files[1]).unwrap();
        ndjson.errors(&mut out, &r.errors, &r.skipped).unwrap();
        ndjson.finish(&mut out, &r).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"type":"file","path":"b.log","total":3,"ip":2,"bytes":100,"malformed":1,"format":"cri+combined"}"#
        );
        assert_eq!(
            lines[1],
            r#"{"type":"error","path":"missing.log","error":"No such file or directory (os error 2)"}"#
        );
        assert_eq!(
            lines[2],
            r#"{"type":"skipped","path":"error.log","reason":"not an access log (0 of 9)"}"#
        );
        assert_eq!(
            lines[3],
            r#"{"type":"summary","files":2,"total":1234570,"ip":1001,"bytes":5000100,"malformed":1,"errors":1,"skipped":1,"executor":{"name":"serial","jobs":1},"elapsed_ms":12.3}"#
        );
    }

    #[test]
    fn csv_quotes_paths() {
        assert_eq!(
            String::from_utf8(written(OutputFormat::Csv, &sample())).unwrap(),
            "path,total,ip,bytes,malformed,format\n\"a,1.log\",1234567,1000,5000000,0,\n\
             b.log,3,2,100,1,cri+combined\n"
        );
    }

    #[test]
    fn table_is_aligned_with_totals() {
        let text = String::from_utf8(written(OutputFormat::Table, &sample())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "PATH             FORMAT         REQUESTS  UNIQUE IPS  MALFORMED   BYTES",
                "a,1.log          -             1,234,567       1,000          0  5.0 MB",
                "b.log            cri+combined          3           2          1   100 B",
                "-----------------------------------------------------------------------",
                "TOTAL (2 files)                1,234,570       1,001          1  5.0 MB",
                "serial ×1 in 12.3 ms, 1 error, 1 skipped",
                "errors:",
                "  missing.log: No such file or directory (os error 2)",
            ]
        );
    }
}

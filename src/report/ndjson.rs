//! `--format ndjson`: one JSON object per line, each file as it completes, then the errors and
//! what was skipped, then the summary (with the executor and the elapsed time, as in the JSON
//! document). With `--by`, a file's periods follow it as `period` lines (with its path), and
//! the summary's periods come before the summary (without a path); the `file` and `summary`
//! lines then leave `by` out.

use std::io::{self, Write};

use serde::Serialize;

use super::{ExecutorInfo, Exporter, FileStats, InputError, Report, Skipped, Summary};

pub(crate) struct NdjsonExporter;

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

fn line<T: Serialize>(
    out: &mut dyn Write,
    kind: &'static str,
    path: Option<&str>,
    value: &T,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { kind, path, value })?;
    writeln!(out)
}

impl Exporter for NdjsonExporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileStats) -> io::Result<()> {
        if file.extra.by.is_none() {
            return line(out, "file", Some(&file.path), file);
        }
        let mut shown = file.clone();
        let by = shown.extra.by.take().unwrap_or_default();
        line(out, "file", Some(&file.path), &shown)?;
        by.iter()
            .try_for_each(|p| line(out, "period", Some(&file.path), p))
    }

    fn errors(
        &mut self,
        out: &mut dyn Write,
        errors: &[InputError],
        skipped: &[Skipped],
    ) -> io::Result<()> {
        errors
            .iter()
            .try_for_each(|e| line(out, "error", None, e))?;
        skipped
            .iter()
            .try_for_each(|s| line(out, "skipped", None, s))
    }

    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        #[derive(Serialize)]
        struct End<'a> {
            #[serde(flatten)]
            summary: &'a Summary,
            executor: &'a ExecutorInfo,
            elapsed_ms: f64,
        }
        let mut summary = report.summary.clone();
        for p in summary.extra.by.take().iter().flatten() {
            line(out, "period", None, p)?;
        }
        let end = End {
            summary: &summary,
            executor: &report.executor,
            elapsed_ms: report.elapsed_ms,
        };
        line(out, "summary", None, &end)
    }

    fn streams(&self) -> bool {
        true
    }
}

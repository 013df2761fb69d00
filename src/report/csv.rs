//! `--format csv`: `path,total,ip,bytes`, one row per file (RFC 4180 quoting).

use std::io::{self, Write};

use super::{Exporter, Report};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        writeln!(out, "path,total,ip,bytes")?;
        for f in &report.files {
            writeln!(out, "{},{},{},{}", field(&f.path), f.total, f.ip, f.bytes)?;
        }
        Ok(())
    }
}

/// Quotes a CSV field when it needs it.
fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

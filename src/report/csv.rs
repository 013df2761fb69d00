//! `--format csv`: `path,total,ip,bytes,malformed,format`, one row per file (RFC 4180 quoting).

use std::io::{self, Write};

use super::{Exporter, Report};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        writeln!(out, "path,total,ip,bytes,malformed,format")?;
        for f in &report.files {
            let format = f.format.map(|f| f.to_string()).unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},{format}",
                field(&f.path),
                f.total,
                f.ip,
                f.bytes,
                f.malformed
            )?;
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

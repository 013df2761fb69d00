//! `--format csv`: `path,total,ip,bytes,malformed,format` (and `filtered` under a window), one
//! row per file; with `--by`, `path,period,total,ip,malformed`, one row per file and period;
//! with `--top`, `path,rank,client,requests`. The summary's periods and top clients are the
//! rows whose path is `*`. RFC 4180 quoting; a text cell a spreadsheet would take for a formula
//! gets a `'` before it (OWASP's advice on CSV injection).

use std::io::{self, Write};

use super::{Exporter, Extra, Report};

pub(crate) struct CsvExporter;

/// Why CSV cannot hold a report with both periods and top clients (a usage error, exit 2,
/// whether counting or merging asks for it).
pub const BY_AND_TOP: &str =
    "--format csv holds one table: --by and --top together need json, ndjson, table or html";

impl Exporter for CsvExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        // Each file's figures, then the summary's (periods and top only), under `*`.
        let all = || {
            report
                .files
                .iter()
                .map(|f| (f.path.as_str(), &f.extra))
                .chain([("*", &s.extra)])
        };
        if s.extra.by.is_some() && s.extra.top.is_some() {
            // `merge` of such partials (counting refuses the combination at parse time).
            // (`merge` refuses it first, as usage; this keeps the exporter honest on its own.)
            return Err(io::Error::new(io::ErrorKind::InvalidInput, BY_AND_TOP));
        }
        if s.extra.by.is_some() {
            writeln!(out, "path,period,total,ip,malformed")?;
            for (path, extra) in all() {
                for p in extra.by.iter().flatten() {
                    let (total, ip, malformed) = (p.total, p.ip, p.malformed);
                    writeln!(out, "{},{},{total},{ip},{malformed}", field(path), p.period)?;
                }
            }
            return Ok(());
        }
        if s.extra.top.is_some() {
            writeln!(out, "path,rank,client,requests")?;
            for (path, extra) in all() {
                for (rank, t) in extra.top.iter().flatten().enumerate() {
                    let client = field(&t.client);
                    writeln!(out, "{},{},{client},{}", field(path), rank + 1, t.requests)?;
                }
            }
            return Ok(());
        }
        let windowed = s.extra.filtered.is_some();
        let filtered = |extra: &Extra| match extra.filtered {
            Some(n) if windowed => format!(",{n}"),
            _ => String::new(),
        };
        let more = if windowed { ",filtered" } else { "" };
        writeln!(out, "path,total,ip,bytes,malformed,format{more}")?;
        for f in &report.files {
            let format = f.format.map(|f| f.to_string()).unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},{format}{}",
                field(&f.path),
                f.total,
                f.ip,
                f.bytes,
                f.malformed,
                filtered(&f.extra),
            )?;
        }
        Ok(())
    }
}

/// A text field as CSV writes it: quoted when it needs it (RFC 4180), and, as OWASP's "CSV
/// Injection" advice has it, one that a spreadsheet would read as a formula (it starts with
/// `=`, `+`, `-`, `@`, a TAB or a CR: a client or a file name is anybody's text) with a `'`
/// before it, and quoted. `-` alone (standard input) is no formula and stays as it is.
fn field(s: &str) -> std::borrow::Cow<'_, str> {
    let formula = s != "-"
        && matches!(
            s.as_bytes().first(),
            Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
        );
    if formula {
        format!("\"'{}\"", s.replace('"', "\"\"")).into()
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(field("logs/a.log"), "logs/a.log");
        assert_eq!(field("a,b.log"), "\"a,b.log\"");
        assert_eq!(field("say \"hi\".log"), "\"say \"\"hi\"\".log\"");
        for formula in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "=HYPERLINK(\"x\")"] {
            let f = field(formula);
            assert!(f.starts_with("\"'"), "{formula}: {f}");
        }
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field("-"), "-");
    }
}

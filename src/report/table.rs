//! `--format table`: aligned columns for people, a rule and the totals, then what ran.
//!
//! [`write_columns`] is the layout every table of logcount uses (`bench` too).

use std::io::{self, Write};

use super::{human_bytes, human_duration, thousands, Exporter, Extra, Report};

/// With more files than this, the table shows only the summary's periods and top clients
/// (every file's are in JSON, NDJSON and CSV).
pub const MAX_FILE_BLOCKS: usize = 20;

pub struct TableExporter {
    /// Bold header and totals, red errors (a terminal that wants colour).
    pub color: bool,
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

impl Exporter for TableExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        if !self.color {
            return self.write(out, report);
        }
        // Laid out plain (widths count characters), then the header and totals made bold
        // and the errors red, line by line.
        let mut plain = Vec::new();
        self.write(&mut plain, report)?;
        let text = String::from_utf8_lossy(&plain);
        let lines: Vec<&str> = text.lines().collect();
        let total = lines.iter().position(|l| l.starts_with("TOTAL ("));
        let errors = lines.iter().position(|l| *l == "errors:");
        for (i, line) in lines.iter().enumerate() {
            if i == 0 || Some(i) == total {
                writeln!(out, "{BOLD}{line}{RESET}")?;
            } else if errors.is_some_and(|e| i >= e) {
                writeln!(out, "{RED}{line}{RESET}")?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        Ok(())
    }
}

impl TableExporter {
    fn write(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        let files_word = if s.files == 1 { "file" } else { "files" };
        let windowed = s.extra.filtered.is_some();
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(report.files.len() + 2);
        let mut head = [
            "PATH",
            "FORMAT",
            "REQUESTS",
            "UNIQUE IPS",
            "MALFORMED",
            "BYTES",
        ]
        .map(String::from)
        .to_vec();
        if windowed {
            head.push("FILTERED".into());
        }
        rows.push(head);
        let filtered = |extra: &Extra| extra.filtered.map(thousands).into_iter();
        for f in &report.files {
            let mut row = vec![
                crate::diag::escape_controls(&f.path).into_owned(),
                f.format.map_or_else(|| "-".into(), |f| f.to_string()),
                thousands(f.total),
                thousands(f.ip),
                thousands(f.malformed),
                human_bytes(f.bytes),
            ];
            row.extend(filtered(&f.extra));
            rows.push(row);
        }
        let mut total = vec![
            format!("TOTAL ({} {files_word})", thousands(s.files)),
            String::new(),
            thousands(s.total),
            thousands(s.ip),
            thousands(s.malformed),
            human_bytes(s.bytes),
        ];
        total.extend(filtered(&s.extra));
        rows.push(total);
        write_columns(out, &rows, 2, Some(rows.len() - 1))?;
        // Each file's periods and top clients (unless one file, whose are the summary's, or
        // too many to read), then the summary's.
        let per_file = report.files.len() > 1 && report.files.len() <= MAX_FILE_BLOCKS;
        let blocks = report
            .files
            .iter()
            .filter(|_| per_file)
            .map(|f| (crate::diag::escape_controls(&f.path).into_owned(), &f.extra))
            .chain([(
                match report.files.as_slice() {
                    [one] => crate::diag::escape_controls(&one.path).into_owned(),
                    _ => format!("all {} {files_word}", thousands(s.files)),
                },
                &s.extra,
            )]);
        for (name, extra) in blocks {
            write_extra(out, &name, extra)?;
        }
        let count = |n: u64, one: &str, many: &str| match n {
            0 => String::new(),
            1 => format!(", 1 {one}"),
            n => format!(", {n} {many}"),
        };
        let errors = count(s.errors, "error", "errors") + &count(s.skipped, "skipped", "skipped");
        let e = &report.executor;
        let method = e
            .start_method
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}{method} ×{} in {}{errors}",
            e.name,
            e.jobs,
            human_duration(report.elapsed_ms)
        )?;
        // What failed, where a reader of the table looks last (stderr had it as it happened).
        if !report.errors.is_empty() {
            writeln!(out, "errors:")?;
            for e in &report.errors {
                let path = crate::diag::escape_controls(&e.path);
                writeln!(out, "  {path}: {}", crate::diag::escape_controls(&e.error))?;
            }
        }
        Ok(())
    }
}

/// The periods and top clients of one file (or all): a titled block each, after a blank line.
fn write_extra(out: &mut dyn Write, name: &str, extra: &Extra) -> io::Result<()> {
    if let Some(by) = &extra.by {
        let period = extra.period.map_or("period", |p| p.name());
        writeln!(out, "\nby {period}: {name}")?;
        let unit = period.to_ascii_uppercase();
        let unit = unit.as_str();
        let mut rows = vec![[unit, "REQUESTS", "UNIQUE IPS", "MALFORMED"]
            .map(String::from)
            .to_vec()];
        rows.extend(by.iter().map(|p| {
            vec![
                p.period.clone(),
                thousands(p.total),
                thousands(p.ip),
                thousands(p.malformed),
            ]
        }));
        if by.is_empty() {
            writeln!(out, "  (no request in any period)")?;
        } else {
            write_columns(out, &rows, 1, None)?;
        }
    }
    if let Some(top) = &extra.top {
        writeln!(out, "\ntop clients: {name}")?;
        let mut rows = vec![["CLIENT", "REQUESTS"].map(String::from).to_vec()];
        rows.extend(top.iter().map(|t| {
            vec![
                crate::diag::escape_controls(&t.client).into_owned(),
                thousands(t.requests),
            ]
        }));
        if top.is_empty() {
            writeln!(out, "  (no request)")?;
        } else {
            write_columns(out, &rows, 1, None)?;
        }
    }
    Ok(())
}

/// Writes `rows` as columns two spaces apart, the first `left` left-aligned (names) and the
/// others right-aligned (numbers), each as wide as its widest cell; with `rule_before`, a line
/// of `-` as wide as the table comes before that row (the totals).
pub fn write_columns(
    out: &mut dyn Write,
    rows: &[Vec<String>],
    left: usize,
    rule_before: Option<usize>,
) -> io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if rule_before == Some(i) {
            let rule = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
            writeln!(out, "{}", "-".repeat(rule))?;
        }
        let mut line = String::new();
        for (c, (w, cell)) in widths.iter().zip(row).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if c > 0 {
                line.push_str("  ");
            }
            if c < left {
                line.push_str(cell);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

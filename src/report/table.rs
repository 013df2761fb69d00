//! `--format table`: aligned columns for people, a rule and the totals, then what ran.
//!
//! [`write_columns`] is the layout every table of logcount uses (`bench` too).

use std::io::{self, Write};

use super::{human_bytes, thousands, Exporter, Report};

pub struct TableExporter;

impl Exporter for TableExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        let files_word = if s.files == 1 { "file" } else { "files" };
        let mut rows: Vec<Vec<String>> = Vec::with_capacity(report.files.len() + 2);
        rows.push(
            ["PATH", "REQUESTS", "UNIQUE IPS", "BYTES"]
                .map(String::from)
                .to_vec(),
        );
        for f in &report.files {
            rows.push(vec![
                f.path.clone(),
                thousands(f.total),
                thousands(f.ip),
                human_bytes(f.bytes),
            ]);
        }
        rows.push(vec![
            format!("TOTAL ({} {files_word})", thousands(s.files)),
            thousands(s.total),
            thousands(s.ip),
            human_bytes(s.bytes),
        ]);
        write_columns(out, &rows, Some(rows.len() - 1))?;
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
}

/// Writes `rows` as columns two spaces apart, the first left-aligned and the others
/// right-aligned (numbers), each as wide as its widest cell; with `rule_before`, a line of `-`
/// as wide as the table comes before that row (the totals).
pub fn write_columns(
    out: &mut dyn Write,
    rows: &[Vec<String>],
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
        let Some((first, rest)) = row.split_first() else {
            writeln!(out)?;
            continue;
        };
        let pad = widths[0] - first.chars().count();
        write!(out, "{first}{}", " ".repeat(pad))?;
        for (w, cell) in widths[1..].iter().zip(rest) {
            let pad = w - cell.chars().count();
            write!(out, "  {}{cell}", " ".repeat(pad))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

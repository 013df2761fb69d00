//! `--summary`: the totals only, for cron mails and scripts (docs/output.md): the table's
//! totals as one row under its header, JSON's `summary` object, NDJSON's summary line, CSV's
//! header and one row. Errors still go to stderr as they happen, and the exit status says
//! whether any input failed.

use std::io::{self, Write};

use super::{human_bytes, thousands, write_columns, Exporter, OutputFormat, Report, Summary};

/// Writes the summary of a run in one of the formats that have a summary-only form.
pub struct SummaryExporter {
    format: OutputFormat,
}

impl SummaryExporter {
    /// The summary in `format`; `None` for a format with no such form (HTML is a report).
    pub fn new(format: OutputFormat) -> Option<SummaryExporter> {
        (format != OutputFormat::Html).then_some(SummaryExporter { format })
    }
}

impl Exporter for SummaryExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        match self.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, s)?;
                writeln!(out)
            }
            OutputFormat::Ndjson => {
                serde_json::to_writer(&mut *out, s)?;
                writeln!(out)
            }
            OutputFormat::Csv => {
                let cells = columns(s, |n| n.to_string(), |b| b.to_string());
                let (head, row): (Vec<&str>, Vec<String>) =
                    cells.into_iter().map(|(name, _, v)| (name, v)).unzip();
                writeln!(out, "{}", head.join(","))?;
                writeln!(out, "{}", row.join(","))
            }
            OutputFormat::Table | OutputFormat::Html => {
                let cells = columns(s, thousands, human_bytes);
                let (head, row): (Vec<String>, Vec<String>) = cells
                    .into_iter()
                    .map(|(_, title, v)| (title.to_string(), v))
                    .unzip();
                write_columns(out, &[head, row], 0, None)
            }
        }
    }
}

/// The summary's cells: each one's name in JSON and CSV, its title in a table, and its value
/// (numbers written by `number`, the bytes by `bytes`); `filtered` only under a time window.
fn columns(
    s: &Summary,
    number: impl Fn(u64) -> String,
    bytes: impl Fn(u64) -> String,
) -> Vec<(&'static str, &'static str, String)> {
    let mut cells = vec![
        ("files", "FILES", number(s.files)),
        ("total", "REQUESTS", number(s.total)),
        ("ip", "UNIQUE IPS", number(s.ip)),
        ("bytes", "BYTES", bytes(s.bytes)),
        ("malformed", "MALFORMED", number(s.malformed)),
    ];
    if let Some(filtered) = s.extra.filtered {
        cells.push(("filtered", "FILTERED", number(filtered)));
    }
    cells.push(("errors", "ERRORS", number(s.errors)));
    cells.push(("skipped", "SKIPPED", number(s.skipped)));
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(format: OutputFormat) -> String {
        let mut report = super::super::tests::sample();
        report.summary.extra.filtered = Some(7);
        let mut out = Vec::new();
        SummaryExporter::new(format)
            .unwrap()
            .finish(&mut out, &report)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_format_writes_the_totals_and_nothing_of_the_files() {
        let csv = written(OutputFormat::Csv);
        assert_eq!(
            csv,
            "files,total,ip,bytes,malformed,filtered,errors,skipped\n2,1234570,1001,5000100,1,7,1,1\n"
        );
        let table = written(OutputFormat::Table);
        assert_eq!(table.lines().count(), 2, "{table}");
        assert!(
            table.contains("1,234,570") && table.contains("5.0 MB"),
            "{table}"
        );
        let json: serde_json::Value = serde_json::from_str(&written(OutputFormat::Json)).unwrap();
        assert_eq!(json["ip"], 1001);
        assert_eq!(json["filtered"], 7);
        assert!(json.get("files").is_some_and(|f| f.is_u64()));
        let ndjson = written(OutputFormat::Ndjson);
        assert_eq!(ndjson.lines().count(), 1);
        assert!(!ndjson.contains("a,1.log"));
    }

    #[test]
    fn html_has_no_summary_only_form() {
        assert!(SummaryExporter::new(OutputFormat::Html).is_none());
    }
}

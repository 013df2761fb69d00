//! `--format table`: aligned columns for people, a rule and the totals, the summary's periods
//! and top clients, then what ran.
//!
//! On a terminal no line is wider than its columns ([`TableStyle::width`]; a wrapped table is
//! unreadable: issue 28). A table too wide first shows its paths relative to the directory they
//! share (named in a line above it), then elides the middle of the longest down to
//! [`MIN_PATH`] columns, then hides the least useful columns, `BYTES`, `FORMAT`, `MALFORMED`
//! (and a window's `FILTERED`) in that order, never `PATH`, `REQUESTS` or `UNIQUE IPS`, and
//! says so in a line under it. Any other line too wide (a title, the footer, an error) loses its
//! middle or its end. Without a width (a pipe, a file) nothing is elided, hidden or cut.
//!
//! The summary's periods and top clients come right after the files table; each file's follow
//! only when asked ([`FileBlocks`]: with many files they buried the summary, issue 28).
//!
//! [`write_columns`] is the layout every table of logcount uses (`bench` too).

use std::borrow::Cow;
use std::io::{self, Write};

use super::{human_bytes, human_duration, thousands, Exporter, Extra, Report};
use crate::diag::escape_controls;
use crate::terminal::{cut_end, elide_middle, width as display_width};

/// The narrowest a path is elided to before a column is hidden to make room.
const MIN_PATH: usize = 24;

/// The narrowest a top client is elided to (an IPv4 address is 15 columns).
const MIN_CLIENT: usize = 15;

/// How the table is laid out, decided once by the command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStyle {
    /// Bold header and totals, red errors (a terminal that wants colour).
    pub(crate) color: bool,
    /// The widest a line may be (the terminal's columns); `None`: no limit.
    pub(crate) width: Option<usize>,
    /// Which periods and top clients (`--by`, `--top`) are shown beside the summary's.
    pub(crate) files: FileBlocks,
}

impl TableStyle {
    /// The style of a table on stdout: as wide as [`crate::terminal::stdout_columns`].
    pub fn stdout(color: bool, files: FileBlocks) -> TableStyle {
        TableStyle {
            color,
            width: crate::terminal::stdout_columns(),
            files,
        }
    }
}

/// Whether each file's periods and top clients follow the summary's (with many files they
/// would bury it: issue 28). JSON, NDJSON and CSV always have them all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileBlocks {
    /// Every file's, after the summary's (`-v`).
    Shown,
    /// The summary's only; a line says `-v` or `--format json` shows every file's.
    #[default]
    OnVerbose,
    /// The summary's only; a line says `--format json` has every file's (`merge`: no `-v`).
    InJson,
}

pub(crate) struct TableExporter {
    pub(crate) style: TableStyle,
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

impl Exporter for TableExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        // Laid out plain (widths count columns), then styled line by line.
        let mut lines = Lines::new(self.style.width);
        write_report(&mut lines, report, self.style.files);
        for (tone, line) in &lines.lines {
            match tone {
                Tone::Bold if self.style.color => writeln!(out, "{BOLD}{line}{RESET}")?,
                Tone::Red if self.style.color => writeln!(out, "{RED}{line}{RESET}")?,
                _ => writeln!(out, "{line}")?,
            }
        }
        Ok(())
    }
}

/// How a line is shown on a terminal that wants colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    Plain,
    /// The files table's header and totals.
    Bold,
    /// What failed.
    Red,
}

/// The table's lines as they are written, each cut to the width if it is still too wide (the
/// layout avoids that; this is what makes "never wider" hold whatever the text).
struct Lines {
    width: Option<usize>,
    lines: Vec<(Tone, String)>,
    /// The columns a line has said were hidden, so each is said once.
    hidden_noted: Vec<String>,
}

impl Lines {
    fn new(width: Option<usize>) -> Lines {
        Lines {
            width,
            lines: Vec::new(),
            hidden_noted: Vec::new(),
        }
    }

    fn push(&mut self, tone: Tone, line: &str) {
        let line = match self.width {
            Some(width) => cut_end(line, width),
            None => Cow::Borrowed(line),
        };
        self.lines.push((tone, line.into_owned()));
    }

    /// The first of `lines` (most said first) that fits the width, else the last, cut.
    fn push_first_fitting(&mut self, tone: Tone, lines: &[String]) {
        let fits = |l: &&String| self.width.is_none_or(|w| display_width(l) <= w);
        let line = lines.iter().find(fits).or(lines.last());
        if let Some(line) = line {
            self.push(tone, line);
        }
    }

    /// `label` then `name`, whose middle gives way if the line is too wide.
    fn push_titled(&mut self, label: &str, name: &str) {
        let name = match self.width {
            Some(width) => elide_middle(name, width.saturating_sub(display_width(label))),
            None => Cow::Borrowed(name),
        };
        self.push(Tone::Plain, &format!("{label}{name}"));
    }

    /// A table's lines, then one that names the columns it hid that no line has named yet.
    fn push_table(&mut self, table: &Table, tone_of_row: impl Fn(usize) -> Tone) {
        let layout = table.layout(self.width);
        for (row, line) in table.render(&layout) {
            self.push(row.map_or(Tone::Plain, &tone_of_row), &line);
        }
        let names: Vec<String> = layout
            .hidden
            .iter()
            .map(|&c| table.columns[c].head.clone())
            .filter(|name| !self.hidden_noted.contains(name))
            .collect();
        if !names.is_empty() {
            let list = names.join(", ");
            self.push_first_fitting(
                Tone::Plain,
                &[
                    format!(
                        "hidden for width: {list} (a wider terminal or --format json shows them)"
                    ),
                    format!("hidden for width: {list} (--format json shows them)"),
                    format!("hidden: {list}"),
                ],
            );
            self.hidden_noted.extend(names);
        }
    }
}

/// The whole report: the files table, the summary's periods and top clients (and each file's,
/// or a line that says where they are), the footer and the errors.
fn write_report(lines: &mut Lines, report: &Report, files: FileBlocks) {
    let s = &report.summary;
    let files_word = if s.files == 1 { "file" } else { "files" };
    // Relative to the directory every path is under, if the full paths do not fit.
    let paths: Vec<String> = report
        .files
        .iter()
        .map(|f| escape_controls(&f.path).into_owned())
        .collect();
    let mut table = files_table(report, &paths, "");
    let mut under = None;
    if !table.fits(lines.width) {
        if let Some(dir) = common_dir(&paths) {
            table = files_table(report, &paths, dir);
            lines.push_titled("paths relative to ", dir);
            under = Some(dir);
        }
    }
    let total_row = table.rule_before.unwrap_or(usize::MAX);
    lines.push_table(&table, |row| {
        if row == 0 || row >= total_row {
            Tone::Bold
        } else {
            Tone::Plain
        }
    });
    // The summary's periods and top clients (a file's own, when it is the only one), then
    // each file's when asked: never buried under them.
    let all = match paths.as_slice() {
        [one] => one.clone(),
        _ => format!("all {} {files_word}", thousands(s.files)),
    };
    write_extra(lines, &all, &s.extra, s.total);
    let by_file = report.files.len() > 1 && (s.extra.by.is_some() || s.extra.top.is_some());
    if by_file {
        match files {
            FileBlocks::Shown => {
                for (f, path) in report.files.iter().zip(&paths) {
                    let name = under.map_or(path.as_str(), |dir| &path[dir.len()..]);
                    write_extra(lines, name, &f.extra, f.total);
                }
            }
            FileBlocks::OnVerbose => lines.push_first_fitting(
                Tone::Plain,
                &[
                    "per-file periods and top clients: -v, or --format json".into(),
                    "per file: -v, or --format json".into(),
                ],
            ),
            FileBlocks::InJson => lines.push_first_fitting(
                Tone::Plain,
                &[
                    "per-file periods and top clients: --format json".into(),
                    "per file: --format json".into(),
                ],
            ),
        }
    }
    lines.push(Tone::Plain, &footer(report));
    // What failed, where a reader of the table looks last (stderr had it as it happened).
    if !report.errors.is_empty() {
        lines.push(Tone::Red, "errors:");
        for e in &report.errors {
            let line = error_line(
                &escape_controls(&e.path),
                &escape_controls(&e.error),
                lines.width,
            );
            lines.push(Tone::Red, &line);
        }
    }
}

/// The files table: a row per file (its path without the directory `under`), then the totals.
fn files_table(report: &Report, paths: &[String], under: &str) -> Table {
    let s = &report.summary;
    let files_word = if s.files == 1 { "file" } else { "files" };
    let windowed = s.extra.filtered.is_some();
    let mut columns = vec![
        Column::left("PATH", Fit::Elide(MIN_PATH)),
        Column::left("FORMAT", Fit::Hide(2)),
        Column::right("REQUESTS", Fit::Keep),
        Column::right("UNIQUE IPS", Fit::Keep),
        Column::right("MALFORMED", Fit::Hide(3)),
        Column::right("BYTES", Fit::Hide(1)),
    ];
    if windowed {
        columns.push(Column::right("FILTERED", Fit::Hide(4)));
    }
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(report.files.len() + 2);
    rows.push(columns.iter().map(|c| c.head.clone()).collect());
    let filtered = |extra: &Extra| extra.filtered.map(thousands).into_iter();
    for (f, path) in report.files.iter().zip(paths) {
        let mut row = vec![
            path.strip_prefix(under).unwrap_or(path).to_string(),
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
    Table {
        columns,
        rule_before: Some(rows.len() - 1),
        rows,
    }
}

/// The directory every path is under, `/` included (`sample_logs/`), if they share one worth
/// leaving out (not just `/`).
fn common_dir(paths: &[String]) -> Option<&str> {
    let first = paths.first()?;
    let shared = paths.iter().skip(1).fold(first.len(), |n, p| {
        first
            .bytes()
            .zip(p.bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Up to a `/`, an ASCII byte: always a character boundary.
    let dir = &first[..first[..shared].rfind('/')? + 1];
    (dir != "/").then_some(dir)
}

/// What ran, how many and how long, and how many inputs failed or were skipped.
fn footer(report: &Report) -> String {
    let s = &report.summary;
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
    format!(
        "{}{method} ×{} in {}{errors}",
        e.name,
        e.jobs,
        human_duration(report.elapsed_ms)
    )
}

/// `  path: error`, the path elided in the middle so that the error is whole if it can be.
fn error_line(path: &str, error: &str, width: Option<usize>) -> String {
    let path = match width {
        Some(width) => {
            let room = width.saturating_sub(display_width(error) + 4);
            elide_middle(path, room.max(MIN_CLIENT.min(display_width(path))))
        }
        None => Cow::Borrowed(path),
    };
    format!("  {path}: {error}")
}

/// The periods and top clients of one file (or all, `total` requests): a titled block each,
/// after a blank line.
fn write_extra(lines: &mut Lines, name: &str, extra: &Extra, total: u64) {
    if let Some(by) = &extra.by {
        let period = extra.period.map_or("period", |p| p.name());
        lines.push(Tone::Plain, "");
        lines.push_titled(&format!("by {period}: "), name);
        if by.is_empty() {
            lines.push(Tone::Plain, "  (no request in any period)");
        } else {
            let columns = vec![
                Column::left(&period.to_ascii_uppercase(), Fit::Keep),
                Column::right("REQUESTS", Fit::Keep),
                Column::right("UNIQUE IPS", Fit::Keep),
                Column::right("MALFORMED", Fit::Hide(1)),
            ];
            let rows = by.iter().map(|p| {
                vec![
                    p.period.clone(),
                    thousands(p.total),
                    thousands(p.ip),
                    thousands(p.malformed),
                ]
            });
            lines.push_table(&Table::new(columns, rows), |_| Tone::Plain);
        }
    }
    if let Some(top) = &extra.top {
        lines.push(Tone::Plain, "");
        lines.push_titled("top clients: ", name);
        if top.is_empty() {
            lines.push(Tone::Plain, "  (no request)");
        } else {
            let columns = vec![
                Column::left("CLIENT", Fit::Elide(MIN_CLIENT)),
                Column::right("REQUESTS", Fit::Keep),
                Column::right("SHARE", Fit::Hide(1)),
            ];
            let rows = top.iter().map(|t| {
                vec![
                    escape_controls(&t.client).into_owned(),
                    thousands(t.requests),
                    share(t.requests, total),
                ]
            });
            lines.push_table(&Table::new(columns, rows), |_| Tone::Plain);
        }
    }
}

/// `part` as a percentage of `whole`, one decimal (`12.3%`), as the HTML report has it.
fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", part as f64 / whole as f64 * 100.0)
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
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let columns = (0..count)
        .map(|c| Column {
            head: String::new(),
            align: if c < left { Align::Left } else { Align::Right },
            fit: Fit::Keep,
        })
        .collect();
    let table = Table {
        columns,
        rows: rows.to_vec(),
        rule_before,
    };
    for (_, line) in table.render(&table.layout(None)) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A table: its columns, its rows (the header first), and where a rule comes before the
/// totals. The rows between the header and the rule are the data, whose cells may be elided.
struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    rule_before: Option<usize>,
}

struct Column {
    head: String,
    align: Align,
    fit: Fit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// How a column gives way when its table is too wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fit {
    /// Always shown, as wide as its widest cell.
    Keep,
    /// Its data cells lose their middle, down to this many columns (paths, clients).
    Elide(usize),
    /// Hidden once eliding is not enough, lowest first.
    Hide(u8),
}

impl Column {
    fn left(head: &str, fit: Fit) -> Column {
        Column {
            head: head.into(),
            align: Align::Left,
            fit,
        }
    }

    fn right(head: &str, fit: Fit) -> Column {
        Column {
            head: head.into(),
            align: Align::Right,
            fit,
        }
    }
}

/// The columns shown (by index) and how wide each is, and those hidden for width.
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    shown: Vec<(usize, usize)>,
    hidden: Vec<usize>,
}

impl Layout {
    /// The width of a line of the table.
    fn line_width(&self) -> usize {
        self.shown.iter().map(|&(_, w)| w).sum::<usize>() + 2 * self.shown.len().saturating_sub(1)
    }
}

impl Table {
    /// A table of a header and data rows.
    fn new(columns: Vec<Column>, rows: impl Iterator<Item = Vec<String>>) -> Table {
        let head = columns.iter().map(|c| c.head.clone()).collect();
        Table {
            columns,
            rows: std::iter::once(head).chain(rows).collect(),
            rule_before: None,
        }
    }

    /// Whether `row` holds data (whose cells may be elided), not the header or totals.
    fn is_data(&self, row: usize) -> bool {
        row > 0 && self.rule_before.is_none_or(|rule| row < rule)
    }

    /// The widest cell of column `c`: of every row, or (`data`: false) of the header and the
    /// totals only, which are never elided.
    fn widest(&self, c: usize, data: bool) -> usize {
        self.rows
            .iter()
            .enumerate()
            .filter(|&(r, _)| data || !self.is_data(r))
            .filter_map(|(_, row)| row.get(c))
            .map(|cell| display_width(cell))
            .max()
            .unwrap_or(0)
    }

    /// Whether the table fits `width` as it is, nothing elided or hidden.
    fn fits(&self, width: Option<usize>) -> bool {
        let layout = self.layout(None);
        width.is_none_or(|w| layout.line_width() <= w)
    }

    /// How the table is laid out in `width`: every column as wide as its widest cell if that
    /// fits; else the elidable column narrowed, but not below its minimum; else the next
    /// column hidden and the same again. With every column that may go gone, the elidable
    /// one may go below its minimum, as narrow as its header and totals allow (lines still too
    /// wide are cut when written).
    fn layout(&self, width: Option<usize>) -> Layout {
        let mut shown: Vec<usize> = (0..self.columns.len()).collect();
        let mut hidden = Vec::new();
        loop {
            let mut layout = Layout {
                shown: shown.iter().map(|&c| (c, self.widest(c, true))).collect(),
                hidden: hidden.clone(),
            };
            let Some(width) = width else {
                return layout;
            };
            let over = layout.line_width().saturating_sub(width);
            if over == 0 {
                return layout;
            }
            let elidable = layout
                .shown
                .iter_mut()
                .find_map(|(c, w)| match self.columns[*c].fit {
                    Fit::Elide(min) => Some((*c, w, min)),
                    _ => None,
                });
            let next_hidden = shown
                .iter()
                .enumerate()
                .filter_map(|(at, &c)| match self.columns[c].fit {
                    Fit::Hide(rank) => Some((rank, at)),
                    _ => None,
                })
                .min();
            if let Some((c, w, min)) = elidable {
                // Down to its minimum while a column may go; then as far as its header and
                // totals allow.
                let fixed = self.widest(c, false);
                let floor = match next_hidden {
                    Some(_) => fixed.max(min.min(*w)),
                    None => fixed,
                };
                if *w >= floor + over || next_hidden.is_none() {
                    *w = w.saturating_sub(over).max(floor);
                    return layout;
                }
            }
            match next_hidden {
                Some((_, at)) => hidden.push(shown.remove(at)),
                None => return layout,
            }
        }
    }

    /// The lines of the table in `layout`, each with the row it shows (`None`: the rule).
    fn render(&self, layout: &Layout) -> Vec<(Option<usize>, String)> {
        let mut lines = Vec::with_capacity(self.rows.len() + 1);
        for (r, row) in self.rows.iter().enumerate() {
            if self.rule_before == Some(r) {
                lines.push((None, "-".repeat(layout.line_width())));
            }
            let mut line = String::new();
            for (i, &(c, w)) in layout.shown.iter().enumerate() {
                let cell = row.get(c).map_or("", String::as_str);
                let cell = match self.columns[c].fit {
                    Fit::Elide(_) if self.is_data(r) => elide_middle(cell, w),
                    _ => Cow::Borrowed(cell),
                };
                let pad = " ".repeat(w.saturating_sub(display_width(&cell)));
                if i > 0 {
                    line.push_str("  ");
                }
                match self.columns[c].align {
                    Align::Left => {
                        line.push_str(&cell);
                        line.push_str(&pad);
                    }
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(&cell);
                    }
                }
            }
            lines.push((Some(r), line.trim_end().to_string()));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Body, Format, Period};
    use crate::input::InputError;
    use crate::report::{ExecutorInfo, FileStats, PeriodStats, Results, TopClient};

    /// Three files under `var/log/nginx/`, one with a long name, each with periods and top
    /// clients, and an error.
    fn report() -> Report {
        let extra = |total: u64| Extra {
            period: Some(Period::Day),
            filtered: None,
            by: Some(vec![PeriodStats {
                period: "2026-11-30".into(),
                total,
                ip: 2,
                malformed: 0,
            }]),
            top: Some(vec![
                TopClient {
                    client: "203.0.113.7".into(),
                    requests: total / 2,
                },
                TopClient {
                    client: "2001:db8:1234:5678:9abc:def0:1234:5678".into(),
                    requests: total / 4,
                },
            ]),
        };
        let file = |path: &str, total: u64| FileStats {
            path: path.into(),
            total,
            ip: 2,
            bytes: total * 150,
            malformed: 1,
            format: Some(Format {
                prefix: None,
                body: Body::Combined,
            }),
            extra: extra(total),
            malformed_lines: None,
        };
        let results = Results {
            files: vec![
                file("var/log/nginx/access.log", 1000),
                file(
                    "var/log/nginx/shop.example.com-2026-11-30T08:05Z.access.log.1.gz",
                    800,
                ),
                file("var/log/nginx/tiny.log", 200),
            ],
            errors: vec![InputError::new(
                "var/log/nginx/locked/with/a/very/long/way/to/it.log",
                "Permission denied (os error 13)",
            )],
            skipped: Vec::new(),
            union_ip: 5,
            union_error: None,
            extra: extra(2000),
        };
        let executor = ExecutorInfo {
            name: "threads".into(),
            jobs: 2,
            start_method: None,
        };
        Report::new(results, executor, 31.0)
    }

    fn table(report: &Report, width: Option<usize>, files: FileBlocks) -> String {
        let mut exporter = TableExporter {
            style: TableStyle {
                color: false,
                width,
                files,
            },
        };
        let mut out = Vec::new();
        exporter.finish(&mut out, report).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The line that starts with `start`.
    fn line<'a>(text: &'a str, start: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starts with {start:?}:\n{text}"))
    }

    #[test]
    fn no_line_is_wider_than_the_terminal() {
        let r = report();
        for width in [20, 40, 60, 80, 120] {
            for files in [FileBlocks::Shown, FileBlocks::OnVerbose] {
                let text = table(&r, Some(width), files);
                for l in text.lines() {
                    assert!(display_width(l) <= width, "{width}: {l:?}\n{text}");
                }
                // The numbers that matter are there wherever they can be.
                if width >= 40 {
                    let total = line(&text, "TOTAL (3 files)");
                    let numbers: Vec<&str> = total.split_whitespace().skip(3).take(2).collect();
                    assert_eq!(numbers, ["2,000", "5"], "{width}: {total}");
                }
            }
        }
    }

    #[test]
    fn without_a_width_nothing_is_elided_hidden_or_cut() {
        let text = table(&report(), None, FileBlocks::OnVerbose);
        assert!(text.starts_with("PATH "), "{text}");
        assert!(text.contains(
            "\nvar/log/nginx/shop.example.com-2026-11-30T08:05Z.access.log.1.gz  combined"
        ));
        assert!(!text.contains('…') && !text.contains("hidden"), "{text}");
        assert!(text.contains("  var/log/nginx/locked/with/a/very/long/way/to/it.log: Permission"));
    }

    #[test]
    fn a_table_too_wide_drops_the_common_directory_first() {
        // 118 columns with full paths, 104 without their directory: nothing else gives way.
        let text = table(&report(), Some(110), FileBlocks::OnVerbose);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "paths relative to var/log/nginx/");
        assert!(lines[1].starts_with("PATH ") && lines[1].ends_with("BYTES"));
        assert!(lines[2].starts_with("access.log "), "{text}");
        assert!(
            lines[3].starts_with("shop.example.com-2026-11-30T08:05Z.access.log.1.gz  combined")
        );
        assert!(!text.contains('…') && !text.contains("hidden"), "{text}");
        // A table that fits keeps its paths whole.
        let wide = table(&report(), Some(120), FileBlocks::OnVerbose);
        assert!(wide.starts_with("PATH ") && wide.contains("\nvar/log/nginx/tiny.log "));
    }

    #[test]
    fn then_elides_the_middle_of_long_paths_then_hides_columns_in_order() {
        let r = report();
        // At 80: the long name loses its middle; every column stays.
        let text = table(&r, Some(80), FileBlocks::OnVerbose);
        let head = line(&text, "PATH ");
        assert!(head.ends_with("MALFORMED     BYTES"), "{text}");
        let long = line(&text, "shop.");
        assert!(
            long.starts_with("shop.example.…cess.log.1.gz  combined"),
            "{long}"
        );
        assert!(!text.contains("hidden"), "{text}");
        // At 60: BYTES goes, then FORMAT, before a path is under MIN_PATH; said once.
        let text = table(&r, Some(60), FileBlocks::OnVerbose);
        let head = line(&text, "PATH ");
        assert!(head.ends_with("REQUESTS  UNIQUE IPS  MALFORMED"), "{text}");
        let long = line(&text, "shop.");
        let path = long.split("  ").next().unwrap();
        assert_eq!(
            display_width(path),
            27,
            "elided to what the width leaves: {long}"
        );
        assert_eq!(
            line(&text, "hidden"),
            "hidden for width: BYTES, FORMAT (--format json shows them)"
        );
        assert_eq!(text.matches("hidden").count(), 1, "{text}");
        // At 40: MALFORMED too, once, even though the periods lose it as well.
        let text = table(&r, Some(40), FileBlocks::OnVerbose);
        assert_eq!(
            line(&text, "PATH "),
            "PATH                REQUESTS  UNIQUE IPS"
        );
        assert_eq!(line(&text, "DAY "), "DAY         REQUESTS  UNIQUE IPS");
        assert_eq!(line(&text, "hidden"), "hidden: BYTES, FORMAT, MALFORMED");
        assert_eq!(text.matches("hidden").count(), 1, "{text}");
    }

    #[test]
    fn the_summary_comes_first_and_files_only_when_asked() {
        let r = report();
        let text = table(&r, None, FileBlocks::OnVerbose);
        let blocks: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("by day: ") || l.starts_with("top clients: "))
            .collect();
        assert_eq!(blocks, ["by day: all 3 files", "top clients: all 3 files"]);
        // Right after the files table, and the line that says where the rest are.
        let after_total = text.split("TOTAL (3 files)").nth(1).unwrap();
        assert!(after_total.contains("\n\nby day: all 3 files\n"), "{text}");
        line(
            &text,
            "per-file periods and top clients: -v, or --format json",
        );
        let merged = table(&r, None, FileBlocks::InJson);
        line(&merged, "per-file periods and top clients: --format json");
        // -v: every file's after the summary's.
        let text = table(&r, None, FileBlocks::Shown);
        let blocks: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("top clients: "))
            .collect();
        assert_eq!(
            blocks,
            [
                "top clients: all 3 files",
                "top clients: var/log/nginx/access.log",
                "top clients: var/log/nginx/shop.example.com-2026-11-30T08:05Z.access.log.1.gz",
                "top clients: var/log/nginx/tiny.log",
            ]
        );
        assert!(!text.contains("per-file"), "{text}");
        // Under the common directory, the blocks name files as the table does.
        let narrow = table(&r, Some(110), FileBlocks::Shown);
        line(&narrow, "top clients: tiny.log");
    }

    #[test]
    fn top_clients_have_their_share_of_the_blocks_requests() {
        let text = table(&report(), None, FileBlocks::Shown);
        let summary = text.split("top clients: all 3 files\n").nth(1).unwrap();
        let rows: Vec<&str> = summary.lines().take(3).collect();
        assert_eq!(
            rows,
            [
                "CLIENT                                  REQUESTS  SHARE",
                "203.0.113.7                                1,000  50.0%",
                "2001:db8:1234:5678:9abc:def0:1234:5678       500  25.0%",
            ]
        );
        // A file's block: of that file's requests.
        let tiny = text
            .split("top clients: var/log/nginx/tiny.log\n")
            .nth(1)
            .unwrap();
        assert!(
            tiny.lines().nth(1).unwrap().ends_with("100  50.0%"),
            "{tiny}"
        );
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "-");
    }

    #[test]
    fn errors_keep_their_message_and_lose_the_middle_of_their_path() {
        let text = table(&report(), Some(60), FileBlocks::OnVerbose);
        assert_eq!(
            line(&text, "  var/"),
            "  var/log/ngin…ay/to/it.log: Permission denied (os error 13)"
        );
        // With no room for the path, it keeps a few columns and the message gives way.
        let text = table(&report(), Some(40), FileBlocks::OnVerbose);
        assert_eq!(
            line(&text, "  var/"),
            "  var/log…/it.log: Permission denied (o…"
        );
    }

    #[test]
    fn common_dir_is_a_whole_directory_shared_by_every_path() {
        let dir = |paths: &[&str]| {
            let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
            common_dir(&paths).map(str::to_string)
        };
        assert_eq!(
            dir(&["logs/a.log", "logs/b/c.log"]).as_deref(),
            Some("logs/")
        );
        // A shared start of a name is not a directory.
        assert_eq!(
            dir(&["logs/access.log", "logs/access-2.log"]).as_deref(),
            Some("logs/")
        );
        assert_eq!(dir(&["logs-a/x.log", "logs-b/x.log"]), None);
        assert_eq!(
            dir(&["/var/a.log", "/srv/b.log"]),
            None,
            "/ is not worth saying"
        );
        assert_eq!(dir(&["/var/log/a.log"]).as_deref(), Some("/var/log/"));
        assert_eq!(dir(&["-", "logs/a.log"]), None);
        assert_eq!(dir(&["ünï/a.log", "ünï/b.log"]).as_deref(), Some("ünï/"));
        assert_eq!(dir(&[]), None);
    }

    #[test]
    fn write_columns_aligns_names_left_and_numbers_right() {
        let rows: Vec<Vec<String>> = [
            ["EXECUTOR", "JOBS", "MB/S"],
            ["serial", "1", "1,234"],
            ["threads", "16", "9"],
        ]
        .iter()
        .map(|r| r.map(String::from).to_vec())
        .collect();
        let mut out = Vec::new();
        write_columns(&mut out, &rows, 1, Some(2)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "EXECUTOR  JOBS   MB/S\nserial       1  1,234\n---------------------\nthreads     16      9\n"
        );
    }
}

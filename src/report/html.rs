//! `--format html`: one self-contained page to read offline or send by mail — inline CSS and
//! SVG, no JavaScript, nothing fetched (docs/output.md, "The HTML report").
//!
//! The page must not mislead, so:
//! - every chart has a value axis with ticks at round numbers, and requests and unique clients
//!   share it: a count is a count, and a file's clients bar is never longer than its requests
//!   bar;
//! - periods stand on a time axis: a bar's place is its time, so years without a request show
//!   as years of nothing, not as the next bar;
//! - every bar names its figures on hover (an SVG `<title>`), and the tables hold them all;
//! - a file or period whose malformed lines are over 1% of its lines stands out;
//! - the subtitle says what was read, the time it spans and when the report was made.
//!
//! Paths wrap at their `/`. Below 40rem (a phone) the tables with bars stack each row and the
//! time axis keeps every other label; on paper (`@media print`) the colours stay. Everything
//! but the line that says when the report was made, by which executor and how fast, is the
//! same on every executor.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{
    human_bytes, human_duration, thousands, Exporter, FileStats, PeriodStats, Report, TopClient,
};
use crate::format::{civil_from_days, days_from_civil, iso_year, utc_text, Period};

pub(crate) struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        out.write_all(page(report, now).as_bytes())
    }
}

/// The page's style: the layout, the bars' colours (Okabe and Ito's blue and vermilion, told
/// apart by the colour-blind), the axes; below 40rem the tables with bars stack their rows
/// (each figure labelled from its `data-label`); on paper the colours stay.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem;color:#1a1a1a;\
background:#fff;max-width:72rem}\
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}\
.sub{color:#555;margin:0}.run{margin-bottom:1.2rem}.note{color:#555;margin:.3rem 0 .6rem}\
.cards{display:flex;flex-wrap:wrap;gap:.8rem}\
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:8rem}\
.card b{display:block;font-size:1.3rem}.card.bad{border-color:#b00020}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:middle}\
th{vertical-align:bottom}\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
td.path,td.client{overflow-wrap:break-word}td.when{white-space:nowrap}\
.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:-.1rem}\
.key:first-child{margin-left:0}\
.req{background:#0072b2;fill:#0072b2}.ip{background:#d55e00;fill:#d55e00}\
.chart .req{stroke:#0072b2;stroke-width:3px}.chart .ip{stroke:#d55e00;stroke-width:1px}\
.grid{stroke:#e4e4e4}.base,.tick{stroke:#888}\
.grid,.base,.tick,.chart rect{shape-rendering:crispEdges}\
svg text{font-size:11px;font-weight:normal;fill:#555}\
svg.chart{display:block;overflow:visible;box-sizing:border-box;padding-left:46px}\
.bad{color:#b00020;font-weight:600}\
.badge{display:inline-block;margin-left:.3rem;padding:0 .3rem;border-radius:3px;\
background:#b00020;color:#fff;font-size:.8em}\
.err td{color:#b00020}\
@media (max-width:40rem){body{margin:1rem}th,td{padding:.25rem .3rem}td.bad{white-space:normal}\
table.stack,table.stack thead,table.stack tbody,table.stack thead tr{display:block}\
table.stack th{display:none}table.stack th.axis{display:block;padding:0;border:0}\
table.stack tr{display:flex;flex-wrap:wrap;gap:.1rem .9rem;padding:.4rem 0;\
border-bottom:1px solid #eee}\
table.stack td{border:0;padding:0}table.stack td.n{text-align:left}\
table.stack td.n::before{content:attr(data-label) ' ';color:#555;font-weight:normal}\
table.stack td.path,table.stack td.client,table.stack td.bar{flex-basis:100%}\
.chart .alt{display:none}}\
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}\
tr,.card,svg{break-inside:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// The whole page, made at `made` (seconds since the epoch, UTC).
fn page(report: &Report, made: i64) -> String {
    let s = &report.summary;
    let mut page = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>logcount: {} requests, {} unique clients</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<h1>logcount report</h1>\n",
        thousands(s.total),
        thousands(s.ip),
    );
    subtitle(&mut page, report, made);
    cards(&mut page, report);
    files(&mut page, &report.files);
    if let Some(by) = &s.extra.by {
        periods(&mut page, s.extra.period, by);
    }
    if let Some(top) = &s.extra.top {
        top_clients(&mut page, top, s.total);
    }
    listed(
        &mut page,
        "Errors",
        "err",
        report
            .errors
            .iter()
            .map(|e| (e.path.as_str(), e.error.as_str())),
    );
    listed(
        &mut page,
        "Skipped",
        "skip",
        report
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason.as_str())),
    );
    page.push_str("</body>\n</html>\n");
    page
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let text = crate::diag::escape_controls(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped, with a line-break opportunity after each `at` (a path's `/`, an IPv6
/// address's `:`), so that it wraps between its parts rather than mid-word.
fn breakable(text: &str, at: char) -> String {
    escape(text).replace(at, &format!("{at}<wbr>"))
}

/// `n` and the noun, in the plural unless `n` is 1: `1 input`, `37 inputs`.
fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Under the title, two lines: what was read (inputs, bytes, the periods it covers), then
/// when the report was made, by which executor, and how long the run took. The second line is
/// the only one that differs from one run or executor to another.
fn subtitle(page: &mut String, report: &Report, made: i64) {
    let s = &report.summary;
    let mut read = format!(
        "Read {}: {} counted ({} of log text)",
        counted(s.files + s.errors + s.skipped, "input"),
        counted(s.files, "file"),
        human_bytes(s.bytes),
    );
    if s.skipped > 0 {
        let _ = write!(read, ", {} skipped", thousands(s.skipped));
    }
    if s.errors > 0 {
        let _ = write!(read, ", {}", counted(s.errors, "error"));
    }
    if let Some((first, last)) = s
        .extra
        .by
        .as_deref()
        .and_then(|by| by.first().zip(by.last()))
    {
        if first.period == last.period {
            let _ = write!(read, "; covering {}", escape(&first.period));
        } else {
            let _ = write!(
                read,
                "; covering {} to {}",
                escape(&first.period),
                escape(&last.period)
            );
        }
    }
    let e = &report.executor;
    let method = e
        .start_method
        .as_deref()
        .map(|m| format!(" ({})", escape(m)))
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<p class=\"sub\">{read}.</p>\n<p class=\"sub run\">Made {} by {}{method} ×{} in {}.</p>",
        utc_text(made),
        escape(&e.name),
        e.jobs,
        human_duration(report.elapsed_ms),
    );
}

/// Share of a file's (or a period's) lines past which its malformed lines stand out.
const NOTABLE_MALFORMED: f64 = 0.01;

/// `malformed` as a share of `lines`, where it is over [`NOTABLE_MALFORMED`]: `26.2%`.
fn notable_malformed(malformed: u64, lines: u64) -> Option<String> {
    let share = malformed as f64 / lines.max(1) as f64;
    (share > NOTABLE_MALFORMED).then(|| format!("{:.1}%", share * 100.0))
}

/// A cell of malformed lines out of `lines`: where they are notable, in red with their share
/// on a badge.
fn malformed_cell(malformed: u64, lines: u64) -> String {
    match notable_malformed(malformed, lines) {
        Some(share) => format!(
            "<td class=\"n bad\" data-label=\"malformed\" title=\"{share} of the lines are \
             malformed\">{}<span class=\"badge\">{share}</span></td>",
            thousands(malformed)
        ),
        None => format!(
            "<td class=\"n\" data-label=\"malformed\">{}</td>",
            thousands(malformed)
        ),
    }
}

/// A right-aligned cell of figures, labelled (for the stacked rows of a narrow screen).
fn figure_cell(label: &str, figure: &str) -> String {
    format!("<td class=\"n\" data-label=\"{label}\">{figure}</td>")
}

/// The summary's figures, one card each.
fn cards(page: &mut String, report: &Report) {
    let s = &report.summary;
    let card = |page: &mut String, label: &str, value: String| {
        let _ = write!(page, "<div class=\"card\"><b>{value}</b>{label}</div>");
    };
    page.push_str("<div class=\"cards\">");
    card(page, "files", thousands(s.files));
    card(page, "requests", thousands(s.total));
    card(page, "unique clients (all files)", thousands(s.ip));
    card(page, "bytes", human_bytes(s.bytes));
    let lines = s.total + s.malformed + s.extra.filtered.unwrap_or(0);
    match notable_malformed(s.malformed, lines) {
        Some(share) => {
            let _ = write!(
                page,
                "<div class=\"card bad\"><b>{}<span class=\"badge\">{share}</span></b>\
                 malformed lines</div>",
                thousands(s.malformed)
            );
        }
        None => card(page, "malformed lines", thousands(s.malformed)),
    }
    if let Some(filtered) = s.extra.filtered {
        card(page, "outside the window", thousands(filtered));
    }
    card(page, "errors", thousands(s.errors));
    card(page, "skipped", thousands(s.skipped));
    page.push_str("</div>\n");
}

/// How many steps a value axis takes at most.
const AXIS_STEPS: u64 = 4;

/// A count axis from 0 to `top`, marked every `step`: a round number (1, 2 or 5 × 10^k), and
/// `top` the first mark at or past the largest value, at most [`AXIS_STEPS`] steps up.
#[derive(Clone, Copy, Debug)]
struct Scale {
    step: u64,
    top: u64,
}

impl Scale {
    /// The axis for values up to `most`.
    fn covering(most: u64) -> Scale {
        let mut unit = 1u64;
        loop {
            for m in [1, 2, 5] {
                let step = unit.saturating_mul(m);
                let steps = most.div_ceil(step).max(1);
                if steps <= AXIS_STEPS {
                    return Scale {
                        step,
                        top: steps.saturating_mul(step),
                    };
                }
            }
            unit = unit.saturating_mul(10);
        }
    }

    /// The marked values, from 0 to `top`.
    fn marks(self) -> impl Iterator<Item = u64> {
        (0..=self.top / self.step).map(move |i| i * self.step)
    }

    /// Where `n` lies along the axis: 0 at 0, 1 at `top`.
    fn at(self, n: u64) -> f64 {
        n as f64 / self.top as f64
    }

    /// The label of `mark`, short and in one unit along the axis: `0 200 400 600`, `0 5,000`,
    /// `0 5k 10k 15k`, `0 0.5M 1M 1.5M`.
    fn label(self, mark: u64) -> String {
        const UNITS: [(u64, &str); 6] = [
            (1_000_000_000_000_000_000, "E"),
            (1_000_000_000_000_000, "P"),
            (1_000_000_000_000, "T"),
            (1_000_000_000, "G"),
            (1_000_000, "M"),
            (1_000, "k"),
        ];
        match UNITS
            .iter()
            .find(|(unit, _)| self.top >= 10_000 && self.top >= *unit)
        {
            // The step is at least a quarter of the top, a round number, so at least half the
            // unit: one decimal is enough.
            Some((unit, name)) if mark > 0 => {
                let value = format!("{:.1}", mark as f64 / *unit as f64);
                format!("{}{name}", value.trim_end_matches(".0"))
            }
            _ => thousands(mark),
        }
    }
}

/// Width of the bars in a table row and of their axis, in pixels.
const BAR_WIDTH: f64 = 240.0;

/// Where a mark at `share` (0 to 1) of a width is drawn, and which end of its label is there:
/// the labels at the ends stay inside.
fn anchor(share: f64) -> &'static str {
    if share < 0.1 {
        "start"
    } else if share > 0.9 {
        "end"
    } else {
        "middle"
    }
}

/// The axis above a column of [`bars`]: `scale`'s marks, labelled, with ticks down to the bars.
fn bar_axis(scale: Scale) -> String {
    let mut svg = format!(
        "<svg width=\"{BAR_WIDTH}\" height=\"20\" role=\"img\" aria-label=\"axis from 0 to {}\">",
        thousands(scale.top)
    );
    for mark in scale.marks() {
        let share = scale.at(mark);
        let x = (share * BAR_WIDTH).clamp(0.5, BAR_WIDTH - 0.5);
        let _ = write!(
            svg,
            "<line class=\"tick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"14\" y2=\"20\"/>\
             <text x=\"{x:.1}\" y=\"11\" text-anchor=\"{}\">{}</text>",
            anchor(share),
            scale.label(mark),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A table row's bars on `scale`, one 7 px high per `(count, class)`, over the gridlines of
/// the marks; `title` names the figures on hover.
fn bars(scale: Scale, values: &[(u64, &str)], title: &str) -> String {
    let height = 9 * values.len();
    let mut svg = format!(
        "<svg class=\"bars\" width=\"{BAR_WIDTH}\" height=\"{height}\" role=\"img\">\
         <title>{title}</title>"
    );
    for mark in scale.marks() {
        let x = (scale.at(mark) * BAR_WIDTH).clamp(0.5, BAR_WIDTH - 0.5);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{height}\"/>"
        );
    }
    for (i, &(n, class)) in values.iter().enumerate() {
        // A little is never drawn as nothing.
        let width = (scale.at(n) * BAR_WIDTH).max(if n > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"0\" y=\"{}\" width=\"{width:.1}\" height=\"7\"/>",
            1 + 9 * i
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Requests and unique clients as a key, and the note that they share one scale.
const ONE_SCALE_KEY: &str = "<span class=\"key req\"></span>requests\
<span class=\"key ip\"></span>unique clients, on one scale";

/// A row per file: its figures, and its requests and unique clients as bars on one scale.
fn files(page: &mut String, files: &[FileStats]) {
    let scale = Scale::covering(files.iter().map(|f| f.total.max(f.ip)).max().unwrap_or(0));
    let _ = writeln!(
        page,
        "<h2>Files</h2>\n<p class=\"note\">{ONE_SCALE_KEY}</p>\n<table class=\"stack\">\n\
         <thead><tr><th>path</th><th>format</th><th>requests</th><th>unique clients</th>\
         <th>malformed</th><th>bytes</th><th class=\"axis\">{}</th></tr></thead>\n<tbody>",
        bar_axis(scale)
    );
    for f in files {
        let format = f.format.map_or_else(|| "-".into(), |f| f.to_string());
        let lines = f.total + f.malformed + f.extra.filtered.unwrap_or(0);
        let title = format!(
            "{}: {} requests, {} unique clients",
            escape(&f.path),
            thousands(f.total),
            thousands(f.ip)
        );
        let _ = writeln!(
            page,
            "<tr><td class=\"path\">{}</td><td>{}</td>{}{}{}{}<td class=\"bar\">{}</td></tr>",
            breakable(&f.path, '/'),
            escape(&format),
            figure_cell("requests", &thousands(f.total)),
            figure_cell("unique clients", &thousands(f.ip)),
            malformed_cell(f.malformed, lines),
            figure_cell("bytes", &human_bytes(f.bytes)),
            bars(scale, &[(f.total, "req"), (f.ip, "ip")], &title),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// Where a period lies in time, read back from its label ([`Period::label`]: `2021-03-22`, or
/// `2021-03-22T10:00` by hour): its first hour since 1970-01-01T00:00Z and its length in hours.
fn hours_of(label: &str) -> Option<(i64, i64)> {
    let (date, hour, len) = match label.split_once('T') {
        Some((date, time)) => {
            let hour = time.strip_suffix(":00")?.parse::<i64>().ok();
            (date, hour.filter(|h| (0..24).contains(h))?, 1)
        }
        None => (label, 0, 24),
    };
    let within = |text: &str, range: std::ops::RangeInclusive<u32>| {
        text.parse::<u32>().ok().filter(|n| range.contains(n))
    };
    // The year may have a sign (`-0001`, `+10000`): split from the right.
    let mut parts = date.rsplitn(3, '-');
    let day = within(parts.next()?, 1..=31)?;
    let month = within(parts.next()?, 1..=12)?;
    let year = parts.next()?.parse::<i64>().ok()?;
    Some((days_from_civil(year, month, day) * 24 + hour, len))
}

/// How a time axis is marked: every `every` hours, `offset` hours past the multiples (weeks
/// start on Mondays), or on the first of every `n` calendar months (a year is 12).
#[derive(Clone, Copy, Debug)]
enum Step {
    Hours { every: i64, offset: i64 },
    Months(i64),
}

/// The steps a time axis may take, finest first: hours, days, Mondays, months, quarters,
/// half years, then years by 1, 2 and 5 × 10^k.
fn steps() -> impl Iterator<Item = Step> {
    let hours = [1, 2, 3, 6, 12, 24, 48].map(|every| Step::Hours { every, offset: 0 });
    // 1970-01-05, day 4, was a Monday.
    let weeks = Step::Hours {
        every: 168,
        offset: 96,
    };
    let months = [1, 3, 6].map(Step::Months);
    let years = (0..=15).flat_map(|k| [1, 2, 5].map(|m| Step::Months(12 * m * 10i64.pow(k))));
    hours.into_iter().chain([weeks]).chain(months).chain(years)
}

/// How many marks a time axis has at most (every other one goes on a narrow screen).
const TIME_MARKS: usize = 8;

/// The hours (since the epoch) from `start` to `end`, both included, that `step` marks; at
/// most one more than [`TIME_MARKS`], enough to tell that the step is too fine.
fn marks(step: Step, start: i64, end: i64) -> Vec<i64> {
    let ceil_to = |n: i64, every: i64| (n + every - 1).div_euclid(every) * every;
    let hours: Box<dyn Iterator<Item = i64>> = match step {
        Step::Hours { every, offset } => {
            let first = ceil_to(start - offset, every) + offset;
            Box::new(std::iter::successors(Some(first), move |h| {
                h.checked_add(every)
            }))
        }
        Step::Months(every) => {
            // Months since January of year 0, and the first hour of one.
            let (year, month, _) = civil_from_days(start.div_euclid(24));
            let hour_of =
                |m: i64| days_from_civil(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1) * 24;
            let mut first = ceil_to(year * 12 + i64::from(month) - 1, every);
            if hour_of(first) < start {
                first += every;
            }
            Box::new(std::iter::successors(Some(first), move |m| m.checked_add(every)).map(hour_of))
        }
    };
    hours
        .take_while(|&h| h <= end)
        .take(TIME_MARKS + 1)
        .collect()
}

/// A time axis's mark at `hour`, as fine as `step`: `14:00` by hours (with the day: `03-22
/// 14:00`), `2021-03-22` by days or weeks, `2021-03` by months, `2021` by years.
fn time_label(step: Step, hour: i64) -> String {
    let (y, m, d) = civil_from_days(hour.div_euclid(24));
    match step {
        Step::Hours { every, .. } if every < 24 => {
            format!("{m:02}-{d:02} {:02}:00", hour.rem_euclid(24))
        }
        Step::Hours { .. } => format!("{}-{m:02}-{d:02}", iso_year(y)),
        Step::Months(n) if n % 12 == 0 => iso_year(y),
        Step::Months(_) => format!("{}-{m:02}", iso_year(y)),
    }
}

/// The marks of a time axis from `start` to `end` (hours since the epoch) for periods of
/// `slot` hours: the finest step with at most [`TIME_MARKS`] marks, none finer than a period.
fn time_marks(start: i64, end: i64, slot: i64) -> Vec<(i64, String)> {
    steps()
        .filter(|step| !matches!(step, Step::Hours { every, .. } if *every < slot))
        .find_map(|step| {
            let hours = marks(step, start, end);
            (hours.len() <= TIME_MARKS).then(|| {
                hours
                    .into_iter()
                    .map(|h| (h, time_label(step, h)))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Room above the period chart's plot (for half the top mark's label), its height, and the
/// room below it (for the time labels), in pixels.
const PLOT_TOP: f64 = 8.0;
const PLOT_HEIGHT: f64 = 160.0;
const TIME_ROOM: f64 = 24.0;

/// A period placed in time: its first hour since the epoch, its length in hours, its figures.
struct Placed<'a> {
    hour: i64,
    len: i64,
    stats: &'a PeriodStats,
}

/// Where the period chart draws: hours across its width (in percent of it: the chart is as
/// wide as the page), counts up its height on one scale (in pixels).
struct Plot {
    start: i64,
    hours: f64,
    scale: Scale,
}

impl Plot {
    /// How far across the plot `hour` is, in percent.
    fn x(&self, hour: i64) -> f64 {
        (hour - self.start) as f64 / self.hours * 100.0
    }

    /// How far down the chart the count `n` is, in pixels.
    fn y(&self, n: u64) -> f64 {
        PLOT_TOP + PLOT_HEIGHT * (1.0 - self.scale.at(n))
    }
}

/// The period chart: a bar per period at its place on a time axis, requests and, narrower in
/// front, unique clients, on one value axis; a note says how many periods the span holds.
fn period_chart(page: &mut String, unit: &str, by: &[PeriodStats]) {
    let placed: Vec<Placed> = by
        .iter()
        .filter_map(|stats| hours_of(&stats.period).map(|(hour, len)| Placed { hour, len, stats }))
        .collect();
    // In time order (docs/output.md: `by`).
    let (Some(first), Some(last)) = (placed.first(), placed.last()) else {
        return;
    };
    let end = last.hour + last.len;
    let plot = Plot {
        start: first.hour,
        hours: (end - first.hour) as f64,
        scale: Scale::covering(by.iter().map(|p| p.total.max(p.ip)).max().unwrap_or(0)),
    };
    // Where periods are missing, the note says how many: the gaps are not a drawing fault.
    let (seen, span) = (placed.len() as u64, ((end - first.hour) / first.len) as u64);
    let gaps = if seen < span {
        format!(
            ": {} of the {} {unit}s from {} to {} appear in the logs, the rest are gaps",
            thousands(seen),
            thousands(span),
            escape(&first.stats.period),
            escape(&last.stats.period),
        )
    } else {
        String::new()
    };
    let _ = write!(
        page,
        "<p class=\"note\">{ONE_SCALE_KEY}. A bar stands at its {unit} on a time axis{gaps}.</p>\n\
         <svg class=\"chart\" width=\"100%\" height=\"{:.0}\" role=\"img\" \
         aria-label=\"requests and unique clients per {unit}, on a time axis\">",
        PLOT_TOP + PLOT_HEIGHT + TIME_ROOM,
    );
    value_axis(page, &plot);
    for p in &placed {
        period_bars(page, &plot, p);
    }
    time_axis(page, &plot, &time_marks(first.hour, end, first.len));
    page.push_str("</svg>\n");
}

/// The period chart's value axis: a gridline at each mark, labelled in the padding on the
/// chart's left, and the axis line.
fn value_axis(page: &mut String, plot: &Plot) {
    page.push_str("<g class=\"y-axis\">");
    for mark in plot.scale.marks() {
        let y = plot.y(mark);
        let _ = write!(
            page,
            "<line class=\"grid\" x1=\"0\" x2=\"100%\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text x=\"-6\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            y + 4.0,
            plot.scale.label(mark)
        );
    }
    let _ = write!(
        page,
        "<line class=\"base\" x1=\"0\" x2=\"0\" y1=\"{PLOT_TOP:.1}\" y2=\"{:.1}\"/></g>",
        plot.y(0)
    );
}

/// A period's bars, requests and (narrower, in front) unique clients, with its figures on
/// hover. A stroke keeps a bar of a period narrower than a pixel in sight.
fn period_bars(page: &mut String, plot: &Plot, p: &Placed) {
    let s = p.stats;
    if s.total == 0 && s.ip == 0 {
        return;
    }
    let (left, width) = (plot.x(p.hour), p.len as f64 / plot.hours * 100.0);
    let _ = write!(
        page,
        "<g><title>{}: {} requests, {} unique clients</title>",
        escape(&s.period),
        thousands(s.total),
        thousands(s.ip),
    );
    for (n, class, inset) in [(s.total, "req", 0.1), (s.ip, "ip", 0.3)] {
        if n > 0 {
            let _ = write!(
                page,
                "<rect class=\"{class}\" x=\"{:.4}%\" y=\"{:.1}\" width=\"{:.4}%\" \
                 height=\"{:.1}\"/>",
                left + width * inset,
                plot.y(n),
                width * (1.0 - 2.0 * inset),
                plot.y(0) - plot.y(n),
            );
        }
    }
    page.push_str("</g>");
}

/// The period chart's time axis: its line, and a tick and a label at each of `marks`. With
/// more than half of [`TIME_MARKS`], every other label goes on a narrow screen.
fn time_axis(page: &mut String, plot: &Plot, marks: &[(i64, String)]) {
    let base = plot.y(0);
    let _ = write!(
        page,
        "<g class=\"x-axis\"><line class=\"base\" x1=\"0\" x2=\"100%\" y1=\"{base:.1}\" \
         y2=\"{base:.1}\"/>"
    );
    let thin = marks.len() > TIME_MARKS / 2;
    for (i, (hour, label)) in marks.iter().enumerate() {
        let x = plot.x(*hour);
        let _ = write!(
            page,
            "<line class=\"tick\" x1=\"{x:.4}%\" x2=\"{x:.4}%\" y1=\"{base:.1}\" \
             y2=\"{:.1}\"/><text{} x=\"{x:.4}%\" y=\"{:.1}\" text-anchor=\"{}\">{label}</text>",
            base + 5.0,
            if thin && i % 2 == 1 {
                " class=\"alt\""
            } else {
                ""
            },
            base + 17.0,
            anchor(x / 100.0),
        );
    }
    page.push_str("</g>");
}

/// The summary's periods: the chart, then the figures as a table.
fn periods(page: &mut String, period: Option<Period>, by: &[PeriodStats]) {
    let unit = period.map_or("period", Period::name);
    let _ = writeln!(page, "<h2>Requests per {unit} (all files)</h2>");
    if by.is_empty() {
        page.push_str("<p>No request in any period.</p>\n");
        return;
    }
    period_chart(page, unit, by);
    let _ = writeln!(
        page,
        "<table>\n<thead><tr><th>{unit}</th><th>requests</th><th>unique clients</th>\
         <th>malformed</th></tr></thead>\n<tbody>"
    );
    for p in by {
        let _ = writeln!(
            page,
            "<tr><td class=\"when\">{}</td>{}{}{}</tr>",
            escape(&p.period),
            figure_cell("requests", &thousands(p.total)),
            figure_cell("unique clients", &thousands(p.ip)),
            malformed_cell(p.malformed, p.total + p.malformed),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// The summary's top clients: their requests (bars on their own axis), and their share of all
/// requests.
fn top_clients(page: &mut String, top: &[TopClient], total: u64) {
    let scale = Scale::covering(top.first().map_or(0, |t| t.requests));
    let _ = writeln!(
        page,
        "<h2>Top clients (all files)</h2>\n<table class=\"stack\">\n<thead><tr><th>client</th>\
         <th>requests</th><th>share</th><th class=\"axis\">{}</th></tr></thead>\n<tbody>",
        bar_axis(scale)
    );
    for t in top {
        let share = t.requests as f64 / total.max(1) as f64 * 100.0;
        let title = format!("{}: {} requests", escape(&t.client), thousands(t.requests));
        let _ = writeln!(
            page,
            "<tr><td class=\"client\">{}</td>{}{}<td class=\"bar\">{}</td></tr>",
            breakable(&t.client, ':'),
            figure_cell("requests", &thousands(t.requests)),
            figure_cell("share", &format!("{share:.1}%")),
            bars(scale, &[(t.requests, "req")], &title),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// A table of `(path, why)` rows under `title`, each row of `class`; nothing when there is none.
fn listed<'a>(
    page: &mut String,
    title: &str,
    class: &str,
    rows: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return;
    }
    let _ = writeln!(
        page,
        "<h2>{title}</h2>\n<table>\n<thead><tr><th>path</th><th>why</th></tr></thead>\n<tbody>"
    );
    for (path, why) in rows {
        let _ = writeln!(
            page,
            "<tr class=\"{class}\"><td class=\"path\">{}</td><td>{}</td></tr>",
            breakable(path, '/'),
            escape(why)
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape("<a href=\"x\">&'b'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;b&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("a\nb"), "a\\nb");
    }

    #[test]
    fn paths_wrap_at_their_slashes_only() {
        assert_eq!(
            breakable("logs/a<b>/access.log", '/'),
            "logs/<wbr>a&lt;b&gt;/<wbr>access.log"
        );
        assert_eq!(breakable("2001:db8::1", ':'), "2001:<wbr>db8:<wbr>:<wbr>1");
    }

    #[test]
    fn axes_end_on_the_first_round_mark_past_the_largest() {
        let covering = |most| {
            let scale = Scale::covering(most);
            (scale.step, scale.top)
        };
        assert_eq!(covering(0), (1, 1));
        assert_eq!(covering(7), (2, 8));
        assert_eq!(covering(3_000), (1_000, 3_000));
        assert_eq!(covering(3_001), (1_000, 4_000));
        assert_eq!(covering(14_817), (5_000, 15_000));
        assert_eq!(covering(u64::MAX), (5_000_000_000_000_000_000, u64::MAX));
        let marks: Vec<u64> = Scale::covering(562).marks().collect();
        assert_eq!(marks, [0, 200, 400, 600]);
        for most in [1, 9, 10, 11, 99, 101, 999_999, 1_000_001] {
            let scale = Scale::covering(most);
            assert!(
                scale.top >= most && scale.top / scale.step <= AXIS_STEPS,
                "{most}"
            );
        }
    }

    #[test]
    fn axis_marks_are_short_in_one_unit() {
        let labels = |most: u64| -> Vec<String> {
            let scale = Scale::covering(most);
            scale.marks().map(|m| scale.label(m)).collect()
        };
        assert_eq!(labels(562), ["0", "200", "400", "600"]);
        assert_eq!(labels(8_000), ["0", "2,000", "4,000", "6,000", "8,000"]);
        assert_eq!(labels(10_000), ["0", "5k", "10k"]);
        assert_eq!(labels(1_400_000), ["0", "0.5M", "1M", "1.5M"]);
        assert_eq!(labels(20_000_000_000), ["0", "5G", "10G", "15G", "20G"]);
    }

    #[test]
    fn requests_and_clients_share_one_scale() {
        let scale = Scale::covering(100);
        let svg = bars(scale, &[(50, "req"), (25, "ip")], "f: 50 requests");
        assert!(
            svg.contains("class=\"req\" x=\"0\" y=\"1\" width=\"120.0\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"ip\" x=\"0\" y=\"10\" width=\"60.0\""),
            "{svg}"
        );
        assert!(svg.contains("<title>f: 50 requests</title>"), "{svg}");
        // A gridline at each mark, and the axis labels them.
        assert_eq!(svg.matches("class=\"grid\"").count(), 3, "{svg}");
        let axis = bar_axis(scale);
        for label in ["0", "50", "100"] {
            assert!(axis.contains(&format!(">{label}</text>")), "{axis}");
        }
        // A file with a little is never drawn as nothing.
        let few = bars(Scale::covering(1_000_000), &[(1, "req")], "");
        assert!(few.contains("width=\"1.0\""), "{few}");
    }

    #[test]
    fn malformed_lines_over_a_hundredth_stand_out() {
        assert_eq!(notable_malformed(1, 100), None);
        assert_eq!(notable_malformed(2, 100).as_deref(), Some("2.0%"));
        assert_eq!(notable_malformed(0, 0), None);
        assert!(malformed_cell(32, 122).contains("class=\"n bad\""));
        assert!(malformed_cell(32, 122).contains("<span class=\"badge\">26.2%</span>"));
        assert!(!malformed_cell(1, 1_000).contains("bad"));
    }

    #[test]
    fn period_labels_read_back_as_hours() {
        let day = days_from_civil(2021, 3, 22) * 24;
        assert_eq!(hours_of("2021-03-22"), Some((day, 24)));
        assert_eq!(hours_of("2021-03-22T10:00"), Some((day + 10, 1)));
        assert_eq!(
            hours_of("-0001-12-31"),
            Some((days_from_civil(-1, 12, 31) * 24, 24))
        );
        assert_eq!(
            hours_of("+10000-01-01"),
            Some((days_from_civil(10_000, 1, 1) * 24, 24))
        );
        for bad in [
            "",
            "2021-03",
            "2021-13-01",
            "2021-03-22T24:00",
            "2021-03-22T10:30",
        ] {
            assert_eq!(hours_of(bad), None, "{bad}");
        }
        // Every label a period can have reads back as its period.
        for period in [-30_000, -1, 0, 1, 18_000, 2_932_896] {
            assert_eq!(
                hours_of(&Period::Day.label(period)),
                Some((period * 24, 24))
            );
            assert_eq!(hours_of(&Period::Hour.label(period)), Some((period, 1)));
        }
    }

    #[test]
    fn time_axes_are_marked_at_calendar_boundaries() {
        let hour = |y, m, d, h| days_from_civil(y, m, d) * 24 + h;
        // Nine years: every two years, on the first of January.
        let marks = time_marks(hour(2015, 5, 20, 0), hour(2024, 5, 13, 0), 24);
        let labels: Vec<&str> = marks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, ["2016", "2018", "2020", "2022", "2024"]);
        assert_eq!(marks[0].0, hour(2016, 1, 1, 0));
        // Three days: each midnight.
        let marks = time_marks(hour(2026, 11, 28, 0), hour(2026, 12, 1, 0), 24);
        let labels: Vec<&str> = marks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]
        );
        // Two days by hour: every twelve hours; days are never marked by the hour.
        let marks = time_marks(hour(2021, 3, 22, 0), hour(2021, 3, 24, 0), 1);
        let labels: Vec<&str> = marks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "03-22 00:00",
                "03-22 12:00",
                "03-23 00:00",
                "03-23 12:00",
                "03-24 00:00"
            ]
        );
        // Half a year: months; a month of days: Mondays.
        let marks = time_marks(hour(2021, 1, 15, 0), hour(2021, 7, 1, 0), 24);
        assert_eq!(marks.first().unwrap().1, "2021-02");
        assert!(marks.len() <= TIME_MARKS);
        let marks = time_marks(hour(2021, 3, 1, 0), hour(2021, 4, 1, 0), 24);
        assert_eq!(marks.first().unwrap().1, "2021-03-01", "a Monday");
        assert_eq!(marks.len(), 5);
        // Any span is marked, within the bound.
        for (start, end) in [
            (0, 1),
            (-5, 5),
            (0, 24 * 365 * 9_000),
            (hour(-9999, 1, 1, 0), hour(9999, 1, 1, 0)),
        ] {
            let marks = time_marks(start, end, 1);
            assert!(
                !marks.is_empty() && marks.len() <= TIME_MARKS,
                "{start}..{end}"
            );
            assert!(marks.iter().all(|&(h, _)| (start..=end).contains(&h)));
        }
    }

    fn report(by: Vec<PeriodStats>, malformed: u64) -> Report {
        use super::super::{ExecutorInfo, Extra, Results};
        let extra = Extra {
            period: Some(Period::Day),
            by: Some(by),
            ..Extra::default()
        };
        let file = FileStats {
            path: "logs/a.log".into(),
            total: 100,
            ip: 40,
            bytes: 2048,
            malformed,
            format: None,
            extra: extra.clone(),
            malformed_lines: None,
        };
        let results = Results {
            files: vec![file],
            union_ip: 40,
            extra,
            ..Results::default()
        };
        let executor = ExecutorInfo {
            name: "serial".into(),
            jobs: 1,
            start_method: None,
        };
        Report::new(results, executor, 12.3)
    }

    fn period(label: &str, total: u64, ip: u64) -> PeriodStats {
        PeriodStats {
            period: label.into(),
            total,
            ip,
            malformed: 0,
        }
    }

    #[test]
    fn the_subtitle_says_what_was_read_and_when() {
        let by = vec![period("2015-05-20", 60, 30), period("2024-05-12", 40, 10)];
        let html = page(&report(by, 0), 1_765_000_000);
        assert!(
            html.contains(
                "<p class=\"sub\">Read 1 input: 1 file counted (2.0 kB of log text); covering \
                 2015-05-20 to 2024-05-12.</p>\n\
                 <p class=\"sub run\">Made 2025-12-06T05:46:40Z by serial ×1 in 12.3 ms.</p>\n"
            ),
            "{html}"
        );
        assert!(html.contains("<div class=\"card\"><b>0</b>malformed lines</div>"));
        // Only the second line changes with the time.
        let later = page(&report(vec![period("2015-05-20", 1, 1)], 0), 1_765_000_001);
        assert!(later.contains("; covering 2015-05-20.</p>"), "{later}");
        assert!(later.contains("on one scale. A bar stands at its day on a time axis.</p>"));
        assert!(later.contains("Made 2025-12-06T05:46:41Z"), "{later}");
    }

    #[test]
    fn periods_stand_at_their_time_with_gaps() {
        let by = vec![
            period("2021-03-01", 10, 5),
            period("2021-03-02", 20, 20),
            period("2021-03-10", 40, 1),
        ];
        let html = page(&report(by, 30), 0);
        let x = |label: &str| -> f64 {
            let group = &html[html.find(&format!("<g><title>{label}:")).unwrap()..];
            let at = group.find("<rect class=\"req\" x=\"").unwrap() + 21;
            group[at..at + group[at..].find('%').unwrap()]
                .parse()
                .unwrap()
        };
        // Ten days on the axis: a day is a tenth of it, and the eight empty days a gap.
        let day = 10.0;
        assert!((x("2021-03-01") - day * 0.1).abs() < 1e-3);
        assert!((x("2021-03-02") - x("2021-03-01") - day).abs() < 1e-3);
        assert!((x("2021-03-10") - x("2021-03-01") - 9.0 * day).abs() < 1e-3);
        assert!(
            html.contains("3 of the 10 days from 2021-03-01 to 2021-03-10"),
            "{html}"
        );
        // One scale up to 40, marked every 10; the tallest bar is the plot's height.
        for label in ["0", "10", "20", "30", "40"] {
            assert!(html.contains(&format!(">{label}</text>")), "{label}");
        }
        assert!(html.contains(&format!(
            "y=\"{PLOT_TOP:.1}\" width=\"8.0000%\" height=\"{PLOT_HEIGHT:.1}\""
        )));
        // 30 malformed of 130 lines stand out, in the file's row and on the card.
        assert!(
            html.contains("<span class=\"badge\">23.1%</span>"),
            "{html}"
        );
        assert!(html.contains("<div class=\"card bad\">"), "{html}");
    }
}

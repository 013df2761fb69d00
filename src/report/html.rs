//! `--format html`: one self-contained page to read offline or send by mail — inline CSS and
//! SVG, no JavaScript, nothing fetched. The summary, a bar per file (requests and unique
//! clients, each scaled to the largest), then the errors and the files skipped. Everything
//! but the line that says how long the run took is the same on every executor.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{human_bytes, human_duration, thousands, Exporter, PeriodStats, Report, TopClient};
use crate::format::Period;

pub struct HtmlExporter;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem;color:#1a1a1a;\
background:#fff;max-width:72rem}\
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}\
.meta{color:#555;margin:0 0 1.2rem}\
.cards{display:flex;flex-wrap:wrap;gap:.8rem}\
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:8rem}\
.card b{display:block;font-size:1.3rem}\
table{border-collapse:collapse;width:100%}\
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:middle}\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
td.path{overflow-wrap:anywhere}\
.key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:-.1rem}\
.req{background:#0072b2}.ip{background:#d55e00}\
.err td{color:#b00020}";

/// Width of a file's bars, in SVG units.
const BAR_WIDTH: f64 = 240.0;

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

/// Two bars, requests over unique clients, each a share of the largest of its kind.
fn bars(requests: u64, clients: u64, most_requests: u64, most_clients: u64) -> String {
    let share = |n: u64, most: u64| {
        if most == 0 {
            0.0
        } else {
            (n as f64 / most as f64 * BAR_WIDTH).max(if n > 0 { 1.0 } else { 0.0 })
        }
    };
    format!(
        "<svg width=\"{w}\" height=\"18\" viewBox=\"0 0 {w} 18\" role=\"img\" \
         aria-label=\"{r} requests, {c} unique clients\">\
         <rect x=\"0\" y=\"1\" width=\"{rw:.1}\" height=\"7\" fill=\"#0072b2\"/>\
         <rect x=\"0\" y=\"10\" width=\"{cw:.1}\" height=\"7\" fill=\"#d55e00\"/></svg>",
        w = BAR_WIDTH,
        r = thousands(requests),
        c = thousands(clients),
        rw = share(requests, most_requests),
        cw = share(clients, most_clients),
    )
}

/// Height of the period chart's plot area, in SVG units.
const CHART_HEIGHT: f64 = 160.0;

/// The summary's periods: a column chart (requests and unique clients per period, each scaled
/// to its largest) and the figures as a table.
fn periods(page: &mut String, period: Option<Period>, by: &[PeriodStats]) {
    let unit = period.map_or("period", Period::name);
    let _ = writeln!(page, "<h2>Requests per {unit} (all files)</h2>");
    if by.is_empty() {
        page.push_str("<p>No request in any period.</p>\n");
        return;
    }
    let most_requests = by.iter().map(|p| p.total).max().unwrap_or(0).max(1) as f64;
    let most_clients = by.iter().map(|p| p.ip).max().unwrap_or(0).max(1) as f64;
    let slot = (720.0 / by.len() as f64).clamp(3.0, 48.0);
    let width = slot * by.len() as f64;
    let _ = write!(
        page,
        "<p><span class=\"key req\"></span>requests<span class=\"key ip\"></span>unique \
         clients</p>\n<svg width=\"{width:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {width:.0} \
         {h:.0}\" role=\"img\" aria-label=\"requests and unique clients per {unit}\">",
        h = CHART_HEIGHT + 2.0,
    );
    for (i, p) in by.iter().enumerate() {
        let x = i as f64 * slot;
        let bar = (slot * 0.4).max(1.0);
        let rh = (p.total as f64 / most_requests * CHART_HEIGHT).max(f64::from(p.total > 0));
        let ch = (p.ip as f64 / most_clients * CHART_HEIGHT).max(f64::from(p.ip > 0));
        let _ = write!(
            page,
            "<g><title>{}: {} requests, {} unique clients</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{rh:.1}\" fill=\"#0072b2\"/>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{ch:.1}\" fill=\"#d55e00\"/></g>",
            escape(&p.period),
            thousands(p.total),
            thousands(p.ip),
            CHART_HEIGHT - rh,
            x + bar,
            CHART_HEIGHT - ch,
        );
    }
    page.push_str("</svg>\n");
    // The span under the chart: its first and last periods.
    let first = by.first().map_or("", |p| p.period.as_str());
    let last = by.last().map_or("", |p| p.period.as_str());
    let _ = writeln!(
        page,
        "<p class=\"meta\" style=\"width:{width:.0}px;display:flex;justify-content:space-between\">\
         <span>{}</span><span>{}</span></p>",
        escape(first),
        if by.len() > 1 { escape(last) } else { String::new() },
    );
    let _ = writeln!(
        page,
        "<table>\n<thead><tr><th>{unit}</th><th>requests</th><th>unique clients</th>\
         <th>malformed</th></tr></thead>\n<tbody>"
    );
    for p in by {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escape(&p.period),
            thousands(p.total),
            thousands(p.ip),
            thousands(p.malformed),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// The summary's top clients: their requests, and their share of all requests.
fn top_clients(page: &mut String, top: &[TopClient], total: u64) {
    let _ = writeln!(
        page,
        "<h2>Top clients (all files)</h2>\n<table>\n<thead><tr><th>client</th>\
         <th>requests</th><th>share</th><th></th></tr></thead>\n<tbody>"
    );
    let most = top.first().map_or(0, |t| t.requests);
    for t in top {
        let share = if total == 0 {
            0.0
        } else {
            t.requests as f64 / total as f64 * 100.0
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"path\">{}</td><td class=\"n\">{}</td><td class=\"n\">{share:.1}%</td>\
             <td>{}</td></tr>",
            escape(&t.client),
            thousands(t.requests),
            bars(t.requests, 0, most, 1),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

impl Exporter for HtmlExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let s = &report.summary;
        let e = &report.executor;
        let mut page = String::new();
        let method = e
            .start_method
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
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
        let _ = writeln!(
            page,
            "<p class=\"meta\">{}{method} ×{} in {}</p>",
            escape(&e.name),
            e.jobs,
            human_duration(report.elapsed_ms)
        );
        let card = |page: &mut String, label: &str, value: String| {
            let _ = write!(page, "<div class=\"card\"><b>{value}</b>{label}</div>");
        };
        page.push_str("<div class=\"cards\">");
        card(&mut page, "files", thousands(s.files));
        card(&mut page, "requests", thousands(s.total));
        card(&mut page, "unique clients (all files)", thousands(s.ip));
        card(&mut page, "bytes", human_bytes(s.bytes));
        card(&mut page, "malformed lines", thousands(s.malformed));
        if let Some(filtered) = s.extra.filtered {
            card(&mut page, "outside the window", thousands(filtered));
        }
        card(&mut page, "errors", thousands(s.errors));
        card(&mut page, "skipped", thousands(s.skipped));
        page.push_str("</div>\n");

        let most_requests = report.files.iter().map(|f| f.total).max().unwrap_or(0);
        let most_clients = report.files.iter().map(|f| f.ip).max().unwrap_or(0);
        let _ = writeln!(
            page,
            "<h2>Files</h2>\n<p><span class=\"key req\"></span>requests\
             <span class=\"key ip\"></span>unique clients</p>\n<table>\n<thead><tr><th>path</th>\
             <th>format</th><th>requests</th><th>unique clients</th><th>malformed</th>\
             <th>bytes</th><th></th></tr></thead>\n<tbody>"
        );
        for f in &report.files {
            let format = f.format.map_or_else(|| "-".into(), |f| f.to_string());
            let _ = writeln!(
                page,
                "<tr><td class=\"path\">{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td>{}</td></tr>",
                escape(&f.path),
                escape(&format),
                thousands(f.total),
                thousands(f.ip),
                thousands(f.malformed),
                human_bytes(f.bytes),
                bars(f.total, f.ip, most_requests, most_clients),
            );
        }
        page.push_str("</tbody>\n</table>\n");
        if let Some(by) = &s.extra.by {
            periods(&mut page, s.extra.period, by);
        }
        if let Some(top) = &s.extra.top {
            top_clients(&mut page, top, s.total);
        }
        let mut listed = |title: &str, class: &str, rows: Vec<(&str, &str)>| {
            if rows.is_empty() {
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
                    escape(path),
                    escape(why)
                );
            }
            page.push_str("</tbody>\n</table>\n");
        };
        listed(
            "Errors",
            "err",
            report
                .errors
                .iter()
                .map(|e| (e.path.as_str(), e.error.as_str()))
                .collect(),
        );
        listed(
            "Skipped",
            "skip",
            report
                .skipped
                .iter()
                .map(|s| (s.path.as_str(), s.reason.as_str()))
                .collect(),
        );
        page.push_str("</body>\n</html>\n");
        out.write_all(page.as_bytes())
    }
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
    fn bars_are_shares_of_the_largest() {
        let svg = bars(50, 0, 100, 10);
        assert!(svg.contains("width=\"120.0\""), "{svg}");
        assert!(svg.contains("width=\"0.0\""), "{svg}");
        // A file with a little is never drawn as nothing.
        assert!(bars(1, 1, 1_000_000, 1_000_000).contains("width=\"1.0\""));
    }
}

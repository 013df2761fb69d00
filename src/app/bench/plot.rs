//! `bench --plot`: throughput per executor as an SVG chart.
//!
//! Only plotters' SVG backend is used: it writes text as SVG `<text>` elements, so no font
//! files or system libraries are needed to draw, and the viewer picks the font.

use std::io;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Row;

const SIZE: (u32, u32) = (900, 540);

/// Draws MB/s per executor into `path`: one line per executor against `-j` when several `-j`
/// were run (an executor that ignores `-j` is a flat line), one bar per executor otherwise.
pub fn write_svg(path: &Path, rows: &[Row]) -> io::Result<()> {
    let mut svg = String::new();
    let jobs = jobs_axis(rows);
    let drawn = if jobs.len() > 1 {
        lines(&mut svg, rows, &jobs)
    } else {
        bars(&mut svg, rows)
    };
    drawn.map_err(|e| io::Error::other(e.to_string()))?;
    std::fs::write(path, svg)
}

/// The distinct `-j` of the executors that take it, sorted.
fn jobs_axis(rows: &[Row]) -> Vec<u32> {
    let mut jobs: Vec<u32> = rows
        .iter()
        .filter(|r| r.takes_jobs)
        .map(|r| r.jobs)
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    jobs
}

/// Executor names in table order, each once.
fn executors(rows: &[Row]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for r in rows {
        if !names.contains(&r.executor) {
            names.push(r.executor);
        }
    }
    names
}

fn y_top(rows: &[Row]) -> f64 {
    rows.iter().map(|r| r.mb_per_s).fold(0.0, f64::max).max(1.0) * 1.15
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The frame both charts share: title, margins and room for the axis labels.
fn chart_on<'a, 's>(
    root: &'a DrawingArea<SVGBackend<'s>, plotters::coord::Shift>,
) -> ChartBuilder<'a, 'static, SVGBackend<'s>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(
            "logcount bench: throughput (higher is better)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64);
    builder
}

fn lines(svg: &mut String, rows: &[Row], jobs: &[u32]) -> DrawResult {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (lo, hi) = (f64::from(jobs[0]), f64::from(jobs[jobs.len() - 1]));
    let pad = (hi - lo) * 0.05;
    let mut chart = chart_on(&root).build_cartesian_2d((lo - pad)..(hi + pad), 0.0..y_top(rows))?;
    chart
        .configure_mesh()
        .x_desc("-j (workers)")
        .y_desc("MB/s (median run)")
        .x_labels(jobs.len().min(16))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, name) in executors(rows).into_iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let mut points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.executor == name)
            .map(|r| (f64::from(r.jobs), r.mb_per_s))
            .collect();
        let flat = rows.iter().any(|r| r.executor == name && !r.takes_jobs);
        let label = if flat {
            format!("{name} (ignores -j)")
        } else {
            name.to_string()
        };
        if flat {
            let y = points[0].1;
            points = vec![(lo, y), (hi, y)];
        }
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        if !flat {
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, color.filled())),
            )?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn bars(svg: &mut String, rows: &[Row]) -> DrawResult {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = rows.len() as f64;
    let mut chart = chart_on(&root).build_cartesian_2d(0.0..n, 0.0..y_top(rows))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("MB/s (median run)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let names = executors(rows);
    let color = |r: &Row| Palette99::pick(names.iter().position(|&n| n == r.executor).unwrap_or(0));
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let x = i as f64;
        Rectangle::new([(x + 0.1, 0.0), (x + 0.9, r.mb_per_s)], color(r).filled())
    }))?;
    let centered = |v| {
        ("sans-serif", 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, v))
    };
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let value = format!("{:.0}", r.mb_per_s);
        Text::new(value, (i as f64 + 0.5, r.mb_per_s), centered(VPos::Bottom))
    }))?;
    // Names under the bars, placed in pixels: an axis of executors is not a numeric axis.
    for (i, r) in rows.iter().enumerate() {
        let label = if r.takes_jobs {
            format!("{} -j {}", r.executor, r.jobs)
        } else {
            r.executor.to_string()
        };
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(label, (x, y + 10), centered(VPos::Top)))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(executor: &'static str, jobs: u32, takes_jobs: bool, mb_per_s: f64) -> Row {
        Row {
            executor,
            args: vec![],
            jobs,
            median_ms: 10.0,
            min_ms: 9.0,
            max_ms: 11.0,
            mb_per_s,
            lines_per_s: 1.0,
            speedup: None,
            peak_rss_bytes: Some(1 << 20),
            takes_jobs,
            runs: vec![],
        }
    }

    fn draw(rows: &[Row]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.svg");
        write_svg(&path, rows).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    /// The contents of the SVG's `<text>` elements.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect()
    }

    #[test]
    fn several_jobs_draw_one_line_per_executor() {
        let svg = draw(&[
            row("serial", 1, false, 1500.0),
            row("threads", 1, true, 1400.0),
            row("threads", 2, true, 2600.0),
            row("threads", 4, true, 2900.0),
        ]);
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        let texts = texts(&svg);
        for label in [
            "serial (ignores -j)",
            "threads",
            "-j (workers)",
            "MB/s (median run)",
        ] {
            assert!(texts.contains(&label), "{label} in {texts:?}");
        }
        let thick = |svg: &str| svg.matches(r#"stroke-width="2" points="#).count();
        assert_eq!(thick(&svg), 2 + 2, "two series, two legend marks");
        assert_eq!(svg.matches("<circle").count(), 3, "a point per threads run");
    }

    #[test]
    fn one_jobs_draws_bars() {
        let svg = draw(&[
            row("serial", 1, false, 1500.0),
            row("threads", 2, true, 2600.0),
        ]);
        assert!(svg.starts_with("<svg"));
        let labels = texts(&svg);
        for label in ["serial", "threads -j 2", "1500", "2600"] {
            assert!(labels.contains(&label), "{label} in {labels:?}");
        }
        assert!(
            !svg.contains(r#"stroke-width="2" points="#),
            "no series lines"
        );
        assert_eq!(
            svg.matches("<rect").count(),
            1 + 2,
            "the background and two bars"
        );
        let svg = draw(&[row("threads", 2, true, 2600.0)]);
        assert_eq!(svg.matches("<rect").count(), 1 + 1, "one bar");
        assert!(texts(&svg).contains(&"threads -j 2"));
    }
}

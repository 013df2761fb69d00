//! `bench --plot`: throughput per executor as an SVG chart.
//!
//! Only plotters' SVG backend is used: it writes text as SVG `<text>` elements, so no font
//! files or system libraries are needed to draw, and the viewer picks the font.

use std::io;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Row;
use logcount::report::{human_bytes, thousands};

const SIZE: (u32, u32) = (900, 560);

/// What the chart says of its run, in its title.
pub struct About {
    pub files: u64,
    pub bytes: u64,
    pub requests: u64,
    pub runs: u32,
    pub cores: usize,
}

impl About {
    fn subtitle(&self) -> String {
        format!(
            "{} file(s), {}, {} requests; median of {} run(s), whiskers min–max; {} core(s)",
            thousands(self.files),
            human_bytes(self.bytes),
            thousands(self.requests),
            self.runs,
            self.cores
        )
    }
}

/// Colours that read on white, each distinct from the others (Okabe and Ito's palette without
/// its pale yellow, then black and brown).
const COLORS: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x8C, 0x56, 0x4B),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// MB/s of a row's fastest and slowest timed runs (its whisker).
fn whisker(r: &Row) -> (f64, f64) {
    let at = |ms: f64| r.mb_per_s * r.median_ms / ms.max(1e-9);
    (at(r.max_ms), at(r.min_ms))
}

/// Draws MB/s per executor into `path`: one line per executor against `-j` when several `-j`
/// were run (an executor that ignores `-j` is a flat line), one bar per executor otherwise;
/// every median with a whisker from the slowest run to the fastest.
pub fn write_svg(path: &Path, rows: &[Row], about: &About) -> io::Result<()> {
    let mut svg = String::new();
    let jobs = jobs_axis(rows);
    let drawn = if jobs.len() > 1 {
        lines(&mut svg, rows, &jobs, about)
    } else {
        bars(&mut svg, rows, about)
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
    rows.iter()
        .map(|r| whisker(r).1)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The frame both charts share: title and subtitle, margins and room for the axis labels.
fn chart_on<'a, 's>(
    root: &'a DrawingArea<SVGBackend<'s>, plotters::coord::Shift>,
    about: &About,
) -> ChartBuilder<'a, 'static, SVGBackend<'s>> {
    let centered = |size, color| {
        ("sans-serif", size)
            .into_font()
            .color(color)
            .pos(Pos::new(HPos::Center, VPos::Top))
    };
    let middle = SIZE.0 as i32 / 2;
    let _ = root.draw(&Text::new(
        "logcount bench: throughput (higher is better)",
        (middle, 14),
        centered(22, &BLACK),
    ));
    let _ = root.draw(&Text::new(
        about.subtitle(),
        (middle, 44),
        centered(14, &RGBColor(0x44, 0x44, 0x44)),
    ));
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(16)
        .margin_top(72)
        .x_label_area_size(44)
        .y_label_area_size(64);
    builder
}

/// Grid lines that stay behind the data.
const GRID_BOLD: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);
const GRID_LIGHT: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

fn lines(svg: &mut String, rows: &[Row], jobs: &[u32], about: &About) -> DrawResult {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (lo, hi) = (f64::from(jobs[0]), f64::from(jobs[jobs.len() - 1]));
    let pad = (hi - lo) * 0.05;
    let mut chart =
        chart_on(&root, about).build_cartesian_2d((lo - pad)..(hi + pad), 0.0..y_top(rows))?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .x_desc("-j (workers)")
        .y_desc("MB/s (median run)")
        .x_labels(jobs.len().min(16))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, name) in executors(rows).into_iter().enumerate() {
        let color = color(i);
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
        // Whiskers: each run's spread, from its slowest to its fastest run.
        let spread: Vec<(f64, (f64, f64))> = rows
            .iter()
            .filter(|r| r.executor == name)
            .map(|r| (if flat { lo } else { f64::from(r.jobs) }, whisker(r)))
            .collect();
        chart.draw_series(spread.into_iter().map(|(x, (low, high))| {
            PathElement::new([(x, low), (x, high)], color.stroke_width(1))
        }))?;
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

fn bars(svg: &mut String, rows: &[Row], about: &About) -> DrawResult {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = rows.len() as f64;
    let mut chart = chart_on(&root, about).build_cartesian_2d(0.0..n, 0.0..y_top(rows))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .x_labels(0)
        .y_desc("MB/s (median run)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    let names = executors(rows);
    let color = |r: &Row| color(names.iter().position(|&n| n == r.executor).unwrap_or(0));
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let x = i as f64;
        Rectangle::new([(x + 0.1, 0.0), (x + 0.9, r.mb_per_s)], color(r).filled())
    }))?;
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let (x, (low, high)) = (i as f64 + 0.5, whisker(r));
        PathElement::new([(x, low), (x, high)], BLACK.stroke_width(1))
    }))?;
    let centered = |v| {
        ("sans-serif", 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, v))
    };
    chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
        let value = format!("{:.0}", r.mb_per_s);
        Text::new(
            value,
            (i as f64 + 0.5, whisker(r).1),
            centered(VPos::Bottom),
        )
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
        let about = About {
            files: 8,
            bytes: 1 << 30,
            requests: 8_000_000,
            runs: 5,
            cores: 2,
        };
        write_svg(&path, rows, &about).unwrap();
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

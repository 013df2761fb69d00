//! `logcount bench`: executors against each other on the same inputs, side by side.
//!
//! Every run is a fresh child process of this very binary (`--json --quiet` plus the executor's
//! arguments), so start-up, process creation and peak memory are measured as a user meets them.
//! Before anything is timed, one check round asks every executor for its answer and stops at the
//! first difference from the others: a fast wrong answer is not a result. Rounds then run every
//! executor once each, interleaved (A B C A B C …), so drift of the machine (other load, clock
//! boost, page cache) falls on all of them alike.

mod plot;

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::Value;

use logcount::diag;
use logcount::report::{human_bytes, thousands, write_columns};

use super::ExitStatus;
use crate::settings::{BenchExecutor, BenchFormat, BenchSettings};

/// One executor at one `-j`: one column of a round.
#[derive(Clone, Copy, Debug)]
struct Variant {
    executor: &'static BenchExecutor,
    /// `None` for an executor that ignores `-j`.
    jobs: Option<u32>,
}

impl Variant {
    fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = self.executor.args.iter().map(|&a| a.into()).collect();
        if let Some(j) = self.jobs {
            args.extend(["-j".into(), j.to_string()]);
        }
        args
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.jobs {
            Some(j) => write!(f, "{} -j {j}", self.executor.name),
            None => f.write_str(self.executor.name),
        }
    }
}

/// The variants to run, in table order: executors as chosen, each at every `-j` (given in
/// increasing order), or once when it ignores `-j`.
fn variants(executors: &[&'static BenchExecutor], jobs: &[u32]) -> Vec<Variant> {
    let mut out = Vec::new();
    for &executor in executors {
        if executor.takes_jobs {
            out.extend(jobs.iter().map(|&j| Variant {
                executor,
                jobs: Some(j),
            }));
        } else {
            out.push(Variant {
                executor,
                jobs: None,
            });
        }
    }
    out
}

/// Where two reports first differ in `files` or `summary` (the part every executor must agree
/// on), as a path like `files["a.log"].ip` and both values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub at: String,
    /// The value on each side as compact JSON, or `(missing)`.
    pub left: String,
    pub right: String,
}

/// The first difference between two `logcount --json` documents in `files` or `summary`, or
/// `None` when they agree. Keys are visited in sorted order, so "first" is deterministic.
pub fn first_difference(a: &Value, b: &Value) -> Option<Difference> {
    ["files", "summary"]
        .into_iter()
        .find_map(|field| diff(field.to_string(), a.get(field), b.get(field)))
}

fn diff(at: String, a: Option<&Value>, b: Option<&Value>) -> Option<Difference> {
    let show = |v: Option<&Value>| v.map_or_else(|| "(missing)".to_string(), Value::to_string);
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter()
                .find_map(|k| diff(format!("{at}{}", key_path(k)), x.get(k), y.get(k)))
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            (0..x.len().max(y.len())).find_map(|i| diff(format!("{at}[{i}]"), x.get(i), y.get(i)))
        }
        _ if a == b => None,
        _ => Some(Difference {
            at,
            left: show(a),
            right: show(b),
        }),
    }
}

/// `.name` for identifier-like keys, `["some/path.log"]` for the others.
fn key_path(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", Value::from(key))
    }
}

/// One timed run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Run {
    pub wall_ms: f64,
    /// The child's peak resident set size; `None` where the platform does not tell.
    pub rss_bytes: Option<u64>,
}

/// The figures of one variant.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub executor: &'static str,
    /// The arguments that selected it (after the paths, `--json --quiet`).
    pub args: Vec<String>,
    /// Workers asked for (`-j`); 1 for an executor that ignores `-j`.
    pub jobs: u32,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Decimal megabytes of log text per second, at the median.
    pub mb_per_s: f64,
    /// Requests per second, at the median.
    pub lines_per_s: f64,
    /// `serial`'s median over this one; `None` when `serial` was not run.
    pub speedup: Option<f64>,
    /// The largest peak RSS over the timed runs.
    pub peak_rss_bytes: Option<u64>,
    #[serde(skip)]
    pub takes_jobs: bool,
    pub runs: Vec<Run>,
}

/// What was counted, as every executor agreed.
#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    pub paths: Vec<String>,
    pub files: u64,
    pub total: u64,
    pub bytes: u64,
}

/// The whole result of `logcount bench` (its JSON document).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub input: Workload,
    pub runs: u32,
    pub warmup: u32,
    pub results: Vec<Row>,
}

/// Why a bench stopped: one line for stderr.
#[derive(Debug)]
struct Failure(String);

/// Runs `logcount bench` and returns the exit status.
pub fn run(settings: BenchSettings) -> ExitStatus {
    match bench(&settings) {
        Ok(status) => status,
        Err(Failure(m)) => {
            diag::warn(m);
            ExitStatus::FAILED
        }
    }
}

fn bench(args: &BenchSettings) -> Result<ExitStatus, Failure> {
    let variants = variants(&args.executors, &args.jobs);
    let exe = std::env::current_exe()
        .map_err(|e| Failure(format!("cannot find this program's binary: {e}")))?;
    let child = ChildSpec {
        exe: &exe,
        paths: &args.paths,
    };

    let rounds = u64::from(args.warmup) + u64::from(args.runs);
    let bar = progress_bar(variants.len() as u64 * (1 + rounds), !args.quiet);
    let workload = check(&child, &variants, &bar)?;

    let mut samples: Vec<Vec<Run>> = vec![Vec::with_capacity(args.runs as usize); variants.len()];
    for round in 0..rounds {
        let warming = round < u64::from(args.warmup);
        for (variant, runs) in variants.iter().zip(&mut samples) {
            bar.set_message(format!(
                "{variant}{}",
                if warming { " (warmup)" } else { "" }
            ));
            let run = child.timed(variant)?;
            if !warming {
                runs.push(run);
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    let report = summarize(workload, args, &variants, samples);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        BenchFormat::Table => write_table(&mut out, &report),
        BenchFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        BenchFormat::Csv => write_csv(&mut out, &report),
    };
    match written.and_then(|()| out.flush()) {
        // Nobody reads the figures: the plot is not wanted either.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitStatus::OK),
        Err(e) => return Err(Failure(format!("cannot write output: {e}"))),
        Ok(()) => {}
    }
    if let Some(path) = &args.plot {
        let about = plot::About {
            files: report.input.files,
            bytes: report.input.bytes,
            requests: report.input.total,
            runs: report.runs,
            cores: logcount::executor::cpus(),
        };
        plot::write_svg(path, &report.results, &about).map_err(|e| {
            Failure(format!(
                "{}: cannot write plot: {e}",
                logcount::input::display(path)
            ))
        })?;
    }
    Ok(ExitStatus::OK)
}

/// How to start a child run.
struct ChildSpec<'a> {
    exe: &'a Path,
    paths: &'a [PathBuf],
}

impl ChildSpec<'_> {
    fn command(&self, variant: &Variant) -> Command {
        let mut cmd = Command::new(self.exe);
        cmd.args(variant.args())
            .args(["--json", "--quiet", "--"])
            .args(self.paths)
            .stdin(Stdio::null());
        cmd
    }

    /// The child's JSON answer, or why it gave none.
    fn answer(&self, variant: &Variant) -> Result<Value, Failure> {
        let out = self
            .command(variant)
            .output()
            .map_err(|e| Failure(format!("{variant}: cannot start: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr.lines().next().unwrap_or("").trim();
            return Err(Failure(format!(
                "{variant} failed ({}){}{why}",
                out.status,
                if why.is_empty() { "" } else { ": " }
            )));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| Failure(format!("{variant}: output is not JSON: {e}")))
    }

    /// One timed run, output discarded; the time covers process creation to reaping.
    fn timed(&self, variant: &Variant) -> Result<Run, Failure> {
        let mut cmd = self.command(variant);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| Failure(format!("{variant}: cannot start: {e}")))?;
        let (status, rss_bytes) = wait_with_peak_rss(child)
            .map_err(|e| Failure(format!("{variant}: cannot wait: {e}")))?;
        let wall_ms = started.elapsed().as_secs_f64() * 1e3;
        if !status.success() {
            return Err(Failure(format!(
                "{variant} failed ({status}) in a timed run after succeeding in the check"
            )));
        }
        Ok(Run { wall_ms, rss_bytes })
    }
}

/// Waits for `child` and returns its status and its own peak RSS (from `wait4`, which reports
/// the reaped child alone, unlike `getrusage(RUSAGE_CHILDREN)`'s maximum over all children).
#[cfg(unix)]
fn wait_with_peak_rss(
    child: std::process::Child,
) -> io::Result<(std::process::ExitStatus, Option<u64>)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as nix::libc::pid_t;
    let mut status: nix::libc::c_int = 0;
    // SAFETY: rusage is plain integers, valid when zeroed.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std never waits for it: we keep the
        // `Child` until here and drop it without waiting); both pointers are valid for writes.
        let reaped = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    drop(child);
    let max_rss = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    // Linux and the BSDs count kilobytes; macOS counts bytes.
    let bytes = if cfg!(target_os = "macos") {
        max_rss
    } else {
        max_rss * 1024
    };
    Ok((std::process::ExitStatus::from_raw(status), Some(bytes)))
}

#[cfg(not(unix))]
fn wait_with_peak_rss(
    mut child: std::process::Child,
) -> io::Result<(std::process::ExitStatus, Option<u64>)> {
    Ok((child.wait()?, None))
}

/// The check round: every variant's `files` and `summary` must equal the first one's.
fn check(
    child: &ChildSpec<'_>,
    variants: &[Variant],
    bar: &ProgressBar,
) -> Result<Workload, Failure> {
    let mut reference: Option<(Variant, Value)> = None;
    for &variant in variants {
        bar.set_message(format!("{variant} (check)"));
        let answer = child.answer(&variant)?;
        bar.inc(1);
        match &reference {
            None => reference = Some((variant, answer)),
            Some((first, expected)) => {
                if let Some(d) = first_difference(expected, &answer) {
                    return Err(Failure(format!(
                        "executors disagree at {}: {first} says {}, {variant} says {}",
                        d.at, d.left, d.right
                    )));
                }
            }
        }
    }
    let (_, answer) = reference.expect("at least one executor");
    let figure = |name: &str| answer["summary"][name].as_u64().unwrap_or(0);
    Ok(Workload {
        paths: child
            .paths
            .iter()
            .map(|p| logcount::input::display(p))
            .collect(),
        files: figure("files"),
        total: figure("total"),
        bytes: figure("bytes"),
    })
}

/// A bar counting runs and saying which (its message), as wide as stderr: the message takes
/// what the bar and the figures leave, and is cut to it; hidden unless `wanted` and stderr is a
/// terminal.
fn progress_bar(runs: u64, wanted: bool) -> ProgressBar {
    if !wanted || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (target, width) = logcount::progress::stderr_target();
    let bar = ProgressBar::with_draw_target(Some(runs), target);
    let template = if width >= 72 {
        "{spinner} [{elapsed_precise}] {pos:>3}/{len} runs [{bar:20}] {wide_msg}"
    } else {
        "{spinner} {pos}/{len} {wide_msg}"
    };
    bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
    bar
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Rounds to a microsecond: the precision a wall-clock figure of a child process has.
fn micros(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}

fn summarize(
    workload: Workload,
    args: &BenchSettings,
    variants: &[Variant],
    samples: Vec<Vec<Run>>,
) -> BenchReport {
    let mut results: Vec<Row> = variants
        .iter()
        .zip(samples)
        .map(|(variant, mut runs)| {
            for r in &mut runs {
                r.wall_ms = micros(r.wall_ms);
            }
            let mut walls: Vec<f64> = runs.iter().map(|r| r.wall_ms).collect();
            walls.sort_by(f64::total_cmp);
            let median_ms = micros(median(&walls));
            let secs = (median_ms / 1e3).max(1e-9);
            Row {
                executor: variant.executor.name,
                args: variant.args(),
                jobs: variant.jobs.unwrap_or(1),
                median_ms,
                min_ms: walls[0],
                max_ms: walls[walls.len() - 1],
                mb_per_s: workload.bytes as f64 / 1e6 / secs,
                lines_per_s: workload.total as f64 / secs,
                speedup: None,
                peak_rss_bytes: runs.iter().filter_map(|r| r.rss_bytes).max(),
                takes_jobs: variant.executor.takes_jobs,
                runs,
            }
        })
        .collect();
    let serial = results
        .iter()
        .find(|r| r.executor == "serial")
        .map(|r| r.median_ms);
    if let Some(serial) = serial {
        for row in &mut results {
            row.speedup = Some(serial / row.median_ms.max(1e-9));
        }
    }
    BenchReport {
        input: workload,
        runs: args.runs,
        warmup: args.warmup,
        results,
    }
}

fn write_table(out: &mut impl Write, report: &BenchReport) -> io::Result<()> {
    let w = &report.input;
    writeln!(
        out,
        "{}: {} file{}, {} requests, {}; every executor agrees",
        w.paths.join(" "),
        thousands(w.files),
        if w.files == 1 { "" } else { "s" },
        thousands(w.total),
        human_bytes(w.bytes),
    )?;
    writeln!(
        out,
        "{} timed run{} each after {} warmup round{}, interleaved; wall time is process start to exit\n",
        report.runs,
        if report.runs == 1 { "" } else { "s" },
        report.warmup,
        if report.warmup == 1 { "" } else { "s" },
    )?;
    let mut rows: Vec<Vec<String>> = vec![[
        "EXECUTOR",
        "JOBS",
        "WALL MEDIAN (MIN–MAX)",
        "MB/S",
        "LINES/S",
        "SPEEDUP",
        "PEAK RSS",
    ]
    .map(String::from)
    .to_vec()];
    for r in &report.results {
        rows.push(vec![
            r.executor.to_string(),
            r.jobs.to_string(),
            format!("{:.1} ms ({:.1}–{:.1})", r.median_ms, r.min_ms, r.max_ms),
            thousands(r.mb_per_s.round() as u64),
            si(r.lines_per_s),
            r.speedup.map_or_else(|| "—".into(), |s| format!("{s:.2}×")),
            r.peak_rss_bytes.map_or_else(|| "—".into(), human_bytes),
        ]);
    }
    write_columns(out, &rows, 1, None)
}

/// `12_345_678.0` → `12.3 M`.
fn si(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.2} G", n / 1e9),
        n if n >= 1e6 => format!("{:.1} M", n / 1e6),
        n if n >= 1e3 => format!("{:.1} k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

fn write_csv(out: &mut impl Write, report: &BenchReport) -> io::Result<()> {
    writeln!(
        out,
        "executor,jobs,median_ms,min_ms,max_ms,mb_per_s,lines_per_s,speedup,peak_rss_bytes"
    )?;
    for r in &report.results {
        let opt = |v: Option<String>| v.unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{},{},{:.1},{:.0},{},{}",
            r.executor,
            r.jobs,
            r.median_ms,
            r.min_ms,
            r.max_ms,
            r.mb_per_s,
            r.lines_per_s,
            opt(r.speedup.map(|s| format!("{s:.3}"))),
            opt(r.peak_rss_bytes.map(|b| b.to_string())),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::parse_bench_executor;
    use serde_json::json;

    fn report(a_ip: u64, union_ip: u64) -> Value {
        json!({
            "files": {
                "logs/a.log": {"total": 3, "ip": a_ip, "bytes": 76},
                "logs/b.log": {"total": 2, "ip": 2, "bytes": 40}
            },
            "errors": [],
            "summary": {"files": 2, "total": 5, "ip": union_ip, "bytes": 116, "errors": 0},
            "executor": {"name": "serial", "jobs": 1},
            "elapsed_ms": 0.4
        })
    }

    #[test]
    fn equal_answers_agree_whatever_ran_them_and_how_long_it_took() {
        let mut other = report(2, 3);
        other["executor"] = json!({"name": "threads", "jobs": 8});
        other["elapsed_ms"] = json!(99.9);
        assert_eq!(first_difference(&report(2, 3), &other), None);
    }

    #[test]
    fn a_per_file_difference_names_the_file_and_field() {
        let d = first_difference(&report(2, 3), &report(4, 3)).unwrap();
        assert_eq!(
            d,
            Difference {
                at: r#"files["logs/a.log"].ip"#.into(),
                left: "2".into(),
                right: "4".into()
            }
        );
    }

    #[test]
    fn a_summary_difference_is_found() {
        let d = first_difference(&report(2, 3), &report(2, 5)).unwrap();
        assert_eq!(
            (d.at.as_str(), d.left.as_str(), d.right.as_str()),
            ("summary.ip", "3", "5")
        );
    }

    #[test]
    fn a_missing_file_is_a_difference() {
        let mut fewer = report(2, 3);
        fewer["files"].as_object_mut().unwrap().remove("logs/b.log");
        let d = first_difference(&report(2, 3), &fewer).unwrap();
        assert_eq!(d.at, r#"files["logs/b.log"]"#);
        assert_eq!(d.left, r#"{"bytes":40,"ip":2,"total":2}"#);
        assert_eq!(d.right, "(missing)");
        // The other way round too, and files are compared before the summary.
        let d = first_difference(&fewer, &report(2, 99)).unwrap();
        assert_eq!(
            (d.at.as_str(), d.left.as_str()),
            (r#"files["logs/b.log"]"#, "(missing)")
        );
    }

    #[test]
    fn the_first_difference_in_sorted_order_is_reported() {
        let mut a = report(2, 3);
        let mut b = report(2, 3);
        a["files"]["logs/b.log"]["total"] = json!(7);
        b["files"]["logs/a.log"]["bytes"] = json!(75);
        assert_eq!(
            first_difference(&a, &b).unwrap().at,
            r#"files["logs/a.log"].bytes"#
        );
    }

    #[test]
    fn a_type_difference_is_a_difference() {
        let mut b = report(2, 3);
        b["summary"]["total"] = json!("5");
        let d = first_difference(&report(2, 3), &b).unwrap();
        assert_eq!((d.left.as_str(), d.right.as_str()), ("5", "\"5\""));
    }

    #[test]
    fn serial_runs_once_a_round_others_once_per_jobs() {
        let serial = parse_bench_executor("serial").unwrap();
        let threads = parse_bench_executor("threads").unwrap();
        let v = variants(&[threads, serial], &[1, 4]);
        let labels: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["threads -j 1", "threads -j 4", "serial"]);
        assert_eq!(v[1].args(), ["-e", "threads", "-j", "4"]);
        assert_eq!(v[2].args(), ["-e", "serial"]);
    }

    #[test]
    fn medians_and_people_numbers() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
        assert_eq!(si(12_345_678.0), "12.3 M");
        assert_eq!(si(999.0), "999");
        assert_eq!(si(2_500_000_000.0), "2.50 G");
    }
}

//! The application: validated options in, output and an exit code out.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{Cli, Command, CountArgs, GenArgs, RunArgs};
use crate::executor::Executor;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::{Event, Reducer};
use crate::report::{self, ExecutorInfo, Format, Report};
use crate::signals;

/// Exit status: every input counted.
pub const EXIT_OK: i32 = 0;
/// Exit status: some input, or the output, failed (results for the rest were still printed).
pub const EXIT_FAILED: i32 = 1;
/// Exit status: bad usage (clap exits with it too).
pub const EXIT_USAGE: i32 = 2;

/// Runs what the command line asks for and returns the exit status.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Gen(args)) => gen(&args),
        Some(Command::Bench(args)) => crate::bench::run(&args),
        Some(Command::Worker(args)) => crate::executor::procpool::worker_main(args.parent_pid),
        Some(Command::Partial(args)) => crate::partial::run_partial(&args),
        Some(Command::Merge(args)) => crate::partial::run_merge(&args),
        None => count(&cli.count),
    }
}

/// Writes one diagnostic line on stderr; a failing stderr is not worth dying for.
pub fn warn(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "logcount: {message}");
}

/// Ends the process because stdout failed: quietly for a closed pipe (`| head`), with an error
/// otherwise (`> /dev/full`), so output is never lost with exit 0.
fn output_failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_OK);
    }
    warn(format_args!("cannot write output: {e}"));
    std::process::exit(EXIT_FAILED);
}

/// The default `-j`: the number of CPUs this process may use.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn count(args: &CountArgs) -> i32 {
    let format = match (args.json, args.format) {
        (true, _) => Format::Json,
        (false, Some(f)) => f,
        (false, None) if io::stdout().is_terminal() => Format::Table,
        (false, None) => Format::Json,
    };
    signals::install();
    let started = Instant::now();
    let (executor, plan) = match prepare(&args.run, &args.paths) {
        Ok(ready) => ready,
        Err(status) => return status,
    };

    let progress = Progress::new(plan.known_bytes(), !args.run.quiet);
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    let report = execute(
        &plan,
        executor.as_ref(),
        &progress,
        started,
        |event| match event {
            Event::Error(e) => {
                progress.suspend(|| warn(format_args!("{}: {}", e.path, e.error)));
            }
            Event::File(f) if format == Format::Ndjson => {
                let written = signals::while_writing(|| {
                    report::write_ndjson_file(&mut out, f).and_then(|()| out.flush())
                });
                if let Err(e) = written {
                    output_failed(&e);
                }
            }
            Event::File(_) => {}
        },
    );
    progress.finish();

    let written = signals::while_writing(|| {
        match format {
            Format::Table => report::write_table(&mut out, &report),
            Format::Json => report::write_json(&mut out, &report),
            Format::Ndjson => report::write_ndjson_end(&mut out, &report),
            Format::Csv => report::write_csv(&mut out, &report),
        }
        .and_then(|()| out.flush())
    });
    if let Err(e) = written {
        output_failed(&e);
    }
    if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Builds the executor `run` asks for and plans `paths` for it, printing the planning's
/// errors (and notes, unless quiet) on stderr. `Err` holds the exit status of bad usage.
pub fn prepare(run: &RunArgs, paths: &[PathBuf]) -> Result<(Box<dyn Executor>, Plan), i32> {
    let jobs = run.jobs.map_or_else(default_jobs, |j| j as usize);
    let executor = run
        .executor
        .build_with(jobs, run.start_method)
        .map_err(|usage| {
            warn(usage);
            EXIT_USAGE
        })?;
    let plan = Plan::new(paths, run.chunk_size.or(executor.default_chunk_size()));
    for e in &plan.errors {
        warn(format_args!("{}: {}", e.path, e.error));
    }
    if !run.quiet {
        for n in &plan.notes {
            warn(format_args!("{}: {}", n.path, n.message));
        }
    }
    Ok((executor, plan))
}

/// Runs `plan` on `executor`, telling `on_event` about each file as it completes (from
/// whichever thread completed it).
pub fn execute(
    plan: &Plan,
    executor: &dyn Executor,
    progress: &Progress,
    started: Instant,
    on_event: impl FnMut(&Event) + Send,
) -> Report {
    let reducer = Reducer::new(plan, on_event);
    executor.run(plan, &reducer, progress);
    let (files, errors, union_ip) = reducer.finish();
    let info = ExecutorInfo {
        name: executor.name().into(),
        jobs: executor.jobs(),
        start_method: executor.start_method().map(Into::into),
    };
    Report::new(
        files,
        errors,
        union_ip,
        info,
        started.elapsed().as_secs_f64() * 1e3,
    )
}

fn gen(args: &GenArgs) -> i32 {
    let opts = crate::gen::GenOptions {
        files: args.files,
        lines: args.lines,
        seed: args.seed,
        unique: args.unique.max(1),
    };
    let started = Instant::now();
    match crate::gen::generate(&args.dir, &opts) {
        Ok(summary) => {
            let secs = started.elapsed().as_secs_f64();
            let mb_s = summary.bytes as f64 / 1e6 / secs.max(1e-9);
            let _ = writeln!(
                io::stdout().lock(),
                "wrote {} file(s), {} lines, {} to {} in {secs:.2} s ({mb_s:.0} MB/s)",
                summary.files.len(),
                report::thousands(summary.lines),
                report::human_bytes(summary.bytes),
                args.dir.display(),
            );
            EXIT_OK
        }
        Err(e) => {
            warn(format_args!("{}: {e}", args.dir.display()));
            EXIT_FAILED
        }
    }
}

//! The main job: count the inputs, print the report.

use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::time::Instant;

use logcount::executor;
use logcount::format::{Choice, Format};
use logcount::plan::Plan;
use logcount::progress::Progress;
use logcount::reduce::Event;
use logcount::report::{self, OutputFormat, SummaryExporter};

use super::output::stdout_done;
use super::{interrupt, note_skips_after_count, prepare, warn_error, ExitStatus};
use crate::settings::CountSettings;

pub fn run(settings: CountSettings) -> ExitStatus {
    interrupt::install();
    logcount::diag::set_color(settings.color.stderr());
    let started = Instant::now();
    let (executor, plan) = prepare(&settings.run, &settings.paths, true);

    let progress = Progress::new(plan.known_bytes(), !settings.run.quiet);
    let files = if settings.run.verbose {
        report::FileBlocks::Shown
    } else {
        report::FileBlocks::OnVerbose
    };
    let table = report::TableStyle::stdout(settings.color.stdout(), files);
    let mut exporter = match settings
        .summary
        .then(|| SummaryExporter::new(settings.format))
    {
        Some(Some(summary)) => Box::new(summary),
        _ => report::exporter(settings.format, table),
    };
    // The first malformed lines go to stderr unless the output itself carries them.
    let show_on_stderr =
        settings.summary || !matches!(settings.format, OutputFormat::Json | OutputFormat::Ndjson);
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    // A write that failed (a closed pipe, a full disk) stops the run: nothing more can be said.
    let mut failed: Option<io::Error> = None;
    let mut write = |f: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>| {
        if failed.is_none() {
            let written = interrupt::while_writing(|| f(&mut out).and_then(|()| out.flush()));
            failed = written.err();
        }
        if failed.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let _ = write(&mut |out| exporter.start(out));
    let streams = exporter.streams();
    let ran = executor::execute(
        &plan,
        executor.as_ref(),
        &progress,
        started,
        |event| match event {
            Event::Error(e) => {
                warn_error(e);
                ControlFlow::Continue(())
            }
            // Noted once the run is done: a few, then a sum (`note_skips_after_count`).
            Event::Skipped(_) => ControlFlow::Continue(()),
            Event::File(f) if streams => write(&mut |out| exporter.file(out, f)),
            Event::File(_) => ControlFlow::Continue(()),
        },
    );
    progress.finish();
    let report = match ran {
        Ok(report) => report,
        Err(interrupted) => return interrupted.into(),
    };
    let mut nothing =
        note_skips_after_count(report.files.len(), &report.skipped, settings.run.verbose);
    if report.files.is_empty() && report.errors.is_empty() && report.skipped.is_empty() {
        // Every path an empty directory (each has had its note): the run counted nothing.
        logcount::diag::warn("nothing counted: no input file under the paths given");
        nothing = true;
    }
    if let Choice::Named(named) = settings.run.reading.format {
        warn_unread(named, &report.files, &plan);
    }
    if show_on_stderr {
        show_malformed(&report.files);
    }
    if let Some(e) = &report.union_error {
        logcount::diag::warn(e);
        return ExitStatus::failed_if(true);
    }
    let _ = write(&mut |out| {
        exporter.errors(out, &report.errors, &report.skipped)?;
        exporter.finish(out, &report)
    });
    let written = match failed {
        Some(e) => Err(e),
        None => Ok(()),
    };
    stdout_done(
        written,
        ExitStatus::failed_if(!report.errors.is_empty() || nothing),
    )
}

/// `--show-malformed` on stderr: each file's first malformed lines as `PATH:LINE: TEXT` (as
/// grep and compilers write a place), then how many more there are.
fn show_malformed(files: &[report::FileStats]) {
    for f in files {
        let Some(lines) = &f.malformed_lines else {
            continue;
        };
        for l in lines {
            logcount::diag::show(format_args!("{}:{}: {}", f.path, l.line, l.text));
        }
        let more = f.malformed.saturating_sub(lines.len() as u64);
        if more > 0 && !lines.is_empty() {
            let s = if more == 1 { "" } else { "s" };
            logcount::diag::show(format_args!(
                "{}: {} more malformed line{s}",
                f.path,
                report::thousands(more)
            ));
        }
    }
}

/// A one-line warning for each file of which a named `--log-format` reads (almost) no line,
/// naming the format it looks like (docs/contract.md §3): it was 0 requests and every line
/// malformed, exit 0, without a word (issue 28).
fn warn_unread(named: Format, files: &[report::FileStats], plan: &Plan) {
    for f in files
        .iter()
        .filter(|f| f.malformed > 0 && f.total * 10 < f.malformed)
    {
        let input = plan.inputs.iter().find(|i| i.name == f.path);
        let looks = input.and_then(|i| logcount::plan::looks_like(i, &plan.options));
        let hint = match looks {
            Some(format) if format != named => {
                format!("; it looks like {format}: leave --log-format out, or name that")
            }
            _ => String::new(),
        };
        logcount::diag::warn(format_args!(
            "{}: {} of {} lines do not parse as --log-format {named}{hint}",
            f.path,
            f.malformed,
            f.malformed + f.total
        ));
    }
}

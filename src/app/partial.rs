//! `logcount partial`: count one slice of the plan (planned here, or frozen by `logcount plan`),
//! write its partial result; and `logcount plan`: freeze a plan.

use logcount::diag;
use logcount::executor::Executor;
use logcount::partial::file::{self as partial_file, Partial, Sealed};
use logcount::partial::{self, slice_bytes};
use logcount::plan::Plan;
use logcount::progress::Progress;
use logcount::report::{human_bytes, thousands};

use super::output::{read_source, write_output};
use super::{executor_for, note_skips, prepare, warn_error, ExitStatus};
use crate::settings::{PartialSettings, PlanSettings, RunSettings};

/// `logcount plan`: plans the paths as a direct run would and writes the plan.
pub fn freeze(settings: PlanSettings) -> ExitStatus {
    let (_, plan) = prepare(&settings.run, &settings.paths, false);
    note_skips(&plan.skipped, settings.run.verbose);
    if let Some(stream) = plan.inputs.iter().find(|i| !i.regular) {
        diag::warn(format_args!(
            "{}: standard input and FIFOs cannot be frozen (every task must read the same \
             bytes): name files or directories",
            stream.name
        ));
        return ExitStatus::USAGE;
    }
    let sealed = partial_file::seal_plan(&plan);
    let size = match write_sealed(&sealed, &settings.output, settings.text) {
        Ok(size) => size,
        Err(e) => {
            diag::warn(format_args!(
                "cannot write the plan to {}: {e}",
                logcount::input::display(&settings.output)
            ));
            return ExitStatus::FAILED;
        }
    };
    diag::note(format_args!(
        "plan: {} input(s), {} job(s), {}; wrote {} to {}",
        thousands(plan.inputs.len() as u64),
        thousands(plan.jobs.len() as u64),
        plan.known_bytes()
            .map_or_else(|| "size unknown".into(), human_bytes),
        human_bytes(size as u64),
        logcount::input::display(&settings.output),
    ));
    ExitStatus::failed_if(!plan.errors.is_empty())
}

fn write_sealed(sealed: &Sealed, output: &std::path::Path, text: bool) -> std::io::Result<usize> {
    if text {
        let text = sealed.to_text();
        write_output(output, |out| out.write_all(text.as_bytes())).map(|()| text.len())
    } else {
        write_output(output, |out| sealed.write_binary(out)).map(|()| sealed.len())
    }
}

/// The frozen plan in `path`, and an executor for it; a one-line error if it is not one.
fn thawed(run: &RunSettings, path: &std::path::Path) -> Result<(Box<dyn Executor>, Plan), String> {
    diag::set_quiet(run.quiet);
    let shown = logcount::input::display(path);
    let bytes = read_source(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut parsed = partial_file::parse_stream(bytes).map_err(|e| format!("{shown}: {e}"))?;
    let mut plan = match (parsed.pop(), parsed.is_empty()) {
        (Some(Partial::Plan(plan)), true) => *plan,
        _ => {
            return Err(format!(
                "{shown}: not a frozen plan (make one with `logcount plan`)"
            ))
        }
    };
    // How files are read is this run's choice, not the plan's: the answer is the same.
    plan.read_mode = run.reading.mode;
    for e in &plan.errors {
        warn_error(e);
    }
    Ok((executor_for(run, &plan), plan))
}

pub fn run(settings: PartialSettings) -> ExitStatus {
    let (executor, plan) = match &settings.plan {
        Some(path) => match thawed(&settings.run, path) {
            Ok(thawed) => thawed,
            Err(e) => {
                diag::warn(e);
                return ExitStatus::FAILED;
            }
        },
        None => {
            let (executor, plan) = prepare(&settings.run, &settings.paths, false);
            note_skips(&plan.skipped, settings.run.verbose);
            (executor, plan)
        }
    };
    if settings.buckets > 1 && !plan.options.query.is_plain() {
        // A plan from `--plan` (a plan made here was refused at parse time).
        diag::warn(
            "--buckets: --by, --since, --until and --top need every key in one bucket (the plan \
             was made with them)",
        );
        return ExitStatus::USAGE;
    }
    let progress = Progress::new(slice_bytes(&plan, settings.slice), !settings.run.quiet);
    let counted = partial::count_slice(
        &plan,
        settings.slice,
        settings.buckets,
        executor.as_ref(),
        &progress,
        warn_error,
    );
    progress.finish();
    let counted = match counted {
        Ok(counted) => counted,
        Err(interrupted) => return interrupted.into(),
    };

    let output = &settings.output;
    let size = match write_sealed(&counted.sealed, output, settings.text) {
        Ok(size) => size,
        Err(e) => {
            diag::warn(format_args!(
                "cannot write the partial to {}: {e}",
                logcount::input::display(output)
            ));
            return ExitStatus::FAILED;
        }
    };
    let per_pair = if counted.keys > 0 {
        format!(
            ", {:.2} bytes per (file, key)",
            size as f64 / counted.keys as f64
        )
    } else {
        String::new()
    };
    let jobs = &counted.jobs;
    diag::note(format_args!(
        "slice {}: jobs {}..{} of {}, {} file(s), {} keys; wrote {} to {}{per_pair}",
        settings.slice,
        jobs.start,
        jobs.end,
        plan.jobs.len(),
        counted.files,
        thousands(counted.keys),
        human_bytes(size as u64),
        logcount::input::display(output),
    ));
    ExitStatus::OK
}

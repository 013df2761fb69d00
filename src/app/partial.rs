//! `logcount partial`: count one slice of the plan, write its partial result.

use logcount::diag;
use logcount::partial::{self, slice_bytes};
use logcount::progress::Progress;
use logcount::report::{human_bytes, thousands};

use super::output::write_output;
use super::{prepare, warn_error, ExitStatus};
use crate::settings::PartialSettings;

pub fn run(settings: PartialSettings) -> ExitStatus {
    let (executor, plan) = prepare(&settings.run, &settings.paths);
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
    let written = if settings.text {
        let text = counted.sealed.to_text();
        write_output(output, |out| out.write_all(text.as_bytes())).map(|()| text.len())
    } else {
        write_output(output, |out| counted.sealed.write_binary(out)).map(|()| counted.sealed.len())
    };
    let size = match written {
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

//! `logcount gen`: write deterministic synthetic logs.

use std::io::Write;
use std::time::Instant;

use logcount::diag;
use logcount::progress::Progress;
use logcount::report::{human_bytes, thousands};

use super::ExitStatus;
use crate::settings::GenSettings;

/// Output from which progress is shown on a terminal (estimated from the lines asked for).
const PROGRESS_FROM_BYTES: u64 = 64 << 20;

pub fn run(settings: GenSettings) -> ExitStatus {
    let started = Instant::now();
    let opts = &settings.options;
    let lines = opts.lines.saturating_mul(opts.files as u64);
    let big = lines.saturating_mul(logcount::gen::LINE_BYTES) >= PROGRESS_FROM_BYTES;
    let progress = Progress::lines(lines, big);
    let written =
        logcount::gen::generate_with_progress(&settings.dir, opts, settings.force, &progress);
    progress.finish();
    match written {
        Ok(summary) => {
            let secs = started.elapsed().as_secs_f64();
            let mb_s = summary.bytes as f64 / 1e6 / secs.max(1e-9);
            let _ = writeln!(
                std::io::stdout().lock(),
                "wrote {} file(s), {} lines, {} to {} in {secs:.2} s ({mb_s:.0} MB/s)",
                summary.files.len(),
                thousands(summary.lines),
                human_bytes(summary.bytes),
                logcount::input::display(&settings.dir),
            );
            ExitStatus::OK
        }
        Err(e) => {
            diag::warn(format_args!(
                "{}: {e}",
                logcount::input::display(&settings.dir)
            ));
            ExitStatus::FAILED
        }
    }
}

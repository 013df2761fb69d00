//! `logcount gen`: write deterministic synthetic logs.

use std::io::Write;
use std::time::Instant;

use logcount::diag;
use logcount::report::{human_bytes, thousands};

use super::ExitStatus;
use crate::settings::GenSettings;

pub fn run(settings: GenSettings) -> ExitStatus {
    let started = Instant::now();
    match logcount::gen::generate(&settings.dir, &settings.options, settings.force) {
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

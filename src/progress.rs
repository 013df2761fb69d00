//! Progress on stderr, in bytes, for every executor.
//!
//! Executors report bytes done per buffer or job (never per line) through [`Progress::add`],
//! which costs one atomic add when a bar is shown and nothing when it is not. A bar is shown
//! only when stderr is a terminal and `--quiet` is not given; stdout never sees a byte of it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that may be hidden.
#[derive(Debug, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `total` bytes (unknown when some input is a stream), shown only when `wanted`
    /// and stderr is a terminal.
    pub fn new(total: Option<u64>, wanted: bool) -> Progress {
        if !wanted || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let template = match total {
            Some(_) => {
                "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} \
                 ({binary_bytes_per_sec}, ETA {eta})"
            }
            None => "{spinner} [{elapsed_precise}] {bytes} ({binary_bytes_per_sec})",
        };
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(10));
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        // Redrawn on its own while input stalls, so the clock runs and the rate decays: a
        // bar frozen while a stream waits would look like a hang.
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        // Diagnostics written meanwhile step around the bar.
        let drawn = bar.clone();
        crate::diag::set_suspender(Some(Box::new(move |write| drawn.suspend(&mut *write))));
        Progress { bar: Some(bar) }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Records `bytes` more done.
    #[inline]
    pub fn add(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    /// Removes the bar before the results are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            crate::diag::set_suspender(None);
            bar.finish_and_clear();
        }
    }

    /// Whether a bar is shown.
    pub fn visible(&self) -> bool {
        self.bar.is_some()
    }
}

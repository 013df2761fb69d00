//! Progress on stderr, in bytes for every executor and in lines for `gen`.
//!
//! Executors report bytes done per buffer or job (never per line) through [`Progress::add`],
//! which costs one atomic add when a bar is shown and nothing when it is not. A bar is shown
//! only when stderr is a terminal and `--quiet` is not given; stdout never sees a byte of it.
//!
//! Every frame fits the terminal ([`crate::terminal::stderr_columns`]: `COLUMNS` first): the
//! bar (indicatif's `{wide_bar}`) takes what the figures leave, and on a narrow terminal the
//! figures give way, the elapsed time first, then the rate, then the ETA, so that a frame never
//! wraps (a wrapped frame leaves stale lines behind: issue 28).

use std::fmt::Write as _;
use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{
    DecimalBytes, FormattedDuration, HumanCount, HumanDuration, ProgressBar, ProgressDrawTarget,
    ProgressState, ProgressStyle, TermLike,
};

use crate::terminal::{cut_end, width as display_width};

/// The width assumed of a terminal that cannot say its own (as indicatif assumes).
const DEFAULT_COLUMNS: usize = 80;

/// The narrowest bar worth drawing: figures give way before the bar gets narrower.
const MIN_BAR: usize = 10;

/// A frame's columns besides its figures: the spinner and a space, and around a bar `[`, `] `.
const SPINNER: usize = 2;
const AROUND_BAR: usize = 3;

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Bytes,
    /// Lines written (`gen`, whose bytes are known only once written).
    Lines,
}

/// A progress bar that may be hidden.
#[derive(Debug, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `total` bytes (unknown when some input is a stream), shown only when `wanted`
    /// and stderr is a terminal.
    pub fn new(total: Option<u64>, wanted: bool) -> Progress {
        Progress::of(Unit::Bytes, total, wanted)
    }

    /// A bar for `total` lines, shown only when `wanted` and stderr is a terminal.
    pub fn lines(total: u64, wanted: bool) -> Progress {
        Progress::of(Unit::Lines, Some(total), wanted)
    }

    fn of(unit: Unit, total: Option<u64>, wanted: bool) -> Progress {
        if !wanted || !io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let stderr = Stderr {
            term: console::Term::buffered_stderr(),
            width: Arc::new(AtomicUsize::new(stderr_width())),
        };
        let style = style(unit, total.is_some(), Arc::clone(&stderr.width));
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(stderr), 10);
        let bar = ProgressBar::with_draw_target(total, target);
        bar.set_style(style);
        // Redrawn on its own while input stalls, so the clock runs and the rate decays: a
        // bar frozen while a stream waits would look like a hang.
        bar.enable_steady_tick(Duration::from_millis(200));
        // Diagnostics written meanwhile step around the bar.
        let drawn = bar.clone();
        crate::diag::set_suspender(Some(Box::new(move |write| drawn.suspend(&mut *write))));
        Progress { bar: Some(bar) }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Records `done` more bytes (or lines).
    #[inline]
    pub(crate) fn add(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(done);
        }
    }

    /// Removes the bar before the results are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            crate::diag::set_suspender(None);
            bar.finish_and_clear();
        }
    }
}

/// Where a bar of stderr draws, ten times a second, as wide as [`crate::terminal`] says stderr
/// is (for the bars that are not a [`Progress`]: `bench`'s runs), and that width now.
pub fn stderr_target() -> (ProgressDrawTarget, usize) {
    let width = stderr_width();
    let stderr = Stderr {
        term: console::Term::buffered_stderr(),
        width: Arc::new(AtomicUsize::new(width)),
    };
    (
        ProgressDrawTarget::term_like_with_hz(Box::new(stderr), 10),
        width,
    )
}

/// The columns of stderr's terminal, as a frame may use them.
fn stderr_width() -> usize {
    crate::terminal::stderr_columns().unwrap_or(DEFAULT_COLUMNS)
}

/// The frame `{spinner} {head}[{wide_bar}] {tail}` (without the bar when the total is not
/// known: a stream), its figures fitted to `width`, the columns of the terminal at this frame
/// as the draw target last read them.
fn style(unit: Unit, known_total: bool, width: Arc<AtomicUsize>) -> ProgressStyle {
    let tail_width = Arc::clone(&width);
    let template = if known_total {
        "{spinner} {head}[{wide_bar}] {tail}"
    } else {
        "{spinner} {head}{tail}"
    };
    ProgressStyle::with_template(template)
        .expect("valid template")
        .with_key(
            "head",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let figures = Figures::of(state, unit).fit(width.load(Ordering::Relaxed));
                let _ = out.write_str(&figures.0);
            },
        )
        .with_key(
            "tail",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let figures = Figures::of(state, unit).fit(tail_width.load(Ordering::Relaxed));
                let _ = out.write_str(&figures.1);
            },
        )
}

/// What a frame can say besides its bar, at one moment.
#[derive(Clone, Copy, Debug)]
struct Figures {
    unit: Unit,
    done: u64,
    total: Option<u64>,
    elapsed: Duration,
    per_sec: f64,
    eta: Duration,
}

impl Figures {
    fn of(state: &ProgressState, unit: Unit) -> Figures {
        Figures {
            unit,
            done: state.pos(),
            total: state.len(),
            elapsed: state.elapsed(),
            per_sec: state.per_sec(),
            eta: state.eta(),
        }
    }

    /// The text before the bar (`[00:00:05] `) and after it (`1.20 GiB/4.00 GiB (310.52
    /// MB/s, ETA 9s)`), as much of it as `width` leaves beside the spinner and a bar of
    /// [`MIN_BAR`] (no bar without a total): the elapsed time goes first, then the rate, then
    /// the ETA; the amount is cut last of all, and then the bar goes.
    fn fit(&self, width: usize) -> (String, String) {
        let amount = self.amount();
        let rate = self.rate();
        let eta = self
            .total
            .map(|_| format!("ETA {:#}", HumanDuration(self.eta)));
        let both = match &eta {
            Some(eta) => format!("{amount} ({rate}, {eta})"),
            None => format!("{amount} ({rate})"),
        };
        let elapsed = format!("[{}] ", FormattedDuration(self.elapsed));
        let mut candidates = vec![(elapsed, both.clone()), (String::new(), both)];
        if let Some(eta) = eta {
            candidates.push((String::new(), format!("{amount} ({eta})")));
        }
        candidates.push((String::new(), amount.clone()));
        let room = width.saturating_sub(self.frame());
        let bar = if self.total.is_some() { MIN_BAR } else { 0 };
        let fits = |head: &str, tail: &str| display_width(head) + display_width(tail) + bar <= room;
        match candidates.into_iter().find(|(head, tail)| fits(head, tail)) {
            Some(fitting) => fitting,
            // Too narrow for even the amount beside a bar: the bar goes, the amount is cut.
            None => (String::new(), cut_end(&amount, room).into_owned()),
        }
    }

    /// The columns of a frame besides its figures and the bar itself.
    fn frame(&self) -> usize {
        match self.total {
            Some(_) => SPINNER + AROUND_BAR,
            None => SPINNER,
        }
    }

    /// `1.20 GB/4.00 GB`, `1,000,000/8,000,000 lines`; without the total if unknown.
    fn amount(&self) -> String {
        let mut text = String::new();
        let _ = match self.unit {
            Unit::Bytes => write!(text, "{}", DecimalBytes(self.done)),
            Unit::Lines => write!(text, "{}", HumanCount(self.done)),
        };
        let _ = match (self.total, self.unit) {
            (Some(total), Unit::Bytes) => write!(text, "/{}", DecimalBytes(total)),
            (Some(total), Unit::Lines) => write!(text, "/{} lines", HumanCount(total)),
            (None, Unit::Lines) => write!(text, " lines"),
            (None, Unit::Bytes) => Ok(()),
        };
        text
    }

    /// `310.52 MB/s`, `2,400,000 lines/s`.
    fn rate(&self) -> String {
        let per_sec = self.per_sec.max(0.0) as u64;
        match self.unit {
            Unit::Bytes => format!("{}/s", DecimalBytes(per_sec)),
            Unit::Lines => format!("{} lines/s", HumanCount(per_sec)),
        }
    }
}

/// Stderr as a bar draws on it, as wide as [`crate::terminal::stderr_columns`] (`COLUMNS`
/// first, else the terminal's own size, read again at each frame), not only as the terminal
/// says: a bare pseudo-terminal says nothing, and indicatif would assume 80 columns whatever
/// the terminal. Each frame's width is kept for the figures to be fitted to.
#[derive(Debug)]
struct Stderr {
    term: console::Term,
    width: Arc<AtomicUsize>,
}

impl TermLike for Stderr {
    fn width(&self) -> u16 {
        let width = stderr_width();
        self.width.store(width, Ordering::Relaxed);
        u16::try_from(width).unwrap_or(u16::MAX)
    }

    fn height(&self) -> u16 {
        self.term.size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.term.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.term.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.term.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.term.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.term.write_line(s)
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.term.write_str(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.term.clear_line()
    }

    fn flush(&self) -> io::Result<()> {
        self.term.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Figures as wide as they get: a petabyte job at an hour a gigabyte, 100 hours in.
    fn widest(unit: Unit) -> Figures {
        Figures {
            unit,
            done: 1023 << 50,
            total: Some(1000 << 50),
            elapsed: Duration::from_secs(100 * 3600 - 1),
            per_sec: 1023.0 * (1u64 << 40) as f64,
            eta: Duration::from_secs(99 * 7 * 86400),
        }
    }

    fn typical() -> Figures {
        Figures {
            unit: Unit::Bytes,
            done: 300_000_000,
            total: Some(1_000_000_000),
            elapsed: Duration::from_secs(5),
            per_sec: 60e6,
            eta: Duration::from_secs(12),
        }
    }

    #[test]
    fn every_frame_fits_its_width_and_keeps_a_bar_while_it_can() {
        for unit in [Unit::Bytes, Unit::Lines] {
            for total in [Some(999_000_000_000_000_000), None] {
                let figures = Figures {
                    total,
                    ..widest(unit)
                };
                let bar = if total.is_some() { MIN_BAR } else { 0 };
                for width in figures.frame()..=240 {
                    let (head, tail) = figures.fit(width);
                    let text = figures.frame() + display_width(&head) + display_width(&tail);
                    assert!(text <= width, "{width}: {head}[] {tail}");
                    if width >= figures.frame() + bar + display_width(&figures.amount()) {
                        assert!(text + bar <= width, "{width}: {head}[] {tail}");
                    }
                }
            }
        }
    }

    #[test]
    fn figures_give_way_elapsed_time_first_then_rate_then_eta() {
        let f = typical();
        let fitted = |width| f.fit(width);
        let full = ("[00:00:05] ", "300.00 MB/1.00 GB (60.00 MB/s, ETA 12s)");
        assert_eq!(fitted(120), (full.0.to_string(), full.1.to_string()));
        assert_eq!(fitted(80).0, "[00:00:05] ");
        // 60: no room for the elapsed time beside a bar of MIN_BAR.
        assert_eq!(fitted(60), (String::new(), full.1.to_string()));
        assert_eq!(fitted(45).1, "300.00 MB/1.00 GB (ETA 12s)");
        assert_eq!(fitted(34).1, "300.00 MB/1.00 GB");
        assert_eq!(fitted(20).1, "300.00 MB/1.00…");
        let lines = Figures {
            unit: Unit::Lines,
            done: 1_500_000,
            total: Some(4_000_000),
            per_sec: 2_000_000.0,
            ..f
        };
        assert_eq!(
            lines.fit(120).1,
            "1,500,000/4,000,000 lines (2,000,000 lines/s, ETA 12s)"
        );
        // A stream's frame has no bar: the figures have its room.
        let stream = Figures { total: None, ..f };
        let fitted = |width| stream.fit(width);
        assert_eq!(
            fitted(40),
            (
                "[00:00:05] ".to_string(),
                "300.00 MB (60.00 MB/s)".to_string()
            )
        );
        assert_eq!(
            fitted(30),
            (String::new(), "300.00 MB (60.00 MB/s)".to_string())
        );
        assert_eq!(fitted(20).1, "300.00 MB");
    }

    /// A terminal of a fixed width that keeps what is drawn on it.
    #[derive(Debug)]
    struct Recorder {
        columns: usize,
        width: Arc<AtomicUsize>,
        written: Arc<Mutex<String>>,
    }

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            self.width.store(self.columns, Ordering::Relaxed);
            self.columns as u16
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.written.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.write_str("\r")
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn indicatif_draws_the_wide_bar_in_what_the_figures_leave() {
        for total in [Some(999_000_000_000_000_000), None] {
            for columns in [20, 60, 80, 120] {
                let width = Arc::new(AtomicUsize::new(0));
                let written = Arc::new(Mutex::new(String::new()));
                let term = Recorder {
                    columns,
                    width: Arc::clone(&width),
                    written: Arc::clone(&written),
                };
                let target = ProgressDrawTarget::term_like(Box::new(term));
                let bar = ProgressBar::with_draw_target(total, target);
                bar.set_style(style(Unit::Bytes, total.is_some(), width));
                bar.set_position(998_000_000_000_000_000);
                bar.abandon();
                let drawn = written.lock().unwrap().clone();
                let frames: Vec<&str> = drawn.split('\r').filter(|f| !f.is_empty()).collect();
                assert!(!frames.is_empty());
                for frame in frames {
                    // One line as wide as the terminal (bar or padding fill it), never wider.
                    assert!(!frame.contains('\n'), "{frame:?}");
                    assert_eq!(display_width(frame), columns, "{frame:?}");
                    assert!(frame.contains("PB"), "{frame:?}");
                    let bar = frame.contains(&"█".repeat(MIN_BAR));
                    assert_eq!(bar, total.is_some() && columns >= 60, "{frame:?}");
                }
            }
        }
    }
}

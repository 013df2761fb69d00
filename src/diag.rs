//! Diagnostics on stderr: warnings (always shown) and notes (hidden by `--quiet`), one line each,
//! prefixed `logcount: `.
//!
//! This module imports nothing of the crate, so every layer may report through it without
//! pointing upwards. The run decides once whether notes are shown ([`set_quiet`]); a progress bar
//! on stderr registers how to step out of the way ([`set_suspender`]), so a line written while it
//! is drawn does not tear it. A failing stderr is not worth dying for: write errors are ignored.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

static QUIET: AtomicBool = AtomicBool::new(false);
static COLOR: AtomicBool = AtomicBool::new(false);

/// Red, for a warning's line on a terminal.
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// Whether warnings are coloured (stderr is a terminal and colour is wanted: `--color`).
pub fn set_color(color: bool) {
    COLOR.store(color, Ordering::Relaxed);
}

/// Runs a closure that writes to stderr with whatever is drawn there out of the way.
pub(crate) type Suspender = Box<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

static SUSPENDER: RwLock<Option<Suspender>> = RwLock::new(None);

/// Whether notes are hidden (`--quiet`); warnings are always shown.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether notes are hidden.
pub(crate) fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Registers (or, with `None`, removes) what steps aside while a line is written.
pub(crate) fn set_suspender(suspender: Option<Suspender>) {
    *SUSPENDER.write().unwrap_or_else(|e| e.into_inner()) = suspender;
}

/// Writes one diagnostic line on stderr: something the user must see (an input that failed, a
/// fallback taken).
pub fn warn(message: impl std::fmt::Display) {
    write_line(message, COLOR.load(Ordering::Relaxed));
}

/// Writes one line of something asked for on stderr, as it is (no `logcount: `, never hidden):
/// `--show-malformed`'s `PATH:LINE: TEXT`, which editors and `grep` read.
pub fn show(message: impl std::fmt::Display) {
    write_raw(format!("{}\n", escape_controls(&message.to_string())));
}

/// One line on stderr, out of the progress bar's way; red with `red`.
fn write_line(message: impl std::fmt::Display, red: bool) {
    let text = escape_controls(&message.to_string()).into_owned();
    write_raw(if red {
        format!("{RED}logcount: {text}{RESET}\n")
    } else {
        format!("logcount: {text}\n")
    });
}

/// Writes `line` on stderr, out of the progress bar's way.
fn write_raw(line: String) {
    let mut write = || {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    };
    match &*SUSPENDER.read().unwrap_or_else(|e| e.into_inner()) {
        Some(suspend) => suspend(&mut write),
        None => write(),
    }
}

/// Whether `c` changes how text around it is shown rather than being shown: a control
/// character (C0, DEL, C1) or a bidirectional control (U+061C, U+200E, U+200F, U+202A to
/// U+202E, U+2066 to U+2069), which can make a name read reversed.
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with its control characters and bidirectional controls escaped (`\n`, `\r`, `\t`,
/// `\u{1b}`, `\u{202e}`, ...), so that a file name or a message can never start a line of its
/// own, move the cursor, show reversed or forge one of our diagnostics. Everything else, a
/// backslash included, is left as it is (paths never reach here with such characters:
/// `input::display` has escaped them, injectively).
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes one informational line on stderr, unless notes are hidden.
pub fn note(message: impl std::fmt::Display) {
    if !quiet() {
        write_line(message, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            escape_controls("a.log: fine \\ \"x\" é"),
            "a.log: fine \\ \"x\" é"
        );
        assert_eq!(
            escape_controls("nope\nlogcount: forged\r\x1b[2K\t\u{85}"),
            "nope\\nlogcount: forged\\r\\u{1b}[2K\\t\\u{85}"
        );
        assert_eq!(
            escape_controls("gol.\u{202e}gnp.exe"),
            "gol.\\u{202e}gnp.exe"
        );
    }

    #[test]
    fn lines_step_around_what_is_drawn_and_notes_obey_quiet() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        set_suspender(Some(Box::new(move |write| {
            seen.fetch_add(1, Ordering::SeqCst);
            write();
        })));
        warn("a warning");
        set_quiet(true);
        note("hidden");
        set_quiet(false);
        note("shown");
        set_suspender(None);
        warn("after");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

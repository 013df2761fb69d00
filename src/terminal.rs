//! How wide a line may be on the terminal, and text cut to fit it.
//!
//! A line wider than the terminal wraps: a table's rows break in two and a progress bar's
//! frames leave stale lines behind (issue 28). The table on stdout is laid out for
//! [`stdout_columns`] and the bar on stderr for [`stderr_columns`]; both honour `COLUMNS`, so a
//! terminal that cannot say its size (a bare pseudo-terminal, some CI consoles) can be told it.
//! Widths are display widths (a CJK character takes two columns, a combining mark none).

use std::borrow::Cow;
use std::ffi::OsStr;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The narrowest `COLUMNS` honoured: anything less is taken for a mistake and ignored.
pub(crate) const MIN_COLUMNS: usize = 20;

/// The columns a line on stdout may take: `COLUMNS` when it is a number of at least
/// [`MIN_COLUMNS`], else the width of the terminal stdout is on; `None`, no limit, when
/// stdout is not a terminal (a pipe, a file) and `COLUMNS` is unset.
pub(crate) fn stdout_columns() -> Option<usize> {
    columns(std::env::var_os("COLUMNS").as_deref(), || {
        size(&console::Term::stdout())
    })
}

/// The columns a line on stderr may take, as [`stdout_columns`] for stdout.
pub(crate) fn stderr_columns() -> Option<usize> {
    columns(std::env::var_os("COLUMNS").as_deref(), || {
        size(&console::Term::stderr())
    })
}

/// The width `COLUMNS` (the variable's value, if set) asks for, else the terminal's.
fn columns(env: Option<&OsStr>, terminal: impl FnOnce() -> Option<usize>) -> Option<usize> {
    env.and_then(|v| v.to_str()?.trim().parse::<usize>().ok())
        .filter(|&n| n >= MIN_COLUMNS)
        .or_else(terminal)
}

/// The width of the terminal `term` is on (`None` when it is not one, or says it has none).
fn size(term: &console::Term) -> Option<usize> {
    term.size_checked().map(|(_rows, cols)| usize::from(cols))
}

/// The columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text`, or its start and end around `…` when it is wider than `max` (the end gets the odd
/// column: a path's file name says more than its first directory). `…` alone fits one column.
pub(crate) fn elide_middle(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    let Some(keep) = max.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let head = leading(text, keep / 2);
    let tail = trailing(text, keep - width(head));
    Cow::Owned(format!("{head}…{tail}"))
}

/// `text`, or its start and `…` when it is wider than `max`.
pub(crate) fn cut_end(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    match max.checked_sub(1) {
        Some(keep) => Cow::Owned(format!("{}…", leading(text, keep))),
        None => Cow::Borrowed(""),
    }
}

/// The longest start of `text` no wider than `max`.
fn leading(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > max {
            return &text[..at];
        }
    }
    text
}

/// The longest end of `text` no wider than `max`.
fn trailing(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices().rev() {
        used += c.width().unwrap_or(0);
        if used > max {
            return &text[at + c.len_utf8()..];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_prefers_a_sensible_columns_variable_to_the_terminal() {
        let terminal = || Some(120);
        assert_eq!(columns(Some(OsStr::new("60")), terminal), Some(60));
        assert_eq!(columns(Some(OsStr::new(" 80 ")), terminal), Some(80));
        // Too narrow, not a number, or empty: the terminal's width.
        for v in ["19", "0", "wide", "", "-80"] {
            assert_eq!(columns(Some(OsStr::new(v)), terminal), Some(120), "{v:?}");
        }
        assert_eq!(columns(None, terminal), Some(120));
        // No terminal and no COLUMNS: no limit.
        assert_eq!(columns(None, || None), None);
        assert_eq!(columns(Some(OsStr::new("20")), || None), Some(20));
    }

    #[test]
    fn elision_keeps_both_ends_within_the_width() {
        let path = "aws/cloudfront/E2EXAMPLE.2026-11-30-08.a1b2c3d4.gz";
        assert_eq!(elide_middle(path, 60), path);
        assert_eq!(elide_middle(path, 20), "aws/cloud…1b2c3d4.gz");
        for max in 0..path.len() {
            let short = elide_middle(path, max);
            assert_eq!(width(&short), max, "{short}");
        }
        assert_eq!(elide_middle("abc", 1), "…");
        assert_eq!(elide_middle("abc", 0), "");
        // Wide characters count twice and are never split.
        assert_eq!(elide_middle("日本語のログ.log", 9), "日本….log");
        assert!(width(&elide_middle("日本語のログ.log", 8)) <= 8);
    }

    #[test]
    fn cutting_keeps_the_start() {
        assert_eq!(cut_end("threads ×2 in 7.0 ms", 40), "threads ×2 in 7.0 ms");
        assert_eq!(cut_end("threads ×2 in 7.0 ms", 10), "threads ×…");
        assert_eq!(cut_end("abc", 0), "");
        assert_eq!(cut_end("日本語", 4), "日…");
    }
}

//! The `classic` rule (the original teaching example's): every non-blank line is a request,
//! and its client is, after leading whitespace, the longest prefix without space, `\t` or `,`.
//!
//! A line cut by a piece edge is carried over, but only the part that can still matter: leading
//! whitespace is dropped and nothing after the key's end is kept, so the carry is bounded by
//! the key's length, not the line's.

use super::{Counts, Quads};
use crate::format::is_space;
use crate::keys::{leading_v4, ShardWriter};

/// Bytes that end a client key.
const fn is_key_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b',')
}

/// Counts one line, given without its `\n`; under `--top` its client's count, not the set.
#[inline]
fn line(counts: &mut Counts, line: &[u8], top: bool) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(start) = line.iter().position(|&b| !is_space(b)) else {
        return; // blank
    };
    let rest = &line[start..];
    let end = rest
        .iter()
        .position(|&b| is_key_end(b))
        .unwrap_or(rest.len());
    counts.total += 1;
    if top {
        counts
            .detail
            .hits
            .add(crate::format::Client::Bytes(&rest[..end]));
    } else {
        counts.keys.insert(&rest[..end]);
    }
}

/// Counts every complete (`\n`-terminated) line of `buf` and returns where the unfinished tail
/// starts (`buf.len()` when `buf` ends with `\n`). Dotted quads go to `sent` where the file's
/// jobs share a set, else to the counts' own.
///
/// Most lines start with a dotted quad: [`leading_v4`] parses it in the same pass that finds its
/// end, and the search for the line's end starts after it. Anything else takes the general path.
#[inline]
pub(crate) fn complete_lines(
    counts: &mut Counts,
    sent: Option<&mut ShardWriter>,
    buf: &[u8],
    top: bool,
) -> usize {
    let mut quads = Quads::new(sent);
    let mut start = 0;
    while start < buf.len() {
        let rest = &buf[start..];
        let (quad, from) = match leading_v4(rest) {
            Some((v4, used)) => (Some(v4), used),
            None => (None, 0),
        };
        let Some(nl) = memchr::memchr(b'\n', &rest[from..]) else {
            break;
        };
        let end = from + nl;
        match quad {
            Some(v4) if top => {
                counts.total += 1;
                counts.detail.hits.add(crate::format::Client::V4(v4));
            }
            Some(v4) => {
                counts.total += 1;
                quads.push(&mut counts.keys, v4);
            }
            None => line(counts, &rest[..end], top),
        }
        start += end + 1;
    }
    quads.flush(&mut counts.keys);
    start
}

/// The part of an unfinished line that still matters.
#[derive(Debug, Default)]
pub(crate) struct Carry {
    /// The line so far, without leading whitespace, up to and including the byte that ended
    /// its key.
    bytes: Vec<u8>,
    /// The carry holds a whole key (its end byte was seen): the rest of the line is skipped.
    done: bool,
}

impl Carry {
    /// Adds a piece of the unfinished line (it contains no `\n`).
    pub(crate) fn absorb(&mut self, part: &[u8]) {
        if self.done {
            return;
        }
        let part = if self.bytes.is_empty() {
            match part.iter().position(|&b| !is_space(b)) {
                Some(start) => &part[start..],
                None => return, // still only leading whitespace
            }
        } else {
            part
        };
        match part.iter().position(|&b| is_key_end(b)) {
            Some(end) => {
                self.bytes.extend_from_slice(&part[..=end]);
                self.done = true;
            }
            None => self.bytes.extend_from_slice(part),
        }
    }

    /// Counts the carried line, and empties the carry.
    pub(crate) fn end_line(&mut self, counts: &mut Counts, top: bool) {
        line(counts, &self.bytes, top);
        self.bytes.clear();
        self.done = false;
    }

    /// Bytes carried (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }
}

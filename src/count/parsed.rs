//! Counting lines in a log format: each line is what its [`Parser`] says it is (a request and
//! its client, malformed, or a directive).
//!
//! A line cut by a piece edge is carried over up to [`MAX_LINE`] + 1 bytes (one more, for a
//! `\r` that would be dropped), plus whether anything but whitespace came after that: a parser
//! sees the same view of a line however it was cut (see [`crate::format::view`]).

use super::Counts;
use super::Quads;
use crate::format::MAX_LINE;
use crate::format::{self, is_space, view, Body, Client, Format, Line, Parser, Query, Stamp};
use crate::keys::{ShardWriter, V4Batch};

/// Adds what the parser makes of one line to `counts` (its dotted quad, if any, to `quads`).
#[inline]
fn record(counts: &mut Counts, quads: &mut Quads<'_>, line: Line<'_>) {
    match line {
        Line::Request(Client::V4(v4)) => {
            counts.total += 1;
            quads.push(&mut counts.keys, v4);
        }
        Line::Request(Client::Bytes(client)) => {
            counts.total += 1;
            counts.keys.insert(client);
        }
        Line::Request(Client::Absent) => counts.total += 1,
        Line::Malformed => counts.malformed += 1,
        Line::Directive | Line::Comment => {}
    }
}

/// Dotted quads waiting to join their set under a query: the file's, or one period's. Logs
/// are in time order, so a period's lines come together: the batch goes to its set when full
/// or when the period changes (see [`V4Batch`] for why inserts are batched at all).
#[derive(Default)]
struct Pending {
    batch: V4Batch,
    /// The period the batch is for; `None` for the file's set.
    period: Option<i64>,
    /// Dotted quads waiting to be counted under `--top`.
    hits: V4Batch,
}

impl Pending {
    #[inline]
    fn set(counts: &mut Counts, period: Option<i64>) -> &mut crate::keys::KeySet {
        match period {
            Some(p) => &mut counts.detail.periods.at(p).keys,
            None => &mut counts.keys,
        }
    }

    #[inline]
    fn push(&mut self, counts: &mut Counts, period: Option<i64>, v4: u32) {
        if period != self.period {
            self.flush(counts);
            self.period = period;
        }
        self.batch.push(Pending::set(counts, period), v4);
    }

    /// One request of `client` under `--top`.
    #[inline]
    fn hit(&mut self, counts: &mut Counts, client: Client<'_>) {
        match client {
            Client::V4(v4) if self.hits.push_full(v4) => {
                counts.detail.hits.add_v4s(self.hits.take());
            }
            Client::V4(_) | Client::Absent => {}
            other => counts.detail.hits.add(other),
        }
    }

    #[inline]
    fn flush(&mut self, counts: &mut Counts) {
        if !self.batch.is_empty() {
            self.batch.flush(Pending::set(counts, self.period));
        }
        counts.detail.hits.add_v4s(self.hits.take());
    }
}

/// Adds what the parser makes of one line, at `stamp`, to `counts`, under `query`
/// (docs/contract.md §5): a request whose time cannot be read is malformed, one outside the
/// window is filtered; a request's client goes into its period's set under `--by` and its
/// count under `--top` (the file's set is their union, made once at the end: never a second
/// insert per line), else into the file's set.
#[inline]
fn record_asking(
    counts: &mut Counts,
    pending: &mut Pending,
    query: &Query,
    line: Line<'_>,
    stamp: Option<Stamp>,
) {
    match line {
        Line::Request(client) => {
            let mut period = None;
            if query.timed() {
                let Some(stamp) = stamp else {
                    counts.malformed += 1;
                    return;
                };
                if !query.admits(stamp) {
                    counts.filtered += 1;
                    return;
                }
                period = query.period(stamp);
            }
            counts.total += 1;
            if let Some(p) = period {
                counts.detail.periods.at(p).total += 1;
            }
            if period.is_some() || query.top.is_none() {
                match client {
                    Client::V4(v4) => pending.push(counts, period, v4),
                    Client::Bytes(b) => Pending::set(counts, period).insert(b),
                    Client::Absent => {}
                }
            }
            if query.top.is_some() {
                pending.hit(counts, client);
            }
        }
        Line::Malformed => {
            counts.malformed += 1;
            if let Some(p) = stamp
                .filter(|&s| query.admits(s))
                .and_then(|s| query.period(s))
            {
                counts.detail.periods.at(p).malformed += 1;
            }
        }
        Line::Directive | Line::Comment => {}
    }
}

/// What `parser` makes of a line and when it happened, where `query` needs the time.
#[inline]
fn read_asking<'a>(
    parser: Option<&'a mut Parser>,
    query: &Query,
    line: &'a [u8],
) -> (Line<'a>, Option<Stamp>) {
    match parser {
        Some(p) if query.timed() => p.timed_line(line),
        Some(p) => (p.line(line), None),
        None => (Line::Malformed, None),
    }
}

/// [`complete_lines`] under a query that is not plain (time or top options).
pub(crate) fn complete_lines_asking(
    counts: &mut Counts,
    mut parser: Option<&mut Parser>,
    query: &Query,
    buf: &[u8],
) -> usize {
    let mut pending = Pending::default();
    // Bare `combined` has its loop here too, its parser inlined (the same answers).
    let bare = parser.as_ref().is_some_and(|p| bare_combined(p));
    let tail = match bare {
        true if query.timed() => {
            let mut dates = format::Dates::default();
            each_line(buf, |line| {
                let (line, stamp) = format::combined_timed(line, &mut dates);
                record_asking(counts, &mut pending, query, line, stamp)
            })
        }
        true => each_line(buf, |line| {
            record_asking(counts, &mut pending, query, combined(line), None)
        }),
        false => each_line(buf, |line| {
            let (line, stamp) = read_asking(parser.as_deref_mut(), query, line);
            record_asking(counts, &mut pending, query, line, stamp)
        }),
    };
    pending.flush(counts);
    tail
}

/// Whether `parser` reads bare `combined` without walking chains: the format the counting
/// loops inline.
#[inline]
fn bare_combined(parser: &Parser) -> bool {
    parser.format() == Format::plain(Body::Combined) && !parser.walks_chains()
}

/// What `parser` makes of a line; without a parser, every line is malformed.
#[inline]
fn read<'a>(parser: Option<&'a mut Parser>, line: &'a [u8]) -> Line<'a> {
    match parser {
        Some(p) => p.line(line),
        None => Line::Malformed,
    }
}

/// What a bare `combined` line is, by the parser the counting loops inline.
#[inline(always)]
fn combined(line: &[u8]) -> Line<'_> {
    match format::combined(line) {
        Some(client) => Line::Request(client),
        None => Line::Malformed,
    }
}

/// Calls `judge` with the view of every complete non-blank line of `buf`; returns where the
/// unfinished tail starts.
#[inline(always)]
fn each_line(buf: &[u8], mut judge: impl FnMut(&[u8])) -> usize {
    let mut start = 0;
    super::lines::each_newline(buf, |nl| {
        if let Some(line) = view(&buf[start..nl]) {
            judge(line);
        }
        start = nl + 1;
    });
    start
}

/// Counts every complete line of `buf`; returns where the unfinished tail starts. Dotted quads
/// go to `sent` where the file's jobs share a set, else to the counts' own.
///
/// Bare `combined`, what most logs are, gets a loop of its own with its parser inlined; every
/// other format goes through [`Parser::line`]. Both count every line alike.
#[inline]
pub(crate) fn complete_lines(
    counts: &mut Counts,
    parser: Option<&mut Parser>,
    sent: Option<&mut ShardWriter>,
    buf: &[u8],
) -> usize {
    let mut quads = Quads::new(sent);
    let tail = match parser {
        Some(p) if bare_combined(p) => {
            each_line(buf, |line| record(counts, &mut quads, combined(line)))
        }
        Some(p) => each_line(buf, |line| record(counts, &mut quads, p.line(line))),
        None => each_line(buf, |_| counts.malformed += 1),
    };
    quads.flush(&mut counts.keys);
    tail
}

/// The part of an unfinished line that is kept.
#[derive(Debug, Default)]
pub(crate) struct Carry {
    /// The line's first `MAX_LINE + 1` bytes.
    bytes: Vec<u8>,
    /// Bytes came after those.
    overflow: bool,
    /// Something other than whitespace came after those.
    more_text: bool,
}

impl Carry {
    /// Adds a piece of the unfinished line (it contains no `\n`).
    pub(crate) fn absorb(&mut self, part: &[u8]) {
        let room = (MAX_LINE + 1).saturating_sub(self.bytes.len());
        let (kept, beyond) = part.split_at(part.len().min(room));
        self.bytes.extend_from_slice(kept);
        if !beyond.is_empty() {
            self.overflow = true;
            self.more_text = self.more_text || beyond.iter().any(|&b| !is_space(b));
        }
    }

    /// Counts the carried line, and empties the carry.
    pub(crate) fn end_line(
        &mut self,
        counts: &mut Counts,
        parser: Option<&mut Parser>,
        query: &Query,
    ) {
        let line = if self.overflow {
            // Longer than MAX_LINE + 1: whatever its end, the view is its first MAX_LINE bytes.
            let blank = !self.more_text && self.bytes.iter().all(|&b| is_space(b));
            (!blank).then(|| &self.bytes[..MAX_LINE])
        } else {
            view(&self.bytes)
        };
        if let Some(line) = line {
            if query.is_plain() {
                let mut quads = Quads::new(None);
                record(counts, &mut quads, read(parser, line));
                quads.flush(&mut counts.keys);
            } else {
                let (line, stamp) = read_asking(parser, query, line);
                let mut pending = Pending::default();
                record_asking(counts, &mut pending, query, line, stamp);
                pending.flush(counts);
            }
        }
        self.bytes.clear();
        self.overflow = false;
        self.more_text = false;
    }

    /// Bytes carried (for tests of the bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }
}

//! The counting core: bytes in, [`Counts`] out.
//!
//! This is the only code that looks at log bytes. It knows nothing about files, threads or
//! processes, so every executor shares it and every executor gives the same answer.
//!
//! Semantics (docs/contract.md §1): lines end at `\n`, one trailing `\r` is dropped, lines made
//! only of ASCII whitespace are blank and skipped. Every other line is what its file's format
//! makes of it ([`crate::format`]): a request with a client, a malformed line, or a directive.
//! The `classic` format has its own fast path ([`classic`]); the others read each line with a
//! [`Parser`] ([`parsed`]).

mod classic;
mod hits;
mod lines;
mod parsed;
mod periods;
mod shown;

pub(crate) use hits::{Hits, Top};
pub use lines::{Level, SIMD_ENV};
pub(crate) use periods::{PeriodCounts, Periods};
pub(crate) use shown::{Shown, SHOWN_BYTES};

use crate::keys::{KeySet, KeyVec, ShardWriter, StoredKeys, V4Batch};

use crate::format::{Format, Options, Parser, Query};

/// What counting produced: requests, malformed lines, the set of client keys, and the format
/// they were read in.
///
/// A monoid: `Counts::merge` (the tests' reference) is associative and `Counts::default()` is its identity, so any
/// split of the input into jobs merges back to the same answer.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Requests.
    pub total: u64,
    /// Non-blank lines that are not requests in the format (never counted as requests).
    pub(crate) malformed: u64,
    /// Distinct client keys; left empty where the query keeps the clients in the requests per
    /// client ([`Query::clients_in_hits`]: see [`Counts::clients`]).
    pub(crate) keys: KeySet,
    /// The format the lines were read in; `None` for an input with no line to read.
    pub(crate) format: Option<Format>,
    /// Requests outside the `--since`/`--until` window (not counted as requests).
    pub(crate) filtered: u64,
    /// Per period under `--by` (then `keys` is the union of the periods' keys), and requests
    /// per client under `--top`; boxed, as what most runs leave empty.
    pub(crate) detail: Box<Detail>,
}

impl Counts {
    /// Number of distinct client keys (in `keys`: see [`Counts::clients`] for any query).
    pub(crate) fn ip(&self) -> u64 {
        self.keys.len() as u64
    }

    /// Number of distinct clients of counts made under `query`: the requests per client's
    /// where the query keeps them there ([`Query::clients_in_hits`]), else the keys'.
    pub(crate) fn clients(&self, query: &Query) -> u64 {
        match query.clients_in_hits() {
            true => self.detail.hits.len() as u64,
            false => self.ip(),
        }
    }

    /// The distinct client keys of counts made under `query`, taken out: made from the
    /// requests per client where the query keeps them there (a partial result keeps them as a
    /// set; nothing else needs that set).
    pub(crate) fn take_keys(&mut self, query: &Query) -> KeySet {
        match query.clients_in_hits() {
            true => self.detail.hits.key_set(),
            false => std::mem::take(&mut self.keys),
        }
    }

    /// The distinct clients its biggest set holds (the file's, a period's, the requests per
    /// client): what an out-of-memory error says it held.
    pub(crate) fn held(&self) -> usize {
        let periods = self.detail.periods.iter().map(|(_, p)| p.keys.len());
        periods
            .chain([self.keys.len(), self.detail.hits.len()])
            .max()
            .unwrap_or(0)
    }

    /// Folds `other` into `self` (the jobs of one file share its format).
    #[cfg(test)]
    pub(crate) fn merge(&mut self, other: Counts) {
        self.total += other.total;
        self.malformed += other.malformed;
        self.keys.merge(other.keys);
        self.format = self.format.or(other.format);
        self.filtered += other.filtered;
        self.detail.merge(*other.detail);
    }

    /// Fills `keys` from what a counter under `query` kept instead: under `--by` each request's
    /// client went into its period's set, never also into the file's set, which is their union.
    /// (Under `--top` alone it went into its count, and stays there: [`Counts::clients`].)
    fn settle(&mut self, query: &Query) {
        if query.by.is_some() {
            for (_, period) in self.detail.periods.iter() {
                self.keys.union_with(&period.keys);
            }
        }
        if self.detail.hits.out_of_memory() {
            self.keys.set_out_of_memory();
        }
    }
}

/// What the time and top options keep of a file besides its totals and keys: its periods
/// (each with its clients) and its requests per client.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub(crate) periods: Periods,
    pub(crate) hits: Hits,
    /// The first malformed lines, under `--show-malformed`.
    pub(crate) shown: Shown,
}

impl Detail {
    /// Folds `other` in; its malformed lines are taken as the ones that follow `self`'s in
    /// the file (a caller merging jobs in another order joins their [`Shown`] itself).
    pub(crate) fn merge(&mut self, other: Detail) {
        self.periods.merge(other.periods);
        self.hits.merge(other.hits);
        self.shown.append(other.shown, usize::MAX);
    }

    /// Whether `other` holds the same periods, clients and counts (whatever their order in
    /// memory): for telling a retried task's identical output from a different one.
    pub(crate) fn same(&self, other: &Detail) -> bool {
        fn keys(k: &KeySet) -> KeyVec {
            let mut v = k.to_key_vec();
            v.dedup();
            v
        }
        fn hits(h: &Hits) -> Vec<(Vec<u8>, u64)> {
            let mut v = Vec::with_capacity(h.len());
            h.each(|k, n| v.push((k.to_bytes(), n)));
            v.sort_unstable();
            v
        }
        self.periods.len() == other.periods.len()
            && self
                .periods
                .iter()
                .zip(other.periods.iter())
                .all(|((pa, a), (pb, b))| {
                    pa == pb
                        && (a.total, a.malformed) == (b.total, b.malformed)
                        && keys(&a.keys) == keys(&b.keys)
                })
            && hits(&self.hits) == hits(&other.hits)
    }

    /// Whether a period's or the top counts' clients outgrew the memory.
    pub(crate) fn out_of_memory(&self) -> bool {
        self.hits.out_of_memory() || self.periods.iter().any(|(_, p)| p.keys.out_of_memory())
    }
}

/// Counts a whole buffer with the `classic` rule; the last line may lack its `\n`.
pub fn count(buf: &[u8]) -> Counts {
    let mut counter = Counter::classic();
    counter.feed(buf);
    counter.finish()
}

/// Counts a whole buffer in `format`.
pub fn count_as(buf: &[u8], format: Format, options: &Options) -> Counts {
    let mut counter = Counter::with_format(format, options, None);
    counter.feed(buf);
    counter.finish()
}

/// How lines are read.
#[derive(Debug)]
enum Mode {
    Classic(classic::Carry),
    /// With a parser; without one (no format), every non-blank line is malformed.
    Parsed(Option<Box<Parser>>, parsed::Carry),
}

/// Dotted quads on their way to a file's set, a batch at a time (see [`V4Batch`]): into the
/// counts' own set, or handed to the set a file's jobs share ([`Counter::sending_v4_to`]).
pub(super) struct Quads<'a> {
    batch: V4Batch,
    sent: Option<&'a mut ShardWriter>,
}

impl<'a> Quads<'a> {
    pub(super) fn new(sent: Option<&'a mut ShardWriter>) -> Quads<'a> {
        Quads {
            batch: V4Batch::default(),
            sent,
        }
    }

    #[inline]
    pub(super) fn push(&mut self, keys: &mut KeySet, v4: u32) {
        if self.batch.push_full(v4) {
            self.flush(keys);
        }
    }

    /// Hands every waiting key on: before anything reads the set.
    #[inline]
    pub(super) fn flush(&mut self, keys: &mut KeySet) {
        let v4s = self.batch.take();
        match &mut self.sent {
            Some(writer) => writer.add(v4s),
            None => keys.insert_v4s(v4s),
        }
    }
}

/// Counts a stream fed in pieces of any size, with the same result as counting the
/// concatenation at once.
#[derive(Debug)]
pub struct Counter {
    counts: Counts,
    /// Where the dotted quads of requests go instead of `counts.keys`, if anywhere
    /// ([`Counter::sending_v4_to`]).
    sent: Option<ShardWriter>,
    mode: Mode,
    /// What is asked of each request besides its client.
    query: Query,
    /// An unfinished line has been started (even if only whitespace so far).
    in_line: bool,
    /// Under `--show-malformed`: the first malformed lines, and the lines read.
    show: Option<Box<shown::Showing>>,
}

impl Counter {
    /// A counter with the `classic` rule (every non-blank line a request, its first word the
    /// client): named, never a default, as every other format reads lines differently.
    pub fn classic() -> Self {
        Counter {
            counts: Counts {
                format: Some(Format::CLASSIC),
                ..Counts::default()
            },
            sent: None,
            mode: Mode::Classic(classic::Carry::default()),
            query: Query::default(),
            in_line: false,
            show: None,
        }
    }

    /// A counter for lines in `format`; `fields` is the W3C `#Fields:` directive in force where
    /// counting starts (for a job that starts mid-file).
    pub(crate) fn with_format(format: Format, options: &Options, fields: Option<&[u8]>) -> Self {
        Counter::with_parser(Parser::new(format, options, fields), options.query)
            .showing_malformed(options.show_malformed)
    }

    /// Keeps the first `n` malformed lines and their line numbers (none for 0), in the counts'
    /// [`Detail::shown`].
    pub(crate) fn showing_malformed(mut self, n: usize) -> Self {
        // No line is malformed under `classic`: nothing to look for.
        let classic = matches!(self.mode, Mode::Classic(_));
        self.show = (n > 0 && !classic).then(|| Box::new(shown::Showing::new(n)));
        self
    }

    /// A counter that reads lines with `parser` (`classic` has its own fast path), asking
    /// `query` of each request.
    pub(crate) fn with_parser(parser: Parser, query: Query) -> Self {
        let format = parser.format();
        if format == Format::CLASSIC {
            return Counter {
                query,
                ..Counter::classic()
            };
        }
        Counter {
            query,
            counts: Counts {
                format: Some(format),
                ..Counts::default()
            },
            sent: None,
            mode: Mode::Parsed(Some(Box::new(parser)), parsed::Carry::default()),
            in_line: false,
            show: None,
        }
    }

    /// Sends the dotted quads of requests to `writer` (the set the jobs of one file share)
    /// instead of this counter's own set, where the query is plain: under `--by` and `--top`
    /// they go to periods and counts, from which the file's set is made. The counts' keys are
    /// then only the rest of the clients; the file's are both.
    pub(crate) fn sending_v4_to(mut self, writer: ShardWriter) -> Self {
        if self.query.is_plain() {
            self.sent = Some(writer);
        }
        self
    }

    /// A counter for an input in no format (its first 64 KiB held no line to tell it by):
    /// every non-blank line is malformed, and the counts have no format.
    pub(crate) fn unread() -> Self {
        Counter {
            counts: Counts::default(),
            sent: None,
            mode: Mode::Parsed(None, parsed::Carry::default()),
            query: Query::default(),
            in_line: false,
            show: None,
        }
    }

    /// Counts the lines `piece` completes and carries its unfinished tail.
    pub fn feed(&mut self, piece: &[u8]) {
        match self.show.take() {
            None => self.feed_lines(piece),
            Some(mut show) => {
                self.feed_showing(&mut show, piece);
                self.show = Some(show);
            }
        }
    }

    /// [`Counter::feed`] under `--show-malformed`: line by line, to see which are malformed,
    /// until enough are kept; then at full speed, counting the lines only.
    fn feed_showing(&mut self, show: &mut shown::Showing, piece: &[u8]) {
        let mut rest = piece;
        while !show.full() {
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                show.part(rest);
                return self.feed_lines(rest);
            };
            let malformed = self.counts.malformed;
            self.feed_lines(&rest[..=nl]);
            show.part(&rest[..nl]);
            show.end_line(self.counts.malformed != malformed);
            rest = &rest[nl + 1..];
        }
        show.skip_lines(memchr::memchr_iter(b'\n', rest).count());
        self.feed_lines(rest);
    }

    /// Counts the lines `piece` completes and carries its unfinished tail.
    fn feed_lines(&mut self, piece: &[u8]) {
        if piece.is_empty() {
            return;
        }
        let mut rest = piece;
        if self.in_line {
            match memchr::memchr(b'\n', rest) {
                Some(nl) => {
                    self.absorb(&rest[..nl]);
                    self.end_line();
                    rest = &rest[nl + 1..];
                }
                None => {
                    self.absorb(rest);
                    return;
                }
            }
        }
        let tail = match &mut self.mode {
            Mode::Classic(_) => classic::complete_lines(
                &mut self.counts,
                self.sent.as_mut(),
                rest,
                self.query.top.is_some(),
            ),
            Mode::Parsed(parser, _) if self.query.is_plain() => parsed::complete_lines(
                &mut self.counts,
                parser.as_deref_mut(),
                self.sent.as_mut(),
                rest,
            ),
            Mode::Parsed(parser, _) => parsed::complete_lines_asking(
                &mut self.counts,
                parser.as_deref_mut(),
                &self.query,
                rest,
            ),
        };
        if tail < rest.len() {
            self.in_line = true;
            self.absorb(&rest[tail..]);
        }
    }

    /// When a set stopped growing for want of memory, the distinct clients the biggest holds:
    /// the counts can only be that error now (docs/contract.md §2), so feeding more is
    /// pointless.
    pub(crate) fn out_of_memory(&self) -> Option<usize> {
        let c = &self.counts;
        if let Some(shared) = self.sent.as_ref().and_then(ShardWriter::lost) {
            return Some(shared.max(c.held()));
        }
        (c.keys.out_of_memory() || c.detail.out_of_memory()).then(|| c.held())
    }

    /// Whether a line is in progress (the bytes fed so far do not end with `\n`).
    pub(crate) fn in_line(&self) -> bool {
        self.in_line
    }

    /// Counts the last line, if the stream did not end with `\n`, and returns the counts.
    pub fn finish(mut self) -> Counts {
        if self.in_line {
            let malformed = self.counts.malformed;
            self.end_line();
            if let Some(show) = &mut self.show {
                show.end_line(self.counts.malformed != malformed);
            }
        }
        if let Some(show) = self.show.take() {
            self.counts.detail.shown = show.shown;
        }
        if let Some(writer) = self.sent.take() {
            writer.finish();
        }
        self.counts.settle(&self.query);
        self.counts
    }

    /// Adds a piece of the unfinished line (it contains no `\n`).
    fn absorb(&mut self, part: &[u8]) {
        match &mut self.mode {
            Mode::Classic(carry) => carry.absorb(part),
            Mode::Parsed(_, carry) => carry.absorb(part),
        }
    }

    fn end_line(&mut self) {
        match &mut self.mode {
            Mode::Classic(carry) => carry.end_line(&mut self.counts, self.query.top.is_some()),
            Mode::Parsed(parser, carry) => {
                carry.end_line(&mut self.counts, parser.as_deref_mut(), &self.query)
            }
        }
        self.in_line = false;
    }

    /// Bytes carried over (for tests of the bound).
    #[cfg(test)]
    fn carried(&self) -> usize {
        match &self.mode {
            Mode::Classic(carry) => carry.len(),
            Mode::Parsed(_, carry) => carry.len(),
        }
    }
}

/// Counts the lines that *start* inside a byte range of a stream: the rule that lets a big file
/// be cut anywhere into jobs that together count every line exactly once.
///
/// Feed it the stream from `from` on, where `from` is the range's start, or one byte before it
/// when the range does not start at 0: that byte tells whether a line starts exactly at the
/// range's start (it is `\n`) or the first line belongs to the previous range (it is not).
/// It counts the lines that start before the range's end, reading past the end to finish the
/// last of them, and says when it needs nothing more.
#[derive(Debug)]
pub(crate) struct OwnedLines {
    counter: Counter,
    /// Still skipping the line that started before the range.
    skipping: bool,
    /// Bytes fed so far, from `from`.
    pos: u64,
    /// Offset (from `from`) of the range's start: 1 when feeding starts one byte early.
    begin: u64,
    /// Offset (from `from`) of the range's end: lines starting at or after it are not ours.
    limit: u64,
    done: bool,
}

impl OwnedLines {
    /// The range `[start, end)` of the stream, counted by `counter`; feeding must begin at
    /// [`OwnedLines::from`].
    pub(crate) fn new(start: u64, end: u64, counter: Counter) -> Self {
        let from = Self::from(start);
        OwnedLines {
            counter,
            skipping: start > 0,
            pos: 0,
            begin: start - from,
            limit: end.saturating_sub(from),
            done: end <= start,
        }
    }

    /// Where feeding must begin for a range starting at `start`.
    pub(crate) fn from(start: u64) -> u64 {
        start.saturating_sub(1)
    }

    /// Whether every owned line has been seen: feeding more is pointless.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// The counter's [`Counter::out_of_memory`].
    pub(crate) fn out_of_memory(&self) -> Option<usize> {
        self.counter.out_of_memory()
    }

    /// Feeds the next piece of the stream; returns how many of its bytes lie inside the range
    /// proper (for progress and the file's byte count).
    pub(crate) fn feed(&mut self, mut piece: &[u8]) -> u64 {
        let in_range = self.in_range(piece.len());
        while !self.done && !piece.is_empty() {
            let len = piece.len() as u64;
            if self.skipping {
                match memchr::memchr(b'\n', piece) {
                    Some(nl) => {
                        self.skipping = false;
                        self.pos += nl as u64 + 1;
                        piece = &piece[nl + 1..];
                        if self.pos >= self.limit {
                            self.done = true;
                        }
                    }
                    None => {
                        self.pos += len;
                        self.done = self.pos >= self.limit;
                        piece = &[];
                    }
                }
            } else if self.pos + len <= self.limit {
                self.counter.feed(piece);
                self.pos += len;
                piece = &[];
                if self.pos == self.limit && !self.counter.in_line() {
                    self.done = true;
                }
            } else if self.pos < self.limit {
                let inside = (self.limit - self.pos) as usize;
                self.counter.feed(&piece[..inside]);
                self.pos = self.limit;
                piece = &piece[inside..];
                self.done = !self.counter.in_line();
            } else {
                // Past the end: finish the line that started inside the range.
                match memchr::memchr(b'\n', piece) {
                    Some(nl) => {
                        self.counter.feed(&piece[..=nl]);
                        self.done = true;
                    }
                    None => self.counter.feed(piece),
                }
                self.pos += len;
                piece = &[];
            }
        }
        in_range
    }

    /// How many of the next `len` bytes fall inside `[start, end)`.
    fn in_range(&self, len: usize) -> u64 {
        let lo = self.pos.max(self.begin);
        let hi = (self.pos + len as u64).min(self.limit);
        hi.saturating_sub(lo)
    }

    /// The counts of the owned lines (a last line without `\n` included).
    pub(crate) fn finish(self) -> Counts {
        self.counter.finish()
    }

    /// The counter, for counting the whole stream after all (nothing must have been fed).
    pub(crate) fn into_counter(self) -> Counter {
        debug_assert_eq!(self.pos, 0);
        self.counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Body, MAX_LINE};
    use crate::keys::leading_v4;

    fn keys(buf: &[u8]) -> Vec<Vec<u8>> {
        let mut k = count(buf).keys.to_byte_strings();
        k.sort();
        k
    }

    fn one_key(line: &[u8]) -> Vec<u8> {
        let c = count(line);
        assert_eq!(c.total, 1, "expected one counted line in {line:?}");
        keys(line).pop().unwrap()
    }

    #[test]
    fn design_examples() {
        assert_eq!(
            one_key(b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n"),
            b"203.0.113.9"
        );
        assert_eq!(
            one_key(b"223.104.3.7, 100.116.2.9 - - [22/Mar/2021:10:01:02 +0800] \"GET /\"\n"),
            b"223.104.3.7"
        );
        assert_eq!(
            one_key(b"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\"\n"),
            b"127.0.0.1"
        );
        assert_eq!(one_key(b"2001:db8::1 - - [x]\n"), b"2001:db8::1");
        assert_eq!(one_key(b"- - - [x]\n"), b"-");
        assert_eq!(one_key(b",x\n"), b"");
    }

    #[test]
    fn summary_semantics_total_and_distinct() {
        let c = count(b"1.1.1.1 a\n2.2.2.2 b\n1.1.1.1 c\n\n  \n");
        assert_eq!((c.total, c.ip()), (3, 2));
    }

    #[test]
    fn crlf_drops_one_cr() {
        assert_eq!(one_key(b"1.2.3.4\r\n"), b"1.2.3.4");
        assert_eq!(one_key(b"abc\r\r\n"), b"abc\r");
        assert_eq!(one_key(b"1.2.3.4 - - x\r\n"), b"1.2.3.4");
        let c = count(b"a b\r\nc d\r\n\r\n");
        assert_eq!((c.total, c.ip()), (2, 2));
    }

    #[test]
    fn last_line_without_newline() {
        let c = count(b"1.1.1.1 x\n2.2.2.2 y");
        assert_eq!((c.total, c.ip()), (2, 2));
        assert_eq!(one_key(b"abc\r"), b"abc");
        assert_eq!(one_key(b"abc"), b"abc");
    }

    #[test]
    fn empty_and_blank_only() {
        let c = count(b"");
        assert_eq!((c.total, c.ip()), (0, 0));
        let c = count(b"\n\n\r\n \t\x0b\x0c\r\n   ");
        assert_eq!((c.total, c.ip()), (0, 0));
    }

    #[test]
    fn whitespace_only_lines_of_each_kind_are_blank() {
        for ws in [b" ", b"\t", b"\r", b"\x0b", b"\x0c"] {
            let mut line = ws.to_vec();
            line.extend_from_slice(ws);
            line.push(b'\n');
            assert_eq!(count(&line).total, 0, "{line:?}");
        }
        // Other control bytes are not whitespace: such a line is a request with that key.
        assert_eq!(one_key(b"\x00\n"), b"\x00");
    }

    #[test]
    fn leading_whitespace_is_skipped() {
        assert_eq!(one_key(b"   1.2.3.4 - - x\n"), b"1.2.3.4");
        assert_eq!(one_key(b"\t\x0b\x0c\r1.2.3.4 x\n"), b"1.2.3.4");
        assert_eq!(one_key(b" Mozilla/5.0 (X11)\n"), b"Mozilla/5.0");
    }

    #[test]
    fn tabs_and_commas_end_keys() {
        assert_eq!(one_key(b"1.2.3.4\t-\n"), b"1.2.3.4");
        assert_eq!(one_key(b"1.2.3.4,5.6.7.8\n"), b"1.2.3.4");
        assert_eq!(one_key(b"  ,x\n"), b"");
        // \v and \f end nothing: they are part of the key.
        assert_eq!(one_key(b"a\x0bb c\n"), b"a\x0bb");
    }

    #[test]
    fn invalid_utf8_and_nul_bytes() {
        assert_eq!(one_key(b"\xff\xfe\x00abc def\n"), b"\xff\xfe\x00abc");
        assert_eq!(one_key(b"1.2.3.4\x00 x\n"), b"1.2.3.4\x00");
        let c = count(b"\x80\n\x80\n\x81 x\n");
        assert_eq!((c.total, c.ip()), (3, 2));
    }

    #[test]
    fn keys_are_compared_byte_for_byte() {
        let c = count(b"1.2.3.4\n01.2.3.4\n1.2.3.4.\n1.2.3.4\n001.002.003.004\n");
        assert_eq!((c.total, c.ip()), (5, 4));
        let c = count(b"2001:DB8::1\n2001:db8::1\n2001:db8:0::1\n");
        assert_eq!(c.ip(), 3);
    }

    #[test]
    fn eight_mib_line() {
        let mut line = vec![b'x'; 8 << 20];
        line.extend_from_slice(b" tail\n1.2.3.4 y\n");
        let c = count(&line);
        assert_eq!((c.total, c.ip()), (2, 2));
        let mut spaces = vec![b' '; 8 << 20];
        spaces.push(b'\n');
        assert_eq!(count(&spaces).total, 0);
    }

    #[test]
    fn fast_path_agrees_with_the_rules() {
        assert_eq!(leading_v4(b"1.2.3.4 -"), Some((0x0102_0304, 7)));
        assert_eq!(leading_v4(b"1.2.3.4,x"), Some((0x0102_0304, 7)));
        assert_eq!(leading_v4(b"1.2.3.4\r\n"), Some((0x0102_0304, 7)));
        assert_eq!(leading_v4(b"255.255.255.255\n"), Some((u32::MAX, 15)));
        for unsure in [
            &b"1.2.3.4"[..], // the buffer may go on
            b"1.2.3.4\r",    // \r\n or \r then more key?
            b"1.2.3.4\r x",  // \r inside the key
            b"1.2.3.45x ",
            b"01.2.3.4 ",
            b"1.2.3.1234 ",
            b"256.1.1.1 ",
            b"1.2.3 ",
            b"1.2.3.4.5 ",
            b" 1.2.3.4 ",
            b"1.2.3.4\x0b ",
        ] {
            assert_eq!(leading_v4(unsure), None, "{unsure:?}");
        }
        // Whatever the fast path declines, the general path counts by the rules.
        assert_eq!(one_key(b"1.2.3.4\r x\n"), b"1.2.3.4\r");
        assert_eq!(one_key(b"1.2.3.45x y\n"), b"1.2.3.45x");
    }

    #[test]
    fn merge_is_a_union() {
        let mut a = count(b"1.1.1.1\n2.2.2.2\nlong-key-abcdefghijkl\n");
        let b = count(b"2.2.2.2\n3.3.3.3\nlong-key-abcdefghijkl\nx\n");
        a.merge(b);
        assert_eq!((a.total, a.ip()), (7, 5));
        let mut id = Counts::default();
        id.merge(count(b"a\n"));
        assert_eq!((id.total, id.ip()), (1, 1));
    }

    /// Counts `buf` whole with a fresh counter from `make`.
    fn whole(buf: &[u8], make: fn() -> Counter) -> Counts {
        let mut counter = make();
        counter.feed(buf);
        counter.finish()
    }

    /// Feeds `buf` cut at every given position and compares with the whole-buffer count.
    fn check_pieces(buf: &[u8], cuts: &[usize]) {
        check_pieces_with(buf, cuts, Counter::classic);
    }

    fn check_pieces_with(buf: &[u8], cuts: &[usize], make: fn() -> Counter) {
        let whole = whole(buf, make);
        let mut counter = make();
        let mut last = 0;
        for &cut in cuts {
            let cut = cut.clamp(last, buf.len());
            counter.feed(&buf[last..cut]);
            last = cut;
        }
        counter.feed(&buf[last..]);
        let pieces = counter.finish();
        assert_eq!(pieces.total, whole.total, "cuts {cuts:?}");
        assert_eq!(pieces.malformed, whole.malformed, "cuts {cuts:?}");
        let mut a = pieces.keys.to_byte_strings();
        let mut b = whole.keys.to_byte_strings();
        a.sort();
        b.sort();
        assert_eq!(a, b, "cuts {cuts:?}");
    }

    const AWKWARD: &[u8] = b"1.2.3.4 - - [x] \"GET /\" 200 1\r\n\
        \r\n  \t\n223.104.3.7, 100.116.2.9 - - [x]\n\
        127.0.0.1 - frank [x]\n   2001:db8::1 - - [x]\n,x\n-\n\xff\xfe bad\n\
        a-very-long-key-that-is-not-short\tz\nabc\r\r\nlast-line-no-newline\r";

    #[test]
    fn pieces_at_every_single_cut() {
        for cut in 0..=AWKWARD.len() {
            check_pieces(AWKWARD, &[cut]);
        }
    }

    #[test]
    fn pieces_at_every_pair_of_cuts() {
        for a in 0..=AWKWARD.len() {
            for b in a..=AWKWARD.len() {
                check_pieces(AWKWARD, &[a, b]);
            }
        }
    }

    #[test]
    fn byte_at_a_time() {
        let cuts: Vec<usize> = (0..=AWKWARD.len()).collect();
        check_pieces(AWKWARD, &cuts);
    }

    #[test]
    fn carry_stays_small_on_long_lines() {
        let mut counter = Counter::classic();
        counter.feed(b"key ");
        for _ in 0..1000 {
            counter.feed(&[b'y'; 4096]);
        }
        assert!(counter.carried() <= 4);
        for _ in 0..1000 {
            counter.feed(&[b' '; 4096]);
        }
        counter.feed(b"\n");
        for _ in 0..1000 {
            counter.feed(&[b'\t'; 4096]);
        }
        assert_eq!(counter.carried(), 0);
        let c = counter.finish();
        assert_eq!((c.total, c.ip()), (1, 1));
    }

    /// Counts `buf` as jobs cut at `cuts` (each fed in `piece`-byte reads) and merges them.
    fn count_in_ranges(buf: &[u8], cuts: &[usize], piece: usize) -> (Counts, u64) {
        count_in_ranges_with(buf, cuts, piece, |_| Counter::classic())
    }

    fn count_in_ranges_with(
        buf: &[u8],
        cuts: &[usize],
        piece: usize,
        make: fn(Option<&[u8]>) -> Counter,
    ) -> (Counts, u64) {
        let mut bounds = vec![0];
        bounds.extend(cuts.iter().map(|&c| c.min(buf.len())));
        bounds.push(buf.len());
        bounds.sort_unstable();
        bounds.dedup();
        let mut total = Counts::default();
        let mut bytes = 0;
        let mut directives = Vec::new();
        let mut at = 0;
        for line in buf.split(|&b| b == b'\n') {
            if line.starts_with(b"#Fields:") {
                directives.push((at, line));
            }
            at += line.len() + 1;
        }
        for w in bounds.windows(2) {
            let (start, end) = (w[0] as u64, w[1] as u64);
            // The `#Fields:` directive in force where the range starts, as planning finds it:
            // the last one that starts before it.
            let fields = directives
                .iter()
                .rev()
                .find(|(at, _)| (*at as u64) < start)
                .map(|(_, line)| *line);
            let mut job = OwnedLines::new(start, end, make(fields));
            let mut at = OwnedLines::from(start) as usize;
            while !job.done() && at < buf.len() {
                let next = (at + piece).min(buf.len());
                bytes += job.feed(&buf[at..next]);
                at = next;
            }
            total.merge(job.finish());
        }
        (total, bytes)
    }

    fn assert_same(a: &Counts, b: &Counts, context: &str) {
        assert_eq!(a.total, b.total, "{context}");
        assert_eq!(a.malformed, b.malformed, "{context}");
        let mut x = a.keys.to_byte_strings();
        let mut y = b.keys.to_byte_strings();
        x.sort();
        y.sort();
        assert_eq!(x, y, "{context}");
    }

    #[test]
    fn ranges_at_every_cut_and_read_size() {
        let whole = count(AWKWARD);
        for piece in [1, 2, 3, 7, 64, 4096] {
            for a in 0..=AWKWARD.len() {
                for b in (a..=AWKWARD.len()).step_by(3) {
                    let (got, bytes) = count_in_ranges(AWKWARD, &[a, b], piece);
                    assert_same(&got, &whole, &format!("cuts {a},{b} piece {piece}"));
                    assert_eq!(bytes, AWKWARD.len() as u64);
                }
            }
        }
    }

    #[test]
    fn ranges_in_crlf_keys_blank_lines_and_long_lines() {
        let mut buf = b"1.2.3.4\r\n\r\n\n  \nabc,def\n".to_vec();
        buf.extend(std::iter::repeat_n(b'z', 500));
        buf.extend_from_slice(b" long\n2.2.2.2 x\n");
        let whole = count(&buf);
        // Every cut position, with chunks far smaller than the long line.
        for size in [1usize, 2, 5, 16, 100] {
            let cuts: Vec<usize> = (size..buf.len()).step_by(size).collect();
            let (got, _) = count_in_ranges(&buf, &cuts, 7);
            assert_same(&got, &whole, &format!("chunk {size}"));
        }
    }

    #[test]
    fn a_range_inside_one_line_owns_nothing() {
        let buf = b"aaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\n";
        let mut job = OwnedLines::new(5, 10, Counter::classic());
        assert_eq!(job.feed(&buf[4..]), 5);
        assert!(job.done());
        assert_eq!(job.finish().total, 0);
    }

    #[test]
    fn malformed_lines_shown_are_the_same_however_the_input_is_fed() {
        let buf = [mixed(), b"\njunk at the end".to_vec()].concat();
        let options = Options {
            show_malformed: 100,
            ..Options::default()
        };
        let counter = || Counter::with_format(Format::plain(Body::Combined), &options, None);
        let mut whole = counter();
        whole.feed(&buf);
        let whole = whole.finish();
        let numbers: Vec<u64> = whole.detail.shown.first.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers.len() as u64, whole.malformed);
        assert_eq!(
            whole.detail.shown.first[0],
            (3, b" \"curl/7.54.0\"".to_vec())
        );
        let last = whole.detail.shown.first.last().unwrap();
        assert_eq!(last.1, b"junk at the end");
        assert_eq!(
            whole.detail.shown.lines,
            buf.split(|&b| b == b'\n').count() as u64
        );
        for size in [1, 2, 3, 7, 64, 1000] {
            let mut c = counter();
            for piece in buf.chunks(size) {
                c.feed(piece);
            }
            let got = c.finish();
            assert_eq!(got.detail.shown, whole.detail.shown, "pieces of {size}");
            assert_eq!(got.malformed, whole.malformed);
        }
        // Cut into jobs and joined in file order: the same lines and numbers.
        for cut in [10, 100, 500] {
            let cuts: Vec<usize> = (cut..buf.len()).step_by(cut).collect();
            let mut starts = vec![0];
            starts.extend(&cuts);
            let mut joined = Shown::default();
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(buf.len());
                let from = OwnedLines::from(start as u64) as usize;
                let mut job = OwnedLines::new(start as u64, end as u64, counter());
                job.feed(&buf[from..]);
                joined.append(job.finish().detail.shown, 100);
            }
            assert_eq!(joined, whole.detail.shown, "cut every {cut}");
        }
    }

    fn combined() -> Counter {
        Counter::with_format(Format::plain(Body::Combined), &Options::default(), None)
    }

    fn w3c() -> Counter {
        w3c_from(None)
    }

    fn w3c_from(fields: Option<&[u8]>) -> Counter {
        Counter::with_format(Format::plain(Body::W3c), &Options::default(), fields)
    }

    /// Requests, malformed lines, blank lines, CRLF, a directive block and a line far longer
    /// than a view, in two formats' eyes.
    fn mixed() -> Vec<u8> {
        let mut buf = Vec::new();
        buf.extend_from_slice(
            b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612\r\n\
              \r\n \"curl/7.54.0\"\n\
              #Fields: date time c-ip\n2021-03-22 10:01:02 203.0.113.9\n\
              2001:db8::1, 10.0.0.1 - u [x] \"GET /a\\\" b\" 404 -\n\t \n",
        );
        let mut long = b"9.9.9.9 - - [x] \"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        long.extend_from_slice(b"\" 200 1\n");
        buf.extend_from_slice(&long);
        let mut spaces = vec![b' '; MAX_LINE + 3];
        spaces.extend_from_slice(b"late text\n");
        buf.extend_from_slice(&spaces);
        buf.extend_from_slice(b"5.6.7.8 - - [x] \"GET / HTTP/1.1\" 200 1");
        buf
    }

    #[test]
    fn formats_count_requests_and_malformed_lines() {
        let c = whole(&mixed(), combined);
        // Two requests in combined, the long line judged by its first 64 KiB (cut inside
        // the request: malformed), a user-agent fragment, the W3C lines, the long line of
        // spaces that has text after them, all malformed; blank lines nothing.
        assert_eq!((c.total, c.malformed, c.ip()), (3, 5, 3));
        assert_eq!(c.format, Some(Format::plain(Body::Combined)));
        let w = whole(&mixed(), w3c);
        assert_eq!((w.total, w.ip()), (1, 1), "the one line after #Fields:");
        let none = whole(b"a\n\nb", Counter::unread);
        assert_eq!((none.total, none.malformed, none.format), (0, 2, None));
    }

    #[test]
    fn formats_count_the_same_in_pieces_and_ranges() {
        let buf = mixed();
        type Make = fn(Option<&[u8]>) -> Counter;
        for (make, ranged) in [
            (combined as fn() -> Counter, (|_| combined()) as Make),
            (w3c, w3c_from),
        ] {
            for cut in (0..buf.len()).step_by(97) {
                check_pieces_with(&buf, &[cut], make);
                check_pieces_with(&buf, &[cut, cut + 1, cut + MAX_LINE / 2], make);
            }
            let want = whole(&buf, make);
            for size in [5usize, 100, 4096, MAX_LINE] {
                let cuts: Vec<usize> = (size..buf.len()).step_by(size).collect();
                for piece in [1usize, 7, 65536] {
                    if piece == 1 && size < 100 {
                        continue; // slow and adds nothing over piece 7
                    }
                    let (got, bytes) = count_in_ranges_with(&buf, &cuts, piece, ranged);
                    assert_same(&got, &want, &format!("chunk {size} piece {piece}"));
                    assert_eq!(bytes, buf.len() as u64);
                }
            }
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        /// Lines built from the awkward pieces of docs/contract.md §1, so random inputs hit them often.
        fn awkward_bytes() -> impl Strategy<Value = Vec<u8>> {
            let token = prop_oneof![
                Just(b"1.2.3.4".to_vec()),
                Just(b"01.2.3.4".to_vec()),
                Just(b"255.255.255.255".to_vec()),
                Just(b"256.1.1.1".to_vec()),
                Just(b"1.2.3.4.5".to_vec()),
                Just(b"1.2.3.1234".to_vec()),
                Just(b"0.0.0.0".to_vec()),
                Just(b"10.0.0".to_vec()),
                Just(b".".to_vec()),
                Just(b"7".to_vec()),
                Just(b"2001:db8::1".to_vec()),
                Just(b"a-long-key-over-fifteen-bytes".to_vec()),
                Just(b" ".to_vec()),
                Just(b"\t".to_vec()),
                Just(b",".to_vec()),
                Just(b"\r".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\x0b\x0c".to_vec()),
                Just(b" - - [x]".to_vec()),
                Just(vec![0xff, 0x00]),
                proptest::collection::vec(any::<u8>(), 0..6),
            ];
            proptest::collection::vec(token, 0..40).prop_map(|t| t.concat())
        }

        /// docs/contract.md §1 written as plainly as possible, as an oracle for the fast code.
        fn reference(buf: &[u8]) -> (u64, std::collections::BTreeSet<Vec<u8>>) {
            let ws = |b: &u8| b" \t\r\x0b\x0c".contains(b);
            let mut total = 0;
            let mut keys = std::collections::BTreeSet::new();
            for line in buf.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(ws) {
                    continue;
                }
                total += 1;
                let trimmed: Vec<u8> = line.iter().copied().skip_while(|b| ws(b)).collect();
                let key: Vec<u8> = trimmed
                    .into_iter()
                    .take_while(|b| !b" \t,".contains(b))
                    .collect();
                keys.insert(key);
            }
            (total, keys)
        }

        proptest! {
            #[test]
            fn whole_buffer_matches_reference(buf in awkward_bytes()) {
                let (total, want) = reference(&buf);
                let c = count(&buf);
                prop_assert_eq!(c.total, total);
                let got: std::collections::BTreeSet<Vec<u8>> =
                    c.keys.to_byte_strings().into_iter().collect();
                prop_assert_eq!(got, want);
            }

            #[test]
            fn pieces_agree_with_whole(
                buf in awkward_bytes(),
                cuts in proptest::collection::vec(0usize..200, 0..8),
            ) {
                let mut cuts = cuts;
                cuts.sort_unstable();
                check_pieces(&buf, &cuts);
            }

            #[test]
            fn any_ranges_merge_to_whole(
                buf in awkward_bytes(),
                cuts in proptest::collection::vec(0usize..200, 0..6),
                piece in 1usize..40,
            ) {
                let (got, bytes) = count_in_ranges(&buf, &cuts, piece);
                let whole = count(&buf);
                assert_same(&got, &whole, "ranges");
                prop_assert_eq!(bytes, buf.len() as u64);
            }

            #[test]
            fn merge_of_line_aligned_halves_is_whole(buf in awkward_bytes(), at in 0usize..200) {
                // Split after a `\n` so each half holds whole lines.
                let at = at.min(buf.len());
                let split = buf[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                let mut left = count(&buf[..split]);
                left.merge(count(&buf[split..]));
                let whole = count(&buf);
                prop_assert_eq!(left.total, whole.total);
                prop_assert_eq!(left.ip(), whole.ip());
            }
        }
    }
}

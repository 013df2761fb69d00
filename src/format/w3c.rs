//! W3C extended log files (IIS and others; `w3c`) and AWS CloudFront standard logs
//! (`cloudfront`): `#` directives describe the file, and `#Fields:` names the columns of the
//! lines after it, wherever it puts `c-ip`. IIS starts a new header block at every restart, so
//! one file may hold several; the one in force applies.
//!
//! W3C columns are separated by spaces (IIS writes `+` for a space inside a value; a run of
//! spaces counts as one separator), CloudFront columns by tabs (under a `#Fields:`, a
//! line without a tab by runs of spaces, as CloudFront's streaming logs are written). A value
//! may be double-quoted (IIS custom fields, and CDNs that quote every field), and then holds
//! separators: the quotes end at a `"` followed by a separator or the end of the line, and are
//! not part of the value. A line is a request when it has exactly the columns `#Fields:`
//! named, its `date` and `time` columns (where named) look like a date and a time, and no other
//! value is empty (an empty `c-ip`, `""` or nothing between two tabs, like `-`, is a request
//! without a client).
//!
//! W3C lines met before any `#Fields:` (log shippers cut files after the header) are read by
//! the field lists IIS writes by default, where one fits the line: IIS 8.5 and later, `date
//! time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent)
//! cs(Referer) sc-status sc-substatus sc-win32-status time-taken`; IIS 7 and 7.5, the same
//! without `cs(Referer)`; IIS 6, `date time s-sitename s-ip cs-method cs-uri-stem
//! cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus
//! sc-win32-status`. Their port, status and time-taken columns must be digits.
//!
//! Every `#` line is a directive, neither a request nor malformed (docs/contract.md §1); only
//! the directives a format knows are evidence of it for detection. A `#Fields:` without a
//! `c-ip` (or, in CloudFront, without CloudFront's `x-edge-location`) leaves no client to
//! count: the lines after it are malformed until the next one.

use std::sync::Arc;

use super::client::{client, unbracket, Client};
use super::cursor::Cursor;
use super::proxy::Proxies;
use super::time::{parse_date_and_time, When};

/// The columns `#Fields:` names, as far as counting needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    count: usize,
    client: usize,
    date: Option<usize>,
    time: Option<usize>,
    /// Named by CloudFront (`x-edge-location`).
    edge: bool,
    /// The `X-Forwarded-For` column: W3C's `cs(X-Forwarded-For)` (or the bare header name, as
    /// IIS enhanced logging's custom fields write it, or `OriginalIP`, the name IIS's
    /// documentation gives that field), CloudFront's `x-forwarded-for`; compared without case.
    forwarded: Option<usize>,
    /// Columns that must be digits (bits; IIS's default field lists only).
    numeric: u32,
}

impl Columns {
    /// The columns of a `#Fields:` directive (the whole line); `None` without a `c-ip`.
    pub(crate) fn parse(directive: &[u8]) -> Option<Columns> {
        let names = directive.strip_prefix(b"#Fields:")?;
        let names: Vec<&[u8]> = names
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|n| !n.is_empty())
            .collect();
        let at = |name: &[u8]| names.iter().position(|n| *n == name);
        let forwarded = names.iter().position(|n| {
            [
                &b"cs(X-Forwarded-For)"[..],
                b"X-Forwarded-For",
                b"OriginalIP",
                b"cs(OriginalIP)",
            ]
            .iter()
            .any(|name| n.eq_ignore_ascii_case(name))
        });
        Some(Columns {
            count: names.len(),
            client: at(b"c-ip")?,
            date: at(b"date"),
            time: at(b"time"),
            edge: at(b"x-edge-location").is_some(),
            forwarded,
            numeric: 0,
        })
    }
}

/// CloudFront's standard columns, for lines met before any `#Fields:` (a file cut short at its
/// start): `date time x-edge-location sc-bytes c-ip ...`, at least five of them.
const CLOUDFRONT_DEFAULT: Columns = Columns {
    count: 0,
    client: 4,
    date: Some(0),
    time: Some(1),
    edge: true,
    // the 20th standard column, where a line has that many
    forwarded: Some(19),
    numeric: 0,
};

/// The bits of columns `at`.
const fn bits(at: &[usize]) -> u32 {
    let mut b = 0;
    let mut i = 0;
    while i < at.len() {
        b |= 1 << at[i];
        i += 1;
    }
    b
}

/// IIS's default field lists (the module's documentation), for W3C lines met before any
/// `#Fields:`: tried in this order, the first that reads a line reads it.
const IIS_DEFAULTS: [Columns; 3] = [
    // IIS 8.5 and later
    Columns {
        count: 15,
        client: 8,
        date: Some(0),
        time: Some(1),
        edge: false,
        forwarded: None,
        numeric: bits(&[6, 11, 12, 13, 14]),
    },
    // IIS 7 and 7.5
    Columns {
        count: 14,
        client: 8,
        date: Some(0),
        time: Some(1),
        edge: false,
        forwarded: None,
        numeric: bits(&[6, 10, 11, 12, 13]),
    },
    // IIS 6
    Columns {
        count: 14,
        client: 9,
        date: Some(0),
        time: Some(1),
        edge: false,
        forwarded: None,
        numeric: bits(&[7, 11, 12, 13]),
    },
];

/// How a line's columns are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sep {
    /// One tab between columns (CloudFront).
    Tab,
    /// Runs of spaces (W3C, and CloudFront lines without a tab).
    Spaces,
}

impl Sep {
    /// CloudFront's for `line` under a `#Fields:`: tabs, or runs of spaces where it has none.
    fn cloudfront(line: &[u8]) -> Sep {
        if memchr::memchr(b'\t', line).is_some() {
            Sep::Tab
        } else {
            Sep::Spaces
        }
    }

    #[inline]
    fn is(self, b: u8) -> bool {
        match self {
            Sep::Tab => b == b'\t',
            Sep::Spaces => b == b' ',
        }
    }
}

/// The values of a line's columns, quotes taken off quoted ones.
struct Values<'a> {
    s: &'a [u8],
    i: usize,
    sep: Sep,
    done: bool,
}

impl<'a> Values<'a> {
    fn new(s: &'a [u8], sep: Sep) -> Values<'a> {
        let mut v = Values {
            s,
            i: 0,
            sep,
            done: false,
        };
        if sep == Sep::Spaces {
            v.skip_spaces();
        }
        v
    }

    fn skip_spaces(&mut self) {
        while self.s.get(self.i).is_some_and(|&b| self.sep.is(b)) {
            self.i += 1;
        }
        self.done = self.i == self.s.len();
    }

    /// Where a quoted value that starts the rest ends: its closing quote, followed by a
    /// separator or the end of the line.
    fn closing_quote(&self, rest: &[u8]) -> Option<usize> {
        let mut from = 1;
        loop {
            let q = from + memchr::memchr(b'"', &rest[from..])?;
            match rest.get(q + 1) {
                None => return Some(q),
                Some(&b) if self.sep.is(b) => return Some(q),
                Some(_) => from = q + 1,
            }
        }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let rest = &self.s[self.i..];
        let (value, len) = match rest.first() {
            Some(b'"') => match self.closing_quote(rest) {
                Some(q) => (&rest[1..q], q + 1),
                None => self.plain(rest),
            },
            _ => self.plain(rest),
        };
        self.i += len;
        if self.i == self.s.len() {
            self.done = true;
        } else {
            self.i += 1; // the separator
            if self.sep == Sep::Spaces {
                self.skip_spaces();
            }
        }
        Some(value)
    }
}

impl<'a> Values<'a> {
    #[inline]
    fn plain(&self, rest: &'a [u8]) -> (&'a [u8], usize) {
        let end = match self.sep {
            Sep::Tab => memchr::memchr(b'\t', rest),
            Sep::Spaces => memchr::memchr(b' ', rest),
        }
        .unwrap_or(rest.len());
        (&rest[..end], end)
    }
}

/// Which of the two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    W3c,
    Cloudfront,
}

/// What one line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum W3cLine<'a> {
    Request(Client<'a>),
    /// A directive of this format.
    Directive,
    /// Another `#` line (a comment, another server's directive).
    Comment,
    Malformed,
}

/// The columns in force.
#[derive(Clone, Debug, PartialEq, Eq)]
enum InForce {
    /// No `#Fields:` yet.
    Nothing,
    Columns(Columns),
    /// A `#Fields:` this format cannot count by.
    Unusable,
}

/// The state of a file being read: the `#Fields:` in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct W3cState {
    flavor: Flavor,
    columns: InForce,
    /// `--trusted-proxy`: walk the `X-Forwarded-For` column's chain, where there is one.
    proxies: Arc<Proxies>,
}

impl W3cState {
    /// The state at the start of a file, or, for a job that starts mid-file, with the
    /// `#Fields:` directive in force there (planned).
    pub(crate) fn new(flavor: Flavor, fields: Option<&[u8]>, proxies: Arc<Proxies>) -> W3cState {
        let mut state = W3cState {
            flavor,
            columns: InForce::Nothing,
            proxies,
        };
        if let Some(directive) = fields {
            let _ = state.line(directive);
        }
        state
    }

    pub(crate) fn line<'a>(&mut self, line: &'a [u8]) -> W3cLine<'a> {
        if line.first() == Some(&b'#') {
            return self.directive(line);
        }
        match self.request(line) {
            Some(c) => W3cLine::Request(c),
            None => W3cLine::Malformed,
        }
    }

    /// [`W3cState::line`], and the line's time: its `date` and `time` columns, read as UTC
    /// ([`When::Absent`] where the `#Fields:` in force names no `date` or no `time` column, and
    /// for directives). For a malformed line, the columns where `#Fields:` puts them, if they
    /// read (best effort).
    pub(crate) fn timed_line<'a>(&mut self, line: &'a [u8]) -> (W3cLine<'a>, When) {
        if line.first() == Some(&b'#') {
            return (self.directive(line), When::Absent);
        }
        let kind = match self.request(line) {
            Some(c) => W3cLine::Request(c),
            None => W3cLine::Malformed,
        };
        let Some((columns, sep)) = self.in_force(line) else {
            return (kind, When::Absent);
        };
        // The date and time are read in a pass of their own, which stops at them (the first two
        // columns, in the usual layouts), so that `line` does no more work than before.
        let stamp = date_and_time(line, columns, sep).map(|(d, t)| parse_date_and_time(d, t));
        let when = match (kind, stamp) {
            (_, None) => When::Absent,
            (W3cLine::Request(_), Some(stamp)) => When::read(stamp),
            (_, Some(stamp)) => When::found(stamp),
        };
        (kind, when)
    }

    /// The client of a line that is no directive, if it is a request.
    fn request<'a>(&self, line: &'a [u8]) -> Option<Client<'a>> {
        if let (InForce::Nothing, Flavor::W3c) = (&self.columns, self.flavor) {
            return IIS_DEFAULTS
                .iter()
                .find_map(|columns| request(line, columns, Sep::Spaces, &self.proxies));
        }
        let (columns, sep) = self.in_force(line)?;
        request(line, columns, sep, &self.proxies)
    }

    /// The columns in force for `line` (where no `#Fields:` is, the defaults' date and time,
    /// which all put first) and what separates them; `None` when lines cannot be requests.
    fn in_force(&self, line: &[u8]) -> Option<(&Columns, Sep)> {
        let columns = match (&self.columns, self.flavor) {
            (InForce::Columns(c), _) => c,
            (InForce::Nothing, Flavor::Cloudfront) => &CLOUDFRONT_DEFAULT,
            (InForce::Nothing, Flavor::W3c) => &IIS_DEFAULTS[0],
            (InForce::Unusable, _) => return None,
        };
        let sep = match (self.flavor, &self.columns) {
            (Flavor::W3c, _) => Sep::Spaces,
            (Flavor::Cloudfront, InForce::Columns(_)) => Sep::cloudfront(line),
            // CloudFront's standard columns, assumed without a `#Fields:`, are tab-separated
            // (runs of spaces would read any line with a date and a time first).
            (Flavor::Cloudfront, _) => Sep::Tab,
        };
        Some((columns, sep))
    }

    fn directive<'a>(&mut self, line: &'a [u8]) -> W3cLine<'a> {
        const W3C: &[&[u8]] = &[
            b"#Version:",
            b"#Software:",
            b"#Date:",
            b"#Start-Date:",
            b"#End-Date:",
            b"#Remark:",
        ];
        if line.starts_with(b"#Fields:") {
            return match Columns::parse(line) {
                Some(c) if self.flavor == Flavor::W3c || c.edge => {
                    self.columns = InForce::Columns(c);
                    W3cLine::Directive
                }
                _ => {
                    self.columns = InForce::Unusable;
                    W3cLine::Comment
                }
            };
        }
        let known = match self.flavor {
            Flavor::W3c => W3C,
            Flavor::Cloudfront => &W3C[..1],
        };
        if known.iter().any(|d| line.starts_with(d)) {
            W3cLine::Directive
        } else {
            W3cLine::Comment
        }
    }
}

/// Whether `line` is a `#Fields:` directive (the one directive a job starting mid-file needs).
pub(crate) fn is_fields_directive(line: &[u8]) -> bool {
    line.starts_with(b"#Fields:")
}

/// The `date` and `time` values of a line, where the columns name both.
type DateAndTime<'a> = Option<(&'a [u8], &'a [u8])>;

fn request<'a>(
    line: &'a [u8],
    columns: &Columns,
    sep: Sep,
    proxies: &Proxies,
) -> Option<Client<'a>> {
    let mut n = 0;
    let (mut found, mut forwarded) = (None, None);
    let walk = if proxies.is_empty() {
        None
    } else {
        columns.forwarded
    };
    for value in Values::new(line, sep) {
        if value.is_empty() && n != columns.client
            || Some(n) == columns.date && !is_date(value)
            || Some(n) == columns.time && !is_time(value)
            || columns.numeric & (1 << n.min(31)) != 0 && !is_number(value)
        {
            return None;
        }
        if n == columns.client {
            found = Some(value);
        }
        if Some(n) == walk {
            forwarded = Some(value);
        }
        n += 1;
    }
    if columns.count != 0 && n != columns.count {
        return None;
    }
    let peer = unbracket(found?);
    match forwarded {
        Some(chain) => Some(proxies.walk_client(chain, Some(peer))),
        None => Some(client(peer)),
    }
}

/// The values where the columns put `date` and `time`, whatever the rest of the line.
fn date_and_time<'a>(line: &'a [u8], columns: &Columns, sep: Sep) -> DateAndTime<'a> {
    let (d, t) = (columns.date?, columns.time?);
    let (mut date, mut time) = (None, None);
    for (n, value) in Values::new(line, sep).enumerate().take(d.max(t) + 1) {
        if n == d {
            date = Some(value);
        }
        if n == t {
            time = Some(value);
        }
    }
    date.zip(time)
}

fn is_date(v: &[u8]) -> bool {
    let mut c = Cursor::new(v);
    c.date().is_some() && c.at_end()
}

fn is_number(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

fn is_time(v: &[u8]) -> bool {
    let mut c = Cursor::new(v);
    c.clock(true).is_some() && c.at_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(flavor: Flavor, lines: &[&[u8]]) -> Vec<String> {
        run_with(flavor, lines, &Proxies::default())
    }

    fn run_with(flavor: Flavor, lines: &[&[u8]], proxies: &Proxies) -> Vec<String> {
        let mut state = W3cState::new(flavor, None, Arc::new(proxies.clone()));
        lines
            .iter()
            .map(|l| match state.line(l) {
                W3cLine::Request(c) => String::from_utf8(c.to_vec()).unwrap(),
                W3cLine::Directive => "#".into(),
                W3cLine::Comment => "c".into(),
                W3cLine::Malformed => "!".into(),
            })
            .collect()
    }

    #[test]
    fn iis_columns_come_from_fields_in_force() {
        let got = run(
            Flavor::W3c,
            &[
                b"2021-03-22 10:01:02 10.0.0.1 GET / - 80 - 203.0.113.9 ua - 200",
                b"#Software: Microsoft Internet Information Services 10.0",
                b"#Version: 1.0",
                b"#Date: 2021-03-22 10:00:00",
                b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status",
                b"2021-03-22 10:01:02 10.0.0.1 GET / - 80 - 203.0.113.9 Mozilla/5.0+(X11) - 200",
                b"2021-03-22 10:01:03 10.0.0.1 GET / - 80 - 2001:db8::1 ua - 200",
                b"2021-03-22 10:01:03 10.0.0.1 GET / - 80 - 203.0.113.9 two words - 200",
                b"22/03/2021 10:01:03 10.0.0.1 GET / - 80 - 203.0.113.9 ua - 200",
                b"# a comment that is no directive",
                b"#Fields: c-ip date time cs-method",
                b"198.51.100.2 2021-03-23 00:00:01 GET",
                b"2021-03-23 00:00:01 198.51.100.2 GET",
            ],
        );
        let want = [
            "!",
            "#",
            "#",
            "#",
            "#",
            "203.0.113.9",
            "2001:db8::1",
            "!",
            "!",
            "c",
            "#",
            "198.51.100.2",
            "!",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn cloudfront_uses_tabs_and_its_own_directives() {
        let got = run(
            Flavor::Cloudfront,
            &[
                b"#Version: 1.0",
                b"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host)",
                b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net",
                // A line without a tab: columns separated by runs of spaces (streaming logs).
                b"2019-12-04 21:02:31  LAX1 392   192.0.2.101 GET d111111abcdef8.cloudfront.net",
                b"2019-12-04\t21:02:31\tLAX1 392 192.0.2.100\tGET\td111111abcdef8.cloudfront.net",
                b"#Software: Microsoft Internet Information Services 10.0",
                b"#Fields: date time c-ip",
                b"2019-12-04\t21:02:31\t192.0.2.100",
            ],
        );
        // A #Fields: without CloudFront's columns leaves nothing to count by.
        assert_eq!(
            got,
            ["#", "#", "192.0.2.100", "192.0.2.101", "!", "c", "c", "!"]
        );
        // CloudFront's RTMP (streaming) distributions: their own columns, spaces between.
        let got = run(
            Flavor::Cloudfront,
            &[
                b"#Fields: date time x-edge-location c-ip x-event sc-bytes x-cf-status x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url c-user-agent x-sname x-sname-query x-file-ext x-sid",
                b"2010-03-12   23:51:20   SEA4   192.0.2.147   connect   2014   OK   bfd8a98bee0840d9b871b7f6ade9908f   rtmp://shqshne4jdp4b6.cloudfront.net/cfx/st   key=value   http://player.longtailvideo.com/player.swf   http://www.longtailvideo.com/support/jw-player-setup-wizard?example=204   LNX%2010,0,32,18   -   -   -   -",
            ],
        );
        assert_eq!(got, ["#", "192.0.2.147"]);
        // Before any #Fields: CloudFront's standard columns.
        let got = run(
            Flavor::Cloudfront,
            &[b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET"],
        );
        assert_eq!(got, ["192.0.2.100"]);
        // A job starting mid-file with the planned directive.
        let mut state = W3cState::new(
            Flavor::W3c,
            Some(b"#Fields: c-ip cs-method"),
            Arc::default(),
        );
        assert_eq!(
            state.line(b"203.0.113.9 GET"),
            W3cLine::Request(Client::V4(0xcb00_7109))
        );
        assert!(is_fields_directive(b"#Fields: c-ip"));
    }

    // Lines as IIS writes them with its default field lists (no `#Fields:` in sight).
    #[test]
    fn iis_defaults_read_lines_before_any_fields() {
        let got = run(
            Flavor::W3c,
            &[
                // IIS 8.5 and later
                b"2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) https://example.com/ 200 0 0 15",
                // IIS 7.5
                b"2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.10 Mozilla/5.0+(Windows+NT+6.1) 200 0 0 15",
                // IIS 6
                b"2021-03-22 10:01:02 W3SVC1 10.0.0.1 GET /default.htm - 80 - 203.0.113.11 Mozilla/4.0+(compatible) 200 0 0",
                // 15 columns whose status is no number: not IIS's
                b"2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 ua ref OK 0 0 15",
                // another count of columns
                b"2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 ua 200",
                b"#Fields: date time c-ip sc-status",
                b"2021-03-22 10:01:02 203.0.113.12 200",
                // once a #Fields: is in force, it alone says
                b"2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 ua - 200 0 0 15",
            ],
        );
        assert_eq!(
            got,
            [
                "203.0.113.9",
                "203.0.113.10",
                "203.0.113.11",
                "!",
                "!",
                "#",
                "203.0.113.12",
                "!"
            ]
        );
    }

    #[test]
    fn quoted_values_and_runs_of_spaces() {
        let got = run(
            Flavor::W3c,
            &[
                b"#Fields: date time c-ip cs-method cs-uri-stem x-custom cs(User-Agent) sc-status",
                // an IIS custom field quoted, with spaces in it
                b"2021-03-22 10:01:02 203.0.113.9 GET / \"two words\" Mozilla/5.0+(X11) 200",
                // every field quoted, as some CDNs write them
                b"\"2021-03-22\" \"10:01:02\" \"203.0.113.10\" \"GET\" \"/\" \"a custom value\" \"Mozilla/5.0 (X11)\" \"200\"",
                // runs of spaces between columns
                b"2021-03-22  10:01:02 203.0.113.11   GET / - ua 200",
                // a tab is no W3C separator
                b"2021-03-22 10:01:02\t203.0.113.14 GET / - ua 200",
                // an empty quoted client: a request without one
                b"2021-03-22 10:01:02 \"\" GET / - ua 200",
                // a quote that never closes is a value like any other
                b"2021-03-22 10:01:02 203.0.113.12 GET / \"open ua 200",
                b"2021-03-22 10:01:02 203.0.113.13 GET / \"open ua 200 x",
            ],
        );
        assert_eq!(
            got,
            [
                "#",
                "203.0.113.9",
                "203.0.113.10",
                "203.0.113.11",
                "!",
                "",
                "203.0.113.12",
                "!"
            ]
        );
    }

    #[test]
    fn forwarded_columns_are_walked_under_trusted_proxies() {
        let p = Proxies::parse(["10.0.0.0/8", "203.0.113.0/24"]).unwrap();
        let w3c: &[&[u8]] = &[
            b"#Fields: date time c-ip cs(X-Forwarded-For) sc-status",
            b"2021-03-22 10:01:02 10.0.0.5 198.51.100.7,203.0.113.9 200",
            b"2021-03-22 10:01:02 10.0.0.5 - 200",
            b"2021-03-22 10:01:02 192.0.2.1 198.51.100.7 200",
            b"#Fields: date time c-ip X-FORWARDED-FOR sc-status",
            b"2021-03-22 10:01:02 10.0.0.5 1.1.1.1,198.51.100.8 200",
            // IIS enhanced logging's custom field, spaces written `+`
            b"#Fields: date time c-ip OriginalIP sc-status",
            b"2021-03-22 10:01:02 10.0.0.5 198.51.100.9,+203.0.113.7,+10.0.0.4 200",
        ];
        assert_eq!(
            run_with(Flavor::W3c, w3c, &p),
            [
                "#",
                "198.51.100.7",
                "10.0.0.5",
                "192.0.2.1",
                "#",
                "198.51.100.8",
                "#",
                "198.51.100.9"
            ]
        );
        assert_eq!(
            run(Flavor::W3c, w3c)[1],
            "10.0.0.5",
            "no walk without trust"
        );
        let cf: &[&[u8]] = &[
            b"#Fields: date time x-edge-location c-ip x-forwarded-for",
            b"2019-12-04\t21:02:31\tLAX1\t203.0.113.9\t198.51.100.7",
            b"2019-12-04\t21:02:31\tLAX1\t192.0.2.100\t-",
        ];
        assert_eq!(
            run_with(Flavor::Cloudfront, cf, &p),
            ["#", "198.51.100.7", "192.0.2.100"]
        );
    }
}

//! W3C extended log files (IIS and others; `w3c`) and AWS CloudFront standard logs
//! (`cloudfront`): `#` directives describe the file, and `#Fields:` names the columns of the
//! lines after it, wherever it puts `c-ip`. IIS starts a new header block at every restart, so
//! one file may hold several; the one in force applies.
//!
//! W3C columns are separated by spaces (IIS writes `+` for a space inside a value), CloudFront
//! columns by tabs. A line is a request when it has exactly the columns `#Fields:` named, its
//! `date` and `time` columns (where named) look like a date and a time, and its `c-ip` is not
//! empty. Every `#` line is a directive, neither a request nor malformed (docs/contract.md §1);
//! only the directives a format knows are evidence of it for detection. A `#Fields:` without a
//! `c-ip` (or, in CloudFront, without CloudFront's `x-edge-location`) leaves no client to count:
//! the lines after it are malformed until the next one.

use std::sync::Arc;

use super::client::{client, unbracket, Client};
use super::cursor::Cursor;
use super::proxy::Proxies;
use super::time::{parse_date_and_time, When};

/// The columns `#Fields:` names, as far as counting needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    count: usize,
    client: usize,
    date: Option<usize>,
    time: Option<usize>,
    /// Named by CloudFront (`x-edge-location`).
    edge: bool,
    /// The `X-Forwarded-For` column: W3C's `cs(X-Forwarded-For)` (or the bare header name, as
    /// some tools write it), CloudFront's `x-forwarded-for`; compared without case.
    forwarded: Option<usize>,
}

impl Columns {
    /// The columns of a `#Fields:` directive (the whole line); `None` without a `c-ip`.
    pub fn parse(directive: &[u8]) -> Option<Columns> {
        let names = directive.strip_prefix(b"#Fields:")?;
        let names: Vec<&[u8]> = names
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|n| !n.is_empty())
            .collect();
        let at = |name: &[u8]| names.iter().position(|n| *n == name);
        let forwarded = names.iter().position(|n| {
            n.eq_ignore_ascii_case(b"cs(X-Forwarded-For)")
                || n.eq_ignore_ascii_case(b"X-Forwarded-For")
        });
        Some(Columns {
            count: names.len(),
            client: at(b"c-ip")?,
            date: at(b"date"),
            time: at(b"time"),
            edge: at(b"x-edge-location").is_some(),
            forwarded,
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
};

/// Which of the two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    W3c,
    Cloudfront,
}

/// What one line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum W3cLine<'a> {
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
pub struct W3cState {
    flavor: Flavor,
    columns: InForce,
    /// `--trusted-proxy`: walk the `X-Forwarded-For` column's chain, where there is one.
    proxies: Arc<Proxies>,
}

impl W3cState {
    /// The state at the start of a file, or, for a job that starts mid-file, with the
    /// `#Fields:` directive in force there (planned).
    pub fn new(flavor: Flavor, fields: Option<&[u8]>, proxies: Arc<Proxies>) -> W3cState {
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

    pub fn line<'a>(&mut self, line: &'a [u8]) -> W3cLine<'a> {
        if line.first() == Some(&b'#') {
            return self.directive(line);
        }
        let Some((columns, sep)) = self.in_force() else {
            return W3cLine::Malformed;
        };
        match request(line, columns, sep, &self.proxies) {
            Some(c) => W3cLine::Request(c),
            None => W3cLine::Malformed,
        }
    }

    /// [`W3cState::line`], and the line's time: its `date` and `time` columns, read as UTC
    /// ([`When::Absent`] where the `#Fields:` in force names no `date` or no `time` column, and
    /// for directives). For a malformed line, the columns where `#Fields:` puts them, if they
    /// read (best effort).
    pub fn timed_line<'a>(&mut self, line: &'a [u8]) -> (W3cLine<'a>, When) {
        if line.first() == Some(&b'#') {
            return (self.directive(line), When::Absent);
        }
        let Some((columns, sep)) = self.in_force() else {
            return (W3cLine::Malformed, When::Absent);
        };
        let kind = match request(line, columns, sep, &self.proxies) {
            Some(c) => W3cLine::Request(c),
            None => W3cLine::Malformed,
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

    /// The columns in force and the byte between them; `None` when lines cannot be requests.
    fn in_force(&self) -> Option<(&Columns, u8)> {
        let columns = match (&self.columns, self.flavor) {
            (InForce::Columns(c), _) => c,
            (InForce::Nothing, Flavor::Cloudfront) => &CLOUDFRONT_DEFAULT,
            (InForce::Nothing, Flavor::W3c) | (InForce::Unusable, _) => return None,
        };
        let sep = match self.flavor {
            Flavor::W3c => b' ',
            Flavor::Cloudfront => b'\t',
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
pub fn is_fields_directive(line: &[u8]) -> bool {
    line.starts_with(b"#Fields:")
}

/// The `date` and `time` values of a line, where the columns name both.
type DateAndTime<'a> = Option<(&'a [u8], &'a [u8])>;

fn request<'a>(
    line: &'a [u8],
    columns: &Columns,
    sep: u8,
    proxies: &Proxies,
) -> Option<Client<'a>> {
    let mut n = 0;
    let (mut found, mut forwarded) = (None, None);
    let walk = if proxies.is_empty() {
        None
    } else {
        columns.forwarded
    };
    for value in line.split(|&b| b == sep) {
        if value.is_empty()
            || Some(n) == columns.date && !is_date(value)
            || Some(n) == columns.time && !is_time(value)
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
fn date_and_time<'a>(line: &'a [u8], columns: &Columns, sep: u8) -> DateAndTime<'a> {
    let (d, t) = (columns.date?, columns.time?);
    let (mut date, mut time) = (None, None);
    for (n, value) in line.split(|&b| b == sep).enumerate().take(d.max(t) + 1) {
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
                b"2019-12-04 21:02:31 LAX1 392 192.0.2.100 GET d111111abcdef8.cloudfront.net",
                b"#Software: Microsoft Internet Information Services 10.0",
                b"#Fields: date time c-ip",
                b"2019-12-04\t21:02:31\t192.0.2.100",
            ],
        );
        // A #Fields: without CloudFront's columns leaves nothing to count by.
        assert_eq!(got, ["#", "#", "192.0.2.100", "!", "c", "c", "!"]);
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
        ];
        assert_eq!(
            run_with(Flavor::W3c, w3c, &p),
            [
                "#",
                "198.51.100.7",
                "10.0.0.5",
                "192.0.2.1",
                "#",
                "198.51.100.8"
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

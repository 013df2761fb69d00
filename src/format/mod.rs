//! Log formats: where each line's client address stands, and whether a line is a request at all
//! (docs/contract.md §1, "Log formats").
//!
//! A [`Format`] is a body format (`combined`, `json`, `alb`, ...) with an optional prefix
//! (`cri+combined`, `syslog+json`). A [`Parser`] reads the lines of one file in one format and
//! says what each is ([`Line`]): a request and its [`Client`], a malformed line, or a directive
//! (W3C/CloudFront `#` lines). [`detect`] chooses a file's format from its first lines.
//!
//! Parsers are pure and see one line at a time, without its `\n`, its last `\r`, or anything past
//! [`MAX_LINE`] bytes ([`view`]): a line is judged by its first 64 KiB, so a line cut across read
//! buffers is judged the same as one read whole.

mod aws;
mod client;
mod cursor;
mod detect;
mod haproxy;
mod json;
mod ncsa;
mod prefix;
mod w3c;

use std::fmt;
use std::sync::Arc;

pub use client::Client;
pub use detect::{detect, Detection, SAMPLE_BYTES, SAMPLE_LINES, SAMPLE_MAX};
pub use json::{Fields as JsonFields, DEFAULT_FIELDS};
/// The client of a bare `combined` line (the counting core's fast path; [`Parser::line`] gives
/// the same answer).
pub use ncsa::combined;

use w3c::{Flavor, W3cLine, W3cState};

/// The most bytes of a line a parser sees: a line is judged by its first 64 KiB (real servers
/// cap request lines and headers far below that: nginx at 8 KiB, Apache at 8,190 bytes).
pub const MAX_LINE: usize = 64 << 10;

/// Bytes that count as whitespace for blank lines: space, `\t`, `\r`, `\v`, `\f`.
#[inline]
pub const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// What a parser sees of a line (given without its `\n`): `None` for a blank line, else the line
/// without one trailing `\r`, cut at [`MAX_LINE`] bytes.
#[inline]
pub fn view(line: &[u8]) -> Option<&[u8]> {
    if line.iter().all(|&b| is_space(b)) {
        return None;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some(&line[..line.len().min(MAX_LINE)])
}

/// A body format: what a line looks like after any prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Body {
    Combined,
    Vhost,
    Json,
    Alb,
    Elb,
    Cloudfront,
    W3c,
    Haproxy,
    /// The original teaching example's rule: never detected, only named.
    Classic,
}

impl Body {
    /// Every body format `auto` tries, in the contract's table order (which breaks ties).
    pub const DETECTED: [Body; 8] = [
        Body::Combined,
        Body::Vhost,
        Body::Json,
        Body::Alb,
        Body::Elb,
        Body::Cloudfront,
        Body::W3c,
        Body::Haproxy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Body::Combined => "combined",
            Body::Vhost => "vhost",
            Body::Json => "json",
            Body::Alb => "alb",
            Body::Elb => "elb",
            Body::Cloudfront => "cloudfront",
            Body::W3c => "w3c",
            Body::Haproxy => "haproxy",
            Body::Classic => "classic",
        }
    }

    fn all() -> impl Iterator<Item = Body> {
        Body::DETECTED.into_iter().chain([Body::Classic])
    }
}

/// What may stand before a line's body format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prefix {
    /// Kubernetes/CRI container logs: `2023-10-06T00:17:09.669794202Z stdout F `.
    Cri,
    /// A syslog header (RFC 3164 or RFC 5424).
    Syslog,
}

impl Prefix {
    pub const ALL: [Prefix; 2] = [Prefix::Cri, Prefix::Syslog];

    pub fn name(self) -> &'static str {
        match self {
            Prefix::Cri => "cri",
            Prefix::Syslog => "syslog",
        }
    }

    /// The line after the prefix, if it has one.
    #[inline]
    fn strip(self, line: &[u8]) -> Option<&[u8]> {
        match self {
            Prefix::Cri => prefix::cri(line),
            Prefix::Syslog => prefix::syslog(line),
        }
    }
}

/// A file's log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Format {
    pub prefix: Option<Prefix>,
    pub body: Body,
}

impl Format {
    pub const CLASSIC: Format = Format::plain(Body::Classic);

    pub const fn plain(body: Body) -> Format {
        Format { prefix: None, body }
    }

    /// Every format `auto` tries, in the order that breaks ties: each body format in the table's
    /// order, bare before with a prefix.
    pub fn candidates() -> impl Iterator<Item = Format> {
        Body::DETECTED.into_iter().flat_map(|body| {
            [None, Some(Prefix::Cri), Some(Prefix::Syslog)]
                .into_iter()
                .map(move |prefix| Format { prefix, body })
        })
    }

    /// The `#Fields:` directive `line` holds after this format's prefix, if it holds one (a
    /// job that starts mid-file in a W3C or CloudFront log is given the one in force there).
    pub fn fields_directive(self, line: &[u8]) -> Option<&[u8]> {
        let body = match self.prefix {
            None => line,
            Some(p) => p.strip(line)?,
        };
        w3c::is_fields_directive(body).then_some(body)
    }

    /// Parses a name: `combined`, `cri+combined`, `syslog+json`, ...
    pub fn parse(name: &str) -> Result<Format, String> {
        let (prefix, body) = match name.split_once('+') {
            Some((p, b)) => (Some(p), b),
            None => (None, name),
        };
        let prefix = match prefix {
            None => None,
            Some(p) => Some(
                Prefix::ALL
                    .into_iter()
                    .find(|x| x.name() == p)
                    .ok_or_else(|| format!("unknown prefix `{p}` (known: cri, syslog)"))?,
            ),
        };
        let body = Body::all().find(|b| b.name() == body).ok_or_else(|| {
            format!(
                "unknown log format `{body}` (known: auto, {})",
                Body::all().map(Body::name).collect::<Vec<_>>().join(", ")
            )
        })?;
        if body == Body::Classic && prefix.is_some() {
            return Err("`classic` counts every line as it is: it takes no prefix".into());
        }
        Ok(Format { prefix, body })
    }

    /// A one-byte code for wire messages and partial results.
    pub fn code(self) -> u8 {
        let body = Body::all().position(|b| b == self.body).expect("a body") as u8;
        let prefix = match self.prefix {
            None => 0,
            Some(Prefix::Cri) => 1,
            Some(Prefix::Syslog) => 2,
        };
        body * 3 + prefix
    }

    /// The inverse of [`Format::code`].
    pub fn from_code(code: u8) -> Option<Format> {
        let body = Body::all().nth(usize::from(code / 3))?;
        let prefix = match code % 3 {
            0 => None,
            1 => Some(Prefix::Cri),
            _ => Some(Prefix::Syslog),
        };
        (body != Body::Classic || prefix.is_none()).then_some(Format { prefix, body })
    }
}

impl serde::Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(p) => write!(f, "{}+{}", p.name(), self.body.name()),
            None => f.write_str(self.body.name()),
        }
    }
}

/// `--log-format`: one format for every file, or each file's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Choice {
    #[default]
    Auto,
    Named(Format),
}

/// [`Choice::code`] of `auto` (beside [`Format::code`]).
const AUTO_CODE: u8 = 0xff;

impl Choice {
    pub fn parse(name: &str) -> Result<Choice, String> {
        if name == "auto" {
            Ok(Choice::Auto)
        } else {
            Format::parse(name).map(Choice::Named)
        }
    }

    /// A one-byte code for wire messages and partial results.
    pub fn code(self) -> u8 {
        match self {
            Choice::Auto => AUTO_CODE,
            Choice::Named(f) => f.code(),
        }
    }

    /// The inverse of [`Choice::code`].
    pub fn from_code(code: u8) -> Option<Choice> {
        match code {
            AUTO_CODE => Some(Choice::Auto),
            c => Format::from_code(c).map(Choice::Named),
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Auto => f.write_str("auto"),
            Choice::Named(format) => format.fmt(f),
        }
    }
}

/// What parsers need besides the format: where JSON lines keep the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub json: Arc<JsonFields>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            json: Arc::new(JsonFields::default()),
        }
    }
}

/// What one line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A request, and its client.
    Request(Client<'a>),
    /// A line that does not parse in the format: never a request.
    Malformed,
    /// A W3C/CloudFront directive: neither.
    Directive,
    /// Another `#` line of a W3C/CloudFront log: neither, and no evidence of the format.
    Comment,
}

/// Reads the lines of one file in one format (the state a format keeps between lines: the
/// `#Fields:` in force).
#[derive(Clone, Debug)]
pub struct Parser {
    format: Format,
    w3c: Option<W3cState>,
    json: Arc<JsonFields>,
    scratch: Vec<u8>,
}

impl Parser {
    /// A parser for `format`; `fields` is the `#Fields:` directive in force where a job that
    /// starts mid-file starts (W3C and CloudFront only).
    pub fn new(format: Format, options: &Options, fields: Option<&[u8]>) -> Parser {
        let w3c = match format.body {
            Body::W3c => Some(W3cState::new(Flavor::W3c, fields)),
            Body::Cloudfront => Some(W3cState::new(Flavor::Cloudfront, fields)),
            _ => None,
        };
        Parser {
            format,
            w3c,
            json: Arc::clone(&options.json),
            scratch: Vec::new(),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// What `line` is; `line` is a [`view`] (not blank, no `\r`, at most [`MAX_LINE`] bytes).
    #[inline]
    pub fn line<'a>(&'a mut self, line: &'a [u8]) -> Line<'a> {
        let body = match self.format.prefix {
            None => line,
            Some(p) => match p.strip(line) {
                Some(body) => body,
                None => return Line::Malformed,
            },
        };
        let client = match self.format.body {
            Body::Combined => ncsa::combined(body),
            Body::Vhost => ncsa::vhost(body),
            Body::Json => json::client(body, &self.json, &mut self.scratch).map(client::client),
            Body::Alb => aws::alb(body),
            Body::Elb => aws::elb(body),
            Body::Haproxy => haproxy::haproxy(body),
            Body::Cloudfront | Body::W3c => {
                let state = self.w3c.as_mut().expect("a W3C state for W3C formats");
                return match state.line(body) {
                    W3cLine::Request(c) => Line::Request(c),
                    W3cLine::Directive => Line::Directive,
                    W3cLine::Comment => Line::Comment,
                    W3cLine::Malformed => Line::Malformed,
                };
            }
            Body::Classic => Some(classic(body)),
        };
        match client {
            Some(c) => Line::Request(c),
            None => Line::Malformed,
        }
    }
}

/// The classic rule on a whole line: after leading whitespace, the longest prefix without space,
/// `\t` or `,` (the counting core applies the same rule as it streams, without this function).
pub fn classic(line: &[u8]) -> Client<'_> {
    let start = line
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(line.len());
    let rest = &line[start..];
    let end = rest
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b','))
        .unwrap_or(rest.len());
    client::client(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for body in Body::all() {
            for prefix in [None, Some(Prefix::Cri), Some(Prefix::Syslog)] {
                let f = Format { prefix, body };
                if body == Body::Classic && prefix.is_some() {
                    assert!(Format::parse(&f.to_string()).is_err());
                    assert_eq!(Format::from_code(f.code()), None);
                    continue;
                }
                assert_eq!(Format::parse(&f.to_string()), Ok(f));
                assert_eq!(Format::from_code(f.code()), Some(f));
            }
        }
        assert_eq!(Choice::parse("auto"), Ok(Choice::Auto));
        assert!(Format::parse("nginx")
            .unwrap_err()
            .contains("known: auto, combined"));
        assert!(Format::parse("k8s+combined").is_err());
        assert_eq!(Format::candidates().count(), 24);
        assert_eq!(
            Format::candidates().next(),
            Some(Format::plain(Body::Combined))
        );
    }

    #[test]
    fn views_drop_one_cr_and_cut_long_lines() {
        assert_eq!(view(b"  \t\r"), None);
        assert_eq!(view(b""), None);
        assert_eq!(view(b"a\r"), Some(&b"a"[..]));
        assert_eq!(view(b"a\r\r"), Some(&b"a\r"[..]));
        let long = vec![b'x'; MAX_LINE + 10];
        assert_eq!(view(&long).map(<[u8]>::len), Some(MAX_LINE));
    }

    #[test]
    fn prefixed_lines_parse_their_body() {
        let options = Options::default();
        let mut p = Parser::new(Format::parse("syslog+combined").unwrap(), &options, None);
        let line = b"Dec  1 19:32:10 web1 nginx: 10.0.0.1 - - [01/Dec/2026:19:32:10 +0000] \"GET / HTTP/1.1\" 200 5";
        assert_eq!(p.line(line), Line::Request(Client::V4(0x0a00_0001)));
        assert_eq!(p.line(b"10.0.0.1 - - [x] \"GET /\" 200 5"), Line::Malformed);
        let mut cri = Parser::new(Format::parse("cri+json").unwrap(), &options, None);
        assert_eq!(
            cri.line(b"2023-10-06T00:17:09.669794202Z stdout F {\"remote_addr\":\"::1\"}"),
            Line::Request(Client::Bytes(b"::1"))
        );
        let mut classic = Parser::new(Format::CLASSIC, &options, None);
        assert_eq!(
            classic.line(b"  223.104.3.7, 10.0.0.1 - - x"),
            Line::Request(Client::V4(0xdf68_0307))
        );
    }
}

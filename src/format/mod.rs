//! Log formats: where each line's client address stands, and whether a line is a request at all
//! (docs/contract.md §1, "Log formats").
//!
//! A [`Format`] is a body format (`combined`, `json`, `alb`, ...) with an optional prefix
//! (`cri+combined`, `syslog+json`). A [`Parser`] reads the lines of one file in one format and
//! says what each is ([`Line`]): a request and its [`Client`], a malformed line, or a directive
//! (W3C/CloudFront `#` lines). [`detect()`] chooses a file's format from its first lines.
//! [`Parser::timed_line`] says in the same pass when a request happened ([`Stamp`]).
//!
//! Parsers are pure and see one line at a time, without its `\n`, its last `\r`, or anything past
//! [`MAX_LINE`] bytes ([`view`]): a line is judged by its first 64 KiB, so a line cut across read
//! buffers is judged the same as one read whole.

mod aws;
mod client;
mod cursor;
mod custom;
mod detect;
mod envoy;
mod haproxy;
mod json;
mod ncsa;
mod prefix;
pub(crate) mod proxy;
mod query;
mod squid;
pub(crate) mod template;
mod time;
mod w3c;

use std::fmt;
use std::sync::Arc;

pub use client::Client;
pub(crate) use custom::{put_specs, read_specs};
pub use custom::{CustomRef, Customs, Spec};
pub(crate) use detect::{detect, Detection, CLIENT_FIELD, SAMPLE_MAX};
pub use json::{
    Fields as JsonFields, DEFAULT_FIELDS, FORWARDED_FIELDS, MAX_CLIENT_FIELDS, TIME_FIELDS,
};
/// The client of a bare `combined` line (the counting core's fast path; [`Parser::line`] gives
/// the same answer).
pub(crate) use ncsa::combined;
pub use proxy::Proxies;
pub use query::{Period, Query};
pub use template::Syntax;
pub use time::{
    checked_days, civil_from_days, days_from_civil, iso_year, parse_iso, parse_moment, parse_ncsa,
    utc_text, Dates, Stamp,
};

use time::When;
use w3c::{Flavor, W3cLine, W3cState};

/// The most bytes of a line a parser sees: a line is judged by its first 64 KiB (real servers
/// cap request lines and headers far below that: nginx at 8 KiB, Apache at 8,190 bytes).
pub(crate) const MAX_LINE: usize = 64 << 10;

/// Bytes that count as whitespace for blank lines: space, `\t`, `\r`, `\v`, `\f`.
#[inline]
pub(crate) const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// What a parser sees of a line (given without its `\n`): `None` for a blank line, else the line
/// without one trailing `\r`, cut at [`MAX_LINE`] bytes.
#[inline]
pub(crate) fn view(line: &[u8]) -> Option<&[u8]> {
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
    S3,
    Envoy,
    Squid,
    SslRequest,
    /// The original teaching example's rule: never detected, only named.
    Classic,
    /// A server's own format, from its template (`--log-format TEMPLATE`, `--server-config`).
    Custom(CustomRef),
}

impl Body {
    /// Every body format `auto` tries, in the contract's table order (which breaks ties).
    pub(crate) const DETECTED: [Body; 12] = [
        Body::Combined,
        Body::Vhost,
        Body::Json,
        Body::Alb,
        Body::Elb,
        Body::Cloudfront,
        Body::W3c,
        Body::Haproxy,
        Body::S3,
        Body::Envoy,
        Body::Squid,
        Body::SslRequest,
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
            Body::S3 => "s3",
            Body::Envoy => "envoy",
            Body::Squid => "squid",
            Body::SslRequest => "ssl_request",
            Body::Classic => "classic",
            Body::Custom(c) => c.name(),
        }
    }

    /// Every format a name can ask for (not the custom ones).
    pub fn all() -> impl Iterator<Item = Body> {
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

    /// Whether lines in this format carry a time at all (all but `classic` and templates
    /// without a time variable; see [`Parser::timed_line`]).
    pub fn has_time(self) -> bool {
        match self.body {
            Body::Classic => false,
            Body::Custom(c) => c.template().has_time(),
            _ => true,
        }
    }

    /// Every preset format `auto` tries, in the order that breaks ties: each body format in the
    /// table's order, bare before with a prefix.
    #[cfg(test)]
    pub(crate) fn candidates() -> impl Iterator<Item = Format> {
        Self::with_prefixes(Body::DETECTED.into_iter())
    }

    /// Every format `auto` tries with a run's custom formats: those first (a server's own
    /// formats win ties over the presets), then the presets; each bare, then with a prefix.
    pub(crate) fn candidates_with(customs: &Customs) -> impl Iterator<Item = Format> + '_ {
        Self::with_prefixes(customs.iter().map(Body::Custom).chain(Body::DETECTED))
    }

    /// Each body bare, then with each prefix.
    fn with_prefixes(bodies: impl Iterator<Item = Body>) -> impl Iterator<Item = Format> {
        bodies.flat_map(|body| {
            [None, Some(Prefix::Cri), Some(Prefix::Syslog)]
                .into_iter()
                .map(move |prefix| Format { prefix, body })
        })
    }

    /// The `#Fields:` directive `line` holds after this format's prefix, if it holds one (a
    /// job that starts mid-file in a W3C or CloudFront log is given the one in force there).
    pub(crate) fn fields_directive(self, line: &[u8]) -> Option<&[u8]> {
        let body = match self.prefix {
            None => line,
            Some(p) => p.strip(line)?,
        };
        w3c::is_fields_directive(body).then_some(body)
    }

    /// Parses a name: `combined`, `cri+combined`, `syslog+json`, ...
    pub(crate) fn parse(name: &str) -> Result<Format, String> {
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

    /// A one-byte code for wire messages and partial results: the presets' fixed, a custom
    /// format's by its place in the run's list (`customs`, which travels beside it).
    pub(crate) fn code(self, customs: &Customs) -> u8 {
        let body = match self.body {
            Body::Custom(c) => PRESETS + customs.position(c).expect("a format of the run"),
            body => Body::all().position(|b| b == body).expect("a body"),
        } as u8;
        let prefix = match self.prefix {
            None => 0,
            Some(Prefix::Cri) => 1,
            Some(Prefix::Syslog) => 2,
        };
        body * 3 + prefix
    }

    /// The inverse of [`Format::code`].
    pub(crate) fn from_code(code: u8, customs: &Customs) -> Option<Format> {
        let n = usize::from(code / 3);
        let body = match n.checked_sub(PRESETS) {
            None => Body::all().nth(n)?,
            Some(i) => Body::Custom(customs.get(i)?),
        };
        let prefix = match code % 3 {
            0 => None,
            1 => Some(Prefix::Cri),
            _ => Some(Prefix::Syslog),
        };
        (body != Body::Classic || prefix.is_none()).then_some(Format { prefix, body })
    }

    /// [`Format::code`] of a format that may be missing: no format (an input with no line to
    /// tell it by) is 0xff. Wire messages and partial results both write it so.
    pub(crate) fn opt_code(format: Option<Format>, customs: &Customs) -> u8 {
        format.map_or(NO_FORMAT_CODE, |f| f.code(customs))
    }

    /// The inverse of [`Format::opt_code`]; `None` for a code that names no format.
    pub(crate) fn from_opt_code(code: u8, customs: &Customs) -> Option<Option<Format>> {
        match code {
            NO_FORMAT_CODE => Some(None),
            code => Format::from_code(code, customs).map(Some),
        }
    }
}

/// [`Format::opt_code`] of no format.
const NO_FORMAT_CODE: u8 = 0xff;

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

/// How many preset body formats there are (the codes of custom formats come after theirs).
pub(super) const PRESETS: usize = Body::DETECTED.len() + 1;

/// The syntax and text of `--log-format VALUE` when it is a template, with its prefix:
/// `nginx:` or `apache:` name the syntax, else the first `$` or `%` tells; `cri+` or
/// `syslog+` before either names a prefix. `None` when `VALUE` is a format's name.
pub fn template_value(value: &str) -> Option<(Option<Prefix>, Syntax, &str)> {
    let (prefix, rest) = match value.split_once('+') {
        Some((p, rest)) => match Prefix::ALL.into_iter().find(|x| x.name() == p) {
            Some(prefix) => (Some(prefix), rest),
            None => (None, value),
        },
        None => (None, value),
    };
    if let Some(text) = rest.strip_prefix("nginx:") {
        return Some((prefix, Syntax::Nginx, text));
    }
    if let Some(text) = rest.strip_prefix("apache:") {
        return Some((prefix, Syntax::Apache, text));
    }
    match rest.find(['$', '%']) {
        Some(at) if rest.as_bytes()[at] == b'$' => Some((prefix, Syntax::Nginx, rest)),
        Some(_) => Some((prefix, Syntax::Apache, rest)),
        None => None,
    }
}

/// The name a `--log-format` template is reported by.
pub fn custom_name(syntax: Syntax) -> &'static str {
    match syntax {
        Syntax::Nginx => "nginx:custom",
        Syntax::Apache => "apache:custom",
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
    pub(crate) fn code(self, customs: &Customs) -> u8 {
        match self {
            Choice::Auto => AUTO_CODE,
            Choice::Named(f) => f.code(customs),
        }
    }

    /// The inverse of [`Choice::code`].
    pub(crate) fn from_code(code: u8, customs: &Customs) -> Option<Choice> {
        match code {
            AUTO_CODE => Some(Choice::Auto),
            c => Format::from_code(c, customs).map(Choice::Named),
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

/// What counting needs besides the format: where JSON lines keep the client, the run's own
/// formats, the proxies it trusts, and what it asks of each request besides its client
/// ([`Query`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub json: Arc<JsonFields>,
    /// `--log-format TEMPLATE`, or the formats of `--server-config` files.
    pub customs: Customs,
    /// `--trusted-proxy`.
    pub proxies: Arc<Proxies>,
    pub query: Query,
    /// `--show-malformed N`: each file's first N malformed lines are kept (0: none).
    pub show_malformed: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            json: Arc::new(JsonFields::default()),
            customs: Customs::default(),
            proxies: Arc::new(Proxies::default()),
            query: Query::default(),
            show_malformed: 0,
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
pub(crate) struct Parser {
    format: Format,
    w3c: Option<W3cState>,
    json: Arc<JsonFields>,
    proxies: Arc<Proxies>,
    scratch: Vec<u8>,
}

impl Parser {
    /// A parser for `format`; `fields` is the `#Fields:` directive in force where a job that
    /// starts mid-file starts (W3C and CloudFront only).
    pub(crate) fn new(format: Format, options: &Options, fields: Option<&[u8]>) -> Parser {
        let w3c = match format.body {
            Body::W3c => Some(W3cState::new(
                Flavor::W3c,
                fields,
                Arc::clone(&options.proxies),
            )),
            Body::Cloudfront => Some(W3cState::new(
                Flavor::Cloudfront,
                fields,
                Arc::clone(&options.proxies),
            )),
            _ => None,
        };
        let json = if options.proxies.is_empty() {
            Arc::clone(&options.json)
        } else {
            Arc::new(options.json.with_forwarded())
        };
        Parser {
            format,
            w3c,
            json,
            proxies: Arc::clone(&options.proxies),
            scratch: Vec::new(),
        }
    }

    /// Whether this parser walks forwarded chains (`--trusted-proxy`): then no format has a
    /// loop of its own in the counting core.
    pub(crate) fn walks_chains(&self) -> bool {
        !self.proxies.is_empty()
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// What `line` is; `line` is a [`view`] (not blank, no `\r`, at most [`MAX_LINE`] bytes).
    #[inline]
    pub(crate) fn line<'a>(&'a mut self, line: &'a [u8]) -> Line<'a> {
        let body = match self.format.prefix {
            None => line,
            Some(p) => match p.strip(line) {
                Some(body) => body,
                None => return Line::Malformed,
            },
        };
        let walk = !self.proxies.is_empty();
        let client = match self.format.body {
            Body::Combined if walk => {
                ncsa::combined_chain(body).map(|(c, _)| c.client(&self.proxies))
            }
            Body::Vhost if walk => ncsa::vhost_chain(body).map(|(c, _)| c.client(&self.proxies)),
            Body::Combined => ncsa::combined(body),
            Body::Vhost => ncsa::vhost(body),
            Body::Json => json::client(body, &self.json, &mut self.scratch)
                .map(|picked| json_client(picked, &self.proxies)),
            Body::Custom(c) => c
                .template()
                .parts(body)
                .map(|parts| custom_client(c, parts, &self.proxies)),
            Body::Alb => aws::alb(body),
            Body::Elb => aws::elb(body),
            Body::Haproxy => haproxy::haproxy(body),
            Body::S3 => aws::s3(body),
            Body::Envoy => envoy::envoy_chain(body).map(|(c, _)| c.client(&self.proxies)),
            Body::Squid => squid::squid(body),
            Body::SslRequest => ncsa::ssl_request(body),
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

    /// What `line` is, and when it happened: for a request, its time (None when the time cannot
    /// be read: the caller then counts the line as malformed); for a malformed line, its time
    /// where the format can still find one (best effort: e.g. the NCSA bracket after the first
    /// `[`), else None; None for directives/comments. The line is always what [`Parser::line`]
    /// says it is.
    ///
    /// Where the time is: `combined`, `vhost` — `[TIME]`, NCSA; `json` — the first top-level
    /// field of [`TIME_FIELDS`] with a string value (ISO 8601, NCSA, or Unix time as digits) or
    /// a number (Unix time); `alb` — field 2 and `elb` — field 1, ISO 8601; `w3c`, `cloudfront`
    /// — the `date` and `time` columns in force, UTC; `haproxy` — the accept date, NCSA without
    /// an offset (none in the default format); `s3`, `ssl_request` — `[TIME]`, NCSA; `envoy`
    /// — `[START_TIME]`, ISO 8601; `squid` — the first field, Unix seconds; `classic` — never.
    /// Behind a `cri` prefix, the body's time, or where the body carries none (a JSON line
    /// without a time field, W3C columns without `date` and `time`, HAProxy's default format)
    /// the prefix's; behind `syslog`, the body's only (RFC 3164 writes no year). A body time that
    /// is there but does not read is None, never replaced by the prefix's.
    pub(crate) fn timed_line<'a>(&'a mut self, line: &'a [u8]) -> (Line<'a>, Option<Stamp>) {
        let (body, outer) = match self.format.prefix {
            None => (line, When::Absent),
            Some(Prefix::Cri) => match prefix::cri_parts(line) {
                Some((time, body)) => (body, When::read(parse_iso(time))),
                None => return (Line::Malformed, None),
            },
            Some(Prefix::Syslog) => match prefix::syslog(line) {
                Some(body) => (body, When::Absent),
                None => return (Line::Malformed, None),
            },
        };
        let walk = !self.proxies.is_empty();
        let (client, when) = match self.format.body {
            Body::Combined if walk => {
                ncsa::chain_timed(ncsa::combined_chain(body), body, &self.proxies)
            }
            Body::Vhost if walk => ncsa::chain_timed(ncsa::vhost_chain(body), body, &self.proxies),
            Body::Combined => ncsa::combined_timed(body),
            Body::Vhost => ncsa::vhost_timed(body),
            Body::Json => {
                let (client, when) = json::timed(body, &self.json, &mut self.scratch);
                (
                    client.map(|picked| json_client(picked, &self.proxies)),
                    when,
                )
            }
            Body::Custom(c) => match c.template().parts(body) {
                Some(parts) => (
                    Some(custom_client(c, parts, &self.proxies)),
                    match parts.time {
                        Some(t) => When::read(c.template().stamp(t)),
                        None => When::Absent,
                    },
                ),
                None => (None, When::Absent),
            },
            Body::Alb => aws::alb_timed(body),
            Body::Elb => aws::elb_timed(body),
            Body::Haproxy => haproxy::haproxy_timed(body),
            Body::S3 => aws::s3_timed(body),
            Body::Envoy => {
                let parts = envoy::envoy_chain(body);
                (
                    parts.map(|(c, _)| c.client(&self.proxies)),
                    envoy::envoy_when(parts.map(|(_, time)| time), body),
                )
            }
            Body::Squid => squid::squid_timed(body),
            Body::SslRequest => ncsa::ssl_request_timed(body),
            Body::Cloudfront | Body::W3c => {
                let state = self.w3c.as_mut().expect("a W3C state for W3C formats");
                let (line, when) = state.timed_line(body);
                let line = match line {
                    W3cLine::Request(c) => Line::Request(c),
                    W3cLine::Directive => return (Line::Directive, None),
                    W3cLine::Comment => return (Line::Comment, None),
                    W3cLine::Malformed => Line::Malformed,
                };
                return (line, when_or(when, outer));
            }
            Body::Classic => return (Line::Request(classic(body)), None),
        };
        let line = match client {
            Some(c) => Line::Request(c),
            None => Line::Malformed,
        };
        (line, when_or(when, outer))
    }
}

/// The client of a JSON line: its client field, or under `--trusted-proxy` the chain of its
/// forwarded header's entries then that field.
#[inline]
fn json_client<'a>(picked: json::Picked<'a>, proxies: &Proxies) -> Client<'a> {
    match picked.forwarded {
        Some(forwarded) if !proxies.is_empty() => {
            proxies.walk_client(forwarded, Some(picked.client))
        }
        _ => client::client(picked.client),
    }
}

/// The client of a line in a custom format: the peer (under `--trusted-proxy`, the chain of
/// the forwarded variable's entries then the peer), or the variable `--client-field` names,
/// a list whose first entry is the client (under `--trusted-proxy`, walked as a chain).
#[inline]
fn custom_client<'a>(c: CustomRef, parts: template::Parts<'a>, proxies: &Proxies) -> Client<'a> {
    if c.client_is_peer() {
        match (parts.forwarded, parts.v4) {
            (Some(forwarded), _) if !proxies.is_empty() => {
                proxies.walk_client(forwarded, Some(parts.client))
            }
            (_, Some(v4)) => Client::V4(v4),
            _ => client::client(parts.client),
        }
    } else if proxies.is_empty() {
        proxy::first(parts.client, None).map_or(Client::Absent, client::client)
    } else {
        proxies.walk_client(parts.client, None)
    }
}

/// The body's time, or where the body carries none the prefix's.
#[inline]
fn when_or(body: When, prefix: When) -> Option<Stamp> {
    match body {
        When::Absent => prefix.stamp(),
        body => body.stamp(),
    }
}

/// [`Parser::timed_line`] of a bare `combined` line (the same answer), for the counting core's
/// own loop, as [`combined`] is: inlined there, with the day of the last date kept in `dates`.
#[inline]
pub fn combined_timed<'a>(line: &'a [u8], dates: &mut Dates) -> (Line<'a>, Option<Stamp>) {
    match ncsa::combined_parts(line) {
        Some((client, time)) => (Line::Request(client), time::parse_ncsa_with(time, dates)),
        None => (Line::Malformed, time::first_bracketed_ncsa(line)),
    }
}

/// The classic rule on a whole line: after leading whitespace, the longest prefix without space,
/// `\t` or `,` (the counting core applies the same rule as it streams, without this function).
pub(crate) fn classic(line: &[u8]) -> Client<'_> {
    let start = line
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(line.len());
    let rest = &line[start..];
    let end = rest
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b','))
        .unwrap_or(rest.len());
    client::literal(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        let none = Customs::default();
        for body in Body::all() {
            for prefix in [None, Some(Prefix::Cri), Some(Prefix::Syslog)] {
                let f = Format { prefix, body };
                if body == Body::Classic && prefix.is_some() {
                    assert!(Format::parse(&f.to_string()).is_err());
                    assert_eq!(Format::from_code(f.code(&none), &none), None);
                    continue;
                }
                assert_eq!(Format::parse(&f.to_string()), Ok(f));
                assert_eq!(Format::from_code(f.code(&none), &none), Some(f));
            }
        }
        assert_eq!(Choice::parse("auto"), Ok(Choice::Auto));
        assert!(Format::parse("nginx")
            .unwrap_err()
            .contains("known: auto, combined"));
        assert!(Format::parse("k8s+combined").is_err());
        assert_eq!(Format::candidates().count(), 36);
        assert_eq!(
            Format::candidates().next(),
            Some(Format::plain(Body::Combined))
        );
    }

    #[test]
    fn as_many_custom_formats_as_a_run_may_have_each_get_codes_of_their_own() {
        let spec = |i: usize| custom::Spec {
            name: format!("nginx:f{i}"),
            syntax: template::Syntax::Nginx,
            text: format!("$remote_addr f{i} $status"),
            client_field: None,
        };
        let customs = Customs::from_specs((0..Customs::MAX).map(spec)).unwrap();
        let mut codes = std::collections::HashSet::new();
        for c in customs.iter() {
            for prefix in [None, Some(Prefix::Cri), Some(Prefix::Syslog)] {
                let f = Format {
                    prefix,
                    body: Body::Custom(c),
                };
                let code = f.code(&customs);
                assert_ne!(code, AUTO_CODE, "{f}");
                assert!(codes.insert(code), "{f}: {code} twice");
                assert_eq!(Format::from_code(code, &customs), Some(f));
            }
        }
        assert!(Customs::from_specs((0..=Customs::MAX).map(spec)).is_err());
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

#[cfg(test)]
mod time_tests {
    use super::*;
    use proptest::prelude::*;

    /// What a line is, owned: its client, `!` malformed, `#` a directive, `c` a comment.
    fn show(line: Line<'_>) -> String {
        match line {
            Line::Request(c) => String::from_utf8_lossy(&c.to_vec()).into_owned(),
            Line::Malformed => "!".into(),
            Line::Directive => "#".into(),
            Line::Comment => "c".into(),
        }
    }

    /// Reads `lines` as one file in `format`, with `line` and with `timed_line` (two parsers,
    /// so that W3C state moves alike): each line must be `want` (as [`show`] writes it) both
    /// ways, and have the time `at` (ISO text as written, with its offset).
    fn check(format: &str, lines: &[(&[u8], &str, Option<&str>)]) {
        check_with(format, &Options::default(), lines);
    }

    fn check_with(format: &str, options: &Options, lines: &[(&[u8], &str, Option<&str>)]) {
        let format = Format::parse(format).unwrap();
        let mut plain = Parser::new(format, options, None);
        let mut timed = Parser::new(format, options, None);
        for &(line, want, at) in lines {
            let shown = String::from_utf8_lossy(line);
            let (kind, stamp) = timed.timed_line(line);
            let kind = show(kind);
            assert_eq!(kind, show(plain.line(line)), "{format}: {shown}");
            assert_eq!(kind, want, "{format}: {shown}");
            let at = at.map(|t| parse_iso(t.as_bytes()).expect("a test time"));
            assert_eq!(stamp, at, "{format}: {shown}");
        }
    }

    #[test]
    fn combined_and_vhost_times_are_the_bracket() {
        check(
            "combined",
            &[
                // nginx's default layout (the fast path), Apache's with a user (the general one)
                (
                    b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"",
                    "203.0.113.9",
                    Some("2021-03-22T10:01:02+08:00"),
                ),
                (
                    b"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
                    "127.0.0.1",
                    Some("2000-10-10T13:55:36-07:00"),
                ),
                (
                    b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0530] \"GET /a\\\"b HTTP/1.1\" 200 1",
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02+05:30"),
                ),
                (
                    b"[2001:db8::2] - - [06/Feb/2009:12:14:14.655 +0000] \"GET /\" 200 1",
                    "2001:db8::2",
                    Some("2009-02-06T12:14:14Z"),
                ),
                (
                    b"1.2.3.4 - - [29/Feb/2000:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
                    "1.2.3.4",
                    Some("2000-02-29T00:00:00Z"),
                ),
                (
                    b"1.2.3.4 - - [31/Dec/2016:23:59:60 +0000] \"GET / HTTP/1.1\" 200 1",
                    "1.2.3.4",
                    Some("2017-01-01T00:00:00Z"),
                ),
                // requests whose time does not read
                (b"1.2.3.4 - - [29/Feb/1900:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/Foo/2021:10:01:02 +0000] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/mar/2021:10:01:02 +0000] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [30/Feb/2021:10:01:02 +0000] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/Mar/2021:24:00:00 +0000] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +2400] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +08:00] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                (b"1.2.3.4 - - [22/Mar/2021:10:01:02] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", Some("2021-03-22T10:01:02Z")),
                (b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1", "1.2.3.4", None),
                // malformed lines: the bracket where there is one
                (
                    b"1.2.3.4 - - [22/Mar/2021:10:01:02 -0700] \"GET / HTTP/1.1\" 20 1",
                    "!",
                    Some("2021-03-22T10:01:02-07:00"),
                ),
                (b"1.2.3.4 - - 22/Mar/2021:10:01:02 -0700] \"GET /\" 200 1", "!", None),
                (b"1.2.3.4 - - [22/Mar/2021:10:01:02 -0700 \"GET /\" 200 1", "!", None),
                (b" \"curl/7.54.0\"", "!", None),
            ],
        );
        check(
            "vhost",
            &[
                (
                    b"example.com:80 1.2.3.4 - - [22/Mar/2021:10:01:02 -0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"",
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02-07:00"),
                ),
                (
                    b"example.com:80 1.2.3.4 - bob [22/Mar/2021:10:01:02 +0530] \"GET / HTTP/1.1\" 200 1",
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02+05:30"),
                ),
                (b"example.com:80 1.2.3.4 - - [32/Mar/2021:10:01:02 -0700] \"GET /\" 200 1", "1.2.3.4", None),
                (
                    b"1.2.3.4 - - [22/Mar/2021:10:01:02 -0700] \"GET / HTTP/1.1\" 200 1",
                    "!",
                    Some("2021-03-22T10:01:02-07:00"),
                ),
            ],
        );
    }

    #[test]
    fn json_times_are_the_first_time_field() {
        check(
            "json",
            &[
                (
                    br#"{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"203.0.113.9","request":"GET / HTTP/1.1","status":"200"}"#,
                    "203.0.113.9",
                    Some("2000-10-10T13:55:36-07:00"),
                ),
                // Caddy: Unix seconds as a number
                (
                    br#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","request":{"remote_ip":"10.0.0.9","client_ip":"203.0.113.7"},"status":200}"#,
                    "203.0.113.7",
                    Some("2022-03-09T21:30:01Z"),
                ),
                (
                    br#"{"timestamp":1646861401524,"remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    Some("2022-03-09T21:30:01Z"),
                ),
                (
                    br#"{"ts":"1646861401","remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    Some("2022-03-09T21:30:01Z"),
                ),
                // Cloudflare: Unix nanoseconds; Akamai: seconds with a fraction, as text
                (
                    br#"{"ClientIP":"203.0.113.6","EdgeStartTimestamp":1646861401524102400}"#,
                    "203.0.113.6",
                    Some("2022-03-09T21:30:01Z"),
                ),
                (
                    br#"{"cliIP":"203.0.113.23","reqTimeSec":"1646861401.524"}"#,
                    "203.0.113.23",
                    Some("2022-03-09T21:30:01Z"),
                ),
                // the list's order decides, not the line's
                (
                    br#"{"ts":1646861401,"remote_addr":"1.2.3.4","time":"2021-03-22T10:01:02+08:00"}"#,
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02+08:00"),
                ),
                (
                    br#"{"StartLocal":"2021-03-22T10:01:02.123456789+05:30","StartUTC":"2021-03-22T04:31:02.123456789Z","ClientHost":"192.168.1.5"}"#,
                    "192.168.1.5",
                    Some("2021-03-22T04:31:02Z"),
                ),
                (
                    br#"{"@timestamp":"2021-03-22 10:01:02-0700","client_ip":"1.2.3.4"}"#,
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02-07:00"),
                ),
                // escapes are decoded first
                (
                    br#"{"time_local":"10\/Oct\/2000:13:55:36 -0700","remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    Some("2000-10-10T13:55:36-07:00"),
                ),
                // a value that is neither string nor number is no time
                (
                    br#"{"time":null,"timestamp":"2021-03-22T10:01:02Z","remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    Some("2021-03-22T10:01:02Z"),
                ),
                // no time field at the top level
                (br#"{"remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                (
                    br#"{"request":{"time":"2021-03-22T10:01:02Z"},"remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    None,
                ),
                (br#"{"Time":"2021-03-22T10:01:02Z","remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                // the first time field decides, even when it does not read
                (
                    br#"{"time":"yesterday","timestamp":"2021-03-22T10:01:02Z","remote_addr":"1.2.3.4"}"#,
                    "1.2.3.4",
                    None,
                ),
                (br#"{"time":"2021-02-30T10:01:02Z","remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                (br#"{"time":"2021-03-22T10:01:02+24:00","remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                (br#"{"ts":-1646861401,"remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                (br#"{"ts":1.6e9,"remote_addr":"1.2.3.4"}"#, "1.2.3.4", None),
                // malformed: a well-formed object keeps its time; anything else has none
                (br#"{"time":"2021-03-22T10:01:02Z","msg":"started"}"#, "!", Some("2021-03-22T10:01:02Z")),
                (br#"{"time":"2021-03-22T10:01:02Z","remote_addr":"1.2.3.4""#, "!", None),
                (br#"{"time":"2021-03-22T10:01:02Z","remote_addr":"1.2.3.4",}"#, "!", None),
            ],
        );
        // The time field may be the client field too.
        let options = Options {
            json: Arc::new(JsonFields::parse("time").unwrap()),
            ..Options::default()
        };
        check_with(
            "json",
            &options,
            &[(
                br#"{"time":"2021-03-22T10:01:02Z"}"#,
                "2021-03-22T10:01:02Z",
                Some("2021-03-22T10:01:02Z"),
            )],
        );
    }

    #[test]
    fn load_balancer_times_are_iso() {
        check(
            "alb",
            &[
                (
                    b"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - -",
                    "192.168.131.39",
                    Some("2018-07-02T22:23:00Z"),
                ),
                (
                    b"h2 2018-07-02T22:23:00+05:30 app/lb/50dc [2001:db8::1]:443 - -1 -1 -1 460 - 34 0 \"GET https://x:443/ HTTP/2.0\" \"ua\"",
                    "2001:db8::1",
                    Some("2018-07-02T22:23:00+05:30"),
                ),
                (
                    b"http 2018-02-30T22:23:00.186641Z app/lb/50dc 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET / HTTP/1.1\" \"ua\"",
                    "192.168.131.39",
                    None,
                ),
                (
                    b"http 2018-07-02T24:23:00Z app/lb/50dc 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET / HTTP/1.1\" \"ua\"",
                    "192.168.131.39",
                    None,
                ),
                (
                    b"http 2018-07-02T22:23:00.186641Z app/lb/50dc 192.168.131.39 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET / HTTP/1.1\" \"ua\"",
                    "!",
                    Some("2018-07-02T22:23:00Z"),
                ),
                (b"http", "!", None),
            ],
        );
        check(
            "elb",
            &[
                (
                    b"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -",
                    "192.168.131.39",
                    Some("2015-05-13T23:39:43Z"),
                ),
                (
                    b"2015-05-13T23:39:43-0700 my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET / HTTP/1.1\" \"ua\"",
                    "192.168.131.39",
                    Some("2015-05-13T23:39:43-07:00"),
                ),
                (
                    b"2015-05-13T23:39:43+2400 my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET / HTTP/1.1\" \"ua\"",
                    "192.168.131.39",
                    None,
                ),
                (b"2015-05-13T23:39:43Z my-loadbalancer", "!", Some("2015-05-13T23:39:43Z")),
            ],
        );
    }

    #[test]
    fn w3c_times_are_the_date_and_time_columns() {
        check(
            "w3c",
            &[
                // before any `#Fields:`, no IIS default fits: malformed, at its date and time
                (
                    b"2021-03-22 10:01:02 203.0.113.9 GET",
                    "!",
                    Some("2021-03-22T10:01:02Z"),
                ),
                // IIS 8.5's default fields
                (
                    b"2021-03-22 10:01:03 10.0.0.1 GET /p - 80 - 203.0.113.8 Mozilla/5.0+(X11) - 200 0 0 15",
                    "203.0.113.8",
                    Some("2021-03-22T10:01:03Z"),
                ),
                (
                    b"#Software: Microsoft Internet Information Services 10.0",
                    "#",
                    None,
                ),
                (
                    b"#Fields: date time s-ip cs-method c-ip sc-status",
                    "#",
                    None,
                ),
                (
                    b"2021-03-22 10:01:02 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    Some("2021-03-22T10:01:02Z"),
                ),
                (
                    b"2021-03-22 10:01:02.123 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    Some("2021-03-22T10:01:02Z"),
                ),
                (
                    b"2024-02-29 23:59:59 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    Some("2024-02-29T23:59:59Z"),
                ),
                (
                    b"2021-02-29 10:01:02 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    None,
                ),
                (
                    b"2021-03-22 24:01:02 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    None,
                ),
                (
                    b"2021-13-22 10:01:02 10.0.0.1 GET 203.0.113.9 200",
                    "203.0.113.9",
                    None,
                ),
                (
                    b"2021-03-22 10:01:02 10.0.0.1 GET 203.0.113.9",
                    "!",
                    Some("2021-03-22T10:01:02Z"),
                ),
                (b"# a comment", "c", None),
                (b"#Fields: time c-ip cs-method date", "#", None),
                (
                    b"10:01:02 198.51.100.2 GET 2021-03-23",
                    "198.51.100.2",
                    Some("2021-03-23T10:01:02Z"),
                ),
                (b"#Fields: c-ip cs-method", "#", None),
                (b"198.51.100.2 GET", "198.51.100.2", None),
                (b"#Fields: c-ip time", "#", None),
                (b"198.51.100.2 10:01:02", "198.51.100.2", None),
            ],
        );
        check(
            "cloudfront",
            &[
                (
                    b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET",
                    "192.0.2.100",
                    Some("2019-12-04T21:02:31Z"),
                ),
                (b"#Version: 1.0", "#", None),
                (
                    b"#Fields: date time x-edge-location sc-bytes c-ip cs-method",
                    "#",
                    None,
                ),
                (
                    b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET",
                    "192.0.2.100",
                    Some("2019-12-04T21:02:31Z"),
                ),
                (
                    b"2019-12-32\t21:02:31\tLAX1\t392\t192.0.2.100\tGET",
                    "192.0.2.100",
                    None,
                ),
                (
                    b"2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100",
                    "!",
                    Some("2019-12-04T21:02:31Z"),
                ),
                // no tab: runs of spaces separate the columns
                (
                    b"2019-12-04 21:02:31 LAX1 392 192.0.2.100 GET",
                    "192.0.2.100",
                    Some("2019-12-04T21:02:31Z"),
                ),
                (
                    b"2019-12-04 21:02:31 LAX1 392",
                    "!",
                    Some("2019-12-04T21:02:31Z"),
                ),
            ],
        );
    }

    #[test]
    fn the_long_tails_presets_have_their_times() {
        check(
            "s3",
            &[
                (
                    b"79a59df900b949e5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e5 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" -",
                    "192.0.2.3",
                    Some("2019-02-06T00:00:38Z"),
                ),
                // S3's own operation: a request without a client, at its time
                (
                    b"79a59df900b949e5 awsexamplebucket1 [06/Feb/2019:00:01:00 +0000] - AmazonS3 89CE5EXAMPLE S3.EXPIRE.OBJECT photos/puppy.jpg \"-\" - - - - - - - - -",
                    "",
                    Some("2019-02-06T00:01:00Z"),
                ),
            ],
        );
        check(
            "envoy",
            &[
                (
                    b"[2016-04-15T20:17:00.310Z] \"POST /api/v1/locations HTTP/2\" 204 - 154 0 226 100 \"10.0.35.28\" \"nsq2http\" \"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2\" \"locations\" \"tcp://10.0.2.1:80\"",
                    "10.0.35.28",
                    Some("2016-04-15T20:17:00Z"),
                ),
                // not a request: the time in its leading bracket, best effort
                (b"[2016-04-15T20:17:01.000Z] envoy started", "!", Some("2016-04-15T20:17:01Z")),
            ],
        );
        check(
            "squid",
            &[(
                b"1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
                "192.168.0.224",
                Some("2010-10-08T11:11:48Z"),
            )],
        );
        check(
            "ssl_request",
            &[(
                b"[06/Feb/2019:00:00:38 -0800] 192.0.2.3 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 \"GET / HTTP/1.1\" 612",
                "192.0.2.3",
                Some("2019-02-06T00:00:38-08:00"),
            )],
        );
    }

    #[test]
    fn haproxy_times_are_the_accept_date() {
        check(
            "haproxy",
            &[
                (
                    b"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"",
                    "10.0.1.2",
                    Some("2009-02-06T12:14:14Z"),
                ),
                (
                    b"[2001:db8::5]:40000 [06/Feb/2009:12:14:14.655] https-in~ app/- 0/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
                    "2001:db8::5",
                    Some("2009-02-06T12:14:14Z"),
                ),
                (
                    b"10.0.1.2:33317 [29/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750",
                    "10.0.1.2",
                    None,
                ),
                (
                    b"10.0.1.2:33317 [06/Feb/2009:12:14:14.] http-in static/srv1 10/0/30/69/109 200 2750",
                    "10.0.1.2",
                    None,
                ),
                // a TCP connection (`option tcplog`) is a request, at its accept date
                (
                    b"Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0",
                    "10.0.1.2",
                    Some("2009-02-06T12:12:51Z"),
                ),
                // the default format carries no time
                (
                    b"Feb  6 12:12:09 localhost haproxy[14385]: Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)",
                    "10.0.1.2",
                    None,
                ),
                // not a request, and no time
                (b"haproxy[14385]: Proxy www started.", "!", None),
            ],
        );
    }

    #[test]
    fn prefixed_lines_take_the_body_time_first() {
        check(
            "cri+combined",
            &[
                (
                    b"2023-10-06T00:17:09.669794202Z stdout F 10.0.0.1 - - [06/Oct/2023:05:47:09 +0530] \"GET / HTTP/1.1\" 200 5",
                    "10.0.0.1",
                    Some("2023-10-06T05:47:09+05:30"),
                ),
                // a body time that does not read is not replaced
                (b"2023-10-06T00:17:09Z stdout F 10.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 5", "10.0.0.1", None),
                (b"2023-10-06T00:17:09Z stdout F partial line", "!", Some("2023-10-06T00:17:09Z")),
                (b"2023-10-06T00:17:09Z stdout X 10.0.0.1 - - [x] \"GET /\" 200 5", "!", None),
            ],
        );
        check(
            "cri+json",
            &[
                (
                    b"2023-10-06T00:17:09.669794202Z stdout F {\"remote_addr\":\"::1\"}",
                    "::1",
                    Some("2023-10-06T00:17:09Z"),
                ),
                (
                    b"2023-10-06T00:17:09.669794202Z stdout F {\"remote_addr\":\"::1\",\"time\":\"2023-10-06T08:17:09+08:00\"}",
                    "::1",
                    Some("2023-10-06T08:17:09+08:00"),
                ),
                (
                    b"2023-10-06T00:17:09.669794202Z stdout F {\"remote_addr\":\"::1\",\"time\":\"soon\"}",
                    "::1",
                    None,
                ),
                (b"2023-02-30T00:17:09Z stdout F {\"remote_addr\":\"::1\"}", "::1", None),
            ],
        );
        check(
            "syslog+combined",
            &[
                (
                    b"Dec  1 19:32:10 web1 nginx: 10.0.0.1 - - [01/Dec/2026:19:32:10 -0700] \"GET / HTTP/1.1\" 200 5",
                    "10.0.0.1",
                    Some("2026-12-01T19:32:10-07:00"),
                ),
                (b"Dec  1 19:32:10 web1 nginx: oops", "!", None),
                (b"not syslog [01/Dec/2026:19:32:10 -0700]", "!", None),
            ],
        );
        check(
            "syslog+json",
            &[(
                b"<190>Dec 11 09:02:10 web1 nginx[123]: {\"remote_addr\":\"1.2.3.4\"}",
                "1.2.3.4",
                None,
            )],
        );
    }

    #[test]
    fn classic_lines_carry_no_time() {
        check(
            "classic",
            &[(
                b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /\" 200 1",
                "1.2.3.4",
                None,
            )],
        );
        for f in Format::candidates() {
            assert!(f.has_time(), "{f}");
        }
        assert!(!Format::CLASSIC.has_time());
    }

    /// Lines built from pieces of every format, so random inputs reach deep into the parsers.
    fn awkward_line() -> impl Strategy<Value = Vec<u8>> {
        const PIECES: &[&[u8]] = &[
            b"1.2.3.4",
            b"10.0.1.2:33317",
            b" - - [",
            b"10/Oct/2000:13:55:36 -0700",
            b"29/Feb/1900:13:55:36 +2400",
            b"06/Feb/2009:12:14:14.655",
            b"2021-03-22T10:01:02.5+08:00",
            b"2021-03-22",
            b"10:01:02",
            b"2023-10-06T00:17:09.669794202Z stdout F ",
            b"Dec  1 19:32:10 web1 nginx: ",
            b"] \"GET / HTTP/1.1\" 200 1",
            b"http ",
            b" app/lb 1.2.3.4:5 - 0 0 0 200 200 1 1 \"GET /\"",
            b" fe be/srv 1/2/3 200 12",
            b"#Fields: date time c-ip x-edge-location",
            b"{\"time\":",
            b"{\"ts\":1646861401.5,",
            b"\"remote_addr\":\"1.2.3.4\"}",
            b"1646861401524",
            b"\\u00",
            b"[",
            b"]",
            b"\"",
            b" ",
            b"\t",
            b".",
            b":",
            b"\xff",
        ];
        let piece = proptest::sample::select(PIECES);
        let bytes = proptest::collection::vec(any::<u8>(), 0..4);
        let part = prop_oneof![piece.prop_map(<[u8]>::to_vec), bytes];
        proptest::collection::vec(part, 0..12).prop_map(|p| p.concat())
    }

    fn every_format() -> Vec<Format> {
        Format::candidates().chain([Format::CLASSIC]).collect()
    }

    proptest! {
        #[test]
        fn timed_lines_never_panic_and_agree_with_line(
            lines in proptest::collection::vec(awkward_line(), 1..6),
        ) {
            let options = Options::default();
            for format in every_format() {
                let mut plain = Parser::new(format, &options, None);
                let mut timed = Parser::new(format, &options, None);
                for line in &lines {
                    let Some(line) = view(line) else { continue };
                    let (kind, stamp) = timed.timed_line(line);
                    let kind = show(kind);
                    prop_assert_eq!(&kind, &show(plain.line(line)));
                    if !format.has_time() || kind == "#" || kind == "c" {
                        prop_assert_eq!(stamp, None);
                    }
                }
            }
        }

        #[test]
        fn the_core_s_combined_loop_agrees_with_timed_line(
            lines in proptest::collection::vec(awkward_line(), 1..8),
        ) {
            // One `Dates` across the lines, as the counting loop keeps it.
            let mut dates = Dates::default();
            let mut parser = Parser::new(Format::plain(Body::Combined), &Options::default(), None);
            for line in &lines {
                let Some(line) = view(line) else { continue };
                let (kind, stamp) = combined_timed(line, &mut dates);
                let kind = show(kind);
                let (want, want_stamp) = parser.timed_line(line);
                prop_assert_eq!(kind, show(want));
                prop_assert_eq!(stamp, want_stamp);
            }
        }

        #[test]
        fn random_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 1..80)) {
            let options = Options::default();
            for format in every_format() {
                let mut p = Parser::new(format, &options, None);
                if let Some(line) = view(&line) {
                    let _ = p.timed_line(line);
                }
            }
        }
    }
}

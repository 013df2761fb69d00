//! A web server's own access-log format string, compiled once into a matcher: nginx
//! `log_format` syntax (`$remote_addr - $remote_user [$time_local] "$request" ...`) or Apache
//! `LogFormat` syntax (`%h %l %u %t \"%r\" %>s %b ...`).
//!
//! A line is a request when it is the template's literal text, in order, with each variable's
//! value between. A value ends where the literal text after it starts (its first occurrence at
//! or after the value's start), except that a `"` escaped as servers escape it (a `"` after an
//! odd number of backslashes) does not end a value whose literal starts with `"`. The leading
//! literal matches at the line's start; a template ending in a variable gives it the rest of the
//! line; trailing ASCII whitespace of the line (and of the template) is ignored. Typed values
//! (the status, byte counts, a peer-address client) must look like their type.
//!
//! [`Template::parts`] gives a line's client, X-Forwarded-For and time values as raw bytes; no
//! allocation or regex per line: each literal's finder is built at compile time.

use std::fmt;

use memchr::memmem;

use super::time::{checked_days, parse_iso, parse_ncsa, parse_unix, Stamp};
use crate::keys::{leading_v4, parse_v4};

/// Which server's format-string syntax a template is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    Nginx,
    Apache,
}

/// Why a template does not compile, and where in the text given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the text given (a leading `nginx:`/`apache:` tag included).
    pub at: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {} of the template)", self.message, self.at)
    }
}

impl std::error::Error for TemplateError {}

fn error(at: usize, message: impl Into<String>) -> TemplateError {
    TemplateError {
        at,
        message: message.into(),
    }
}

/// What a line's time value is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// `10/Oct/2000:13:55:36 -0700` (nginx `$time_local`, Apache `%t` inside its brackets).
    Ncsa,
    /// ISO 8601 (nginx `$time_iso8601`).
    Iso8601,
    /// Unix seconds with a fraction, `1700000000.123` (nginx `$msec`).
    UnixFraction,
    /// Whole Unix seconds (Apache `%{sec}t`).
    UnixSeconds,
    /// Unix milliseconds (Apache `%{msec}t`).
    UnixMillis,
    /// Unix microseconds (Apache `%{usec}t`).
    UnixMicros,
    /// An strftime format (Apache `%{%d/%b/%Y %T}t`), read strictly; offset 0 without `%z`.
    Strftime,
}

/// The values of one line: raw bytes as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The client variable's value (`-` is written for "no client"; a peer variable's value is
    /// never empty).
    pub client: &'a [u8],
    /// The X-Forwarded-For variable's value, when the template has one and the client is a peer
    /// variable.
    pub forwarded: Option<&'a [u8]>,
    /// The time variable's value, when the template has one ([`Template::stamp`] reads it).
    pub time: Option<&'a [u8]>,
    /// The client as a number, where it is a canonical dotted quad (read in the same pass
    /// that finds its end, where the line starts with it).
    pub v4: Option<u32>,
}

/// A compiled template: see the module documentation.
#[derive(Debug)]
pub struct Template {
    syntax: Syntax,
    source: String,
    client_name: String,
    /// The literal every line starts with.
    head: Box<[u8]>,
    steps: Box<[Step]>,
    time: Option<TimeRead>,
    has_forwarded: bool,
    /// The line starts with the peer, ended by a literal that cannot be part of a dotted quad:
    /// a quad there is read and its end found in one pass ([`leading_v4`]).
    leads_with_peer: bool,
}

/// One variable's value and the literal that ends it (`None`: the rest of the line).
#[derive(Debug)]
struct Step {
    check: Check,
    slot: Slot,
    lit: Option<Lit>,
}

/// What a value must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Any,
    /// Exactly three ASCII digits.
    Status,
    /// One or more ASCII digits, or exactly `-`.
    Bytes,
    /// Not empty, no space or tab.
    Peer,
}

impl Check {
    #[inline(always)]
    fn ok(self, v: &[u8]) -> bool {
        match self {
            Check::Any => true,
            Check::Status => v.len() == 3 && v.iter().all(u8::is_ascii_digit),
            Check::Bytes => v == b"-" || (!v.is_empty() && v.iter().all(u8::is_ascii_digit)),
            Check::Peer => !v.is_empty() && !v.iter().any(|&b| b == b' ' || b == b'\t'),
        }
    }
}

/// Which of [`Parts`] a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    None,
    Client,
    Forwarded,
    Time,
}

/// A literal that ends a value, with its finder.
#[derive(Debug)]
struct Lit {
    /// The literal; its first byte is searched for, then the rest compared (for a long literal:
    /// a finder).
    bytes: Box<[u8]>,
    /// Its first 8 bytes (little-endian, zero-padded) and which of them count.
    word: u64,
    mask: u64,
    long: Option<Box<memmem::Finder<'static>>>,
    len: usize,
    /// It starts with `"`: a `\"` in the value does not end it.
    quote: bool,
}

/// Literals up to this long are found by their first byte and compared; longer ones by a
/// [`memmem::Finder`] (whose setup per search costs more than the short values of a log line
/// take to scan).
const SHORT: usize = 16;

impl Lit {
    fn new(bytes: &[u8]) -> Lit {
        let n = bytes.len().min(8);
        let mut word = [0; 8];
        word[..n].copy_from_slice(&bytes[..n]);
        Lit {
            bytes: bytes.into(),
            word: u64::from_le_bytes(word),
            mask: u64::MAX >> (8 * (8 - n)),
            long: (bytes.len() > SHORT).then(|| Box::new(memmem::Finder::new(bytes).into_owned())),
            len: bytes.len(),
            quote: bytes[0] == b'"',
        }
    }

    /// Whether the literal is at `i` of `hay` (whose byte `i` is the literal's first).
    #[inline(always)]
    fn at(&self, hay: &[u8], i: usize) -> bool {
        if self.len == 1 {
            return true;
        }
        match hay.get(i..i + 8) {
            Some(w) => {
                let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                (w ^ self.word) & self.mask == 0
                    && (self.len <= 8 || follows(&hay[i + 8..], &self.bytes[8..]))
            }
            None => follows(&hay[i..], &self.bytes),
        }
    }

    /// Where the literal first occurs in `hay` (a value and what follows), skipping quotes a
    /// backslash escapes when the literal starts with `"`.
    #[inline(always)]
    fn locate(&self, hay: &[u8]) -> Option<usize> {
        let mut from = 0;
        loop {
            let i = match &self.long {
                None => {
                    let i = from + find_byte(self.bytes[0], &hay[from..])?;
                    if !self.at(hay, i) {
                        from = i + 1;
                        continue;
                    }
                    i
                }
                Some(finder) => from + finder.find(&hay[from..])?,
            };
            if !self.quote || !escaped(&hay[..i]) {
                return Some(i);
            }
            from = i + 1;
        }
    }
}

/// Whether `s` starts with `rest` (a few bytes: compared in line, not by a `memcmp` call).
#[inline(always)]
fn follows(s: &[u8], rest: &[u8]) -> bool {
    s.len() >= rest.len() && s.iter().zip(rest).all(|(a, b)| a == b)
}

/// Where `b` first is in `s`, by SSE2 16 bytes at a time (x86_64 has it always): most values
/// of a log line are shorter than `memchr`'s setup pays for. Past the first 64 bytes (a user
/// agent, a long request) `memchr` goes on.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn find_byte(b: u8, s: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    const NEAR: usize = 64;
    if s.len() < 16 {
        return s.iter().position(|&c| c == b);
    }
    let mut at = 0;
    // SAFETY: SSE2 is enabled (the cfg above), so the intrinsics may run; each
    // `_mm_loadu_si128` reads 16 bytes at any alignment from `at`, and `at + 16 <= s.len()`.
    unsafe {
        let needle = _mm_set1_epi8(b as i8);
        let mask_at = |at: usize| {
            let chunk = _mm_loadu_si128(s.as_ptr().add(at).cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(chunk, needle)) as u32
        };
        while at + 16 <= s.len() {
            if at >= NEAR {
                return memchr::memchr(b, &s[at..]).map(|n| at + n);
            }
            let mask = mask_at(at);
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
            at += 16;
        }
        if at < s.len() {
            // The last 16 bytes, overlapping those seen: the bytes before `at` masked off.
            let last = s.len() - 16;
            let mask = mask_at(last) >> (at - last);
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
        }
    }
    None
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use find_byte_swar as find_byte;

/// [`find_byte`] in plain integer arithmetic, 8 bytes at a time over the first 64 (for targets
/// without SSE2, and the tests).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn find_byte_swar(b: u8, s: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const NEAR: usize = 64;
    let near = s.len().min(NEAR);
    let mut at = 0;
    while at + 8 <= near {
        let word = u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        let x = word ^ (LOW * u64::from(b));
        // The high bit of every byte equal to `b` (exact for the lowest, all that is used).
        let mask = x.wrapping_sub(LOW) & !x & HIGH;
        if mask != 0 {
            return Some(at + (mask.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(b, &s[at..]).map(|n| at + n)
}

/// `s` without its trailing ASCII whitespace.
#[inline(always)]
fn trim_end(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && super::is_space(s[end - 1]) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `before` ends in an odd number of backslashes.
#[inline(always)]
fn escaped(before: &[u8]) -> bool {
    before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// How to read the time value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TimeRead {
    Ncsa,
    Iso,
    /// nginx `$msec`: digits (at most 11) and an optional fraction.
    Fraction,
    /// Apache `%{sec}t`, `%{msec}t`, `%{usec}t`: digits only, divided by the scale.
    Unix(u64),
    Strftime(Box<[Conv]>),
}

impl TimeRead {
    fn kind(&self) -> TimeKind {
        match self {
            TimeRead::Ncsa => TimeKind::Ncsa,
            TimeRead::Iso => TimeKind::Iso8601,
            TimeRead::Fraction => TimeKind::UnixFraction,
            TimeRead::Unix(1) => TimeKind::UnixSeconds,
            TimeRead::Unix(1_000) => TimeKind::UnixMillis,
            TimeRead::Unix(_) => TimeKind::UnixMicros,
            TimeRead::Strftime(_) => TimeKind::Strftime,
        }
    }

    fn read(&self, s: &[u8]) -> Option<Stamp> {
        match self {
            TimeRead::Ncsa => parse_ncsa(s),
            TimeRead::Iso => parse_iso(s),
            TimeRead::Fraction => {
                let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
                if int > 11 {
                    return None;
                }
                parse_unix(s)
            }
            TimeRead::Unix(scale) => {
                if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let v = s.iter().fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
                let local = i64::try_from(v / scale).ok()?;
                (local <= MAX_LOCAL).then_some(Stamp { local, offset: 0 })
            }
            TimeRead::Strftime(prog) => read_strftime(prog, s),
        }
    }
}

/// The last second the time readers give: 9999-12-31T23:59:60 (as `time.rs`'s readers).
const MAX_LOCAL: i64 = 253_402_300_800;

// ---------------------------------------------------------------------------------------------
// Parsing the text into literals and variables.

#[derive(Clone, Debug)]
enum Token {
    Lit(Vec<u8>),
    Var(Var),
}

#[derive(Clone, Debug)]
struct Var {
    /// As written: `$remote_addr`, `${status}`, `%>s`, `%{Referer}i`.
    name: String,
    /// Byte offset of its start in the text (without any tag).
    at: usize,
    kind: Kind,
    /// nginx: the variable's name; Apache: the directive's letter (`a`, `^ti`).
    key: String,
    /// Apache: the `{ARG}`.
    arg: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A peer address, with its preference (0 first).
    Peer(u8),
    Forwarded,
    /// A time variable (`None`: written as a time but carrying no full date).
    Time(Option<TimeRead>),
    Status,
    Bytes,
    Other,
}

fn push_lit(tokens: &mut Vec<Token>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if let Some(Token::Lit(last)) = tokens.last_mut() {
        last.extend_from_slice(bytes);
    } else {
        tokens.push(Token::Lit(bytes.to_vec()));
    }
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn nginx_kind(name: &str) -> Kind {
    match name {
        "remote_addr" => Kind::Peer(0),
        "realip_remote_addr" => Kind::Peer(1),
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => Kind::Forwarded,
        "time_local" => Kind::Time(Some(TimeRead::Ncsa)),
        "time_iso8601" => Kind::Time(Some(TimeRead::Iso)),
        "msec" => Kind::Time(Some(TimeRead::Fraction)),
        "status" => Kind::Status,
        "body_bytes_sent" | "bytes_sent" | "request_length" | "connection_requests" => Kind::Bytes,
        _ => Kind::Other,
    }
}

fn parse_nginx(text: &str) -> Result<Vec<Token>, TemplateError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(d) = memchr::memchr(b'$', &b[i..]) else {
            push_lit(&mut tokens, &b[i..]);
            break;
        };
        push_lit(&mut tokens, &b[i..i + d]);
        let at = i + d;
        let (name, end) = match b.get(at + 1) {
            Some(b'{') => {
                let Some(close) = memchr::memchr(b'}', &b[at + 2..]) else {
                    return Err(error(at, "`${` without its closing `}`"));
                };
                let name = &text[at + 2..at + 2 + close];
                if name.is_empty() || !name.bytes().all(is_name) {
                    return Err(error(
                        at + 2,
                        format!("`{name}` is not a variable name (letters, digits and `_`)"),
                    ));
                }
                (name, at + 3 + close)
            }
            Some(&c) if is_name(c) => {
                let n = b[at + 1..].iter().take_while(|&&c| is_name(c)).count();
                (&text[at + 1..at + 1 + n], at + 1 + n)
            }
            _ => {
                push_lit(&mut tokens, b"$");
                i = at + 1;
                continue;
            }
        };
        tokens.push(Token::Var(Var {
            name: text[at..end].to_string(),
            at,
            kind: nginx_kind(name),
            key: name.to_string(),
            arg: None,
        }));
        i = end;
    }
    Ok(tokens)
}

/// Apache's directive letters (`^ti`/`^to` apart).
const APACHE_LETTERS: &[u8] = b"aABbCDefhHiklLmnopPqrRstTuUvVXIOS";

/// One Apache directive at `at` (a `%`, not `%%`): its letter (`^ti`, `^to` or one), its
/// argument, and where it ends.
fn apache_directive(
    text: &str,
    at: usize,
) -> Result<(String, Option<String>, usize), TemplateError> {
    let b = text.as_bytes();
    let mut j = at + 1;
    let mut arg = None;
    while let Some(&c) = b.get(j) {
        match c {
            b'<' | b'>' | b'!' | b',' | b'0'..=b'9' => j += 1,
            b'{' => {
                if arg.is_some() {
                    return Err(error(j, "a directive with two `{…}` arguments"));
                }
                let Some(close) = memchr::memchr(b'}', &b[j + 1..]) else {
                    return Err(error(j, "`{` without its closing `}`"));
                };
                arg = Some(text[j + 1..j + 1 + close].to_string());
                j += close + 2;
            }
            _ => break,
        }
    }
    match b.get(j) {
        None => Err(error(
            at,
            "a `%` at the end of the template (write `%%` for a literal `%`)",
        )),
        Some(b'^') => match b.get(j + 1..j + 3) {
            Some(b"ti") | Some(b"to") => Ok((text[j..j + 3].to_string(), arg, j + 3)),
            _ => Err(error(j, "unknown directive `%^` (only `%^ti` and `%^to`)")),
        },
        Some(c) if APACHE_LETTERS.contains(c) => Ok(((*c as char).to_string(), arg, j + 1)),
        // mod_ssl's `%{SSL_PROTOCOL}x` and `%{version}c` (Debian's default `ssl_request_log`).
        Some(c @ (b'x' | b'c')) if arg.is_some() => Ok(((*c as char).to_string(), arg, j + 1)),
        Some(_) => {
            let c = text[j..].chars().next().unwrap_or('?');
            Err(error(j, format!("unknown directive `%{c}`")))
        }
    }
}

/// What an Apache directive is; `%t` apart (its brackets are literal text).
fn apache_kind(letter: &str, arg: Option<&str>, arg_at: usize) -> Result<Kind, TemplateError> {
    Ok(match (letter, arg) {
        ("a", None) => Kind::Peer(0),
        ("h", None) => Kind::Peer(1),
        ("a", Some("c")) => Kind::Peer(2),
        ("i", Some(h)) if h.eq_ignore_ascii_case("x-forwarded-for") => Kind::Forwarded,
        ("s", _) => Kind::Status,
        ("b" | "B" | "I" | "O" | "S", _) => Kind::Bytes,
        ("t", None) => Kind::Time(Some(TimeRead::Ncsa)),
        ("t", Some(a)) => {
            let (a, skip) = if let Some(rest) = a.strip_prefix("begin:") {
                (rest, 6)
            } else if let Some(rest) = a.strip_prefix("end:") {
                (rest, 4)
            } else {
                (a, 0)
            };
            match a {
                "sec" => Kind::Time(Some(TimeRead::Unix(1))),
                "msec" => Kind::Time(Some(TimeRead::Unix(1_000))),
                "usec" => Kind::Time(Some(TimeRead::Unix(1_000_000))),
                "msec_frac" | "usec_frac" => Kind::Other,
                format => Kind::Time(compile_strftime(format, arg_at + skip)?),
            }
        }
        _ => Kind::Other,
    })
}

fn parse_apache(text: &str) -> Result<Vec<Token>, TemplateError> {
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let unescaped: &[u8] = match b.get(i + 1) {
                    Some(b'"') => b"\"",
                    Some(b'\\') => b"\\",
                    Some(b'n') => b"\n",
                    Some(b'r') => b"\r",
                    Some(b't') => b"\t",
                    // Any other `\x` stays as written (the next byte is copied on the next turn).
                    _ => {
                        push_lit(&mut tokens, b"\\");
                        i += 1;
                        continue;
                    }
                };
                push_lit(&mut tokens, unescaped);
                i += 2;
            }
            b'%' if b.get(i + 1) == Some(&b'%') => {
                push_lit(&mut tokens, b"%");
                i += 2;
            }
            b'%' => {
                let (letter, arg, end) = apache_directive(text, i)?;
                // The argument starts after the `{` (found again: modifiers may come first).
                let arg_at = text[i..end].find('{').map_or(i, |k| i + k + 1);
                let kind = apache_kind(&letter, arg.as_deref(), arg_at)?;
                let bracketed = letter == "t" && arg.is_none();
                if bracketed {
                    push_lit(&mut tokens, b"[");
                }
                tokens.push(Token::Var(Var {
                    name: text[i..end].to_string(),
                    at: i,
                    kind,
                    key: letter,
                    arg,
                }));
                if bracketed {
                    push_lit(&mut tokens, b"]");
                }
                i = end;
            }
            _ => {
                let n = b[i..]
                    .iter()
                    .position(|&c| c == b'\\' || c == b'%')
                    .unwrap_or(b.len() - i);
                push_lit(&mut tokens, &b[i..i + n]);
                i += n;
            }
        }
    }
    Ok(tokens)
}

// ---------------------------------------------------------------------------------------------
// --client-field: which variable a name given on the command line means.

/// `name`, `$name` or `${name}` as a bare name.
fn bare_name(field: &str) -> &str {
    let f = field.strip_prefix('$').unwrap_or(field);
    f.strip_prefix('{')
        .and_then(|f| f.strip_suffix('}'))
        .unwrap_or(f)
}

/// An HTTP header name as nginx spells its variable's suffix: lowercase, `-` as `_`.
fn nginx_header(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'-' => '_',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

fn names(syntax: Syntax, var: &Var, field: &str) -> bool {
    match syntax {
        Syntax::Nginx => var.key == bare_name(field),
        Syntax::Apache if field.starts_with('%') => {
            let Ok((letter, arg, end)) = apache_directive(field, 0) else {
                return false;
            };
            if end != field.len() || letter != var.key {
                return false;
            }
            match (arg.as_deref(), var.arg.as_deref()) {
                (Some(a), Some(b)) if letter == "i" || letter == "o" => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            }
        }
        Syntax::Apache => match (bare_name(field).strip_prefix("http_"), var.arg.as_deref()) {
            (Some(header), Some(arg)) if var.key == "i" => nginx_header(arg) == header,
            _ => false,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Compiling.

impl Template {
    /// Compiles `text`, which may start with `nginx:` or `apache:` naming its syntax; otherwise
    /// its first `$` or `%` tells. `client_field` names the variable to count as the client
    /// instead of the peer address.
    pub fn compile(text: &str, client_field: Option<&str>) -> Result<Template, TemplateError> {
        let (syntax, body, tag) = if let Some(rest) = text.strip_prefix("nginx:") {
            (Syntax::Nginx, rest, 6)
        } else if let Some(rest) = text.strip_prefix("apache:") {
            (Syntax::Apache, rest, 7)
        } else {
            let syntax = match text.bytes().find(|&b| b == b'$' || b == b'%') {
                Some(b'$') => Syntax::Nginx,
                Some(_) => Syntax::Apache,
                None => {
                    return Err(error(
                        0,
                        "a template needs at least one `$variable` or `%directive`",
                    ))
                }
            };
            (syntax, text, 0)
        };
        Template::compile_as(syntax, body, client_field).map_err(|mut e| {
            e.at += tag;
            e
        })
    }

    /// Compiles `text` in `syntax` (no tag).
    pub fn compile_as(
        syntax: Syntax,
        text: &str,
        client_field: Option<&str>,
    ) -> Result<Template, TemplateError> {
        let mut tokens = match syntax {
            Syntax::Nginx => parse_nginx(text)?,
            Syntax::Apache => parse_apache(text)?,
        };
        // The template's own trailing whitespace (lines' is trimmed too).
        if let Some(Token::Lit(last)) = tokens.last_mut() {
            while last.last().is_some_and(|&b| super::is_space(b)) {
                last.pop();
            }
            if last.is_empty() {
                tokens.pop();
            }
        }
        let vars: Vec<(usize, &Var)> = tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Token::Var(v) => Some((i, v)),
                Token::Lit(_) => None,
            })
            .collect();

        // The client: the named variable, else the preferred peer variable (first occurrence).
        let client = match client_field {
            Some(field) => *vars
                .iter()
                .find(|(_, v)| names(syntax, v, field))
                .ok_or_else(|| error(0, format!("no variable `{field}` in the template")))?,
            None => vars
                .iter()
                .filter_map(|(i, v)| match v.kind {
                    Kind::Peer(rank) => Some((rank, *i, *v)),
                    _ => None,
                })
                .min_by_key(|&(rank, i, _)| (rank, i))
                .map(|(_, i, v)| (i, v))
                .ok_or_else(|| {
                    error(
                        0,
                        match syntax {
                            Syntax::Nginx => {
                                "the template has no client address (`$remote_addr` or \
                                 `$realip_remote_addr`; name another variable with \
                                 --client-field)"
                            }
                            Syntax::Apache => {
                                "the template has no client address (`%a`, `%h` or `%{c}a`; \
                                 name another directive with --client-field)"
                            }
                        },
                    )
                })?,
        };
        let peer = matches!(client.1.kind, Kind::Peer(_));
        let forwarded = if peer {
            vars.iter()
                .find(|(i, v)| *i != client.0 && v.kind == Kind::Forwarded)
                .map(|(i, _)| *i)
        } else {
            None
        };
        let time = vars
            .iter()
            .find(|(i, v)| *i != client.0 && matches!(v.kind, Kind::Time(Some(_))))
            .map(|&(i, v)| match &v.kind {
                Kind::Time(Some(read)) => (i, read.clone()),
                _ => unreachable!("a time variable"),
            });
        let client_name = client.1.name.clone();
        let client_index = client.0;

        let mut head = Vec::new();
        let mut steps = Vec::new();
        // A variable waiting for the literal that ends it: (check, slot, name).
        let mut pending: Option<(Check, Slot, &str)> = None;
        let mut any_var = false;
        for (i, token) in tokens.iter().enumerate() {
            match token {
                Token::Lit(bytes) => match pending.take() {
                    Some((check, slot, _)) => steps.push(Step {
                        check,
                        slot,
                        lit: Some(Lit::new(bytes)),
                    }),
                    None => head.extend_from_slice(bytes),
                },
                Token::Var(v) => {
                    any_var = true;
                    let (check, slot) = if i == client_index {
                        (if peer { Check::Peer } else { Check::Any }, Slot::Client)
                    } else if Some(i) == forwarded {
                        (Check::Any, Slot::Forwarded)
                    } else if time.as_ref().is_some_and(|t| t.0 == i) {
                        (Check::Any, Slot::Time)
                    } else {
                        let check = match v.kind {
                            Kind::Status => Check::Status,
                            Kind::Bytes => Check::Bytes,
                            _ => Check::Any,
                        };
                        (check, Slot::None)
                    };
                    pending = match pending {
                        None => Some((check, slot, &v.name)),
                        Some((_, Slot::None, _)) if slot == Slot::None => {
                            Some((Check::Any, Slot::None, &v.name))
                        }
                        Some((_, _, before)) => {
                            return Err(error(
                                v.at,
                                format!(
                                    "`{before}` and `{}` have no text between them: where one \
                                     ends cannot be told",
                                    v.name
                                ),
                            ))
                        }
                    };
                }
            }
        }
        debug_assert!(any_var, "a client was found");
        if let Some((check, slot, _)) = pending {
            steps.push(Step {
                check,
                slot,
                lit: None,
            });
        }
        let leads_with_peer = head.is_empty()
            && steps.first().is_some_and(|s| {
                s.slot == Slot::Client && s.check == Check::Peer && s.lit.is_some()
            });
        Ok(Template {
            syntax,
            source: text.to_string(),
            client_name,
            head: head.into_boxed_slice(),
            steps: steps.into_boxed_slice(),
            time: time.map(|(_, read)| read),
            has_forwarded: forwarded.is_some(),
            leads_with_peer,
        })
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The text as given (without any `nginx:`/`apache:` tag).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The client variable as written: `$remote_addr`, `%h`, `%{X-Forwarded-For}i`.
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// Whether the template has a time variable that carries a full date.
    pub fn has_time(&self) -> bool {
        self.time.is_some()
    }

    /// What the time value is written as.
    pub fn time_kind(&self) -> Option<TimeKind> {
        self.time.as_ref().map(TimeRead::kind)
    }

    /// Whether the template has an X-Forwarded-For variable and the client is a peer variable.
    pub fn has_forwarded(&self) -> bool {
        self.has_forwarded
    }

    /// The parts of `line` (without `\n` and a trailing `\r`), or `None` when it is not a
    /// request in this template.
    #[inline]
    pub fn parts<'a>(&self, line: &'a [u8]) -> Option<Parts<'a>> {
        if !line.starts_with(&self.head) {
            return None;
        }
        let mut pos = self.head.len();
        let mut parts = Parts {
            client: &[],
            forwarded: None,
            time: None,
            v4: None,
        };
        let mut steps = &self.steps[..];
        if self.leads_with_peer {
            if let (Some((v4, end)), Some(lit)) = (leading_v4(line), &steps[0].lit) {
                // A quad holds no byte the literal starts with: its first occurrence is here.
                if line[end] == lit.bytes[0] && lit.at(line, end) {
                    parts.client = &line[..end];
                    parts.v4 = Some(v4);
                    pos = end + lit.len;
                    steps = &steps[1..];
                }
            }
        }
        for step in steps {
            let rest = &line[pos..];
            let value = match &step.lit {
                Some(lit) => {
                    let i = lit.locate(rest)?;
                    pos += i + lit.len;
                    &rest[..i]
                }
                None => {
                    pos = line.len();
                    trim_end(rest)
                }
            };
            if !step.check.ok(value) {
                return None;
            }
            match step.slot {
                Slot::None => {}
                Slot::Client => {
                    parts.client = value;
                    parts.v4 = parse_v4(value);
                }
                Slot::Forwarded => parts.forwarded = Some(value),
                Slot::Time => parts.time = Some(value),
            }
        }
        // Past the template, only whitespace.
        line[pos..]
            .iter()
            .all(|&b| super::is_space(b))
            .then_some(parts)
    }

    /// The time a line's time value ([`Parts::time`]) stands for (`None`: it does not read).
    pub fn stamp(&self, time: &[u8]) -> Option<Stamp> {
        self.time.as_ref()?.read(time)
    }
}

// ---------------------------------------------------------------------------------------------
// strftime formats (Apache `%{FORMAT}t`), read strictly.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conv {
    Lit(u8),
    Year4,
    Year2,
    Month,
    Day,
    /// `%e`: the day, space-padded.
    DaySpace,
    Hour,
    /// `%k`: the hour, space-padded.
    HourSpace,
    Hour12,
    /// `%l`: the 12-hour hour, space-padded.
    Hour12Space,
    Minute,
    Second,
    YearDay,
    Zone,
    Epoch,
    MonthAbbr,
    MonthFull,
    WeekdayAbbr,
    WeekdayFull,
    AmPm,
    /// `%u` (1–7) or `%w` (0–6): checked, not used.
    WeekdayNumber(u8, u8),
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A strftime format as a program; `None` when it carries no full date (year, month and day,
/// year and day of year, or `%s`). `at`: the format's offset in the text, for errors.
fn compile_strftime(format: &str, at: usize) -> Result<Option<TimeRead>, TemplateError> {
    use Conv::*;
    let b = format.as_bytes();
    let mut prog = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            prog.push(Lit(b[i]));
            i += 1;
            continue;
        }
        let Some(&c) = b.get(i + 1) else {
            return Err(error(at + i, "a `%` at the end of the strftime format"));
        };
        let convs: &[Conv] = match c {
            b'Y' => &[Year4],
            b'y' => &[Year2],
            b'm' => &[Month],
            b'd' => &[Day],
            b'e' => &[DaySpace],
            b'H' => &[Hour],
            b'k' => &[HourSpace],
            b'I' => &[Hour12],
            b'l' => &[Hour12Space],
            b'M' => &[Minute],
            b'S' => &[Second],
            b'j' => &[YearDay],
            b'z' => &[Zone],
            b's' => &[Epoch],
            b'b' | b'h' => &[MonthAbbr],
            b'B' => &[MonthFull],
            b'a' => &[WeekdayAbbr],
            b'A' => &[WeekdayFull],
            b'p' => &[AmPm],
            b'u' => &[WeekdayNumber(1, 7)],
            b'w' => &[WeekdayNumber(0, 6)],
            b'%' => &[Lit(b'%')],
            b'n' => &[Lit(b'\n')],
            b't' => &[Lit(b'\t')],
            b'T' => &[Hour, Lit(b':'), Minute, Lit(b':'), Second],
            b'F' => &[Year4, Lit(b'-'), Month, Lit(b'-'), Day],
            b'D' => &[Month, Lit(b'/'), Day, Lit(b'/'), Year2],
            b'R' => &[Hour, Lit(b':'), Minute],
            b'r' => &[
                Hour12,
                Lit(b':'),
                Minute,
                Lit(b':'),
                Second,
                Lit(b' '),
                AmPm,
            ],
            _ => {
                let c = format[i + 1..].chars().next().unwrap_or('?');
                return Err(error(
                    at + i,
                    format!("unsupported strftime conversion `%{c}` in a time format"),
                ));
            }
        };
        prog.extend_from_slice(convs);
        i += 2;
    }
    let has = |c: Conv| prog.contains(&c);
    let year = has(Year4) || has(Year2);
    let month = has(Month) || has(MonthAbbr) || has(MonthFull);
    let day = has(Day) || has(DaySpace);
    let full = has(Epoch) || (year && ((month && day) || has(YearDay)));
    Ok(full.then(|| TimeRead::Strftime(prog.into_boxed_slice())))
}

/// Exactly `n` ASCII digits at `*i` (`space`: the first may be a space instead).
#[inline]
fn num(s: &[u8], i: &mut usize, n: usize, space: bool) -> Option<u32> {
    let d = s.get(*i..*i + n)?;
    let mut v = 0;
    for (k, &b) in d.iter().enumerate() {
        if b == b' ' && space && k + 1 < n && v == 0 {
            continue;
        }
        let x = b.wrapping_sub(b'0');
        if x > 9 {
            return None;
        }
        v = v * 10 + u32::from(x);
    }
    *i += n;
    Some(v)
}

/// The index of the name among `names` that `s` has at `*i` (`len`: 3 for abbreviations,
/// 0 for whole names).
fn name_at(s: &[u8], i: &mut usize, names: &[&str], len: usize) -> Option<u32> {
    for (k, name) in names.iter().enumerate() {
        let name = if len > 0 { &name[..len] } else { name };
        if s[*i..].starts_with(name.as_bytes()) {
            *i += name.len();
            return Some(k as u32);
        }
    }
    None
}

fn read_strftime(prog: &[Conv], s: &[u8]) -> Option<Stamp> {
    let (mut year, mut month, mut day, mut yday) = (None, None, None, None);
    let (mut hour, mut hour12, mut pm) = (None, None, None);
    let (mut minute, mut second, mut zone, mut epoch) = (0, 0, 0, None);
    let mut i = 0;
    for conv in prog {
        match *conv {
            Conv::Lit(b) => {
                if s.get(i) != Some(&b) {
                    return None;
                }
                i += 1;
            }
            Conv::Year4 => year = Some(num(s, &mut i, 4, false)?),
            Conv::Year2 => {
                let y = num(s, &mut i, 2, false)?;
                year = Some(if y >= 69 { 1900 + y } else { 2000 + y });
            }
            Conv::Month => month = Some(num(s, &mut i, 2, false)?),
            Conv::Day => day = Some(num(s, &mut i, 2, false)?),
            Conv::DaySpace => day = Some(num(s, &mut i, 2, true)?),
            Conv::Hour => hour = Some(num(s, &mut i, 2, false)?),
            Conv::HourSpace => hour = Some(num(s, &mut i, 2, true)?),
            Conv::Hour12 => hour12 = Some(num(s, &mut i, 2, false)?),
            Conv::Hour12Space => hour12 = Some(num(s, &mut i, 2, true)?),
            Conv::Minute => minute = num(s, &mut i, 2, false)?,
            Conv::Second => second = num(s, &mut i, 2, false)?,
            Conv::YearDay => yday = Some(num(s, &mut i, 3, false)?),
            Conv::Zone => {
                let z = s.get(i..i + 5)?;
                let sign = match z[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let mut k = i + 1;
                let h = num(s, &mut k, 2, false)?;
                let m = num(s, &mut k, 2, false)?;
                if h > 23 || m > 59 {
                    return None;
                }
                zone = sign * (h * 3600 + m * 60) as i32;
                i += 5;
            }
            Conv::Epoch => {
                let n = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 || n > 19 {
                    return None;
                }
                let v = s[i..i + n]
                    .iter()
                    .fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
                epoch = Some(i64::try_from(v).ok()?);
                i += n;
            }
            Conv::MonthAbbr => month = Some(name_at(s, &mut i, &MONTHS, 3)? + 1),
            Conv::MonthFull => month = Some(name_at(s, &mut i, &MONTHS, 0)? + 1),
            Conv::WeekdayAbbr => {
                name_at(s, &mut i, &WEEKDAYS, 3)?;
            }
            Conv::WeekdayFull => {
                name_at(s, &mut i, &WEEKDAYS, 0)?;
            }
            Conv::AmPm => {
                pm = Some(match s.get(i..i + 2)? {
                    b"AM" => false,
                    b"PM" => true,
                    _ => return None,
                });
                i += 2;
            }
            Conv::WeekdayNumber(lo, hi) => {
                let w = num(s, &mut i, 1, false)?;
                if w < u32::from(lo) || w > u32::from(hi) {
                    return None;
                }
            }
        }
    }
    if i != s.len() {
        return None;
    }
    if let Some(e) = epoch {
        return (e <= MAX_LOCAL).then_some(Stamp {
            local: e + i64::from(zone),
            offset: zone,
        });
    }
    let year = year?;
    let days = match (month, day, yday) {
        (Some(m), Some(d), _) => checked_days(year, m, d)?,
        (_, _, Some(yd)) => {
            let first = checked_days(year, 1, 1)?;
            let len = checked_days(year, 12, 31)? - first + 1;
            if yd == 0 || i64::from(yd) > len {
                return None;
            }
            first + i64::from(yd) - 1
        }
        _ => return None,
    };
    let hour = match (hour, hour12) {
        (Some(h), _) if h <= 23 => h,
        (Some(_), _) => return None,
        (None, Some(h)) if (1..=12).contains(&h) => h % 12 + if pm == Some(true) { 12 } else { 0 },
        (None, Some(_)) => return None,
        (None, None) => 0,
    };
    if minute > 59 || second > 60 {
        return None;
    }
    Some(Stamp {
        local: days * 86_400 + i64::from(hour * 3600 + minute * 60 + second),
        offset: zone,
    })
}

#[cfg(test)]
mod tests {
    use super::super::time::days_from_civil;
    use super::super::time::tests::{iso_text, ncsa_text};
    use super::*;
    use proptest::prelude::*;

    const NGINX_COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
    const NGINX_MAIN: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
    const APACHE_COMMON: &str = r#"%h %l %u %t \"%r\" %>s %b"#;
    const APACHE_COMBINED: &str = r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#;
    const APACHE_VHOST: &str =
        r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#;
    const LINE: &[u8] = br#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/5.0 (X11)""#;

    fn t(text: &str) -> Template {
        Template::compile(text, None).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn tf(text: &str, field: &str) -> Template {
        Template::compile(text, Some(field)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn p<'a>(c: &'a str, f: Option<&'a str>, time: Option<&'a str>) -> Parts<'a> {
        Parts {
            client: c.as_bytes(),
            forwarded: f.map(str::as_bytes),
            time: time.map(str::as_bytes),
            v4: parse_v4(c.as_bytes()),
        }
    }

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, offset: i32) -> Stamp {
        Stamp {
            local: days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
            offset,
        }
    }

    fn err(text: &str, field: Option<&str>) -> TemplateError {
        match Template::compile(text, field) {
            Ok(t) => panic!("{text} compiled: {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn nginx_combined() {
        let t = t(NGINX_COMBINED);
        assert_eq!(t.syntax(), Syntax::Nginx);
        assert_eq!(t.source(), NGINX_COMBINED);
        assert_eq!(t.client_name(), "$remote_addr");
        assert!(t.has_time() && !t.has_forwarded());
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        let want = p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700"));
        assert_eq!(t.parts(LINE), Some(want));
        assert_eq!(
            t.stamp(want.time.unwrap()),
            Some(at(2000, 10, 10, 13, 55, 36, -25_200))
        );
        // nginx escapes a quote as \x22; the client `-` is allowed.
        let line = br#"- - - [10/Oct/2000:13:55:36 -0700] "GET /\x22a HTTP/1.1" 404 0 "-" "curl \x22x\x22""#;
        assert_eq!(t.parts(line).unwrap().client, b"-");
        // Trailing whitespace, a trailing \r.
        let mut padded = LINE.to_vec();
        padded.extend_from_slice(b" \t\r");
        assert_eq!(t.parts(&padded), Some(want));
        // Anything else after the template is not a request.
        let mut more = LINE.to_vec();
        more.extend_from_slice(b" x");
        assert_eq!(t.parts(&more), None);
        // A combined template with trailing whitespace of its own.
        assert_eq!(
            Template::compile(&format!("{NGINX_COMBINED} \t"), None)
                .unwrap()
                .parts(LINE),
            Some(want)
        );
        assert_eq!(t.stamp(b"10/Oct/2000:25:55:36 -0700"), None);
    }

    #[test]
    fn typed_failures() {
        let t = t(NGINX_COMBINED);
        let line = |s: &str| s.replace("LINE", "");
        for bad in [
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 20 2326 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 2326 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1x "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200  "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 -- "-" "-""#,
            r#" - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"203.0.113.7 x - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-""#,
            r#"203.0.113.7 - frank 10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            "",
            "garbage",
        ] {
            assert_eq!(t.parts(line(bad).as_bytes()), None, "{bad}");
        }
        let ok =
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 - "-" "-""#;
        assert!(t.parts(ok.as_bytes()).is_some());
        // A client with a tab or a space.
        let t = self::t("$remote_addr|$status");
        assert_eq!(t.parts(b"1.2.3.4|200"), Some(p("1.2.3.4", None, None)));
        assert_eq!(t.parts(b"1.2.3.4\tx|200"), None);
        assert_eq!(t.parts(b"1.2 3.4|200"), None);
        assert_eq!(t.parts(b"|200"), None);
        assert_eq!(t.parts(b"1.2.3.4|20"), None);
        assert_eq!(t.parts(b"1.2.3.4|2000"), None);
    }

    #[test]
    fn nginx_main_with_forwarded() {
        let t = t(NGINX_MAIN);
        assert!(t.has_forwarded());
        let line = br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" "198.51.100.1, 10.0.0.2""#;
        assert_eq!(
            t.parts(line),
            Some(p(
                "10.0.0.1",
                Some("198.51.100.1, 10.0.0.2"),
                Some("10/Oct/2000:13:55:36 -0700")
            ))
        );
        // With the forwarded variable as the client, there is no forwarded part.
        for field in [
            "http_x_forwarded_for",
            "$http_x_forwarded_for",
            "${http_x_forwarded_for}",
        ] {
            let t = tf(NGINX_MAIN, field);
            assert_eq!(t.client_name(), "$http_x_forwarded_for");
            assert!(!t.has_forwarded());
            assert_eq!(
                t.parts(line),
                Some(p(
                    "198.51.100.1, 10.0.0.2",
                    None,
                    Some("10/Oct/2000:13:55:36 -0700")
                ))
            );
            // A named client may be anything, even empty.
            let empty = br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" """#;
            assert_eq!(t.parts(empty).unwrap().client, b"");
        }
        let t = tf(NGINX_MAIN, "remote_user");
        assert_eq!(t.parts(line).unwrap().client, b"-");
        assert!(tf(NGINX_MAIN, "$remote_addr").has_forwarded());
        let t = t_proxy();
        assert!(t.has_forwarded());
    }

    fn t_proxy() -> Template {
        t("$remote_addr $proxy_add_x_forwarded_for")
    }

    #[test]
    fn nginx_time_first_and_request_time() {
        let t =
            t(r#"[$time_local] $remote_addr "$request" $status $body_bytes_sent $request_time"#);
        let line = br#"[10/Oct/2000:13:55:36 +0200] 2001:db8::1 "GET / HTTP/1.1" 200 612 0.004"#;
        assert_eq!(
            t.parts(line),
            Some(p("2001:db8::1", None, Some("10/Oct/2000:13:55:36 +0200")))
        );
        let t = self::t(r#"$time_iso8601 $remote_addr "$request" $status"#);
        assert_eq!(t.time_kind(), Some(TimeKind::Iso8601));
        let line = br#"2021-03-22T10:01:02+08:00 192.0.2.1 "GET / HTTP/1.1" 301"#;
        let parts = t.parts(line).unwrap();
        assert_eq!(
            parts,
            p("192.0.2.1", None, Some("2021-03-22T10:01:02+08:00"))
        );
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(at(2021, 3, 22, 10, 1, 2, 28_800))
        );
        let t = self::t("$msec $remote_addr");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixFraction));
        let parts = t.parts(b"1700000000.123 ::1").unwrap();
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(Stamp {
                local: 1_700_000_000,
                offset: 0
            })
        );
        assert_eq!(t.stamp(b"1700000000123"), None);
        assert_eq!(t.stamp(b"1700000000."), None);
        // Several time variables: the first counts.
        let t = self::t("$time_iso8601 $remote_addr $time_local");
        assert_eq!(t.time_kind(), Some(TimeKind::Iso8601));
    }

    #[test]
    fn json_escapes() {
        // escape=json writes a quote as \" (and a backslash as \\).
        let t = t(
            r#"{"ip":"$remote_addr","req":"$request","ua":"$http_user_agent","xff":"$http_x_forwarded_for","t":"$time_iso8601"}"#,
        );
        let line = br#"{"ip":"192.0.2.9","req":"GET /a\"b\\ HTTP/1.1","ua":"x \"y\" \\","xff":"","t":"2021-03-22T10:01:02Z"}"#;
        assert_eq!(
            t.parts(line),
            Some(p("192.0.2.9", Some(""), Some("2021-03-22T10:01:02Z")))
        );
        // An escaped quote before a literal that does not start with `"` ends a value.
        let t = self::t("$remote_addr $request|");
        assert_eq!(t.parts(br#"1.1.1.1 a\"b|"#), Some(p("1.1.1.1", None, None)));
    }

    #[test]
    fn apache_common_combined_vhost() {
        let t = t(APACHE_COMMON);
        assert_eq!(t.syntax(), Syntax::Apache);
        assert_eq!(t.client_name(), "%h");
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        let line = br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
        assert_eq!(
            t.parts(line),
            Some(p("127.0.0.1", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        let t = self::t(APACHE_COMBINED);
        assert_eq!(
            t.parts(LINE),
            Some(p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        let line = br#"203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /\"x HTTP/1.0" 200 - "-" "a \"b\"""#;
        assert_eq!(t.parts(line).unwrap().client, b"203.0.113.7");
        let t = self::t(APACHE_VHOST);
        let line = br#"example.com:443 203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 512 "-" "curl""#;
        assert_eq!(
            t.parts(line),
            Some(p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        // %a is preferred to %h.
        let t = self::t("%h %a");
        assert_eq!(t.client_name(), "%a");
        assert_eq!(
            t.parts(b"host.example 192.0.2.1").unwrap().client,
            b"192.0.2.1"
        );
        assert_eq!(self::t("%{c}a %h").client_name(), "%h");
        assert_eq!(self::t("%{c}a %u").client_name(), "%{c}a");
    }

    #[test]
    fn apache_forwarded_and_client_fields() {
        let text = r#"%a %{x-forwarded-for}i %t \"%r\" %>s %b"#;
        let t = t(text);
        assert!(t.has_forwarded());
        let line = br#"10.0.0.1 198.51.100.2 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(t.parts(line).unwrap().forwarded, Some(&b"198.51.100.2"[..]));
        for field in [
            "%{X-Forwarded-For}i",
            "%{x-forwarded-for}i",
            "http_x_forwarded_for",
            "$http_x_forwarded_for",
        ] {
            let t = tf(text, field);
            assert_eq!(t.client_name(), "%{x-forwarded-for}i", "{field}");
            assert!(!t.has_forwarded());
            assert_eq!(t.parts(line).unwrap().client, b"198.51.100.2");
        }
        assert_eq!(tf(text, "%a").client_name(), "%a");
        assert!(tf(text, "%a").has_forwarded());
        let t = tf("%h %a %{c}a %u", "%h");
        assert_eq!(t.parts(b"h a c u").unwrap().client, b"h");
        assert!(
            tf("%h %a %{c}a %u", "%{c}a")
                .parts(b"h a c u")
                .unwrap()
                .client
                == b"c"
        );
        assert_eq!(
            tf("%h %{User-Agent}i", "http_user_agent").client_name(),
            "%{User-Agent}i"
        );
    }

    #[test]
    fn apache_escapes_and_percent() {
        // \" \\ \n \t stay in the literal; other \x verbatim; %% a literal %.
        let t = t(r#"%h \\ \q 100%% \t%>s"#);
        assert_eq!(
            t.parts(b"1.2.3.4 \\ \\q 100% \t200"),
            Some(p("1.2.3.4", None, None))
        );
        assert_eq!(t.parts(b"1.2.3.4 \\ \\q 100% \t20"), None);
        let t = self::t(r"%h\");
        assert_eq!(t.parts(b"1.2.3.4\\"), Some(p("1.2.3.4", None, None)));
        // mod_ssl's directives (with an argument only).
        let t = self::t(r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"#);
        let line = br#"[10/Oct/2000:13:55:36 -0700] ::1 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET / HTTP/1.1" 5"#;
        assert_eq!(
            t.parts(line),
            Some(p("::1", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        assert_eq!(err("%h %x", None).at, 4);
        assert_eq!(err("%h %c", None).at, 4);
    }

    #[test]
    fn apache_times() {
        let t = t(r#"%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t %h"#);
        assert_eq!(t.time_kind(), Some(TimeKind::Strftime));
        let parts = t
            .parts(b"10/Oct/2000 13:55:36.123 -0700 192.0.2.3")
            .unwrap();
        assert_eq!(parts, p("192.0.2.3", None, Some("10/Oct/2000 13:55:36")));
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(at(2000, 10, 10, 13, 55, 36, 0))
        );
        assert_eq!(t.stamp(b"31/Sep/2000 13:55:36"), None);
        assert_eq!(t.stamp(b"10/Oct/2000 13:55:61"), None);
        let t = self::t("%h %{sec}t");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixSeconds));
        let parts = t.parts(b"192.0.2.3 971211336").unwrap();
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        assert_eq!(t.stamp(b"971211336.5"), None);
        assert_eq!(t.stamp(b""), None);
        let t = self::t("%h %{begin:msec}t");
        assert_eq!(
            t.stamp(b"971211336123"),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        let t = self::t("%h %{end:usec}t");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixMicros));
        assert_eq!(
            t.stamp(b"971211336123456"),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        assert!(!self::t("%h %{msec_frac}t").has_time());
        // Without a full date, a strftime time is not a time.
        assert!(!self::t("%h %{%H:%M:%S}t").has_time());
        assert!(!self::t("%h %{%d/%b}t").has_time());
        let t = self::t("%h %{%T}t %t");
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        assert_eq!(
            t.parts(b"::1 10:00:00 [10/Oct/2000:13:55:36 -0700]")
                .unwrap()
                .time,
            Some(&b"10/Oct/2000:13:55:36 -0700"[..])
        );
        // Many conversions.
        let cases: &[(&str, &[u8], Option<Stamp>)] = &[
            (
                "%F %T %z",
                b"2021-03-22 10:01:02 +0530",
                Some(at(2021, 3, 22, 10, 1, 2, 19_800)),
            ),
            (
                "%Y-%m-%dT%H:%M:%S%z",
                b"2000-02-29T23:59:60-0000",
                Some(at(2000, 3, 1, 0, 0, 0, 0)),
            ),
            ("%Y-%m-%d", b"2001-02-29", None),
            (
                "%s",
                b"971211336",
                Some(Stamp {
                    local: 971_211_336,
                    offset: 0,
                }),
            ),
            (
                "%s %z",
                b"971211336 +0100",
                Some(Stamp {
                    local: 971_211_336 + 3600,
                    offset: 3600,
                }),
            ),
            (
                "%a, %e %b %Y %R",
                b"Tue,  3 Oct 2000 13:55",
                Some(at(2000, 10, 3, 13, 55, 0, 0)),
            ),
            (
                "%A %B %d %y %I:%M:%S %p",
                b"Tuesday October 10 00 01:55:36 PM",
                Some(at(2000, 10, 10, 13, 55, 36, 0)),
            ),
            (
                "%D %r",
                b"10/10/99 12:00:00 AM",
                Some(at(1999, 10, 10, 0, 0, 0, 0)),
            ),
            (
                "%Y %j %H%%",
                b"2000 366 23%",
                Some(at(2000, 12, 31, 23, 0, 0, 0)),
            ),
            ("%Y %j", b"2001 366", None),
            (
                "%Y/%m/%d %k:%M",
                b"2000/10/10  9:05",
                Some(at(2000, 10, 10, 9, 5, 0, 0)),
            ),
            ("%Y/%m/%d %H", b"2000/10/10 24", None),
            ("%F %T %z", b"2021-03-22 10:01:02 +2400", None),
            ("%F %T", b"2021-03-22 10:01:02 ", None),
            ("%b %d %Y", b"oct 10 2000", None),
            ("%F %u", b"2000-10-10 2", Some(at(2000, 10, 10, 0, 0, 0, 0))),
            ("%F %u", b"2000-10-10 8", None),
        ];
        for (format, text, want) in cases {
            let t = self::t(&format!("%h|%{{{format}}}t"));
            assert!(t.has_time(), "{format}");
            assert_eq!(
                t.stamp(text),
                *want,
                "{format} {}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn syntax_tags_and_detection() {
        let t = t("nginx:$remote_addr 100%");
        assert_eq!(t.syntax(), Syntax::Nginx);
        assert_eq!(t.source(), "$remote_addr 100%");
        assert_eq!(t.parts(b"1.1.1.1 100%"), Some(p("1.1.1.1", None, None)));
        let t = self::t("apache:$ %h");
        assert_eq!(t.parts(b"$ 1.1.1.1"), Some(p("1.1.1.1", None, None)));
        let t = self::t("cost $ $remote_addr");
        assert_eq!(t.parts(b"cost $ ::1"), Some(p("::1", None, None)));
        assert_eq!(
            Template::compile_as(Syntax::Apache, "%h", None)
                .unwrap()
                .syntax(),
            Syntax::Apache
        );
        // A template ending in a variable: the rest of the line.
        let t = self::t("ip=$remote_addr ua=$http_user_agent");
        assert_eq!(
            t.parts(b"ip=1.1.1.1 ua=a b c  "),
            Some(p("1.1.1.1", None, None))
        );
        assert_eq!(t.parts(b"IP=1.1.1.1 ua=a b c"), None);
        assert_eq!(t.parts(b" ip=1.1.1.1 ua=a b c"), None);
    }

    #[test]
    fn adjacent_variables() {
        // Untyped neighbours are one value; typed ones lose their type.
        let t = t("$remote_addr $a$status$b|");
        assert_eq!(t.parts(b"1.1.1.1 xyz|"), Some(p("1.1.1.1", None, None)));
        let t = self::t("%h %u%l|");
        assert_eq!(t.parts(b"1.1.1.1 |"), Some(p("1.1.1.1", None, None)));
        let e = err("$remote_addr$remote_user", None);
        assert_eq!(e.at, 12);
        assert_eq!(
            e.message,
            "`$remote_addr` and `$remote_user` have no text between them: where one ends cannot be told"
        );
        assert_eq!(err("$remote_addr $a$time_local", None).at, 15);
        assert_eq!(err("$remote_addr $http_x_forwarded_for$a", None).at, 34);
        assert_eq!(err("apache:%h%{sec}t", None).at, 9);
        // `$remote_user$http_x_forwarded_for` is fine when the forwarded is not a role.
        assert!(Template::compile(
            "$remote_addr $remote_user$http_x_forwarded_for",
            Some("remote_addr")
        )
        .is_err());
        assert!(Template::compile(
            "$remote_user$http_x_forwarded_for $remote_addr",
            Some("$remote_addr")
        )
        .is_err());
        assert!(
            Template::compile("$a$http_x_forwarded_for $remote_user", Some("remote_user")).is_ok()
        );
    }

    #[test]
    fn compile_errors() {
        let cases: &[(&str, Option<&str>, usize, &str)] = &[
            ("plain text", None, 0, "a template needs at least one `$variable` or `%directive`"),
            ("$remote_user $status", None, 0, "the template has no client address (`$remote_addr` or `$realip_remote_addr`; name another variable with --client-field)"),
            ("nginx:just text", None, 6, "the template has no client address (`$remote_addr` or `$realip_remote_addr`; name another variable with --client-field)"),
            ("%u %>s", None, 0, "the template has no client address (`%a`, `%h` or `%{c}a`; name another directive with --client-field)"),
            ("$remote_addr", Some("http_x_real_ip"), 0, "no variable `http_x_real_ip` in the template"),
            ("%h", Some("%{X-Real-IP}i"), 0, "no variable `%{X-Real-IP}i` in the template"),
            ("%h", Some("%Z"), 0, "no variable `%Z` in the template"),
            ("$remote_addr ${status", None, 13, "`${` without its closing `}`"),
            ("$remote_addr ${}", None, 15, "`` is not a variable name (letters, digits and `_`)"),
            ("$remote_addr ${a-b}", None, 15, "`a-b` is not a variable name (letters, digits and `_`)"),
            ("nginx:$remote_addr ${x", None, 19, "`${` without its closing `}`"),
            ("%h %Z", None, 4, "unknown directive `%Z`"),
            ("%h %>Z", None, 5, "unknown directive `%Z`"),
            ("%h %{x}é", None, 7, "unknown directive `%é`"),
            ("%h %^tx", None, 4, "unknown directive `%^` (only `%^ti` and `%^to`)"),
            ("%h %", None, 3, "a `%` at the end of the template (write `%%` for a literal `%`)"),
            ("%h %>", None, 3, "a `%` at the end of the template (write `%%` for a literal `%`)"),
            ("%h %{Referer", None, 4, "`{` without its closing `}`"),
            ("apache:%h %{Referer", None, 11, "`{` without its closing `}`"),
            ("%h %{a}{b}i", None, 7, "a directive with two `{…}` arguments"),
            ("%h %{%Y %Q}t", None, 8, "unsupported strftime conversion `%Q` in a time format"),
            ("%h %{begin:%Y %Q}t", None, 14, "unsupported strftime conversion `%Q` in a time format"),
            ("apache:%h %{%Y %}t", None, 15, "a `%` at the end of the strftime format"),
        ];
        for (text, field, at, message) in cases {
            let e = err(text, *field);
            assert_eq!((e.at, e.message.as_str()), (*at, *message), "{text}");
        }
        let e = err("%h %Z", None);
        assert_eq!(
            e.to_string(),
            "unknown directive `%Z` (at byte 4 of the template)"
        );
        let _: &dyn std::error::Error = &e;
    }

    #[test]
    fn byte_finders_agree() {
        let hay: Vec<u8> = (0..200u32)
            .map(|i| b"ab \"]"[(i * 7 % 11 % 5) as usize])
            .collect();
        for len in 0..hay.len() {
            for from in [0, 1, 5, 17] {
                let s = &hay[from.min(len)..len];
                for b in [b'a', b'b', b' ', b'"', b']', b'x'] {
                    let want = s.iter().position(|&c| c == b);
                    assert_eq!(find_byte(b, s), want, "{len} {from} {b}");
                    assert_eq!(find_byte_swar(b, s), want, "{len} {from} {b}");
                }
            }
        }
    }

    #[test]
    fn long_literals() {
        let t = t("$remote_addr <<<a long literal, longer than sixteen>>> $status");
        let line = b"::1 <<<a long literal, longer than sixteen>>> 200";
        assert_eq!(t.parts(line), Some(p("::1", None, None)));
        assert_eq!(
            t.parts(b"::1 <<<a long literal, longer than sixteen> 200"),
            None
        );
        // 9 to 16 bytes: the first 8 compared as a word, then the rest.
        let t = self::t("$remote_addr <twelve-ish> $status");
        assert_eq!(t.parts(b"::1 <twelve-ish> 200"), Some(p("::1", None, None)));
        assert_eq!(t.parts(b"::1 <twelve-ish  <twelve-ish> 200"), None);
        assert_eq!(t.parts(b"::1 <twelve-isx> 200"), None);
        let t = self::t("$remote_user <twelve-ish> $remote_addr");
        assert_eq!(
            t.parts(b"a<twelve-ish> <twelve-ish> ::1"),
            Some(p("::1", None, None))
        );
        // Near the line's end (fewer than 8 bytes left).
        let t = self::t("$remote_addr [|]");
        assert_eq!(t.parts(b"::1 [|]"), Some(p("::1", None, None)));
        assert_eq!(t.parts(b"::1 [|"), None);
    }

    #[test]
    fn templates_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Template>();
    }

    // ---- property tests

    /// A variable of the random templates: its text, what its value is, and how to draw it.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Role {
        Peer(u8),
        Forwarded,
        Time(TimeKind),
        Status,
        Bytes,
        Other,
    }

    const NGINX_VARS: &[(&str, Role)] = &[
        ("$remote_addr", Role::Peer(0)),
        ("${realip_remote_addr}", Role::Peer(1)),
        ("$http_x_forwarded_for", Role::Forwarded),
        ("$proxy_add_x_forwarded_for", Role::Forwarded),
        ("$time_local", Role::Time(TimeKind::Ncsa)),
        ("$time_iso8601", Role::Time(TimeKind::Iso8601)),
        ("$msec", Role::Time(TimeKind::UnixFraction)),
        ("$status", Role::Status),
        ("${body_bytes_sent}", Role::Bytes),
        ("$request_length", Role::Bytes),
        ("$request", Role::Other),
        ("$http_user_agent", Role::Other),
        ("$remote_user", Role::Other),
    ];

    const APACHE_VARS: &[(&str, Role)] = &[
        ("%a", Role::Peer(0)),
        ("%h", Role::Peer(1)),
        ("%{c}a", Role::Peer(2)),
        ("%{X-Forwarded-For}i", Role::Forwarded),
        ("%t", Role::Time(TimeKind::Ncsa)),
        ("%{sec}t", Role::Time(TimeKind::UnixSeconds)),
        ("%{begin:msec}t", Role::Time(TimeKind::UnixMillis)),
        ("%{%Y-%m-%dT%H:%M:%S%z}t", Role::Time(TimeKind::Strftime)),
        ("%>s", Role::Status),
        ("%b", Role::Bytes),
        ("%O", Role::Bytes),
        ("%r", Role::Other),
        ("%{Referer}i", Role::Other),
        ("%u", Role::Other),
        ("%{msec_frac}t", Role::Other),
    ];

    /// Separator characters: values never hold them (but `\"` for `"`).
    const SEP: &[u8] = b" |\"[]#,;";

    fn value(role: Role, stamp: Stamp, pick: u64, other: &str) -> String {
        match role {
            Role::Peer(_) => {
                ["192.0.2.1", "-", "2001:db8::7", "a.example"][(pick % 4) as usize].into()
            }
            Role::Status => format!("{:03}", pick % 1000),
            Role::Bytes => {
                if pick.is_multiple_of(5) {
                    "-".into()
                } else {
                    (pick % 100_000).to_string()
                }
            }
            Role::Time(TimeKind::Ncsa) => ncsa_text(stamp),
            Role::Time(TimeKind::Iso8601) => iso_text(stamp),
            Role::Time(TimeKind::UnixFraction) => {
                format!("{}.{:03}", stamp.utc().max(0), pick % 1000)
            }
            Role::Time(TimeKind::UnixSeconds) => stamp.utc().max(0).to_string(),
            Role::Time(TimeKind::UnixMillis) => format!("{}{:03}", stamp.utc().max(0), pick % 1000),
            Role::Time(_) => {
                let iso = iso_text(stamp);
                // %Y-%m-%dT%H:%M:%S%z
                let zone = iso[19..].replace(':', "").replace('Z', "+0000");
                format!("{}{}", &iso[..19], zone)
            }
            Role::Forwarded | Role::Other => other.into(),
        }
    }

    /// Apache or nginx; the variables (pool index, separator after, a number to draw a
    /// value with, an untyped value); the leading literal; where the client goes; whether the
    /// template ends in a literal.
    type Case = (bool, Vec<(usize, String, u64, String)>, String, usize, bool);

    fn template_case() -> impl Strategy<Value = Case> {
        let sep = proptest::collection::vec(proptest::sample::select(SEP.to_vec()), 1..4)
            .prop_map(|v| String::from_utf8(v).unwrap());
        let other = "([A-Za-z0-9.:/=-]|\\\\\")*";
        (
            any::<bool>(),
            proptest::collection::vec((0usize..15, sep, any::<u64>(), other), 1..8),
            "([|#,;]{0,2})",
            0usize..20,
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn drawn_lines_give_back_their_values(
            (apache, vars, head, client_at, last_sep) in template_case(),
            stamp_secs in 0i64..4_000_000_000,
            minutes in -(23 * 60 + 59)..(23 * 60 + 59i32),
        ) {
            let pool = if apache { APACHE_VARS } else { NGINX_VARS };
            let stamp_utc = Stamp { local: stamp_secs, offset: 0 };
            let stamp_zoned = Stamp { local: stamp_secs + i64::from(minutes) * 60, offset: minutes * 60 };
            let mut items: Vec<(&str, Role, String, String)> = vars
                .iter()
                .map(|(k, sep, pick, other)| {
                    let (name, role) = pool[k % pool.len()];
                    // Untyped values must not hold `"` but as `\"` before a literal
                    // starting with `"`: drop the escapes elsewhere.
                    let mut other = other.clone();
                    if !sep.starts_with('"') {
                        other = other.replace("\\\"", "");
                    }
                    let stamp = match role {
                        Role::Time(TimeKind::Ncsa | TimeKind::Iso8601 | TimeKind::Strftime) => stamp_zoned,
                        _ => stamp_utc,
                    };
                    let mut sep = sep.clone();
                    if matches!(role, Role::Time(_)) && sep.bytes().all(|b| b == b' ') {
                        sep.insert(0, '|');
                    }
                    (name, role, value(role, stamp, *pick, &other), sep)
                })
                .collect();
            // Always a peer client somewhere.
            let peer = if apache { ("%h", Role::Peer(1)) } else { ("$remote_addr", Role::Peer(0)) };
            let at = client_at % (items.len() + 1);
            items.insert(at, (peer.0, peer.1, "198.51.100.9".into(), " ".into()));
            if !last_sep {
                items.last_mut().unwrap().3.clear();
            }
            let mut text = head.clone();
            let mut line = head.clone();
            for (name, role, value, sep) in &items {
                text.push_str(name);
                if apache && *name == "%t" {
                    line.push('[');
                    line.push_str(value);
                    line.push(']');
                } else {
                    line.push_str(value);
                }
                let _ = role;
                if apache {
                    text.push_str(&sep.replace('"', "\\\""));
                } else {
                    text.push_str(sep);
                }
                line.push_str(sep);
            }
            let t = Template::compile(&text, None).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            // The expected parts.
            let best = items.iter().filter_map(|i| match i.1 { Role::Peer(r) => Some(r), _ => None }).min().unwrap();
            let client = items.iter().find(|i| i.1 == Role::Peer(best)).unwrap();
            let forwarded = items.iter().find(|i| i.1 == Role::Forwarded).map(|i| i.2.as_bytes());
            let time = items.iter().find(|i| matches!(i.1, Role::Time(_)));
            let want = Parts {
                client: client.2.as_bytes(),
                forwarded,
                time: time.map(|i| i.2.as_bytes()),
                v4: parse_v4(client.2.as_bytes()),
            };
            prop_assert_eq!(t.parts(line.as_bytes()), Some(want), "{} / {}", text, line);
            prop_assert_eq!(t.has_forwarded(), forwarded.is_some());
            if let Some((_, Role::Time(kind), value, _)) = time {
                prop_assert_eq!(t.time_kind(), Some(*kind));
                let stamp = t.stamp(value.as_bytes());
                let want = match kind {
                    TimeKind::Ncsa | TimeKind::Iso8601 | TimeKind::Strftime => stamp_zoned,
                    _ => stamp_utc,
                };
                // ISO text writes offset 0 as `Z`: the same stamp.
                prop_assert_eq!(stamp, Some(want), "{}", value);
            } else {
                prop_assert!(!t.has_time());
            }
            // With trailing whitespace.
            let padded = format!("{line} \t\r");
            prop_assert_eq!(t.parts(padded.as_bytes()), Some(want));
        }

        #[test]
        fn random_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            for text in [NGINX_COMBINED, NGINX_MAIN, APACHE_COMBINED, APACHE_VHOST, "$remote_user$a \"$b\" $remote_addr $status", "%h %{%F %T %z}t|%{sec}t"] {
                let t = Template::compile(text, None).unwrap();
                if let Some(parts) = t.parts(&line) {
                    let _ = parts.time.map(|time| t.stamp(time));
                }
            }
        }

        #[test]
        fn near_lines_never_panic(cut in 0usize..200, byte in any::<u8>(), at in 0usize..200) {
            let t = Template::compile(NGINX_MAIN, None).unwrap();
            let mut line = LINE.to_vec();
            line.truncate(cut.min(line.len()));
            let at = at.min(line.len());
            line.insert(at, byte);
            let _ = t.parts(&line);
        }

        #[test]
        fn random_templates_never_panic(text in "[$%{}a-z_\\\\\" ><^!0-9]{0,30}", field in proptest::option::of("[$%{}a-z_]{0,8}")) {
            if let Ok(t) = Template::compile(&text, field.as_deref()) {
                let _ = t.parts(text.as_bytes());
            }
        }
    }
}

//! JSON access logs: one JSON object per line (nginx `escape=json`, Caddy, Traefik, ...).
//!
//! The line must be one well-formed JSON object. Its client is the first present field of a
//! fixed list of names ([`DEFAULT_FIELDS`]), or of the one path `--client-field` names: a
//! non-empty string, with a port or brackets taken off where the shape is unambiguous
//! (`ClientAddr`'s `1.2.3.4:5678`, `[::1]:443`). The scanner validates the whole object without
//! building it, and copies a value only when it holds escapes. Asked for the time too
//! ([`timed`]), it also takes the value of the first top-level field of [`TIME_FIELDS`], in the
//! same pass.

use super::client::clean_address;
use super::time::{parse_iso, parse_ncsa, parse_unix, When};

/// Where clients stand in the JSON logs of common servers, in the order they are tried: the
/// address a proxy-aware server resolved first, the socket's peer last, generic names after
/// specific ones. Besides nginx, Caddy and Traefik's names: Datadog (`http.client_ip`,
/// `network.client.ip`), Elastic Common Schema (`client.ip`, `source.ip`, `source.address`),
/// Google Cloud (`httpRequest.remoteIp`), AWS WAF (`httpRequest.clientIp`), Azure Front Door
/// and Application Gateway (`properties.clientIp`, `properties.clientIP`), Cloudflare
/// (`ClientIP`), Akamai DataStream (`cliIP`), Envoy (`downstream_remote_address`, with its
/// port), API Gateway access logs (`sourceIp`), IIS-style `c-ip`, and plain `remote_address`,
/// `clientip`, `client`, `ip`.
pub const DEFAULT_FIELDS: &[&str] = &[
    "client_ip",
    "remote_ip",
    "remote_addr",
    "ClientHost",
    "ClientAddr",
    "request.client_ip",
    "request.remote_ip",
    "request.remote_addr",
    "http.client_ip",
    "network.client.ip",
    "client.ip",
    "source.ip",
    "source.address",
    "httpRequest.remoteIp",
    "httpRequest.clientIp",
    "properties.clientIp",
    "properties.clientIP",
    "ClientIP",
    "cliIP",
    "downstream_remote_address",
    "remote_address",
    "sourceIp",
    "c-ip",
    "clientip",
    "client",
    "ip",
];

/// Where JSON access logs keep the request's time, top-level fields tried in this order (the
/// first present with a string or number value is the time): logrus, Traefik (`time`, then its
/// `StartUTC`/`StartLocal`), Pino/Bunyan/Winston (`time`, `timestamp`), Logstash and Elastic
/// (`@timestamp`), Caddy and zap (`ts`, Unix seconds), nginx `escape=json` logs named after
/// their variables (`time_iso8601`, `time_local`), Envoy (`start_time`), Cloudflare
/// (`EdgeStartTimestamp`), Akamai (`reqTimeSec`), and plain `date`, `datetime`. A string holds ISO 8601 or NCSA text, or Unix time as digits; a number is Unix
/// time (13 integer digits milliseconds, 16 microseconds, 19 nanoseconds).
pub const TIME_FIELDS: &[&str] = &[
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "time_iso8601",
    "time_local",
    "StartUTC",
    "StartLocal",
    "start_time",
    "EdgeStartTimestamp",
    "reqTimeSec",
    "date",
    "datetime",
];

/// Where JSON logs keep the `X-Forwarded-For` header beside the client, top-level names tried
/// in this order: nginx `escape=json` logs named after the variable, plain names, Traefik's
/// `request_X-Forwarded-For`. Looked for only under `--trusted-proxy` (docs/contract.md §1).
pub const FORWARDED_FIELDS: &[&str] = &[
    "http_x_forwarded_for",
    "x_forwarded_for",
    "X-Forwarded-For",
    "request_X-Forwarded-For",
];

/// Nesting deeper than this is not an access log line.
const MAX_DEPTH: usize = 32;

/// The most paths looked for at once (they are tracked as bits).
const MAX_PATHS: usize = 32;

/// The most client paths a [`Fields`] holds (the forwarded header's take the rest).
pub const MAX_CLIENT_FIELDS: usize = MAX_PATHS - FORWARDED_FIELDS.len();

/// Field paths to look for, in order of preference (`request.client_ip` is two segments):
/// the client's, then (under `--trusted-proxy`) the forwarded header's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    paths: Vec<Vec<Box<[u8]>>>,
    /// How many of `paths` are the client's (the rest are [`FORWARDED_FIELDS`]).
    clients: usize,
    /// For each depth, the paths (as bits) whose segment there is `n` bytes long, at `[n]`
    /// (`[LONG]` for every longer one): a key is compared with those alone.
    by_len: Vec<[u32; LONG + 1]>,
}

/// Segment lengths [`Fields::by_len`] tells apart; longer ones share its last entry.
const LONG: usize = 31;

impl Default for Fields {
    fn default() -> Self {
        Fields::new(DEFAULT_FIELDS.iter().copied())
    }
}

impl Fields {
    pub(crate) fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> Fields {
        let paths: Vec<Vec<Box<[u8]>>> = paths
            .into_iter()
            .map(|p| p.split('.').map(|s| s.as_bytes().into()).collect())
            .collect();
        assert!(
            paths.len() <= MAX_CLIENT_FIELDS,
            "at most {MAX_CLIENT_FIELDS} client fields"
        );
        let clients = paths.len();
        Fields::indexed(paths, clients)
    }

    fn indexed(paths: Vec<Vec<Box<[u8]>>>, clients: usize) -> Fields {
        let depth = paths.iter().map(Vec::len).max().unwrap_or(0);
        let mut by_len = vec![[0u32; LONG + 1]; depth];
        for (p, path) in paths.iter().enumerate() {
            for (d, segment) in path.iter().enumerate() {
                by_len[d][segment.len().min(LONG)] |= 1 << p;
            }
        }
        Fields {
            paths,
            clients,
            by_len,
        }
    }

    /// The paths (as bits) whose segment at `depth` may be a key of `len` bytes.
    #[inline]
    fn of_len(&self, depth: usize, len: usize) -> u32 {
        self.by_len.get(depth).map_or(0, |l| l[len.min(LONG)])
    }

    /// These fields and the forwarded header's ([`FORWARDED_FIELDS`]).
    pub(crate) fn with_forwarded(&self) -> Fields {
        let mut paths = self.paths[..self.clients].to_vec();
        paths.extend(FORWARDED_FIELDS.iter().map(|f| vec![f.as_bytes().into()]));
        Fields::indexed(paths, self.clients)
    }

    /// One path (`--client-field`), `a.b.c` for nested objects.
    pub fn parse(path: &str) -> Result<Fields, String> {
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!(
                "`{path}` is not a field path: give names joined by dots, e.g. request.client_ip"
            ));
        }
        Ok(Fields::new([path]))
    }

    /// The paths as written, for plans and messages.
    pub(crate) fn names(&self) -> Vec<String> {
        self.paths[..self.clients]
            .iter()
            .map(|p| {
                p.iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }
}

/// Where a found value lies: in the line, or (when it had escapes) in the scratch buffer.
#[derive(Clone, Copy, Debug)]
enum Found {
    Line(usize, usize),
    Scratch(usize, usize),
}

/// What a JSON line says of its client: the client field's value (empty when every client
/// field present is empty or `-`: a request without a client), and the forwarded header's
/// where the fields look for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Picked<'a> {
    pub(crate) client: &'a [u8],
    pub(crate) forwarded: Option<&'a [u8]>,
}

/// The client of a JSON line, or `None` if the line is not a JSON object or holds none of the
/// fields. `scratch` holds unescaped values.
pub(crate) fn client<'a>(
    line: &'a [u8],
    fields: &Fields,
    scratch: &'a mut Vec<u8>,
) -> Option<Picked<'a>> {
    let mut found = [None; MAX_PATHS];
    scan(line, fields, scratch, &mut found, &mut NoTime)?;
    pick(line, scratch, fields, &found)
}

/// [`client`], and the line's time: the value of the first of [`TIME_FIELDS`] present (with a
/// string or number value) at the object's top level. A line that is no JSON object has no time
/// ([`When::Absent`]); one without a client still has the time it holds.
pub(crate) fn timed<'a>(
    line: &'a [u8],
    fields: &Fields,
    scratch: &'a mut Vec<u8>,
) -> (Option<Picked<'a>>, When) {
    let (mut found, mut time) = ([None; MAX_PATHS], BestTime(None));
    if scan(line, fields, scratch, &mut found, &mut time).is_none() {
        return (None, When::Absent);
    }
    let scratch: &'a [u8] = scratch;
    let when = match time.0 {
        None => When::Absent,
        Some((_, value)) => {
            let text = |f: Found| match f {
                Found::Line(a, b) => &line[a..b],
                Found::Scratch(a, b) => &scratch[a..b],
            };
            When::read(match value {
                TimeValue::Text(f) => {
                    let t = text(f);
                    parse_iso(t)
                        .or_else(|| parse_ncsa(t))
                        .or_else(|| parse_unix(t))
                }
                TimeValue::Number(f) => parse_unix(text(f)),
            })
        }
    };
    (pick(line, scratch, fields, &found), when)
}

/// Checks that `line` is one JSON object and finds the fields' values, into `found` (and the
/// time field's, into `time`, where it looks for one).
#[inline(always)]
fn scan<T: TimeSink>(
    line: &[u8],
    fields: &Fields,
    scratch: &mut Vec<u8>,
    found: &mut [Option<Found>; MAX_PATHS],
    time: &mut T,
) -> Option<()> {
    scratch.clear();
    let mut s = Scanner {
        s: line,
        i: 0,
        fields,
        found,
        scratch,
        time,
    };
    s.ws();
    let all = u32::MAX >> (32 - fields.paths.len());
    s.object(all, 0, 0)?;
    s.ws();
    (s.i == line.len()).then_some(())
}

/// The first found client value that is neither empty nor `-` (or, when every one found is,
/// an empty one: a request without a client), and the forwarded header's value.
#[inline]
fn pick<'a>(
    line: &'a [u8],
    scratch: &'a [u8],
    fields: &Fields,
    found: &[Option<Found>],
) -> Option<Picked<'a>> {
    let text = |f: &Found| match *f {
        Found::Line(a, b) => &line[a..b],
        Found::Scratch(a, b) => &scratch[a..b],
    };
    let (clients, forwarded) = found[..fields.paths.len()].split_at(fields.clients);
    let mut any = false;
    let client = clients.iter().flatten().find_map(|f| {
        any = true;
        Some(clean_address(text(f))).filter(|v| !v.is_empty() && *v != b"-")
    });
    let client = match client {
        Some(c) => c,
        None if any => &[],
        None => return None,
    };
    Some(Picked {
        client,
        forwarded: forwarded.iter().flatten().next().map(text),
    })
}

/// A time field's value: a string's contents, or a number's text.
#[derive(Clone, Copy, Debug)]
enum TimeValue {
    Text(Found),
    Number(Found),
}

/// Which of [`TIME_FIELDS`] `key` is.
#[inline]
fn time_field(key: &[u8]) -> Option<usize> {
    TIME_FIELDS.iter().position(|f| f.as_bytes() == key)
}

/// Where a scan keeps the time field it found, if it looks for one: [`NoTime`] for [`client`]
/// (a scanner of its own, which does no more work than before times were read), [`BestTime`]
/// for [`timed`].
trait TimeSink {
    const LOOKS: bool;
    /// The place in [`TIME_FIELDS`] of the field found so far.
    fn best(&self) -> Option<usize>;
    fn put(&mut self, field: usize, value: TimeValue);
}

struct NoTime;

impl TimeSink for NoTime {
    const LOOKS: bool = false;
    fn best(&self) -> Option<usize> {
        None
    }
    fn put(&mut self, _: usize, _: TimeValue) {}
}

/// The best time field so far: its place in [`TIME_FIELDS`] and its value.
struct BestTime(Option<(usize, TimeValue)>);

impl TimeSink for BestTime {
    const LOOKS: bool = true;
    fn best(&self) -> Option<usize> {
        self.0.map(|(field, _)| field)
    }
    fn put(&mut self, field: usize, value: TimeValue) {
        self.0 = Some((field, value));
    }
}

/// A scan of one line; `T` keeps the time field, if the scan looks for one.
struct Scanner<'a, 'f, T> {
    s: &'a [u8],
    i: usize,
    fields: &'f Fields,
    found: &'f mut [Option<Found>],
    scratch: &'f mut Vec<u8>,
    time: &'f mut T,
}

impl<T: TimeSink> Scanner<'_, '_, T> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.i += 1)
    }

    /// An object; `wanted` are the paths (as bits) whose first `depth` segments led here.
    fn object(&mut self, wanted: u32, depth: usize, nesting: usize) -> Option<()> {
        if nesting > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let (key_start, key_end, escaped) = self.string_span()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            // The paths whose next segment is this key: ending here, or going deeper.
            let key = &self.s[key_start..key_end];
            let (mut last, mut deeper) = (0u32, 0u32);
            if !escaped {
                let mut maybe = wanted & self.fields.of_len(depth, key.len());
                while maybe != 0 {
                    let p = maybe.trailing_zeros() as usize;
                    maybe &= maybe - 1;
                    let path = &self.fields.paths[p];
                    if *path[depth] == *key {
                        if path.len() == depth + 1 {
                            last |= 1 << p;
                        } else {
                            deeper |= 1 << p;
                        }
                    }
                }
            }
            // A top-level time field is taken apart (the untimed scanner never looks).
            let taken = T::LOOKS
                && nesting == 0
                && !escaped
                && self.time_value(key_start, key_end, last)?;
            if !taken {
                match self.peek()? {
                    b'"' if last != 0 => {
                        let value = self.string_value()?;
                        self.found_at(last, value);
                    }
                    b'{' => self.object(deeper, depth + 1, nesting + 1)?,
                    _ => self.value(nesting + 1)?,
                }
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Records `value` for the paths `last` names (a path keeps the first value found).
    #[inline]
    fn found_at(&mut self, last: u32, value: Found) {
        for (p, found) in self.found.iter_mut().enumerate() {
            if last & (1 << p) != 0 {
                found.get_or_insert(value);
            }
        }
    }

    /// With the key at `key_start..key_end` just read, at the top level: if it is a time field
    /// better than any seen so far and its value a string or a number, consumes the value
    /// (recorded for the client paths `last` names too) and says `true`.
    fn time_value(&mut self, key_start: usize, key_end: usize, last: u32) -> Option<bool> {
        let Some(t) = time_field(&self.s[key_start..key_end]) else {
            return Some(false);
        };
        if self.time.best().is_some_and(|best| best <= t) {
            return Some(false);
        }
        let value = match self.peek()? {
            b'"' => {
                let value = self.string_value()?;
                self.found_at(last, value);
                TimeValue::Text(value)
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.number()?;
                TimeValue::Number(Found::Line(start, self.i))
            }
            _ => return Some(false),
        };
        self.time.put(t, value);
        Some(true)
    }

    fn array(&mut self, nesting: usize) -> Option<()> {
        if nesting > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            self.value(nesting + 1)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any value, checked and skipped.
    fn value(&mut self, nesting: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(0, 0, nesting),
            b'[' => self.array(nesting),
            b'"' => self.string_span().map(drop),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Some(())
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let n = self.s[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.i += n;
        n
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.').is_some() && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// A string: where its contents lie and whether they hold escapes (checked, not decoded).
    fn string_span(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let at = self.i + memchr::memchr2(b'"', b'\\', &self.s[self.i..])?;
            if self.s[at] == b'"' {
                self.i = at + 1;
                return Some((start, at, escaped));
            }
            escaped = true;
            self.i = at + 1;
            match self.peek()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                b'u' => {
                    let hex = self.s.get(self.i + 1..self.i + 5)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    self.i += 5;
                }
                _ => return None,
            }
        }
    }

    /// A string value that was looked for: in place, or decoded into the scratch buffer.
    #[inline(always)]
    fn string_value(&mut self) -> Option<Found> {
        let (start, end, escaped) = self.string_span()?;
        if !escaped {
            return Some(Found::Line(start, end));
        }
        let from = self.scratch.len();
        unescape(&self.s[start..end], self.scratch)?;
        Some(Found::Scratch(from, self.scratch.len()))
    }
}

/// Decodes a checked JSON string's escapes into `out`. (Inlined, with [`Scanner::string_value`],
/// into each instance of the scanner: left to itself the compiler outlines them once there are
/// two, and [`client`]'s loop over the field paths comes out an instruction longer.)
#[inline(always)]
fn unescape(s: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = match s[i + 1] {
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hex = |at: usize| {
                    std::str::from_utf8(s.get(at..at + 4)?)
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let mut code = hex(i + 2)?;
                i += 6;
                if (0xd800..0xdc00).contains(&code) && s.get(i..i + 2) == Some(b"\\u") {
                    let low = hex(i + 2)?;
                    if (0xdc00..0xe000).contains(&low) {
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                        i += 6;
                    }
                }
                let ch = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
            other => other,
        };
        out.push(c);
        i += 2;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(line: &str, fields: &Fields) -> Option<String> {
        let mut scratch = Vec::new();
        client(line.as_bytes(), fields, &mut scratch)
            .map(|c| String::from_utf8_lossy(c.client).into_owned())
    }

    fn default(line: &str) -> Option<String> {
        find(line, &Fields::default())
    }

    #[test]
    fn clients_of_common_servers() {
        // nginx log_format escape=json
        assert_eq!(
            default(r#"{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"203.0.113.9","request":"GET / HTTP/1.1","status":"200"}"#).as_deref(),
            Some("203.0.113.9")
        );
        // Caddy 2.5+: the client behind trusted proxies before the peer
        assert_eq!(
            default(r#"{"level":"info","ts":1646861401.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.9","remote_port":"41342","client_ip":"203.0.113.7","proto":"HTTP/1.1","headers":{"User-Agent":["curl/7.82.0"]}},"status":200}"#).as_deref(),
            Some("203.0.113.7")
        );
        // older Caddy: remote_addr with its port
        assert_eq!(
            default(
                r#"{"request":{"remote_addr":"[2001:db8::1]:50000","method":"GET"},"status":200}"#
            )
            .as_deref(),
            Some("2001:db8::1")
        );
        // Traefik
        assert_eq!(
            default(r#"{"ClientAddr":"192.168.1.5:51234","ClientHost":"192.168.1.5","RequestMethod":"GET","DownstreamStatus":200}"#).as_deref(),
            Some("192.168.1.5")
        );
        assert_eq!(
            default(r#"{"ClientAddr":"192.168.1.5:51234","RequestMethod":"GET"}"#).as_deref(),
            Some("192.168.1.5")
        );
        // escapes are decoded; an empty or non-string field is not a client
        assert_eq!(
            default(r#"{"client_ip":"","remote_addr":"1.2.3.\u0034"}"#).as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(
            default(r#"{"client_ip":null,"remote_ip":7,"remote_addr":"x"}"#).as_deref(),
            Some("x")
        );
    }

    // Each as the logger's documentation names its field.
    #[test]
    fn clients_of_shippers_clouds_and_proxies() {
        let cases = [
            // Elastic Common Schema
            (
                r#"{"@timestamp":"2026-12-07T10:00:00Z","source":{"ip":"203.0.113.1","port":5000},"http":{"request":{"method":"GET"}}}"#,
                "203.0.113.1",
            ),
            (
                r#"{"source":{"address":"203.0.113.2"},"url":{"path":"/"}}"#,
                "203.0.113.2",
            ),
            (
                r#"{"client":{"ip":"203.0.113.3"},"source":{"ip":"10.0.0.1"}}"#,
                "203.0.113.3",
            ),
            // Datadog standard attributes
            (
                r#"{"network":{"client":{"ip":"203.0.113.4","port":443}},"http":{"status_code":200}}"#,
                "203.0.113.4",
            ),
            (
                r#"{"http":{"client_ip":"203.0.113.5"},"network":{"client":{"ip":"10.0.0.2"}}}"#,
                "203.0.113.5",
            ),
            // Google Cloud HTTP(S) load balancing
            (
                r#"{"httpRequest":{"requestMethod":"GET","remoteIp":"2001:db8::9","status":200},"timestamp":"2026-12-07T10:00:00.1Z"}"#,
                "2001:db8::9",
            ),
            // Cloudflare Logpush
            (
                r#"{"ClientIP":"203.0.113.6","ClientRequestMethod":"GET","EdgeStartTimestamp":1765101600000000000}"#,
                "203.0.113.6",
            ),
            // Envoy's JSON access log: the peer with its port
            (
                r#"{"start_time":"2026-12-07T10:00:00.000Z","downstream_remote_address":"203.0.113.7:41234","response_code":200}"#,
                "203.0.113.7",
            ),
            (
                r#"{"downstream_remote_address":"[2001:db8::7]:41234"}"#,
                "2001:db8::7",
            ),
            // AWS WAF, Azure Front Door and Application Gateway, Akamai DataStream 2
            (
                r#"{"timestamp":1765101600000,"action":"ALLOW","httpRequest":{"clientIp":"203.0.113.20","country":"US","uri":"/"}}"#,
                "203.0.113.20",
            ),
            (
                r#"{"time":"2026-12-07T10:00:00Z","category":"FrontDoorAccessLog","properties":{"clientIp":"203.0.113.21","httpMethod":"GET"}}"#,
                "203.0.113.21",
            ),
            (
                r#"{"time":"2026-12-07T10:00:00Z","category":"ApplicationGatewayAccessLog","properties":{"clientIP":"203.0.113.22","httpStatus":200}}"#,
                "203.0.113.22",
            ),
            (
                r#"{"version":2,"cliIP":"203.0.113.23","reqTimeSec":"1765101600.123","statusCode":"200"}"#,
                "203.0.113.23",
            ),
            // API Gateway's `$context.identity.sourceIp`, as its examples name it
            (
                r#"{"requestId":"c6af9ac6","sourceIp":"203.0.113.24","httpMethod":"GET"}"#,
                "203.0.113.24",
            ),
            // plain names
            (r#"{"remote_address":"203.0.113.8"}"#, "203.0.113.8"),
            (
                r#"{"c-ip":"203.0.113.10","cs-method":"GET"}"#,
                "203.0.113.10",
            ),
            (r#"{"ip":"203.0.113.11","path":"/"}"#, "203.0.113.11"),
            // a specific name wins over a generic one
            (
                r#"{"ip":"10.9.9.9","remote_addr":"203.0.113.12"}"#,
                "203.0.113.12",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(default(line).as_deref(), Some(want), "{line}");
        }
    }

    #[test]
    fn not_json_objects_or_without_a_client() {
        for line in [
            r#"{"remote_addr":"1.2.3.4""#,
            r#"{"remote_addr":"1.2.3.4"} trailing"#,
            r#"["remote_addr","1.2.3.4"]"#,
            r#"{"level":"info","msg":"started"}"#,
            r#"{"remote_addr":"1.2.3.4",}"#,
            r#"{"remote_addr":"1.2\x.3.4"}"#,
            r#"{"a":01,"remote_addr":"1.2.3.4"}"#,
            r#"{"a":tru,"remote_addr":"1.2.3.4"}"#,
            "1.2.3.4 - - [x] \"GET /\" 200 1",
            "",
        ] {
            assert_eq!(default(line), None, "{line}");
        }
        let deep = format!(
            "{}\"remote_addr\":\"1.2.3.4\"{}",
            "{\"a\":".repeat(40),
            "}".repeat(40)
        );
        assert_eq!(default(&format!("{{{deep}")), None);
    }

    #[test]
    fn a_named_field_path_replaces_the_list() {
        let fields = Fields::parse("http.peer.ip").unwrap();
        let line = r#"{"remote_addr":"10.0.0.1","http":{"peer":{"ip":"198.51.100.4","port":1},"x":[1,2,{"y":"z"}]}}"#;
        assert_eq!(find(line, &fields).as_deref(), Some("198.51.100.4"));
        assert_eq!(find(r#"{"remote_addr":"10.0.0.1"}"#, &fields), None);
        assert!(Fields::parse("a..b").is_err());
        assert!(Fields::parse("").is_err());
        assert_eq!(fields.names(), ["http.peer.ip"]);
    }
}

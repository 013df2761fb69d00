//! HAProxy's logs, usually behind a syslog header (`... haproxy[PID]: `), in each of the formats
//! its configuration manual (section 8.2, "Log formats") describes:
//!
//! - `option httplog` (HTTP): `CLIENT [TIME] FRONTEND BACKEND/SERVER TIMERS STATUS BYTES ...`,
//!   with whatever follows (captured headers `{...}`, HAProxy 2.x's extra fields, the request);
//! - `option tcplog` (TCP): `CLIENT [TIME] FRONTEND BACKEND/SERVER TIMERS BYTES STATE ...`, a
//!   connection, which is what the access log holds of it: counted as a request (`STATE` two
//!   of `A-Z`, `a-z` and `-`);
//! - the default format (no `option`): `Connect from CLIENT to ADDR:PORT (FRONTEND/MODE)`, which
//!   carries no time of its own (the syslog header's has no year).
//!
//! `option httplog clf` writes NCSA lines, read by `syslog+combined`.
//!
//! The line may start at the client (`log stdout format raw`), carry the header that ends with
//! the process tag (`haproxy[14389]: `), or a bare priority (`log stdout format short`:
//! `<134>10.0.1.2:33317 [...`). The client is written `IP:PORT` (an IP, never a name; IPv6
//! with or without brackets) and counted without its port; a client that is no address
//! (`-:PORT`, a unix socket `unix:...`) makes a request without a client (docs/contract.md §1).

use super::client::{client, strip_port, Client};
use super::cursor::Cursor;
use super::time::{first_bracketed_ncsa, parse_ncsa, When};

/// How far into a line the process tag that ends a syslog header is looked for.
const HEADER_MAX: usize = 256;

/// The client of a HAProxy log line.
pub(crate) fn haproxy(line: &[u8]) -> Option<Client<'_>> {
    parts(line).map(|(client, _)| client)
}

/// [`haproxy`], and the line's time: the accept date (`06/Feb/2009:12:14:14.655`, NCSA time
/// without an offset: offset 0), absent from the default format; for a line that is not a
/// HAProxy line, the first bracketed NCSA time in it, if any (best effort).
pub(crate) fn haproxy_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match parts(line) {
        Some((client, Some(time))) => (Some(client), When::read(parse_ncsa(time))),
        Some((client, None)) => (Some(client), When::Absent),
        None => (None, When::found(first_bracketed_ncsa(line))),
    }
}

/// The client and what the `[TIME]` holds (none in the default format).
fn parts(line: &[u8]) -> Option<(Client<'_>, Option<&[u8]>)> {
    body(line)
        .or_else(|| body(after_header(line)?))
        .or_else(|| body(after_priority(line)?))
}

/// The line after a bare `<PRI>` (`log stdout format short`: `<134>10.0.1.2:33317 [...`).
fn after_priority(line: &[u8]) -> Option<&[u8]> {
    let mut c = Cursor::new(line);
    c.byte(b'<')?;
    if c.number()?.len() > 3 {
        return None;
    }
    c.byte(b'>')?;
    Some(c.rest())
}

/// The line after a syslog header that ends with the process tag (`haproxy[14389]: `).
#[inline]
fn after_header(line: &[u8]) -> Option<&[u8]> {
    let head = &line[..line.len().min(HEADER_MAX)];
    let tag_end = memchr::memmem::find(head, b"]: ")?;
    Some(&line[tag_end + 3..])
}

#[inline(always)]
fn body(line: &[u8]) -> Option<(Client<'_>, Option<&[u8]>)> {
    if let Some(rest) = line.strip_prefix(b"Connect from ") {
        return connect(rest).map(|client| (client, None));
    }
    logged(line).map(|(client, time)| (client, Some(time)))
}

/// `CLIENT [TIME] FRONTEND BACKEND/SERVER TIMERS` then the HTTP or the TCP fields: the client
/// and what the `[TIME]` holds.
#[inline(always)]
fn logged(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    let address = c.token()?;
    c.literal(b" [")?;
    let time = c.bracketed()?;
    c.byte(b' ')?;
    c.token()?; // frontend (may end with `~` for TLS)
    c.byte(b' ')?;
    let backend = c.token()?;
    memchr::memchr(b'/', backend)?;
    c.byte(b' ')?;
    let timers = c.token()?;
    if !timers
        .iter()
        .all(|b| b.is_ascii_digit() || b"/-+".contains(b))
    {
        return None;
    }
    c.byte(b' ')?;
    if !(http_tail(c) || tcp_tail(c)) {
        return None;
    }
    Some((client_of(address)?, time))
}

/// `STATUS BYTES` and the end or more fields (`option httplog`).
fn http_tail(mut c: Cursor<'_>) -> bool {
    let Some(status) = c.token() else {
        return false;
    };
    if !(status.len() == 3 && status.iter().all(u8::is_ascii_digit) || status == b"-1") {
        return false;
    }
    c.byte(b' ').is_some() && bytes(&mut c)
}

/// `BYTES STATE` (a two-letter termination state: `--` for a normal end, `CD`, `sD`, ...) and
/// the end or more fields (`option tcplog`).
fn tcp_tail(mut c: Cursor<'_>) -> bool {
    if !bytes(&mut c) {
        return false;
    }
    matches!(c.rest(), [a, b, rest @ ..]
        if is_state(*a) && is_state(*b) && matches!(rest.first(), None | Some(b' ')))
}

/// A byte of a termination state: a letter (`c` and `s` are the client's and the server's
/// timeouts) or `-`.
fn is_state(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'-'
}

/// A byte count (`+` before it when it was cut short) and the end or a space.
fn bytes(c: &mut Cursor<'_>) -> bool {
    let _ = c.byte(b'+');
    c.number().is_some() && c.end_or_space().is_some()
}

/// `CLIENT to ADDR:PORT (FRONTEND/MODE)`, after `Connect from ` (the default format).
fn connect(rest: &[u8]) -> Option<Client<'_>> {
    let mut c = Cursor::new(rest);
    let address = c.token()?;
    c.literal(b" to ")?;
    let to = c.token()?;
    strip_port(to)?;
    c.literal(b" (")?;
    let proxy = c.until(b')')?;
    memchr::memchr(b'/', proxy)?;
    if !c.at_end() {
        return None;
    }
    client_of(address)
}

/// The client of an `IP:PORT` field: none where it is no address (`-:PORT`, `unix:...`). HAProxy
/// writes an IP address there, never a name: anything but hex digits, `.` and `:` (brackets
/// off) is not a HAProxy line (`<134>10.0.1.2` is a priority before one).
fn client_of(address: &[u8]) -> Option<Client<'_>> {
    if address.starts_with(b"unix:") || address.starts_with(b"-:") || address == b"-" {
        return Some(Client::Absent);
    }
    let ip = strip_port(address)?;
    if !ip
        .iter()
        .all(|&b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    Some(client(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(line: &[u8]) -> (Option<Vec<u8>>, When) {
        let (client, when) = haproxy_timed(line);
        (client.map(Client::to_vec), when)
    }

    // Lines from the HAProxy configuration manual, section 8.2 ("Log formats"), with and
    // without the syslog header.
    #[test]
    fn http_lines_with_and_without_a_syslog_header() {
        let full = b"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"";
        assert_eq!(haproxy(full), Some(Client::V4(0x0a00_0102)));
        let bare = b"[2001:db8::5]:40000 [06/Feb/2009:12:14:14.655] https-in~ app/- 0/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"";
        assert_eq!(haproxy(bare), Some(Client::Bytes(b"2001:db8::5")));
        // HAProxy 2.x `option httplog` and `option httpslog`: the same head.
        let two = b"haproxy[27]: 192.168.1.10:51234 [10/Dec/2022:10:15:04.123] fe_main be_app/app1 0/0/1/3/4 200 1234 - - ---- 2/2/0/0/0 0/0 {example.com|Mozilla/5.0} {text/html} \"GET /health HTTP/1.1\" 0/0000000000000000/0/0/0 example.com/TLSv1.3/TLS_AES_256_GCM_SHA384";
        assert_eq!(haproxy(two), Some(Client::V4(0xc0a8_010a)));
        // IPv6 as `%ci:%cp` writes it, without brackets.
        let v6 = b"2001:db8::7:443 [06/Feb/2009:12:14:14.655] px px/- 0/0/0/0/0 400 187 - - PR-- 0/0/0/0/0 0/0 \"<BADREQ>\"";
        assert_eq!(haproxy(v6), Some(Client::Bytes(b"2001:db8::7")));
        assert_eq!(haproxy(b"1.2.3.4 - - [x] \"GET /\" 200 1"), None);
        // `log stdout format short`: the priority alone before the message
        let short = b"<134>10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET / HTTP/1.1\"";
        assert_eq!(haproxy(short), Some(Client::V4(0x0a00_0102)));
        assert_eq!(haproxy(&short[1..]), None, "no `<`, no priority");
    }

    #[test]
    fn tcp_lines_are_connections_counted_as_requests() {
        let tcp = b"Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0";
        assert_eq!(
            timed(tcp),
            (
                Some(b"10.0.1.2".to_vec()),
                When::read(parse_ncsa(b"06/Feb/2009:12:12:51.443"))
            )
        );
        let cut = b"10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/<NOSRV> -1/-1/0 +0 SC 1/1/0/0/0 0/0";
        assert_eq!(haproxy(cut), Some(Client::V4(0x0a00_0102)));
        // a server-side timeout
        let timeout = b"10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/30001 212 sD 0/0/0/0/0 0/0";
        assert_eq!(haproxy(timeout), Some(Client::V4(0x0a00_0102)));
        // Neither a status and bytes nor bytes and a state.
        let neither = b"10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -5 0/0";
        assert_eq!(haproxy(neither), None);
    }

    #[test]
    fn default_format_lines_have_a_client_and_no_time() {
        let line = b"Feb  6 12:12:09 localhost haproxy[14385]: Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)";
        assert_eq!(timed(line), (Some(b"10.0.1.2".to_vec()), When::Absent));
        let v6 = b"Connect from [2001:db8::1]:33312 to [2001:db8::2]:80 (www/TCP)";
        assert_eq!(haproxy(v6), Some(Client::Bytes(b"2001:db8::1")));
        assert_eq!(
            haproxy(b"Connect from 10.0.1.2:33312 to 10.0.3.31:8012"),
            None
        );
        assert_eq!(
            haproxy(b"Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP) extra"),
            None
        );
        // What else HAProxy says in the same log is not a request.
        assert_eq!(
            haproxy(b"Feb  6 12:12:09 localhost haproxy[14385]: Proxy www started."),
            None
        );
        assert_eq!(
            haproxy(b"haproxy[1]: Server app/app1 is DOWN, reason: Layer4 timeout"),
            None
        );
    }

    #[test]
    fn clients_that_are_no_address_make_requests_without_one() {
        for client in ["-:0", "unix:1", "unix:@frontend", "-"] {
            let line = format!("{client} [06/Feb/2009:12:14:14.655] fe be/s 0/0/0/0/0 200 10 - - ---- 1/1/1/1/0 0/0 \"GET / HTTP/1.1\"");
            assert_eq!(haproxy(line.as_bytes()), Some(Client::Absent), "{client}");
        }
        let tcp = b"unix:1 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0";
        assert_eq!(haproxy(tcp), Some(Client::Absent));
        // Not an address with a port: not a HAProxy line.
        let no_port = b"10.0.1.2 [06/Feb/2009:12:14:14.655] fe be/s 0/0/0/0/0 200 10";
        assert_eq!(haproxy(no_port), None);
    }
}

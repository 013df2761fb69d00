//! HAProxy's HTTP log format, usually behind a syslog header:
//! `... haproxy[PID]: IP:PORT [TIME] FRONTEND BACKEND/SERVER TIMERS STATUS BYTES ...`.
//!
//! The line may start at the client or carry the header that ends with the process tag
//! (`haproxy[14389]: `); the client is `IP:PORT` without its port.

use super::client::{client, strip_port, Client};
use super::cursor::Cursor;
use super::time::{first_bracketed_ncsa, parse_ncsa, When};

/// How far into a line the process tag that ends a syslog header is looked for.
const HEADER_MAX: usize = 256;

/// The client of a HAProxy HTTP log line.
pub fn haproxy(line: &[u8]) -> Option<Client<'_>> {
    client_of(line).or_else(|| client_of(after_header(line)?))
}

/// [`haproxy`], and the line's time: the accept date (`06/Feb/2009:12:14:14.655`, NCSA time
/// without an offset: offset 0); for a line that is not a HAProxy HTTP line, the first
/// bracketed NCSA time in it, if any (best effort).
pub fn haproxy_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match parts(line) {
        Some((client, time)) => (Some(client), When::read(parse_ncsa(time))),
        None => (None, When::found(first_bracketed_ncsa(line))),
    }
}

/// The client and what the `[TIME]` holds.
fn parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    body(line).or_else(|| body(after_header(line)?))
}

/// The line after a syslog header that ends with the process tag (`haproxy[14389]: `).
#[inline]
fn after_header(line: &[u8]) -> Option<&[u8]> {
    let head = &line[..line.len().min(HEADER_MAX)];
    let tag_end = memchr::memmem::find(head, b"]: ")?;
    Some(&line[tag_end + 3..])
}

/// [`body`]'s client (the counting path, which then never hands the time's place back).
fn client_of(line: &[u8]) -> Option<Client<'_>> {
    body(line).map(|(client, _)| client)
}

/// `IP:PORT [TIME] FRONTEND BACKEND/SERVER TIMERS STATUS BYTES` and the end or more fields:
/// the client and what the `[TIME]` holds.
#[inline(always)]
fn body(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    let address = strip_port(c.token()?)?;
    c.literal(b" [")?;
    let time = c.until(b']')?;
    if time.is_empty() {
        return None;
    }
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
    let status = c.token()?;
    if !(status.len() == 3 && status.iter().all(u8::is_ascii_digit) || status == b"-1") {
        return None;
    }
    c.byte(b' ')?;
    let _ = c.byte(b'+');
    c.number()?;
    c.end_or_space()?;
    Some((client(address), time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_with_and_without_a_syslog_header() {
        let full = b"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"";
        assert_eq!(haproxy(full), Some(Client::V4(0x0a00_0102)));
        let bare = b"[2001:db8::5]:40000 [06/Feb/2009:12:14:14.655] https-in~ app/- 0/-1/-1/-1/0 503 212 - - SC-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"";
        assert_eq!(haproxy(bare), Some(Client::Bytes(b"2001:db8::5")));
        // The TCP format has no status and bytes where HTTP has them.
        let tcp = b"Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0";
        assert_eq!(haproxy(tcp), None);
        assert_eq!(haproxy(b"1.2.3.4 - - [x] \"GET /\" 200 1"), None);
    }
}

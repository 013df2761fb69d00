//! Squid's native `access.log` format (`squid`), as its `logformat squid` defines it:
//!
//! ```text
//! %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//! ```
//!
//! `1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html`:
//! the time in Unix seconds with milliseconds, the elapsed milliseconds right-aligned in six
//! columns (so one or more spaces before them), the client, the cache result and the HTTP status,
//! the bytes, the method, the URL, the user, the hierarchy code and peer, the content type.
//! The client is `%>a` (a host name under `log_fqdn on`).

use super::client::{client, Client};
use super::cursor::Cursor;
use super::time::{parse_unix, When};

/// The client of a Squid line.
pub(crate) fn squid(line: &[u8]) -> Option<Client<'_>> {
    parts(line).map(|(client, _)| client)
}

/// [`squid`], and the line's time (Unix seconds); for a line that is not one, the Unix time it
/// starts with, if any (best effort).
pub(crate) fn squid_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match parts(line) {
        Some((client, time)) => (Some(client), When::read(parse_unix(time))),
        None => (None, When::found(leading_time(line))),
    }
}

fn leading_time(line: &[u8]) -> Option<super::time::Stamp> {
    let mut c = Cursor::new(line);
    let start = c.i;
    stamp(&mut c)?;
    parse_unix(&line[start..c.i])
}

/// `SECONDS.MMM`.
fn stamp(c: &mut Cursor<'_>) -> Option<()> {
    c.number()?;
    c.byte(b'.')?;
    c.digits(3)?;
    Some(())
}

fn parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    stamp(&mut c)?;
    let time = &line[..c.i];
    c.byte(b' ')?;
    while c.byte(b' ').is_some() {}
    c.number()?; // elapsed milliseconds
    c.byte(b' ')?;
    let address = c.token()?;
    c.byte(b' ')?;
    let (result, status) = split_last(c.token()?)?;
    if result.is_empty()
        || !result
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
        || status.len() != 3
        || !status.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    c.byte(b' ')?;
    c.number()?; // bytes
    c.byte(b' ')?;
    c.token()?; // method
    c.byte(b' ')?;
    c.token()?; // URL
    c.byte(b' ')?;
    c.token()?; // user
    c.byte(b' ')?;
    let hierarchy = c.field(b' ', true)?;
    split_last(hierarchy)?;
    c.end_or_space()?;
    Some((client(address), time))
}

/// `A/B` at its last `/`.
fn split_last(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let slash = memchr::memrchr(b'/', s)?;
    Some((&s[..slash], &s[slash + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as the Squid wiki's "SquidLogs" page and squid.conf.documented's `logformat`
    // describe them.
    #[test]
    fn native_lines() {
        let miss = b"1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html";
        assert_eq!(squid(miss), Some(Client::V4(0xc0a8_00e0)));
        let (_, when) = squid_timed(miss);
        assert_eq!(when, When::read(parse_unix(b"1286536308.779")));
        let tunnel = b"1286536309.123 1234567 2001:db8::5 TCP_TUNNEL/200 5123 CONNECT example.com:443 alice HIER_DIRECT/93.184.216.34 -";
        assert_eq!(squid(tunnel), Some(Client::Bytes(b"2001:db8::5")));
        let denied = b"1286536310.000      0 host.example.net TCP_DENIED/403 3884 GET http://blocked.example/ - HIER_NONE/- text/html";
        assert_eq!(squid(denied), Some(Client::Bytes(b"host.example.net")));
        let error = b"1286536310.001      1 10.0.0.5 NONE_NONE/000 0 - error:transaction-end-before-headers - HIER_NONE/- -";
        assert_eq!(squid(error), Some(Client::V4(0x0a00_0005)));
    }

    #[test]
    fn other_lines_are_not_squids() {
        for line in [
            &b"1286536308.779 180 192.168.0.224 TCP_MISS/2000 411 GET http://e/ - HIER_DIRECT/1.2.3.4 text/html"[..],
            b"1286536308.779 180 192.168.0.224 tcp_miss/200 411 GET http://e/ - HIER_DIRECT/1.2.3.4 text/html",
            b"1286536308.779 180 192.168.0.224 TCP_MISS/200 411 GET http://e/",
            b"1286536308 180 192.168.0.224 TCP_MISS/200 411 GET http://e/ - HIER_DIRECT/1.2.3.4 text/html",
            b"2026/12/07 10:00:00 kid1| Starting Squid Cache version 6.6",
            b"192.168.0.224 - - [07/Dec/2026:10:00:00 +0000] \"GET http://e/ HTTP/1.1\" 200 411 TCP_MISS:HIER_DIRECT",
        ] {
            assert_eq!(squid(line), None, "{}", String::from_utf8_lossy(line));
        }
    }
}

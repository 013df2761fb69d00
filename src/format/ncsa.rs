//! NCSA common/combined (Apache, nginx and their variants) and Apache's `vhost_combined`.
//!
//! A request line is `HOST IDENT USER [TIME] "REQUEST" STATUS BYTES`, optionally followed by a
//! space and anything (referer, user agent, timings). `HOST` may be an X-Forwarded-For list
//! (`a, b` or `a,b`), or such a list followed by the peer (`a, b c`, or quoted: `"a, b" c`,
//! `"-" c`): a forwarded chain, whose first entry is the client (under `--trusted-proxy`, the
//! right-most untrusted one: [`combined_chain`]). `IDENT` and `USER` are single tokens (`IDENT`
//! not ending with a comma: that is a forwarded list after the peer, a server's own format),
//! `TIME` is bracketed, `REQUEST` is quoted (a backslash escapes a quote), `STATUS` is three
//! digits and `BYTES` digits or `-`. Up to [`EXTRA_FIELDS`] fields may stand between `[TIME]`
//! and the request (hosting providers' `(0 s)`, a virtual host, a request id): the request is
//! the first quoted field that a status and a byte count follow. A line that starts with an ISO
//! 8601 timestamp and a space is a container's or syslog's, not a `HOST`'s. Anything else is
//! not a request in this format.

use super::client::{clean_address, client, unbracket, Client};
use super::cursor::{iso_timestamp, Cursor};
use super::proxy;
use super::time::{first_bracketed_ncsa, parse_ncsa, When};
use crate::keys::leading_v4;

/// The client of a `combined` line, or `None` if it is not one.
#[inline]
pub(crate) fn combined(line: &[u8]) -> Option<Client<'_>> {
    combined_parts(line).map(|(client, _)| client)
}

/// The client of a `vhost_combined` line (`VHOST[:PORT] HOST IDENT USER [TIME] ...`).
#[inline]
pub(crate) fn vhost(line: &[u8]) -> Option<Client<'_>> {
    vhost_parts(line).map(|(client, _)| client)
}

/// [`combined`], and the line's time: its `[TIME]` read as NCSA time; for a line that is not
/// one, the first bracketed NCSA time in it, if any (best effort).
pub(crate) fn combined_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    timed(combined_parts(line), line)
}

/// [`vhost`], and the line's time (as [`combined_timed`]).
pub(crate) fn vhost_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    timed(vhost_parts(line), line)
}

/// A chain's client (under `--trusted-proxy`) and the line's time, as [`combined_timed`].
pub(crate) fn chain_timed<'a>(
    parts: Option<(Chain<'a>, &[u8])>,
    line: &[u8],
    proxies: &proxy::Proxies,
) -> (Option<Client<'a>>, When) {
    timed(
        parts.map(|(chain, time)| (chain.client(proxies), time)),
        line,
    )
}

fn timed<'a>(parts: Option<(Client<'a>, &[u8])>, line: &[u8]) -> (Option<Client<'a>>, When) {
    match parts {
        Some((client, time)) => (Some(client), When::read(parse_ncsa(time))),
        None => (None, When::found(first_bracketed_ncsa(line))),
    }
}

/// [`combined`], and what its `[TIME]` holds.
#[inline(always)]
pub(super) fn combined_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    if let Some((client, end)) = host(line) {
        let mut c = Cursor { s: line, i: end };
        if let Some(time) = after_host_time(&mut c) {
            return Some((client, time));
        }
    }
    forwarded_then_peer_parts(line)
}

/// [`vhost`], and what its `[TIME]` holds.
#[inline(always)]
fn vhost_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    combined_parts(after_vhost(line)?)
}

/// A `vhost_combined` line after its `VHOST[:PORT] `.
#[inline(always)]
fn after_vhost(line: &[u8]) -> Option<&[u8]> {
    let mut c = Cursor::new(line);
    c.token()?;
    c.byte(b' ')?;
    Some(c.rest())
}

/// The client of an Apache `ssl_request_log` line, mod_ssl's default
/// `"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"`: `[TIME] HOST PROTOCOL CIPHER
/// "REQUEST" BYTES` (`-` for the protocol and cipher of a request that was not over TLS).
pub(crate) fn ssl_request(line: &[u8]) -> Option<Client<'_>> {
    ssl_request_parts(line).map(|(client, _)| client)
}

/// [`ssl_request`], and the line's time (as [`combined_timed`]).
pub(crate) fn ssl_request_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    timed(ssl_request_parts(line), line)
}

fn ssl_request_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    c.byte(b'[')?;
    let time = c.bracketed()?;
    c.byte(b' ')?;
    let host = c.token()?;
    c.byte(b' ')?;
    c.token()?; // the protocol
    c.byte(b' ')?;
    c.token()?; // the cipher
    c.byte(b' ')?;
    c.quoted()?;
    c.byte(b' ')?;
    c.count()?;
    c.end_or_space()?;
    Some((client(unbracket(host)), time))
}

/// A line's forwarded chain: the `X-Forwarded-For` list it writes (or the HOST list itself),
/// and the peer after it where it writes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chain<'a> {
    pub(crate) forwarded: &'a [u8],
    pub(crate) peer: Option<&'a [u8]>,
}

impl<'a> Chain<'a> {
    /// The client: the right-most untrusted entry, or without trusted proxies the first.
    #[inline]
    pub(crate) fn client(self, proxies: &proxy::Proxies) -> Client<'a> {
        if proxies.is_empty() {
            self.first()
        } else {
            proxies.walk_client(self.forwarded, self.peer)
        }
    }

    /// The client where no proxy is trusted: the chain's first entry.
    #[inline]
    fn first(self) -> Client<'a> {
        proxy::first(self.forwarded, self.peer).map_or(Client::Absent, client)
    }
}

/// A `combined` line's chain and what its `[TIME]` holds: a single HOST is the peer alone, a
/// HOST list the chain without a peer, and a list (or quoted value) before a peer both.
pub(crate) fn combined_chain(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
    if starts_with_timestamp(line) {
        return None;
    }
    if let Some(end) = list_end(line, 0).filter(|&end| !host_client(&line[..end]).is_empty()) {
        let mut c = Cursor { s: line, i: end };
        if let Some(time) = after_host_time(&mut c) {
            let host = &line[..end];
            let chain = if memchr::memchr(b',', host).is_some() {
                Chain {
                    forwarded: host,
                    peer: None,
                }
            } else {
                Chain {
                    forwarded: b"",
                    peer: Some(unbracket(host)),
                }
            };
            return Some((chain, time));
        }
    }
    forwarded_then_peer(line)
}

/// A `vhost_combined` line's chain (as [`combined_chain`]) and its `[TIME]`.
pub(crate) fn vhost_chain(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
    combined_chain(after_vhost(line)?)
}

/// [`combined_parts`] for a line whose HOST is a list, or a quoted value, before the peer.
#[cold]
#[inline(never)]
fn forwarded_then_peer_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let (chain, time) = forwarded_then_peer(line)?;
    Some((chain.first(), time))
}

/// `LIST PEER IDENT USER [TIME] ...` where LIST is an unquoted list with a comma (`a, b`) or
/// a double-quoted value (`"a, b"`, `"-"`, `""`), and PEER one token.
fn forwarded_then_peer(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
    let (forwarded, end) = if line.first() == Some(&b'"') {
        let close = 1 + memchr::memchr(b'"', &line[1..])?;
        (&line[1..close], close + 1)
    } else {
        let end = list_end(line, 0)?;
        let list = &line[..end];
        memchr::memchr(b',', list)?;
        (list, end)
    };
    let mut c = Cursor { s: line, i: end };
    c.byte(b' ')?;
    let peer = c.token()?;
    let time = after_host_time(&mut c)?;
    Some((
        Chain {
            forwarded,
            peer: Some(clean_address(peer)),
        },
        time,
    ))
}

/// The client of `HOST` at the start of `line`, and where `HOST` ends (at a space).
#[inline]
fn host(line: &[u8]) -> Option<(Client<'_>, usize)> {
    // The common case: a canonical dotted quad, parsed in the pass that finds its end.
    if let Some((v4, end)) = leading_v4(line) {
        match line[end] {
            b' ' => return Some((Client::V4(v4), end)),
            b',' => return Some((Client::V4(v4), list_end(line, end)?)),
            _ => {}
        }
    }
    if starts_with_timestamp(line) {
        return None;
    }
    let end = list_end(line, 0)?;
    let first = host_client(&line[..end]);
    if first.is_empty() {
        return None;
    }
    Some((client(first), end))
}

/// The client's bytes in a `HOST` field: the field, or of a list its first entry (which may
/// carry a port, `1.2.3.4:5678, ...`, as proxies write them); empty when there is none.
#[inline]
fn host_client(host: &[u8]) -> &[u8] {
    match memchr::memchr(b',', host) {
        Some(comma) => clean_address(&host[..comma]),
        None => unbracket(host),
    }
}

/// Where a `HOST` field that starts at 0 ends: at the first space, unless the token before it
/// ends with a comma (`a, b`), when the list goes on after the space.
#[inline]
fn list_end(line: &[u8], from: usize) -> Option<usize> {
    let mut end = from + memchr::memchr(b' ', &line[from..])?;
    while end > 0 && line[end - 1] == b',' {
        let next = end + 1;
        end = next + memchr::memchr(b' ', &line[next..])?;
        if end == next {
            return None; // two spaces: not a list
        }
    }
    if end == 0 {
        return None;
    }
    Some(end)
}

/// ` IDENT USER [TIME] "REQUEST" STATUS BYTES` and the end of the line or a space; returns
/// what `[TIME]` holds.
#[inline(always)]
fn after_host_time<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    after_host_usual(c.rest()).or_else(|| after_host_any(c))
}

/// [`after_host_time`] for what nginx and Apache write by default, in a few fixed-offset checks:
/// ` - - [` + a 26-byte time + `] "` + the request + `" ` + a status, a space and the bytes.
/// `None` when the line is not laid out so (the general parser decides), else its time: the
/// same answer as [`after_host_any`] for every line.
/// (Inlined by force: left to itself the compiler calls it, and the default path pays for it.)
#[inline(always)]
fn after_host_usual(s: &[u8]) -> Option<&[u8]> {
    const TIME: usize = 26;
    const HEAD: &[u8] = b" - - [";
    let time = s.get(HEAD.len()..HEAD.len() + TIME + 3)?;
    if !s.starts_with(HEAD) || &time[TIME..] != b"] \"" || has_byte_26(&time[..TIME], b']') {
        return None;
    }
    let request = &s[HEAD.len() + TIME + 3..];
    let q = find_byte_near(request, b'"')?;
    if q > 0 && request[q - 1] == b'\\' {
        return None; // an escaped quote: the general parser counts the backslashes
    }
    let tail = &request[q + 1..];
    // ` SSS ` then digits or `-`, then the end of the line or a space; anything else may be a
    // field before the request (the general parser decides).
    let [b' ', s1, s2, s3, b' ', bytes @ ..] = tail else {
        return None;
    };
    if ![s1, s2, s3].iter().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let n = match bytes.first() {
        Some(b'-') => 1,
        _ => bytes.iter().take_while(|b| b.is_ascii_digit()).count(),
    };
    (n > 0 && matches!(bytes.get(n), None | Some(b' '))).then_some(&time[..TIME])
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `word` that equals `b` (exact for the lowest such byte, which
/// is all the callers use: the classic "has zero byte" trick on the word XOR `b` repeated).
#[inline]
fn byte_mask(word: u64, b: u8) -> u64 {
    let x = word ^ (LOW * u64::from(b));
    x.wrapping_sub(LOW) & !x & HIGH
}

#[inline]
fn word_at(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

/// Whether the 26 bytes of `s` hold `b`: four overlapping 8-byte words.
#[inline]
fn has_byte_26(s: &[u8], b: u8) -> bool {
    [0, 8, 16, 18]
        .into_iter()
        .any(|at| byte_mask(word_at(s, at), b) != 0)
}

/// Where `b` first is in `s`: 8 bytes at a time while they last (a request is a few dozen
/// bytes, too short for `memchr`'s setup to pay), then `memchr` for the rest.
#[inline]
fn find_byte_near(s: &[u8], b: u8) -> Option<usize> {
    const NEAR: usize = 128;
    let mut at = 0;
    while at + 8 <= s.len().min(NEAR) {
        let mask = byte_mask(word_at(s, at), b);
        if mask != 0 {
            return Some(at + (mask.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(b, &s[at..]).map(|n| at + n)
}

/// Fields a line may hold between its `[TIME]` and its request, at most: what hosting
/// providers and custom formats put there (`(0 s)`, a virtual host, a request id).
const EXTRA_FIELDS: usize = 4;

/// [`after_host_time`] for any line. The request is the first quoted field after the time
/// that a status and a byte count follow, after at most [`EXTRA_FIELDS`] other fields (tokens
/// or quoted).
fn after_host_any<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    c.byte(b' ')?;
    let ident = c.token()?;
    if ident.ends_with(b",") {
        return None; // a forwarded list after the peer: a server's own format, not combined
    }
    c.byte(b' ')?;
    c.token()?; // USER
    c.literal(b" [")?;
    let time = c.bracketed()?;
    for _ in 0..=EXTRA_FIELDS {
        c.byte(b' ')?;
        if c.peek() == Some(b'"') {
            c.quoted()?;
            if status_and_bytes(*c).is_some() {
                return Some(time);
            }
        } else {
            c.token()?;
        }
    }
    None
}

/// Whether a line starts with an ISO 8601 timestamp and a space: a container's or rsyslog's
/// prefix (`2023-10-06T00:17:09.669794202Z stdout F `), never a HOST. (`cri+envoy` writes
/// `[TIME] "REQUEST" 200 -` after it, which would otherwise read as a combined request of that
/// timestamp, its stream and its tag.)
fn starts_with_timestamp(line: &[u8]) -> bool {
    iso_timestamp(line).is_some_and(|n| line.get(n) == Some(&b' '))
}

/// ` STATUS BYTES` (three digits; digits or `-`) and the end of the line or a space.
fn status_and_bytes(mut c: Cursor<'_>) -> Option<()> {
    c.byte(b' ')?;
    c.digits(3)?;
    c.byte(b' ')?;
    c.count()?;
    c.end_or_space()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_of(f: fn(&[u8]) -> Option<Client<'_>>, line: &[u8]) -> Option<Vec<u8>> {
        f(line).map(Client::to_vec)
    }

    #[test]
    fn combined_lines_and_their_clients() {
        let ok: &[(&[u8], &[u8])] = &[
            (
                b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"",
                b"203.0.113.9",
            ),
            (b"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326", b"127.0.0.1"),
            (b"223.104.3.7, 100.116.2.9 - - [x] \"GET / HTTP/1.1\" 200 1", b"223.104.3.7"),
            (b"223.104.3.7,100.116.2.9,10.0.0.1 - - [x] \"GET /\" 200 5", b"223.104.3.7"),
            (b"2001:db8::1 - - [x] \"GET /ipv6 HTTP/1.1\" 200 10", b"2001:db8::1"),
            (b"[2001:db8::2] - - [x] \"GET / HTTP/1.1\" 200 10", b"2001:db8::2"),
            (b"host.example.org - - [x] \"GET / HTTP/1.1\" 304 -", b"host.example.org"),
            (b"01.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1", b"01.2.3.4"),
            (b"- - - [x] \"GET / HTTP/1.1\" 200 10", b""),
            (b"1.2.3.4:5678, 10.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 10", b"1.2.3.4"),
            (b"203.0.113.9, 10.0.0.2 10.0.1.10 - - [x] \"GET / HTTP/1.1\" 200 10", b"203.0.113.9"),
            (b"\"203.0.113.9, 10.0.0.2\" 10.0.1.10 - - [x] \"GET / HTTP/1.1\" 200 10", b"203.0.113.9"),
            (b"\"-\" 10.0.1.10 - - [x] \"GET / HTTP/1.1\" 200 10", b"10.0.1.10"),
            (b"\"\" 10.0.1.10 - bob [x] \"GET / HTTP/1.1\" 200 10", b"10.0.1.10"),
            (b"1.2.3.4 - - [x] \"GET /a\\\"b HTTP/1.1\" 200 1 extra", b"1.2.3.4"),
            (b"1.2.3.4 - - [x] \"\" 400 0", b"1.2.3.4"),
            (b"\xff\xfe - - [x] \"GET /\xff HTTP/1.1\" 400 0", b"\xff\xfe"),
            // What servers write for a broken client is a request too.
            (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"hello\" 400 157 \"-\" \"-\"", b"1.2.3.4"),
            (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"\\x16\\x03\\x01\\x02\\x00\\x01\" 400 157 \"-\" \"-\"", b"1.2.3.4"),
            (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"-\" 408 - \"-\" \"-\"", b"1.2.3.4"),
            // Fields between the time and the request.
            (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] (0 s) \"GET / HTTP/1.1\" 200 612 \"-\" \"ua\"", b"1.2.3.4"),
            (b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] example.com \"GET / HTTP/1.1\" 200 612", b"1.2.3.4"),
            (b"1.2.3.4 - - [x] \"req-7f3a\" \"GET / HTTP/1.1\" 200 612 \"-\"", b"1.2.3.4"),
            (b"1.2.3.4 - - [x] a b c d \"GET /\" 200 1", b"1.2.3.4"),
        ];
        for (line, want) in ok {
            assert_eq!(
                client_of(combined, line).as_deref(),
                Some(*want),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let bad: &[&[u8]] = &[
            b" \"curl/7.54.0\"",
            b"  203.0.113.9 - - [x] \"GET / HTTP/1.1\" 304 0",
            b"2022/07/25 10:00:00 [error] 123#0: *1 open() failed",
            b"12345",
            b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 20 1",
            b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200",
            b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1x",
            b"1.2.3.4 - - [x] \"GET / HTTP/1.1 200 1",
            b"1.2.3.4 - - [] \"GET /\" 200 1",
            b"1.2.3.4 - - x \"GET /\" 200 1",
            b"1.2.3.4 -  - [x] \"GET /\" 200 1",
            b"example.com:80 1.2.3.4 - - [x] \"GET /\" 200 1",
            b"1.2.3.4 10.0.1.10 - - [x] \"GET /\" 200 1",
            b"\"1.2.3.4 10.0.1.10 - - [x] \"GET /\" 200 1",
            b"{\"remote_addr\":\"1.2.3.4\"}",
            b"",
            // More fields before the request than a format adds, or no status after any.
            b"1.2.3.4 - - [x] a b c d e \"GET /\" 200 1",
            b"1.2.3.4 - - [x] \"GET /\" \"ref\" \"ua\"",
            b"1.2.3.4 - - [x] (0 s)",
            // the peer, then a forwarded list (`%a %{X-Forwarded-For}i %t %D "%r" %>s %b`)
            b"10.0.2.10 192.8.81.179, 203.0.113.56 [30/Nov/2026:08:00:00 +0000] 317199 \"GET / HTTP/1.1\" 200 -",
            // a container's or rsyslog's prefix before an Envoy line
            b"2023-10-06T00:17:09.669794202Z stdout F [2021-03-22T02:01:02.123Z] \"GET / HTTP/1.1\" 200 - 0 1 3 2 \"-\" \"ua\" \"id\" \"a\" \"b\"",
            b"2023-10-06T00:17:09.669794+00:00 web1 envoy: [2021-03-22T02:01:02.123Z] \"GET / HTTP/1.1\" 200 - 0 1 3 2 \"-\" \"ua\" \"id\" \"a\" \"b\"",
        ];
        for line in bad {
            assert_eq!(
                client_of(combined, line),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    // mod_ssl's default, as Debian's and Red Hat's `ssl.conf` configure it.
    #[test]
    fn ssl_request_lines() {
        let line = b"[06/Feb/2019:00:00:38 +0000] 192.0.2.3 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 \"GET /index.html HTTP/1.1\" 612";
        assert_eq!(ssl_request(line), Some(Client::V4(0xc000_0203)));
        assert_eq!(
            ssl_request_timed(line).1,
            When::read(parse_ncsa(b"06/Feb/2019:00:00:38 +0000"))
        );
        let v6 = b"[06/Feb/2019:00:00:38 +0000] 2001:db8::1 TLSv1.3 TLS_AES_256_GCM_SHA384 \"GET / HTTP/2.0\" -";
        assert_eq!(ssl_request(v6), Some(Client::Bytes(b"2001:db8::1")));
        for bad in [
            &b"[06/Feb/2019:00:00:38 +0000] 192.0.2.3 TLSv1.2 \"GET / HTTP/1.1\" 612"[..],
            b"[06/Feb/2019:00:00:38 +0000] 192.0.2.3 TLSv1.2 AES \"GET / HTTP/1.1\" 61x",
            b"192.0.2.3 - - [06/Feb/2019:00:00:38 +0000] \"GET / HTTP/1.1\" 200 612",
            b"[Wed Oct 11 14:32:52.123 2026] [ssl:warn] [pid 1] AH01909: server certificate does NOT include an ID",
        ] {
            assert_eq!(ssl_request(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_word_test_finds_a_byte_anywhere_in_26() {
        let mut s = [b'a'; 26];
        assert!(!has_byte_26(&s, b']'));
        for i in 0..26 {
            s[i] = b']';
            assert!(has_byte_26(&s, b']'), "{i}");
            s[i] = 0xdd; // ']' | 0x80: no false positive from a high bit
            assert!(!has_byte_26(&s, b']'), "{i}");
            s[i] = b'a';
        }
    }

    #[test]
    fn the_word_search_finds_the_first_byte() {
        for len in 0..300 {
            for at in (0..len).step_by(7) {
                let mut s = vec![b'a'; len];
                s[at] = b'"';
                if at + 3 < len {
                    s[at + 3] = b'"';
                }
                assert_eq!(find_byte_near(&s, b'"'), Some(at), "{len} {at}");
                s[at] = 0xa2; // '"' | 0x80
                assert_eq!(find_byte_near(&s, b'"'), s.iter().position(|&b| b == b'"'));
            }
            assert_eq!(find_byte_near(&vec![b'a'; len], b'"'), None);
        }
    }

    #[test]
    fn chains_are_the_host_list_and_the_peer() {
        fn chain(line: &[u8]) -> Option<Chain<'_>> {
            combined_chain(line).map(|(c, _)| c)
        }
        let p = proxy::Proxies::parse(["10.0.0.0/8"]).unwrap();
        let walked = |line: &[u8]| chain(line).map(|c| c.client(&p).to_vec());
        let line = b"203.0.113.9 - - [x] \"GET / HTTP/1.1\" 200 1";
        assert_eq!(chain(line).unwrap().peer, Some(&b"203.0.113.9"[..]));
        assert_eq!(
            walked(b"1.1.1.1, 203.0.113.9, 10.0.0.2 - - [x] \"GET /\" 200 1"),
            Some(b"203.0.113.9".to_vec())
        );
        assert_eq!(
            walked(b"1.1.1.1, 203.0.113.9 10.0.0.2 - - [x] \"GET /\" 200 1"),
            Some(b"203.0.113.9".to_vec())
        );
        assert_eq!(
            walked(b"\"203.0.113.9\" 10.0.0.2 - - [x] \"GET /\" 200 1"),
            Some(b"203.0.113.9".to_vec())
        );
        assert_eq!(
            walked(b"\"-\" 10.0.0.2 - - [x] \"GET /\" 200 1"),
            Some(b"10.0.0.2".to_vec())
        );
        assert_eq!(
            walked(b"10.0.0.9, 10.0.0.2 - - [x] \"GET /\" 200 1"),
            Some(b"10.0.0.9".to_vec())
        );
        assert_eq!(walked(b"- - - [x] \"GET /\" 200 1"), Some(Vec::new()));
        assert_eq!(walked(b"1.2.3.4 10.0.0.2 - - [x] \"GET /\" 200 1"), None);
        assert_eq!(
            vhost_chain(
                b"example.com:80 \"1.1.1.1, 203.0.113.9\" 10.0.0.2 - - [x] \"GET /\" 200 1"
            )
            .map(|(c, _)| c.client(&p).to_vec()),
            Some(b"203.0.113.9".to_vec())
        );
        // Whatever the proxies, a line is a request alike.
        for line in [
            &line[..],
            b"a, b c - - [x] \"GET /\" 200 1",
            b"\"a\" - - [x] \"GET /\" 200 1",
        ] {
            assert_eq!(chain(line).is_some(), combined(line).is_some());
        }
    }

    #[test]
    fn vhost_lines_count_the_second_field() {
        assert_eq!(
            client_of(
                vhost,
                b"example.com:80 1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\""
            )
            .as_deref(),
            Some(&b"1.2.3.4"[..])
        );
        assert_eq!(
            client_of(vhost, b"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1"),
            None
        );
    }
}

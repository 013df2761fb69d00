//! NCSA common/combined (Apache, nginx and their variants) and Apache's `vhost_combined`.
//!
//! A request line is `HOST IDENT USER [TIME] "REQUEST" STATUS BYTES`, optionally followed by a
//! space and anything (referer, user agent, timings). `HOST` may be an X-Forwarded-For list
//! (`a, b` or `a,b`), or such a list followed by the peer (`a, b c`, or quoted: `"a, b" c`,
//! `"-" c`): a forwarded chain, whose first entry is the client (under `--trusted-proxy`, the
//! right-most untrusted one: [`combined_chain`]). `IDENT` and `USER` are single tokens,
//! `TIME` is bracketed, `REQUEST` is quoted (a backslash escapes a quote), `STATUS` is three
//! digits and `BYTES` digits or `-`. Anything else is not a request in this format.

use super::client::{clean_address, client, unbracket, Client};
use super::cursor::Cursor;
use super::proxy;
use super::time::{first_bracketed_ncsa, parse_ncsa, When};
use crate::keys::leading_v4;

/// The client of a `combined` line, or `None` if it is not one.
#[inline]
pub fn combined(line: &[u8]) -> Option<Client<'_>> {
    combined_parts(line).map(|(client, _)| client)
}

/// The client of a `vhost_combined` line (`VHOST[:PORT] HOST IDENT USER [TIME] ...`).
#[inline]
pub fn vhost(line: &[u8]) -> Option<Client<'_>> {
    vhost_parts(line).map(|(client, _)| client)
}

/// [`combined`], and the line's time: its `[TIME]` read as NCSA time; for a line that is not
/// one, the first bracketed NCSA time in it, if any (best effort).
pub fn combined_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    timed(combined_parts(line), line)
}

/// [`vhost`], and the line's time (as [`combined_timed`]).
pub fn vhost_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    timed(vhost_parts(line), line)
}

/// A chain's client (under `--trusted-proxy`) and the line's time, as [`combined_timed`].
pub fn chain_timed<'a>(
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

/// A line's forwarded chain: the `X-Forwarded-For` list it writes (or the HOST list itself),
/// and the peer after it where it writes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chain<'a> {
    pub forwarded: &'a [u8],
    pub peer: Option<&'a [u8]>,
}

impl<'a> Chain<'a> {
    /// The client: the right-most untrusted entry, or without trusted proxies the first.
    #[inline]
    pub fn client(self, proxies: &proxy::Proxies) -> Client<'a> {
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
pub fn combined_chain(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
    if let Some(end) = list_end(line, 0) {
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
pub fn vhost_chain(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
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
            peer: Some(unbracket(peer)),
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
    let end = list_end(line, 0)?;
    let first = &line[..end];
    let first = match memchr::memchr(b',', first) {
        // a list's first entry may carry a port (`1.2.3.4:5678, ...`), as proxies write them
        Some(comma) => clean_address(&first[..comma]),
        None => unbracket(first),
    };
    if first.is_empty() {
        return None;
    }
    Some((client(first), end))
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
    match after_host_usual(c.rest()) {
        Some(request) => request,
        None => after_host_any(c),
    }
}

/// [`after_host_time`] for what nginx and Apache write by default, in a few fixed-offset checks:
/// ` - - [` + a 26-byte time + `] "` + the request + `" ` + a status, a space and the bytes.
/// `None` when the line is not laid out so (the general parser decides), else whether it is
/// a request (with its time, `Some`): the same answer as [`after_host_any`] for every line.
/// (Inlined by force: left to itself the compiler calls it, and the default path pays for it.)
#[inline(always)]
fn after_host_usual(s: &[u8]) -> Option<Option<&[u8]>> {
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
    // ` SSS ` then digits or `-`, then the end of the line or a space.
    let [b' ', s1, s2, s3, rest @ ..] = tail else {
        return Some(None);
    };
    if ![s1, s2, s3].iter().all(|d| d.is_ascii_digit()) {
        return Some(None);
    }
    let [b' ', bytes @ ..] = rest else {
        return Some(None);
    };
    let n = match bytes.first() {
        Some(b'-') => 1,
        _ => bytes.iter().take_while(|b| b.is_ascii_digit()).count(),
    };
    let request = n > 0 && matches!(bytes.get(n), None | Some(b' '));
    Some(request.then_some(&time[..TIME]))
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

/// [`after_host_time`] for any line.
fn after_host_any<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    c.byte(b' ')?;
    c.token()?; // IDENT
    c.byte(b' ')?;
    c.token()?; // USER
    c.literal(b" [")?;
    let time = c.until(b']')?;
    if time.is_empty() {
        return None;
    }
    c.byte(b' ')?;
    c.quoted()?;
    c.byte(b' ')?;
    c.digits(3)?;
    c.byte(b' ')?;
    if c.byte(b'-').is_none() {
        c.number()?;
    }
    c.end_or_space()?;
    Some(time)
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

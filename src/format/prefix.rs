//! What may stand before a log line's format: a Kubernetes/CRI container-log prefix, or a
//! syslog header (RFC 3164 or RFC 5424). Each returns the rest of the line (the message), or
//! `None` when the line does not start with one.

use super::cursor::{iso_timestamp, Cursor};

/// `2023-10-06T00:17:09.669794202Z stdout F ` (CRI: timestamp, stream, `F`ull or `P`artial).
/// A long line split by the runtime is judged piece by piece: its first piece carries the
/// client, the rest are malformed.
pub(crate) fn cri(line: &[u8]) -> Option<&[u8]> {
    cri_parts(line).map(|(_, rest)| rest)
}

/// [`cri`], and the prefix's timestamp: `(timestamp, rest)`.
#[inline(always)]
pub(crate) fn cri_parts(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut c = Cursor::new(line);
    c.i = iso_timestamp(line)?;
    let time = &line[..c.i];
    c.byte(b' ')?;
    if c.literal(b"stdout ").is_none() {
        c.literal(b"stderr ")?;
    }
    match c.peek()? {
        b'F' | b'P' => c.i += 1,
        _ => return None,
    }
    c.byte(b' ')?;
    Some((time, c.rest()))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A syslog header: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `), or RFC 3164 with
/// an optional `<PRI>` (`Mmm dd hh:mm:ss HOST TAG[PID]: `, or an ISO timestamp in place of the
/// date, as rsyslog writes it).
pub(crate) fn syslog(line: &[u8]) -> Option<&[u8]> {
    let mut c = Cursor::new(line);
    if c.byte(b'<').is_some() {
        let pri = c.number()?;
        if pri.len() > 3 {
            return None;
        }
        c.byte(b'>')?;
        if c.literal(b"1 ").is_some() {
            return rfc5424(c);
        }
    }
    // RFC 3164: the date, the host, the tag up to `: `.
    match iso_timestamp(c.rest()) {
        Some(n) => c.i += n,
        None => {
            let month = c.rest().get(..3)?;
            if !MONTHS.iter().any(|m| &m[..] == month) {
                return None;
            }
            c.i += 3;
            c.byte(b' ')?;
            if c.byte(b' ').is_some() {
                c.digits(1)?;
            } else {
                c.digits(2)?;
            }
            c.byte(b' ')?;
            c.clock(false)?;
        }
    }
    c.byte(b' ')?;
    c.token()?; // host
    c.byte(b' ')?;
    let tag = c.field(b':', false)?;
    if tag.contains(&b' ') {
        return None;
    }
    c.literal(b": ")?;
    Some(c.rest())
}

/// The rest of an RFC 5424 header after `<PRI>1 `.
fn rfc5424(mut c: Cursor<'_>) -> Option<&[u8]> {
    match iso_timestamp(c.rest()) {
        Some(n) => c.i += n,
        None => c.byte(b'-')?,
    }
    for _ in 0..4 {
        // HOSTNAME APP-NAME PROCID MSGID
        c.byte(b' ')?;
        c.token()?;
    }
    c.byte(b' ')?;
    // STRUCTURED-DATA: `-` or one or more `[...]` elements (a `]` inside is escaped).
    if c.byte(b'-').is_none() {
        while c.peek() == Some(b'[') {
            loop {
                c.until(b']')?;
                let before = &c.s[..c.i - 1];
                let escapes = before.iter().rev().take_while(|&&b| b == b'\\').count();
                if escapes % 2 == 0 {
                    break;
                }
            }
        }
    }
    if c.at_end() {
        return Some(c.rest());
    }
    c.byte(b' ')?;
    let _ = c.literal(b"\xef\xbb\xbf"); // an optional BOM before the message
    Some(c.rest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_prefixes() {
        assert_eq!(
            cri(b"2023-10-06T00:17:09.669794202Z stdout F 10.0.0.1 - - [x]"),
            Some(&b"10.0.0.1 - - [x]"[..])
        );
        assert_eq!(
            cri(b"2023-10-06T00:17:09.669794202Z stderr P {\"a\":1}"),
            Some(&b"{\"a\":1}"[..])
        );
        assert_eq!(cri(b"2023-10-06T00:17:09Z stdout X msg"), None);
        assert_eq!(cri(b"10.0.0.1 - - [x]"), None);
    }

    #[test]
    fn syslog_headers() {
        assert_eq!(
            syslog(b"Dec  1 19:32:10 web1 nginx: 10.0.0.1 - - [x]"),
            Some(&b"10.0.0.1 - - [x]"[..])
        );
        assert_eq!(
            syslog(b"<190>Dec 11 09:02:10 web1 nginx[123]: msg"),
            Some(&b"msg"[..])
        );
        assert_eq!(
            syslog(b"2023-10-06T00:17:09.669794+00:00 web1 nginx: msg"),
            Some(&b"msg"[..])
        );
        assert_eq!(
            syslog(b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\]\"] \xef\xbb\xbfmsg"),
            Some(&b"msg"[..])
        );
        assert_eq!(
            syslog(
                b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - 10.0.0.1 - -"
            ),
            Some(&b"10.0.0.1 - -"[..])
        );
        for bad in [
            &b"Dex  1 19:32:10 web1 nginx: msg"[..],
            b"Dec  1 19:32 web1 nginx: msg",
            b"Dec  1 19:32:10 web1 nginx msg",
            b"10.0.0.1 - - [x]",
            b"<1234>Dec  1 19:32:10 web1 nginx: msg",
        ] {
            assert_eq!(syslog(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}

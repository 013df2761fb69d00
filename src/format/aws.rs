//! AWS load balancer access logs: Application (`alb`) and Classic (`elb`).
//!
//! ALB: `type time elb client:port target:port ... "request" "user agent" ...`, `type` one of
//! `http`, `https`, `h2`, `grpcs`, `ws`, `wss`. ELB: `time elb client:port backend:port ...
//! "request" "user agent" ...`. Times are ISO 8601; the client is `client:port` without its
//! port. The fields between the client and the quoted request are checked by count.

use super::client::{client, strip_port, Client};
use super::cursor::{iso_timestamp, Cursor};
use super::time::{parse_iso, When};

/// ALB `type` values.
const ALB_TYPES: &[&[u8]] = &[b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// The client of an ALB line.
pub fn alb(line: &[u8]) -> Option<Client<'_>> {
    alb_parts(line).map(|(client, _)| client)
}

/// The client of a Classic Load Balancer line.
pub fn elb(line: &[u8]) -> Option<Client<'_>> {
    from_timestamp(Cursor::new(line)).map(|(client, _)| client)
}

/// [`alb`], and the line's time (field 2, ISO 8601); for a line that is not an ALB line, an ISO
/// time after its first space, if one is there (best effort).
pub fn alb_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match alb_parts(line) {
        Some((client, time)) => (Some(client), When::read(parse_iso(time))),
        None => {
            let after = memchr::memchr(b' ', line).map_or(&[][..], |n| &line[n + 1..]);
            (None, leading_time(after))
        }
    }
}

/// [`elb`], and the line's time (field 1, ISO 8601); for a line that is not an ELB line, an ISO
/// time at its start, if one is there (best effort).
pub fn elb_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match from_timestamp(Cursor::new(line)) {
        Some((client, time)) => (Some(client), When::read(parse_iso(time))),
        None => (None, leading_time(line)),
    }
}

/// The ISO 8601 time `s` starts with, found or not.
fn leading_time(s: &[u8]) -> When {
    When::found(iso_timestamp(s).and_then(|n| parse_iso(&s[..n])))
}

fn alb_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    let kind = c.token()?;
    if !ALB_TYPES.contains(&kind) {
        return None;
    }
    c.byte(b' ')?;
    from_timestamp(c)
}

/// From the timestamp on, both balancers write the same fields: the time, the balancer, the
/// client's `address:port`, the target's (backend's) `address:port`, three processing times, two
/// status codes, two byte counts, then the request. Returns the client and the time.
fn from_timestamp(mut c: Cursor<'_>) -> Option<(Client<'_>, &[u8])> {
    let time = timestamp(&mut c)?;
    c.byte(b' ')?;
    c.token()?; // the load balancer
    c.byte(b' ')?;
    let address = c.token()?;
    request_after(&mut c, 8)?;
    Some((client(strip_port(address)?), time))
}

fn timestamp<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let rest = c.rest();
    let n = iso_timestamp(rest)?;
    c.i += n;
    Some(&rest[..n])
}

/// `n` space-separated tokens, then a space and a quoted request.
fn request_after(c: &mut Cursor<'_>, n: usize) -> Option<()> {
    for _ in 0..n {
        c.byte(b' ')?;
        c.token()?;
    }
    c.byte(b' ')?;
    c.quoted()?;
    c.end_or_space()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_clients_without_ports() {
        let alb_line = b"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 2018-07-02T22:22:48.364000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"";
        assert_eq!(alb(alb_line), Some(Client::V4(0xc0a8_8327)));
        let v6 = b"h2 2018-07-02T22:23:00.186641Z app/lb/50dc [2001:db8::1]:443 - -1 -1 -1 460 - 34 0 \"GET https://x:443/ HTTP/2.0\" \"ua\" ECDHE TLSv1.2";
        assert_eq!(alb(v6), Some(Client::Bytes(b"2001:db8::1")));
        let elb_line = b"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -";
        assert_eq!(elb(elb_line), Some(Client::V4(0xc0a8_8327)));
        assert_eq!(alb(elb_line), None);
        assert_eq!(elb(alb_line), None);
        let no_port = b"http 2018-07-02T22:23:00.186641Z app/lb/50dc 192.168.131.39 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET / HTTP/1.1\" \"ua\"";
        assert_eq!(alb(no_port), None);
    }
}

//! AWS access logs: Application (`alb`) and Classic (`elb`) load balancers, and S3 server
//! access logs (`s3`).
//!
//! ALB: `type time elb client:port target:port ... "request" "user agent" ...`, `type` one of
//! `http`, `https`, `h2`, `grpcs`, `ws`, `wss`. ELB: `time elb client:port backend:port ...
//! "request" "user agent" ...`. Times are ISO 8601; the client is `client:port` without its
//! port. The fields between the client and the quoted request are checked by count.
//!
//! S3 (the "Amazon S3 server access log format" page): `OWNER BUCKET [TIME] REMOTE_IP REQUESTER
//! REQUEST_ID OPERATION KEY "REQUEST_URI" STATUS ERROR_CODE BYTES_SENT ...`, the time NCSA, the
//! operation dotted (`REST.GET.OBJECT`), the key URL-encoded or `-`, the request `"-"` for
//! operations of S3's own (lifecycle, replication), whose remote IP may be `-` too: a request
//! without a client.

use super::client::{client, strip_port, Client};
use super::cursor::{iso_timestamp, Cursor};
use super::time::{first_bracketed_ncsa, parse_iso, parse_ncsa, When};

/// ALB `type` values.
const ALB_TYPES: &[&[u8]] = &[b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// The client of an ALB line.
pub(crate) fn alb(line: &[u8]) -> Option<Client<'_>> {
    alb_parts(line).map(|(client, _)| client)
}

/// The client of a Classic Load Balancer line.
pub(crate) fn elb(line: &[u8]) -> Option<Client<'_>> {
    from_timestamp(Cursor::new(line)).map(|(client, _)| client)
}

/// [`alb`], and the line's time (field 2, ISO 8601); for a line that is not an ALB line, an ISO
/// time after its first space, if one is there (best effort).
pub(crate) fn alb_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
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
pub(crate) fn elb_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match from_timestamp(Cursor::new(line)) {
        Some((client, time)) => (Some(client), When::read(parse_iso(time))),
        None => (None, leading_time(line)),
    }
}

/// The ISO 8601 time `s` starts with, found or not.
fn leading_time(s: &[u8]) -> When {
    When::found(iso_timestamp(s).and_then(|n| parse_iso(&s[..n])))
}

/// The client of an S3 server access log line.
pub(crate) fn s3(line: &[u8]) -> Option<Client<'_>> {
    s3_parts(line).map(|(client, _)| client)
}

/// [`s3`], and the line's time (`[TIME]`, NCSA); for a line that is not one, the first
/// bracketed NCSA time in it, if any (best effort).
pub(crate) fn s3_timed(line: &[u8]) -> (Option<Client<'_>>, When) {
    match s3_parts(line) {
        Some((client, time)) => (Some(client), When::read(parse_ncsa(time))),
        None => (None, When::found(first_bracketed_ncsa(line))),
    }
}

fn s3_parts(line: &[u8]) -> Option<(Client<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    c.token()?; // the bucket owner's canonical id
    c.byte(b' ')?;
    c.token()?; // the bucket
    c.literal(b" [")?;
    let time = c.bracketed()?;
    c.byte(b' ')?;
    let remote = c.token()?;
    c.byte(b' ')?;
    c.token()?; // the requester
    c.byte(b' ')?;
    c.token()?; // the request id
    c.byte(b' ')?;
    let operation = c.token()?;
    memchr::memchr(b'.', operation)?;
    c.byte(b' ')?;
    c.token()?; // the key
    c.byte(b' ')?;
    c.quoted()?;
    c.byte(b' ')?;
    if c.byte(b'-').is_none() {
        c.digits(3)?;
    }
    c.byte(b' ')?;
    c.token()?; // the error code
    c.byte(b' ')?;
    c.count()?;
    c.end_or_space()?;
    Some((client(remote), time))
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

    // The examples of the "Amazon S3 server access log format" page.
    #[test]
    fn s3_clients_and_times() {
        let get = b"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes";
        assert_eq!(s3(get), Some(Client::V4(0xc000_0203)));
        let (_, when) = s3_timed(get);
        assert_eq!(when, When::read(parse_ncsa(b"06/Feb/2019:00:00:38 +0000")));
        // An operation of S3's own: no request line, no remote address, no status.
        let lifecycle = b"79a59df900b949e5 awsexamplebucket1 [06/Feb/2019:00:01:00 +0000] - AmazonS3 89CE5EXAMPLE S3.EXPIRE.OBJECT photos/2019/08/puppy.jpg \"-\" - - - - - - - - -";
        assert_eq!(s3(lifecycle), Some(Client::Absent));
        let short = b"79a59df900b949e5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 2001:db8::3 - 3E57427F3EXAMPLE WEBSITE.GET.OBJECT index.html \"GET /index.html HTTP/1.1\" 404 NoSuchKey 311";
        assert_eq!(s3(short), Some(Client::Bytes(b"2001:db8::3")));
        // Not S3: combined, an operation without a dot, a status that is no status.
        assert_eq!(
            s3(b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612"),
            None
        );
        let undotted =
            b"o b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 r id GET k \"GET / HTTP/1.1\" 200 - 1";
        assert_eq!(s3(undotted), None);
        let status = b"o b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 r id REST.GET.OBJECT k \"GET / HTTP/1.1\" 20 - 1";
        assert_eq!(s3(status), None);
    }
}

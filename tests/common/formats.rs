//! Lines of every log format of docs/contract.md §1, written the way the servers write them,
//! and random logs made of them with their true counts: what `auto` must find in them.

use std::collections::BTreeSet;

use proptest::prelude::*;

/// Every format name `auto` can report that [`line`] writes, prefixed ones included.
pub const FORMATS: &[&str] = &[
    "combined",
    "vhost",
    "json",
    "alb",
    "elb",
    "cloudfront",
    "w3c",
    "haproxy",
    "cri+combined",
    "cri+json",
    "syslog+combined",
    "syslog+json",
];

/// The lines that open a file of `format` (W3C and CloudFront directives), if any.
pub fn header(format: &str) -> &'static str {
    match format {
        "w3c" => {
            "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
                  #Fields: date time s-ip cs-method cs-uri-stem c-ip cs(User-Agent) sc-status\n"
        }
        "cloudfront" => {
            "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host)\n"
        }
        _ => "",
    }
}

/// `host:port` as load balancers and HAProxy write it (IPv6 in brackets).
fn with_port(client: &str, port: usize) -> String {
    if client.contains(':') {
        format!("[{client}]:{port}")
    } else {
        format!("{client}:{port}")
    }
}

/// Line `i` of a `format` log (without its newline) whose client address is `client`.
pub fn line(format: &str, client: &str, i: usize) -> String {
    let port = 1024 + i % 60000;
    let combined =
        format!("{client} - - [22/Mar/2021:10:01:02 +0800] \"GET /p/{i} HTTP/1.1\" 200 {i} \"-\" \"curl/8.5.0\"");
    let json = format!(
        "{{\"time\":\"2021-03-22T10:01:02+08:00\",\"remote_addr\":\"{client}\",\"request\":\"GET /p/{i} HTTP/1.1\",\"status\":200}}"
    );
    match format {
        "combined" => combined,
        "vhost" => format!("example.com:443 {combined}"),
        "json" => json,
        "alb" => format!(
            "https 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 {} 10.0.0.1:80 0.000 0.001 0.000 200 200 34 {i} \"GET https://example.com:443/p/{i} HTTP/1.1\" \"curl/7.46.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"example.com\" \"-\" 0 2018-07-02T22:22:48.364000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"",
            with_port(client, port)
        ),
        "elb" => format!(
            "2015-05-13T23:39:43.945958Z my-loadbalancer {} 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 {i} \"GET http://example.com:80/p/{i} HTTP/1.1\" \"curl/7.38.0\" - -",
            with_port(client, port)
        ),
        "cloudfront" => {
            format!("2019-12-04\t21:02:31\tLAX1\t{i}\t{client}\tGET\td111111abcdef8.cloudfront.net")
        }
        "w3c" => format!("2021-03-22 10:01:02 10.0.0.1 GET /p/{i} {client} Mozilla/5.0+(X11) 200"),
        "haproxy" => format!(
            "Feb  6 12:14:14 lb1 haproxy[14389]: {} [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 {i} - - ---- 1/1/1/1/0 0/0 \"GET /p/{i} HTTP/1.1\"",
            with_port(client, port)
        ),
        "cri+combined" => format!("2023-10-06T00:17:09.669794202Z stdout F {combined}"),
        "cri+json" => format!("2023-10-06T00:17:09.669794202Z stdout F {json}"),
        "syslog+combined" => format!("Dec  1 19:32:10 web1 nginx: {combined}"),
        "syslog+json" => format!("<190>Dec  1 19:32:10 web1 nginx[123]: {json}"),
        other => panic!("no line for format {other}"),
    }
}

/// A random log and what a correct count of it says.
#[derive(Clone, Debug)]
pub struct Log {
    pub format: &'static str,
    pub bytes: Vec<u8>,
    pub requests: u64,
    pub malformed: u64,
    pub clients: BTreeSet<String>,
    /// Whether detection must find `format`: its sample (the first 100 non-blank lines, all
    /// well inside the first 64 KiB here) has at least a tenth of lines that read.
    pub detected: bool,
    /// It has no line but blank ones: counted, with nothing in it and no format.
    pub blank: bool,
}

/// One piece of a random log.
#[derive(Clone, Debug)]
enum Piece {
    Request(String),
    /// A line no format reads.
    Noise(&'static [u8]),
    Blank(&'static [u8]),
}

fn client() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u8..4, 0u8..8).prop_map(|(a, b)| format!("10.0.{a}.{b}")),
        1 => (0u8..3).prop_map(|a| format!("2001:db8::{a}")),
        1 => Just("198.51.100.250".to_string()),
    ]
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        12 => client().prop_map(Piece::Request),
        1 => prop_oneof![
            Just(&b"2022/07/25 10:00:00 [error] 123#0: *1 open() failed"[..]),
            Just(&b" \"curl/7.54.0\""[..]),
            Just(&b"\xff\xfe\x00 not a request"[..]),
            Just(&b"garbage"[..]),
        ]
        .prop_map(Piece::Noise),
        1 => prop_oneof![Just(&b""[..]), Just(&b"  \t"[..])].prop_map(Piece::Blank),
    ]
}

/// A log of one random format: its header, then requests with some noise and blank lines, some
/// ending in `\r\n`, the last one perhaps without its newline.
pub fn formatted_log() -> impl Strategy<Value = Log> {
    (
        proptest::sample::select(FORMATS),
        proptest::collection::vec((piece(), any::<bool>()), 1..120),
        any::<bool>(),
    )
        .prop_map(|(format, pieces, last_newline)| {
            let mut log = Log {
                format,
                bytes: header(format).as_bytes().to_vec(),
                requests: 0,
                malformed: 0,
                clients: BTreeSet::new(),
                detected: false,
                blank: false,
            };
            let mut sampled: Vec<bool> = header(format).lines().map(|_| true).collect();
            for (i, (piece, crlf)) in pieces.iter().enumerate() {
                match piece {
                    Piece::Request(client) => {
                        log.bytes
                            .extend_from_slice(line(format, client, i).as_bytes());
                        log.requests += 1;
                        log.clients.insert(client.clone());
                        sampled.push(true);
                    }
                    Piece::Noise(bytes) => {
                        log.bytes.extend_from_slice(bytes);
                        log.malformed += 1;
                        sampled.push(false);
                    }
                    Piece::Blank(bytes) => log.bytes.extend_from_slice(bytes),
                }
                if *crlf {
                    log.bytes.push(b'\r');
                }
                if i + 1 < pieces.len() || last_newline {
                    log.bytes.push(b'\n');
                }
            }
            sampled.truncate(100);
            let read = sampled.iter().filter(|&&r| r).count();
            log.detected = read > 0 && read * 10 >= sampled.len();
            log.blank = sampled.is_empty();
            log
        })
}

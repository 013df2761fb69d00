//! Lines of every log format of docs/contract.md §1, written the way the servers write them
//! (each format's variants in turn: line `i` of a log is variant `i % n`), and random logs made
//! of them with their true counts: what `auto` must find in them.

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
    "s3",
    "envoy",
    "squid",
    "ssl_request",
    "cri+combined",
    "cri+json",
    "syslog+combined",
    "syslog+json",
];

/// The lines that open a file of `format` (W3C and CloudFront directives), if any.
pub fn header(format: &str) -> &'static str {
    match format {
        // IIS's default fields: its lines read the same without this header.
        "w3c" => {
            "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
                  #Date: 2021-03-22 10:00:00\n\
                  #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username \
                  c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
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
    let combined = match i % 4 {
        0 => format!("{client} - - [22/Mar/2021:10:01:02 +0800] \"GET /p/{i} HTTP/1.1\" 200 {i} \"-\" \"curl/8.5.0\""),
        // a hosting provider's field between the time and the request
        1 => format!("{client} - - [22/Mar/2021:10:01:02 +0800] (0 s) \"GET /p/{i} HTTP/1.1\" 200 {i} \"-\" \"curl/8.5.0\""),
        // what nginx writes for a TLS handshake sent to a plain port
        2 => format!("{client} - - [22/Mar/2021:10:01:02 +0800] \"\\x16\\x03\\x01\\x00\\xF1\" 400 157 \"-\" \"-\""),
        // the forwarded list, quoted, before the peer
        _ => format!("\"{client}, 10.1.2.3\" 10.9.9.9 - - [22/Mar/2021:10:01:02 +0800] \"GET /p/{i} HTTP/1.1\" 200 {i} \"-\" \"curl/8.5.0\""),
    };
    let json = match i % 4 {
        0 => format!("{{\"time\":\"2021-03-22T10:01:02+08:00\",\"remote_addr\":\"{client}\",\"request\":\"GET /p/{i} HTTP/1.1\",\"status\":200}}"),
        // Elastic Common Schema
        1 => format!("{{\"@timestamp\":\"2021-03-22T02:01:02Z\",\"source\":{{\"ip\":\"{client}\"}},\"http\":{{\"response\":{{\"status_code\":200}}}}}}"),
        // Google Cloud load balancing
        2 => format!("{{\"httpRequest\":{{\"requestMethod\":\"GET\",\"remoteIp\":\"{client}\",\"status\":200}},\"timestamp\":\"2021-03-22T02:01:02Z\"}}"),
        // Envoy's JSON: the peer with its port
        _ => format!("{{\"start_time\":\"2021-03-22T02:01:02.000Z\",\"downstream_remote_address\":\"{}\",\"response_code\":200}}", with_port(client, port)),
    };
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
        "w3c" => {
            // IIS writes `+` for a space; a custom logger may quote the value instead
            let agent = if i.is_multiple_of(2) { "Mozilla/5.0+(X11)" } else { "\"Mozilla/5.0 (X11)\"" };
            format!("2021-03-22 10:01:02 10.0.0.1 GET /p/{i} - 443 - {client} {agent} - 200 0 0 {i}")
        }
        "haproxy" => {
            let client = with_port(client, port);
            let body = match i % 3 {
                // option httplog
                0 => format!("{client} [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 {i} - - ---- 1/1/1/1/0 0/0 {{example.com|curl/8}} {{}} \"GET /p/{i} HTTP/1.1\""),
                // option tcplog: a normal end, a server-side timeout, a client's close
                1 => {
                    let state = ["--", "sD", "CD"][i / 3 % 3];
                    format!("{client} [06/Feb/2009:12:14:14.655] fnt bck/srv1 0/0/{i} 212 {state} 0/0/0/0/3 0/0")
                }
                // the default format
                _ => format!("Connect from {client} to 10.0.3.31:8012 (www/HTTP)"),
            };
            format!("Feb  6 12:14:14 lb1 haproxy[14389]: {body}")
        }
        "s3" => format!(
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] {client} 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE{i} REST.GET.OBJECT p/{i} \"GET /awsexamplebucket1/p/{i} HTTP/1.1\" 200 - {i} 113 7 - \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -"
        ),
        "envoy" => match i % 2 {
            // Envoy's default format: the client is the forwarded header's
            0 => format!("[2021-03-22T02:01:02.123Z] \"GET /p/{i} HTTP/1.1\" 200 - 0 {i} 3 2 \"{client}, 10.1.2.3\" \"curl/8.5.0\" \"cc21d9b0-{i}\" \"example.com\" \"10.0.2.1:80\""),
            // Istio's: no forwarded header, the downstream peer
            _ => format!("[2021-03-22T02:01:02.123Z] \"GET /p/{i} HTTP/1.1\" 200 - via_upstream - \"-\" 0 {i} 4 4 \"-\" \"curl/8.5.0\" \"8496-{i}\" \"httpbin:8000\" \"10.44.1.27:80\" outbound|8000||httpbin.svc 10.44.1.23:37652 10.0.45.184:8000 {} - default", with_port(client, port)),
        },
        "squid" => format!(
            "1616378462.{:03} {:>6} {client} TCP_MISS/200 {i} GET http://example.com/p/{i} - HIER_DIRECT/93.184.216.34 text/html",
            i % 1000,
            i * 37 % 100_000
        ),
        "ssl_request" => format!(
            "[22/Mar/2021:10:01:02 +0800] {client} TLSv1.3 TLS_AES_256_GCM_SHA384 \"GET /p/{i} HTTP/2.0\" {i}"
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

/// A log of one random format: its header (or, for IIS, perhaps none: a file cut after it),
/// then requests with some noise and blank lines, some ending in `\r\n`, the last one perhaps
/// without its newline.
pub fn formatted_log() -> impl Strategy<Value = Log> {
    (
        proptest::sample::select(FORMATS),
        proptest::collection::vec((piece(), any::<bool>()), 1..120),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(format, pieces, last_newline, cut)| {
            let header = if cut && format == "w3c" {
                ""
            } else {
                header(format)
            };
            let mut log = Log {
                format,
                bytes: header.as_bytes().to_vec(),
                requests: 0,
                malformed: 0,
                clients: BTreeSet::new(),
                detected: false,
                blank: false,
            };
            let mut sampled: Vec<bool> = header.lines().map(|_| true).collect();
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

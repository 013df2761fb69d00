//! Detection (`--log-format auto`): a file's format from its first lines (docs/contract.md §1).
//!
//! The sample is the first [`SAMPLE_LINES`] non-blank lines among those that start in the first
//! [`SAMPLE_BYTES`] of text (after decompression), each judged by its first [`MAX_LINE`] bytes
//! (so a giant first line is one sampled line, and the sample never needs more than
//! `SAMPLE_BYTES + MAX_LINE + 1` bytes). Every candidate format (`Format::candidates`) reads
//! the sample from its start; the one that makes the most requests of it wins (a W3C/CloudFront
//! directive it knows counts as read), ties going to the earlier candidate. When even the best
//! reads less than a tenth of the sample, the input is not an access log.

use super::{is_space, view, Format, JsonFields, Line, Options, Parser, MAX_LINE};

/// Non-blank lines sampled at most.
pub(crate) const SAMPLE_LINES: usize = 100;
/// Sampled lines start in the first this many bytes of text.
pub(crate) const SAMPLE_BYTES: usize = 64 << 10;

/// The most text detection ever needs: a line starting just before [`SAMPLE_BYTES`] and judged
/// by its first [`MAX_LINE`] bytes (and one more, to know it is longer).
pub(crate) const SAMPLE_MAX: usize = SAMPLE_BYTES + MAX_LINE + 1;

/// How the reason for [`Detection::NoClientField`] ends.
pub(crate) const CLIENT_FIELD: &str = "(--client-field)";

/// What detection found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Detection {
    Format(Format),
    /// No non-blank line at all: counted as empty, with no format.
    Empty,
    /// No format reads a tenth of the sample.
    NotAccessLog {
        /// Lines the best candidate read.
        parsed: usize,
        sampled: usize,
    },
    /// Not an access log either, but a tenth of the sample or more are JSON objects and
    /// `--client-field` named a field none of them has: that is what to say.
    NoClientField {
        field: String,
        objects: usize,
        sampled: usize,
    },
}

impl Detection {
    /// Why a file is not an access log, for its note or error.
    pub(crate) fn reason(&self) -> Option<String> {
        match self {
            Detection::NotAccessLog { parsed, sampled } => Some(format!(
                "not an access log ({parsed} of {sampled} sampled lines parse in any format)"
            )),
            Detection::NoClientField {
                field,
                objects,
                sampled,
            } => Some(format!(
                "not an access log: {objects} of {sampled} sampled lines are JSON objects, and \
                 none has the client field `{field}` {CLIENT_FIELD}"
            )),
            _ => None,
        }
    }
}

/// The sample's lines, or `None` while more text is needed: `text` is the input's first bytes,
/// all of it when `whole`.
fn sample(text: &[u8], whole: bool) -> Option<Vec<&[u8]>> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < SAMPLE_BYTES.min(text.len()) && lines.len() < SAMPLE_LINES {
        let window = &text[start..text.len().min(start + MAX_LINE + 1)];
        let (line, next) = match memchr::memchr(b'\n', window) {
            Some(nl) => (&window[..nl], Some(start + nl + 1)),
            // Longer than a view: judged by its first MAX_LINE bytes, and the last line to
            // start in the sample (the next one starts past SAMPLE_BYTES).
            None if window.len() == MAX_LINE + 1 => {
                let blank = window.iter().all(|&b| is_space(b));
                (
                    if blank {
                        &window[..0]
                    } else {
                        &window[..MAX_LINE]
                    },
                    None,
                )
            }
            None if whole => (window, None),
            None => return None,
        };
        if let Some(v) = view(line) {
            lines.push(v);
        }
        match next {
            Some(n) => start = n,
            None => break,
        }
    }
    if lines.len() < SAMPLE_LINES && start < SAMPLE_BYTES && start >= text.len() && !whole {
        return None; // the next line may still start inside the sample
    }
    Some(lines)
}

/// The format of an input whose text starts with `text` (its first bytes; all of it when
/// `whole`), or `None` while more text is needed to sample it (at most [`SAMPLE_MAX`] bytes).
pub(crate) fn detect(text: &[u8], whole: bool, options: &Options) -> Option<Detection> {
    let lines = sample(text, whole)?;
    Some(judge(&lines, options))
}

/// The format that reads most of `lines`.
fn judge(lines: &[&[u8]], options: &Options) -> Detection {
    if lines.is_empty() {
        return Detection::Empty;
    }
    let mut best: Option<(usize, Format)> = None;
    for format in Format::candidates_with(&options.customs) {
        let mut parser = Parser::new(format, options, None);
        let mut read = 0;
        for (i, line) in lines.iter().enumerate() {
            // A candidate that can no longer beat the best stops early.
            if best.is_some_and(|(b, _)| read + (lines.len() - i) <= b) {
                break;
            }
            if matches!(parser.line(line), Line::Request(_) | Line::Directive) {
                read += 1;
            }
        }
        if best.is_none_or(|(b, _)| read > b) {
            best = Some((read, format));
        }
        if read == lines.len() {
            break; // nothing later can read more, and ties go to the earlier
        }
    }
    let (parsed, format) = best.expect("at least one candidate");
    if parsed * 10 < lines.len() {
        let sampled = lines.len();
        let field = options.json.names();
        if field != JsonFields::default().names() {
            let objects = lines.iter().filter(|l| is_json_object(l)).count();
            if objects * 10 >= sampled {
                return Detection::NoClientField {
                    field: field.join(", "),
                    objects,
                    sampled,
                };
            }
        }
        return Detection::NotAccessLog { parsed, sampled };
    }
    Detection::Format(format)
}

/// Whether a line is a JSON object, by its first and last bytes that are not spaces.
fn is_json_object(line: &[u8]) -> bool {
    let text = line.trim_ascii();
    text.starts_with(b"{") && text.ends_with(b"}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Body, Prefix};

    fn detected(text: &str) -> Detection {
        detect(text.as_bytes(), true, &Options::default()).expect("whole texts are sampled")
    }

    fn format(text: &str) -> String {
        match detected(text) {
            Detection::Format(f) => f.to_string(),
            other => format!("{other:?}"),
        }
    }

    const COMBINED: &str = "203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"\n";

    #[test]
    fn each_format_is_recognised() {
        assert_eq!(format(&COMBINED.repeat(3)), "combined");
        assert_eq!(
            format("example.com:443 203.0.113.9 - - [x] \"GET / HTTP/1.1\" 200 612 \"-\" \"ua\"\n"),
            "vhost"
        );
        assert_eq!(
            format("{\"remote_addr\":\"1.2.3.4\",\"status\":200}\n"),
            "json"
        );
        assert_eq!(
            format(&format!(
                "2023-10-06T00:17:09.669794202Z stdout F {COMBINED}"
            )),
            "cri+combined"
        );
        assert_eq!(
            format(&format!("Dec  1 19:32:10 web1 nginx: {COMBINED}")),
            "syslog+combined"
        );
        assert_eq!(
            format("#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip\n2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\n"),
            "cloudfront"
        );
        assert_eq!(
            format("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time c-ip cs-method\n2021-03-22 10:01:02 203.0.113.9 GET\n"),
            "w3c"
        );
        assert_eq!(
            format("Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"\n"),
            "haproxy"
        );
    }

    /// Lines of every preset as its server's documentation shows them, variants included.
    const PRESET_LINES: &[(&str, &[&str])] = &[
        ("combined", &[
            "203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"",
            "203.0.113.9, 10.0.0.2 10.0.0.3 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"ua\"",
            "203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] (0 s) \"GET / HTTP/1.1\" 200 612 \"-\" \"ua\"",
            "203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"",
        ]),
        ("vhost", &[
            "example.com:443 203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612 \"-\" \"ua\"",
        ]),
        ("json", &[
            "{\"remote_addr\":\"203.0.113.9\",\"status\":200}",
            "{\"source\":{\"ip\":\"203.0.113.9\"},\"@timestamp\":\"2026-12-07T10:00:00Z\"}",
        ]),
        ("alb", &[
            "http 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - -",
        ]),
        ("elb", &[
            "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -",
        ]),
        ("cloudfront", &[
            "#Version: 1.0",
            "#Fields: date time x-edge-location sc-bytes c-ip cs-method",
            "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET",
        ]),
        ("w3c", &[
            "2021-03-22 10:01:02 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15",
            "#Software: Microsoft Internet Information Services 10.0",
            "#Fields: date time c-ip cs-method x-custom sc-status",
            "2021-03-22 10:01:02 203.0.113.9 GET \"two words\" 200",
        ]),
        ("haproxy", &[
            "Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"",
            "Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0",
            "Feb  6 12:12:09 localhost haproxy[14385]: Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)",
            "unix:1 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0",
            "<134>10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET / HTTP/1.1\"",
        ]),
        ("s3", &[
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" -",
            "79a59df900b949e5 awsexamplebucket1 [06/Feb/2019:00:01:00 +0000] - AmazonS3 89CE5EXAMPLE S3.EXPIRE.OBJECT photos/puppy.jpg \"-\" - - - - - - - - -",
        ]),
        ("envoy", &[
            "[2016-04-15T20:17:00.310Z] \"POST /api/v1/locations HTTP/2\" 204 - 154 0 226 100 \"10.0.35.28\" \"nsq2http\" \"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2\" \"locations\" \"tcp://10.0.2.1:80\"",
            "[2020-11-25T21:26:18.409Z] \"GET /status/418 HTTP/1.1\" 418 - via_upstream - \"-\" 0 135 4 4 \"-\" \"curl/7.73.0-DEV\" \"84961386-6d84-929d-98bd-c5aee93b5c88\" \"httpbin:8000\" \"10.44.1.27:80\" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default",
        ]),
        ("squid", &[
            "1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
        ]),
        ("ssl_request", &[
            "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 \"GET / HTTP/1.1\" 612",
        ]),
    ];

    #[test]
    fn every_preset_is_told_from_every_other() {
        let o = Options::default();
        for (name, lines) in PRESET_LINES {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            assert_eq!(format(&text), *name, "{text}");
            // No other preset reads a line of it, bare or behind a prefix.
            for format in Format::candidates().filter(|f| f.body.name() != *name) {
                let mut parser = Parser::new(format, &o, None);
                for line in lines.iter().filter(|l| !l.starts_with('#')) {
                    assert!(
                        !matches!(parser.line(line.as_bytes()), Line::Request(_)),
                        "{format} reads a {name} line: {line}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_format_reading_most_lines_wins_and_damage_is_tolerated() {
        // 73% user-agent fragments: still an access log, its fragments malformed later.
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(if i % 4 == 0 {
                COMBINED
            } else {
                " \"curl/7.54.0\"\n"
            });
        }
        assert_eq!(format(&text), "combined");
        // 9 of 100: not one.
        let mut text = COMBINED.repeat(9);
        text.push_str(&"2022/07/25 10:00:00 [error] 123#0: *1 open() failed\n".repeat(91));
        assert_eq!(
            detected(&text),
            Detection::NotAccessLog {
                parsed: 9,
                sampled: 100
            }
        );
        assert_eq!(
            detected("12345\n").reason().unwrap(),
            "not an access log (0 of 1 sampled lines parse in any format)"
        );
    }

    #[test]
    fn json_objects_without_the_named_client_field_say_so() {
        // Issue 27: it said "not an access log ... name its format with --log-format".
        let text = "{\"remote_addr\":\"1.2.3.4\"}\n{\"remote_addr\":\"1.2.3.5\"}\nnoise\n";
        let options = Options {
            json: std::sync::Arc::new(JsonFields::parse("client.addr").unwrap()),
            ..Options::default()
        };
        let d = detect(text.as_bytes(), true, &options).unwrap();
        assert_eq!(
            d.reason().unwrap(),
            "not an access log: 2 of 3 sampled lines are JSON objects, and none has the client \
             field `client.addr` (--client-field)"
        );
        assert!(crate::plan::named_not_a_log(&d.reason().unwrap()).ends_with(CLIENT_FIELD));
        // Without --client-field, or with lines that are not JSON, the reason is the usual one.
        let plain = detected("{\"src\":\"1.2.3.4\"}\n");
        assert!(matches!(plain, Detection::NotAccessLog { .. }), "{plain:?}");
        let d = detect(b"12345\n", true, &options).unwrap();
        assert!(matches!(d, Detection::NotAccessLog { .. }), "{d:?}");
    }

    #[test]
    fn empty_and_blank_inputs_have_no_format() {
        assert_eq!(detected(""), Detection::Empty);
        assert_eq!(detected("\n \t\r\n\n"), Detection::Empty);
    }

    #[test]
    fn the_sample_is_bounded_and_a_cut_line_waits() {
        let o = Options::default();
        // Without `whole`, a line the text's end cut is not judged: more is needed.
        assert_eq!(detect(b"12345\n203.0.113.9 - -", false, &o), None);
        assert_eq!(
            detect(b"12345\n", false, &o),
            None,
            "another line may start"
        );
        assert_eq!(
            detect(b"12345\n203.0.113.9 - -", true, &o),
            Some(Detection::NotAccessLog {
                parsed: 0,
                sampled: 2
            })
        );
        let many = COMBINED.repeat(150);
        assert_eq!(sample(many.as_bytes(), false).unwrap().len(), SAMPLE_LINES);
        // A first line longer than a view is one sampled line, judged by its start.
        let mut giant = COMBINED.trim_end().to_string();
        giant.push_str(&" x".repeat(MAX_LINE));
        giant.push('\n');
        giant.push_str(COMBINED);
        let lines = sample(giant.as_bytes(), false).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert!(detect(&giant.as_bytes()[..MAX_LINE], false, &o).is_none());
        // Lines starting past SAMPLE_BYTES are not sampled.
        let past = format!("{}{COMBINED}", "\n".repeat(SAMPLE_BYTES));
        assert_eq!(detect(past.as_bytes(), false, &o), Some(Detection::Empty));
    }

    #[test]
    fn ties_go_to_the_earlier_format_in_the_table() {
        // Lines no candidate reads, and one that every prefix-free NCSA reader would: combined.
        let f = Format::candidates().position(|f| f == Format::plain(Body::Combined));
        assert_eq!(f, Some(0));
        let cri = Format {
            prefix: Some(Prefix::Cri),
            body: Body::Combined,
        };
        assert!(Format::candidates().position(|f| f == cri) > f);
    }
}

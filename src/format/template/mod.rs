//! A web server's own access-log format string, compiled once into a matcher: nginx
//! `log_format` syntax (`$remote_addr - $remote_user [$time_local] "$request" ...`) or Apache
//! `LogFormat` syntax (`%h %l %u %t \"%r\" %>s %b ...`).
//!
//! A line is a request when it is the template's literal text, in order, with each variable's
//! value between. A value ends where the literal text after it starts (its first occurrence at
//! or after the value's start), except that a `"` escaped as servers escape it (a `"` after an
//! odd number of backslashes) does not end a value whose literal starts with `"`. The leading
//! literal matches at the line's start; a template ending in a variable gives it the rest of the
//! line; trailing ASCII whitespace of the line (and of the template) is ignored. Typed values
//! (the status, byte counts, a peer-address client) must look like their type.
//!
//! [`Template::parts`] gives a line's client, X-Forwarded-For and time values as raw bytes; no
//! allocation or regex per line: each literal's finder is built at compile time.

use std::fmt;

mod compile;
mod matcher;
mod parse;
mod time_read;

use matcher::Step;
use time_read::TimeRead;

/// Which server's format-string syntax a template is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Syntax {
    Nginx,
    Apache,
}

/// Why a template does not compile, and where in the text given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the text given (a leading `nginx:`/`apache:` tag included).
    pub(crate) at: usize,
    pub(crate) message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {} of the template)", self.message, self.at)
    }
}

impl std::error::Error for TemplateError {}

fn error(at: usize, message: impl Into<String>) -> TemplateError {
    TemplateError {
        at,
        message: message.into(),
    }
}

/// What a line's time value is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg(test)]
pub(crate) enum TimeKind {
    /// `10/Oct/2000:13:55:36 -0700` (nginx `$time_local`, Apache `%t` inside its brackets).
    Ncsa,
    /// ISO 8601 (nginx `$time_iso8601`).
    Iso8601,
    /// Unix seconds with a fraction, `1700000000.123` (nginx `$msec`).
    UnixFraction,
    /// Whole Unix seconds (Apache `%{sec}t`).
    UnixSeconds,
    /// Unix milliseconds (Apache `%{msec}t`).
    UnixMillis,
    /// Unix microseconds (Apache `%{usec}t`).
    UnixMicros,
    /// An strftime format (Apache `%{%d/%b/%Y %T}t`), read strictly; offset 0 without `%z`.
    Strftime,
}

/// The values of one line: raw bytes as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// The client variable's value (`-` is written for "no client"; a peer variable's value is
    /// never empty).
    pub(crate) client: &'a [u8],
    /// The X-Forwarded-For variable's value, when the template has one and the client is a peer
    /// variable.
    pub(crate) forwarded: Option<&'a [u8]>,
    /// The time variable's value, when the template has one ([`Template::stamp`] reads it).
    pub(crate) time: Option<&'a [u8]>,
    /// The client as a number, where it is a canonical dotted quad (read in the same pass
    /// that finds its end, where the line starts with it).
    pub(crate) v4: Option<u32>,
}

/// A compiled template: see the module documentation.
#[derive(Debug)]
pub(crate) struct Template {
    /// What the tests check a template compiled from (nothing else reads these three).
    #[cfg(test)]
    syntax: Syntax,
    #[cfg(test)]
    source: String,
    client_name: String,
    /// The literal every line starts with.
    head: Box<[u8]>,
    steps: Box<[Step]>,
    time: Option<TimeRead>,
    #[cfg(test)]
    has_forwarded: bool,
    /// The line starts with the peer, ended by a literal that cannot be part of a dotted quad:
    /// a quad there is read and its end found in one pass ([`leading_v4`]).
    ///
    /// [`leading_v4`]: crate::keys::leading_v4
    leads_with_peer: bool,
}

impl Template {
    #[cfg(test)]
    pub(crate) fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The text as given (without any `nginx:`/`apache:` tag).
    #[cfg(test)]
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The client variable as written: `$remote_addr`, `%h`, `%{X-Forwarded-For}i`.
    pub(crate) fn client_name(&self) -> &str {
        &self.client_name
    }

    /// Whether the template has a time variable that carries a full date.
    pub(crate) fn has_time(&self) -> bool {
        self.time.is_some()
    }

    /// What the time value is written as.
    #[cfg(test)]
    pub(crate) fn time_kind(&self) -> Option<TimeKind> {
        self.time.as_ref().map(TimeRead::kind)
    }

    /// Whether the template has an X-Forwarded-For variable and the client is a peer variable.
    #[cfg(test)]
    pub(crate) fn has_forwarded(&self) -> bool {
        self.has_forwarded
    }
}

#[cfg(test)]
mod tests {
    use super::super::time::days_from_civil;
    use super::super::time::tests::{iso_text, ncsa_text};
    use super::*;
    use crate::format::time::Stamp;
    use crate::keys::parse_v4;
    use proptest::prelude::*;

    const NGINX_COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
    const NGINX_MAIN: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#;
    const APACHE_COMMON: &str = r#"%h %l %u %t \"%r\" %>s %b"#;
    const APACHE_COMBINED: &str = r#"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#;
    const APACHE_VHOST: &str =
        r#"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""#;
    const LINE: &[u8] = br#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "Mozilla/5.0 (X11)""#;

    fn t(text: &str) -> Template {
        Template::compile(text, None).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn tf(text: &str, field: &str) -> Template {
        Template::compile(text, Some(field)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn p<'a>(c: &'a str, f: Option<&'a str>, time: Option<&'a str>) -> Parts<'a> {
        Parts {
            client: c.as_bytes(),
            forwarded: f.map(str::as_bytes),
            time: time.map(str::as_bytes),
            v4: parse_v4(c.as_bytes()),
        }
    }

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, offset: i32) -> Stamp {
        Stamp {
            local: days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s,
            offset,
        }
    }

    fn err(text: &str, field: Option<&str>) -> TemplateError {
        match Template::compile(text, field) {
            Ok(t) => panic!("{text} compiled: {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn nginx_combined() {
        let t = t(NGINX_COMBINED);
        assert_eq!(t.syntax(), Syntax::Nginx);
        assert_eq!(t.source(), NGINX_COMBINED);
        assert_eq!(t.client_name(), "$remote_addr");
        assert!(t.has_time() && !t.has_forwarded());
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        let want = p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700"));
        assert_eq!(t.parts(LINE), Some(want));
        assert_eq!(
            t.stamp(want.time.unwrap()),
            Some(at(2000, 10, 10, 13, 55, 36, -25_200))
        );
        // nginx escapes a quote as \x22; the client `-` is allowed.
        let line = br#"- - - [10/Oct/2000:13:55:36 -0700] "GET /\x22a HTTP/1.1" 404 0 "-" "curl \x22x\x22""#;
        assert_eq!(t.parts(line).unwrap().client, b"-");
        // Trailing whitespace, a trailing \r.
        let mut padded = LINE.to_vec();
        padded.extend_from_slice(b" \t\r");
        assert_eq!(t.parts(&padded), Some(want));
        // Anything else after the template is not a request.
        let mut more = LINE.to_vec();
        more.extend_from_slice(b" x");
        assert_eq!(t.parts(&more), None);
        // A combined template with trailing whitespace of its own.
        assert_eq!(
            Template::compile(&format!("{NGINX_COMBINED} \t"), None)
                .unwrap()
                .parts(LINE),
            Some(want)
        );
        assert_eq!(t.stamp(b"10/Oct/2000:25:55:36 -0700"), None);
    }

    #[test]
    fn typed_failures() {
        let t = t(NGINX_COMBINED);
        let line = |s: &str| s.replace("LINE", "");
        for bad in [
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 20 2326 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 2326 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1x "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200  "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 -- "-" "-""#,
            r#" - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"203.0.113.7 x - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-""#,
            r#"203.0.113.7 - frank 10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            "",
            "garbage",
        ] {
            assert_eq!(t.parts(line(bad).as_bytes()), None, "{bad}");
        }
        let ok =
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 - "-" "-""#;
        assert!(t.parts(ok.as_bytes()).is_some());
        // A client with a tab or a space.
        let t = self::t("$remote_addr|$status");
        assert_eq!(t.parts(b"1.2.3.4|200"), Some(p("1.2.3.4", None, None)));
        assert_eq!(t.parts(b"1.2.3.4\tx|200"), None);
        assert_eq!(t.parts(b"1.2 3.4|200"), None);
        assert_eq!(t.parts(b"|200"), None);
        assert_eq!(t.parts(b"1.2.3.4|20"), None);
        assert_eq!(t.parts(b"1.2.3.4|2000"), None);
    }

    #[test]
    fn nginx_main_with_forwarded() {
        let t = t(NGINX_MAIN);
        assert!(t.has_forwarded());
        let line = br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" "198.51.100.1, 10.0.0.2""#;
        assert_eq!(
            t.parts(line),
            Some(p(
                "10.0.0.1",
                Some("198.51.100.1, 10.0.0.2"),
                Some("10/Oct/2000:13:55:36 -0700")
            ))
        );
        // With the forwarded variable as the client, there is no forwarded part.
        for field in [
            "http_x_forwarded_for",
            "$http_x_forwarded_for",
            "${http_x_forwarded_for}",
        ] {
            let t = tf(NGINX_MAIN, field);
            assert_eq!(t.client_name(), "$http_x_forwarded_for");
            assert!(!t.has_forwarded());
            assert_eq!(
                t.parts(line),
                Some(p(
                    "198.51.100.1, 10.0.0.2",
                    None,
                    Some("10/Oct/2000:13:55:36 -0700")
                ))
            );
            // A named client may be anything, even empty.
            let empty = br#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8" """#;
            assert_eq!(t.parts(empty).unwrap().client, b"");
        }
        let t = tf(NGINX_MAIN, "remote_user");
        assert_eq!(t.parts(line).unwrap().client, b"-");
        assert!(tf(NGINX_MAIN, "$remote_addr").has_forwarded());
        let t = t_proxy();
        assert!(t.has_forwarded());
    }

    fn t_proxy() -> Template {
        t("$remote_addr $proxy_add_x_forwarded_for")
    }

    #[test]
    fn nginx_time_first_and_request_time() {
        let t =
            t(r#"[$time_local] $remote_addr "$request" $status $body_bytes_sent $request_time"#);
        let line = br#"[10/Oct/2000:13:55:36 +0200] 2001:db8::1 "GET / HTTP/1.1" 200 612 0.004"#;
        assert_eq!(
            t.parts(line),
            Some(p("2001:db8::1", None, Some("10/Oct/2000:13:55:36 +0200")))
        );
        let t = self::t(r#"$time_iso8601 $remote_addr "$request" $status"#);
        assert_eq!(t.time_kind(), Some(TimeKind::Iso8601));
        let line = br#"2021-03-22T10:01:02+08:00 192.0.2.1 "GET / HTTP/1.1" 301"#;
        let parts = t.parts(line).unwrap();
        assert_eq!(
            parts,
            p("192.0.2.1", None, Some("2021-03-22T10:01:02+08:00"))
        );
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(at(2021, 3, 22, 10, 1, 2, 28_800))
        );
        let t = self::t("$msec $remote_addr");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixFraction));
        let parts = t.parts(b"1700000000.123 ::1").unwrap();
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(Stamp {
                local: 1_700_000_000,
                offset: 0
            })
        );
        assert_eq!(t.stamp(b"1700000000123"), None);
        assert_eq!(t.stamp(b"1700000000."), None);
        // Several time variables: the first counts.
        let t = self::t("$time_iso8601 $remote_addr $time_local");
        assert_eq!(t.time_kind(), Some(TimeKind::Iso8601));
    }

    #[test]
    fn json_escapes() {
        // escape=json writes a quote as \" (and a backslash as \\).
        let t = t(
            r#"{"ip":"$remote_addr","req":"$request","ua":"$http_user_agent","xff":"$http_x_forwarded_for","t":"$time_iso8601"}"#,
        );
        let line = br#"{"ip":"192.0.2.9","req":"GET /a\"b\\ HTTP/1.1","ua":"x \"y\" \\","xff":"","t":"2021-03-22T10:01:02Z"}"#;
        assert_eq!(
            t.parts(line),
            Some(p("192.0.2.9", Some(""), Some("2021-03-22T10:01:02Z")))
        );
        // An escaped quote before a literal that does not start with `"` ends a value.
        let t = self::t("$remote_addr $request|");
        assert_eq!(t.parts(br#"1.1.1.1 a\"b|"#), Some(p("1.1.1.1", None, None)));
    }

    #[test]
    fn apache_common_combined_vhost() {
        let t = t(APACHE_COMMON);
        assert_eq!(t.syntax(), Syntax::Apache);
        assert_eq!(t.client_name(), "%h");
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        let line = br#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
        assert_eq!(
            t.parts(line),
            Some(p("127.0.0.1", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        let t = self::t(APACHE_COMBINED);
        assert_eq!(
            t.parts(LINE),
            Some(p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        let line = br#"203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /\"x HTTP/1.0" 200 - "-" "a \"b\"""#;
        assert_eq!(t.parts(line).unwrap().client, b"203.0.113.7");
        let t = self::t(APACHE_VHOST);
        let line = br#"example.com:443 203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 512 "-" "curl""#;
        assert_eq!(
            t.parts(line),
            Some(p("203.0.113.7", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        // %a is preferred to %h.
        let t = self::t("%h %a");
        assert_eq!(t.client_name(), "%a");
        assert_eq!(
            t.parts(b"host.example 192.0.2.1").unwrap().client,
            b"192.0.2.1"
        );
        assert_eq!(self::t("%{c}a %h").client_name(), "%h");
        assert_eq!(self::t("%{c}a %u").client_name(), "%{c}a");
    }

    #[test]
    fn apache_forwarded_and_client_fields() {
        let text = r#"%a %{x-forwarded-for}i %t \"%r\" %>s %b"#;
        let t = t(text);
        assert!(t.has_forwarded());
        let line = br#"10.0.0.1 198.51.100.2 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(t.parts(line).unwrap().forwarded, Some(&b"198.51.100.2"[..]));
        for field in [
            "%{X-Forwarded-For}i",
            "%{x-forwarded-for}i",
            "http_x_forwarded_for",
            "$http_x_forwarded_for",
        ] {
            let t = tf(text, field);
            assert_eq!(t.client_name(), "%{x-forwarded-for}i", "{field}");
            assert!(!t.has_forwarded());
            assert_eq!(t.parts(line).unwrap().client, b"198.51.100.2");
        }
        assert_eq!(tf(text, "%a").client_name(), "%a");
        assert!(tf(text, "%a").has_forwarded());
        let t = tf("%h %a %{c}a %u", "%h");
        assert_eq!(t.parts(b"h a c u").unwrap().client, b"h");
        assert!(
            tf("%h %a %{c}a %u", "%{c}a")
                .parts(b"h a c u")
                .unwrap()
                .client
                == b"c"
        );
        assert_eq!(
            tf("%h %{User-Agent}i", "http_user_agent").client_name(),
            "%{User-Agent}i"
        );
    }

    #[test]
    fn apache_escapes_and_percent() {
        // \" \\ \n \t stay in the literal; other \x verbatim; %% a literal %.
        let t = t(r#"%h \\ \q 100%% \t%>s"#);
        assert_eq!(
            t.parts(b"1.2.3.4 \\ \\q 100% \t200"),
            Some(p("1.2.3.4", None, None))
        );
        assert_eq!(t.parts(b"1.2.3.4 \\ \\q 100% \t20"), None);
        let t = self::t(r"%h\");
        assert_eq!(t.parts(b"1.2.3.4\\"), Some(p("1.2.3.4", None, None)));
        // mod_ssl's directives (with an argument only).
        let t = self::t(r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"#);
        let line = br#"[10/Oct/2000:13:55:36 -0700] ::1 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET / HTTP/1.1" 5"#;
        assert_eq!(
            t.parts(line),
            Some(p("::1", None, Some("10/Oct/2000:13:55:36 -0700")))
        );
        assert_eq!(err("%h %x", None).at, 4);
        assert_eq!(err("%h %c", None).at, 4);
    }

    #[test]
    fn apache_times() {
        let t = t(r#"%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t %h"#);
        assert_eq!(t.time_kind(), Some(TimeKind::Strftime));
        let parts = t
            .parts(b"10/Oct/2000 13:55:36.123 -0700 192.0.2.3")
            .unwrap();
        assert_eq!(parts, p("192.0.2.3", None, Some("10/Oct/2000 13:55:36")));
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(at(2000, 10, 10, 13, 55, 36, 0))
        );
        assert_eq!(t.stamp(b"31/Sep/2000 13:55:36"), None);
        assert_eq!(t.stamp(b"10/Oct/2000 13:55:61"), None);
        let t = self::t("%h %{sec}t");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixSeconds));
        let parts = t.parts(b"192.0.2.3 971211336").unwrap();
        assert_eq!(
            t.stamp(parts.time.unwrap()),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        assert_eq!(t.stamp(b"971211336.5"), None);
        assert_eq!(t.stamp(b""), None);
        let t = self::t("%h %{begin:msec}t");
        assert_eq!(
            t.stamp(b"971211336123"),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        let t = self::t("%h %{end:usec}t");
        assert_eq!(t.time_kind(), Some(TimeKind::UnixMicros));
        assert_eq!(
            t.stamp(b"971211336123456"),
            Some(Stamp {
                local: 971_211_336,
                offset: 0
            })
        );
        assert!(!self::t("%h %{msec_frac}t").has_time());
        // Without a full date, a strftime time is not a time.
        assert!(!self::t("%h %{%H:%M:%S}t").has_time());
        assert!(!self::t("%h %{%d/%b}t").has_time());
        let t = self::t("%h %{%T}t %t");
        assert_eq!(t.time_kind(), Some(TimeKind::Ncsa));
        assert_eq!(
            t.parts(b"::1 10:00:00 [10/Oct/2000:13:55:36 -0700]")
                .unwrap()
                .time,
            Some(&b"10/Oct/2000:13:55:36 -0700"[..])
        );
        // Many conversions.
        let cases: &[(&str, &[u8], Option<Stamp>)] = &[
            (
                "%F %T %z",
                b"2021-03-22 10:01:02 +0530",
                Some(at(2021, 3, 22, 10, 1, 2, 19_800)),
            ),
            (
                "%Y-%m-%dT%H:%M:%S%z",
                b"2000-02-29T23:59:60-0000",
                Some(at(2000, 3, 1, 0, 0, 0, 0)),
            ),
            ("%Y-%m-%d", b"2001-02-29", None),
            (
                "%s",
                b"971211336",
                Some(Stamp {
                    local: 971_211_336,
                    offset: 0,
                }),
            ),
            (
                "%s %z",
                b"971211336 +0100",
                Some(Stamp {
                    local: 971_211_336 + 3600,
                    offset: 3600,
                }),
            ),
            (
                "%a, %e %b %Y %R",
                b"Tue,  3 Oct 2000 13:55",
                Some(at(2000, 10, 3, 13, 55, 0, 0)),
            ),
            (
                "%A %B %d %y %I:%M:%S %p",
                b"Tuesday October 10 00 01:55:36 PM",
                Some(at(2000, 10, 10, 13, 55, 36, 0)),
            ),
            (
                "%D %r",
                b"10/10/99 12:00:00 AM",
                Some(at(1999, 10, 10, 0, 0, 0, 0)),
            ),
            (
                "%Y %j %H%%",
                b"2000 366 23%",
                Some(at(2000, 12, 31, 23, 0, 0, 0)),
            ),
            ("%Y %j", b"2001 366", None),
            (
                "%Y/%m/%d %k:%M",
                b"2000/10/10  9:05",
                Some(at(2000, 10, 10, 9, 5, 0, 0)),
            ),
            ("%Y/%m/%d %H", b"2000/10/10 24", None),
            ("%F %T %z", b"2021-03-22 10:01:02 +2400", None),
            ("%F %T", b"2021-03-22 10:01:02 ", None),
            ("%b %d %Y", b"oct 10 2000", None),
            ("%F %u", b"2000-10-10 2", Some(at(2000, 10, 10, 0, 0, 0, 0))),
            ("%F %u", b"2000-10-10 8", None),
        ];
        for (format, text, want) in cases {
            let t = self::t(&format!("%h|%{{{format}}}t"));
            assert!(t.has_time(), "{format}");
            assert_eq!(
                t.stamp(text),
                *want,
                "{format} {}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn syntax_tags_and_detection() {
        let t = t("nginx:$remote_addr 100%");
        assert_eq!(t.syntax(), Syntax::Nginx);
        assert_eq!(t.source(), "$remote_addr 100%");
        assert_eq!(t.parts(b"1.1.1.1 100%"), Some(p("1.1.1.1", None, None)));
        let t = self::t("apache:$ %h");
        assert_eq!(t.parts(b"$ 1.1.1.1"), Some(p("1.1.1.1", None, None)));
        let t = self::t("cost $ $remote_addr");
        assert_eq!(t.parts(b"cost $ ::1"), Some(p("::1", None, None)));
        assert_eq!(
            Template::compile_as(Syntax::Apache, "%h", None)
                .unwrap()
                .syntax(),
            Syntax::Apache
        );
        // A template ending in a variable: the rest of the line.
        let t = self::t("ip=$remote_addr ua=$http_user_agent");
        assert_eq!(
            t.parts(b"ip=1.1.1.1 ua=a b c  "),
            Some(p("1.1.1.1", None, None))
        );
        assert_eq!(t.parts(b"IP=1.1.1.1 ua=a b c"), None);
        assert_eq!(t.parts(b" ip=1.1.1.1 ua=a b c"), None);
    }

    #[test]
    fn adjacent_variables() {
        // Untyped neighbours are one value; typed ones lose their type.
        let t = t("$remote_addr $a$status$b|");
        assert_eq!(t.parts(b"1.1.1.1 xyz|"), Some(p("1.1.1.1", None, None)));
        let t = self::t("%h %u%l|");
        assert_eq!(t.parts(b"1.1.1.1 |"), Some(p("1.1.1.1", None, None)));
        let e = err("$remote_addr$remote_user", None);
        assert_eq!(e.at, 12);
        assert_eq!(
            e.message,
            "`$remote_addr` and `$remote_user` have no text between them: where one ends cannot be told"
        );
        assert_eq!(err("$remote_addr $a$time_local", None).at, 15);
        assert_eq!(err("$remote_addr $http_x_forwarded_for$a", None).at, 34);
        assert_eq!(err("apache:%h%{sec}t", None).at, 9);
        // `$remote_user$http_x_forwarded_for` is fine when the forwarded is not a role.
        assert!(Template::compile(
            "$remote_addr $remote_user$http_x_forwarded_for",
            Some("remote_addr")
        )
        .is_err());
        assert!(Template::compile(
            "$remote_user$http_x_forwarded_for $remote_addr",
            Some("$remote_addr")
        )
        .is_err());
        assert!(
            Template::compile("$a$http_x_forwarded_for $remote_user", Some("remote_user")).is_ok()
        );
    }

    #[test]
    fn compile_errors() {
        let cases: &[(&str, Option<&str>, usize, &str)] = &[
            ("plain text", None, 0, "a template needs at least one `$variable` or `%directive`"),
            ("$remote_user $status", None, 0, "the template has no client address (`$remote_addr` or `$realip_remote_addr`; name another variable with --client-field)"),
            ("nginx:just text", None, 6, "the template has no client address (`$remote_addr` or `$realip_remote_addr`; name another variable with --client-field)"),
            ("%u %>s", None, 0, "the template has no client address (`%a`, `%h` or `%{c}a`; name another directive with --client-field)"),
            ("$remote_addr", Some("http_x_real_ip"), 0, "no variable `http_x_real_ip` in the template"),
            ("%h", Some("%{X-Real-IP}i"), 0, "no variable `%{X-Real-IP}i` in the template"),
            ("%h", Some("%Z"), 0, "no variable `%Z` in the template"),
            ("$remote_addr ${status", None, 13, "`${` without its closing `}`"),
            ("$remote_addr ${}", None, 15, "`` is not a variable name (letters, digits and `_`)"),
            ("$remote_addr ${a-b}", None, 15, "`a-b` is not a variable name (letters, digits and `_`)"),
            ("nginx:$remote_addr ${x", None, 19, "`${` without its closing `}`"),
            ("%h %Z", None, 4, "unknown directive `%Z`"),
            ("%h %>Z", None, 5, "unknown directive `%Z`"),
            ("%h %{x}é", None, 7, "unknown directive `%é`"),
            ("%h %^tx", None, 4, "unknown directive `%^` (only `%^ti` and `%^to`)"),
            ("%h %", None, 3, "a `%` at the end of the template (write `%%` for a literal `%`)"),
            ("%h %>", None, 3, "a `%` at the end of the template (write `%%` for a literal `%`)"),
            ("%h %{Referer", None, 4, "`{` without its closing `}`"),
            ("apache:%h %{Referer", None, 11, "`{` without its closing `}`"),
            ("%h %{a}{b}i", None, 7, "a directive with two `{…}` arguments"),
            ("%h %{%Y %Q}t", None, 8, "unsupported strftime conversion `%Q` in a time format"),
            ("%h %{begin:%Y %Q}t", None, 14, "unsupported strftime conversion `%Q` in a time format"),
            ("apache:%h %{%Y %}t", None, 15, "a `%` at the end of the strftime format"),
        ];
        for (text, field, at, message) in cases {
            let e = err(text, *field);
            assert_eq!((e.at, e.message.as_str()), (*at, *message), "{text}");
        }
        let e = err("%h %Z", None);
        assert_eq!(
            e.to_string(),
            "unknown directive `%Z` (at byte 4 of the template)"
        );
        let _: &dyn std::error::Error = &e;
    }

    #[test]
    fn long_literals() {
        let t = t("$remote_addr <<<a long literal, longer than sixteen>>> $status");
        let line = b"::1 <<<a long literal, longer than sixteen>>> 200";
        assert_eq!(t.parts(line), Some(p("::1", None, None)));
        assert_eq!(
            t.parts(b"::1 <<<a long literal, longer than sixteen> 200"),
            None
        );
        // 9 to 16 bytes: the first 8 compared as a word, then the rest.
        let t = self::t("$remote_addr <twelve-ish> $status");
        assert_eq!(t.parts(b"::1 <twelve-ish> 200"), Some(p("::1", None, None)));
        assert_eq!(t.parts(b"::1 <twelve-ish  <twelve-ish> 200"), None);
        assert_eq!(t.parts(b"::1 <twelve-isx> 200"), None);
        let t = self::t("$remote_user <twelve-ish> $remote_addr");
        assert_eq!(
            t.parts(b"a<twelve-ish> <twelve-ish> ::1"),
            Some(p("::1", None, None))
        );
        // Near the line's end (fewer than 8 bytes left).
        let t = self::t("$remote_addr [|]");
        assert_eq!(t.parts(b"::1 [|]"), Some(p("::1", None, None)));
        assert_eq!(t.parts(b"::1 [|"), None);
    }

    #[test]
    fn templates_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Template>();
    }

    // ---- property tests

    /// A variable of the random templates: its text, what its value is, and how to draw it.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Role {
        Peer(u8),
        Forwarded,
        Time(TimeKind),
        Status,
        Bytes,
        Other,
    }

    const NGINX_VARS: &[(&str, Role)] = &[
        ("$remote_addr", Role::Peer(0)),
        ("${realip_remote_addr}", Role::Peer(1)),
        ("$http_x_forwarded_for", Role::Forwarded),
        ("$proxy_add_x_forwarded_for", Role::Forwarded),
        ("$time_local", Role::Time(TimeKind::Ncsa)),
        ("$time_iso8601", Role::Time(TimeKind::Iso8601)),
        ("$msec", Role::Time(TimeKind::UnixFraction)),
        ("$status", Role::Status),
        ("${body_bytes_sent}", Role::Bytes),
        ("$request_length", Role::Bytes),
        ("$request", Role::Other),
        ("$http_user_agent", Role::Other),
        ("$remote_user", Role::Other),
    ];

    const APACHE_VARS: &[(&str, Role)] = &[
        ("%a", Role::Peer(0)),
        ("%h", Role::Peer(1)),
        ("%{c}a", Role::Peer(2)),
        ("%{X-Forwarded-For}i", Role::Forwarded),
        ("%t", Role::Time(TimeKind::Ncsa)),
        ("%{sec}t", Role::Time(TimeKind::UnixSeconds)),
        ("%{begin:msec}t", Role::Time(TimeKind::UnixMillis)),
        ("%{%Y-%m-%dT%H:%M:%S%z}t", Role::Time(TimeKind::Strftime)),
        ("%>s", Role::Status),
        ("%b", Role::Bytes),
        ("%O", Role::Bytes),
        ("%r", Role::Other),
        ("%{Referer}i", Role::Other),
        ("%u", Role::Other),
        ("%{msec_frac}t", Role::Other),
    ];

    /// Separator characters: values never hold them (but `\"` for `"`).
    const SEP: &[u8] = b" |\"[]#,;";

    fn value(role: Role, stamp: Stamp, pick: u64, other: &str) -> String {
        match role {
            Role::Peer(_) => {
                ["192.0.2.1", "-", "2001:db8::7", "a.example"][(pick % 4) as usize].into()
            }
            Role::Status => format!("{:03}", pick % 1000),
            Role::Bytes => {
                if pick.is_multiple_of(5) {
                    "-".into()
                } else {
                    (pick % 100_000).to_string()
                }
            }
            Role::Time(TimeKind::Ncsa) => ncsa_text(stamp),
            Role::Time(TimeKind::Iso8601) => iso_text(stamp),
            Role::Time(TimeKind::UnixFraction) => {
                format!("{}.{:03}", stamp.utc().max(0), pick % 1000)
            }
            Role::Time(TimeKind::UnixSeconds) => stamp.utc().max(0).to_string(),
            Role::Time(TimeKind::UnixMillis) => format!("{}{:03}", stamp.utc().max(0), pick % 1000),
            Role::Time(_) => {
                let iso = iso_text(stamp);
                // %Y-%m-%dT%H:%M:%S%z
                let zone = iso[19..].replace(':', "").replace('Z', "+0000");
                format!("{}{}", &iso[..19], zone)
            }
            Role::Forwarded | Role::Other => other.into(),
        }
    }

    /// Apache or nginx; the variables (pool index, separator after, a number to draw a
    /// value with, an untyped value); the leading literal; where the client goes; whether the
    /// template ends in a literal.
    type Case = (bool, Vec<(usize, String, u64, String)>, String, usize, bool);

    fn template_case() -> impl Strategy<Value = Case> {
        let sep = proptest::collection::vec(proptest::sample::select(SEP.to_vec()), 1..4)
            .prop_map(|v| String::from_utf8(v).unwrap());
        let other = "([A-Za-z0-9.:/=-]|\\\\\")*";
        (
            any::<bool>(),
            proptest::collection::vec((0usize..15, sep, any::<u64>(), other), 1..8),
            "([|#,;]{0,2})",
            0usize..20,
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn drawn_lines_give_back_their_values(
            (apache, vars, head, client_at, last_sep) in template_case(),
            stamp_secs in 0i64..4_000_000_000,
            minutes in -(23 * 60 + 59)..(23 * 60 + 59i32),
        ) {
            let pool = if apache { APACHE_VARS } else { NGINX_VARS };
            let stamp_utc = Stamp { local: stamp_secs, offset: 0 };
            let stamp_zoned = Stamp { local: stamp_secs + i64::from(minutes) * 60, offset: minutes * 60 };
            let mut items: Vec<(&str, Role, String, String)> = vars
                .iter()
                .map(|(k, sep, pick, other)| {
                    let (name, role) = pool[k % pool.len()];
                    // Untyped values must not hold `"` but as `\"` before a literal
                    // starting with `"`: drop the escapes elsewhere.
                    let mut other = other.clone();
                    if !sep.starts_with('"') {
                        other = other.replace("\\\"", "");
                    }
                    let stamp = match role {
                        Role::Time(TimeKind::Ncsa | TimeKind::Iso8601 | TimeKind::Strftime) => stamp_zoned,
                        _ => stamp_utc,
                    };
                    let mut sep = sep.clone();
                    if matches!(role, Role::Time(_)) && sep.bytes().all(|b| b == b' ') {
                        sep.insert(0, '|');
                    }
                    (name, role, value(role, stamp, *pick, &other), sep)
                })
                .collect();
            // Always a peer client somewhere.
            let peer = if apache { ("%h", Role::Peer(1)) } else { ("$remote_addr", Role::Peer(0)) };
            let at = client_at % (items.len() + 1);
            items.insert(at, (peer.0, peer.1, "198.51.100.9".into(), " ".into()));
            if !last_sep {
                items.last_mut().unwrap().3.clear();
            }
            let mut text = head.clone();
            let mut line = head.clone();
            for (name, role, value, sep) in &items {
                text.push_str(name);
                if apache && *name == "%t" {
                    line.push('[');
                    line.push_str(value);
                    line.push(']');
                } else {
                    line.push_str(value);
                }
                let _ = role;
                if apache {
                    text.push_str(&sep.replace('"', "\\\""));
                } else {
                    text.push_str(sep);
                }
                line.push_str(sep);
            }
            let t = Template::compile(&text, None).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            // The expected parts.
            let best = items.iter().filter_map(|i| match i.1 { Role::Peer(r) => Some(r), _ => None }).min().unwrap();
            let client = items.iter().find(|i| i.1 == Role::Peer(best)).unwrap();
            let forwarded = items.iter().find(|i| i.1 == Role::Forwarded).map(|i| i.2.as_bytes());
            let time = items.iter().find(|i| matches!(i.1, Role::Time(_)));
            let want = Parts {
                client: client.2.as_bytes(),
                forwarded,
                time: time.map(|i| i.2.as_bytes()),
                v4: parse_v4(client.2.as_bytes()),
            };
            prop_assert_eq!(t.parts(line.as_bytes()), Some(want), "{} / {}", text, line);
            prop_assert_eq!(t.has_forwarded(), forwarded.is_some());
            if let Some((_, Role::Time(kind), value, _)) = time {
                prop_assert_eq!(t.time_kind(), Some(*kind));
                let stamp = t.stamp(value.as_bytes());
                let want = match kind {
                    TimeKind::Ncsa | TimeKind::Iso8601 | TimeKind::Strftime => stamp_zoned,
                    _ => stamp_utc,
                };
                // ISO text writes offset 0 as `Z`: the same stamp.
                prop_assert_eq!(stamp, Some(want), "{}", value);
            } else {
                prop_assert!(!t.has_time());
            }
            // With trailing whitespace.
            let padded = format!("{line} \t\r");
            prop_assert_eq!(t.parts(padded.as_bytes()), Some(want));
        }

        #[test]
        fn random_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            for text in [NGINX_COMBINED, NGINX_MAIN, APACHE_COMBINED, APACHE_VHOST, "$remote_user$a \"$b\" $remote_addr $status", "%h %{%F %T %z}t|%{sec}t"] {
                let t = Template::compile(text, None).unwrap();
                if let Some(parts) = t.parts(&line) {
                    let _ = parts.time.map(|time| t.stamp(time));
                }
            }
        }

        #[test]
        fn near_lines_never_panic(cut in 0usize..200, byte in any::<u8>(), at in 0usize..200) {
            let t = Template::compile(NGINX_MAIN, None).unwrap();
            let mut line = LINE.to_vec();
            line.truncate(cut.min(line.len()));
            let at = at.min(line.len());
            line.insert(at, byte);
            let _ = t.parts(&line);
        }

        #[test]
        fn random_templates_never_panic(text in "[$%{}a-z_\\\\\" ><^!0-9]{0,30}", field in proptest::option::of("[$%{}a-z_]{0,8}")) {
            if let Ok(t) = Template::compile(&text, field.as_deref()) {
                let _ = t.parts(text.as_bytes());
            }
        }
    }
}

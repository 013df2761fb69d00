//! Envoy's default access log format (`envoy`), and Istio's default, which extends it.
//!
//! Envoy (the "Access logging" page, "Default format string"):
//!
//! ```text
//! [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
//! %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//! "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"
//! "%UPSTREAM_HOST%"
//! ```
//!
//! Istio writes `%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//! "%UPSTREAM_TRANSPORT_FAILURE_REASON%"` after the flags, and `%UPSTREAM_CLUSTER%
//! %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ...` at the
//! end. The time is ISO 8601; the response code is `0` when none was sent.
//!
//! The client is the forwarded chain's (docs/contract.md §1): the `X-Forwarded-For` entries,
//! then, where Istio writes it, the downstream peer without its port. Without trusted proxies
//! that is the first entry; a request with neither (`"-"` and no peer) has no client.

use super::client::clean_address;
use super::cursor::{iso_timestamp, Cursor};
use super::ncsa::Chain;
use super::time::{parse_iso, When};

/// An Envoy line's chain and its time.
pub(crate) fn envoy_chain(line: &[u8]) -> Option<(Chain<'_>, &[u8])> {
    let mut c = Cursor::new(line);
    c.byte(b'[')?;
    let time = c.until(b']')?;
    if iso_timestamp(time) != Some(time.len()) {
        return None;
    }
    c.byte(b' ')?;
    c.quoted()?; // the request (`- - -` for TCP)
    c.byte(b' ')?;
    let code = c.number()?;
    if code.len() > 3 {
        return None;
    }
    c.byte(b' ')?;
    c.token()?; // the response flags
    c.byte(b' ')?;
    let envoy = c;
    let istio = !counts(&mut c);
    if istio {
        c = envoy;
        c.token()?; // the response code details
        c.byte(b' ')?;
        c.token()?; // the connection termination details
        c.byte(b' ')?;
        c.quoted()?; // the upstream transport failure reason
        c.byte(b' ')?;
        if !counts(&mut c) {
            return None;
        }
    }
    let forwarded = c.quoted()?;
    for _ in 0..4 {
        // the user agent, the request id, the authority, the upstream host
        c.byte(b' ')?;
        c.quoted()?;
    }
    c.end_or_space()?;
    let peer = if istio { downstream_peer(c) } else { None };
    Some((Chain { forwarded, peer }, time))
}

/// The bytes received and sent, the duration and the upstream service time (digits, or `-`
/// where Envoy has none), each followed by a space.
fn counts(c: &mut Cursor<'_>) -> bool {
    (0..4).all(|_| c.count().is_some() && c.byte(b' ').is_some())
}

/// Istio's `%DOWNSTREAM_REMOTE_ADDRESS%`, the fourth field after the quoted ones, without its
/// port.
fn downstream_peer<'a>(mut c: Cursor<'a>) -> Option<&'a [u8]> {
    for _ in 0..3 {
        // the upstream cluster, the upstream local address, the downstream local address
        c.token()?;
        c.byte(b' ')?;
    }
    let peer = c.field(b' ', true)?;
    (peer != b"-").then(|| clean_address(peer))
}

/// An Envoy line's time (`[START_TIME]`), and for a line that is not one, the ISO time in the
/// bracket it starts with, if any (best effort).
pub(crate) fn envoy_when(parts: Option<&[u8]>, line: &[u8]) -> When {
    match parts {
        Some(time) => When::read(parse_iso(time)),
        None => When::found(
            line.strip_prefix(b"[")
                .and_then(|s| iso_timestamp(s).map(|n| &s[..n]))
                .and_then(parse_iso),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::client::Client;
    use crate::format::proxy::Proxies;

    fn chain(line: &str) -> Option<(String, Option<String>)> {
        let (chain, _) = envoy_chain(line.as_bytes())?;
        Some((
            String::from_utf8_lossy(chain.forwarded).into_owned(),
            chain.peer.map(|p| String::from_utf8_lossy(p).into_owned()),
        ))
    }

    fn client(line: &str, proxies: &Proxies) -> Option<Vec<u8>> {
        envoy_chain(line.as_bytes()).map(|(c, _)| c.client(proxies).to_vec())
    }

    // The example of Envoy's "Access logging" page, and Istio's from its "Envoy Access Logs".
    #[test]
    fn the_documented_lines() {
        let envoy = r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#;
        assert_eq!(chain(envoy), Some(("10.0.35.28".into(), None)));
        let none = Proxies::default();
        assert_eq!(client(envoy, &none), Some(b"10.0.35.28".to_vec()));
        let (_, time) = envoy_chain(envoy.as_bytes()).unwrap();
        assert_eq!(
            envoy_when(Some(time), b""),
            When::read(parse_iso(b"2016-04-15T20:17:00.310Z"))
        );
        let istio = r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#;
        assert_eq!(chain(istio), Some(("-".into(), Some("10.44.1.23".into()))));
        assert_eq!(client(istio, &none), Some(b"10.44.1.23".to_vec()));
    }

    #[test]
    fn the_client_is_the_chains() {
        let none = Proxies::default();
        let line = |xff: &str| {
            format!(
                r#"[2026-12-07T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 12 3 2 "{xff}" "curl/8" "id" "example.com" "10.0.0.9:8080""#
            )
        };
        assert_eq!(
            client(&line("203.0.113.9, 10.0.0.2"), &none),
            Some(b"203.0.113.9".to_vec())
        );
        let trusted = Proxies::parse(["10.0.0.0/8"]).unwrap();
        assert_eq!(
            client(&line("198.51.100.1, 203.0.113.9, 10.0.0.2"), &trusted),
            Some(b"203.0.113.9".to_vec())
        );
        // No forwarded header and no peer written: a request without a client.
        assert_eq!(client(&line("-"), &none), Some(Vec::new()));
        assert_eq!(
            envoy_chain(line("-").as_bytes()).map(|(c, _)| c.client(&none)),
            Some(Client::Absent)
        );
        // TCP proxying: no request line, code 0, `-` counts.
        let tcp = r#"[2026-12-07T10:00:00.000Z] "- - -" 0 UF,URX 0 0 1 - "-" "-" "-" "-" "10.0.0.9:5432""#;
        assert_eq!(chain(tcp), Some(("-".into(), None)));
    }

    #[test]
    fn other_lines_are_not_envoys() {
        for line in [
            // NCSA time in the bracket: Apache's ssl_request_log
            r#"[06/Feb/2019:00:00:38 +0000] 192.0.2.3 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET / HTTP/1.1" 612"#,
            // a code of four digits
            r#"[2026-12-07T10:00:00.000Z] "GET / HTTP/1.1" 2000 - 0 12 3 2 "-" "curl/8" "id" "a" "b""#,
            // a quoted field missing
            r#"[2026-12-07T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 12 3 2 "-" "curl/8" "id" "a""#,
            // a count that is not one
            r#"[2026-12-07T10:00:00.000Z] "GET / HTTP/1.1" 200 - 0 x 3 2 "-" "curl/8" "id" "a" "b""#,
            "[2026-12-07T10:00:00.000Z] envoy started",
        ] {
            assert_eq!(chain(line), None, "{line}");
        }
    }
}

//! Formats, prefixes and where clients stand: every format and prefix is detected and counts
//! its clients, named or found; forwarded lists, vhosts, JSON objects, client fields, IPv6
//! brackets and ports, quoted fields; W3C directives and the columns they set.

use super::{
    combined, counts, entry, every_format, lc, log_of, paths, prefixed, summary, sums, w3c_blocks,
    Case, IIS_SHORT, PREFIXES,
};
use crate::util::formats::header;
use crate::util::ExecutorArgs;
use crate::util::{for_each_executor, json, key, output_no_panic, report, write};

use serde_json::json;
use std::path::Path;

#[test]
fn every_format_and_prefix_is_detected_and_counts_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let cases = every_format(dir.path());
    assert_every_format(&report(lc([dir.path()])), dir.path(), &cases);
}

/// Each of [`every_format`]'s files counted as its case says, and the summary their sum: every
/// file has the same four clients, so the union has four.
fn assert_every_format(v: &serde_json::Value, dir: &Path, cases: &[Case]) {
    for (name, _, want) in cases {
        assert_eq!(entry(v, &key(dir, name)), *want, "{name}");
    }
    let malformed: u64 = cases
        .iter()
        .map(|c| c.2["malformed"].as_u64().unwrap())
        .sum();
    assert_eq!(
        summary(v),
        sums(cases.len(), 5 * cases.len() as u64, 4, malformed, 0, 0)
    );
}

#[test]
fn every_format_and_prefix_named_gives_what_auto_found() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format, want) in every_format(dir.path()) {
        let v = report(lc(["--log-format", &format, &key(dir.path(), &name)]));
        assert_eq!(entry(&v, &key(dir.path(), &name)), want, "{name}");
    }
}

#[test]
fn every_executor_agrees_on_every_format_cut_into_small_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let cases = every_format(dir.path());
    for_each_executor(|e| {
        let v = report(
            lc(e.jobs("3"))
                .args(["--chunk-size", "200"])
                .arg(dir.path()),
        );
        assert_every_format(&v, dir.path(), &cases);
    });
}

#[test]
fn an_x_forwarded_for_list_gives_its_first_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        combined("203.0.113.9, 10.0.0.1"),
        combined("203.0.113.9,10.0.0.2"),
        combined("198.51.100.1, 10.0.0.1, 10.0.0.2"),
        combined("10.0.0.1"),
        combined("2001:db8::1, 10.0.0.1"),
    ]
    .concat();
    write(dir.path(), "xff.log", text.as_bytes());
    write(
        dir.path(),
        "xff-cri.log",
        prefixed(PREFIXES[0].1, &text).as_bytes(),
    );
    let v = report(lc([dir.path()]));
    // 203.0.113.9, 198.51.100.1, 10.0.0.1, 2001:db8::1
    assert_eq!(
        entry(&v, &key(dir.path(), "xff.log")),
        counts(5, 4, 0, "combined")
    );
    assert_eq!(
        entry(&v, &key(dir.path(), "xff-cri.log")),
        counts(5, 4, 0, "cri+combined")
    );
    assert_eq!(summary(&v), sums(2, 10, 4, 0, 0, 0));
    // The teaching example's rule reads these lines alike.
    let v = report(lc(["--log-format", "classic", &key(dir.path(), "xff.log")]));
    assert_eq!(
        entry(&v, &key(dir.path(), "xff.log")),
        counts(5, 4, 0, "classic")
    );
}

#[test]
fn vhost_counts_its_second_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        format!("example.com:443 {}", combined("1.1.1.1")),
        format!("shop.example.com:80 {}", combined("1.1.1.1")),
        format!("example.com:443 {}", combined("2.2.2.2")),
        format!("example.com {}", combined("3.3.3.3")),
        format!("example.com:443 {}", combined("[2001:db8::1]")),
        format!("example.com:443 {}", combined("2001:db8::1")),
        format!("example.com:443 {}", combined("2.2.2.2, 10.0.0.1")),
    ]
    .concat();
    write(dir.path(), "vhost.log", text.as_bytes());
    let v = report(lc([dir.path()]));
    // 1.1.1.1, 2.2.2.2, 3.3.3.3, 2001:db8::1: never a virtual host.
    assert_eq!(
        entry(&v, &key(dir.path(), "vhost.log")),
        counts(7, 4, 0, "vhost")
    );
}

#[test]
fn json_clients_stand_anywhere_in_the_object() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        // nginx escape=json: the client last
        r#"{"time_local":"22/Mar/2021:10:01:02 +0800","request":"GET / HTTP/1.1","status":"200","remote_addr":"203.0.113.1"}"#,
        // client_ip is preferred over remote_addr wherever each stands
        r#"{"remote_addr":"10.0.0.1","status":200,"client_ip":"203.0.113.2"}"#,
        // Caddy: request.client_ip before request.remote_ip
        r#"{"level":"info","ts":1646861401.52,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.9","remote_port":"41342","client_ip":"203.0.113.3","proto":"HTTP/1.1","method":"GET","headers":{"User-Agent":["curl/7.82.0"]}},"status":200}"#,
        // older Caddy: request.remote_addr with a port
        r#"{"request":{"method":"GET","remote_addr":"[2001:db8::1]:50000"},"status":200}"#,
        // Traefik: ClientHost before ClientAddr
        r#"{"ClientAddr":"192.168.1.5:51234","ClientHost":"203.0.113.4","ClientPort":"51234","RequestMethod":"GET","DownstreamStatus":200}"#,
        // Traefik with only ClientAddr: its port comes off
        r#"{"RequestMethod":"GET","ClientAddr":"203.0.113.5:1234"}"#,
        // a field of that name nested elsewhere is not the client
        r#"{"upstream":{"remote_addr":"10.9.9.9"},"remote_addr":"203.0.113.1"}"#,
        // escapes are decoded
        r#"{"remote_addr":"203.0.113.\u0036"}"#,
        // no client field: malformed
        r#"{"level":"info","msg":"server started"}"#,
        // not JSON: malformed
        r#"{"remote_addr":"203.0.113.8""#,
    ];
    write(dir.path(), "app.json", (lines.join("\n") + "\n").as_bytes());
    let v = report(lc([dir.path()]));
    // .1 .2 .3 2001:db8::1 .4 .5 .6
    assert_eq!(
        entry(&v, &key(dir.path(), "app.json")),
        counts(8, 7, 2, "json")
    );
}

#[test]
fn client_field_names_the_one_field_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"remote_addr":"10.0.0.1","http":{"peer":{"ip":"198.51.100.4","port":1}}}"#,
        r#"{"client_ip":"10.0.0.2","http":{"peer":{"ip":"198.51.100.5"}}}"#,
        r#"{"remote_addr":"10.0.0.3","http":{"peer":{"addr":"198.51.100.6"}}}"#,
    ];
    let text = lines.join("\n") + "\n";
    write(dir.path(), "app.log", text.as_bytes());
    write(
        dir.path(),
        "app-cri.log",
        prefixed(PREFIXES[0].1, &text).as_bytes(),
    );
    let app = key(dir.path(), "app.log");
    let cri = key(dir.path(), "app-cri.log");
    let v = report(lc([&app]));
    assert_eq!(entry(&v, &app), counts(3, 3, 0, "json"));
    for (field, want) in [
        ("http.peer.ip", counts(2, 2, 1, "json")),
        // remote_addr only: the line with client_ip has no client
        ("remote_addr", counts(2, 2, 1, "json")),
        ("client_ip", counts(1, 1, 2, "json")),
    ] {
        let v = report(lc(["--client-field", field, &app]));
        assert_eq!(entry(&v, &app), want, "--client-field {field}");
        let v = report(lc(["--client-field", field, "--log-format", "json", &app]));
        assert_eq!(
            entry(&v, &app),
            want,
            "--client-field {field} --log-format json"
        );
        let mut prefixed_want = want.clone();
        prefixed_want["format"] = json!("cri+json");
        let v = report(lc([
            "--client-field",
            field,
            "--log-format",
            "cri+json",
            &cri,
        ]));
        assert_eq!(
            entry(&v, &cri),
            prefixed_want,
            "--client-field {field} cri+json"
        );
    }
    // Detection reads JSON lines by the field named: without it, these lines hold no client.
    write(
        dir.path(),
        "peer.log",
        b"{\"peer\":\"1.1.1.1\"}\n{\"peer\":\"1.1.1.2\"}\n",
    );
    let peer = key(dir.path(), "peer.log");
    let v = report(lc(["--client-field", "peer", &peer]));
    assert_eq!(entry(&v, &peer), counts(2, 2, 0, "json"));
    let out = output_no_panic(lc([&peer]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(paths(&json(&out), "errors"), [peer]);
}

#[test]
fn ipv6_brackets_and_ports_come_off_and_addresses_compare_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let v6 = "2001:db8::1";
    // `[2001:db8::1]` is 2001:db8::1; `2001:DB8::1`, `::ffff:1.2.3.4` and `01.2.3.4` are
    // other clients than 2001:db8::1 and 1.2.3.4.
    let text = log_of(
        "combined",
        &[
            "[2001:db8::1]",
            v6,
            "1.2.3.4",
            "01.2.3.4",
            "2001:DB8::1",
            "::ffff:1.2.3.4",
        ],
    );
    write(dir.path(), "combined.log", text.as_bytes());
    // Load balancers and HAProxy write `ip:port`, IPv6 as `[2001:db8::1]:1024`.
    for format in ["alb", "elb", "haproxy"] {
        let text = log_of(format, &[v6, "1.2.3.4", "01.2.3.4", v6]);
        write(dir.path(), &format!("{format}.log"), text.as_bytes());
    }
    let lines = [
        r#"{"ClientAddr":"[2001:db8::1]:443"}"#,
        r#"{"remote_addr":"2001:db8::1"}"#,
        r#"{"remote_addr":"[2001:db8::1]"}"#,
        r#"{"ClientAddr":"1.2.3.4:80"}"#,
    ];
    write(dir.path(), "json.log", (lines.join("\n") + "\n").as_bytes());
    write(
        dir.path(),
        "w3c.log",
        log_of("w3c", &[v6, "01.2.3.4"]).as_bytes(),
    );
    write(
        dir.path(),
        "cloudfront.log",
        log_of("cloudfront", &[v6, "1.2.3.4"]).as_bytes(),
    );
    let v = report(lc([dir.path()]));
    let d = dir.path();
    assert_eq!(
        entry(&v, &key(d, "combined.log")),
        counts(6, 5, 0, "combined")
    );
    for format in ["alb", "elb", "haproxy"] {
        assert_eq!(
            entry(&v, &key(d, &format!("{format}.log"))),
            counts(4, 3, 0, format),
            "{format}"
        );
    }
    assert_eq!(entry(&v, &key(d, "json.log")), counts(4, 2, 0, "json"));
    assert_eq!(entry(&v, &key(d, "w3c.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(
        entry(&v, &key(d, "cloudfront.log")),
        counts(2, 2, 0, "cloudfront")
    );
    // The union: 2001:db8::1, 1.2.3.4, 01.2.3.4, 2001:DB8::1, ::ffff:1.2.3.4.
    assert_eq!(summary(&v), sums(7, 6 + 12 + 4 + 2 + 2, 5, 0, 0, 0));
}

#[test]
fn quoted_fields_hold_spaces_and_escaped_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = "[22/Mar/2021:10:01:02 +0800]";
    let combined_lines = [
        format!(
            r#"1.1.1.1 - - {t} "GET /search?q=a b HTTP/1.1" 200 5 "http://ref.example/ x" "Mozilla/5.0 (X11; Linux x86_64) \"quoted\"""#
        ),
        format!(r#"2.2.2.2 - - {t} "GET /a\"b HTTP/1.1" 200 5 "-" "ua""#),
        format!(r#"3.3.3.3 - - {t} "GET /ends-in-a-backslash\\" 200 5"#),
        format!(r#"4.4.4.4 - - {t} "" 400 0"#),
        // the closing quote is escaped: the request never ends
        format!(r#"5.5.5.5 - - {t} "GET /never-closed\" 200 5"#),
    ];
    write(
        d,
        "combined.log",
        (combined_lines.join("\n") + "\n").as_bytes(),
    );
    let alb = r#"https 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 6.6.6.6:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET https://example.com:443/a b HTTP/1.1" "Mozilla/5.0 (X11) \"x\"" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"#;
    write(d, "alb.log", format!("{alb}\n").as_bytes());
    let haproxy = r#"Feb  6 12:14:14 lb1 haproxy[14389]: 7.7.7.7:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu|Mozilla/5.0 (X11)} {} "GET /a b HTTP/1.1""#;
    write(d, "haproxy.log", format!("{haproxy}\n").as_bytes());
    let json_lines = [
        r#"{"request":"GET /a \"b\" c HTTP/1.1","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)","remote_addr":"8.8.8.8"}"#,
        // a key with an escape is not the field it spells
        r#"{"remote\"addr":"9.9.9.9","remote_addr":"8.8.4.4"}"#,
    ];
    write(d, "json.log", (json_lines.join("\n") + "\n").as_bytes());
    let cloudfront = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(User-Agent)\n\
        2019-12-04\t21:02:31\tLAX1\t392\t9.9.9.9\tGET\tMozilla/5.0 (X11; Linux x86_64)\n";
    write(d, "cloudfront.log", cloudfront.as_bytes());
    // IIS writes `+` for a space; a bare space makes one column too many.
    let w3c = format!(
        "{}2021-03-22 10:01:02 10.0.0.1 GET / 1.1.1.1 Mozilla/5.0+(X11;+Linux) 200\n\
         2021-03-22 10:01:02 10.0.0.1 GET / 2.2.2.2 Mozilla/5.0 (X11) 200\n",
        IIS_SHORT
    );
    write(d, "w3c.log", w3c.as_bytes());
    let v = report(lc([d]));
    assert_eq!(
        entry(&v, &key(d, "combined.log")),
        counts(4, 4, 1, "combined")
    );
    assert_eq!(entry(&v, &key(d, "alb.log")), counts(1, 1, 0, "alb"));
    assert_eq!(
        entry(&v, &key(d, "haproxy.log")),
        counts(1, 1, 0, "haproxy")
    );
    assert_eq!(entry(&v, &key(d, "json.log")), counts(2, 2, 0, "json"));
    assert_eq!(
        entry(&v, &key(d, "cloudfront.log")),
        counts(1, 1, 0, "cloudfront")
    );
    assert_eq!(entry(&v, &key(d, "w3c.log")), counts(1, 1, 1, "w3c"));
}

#[test]
fn w3c_and_cloudfront_directives_are_neither_requests_nor_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w3c = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 10:00:00\n#Start-Date: 2021-03-22 10:00:00\n\
        #Fields: date time s-ip cs-method cs-uri-stem c-ip sc-status\n\
        2021-03-22 10:01:02 10.0.0.1 GET / 203.0.113.9 200\n#Remark: a restart follows\n\
        2021-03-22 10:01:03 10.0.0.1 GET / 203.0.113.10 200\n#End-Date: 2021-03-22 11:00:00\n";
    write(d, "u_ex210322.log", w3c.as_bytes());
    let cloudfront = format!(
        "{}2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\n\
         2019-12-04\t21:02:32\tLAX1\t392\t192.0.2.101\tGET\td111111abcdef8.cloudfront.net\n",
        header("cloudfront")
    );
    write(d, "E2EXAMPLE.2019-12-04-21.log", cloudfront.as_bytes());
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "u_ex210322.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(
        entry(&v, &key(d, "E2EXAMPLE.2019-12-04-21.log")),
        counts(2, 2, 0, "cloudfront")
    );
    assert_eq!(summary(&v), sums(2, 4, 4, 0, 0, 0));
}

#[test]
fn every_hash_line_of_a_w3c_log_is_a_directive_but_only_known_ones_make_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Comments and another server's directives are neither requests nor malformed.
    let w3c = "#Software: IIS\n#Fields: date time c-ip\n# rotated by a script\n\
        2021-03-22 10:01:02 203.0.113.9\n#X-Custom: 1\n2021-03-22 10:01:03 203.0.113.10\n";
    write(d, "u_ex.log", w3c.as_bytes());
    let cloudfront = format!(
        "{}#Software: something else\n2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\tx\n",
        header("cloudfront")
    );
    write(d, "cf.log", cloudfront.as_bytes());
    // A #Fields: without c-ip leaves no client: the lines after it are malformed.
    let no_client = "#Fields: date time c-ip\n2021-03-22 10:01:02 203.0.113.9\n\
        #Fields: date time cs-method\n2021-03-22 10:01:02 GET\n2021-03-22 10:01:03 GET\n";
    write(d, "no_client.log", no_client.as_bytes());
    // A file of comments is no W3C log.
    write(
        d,
        "settings.conf",
        "# a setting\n# another\nkey = value\n".repeat(5).as_bytes(),
    );
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "u_ex.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "cf.log")), counts(1, 1, 0, "cloudfront"));
    assert_eq!(entry(&v, &key(d, "no_client.log")), counts(1, 1, 2, "w3c"));
    assert_eq!(v["skipped"][0]["path"], key(d, "settings.conf"));
    assert_eq!(
        summary(&v),
        sums(3, 4, 3, 2, 0, 1),
        "203.0.113.9 is in two files"
    );
}

#[test]
fn w3c_columns_follow_the_fields_directive_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = "#Version: 1.0\n#Fields: c-ip date time cs-method sc-status\n\
        10.0.0.1 2021-03-22 10:01:02 GET 200\n10.0.0.2 2021-03-22 10:01:02 GET 200\n";
    write(d, "ip-first.log", first.as_bytes());
    let last = "#Version: 1.0\n#Fields: date time cs-method cs-uri-stem sc-status c-ip\n\
        2021-03-22 10:01:02 GET / 200 10.0.0.1\n2021-03-22 10:01:02 GET / 200 10.0.0.3\n";
    write(d, "ip-last.log", last.as_bytes());
    // IIS restarted mid-file: a second header block with other columns. A line still in the
    // old layout after it has too few columns: malformed.
    let restart = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 10:00:00\n#Fields: date time c-ip cs-method sc-status\n\
        2021-03-22 10:01:02 10.1.0.1 GET 200\n2021-03-22 10:01:02 10.1.0.2 GET 200\n\
        #Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
        #Date: 2021-03-22 11:00:00\n#Fields: date time cs-method cs-uri-stem sc-status c-ip cs(User-Agent)\n\
        2021-03-22 11:00:00 GET / 200 10.1.0.3 curl/8.5.0\n\
        2021-03-22 11:00:01 GET / 200 10.1.0.1 curl/8.5.0\n\
        2021-03-22 11:00:02 10.1.0.9 GET 200\n";
    write(d, "restart.log", restart.as_bytes());
    let v = report(lc([d]));
    assert_eq!(entry(&v, &key(d, "ip-first.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "ip-last.log")), counts(2, 2, 0, "w3c"));
    assert_eq!(entry(&v, &key(d, "restart.log")), counts(4, 3, 1, "w3c"));
    assert_eq!(summary(&v), sums(3, 8, 6, 1, 0, 0));
}

#[test]
fn a_big_w3c_file_cut_into_small_jobs_uses_the_fields_in_force_at_each_start() {
    let dir = tempfile::tempdir().unwrap();
    let (text, total, ips) = w3c_blocks(30, 40, "");
    assert!(
        text.len() > 40 << 10,
        "{} bytes: cut into many jobs",
        text.len()
    );
    write(dir.path(), "u_ex.log", text.as_bytes());
    let path = key(dir.path(), "u_ex.log");
    let want = counts(total, ips, 0, "w3c");
    assert_eq!(entry(&report(lc([&path])), &path), want, "whole");
    for_each_executor(|e| {
        for chunk in ["1K", "333"] {
            let v = report(lc(e.jobs("3")).args(["--chunk-size", chunk, &path]));
            assert_eq!(entry(&v, &path), want, "--chunk-size {chunk}");
        }
    });
}

#[test]
fn a_big_prefixed_w3c_file_cut_into_small_jobs_uses_the_fields_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let (text, total, ips) = w3c_blocks(30, 40, PREFIXES[0].1);
    write(dir.path(), "w3c.log", text.as_bytes());
    let path = key(dir.path(), "w3c.log");
    let want = counts(total, ips, 0, "cri+w3c");
    assert_eq!(entry(&report(lc([&path])), &path), want, "whole");
    // CloudFront behind a prefix, its columns not in the standard order.
    let mut cloudfront = prefixed(
        PREFIXES[2].1,
        "#Version: 1.0\n#Fields: date time x-edge-location c-ip cs-method sc-bytes\n",
    );
    for i in 0..300 {
        let line = format!("2019-12-04\t21:02:31\tLAX1\t192.0.2.{}\tGET\t{i}", i % 50);
        cloudfront.push_str(&format!("{}{line}\n", PREFIXES[2].1));
    }
    write(dir.path(), "cloudfront.log", cloudfront.as_bytes());
    let cf = key(dir.path(), "cloudfront.log");
    let cf_want = counts(300, 50, 0, "syslog+cloudfront");
    assert_eq!(entry(&report(lc([&cf])), &cf), cf_want, "whole");
    for_each_executor(|e| {
        let v = report(lc(e.jobs("3")).args(["--chunk-size", "1K", &path, &cf]));
        assert_eq!(entry(&v, &path), want);
        assert_eq!(entry(&v, &cf), cf_want);
    });
}

//! Templates, server configurations and trusted proxies (docs/contract.md §1): random nginx and
//! Apache templates with random values, written as lines with their truth, counted on every
//! executor (random `-j` and chunk sizes, maps and `--no-mmap`) with and without trusted
//! proxies; server configurations as distributions ship them; every usage error.

use crate::util;
use crate::util::templates::{line, template, values};
use crate::util::ExecutorArgs;
use crate::util::{
    agreed, answer, answer_mapped, executor, json, logcount, output, output_ok, parallel_executors,
    report_in, stderr,
};

use std::collections::BTreeSet;
use std::path::Path;

use proptest::prelude::*;
use serde_json::json;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_templates_count_their_lines_on_every_executor(
        t in template(),
        lines in proptest::collection::vec(values(), 1..60),
        trusted in any::<bool>(),
        jobs in 1u32..5,
        chunk in 64u64..2000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (mut text, mut total, mut malformed, mut clients) = (String::new(), 0, 0, BTreeSet::new());
        for v in &lines {
            let (l, what) = line(&t, v, trusted);
            text.push_str(&l);
            text.push('\n');
            match what {
                None => malformed += 1,
                Some(client) => {
                    total += 1;
                    clients.extend(client);
                }
            }
        }
        std::fs::write(dir.path().join("access.log"), &text).unwrap();
        let template = t.text();
        let mut args = vec!["--log-format", &template];
        if trusted {
            args.extend(["--trusted-proxy", "10.0.0.0/8"]);
        }
        let want = answer(dir.path(), &executor("serial").with(&[args.as_slice(), &["--no-mmap"]].concat()));
        let name = if t.nginx { "nginx:custom" } else { "apache:custom" };
        let file = &want["files"][dir.path().join("access.log").to_str().unwrap()];
        prop_assert_eq!(
            file,
            &json!({"total": total, "ip": clients.len(), "bytes": text.len(), "malformed": malformed, "format": name}),
            "{}\n{}", template, text
        );
        let (jobs, chunk) = (jobs.to_string(), chunk.to_string());
        for executor in parallel_executors() {
            let args = executor.with(&[args.as_slice(), &["-j", &jobs, "--chunk-size", &chunk]].concat());
            prop_assert_eq!(&answer_mapped(dir.path(), &args), &want, "{:?}", args);
        }
    }
}

/// Writes `files` (path, text) below `dir`.
fn tree(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const MAIN: &str = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\"";

/// A Debian-like nginx: `conf.d/*.conf` and `sites-enabled/*` included, a `main` format over
/// several lines, a site with a format of its own, and the logs copied off the server.
fn debian_nginx(dir: &Path) {
    tree(
        dir,
        &[
            (
                "etc/nginx/nginx.conf",
                "user www-data;\nworker_processes auto;\nevents { worker_connections 768; }\nhttp {\n    # the main format\n    log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n                    '$status $body_bytes_sent \"$http_referer\" '\n                    '\"$http_user_agent\" \"$http_x_forwarded_for\"';\n    access_log /var/log/nginx/access.log main;\n    include conf.d/*.conf;\n    include sites-enabled/*;\n}\n",
            ),
            ("etc/nginx/conf.d/gzip.conf", "gzip on;\n"),
            (
                "etc/nginx/sites-enabled/api",
                "log_format timed '[$time_iso8601] $remote_addr \"$request\" $status $request_time';\nserver {\n    listen 80;\n    access_log /var/log/nginx/api.log timed;\n    location / { return 200; }\n}\n",
            ),
            (
                "logs/access.log",
                "203.0.113.9 - - [06/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\" \"-\"\n10.0.1.10 - - [06/Dec/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\" \"198.51.100.7, 203.0.113.50\"\n",
            ),
            (
                "logs/access.log.2",
                "10.0.1.11 - - [05/Dec/2026:23:59:59 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\" \"192.0.2.1\"\n",
            ),
            (
                "logs/api.log",
                "[2026-12-06T10:00:00+00:00] 203.0.113.9 \"GET /v1 HTTP/1.1\" 200 0.003\n[2026-12-07T00:00:01+00:00] 203.0.113.10 \"GET /v1 HTTP/1.1\" 404 0.001\n",
            ),
            // Plain combined, named by no configuration: the preset (nginx's built-in `combined`
            // joins detection only where a log is written in it).
            (
                "logs/plain.log",
                "192.0.2.9 - - [06/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n",
            ),
            // No configuration names it: detected, the configuration's formats first.
            (
                "logs/other.log",
                "[2026-12-06T10:00:00+00:00] 192.0.2.7 \"GET / HTTP/1.1\" 200 0.1\n",
            ),
        ],
    );
}

#[test]
fn a_debian_nginx_configuration_names_each_log_s_format() {
    let dir = tempfile::tempdir().unwrap();
    debian_nginx(dir.path());
    let args = ["logs", "--server-config", "etc/nginx/nginx.conf"];
    let report = report_in(dir.path(), args);
    let format = |f: &str| report["files"][format!("logs/{f}")]["format"].clone();
    assert_eq!(format("access.log"), "nginx:main");
    assert_eq!(format("access.log.2"), "nginx:main", "a rotated sibling");
    assert_eq!(format("api.log"), "nginx:timed");
    assert_eq!(
        format("other.log"),
        "nginx:timed",
        "detected among the configured formats"
    );
    assert_eq!(report["files"]["logs/access.log"]["ip"], 2, "the peers");
    // The format given as a template reads the same.
    let given = report_in(
        dir.path(),
        ["logs/access.log", "logs/access.log.2", "--log-format", MAIN],
    );
    for f in ["access.log", "access.log.2"] {
        let (a, b) = (
            &given["files"][format!("logs/{f}")],
            &report["files"][format!("logs/{f}")],
        );
        assert_eq!(
            (&a["total"], &a["ip"], &a["format"]),
            (&b["total"], &b["ip"], &json!("nginx:custom"))
        );
    }
    // Behind the trusted load balancers and CDN: the real clients.
    let mut with = args.to_vec();
    with.extend([
        "--trusted-proxy",
        "10.0.1.0/24",
        "--trusted-proxy",
        "203.0.113.0/24",
    ]);
    let report = report_in(dir.path(), &with);
    assert_eq!(report["files"]["logs/access.log"]["ip"], 2);
    assert_eq!(report["files"]["logs/access.log.2"]["ip"], 1);
    // 203.0.113.9 itself is trusted now, yet the client of its own request (all trusted).
    assert_eq!(report["summary"]["total"], 7);
    // --by day reads each format's own time.
    with.extend(["--by", "day"]);
    let report = report_in(dir.path(), &with);
    let days = util::summary_periods(&report);
    assert_eq!(
        days,
        [
            ("2026-12-05".to_string(), 1),
            ("2026-12-06".into(), 5),
            ("2026-12-07".into(), 1)
        ]
    );
    // The same on every executor, cut into small jobs.
    let serial = agreed(&report_in(
        dir.path(),
        [&with[..], &["-e", "serial"]].concat(),
    ));
    for executor in parallel_executors() {
        let args = executor.with(&[&with[..], &["-j", "3", "--chunk-size", "100"]].concat());
        assert_eq!(agreed(&report_in(dir.path(), &args)), serial, "{args:?}");
    }
}

#[test]
fn formats_of_one_name_in_two_configurations_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        &[
            ("a.conf", "http { log_format main '$remote_addr [$time_local] $status'; access_log /srv/a/access.log main; }\n"),
            ("b.conf", "http { log_format main '[$time_local] $remote_addr $status'; access_log /srv/b/access.log main; }\n"),
            ("c.conf", "http { log_format main '$remote_addr [$time_local] $status'; access_log /srv/c/access.log main; }\n"),
            ("a/access.log", "192.0.2.1 [06/Dec/2026:10:00:00 +0000] 200\n"),
            ("b/access.log", "[06/Dec/2026:10:00:00 +0000] 192.0.2.2 200\n"),
            ("c/access.log", "192.0.2.3 [06/Dec/2026:10:00:00 +0000] 200\n"),
        ],
    );
    let report = report_in(
        dir.path(),
        [
            "a",
            "b",
            "c",
            "--server-config",
            "a.conf",
            "--server-config",
            "b.conf",
            "--server-config",
            "c.conf",
        ],
    );
    let format = |f: &str| report["files"][format!("{f}/access.log")]["format"].clone();
    assert_eq!(
        (format("a"), format("b"), format("c")),
        (
            json!("nginx:main"),
            json!("nginx:main#2"),
            json!("nginx:main")
        )
    );
    assert_eq!(report["summary"]["ip"], 3);
}

#[test]
fn a_debian_apache_configuration_with_its_log_dir_variable() {
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        &[
            (
                "etc/apache2/apache2.conf",
                "ServerRoot \"/etc/apache2\"\nLogFormat \"%v:%p %h %l %u %t \\\"%r\\\" %>s %O\" vhost_combined\nLogFormat \"%a %{X-Forwarded-For}i %t %D \\\"%r\\\" %>s %b\" proxied\nIncludeOptional sites-enabled/*.conf\n",
            ),
            (
                "etc/apache2/sites-enabled/site.conf",
                "<VirtualHost *:80>\n    ServerName example.org\n    ErrorLog ${APACHE_LOG_DIR}/error.log\n    CustomLog ${APACHE_LOG_DIR}/site_access.log proxied\n</VirtualHost>\n",
            ),
            (
                "logs/site_access.log",
                "10.0.2.10 198.51.100.7, 203.0.113.5 [06/Dec/2026:10:00:00 +0000] 1234 \"GET / HTTP/1.1\" 200 5\n10.0.2.10 198.51.100.7 [06/Dec/2026:10:00:01 +0000] 99 \"GET /a HTTP/1.1\" 200 -\n10.0.2.11 - [06/Dec/2026:10:00:02 +0000] 7 \"GET /health HTTP/1.1\" 200 2\n",
            ),
        ],
    );
    // The ServerRoot is the server's; the includes resolve beside the file given.
    let report = report_in(
        dir.path(),
        [
            "logs",
            "--server-config",
            "etc/apache2/apache2.conf",
            "--trusted-proxy",
            "10.0.2.0/24",
        ],
    );
    let file = &report["files"]["logs/site_access.log"];
    assert_eq!(file["format"], "apache:proxied", "{report}");
    assert_eq!(
        (file["total"].as_u64(), file["ip"].as_u64()),
        (Some(3), Some(3))
    );
}

#[test]
fn usage_errors_say_what_is_wrong_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        &[
            (
                "a.log",
                "1.2.3.4 - - [06/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5\n",
            ),
            ("bad.conf", "http {\n  log_format main '$remote_addr;\n}\n"),
            (
                "unknown.conf",
                "http {\n  access_log /var/log/x.log nosuch;\n}\n",
            ),
            (
                "proxies.txt",
                "# load balancers\n10.0.0.0/8\n\n10.0.0.300\n",
            ),
        ],
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["--log-format", "$remote_addr [${time_local"],
            "--log-format: ",
        ),
        (&["--log-format", "%h %Z"], "--log-format: "),
        (
            &["--log-format", "[$time_local] $status"],
            "no client address",
        ),
        (
            &[
                "--log-format",
                "$remote_addr $status",
                "--client-field",
                "http_x_forwarded_for",
            ],
            "http_x_forwarded_for",
        ),
        (
            &["--log-format", "$remote_addr $status", "--by", "day"],
            "the template has no time",
        ),
        (&["--server-config", "missing.conf"], "missing.conf"),
        (&["--server-config", "bad.conf"], "bad.conf:"),
        (&["--server-config", "unknown.conf"], "unknown.conf:2"),
        (
            &["--server-config", "bad.conf", "--log-format", "combined"],
            "without --log-format",
        ),
        (
            &["--trusted-proxy", "10.0.0.0/33"],
            "`10.0.0.0/33` is not a CIDR",
        ),
        (&["--trusted-proxy", "@proxies.txt"], "proxies.txt:4"),
        (&["--trusted-proxy", "@nowhere.txt"], "nowhere.txt"),
        (
            &["--trusted-proxy", "10.0.0.0/8", "--log-format", "classic"],
            "classic",
        ),
    ];
    for (args, want) in cases {
        let out = output(logcount().current_dir(dir.path()).arg("a.log").args(*args));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn partials_carry_templates_and_proxies_and_merge_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let log: String = (0..300)
        .map(|i| {
            format!(
                "10.0.1.{} \"198.51.100.{}, 10.0.0.1\" [06/Dec/2026:10:00:{:02} +0000] 200\n",
                i % 2,
                i % 37,
                i % 60
            )
        })
        .collect();
    tree(dir.path(), &[("logs/a.log", &log)]);
    let template = "$remote_addr \"$http_x_forwarded_for\" [$time_local] $status";
    let opts = [
        "--log-format",
        template,
        "--trusted-proxy",
        "10.0.0.0/8",
        "--chunk-size",
        "1K",
    ];
    let whole = report_in(dir.path(), [&["logs"][..], &opts].concat());
    assert_eq!(whole["summary"]["ip"], 37);
    for slice in ["0/3", "1/3", "2/3"] {
        let name = format!("p{}.lcp", &slice[..1]);
        output_ok(
            logcount()
                .current_dir(dir.path())
                .args(["partial", "logs", "--slice", slice, "-o", &name])
                .args(opts),
        );
    }
    let merged = json(&output_ok(
        logcount()
            .current_dir(dir.path())
            .args(["merge", "p0.lcp", "p1.lcp", "p2.lcp", "--json"]),
    ));
    assert_eq!(agreed(&merged), agreed(&whole));
    // A task run without the proxies is another plan.
    output_ok(logcount().current_dir(dir.path()).args([
        "partial",
        "logs",
        "--slice",
        "2/3",
        "-o",
        "other.lcp",
        "--log-format",
        template,
        "--chunk-size",
        "1K",
    ]));
    let out =
        output(
            logcount()
                .current_dir(dir.path())
                .args(["merge", "p0.lcp", "p1.lcp", "other.lcp"]),
        );
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--trusted-proxy differs"),
        "{}",
        stderr(&out)
    );
}

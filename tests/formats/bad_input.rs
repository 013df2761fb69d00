//! Bad input never panics: random bytes and lines that break off, read in every format, on
//! every executor, and on standard input plain, gzipped or in zstd.

use super::{combined, lc, Codec, BODIES};
use crate::util::ExecutorArgs;
use crate::util::{
    agreed, for_each_executor, gzip, json, no_panic, output_no_panic, output_with_stdin, report,
    stderr, write,
};

use serde_json::json;

/// Bytes no log holds, and lines that start like each format and break off.
fn nasty_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    write(d, "random.bin", &random);
    let mut nul = vec![0u8; 5000];
    nul[1000] = b'\n';
    nul[3000] = b'\n';
    write(d, "nul.log", &nul);
    let long = format!(
        "1.1.1.1 - - [{}\n{}",
        "x".repeat(200_000),
        combined("1.1.1.1")
    );
    write(d, "long.log", long.as_bytes());
    let deep = format!(
        "{}\n{}\n{{\"remote_addr\":[{}]}}\n",
        "{\"a\":".repeat(10_000),
        "[".repeat(10_000),
        "[".repeat(5000)
    );
    write(d, "deep.json", deep.as_bytes());
    write(
        d,
        "fields.log",
        b"#Fields:\n#Fields: date\n#Fields: c-ip\n\n1.1.1.1\n#Fields: date time c-ip\n2021-03-22 10:01:02\n#\n#Fields: c-ip c-ip c-ip\n1 2 3\n",
    );
    write(d, "cr.log", b"\r\r\r\n\r\n\r");
    write(
        d,
        "quotes.log",
        b"\"\n[\n]\n\\\n\"\\\n1.1.1.1 - - [\n1.1.1.1 - - [x] \"\\\n1.1.1.1 - - [x] \"\\\"\n, , , - -\n,\n - -\n",
    );
    write(
        d,
        "syslog.log",
        "<999999999999>\n<1>1 \n<1>1 - - - - - [\n<1>1 2003-10-11T22:14:15.003Z h a p m [x\\]\n\
         Dec  1 19:32:10 h t: \nDec  1 19:32:10 h t[: x\n2023-10-06T00:17:09.6Z stdout F \n\
         2023-10-06T00:17:09.Z stdout F x\n2023-10-06T00:17:09Z stdout P\n"
            .as_bytes(),
    );
    write(
        d,
        "json.log",
        "{\"remote_addr\":\"\\u\"}\n{\"remote_addr\":\"\\ud800\"}\n{\"remote_addr\":\"\\ud800\\udc00\"}\n\
         {\"remote_addr\":\"\\\n{\"remote_addr\":\"\\uD83D\\uDE00\"}\n{\"remote_addr\":-}\n{\"request\":{\"client_ip\":{}}}\n\
         {\"ClientAddr\":\":\"}\n{\"ClientAddr\":\"[]:1\"}\n{\"ClientAddr\":\"[\"}\n"
            .as_bytes(),
    );
    write(
        d,
        "lb.log",
        "h2 2018-07-02T22:23:00Z x [::1]:1 - -1 -1 -1 460 - 34 0 \"\n\
         http 2018-07-02T22:23:00Z x :1 a b c d e f g h \"\" x\n\
         2015-05-13T23:39:43.945958Z lb []: b c d e f g h i \"\"\n\
         ]: ]: ]: \n1.1.1.1: [x] a b/c 1 200 1\n:1 [x] a b/ 0 -1 +1\n\
         [::1]:1 [] a b/c 1/2 200 +\n"
            .as_bytes(),
    );
    let mut utf8 = "\u{202e}1.1.1.1 - - [x] \"GET /é\" 200 1\n"
        .as_bytes()
        .to_vec();
    utf8.extend_from_slice(b"\xc3 - - [x] \"\xe2\x82\" 200 1\n\xf0\x9f\x98\n");
    write(d, "utf8.log", &utf8);
    dir
}

#[test]
fn bad_input_never_panics_in_any_format() {
    let dir = nasty_dir();
    let d = dir.path();
    let files = std::fs::read_dir(d).unwrap().count();
    let mut formats = vec!["auto", "classic"];
    formats.extend(BODIES);
    formats.extend([
        "haproxy",
        "cri+w3c",
        "syslog+cloudfront",
        "cri+json",
        "syslog+haproxy",
    ]);
    for format in formats {
        let out = output_no_panic(
            lc([
                "--log-format",
                format,
                "-e",
                "threads",
                "-j",
                "3",
                "--chunk-size",
                "100",
            ])
            .arg(d),
        );
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let v = json(&out);
        let seen =
            v["summary"]["files"].as_u64().unwrap() + v["summary"]["skipped"].as_u64().unwrap();
        assert_eq!(seen as usize, files, "{format}");
        if format != "auto" {
            assert_eq!(v["skipped"], json!([]), "{format}");
        }
    }
    // Every executor agrees with serial on what auto makes of it.
    let want = report(lc(["-e", "serial"]).arg(d));
    for_each_executor(|e| {
        let v = report(lc(e.jobs("3")).args(["--chunk-size", "1K"]).arg(d));
        assert_eq!(agreed(&v), agreed(&want));
        assert_eq!(v["skipped"], want["skipped"]);
    });
    // And on standard input, compressed or not.
    let random = std::fs::read(d.join("random.bin")).unwrap();
    for bytes in [random.clone(), gzip(&random), Codec::Zstd.compress(&random)] {
        for format in ["auto", "classic", "json", "cri+w3c"] {
            let out = no_panic(output_with_stdin(
                &mut lc(["--log-format", format, "-"]),
                &bytes,
            ));
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{format}: {}",
                stderr(&out)
            );
            json(&out);
        }
    }
}

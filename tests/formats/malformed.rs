//! Malformed lines: counted per file and summed (combined, JSON and W3C logs), on every
//! executor, in whole files and in 16-byte chunks.

use super::{combined, counts, entry, lc, summary, sums, FRAGMENT, IIS_SHORT};
use crate::util::ExecutorArgs;
use crate::util::{for_each_executor, key, report, write};

#[test]
fn malformed_lines_are_counted_per_file_and_summed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut a = Vec::new();
    a.extend_from_slice(combined("1.1.1.1").replace('\n', "\r\n").as_bytes()); // request, CRLF
    a.extend_from_slice(b"\r\n \t\x0b\x0c\r\n"); // two blank lines
    a.extend_from_slice(FRAGMENT.as_bytes()); // malformed
    a.extend_from_slice(b"\xff\xfe not a request\n"); // malformed
    a.extend_from_slice(b"\x00\x00\x00\n"); // malformed
                                            // Only one \r comes off: the other ends the byte count, which is then no number.
    a.extend_from_slice(combined("2.2.2.2").replace('\n', "\r\r\n").as_bytes());
    a.extend_from_slice(combined("3.3.3.3").trim_end().as_bytes()); // no final newline
    write(d, "a.log", &a);
    let b = [
        r#"{"remote_addr":"1.1.1.1"}"#,
        r#"{"remote_addr":"4.4.4.4"}"#,
        r#"{"msg":"no client here"}"#,
        r#"{"remote_addr":"#,
        "",
        r#"{"remote_addr":"5.5.5.5"}"#,
    ];
    write(d, "b.log", (b.join("\n") + "\n").as_bytes());
    let c = format!(
        "{}2021-03-22 10:01:02 10.0.0.1 GET / 6.6.6.6 ua 200\n\
         2021-03-22 10:01:02 10.0.0.1 GET / 1.1.1.1 ua\n\
         22/03/2021 10:01:02 10.0.0.1 GET / 1.1.1.1 ua 200\n\
         2021-03-22 10:01:03 10.0.0.1 GET / 1.1.1.1 ua 200\n",
        IIS_SHORT
    );
    write(d, "c.log", c.as_bytes());
    let want_a = counts(2, 2, 4, "combined");
    let want_b = counts(3, 3, 2, "json");
    let want_c = counts(2, 2, 2, "w3c");
    // The union: 1.1.1.1, 3.3.3.3, 4.4.4.4, 5.5.5.5, 6.6.6.6.
    let want = sums(3, 7, 5, 8, 0, 0);
    for_each_executor(|e| {
        for chunk in [&[][..], &["--chunk-size", "16"]] {
            let v = report(lc(e.jobs("3")).args(chunk).arg(d));
            assert_eq!(entry(&v, &key(d, "a.log")), want_a, "{chunk:?}");
            assert_eq!(entry(&v, &key(d, "b.log")), want_b, "{chunk:?}");
            assert_eq!(entry(&v, &key(d, "c.log")), want_c, "{chunk:?}");
            assert_eq!(summary(&v), want, "{chunk:?}");
        }
    });
}

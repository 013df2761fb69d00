//! Compression: every codec recognised by content (in files whatever their name, and on
//! standard input); a `.gz` name over other bytes, corrupt or truncated data: one-line errors.

use super::{
    counts, entry, file_keys, lc, log_of, paths, rotated_log, summary, sums, Codec, CLIENTS, CODECS,
};
use crate::util::ExecutorArgs;
use crate::util::{
    agreed, for_each_executor, gzip, json, key, no_panic, output_no_panic, output_with_stdin,
    report, stderr, write,
};

use serde_json::json;

#[test]
fn every_codec_is_recognised_by_content_in_files_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = format!("{}garbage\n", log_of("combined", CLIENTS));
    let more = log_of("combined", &["192.0.2.1", "192.0.2.2", "10.0.0.1"]);
    let w3c = log_of("w3c", CLIENTS);
    let mut names = Vec::new();
    for codec in CODECS {
        let ext = codec.ext();
        let one = codec.compress(text.as_bytes());
        write(d, &format!("access.log.{ext}"), &one);
        // A name that says nothing of the compression.
        write(d, &format!("{ext}-inside.log"), &one);
        // Several members, streams or frames, one after another.
        let mut two = one.clone();
        two.extend(codec.compress(more.as_bytes()));
        write(d, &format!("multi.log.{ext}"), &two);
        write(
            d,
            &format!("u_ex.log.{ext}"),
            &codec.compress(w3c.as_bytes()),
        );
        names.push(ext);
    }
    let v = report(lc([d]));
    for ext in &names {
        let c = counts(5, 4, 1, "combined");
        assert_eq!(entry(&v, &key(d, &format!("access.log.{ext}"))), c, "{ext}");
        assert_eq!(entry(&v, &key(d, &format!("{ext}-inside.log"))), c, "{ext}");
        assert_eq!(
            entry(&v, &key(d, &format!("multi.log.{ext}"))),
            counts(8, 6, 1, "combined"),
            "{ext}"
        );
        assert_eq!(
            entry(&v, &key(d, &format!("u_ex.log.{ext}"))),
            counts(5, 4, 0, "w3c"),
            "{ext}"
        );
    }
    assert_eq!(summary(&v), sums(16, 4 * (5 + 5 + 8 + 5), 6, 4 * 3, 0, 0));
    // Every executor alike.
    for_each_executor(|e| {
        let other = report(lc(e.jobs("2")).arg(d));
        assert_eq!(agreed(&other), agreed(&v));
    });
}

#[test]
fn every_codec_is_recognised_on_standard_input() {
    let text = format!("{}garbage\n", log_of("combined", CLIENTS));
    let more = log_of("combined", &["192.0.2.1"]);
    let mut inputs = vec![(
        "plain",
        text.as_bytes().to_vec(),
        counts(5, 4, 1, "combined"),
    )];
    for codec in CODECS {
        inputs.push((
            "one",
            codec.compress(text.as_bytes()),
            counts(5, 4, 1, "combined"),
        ));
        let mut two = codec.compress(text.as_bytes());
        two.extend(codec.compress(more.as_bytes()));
        inputs.push(("two", two, counts(6, 5, 1, "combined")));
    }
    for (what, bytes, want) in inputs {
        let out = no_panic(output_with_stdin(&mut lc(["-"]), &bytes));
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert_eq!(entry(&json(&out), "-"), want, "{what}");
    }
}

#[test]
fn a_gz_name_over_other_bytes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = log_of("combined", CLIENTS);
    write(d, "good.log", text.as_bytes());
    write(d, "plain.log.gz", text.as_bytes());
    write(d, "zstd.log.gz", &Codec::Zstd.compress(text.as_bytes()));
    write(d, "bzip2.log.gz", &Codec::Bzip2.compress(text.as_bytes()));
    let bad = ["bzip2.log.gz", "plain.log.gz", "zstd.log.gz"].map(|n| key(d, n));
    for_each_executor(|e| {
        let out = output_no_panic(lc(e.jobs("2")).arg(d));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(file_keys(&v), [key(d, "good.log")]);
        assert_eq!(entry(&v, &key(d, "good.log")), counts(5, 4, 0, "combined"));
        assert_eq!(paths(&v, "errors"), bad);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 3, "{err}");
        for path in &bad {
            assert!(
                err.lines().any(|l| l.contains(path.as_str())),
                "{path}: {err}"
            );
        }
        assert_eq!(summary(&v), sums(1, 5, 4, 0, 3, 0));
    });
}

#[test]
fn only_a_gz_name_is_held_to_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = log_of("combined", CLIENTS);
    write(d, "gzip.log.zst", &gzip(text.as_bytes()));
    write(d, "plain.log.bz2", text.as_bytes());
    write(d, "plain.log.xz", text.as_bytes());
    write(d, "zstd.log.xz", &Codec::Zstd.compress(text.as_bytes()));
    let v = report(lc([d]));
    for name in [
        "gzip.log.zst",
        "plain.log.bz2",
        "plain.log.xz",
        "zstd.log.xz",
    ] {
        assert_eq!(
            entry(&v, &key(d, name)),
            counts(5, 4, 0, "combined"),
            "{name}"
        );
    }
}

#[test]
fn corrupt_or_truncated_compressed_data_is_a_one_line_error_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (text, want) = rotated_log(3000);
    write(d, "good.log", text.as_bytes());
    let mut bad = Vec::new();
    for codec in CODECS {
        let ext = codec.ext();
        let whole = codec.compress(text.as_bytes());
        assert!(whole.len() > 200, "{ext}: {} bytes", whole.len());
        write(d, &format!("cut.log.{ext}"), &whole[..whole.len() / 2]);
        write(d, &format!("cut-end.log.{ext}"), &whole[..whole.len() - 4]);
        let mut flipped = whole.clone();
        let mid = flipped.len() / 2;
        for b in &mut flipped[mid..mid + 8] {
            *b ^= 0x5a;
        }
        write(d, &format!("flipped.log.{ext}"), &flipped);
        // A member that ends early after a whole one.
        let mut tail = whole.clone();
        tail.extend_from_slice(&whole[..whole.len() / 3]);
        write(d, &format!("two.log.{ext}"), &tail);
        for name in ["cut", "cut-end", "flipped", "two"] {
            bad.push(key(d, &format!("{name}.log.{ext}")));
        }
    }
    bad.sort();
    for_each_executor(|e| {
        let out = output_no_panic(lc(e.jobs("3")).arg(d));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v = json(&out);
        // Nothing half-counted: the damaged files have no entry.
        assert_eq!(file_keys(&v), [key(d, "good.log")]);
        assert_eq!(entry(&v, &key(d, "good.log")), want);
        assert_eq!(paths(&v, "errors"), bad);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), bad.len(), "{err}");
        for path in &bad {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("logcount: ") && l.contains(path.as_str())),
                "{path}: {err}"
            );
        }
    });
    // On standard input too.
    for codec in CODECS {
        let whole = codec.compress(text.as_bytes());
        let out = no_panic(output_with_stdin(&mut lc(["-"]), &whole[..whole.len() / 2]));
        assert_eq!(out.status.code(), Some(1), "{codec:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(paths(&v, "errors"), ["-"], "{codec:?}");
        assert_eq!(v["files"], json!({}), "{codec:?}");
    }
}

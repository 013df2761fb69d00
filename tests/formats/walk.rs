//! `--glob` and `--exclude`: which files a walk counts and which it skips.

use super::{combined, counts, entry, file_keys, lc, paths, ERROR_LINE};
use crate::util::{gzip, key, output_no_panic, report, stderr, write};

use std::path::Path;

/// A log tree: nginx's (with a rotated gzip and an error log), apache's (with an old one),
/// and hidden entries that walks never enter.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "nginx/access.log",
        [combined("10.0.0.1"), combined("10.0.0.2")]
            .concat()
            .as_bytes(),
    );
    write(
        d,
        "nginx/access.log.1.gz",
        &gzip(combined("10.0.0.3").as_bytes()),
    );
    write(d, "nginx/error.log", ERROR_LINE.as_bytes());
    write(d, "apache/access_log", combined("10.0.0.4").as_bytes());
    write(
        d,
        "apache/old/access.log.2",
        combined("10.0.0.5").as_bytes(),
    );
    write(d, ".hidden/access.log", combined("10.9.9.9").as_bytes());
    write(d, "nginx/.access.log.swp", combined("10.9.9.8").as_bytes());
    dir
}

/// The files and skipped files of a walk of `dir` with `args`, relative to `dir`.
fn walked(dir: &Path, args: &[&str]) -> (Vec<String>, Vec<String>, u64) {
    let v = report(lc(args).arg(dir));
    let rel = |p: String| p.strip_prefix(&key(dir, "")).unwrap().to_string();
    let files = file_keys(&v).into_iter().map(rel).collect();
    let skipped = paths(&v, "skipped").into_iter().map(rel).collect();
    (files, skipped, v["summary"]["ip"].as_u64().unwrap())
}

#[test]
fn glob_and_exclude_choose_the_files_of_a_walk() {
    let dir = tree();
    let d = dir.path();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let all = s(&[
        "apache/access_log",
        "apache/old/access.log.2",
        "nginx/access.log",
        "nginx/access.log.1.gz",
    ]);
    assert_eq!(walked(d, &[]), (all, s(&["nginx/error.log"]), 5));
    assert_eq!(
        walked(d, &["--glob", "*.log"]),
        (s(&["nginx/access.log"]), s(&["nginx/error.log"]), 2)
    );
    assert_eq!(
        walked(d, &["--glob", "*.log", "-g", "*.gz"]),
        (
            s(&["nginx/access.log", "nginx/access.log.1.gz"]),
            s(&["nginx/error.log"]),
            3
        )
    );
    assert_eq!(
        walked(d, &["--exclude", "*.gz", "--exclude", "error.log"]),
        (
            s(&[
                "apache/access_log",
                "apache/old/access.log.2",
                "nginx/access.log"
            ]),
            vec![],
            4
        )
    );
    // A glob with a `/` matches the path below the walked directory.
    assert_eq!(
        walked(d, &["--glob", "nginx/**"]),
        (
            s(&["nginx/access.log", "nginx/access.log.1.gz"]),
            s(&["nginx/error.log"]),
            3
        )
    );
    assert_eq!(
        walked(d, &["--glob", "access*", "--exclude", "apache/old/*"]),
        (
            s(&[
                "apache/access_log",
                "nginx/access.log",
                "nginx/access.log.1.gz"
            ]),
            vec![],
            4
        )
    );
    // Hidden entries stay out even when a glob matches them.
    assert_eq!(
        walked(d, &["--glob", "*access.log*"]),
        (
            s(&[
                "apache/old/access.log.2",
                "nginx/access.log",
                "nginx/access.log.1.gz"
            ]),
            vec![],
            4
        )
    );
    // Files named on the command line are kept whatever the filters.
    let v =
        report(lc(["--glob", "*.gz", "--exclude", "access_log"]).arg(d.join("apache/access_log")));
    assert_eq!(
        entry(&v, &key(d, "apache/access_log")),
        counts(1, 1, 0, "combined")
    );
    // A bad glob is bad usage.
    let out = output_no_panic(lc(["--glob", "a[b"]).arg(d));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // `!` negates, as in ripgrep (it matched no file, silently, before: issue 27).
    assert_eq!(
        walked(d, &["-g", "!*.gz", "-g", "!error.log"]),
        walked(d, &["--exclude", "*.gz", "--exclude", "error.log"])
    );
    // An empty glob, or `!` alone, would count nothing: bad usage, one line.
    for glob in [&["-g", ""][..], &["-g", "!"], &["--exclude", ""]] {
        let out = output_no_panic(lc(glob).arg(d));
        assert_eq!(out.status.code(), Some(2), "{glob:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

#[test]
fn exclude_with_a_directory_name_leaves_out_what_is_below_it() {
    let dir = tree();
    let d = dir.path();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let rest = (
        s(&[
            "apache/access_log",
            "nginx/access.log",
            "nginx/access.log.1.gz",
        ]),
        s(&["nginx/error.log"]),
        4,
    );
    assert_eq!(walked(d, &["--exclude", "old"]), rest);
    assert_eq!(walked(d, &["--exclude", "old/"]), rest);
}

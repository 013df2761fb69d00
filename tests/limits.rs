//! Inputs that must simply work in bounded memory: a gzip bomb, a huge line, many empty files,
//! millions of distinct keys. Peak memory is the child's own `ru_maxrss`, from `wait4`
//! (tests/util's `output_measured`).
//!
//! A test binary of its own (a `[[test]]` in Cargo.toml), not a module of tests/tests.rs: a
//! child's `ru_maxrss` starts from what the test process holds when it starts the child, so
//! the figures here are only the child's own in a process where nothing else is holding
//! memory meanwhile. The tests here run one at a time for the same reason ([`one_at_a_time`]);
//! in the one binary, any other area's test running beside them would count.

mod util;
use crate::util::ExecutorArgs;
use util::DEADLINE;
use util::{executor, json, logcount, logcount_under_ulimit, output, output_measured, stderr};

use std::io::Write;
use std::path::Path;

use serde_json::Value;

/// Runs logcount with `args`; returns its JSON output and its peak RSS in bytes.
fn run_measured(args: &[&str], dir: &Path) -> (Value, u64) {
    let (out, rss) = output_measured(
        logcount().args(args).arg(dir).args(["--json", "--quiet"]),
        DEADLINE,
    );
    assert!(
        out.status.success(),
        "status {}: {}",
        out.status,
        stderr(&out)
    );
    (json(&out), rss)
}

const MIB: u64 = 1 << 20;

/// A log of a million distinct IPv6 clients, a request each (read as `common` and as
/// `classic`): more than 30 MiB of keys (16 bytes each, and a table).
fn many_ipv6_clients(dir: &Path) -> std::path::PathBuf {
    let big = dir.join("many-clients.log");
    let mut text = buffered(&big);
    for i in 0..1_000_000u32 {
        writeln!(
            text,
            "2001:db8:{:x}:{:x}::1 - - [22/Mar/2021:10:{:02}:{:02} +0000] \"GET / HTTP/1.1\" 200 1",
            (i >> 16) + 1,
            i & 0xffff,
            i / 60 % 60,
            i % 60
        )
        .unwrap();
    }
    text.flush().unwrap();
    big
}

/// Held by every test here for its whole run: a test's own memory counts in the peak RSS of
/// the runs another measures (see `output_measured`), so they run one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A file written through a small buffer: a test that measures a run's memory must not hold
/// its input in memory (see `output_measured`).
fn buffered(path: &Path) -> std::io::BufWriter<std::fs::File> {
    std::io::BufWriter::new(std::fs::File::create(path).unwrap())
}

#[test]
fn gzip_bomb_is_streamed() {
    let _one = one_at_a_time();
    // 256 MiB of log text in a ~300 KiB file: one small gzip member repeated.
    let line = b"1.2.3.4 - - [x] \"GET /\" 200 1\n";
    let block: Vec<u8> = line.repeat((MIB as usize) / line.len());
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&block).unwrap();
    let member = enc.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bomb.log.gz"), member.repeat(256)).unwrap();
    let (v, rss) = run_measured(executor("serial").args, dir.path());
    assert_eq!(
        v["summary"]["total"],
        (block.len() / line.len() * 256) as u64
    );
    assert_eq!(v["summary"]["bytes"], block.len() as u64 * 256);
    assert!(rss < 64 * MIB, "peak RSS {} MiB", rss / MIB);
}

#[test]
fn a_256_mib_line_needs_no_256_mib_buffer() {
    let _one = one_at_a_time();
    // An ordinary request, one whose path is 256 MiB long, then another ordinary one.
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("huge.log")).unwrap();
    f.write_all(b"9.9.9.9 - - [22/Mar/2021:10:01:01 +0800] \"GET / HTTP/1.1\" 200 1\n")
        .unwrap();
    f.write_all(b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET /")
        .unwrap();
    let chunk = vec![b'x'; MIB as usize];
    for _ in 0..256 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(
        b" HTTP/1.1\" 200 1\n5.6.7.8 - - [22/Mar/2021:10:01:03 +0800] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    drop(f);
    for executor in ["serial", "threads", "async"].map(|name| executor(name).jobs("2")) {
        // In its format, a line is judged by its first 64 KiB: the huge one is malformed.
        let (v, rss) = run_measured(&executor, dir.path());
        assert_eq!(v["summary"]["total"], 2, "{executor:?}");
        assert_eq!(v["summary"]["malformed"], 1, "{executor:?}");
        assert!(rss < 64 * MIB, "{executor:?}: peak RSS {} MiB", rss / MIB);
        // Read by the classic rule, both are requests, the key carried across buffers.
        let mut classic = executor.clone();
        classic.extend(["--log-format", "classic"]);
        let (v, rss) = run_measured(&classic, dir.path());
        assert_eq!(v["summary"]["total"], 3, "{classic:?}");
        assert_eq!(v["summary"]["ip"], 3, "{classic:?}");
        assert!(rss < 64 * MIB, "{classic:?}: peak RSS {} MiB", rss / MIB);
    }
}

#[test]
fn a_hundred_thousand_empty_files() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..100_000 {
        std::fs::File::create(dir.path().join(format!("{i:06}.log"))).unwrap();
    }
    std::fs::write(
        dir.path().join("z.log"),
        b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n",
    )
    .unwrap();
    let (v, rss) = run_measured(&[], dir.path());
    assert_eq!(v["summary"]["files"], 100_001);
    assert_eq!(v["summary"]["total"], 1);
    assert_eq!(v["files"].as_object().unwrap().len(), 100_001);
    assert!(rss < 256 * MIB, "peak RSS {} MiB", rss / MIB);
}

/// Issue 27: `-e threads -j 4096` on 5,000 one-line files took 107 s (`-j 2048`: 9 s) in the
/// work-stealing pool's bookkeeping; now plain threads share one queue (about a second). It
/// must agree with serial, and end within a limit that only a near-hang misses (the speed
/// itself is a benchmark's to show).
#[test]
fn thousands_of_threads_on_thousands_of_small_files() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5000 {
        let line = format!("10.1.{}.{} - - [x] \"GET /\" 200 1\n", i / 250, i % 250);
        std::fs::write(dir.path().join(format!("{i:04}.log")), line).unwrap();
    }
    let (want, _) = run_measured(executor("serial").args, dir.path());
    for jobs in ["2048", "4096"] {
        let (out, _) = output_measured(
            logcount()
                .args(["-e", "threads", "-j", jobs, "--json", "-q"])
                .arg(dir.path()),
            std::time::Duration::from_secs(40),
        );
        assert!(out.status.success(), "-j {jobs}: {}", stderr(&out));
        let got = json(&out);
        assert_eq!(got["summary"], want["summary"], "-j {jobs}");
        assert_eq!(got["files"], want["files"], "-j {jobs}");
    }
}

#[test]
fn millions_of_distinct_keys_in_compact_sets() {
    let _one = one_at_a_time();
    // 3 million distinct dotted quads over two files (half shared), plus some IPv6.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, range: std::ops::Range<u32>| {
        let mut out = buffered(&dir.path().join(name));
        for i in range {
            let [a, b, c, d] = (i.wrapping_mul(2_654_435_761)).to_be_bytes();
            writeln!(out, "{a}.{b}.{c}.{d} x").unwrap();
            if i % 100 == 0 {
                writeln!(out, "2001:db8::{:x} y", i).unwrap();
            }
        }
        out.flush().unwrap();
    };
    write("a.log", 0..2_000_000);
    write("b.log", 1_000_000..3_000_000);
    let (v, rss) = run_measured(
        &executor("threads").with(&["-j", "2", "--log-format", "classic"]),
        dir.path(),
    );
    let keys = 3_000_000 + 30_000;
    assert_eq!(v["summary"]["ip"], keys);
    let per_key = rss / keys;
    assert!(per_key < 64, "{per_key} bytes of peak RSS per distinct key");
}

/// Runs logcount under a virtual-memory limit of `kib` KiB (`ulimit -v`).
fn run_limited(kib: u64, args: &[&str], input: &Path) -> std::process::Output {
    run_under(&format!("-v {kib}"), args, input)
}

/// Runs logcount under `ulimit LIMIT` (`-v KIB`, `-n FILES`).
fn run_under(limit: &str, args: &[&str], input: &Path) -> std::process::Output {
    output(logcount_under_ulimit(limit).args(args).arg(input))
}

/// Issue 27: the process pool reads streams (empty files among them: their size reads as 0,
/// as `/proc` files' does) in the parent, and opened them all at once: 2,000 empty files under
/// `ulimit -n 1024` gave 983 "Too many open files" errors, and 5,000 took 690 MB. A few are
/// open at a time now, as with every other executor: all agree, with no error.
#[test]
fn thousands_of_empty_files_under_a_low_open_file_limit() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        std::fs::File::create(dir.path().join(format!("{i:04}.log"))).unwrap();
    }
    let line = b"1.2.3.4 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 1\n";
    std::fs::write(dir.path().join("z.log"), line).unwrap();
    let mut want = None;
    util::for_each_executor(|e| {
        let out = run_under("-n 128", &e.with(&["--json", "-q"]), dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        let v = json(&out);
        assert_eq!(v["summary"]["files"], 2001, "{}", v["summary"]);
        assert_eq!(v["summary"]["errors"], 0, "{}", v["summary"]);
        let got = (v["files"].clone(), v["summary"].clone());
        assert_eq!(want.get_or_insert_with(|| got.clone()), &got);
    });
    for e in util::procpool_executors() {
        let (v, rss) = run_measured(e.args, dir.path());
        assert_eq!(v["summary"]["files"], 2001);
        assert!(rss < 64 * MIB, "{}: peak RSS {} MiB", e.name, rss / MIB);
    }
}

#[test]
fn running_out_of_memory_is_that_files_error_not_an_abort() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let big = many_ipv6_clients(dir.path());
    let small = dir.path().join("few.log");
    std::fs::write(&small, b"1.2.3.4 x\n").unwrap();
    let args = ["-e", "serial", "--log-format", "classic", "--json"];
    let limit = 30 * 1024;
    // The limit leaves room for an ordinary run...
    let ok = run_limited(limit, &args, &small);
    assert!(ok.status.success(), "{}", stderr(&ok));
    // ...but not for the big file's clients: one line naming it and what it held, exit 1.
    let out = run_limited(limit, &args, &big);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("logcount: {}: out of memory", big.display())),
        "{err}"
    );
    assert!(err.contains(" held)"), "{err}");
    let v = json(&out);
    assert_eq!(v["files"], serde_json::json!({}), "{v}");
    assert_eq!(v["summary"]["errors"], 1);
}

/// Issue 27: under `ulimit -v`, `--top` aborted ("memory allocation of 112000000 bytes
/// failed", exit 134: it listed every client), and so did the summary's merge of a `--top`
/// count, the process pool's answers (encoded, received and decoded through lists as big
/// as the sets) and the batches that move a file's clients into the summary. On every
/// executor, plain, `--top` and `--by`, a file whose clients outgrow the memory is that
/// file's one-line error, exit 1.
#[test]
fn out_of_memory_is_an_error_on_every_executor_under_every_option() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let big = many_ipv6_clients(dir.path());
    util::for_each_executor(|e| {
        for option in [&[][..], &["--top", "5"], &["--by", "hour"]] {
            let args = e.with(&[option, &["--json", "-q"]].concat());
            assert_out_of_memory(&args, &big);
        }
    });
}

/// Runs logcount with `args` on `big` under a 30 MiB address-space limit: `big` must be the
/// run's one error, one line saying its clients outgrew the memory, exit 1.
fn assert_out_of_memory(args: &[&str], big: &Path) {
    let out = run_limited(30 * 1024, args, big);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with(&format!(
            "logcount: {}: out of memory: its distinct clients outgrew",
            big.display()
        )),
        "{args:?}: {err}"
    );
    assert_eq!(json(&out)["summary"]["errors"], 1, "{args:?}");
}

/// The jobs of one file cut into several send their dotted quads to the set they share: when
/// that set cannot grow, the file is the same one-line error, exit 1, never an abort nor a
/// count of the keys that fit, on every executor (`serial` cuts too when asked).
#[test]
fn a_cut_files_shared_set_out_of_memory_is_that_files_error() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("many-quads.log");
    let mut text = buffered(&big);
    // Six million distinct dotted quads: a table of 32 MiB.
    for i in 0..6_000_000u32 {
        let v = 0x0a00_0000 + i;
        writeln!(
            text,
            "{}.{}.{}.{}",
            v >> 24,
            (v >> 16) & 255,
            (v >> 8) & 255,
            v & 255
        )
        .unwrap();
    }
    text.flush().unwrap();
    util::for_each_executor(|e| {
        let args = e.with(&[
            "--log-format",
            "classic",
            "--chunk-size",
            "4M",
            "--json",
            "-q",
        ]);
        assert_out_of_memory(&args, &big);
    });
}

/// Issue 27: when no thread can start (here: every new thread asks for a 1 TB stack), the
/// thread and async executors count on the calling thread, say so, and report the one worker
/// that counted (`executor.jobs` stayed at the `-j` asked for); the async reader panicked
/// ("OS can't spawn worker thread") where tokio found no blocking thread.
#[test]
fn threads_that_cannot_start_mean_one_worker_never_a_panic() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut text = buffered(&dir.path().join("a.log"));
    for i in 0..500 {
        writeln!(text, "10.0.{}.{} - - [x] \"GET /\" 200 1", i / 250, i % 250).unwrap();
    }
    text.flush().unwrap();
    std::fs::write(
        dir.path().join("b.log"),
        b"10.9.9.9 - - [x] \"GET /\" 200 1\n",
    )
    .unwrap();
    let (want, _) = run_measured(executor("serial").args, dir.path());
    for name in ["threads", "async"] {
        let out = output(
            logcount()
                .env("RUST_MIN_STACK", "1000000000000")
                .args(executor(name).jobs("4"))
                .args(["--json", "-q"])
                .arg(dir.path()),
        );
        let err = stderr(&out);
        assert!(out.status.success(), "{name}: {err}");
        assert!(err.contains("counting serially"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        let got = json(&out);
        assert_eq!(got["executor"]["jobs"], 1, "{name}");
        assert_eq!(got["summary"], want["summary"], "{name}");
        assert_eq!(got["files"], want["files"], "{name}");
    }
}

//! The harness every integration test uses: the areas of tests/tests.rs, and tests/limits.rs (a
//! test binary of its own, which uses some of it):
//!
//! - [`run`]: the launcher [`logcount`] (and [`logcount_under_ulimit`]), runs that end by a
//!   deadline ([`output`], [`output_ok`], [`output_within`], [`spawn`] + [`wait_within`], ...)
//!   or with arguments alone ([`run()`], [`run_ok`]), and reading what a run printed ([`json`],
//!   [`report`], [`answer`], [`agreed`], [`stdout`], [`stderr`], [`no_panic`]). Every test runs
//!   the binary through these: a test file keeps no launcher of its own;
//! - [`engines`]: the Python engines of the examples (Spark, Dask), found or skipped;
//! - [`executors`]: THE list of executors, [`EXECUTORS`], and [`for_each_executor`];
//! - [`formats`]: lines of every log format, and random logs of them with their true counts;
//! - [`render`]: a page as headless Chromium draws it, in pixels ([`render::screenshot`]);
//! - [`templates`]: random nginx and Apache templates and lines of them, with their truth;
//! - below: inputs (files, gzip, FIFOs, random logs) and how a report names them.
#![allow(dead_code)]

pub mod engines;
pub mod executors;
pub mod formats;
pub mod render;
pub mod run;
pub mod templates;

// tests/limits.rs, a crate of its own, uses a subset of the harness.
#[allow(unused_imports)]
pub use executors::*;
#[allow(unused_imports)]
pub use run::*;

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

/// Whether the tests run under CI (`CI` set, and not to `false` or `0`): then nothing that
/// needs an installed tool or engine may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Whether the program `tool` (installed by .ci/run: `man`, `rsvg-convert`, `chromium`) can
/// run here. Without it a test that needs it says so and passes — except under CI, where it
/// fails, so CI never skips a check.
pub fn have_tool(tool: &str, package: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            !under_ci(),
            "CI is set but `{tool}` is missing: install {package} (.ci/run does)"
        );
        eprintln!("note: `{tool}` ({package}) is not installed: that check is skipped");
    }
    found
}

/// Writes `bytes` to `dir/name`, creating the directories on the way.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// How a report names `dir/name`: its key under `files` and its `path` in `errors`.
pub fn key(dir: &Path, name: &str) -> String {
    logcount::input::display(&dir.join(name))
}

pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo touches no memory of ours.
    assert_eq!(unsafe { nix::libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// A JSON report up to its `executor` field: the results, which a merge of partial results
/// must reproduce byte for byte.
pub fn results_text(json: &str) -> &str {
    &json[..json.find("\"executor\"").expect("an executor field")]
}

/// Lines made of the awkward pieces of docs/contract.md §1, so random files hit them often.
pub fn log_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        4 => (0u8..6, 0u8..4).prop_map(|(a, b)| format!("10.0.{a}.{b}").into_bytes()),
        1 => Just(b"01.2.3.4".to_vec()),
        1 => Just(b"2001:db8::1".to_vec()),
        1 => Just(b"a-long-client-key-over-fifteen".to_vec()),
        1 => Just(b", ".to_vec()),
        4 => Just(b" - - [x] \"GET /\" 200 1".to_vec()),
        1 => Just(b"\t".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        6 => Just(b"\n".to_vec()),
        1 => Just(b"  \x0b\x0c".to_vec()),
        1 => Just(vec![0xff, 0xfe, 0x00]),
        1 => proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(token, 0..300).prop_map(|t| t.concat())
}

//! The integration tests: one test binary (one link, not one per file), a module per area, each
//! driving the real binary through the one harness, [`util`].
//!
//! Run one area with `cargo test --test tests cli::`, one test by its name. A new area is a
//! file in tests/ and a `mod` line below: Cargo.toml sets `autotests = false`, so a
//! `tests/*.rs` without one would never be compiled ([`every_test_file_is_compiled`] fails
//! for it).
//!
//! tests/limits.rs is the one other test binary: its tests measure the peak memory of the runs
//! they start, which counts what the test process holds when it starts them, so they run in a
//! process of their own where no other area's test holds memory meanwhile (its `//!` says
//! more).

mod util;

mod agree;
mod async_reader;
mod bench;
mod cli;
mod dask;
mod formats;
mod layers;
mod partial;
mod procpool;
mod reference;
mod reliability;
mod signals;
mod spark;
mod templates;
mod time;

/// Every `tests/*.rs` is a module of this binary (a `mod` line above) or a test binary of its
/// own (a `[[test]]` in Cargo.toml): with `autotests = false`, Cargo compiles nothing else.
#[test]
fn every_test_file_is_compiled() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = std::fs::read_to_string(root.join("tests/tests.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut lost = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap();
        let declared = this.lines().any(|l| l == format!("mod {name};"));
        let binary = manifest.contains(&format!("path = \"tests/{name}.rs\""));
        if !declared && !binary {
            lost.push(format!("tests/{name}.rs"));
        }
    }
    assert!(
        lost.is_empty(),
        "{lost:?}: never compiled; add `mod NAME;` to tests/tests.rs (or a [[test]] to Cargo.toml)"
    );
}

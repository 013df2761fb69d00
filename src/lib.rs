//! logcount: count requests and unique client IPs in web-server access logs.
//!
//! The work is a map-reduce over one mergeable value: [`plan`] expands the arguments into jobs,
//! an [`executor`] runs each job through the counting core ([`count`], fed by [`input`]), and
//! [`reduce`] merges the jobs' [`count::Counts`] into per-file results and the summary, which
//! [`report`] writes in every output format. [`partial`] cuts a plan into slices whose exact
//! partial results merge elsewhere (under a cluster engine). The contract these modules keep is
//! `docs/contract.md`; the command line (`main`, `cli`, `settings`, `app`) lives in the binary.
//!
//! Layers only point down (`tests/layers.rs` checks it): `partial` → `executor` → `reduce` →
//! `report` → `plan` → `input` → `counts_encoding`, `gen` → `count` → `progress` → `diag`,
//! `bytes`, `terminal`.

// Public is what the binary, the benches and the integration tests use; the rest is
// `pub(crate)` (issue 29), and the lint keeps a stray `pub` from widening it. The docs are for
// maintainers (`cargo doc --document-private-items`), so they link to crate-private items.
#![warn(unreachable_pub)]
#![allow(rustdoc::private_intra_doc_links)]

pub(crate) mod bytes;
pub mod count;
pub(crate) mod counts_encoding;
pub mod diag;
pub mod executor;
pub mod format;
pub mod gen;
pub mod input;
pub mod keys;
pub mod partial;
pub mod plan;
pub mod progress;
pub mod reduce;
pub mod report;
pub mod reserve;
pub mod server_config;
pub mod terminal;

#[cfg(test)]
mod testutil;

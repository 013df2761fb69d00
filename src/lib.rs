//! logcount: count requests and unique client IPs in web-server access logs.
//!
//! The work is a map-reduce over one mergeable value: [`plan`] expands the arguments into jobs,
//! an [`executor`] runs each job through the counting core ([`count`]), and [`reduce`] merges
//! the jobs' [`count::Counts`] into per-file results and the summary ([`report`]).

pub mod app;
pub mod bench;
pub mod cli;
pub mod codec;
pub mod count;
pub mod executor;
pub mod gen;
pub mod input;
pub mod partial;
pub mod plan;
pub mod progress;
pub mod reduce;
pub mod report;
pub mod signals;

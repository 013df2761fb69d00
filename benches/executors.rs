//! Each executor on a generated directory (8 files, warm page cache), through the library:
//! plan → execute → reduce, as the CLI runs it, minus process start-up and output.
//!
//! Process start-up, `spawn` workers that re-execute the `logcount` binary, and peak memory
//! are measured by `logcount bench`, which runs the real binary; this bench measures the work.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logcount::executor::{cpus, execute, ExecutorKind};
use logcount::format::{Choice, Format};
use logcount::gen::{generate, GenOptions};
use logcount::plan::{Plan, Settings};
use logcount::progress::Progress;

/// The executors benched, as (name, kind, jobs); a new executor is one line here.
fn executors() -> Vec<(&'static str, ExecutorKind, usize)> {
    let cpus = cpus();
    let mut list = vec![
        ("serial", ExecutorKind::Serial, 1),
        ("threads", ExecutorKind::Threads, 1),
    ];
    if cpus > 1 {
        list.push(("threads", ExecutorKind::Threads, cpus));
    }
    list
}

/// Every executor on the same files, with the format detected (`auto`) and named (`classic`).
fn executors_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let opts = GenOptions {
        files: 8,
        lines: 100_000,
        seed: 5,
        unique: 300_000,
        days: None,
    };
    let data = generate(dir.path(), &opts, false).expect("generate bench data");
    let args: Vec<PathBuf> = vec![dir.path().to_path_buf()];

    let mut group = c.benchmark_group("executors/8x100k");
    group.throughput(Throughput::Bytes(data.bytes));
    let formats = [
        ("auto", Choice::Auto),
        ("classic", Choice::Named(Format::CLASSIC)),
    ];
    for ((name, kind, jobs), (format_name, format)) in executors()
        .into_iter()
        .flat_map(|e| formats.iter().map(move |f| (e, *f)))
    {
        let executor = kind.build(jobs, None);
        let id = BenchmarkId::new(format!("{name}/{format_name}"), jobs);
        group.bench_function(id, |b| {
            b.iter(|| {
                let started = Instant::now();
                let settings = Settings {
                    chunk_size: kind.default_chunk_size(),
                    format,
                    ..Settings::default()
                };
                let plan = Plan::new(&args, &settings);
                let hidden = Progress::hidden();
                let report = execute(&plan, executor.as_ref(), &hidden, started, |_| {
                    ControlFlow::Continue(())
                })
                .expect("not interrupted");
                assert_eq!(
                    report.summary.bytes, data.bytes,
                    "{name} counted everything"
                );
                report
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(6));
    targets = executors_bench
}
criterion_main!(benches);

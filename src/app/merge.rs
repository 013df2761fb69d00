//! `logcount merge`: check partials, then print the direct run's report (or write one bucket's
//! counts with `--bucket`).

use std::io::{self, Write};
use std::time::Instant;

use rayon::prelude::*;

use logcount::diag;
use logcount::partial::file::{self as partial_file, Partial};
use logcount::partial::merge;
use logcount::report::{self, human_bytes, thousands, ExecutorInfo};

use super::output::{read_source, stdout_done, write_output};
use super::ExitStatus;
use crate::settings::MergeSettings;

pub fn run(settings: MergeSettings) -> ExitStatus {
    let started = Instant::now();
    diag::set_quiet(settings.quiet);
    // No more threads than there is work for: the sources read in parallel, then the union's
    // shards (`-j 4294967295` starts a handful, not billions).
    let jobs = settings
        .jobs
        .min(settings.partials.len().max(1 << logcount::keys::SHARD_BITS));
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("logcount-merge-{i}"))
        .build()
    {
        Ok(pool) => pool,
        Err(e) => {
            diag::warn(format_args!("cannot start threads: {e}"));
            return ExitStatus::FAILED;
        }
    };
    // Read and check every source in parallel; report the first failure in argument order.
    let parsed: Vec<(String, Result<Vec<Partial>, String>)> = pool.install(|| {
        settings
            .partials
            .par_iter()
            .map(|path| {
                let label = if path.as_os_str() == "-" {
                    "<stdin>".to_string()
                } else {
                    logcount::input::display(path)
                };
                let parsed = read_source(path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| partial_file::parse_stream(bytes).map_err(|e| e.to_string()));
                (label, parsed)
            })
            .collect()
    });
    let mut slices = Vec::new();
    let mut buckets = Vec::new();
    for (label, parsed) in parsed {
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                diag::warn(format_args!("{label}: {e}"));
                return ExitStatus::FAILED;
            }
        };
        let several = parsed.len() > 1;
        for (k, partial) in parsed.into_iter().enumerate() {
            let label = if several {
                format!("{label} (partial {})", k + 1)
            } else {
                label.clone()
            };
            match partial {
                Partial::Slice(s) => slices.push((label, s)),
                Partial::Bucket(b) => buckets.push((label, b)),
                Partial::Plan(_) => {
                    diag::warn(format_args!(
                        "{label} is a frozen plan, not a partial: give it to `partial --plan`"
                    ));
                    return ExitStatus::FAILED;
                }
            }
        }
    }
    if !slices.is_empty() && !buckets.is_empty() {
        diag::warn(format_args!(
            "{} is a slice partial but {} is a bucket result: merge slices (with --bucket) \
             first, then the bucket results on their own",
            slices[0].0, buckets[0].0
        ));
        return ExitStatus::FAILED;
    }
    let bucket = settings.bucket.as_ref().map(|(b, _)| *b);
    let mut note = |message: String| diag::note(message);
    let merged = if buckets.is_empty() {
        pool.install(|| merge::merge_slices(slices, bucket, &mut note))
    } else if bucket.is_some() {
        Err("--bucket merges slice partials, and these are bucket results already".into())
    } else {
        merge::merge_buckets(buckets, &mut note)
    };
    let merged = match merged {
        Ok(m) => m,
        Err(e) => {
            diag::warn(e);
            return ExitStatus::FAILED;
        }
    };

    if let Some((bucket, output)) = &settings.bucket {
        let result = merged.into_bucket(*bucket);
        let (count, union) = (result.bucket.count, result.union);
        let partial = Partial::Bucket(result);
        let bytes = if settings.text {
            partial_file::to_text(&partial).into_bytes()
        } else {
            partial_file::to_bytes(&partial)
        };
        if let Err(e) = write_output(output, |out| out.write_all(&bytes)) {
            diag::warn(format_args!(
                "cannot write {}: {e}",
                logcount::input::display(output)
            ));
            return ExitStatus::FAILED;
        }
        diag::note(format!(
            "bucket {bucket}/{count}: {} distinct keys; wrote {} to {}",
            thousands(union),
            human_bytes(bytes.len() as u64),
            logcount::input::display(output)
        ));
        return ExitStatus::OK;
    }

    let info = ExecutorInfo {
        name: "merge".into(),
        jobs,
        start_method: None,
    };
    let report = merged.report(info, started.elapsed().as_secs_f64() * 1e3);
    let extra = &report.summary.extra;
    if settings.format == report::OutputFormat::Csv && extra.by.is_some() && extra.top.is_some() {
        // As a direct run refuses it: usage, before anything is written (it was exit 1,
        // "cannot write output": issue 27).
        diag::warn(report::csv::BY_AND_TOP);
        return ExitStatus::USAGE;
    }
    for e in &report.errors {
        diag::warn(format_args!("{}: {}", e.path, e.error));
    }
    // As a direct run: a merge of partials that counted no file fails, in one line.
    let nothing = report.files.is_empty() && !report.skipped.is_empty();
    if nothing {
        super::warn_nothing_counted(&report.skipped, "; the report's `skipped` lists them");
    }
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    let written = report::write_report(
        report::exporter(
            settings.format,
            report::TableStyle::stdout(false, report::FileBlocks::InJson),
        )
        .as_mut(),
        &mut out,
        &report,
    )
    .and_then(|()| out.flush());
    stdout_done(
        written,
        ExitStatus::failed_if(!report.errors.is_empty() || nothing),
    )
}

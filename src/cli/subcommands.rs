//! The options of the other subcommands: `gen`, `bench`, `partial`, `plan`, `merge` and the
//! hidden worker.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::count::{FormatArg, RunArgs};
use crate::settings::{self, BenchExecutor, BenchFormat};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Die when this process dies.
    #[arg(long, value_name = "PID")]
    pub parent_pid: Option<u32>,
}

/// Bounds of `gen`'s sizes: the dates it writes (one day more per file, about three lines a
/// second; or at most ten years of days) stay within year 9999.
const GEN_MAX_FILES: u64 = 100_000;
const GEN_MAX_LINES: u64 = 100_000_000_000;
const GEN_MAX_DAYS: u64 = logcount::gen::MAX_DAYS as u64;

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Directory to write `access-NNNN.log` files into (created if missing).
    pub dir: PathBuf,

    /// Number of files (at most 100,000: without --days, each file starts a day after the last).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(..=GEN_MAX_FILES))]
    pub files: u64,

    /// Lines per file, including the odd blank line (at most 10^11: dates stay in four digits).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(..=GEN_MAX_LINES))]
    pub lines: u64,

    /// Spread every file's lines over the same N UTC days, from midnight (1 to 3650).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=GEN_MAX_DAYS))]
    pub days: Option<u64>,

    /// Seed: the same seed and sizes give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Number of distinct clients to draw from.
    #[arg(long, default_value_t = 300_000)]
    pub unique: u64,

    /// Replace files that exist (without it, an existing access-NNNN.log is an error).
    #[arg(long)]
    pub force: bool,
}

const BENCH_EXAMPLES: &str = "\
Examples:
  logcount bench sample_logs --runs 3             every executor, -j = number of CPUs
  logcount bench big/ -e serial,threads -j 1,2,4 --plot mbps.svg
  logcount bench big/ --format csv > bench.csv

Every run is a fresh `logcount PATH... --json --quiet` child process with the executor's
arguments: wall time runs from process creation to exit, peak RSS is the child's own. A check
round first compares every executor's `files` and `summary` and stops (exit 1) at the first
difference; then warmup and timed rounds run the executors interleaved (A B C A B C ...).";

#[derive(Debug, Args)]
#[command(after_help = BENCH_EXAMPLES)]
pub struct BenchArgs {
    /// Log files or directories, as for counting (not `-`: every run reads them again).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Executors to compare, comma-separated, named as for counting (`procpool` runs its
    /// default start method, `procpool:spawn` another) [default: all].
    #[arg(
        short = 'e',
        long = "executor",
        visible_alias = "executors",
        value_name = "NAMES",
        value_delimiter = ',',
        value_parser = settings::parse_bench_executor,
        long_help = format!(
            "Executors to compare, comma-separated, named as for counting (`procpool` runs its \
             default start method; `procpool:spawn` or `procpool-spawn` another) [default: all]. \
             Known: {}.",
            settings::bench_executor_names()
        )
    )]
    pub executors: Vec<&'static BenchExecutor>,

    /// Worker counts to run each executor with, comma-separated (`serial` ignores it)
    /// [default: number of CPUs].
    #[arg(short = 'j', long, value_name = "N,...", value_delimiter = ',',
          value_parser = settings::parse_jobs)]
    pub jobs: Vec<u32>,

    /// Timed runs of each executor at each `-j`.
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,

    /// Untimed rounds before the timed ones (after the check round).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<BenchFormatArg>,

    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Also draw MB/s per executor (against `-j` when several are given) into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Show no progress on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

const PARTIAL_EXAMPLES: &str = "\
Examples:
  logcount partial /shared/logs --slice 0/4 -o out/0.part    task 0 of 4 (run all four, anywhere)
  logcount merge out/*.part                                 the report a direct run prints
  logcount partial /shared/logs --slice 2/4 --text -o -      base64 lines on stdout, for text pipes
  logcount partial /shared/logs --slice 1/4 --buckets 16 -o out/1.part

Slices are contiguous runs of the planned jobs of about equal bytes. Every task must see the
same plan: the same paths (as named on a shared filesystem), the same files and sizes, the
same --chunk-size (or executor, whose default it is); `merge` checks the plan's fingerprint
and refuses partials of different plans. Use --chunk-size so that big files are cut into jobs
that slices can share.

Exit status: 0 once the partial is written, even if some inputs failed (their errors are in
the partial, and `merge` reports them with exit 1); 1 the partial could not be written;
2 bad usage.";

/// Options of `logcount partial`.
#[derive(Debug, Args)]
#[command(after_help = PARTIAL_EXAMPLES)]
pub struct PartialArgs {
    /// Log files or directories, exactly as every other task of the run names them.
    #[arg(value_name = "PATH", required_unless_present = "plan")]
    pub paths: Vec<PathBuf>,

    /// Count a slice of this frozen plan (`logcount plan`) instead of planning PATHs: every
    /// task then counts the same snapshot, however the logs grow meanwhile.
    #[arg(long, value_name = "PLAN", conflicts_with_all = ["paths", "chunk_size", "log_format", "client_field", "server_configs", "trusted_proxies", "globs", "excludes", "by", "utc", "since", "until", "top"])]
    pub plan: Option<PathBuf>,

    /// Which slice of the planned jobs to count: I/N, slice I of N, from 0.
    #[arg(long, value_name = "I/N", value_parser = settings::parse_slice)]
    pub slice: logcount::partial::file::SliceId,

    /// Where to write the partial (`-` for stdout). A file appears whole or not at all.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,

    /// Write the partial as base64 text lines (after a header line), for pipes that carry
    /// text (Spark's RDD.pipe, Hadoop Streaming). `merge` reads either form.
    #[arg(long)]
    pub text: bool,

    /// Split each file's keys into K buckets (1 to 65536) by a fixed hash, so `merge --bucket B`
    /// can merge one bucket at a time when one merger cannot hold every key.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(logcount::partial::MAX_BUCKETS)))]
    pub buckets: u32,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of `logcount plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Log files or directories (not `-` or FIFOs: every task must read the same bytes).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Where to write the plan (`-` for stdout). A file appears whole or not at all.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,

    /// Write the plan as base64 text lines (after a header line).
    #[arg(long)]
    pub text: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

const MERGE_EXAMPLES: &str = "\
Examples:
  logcount merge out/*.part                     table on a terminal, JSON when piped
  cat out/*.txt | logcount merge - --format csv  text partials, one after another, on stdin
  logcount merge out/*.part --bucket 3 -o b/3   bucket 3 of every slice: a counts-only result
  logcount merge b/*                            the K bucket results: the final report

Checks first: every partial must come from the same plan (fingerprint), with the same slice
count and buckets, and slices 0..N-1 must each be present once. A slice given twice with the
same contents (a retried task) is counted once, with a note; anything else missing, doubled,
foreign, corrupt or truncated is a one-line error with exit 1 and no numbers.

Exit status: 0 every input counted, 1 some input failed (results for the rest printed) or the
partials do not add up, 2 bad usage.";

/// Options of `logcount merge`.
#[derive(Debug, Args)]
#[command(after_help = MERGE_EXAMPLES)]
pub struct MergeArgs {
    /// Partial files (binary or text, several may be concatenated in one); `-` reads stdin.
    #[arg(value_name = "PARTIAL", required = true)]
    pub partials: Vec<PathBuf>,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Merge only key bucket B of the slices (written with `partial --buckets K`) into a
    /// counts-only result at `-o`; merging the K bucket results gives the final report.
    #[arg(long, value_name = "B", requires = "output", conflicts_with_all = ["format", "json"])]
    pub bucket: Option<u32>,

    /// Where `--bucket` writes its result (`-` for stdout).
    #[arg(short = 'o', long, value_name = "FILE", requires = "bucket")]
    pub output: Option<PathBuf>,

    /// Write the `--bucket` result as base64 text lines.
    #[arg(long, requires = "bucket")]
    pub text: bool,

    /// Threads to merge with, at most one per partial or union shard [default: number of CPUs].
    #[arg(short = 'j', long, value_name = "N", value_parser = settings::parse_jobs)]
    pub jobs: Option<u32>,

    /// Print no notes on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `bench --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchFormatArg {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// Every run's figures and the summary figures (default when stdout is not a terminal).
    Json,
    /// One row of summary figures per executor and `-j`.
    Csv,
}

impl From<BenchFormatArg> for BenchFormat {
    fn from(arg: BenchFormatArg) -> Self {
        match arg {
            BenchFormatArg::Table => BenchFormat::Table,
            BenchFormatArg::Json => BenchFormat::Json,
            BenchFormatArg::Csv => BenchFormat::Csv,
        }
    }
}

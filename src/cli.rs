//! The command line: clap definitions and help texts, and the plain mapping of what was parsed
//! onto [`Settings`] (which validate it). Nothing below this face ever sees clap.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::settings::{
    self, BenchExecutor, BenchFormat, BenchSettings, CountSettings, GenSettings, MergeSettings,
    PartialSettings, PlanSettings, Reading, RunSettings, Settings, UsageError,
};
use logcount::executor::{ExecutorKind, StartMethod};
use logcount::format::{Period, Query};
use logcount::gen::GenOptions;
use logcount::input::ReadMode;
use logcount::report::OutputFormat;

/// The examples `-h` shows: the first things to try.
const SHORT_EXAMPLES: &str = "\
Examples:
  logcount sample_logs                      table on a terminal, JSON when piped
  cat access.log | logcount                 standard input
  logcount /var/log/nginx --json | jq .summary
  logcount logs/ --by day --top 10          per day, and the ten busiest clients
  logcount bench logs/                      every executor on the same input, side by side

More examples and the exit status: --help.";

/// The examples `--help` shows.
const EXAMPLES: &str = "\
Examples:
  logcount sample_logs                      table on a terminal, JSON when piped
  cat access.log | logcount                 standard input (as is `-` among the paths)
  logcount access.log access.log.1.gz       compressed files read as they are
  logcount /var/log/nginx --json | jq .summary
  logcount logs/ --summary --format csv     the totals alone, for cron mails and scripts
  logcount logs/ --by day --top 10          per day, and the ten busiest clients
  logcount logs/ --since 24h                the last day only
  logcount app.log --log-format '$remote_addr - [$time_local] \"$request\" $status'
  logcount logs/ --server-config /etc/nginx/nginx.conf --trusted-proxy 10.0.0.0/8
  logcount logs/ --show-malformed 5         why lines did not parse
  logcount logs/ --format html > report.html    a page to read offline or send
  logcount big.log -e threads -j 8          one big file cut into chunks, 8 threads
  logcount logs/ -e procpool -j 4           4 worker processes (fork, spawn or forkserver)
  logcount /mnt/nfs/logs -e async -j 16     slow storage: 16 files read at once, bounded memory
  logcount gen big/ --files 8 --lines 1000000   make synthetic logs to try it on
  logcount bench big/ -j 1,2,4 --plot mbps.svg  executors side by side, checked and timed
  logcount partial logs/ --slice 0/4 -o 0.part  one slice of four, for a cluster engine
  logcount plan logs/ -o run.plan               freeze the run, then: partial --plan run.plan ...
  logcount merge 0.part 1.part 2.part 3.part    the partials add up to the direct report
  logcount completions bash                     shell completions (also: logcount man)

Exit status: 0 all inputs counted, 1 some input (or the output) failed, 2 bad usage.";

/// Count requests and unique client IPs in web-server access logs.
///
/// Every file (directories are walked recursively, hidden entries skipped; gzip, bzip2, xz
/// and zstd decompressed, known by their content; `-` is standard input) gets its number of
/// requests (the lines that parse in its format: detected among the presets, or the server's
/// own format string or configuration) and of distinct clients; the summary adds the
/// requests and counts the distinct clients over the union of all files. Lines that do not
/// parse are `malformed`, never requests; files that are not access logs are skipped.
#[derive(Debug, Parser)]
#[command(
    name = "logcount",
    version,
    after_help = SHORT_EXAMPLES,
    after_long_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub count: CountArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write deterministic synthetic nginx logs (same arguments, same bytes).
    Gen(GenArgs),
    /// Time executors against each other on the same inputs, after checking they agree.
    Bench(BenchArgs),
    /// A process-pool worker (started by logcount itself; speaks a binary protocol on
    /// stdin/stdout).
    #[command(name = logcount::executor::procpool::WORKER_COMMAND, hide = true)]
    Worker(WorkerArgs),
    /// Count one slice of the work into an exact, mergeable partial result.
    ///
    /// For running logcount under a cluster engine or batch scheduler: `merge` adds the
    /// partials up to exactly the report a direct run prints.
    Partial(PartialArgs),
    /// Freeze the plan of a run into a file, for `partial --plan`.
    ///
    /// The inputs, their snapshot sizes, formats and jobs: every task of a cluster run then
    /// counts the same snapshot.
    Plan(PlanArgs),
    /// Merge partial results into exactly the report a direct run prints.
    Merge(MergeArgs),
    /// Print a completion script for a shell.
    ///
    /// `logcount completions bash > ~/.local/share/bash-completion/completions/logcount`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, as roff.
    ///
    /// `logcount man > logcount.1; man -l logcount.1`.
    Man,
}

/// Where `--help` lists what is read.
const INPUT_HEADING: &str = "Input";
/// Where `--help` lists what is printed.
const OUTPUT_HEADING: &str = "Output";
/// Where `--help` lists the time and top options.
const TIME_HEADING: &str = "Time and top clients";
/// Where `--help` lists how the work is run: last, as what users reach for least.
const EXECUTION_HEADING: &str = "Execution";

/// Options of the main job: counting. The headings come in the order their first option is
/// declared (input, output, time, execution), here and in `partial`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// Log files or directories to count (`-` reads standard input, as does no PATH when
    /// standard input is not a terminal).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(help_heading = OUTPUT_HEADING, long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// Same as `--format json`.
    #[arg(help_heading = OUTPUT_HEADING, long, conflicts_with = "format")]
    pub json: bool,

    /// Print only the totals (for cron mails and scripts).
    ///
    /// One row under the table's header, JSON's summary object, NDJSON's summary line, or
    /// CSV's header and one row.
    #[arg(help_heading = OUTPUT_HEADING, long)]
    pub summary: bool,

    /// Show each file's first N malformed lines, with their line numbers.
    ///
    /// On stderr as `PATH:LINE: TEXT` beside a table, CSV or HTML; as `malformed_lines` in
    /// JSON and NDJSON.
    #[arg(help_heading = OUTPUT_HEADING, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub show_malformed: Option<u32>,

    /// Colour the table and warnings [default: auto].
    ///
    /// Bold header and totals, red errors: `auto` on a terminal unless NO_COLOR is set. JSON,
    /// CSV and NDJSON are never coloured.
    #[arg(help_heading = OUTPUT_HEADING, long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, hide_default_value = true)]
    pub color: ColorArg,
}

/// How a run counts: the options shared by counting and `partial`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How lines are read [default: auto].
    ///
    /// `auto` (each file's format from its first lines); one format for every file: combined,
    /// vhost, json, alb, elb, cloudfront, w3c, haproxy, or classic (every line a request, its
    /// first word the client), with a prefix: `cri+combined`, `syslog+json`; or the server's
    /// own format string, nginx `log_format` or Apache `LogFormat` syntax (`'$remote_addr -
    /// $remote_user [$time_local] "$request" ...'`, `'%h %l %u %t "%r" %>s %b'`; `nginx:` or
    /// `apache:` before it names the syntax).
    #[arg(help_heading = INPUT_HEADING, long, value_name = "FORMAT", default_value = "auto", hide_default_value = true, value_parser = LogFormatParser, hide_possible_values = true)]
    pub log_format: String,

    /// In directory walks, count only files matching GLOB (repeatable).
    ///
    /// Gitignore-style: a glob without `/` matches a name at any depth, else a path below the
    /// directory walked; a matching directory stands for all below it: `*.log`, `nginx/*.log`,
    /// `nginx/`; a leading `!` leaves out what it matches instead: `-g '!*.gz'`.
    #[arg(help_heading = INPUT_HEADING, long = "glob", short = 'g', value_name = "GLOB")]
    pub globs: Vec<String>,

    /// In directory walks, leave out files matching GLOB (repeatable).
    ///
    /// Same syntax as --glob: `--exclude old` leaves out every file below a directory named
    /// old.
    #[arg(help_heading = INPUT_HEADING, long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,

    /// Read an nginx or Apache configuration for its logs and formats (repeatable).
    ///
    /// `include`s are followed: each log it names, and the log's rotated siblings, is read in
    /// the format it is written in, and its formats join detection for every other file.
    #[arg(help_heading = INPUT_HEADING, long = "server-config", value_name = "FILE")]
    pub server_configs: Vec<std::path::PathBuf>,

    /// Trust the proxies in CIDR, to count the client behind them (repeatable).
    ///
    /// `@FILE` reads one per line. A request's client is the right-most address of its
    /// forwarded chain (`X-Forwarded-For`, then the peer) that is not a trusted proxy, as
    /// nginx's `real_ip_recursive` finds it.
    #[arg(help_heading = INPUT_HEADING, long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<String>,

    /// Where the client is, instead of the usual place.
    ///
    /// A JSON field (`a.b` for nested objects; else client_ip, remote_ip, remote_addr,
    /// ClientHost, ClientAddr, ...), or a template's variable (`http_x_forwarded_for`,
    /// `%{X-Forwarded-For}i`; a list gives its first entry).
    #[arg(help_heading = INPUT_HEADING, long, value_name = "NAME")]
    pub client_field: Option<String>,

    /// Print no notes or progress on stderr (errors are still printed).
    #[arg(help_heading = OUTPUT_HEADING, short, long, display_order = 100)]
    pub quiet: bool,

    /// Note every file skipped.
    ///
    /// Beyond the first few, one line sums them up; all are in the report's `skipped` either
    /// way.
    #[arg(help_heading = OUTPUT_HEADING, short, long, conflicts_with = "quiet", display_order = 100)]
    pub verbose: bool,

    #[command(flatten)]
    pub query: QueryArgs,

    /// How the work is run [default: threads].
    #[arg(help_heading = EXECUTION_HEADING, short = 'e', long, value_enum, default_value_t = ExecutorArg::Threads, hide_default_value = true)]
    pub executor: ExecutorArg,

    /// Number of workers, at most one per job [default: number of CPUs].
    #[arg(help_heading = EXECUTION_HEADING, short = 'j', long, value_name = "N", value_parser = settings::parse_jobs)]
    pub jobs: Option<u32>,

    /// How `-e procpool` starts its workers [default: fork on Linux].
    ///
    /// Fork this process, spawn this program again, or have a fork server (forked at the
    /// start) fork each one.
    #[arg(help_heading = EXECUTION_HEADING, long, value_enum, value_name = "METHOD")]
    pub start_method: Option<StartMethodArg>,

    /// Cut files bigger than BYTES into ranges counted in parallel [default: 32MiB].
    ///
    /// A byte count with an optional K/M/G or KiB/MiB/GiB suffix, all powers of 1024 (`4096`,
    /// `64M`); a file is cut in at most 65,536 equal ranges; every task of a `partial` run must
    /// use the same value. The default is 32MiB, or when counting a quarter of each worker's
    /// share of the input if that is more; serial does not cut.
    #[arg(help_heading = EXECUTION_HEADING, long, value_name = "BYTES", value_parser = settings::parse_size)]
    pub chunk_size: Option<u64>,

    /// Read files with `pread` instead of mapping them.
    ///
    /// Maps are used for files and ranges of 1 MiB or more; the answer is the same either way.
    #[arg(help_heading = EXECUTION_HEADING, long)]
    pub no_mmap: bool,
}

/// Time windows, periods and top clients (docs/contract.md §5).
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Requests and distinct clients per day or hour.
    ///
    /// Per file and over all files, each request's day as its timestamp writes it (the
    /// server's day) unless --utc. The table shows the summary's periods, each file's with -v
    /// (every file's are in JSON, NDJSON and CSV).
    #[arg(help_heading = TIME_HEADING, long, value_enum, value_name = "PERIOD")]
    pub by: Option<PeriodArg>,

    /// With --by: periods of the time in UTC, not as written.
    #[arg(help_heading = TIME_HEADING, long, requires = "by")]
    pub utc: bool,

    /// Count only requests at or after T (`2021-03-22`, `2021-03-22T10:00`, `24h`).
    ///
    /// T is `2021-03-22`, `2021-03-22T10:00[:05][Z|+08:00]` (no offset: UTC), or a span back
    /// from now (`90m`, `24h`, `7d`). Requests outside are reported as `filtered`; a line whose
    /// time cannot be read is malformed.
    #[arg(help_heading = TIME_HEADING, long, value_name = "T", value_parser = settings::parse_time)]
    pub since: Option<i64>,

    /// Count only requests before T (same forms as --since).
    #[arg(help_heading = TIME_HEADING, long, value_name = "T", value_parser = settings::parse_time)]
    pub until: Option<i64>,

    /// The N clients with the most requests, per file and over all files.
    ///
    /// Ties are ordered by the client's bytes.
    #[arg(help_heading = TIME_HEADING, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub top: Option<u32>,
}

/// `--log-format`: any text is taken (a template is any text; `settings` checks it), and the
/// names of the formats, alone and behind each prefix, are offered to shell completion.
#[derive(Clone, Copy, Debug)]
struct LogFormatParser;

impl clap::builder::TypedValueParser for LogFormatParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use logcount::format::{Body, Prefix};
        let bodies = || Body::all().map(Body::name);
        let prefixed = Prefix::ALL
            .into_iter()
            .flat_map(move |p| bodies().map(move |b| format!("{}+{b}", p.name())));
        let names = std::iter::once("auto".to_string())
            .chain(bodies().map(String::from))
            .chain(prefixed)
            .chain(["nginx:", "apache:"].map(String::from));
        Some(Box::new(names.map(clap::builder::PossibleValue::new)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Day,
    Hour,
}

impl QueryArgs {
    fn query(&self) -> Query {
        Query {
            by: self.by.map(|p| match p {
                PeriodArg::Day => Period::Day,
                PeriodArg::Hour => Period::Hour,
            }),
            utc: self.utc,
            since: self.since,
            until: self.until,
            top: self.top.map(|n| n as usize),
        }
    }
}

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
    pub slice: logcount::partial::SliceId,

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

/// `--executor` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExecutorArg {
    /// One thread, jobs in order: the baseline every other executor is checked against.
    Serial,
    /// A rayon pool of `-j` threads; big files are cut into chunks so one file uses every core.
    Threads,
    /// A tokio runtime reading at most `-j` files at once in fixed-size buffers, counted by
    /// counting threads as they arrive: memory stays bounded whatever the file sizes.
    Async,
    /// `-j` worker processes fed over pipes (`--start-method fork, spawn or forkserver`); a
    /// worker that dies costs only a retry of its job.
    Procpool,
}

impl From<ExecutorArg> for ExecutorKind {
    fn from(arg: ExecutorArg) -> Self {
        match arg {
            ExecutorArg::Serial => ExecutorKind::Serial,
            ExecutorArg::Threads => ExecutorKind::Threads,
            ExecutorArg::Async => ExecutorKind::Async,
            ExecutorArg::Procpool => ExecutorKind::Procpool,
        }
    }
}

/// `--color` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

impl From<ColorArg> for settings::ColorChoice {
    fn from(arg: ColorArg) -> Self {
        match arg {
            ColorArg::Auto => settings::ColorChoice::Auto,
            ColorArg::Always => settings::ColorChoice::Always,
            ColorArg::Never => settings::ColorChoice::Never,
        }
    }
}

/// `--start-method` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StartMethodArg {
    /// Fork this process: cheapest, and sound because the parent has no second thread when it
    /// forks (a worker started once it has, to retry a job, is spawned).
    Fork,
    /// Run this program's own binary again as a hidden worker command.
    Spawn,
    /// A server process, forked when the pool starts, forks each worker on request: every
    /// worker, a retry's too, comes from a process with one thread, and none is spawned.
    Forkserver,
}

impl From<StartMethodArg> for StartMethod {
    fn from(arg: StartMethodArg) -> Self {
        match arg {
            StartMethodArg::Fork => StartMethod::Fork,
            StartMethodArg::Spawn => StartMethod::Spawn,
            StartMethodArg::Forkserver => StartMethod::Forkserver,
        }
    }
}

/// `--format` values of counting and `merge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned columns for people (default on a terminal).
    Table,
    /// One JSON document (default when stdout is not a terminal).
    Json,
    /// One JSON object per line: each file as it completes, then errors and skipped files,
    /// then the summary (whole lines only; no summary line means the run did not finish);
    /// with --by, `period` lines after each file and before the summary.
    Ndjson,
    /// `path,total,ip,bytes,malformed,format`, one row per file; with --by
    /// `path,period,total,ip,malformed`, with --top `path,rank,client,requests` (the summary's
    /// rows under the path `*`).
    Csv,
    /// One self-contained HTML page: the summary, a bar per file, errors and skipped files
    /// (inline CSS and SVG, no JavaScript: readable offline and in a mail).
    Html,
}

impl From<FormatArg> for OutputFormat {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Ndjson => OutputFormat::Ndjson,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Html => OutputFormat::Html,
        }
    }
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

fn format(json: bool, format: Option<FormatArg>) -> OutputFormat {
    settings::output_format(
        json,
        format.map(OutputFormat::from),
        OutputFormat::Table,
        OutputFormat::Json,
    )
}

impl RunArgs {
    fn settings(self) -> Result<RunSettings, UsageError> {
        let mut reading = Reading::new(
            settings::FormatArgs {
                log_format: &self.log_format,
                client_field: self.client_field.as_deref(),
                server_configs: &self.server_configs,
                trusted_proxies: &self.trusted_proxies,
            },
            &self.globs,
            &self.excludes,
            self.query.query(),
        )?;
        if self.no_mmap {
            reading.mode = ReadMode::Read;
        }
        let mut run = RunSettings::new(
            self.executor.into(),
            self.jobs,
            self.start_method.map(Into::into),
            self.chunk_size,
            self.quiet,
            reading,
        )?;
        run.verbose = self.verbose;
        Ok(run)
    }
}

/// The subcommand a first PATH that does not exist was probably meant to be (`bnech` for
/// `bench`: it said "bnech: No such file or directory" and counted the rest, exit 1): one of
/// the visible ones within two edits, and fewer than half its letters.
fn mistyped_subcommand(paths: &[PathBuf]) -> Option<String> {
    let word = paths.first()?.to_str()?;
    if word.contains('/') || std::path::Path::new(word).symlink_metadata().is_ok() {
        return None;
    }
    let command = Cli::command();
    let (_, name) = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| {
            (
                strsim::damerau_levenshtein(word, c.get_name()),
                c.get_name(),
            )
        })
        .filter(|&(d, name)| d <= 2 && d * 2 < name.len())
        .min()?;
    Some(name.to_string())
}

/// Why the words did not parse (or asked for help or the version): clap's error, and a tip.
pub struct ParseFailure {
    error: clap::Error,
    /// When the first word is both a subcommand and a path here.
    tip: Option<String>,
}

impl ParseFailure {
    /// Prints it as clap does (help and version on stdout, errors on stderr), then the tip.
    pub fn print(&self) {
        let _ = self.error.print();
        if let Some(tip) = &self.tip {
            eprintln!("\ntip: {tip}");
        }
    }

    /// The exit status: 0 for help and the version, 2 for a usage error.
    pub fn code(&self) -> i32 {
        self.error.exit_code()
    }
}

impl Cli {
    /// Parses this process's arguments. A usage error is clap's (its format, exit 2), with a
    /// tip when the first word is both a subcommand and a path here (`logcount gen` with a
    /// directory `gen`: the subcommand wins, and the path must be written `./gen`). Only
    /// `main` exits.
    pub fn parse_args() -> Result<Cli, ParseFailure> {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        Cli::try_parse_from(&args).map_err(|error| {
            let word = args.get(1).and_then(|w| w.to_str());
            let shadowed = word.filter(|w| {
                error.use_stderr()
                    && Cli::command().find_subcommand(w).is_some()
                    && std::path::Path::new(w).exists()
            });
            let tip = shadowed
                .map(|word| format!("`{word}` is also a path here; to count it, write `./{word}`"));
            ParseFailure { error, tip }
        })
    }

    /// What the command line asks for, validated.
    pub fn into_settings(self) -> Result<Settings, UsageError> {
        Ok(match self.command {
            None => {
                let c = self.count;
                if let Some(name) = mistyped_subcommand(&c.paths) {
                    return Err(UsageError(format!(
                        "`{}` is not a file or directory, nor a subcommand; did you mean \
                         `logcount {name}`?",
                        c.paths[0].display()
                    )));
                }
                let query = c.run.query.query();
                if format(c.json, c.format) == OutputFormat::Csv
                    && query.by.is_some()
                    && query.top.is_some()
                {
                    return Err(UsageError(logcount::report::csv::BY_AND_TOP.into()));
                }
                let mut run = c.run.settings()?;
                run.reading.options.show_malformed = c.show_malformed.map_or(0, |n| n as usize);
                Settings::Count(CountSettings::new(
                    settings::count_paths(c.paths)?,
                    run,
                    format(c.json, c.format),
                    c.summary,
                    c.color.into(),
                )?)
            }
            Some(Command::Partial(p)) if p.buckets > 1 && !p.run.query.query().is_plain() => {
                return Err(UsageError(
                    "--buckets: --by, --since, --until and --top need every key in one bucket"
                        .into(),
                ))
            }
            Some(Command::Partial(p)) => Settings::Partial(PartialSettings {
                paths: p.paths,
                run: p.run.settings()?,
                slice: p.slice,
                output: p.output,
                text: p.text,
                buckets: p.buckets,
                plan: p.plan,
            }),
            Some(Command::Plan(p)) => Settings::Plan(PlanSettings {
                paths: p.paths,
                run: p.run.settings()?,
                output: p.output,
                text: p.text,
            }),
            Some(Command::Merge(m)) => Settings::Merge(MergeSettings::new(
                m.partials,
                format(m.json, m.format),
                m.bucket.zip(m.output),
                m.text,
                m.jobs,
                m.quiet,
            )?),
            Some(Command::Bench(b)) => Settings::Bench(BenchSettings::new(
                b.paths,
                b.executors,
                b.jobs,
                b.runs,
                b.warmup,
                settings::output_format(
                    b.json,
                    b.format.map(BenchFormat::from),
                    BenchFormat::Table,
                    BenchFormat::Json,
                ),
                b.plot,
                b.quiet,
            )?),
            Some(Command::Gen(g)) => Settings::Gen(GenSettings {
                dir: g.dir,
                options: GenOptions {
                    files: usize::try_from(g.files).expect("at most GEN_MAX_FILES"),
                    lines: g.lines,
                    seed: g.seed,
                    unique: g.unique.max(1),
                    days: g
                        .days
                        .map(|d| u32::try_from(d).expect("at most GEN_MAX_DAYS")),
                },
                force: g.force,
            }),
            Some(Command::Worker(w)) => Settings::Worker {
                parent_pid: w.parent_pid,
            },
            Some(Command::Completions { shell }) => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut visible_command(), "logcount", &mut out);
                Settings::Print(out)
            }
            Some(Command::Man) => Settings::Print(man_page()),
        })
    }
}

/// The command line as completion offers it: without the hidden subcommands (`__worker`),
/// which clap_complete would offer too.
fn visible_command() -> clap::Command {
    let cli = Cli::command();
    let mut visible = clap::Command::new("logcount")
        .args(cli.get_arguments().cloned())
        .subcommands(cli.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(version) = cli.get_version() {
        visible = visible.version(version.to_string());
    }
    visible
}

/// `logcount man`: the page clap_mangen makes of the definitions, but for its sections that
/// name pages that do not exist (`logcount-gen(1)`, ...) and put the examples under "EXTRA":
/// the commands instead, each with its `--help`, then the examples and the exit status.
fn man_page() -> Vec<u8> {
    let man = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    let rendered: std::io::Result<()> = (|| {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)
    })();
    rendered.expect("rendering into memory");
    let mut page = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    page.push_str(".SH COMMANDS\n");
    for c in Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
    {
        let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
        page.push_str(&format!(
            ".TP\n\\fBlogcount {}\\fR\n{} (\\fBlogcount {} \\-\\-help\\fR for its options)\n",
            roff(c.get_name()),
            roff(&about),
            roff(c.get_name()),
        ));
    }
    let (examples, status) = EXAMPLES
        .split_once("\n\nExit status: ")
        .expect("EXAMPLES ends with the exit status");
    page.push_str(".SH EXAMPLES\n.nf\n");
    for line in examples.lines().skip(1) {
        page.push_str(&roff(line.trim_start()));
        page.push('\n');
    }
    page.push_str(".fi\n.SH \"EXIT STATUS\"\n");
    page.push_str(&roff(status));
    page.push('\n');
    page.into_bytes()
}

/// `text` as roff text: backslashes and hyphens escaped, and a leading `.` or `'` (which
/// would start a request) guarded.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_names_no_page_that_does_not_exist() {
        let page = String::from_utf8(man_page()).unwrap();
        assert!(!page.contains("logcount\\-gen(1)"), "{page}");
        assert!(!page.contains(".SH EXTRA"), "{page}");
        for section in [
            ".SH COMMANDS",
            ".SH EXAMPLES",
            ".SH \"EXIT STATUS\"",
            ".SH OPTIONS",
        ] {
            assert!(page.contains(section), "{section}");
        }
        assert!(page.contains("\\fBlogcount bench\\fR"), "{page}");
        assert!(!page.contains("__worker"));
    }

    #[test]
    fn completion_offers_the_formats_and_no_hidden_command() {
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut visible_command(),
            "logcount",
            &mut out,
        );
        let script = String::from_utf8(out).unwrap();
        assert!(!script.contains("__worker"));
        for name in ["combined", "cri+combined", "syslog+json", "w3c", "auto"] {
            assert!(script.contains(name), "{name}");
        }
        assert!(script.contains("bench") && script.contains("--show-malformed"));
    }

    #[test]
    fn short_help_puts_what_users_reach_for_first_and_the_executors_last() {
        let help = Cli::command().term_width(100).render_help().to_string();
        let at = |heading: &str| help.find(&format!("\n{heading}:\n")).expect(heading);
        let order = [
            at(INPUT_HEADING),
            at(OUTPUT_HEADING),
            at(TIME_HEADING),
            at(EXECUTION_HEADING),
        ];
        assert!(order.is_sorted(), "{help}");
        assert!(help.find("--executor").unwrap() > at(EXECUTION_HEADING));
        assert!(help.lines().count() < 75, "{help}");
        assert!(!help.contains("non-blank lines") && !help.contains("fork|spawn"));
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}

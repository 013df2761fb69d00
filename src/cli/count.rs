//! The options of counting, shared with `partial` and `plan` (RunArgs, QueryArgs), their
//! values, and how they map onto [`RunSettings`].

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::settings::{self, Reading, RunSettings, UsageError};
use logcount::executor::procpool::StartMethod;
use logcount::executor::ExecutorKind;
use logcount::format::{Period, Query};
use logcount::input::ReadMode;
use logcount::report::OutputFormat;

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
    pub(super) fn query(&self) -> Query {
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

impl RunArgs {
    pub(super) fn settings(self) -> Result<RunSettings, UsageError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory;

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
}

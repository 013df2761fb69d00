//! Settings: what the command line asked for, validated once and free of clap (as ripgrep's
//! `HiArgs` after its `LowArgs`).
//!
//! `cli` parses the words and fills these in; `app` runs them. Every default that depends on
//! the machine (the number of CPUs, whether stdout is a terminal) and every rule that ties two
//! options together is decided here, so no layer below `app` ever sees an option twice.

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;

use std::sync::Arc;

use logcount::executor::procpool::StartMethod;
use logcount::executor::{self, ExecutorKind};
use logcount::format::{
    self, Body, Choice, CustomRef, Customs, Format, JsonFields, Options, Proxies, Query, Spec,
    Syntax,
};
use logcount::gen::GenOptions;
use logcount::input::{Filters, ReadMode};
use logcount::partial::file::SliceId;
use logcount::plan::Configured;
use logcount::report::OutputFormat;
use logcount::server_config::{Dialect, ServerConfig};

/// A usage error: printed as one line, exit status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage<T>(message: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(message.into()))
}

/// What to do.
#[derive(Debug)]
pub enum Settings {
    Count(CountSettings),
    Partial(PartialSettings),
    Plan(PlanSettings),
    Merge(MergeSettings),
    Bench(BenchSettings),
    Gen(GenSettings),
    /// Serve a process-pool parent on stdin/stdout (a spawned worker).
    Worker {
        parent_pid: Option<u32>,
    },
    /// Print these bytes (a completion script, the man page) and exit.
    Print(Vec<u8>),
}

/// How a run counts: the settings shared by counting and `partial`.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub executor: ExecutorKind,
    /// Workers (`-j`), defaulted to the number of CPUs.
    pub jobs: usize,
    /// The process pool's start method; `None` for its default (and for other executors).
    pub start_method: Option<StartMethod>,
    /// The chunk size asked for; `None` for the executor's default.
    pub chunk_size: Option<u64>,
    /// No notes and no progress on stderr.
    pub quiet: bool,
    /// A note for every file skipped, not the first few and a sum.
    pub verbose: bool,
    /// What is read, and how: formats and filters.
    pub reading: Reading,
}

/// Which files a run reads and how it reads their lines.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// `--log-format`.
    pub format: Choice,
    /// The logs `--server-config` files name, each with its format.
    pub configured: Configured,
    /// `--client-field`, the run's own formats and `--trusted-proxy`.
    pub options: Options,
    /// `--glob`, `--exclude`.
    pub filters: Filters,
    /// `--no-mmap`: files are read with `pread`, not mapped.
    pub mode: ReadMode,
    /// Notes for stderr (unless `--quiet`): what reading the server configurations left out.
    pub notes: Vec<String>,
}

/// The options that say how lines are read: their format, where the client is, and which
/// proxies are trusted.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormatArgs<'a> {
    /// `--log-format`: `auto`, a format's name, or a template.
    pub log_format: &'a str,
    pub client_field: Option<&'a str>,
    pub server_configs: &'a [PathBuf],
    /// `--trusted-proxy`: CIDRs, or `@FILE`s of them.
    pub trusted_proxies: &'a [String],
}

#[cfg(test)]
impl<'a> FormatArgs<'a> {
    /// Just a `--log-format` (and perhaps a `--client-field`).
    pub fn named(log_format: &'a str, client_field: Option<&'a str>) -> FormatArgs<'a> {
        FormatArgs {
            log_format,
            client_field,
            ..FormatArgs::default()
        }
    }
}

impl Reading {
    pub fn new(
        args: FormatArgs<'_>,
        globs: &[String],
        excludes: &[String],
        query: Query,
    ) -> Result<Reading, UsageError> {
        if let (Some(since), Some(until)) = (query.since, query.until) {
            if since >= until {
                return usage(format!(
                    "--since ({}) must be before --until ({})",
                    logcount::format::utc_text(since),
                    logcount::format::utc_text(until)
                ));
            }
        }
        if !args.server_configs.is_empty() && args.log_format != "auto" {
            return usage(
                "--server-config reads each log's format from the configuration: give it without --log-format",
            );
        }
        let mut options = Options::default();
        let mut notes = Vec::new();
        let proxies = trusted_proxies(args.trusted_proxies)?;
        let (format, configured) = if let Some((prefix, syntax, text)) =
            format::template_value(args.log_format)
        {
            let spec = Spec {
                name: format::custom_name(syntax).into(),
                syntax,
                text: text.into(),
                client_field: args.client_field.map(str::to_string),
            };
            let custom =
                CustomRef::intern(spec).map_err(|e| UsageError(format!("--log-format: {e}")))?;
            options.customs = Customs::new(vec![custom]).map_err(UsageError)?;
            let format = Format {
                prefix,
                body: Body::Custom(custom),
            };
            (Choice::Named(format), Configured::default())
        } else {
            let format = Choice::parse(args.log_format).map_err(UsageError)?;
            if args.server_configs.is_empty() {
                if let Some(path) = args.client_field {
                    let json = matches!(format, Choice::Auto)
                        || matches!(format, Choice::Named(f) if f.body == Body::Json);
                    if !json {
                        return usage(format!(
                            "--client-field is for JSON logs and templates, and --log-format {format} is neither"
                        ));
                    }
                    options.json = Arc::new(JsonFields::parse(path).map_err(UsageError)?);
                }
                (format, Configured::default())
            } else {
                let (customs, configured) =
                    server_formats(args.server_configs, args.client_field, &mut notes)?;
                options.customs = customs;
                (format, configured)
            }
        };
        if query.timed() {
            if format == Choice::Named(Format::CLASSIC) {
                return usage(
                    "--log-format classic reads no time: --by, --since and --until need a log format",
                );
            }
            if let Choice::Named(
                f @ Format {
                    body: Body::Custom(c),
                    ..
                },
            ) = format
            {
                if !f.has_time() {
                    return usage(format!(
                        "the template has no time (`$time_local`, `$time_iso8601`, `$msec`, `%t`, `%{{sec}}t`, `%{{...}}t` with a full date): --by, --since and --until need one (--log-format {})",
                        c.spec().text
                    ));
                }
            }
        }
        if !proxies.is_empty() && format == Choice::Named(Format::CLASSIC) {
            return usage("--trusted-proxy: --log-format classic has no forwarded chain");
        }
        options.proxies = Arc::new(proxies);
        options.query = query;
        Ok(Reading {
            format,
            configured,
            options,
            filters: Filters::new(globs, excludes).map_err(UsageError)?,
            mode: ReadMode::default(),
            notes,
        })
    }
}

/// `--trusted-proxy` values: CIDRs, or `@FILE` for one per line (`#` starts a comment).
fn trusted_proxies(values: &[String]) -> Result<Proxies, UsageError> {
    let mut proxies = Proxies::default();
    for value in values {
        match value.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file).map_err(|e| {
                    UsageError(format!("--trusted-proxy @{file}: cannot read it: {e}"))
                })?;
                for (n, line) in text.lines().enumerate() {
                    let cidr = line.split('#').next().unwrap_or("").trim();
                    if cidr.is_empty() {
                        continue;
                    }
                    proxies.push(cidr).map_err(|e| {
                        UsageError(format!("--trusted-proxy {file}:{}: {e}", n + 1))
                    })?;
                }
            }
            None => proxies
                .push(value)
                .map_err(|e| UsageError(format!("--trusted-proxy: {e}")))?,
        }
    }
    Ok(proxies)
}

/// The formats of the configurations `paths` name, compiled (each once, in the order they are
/// defined), and the logs they name, each with its format. A name two configurations define
/// differently is told apart by a `#2`, `#3`, ... after the second and later.
fn server_formats(
    paths: &[PathBuf],
    client_field: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<(Customs, Configured), UsageError> {
    let mut customs: Vec<CustomRef> = Vec::new();
    let mut logs = Vec::new();
    for path in paths {
        let config =
            ServerConfig::read(path).map_err(|e| UsageError(format!("--server-config {e}")))?;
        notes.extend(config.notes.iter().map(|n| format!("--server-config {n}")));
        // This configuration's names, to the formats they became.
        let mut named = std::collections::HashMap::new();
        // A format built into the server (nginx's `combined`, Debian's Apache nicknames) joins
        // only where a log is written in it: otherwise it would take every plain log's
        // detection from the preset of the same layout.
        let used = |f: &&logcount::server_config::NamedFormat| {
            !f.origin.starts_with("built in") || config.logs.iter().any(|l| l.format == f.name)
        };
        for f in config.formats.iter().filter(used) {
            let syntax = match f.dialect {
                Dialect::Nginx => Syntax::Nginx,
                Dialect::Apache => Syntax::Apache,
            };
            let spec = |name: String| Spec {
                name,
                syntax,
                text: f.text.clone(),
                client_field: client_field.map(str::to_string),
            };
            let same_name = |c: &&CustomRef| {
                c.spec().name == f.name || c.spec().name.starts_with(&format!("{}#", f.name))
            };
            let same = customs
                .iter()
                .find(|c| same_name(c) && c.spec().text == f.text && c.spec().syntax == syntax)
                .copied();
            let custom = match same {
                Some(c) => c,
                None => {
                    let taken = customs.iter().filter(same_name).count();
                    let name = match taken {
                        0 => f.name.clone(),
                        n => format!("{}#{}", f.name, n + 1),
                    };
                    let c = CustomRef::intern(spec(name)).map_err(|e| {
                        UsageError(format!(
                            "--server-config {}: log format {}: {e}",
                            f.origin, f.name
                        ))
                    })?;
                    customs.push(c);
                    c
                }
            };
            named.insert(f.name.clone(), custom);
        }
        for log in config.logs {
            let Some(&custom) = named.get(&log.format) else {
                return usage(format!(
                    "--server-config {}: no format named {}",
                    log.origin, log.format
                ));
            };
            logs.push((log, Format::plain(Body::Custom(custom))));
        }
    }
    let customs = Customs::new(customs).map_err(UsageError)?;
    Ok((customs, Configured::new(logs)))
}

impl RunSettings {
    pub fn new(
        executor: ExecutorKind,
        jobs: Option<u32>,
        start_method: Option<StartMethod>,
        chunk_size: Option<u64>,
        quiet: bool,
        reading: Reading,
    ) -> Result<RunSettings, UsageError> {
        if start_method.is_some() && executor != ExecutorKind::Procpool {
            return usage("--start-method needs --executor procpool");
        }
        Ok(RunSettings {
            executor,
            jobs: jobs_or_cpus(jobs),
            start_method,
            chunk_size,
            quiet,
            verbose: false,
            reading,
        })
    }
}

/// `-j N` as asked, or the number of CPUs.
pub fn jobs_or_cpus(jobs: Option<u32>) -> usize {
    jobs.map_or_else(executor::cpus, |j| j as usize)
}

/// The main job: count `paths`, print a report.
#[derive(Debug)]
pub struct CountSettings {
    pub paths: Vec<PathBuf>,
    pub run: RunSettings,
    pub format: OutputFormat,
    /// `--summary`: the totals only.
    pub summary: bool,
    pub color: ColorChoice,
}

impl CountSettings {
    pub fn new(
        paths: Vec<PathBuf>,
        run: RunSettings,
        format: OutputFormat,
        summary: bool,
        color: ColorChoice,
    ) -> Result<CountSettings, UsageError> {
        if summary && format == OutputFormat::Html {
            return usage("--summary prints the totals alone: give it --format table, json, ndjson or csv, not html");
        }
        let query = &run.reading.options.query;
        if format == OutputFormat::Csv && query.by.is_some() && query.top.is_some() {
            return usage(logcount::report::csv::BY_AND_TOP);
        }
        Ok(CountSettings {
            paths,
            run,
            format,
            summary,
            color,
        })
    }
}

/// `--color`: whether the table and the warnings are coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (to anything but the empty string).
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether what goes to stdout (the table) is coloured.
    pub fn stdout(self) -> bool {
        self.on(std::io::stdout().is_terminal())
    }

    /// Whether what goes to stderr (warnings) is coloured.
    pub fn stderr(self) -> bool {
        self.on(std::io::stderr().is_terminal())
    }

    fn on(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// `logcount partial`: count one slice of the plan into a partial result.
#[derive(Debug)]
pub struct PartialSettings {
    pub paths: Vec<PathBuf>,
    pub run: RunSettings,
    pub slice: SliceId,
    /// Where to write it; `-` is stdout.
    pub output: PathBuf,
    /// Base64 text lines rather than binary.
    pub text: bool,
    pub buckets: u32,
    /// A frozen plan to count a slice of (`--plan`), instead of planning `paths`.
    pub plan: Option<PathBuf>,
}

impl PartialSettings {
    /// Checks what ties the options together: buckets split the keys, which the time and top
    /// options need whole.
    pub fn checked(self) -> Result<PartialSettings, UsageError> {
        if self.buckets > 1 && !self.run.reading.options.query.is_plain() {
            return usage(
                "--buckets: --by, --since, --until and --top need every key in one bucket",
            );
        }
        Ok(self)
    }
}

/// `logcount plan`: freeze the plan of `paths` into a file.
#[derive(Debug)]
pub struct PlanSettings {
    pub paths: Vec<PathBuf>,
    pub run: RunSettings,
    pub output: PathBuf,
    pub text: bool,
}

/// `logcount merge`: partials in, the direct run's report (or one bucket's result) out.
#[derive(Debug)]
pub struct MergeSettings {
    pub partials: Vec<PathBuf>,
    pub format: OutputFormat,
    /// `--bucket B -o FILE`: merge only key bucket B, into a counts-only result at FILE.
    pub bucket: Option<(u32, PathBuf)>,
    pub text: bool,
    /// Merging threads.
    pub jobs: usize,
    pub quiet: bool,
}

impl MergeSettings {
    pub fn new(
        partials: Vec<PathBuf>,
        format: OutputFormat,
        bucket: Option<(u32, PathBuf)>,
        text: bool,
        jobs: Option<u32>,
        quiet: bool,
    ) -> Result<MergeSettings, UsageError> {
        if partials.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
            return usage("standard input (`-`) can be read only once");
        }
        Ok(MergeSettings {
            partials,
            format,
            bucket,
            text,
            jobs: jobs_or_cpus(jobs),
            quiet,
        })
    }
}

/// `logcount gen`: write synthetic logs.
#[derive(Debug)]
pub struct GenSettings {
    pub dir: PathBuf,
    pub options: GenOptions,
    /// Replace files that exist (`--force`).
    pub force: bool,
}

/// Output formats of `bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchFormat {
    Table,
    Json,
    Csv,
}

/// An executor as `bench` runs it: the library's one list of them ([`Variant`]).
pub use logcount::executor::{Variant as BenchExecutor, VARIANTS as BENCH_EXECUTORS};

/// Parses one `bench --executors` name.
/// Names are those of counting's `-e` (`procpool` is its default start method) and, for a
/// start method, `procpool:spawn` as well as the table's `procpool-spawn`.
pub fn parse_bench_executor(name: &str) -> Result<&'static BenchExecutor, String> {
    let default_method = format!("procpool-{}", StartMethod::default().name());
    let name = match name {
        "procpool" => default_method.as_str(),
        _ => name,
    };
    let dashed = name.replacen(':', "-", 1);
    BENCH_EXECUTORS
        .iter()
        .find(|e| e.name == dashed)
        .ok_or_else(|| {
            format!(
                "unknown executor `{name}` (known: {})",
                bench_executor_names()
            )
        })
}

/// The executor names `bench` knows, comma-separated, for help and errors.
pub fn bench_executor_names() -> String {
    BENCH_EXECUTORS
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `logcount bench`: executors against each other.
#[derive(Debug)]
pub struct BenchSettings {
    pub paths: Vec<PathBuf>,
    /// The executors, in the order given, each once.
    pub executors: Vec<&'static BenchExecutor>,
    /// Worker counts, increasing, each once.
    pub jobs: Vec<u32>,
    pub runs: u32,
    pub warmup: u32,
    pub format: BenchFormat,
    pub plot: Option<PathBuf>,
    pub quiet: bool,
}

impl BenchSettings {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        paths: Vec<PathBuf>,
        executors: Vec<&'static BenchExecutor>,
        jobs: Vec<u32>,
        runs: u32,
        warmup: u32,
        format: BenchFormat,
        plot: Option<PathBuf>,
        quiet: bool,
    ) -> Result<BenchSettings, UsageError> {
        if paths.iter().any(|p| p.as_os_str() == "-") {
            return usage("bench cannot read standard input: every run reads the inputs again");
        }
        let mut executors = if executors.is_empty() {
            BENCH_EXECUTORS.iter().collect()
        } else {
            executors
        };
        let mut seen = std::collections::BTreeSet::new();
        executors.retain(|e| seen.insert(e.name));
        let mut jobs = if jobs.is_empty() {
            vec![jobs_or_cpus(None) as u32]
        } else {
            jobs
        };
        jobs.sort_unstable();
        jobs.dedup();
        Ok(BenchSettings {
            paths,
            executors,
            jobs,
            runs,
            warmup,
            format,
            plot,
            quiet,
        })
    }
}

/// The paths of a count: as given, or standard input when none is and it is not a terminal
/// (`zcat access.log.gz | logcount`, as ripgrep, wc and sort read it). None on a terminal is a
/// usage error that says both ways.
pub fn count_paths(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, UsageError> {
    count_paths_from(paths, std::io::stdin().is_terminal())
}

fn count_paths_from(paths: Vec<PathBuf>, stdin_terminal: bool) -> Result<Vec<PathBuf>, UsageError> {
    match (paths.is_empty(), stdin_terminal) {
        (false, _) => Ok(paths),
        (true, false) => Ok(vec![PathBuf::from("-")]),
        (true, true) => usage(
            "nothing to count: name log files or directories (`logcount /var/log/nginx`), or \
             pipe a log in (`zcat access.log.gz | logcount`)",
        ),
    }
}

/// The output format: `--json` or `--format` as given, else `table` on a terminal and `json`
/// otherwise (docs/contract.md §3). `table` and `json` are the format type's two defaults.
pub fn output_format<F>(json: bool, format: Option<F>, table: F, json_format: F) -> F {
    match (json, format) {
        (true, _) => json_format,
        (false, Some(f)) => f,
        (false, None) if std::io::stdout().is_terminal() => table,
        (false, None) => json_format,
    }
}

/// Parses `-j N`: a count of workers, 1 or more (clap's range said "0 is not in
/// 1..=4294967295": issue 28).
pub fn parse_jobs(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("0 workers cannot count: give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{text}` is not a number of workers: give 1 or more"
        )),
    }
}

/// Parses a byte count: `4096`, `64K`, `64M`, `1G`, `64KiB`, `64MiB`, `1GiB` (every suffix
/// is a power of 1024; case does not matter).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, suffix) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a byte count (e.g. 4096, 64M, 1GiB)"))?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown size suffix `{other}` (use K, M, G, KiB, MiB, GiB)"
            ))
        }
    };
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes == 0 {
        return Err("the chunk size must be at least 1 byte".into());
    }
    Ok(bytes)
}

/// Parses a `--since`/`--until` time (docs/contract.md §5) into UTC seconds since the epoch:
/// `2021-03-22` (midnight UTC), `2021-03-22T10:00[:05][Z|+08:00|+0800]` (no offset: UTC; a
/// space may stand for the `T`), or a span back from now: `90s`, `90m`, `24h`, `7d`, `2w`.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    parse_time_at(text, now)
}

/// [`parse_time`] with `now` given.
pub fn parse_time_at(text: &str, now: i64) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{text}` is not a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], \
             or a span back from now (90m, 24h, 7d)"
        )
    };
    let t = text.trim();
    if let Some(unit) = t.chars().last().filter(char::is_ascii_alphabetic) {
        let digits = &t[..t.len() - 1];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let seconds = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let n: i64 = digits.parse().map_err(|_| bad())?;
            return n
                .checked_mul(seconds)
                .and_then(|span| now.checked_sub(span))
                .ok_or_else(bad);
        }
    }
    format::parse_moment(t.as_bytes()).ok_or_else(bad)
}

/// Parses `I/N` (slice `I` of `N`, counted from 0).
pub fn parse_slice(text: &str) -> Result<SliceId, String> {
    let bad = || format!("`{text}` is not a slice: give I/N with 0 <= I < N (e.g. 0/4)");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let index: u32 = i.trim().parse().map_err(|_| bad())?;
    let count: u32 = n.trim().parse().map_err(|_| bad())?;
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(SliceId { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_path_reads_standard_input_unless_it_is_a_terminal() {
        let given = vec![PathBuf::from("a.log")];
        assert_eq!(count_paths_from(given.clone(), true).unwrap(), given);
        assert_eq!(
            count_paths_from(Vec::new(), false).unwrap(),
            [PathBuf::from("-")]
        );
        let e = count_paths_from(Vec::new(), true).unwrap_err();
        assert!(
            e.0.starts_with("nothing to count: name log files"),
            "{}",
            e.0
        );
    }

    #[test]
    fn jobs() {
        assert_eq!(parse_jobs("4"), Ok(4));
        assert_eq!(
            parse_jobs("0"),
            Err("0 workers cannot count: give 1 or more".into())
        );
        assert!(parse_jobs("many")
            .unwrap_err()
            .contains("`many` is not a number"));
        assert!(parse_jobs("-1").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn slice_syntax() {
        assert_eq!(parse_slice("0/4"), Ok(SliceId { index: 0, count: 4 }));
        assert_eq!(parse_slice("3/4"), Ok(SliceId { index: 3, count: 4 }));
        for bad in ["4/4", "0/0", "1", "-1/4", "a/b", "1/4/5", ""] {
            assert!(parse_slice(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bench_takes_the_executor_names_counting_takes() {
        let name = |n: &str| parse_bench_executor(n).map(|e| e.name);
        let default = format!("procpool-{}", StartMethod::default().name());
        assert_eq!(name("procpool").unwrap(), default);
        assert_eq!(name("procpool:spawn"), Ok("procpool-spawn"));
        assert_eq!(name("procpool-spawn"), Ok("procpool-spawn"));
        assert_eq!(name("procpool:forkserver"), Ok("procpool-forkserver"));
        assert_eq!(name("threads"), Ok("threads"));
        assert!(name("procpool:vfork")
            .unwrap_err()
            .contains("unknown executor"));
    }

    #[test]
    fn a_start_method_is_for_the_process_pool_only() {
        let e = RunSettings::new(
            ExecutorKind::Threads,
            Some(2),
            Some(StartMethod::Fork),
            None,
            false,
            Reading::default(),
        )
        .unwrap_err();
        assert_eq!(e.0, "--start-method needs --executor procpool");
        let ok = RunSettings::new(
            ExecutorKind::Procpool,
            None,
            Some(StartMethod::Spawn),
            None,
            true,
            Reading::default(),
        )
        .unwrap();
        assert_eq!(ok.jobs, executor::cpus());
    }

    #[test]
    fn a_client_field_is_for_json_logs() {
        let read = |f, c| Reading::new(FormatArgs::named(f, c), &[], &[], Query::default());
        let e = read("combined", Some("ip")).unwrap_err();
        assert!(e.0.contains("--client-field is for JSON logs"), "{e}");
        assert!(read("auto", Some("request.ip")).is_ok());
        assert!(read("cri+json", Some("ip")).is_ok());
        assert!(read("auto", Some("a..b")).is_err());
        assert!(Reading::new(
            FormatArgs::named("auto", None),
            &["a[".into()],
            &[],
            Query::default()
        )
        .is_err());
        // templates take the variable it names
        assert!(read(
            "$remote_addr $http_x_forwarded_for",
            Some("http_x_forwarded_for")
        )
        .is_ok());
        let e = read("$remote_addr [$time_local]", Some("http_x_forwarded_for")).unwrap_err();
        assert!(e.0.starts_with("--log-format: "), "{e}");
    }

    #[test]
    fn times_for_since_and_until() {
        let day = 18_708 * 86_400; // 2021-03-22
        assert_eq!(parse_time_at("2021-03-22", 0), Ok(day));
        assert_eq!(parse_time_at("2021-03-22T10:01", 0), Ok(day + 36_060));
        assert_eq!(parse_time_at("2021-03-22T10:01:02Z", 0), Ok(day + 36_062));
        assert_eq!(parse_time_at("2021-03-22 10:01:02", 0), Ok(day + 36_062));
        assert_eq!(
            parse_time_at("2021-03-22T10:01:02+08:00", 0),
            Ok(day + 36_062 - 8 * 3600)
        );
        assert_eq!(
            parse_time_at("2021-03-22T10:01-0530", 0),
            Ok(day + 36_060 + 19_800)
        );
        assert_eq!(parse_time_at("90m", 10_000), Ok(10_000 - 5_400));
        assert_eq!(parse_time_at("24h", 100_000), Ok(100_000 - 86_400));
        assert_eq!(parse_time_at("7d", 0), Ok(-7 * 86_400));
        for bad in [
            "",
            "2021-02-29",
            "2021-13-01",
            "2021-03-22T24:00",
            "2021-03-22T10:60",
            "2021-03-22T10:00:61",
            "2021-03-22T10:00+2400",
            "2021-03-22T10",
            "yesterday",
            "7x",
            "d",
            "2021-03-22Z",
            "2021-3-22",
            "99999999999999999999d",
        ] {
            let e = parse_time_at(bad, 0).unwrap_err();
            assert!(e.contains("is not a time"), "{bad}: {e}");
        }
        assert_eq!(parse_time_at("2000-02-29", 0), Ok(11_016 * 86_400));
    }

    #[test]
    fn windows_must_be_open_and_classic_reads_no_time() {
        let q = Query {
            since: Some(10),
            until: Some(10),
            ..Query::default()
        };
        let e = Reading::new(FormatArgs::named("auto", None), &[], &[], q).unwrap_err();
        assert!(
            e.0.contains("--since (1970-01-01T00:00:10Z) must be before --until"),
            "{e}"
        );
        let by = Query {
            by: Some(logcount::format::Period::Day),
            ..Query::default()
        };
        let classic = FormatArgs::named("classic", None);
        assert!(Reading::new(classic, &[], &[], by).is_err());
        let untimed = FormatArgs::named("$remote_addr $status", None);
        assert!(Reading::new(untimed, &[], &[], by).is_err());
        let timed = FormatArgs::named("$remote_addr [$time_local]", None);
        assert!(Reading::new(timed, &[], &[], by).is_ok());
        let top = Query {
            top: Some(3),
            ..Query::default()
        };
        assert!(Reading::new(classic, &[], &[], top).is_ok());
    }

    #[test]
    fn bench_executors_are_named_once_and_jobs_sorted() {
        assert_eq!(
            parse_bench_executor("threads").unwrap().args,
            ["-e", "threads"]
        );
        let e = parse_bench_executor("fork").unwrap_err();
        assert!(
            e.contains("unknown executor `fork`") && e.contains("serial"),
            "{e}"
        );
        let names: std::collections::BTreeSet<&str> =
            BENCH_EXECUTORS.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), BENCH_EXECUTORS.len(), "names are unique");
        let threads = parse_bench_executor("threads").unwrap();
        let serial = parse_bench_executor("serial").unwrap();
        let b = BenchSettings::new(
            vec!["x".into()],
            vec![threads, serial, threads],
            vec![4, 1, 4],
            1,
            0,
            BenchFormat::Json,
            None,
            true,
        )
        .unwrap();
        assert_eq!(b.executors, [threads, serial]);
        assert_eq!(b.jobs, [1, 4]);
        assert!(BenchSettings::new(
            vec!["-".into()],
            vec![],
            vec![],
            1,
            0,
            BenchFormat::Json,
            None,
            true
        )
        .is_err());
    }
}

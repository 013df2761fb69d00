//! The command line: clap definitions and help texts, and the plain mapping of what was parsed
//! onto [`Settings`] (which validate it). Nothing below this face ever sees clap.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::settings::{
    self, BenchFormat, BenchSettings, CountSettings, GenSettings, MergeSettings, PartialSettings,
    PlanSettings, Settings, UsageError,
};
use logcount::gen::GenOptions;
use logcount::report::OutputFormat;

mod count;
mod man;
mod subcommands;

pub use count::{CountArgs, FormatArg};
use man::{man_page, visible_command};
pub use subcommands::{BenchArgs, GenArgs, MergeArgs, PartialArgs, PlanArgs, WorkerArgs};

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

fn format(json: bool, format: Option<FormatArg>) -> OutputFormat {
    settings::output_format(
        json,
        format.map(OutputFormat::from),
        OutputFormat::Table,
        OutputFormat::Json,
    )
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
            Some(Command::Partial(p)) => Settings::Partial(
                PartialSettings {
                    paths: p.paths,
                    run: p.run.settings()?,
                    slice: p.slice,
                    output: p.output,
                    text: p.text,
                    buckets: p.buckets,
                    plan: p.plan,
                }
                .checked()?,
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}

//! The application: one module per subcommand, each taking its [`Settings`] and returning the
//! exit status. Only `main` exits; nothing here or below calls `std::process::exit` (a signal
//! ends the run through [`interrupt`], which is the one place that leaves early, by design).

mod bench;
mod count;
mod gen;
mod interrupt;
mod merge;
mod output;
mod partial;

use logcount::diag;
use logcount::executor::{Executor, Interrupted};
use logcount::input::{InputError, Skipped};
use logcount::plan::{self, Plan};

use crate::settings::{RunSettings, Settings};

/// The exit status of a run (docs/contract.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatus(i32);

impl ExitStatus {
    /// Every input counted.
    pub const OK: ExitStatus = ExitStatus(0);
    /// Some input, or the output, failed (results for the rest were still printed).
    pub const FAILED: ExitStatus = ExitStatus(1);
    /// Bad usage (clap exits with it too).
    pub const USAGE: ExitStatus = ExitStatus(2);

    /// A run ended by a signal, as shells report it (SIGINT → 130).
    pub const fn signal(sig: i32) -> ExitStatus {
        ExitStatus(128 + sig)
    }

    /// A worker process's own status.
    pub const fn worker(code: i32) -> ExitStatus {
        ExitStatus(code)
    }

    /// OK when nothing failed.
    pub fn failed_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::FAILED
        } else {
            ExitStatus::OK
        }
    }

    pub const fn code(self) -> i32 {
        self.0
    }
}

impl From<Interrupted> for ExitStatus {
    fn from(Interrupted(sig): Interrupted) -> Self {
        ExitStatus::signal(sig)
    }
}

/// Runs what the settings ask for.
pub fn run(settings: Settings) -> ExitStatus {
    match settings {
        Settings::Count(s) => count::run(s),
        Settings::Partial(s) => partial::run(s),
        Settings::Plan(s) => partial::freeze(s),
        Settings::Merge(s) => merge::run(s),
        Settings::Bench(s) => bench::run(s),
        Settings::Gen(s) => gen::run(s),
        Settings::Worker { parent_pid } => {
            ExitStatus::worker(logcount::executor::procpool::worker_main(parent_pid))
        }
        Settings::Print(bytes) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            output::stdout_done(
                out.write_all(&bytes).and_then(|()| out.flush()),
                ExitStatus::OK,
            )
        }
    }
}

/// Plans `paths` for the executor `run` asks for and builds it, printing the planning's
/// errors (and notes, unless quiet) on stderr. `spread`: the default chunk size may grow to
/// balance the input over `-j` workers (a counting run; a `partial` task's plan must not
/// depend on its `-j`, or tasks with different `-j` would not share their jobs).
fn prepare(
    run: &RunSettings,
    paths: &[std::path::PathBuf],
    spread: bool,
) -> (Box<dyn Executor>, Plan) {
    diag::set_quiet(run.quiet);
    for n in &run.reading.notes {
        diag::note(n);
    }
    let plan = Plan::new(
        paths,
        &plan::Settings {
            chunk_size: run.chunk_size.or(run.executor.default_chunk_size()),
            spread: (spread && run.chunk_size.is_none()).then_some(run.jobs),
            filters: run.reading.filters.clone(),
            format: run.reading.format,
            configured: run.reading.configured.clone(),
            options: run.reading.options.clone(),
            read_mode: run.reading.mode,
        },
    );
    for e in &plan.errors {
        warn_error(e);
    }
    note_empty_directories(paths, &plan);
    (executor_for(run, &plan), plan)
}

/// The executor `run` asks for, for `plan`: `-j` is at most the plan's jobs, never more
/// threads, processes or open files than there is work for (`-j 100000` on five files starts
/// five), and reports say so.
fn executor_for(run: &RunSettings, plan: &Plan) -> Box<dyn Executor> {
    let jobs = run.jobs.min(plan.jobs.len()).max(1);
    run.executor.build(jobs, run.start_method)
}

/// A note for each directory argument that held nothing to count (not even a file skipped),
/// so an empty result is never a mystery.
fn note_empty_directories(paths: &[std::path::PathBuf], plan: &Plan) {
    use logcount::input::Source;
    for dir in paths.iter().filter(|p| p.is_dir()) {
        let shown = logcount::input::display(dir);
        let found = plan
            .inputs
            .iter()
            .any(|i| matches!(&i.source, Source::File(p) if p.starts_with(dir)))
            || plan.skipped.iter().any(|s| s.path.starts_with(&shown))
            || plan.errors.iter().any(|e| e.path.starts_with(&shown));
        if !found {
            diag::note(format_args!(
                "no input files under {}",
                diag::escape_controls(&shown)
            ));
        }
    }
}

/// An input's error, on stderr.
fn warn_error(e: &InputError) {
    diag::warn(format_args!("{}: {}", e.path, e.error));
}

/// Skip notes printed one by one before a line sums up the rest (unless `--verbose`).
const SKIPS_SHOWN: usize = 5;

/// The inputs a walk left out, on stderr unless quiet: the first [`SKIPS_SHOWN`] one by one,
/// then one line that sums up the rest by reason (docs/contract.md §2; `/etc` printed 834
/// lines: issue 28), or all of them when `verbose`.
fn note_skips(skipped: &[Skipped], verbose: bool) {
    let shown = if verbose || skipped.len() <= SKIPS_SHOWN + 1 {
        skipped.len()
    } else {
        SKIPS_SHOWN
    };
    for s in &skipped[..shown] {
        diag::note(format_args!("{}: skipped: {}", s.path, s.reason));
    }
    if shown < skipped.len() {
        let rest = &skipped[shown..];
        diag::note(format_args!(
            "{} more skipped ({}); --verbose lists them",
            rest.len(),
            skip_reasons(rest)
        ));
    }
}

/// How many of `skipped` were left out for each reason, most first: `68 not an access log; 2
/// FIFO, not a regular file` (a reason's detail in parentheses is left out).
fn skip_reasons(skipped: &[Skipped]) -> String {
    let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in skipped {
        let reason = s.reason.split(" (").next().unwrap_or(&s.reason);
        *by.entry(reason).or_default() += 1;
    }
    let mut by: Vec<(&str, usize)> = by.into_iter().collect();
    by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = by.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.join("; ")
}

/// After a count: the skip notes, or, when every input was skipped, the one line that says
/// nothing was counted (how many, why): the run then fails (docs/contract.md §2; a directory
/// of sources printed 70 notes and `TOTAL (0 files)`, exit 0: issue 28). Whether it failed.
fn note_skips_after_count(counted: usize, skipped: &[Skipped], verbose: bool) -> bool {
    if counted > 0 || skipped.is_empty() {
        note_skips(skipped, verbose);
        return false;
    }
    if verbose {
        note_skips(skipped, true);
    }
    warn_nothing_counted(
        skipped,
        if verbose {
            ""
        } else {
            "; --verbose lists them"
        },
    );
    true
}

/// The one line of a run that counted no file, every one skipped; `listed` says where the
/// skipped files are listed, if anywhere.
fn warn_nothing_counted(skipped: &[Skipped], listed: &str) {
    let files = if skipped.len() == 1 { "file" } else { "files" };
    diag::warn(format_args!(
        "nothing counted: {} {files} skipped ({}){listed}; if one is an access log, name its \
         format with --log-format",
        skipped.len(),
        skip_reasons(skipped),
    ));
}

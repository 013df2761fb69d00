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

    pub fn code(self) -> i32 {
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
    for s in &plan.skipped {
        note_skipped(s);
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

/// An input a walk left out, on stderr unless quiet.
fn note_skipped(s: &Skipped) {
    diag::note(format_args!("{}: skipped: {}", s.path, s.reason));
}

//! THE list of executors the tests run, as command-line arguments: a new executor (or start
//! method) adds its line to [`EXECUTORS`] and every test that loops over executors gets it.

use std::panic::AssertUnwindSafe;

/// One way to run a count.
#[derive(Debug)]
pub struct Executor {
    /// Its name in `logcount bench` (`--executors`, the reports' `executor`).
    pub name: &'static str,
    /// The arguments that select it, without `-j`.
    pub args: &'static [&'static str],
    /// Whether `-j` means something to it (everything but `serial`).
    pub takes_jobs: bool,
}

/// Every executor, `serial` first; the names and arguments are those of `logcount bench`.
pub const EXECUTORS: &[Executor] = &[
    Executor {
        name: "serial",
        args: &["-e", "serial"],
        takes_jobs: false,
    },
    Executor {
        name: "threads",
        args: &["-e", "threads"],
        takes_jobs: true,
    },
    Executor {
        name: "async",
        args: &["-e", "async"],
        takes_jobs: true,
    },
    Executor {
        name: "procpool-fork",
        args: &["-e", "procpool", "--start-method", "fork"],
        takes_jobs: true,
    },
    Executor {
        name: "procpool-spawn",
        args: &["-e", "procpool", "--start-method", "spawn"],
        takes_jobs: true,
    },
    Executor {
        name: "procpool-forkserver",
        args: &["-e", "procpool", "--start-method", "forkserver"],
        takes_jobs: true,
    },
];

impl Executor {
    /// The value of its `-e` (`procpool` for both start methods).
    pub fn executor(&self) -> &'static str {
        self.arg_after("-e").expect("every executor has an -e")
    }

    /// Its `--start-method`, for procpool.
    pub fn start_method(&self) -> Option<&'static str> {
        self.arg_after("--start-method")
    }

    /// Its arguments followed by `extra`.
    pub fn with<'a>(&self, extra: &[&'a str]) -> Vec<&'a str> {
        self.args.iter().chain(extra).copied().collect()
    }

    /// Its arguments with `-j jobs` when it takes `-j`.
    pub fn jobs<'a>(&self, jobs: &'a str) -> Vec<&'a str> {
        if self.takes_jobs {
            self.with(&["-j", jobs])
        } else {
            self.with(&[])
        }
    }

    fn arg_after(&self, flag: &str) -> Option<&'static str> {
        let at = self.args.iter().position(|a| *a == flag)?;
        self.args.get(at + 1).copied()
    }
}

/// The executor of that bench name; panics on a name not in [`EXECUTORS`].
pub fn executor(name: &str) -> &'static Executor {
    EXECUTORS
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no executor named {name:?} in tests/util"))
}

/// Every executor but `serial`: those whose answers must be `serial`'s.
pub fn parallel_executors() -> impl Iterator<Item = &'static Executor> {
    EXECUTORS.iter().filter(|e| e.takes_jobs)
}

/// The process pool, once per start method.
pub fn procpool_executors() -> impl Iterator<Item = &'static Executor> {
    EXECUTORS.iter().filter(|e| e.executor() == "procpool")
}

/// Calls `f` with every executor, in [`EXECUTORS`] order; a failure says which it was.
pub fn for_each_executor(f: impl FnMut(&'static Executor)) {
    for_each(EXECUTORS.iter(), f);
}

/// Calls `f` with every executor but `serial` (see [`parallel_executors`]).
pub fn for_each_parallel_executor(f: impl FnMut(&'static Executor)) {
    for_each(parallel_executors(), f);
}

/// Calls `f` with each procpool start method (see [`procpool_executors`]).
pub fn for_each_procpool_executor(f: impl FnMut(&'static Executor)) {
    for_each(procpool_executors(), f);
}

fn for_each(
    executors: impl Iterator<Item = &'static Executor>,
    mut f: impl FnMut(&'static Executor),
) {
    for executor in executors {
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| f(executor))) {
            eprintln!(
                "(that failure was under executor `{}`: {})",
                executor.name,
                executor.args.join(" ")
            );
            std::panic::resume_unwind(panic);
        }
    }
}

//! The executors the tests run, as command-line arguments: [`EXECUTORS`] is the binary's own
//! list, so a new executor (or start method) reaches every test that loops over executors.

use std::panic::AssertUnwindSafe;

pub use logcount::executor::Variant as Executor;

/// Every executor, `serial` first: the binary's own list ([`logcount::executor::VARIANTS`],
/// which `bench` runs), so a new executor or start method reaches every test that loops.
pub const EXECUTORS: &[Executor] = logcount::executor::VARIANTS;

/// What the tests ask of a [`Executor`] beyond its fields.
pub trait ExecutorArgs {
    /// The value of its `-e` (`procpool` for every start method).
    fn executor(&self) -> &'static str;
    /// Its `--start-method`, for procpool.
    fn start_method(&self) -> Option<&'static str>;
    /// Its arguments followed by `extra`.
    fn with<'a>(&self, extra: &[&'a str]) -> Vec<&'a str>;
    /// Its arguments with `-j jobs` when it takes `-j`.
    fn jobs<'a>(&self, jobs: &'a str) -> Vec<&'a str>;
}

impl ExecutorArgs for Executor {
    fn executor(&self) -> &'static str {
        arg_after(self, "-e").expect("every executor has an -e")
    }

    fn start_method(&self) -> Option<&'static str> {
        arg_after(self, "--start-method")
    }

    fn with<'a>(&self, extra: &[&'a str]) -> Vec<&'a str> {
        self.args.iter().chain(extra).copied().collect()
    }

    fn jobs<'a>(&self, jobs: &'a str) -> Vec<&'a str> {
        if self.takes_jobs {
            self.with(&["-j", jobs])
        } else {
            self.with(&[])
        }
    }
}

fn arg_after(e: &Executor, flag: &str) -> Option<&'static str> {
    let at = e.args.iter().position(|a| *a == flag)?;
    e.args.get(at + 1).copied()
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

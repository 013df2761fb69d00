//! A worker: reads job batches on its stdin, counts them with the same code as every other
//! executor, and answers on its stdout (nothing else is ever written there).
//!
//! The same loop runs in a forked child and in a spawned `logcount __worker`. A worker dies
//! with its parent (`PR_SET_PDEATHSIG`), ignores Ctrl-C (the parent decides and kills it),
//! and ends quietly when its stdin is closed.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::Arc;

use nix::sys::signal::{self, SigHandler, Signal};
use nix::unistd::{getppid, Pid};

use super::wire::{self, Hello, Kind, WireError};
use crate::input::{JobReader, ReadMode};

/// The hidden subcommand that starts a spawned worker.
pub const WORKER_COMMAND: &str = "__worker";

/// The environment variable that injects faults into workers, for tests only; read once when
/// a worker starts, never by the parent.
pub const FAULT_ENV: &str = "LOGCOUNT_TEST_WORKER_FAULT";

/// Progress is reported after this many bytes read (and at the end of each job).
const PROGRESS_EVERY: u64 = 4 << 20;

/// Answers are written out once this much is waiting (and at the end of each batch).
const FLUSH_AT: usize = 256 << 10;

/// Exit status of a worker that could not talk to its parent.
pub(super) const EXIT_PROTOCOL: i32 = 2;
/// Exit status of a worker that panicked.
pub(super) const EXIT_PANIC: i32 = 101;

/// Entry point of `logcount __worker`: serve the parent on stdin/stdout; returns the exit
/// status.
pub fn worker_main(parent: Option<u32>) -> i32 {
    let parent = parent.map(|p| Pid::from_raw(p as i32));
    std::panic::catch_unwind(|| run(parent)).unwrap_or(EXIT_PANIC)
}

/// Serves the parent on fds 0 and 1 until it closes fd 0; returns the exit status.
pub(super) fn run(parent: Option<Pid>) -> i32 {
    // SAFETY: setting a signal to be ignored or to its default runs no handler code.
    unsafe {
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigIgn);
        let _ = signal::signal(Signal::SIGTERM, SigHandler::SigDfl);
    }
    if let Some(parent) = parent {
        // Die with the parent, even if it is killed with SIGKILL; checking the parent after
        // asking closes the race with a parent that died just before.
        if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err() || getppid() != parent {
            return EXIT_PROTOCOL;
        }
    }
    let faults = match Faults::from_env() {
        Ok(f) => f,
        Err(e) => {
            crate::diag::warn(format_args!("worker: {FAULT_ENV}: {e}"));
            return EXIT_PROTOCOL;
        }
    };
    // SAFETY: fds 0 and 1 are this process's protocol pipes, owned by nobody else here.
    // They are never closed before the process ends (not even while a panic unwinds), so the
    // parent sees the end of the pipe only once the worker is gone, and reaps a real status.
    let (stdin, stdout) = unsafe { (File::from_raw_fd(0), File::from_raw_fd(1)) };
    let (stdin, stdout) = (ManuallyDrop::new(stdin), ManuallyDrop::new(stdout));
    match serve(&*stdin, &*stdout, &faults) {
        Ok(()) => 0,
        // The parent went away; it has nothing left to be told.
        Err(WorkerError::Wire(WireError::Io(e))) if e.kind() == io::ErrorKind::BrokenPipe => 1,
        Err(e) => {
            crate::diag::warn(format_args!("worker {}: {e}", std::process::id()));
            match e {
                WorkerError::Wire(WireError::Io(_)) => 1,
                _ => EXIT_PROTOCOL,
            }
        }
    }
}

/// Why a worker stopped serving.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WorkerError {
    #[error("parent {0}")]
    Refused(String),
    #[error("expected {expected:?} from the parent, got {got:?}")]
    Unexpected { expected: Kind, got: Option<Kind> },
    #[error("{0}")]
    Wire(#[from] WireError),
}

impl From<io::Error> for WorkerError {
    fn from(e: io::Error) -> Self {
        WorkerError::Wire(WireError::Io(e))
    }
}

/// Where answers go: frames gather in a buffer, written out in few large writes.
struct Answers<W> {
    out: W,
    frames: Vec<u8>,
    /// Bytes read since the last PROGRESS frame.
    unreported: u64,
    /// A write that failed inside the progress callback, returned after the job.
    error: Option<io::Error>,
}

impl<W: Write> Answers<W> {
    fn flush(&mut self) -> io::Result<()> {
        if !self.frames.is_empty() {
            self.out.write_all(&self.frames)?;
            self.frames.clear();
        }
        Ok(())
    }

    fn progress(&mut self, bytes: u64) {
        self.unreported += bytes;
        if self.unreported >= PROGRESS_EVERY {
            self.report_progress();
            if let Err(e) = self.flush() {
                self.error.get_or_insert(e);
            }
        }
    }

    fn report_progress(&mut self) {
        if self.unreported > 0 {
            wire::encode_progress(&mut self.frames, std::mem::take(&mut self.unreported));
        }
    }
}

/// The worker's loop over any pair of streams: handshake, then job batches until the end of
/// `input`.
pub(crate) fn serve(
    mut input: impl Read,
    output: impl Write,
    faults: &Faults,
) -> Result<(), WorkerError> {
    let mut payload = Vec::new();
    let ours = Hello::ours();
    match wire::read_frame(&mut input, &mut payload)? {
        Some(Kind::Hello) => {
            let theirs = Hello::decode(&payload)?;
            if let Some(why) = ours.mismatch(&theirs) {
                return Err(WorkerError::Refused(why));
            }
        }
        got => {
            return Err(WorkerError::Unexpected {
                expected: Kind::Hello,
                got,
            })
        }
    }
    let answers = RefCell::new(Answers {
        out: output,
        frames: Vec::with_capacity(FLUSH_AT),
        unreported: 0,
        error: None,
    });
    {
        let mut s = answers.borrow_mut();
        faults.hello(ours).encode(&mut s.frames);
        s.flush()?;
    }
    let mut reader = JobReader::new(ReadMode::default());
    let progress = |n| answers.borrow_mut().progress(n);
    loop {
        match wire::read_frame(&mut input, &mut payload)? {
            None => return Ok(()),
            Some(Kind::Jobs) => {}
            got => {
                return Err(WorkerError::Unexpected {
                    expected: Kind::Jobs,
                    got,
                })
            }
        }
        let (options, mode, jobs) = wire::decode_jobs(&payload)?;
        reader.set_mode(mode);
        for job in jobs {
            {
                let mut s = answers.borrow_mut();
                if faults.at_start(&job, &mut s.frames) {
                    s.flush()?;
                }
            }
            let fields = job.fields.map(Arc::from);
            let result = reader.count(
                &job.input(),
                job.range.as_ref(),
                fields,
                None,
                &options,
                &progress,
            );
            let mut s = answers.borrow_mut();
            if let Some(e) = s.error.take() {
                return Err(e.into());
            }
            s.report_progress();
            let start = s.frames.len();
            wire::encode_done(&mut s.frames, job.id, &result, &options.customs);
            if faults.truncates(&job) {
                let half = start + (s.frames.len() - start) / 2;
                s.frames.truncate(half);
                s.flush()?;
                // SAFETY: ends this process at once, as a worker that crashed mid-write would.
                unsafe { nix::libc::_exit(3) }
            }
            if s.frames.len() >= FLUSH_AT {
                s.flush()?;
            }
        }
        answers.borrow_mut().flush()?;
    }
}

/// Faults injected into a worker to test how the parent copes (see [`FAULT_ENV`]): a comma
/// separated list of `die-on:TEXT`, `die-once-on:TEXT` (only on a job's first attempt),
/// `panic-on:TEXT`, `garbage-on:TEXT`, `truncate-on:TEXT`, `hang-on:TEXT` (never finish) (each
/// for jobs whose path contains TEXT), `gate:PATH` (before its first job, read the FIFO at PATH
/// to its end: a test changes files while every worker waits there) and `bad-hello` (claim to
/// be another build).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<(Fault, Vec<u8>)>,
    bad_hello: bool,
    gate: Option<std::path::PathBuf>,
    gate_passed: std::cell::Cell<bool>,
    /// For the fork server, not workers: it leaves after serving this many workers.
    pub(super) server_exit_after: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Die,
    DieOnce,
    Panic,
    Garbage,
    Truncate,
    Hang,
}

impl Faults {
    /// The faults [`FAULT_ENV`] asks for (none when it is not set).
    pub(super) fn from_env() -> Result<Faults, String> {
        match std::env::var(FAULT_ENV) {
            Ok(spec) => Faults::parse(&spec),
            Err(_) => Ok(Faults::default()),
        }
    }

    pub(crate) fn parse(spec: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in spec.split(',').filter(|s| !s.is_empty()) {
            if item == "bad-hello" {
                faults.bad_hello = true;
                continue;
            }
            let (name, text) = item
                .split_once(':')
                .ok_or_else(|| format!("`{item}`: expected KIND:TEXT"))?;
            if name == "gate" {
                faults.gate = Some(text.into());
                continue;
            }
            if name == "forkserver-exit-after" {
                let n = text
                    .parse()
                    .map_err(|_| format!("`{item}`: expected a count"))?;
                faults.server_exit_after = Some(n);
                continue;
            }
            let fault = match name {
                "die-on" => Fault::Die,
                "die-once-on" => Fault::DieOnce,
                "panic-on" => Fault::Panic,
                "garbage-on" => Fault::Garbage,
                "truncate-on" => Fault::Truncate,
                "hang-on" => Fault::Hang,
                _ => return Err(format!("unknown fault `{name}`")),
            };
            faults.rules.push((fault, text.as_bytes().to_vec()));
        }
        Ok(faults)
    }

    fn hits(&self, fault: Fault, job: &wire::JobSpec<'_>) -> bool {
        self.rules
            .iter()
            .any(|(f, text)| *f == fault && memchr::memmem::find(job.path, text).is_some())
    }

    fn hello(&self, ours: Hello) -> Hello {
        Hello {
            build: ours.build ^ u64::from(self.bad_hello),
            ..ours
        }
    }

    /// Acts out the faults due when `job` starts; true when it queued bytes in `frames`.
    fn at_start(&self, job: &wire::JobSpec<'_>, frames: &mut Vec<u8>) -> bool {
        if let Some(gate) = self
            .gate
            .as_ref()
            .filter(|_| !self.gate_passed.replace(true))
        {
            if let Ok(mut fifo) = std::fs::File::open(gate) {
                let _ = std::io::copy(&mut fifo, &mut std::io::sink());
            }
        }
        if self.hits(Fault::Die, job) || (job.attempt == 0 && self.hits(Fault::DieOnce, job)) {
            let _ = signal::raise(Signal::SIGKILL);
            std::process::abort();
        }
        if self.hits(Fault::Panic, job) {
            panic!("injected fault: panic on job {}", job.id);
        }
        if self.hits(Fault::Hang, job) {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        let garbage = self.hits(Fault::Garbage, job);
        if garbage {
            frames.extend_from_slice(b"this is not a frame, it is garbage\n");
        }
        garbage
    }

    fn truncates(&self, job: &wire::JobSpec<'_>) -> bool {
        self.hits(Fault::Truncate, job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Choice, Customs, Format, Options};
    use crate::input::Compression;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    fn request(jobs: &[wire::JobSpec<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        Hello::ours().encode(&mut out);
        wire::encode_jobs(&mut out, &Options::default(), ReadMode::Map, jobs).unwrap();
        out
    }

    /// A job of a planned plain file read in the classic format.
    fn job(id: u32, path: &Path, range: Option<std::ops::Range<u64>>) -> wire::JobSpec<'_> {
        wire::JobSpec {
            id,
            attempt: 0,
            path: path.as_os_str().as_bytes(),
            file_id: None,
            size: std::fs::metadata(path).ok().map(|m| m.len()),
            range,
            compression: Compression::Plain,
            claimed: None,
            format: Choice::Named(Format::CLASSIC),
            fields: None,
            witness: None,
        }
    }

    #[test]
    fn serves_jobs_in_order_with_progress() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let data = b"1.1.1.1 a\n2.2.2.2 b\n1.1.1.1 c\n".repeat(200_000);
        std::fs::write(&path, &data).unwrap();
        let missing = dir.path().join("missing.log");
        let size = data.len() as u64;
        let jobs = [
            job(4, &path, Some(0..size / 2)),
            job(9, &missing, None),
            job(5, &path, Some(size / 2..size)),
        ];
        let mut answers = Vec::new();
        serve(&request(&jobs)[..], &mut answers, &Faults::default()).unwrap();

        let mut r = &answers[..];
        let mut p = Vec::new();
        assert_eq!(wire::read_frame(&mut r, &mut p).unwrap(), Some(Kind::Hello));
        assert_eq!(Hello::decode(&p).unwrap().build, Hello::ours().build);
        let (mut progress, mut done) = (0, Vec::new());
        while let Some(kind) = wire::read_frame(&mut r, &mut p).unwrap() {
            match kind {
                Kind::Progress => progress += wire::decode_progress(&p).unwrap(),
                Kind::Done => done.push(wire::decode_done(&p, &Customs::default()).unwrap()),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(progress, size);
        let ids: Vec<u32> = done.iter().map(|d| d.0).collect();
        assert_eq!(ids, [4, 9, 5]);
        let (a, a_bytes) = done[0].1.as_ref().unwrap();
        let (b, b_bytes) = done[2].1.as_ref().unwrap();
        assert_eq!((a.total + b.total, a_bytes + b_bytes), (600_000, size));
        let Err(crate::input::JobError::Io(e)) = &done[1].1 else {
            panic!("{:?}", done[1].1)
        };
        assert_eq!(e.raw_os_error(), Some(nix::libc::ENOENT));
    }

    #[test]
    fn refuses_a_parent_of_another_build() {
        let mut out = Vec::new();
        Hello {
            build: Hello::ours().build ^ 1,
            ..Hello::ours()
        }
        .encode(&mut out);
        let err = serve(&out[..], Vec::new(), &Faults::default()).unwrap_err();
        assert!(err.to_string().contains("different build"), "{err}");
        let err = serve(&b"garbage!garbage!"[..], Vec::new(), &Faults::default()).unwrap_err();
        assert!(
            matches!(err, WorkerError::Wire(WireError::BadMagic)),
            "{err}"
        );
    }

    #[test]
    fn garbage_and_truncated_batches_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let whole = request(&[job(1, &path, None)]);
        let mut hello = Vec::new();
        Hello::ours().encode(&mut hello);
        let cut = &whole[..whole.len() - 1];
        let err = serve(cut, Vec::new(), &Faults::default()).unwrap_err();
        assert!(
            matches!(err, WorkerError::Wire(WireError::Truncated)),
            "{err}"
        );
        let mut twice = hello.clone();
        twice.extend_from_slice(&hello);
        let err = serve(&twice[..], Vec::new(), &Faults::default()).unwrap_err();
        assert!(matches!(err, WorkerError::Unexpected { .. }), "{err}");
    }

    #[test]
    fn fault_specs() {
        let f = Faults::parse("die-on:a.log,garbage-on:b,bad-hello").unwrap();
        assert_eq!(f.rules.len(), 2);
        assert!(f.bad_hello);
        let path = Path::new("/x/a.log");
        assert!(f.hits(Fault::Die, &job(0, path, None)));
        assert!(!f.hits(Fault::Panic, &job(0, path, None)));
        assert!(Faults::parse("explode-on:x").is_err());
        assert!(Faults::parse("die-on").is_err());
        assert!(Faults::parse("").unwrap().rules.is_empty());
    }
}

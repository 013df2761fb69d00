//! Streams counted in the parent, a few open at a time, read between the other events of the
//! poll loop.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;

use nix::poll::PollFlags;

use super::Pool;
use crate::input::{JobCounter, Source};

/// A stream (standard input, a FIFO, a file whose size reads as 0), counted by the parent: a
/// stream cannot be read again, so a worker dying halfway through it could not be retried
/// without counting half of it twice or losing it. One is open while it is read.
pub(super) struct StreamJob {
    job: usize,
    counter: JobCounter,
    pub(super) from: StreamFrom,
}

pub(super) enum StreamFrom {
    Stdin,
    File(File),
}

/// The most streams open at once. Each holds a descriptor and a counter while it is read, so
/// 100,000 empty files are read a few at a time, as every other executor reads them (they
/// were all opened at once: "Too many open files" past `ulimit -n`, and 4.6 GB: issue 27);
/// a few, so that a FIFO whose writer is slow does not hold up the others.
const OPEN_STREAMS: usize = 16;

impl<'a, 'r> Pool<'a, 'r> {
    /// Opens the next streams, up to [`OPEN_STREAMS`] open; one that cannot be opened is its
    /// input's error.
    pub(super) fn open_streams(&mut self) {
        while self.streams.len() < OPEN_STREAMS {
            let Some(job) = self.unopened.pop_front() else {
                break;
            };
            let input = &self.plan.inputs[self.plan.jobs[job].input];
            let from = match &input.source {
                Source::Stdin => StreamFrom::Stdin,
                Source::File(path) => match crate::input::open_file(path, input.id) {
                    Ok(file) => StreamFrom::File(file),
                    Err(e) => {
                        self.reducer.job_done(job, Err(e.into()));
                        continue;
                    }
                },
            };
            self.streams.push(StreamJob {
                job,
                counter: JobCounter::new(input, None, None, None, &self.plan.options),
                from,
            });
        }
    }

    /// Reads what stream `i` has; at its end (or an error) its job is done.
    pub(super) fn read_stream(&mut self, i: usize, revents: PollFlags) {
        let stream = &mut self.streams[i];
        let buf = &mut self.stream_buf;
        let outcome = match &stream.from {
            // A closed stdin reads as empty, as `std::io::stdin` has it.
            StreamFrom::Stdin if revents.contains(PollFlags::POLLNVAL) => Ok(0),
            StreamFrom::Stdin => match nix::unistd::read(io::stdin().as_fd(), buf) {
                Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => return,
                Err(nix::errno::Errno::EBADF) => Ok(0),
                other => other.map_err(io::Error::from),
            },
            StreamFrom::File(file) => match (&*file).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
                other => other,
            },
        };
        let done = match outcome {
            Ok(0) => Some(Ok(())),
            Ok(n) => match stream.counter.feed(&buf[..n]) {
                Ok(counted) => {
                    self.progress.add(counted);
                    stream.counter.done().then_some(Ok(()))
                }
                Err(e) => Some(Err(e)),
            },
            Err(e) => Some(Err(e)),
        };
        if let Some(end) = done {
            let stream = self.streams.remove(i);
            let result = match end {
                Ok(()) => stream.counter.finish(None),
                Err(e) => Err(e.into()),
            };
            self.reducer.job_done(stream.job, result);
        }
    }
}

//! The thread executor: `-j` threads (no more than there are jobs) pulling jobs biggest first
//! from one shared queue.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Executor, Interrupted, Workers};
use crate::diag;
use crate::input::JobReader;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// Runs jobs on a pool of `threads` threads.
#[derive(Debug)]
pub(crate) struct Threads {
    threads: Workers,
}

impl Threads {
    pub(crate) fn new(threads: usize) -> Threads {
        Threads {
            threads: Workers::new(threads),
        }
    }
}

impl Executor for Threads {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn jobs(&self) -> usize {
        self.threads.get()
    }

    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted> {
        // Each thread pulls the next job from a shared queue, biggest first, so a slow job
        // never waits behind a thread that has work queued. Plain threads, not a work-stealing
        // pool: the queue is all the scheduling there is, and a pool's stealing and epochs
        // cost each thread a visit to every other (`-j 2048` on 5,000 small files took 58 s
        // in rayon's `try_advance`: issue 27).
        let order = plan.biggest_first();
        let wanted = self.threads.asked().min(order.len());
        let next = AtomicUsize::new(0);
        let add = |n| progress.add(n);
        let work = || {
            crate::reduce::merge_in_parallel();
            let mut reader = JobReader::new(plan.read_mode);
            if wanted > 1 {
                reader = reader.among_threads();
            }
            while !reducer.stopped() {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = order.get(i) else { break };
                let job = &plan.jobs[index];
                let input = &plan.inputs[job.input];
                let fields = job.fields.clone();
                let range = job.range.as_ref();
                let result = reader.count(
                    input,
                    range,
                    fields,
                    reducer.shared_keys(index),
                    &plan.options,
                    &add,
                );
                reducer.job_done(index, result);
            }
        };
        let started = std::thread::scope(|scope| {
            for i in 0..wanted {
                // Small jobs may all be taken before every thread has started: a thread costs
                // about as much to start as a small file to count, so none starts for nothing.
                if i > 0 && next.load(Ordering::Relaxed) >= order.len() {
                    return Ok(i);
                }
                let started = std::thread::Builder::new()
                    .name(format!("logcount-{i}"))
                    .spawn_scoped(scope, work);
                if let Err(e) = started {
                    // Fewer threads than asked: those started share the queue.
                    if i > 0 {
                        diag::note(format_args!(
                            "started {i} of {wanted} threads ({e}); counting with {i}"
                        ));
                        return Ok(i);
                    }
                    return Err(e);
                }
            }
            Ok(wanted)
        });
        self.threads.used(started.as_ref().map_or(1, |&n| n));
        if let Err(e) = started {
            diag::warn(format_args!(
                "cannot start threads ({e}); counting serially"
            ));
            return super::Serial.run(plan, reducer, progress);
        }
        Ok(())
    }
}

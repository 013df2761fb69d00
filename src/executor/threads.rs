//! The thread-pool executor: a rayon pool of `-j` threads pulling jobs biggest first.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Executor, Interrupted};
use crate::diag;
use crate::input::JobReader;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// Runs jobs on a pool of `threads` threads.
#[derive(Clone, Copy, Debug)]
pub struct Threads {
    threads: usize,
}

impl Threads {
    pub fn new(threads: usize) -> Threads {
        Threads {
            threads: threads.max(1),
        }
    }
}

impl Executor for Threads {
    fn name(&self) -> &'static str {
        "threads"
    }

    fn jobs(&self) -> usize {
        self.threads
    }

    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted> {
        let pool = match rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .thread_name(|i| format!("logcount-{i}"))
            .build()
        {
            Ok(pool) => pool,
            Err(e) => {
                diag::warn(format_args!(
                    "cannot start threads ({e}); counting serially"
                ));
                return super::Serial.run(plan, reducer, progress);
            }
        };
        // Each thread pulls the next job from a shared queue, biggest first, so a slow job
        // never waits behind a thread that has work queued.
        let order = plan.biggest_first();
        let next = AtomicUsize::new(0);
        let add = |n| progress.add(n);
        pool.scope(|scope| {
            for _ in 0..self.threads.min(order.len()) {
                scope.spawn(|_| {
                    let mut reader = JobReader::new(plan.read_mode);
                    while !reducer.stopped() {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&index) = order.get(i) else { break };
                        let job = &plan.jobs[index];
                        let input = &plan.inputs[job.input];
                        let fields = job.fields.clone();
                        let range = job.range.as_ref();
                        let result = reader.count(input, range, fields, &plan.options, &add);
                        reducer.job_done(index, result);
                    }
                });
            }
        });
        Ok(())
    }
}

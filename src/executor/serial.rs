//! The serial executor: one thread, jobs in order.

use super::{Executor, Interrupted};
use crate::input::JobReader;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::reduce::Reducer;

/// Runs every job on the calling thread, in plan order.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Serial;

impl Executor for Serial {
    fn name(&self) -> &'static str {
        "serial"
    }

    fn jobs(&self) -> usize {
        1
    }

    fn run(
        &self,
        plan: &Plan,
        reducer: &Reducer<'_>,
        progress: &Progress,
    ) -> Result<(), Interrupted> {
        let mut reader = JobReader::new(plan.read_mode);
        let add = |n| progress.add(n);
        for (index, job) in plan.jobs.iter().enumerate() {
            if reducer.stopped() {
                break;
            }
            let input = &plan.inputs[job.input];
            let fields = job.fields.clone();
            let counted = reader.count(
                input,
                job.range.as_ref(),
                fields,
                reducer.shared_keys(index),
                &plan.options,
                &add,
            );
            reducer.job_done(index, counted);
        }
        Ok(())
    }
}

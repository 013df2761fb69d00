//! The serial executor: one thread, jobs in order.

use super::{Executor, JobResult};
use crate::input::{self, READ_BUF};
use crate::plan::Plan;

/// Runs every job on the calling thread, in plan order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Executor for Serial {
    fn name(&self) -> &'static str {
        "serial"
    }

    fn jobs(&self) -> usize {
        1
    }

    fn run(&self, plan: &Plan, done: &mut dyn FnMut(usize, JobResult)) {
        let mut buf = vec![0u8; READ_BUF];
        for (index, job) in plan.jobs.iter().enumerate() {
            done(index, input::count_input(&plan.inputs[job.input], &mut buf));
        }
    }
}

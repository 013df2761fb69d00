//! The process pool's bookkeeping, apart from pipes and processes: which jobs wait, which jobs
//! each worker holds, and what a worker's death costs. It does no I/O, so every state a worker
//! can die in is a unit test here; the pool (`pool/`) acts on what it decides.
//!
//! A job leaves the queue in a batch; a worker answers its jobs in the order sent. When a worker
//! dies, the first job it had not answered is the one it was counting: that job is charged (run
//! again alone on a fresh worker the first time, that input's error the second), and the jobs it
//! had not started go back to the front of the queue, uncharged, in their order.

use std::collections::VecDeque;

/// A batch is closed once it holds this many bytes of jobs (less for small runs, see
/// [`batch_bytes`])...
const BATCH_BYTES: u64 = 8 << 20;
/// ...but never fewer than this, or per-message costs would show...
const MIN_BATCH_BYTES: u64 = 256 << 10;
/// ...or once it holds this many jobs.
const BATCH_JOBS: usize = 64;
/// Batches a worker may have in flight: the one it counts and the next.
const BATCHES_IN_FLIGHT: usize = 2;

/// The batch budget for `total` bytes of jobs on `workers` workers: small enough that every
/// worker gets several batches (so a small run still spreads over the workers and ends
/// evenly), large enough that each message carries real work.
fn batch_bytes(total: u64, workers: usize) -> u64 {
    (total / (4 * workers.max(1) as u64)).clamp(MIN_BATCH_BYTES, BATCH_BYTES)
}

/// The jobs of a run, as the pool hands them out.
#[derive(Debug)]
pub(super) struct Schedule {
    /// Jobs not yet sent, in the order to send them.
    queue: VecDeque<usize>,
    /// Each job's planned bytes; `u64::MAX` for a stream that may never end (it goes alone).
    job_bytes: Vec<u64>,
    /// Times each job was charged for a worker's death.
    attempts: Vec<u8>,
    /// Why its first worker died, for the message if its second dies too.
    first_failure: Vec<Option<String>>,
    /// Jobs not yet resolved (answered, or failed).
    unresolved: usize,
    batch_bytes: u64,
}

/// What one worker holds.
#[derive(Debug, Default)]
pub(super) struct Held {
    /// Jobs sent and not answered, in the order sent (and answered).
    in_flight: VecDeque<usize>,
    /// Jobs per batch in flight.
    batches: VecDeque<usize>,
    /// It was started for a retried job, which runs alone.
    pub(crate) retrying: bool,
}

/// What a worker's death costs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Death {
    /// It was counting nothing.
    Nothing,
    /// Run this job again, alone, on a fresh worker (`why` the first worker died).
    Retry { job: usize, why: String },
    /// This job failed on two workers: it is its input's error.
    Failed { job: usize, error: String },
}

impl Held {
    /// Records a batch sent to this worker.
    pub(crate) fn sent(&mut self, batch: &[usize]) {
        self.in_flight.extend(batch);
        self.batches.push_back(batch.len());
    }

    /// Takes the answer to `job`; false when the worker was not counting it next (it answers
    /// in order, so anything else means it cannot be trusted).
    pub(crate) fn answered(&mut self, job: usize) -> bool {
        if self.in_flight.front() != Some(&job) {
            return false;
        }
        self.in_flight.pop_front();
        if let Some(n) = self.batches.front_mut() {
            *n -= 1;
            if *n == 0 {
                self.batches.pop_front();
            }
        }
        self.retrying = false;
        true
    }

    /// Whether it holds no job.
    pub(crate) fn idle(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// The jobs it holds, for failing them all.
    pub(crate) fn into_jobs(self) -> VecDeque<usize> {
        self.in_flight
    }
}

impl Schedule {
    /// A schedule for `order` (the jobs to run, in order) of a plan whose jobs weigh
    /// `job_bytes`, on `workers` workers.
    pub(crate) fn new(order: VecDeque<usize>, job_bytes: Vec<u64>, workers: usize) -> Schedule {
        // A stream that may never end goes alone; it does not size everyone else's batches.
        let total = order
            .iter()
            .map(|&j| job_bytes[j])
            .filter(|&b| b != u64::MAX)
            .fold(0u64, u64::saturating_add);
        Schedule {
            unresolved: order.len(),
            attempts: vec![0; job_bytes.len()],
            first_failure: vec![None; job_bytes.len()],
            batch_bytes: batch_bytes(total, workers),
            queue: order,
            job_bytes,
        }
    }

    /// Jobs not yet resolved.
    pub(crate) fn unresolved(&self) -> usize {
        self.unresolved
    }

    /// Marks a job resolved.
    pub(crate) fn resolved(&mut self) {
        self.unresolved -= 1;
    }

    /// Whether any job waits to be sent.
    pub(crate) fn has_queued(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Takes every queued job out (to fail them).
    pub(crate) fn drain_queue(&mut self) -> Vec<usize> {
        self.queue.drain(..).collect()
    }

    /// How many times `job` was charged so far (0 on its first run).
    pub(crate) fn attempt(&self, job: usize) -> u8 {
        self.attempts[job]
    }

    /// The next batch from the queue: at least one job (none when the queue is empty), then
    /// more while under budget.
    pub(crate) fn take_batch(&mut self) -> Vec<usize> {
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        while let Some(&job) = self.queue.front() {
            let size = self.job_bytes[job];
            let full = bytes.saturating_add(size) > self.batch_bytes || batch.len() == BATCH_JOBS;
            if !batch.is_empty() && full {
                break;
            }
            batch.push(job);
            bytes = bytes.saturating_add(size);
            self.queue.pop_front();
        }
        batch
    }

    /// The next batch for a worker holding `held`, while `open` workers take work: none for a
    /// worker retrying a job (it runs alone) or with [`BATCHES_IN_FLIGHT`] batches; a second
    /// batch only while there is work for every worker (at the end of the queue, a job waiting
    /// behind another on a busy worker would leave another worker idle).
    pub(crate) fn next_batch_for(&mut self, held: &Held, open: usize) -> Option<Vec<usize>> {
        if held.retrying || held.batches.len() >= BATCHES_IN_FLIGHT {
            return None;
        }
        if !held.batches.is_empty() && self.queue.len() < open {
            return None;
        }
        Some(self.take_batch()).filter(|b| !b.is_empty())
    }

    /// A worker holding `held` ended before it started any of them (it could not start): they
    /// all go back to the front of the queue, in order, and nothing is charged.
    pub(crate) fn returned(&mut self, held: Held) {
        for &job in held.in_flight.iter().rev() {
            self.queue.push_front(job);
        }
    }

    /// A worker holding `held` is gone: the jobs it had not started go back to the front of
    /// the queue, in order; the job it was counting or answering, if any, is returned. Alone,
    /// for a reason a retry would meet again (its answer outgrew the memory there is to read
    /// it): that job is then its input's error.
    pub(crate) fn gave_up(&mut self, mut held: Held) -> Option<usize> {
        let culprit = held.in_flight.pop_front();
        for &job in held.in_flight.iter().rev() {
            self.queue.push_front(job);
        }
        culprit
    }

    /// A worker holding `held` died (`why`): the jobs it had not started go back to the front
    /// of the queue, in order, and the job it was counting is charged.
    pub(crate) fn died(&mut self, held: Held, why: String) -> Death {
        let Some(job) = self.gave_up(held) else {
            return Death::Nothing;
        };
        self.attempts[job] += 1;
        if self.attempts[job] >= 2 {
            let first = self.first_failure[job].take().unwrap_or_default();
            return Death::Failed {
                job,
                error: format!("a worker failed twice on this input ({first}; then {why})"),
            };
        }
        self.first_failure[job] = Some(why.clone());
        Death::Retry { job, why }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten jobs of 1 MiB and a stream (job 10, it may never end), on two workers.
    fn schedule() -> Schedule {
        let mut bytes = vec![1 << 20; 10];
        bytes.push(u64::MAX);
        Schedule::new((0..11).collect(), bytes, 2)
    }

    #[test]
    fn batches_shrink_for_small_runs_within_bounds() {
        assert_eq!(batch_bytes(0, 4), MIN_BATCH_BYTES);
        assert_eq!(batch_bytes(16 << 20, 2), 2 << 20);
        assert_eq!(batch_bytes(1 << 40, 2), BATCH_BYTES);
    }

    #[test]
    fn batches_keep_to_their_budget_and_a_stream_goes_alone() {
        let mut s = schedule();
        // 10 MiB on 2 workers: a budget of 1.25 MiB, so one 1 MiB job a batch.
        assert_eq!(s.take_batch(), [0]);
        let mut many = Schedule::new((0..100).collect(), vec![1; 100], 1);
        assert_eq!(many.take_batch().len(), BATCH_JOBS);
        let mut stream = Schedule::new([5, 1, 2].into(), vec![1, 1, 1, 1, 1, u64::MAX], 1);
        assert_eq!(stream.take_batch(), [5]);
        assert_eq!(stream.take_batch(), [1, 2]);
        assert!(stream.take_batch().is_empty());
    }

    #[test]
    fn a_second_batch_only_while_every_worker_has_work() {
        let mut s = schedule();
        let mut held = Held::default();
        let first = s.next_batch_for(&held, 2).unwrap();
        held.sent(&first);
        let second = s.next_batch_for(&held, 2).unwrap();
        held.sent(&second);
        assert_eq!(s.next_batch_for(&held, 2), None, "two batches at most");
        assert!(held.answered(first[0]));
        // Nine jobs queued for two workers: a second batch is fine.
        assert!(s.next_batch_for(&held, 2).is_some());
        let mut end = Schedule::new([0].into(), vec![1, 1], 2);
        let mut busy = Held::default();
        busy.sent(&[1]);
        assert_eq!(
            end.next_batch_for(&busy, 2),
            None,
            "the last job waits for an idle worker"
        );
        let retrying = Held {
            retrying: true,
            ..Held::default()
        };
        assert_eq!(end.next_batch_for(&retrying, 1), None, "a retry runs alone");
    }

    #[test]
    fn answers_come_in_the_order_sent_or_not_at_all() {
        let mut held = Held::default();
        held.sent(&[3, 4]);
        assert!(!held.answered(4));
        assert!(held.answered(3));
        assert!(held.answered(4));
        assert!(held.idle());
        assert!(!held.answered(4));
    }

    #[test]
    fn a_worker_dying_idle_costs_nothing() {
        let mut s = schedule();
        assert_eq!(s.died(Held::default(), "gone".into()), Death::Nothing);
        let mut held = Held::default();
        held.sent(&[0]);
        assert!(held.answered(0));
        assert_eq!(s.died(held, "gone".into()), Death::Nothing);
        assert_eq!(s.attempt(0), 0);
    }

    #[test]
    fn a_worker_dying_on_its_first_job_retries_it_and_requeues_the_rest_in_order() {
        let mut s = schedule();
        let mut held = Held::default();
        let first = s.take_batch();
        let second = s.take_batch();
        assert_eq!((&first[..], &second[..]), (&[0][..], &[1][..]));
        held.sent(&first);
        held.sent(&second);
        let death = s.died(held, "worker 7 was killed by SIGKILL".into());
        assert_eq!(
            death,
            Death::Retry {
                job: 0,
                why: "worker 7 was killed by SIGKILL".into()
            }
        );
        assert_eq!(s.attempt(0), 1);
        assert_eq!(s.attempt(1), 0, "a job not started is not charged");
        // Job 1 is first in the queue again, before the ones never sent.
        let mut order = Vec::new();
        while s.has_queued() {
            order.extend(s.take_batch());
        }
        assert_eq!(order, (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_worker_dying_after_some_answers_charges_the_first_unanswered_job() {
        let mut s = schedule();
        let mut held = Held::default();
        held.sent(&[0, 1, 2]);
        assert!(held.answered(0));
        let death = s.died(held, "why".into());
        assert_eq!(
            death,
            Death::Retry {
                job: 1,
                why: "why".into()
            }
        );
    }

    #[test]
    fn a_job_whose_retry_dies_too_is_its_inputs_error() {
        let mut s = schedule();
        let mut held = Held::default();
        held.sent(&[4]);
        assert!(matches!(
            s.died(held, "first death".into()),
            Death::Retry { job: 4, .. }
        ));
        let mut retry = Held {
            retrying: true,
            ..Held::default()
        };
        retry.sent(&[4]);
        assert_eq!(
            s.died(retry, "second death".into()),
            Death::Failed {
                job: 4,
                error: "a worker failed twice on this input (first death; then second death)"
                    .into()
            }
        );
    }

    #[test]
    fn unresolved_counts_down_to_the_end() {
        let mut s = Schedule::new([0, 1].into(), vec![1, 1], 1);
        assert_eq!(s.unresolved(), 2);
        s.resolved();
        s.resolved();
        assert_eq!(s.unresolved(), 0);
        assert_eq!(s.drain_queue(), [0, 1]);
        assert!(!s.has_queued());
    }
}

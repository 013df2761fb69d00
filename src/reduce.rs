//! Reduce: job outcomes become per-file results and the summary.
//!
//! A file's result is the merge of its jobs' counts; the summary's `ip` is the size of the union
//! of every file's keys (not the sum of per-file counts). A file with any failed job is reported
//! as an error and contributes nothing: never half-counted.
//!
//! The union is built in parallel, never on one thread at the end: keys are split into shards
//! by a fixed hash ([`crate::keys::Split`]), each shard is its own set behind its own lock,
//! and whichever thread finishes a job merges that job's keys into the shards right away. The
//! jobs of a file cut into several, counted in this process, send their dotted quads to their
//! file's shards as they count ([`Reducer::shared_keys`]) instead of keeping a set each. The
//! [`Reducer`] is `Sync`, so executors call [`Reducer::job_done`] from any thread.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rayon::prelude::*;

use crate::count::{Counts, Detail, Hits, Shown, Top};
use crate::format::{Format, Query};
use crate::input::{display_bytes, InputError, JobError, Skipped};
use crate::keys::{shard_of, Key, KeySet, Split, StoredKeys, V4Shards, SHARD_BITS};
use crate::plan::{named_not_a_log, Plan};
use crate::report::{Extra, FileStats, MalformedLine, PeriodStats, Results, TopClient};

pub(crate) use crate::input::JobResult;

thread_local! {
    static PARALLEL_MERGES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Lets this thread's merges of key sets run on rayon's global pool: the threads executor's
/// workers, which are plain threads (a pool's work stealing costs too much at `-j 2048`), ask
/// for it, as rayon's own threads have it.
pub(crate) fn merge_in_parallel() {
    PARALLEL_MERGES.with(|p| p.set(true));
}

/// Whether merges on this thread may run in parallel.
fn merges_in_parallel() -> bool {
    rayon::current_thread_index().is_some() || PARALLEL_MERGES.with(std::cell::Cell::get)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a set half-updated in a way that matters here.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A key set split into shards that threads can fill at the same time.
#[derive(Debug)]
pub(crate) struct ShardedKeySet {
    shards: Box<[Mutex<KeySet>]>,
    /// A batch sent by a counting job did not all fit ([`V4Shards::lost`]).
    lost: AtomicBool,
}

impl Default for ShardedKeySet {
    fn default() -> Self {
        ShardedKeySet {
            shards: (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect(),
            lost: AtomicBool::new(false),
        }
    }
}

/// Keys moved into a shard at a time by [`ShardedKeySet::absorb`]: enough that a lock is
/// taken rarely, few enough that the batches cost nothing beside the set they come from.
const ABSORB_BATCH: usize = 4096;

impl ShardedKeySet {
    /// Adds every key of `keys`, moving them in batches (never a second copy of the set).
    pub(crate) fn absorb(&self, keys: KeySet) {
        if keys.out_of_memory() {
            lock(&self.shards[0]).merge(keys);
            return;
        }
        let whole = keys.into_batches(Split::Shards(SHARD_BITS), ABSORB_BATCH, |i, part| {
            lock(&self.shards[i]).extend(part)
        });
        if !whole {
            lock(&self.shards[0]).set_out_of_memory();
        }
    }

    /// Whether a shard could not get the memory to grow (its keys are not all there).
    pub(crate) fn out_of_memory(&self) -> bool {
        self.shards.iter().any(|s| lock(s).out_of_memory())
    }

    /// Moves every key of `self` into `other`: one shard per task, in parallel when called
    /// from a rayon pool or a thread that asked for it ([`merge_in_parallel`]). Otherwise (a
    /// process-pool parent, which must have no other thread when it forks) it merges on the
    /// calling thread instead of starting rayon's global pool.
    pub(crate) fn drain_into(&self, other: &ShardedKeySet) {
        let move_shard = |(from, to): (&Mutex<KeySet>, &Mutex<KeySet>)| {
            let keys = std::mem::take(&mut *lock(from));
            lock(to).merge(keys);
        };
        if merges_in_parallel() {
            self.shards
                .par_iter()
                .zip(other.shards.par_iter())
                .for_each(move_shard);
        } else {
            self.shards
                .iter()
                .zip(other.shards.iter())
                .for_each(move_shard);
        }
    }

    /// Takes every key out, as the shards' sets (disjoint).
    pub(crate) fn take_shards(&self) -> Vec<KeySet> {
        self.shards
            .iter()
            .map(|shard| std::mem::take(&mut *lock(shard)))
            .collect()
    }

    /// Drops every key.
    pub(crate) fn clear(&self) {
        for shard in self.shards.iter() {
            *lock(shard) = KeySet::default();
        }
    }

    /// Number of distinct keys (shards are disjoint).
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }
}

impl V4Shards for ShardedKeySet {
    fn insert_v4s(&self, shard: usize, v4s: &[u32]) {
        let mut keys = lock(&self.shards[shard]);
        keys.insert_v4s(v4s);
        if keys.out_of_memory() {
            self.lost.store(true, Ordering::Relaxed);
        }
    }

    fn lost(&self) -> Option<usize> {
        self.lost.load(Ordering::Relaxed).then(|| self.len())
    }
}

/// The first value offered, kept whole while it is the only one (a run of one file copies
/// nothing into shards).
#[derive(Debug)]
struct KeptFirst<T> {
    first: Mutex<Option<T>>,
    /// A value was kept once: later ones are handed back.
    kept_one: AtomicBool,
}

impl<T> Default for KeptFirst<T> {
    fn default() -> Self {
        KeptFirst {
            first: Mutex::new(None),
            kept_one: AtomicBool::new(false),
        }
    }
}

impl<T> KeptFirst<T> {
    /// Keeps `value` if it is the first offered; else hands it back, with the kept one the
    /// first time (taken out: from then on, everything goes elsewhere).
    fn offer(&self, value: T) -> Option<(Option<T>, T)> {
        let mut first = lock(&self.first);
        if !self.kept_one.swap(true, Ordering::Relaxed) {
            *first = Some(value);
            return None;
        }
        Some((first.take(), value))
    }

    /// The kept value, if it is still kept.
    fn get(&self) -> MutexGuard<'_, Option<T>> {
        lock(&self.first)
    }

    fn into_inner(self) -> Option<T> {
        self.first
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The union of every file's keys. The first whole file's set is kept as it came, until a
/// second one arrives (a run of one file, the usual big one, never holds its keys twice); then
/// both go into shards. Chunked files' shards go straight into the shards, and the union's
/// size is the kept set's plus the shards' keys it lacks.
#[derive(Debug, Default)]
struct Union {
    first: KeptFirst<KeySet>,
    rest: ShardedKeySet,
}

impl Union {
    fn absorb(&self, keys: KeySet) {
        if let Some((kept, keys)) = self.first.offer(keys) {
            if let Some(kept) = kept {
                self.rest.absorb(kept);
            }
            self.rest.absorb(keys);
        }
    }

    fn out_of_memory(&self) -> bool {
        self.first.get().as_ref().is_some_and(KeySet::out_of_memory) || self.rest.out_of_memory()
    }

    /// The number of distinct keys: one pass of lookups over the shards, in parallel where
    /// [`ShardedKeySet::drain_into`] is.
    fn len(&self) -> usize {
        let first = self.first.get();
        let Some(first) = first.as_ref() else {
            return self.rest.len();
        };
        let new = |shard: &Mutex<KeySet>| {
            let shard = lock(shard);
            shard
                .v4()
                .filter(|&v| !first.contains_key(Key::V4(v)))
                .count()
                + shard
                    .v6()
                    .filter(|&v| !first.contains_key(Key::V6(v)))
                    .count()
                + shard
                    .short()
                    .filter(|&p| !first.contains_key(Key::Short(p)))
                    .count()
                + shard
                    .long()
                    .filter(|k| !first.contains_key(Key::Long(k)))
                    .count()
        };
        let shards = &self.rest.shards;
        first.len()
            + if merges_in_parallel() {
                shards.par_iter().map(new).sum::<usize>()
            } else {
                shards.iter().map(new).sum::<usize>()
            }
    }
}

/// What became of one input, as a reducer that keeps keys tells it.
#[derive(Debug, Default)]
pub(crate) enum Kept {
    /// No job of the input ran (or not all of them).
    #[default]
    Pending,
    /// Counted: its figures, its keys as disjoint sets, and its periods and top counts.
    Counted(FileStats, Vec<KeySet>, Box<Detail>),
    Failed(String),
    Skipped(String),
}

/// What finishing a job can tell the caller.
#[derive(Debug)]
pub enum Event {
    /// Every job of a file has succeeded.
    File(FileStats),
    /// A file failed (reported once, at its first failed job).
    Error(InputError),
    /// A file met in a walk is not an access log.
    Skipped(Skipped),
}

/// What the time and top options add to the figures of a file (or of all files), as reported.
pub(crate) fn extra(query: &Query, filtered: u64, detail: &Detail) -> Extra {
    let periods = detail
        .periods
        .iter()
        .map(|(p, c)| (p, c.total, c.keys.len() as u64, c.malformed));
    extra_of(query, filtered, periods, |n| detail.hits.top(n))
}

/// [`extra`] of periods given as `(period, requests, distinct clients, malformed)` and a
/// maker of the top `n` clients.
fn extra_of(
    query: &Query,
    filtered: u64,
    periods: impl Iterator<Item = (i64, u64, u64, u64)>,
    top: impl FnOnce(usize) -> Vec<Top>,
) -> Extra {
    Extra {
        period: query.by,
        filtered: query.windowed().then_some(filtered),
        by: query.by.map(|by| {
            periods
                .map(|(period, total, ip, malformed)| PeriodStats {
                    period: by.label(period),
                    total,
                    ip,
                    malformed,
                })
                .collect()
        }),
        top: query.top.map(|n| {
            top(n)
                .into_iter()
                .map(|t| TopClient {
                    client: display_bytes(&t.client),
                    requests: t.requests,
                })
                .collect()
        }),
    }
}

/// One period of the summary: requests and malformed lines summed, clients united as the
/// summary's are (a [`Union`]: the first file's set kept whole, later ones in shards, so that
/// files finishing on different threads add theirs at once, and a run of one file copies none).
#[derive(Debug, Default)]
struct PeriodUnion {
    total: AtomicU64,
    malformed: AtomicU64,
    keys: Union,
}

/// The summary's periods and requests per client, built from every counted file's as it
/// completes: each period's clients and the requests per client are sharded by a fixed hash
/// of the client, never merged on one thread or under one lock. As in [`Union`], the first
/// file's requests per client are kept whole until a second file's come (a run of one file
/// copies none).
#[derive(Debug)]
struct SummaryDetail {
    periods: Mutex<std::collections::BTreeMap<i64, Arc<PeriodUnion>>>,
    /// The first file's requests per client, while it is the only one.
    first_hits: KeptFirst<Hits>,
    hits: Box<[Mutex<Hits>]>,
}

impl Default for SummaryDetail {
    fn default() -> Self {
        SummaryDetail {
            periods: Mutex::default(),
            first_hits: KeptFirst::default(),
            hits: (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl SummaryDetail {
    fn absorb(&self, detail: Detail) {
        for (period, counts) in detail.periods {
            let union = Arc::clone(lock(&self.periods).entry(period).or_default());
            union.total.fetch_add(counts.total, Ordering::Relaxed);
            union
                .malformed
                .fetch_add(counts.malformed, Ordering::Relaxed);
            union.keys.absorb(counts.keys);
        }
        if detail.hits.is_empty() && !detail.hits.out_of_memory() {
            return;
        }
        if let Some((kept, hits)) = self.first_hits.offer(detail.hits) {
            if let Some(kept) = kept {
                self.route(kept);
            }
            self.route(hits);
        }
    }

    /// Adds `hits` to the shards.
    fn route(&self, hits: Hits) {
        if hits.out_of_memory() {
            lock(&self.hits[0]).merge(Hits::lost());
        }
        // Routed first (no hashing into maps but the shards' own), then one lock per shard.
        let mut parts: Vec<Vec<(Key<'_>, u64)>> = vec![Vec::new(); self.hits.len()];
        let mut routed = true;
        hits.each(|key, n| {
            let part = &mut parts[shard_of(key, SHARD_BITS)];
            // The lists take as much again as the clients: without that memory, no abort
            // (issue 27) but a pass over the clients per shard, holding nothing more.
            routed = routed && crate::keys::try_push(part, (key, n));
        });
        if !routed {
            drop(parts);
            for (i, shard) in self.hits.iter().enumerate() {
                let mut shard = lock(shard);
                hits.each(|key, n| {
                    if shard_of(key, SHARD_BITS) == i {
                        shard.add_key(key, n);
                    }
                });
            }
            return;
        }
        for (shard, part) in self.hits.iter().zip(parts) {
            if !part.is_empty() {
                lock(shard).add_list(part);
            }
        }
    }

    /// The distinct clients of the requests per client (the kept file's, or the shards', which
    /// are disjoint).
    fn clients(&self) -> usize {
        self.first_hits.get().as_ref().map_or(0, Hits::len)
            + self.hits.iter().map(|h| lock(h).len()).sum::<usize>()
    }

    /// What the summary reports of them, and whether some part lost clients to a lack of
    /// memory.
    fn finish(self, query: &Query) -> (Extra, bool) {
        let periods = self
            .periods
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let first = self.first_hits.into_inner();
        let hits: Vec<Hits> = self
            .hits
            .into_vec()
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
            .chain(first)
            .collect();
        let lost = periods.values().any(|u| u.keys.out_of_memory())
            || hits.iter().any(Hits::out_of_memory);
        let stats = periods.iter().map(|(&p, u)| {
            (
                p,
                u.total.load(Ordering::Relaxed),
                u.keys.len() as u64,
                u.malformed.load(Ordering::Relaxed),
            )
        });
        // The shards, or the one file kept whole, hold disjoint clients: the top of all is the
        // top of their tops.
        let top = |n: usize| {
            let mut all: Vec<Top> = hits.iter().flat_map(|h| h.top(n)).collect();
            all.sort_unstable_by(|a, b| b.requests.cmp(&a.requests).then(a.client.cmp(&b.client)));
            all.truncate(n);
            all
        };
        (extra_of(query, 0, stats, top), lost)
    }
}

#[derive(Debug, Default)]
struct FileState {
    remaining: usize,
    failed: bool,
    total: u64,
    malformed: u64,
    bytes: u64,
    format: Option<Format>,
    filtered: u64,
    detail: Detail,
    /// Each job's first malformed lines (`--show-malformed`), by job, as they arrive.
    shown: Vec<(usize, Shown)>,
}

type OnEvent<'a> = Box<dyn FnMut(&Event) -> ControlFlow<()> + Send + 'a>;

/// Collects job results as they arrive, from any thread, in any order.
pub struct Reducer<'a> {
    plan: &'a Plan,
    files: Vec<Mutex<FileState>>,
    /// Keys of files cut into several jobs, gathered until the file is complete (a file that
    /// fails must not leave keys in the union); jobs counted in this process send their
    /// dotted quads here as they count ([`Reducer::shared_keys`]).
    chunked_keys: Vec<Option<Arc<ShardedKeySet>>>,
    union: Union,
    /// The summary's periods and requests per client (under `--by`, `--top`).
    detail: SummaryDetail,
    results: Mutex<Results>,
    on_event: Mutex<OnEvent<'a>>,
    /// Set by [`Reducer::keeping_keys`]: what became of each input, its keys (as disjoint
    /// sets) kept instead of added to the union.
    kept: Option<Vec<Mutex<Kept>>>,
    /// The results are no longer wanted (see [`Reducer::stopped`]).
    stopped: AtomicBool,
}

impl<'a> Reducer<'a> {
    /// A reducer for `plan` that tells `on_event` about each file as it completes; once
    /// `on_event` breaks (its output went away), the run is [`Reducer::stopped`].
    pub(crate) fn new(
        plan: &'a Plan,
        on_event: impl FnMut(&Event) -> ControlFlow<()> + Send + 'a,
    ) -> Reducer<'a> {
        let mut files: Vec<FileState> = plan.inputs.iter().map(|_| FileState::default()).collect();
        for job in &plan.jobs {
            files[job.input].remaining += 1;
        }
        let chunked_keys = files
            .iter()
            .map(|f| (f.remaining > 1).then(Arc::default))
            .collect();
        Reducer {
            plan,
            files: files.into_iter().map(Mutex::new).collect(),
            chunked_keys,
            union: Union::default(),
            detail: SummaryDetail::default(),
            results: Mutex::new(Results {
                errors: plan.errors.clone(),
                skipped: plan.skipped.clone(),
                ..Results::default()
            }),
            on_event: Mutex::new(Box::new(on_event)),
            kept: None,
            stopped: AtomicBool::new(false),
        }
    }

    /// A reducer that keeps each counted file's keys rather than building the union, for
    /// results that are merged elsewhere (partial results: [`crate::partial`]).
    pub(crate) fn keeping_keys(
        plan: &'a Plan,
        on_event: impl FnMut(&Event) -> ControlFlow<()> + Send + 'a,
    ) -> Reducer<'a> {
        let mut reducer = Reducer::new(plan, on_event);
        reducer.kept = Some(plan.inputs.iter().map(|_| Mutex::default()).collect());
        reducer
    }

    /// The set a job counted in this process sends its dotted quads to as it counts, shared
    /// with the other jobs of its file: one insert per request, where a set of the job's own
    /// took nearly every client of the file and the file's set took them all again
    /// (docs/performance.md). Only for a file cut into several jobs: a whole file's set is
    /// already its own. Its keys count only once the file's every job is in, and never if one
    /// fails.
    pub(crate) fn shared_keys(&self, job: usize) -> Option<Arc<dyn V4Shards>> {
        let keys = self.chunked_keys[self.plan.jobs[job].input].as_ref()?;
        Some(keys.clone())
    }

    /// Records one job's result.
    pub(crate) fn job_done(&self, job: usize, result: JobResult) {
        let input = self.plan.jobs[job].input;
        let name = &self.plan.inputs[input].name;
        let (mut counts, bytes) = match result {
            Ok(ok) => ok,
            Err(e) => {
                let mut file = lock(&self.files[input]);
                file.remaining -= 1;
                let again = std::mem::replace(&mut file.failed, true);
                let last = file.remaining == 0;
                drop(file);
                if let Some(keys) = &self.chunked_keys[input] {
                    // Jobs still counting may send keys after this: the last job drops them.
                    if !again || last {
                        keys.clear();
                    }
                }
                if again {
                    return;
                }
                let event = match e {
                    JobError::NotAccessLog(reason) if !self.plan.inputs[input].named => {
                        Event::Skipped(Skipped::new(name.clone(), reason))
                    }
                    JobError::NotAccessLog(reason) => {
                        Event::Error(InputError::new(name.clone(), named_not_a_log(&reason)))
                    }
                    JobError::Io(e) => Event::Error(InputError::new(name.clone(), e)),
                };
                if let Some(kept) = &self.kept {
                    *lock(&kept[input]) = match &event {
                        Event::Skipped(s) => Kept::Skipped(s.reason.clone()),
                        Event::Error(e) => Kept::Failed(e.error.clone()),
                        Event::File(_) => unreachable!("an error"),
                    };
                }
                self.emit(event);
                return;
            }
        };
        let query = &self.plan.options.query;
        let show = self.plan.options.show_malformed;
        // Whether the keys are needed as a set: not when the file's and the summary's clients
        // are counted from the requests per client (unless the keys are kept for a partial
        // result).
        let keys_in_hits = self.kept.is_none() && query.clients_in_hits();
        // (Counted before the keys are taken out: a whole file's is its result's `ip`.)
        let ip = counts.clients(query);
        let keys = match keys_in_hits {
            true => KeySet::default(),
            false => counts.take_keys(query),
        };
        let Some(file_keys) = &self.chunked_keys[input] else {
            // The file's only job: its result is complete.
            let mut detail = *counts.detail;
            let shown = std::mem::take(&mut detail.shown);
            let stats = FileStats {
                path: name.clone(),
                total: counts.total,
                ip,
                bytes,
                malformed: counts.malformed,
                format: counts.format,
                extra: extra(query, counts.filtered, &detail),
                malformed_lines: MalformedLine::list(shown, show),
            };
            match &self.kept {
                Some(kept) => {
                    *lock(&kept[input]) =
                        Kept::Counted(stats.clone(), vec![keys], Box::new(detail));
                }
                None => {
                    if !keys_in_hits {
                        self.union.absorb(keys);
                    }
                    self.detail.absorb(detail);
                }
            }
            self.emit(Event::File(stats));
            return;
        };
        {
            let mut file = lock(&self.files[input]);
            if file.failed {
                file.remaining -= 1;
                if file.remaining == 0 {
                    file_keys.clear();
                }
                return;
            }
        }
        let Counts {
            total,
            malformed,
            format,
            filtered,
            mut detail,
            ..
        } = counts;
        let shown = std::mem::take(&mut detail.shown);
        // Under `--top` alone the file's clients are those of its requests per client, merged
        // below anyway.
        if !keys_in_hits {
            file_keys.absorb(keys);
        }
        let mut file = lock(&self.files[input]);
        file.remaining -= 1;
        file.total += total;
        file.malformed += malformed;
        file.bytes += bytes;
        file.format = file.format.or(format);
        file.filtered += filtered;
        file.detail.merge(*detail);
        if show > 0 {
            file.shown.push((job, shown));
        }
        if file.remaining > 0 || file.failed {
            return;
        }
        let (clients, lost) = match keys_in_hits {
            true => (file.detail.hits.len(), file.detail.hits.out_of_memory()),
            false => (file_keys.len(), file_keys.out_of_memory()),
        };
        if lost {
            file.failed = true;
            drop(file);
            file_keys.clear();
            let error = InputError::new(name.clone(), crate::input::out_of_memory(clients));
            if let Some(kept) = &self.kept {
                *lock(&kept[input]) = Kept::Failed(error.error.clone());
            }
            self.emit(Event::Error(error));
            return;
        }
        let (total, malformed, bytes, format) =
            (file.total, file.malformed, file.bytes, file.format);
        let detail = std::mem::take(&mut file.detail);
        // The jobs of a file are planned in file order: joined in that order, their lines
        // are numbered from the file's first.
        let mut jobs = std::mem::take(&mut file.shown);
        jobs.sort_unstable_by_key(|(job, _)| *job);
        let shown = jobs
            .into_iter()
            .fold(Shown::default(), |mut all, (_, next)| {
                all.append(next, show);
                all
            });
        let stats = FileStats {
            path: name.clone(),
            total,
            ip: clients as u64,
            bytes,
            malformed,
            format,
            extra: extra(query, file.filtered, &detail),
            malformed_lines: MalformedLine::list(shown, show),
        };
        drop(file);
        match &self.kept {
            Some(kept) => {
                *lock(&kept[input]) =
                    Kept::Counted(stats.clone(), file_keys.take_shards(), Box::new(detail));
            }
            None => {
                if !keys_in_hits {
                    file_keys.drain_into(&self.union.rest);
                }
                self.detail.absorb(detail);
            }
        }
        self.emit(Event::File(stats));
    }

    fn emit(&self, event: Event) {
        let mut results = lock(&self.results);
        match &event {
            Event::File(f) => results.files.push(f.clone()),
            Event::Error(e) => results.errors.push(e.clone()),
            Event::Skipped(s) => results.skipped.push(s.clone()),
        }
        drop(results);
        if self.stopped() {
            return;
        }
        if (lock(&self.on_event))(&event).is_break() {
            self.stopped.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the results are no longer wanted (the listener's output went away, e.g. a
    /// closed pipe): executors start no new job, and the events of jobs still running are not
    /// passed on.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// What the run found: per-file results, errors and skipped inputs (each sorted by path),
    /// and the union's size.
    pub(crate) fn finish(self) -> Results {
        let mut results = self
            .results
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        results.files.sort_by(|a, b| a.path.cmp(&b.path));
        results.errors.sort_by(|a, b| a.path.cmp(&b.path));
        results.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let query = &self.plan.options.query;
        results.union_ip = match query.clients_in_hits() {
            true => self.detail.clients(),
            false => self.union.len(),
        } as u64;
        let (extra, lost) = self.detail.finish(query);
        results.extra = extra;
        if self.union.out_of_memory() || lost {
            results.union_error = Some(format!(
                "out of memory: the distinct clients of all files together outgrew the memory \
                 available ({} held); the per-file counts are right, but no summary can be",
                results.union_ip
            ));
        }
        results
    }

    /// What became of each input (by input index), for a reducer made by
    /// [`Reducer::keeping_keys`].
    pub(crate) fn finish_keeping_keys(mut self) -> Vec<Kept> {
        self.kept
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|k| k.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::count;
    use crate::input::Input;
    use crate::plan::Job;

    /// A plan of `files` inputs (`f0`, `f1`, ...), file `i` cut into `jobs[i]` jobs.
    fn plan(jobs: &[usize]) -> Plan {
        let inputs = (0..jobs.len())
            .map(|i| Input::file(format!("f{i}"), Some(100)))
            .collect();
        let jobs = jobs
            .iter()
            .enumerate()
            .flat_map(|(input, &n)| {
                (0..n as u64).map(move |k| Job {
                    input,
                    range: (n > 1).then(|| k * 10..(k + 1) * 10),
                    fields: None,
                })
            })
            .collect();
        Plan {
            inputs,
            jobs,
            ..Plan::default()
        }
    }

    fn ok(text: &[u8]) -> JobResult {
        Ok((count(text), text.len() as u64))
    }

    /// Job `job` of `r`'s plan counting `text` as the threads executor does, its dotted quads
    /// sent to the set its file's jobs share.
    fn sending(r: &Reducer<'_>, job: usize, text: &[u8]) -> JobResult {
        let mut counter = crate::count::Counter::classic();
        if let Some(shared) = r.shared_keys(job) {
            counter = counter.sending_v4_to(crate::keys::ShardWriter::new(shared));
        }
        counter.feed(text);
        Ok((counter.finish(), text.len() as u64))
    }

    fn failed() -> JobResult {
        Err(std::io::Error::other("shrank").into())
    }

    fn not_a_log() -> JobResult {
        Err(JobError::NotAccessLog(
            "not an access log (0 of 3 ...)".into(),
        ))
    }

    /// Every event, as `file PATH TOTAL IP` or `error PATH`.
    fn events(plan: &Plan, feed: impl FnOnce(&Reducer<'_>)) -> (Vec<String>, u64) {
        let seen = Mutex::new(Vec::new());
        let reducer = Reducer::new(plan, |e| {
            lock(&seen).push(match e {
                Event::File(f) => format!("file {} {} {}", f.path, f.total, f.ip),
                Event::Error(e) => format!("error {}", e.path),
                Event::Skipped(s) => format!("skipped {}", s.path),
            });
            ControlFlow::Continue(())
        });
        feed(&reducer);
        let union = reducer.finish().union_ip;
        (seen.into_inner().unwrap(), union)
    }

    #[test]
    fn a_whole_file_is_reported_at_once_and_joins_the_union() {
        let p = plan(&[1, 1]);
        let (seen, union) = events(&p, |r| {
            r.job_done(1, ok(b"1.1.1.1 a\n2.2.2.2 b\n"));
            r.job_done(0, ok(b"1.1.1.1 a\n"));
        });
        assert_eq!(seen, ["file f1 2 2", "file f0 1 1"]);
        assert_eq!(union, 2, "the union, not the sum");
    }

    #[test]
    fn jobs_sending_to_their_files_shared_set_count_each_client_once() {
        let p = plan(&[3, 1]);
        assert!(Reducer::new(&p, |_| ControlFlow::Continue(()))
            .shared_keys(3)
            .is_none());
        let (seen, union) = events(&p, |r| {
            let first = sending(r, 0, b"1.1.1.1 a\n2.2.2.2 b\nname c\n");
            // Sent as counted: the job's own set keeps only what is not a dotted quad.
            assert_eq!(first.as_ref().unwrap().0.ip(), 1);
            r.job_done(0, first);
            r.job_done(2, sending(r, 2, b"2.2.2.2 b\n3.3.3.3 c\nname d\n"));
            r.job_done(3, ok(b"3.3.3.3 c\n"));
            r.job_done(1, sending(r, 1, b"1.1.1.1 a\nname c\n"));
        });
        assert_eq!(seen, ["file f1 1 1", "file f0 8 4"]);
        assert_eq!(union, 4);
    }

    #[test]
    fn keys_sent_by_the_jobs_of_a_failed_file_never_count() {
        let p = plan(&[3, 1]);
        let (seen, union) = events(&p, |r| {
            let sent = sending(r, 0, b"1.1.1.1 a\n");
            r.job_done(1, failed());
            r.job_done(0, sent);
            // Counted on after its file failed: its keys are dropped with the rest.
            r.job_done(2, sending(r, 2, b"2.2.2.2 a\n"));
            assert_eq!(r.chunked_keys[0].as_ref().unwrap().len(), 0);
            r.job_done(3, ok(b"3.3.3.3 c\n"));
        });
        assert_eq!(seen, ["error f0", "file f1 1 1"]);
        assert_eq!(union, 1);
    }

    #[test]
    fn a_chunked_file_is_reported_once_all_its_jobs_are_in_any_order() {
        let p = plan(&[3]);
        let (seen, union) = events(&p, |r| {
            r.job_done(2, ok(b"3.3.3.3 c\n"));
            r.job_done(0, ok(b"1.1.1.1 a\n3.3.3.3 c\n"));
            r.job_done(1, ok(b"2.2.2.2 b\n"));
        });
        assert_eq!(seen, ["file f0 4 3"]);
        assert_eq!(union, 3);
    }

    #[test]
    fn under_top_alone_the_summary_counts_the_clients_of_its_requests_per_client() {
        let mut p = plan(&[1, 2, 1]);
        p.options.query.top = Some(2);
        let options = p.options.clone();
        let reducer = Reducer::new(&p, |_| ControlFlow::Continue(()));
        let combined = |text: &[u8]| -> JobResult {
            let counts = crate::count::count_as(
                text,
                Format::plain(crate::format::Body::Combined),
                &options,
            );
            Ok((counts, text.len() as u64))
        };
        let line = |ip: &str| {
            format!("{ip} - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n")
        };
        reducer.job_done(
            0,
            combined(format!("{}{}", line("1.1.1.1"), line("2001:db8::1")).as_bytes()),
        );
        reducer.job_done(2, combined(line("1.1.1.1").as_bytes()));
        reducer.job_done(1, combined(line("3.3.3.3").repeat(3).as_bytes()));
        reducer.job_done(3, failed());
        let results = reducer.finish();
        let ips: Vec<u64> = results.files.iter().map(|f| f.ip).collect();
        assert_eq!(ips, [2, 2], "f0, then f1 (two jobs); f2 failed");
        assert_eq!(results.union_ip, 3, "1.1.1.1, 2001:db8::1, 3.3.3.3");
        let top = results.extra.top.expect("--top");
        assert_eq!(
            (top[0].client.as_str(), top[0].requests),
            ("3.3.3.3", 3),
            "{top:?}"
        );
    }

    #[test]
    fn the_summarys_requests_per_client_are_one_files_kept_whole_or_all_files_in_shards() {
        let line = |ip: &str| {
            format!("{ip} - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n")
        };
        for files in [1, 2, 3] {
            let mut p = plan(&vec![1; files]);
            p.options.query.top = Some(2);
            let options = p.options.clone();
            let reducer = Reducer::new(&p, |_| ControlFlow::Continue(()));
            for job in 0..files {
                // Each file: 9.9.9.9 twice, and a client of its own.
                let text = format!(
                    "{}{}{}",
                    line("9.9.9.9"),
                    line("9.9.9.9"),
                    line(&format!("1.1.1.{job}"))
                );
                let format = Format::plain(crate::format::Body::Combined);
                let counts = crate::count::count_as(text.as_bytes(), format, &options);
                reducer.job_done(job, Ok((counts, 1)));
            }
            let results = reducer.finish();
            assert_eq!(results.union_ip, files as u64 + 1, "{files} files");
            let top = results.extra.top.expect("--top");
            let top: Vec<(&str, u64)> = top
                .iter()
                .map(|t| (t.client.as_str(), t.requests))
                .collect();
            assert_eq!(
                top,
                [("9.9.9.9", 2 * files as u64), ("1.1.1.0", 1)],
                "{files} files"
            );
        }
    }

    #[test]
    fn under_top_alone_a_cut_file_whose_counts_lost_clients_is_an_error() {
        let mut p = plan(&[2, 1]);
        p.options.query.top = Some(1);
        let options = p.options.clone();
        let (seen, union) = events(&p, |r| {
            let line = b"1.1.1.1 - - [07/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n";
            let combined = || {
                let format = Format::plain(crate::format::Body::Combined);
                crate::count::count_as(line, format, &options)
            };
            r.job_done(0, Ok((combined(), 1)));
            let mut lost = combined();
            lost.detail.hits = Hits::lost();
            r.job_done(1, Ok((lost, 1)));
            r.job_done(2, Ok((combined(), 1)));
        });
        assert_eq!(seen, ["error f0", "file f1 1 1"]);
        assert_eq!(union, 1);
    }

    #[test]
    fn a_failed_job_makes_its_file_an_error_once_and_its_keys_never_count() {
        let p = plan(&[3, 1]);
        let (seen, union) = events(&p, |r| {
            r.job_done(0, ok(b"9.9.9.9 only-in-f0\n"));
            r.job_done(1, failed());
            r.job_done(2, failed());
            r.job_done(3, ok(b"1.1.1.1 a\n"));
        });
        assert_eq!(seen, ["error f0", "file f1 1 1"]);
        assert_eq!(union, 1, "no key of the failed file");
    }

    #[test]
    fn a_failed_first_job_and_later_successes_still_count_nothing() {
        let p = plan(&[2]);
        let (seen, union) = events(&p, |r| {
            r.job_done(1, failed());
            r.job_done(0, ok(b"1.1.1.1 a\n"));
        });
        assert_eq!(seen, ["error f0"]);
        assert_eq!(union, 0);
    }

    #[test]
    fn results_are_sorted_by_path_and_keep_the_plans_errors() {
        let mut p = plan(&[1, 1, 1]);
        p.errors.push(InputError::new("a-missing", "gone"));
        let reducer = Reducer::new(&p, |_| ControlFlow::Continue(()));
        reducer.job_done(2, ok(b"x\n"));
        reducer.job_done(0, failed());
        reducer.job_done(1, ok(b"y\n"));
        let results = reducer.finish();
        let paths: Vec<&str> = results.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["f1", "f2"]);
        let errors: Vec<&str> = results.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(errors, ["a-missing", "f0"]);
        assert_eq!(results.union_ip, 2);
    }

    #[test]
    fn not_an_access_log_is_skipped_in_a_walk_and_an_error_when_named() {
        let mut p = plan(&[1, 1]);
        p.inputs[0].named = false;
        let reducer = Reducer::new(&p, |_| ControlFlow::Continue(()));
        reducer.job_done(0, not_a_log());
        reducer.job_done(1, not_a_log());
        let results = reducer.finish();
        assert_eq!(results.skipped.len(), 1);
        assert_eq!(results.skipped[0].path, "f0");
        assert_eq!(results.errors.len(), 1);
        assert!(results.errors[0]
            .error
            .ends_with("if it is one, name its format with --log-format"));
    }

    #[test]
    fn a_files_malformed_lines_and_format_add_up_over_its_chunks() {
        let p = plan(&[2]);
        let options = crate::format::Options::default();
        let combined = crate::format::Format::parse("combined").unwrap();
        let job = |text: &[u8]| -> JobResult {
            let c = crate::count::count_as(text, combined, &options);
            Ok((c, text.len() as u64))
        };
        let reducer = Reducer::new(&p, |_| ControlFlow::Continue(()));
        reducer.job_done(0, job(b"1.1.1.1 - - [x] \"GET /\" 200 1\nbad\n"));
        reducer.job_done(1, job(b"bad\nworse\n"));
        let f = &reducer.finish().files[0];
        assert_eq!((f.total, f.malformed, f.format), (1, 3, Some(combined)));
    }

    #[test]
    fn a_listener_that_breaks_stops_the_run_and_hears_nothing_more() {
        let p = plan(&[1, 1, 1]);
        let heard = Mutex::new(0);
        let reducer = Reducer::new(&p, |_| {
            *lock(&heard) += 1;
            ControlFlow::Break(())
        });
        assert!(!reducer.stopped());
        reducer.job_done(0, ok(b"x\n"));
        assert!(reducer.stopped());
        reducer.job_done(1, ok(b"y\n"));
        drop(reducer);
        assert_eq!(heard.into_inner().unwrap(), 1);
    }

    #[test]
    fn kept_keys_are_each_files_own() {
        let p = plan(&[2, 1]);
        let reducer = Reducer::keeping_keys(&p, |_| ControlFlow::Continue(()));
        reducer.job_done(0, ok(b"1.1.1.1 a\n"));
        reducer.job_done(1, ok(b"2.2.2.2 b\n1.1.1.1 a\n"));
        reducer.job_done(2, ok(b"1.1.1.1 a\n"));
        let kept = reducer.finish_keeping_keys();
        let sizes: Vec<usize> = kept
            .iter()
            .map(|k| match k {
                Kept::Counted(_, sets, _) => sets.iter().map(KeySet::len).sum(),
                _ => usize::MAX,
            })
            .collect();
        assert_eq!(sizes, [2, 1]);
    }

    #[test]
    fn under_top_alone_clients_are_counted_and_kept_from_the_requests_per_client() {
        let mut p = plan(&[2, 1]);
        p.options.query.top = Some(1);
        let options = p.options.clone();
        let top = |text: &[u8]| -> JobResult {
            let counts = crate::count::count_as(text, Format::CLASSIC, &options);
            assert_eq!(counts.keys.len(), 0, "left in the requests per client");
            Ok((counts, text.len() as u64))
        };
        let kept = Reducer::keeping_keys(&p, |_| ControlFlow::Continue(()));
        kept.job_done(0, top(b"1.1.1.1 a\n"));
        kept.job_done(1, top(b"2.2.2.2 b\n1.1.1.1 a\n"));
        kept.job_done(2, top(b"1.1.1.1 a\nname\n"));
        let sizes: Vec<usize> = kept
            .finish_keeping_keys()
            .iter()
            .map(|k| match k {
                Kept::Counted(stats, sets, _) => {
                    assert_eq!(
                        stats.ip as usize,
                        sets.iter().map(KeySet::len).sum::<usize>()
                    );
                    stats.ip as usize
                }
                _ => usize::MAX,
            })
            .collect();
        assert_eq!(sizes, [2, 2]);
        let (seen, union) = {
            let seen = Mutex::new(Vec::new());
            let r = Reducer::new(&p, |e| {
                if let Event::File(f) = e {
                    lock(&seen).push(format!("{} {}", f.path, f.ip));
                }
                ControlFlow::Continue(())
            });
            r.job_done(2, top(b"1.1.1.1 a\nname\n"));
            r.job_done(0, top(b"1.1.1.1 a\n"));
            r.job_done(1, top(b"2.2.2.2 b\n1.1.1.1 a\n"));
            let union = r.finish().union_ip;
            (seen.into_inner().unwrap(), union)
        };
        assert_eq!(seen, ["f1 2", "f0 2"]);
        assert_eq!(union, 3);
    }

    #[test]
    fn shards_that_lost_keys_say_so_and_a_job_sending_to_them_stops() {
        let shards = Arc::new(ShardedKeySet::default());
        shards.insert_v4s(3, &[7]);
        assert_eq!(shards.lost(), None);
        lock(&shards.shards[5]).set_out_of_memory();
        shards.insert_v4s(5, &[9]);
        assert_eq!(shards.lost(), Some(1));
        let counter = crate::count::Counter::classic()
            .sending_v4_to(crate::keys::ShardWriter::new(shards.clone()));
        assert_eq!(counter.out_of_memory(), Some(1));
    }

    #[test]
    fn sharded_sets_absorb_drain_and_count_distinct_keys() {
        let a = ShardedKeySet::default();
        a.absorb(count(b"1.1.1.1\n2.2.2.2\nlong-key-0123456789abcdef\n").keys);
        a.absorb(count(b"2.2.2.2\n3.3.3.3\n").keys);
        assert_eq!(a.len(), 4);
        let b = ShardedKeySet::default();
        b.absorb(count(b"3.3.3.3\n4.4.4.4\n").keys);
        a.drain_into(&b);
        assert_eq!((a.len(), b.len()), (0, 5));
        assert_eq!(b.take_shards().iter().map(KeySet::len).sum::<usize>(), 5);
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn the_union_keeps_one_set_whole_and_counts_each_key_once() {
        let u = Union::default();
        u.absorb(count(b"1.1.1.1\n2001:db8::1\nlong-key-0123456789abcdef\n").keys);
        assert!(u.first.get().is_some());
        // A chunked file's shards join the union beside the kept set, overlapping it.
        let chunked = ShardedKeySet::default();
        chunked.absorb(count(b"1.1.1.1\n5.5.5.5\n2001:db8::1\n").keys);
        chunked.drain_into(&u.rest);
        assert_eq!(u.len(), 4);
        // A second whole file: both go into the shards.
        u.absorb(count(b"long-key-0123456789abcdef\n6.6.6.6\n").keys);
        assert!(u.first.get().is_none());
        assert_eq!((u.len(), u.rest.len()), (5, 5));
        assert!(!u.out_of_memory());
    }
}

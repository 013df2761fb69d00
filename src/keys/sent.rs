//! Dotted quads sent to the set a file's jobs share, instead of each job's own.
//!
//! A file cut into jobs counted in one process (threads, async) has one set of clients, split
//! into shards by [`shard_of`] (each shard behind its own lock, in the reducer). A job that
//! built its own set first put nearly every client of the file into it, and the shards took
//! each job's keys once more: on one 176 MB file cut six ways, 2.45 times as many inserts as
//! the file has clients, and six tables grown and zeroed (docs/performance.md). A job's
//! [`ShardWriter`] instead keeps each shard's next keys in a small batch and hands a full
//! batch over at once (one lock a batch, the batch's slots prefetched together), so each
//! request's client is inserted once, into the set that counts it.
//!
//! This module knows no lock and no thread: whoever holds the shards says how a batch gets in
//! ([`V4Shards`]).

use std::sync::Arc;

use super::{shard_of, Key, SHARD_BITS};

/// Shards of one set that batches of dotted quads can be added to from any thread.
pub(crate) trait V4Shards: Send + Sync + std::fmt::Debug {
    /// Adds `v4s`, every one of them in shard `shard` (by [`shard_of`] with [`SHARD_BITS`]).
    fn insert_v4s(&self, shard: usize, v4s: &[u32]);

    /// Where a shard could not get the memory to grow (keys were lost, and the file cannot be
    /// counted), the keys the shards hold; else `None`. Cheap: asked after every piece.
    fn lost(&self) -> Option<usize>;
}

/// Keys waiting per shard before they are handed over: one lock per batch, and a batch's
/// slots prefetched together. 128 (32 KiB of batches a job) measured 1–3% faster than 64 on
/// one 176 MB file under `threads -j 2`, and 240 no faster than 128 (docs/performance.md).
const BATCH: usize = 128;

const SHARDS: usize = 1 << SHARD_BITS;

/// One job's way into shared shards: each shard's waiting keys, handed over a batch at a time.
/// Its last keys go in at [`ShardWriter::finish`]; a writer dropped before (its job failed,
/// and so its file) hands over nothing more.
pub(crate) struct ShardWriter {
    shards: Arc<dyn V4Shards>,
    waiting: Box<Waiting>,
}

/// Each shard's waiting keys: the first `len[shard]` of `keys[shard]`.
struct Waiting {
    keys: [[u32; BATCH]; SHARDS],
    len: [u8; SHARDS],
}

impl std::fmt::Debug for ShardWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the shards: every key of the file.
        f.debug_struct("ShardWriter")
            .field(
                "waiting",
                &self
                    .waiting
                    .len
                    .iter()
                    .map(|&n| usize::from(n))
                    .sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

impl ShardWriter {
    pub(crate) fn new(shards: Arc<dyn V4Shards>) -> ShardWriter {
        ShardWriter {
            shards,
            waiting: Box::new(Waiting {
                keys: [[0; BATCH]; SHARDS],
                len: [0; SHARDS],
            }),
        }
    }

    /// Adds every key of `v4s` to its shard's batch, handing over each batch that fills.
    #[inline]
    pub(crate) fn add(&mut self, v4s: &[u32]) {
        let waiting = &mut *self.waiting;
        for &v4 in v4s {
            let shard = shard_of(Key::V4(v4), SHARD_BITS);
            let n = usize::from(waiting.len[shard]);
            waiting.keys[shard][n] = v4;
            if n + 1 == BATCH {
                self.shards.insert_v4s(shard, &waiting.keys[shard]);
                waiting.len[shard] = 0;
            } else {
                waiting.len[shard] = (n + 1) as u8;
            }
        }
    }

    /// Where the shared set lost keys for want of memory, the keys it holds (see
    /// [`V4Shards::lost`]): the job may stop reading.
    pub(crate) fn lost(&self) -> Option<usize> {
        self.shards.lost()
    }

    /// Hands over every key still waiting.
    pub(crate) fn finish(mut self) {
        let waiting = &mut *self.waiting;
        for shard in 0..SHARDS {
            let n = usize::from(std::mem::take(&mut waiting.len[shard]));
            if n > 0 {
                self.shards.insert_v4s(shard, &waiting.keys[shard][..n]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Shards that record what they were handed.
    #[derive(Debug, Default)]
    struct Recorded(Mutex<Vec<(usize, Vec<u32>)>>);

    impl V4Shards for Recorded {
        fn insert_v4s(&self, shard: usize, v4s: &[u32]) {
            self.0.lock().unwrap().push((shard, v4s.to_vec()));
        }

        fn lost(&self) -> Option<usize> {
            None
        }
    }

    #[test]
    fn every_key_reaches_its_shard_once_full_batches_at_once_and_the_rest_at_finish() {
        let shards = Arc::new(Recorded::default());
        let mut writer = ShardWriter::new(shards.clone());
        let keys: Vec<u32> = (0..10_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        for part in keys.chunks(37) {
            writer.add(part);
        }
        let before_finish = shards.0.lock().unwrap().len();
        assert!(before_finish > 0);
        assert!(shards
            .0
            .lock()
            .unwrap()
            .iter()
            .all(|(_, b)| b.len() == BATCH));
        writer.finish();
        let handed = std::mem::take(&mut *shards.0.lock().unwrap());
        assert!(handed.len() > before_finish);
        let mut got = Vec::new();
        for (shard, batch) in handed {
            assert!(batch.len() <= BATCH && !batch.is_empty());
            for v4 in batch {
                assert_eq!(shard_of(Key::V4(v4), SHARD_BITS), shard);
                got.push(v4);
            }
        }
        let mut want = keys;
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn a_writer_dropped_unfinished_hands_over_only_full_batches() {
        let shards = Arc::new(Recorded::default());
        let mut writer = ShardWriter::new(shards.clone());
        writer.add(&[1, 2, 3]);
        drop(writer);
        assert!(shards.0.lock().unwrap().is_empty());
    }
}

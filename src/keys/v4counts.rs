//! Requests per dotted quad, for `--top`: the same table as [`super::v4set`]'s (open
//! addressing, at most 3/4 full, the key 0 kept apart, a batch of keys' slots prefetched
//! before any is touched), each slot a key and its count in one `u64`.
//!
//! A slot holds the key in its high 32 bits and the low 32 bits of its count in the low ones:
//! 8 bytes a client, where a general map of `u32` to `u64` takes 16 and a control byte, and a
//! count's increment is one add to the slot it found. A count that passes `u32::MAX` carries
//! into [`V4Counts::carried`] (a client with four billion requests in one job: never in
//! practice, always exact).

use std::collections::TryReserveError;

use super::slots::{fibonacci_slot, probe, regrow, spare};
use super::v4set::prefetch;
use super::Map;

/// Requests per `u32` key, see the module's doc.
#[derive(Clone, Default)]
pub(crate) struct V4Counts {
    /// A power of two long (or empty); 0 is an empty slot (a key in it has a count of 1 at
    /// least, so a used slot is never 0).
    slots: Box<[u64]>,
    /// Keys in `slots` (the key 0 is not one of them).
    filled: usize,
    /// The key 0's count, if it has one.
    zero: Option<u64>,
    /// What each count carried past its slot's 32 bits, in multiples of 2^32.
    carried: Map<u32, u64>,
    /// Slots looked at by adds, for the tests.
    #[cfg(test)]
    probes: u64,
}

impl std::fmt::Debug for V4Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        self.each(|k, n| {
            map.entry(&k, &n);
        });
        map.finish()
    }
}

/// Keys of a batch whose slots are computed (and prefetched) before any is counted.
const BATCH: usize = 64;

impl V4Counts {
    pub(crate) fn len(&self) -> usize {
        self.filled + usize::from(self.zero.is_some())
    }

    /// How many more keys fit without growing.
    pub(crate) fn spare(&self) -> usize {
        spare(self.slots.len(), self.len())
    }

    #[inline]
    fn slot_of(&self, key: u32) -> usize {
        // Fibonacci hashing as `V4Set`'s, of the key with its halves swapped: a set built from
        // these counts (in this table's order) must not meet its keys in its own slots' order,
        // where linear probing turns quadratic (what `Hits::key_set` does; it took 2.8 s where
        // 0.2 s was due, with one hash for both).
        fibonacci_slot(
            u64::from(key.rotate_left(16)) ^ 0x5bd1_e995,
            self.slots.len(),
        )
    }

    /// Makes room for `more` keys, or fails leaving the counts as they were.
    pub(crate) fn try_reserve(&mut self, more: usize) -> Result<(), TryReserveError> {
        let needed = self.len().saturating_add(more);
        let Some(old) = regrow(&mut self.slots, needed)? else {
            return Ok(());
        };
        for slot in old.iter().copied().filter(|&s| s != 0) {
            // Every key is new here: the probe ends at an empty slot.
            let at = self.slot_of((slot >> 32) as u32);
            let empty = probe(&self.slots, at, |_| false).unwrap_err();
            self.slots[empty] = slot;
        }
        Ok(())
    }

    /// Adds `n` (at least 1) to `key`'s count starting at its slot `at`, the table having room.
    #[inline]
    fn bump(&mut self, key: u32, n: u64, start: usize) {
        let found = probe(&self.slots, start, |s| (s >> 32) as u32 == key);
        let at = found.unwrap_or_else(|empty| {
            self.filled += 1;
            self.slots[empty] = u64::from(key) << 32;
            empty
        });
        #[cfg(test)]
        {
            self.probes += super::slots::probed(start, at, self.slots.len());
        }
        let sum = (self.slots[at] & 0xffff_ffff) + n;
        if sum > 0xffff_ffff {
            // The count's high bits carry out; the slot keeps the low ones (never 0 with its key,
            // and a key of 0 is never here).
            *self.carried.entry(key).or_insert(0) += sum & !0xffff_ffff;
        }
        self.slots[at] = u64::from(key) << 32 | (sum & 0xffff_ffff);
    }

    /// Adds `n` (at least 1) to `key`'s count; the caller made room ([`V4Counts::spare`]).
    #[inline]
    pub(crate) fn add(&mut self, key: u32, n: u64) {
        if key == 0 {
            *self.zero.get_or_insert(0) += n;
            return;
        }
        debug_assert!(self.spare() > 0 || self.contains(key));
        self.bump(key, n, self.slot_of(key));
    }

    /// One request of each key of `keys`, their slots computed and prefetched a batch at a time
    /// before any is counted; the caller made room for all of them.
    #[inline]
    pub(crate) fn add_batch(&mut self, keys: &[u32]) {
        debug_assert!(self.spare() >= keys.len());
        let mut at = [0usize; BATCH];
        for batch in keys.chunks(BATCH) {
            for (slot, &key) in at.iter_mut().zip(batch) {
                *slot = self.slot_of(key);
                prefetch(&self.slots[*slot]);
            }
            for (&slot, &key) in at.iter().zip(batch) {
                if key == 0 {
                    *self.zero.get_or_insert(0) += 1;
                } else {
                    self.bump(key, 1, slot);
                }
            }
        }
    }

    /// Slots looked at by every add so far.
    #[cfg(test)]
    pub(crate) fn probes(&self) -> u64 {
        self.probes
    }

    pub(crate) fn contains(&self, key: u32) -> bool {
        if key == 0 {
            return self.zero.is_some();
        }
        !self.slots.is_empty()
            && probe(&self.slots, self.slot_of(key), |s| (s >> 32) as u32 == key).is_ok()
    }

    /// Calls `f` with every key and its count, in the table's order.
    pub(crate) fn each(&self, mut f: impl FnMut(u32, u64)) {
        if let Some(n) = self.zero {
            f(0, n);
        }
        for &slot in self.slots.iter().filter(|&&s| s != 0) {
            let key = (slot >> 32) as u32;
            let carried = if self.carried.is_empty() {
                0
            } else {
                self.carried.get(&key).copied().unwrap_or(0)
            };
            f(key, (slot & 0xffff_ffff) + carried);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn counts(c: &V4Counts) -> HashMap<u32, u64> {
        let mut out = HashMap::new();
        c.each(|k, n| assert!(out.insert(k, n).is_none(), "{k} twice"));
        out
    }

    proptest! {
        #[test]
        fn it_counts_what_a_hash_map_counts(
            keys in proptest::collection::vec(prop_oneof![0u32..64, any::<u32>()], 0..3000),
            batch in 1usize..200,
            big in proptest::collection::vec((0u32..64, 1u64..u64::MAX / 4), 0..8),
        ) {
            let mut c = V4Counts::default();
            let mut want: HashMap<u32, u64> = HashMap::new();
            for chunk in keys.chunks(batch) {
                c.try_reserve(chunk.len()).unwrap();
                c.add_batch(chunk);
                for &k in chunk {
                    *want.entry(k).or_default() += 1;
                }
            }
            // Counts past 32 bits (merged from other jobs) carry, and stay exact.
            for &(k, n) in &big {
                c.try_reserve(1).unwrap();
                c.add(k, n);
                *want.entry(k).or_default() += n;
            }
            prop_assert_eq!(c.len(), want.len());
            prop_assert_eq!(counts(&c), want.clone());
            prop_assert!(want.keys().all(|&k| c.contains(k)));
        }
    }

    /// A set built from the counts' keys in their order, growing as it goes (`Hits::key_set`),
    /// looks at a few slots a key: with the set's own hash, keys met in slot order piled up
    /// in runs thousands of slots long while the set grew (2.8 s for 0.2 s of counting).
    #[test]
    fn a_set_built_in_the_counts_order_probes_little() {
        let mut c = V4Counts::default();
        let keys: Vec<u32> = (0..200_000u32).map(|i| 0x0a00_0000 + i * 7).collect();
        c.try_reserve(keys.len()).unwrap();
        c.add_batch(&keys);
        let mut set = super::super::v4set::V4Set::default();
        c.each(|k, _| {
            set.insert(k);
        });
        assert_eq!(set.len(), keys.len());
        let per_key = set.probes() as f64 / keys.len() as f64;
        assert!(per_key < 8.0, "{per_key} slots a key");
    }

    #[test]
    fn a_count_carries_past_32_bits_and_back() {
        let mut c = V4Counts::default();
        c.try_reserve(2).unwrap();
        c.add(7, u64::from(u32::MAX));
        c.add(7, 1);
        c.add(7, 5);
        c.add(9, 1 << 40);
        assert_eq!(
            counts(&c),
            HashMap::from([(7, u64::from(u32::MAX) + 6), (9, 1 << 40)])
        );
    }
}

//! The set of dotted quads: most of what a log's clients are, and most of the counting core's
//! inserts.
//!
//! An open-addressing table of `u32` slots (linear probing, at most 3/4 full, 0 marking an
//! empty slot and the key 0 kept apart), so that a batch of inserts can compute every key's
//! slot first, prefetch them all, and only then insert: the waits of a batch's cache misses
//! overlap instead of coming one per line (the table of a busy log outgrows the caches). A
//! general hash set offers no way to prefetch a key's slot.
//!
//! Growth is fallible, like the other classes' ([`super::KeySet`] stops growing and says so
//! rather than abort); iteration order is the table's, which nothing depends on.

use std::collections::TryReserveError;

use super::slots::{fibonacci_slot, probe, regrow, spare, Keys};

/// A set of `u32`, see the module's doc.
#[derive(Clone, Default)]
pub(crate) struct V4Set {
    /// A power of two long (or empty); 0 is an empty slot.
    slots: Box<[u32]>,
    /// Keys in `slots` (the key 0 is not one of them).
    filled: usize,
    /// Whether the key 0 (`0.0.0.0`) is in the set.
    zero: bool,
    /// Slots looked at by inserts, for the tests.
    #[cfg(test)]
    probes: u64,
}

impl std::fmt::Debug for V4Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Keys of a batch whose slots are computed (and prefetched) before any is inserted.
const BATCH: usize = 64;

impl V4Set {
    pub(crate) fn len(&self) -> usize {
        self.filled + usize::from(self.zero)
    }

    /// How many more keys fit without growing.
    pub(crate) fn spare(&self) -> usize {
        spare(self.slots.len(), self.len())
    }

    #[inline]
    fn slot_of(&self, key: u32) -> usize {
        fibonacci_slot(u64::from(key) ^ 0x5bd1_e995, self.slots.len())
    }

    /// Makes room for `more` keys, or fails leaving the set as it was.
    pub(crate) fn try_reserve(&mut self, more: usize) -> Result<(), TryReserveError> {
        let needed = self.len().saturating_add(more);
        let Some(old) = regrow(&mut self.slots, needed)? else {
            return Ok(());
        };
        self.filled = 0;
        for key in old.iter().copied().filter(|&k| k != 0) {
            self.put(key, self.slot_of(key));
        }
        Ok(())
    }

    /// Inserts `key` (not 0) starting at its slot `at`, the table having room.
    #[inline]
    fn put(&mut self, key: u32, at: usize) -> bool {
        let found = probe(&self.slots, at, |k| k == key);
        #[cfg(test)]
        {
            let end = found.unwrap_or_else(|e| e);
            self.probes += super::slots::probed(at, end, self.slots.len());
        }
        match found {
            Ok(_) => false,
            Err(empty) => {
                self.slots[empty] = key;
                self.filled += 1;
                true
            }
        }
    }

    /// Adds `key`; whether it was new. Grows the table if it must (an allocation failure then
    /// aborts: callers that must not abort reserve first, as [`super::KeySet`] does).
    #[inline]
    pub(crate) fn insert(&mut self, key: u32) -> bool {
        if key == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        if self.spare() == 0 {
            self.try_reserve(1).expect("memory for a dotted quad set");
        }
        self.put(key, self.slot_of(key))
    }

    /// Adds every key of `keys`: their slots computed and prefetched a batch at a time before
    /// any is written (see the module's doc).
    #[inline]
    pub(crate) fn insert_batch(&mut self, keys: &[u32]) {
        if self.spare() < keys.len() {
            for &key in keys {
                self.insert(key);
            }
            return;
        }
        let mut at = [0usize; BATCH];
        for batch in keys.chunks(BATCH) {
            for (slot, &key) in at.iter_mut().zip(batch) {
                *slot = self.slot_of(key);
                prefetch(&self.slots[*slot]);
            }
            for (&slot, &key) in at.iter().zip(batch) {
                if key == 0 {
                    self.zero = true;
                } else {
                    self.put(key, slot);
                }
            }
        }
    }

    pub(crate) fn contains(&self, key: u32) -> bool {
        if key == 0 {
            return self.zero;
        }
        !self.slots.is_empty() && probe(&self.slots, self.slot_of(key), |k| k == key).is_ok()
    }

    /// Slots looked at by every insert so far.
    #[cfg(test)]
    pub(crate) fn probes(&self) -> u64 {
        self.probes
    }

    /// The keys, in the table's order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Keys::new(self.slots.iter().copied(), self.zero, self.len())
    }

    /// Adds every key of `keys`, a batch at a time (as [`V4Set::insert_batch`]).
    pub(crate) fn extend(&mut self, keys: impl IntoIterator<Item = u32>) {
        let mut batch = [0u32; BATCH];
        let mut n = 0;
        for key in keys {
            batch[n] = key;
            n += 1;
            if n == BATCH {
                self.insert_batch(&batch);
                n = 0;
            }
        }
        self.insert_batch(&batch[..n]);
    }
}

/// Asks the CPU to bring the cache line of `value` in: a hint, which never faults (the bulk
/// line scan uses it too, for the text ahead of it).
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch only hints; `value` is a valid reference anyway.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The keys of a [`V4Set`].
pub(crate) type Iter<'a> = Keys<std::iter::Copied<std::slice::Iter<'a, u32>>>;

impl IntoIterator for V4Set {
    type Item = u32;
    type IntoIter = Keys<std::vec::IntoIter<u32>>;

    fn into_iter(self) -> Self::IntoIter {
        let left = self.len();
        Keys::new(self.slots.into_vec().into_iter(), self.zero, left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #[test]
        fn it_holds_what_a_hash_set_holds(
            keys in proptest::collection::vec(prop_oneof![0u32..64, any::<u32>()], 0..3000),
            batch in 1usize..200,
        ) {
            let want: HashSet<u32> = keys.iter().copied().collect();
            let mut one = V4Set::default();
            for &k in &keys {
                let new = !one.contains(k);
                prop_assert_eq!(one.insert(k), new);
                prop_assert!(one.contains(k));
            }
            let mut batched = V4Set::default();
            for part in keys.chunks(batch) {
                if part.len() % 2 == 0 {
                    batched.try_reserve(part.len()).unwrap();
                }
                batched.insert_batch(part);
            }
            let mut extended = V4Set::default();
            extended.try_reserve(keys.len() / 2).unwrap();
            extended.extend(keys.iter().copied());
            for set in [&one, &batched, &extended] {
                prop_assert_eq!(set.len(), want.len());
                prop_assert_eq!(set.iter().len(), want.len());
                prop_assert_eq!(set.iter().collect::<HashSet<_>>(), want.clone());
                prop_assert_eq!(set.clone().into_iter().collect::<HashSet<_>>(), want.clone());
                for k in 0..100u32 {
                    prop_assert_eq!(set.contains(k), want.contains(&k));
                }
            }
        }
    }

    #[test]
    fn it_grows_by_doubling_and_stays_at_most_three_quarters_full() {
        let mut set = V4Set::default();
        assert_eq!((set.len(), set.spare(), set.contains(7)), (0, 0, false));
        for k in 1..=100_000u32 {
            set.insert(k.wrapping_mul(2_654_435_761));
            assert!(set.filled * 4 <= set.slots.len() * 3);
        }
        assert_eq!(set.len(), 100_000);
        assert_eq!(set.slots.len(), 1 << 18);
        set.try_reserve(1_000_000).unwrap();
        assert!(set.spare() >= 1_000_000);
        assert_eq!(set.iter().len(), 100_000);
        assert!(set.try_reserve(usize::MAX).is_err());
        assert_eq!(
            set.len(),
            100_000,
            "a failed reserve leaves the set as it was"
        );
    }
}

//! The set of `u128` keys (IPv6 addresses and packed short keys): open addressing in
//! sub-tables that grow one at a time, so that peak memory is the table plus a fraction.
//!
//! A single hash table doubles all at once: while its keys move, the old table and the new one
//! (twice its size) are both alive, and a set of 3 million IPv6 addresses peaked at 38 bytes a
//! key where its final table took 24 (docs/reliability.md). Here a set that outgrows
//! [`SPLIT_SLOTS`] slots is cut into [`PARTS`] sub-tables by the low bits of each key's hash;
//! each then grows on its own, so a growth moves a 64th of the keys and holds a 64th more
//! memory for the while. Slots are the keys themselves (16 bytes, 0 marking an empty slot and
//! the key 0 kept apart, at most 3/4 full, linear probing): no control bytes beside them, as a
//! general hash set keeps.
//!
//! Growth never aborts: a sub-table that cannot get the memory to grow drops the key and the
//! set says it [`lost`](WideSet::lost) keys, so its owner ([`super::KeySet`]) reports the input
//! as out of memory rather than count it. Iteration order is the tables', which nothing depends
//! on.

use std::collections::TryReserveError;

use super::slots::{capacity, empty, probe, slots_for, Keys, MIN_SLOTS};

/// The sub-tables a large set is cut into (a power of two).
const PARTS: usize = 64;
const PART_BITS: u32 = PARTS.trailing_zeros();

/// Slots a set holds in one table before it is cut into [`PARTS`] sub-tables (256 KiB; 64
/// slots in the unit tests, so that their small sets are cut and grow in parts too).
const SPLIT_SLOTS: usize = if cfg!(test) { 64 } else { 1 << 14 };

/// A set of `u128`, see the module's doc.
#[derive(Clone, Default)]
pub(crate) struct WideSet {
    /// One table, or [`PARTS`] of them once the set is large; a key's table is the low
    /// `part_bits` of its hash ([`part_in`]).
    tables: Vec<Table>,
    part_bits: u32,
    /// Whether the key 0 is in the set.
    zero: bool,
    /// Keys were dropped for want of memory.
    lost: bool,
}

/// The table a key of this hash is in, of `1 << part_bits`: its low bits (a slot is chosen by
/// the top bits, so that the keys of one table spread over every slot of another).
#[inline]
fn part_in(hash: u64, part_bits: u32) -> usize {
    (hash as usize) & ((1 << part_bits) - 1)
}

/// One open-addressing table: a power of two of slots long (or empty).
#[derive(Clone, Default)]
pub(crate) struct Table {
    slots: Box<[u128]>,
    filled: usize,
}

impl std::fmt::Debug for WideSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A 64-bit hash of a key: each half mixed on its own (murmur3's finalizer) and the two
/// combined, so that keys differing only in one half (IPv6 addresses of one /64 prefix, short
/// keys of one length) spread over every bit.
#[inline]
fn hash(key: u128) -> u64 {
    #[inline]
    fn mix(mut x: u64) -> u64 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
    mix(key as u64) ^ mix((key >> 64) as u64 ^ 0x9e37_79b9_7f4a_7c15).rotate_left(23)
}

impl Table {
    /// The slot `hash` starts at: its top bits.
    #[inline]
    fn slot_of(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash >> (64 - bits)) as usize
    }

    /// Inserts `key` (not 0), the table having room; whether it was new.
    #[inline]
    fn put(&mut self, key: u128, hash: u64) -> bool {
        match probe(&self.slots, self.slot_of(hash), |k| k == key) {
            Ok(_) => false,
            Err(empty) => {
                self.slots[empty] = key;
                self.filled += 1;
                true
            }
        }
    }

    fn contains(&self, key: u128, hash: u64) -> bool {
        !self.slots.is_empty() && probe(&self.slots, self.slot_of(hash), |k| k == key).is_ok()
    }

    /// An empty table of `slots` slots, or the allocation's failure.
    fn with_slots(slots: usize) -> Result<Table, TryReserveError> {
        Ok(Table {
            slots: empty(slots)?,
            filled: 0,
        })
    }

    /// The table at `slots` slots (a power of two, more than it has), its keys moved, or the
    /// allocation's failure (the table left as it was).
    fn resized(&self, slots: usize) -> Result<Table, TryReserveError> {
        let mut bigger = Table::with_slots(slots)?;
        for &key in self.slots.iter().filter(|&&k| k != 0) {
            bigger.put(key, hash(key));
        }
        Ok(bigger)
    }
}

impl WideSet {
    pub(crate) fn len(&self) -> usize {
        self.tables.iter().map(|t| t.filled).sum::<usize>() + usize::from(self.zero)
    }

    /// Whether keys were dropped because a table could not grow: the set is not to be counted.
    pub(crate) fn lost(&self) -> bool {
        self.lost
    }

    /// Adds `key`; whether it was new (false too when it was dropped: see [`WideSet::lost`]).
    #[inline]
    pub(crate) fn insert(&mut self, key: u128) -> bool {
        if key == 0 {
            return !std::mem::replace(&mut self.zero, true);
        }
        if self.lost {
            // Not to be counted: spend no more memory on it.
            return false;
        }
        let h = hash(key);
        let mut part = self.part_of(h);
        let table = &self.tables[part];
        if table.filled >= capacity(table.slots.len()) {
            if !self.grow(part) {
                return false;
            }
            // A cut into sub-tables moves the key's table.
            part = self.part_of(h);
        }
        self.tables[part].put(key, h)
    }

    /// The table `hash` belongs to (creating the first table on the first insert).
    #[inline]
    fn part_of(&mut self, hash: u64) -> usize {
        if self.tables.is_empty() {
            self.tables.push(Table::default());
        }
        part_in(hash, self.part_bits)
    }

    /// Makes room in table `part` for one more key: doubles it, or cuts the set into
    /// [`PARTS`] sub-tables where one table has reached [`SPLIT_SLOTS`]. False (and the set
    /// [`lost`](WideSet::lost)) when the memory is not there.
    #[cold]
    fn grow(&mut self, part: usize) -> bool {
        let grown = if self.part_bits == 0 && self.tables[0].slots.len() >= SPLIT_SLOTS {
            self.split_to((self.tables[0].slots.len() * 2 / PARTS).max(MIN_SLOTS))
        } else {
            let table = &self.tables[part];
            table
                .resized((table.slots.len() * 2).max(MIN_SLOTS))
                .map(|t| self.tables[part] = t)
        };
        if grown.is_err() {
            self.lost = true;
        }
        !self.lost
    }

    /// Cuts the one table into [`PARTS`] sub-tables of at least `slots` slots each (a power of
    /// two), and more where a part gets more keys than that holds: keys need not spread evenly
    /// (a set filled from one part of another holds keys of one part only).
    fn split_to(&mut self, slots: usize) -> Result<(), TryReserveError> {
        let keys = || self.tables[0].slots.iter().copied().filter(|&k| k != 0);
        let mut counts = [0usize; PARTS];
        for key in keys() {
            counts[part_in(hash(key), PART_BITS)] += 1;
        }
        let mut parts = Vec::new();
        parts.try_reserve_exact(PARTS)?;
        for count in counts {
            parts.push(Table::with_slots(slots.max(slots_for(count)))?);
        }
        for key in keys() {
            let h = hash(key);
            parts[part_in(h, PART_BITS)].put(key, h);
        }
        self.tables = parts;
        self.part_bits = PART_BITS;
        Ok(())
    }

    /// Grows the tables at once to what `more` keys spread evenly would grow them to, where
    /// that is more than they hold (one move of each key instead of one per doubling): a
    /// merge's or a decode's keys, whose count is known. A table that gets more than its share
    /// grows as it goes; one that cannot get the memory is left to do so (and fail) then.
    pub(crate) fn reserve(&mut self, more: usize) {
        if more == 0 || self.lost {
            return;
        }
        if self.tables.is_empty() {
            self.tables.push(Table::default());
        }
        let total = self.len() + more;
        if self.part_bits == 0 && slots_for(total) > SPLIT_SLOTS {
            if self.split_to(slots_for(total.div_ceil(PARTS))).is_err() {
                self.lost = true;
            }
            return;
        }
        let share = more.div_ceil(self.tables.len());
        for table in &mut self.tables {
            let slots = slots_for(table.filled + share);
            if slots > table.slots.len() {
                match table.resized(slots) {
                    Ok(t) => *table = t,
                    Err(_) => return,
                }
            }
        }
    }

    pub(crate) fn contains(&self, key: u128) -> bool {
        if key == 0 {
            return self.zero;
        }
        let h = hash(key);
        self.tables
            .get(part_in(h, self.part_bits))
            .is_some_and(|t| t.contains(key, h))
    }

    /// The keys, in the tables' order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        let slots = self.tables.iter().flat_map(table_slots as SlotsOf);
        Keys::new(slots.copied(), self.zero, self.len())
    }
}

fn table_slots(table: &Table) -> std::slice::Iter<'_, u128> {
    table.slots.iter()
}

impl Extend<u128> for WideSet {
    fn extend<I: IntoIterator<Item = u128>>(&mut self, keys: I) {
        let keys = keys.into_iter();
        self.reserve(keys.size_hint().0);
        for key in keys {
            self.insert(key);
        }
    }
}

type SlotsOf = for<'b> fn(&'b Table) -> std::slice::Iter<'b, u128>;

/// The keys of a [`WideSet`].
pub(crate) type Iter<'a> = Keys<
    std::iter::Copied<
        std::iter::FlatMap<std::slice::Iter<'a, Table>, std::slice::Iter<'a, u128>, SlotsOf>,
    >,
>;

fn into_slots(table: Table) -> std::vec::IntoIter<u128> {
    table.slots.into_vec().into_iter()
}

/// The keys of a [`WideSet`], taken: each table is freed once its keys are out.
pub(crate) type IntoIter = Keys<
    std::iter::FlatMap<
        std::vec::IntoIter<Table>,
        std::vec::IntoIter<u128>,
        fn(Table) -> std::vec::IntoIter<u128>,
    >,
>;

impl IntoIterator for WideSet {
    type Item = u128;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        let left = self.len();
        let slots = self.tables.into_iter().flat_map(into_slots as fn(_) -> _);
        Keys::new(slots, self.zero, left)
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
            keys in proptest::collection::vec(
                prop_oneof![0u128..64, any::<u128>(), (0u128..4096).prop_map(|k| k << 64)],
                0..3000,
            ),
        ) {
            let mut set = WideSet::default();
            let mut want = HashSet::new();
            for &k in &keys {
                prop_assert_eq!(set.insert(k), want.insert(k));
            }
            prop_assert_eq!(set.len(), want.len());
            prop_assert_eq!(set.iter().len(), want.len());
            let got: HashSet<u128> = set.iter().collect();
            prop_assert_eq!(&got, &want);
            let taken = set.clone().into_iter();
            prop_assert_eq!(taken.len(), want.len());
            let taken: Vec<u128> = taken.collect();
            prop_assert_eq!(taken.len(), want.len());
            prop_assert_eq!(&taken.into_iter().collect::<HashSet<_>>(), &want);
            for &k in &keys {
                prop_assert!(set.contains(k));
            }
            prop_assert!(!set.lost());
            // The same keys added in bulk (reserved first) onto a set that holds some.
            let mut bulk = WideSet::default();
            let (head, tail) = keys.split_at(keys.len() / 3);
            bulk.extend(head.iter().copied());
            bulk.extend(tail.iter().copied());
            prop_assert_eq!(bulk.len(), want.len());
            prop_assert_eq!(&bulk.iter().collect::<HashSet<_>>(), &want);
            prop_assert!(keys.iter().all(|&k| bulk.contains(k)));
        }
    }

    /// Keys added in the order another set holds them (a table at a time: keys that share a
    /// table there) spread over this one's slots and tables: they once all landed in one
    /// sub-table at the cut, which they overflowed (an endless probe).
    #[test]
    fn keys_in_another_sets_order_spread_over_the_tables() {
        let mut source = WideSet::default();
        source.extend((1..=50_000u128).map(|i| 0x2001_0db8 << 96 | i));
        for bulk in [false, true] {
            let mut copy = WideSet::default();
            if bulk {
                copy.extend(source.iter());
            } else {
                source.iter().for_each(|k| {
                    copy.insert(k);
                });
            }
            assert_eq!(copy.len(), 50_000);
            assert!(source.iter().all(|k| copy.contains(k)));
            let most = copy.tables.iter().map(|t| t.filled).max().unwrap();
            assert!(most < 50_000 / PARTS * 2, "{most}");
        }
    }

    /// Past [`SPLIT_SLOTS`] the set is cut into sub-tables, every key kept, and each table
    /// then grows on its own: none is ever more than twice the size of another's share.
    #[test]
    fn a_large_set_is_cut_into_sub_tables_that_grow_one_at_a_time() {
        let mut set = WideSet::default();
        let n = 300_000u128;
        for i in 1..=n {
            // One /64 prefix, the host part counting up: the hash must spread them.
            assert!(set.insert(0x2001_0db8_0000_0001 << 64 | i));
        }
        assert_eq!(set.len(), n as usize);
        assert_eq!(set.tables.len(), PARTS);
        let slots: Vec<usize> = set.tables.iter().map(|t| t.slots.len()).collect();
        let (min, max) = (slots.iter().min().unwrap(), slots.iter().max().unwrap());
        assert!(max / min <= 2, "{slots:?}");
        let total: usize = slots.iter().sum();
        // At most 3/4 full, and at least 3/8 full (half of that, just after a growth).
        assert!(
            total * 3 / 4 >= n as usize && total * 3 / 8 <= n as usize,
            "{total}"
        );
        assert!((1..=n).all(|i| set.contains(0x2001_0db8_0000_0001 << 64 | i)));
        assert!(!set.contains(0x2001_0db8_0000_0002 << 64 | 1));
        assert!(!set.insert(0x2001_0db8_0000_0001 << 64 | 7));
    }
}

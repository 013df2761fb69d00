//! Key sets: [`KeySet`] stores distinct keys by class and grows without aborting;
//! [`KeyVec`] holds them as plain lists; [`StoredKeys`] reads either (or an encoded block).

use std::collections::HashSet;

use super::v4set::V4Set;
use super::wideset::WideSet;
use super::{FixedState, Key, Routed, Split};

type Set<T> = HashSet<T, FixedState>;

/// Dotted quads waiting to join a [`KeySet`]: a counting loop pushes each line's client here
/// and the set takes them 64 at a time. Inserting into a set bigger than the caches waits on
/// memory; back to back, the waits of several inserts overlap, where one insert per line,
/// between the parsing of lines, waits alone.
#[derive(Debug)]
pub(crate) struct V4Batch {
    keys: [u32; V4Batch::LEN],
    len: usize,
}

impl Default for V4Batch {
    fn default() -> Self {
        V4Batch {
            keys: [0; V4Batch::LEN],
            len: 0,
        }
    }
}

impl V4Batch {
    const LEN: usize = 64;

    #[inline]
    pub(crate) fn push(&mut self, set: &mut KeySet, v4: u32) {
        if self.push_full(v4) {
            self.flush(set);
        }
    }

    /// Adds `v4`; whether the batch is full now (its keys must then go where they belong:
    /// [`V4Batch::take`]).
    #[inline]
    pub(crate) fn push_full(&mut self, v4: u32) -> bool {
        self.keys[self.len] = v4;
        self.len += 1;
        self.len == Self::LEN
    }

    /// The waiting keys, handed out once (the batch is empty after).
    #[inline]
    pub(crate) fn take(&mut self) -> &[u32] {
        let n = std::mem::replace(&mut self.len, 0);
        &self.keys[..n]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hands every waiting key to `set`: before anything reads the set.
    #[inline]
    pub(crate) fn flush(&mut self, set: &mut KeySet) {
        set.insert_v4s(&self.keys[..self.len]);
        self.len = 0;
    }
}

/// A set of distinct client keys, stored compactly (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    v4: V4Set,
    v6: WideSet,
    short: WideSet,
    long: Set<Box<[u8]>>,
    /// A class could not grow: keys were lost, and the set must not be counted (the
    /// [`WideSet`]s say so themselves).
    out_of_memory: bool,
}

/// A key class's set, as [`room`] grows it.
trait Grows {
    /// Keys it takes before it must grow.
    fn spare(&self) -> usize;
    fn try_reserve(&mut self, more: usize) -> Result<(), std::collections::TryReserveError>;
}

impl<T: Eq + std::hash::Hash> Grows for Set<T> {
    #[inline]
    fn spare(&self) -> usize {
        self.capacity() - self.len()
    }

    fn try_reserve(&mut self, more: usize) -> Result<(), std::collections::TryReserveError> {
        Set::try_reserve(self, more)
    }
}

impl Grows for V4Set {
    #[inline]
    fn spare(&self) -> usize {
        V4Set::spare(self)
    }

    fn try_reserve(&mut self, more: usize) -> Result<(), std::collections::TryReserveError> {
        V4Set::try_reserve(self, more)
    }
}

/// Whether `set` can take `more` keys, growing it if need be without aborting on failure.
#[inline]
fn room(set: &mut impl Grows, more: usize, failed: &mut bool) -> bool {
    if !*failed && set.spare() >= more {
        return true;
    }
    grow(set, more, failed)
}

#[cold]
fn grow(set: &mut impl Grows, more: usize, failed: &mut bool) -> bool {
    if !*failed && set.try_reserve(more).is_err() {
        *failed = true;
    }
    !*failed
}

impl KeySet {
    /// Records one key.
    #[inline]
    pub(crate) fn insert(&mut self, key: &[u8]) {
        self.insert_key(Key::of(key));
    }

    /// Records keys already parsed as dotted quads, all at once (see [`V4Batch`]).
    #[inline]
    pub(crate) fn insert_v4s(&mut self, v4s: &[u32]) {
        if room(&mut self.v4, v4s.len(), &mut self.out_of_memory) {
            self.v4.insert_batch(v4s);
        }
    }

    /// Records a key in its stored form.
    #[inline]
    pub(crate) fn insert_key(&mut self, key: Key<'_>) {
        let failed = &mut self.out_of_memory;
        match key {
            Key::V4(v) if room(&mut self.v4, 1, failed) => {
                self.v4.insert(v);
            }
            Key::V6(v) if !*failed => {
                self.v6.insert(v);
            }
            Key::Short(p) if !*failed => {
                self.short.insert(p);
            }
            Key::Long(k) if !self.long.contains(k) && room(&mut self.long, 1, failed) => {
                self.long.insert(k.into());
            }
            _ => {}
        }
    }

    /// Adds a copy of every key of `other` (a set that is still needed: a period's, whose
    /// union is the file's).
    pub(crate) fn union_with(&mut self, other: &KeySet) {
        self.out_of_memory |= other.out_of_memory();
        let failed = &mut self.out_of_memory;
        if room(&mut self.v4, other.v4.len(), failed)
            && room(&mut self.long, other.long.len(), failed)
        {
            self.v4.extend(other.v4.iter());
            self.v6.extend(other.v6.iter());
            self.short.extend(other.short.iter());
            for k in &other.long {
                if !self.long.contains(k) {
                    self.long.insert(k.clone());
                }
            }
        }
    }

    /// Makes room ahead for as many dotted quads as `like` holds: a period's set sized like
    /// the period before it, since a log's periods are mostly of a size, where growing by
    /// doubling moved each key about twice (6% of a `--by day` run, docs/performance.md). A
    /// hint: without the memory, the set grows as its keys come, and may fail then.
    pub(crate) fn presize_like(&mut self, like: &KeySet) {
        self.presize_v4(like.v4.len());
    }

    /// Makes room ahead for `n` dotted quads (a hint, as [`KeySet::presize_like`]).
    pub(crate) fn presize_v4(&mut self, n: usize) {
        let _ = self.v4.try_reserve(n);
    }

    /// Whether a class could not get the memory to grow: the set lost keys and its count is
    /// not to be trusted (the input it counts is an error).
    pub(crate) fn out_of_memory(&self) -> bool {
        self.out_of_memory || self.v6.lost() || self.short.lost()
    }

    /// Marks the set as having lost keys (what it was built from ran out of memory).
    pub(crate) fn set_out_of_memory(&mut self) {
        self.out_of_memory = true;
    }

    /// Number of distinct keys.
    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.short.len() + self.long.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds every key of `other`, reusing the larger set's allocation.
    pub(crate) fn merge(&mut self, mut other: KeySet) {
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        self.out_of_memory |= other.out_of_memory();
        let lens = [
            other.v4.len(),
            other.v6.len(),
            other.short.len(),
            other.long.len(),
        ];
        self.add_classes(lens, other.v4, other.v6, other.short, other.long);
    }

    /// Adds the keys of each class (`lens` of them, in class order): a class that cannot make
    /// room for its new keys marks the set out of memory (the [`WideSet`] classes make room
    /// as they go, and say so themselves), and it is not to be counted.
    fn add_classes(
        &mut self,
        lens: [usize; 4],
        v4: impl IntoIterator<Item = u32>,
        v6: impl IntoIterator<Item = u128>,
        short: impl IntoIterator<Item = u128>,
        long: impl IntoIterator<Item = Box<[u8]>>,
    ) {
        let failed = &mut self.out_of_memory;
        if room(&mut self.v4, lens[0], failed) && room(&mut self.long, lens[3], failed) {
            self.v4.extend(v4);
            self.v6.extend(v6);
            self.short.extend(short);
            self.long.extend(long);
        }
    }

    /// Whether `key` is in the set.
    #[cfg(test)]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.contains_key(Key::of(key))
    }

    /// Whether a key in its stored form is in the set.
    #[inline]
    pub(crate) fn contains_key(&self, key: Key<'_>) -> bool {
        match key {
            Key::V4(v) => self.v4.contains(v),
            Key::V6(v) => self.v6.contains(v),
            Key::Short(p) => self.short.contains(p),
            Key::Long(k) => self.long.contains(k),
        }
    }

    /// Hands the keys to `take` group by group of `split`, at most `batch` keys at a time,
    /// moving them: never a second copy of the whole set beside it (what [`KeySet::split`]
    /// makes), only a batch per group. Whether every key was handed over: without the memory
    /// for the batches, the rest are dropped (no abort; the caller says clients were lost).
    #[must_use]
    pub(crate) fn into_batches(
        self,
        split: Split,
        batch: usize,
        mut take: impl FnMut(usize, KeyVec),
    ) -> bool {
        let mut groups = vec![KeyVec::default(); split.groups()];
        let mut whole = true;
        let mut put = |group: usize, add: &mut dyn FnMut(&mut KeyVec) -> bool| {
            let keys = &mut groups[group];
            whole = whole && add(keys);
            if keys.len() >= batch {
                take(group, std::mem::take(keys));
            }
        };
        for v in self.v4 {
            put(split.of(Key::V4(v)), &mut |g| try_push(&mut g.v4, v));
        }
        for v in self.v6 {
            put(split.of(Key::V6(v)), &mut |g| try_push(&mut g.v6, v));
        }
        for p in self.short {
            put(split.of(Key::Short(p)), &mut |g| try_push(&mut g.short, p));
        }
        for k in self.long {
            let group = split.of(Key::Long(&k));
            let mut k = Some(k);
            put(group, &mut |g| {
                try_push(&mut g.long, k.take().expect("once"))
            });
        }
        for (group, keys) in groups.into_iter().enumerate() {
            if !keys.is_empty() {
                take(group, keys);
            }
        }
        whole
    }

    /// Splits the keys into the groups of `split`, moving them; each group is allocated at its
    /// exact size first (a counting pass over the fixed-size classes), so the groups cost no
    /// more than the keys they hold while both they and the set are alive.
    pub(crate) fn split(self, split: Split) -> Vec<KeyVec> {
        let mut routed = Routed::new(split);
        let mut sizes = vec![(0usize, 0usize, 0usize); split.groups()];
        for v in self.v4.iter() {
            sizes[split.of(Key::V4(v))].0 += 1;
        }
        for v in self.v6.iter() {
            sizes[split.of(Key::V6(v))].1 += 1;
        }
        for p in self.short.iter() {
            sizes[split.of(Key::Short(p))].2 += 1;
        }
        for (group, (v4, v6, short)) in routed.groups.iter_mut().zip(sizes) {
            group.v4.reserve_exact(v4);
            group.v6.reserve_exact(v6);
            group.short.reserve_exact(short);
        }
        for v in self.v4 {
            routed.groups[split.of(Key::V4(v))].v4.push(v);
        }
        for v in self.v6 {
            routed.groups[split.of(Key::V6(v))].v6.push(v);
        }
        for p in self.short {
            routed.groups[split.of(Key::Short(p))].short.push(p);
        }
        for k in self.long {
            routed.groups[split.of(Key::Long(&k))].long.push(k);
        }
        routed.groups
    }

    /// Adds a list of keys (a group made by [`KeySet::split`] or [`Routed`]).
    pub(crate) fn extend(&mut self, keys: KeyVec) {
        let lens = [
            keys.v4.len(),
            keys.v6.len(),
            keys.short.len(),
            keys.long.len(),
        ];
        self.add_classes(lens, keys.v4, keys.v6, keys.short, keys.long);
    }

    /// Adds a copy of every key of `keys` (read where they lie: no list of them first, which
    /// took as much memory again and aborted where it was not there).
    pub(crate) fn extend_from(&mut self, keys: &impl StoredKeys) {
        let failed = &mut self.out_of_memory;
        if room(&mut self.v4, keys.v4().len(), failed)
            && room(&mut self.long, keys.long().len(), failed)
        {
            self.v4.extend(keys.v4());
            self.v6.extend(keys.v6());
            self.short.extend(keys.short());
            self.long.extend(keys.long().map(Box::from));
        }
    }

    /// Every key as its original bytes, in no particular order (for tests and tools; the hot
    /// paths never need it).
    #[cfg(test)]
    pub(crate) fn to_byte_strings(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(self.v4.iter().map(|v| Key::V4(v).to_bytes()));
        out.extend(self.v6.iter().map(|v| Key::V6(v).to_bytes()));
        out.extend(self.short.iter().map(|p| Key::Short(p).to_bytes()));
        out.extend(self.long.iter().map(|k| Key::Long(k).to_bytes()));
        out
    }
}

/// Anything that holds distinct keys in their stored form: a set, a list, an encoded block.
pub(crate) trait StoredKeys {
    /// The canonical dotted quads, as `u32`.
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_;
    /// The canonical IPv6 addresses, as `u128`.
    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_;
    /// The other keys of at most [`SHORT_MAX`](super::SHORT_MAX) bytes, packed by
    /// [`pack_short`](super::pack_short).
    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_;
    /// The keys longer than [`SHORT_MAX`](super::SHORT_MAX) bytes.
    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_;

    /// Number of keys.
    fn count(&self) -> usize {
        self.v4().len() + self.v6().len() + self.short().len() + self.long().len()
    }

    /// The keys as a list.
    fn to_key_vec(&self) -> KeyVec
    where
        Self: Sized,
    {
        let mut keys = KeyVec::default();
        keys.add(self);
        keys
    }
}

impl StoredKeys for KeySet {
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.v4.iter()
    }

    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.v6.iter()
    }

    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.short.iter()
    }

    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.long.iter().map(|k| &k[..])
    }
}

/// Keys in their stored form, as a plain list (a group of a split, or keys gathered without
/// building a set). Distinct only where its maker says so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyVec {
    pub(crate) v4: Vec<u32>,
    pub(crate) v6: Vec<u128>,
    pub(crate) short: Vec<u128>,
    pub(crate) long: Vec<Box<[u8]>>,
}

impl KeyVec {
    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.short.len() + self.long.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a copy of every key of `keys`.
    pub(crate) fn add(&mut self, keys: &impl StoredKeys) {
        self.v4.extend(keys.v4());
        self.v6.extend(keys.v6());
        self.short.extend(keys.short());
        self.long.extend(keys.long().map(Box::from));
    }

    /// Sorts and deduplicates each class (the classes are disjoint); returns the count left.
    pub(crate) fn dedup(&mut self) -> usize {
        self.v4.sort_unstable();
        self.v4.dedup();
        self.v6.sort_unstable();
        self.v6.dedup();
        self.short.sort_unstable();
        self.short.dedup();
        self.long.sort_unstable();
        self.long.dedup();
        self.len()
    }
}

impl StoredKeys for KeyVec {
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.v4.iter().copied()
    }

    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.v6.iter().copied()
    }

    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.short.iter().copied()
    }

    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.long.iter().map(|k| &k[..])
    }
}

/// Pushes `x` unless the list is full and cannot grow; whether it did.
#[inline]
pub(crate) fn try_push<T>(list: &mut Vec<T>, x: T) -> bool {
    if list.len() == list.capacity() && list.try_reserve(1).is_err() {
        return false;
    }
    list.push(x);
    true
}

/// A set of `keys` (for the tests of the keys module).
#[cfg(test)]
pub(super) fn set(keys: &[&[u8]]) -> KeySet {
    let mut s = KeySet::default();
    for k in keys {
        s.insert(k);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::pack_short;

    #[test]
    fn a_set_sized_like_another_takes_as_many_dotted_quads_without_growing() {
        let mut like = KeySet::default();
        like.insert_v4s(&(1..=5000).collect::<Vec<u32>>());
        let mut set = KeySet::default();
        set.presize_like(&like);
        assert!(set.is_empty());
        assert!(set.v4.spare() >= 5000, "{}", set.v4.spare());
        let slots = set.v4.spare();
        set.insert_v4s(&(10_001..=15_000).collect::<Vec<u32>>());
        assert_eq!(set.v4.spare() + 5000, slots, "no growth on the way");
    }

    #[test]
    fn key_classes_round_trip() {
        let s = set(&[
            b"1.2.3.4",
            b"2001:db8::1",
            b"verylongkey-more-than-15-bytes",
            b"-",
            b"",
            b"1.2.3.4",
        ]);
        let mut k = s.to_byte_strings();
        k.sort();
        let mut want: Vec<Vec<u8>> = [
            &b"1.2.3.4"[..],
            b"2001:db8::1",
            b"verylongkey-more-than-15-bytes",
            b"-",
            b"",
        ]
        .iter()
        .map(|k| k.to_vec())
        .collect();
        want.sort();
        assert_eq!(k, want);
        assert!(s.contains(b"2001:db8::1"));
        assert!(!s.contains(b"1.2.3.5"));
        assert_eq!(s.count(), 5);
    }

    #[test]
    fn split_then_extend_is_the_same_set_for_shards_and_buckets() {
        let s = set(&[
            b"1.1.1.1",
            b"2.2.2.2",
            b"abc",
            b"long-key-0123456789abcdef",
            b"::1",
        ]);
        for split in [
            Split::Shards(0),
            Split::Shards(1),
            Split::Shards(6),
            Split::Buckets(1),
            Split::Buckets(3),
            Split::Buckets(1000),
        ] {
            let parts = s.clone().split(split);
            assert_eq!(parts.len(), split.groups());
            assert_eq!(parts.iter().map(KeyVec::len).sum::<usize>(), s.len());
            let mut routed = Routed::new(split);
            routed.add(&s);
            assert_eq!(routed.groups, parts, "{split:?}: copying and moving agree");
            let mut back = KeySet::default();
            for p in parts {
                back.extend(p);
            }
            assert_eq!(back.len(), s.len());
            assert!(back.contains(b"long-key-0123456789abcdef"));
        }
    }

    #[test]
    fn dedup_counts_distinct() {
        let mut v = KeyVec {
            v4: vec![3, 1, 3],
            v6: vec![1 << 100, 1 << 100, 7],
            short: vec![pack_short(b"-"), pack_short(b"-")],
            long: vec![b"a-long-client-key-over-fifteen".to_vec().into()],
        };
        assert_eq!(v.dedup(), 6);
    }
}

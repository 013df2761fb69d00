//! Client keys: stored compactly, hashed the same everywhere, split into groups by that hash.
//!
//! A key is stored in one of four disjoint classes, so distinct byte strings always stay
//! distinct and a set's size is the sum of its classes' sizes:
//! - a canonical dotted quad (`1.2.3.4`, no leading zeros, parts ≤ 255) as its `u32`;
//! - a canonical IPv6 address (RFC 5952's spelling, [`parse_v6`]) as its `u128`;
//! - any other key of at most [`SHORT_MAX`] bytes packed into a `u128` (the bytes and the length);
//! - longer keys as byte strings.
//!
//! Sets grow fallibly: a set that cannot get the memory to grow stops taking keys and says so
//! ([`KeySet::out_of_memory`]); whoever counted into it reports that input as an error.
//!
//! Anything that moves keys between threads, processes or machines splits them by one fixed,
//! portable hash ([`shard_of`]): shards of a union built in parallel, buckets of partial results
//! merged one at a time. [`Routed`] is the one way keys are split.

use std::collections::HashSet;
use std::hash::BuildHasher;

mod v4set;
pub(crate) use v4set::prefetch;
pub use v4set::V4Set;

/// A hasher with fixed seeds: the same in every process and every run, so anything hashed on
/// one side of a pipe can be checked on the other, and runs are reproducible. (It is not
/// portable across CPUs: never route by it across machines; [`shard_of`] is.)
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedState;

const FIXED: ahash::RandomState = ahash::RandomState::with_seeds(
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
);

impl BuildHasher for FixedState {
    type Hasher = ahash::AHasher;

    #[inline]
    fn build_hasher(&self) -> ahash::AHasher {
        FIXED.build_hasher()
    }
}

type Set<T> = HashSet<T, FixedState>;

/// A map keyed like a [`KeySet`]'s classes (requests per client: [`crate::count::Hits`]).
pub type Map<K, V> = std::collections::HashMap<K, V, FixedState>;

/// The longest key that packs into a `u128` beside its length byte.
pub const SHORT_MAX: usize = 15;

/// Shards a union is built in: `1 << SHARD_BITS`, enough that 16 threads rarely meet on one.
pub const SHARD_BITS: u32 = 6;

/// Dotted quads waiting to join a [`KeySet`]: a counting loop pushes each line's client here
/// and the set takes them 64 at a time. Inserting into a set bigger than the caches waits on
/// memory; back to back, the waits of several inserts overlap, where one insert per line,
/// between the parsing of lines, waits alone.
#[derive(Debug)]
pub struct V4Batch {
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
    pub fn push(&mut self, set: &mut KeySet, v4: u32) {
        if self.push_full(v4) {
            self.flush(set);
        }
    }

    /// Adds `v4`; whether the batch is full now (its keys must then go where they belong:
    /// [`V4Batch::take`]).
    #[inline]
    pub fn push_full(&mut self, v4: u32) -> bool {
        self.keys[self.len] = v4;
        self.len += 1;
        self.len == Self::LEN
    }

    /// The waiting keys, handed out once (the batch is empty after).
    #[inline]
    pub fn take(&mut self) -> &[u32] {
        let n = std::mem::replace(&mut self.len, 0);
        &self.keys[..n]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hands every waiting key to `set`: before anything reads the set.
    #[inline]
    pub fn flush(&mut self, set: &mut KeySet) {
        set.insert_v4s(&self.keys[..self.len]);
        self.len = 0;
    }
}

/// A set of distinct client keys, stored compactly (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    v4: V4Set,
    v6: Set<u128>,
    short: Set<u128>,
    long: Set<Box<[u8]>>,
    /// A class could not grow: keys were lost, and the set must not be counted.
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
    pub fn insert(&mut self, key: &[u8]) {
        self.insert_key(Key::of(key));
    }

    /// Records a key already parsed as a canonical dotted quad (the hot path's shortcut).
    #[inline]
    pub fn insert_v4(&mut self, v4: u32) {
        if room(&mut self.v4, 1, &mut self.out_of_memory) {
            self.v4.insert(v4);
        }
    }

    /// Records keys already parsed as dotted quads, all at once (see [`V4Batch`]).
    #[inline]
    pub fn insert_v4s(&mut self, v4s: &[u32]) {
        if room(&mut self.v4, v4s.len(), &mut self.out_of_memory) {
            self.v4.insert_batch(v4s);
        }
    }

    /// Records a key in its stored form.
    #[inline]
    pub fn insert_key(&mut self, key: Key<'_>) {
        let failed = &mut self.out_of_memory;
        match key {
            Key::V4(v) if room(&mut self.v4, 1, failed) => {
                self.v4.insert(v);
            }
            Key::V6(v) if room(&mut self.v6, 1, failed) => {
                self.v6.insert(v);
            }
            Key::Short(p) if room(&mut self.short, 1, failed) => {
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
    pub fn union_with(&mut self, other: &KeySet) {
        let failed = &mut self.out_of_memory;
        *failed |= other.out_of_memory;
        if room(&mut self.v4, other.v4.len(), failed)
            && room(&mut self.v6, other.v6.len(), failed)
            && room(&mut self.short, other.short.len(), failed)
            && room(&mut self.long, other.long.len(), failed)
        {
            self.v4.extend(other.v4.iter());
            self.v6.extend(other.v6.iter().copied());
            self.short.extend(other.short.iter().copied());
            for k in &other.long {
                if !self.long.contains(k) {
                    self.long.insert(k.clone());
                }
            }
        }
    }

    /// Whether a class could not get the memory to grow: the set lost keys and its count is
    /// not to be trusted (the input it counts is an error).
    pub fn out_of_memory(&self) -> bool {
        self.out_of_memory
    }

    /// Marks the set as having lost keys (what it was built from ran out of memory).
    pub fn set_out_of_memory(&mut self) {
        self.out_of_memory = true;
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.short.len() + self.long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds every key of `other`, reusing the larger set's allocation.
    pub fn merge(&mut self, mut other: KeySet) {
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        let failed = &mut self.out_of_memory;
        *failed |= other.out_of_memory;
        if room(&mut self.v4, other.v4.len(), failed)
            && room(&mut self.v6, other.v6.len(), failed)
            && room(&mut self.short, other.short.len(), failed)
            && room(&mut self.long, other.long.len(), failed)
        {
            self.v4.extend(other.v4);
            self.v6.extend(other.v6);
            self.short.extend(other.short);
            self.long.extend(other.long);
        }
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.contains_key(Key::of(key))
    }

    /// Whether a key in its stored form is in the set.
    #[inline]
    pub fn contains_key(&self, key: Key<'_>) -> bool {
        match key {
            Key::V4(v) => self.v4.contains(v),
            Key::V6(v) => self.v6.contains(&v),
            Key::Short(p) => self.short.contains(&p),
            Key::Long(k) => self.long.contains(k),
        }
    }

    /// Hands the keys to `take` group by group of `split`, at most `batch` keys at a time,
    /// moving them: never a second copy of the whole set beside it (what [`KeySet::split`]
    /// makes), only a batch per group. Whether every key was handed over: without the memory
    /// for the batches, the rest are dropped (no abort; the caller says clients were lost).
    #[must_use]
    pub fn into_batches(
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
    pub fn split(self, split: Split) -> Vec<KeyVec> {
        let mut routed = Routed::new(split);
        let mut sizes = vec![(0usize, 0usize, 0usize); split.groups()];
        for v in self.v4.iter() {
            sizes[split.of(Key::V4(v))].0 += 1;
        }
        for &v in &self.v6 {
            sizes[split.of(Key::V6(v))].1 += 1;
        }
        for &p in &self.short {
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
    pub fn extend(&mut self, keys: KeyVec) {
        let failed = &mut self.out_of_memory;
        if room(&mut self.v4, keys.v4.len(), failed)
            && room(&mut self.v6, keys.v6.len(), failed)
            && room(&mut self.short, keys.short.len(), failed)
            && room(&mut self.long, keys.long.len(), failed)
        {
            self.v4.extend(keys.v4);
            self.v6.extend(keys.v6);
            self.short.extend(keys.short);
            self.long.extend(keys.long);
        }
    }

    /// Adds a copy of every key of `keys` (read where they lie: no list of them first, which
    /// took as much memory again and aborted where it was not there).
    pub fn extend_from(&mut self, keys: &impl StoredKeys) {
        let failed = &mut self.out_of_memory;
        if room(&mut self.v4, keys.v4().len(), failed)
            && room(&mut self.v6, keys.v6().len(), failed)
            && room(&mut self.short, keys.short().len(), failed)
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
    pub fn to_byte_strings(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(self.v4.iter().map(|v| Key::V4(v).to_bytes()));
        out.extend(self.v6.iter().map(|&v| Key::V6(v).to_bytes()));
        out.extend(self.short.iter().map(|&p| Key::Short(p).to_bytes()));
        out.extend(self.long.iter().map(|k| Key::Long(k).to_bytes()));
        out
    }
}

/// Anything that holds distinct keys in their stored form: a set, a list, an encoded block.
pub trait StoredKeys {
    /// The canonical dotted quads, as `u32`.
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_;
    /// The canonical IPv6 addresses, as `u128`.
    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_;
    /// The other keys of at most [`SHORT_MAX`] bytes, packed by [`pack_short`].
    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_;
    /// The keys longer than [`SHORT_MAX`] bytes.
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
        self.v6.iter().copied()
    }

    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.short.iter().copied()
    }

    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.long.iter().map(|k| &k[..])
    }
}

/// Keys in their stored form, as a plain list (a group of a split, or keys gathered without
/// building a set). Distinct only where its maker says so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyVec {
    pub v4: Vec<u32>,
    pub v6: Vec<u128>,
    pub short: Vec<u128>,
    pub long: Vec<Box<[u8]>>,
}

impl KeyVec {
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.short.len() + self.long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a copy of every key of `keys`.
    pub fn add(&mut self, keys: &impl StoredKeys) {
        self.v4.extend(keys.v4());
        self.v6.extend(keys.v6());
        self.short.extend(keys.short());
        self.long.extend(keys.long().map(Box::from));
    }

    /// Sorts and deduplicates each class (the classes are disjoint); returns the count left.
    pub fn dedup(&mut self) -> usize {
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

/// A key in its stored form, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    V4(u32),
    V6(u128),
    Short(u128),
    Long(&'a [u8]),
}

impl<'a> Key<'a> {
    /// The stored form of a key's bytes (the class [`KeySet::insert`] puts it in).
    #[inline]
    pub fn of(key: &'a [u8]) -> Key<'a> {
        if let Some(v4) = parse_v4(key) {
            Key::V4(v4)
        } else if let Some(v6) = parse_v6(key) {
            Key::V6(v6)
        } else if key.len() <= SHORT_MAX {
            Key::Short(pack_short(key))
        } else {
            Key::Long(key)
        }
    }

    /// The key's original bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.write_to(&mut bytes);
        bytes
    }

    /// Appends the key's original bytes to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        match self {
            Key::V4(v) => out.extend_from_slice(format_v4(v).as_bytes()),
            Key::V6(v) => out.extend_from_slice(write_v6(v, &mut [0u8; 39])),
            Key::Short(p) => {
                let bytes = p.to_le_bytes();
                out.extend_from_slice(&bytes[..usize::from(bytes[15])]);
            }
            Key::Long(k) => out.extend_from_slice(k),
        }
    }
}

/// The shard of a key among `1 << bits` (at most 32 bits), from a fixed hash with a published
/// definition: the same in every process, every build and on every machine, so keys split by
/// it can cross process and machine boundaries (partial results from different machines must
/// agree on it, or one key could land in two groups and count twice).
#[inline]
pub fn shard_of(key: Key<'_>, bits: u32) -> usize {
    const MUL: u64 = 0x9e37_79b9_7f4a_7c15;
    if bits == 0 {
        return 0;
    }
    let h = match key {
        Key::V4(v) => u64::from(v).wrapping_mul(MUL),
        Key::V6(p) | Key::Short(p) => {
            ((p as u64) ^ ((p >> 64) as u64).rotate_left(29)).wrapping_mul(MUL)
        }
        // xxh3, not ahash: ahash's output depends on the CPU's features (AES or not).
        Key::Long(k) => xxhash_rust::xxh3::xxh3_64(k),
    };
    (h >> (64 - bits)) as usize
}

/// How keys are split into groups by [`shard_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// `1 << bits` shards: the top bits of the hash.
    Shards(u32),
    /// `n` buckets: the top 32 bits of the hash modulo `n` (any `n` works, not only powers of
    /// two).
    Buckets(u32),
}

impl Split {
    /// How many groups there are.
    pub fn groups(self) -> usize {
        match self {
            Split::Shards(bits) => 1 << bits,
            Split::Buckets(n) => n as usize,
        }
    }

    /// The group of `key`.
    #[inline]
    pub fn of(self, key: Key<'_>) -> usize {
        match self {
            Split::Shards(bits) => shard_of(key, bits),
            Split::Buckets(n) => (shard_of(key, 32) as u64 % u64::from(n)) as usize,
        }
    }
}

/// Keys routed into the groups of a [`Split`], as lists (copied from wherever they are stored).
#[derive(Clone, Debug)]
pub struct Routed {
    split: Split,
    pub groups: Vec<KeyVec>,
}

impl Routed {
    pub fn new(split: Split) -> Routed {
        Routed {
            split,
            groups: vec![KeyVec::default(); split.groups()],
        }
    }

    /// Adds a copy of every key of `keys` to its group.
    pub fn add(&mut self, keys: &impl StoredKeys) {
        for v in keys.v4() {
            self.groups[self.split.of(Key::V4(v))].v4.push(v);
        }
        for v in keys.v6() {
            self.groups[self.split.of(Key::V6(v))].v6.push(v);
        }
        for p in keys.short() {
            self.groups[self.split.of(Key::Short(p))].short.push(p);
        }
        for k in keys.long() {
            self.groups[self.split.of(Key::Long(k))].long.push(k.into());
        }
    }

    /// The non-empty groups with their index, in index order.
    pub fn non_empty(self) -> impl Iterator<Item = (u32, KeyVec)> {
        self.groups
            .into_iter()
            .enumerate()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(i, keys)| (i as u32, keys))
    }
}

/// Parses a canonical dotted quad: four decimal parts, each 0–255, without leading zeros.
/// Anything else (`01.2.3.4`, `1.2.3`, `1.2.3.4.`) is not one, so it stays a distinct key.
#[inline]
pub fn parse_v4(key: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&key.len()) {
        return None;
    }
    let mut value: u32 = 0;
    let mut part: u32 = 0;
    let mut digits = 0usize;
    let mut parts = 0usize;
    for &b in key {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && part == 0 {
                    return None; // leading zero
                }
                part = part * 10 + u32::from(b - b'0');
                digits += 1;
                if part > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || parts == 3 {
                    return None;
                }
                value = (value << 8) | part;
                part = 0;
                digits = 0;
                parts += 1;
            }
            _ => return None,
        }
    }
    if digits == 0 || parts != 3 {
        return None;
    }
    Some((value << 8) | part)
}

/// The fast path for the common line: a canonical dotted quad right at the start, ended by a
/// key end (space, `\t`, `,`), by `\n`, or by `\r\n`. Returns the quad and the offset of the
/// byte that ended it. `None` means "not sure": the general path decides (leading whitespace,
/// leading zeros, a fifth digit, a lone `\r`, the end of the buffer, ...).
///
/// A quad and the byte that ends it fit in 16 bytes, so those are classed at once (digits,
/// dots, zeros: a bit each) and the parts are checked and read without a branch per digit:
/// the lengths of the parts (one to three digits) vary from line to line, and branching on
/// them was mispredicted. Fewer than 16 bytes are read from a copy padded with zero bytes,
/// which are neither digits, dots nor ends, so nothing past `s` can make a quad.
#[inline]
pub fn leading_v4(s: &[u8]) -> Option<(u32, usize)> {
    leading_v4_by(s, classes)
}

/// [`leading_v4`] with `classes` to class the head (the tests try each way).
#[inline(always)]
fn leading_v4_by(s: &[u8], classes: impl Fn(&[u8; 16]) -> (u32, u32, u32)) -> Option<(u32, usize)> {
    let padded;
    let head: &[u8; 16] = match s.first_chunk() {
        Some(head) => head,
        None => {
            let mut copy = [0u8; 16];
            copy[..s.len()].copy_from_slice(s);
            padded = copy;
            &padded
        }
    };
    let (digit, dot, zero) = classes(head);
    let (v4, end) = quad_in(head, Classes { digit, dot, zero })?;
    match head[end] {
        b' ' | b'\t' | b',' | b'\n' => Some((v4, end)),
        b'\r' if s.get(end + 1) == Some(&b'\n') => Some((v4, end)),
        _ => None,
    }
}

/// The bytes of a 16-byte head by class: bit `i` of each mask stands for byte `i`.
#[derive(Clone, Copy)]
struct Classes {
    digit: u32,
    dot: u32,
    zero: u32,
}

/// The canonical dotted quad that `head` starts with, and the offset of the byte after it
/// (which may be anything but a digit: the caller checks it ends the key), without branches
/// on the lengths of the parts.
#[inline(always)]
fn quad_in(head: &[u8; 16], c: Classes) -> Option<(u32, usize)> {
    // Bytes past the head (bits 16..) count as non-digits, so the fourth non-digit is always
    // found: at 19 at the most.
    let other = !c.digit;
    let p0 = other.trailing_zeros();
    let o1 = other & other.wrapping_sub(1);
    let p1 = o1.trailing_zeros();
    let o2 = o1 & o1.wrapping_sub(1);
    let p2 = o2.trailing_zeros();
    let o3 = o2 & o2.wrapping_sub(1);
    let p3 = o3.trailing_zeros() & 31;
    // The quad is bytes `..p3`; `p3` must end it.
    let before = (1u32 << p3) - 1;
    let upto = before | (1 << p3);
    // Bytes that follow a non-digit, and the first.
    let starts = (other << 1) | 1;
    // The first three non-digits are dots.
    let undotted = other & before & !c.dot;
    // No part is empty: the first byte and every byte after a dot, up to `p3`, is a digit.
    let empty = other & starts & upto;
    // No part has four digits.
    let long = c.digit & (c.digit >> 1) & (c.digit >> 2) & (c.digit >> 3) & before;
    // No part of two or three digits starts with `0`.
    let leading_zero = c.zero & starts & (c.digit >> 1) & before;
    let bad = undotted | empty | long | leading_zero;
    // A part at `start..end` (one to three digits): the four bytes there (they stay in the
    // head: the last part starts at 12 at the most) shifted so that its last digit is the
    // fourth byte and the bytes before it are shifted out, as digit values (`& 0x0f`). With
    // another length the lane is nonsense, and `bad` is set.
    let lane = |start: u32, end: u32| -> u64 {
        let at = start.min(12) as usize;
        let w = u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let len = end.wrapping_sub(start);
        u64::from(w.wrapping_shl(4u32.wrapping_sub(len).wrapping_mul(8)) & 0x0f0f_0f00)
    };
    // Two parts a word, 32 bits each, bytes `[0, h, t, o]`: `h` and `10t + o` in 16 bits each,
    // then `100h + 10t + o` (no sum crosses its field; what shifts in from the next part is
    // masked off).
    let value = |w: u64| {
        let w = (w * 10 + (w >> 8)) & 0x00ff_00ff_00ff_00ff;
        (w * 100 + (w >> 16)) & 0x0000_ffff_0000_ffff
    };
    let ab = value(lane(0, p0) | (lane(p0 + 1, p1) << 32));
    let cd = value(lane(p1 + 1, p2) | (lane(p2 + 1, p3) << 32));
    let v4 =
        ((ab as u32) << 24) | (((ab >> 32) as u32) << 16) | ((cd as u32) << 8) | (cd >> 32) as u32;
    // `bad == 0` means four parts of 1 to 3 digits and three dots: then `p3` is at most 15.
    (bad == 0 && (ab | cd) & 0xff00_0000_ff00 == 0).then_some((v4, (p3 & 15) as usize))
}

/// Digits, dots and `0`s of `head`, by SSE2 (x86_64 has it always).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn classes(head: &[u8; 16]) -> (u32, u32, u32) {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is enabled (the cfg above), so the intrinsics may run; `_mm_loadu_si128`
    // reads 16 bytes at any alignment, and `head` is 16 readable bytes.
    unsafe {
        let v = _mm_loadu_si128(head.as_ptr().cast());
        let digit = _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8(b'0' as i8 - 1)),
            _mm_cmplt_epi8(v, _mm_set1_epi8(b'9' as i8 + 1)),
        );
        let dot = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        let zero = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'0' as i8));
        (
            _mm_movemask_epi8(digit) as u32,
            _mm_movemask_epi8(dot) as u32,
            _mm_movemask_epi8(zero) as u32,
        )
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use classes_swar as classes;

/// [`classes`] in plain integer arithmetic, for targets without SSE2 (and the tests).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn classes_swar(head: &[u8; 16]) -> (u32, u32, u32) {
    const ONES: u128 = u128::from_le_bytes([1; 16]);
    const LOW7: u128 = ONES * 0x7f;
    const HIGH: u128 = ONES * 0x80;
    let x = u128::from_le_bytes(*head);
    // The high bit of each byte that equals `b` (no carry crosses a byte).
    let equal = |b: u8| {
        let t = x ^ (ONES * u128::from(b));
        !(((t & LOW7) + LOW7) | t) & HIGH
    };
    // The high bit of each byte `b` with `b ^ 0x30 < 10`: a digit.
    let y = x ^ (ONES * 0x30);
    let digit = !(((y & LOW7) + ONES * (0x80 - 10)) | y) & HIGH;
    // High bits of bytes to one bit a byte (the eight products land on distinct bits).
    let bits = |m: u128| {
        let half = |h: u64| ((h >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
        half(m as u64) | (half((m >> 64) as u64) << 8)
    };
    (bits(digit), bits(equal(b'.')), bits(equal(b'0')))
}

/// The byte loop [`leading_v4`] replaced: the oracle it must agree with on every input.
#[cfg(test)]
fn leading_v4_reference(s: &[u8]) -> Option<(u32, usize)> {
    let mut i = 0;
    let mut value = 0u32;
    for part in 0..4 {
        let first = *s.get(i)?;
        if !first.is_ascii_digit() {
            return None;
        }
        let mut n = u32::from(first - b'0');
        i += 1;
        while let Some(&b) = s.get(i) {
            if !b.is_ascii_digit() {
                break;
            }
            if first == b'0' {
                return None; // leading zero: not canonical
            }
            n = n * 10 + u32::from(b - b'0');
            i += 1;
            if n > 255 {
                return None;
            }
        }
        value = (value << 8) | n;
        if part < 3 {
            if *s.get(i)? != b'.' {
                return None;
            }
            i += 1;
        }
    }
    match *s.get(i)? {
        b' ' | b'\t' | b',' | b'\n' => Some((value, i)),
        b'\r' if s.get(i + 1) == Some(&b'\n') => Some((value, i)),
        _ => None,
    }
}

/// Parses a canonical IPv6 address: the spelling RFC 5952 §4 recommends, which
/// [`format_v6`] writes back byte for byte (lowercase hex, no leading zeros, the longest run of
/// two or more zero groups as `::`, the first of equal runs, no dotted-quad tail). Any other
/// spelling (`2001:DB8::1`, `2001:db8:0:0::1`, `::ffff:1.2.3.4`) is not one, so it stays a
/// distinct key, as the contract says (docs/contract.md §1). The rule is ours and fixed, never
/// a library's `Display`: partials made by different builds must class keys alike.
#[inline]
pub fn parse_v6(key: &[u8]) -> Option<u128> {
    if !(2..=39).contains(&key.len()) || !key.contains(&b':') {
        return None;
    }
    let addr: std::net::Ipv6Addr = std::str::from_utf8(key).ok()?.parse().ok()?;
    let v = u128::from(addr);
    let mut buf = [0u8; 39];
    (write_v6(v, &mut buf) == key).then_some(v)
}

/// Writes `v` in the spelling [`parse_v6`] takes into `buf`; returns the bytes written.
fn write_v6(v: u128, buf: &mut [u8; 39]) -> &[u8] {
    let groups: [u16; 8] = std::array::from_fn(|i| (v >> (112 - 16 * i)) as u16);
    // The longest run of at least two zero groups (the first of equal ones).
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            run = if run.1 == 0 {
                (i, 1)
            } else {
                (run.0, run.1 + 1)
            };
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run = (0, 0);
        }
    }
    let gap = (best.1 >= 2).then_some(best.0..best.0 + best.1);
    let mut at = 0;
    let mut put = |b: u8| {
        buf[at] = b;
        at += 1;
    };
    let mut i = 0;
    while i < 8 {
        if let Some(gap) = gap.as_ref().filter(|g| g.start == i) {
            put(b':');
            if i == 0 {
                put(b':');
            }
            i = gap.end;
            continue;
        }
        let g = groups[i];
        let digits = (4 - g.leading_zeros() as usize / 4).max(1);
        for d in (0..digits).rev() {
            put(b"0123456789abcdef"[usize::from((g >> (4 * d)) & 0xf)]);
        }
        if i < 7 {
            put(b':');
        }
        i += 1;
    }
    &buf[..at]
}

/// Formats a `u128` as the canonical IPv6 address it came from.
pub fn format_v6(v: u128) -> String {
    let mut buf = [0u8; 39];
    String::from_utf8(write_v6(v, &mut buf).to_vec()).expect("ASCII")
}

/// Formats a `u32` as the dotted quad it came from.
pub fn format_v4(v: u32) -> String {
    let [a, b, c, d] = v.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
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

/// Packs a key of at most [`SHORT_MAX`] bytes with its length, one-to-one.
#[inline]
pub fn pack_short(key: &[u8]) -> u128 {
    debug_assert!(key.len() <= SHORT_MAX);
    let mut bytes = [0u8; 16];
    bytes[..key.len()].copy_from_slice(key);
    bytes[15] = key.len() as u8;
    u128::from_le_bytes(bytes)
}

/// The inverse of [`pack_short`].
pub fn unpack_short(packed: u128) -> Vec<u8> {
    Key::Short(packed).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&[u8]]) -> KeySet {
        let mut s = KeySet::default();
        for k in keys {
            s.insert(k);
        }
        s
    }

    #[test]
    fn v4_parsing_is_canonical() {
        assert_eq!(parse_v4(b"0.0.0.0"), Some(0));
        assert_eq!(parse_v4(b"255.255.255.255"), Some(u32::MAX));
        assert_eq!(parse_v4(b"1.2.3.4"), Some(0x0102_0304));
        for bad in [
            &b"256.1.1.1"[..],
            b"01.2.3.4",
            b"1.2.3",
            b"1.2.3.4.",
            b".1.2.3.4",
            b"1..2.3",
            b"1.2.3.4.5",
            b"1.2.3.a",
            b"1000.1.1.1",
            b"",
        ] {
            assert_eq!(parse_v4(bad), None, "{bad:?}");
        }
        for v in [0u32, 1, 0x0a00_0001, 0xc0a8_0101, u32::MAX] {
            assert_eq!(parse_v4(format_v4(v).as_bytes()), Some(v));
        }
    }

    #[test]
    fn leading_v4_takes_a_canonical_quad_and_its_end() {
        type Case = (&'static [u8], Option<(u32, usize)>);
        let cases: &[Case] = &[
            (b"1.2.3.4 -", Some((0x0102_0304, 7))),
            (b"1.2.3.4\tx", Some((0x0102_0304, 7))),
            (b"1.2.3.4,x", Some((0x0102_0304, 7))),
            (b"1.2.3.4\n", Some((0x0102_0304, 7))),
            (b"1.2.3.4\r\n", Some((0x0102_0304, 7))),
            (b"0.0.0.0 ", Some((0, 7))),
            (b"10.200.0.99 ", Some((0x0ac8_0063, 11))),
            (b"255.255.255.255\n", Some((u32::MAX, 15))),
            (b"255.255.255.255 and more after", Some((u32::MAX, 15))),
            // `\r\n` across the 16th byte.
            (b"255.255.255.255\r\n", Some((u32::MAX, 15))),
            (b"255.255.255.25\r\n", Some((0xffff_ff19, 14))),
            (b"1.2.3.4 1234 01.2.3.4", Some((0x0102_0304, 7))),
            (b"1.2.3.4", None), // the buffer may go on
            (b"255.255.255.255", None),
            (b"255.255.255.255\r", None),
            (b"255.255.255.255\rx", None),
            (b"1.2.3.4\r", None),
            (b"1.2.3.4\r x", None),
            (b"1.2.3.45x ", None),
            (b"01.2.3.4 ", None),
            (b"1.02.3.4 ", None),
            (b"1.2.00.4 ", None),
            (b"1.2.3.04 ", None),
            (b"1.2.3.1234 ", None),
            (b"1.2.3.2555 ", None),
            (b"1000.2.3.4 ", None),
            (b"256.1.1.1 ", None),
            (b"1.1.1.256 ", None),
            (b"1.300.1.1 ", None),
            (b"1.2.3 ", None),
            (b"1.2.3. ", None),
            (b"1..2.3.4 ", None),
            (b".1.2.3.4 ", None),
            (b"1.2.3.4.5 ", None),
            (b"1.2.3.4. ", None),
            (b" 1.2.3.4 ", None),
            (b"1.2.3.4\x0b ", None),
            (b"1.2.3.4:80 ", None),
            (b"1.2.3.4\0", None),
            (b"1,2.3.4 ", None),
            (b"", None),
            (b"1", None),
            (b"1.2.3.4........ ", None),
            (b"1234567890123456789", None),
            (b"25520", None), // a part of five digits, read padded
            (b"................", None),
        ];
        for &(s, want) in cases {
            assert_eq!(leading_v4(s), want, "{:?}", String::from_utf8_lossy(s));
            assert_eq!(leading_v4_by(s, classes_swar), want, "swar {s:?}");
            assert_eq!(leading_v4_reference(s), want, "reference {s:?}");
        }
    }

    /// Every quad spelled from parts of every kind (empty too), ended every way, alone (read
    /// padded) and followed by more.
    #[test]
    fn leading_v4_agrees_with_the_byte_loop_on_every_spelling() {
        let parts = [
            "", "0", "00", "1", "01", "9", "10", "99", "100", "255", "256", "999", "1000",
        ];
        let ends = ["", " ", "\t", ",", "\n", "\r", "\r\n", ".", "x", "\x0b"];
        let mut s = Vec::new();
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        for end in ends {
                            for tail in ["", "\n0123456789abcdef", "x0123456789abcdef"] {
                                s.clear();
                                s.extend_from_slice(
                                    format!("{a}.{b}.{c}.{d}{end}{tail}").as_bytes(),
                                );
                                let want = leading_v4_reference(&s);
                                assert_eq!(leading_v4(&s), want, "{s:?}");
                                assert_eq!(leading_v4_by(&s, classes_swar), want, "swar {s:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    mod leading_v4_prop {
        use super::*;
        use proptest::prelude::*;

        /// Text that looks like a dotted quad: parts of 0..=999 in one to four digits (leading
        /// zeros when the width is more than the number needs), up to six of them, then an end.
        fn quad_like() -> impl Strategy<Value = Vec<u8>> {
            let part = (0u32..=999, 1usize..=4).prop_map(|(n, w)| format!("{n:0w$}"));
            let end = proptest::sample::select(vec![
                "", " ", "\t", ",", "\n", "\r", "\r\n", ".", "x", "\x0b", "0", "\0",
            ]);
            (proptest::collection::vec(part, 1..=6), end)
                .prop_map(|(parts, end)| format!("{}{end}", parts.join(".")).into_bytes())
        }

        /// Digits, dots and ends in any order.
        fn soup() -> impl Strategy<Value = Vec<u8>> {
            let token = proptest::sample::select(vec![
                "0", "1", "2", "5", "9", "25", "255", "256", "00", ".", ".", " ", "\t", ",", "\r",
                "\n", "\r\n",
            ]);
            proptest::collection::vec(token, 0..14).prop_map(|t| t.concat().into_bytes())
        }

        fn input() -> impl Strategy<Value = Vec<u8>> {
            let head = prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..40),
                quad_like(),
                quad_like(),
                soup(),
            ];
            (
                head,
                any::<proptest::sample::Index>(),
                proptest::collection::vec(any::<u8>(), 0..24),
            )
                .prop_map(|(mut s, cut, tail)| {
                    s.truncate(cut.index(s.len() + 1));
                    s.extend_from_slice(&tail);
                    s
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4096))]

            #[test]
            fn leading_v4_matches_the_byte_loop(s in input()) {
                let want = leading_v4_reference(&s);
                prop_assert_eq!(leading_v4(&s), want);
                prop_assert_eq!(leading_v4_by(&s, classes_swar), want);
            }

            #[test]
            fn swar_classes_match_simd(head in any::<[u8; 16]>()) {
                prop_assert_eq!(classes_swar(&head), classes(&head));
            }
        }
    }

    #[test]
    fn v6_parsing_takes_only_the_canonical_spelling() {
        for good in [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:85a3::8a2e:370:7334",
            "2001:db8:0:1:1:1:1:1",
            "2001:db8::1:0:0:1",
            "fe80::1:2",
            "1:0:0:2::3",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            let v = parse_v6(good.as_bytes()).unwrap_or_else(|| panic!("{good}"));
            assert_eq!(format_v6(v), good);
            assert_eq!(u128::from(good.parse::<std::net::Ipv6Addr>().unwrap()), v);
        }
        for other in [
            "2001:DB8::1",           // upper case
            "2001:0db8::1",          // a leading zero
            "2001:db8:0:0:1:0:0:1",  // a run that should be ::
            "2001:db8::0:1",         // the run not as long as it can be
            "2001:db8:0::1:0:0:1",   // the shorter run compressed
            "2001:db8::1:0:0:0:1",   // the shorter run compressed, again
            "::ffff:1.2.3.4",        // a dotted-quad tail
            "2001:db8:0:1:1:1:1:1:", // trailing colon
            "1.2.3.4",
            ":",
            "[::1]",
            "::1%eth0",
        ] {
            if let Some(v) = parse_v6(other.as_bytes()) {
                panic!("{other} taken as {}", format_v6(v));
            }
        }
        for v in [
            0u128,
            1,
            u128::MAX,
            0x2001_0db8 << 96,
            1 << 64,
            0xffff << 32,
        ] {
            assert_eq!(parse_v6(format_v6(v).as_bytes()), Some(v));
        }
        // A set tells the spellings apart, as the contract says.
        let s = set(&[b"2001:db8::1", b"2001:DB8::1", b"2001:db8:0:0:0:0:0:1"]);
        assert_eq!(s.len(), 3);
    }

    proptest::proptest! {
        #[test]
        fn v6_spelling_round_trips(v in proptest::prelude::any::<u128>(), zeros in 0u8..255) {
            // Zero some groups, so runs of every length and place are met.
            let mask = (0..8).filter(|i| zeros >> i & 1 == 1)
                .fold(0u128, |m, i| m | (0xffff << (16 * i)));
            let v = v & !mask;
            let text = format_v6(v);
            proptest::prop_assert_eq!(parse_v6(text.as_bytes()), Some(v));
            proptest::prop_assert_eq!(text.parse::<std::net::Ipv6Addr>().map(u128::from), Ok(v));
        }
    }

    #[test]
    fn packing_is_one_to_one() {
        let a = pack_short(b"ab");
        assert_ne!(a, pack_short(b"ab\0"));
        assert_ne!(pack_short(b""), pack_short(b"\0"));
        assert_eq!(unpack_short(a), b"ab");
        let long = b"123456789012345";
        assert_eq!(unpack_short(pack_short(long)), long);
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
    fn buckets_are_balanced_and_fixed() {
        let mut s = KeySet::default();
        for i in 0..64_000u32 {
            s.insert(format_v4(0x0a00_0000 + i).as_bytes());
        }
        for k in [3u32, 16] {
            let expected = s.len() / k as usize;
            for (b, keys) in s.clone().split(Split::Buckets(k)).iter().enumerate() {
                assert!(
                    keys.len().abs_diff(expected) < expected / 5,
                    "bucket {b}/{k} holds {} keys, expected about {expected}",
                    keys.len()
                );
            }
        }
        // Fixed: the same group on every machine (literals, not recomputations).
        let buckets = Split::Buckets(1000);
        assert_eq!(buckets.of(Key::V4(0x0102_0304)), 428);
        assert_eq!(buckets.of(Key::Short(pack_short(b"2001:db8::1"))), 529);
        assert_eq!(buckets.of(Key::V6(parse_v6(b"2001:db8::1").unwrap())), 705);
        assert_eq!(buckets.of(Key::Long(b"a-long-client-key-over-fifteen")), 35);
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

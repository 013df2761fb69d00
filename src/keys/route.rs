//! Routing: the one way keys are split into groups, by a fixed, portable hash.

use super::{Key, KeyVec, StoredKeys};

/// Shards a union is built in: `1 << SHARD_BITS`, enough that 16 threads rarely meet on one.
pub const SHARD_BITS: u32 = 6;

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
    pub(crate) fn groups(self) -> usize {
        match self {
            Split::Shards(bits) => 1 << bits,
            Split::Buckets(n) => n as usize,
        }
    }

    /// The group of `key`.
    #[inline]
    pub(crate) fn of(self, key: Key<'_>) -> usize {
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
    pub(crate) groups: Vec<KeyVec>,
}

impl Routed {
    pub(crate) fn new(split: Split) -> Routed {
        Routed {
            split,
            groups: vec![KeyVec::default(); split.groups()],
        }
    }

    /// Adds a copy of every key of `keys` to its group.
    pub(crate) fn add(&mut self, keys: &impl StoredKeys) {
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
    pub(crate) fn non_empty(self) -> impl Iterator<Item = (u32, KeyVec)> {
        self.groups
            .into_iter()
            .enumerate()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(i, keys)| (i as u32, keys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{format_v4, pack_short, parse_v6, KeySet};

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
}

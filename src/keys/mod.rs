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

mod addr;
mod hash;
mod route;
mod sent;
mod set;
mod slots;
mod v4counts;
mod v4set;
mod wideset;

pub(crate) use addr::write_v6;
pub(crate) use addr::{format_v4, leading_v4, parse_v4, parse_v6};
pub(crate) use hash::{FixedState, Map};
pub use route::{shard_of, Routed, Split, SHARD_BITS};
pub(crate) use sent::{ShardWriter, V4Shards};
pub(crate) use set::try_push;
pub(crate) use set::{KeySet, KeyVec, StoredKeys, V4Batch};
pub(crate) use v4counts::V4Counts;
pub(crate) use v4set::prefetch;

/// The longest key that packs into a `u128` beside its length byte.
pub(crate) const SHORT_MAX: usize = 15;

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
    pub(crate) fn of(key: &'a [u8]) -> Key<'a> {
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
    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.write_to(&mut bytes);
        bytes
    }

    /// Appends the key's original bytes to `out`.
    pub(crate) fn write_to(self, out: &mut Vec<u8>) {
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

/// Packs a key of at most [`SHORT_MAX`] bytes with its length, one-to-one.
#[inline]
pub(crate) fn pack_short(key: &[u8]) -> u128 {
    debug_assert!(key.len() <= SHORT_MAX);
    let mut bytes = [0u8; 16];
    bytes[..key.len()].copy_from_slice(key);
    bytes[15] = key.len() as u8;
    u128::from_le_bytes(bytes)
}

/// The inverse of [`pack_short`].
#[cfg(test)]
pub(crate) fn unpack_short(packed: u128) -> Vec<u8> {
    Key::Short(packed).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_one_to_one() {
        let a = pack_short(b"ab");
        assert_ne!(a, pack_short(b"ab\0"));
        assert_ne!(pack_short(b""), pack_short(b"\0"));
        assert_eq!(unpack_short(a), b"ab");
        let long = b"123456789012345";
        assert_eq!(unpack_short(pack_short(long)), long);
    }
}

//! The one hasher of key sets and maps: fixed seeds, so that a set hashes alike in every process
//! and every run.

use std::hash::BuildHasher;

/// A hasher with fixed seeds: the same in every process and every run, so anything hashed on
/// one side of a pipe can be checked on the other, and runs are reproducible. (It is not
/// portable across CPUs: never route by it across machines; [`shard_of`](super::shard_of) is.)
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FixedState;

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

/// A map keyed like a [`KeySet`](super::KeySet)'s classes (requests per client:
/// [`crate::count::Hits`]).
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, FixedState>;

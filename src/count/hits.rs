//! Requests per client, for `--top N` (docs/contract.md §5): a map per key class, as
//! [`KeySet`] stores keys, summed on merge, so any split of the input merges to the same
//! counts and the top N of the whole is exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::format::Client;
use crate::keys::{Key, KeySet, Map, StoredKeys, V4Batch, V4Counts};

/// Requests per distinct client.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hits {
    v4: V4Counts,
    v6: Map<u128, u64>,
    short: Map<u128, u64>,
    long: Map<Box<[u8]>, u64>,
    /// A class could not grow: clients were lost (see [`KeySet::out_of_memory`]).
    out_of_memory: bool,
}

/// One of the clients with the most requests.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Top {
    /// The client's bytes (shown by [`crate::report`] like any name).
    #[serde(skip)]
    pub(crate) client: Vec<u8>,
    pub(crate) requests: u64,
}

/// Adds `n` to `key`'s count in `map`, growing it without aborting when memory runs out.
#[inline]
fn bump<K: Eq + std::hash::Hash>(map: &mut Map<K, u64>, key: K, n: u64, failed: &mut bool) {
    if map.len() == map.capacity() && !map.contains_key(&key) && grow(map, failed) {
        return;
    }
    *map.entry(key).or_insert(0) += n;
}

#[cold]
fn grow<K: Eq + std::hash::Hash>(map: &mut Map<K, u64>, failed: &mut bool) -> bool {
    grow_by(map, 1, failed)
}

/// Makes room for `more` clients; whether that failed (the map then lost clients).
#[cold]
fn grow_by<K: Eq + std::hash::Hash>(map: &mut Map<K, u64>, more: usize, failed: &mut bool) -> bool {
    if *failed || map.try_reserve(more).is_err() {
        *failed = true;
    }
    *failed
}

/// Makes room for `more` dotted quads; whether that failed (the counts then lost clients).
#[cold]
fn grow_v4(counts: &mut V4Counts, more: usize, failed: &mut bool) -> bool {
    if *failed || counts.try_reserve(more).is_err() {
        *failed = true;
    }
    *failed
}

impl Hits {
    /// Room for `incoming` dotted quads at once, before adding them: keys met in the order of
    /// another [`V4Counts`] (a merge, a decode, a shard's part) must not find a table smaller
    /// than theirs that grows as they come, where they pile up in its first slots (they come
    /// in its slots' order) and every add probes a longer run: 1,500 instructions an add,
    /// where 10 were due. A table at least as big as theirs spreads them; the keys it already
    /// holds are not counted twice (they are mostly the same clients).
    fn reserve_v4(&mut self, incoming: usize) {
        let more = incoming.saturating_sub(self.v4.len());
        if self.v4.spare() < more {
            grow_v4(&mut self.v4, more, &mut self.out_of_memory);
        }
    }

    /// `n` requests of the dotted quad `v`, growing its table without aborting.
    #[inline]
    fn add_v4(&mut self, v: u32, n: u64) {
        if self.v4.spare() == 0
            && !self.v4.contains(v)
            && grow_v4(&mut self.v4, 1, &mut self.out_of_memory)
        {
            return;
        }
        self.v4.add(v, n);
    }

    /// One request of `client`.
    #[inline]
    pub(crate) fn add(&mut self, client: Client<'_>) {
        match client {
            Client::V4(v) => self.add_v4(v, 1),
            Client::Bytes(b) => self.add_key(Key::of(b), 1),
            Client::Absent => {}
        }
    }

    /// One request of each dotted quad of `v4s` (see [`V4Batch`](crate::keys::V4Batch): back to back, the waits of
    /// several lookups overlap).
    #[inline]
    pub(crate) fn add_v4s(&mut self, v4s: &[u32]) {
        if self.v4.spare() < v4s.len() && grow_v4(&mut self.v4, v4s.len(), &mut self.out_of_memory)
        {
            return;
        }
        self.v4.add_batch(v4s);
    }

    /// `n` requests of a client in its stored form.
    #[inline]
    pub(crate) fn add_key(&mut self, key: Key<'_>, n: u64) {
        let failed = &mut self.out_of_memory;
        match key {
            Key::V4(v) => self.add_v4(v, n),
            Key::V6(v) => bump(&mut self.v6, v, n, failed),
            Key::Short(p) => bump(&mut self.short, p, n, failed),
            Key::Long(k) => match self.long.get_mut(k) {
                Some(c) => *c += n,
                None => bump(&mut self.long, k.into(), n, failed),
            },
        }
    }

    /// Adds a list of clients and their requests (a shard's part of another's).
    pub(crate) fn add_list(&mut self, list: Vec<(Key<'_>, u64)>) {
        self.reserve_v4(list.iter().filter(|(k, _)| matches!(k, Key::V4(_))).count());
        list.into_iter().for_each(|(key, n)| self.add_key(key, n));
    }

    /// Number of distinct clients.
    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len() + self.short.len() + self.long.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn out_of_memory(&self) -> bool {
        self.out_of_memory
    }

    /// No clients, marked as having lost some (what a merge of one that lost clients keeps).
    pub(crate) fn lost() -> Hits {
        Hits {
            out_of_memory: true,
            ..Hits::default()
        }
    }

    /// Adds `other`'s counts (a sum per client), reusing the larger map.
    pub(crate) fn merge(&mut self, mut other: Hits) {
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        self.out_of_memory |= other.out_of_memory;
        self.reserve_v4(other.v4.len());
        other.each(|key, n| self.add_key(key, n));
    }

    /// Calls `f` with every client and its requests, in no particular order.
    pub(crate) fn each<'a>(&'a self, mut f: impl FnMut(Key<'a>, u64)) {
        self.v4.each(|v, n| f(Key::V4(v), n));
        self.v6.iter().for_each(|(&v, &n)| f(Key::V6(v), n));
        self.short.iter().for_each(|(&p, &n)| f(Key::Short(p), n));
        self.long.iter().for_each(|(k, &n)| f(Key::Long(k), n));
    }

    /// Requests per client from the keys and their counts in the same order (what
    /// [`crate::counts_encoding`] writes): `None` when a client repeats, a count is 0, or the lists
    /// differ in length (what a correct sender never makes). Without the memory for every
    /// client, the clients it holds, marked [`Hits::out_of_memory`].
    pub(crate) fn from_parts(
        keys: &impl StoredKeys,
        mut counts: impl ExactSizeIterator<Item = u64>,
    ) -> Option<Hits> {
        if keys.count() != counts.len() {
            return None;
        }
        let mut hits = Hits::default();
        let mut zero = false;
        let mut next = || {
            let n = counts.next().expect("as many counts as keys");
            zero |= n == 0;
            n
        };
        hits.reserve_v4(keys.v4().len());
        keys.v4().for_each(|v| hits.add_key(Key::V4(v), next()));
        keys.v6().for_each(|v| hits.add_key(Key::V6(v), next()));
        keys.short()
            .for_each(|p| hits.add_key(Key::Short(p), next()));
        keys.long().for_each(|k| hits.add_key(Key::Long(k), next()));
        // Clients lost to a lack of memory are that (the caller reports it), not a repeat.
        (!zero && (hits.len() == keys.count() || hits.out_of_memory)).then_some(hits)
    }

    /// Requests over every client.
    pub(crate) fn requests(&self) -> u64 {
        let mut sum = 0u64;
        self.each(|_, n| sum = sum.saturating_add(n));
        sum
    }

    /// The distinct clients, as a set.
    pub(crate) fn key_set(&self) -> KeySet {
        let mut keys = KeySet::default();
        // Sized at once and filled a prefetched batch at a time: growing it by doubling as the
        // keys came took 6% of a `--top` run on one big file (docs/performance.md).
        keys.presize_v4(self.v4.len());
        let mut batch = V4Batch::default();
        self.v4.each(|v, _| batch.push(&mut keys, v));
        batch.flush(&mut keys);
        self.v6.keys().for_each(|&v| keys.insert_key(Key::V6(v)));
        self.short
            .keys()
            .for_each(|&p| keys.insert_key(Key::Short(p)));
        self.long.keys().for_each(|k| keys.insert_key(Key::Long(k)));
        if self.out_of_memory {
            keys.set_out_of_memory();
        }
        keys
    }

    /// The `n` clients with the most requests, most first; ties by the client's bytes.
    ///
    /// In two passes that hold no more than `n` clients: the `n`-th most requests (the edge),
    /// then the clients above it and, of those at it, the first by their bytes. (It listed
    /// every client first: 112 MB for 3.5 million, where every client tied at the edge kept
    /// them all, and an abort where that memory was not there: issue 27.)
    pub(crate) fn top(&self, n: usize) -> Vec<Top> {
        let n = n.min(self.len());
        if n == 0 {
            return Vec::new();
        }
        // The n biggest counts, smallest on top: the last of them is the edge.
        let mut biggest: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(n + 1);
        self.each(|_, c| {
            if biggest.len() < n {
                biggest.push(Reverse(c));
            } else if biggest.peek().is_some_and(|&Reverse(least)| c > least) {
                biggest.pop();
                biggest.push(Reverse(c));
            }
        });
        let Reverse(edge) = *biggest.peek().expect("n > 0 counts");
        let above = biggest.iter().filter(|&&Reverse(c)| c > edge).count();
        let room = n - above;
        let mut top = Vec::with_capacity(n);
        // Of the clients at the edge, the `room` first by bytes: greatest on top.
        let mut at_edge: BinaryHeap<Vec<u8>> = BinaryHeap::with_capacity(room + 1);
        let mut bytes = Vec::new();
        self.each(|key, c| {
            if c > edge {
                top.push(Top {
                    client: key.to_bytes(),
                    requests: c,
                });
            } else if c == edge {
                bytes.clear();
                key.write_to(&mut bytes);
                if at_edge.len() < room {
                    at_edge.push(bytes.clone());
                } else if at_edge.peek().is_some_and(|last| bytes < *last) {
                    at_edge.pop();
                    at_edge.push(bytes.clone());
                }
            }
        });
        top.extend(at_edge.into_iter().map(|client| Top {
            client,
            requests: edge,
        }));
        top.sort_unstable_by(|a, b| b.requests.cmp(&a.requests).then(a.client.cmp(&b.client)));
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients added in another's order (a shard's part, a decode, a merge) find room made
    /// first, and an add looks at a few slots: into a table that grew as they came, they
    /// piled up in its first slots (1,500 instructions an add).
    #[test]
    fn clients_in_another_counts_order_probe_little() {
        let mut source = Hits::default();
        let clients: Vec<u32> = (0..100_000u32).map(|i| 0x0a00_0000 + i * 13).collect();
        source.add_v4s(&clients);
        let mut list = Vec::new();
        source.each(|key, n| list.push((key, n)));
        let mut shard = Hits::default();
        shard.add_list(list);
        let mut keys = crate::keys::KeyVec::default();
        let mut counts = Vec::new();
        source.each(|key, n| {
            let Key::V4(v) = key else { panic!("{key:?}") };
            keys.v4.push(v);
            counts.push(n);
        });
        let decoded = Hits::from_parts(&keys, counts.into_iter()).unwrap();
        let mut merged = Hits::default();
        merged.add_v4s(&clients[..10]);
        merged.merge(source.clone());
        for hits in [&shard, &decoded, &merged] {
            assert_eq!(hits.len(), clients.len());
            let per_add = hits.v4.probes() as f64 / clients.len() as f64;
            assert!(per_add < 8.0, "{per_add} slots an add");
        }
    }

    fn hits(clients: &[&[u8]]) -> Hits {
        let mut h = Hits::default();
        for c in clients {
            h.add(Client::Bytes(c));
        }
        h
    }

    fn names(top: &[Top]) -> Vec<(String, u64)> {
        top.iter()
            .map(|t| (String::from_utf8_lossy(&t.client).into_owned(), t.requests))
            .collect()
    }

    #[test]
    fn top_orders_by_requests_then_bytes() {
        let long: &[u8] = b"a-client-name-longer-than-fifteen";
        let h = hits(&[
            b"10.0.0.2",
            b"10.0.0.1",
            b"10.0.0.2",
            b"2001:db8::1",
            long,
            long,
            b"b",
            b"a",
            b"a",
        ]);
        assert_eq!(h.len(), 6);
        assert_eq!(
            names(&h.top(3)),
            [
                ("10.0.0.2".into(), 2),
                ("a".into(), 2),
                (String::from_utf8_lossy(long).into_owned(), 2),
            ]
        );
        assert_eq!(h.top(100).len(), 6);
        assert!(h.top(0).is_empty());
        assert_eq!(h.key_set().len(), 6);
    }

    proptest::proptest! {
        /// The bounded two-pass top is the obvious one: every client sorted by requests, then
        /// bytes, the first n kept (many ties at the edge, every key class).
        #[test]
        fn top_is_the_first_n_of_all_sorted(
            clients in proptest::collection::vec(0u8..40, 0..200),
            n in 0usize..50,
        ) {
            let names: Vec<Vec<u8>> = clients
                .iter()
                .map(|&c| match c % 4 {
                    0 => format!("10.0.0.{c}").into_bytes(),
                    1 => format!("2001:db8::{c:x}").into_bytes(),
                    2 => format!("h{c}").into_bytes(),
                    _ => format!("a-host-name-longer-than-fifteen-{c}").into_bytes(),
                })
                .collect();
            let refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
            let h = hits(&refs);
            let mut all: Vec<Top> = Vec::new();
            h.each(|key, requests| all.push(Top { client: key.to_bytes(), requests }));
            all.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.client.cmp(&b.client)));
            all.truncate(n);
            proptest::prop_assert_eq!(h.top(n), all);
        }
    }

    #[test]
    fn merge_sums_per_client() {
        let mut a = hits(&[b"1.1.1.1", b"x"]);
        a.merge(hits(&[b"1.1.1.1", b"1.1.1.1", b"y"]));
        assert_eq!(names(&a.top(1)), [("1.1.1.1".into(), 3)]);
        assert_eq!(a.len(), 3);
        // A dotted quad given as bytes or parsed is one client.
        let mut b = Hits::default();
        b.add(Client::V4(0x0101_0101));
        b.add(Client::Bytes(b"1.1.1.1"));
        assert_eq!(names(&b.top(5)), [("1.1.1.1".into(), 2)]);
    }
}

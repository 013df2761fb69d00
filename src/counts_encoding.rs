//! A compact binary encoding of [`Counts`]' total and keys, for anything that moves counts
//! between processes (process-pool workers, partial results; the malformed count and the format
//! travel beside it).
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! total   u64
//! n_v4    u64, then n_v4 × u32        canonical dotted quads
//! n_v6    u64, then n_v6 × u128       canonical IPv6 addresses
//! n_short u64, then n_short × u128    other keys ≤ 15 bytes, packed with their length
//! n_long  u64, then n_long × (u32 length, bytes)
//! ```
//!
//! A dotted quad costs 4 bytes, an IPv6 address or a packed short key 16. Decoding never trusts
//! a length: a truncated or corrupt buffer is an error ([`BadBytes`] of "counts", the detail's
//! too), never a panic or a huge allocation.

use std::ops::Range;

use crate::bytes::{BadBytes, ByteReader, ByteWriter};
use crate::count::{Counts, Hits, PeriodCounts, Periods};
use crate::keys::{parse_v4, parse_v6, Key, KeySet, StoredKeys, SHORT_MAX};

/// What every error of this encoding says it was reading.
const WHAT: &str = "counts";

/// Counts that hold what no encoder writes: `why`.
fn corrupt(why: &'static str) -> BadBytes {
    BadBytes::Corrupt { what: WHAT, why }
}

/// Appends the encoding of `counts` to `out`.
pub(crate) fn encode(counts: &Counts, out: &mut Vec<u8>) {
    encode_keys(counts.total, std::slice::from_ref(&counts.keys), out);
}

/// Appends the encoding of a total and the union of disjoint groups of keys (the shards of one
/// file's keys, say, or one bucket's list) without merging them first.
pub(crate) fn encode_keys<K: StoredKeys>(total: u64, parts: &[K], out: &mut Vec<u8>) {
    let n_v4: usize = parts.iter().map(|s| s.v4().len()).sum();
    let n_v6: usize = parts.iter().map(|s| s.v6().len()).sum();
    let n_short: usize = parts.iter().map(|s| s.short().len()).sum();
    let n_long: usize = parts.iter().map(|s| s.long().len()).sum();
    out.reserve(40 + n_v4 * 4 + (n_v6 + n_short) * 16);
    out.put_u64(total);
    out.put_u64(n_v4 as u64);
    for v in parts.iter().flat_map(StoredKeys::v4) {
        out.put_u32(v);
    }
    out.put_u64(n_v6 as u64);
    for v in parts.iter().flat_map(StoredKeys::v6) {
        out.put_u128(v);
    }
    out.put_u64(n_short as u64);
    for p in parts.iter().flat_map(StoredKeys::short) {
        out.put_u128(p);
    }
    out.put_u64(n_long as u64);
    for k in parts.iter().flat_map(StoredKeys::long) {
        out.put_bytes(k);
    }
}

/// Appends what the time and top options (docs/contract.md §5) add to counts, after their
/// main encoding:
///
/// ```text
/// filtered   u64
/// n_periods  u64, then per period (ascending): period i64, malformed u64, an encoding whose
///            total is the period's requests and whose keys are its clients
/// hits       an encoding whose total is the requests over its keys (the clients), then one
///            u64 count per key, in the encoding's order
/// ```
pub(crate) fn encode_detail(filtered: u64, periods: &Periods, hits: &Hits, out: &mut Vec<u8>) {
    out.put_u64(filtered);
    out.put_u64(periods.len() as u64);
    for (period, counts) in periods.iter() {
        out.put_i64(period);
        out.put_u64(counts.malformed);
        encode_keys(counts.total, std::slice::from_ref(&counts.keys), out);
    }
    encode_hits(hits, out);
}

/// The hits part of [`encode_detail`], written from the maps as they are (no list of the
/// clients first: that took as much memory again, and aborted where it was not there).
fn encode_hits(hits: &Hits, out: &mut Vec<u8>) {
    let mut classes = [0u64; 4];
    hits.each(|key, _| classes[class(key)] += 1);
    out.put_u64(hits.requests());
    out.put_u64(classes[0]);
    // `each` goes class by class in the encoding's order: each count before its class.
    let mut at = 0;
    hits.each(|key, _| {
        while at < class(key) {
            at += 1;
            out.put_u64(classes[at]);
        }
        match key {
            Key::V4(v) => out.put_u32(v),
            Key::V6(v) | Key::Short(v) => out.put_u128(v),
            Key::Long(k) => out.put_bytes(k),
        }
    });
    for &n in &classes[at + 1..] {
        out.put_u64(n);
    }
    hits.each(|_, n| out.put_u64(n));
}

/// A key's class, in the encoding's order.
fn class(key: Key<'_>) -> usize {
    match key {
        Key::V4(_) => 0,
        Key::V6(_) => 1,
        Key::Short(_) => 2,
        Key::Long(_) => 3,
    }
}

/// The bytes of an encoding (of `keys`' class sizes, any total).
fn keys_len<K: StoredKeys>(keys: &K) -> usize {
    40 + keys.v4().len() * 4
        + (keys.v6().len() + keys.short().len()) * 16
        + keys.long().map(|k| 4 + k.len()).sum::<usize>()
}

/// The bytes [`encode`] then [`encode_detail`] append for `counts`, exactly: a sender reserves
/// them first, so that counts too big for the memory left are an error, not an abort.
pub(crate) fn encoded_len(counts: &Counts) -> usize {
    let periods: usize = counts
        .detail
        .periods
        .iter()
        .map(|(_, p)| 16 + keys_len(&p.keys))
        .sum();
    let mut hits = 40;
    counts.detail.hits.each(|key, _| {
        hits += 8 + match key {
            Key::V4(_) => 4,
            Key::V6(_) | Key::Short(_) => 16,
            Key::Long(k) => 4 + k.len(),
        }
    });
    keys_len(&counts.keys) + 16 + periods + hits
}

/// Checks the layout of what [`encode_detail`] wrote at the front of `bytes` (every length
/// and packing, as [`scan`] does, and periods strictly ascending) without building a set;
/// returns the bytes it takes. [`decode_detail`] checks the rest.
pub(crate) fn scan_detail(bytes: &[u8]) -> Result<usize, BadBytes> {
    let mut r = ByteReader::new(bytes, WHAT);
    r.u64()?;
    let n = r.count(56)?;
    let mut last = None;
    for _ in 0..n {
        let period = r.i64()?;
        if last.is_some_and(|p| p >= period) {
            return Err(corrupt("periods out of order"));
        }
        last = Some(period);
        r.u64()?;
        r.skip(scan(r.rest())?.used)?;
    }
    let layout = scan(r.rest())?;
    r.skip(layout.used)?;
    r.skip(layout.len().checked_mul(8).ok_or(corrupt("hits"))?)?;
    Ok(r.pos())
}

/// Decodes what [`encode_detail`] wrote at the front of `bytes`: checked (periods strictly
/// ascending, no client twice, no zero count, each total the sum it claims); returns it and
/// the bytes used.
pub(crate) fn decode_detail(bytes: &[u8]) -> Result<(u64, Periods, Hits, usize), BadBytes> {
    let mut r = ByteReader::new(bytes, WHAT);
    let filtered = r.u64()?;
    let n = r.count(56)?;
    let mut list = Vec::with_capacity(n);
    for _ in 0..n {
        let period = r.i64()?;
        let malformed = r.u64()?;
        let layout = scan(r.rest())?;
        let counts = layout.counts(r.rest());
        // A set that could not grow lost clients (the caller reports it): not a repeat.
        let lost = counts.keys.out_of_memory();
        if counts.keys.len() != layout.len() && !lost {
            return Err(corrupt("a client repeated in a period"));
        }
        if (layout.len() as u64) > counts.total {
            return Err(corrupt("more clients than requests in a period"));
        }
        r.skip(layout.used)?;
        if list.last().is_some_and(|&(p, _)| p >= period) {
            return Err(corrupt("periods out of order"));
        }
        list.push((
            period,
            PeriodCounts {
                total: counts.total,
                malformed,
                keys: counts.keys,
            },
        ));
    }
    // The clients and their counts are read where they lie: no list as big as the set.
    let layout = scan(r.rest())?;
    let keys = layout.block(r.rest());
    r.skip(layout.used)?;
    let requests = r
        .take(layout.len().saturating_mul(8))?
        .chunks_exact(8)
        .map(|n| u64::from_le_bytes(n.try_into().expect("8 bytes")));
    let hits = Hits::from_parts(&keys, requests.clone())
        .ok_or(corrupt("a client repeated, or counted 0 times"))?;
    if requests.clone().try_fold(0u64, |a, n| a.checked_add(n)) != Some(layout.total) {
        return Err(corrupt("requests per client do not add up"));
    }
    Ok((filtered, list.into_iter().collect(), hits, r.pos()))
}

/// The encoding of `counts` as a new buffer.
#[cfg(test)]
pub(crate) fn to_bytes(counts: &Counts) -> Vec<u8> {
    let mut out = Vec::new();
    encode(counts, &mut out);
    out
}

/// Decodes one [`Counts`] from the front of `bytes`; returns it and the bytes it used.
#[cfg(test)]
pub(crate) fn decode(bytes: &[u8]) -> Result<(Counts, usize), BadBytes> {
    let layout = scan(bytes)?;
    Ok((layout.counts(bytes), layout.used))
}

/// Decodes one encoding from the front of `bytes` into its total and its keys as a list
/// (no set is built: a caller that only counts or re-routes keys skips the hashing); returns
/// them and the bytes used.
#[cfg(test)]
pub(crate) fn decode_vec(bytes: &[u8]) -> Result<(u64, crate::keys::KeyVec, usize), BadBytes> {
    let layout = scan(bytes)?;
    Ok((layout.total, layout.keys(bytes), layout.used))
}

/// Where the parts of one encoding lie in its buffer: checked, not copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub(crate) total: u64,
    /// The dotted quads, 4 bytes each.
    pub(crate) v4: Range<usize>,
    /// The IPv6 addresses, 16 bytes each.
    pub(crate) v6: Range<usize>,
    /// The packed short keys, 16 bytes each.
    pub(crate) short: Range<usize>,
    /// The long keys, each a `u32` length and its bytes.
    pub(crate) long: Range<usize>,
    pub(crate) n_long: usize,
    /// Bytes the encoding takes.
    pub(crate) used: usize,
}

impl Layout {
    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.v4.len() / 4 + self.v6.len() / 16 + self.short.len() / 16 + self.n_long
    }

    /// The keys, read in place; `bytes` must be the buffer [`scan`] read.
    pub(crate) fn block<'a>(&'a self, bytes: &'a [u8]) -> Block<'a> {
        Block {
            layout: self,
            bytes,
        }
    }

    /// Every key, as a list; `bytes` must be the buffer [`scan`] read.
    #[cfg(test)]
    pub(crate) fn keys(&self, bytes: &[u8]) -> crate::keys::KeyVec {
        self.block(bytes).to_key_vec()
    }

    /// The counts (their total and keys; what else a [`Counts`] holds travels beside the
    /// encoding), with their key set built; `bytes` must be the buffer [`scan`] read (so a
    /// caller that checked an encoding early decodes it later without checking it again).
    pub(crate) fn counts(&self, bytes: &[u8]) -> Counts {
        let mut keys = KeySet::default();
        keys.extend_from(&self.block(bytes));
        Counts {
            total: self.total,
            keys,
            ..Counts::default()
        }
    }

    /// The dotted quads; `bytes` must be the buffer [`scan`] read.
    pub(crate) fn v4<'a>(&self, bytes: &'a [u8]) -> impl ExactSizeIterator<Item = u32> + 'a {
        bytes[self.v4.clone()]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
    }

    /// The IPv6 addresses; `bytes` must be the buffer [`scan`] read.
    pub(crate) fn v6<'a>(&self, bytes: &'a [u8]) -> impl ExactSizeIterator<Item = u128> + 'a {
        u128s(&bytes[self.v6.clone()])
    }

    /// The packed short keys; `bytes` must be the buffer [`scan`] read.
    pub(crate) fn short<'a>(&self, bytes: &'a [u8]) -> impl ExactSizeIterator<Item = u128> + 'a {
        u128s(&bytes[self.short.clone()])
    }

    /// The long keys; `bytes` must be the buffer [`scan`] read.
    pub(crate) fn long<'a>(&self, bytes: &'a [u8]) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let mut rest = &bytes[self.long.clone()];
        (0..self.n_long).map(move |_| {
            let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            let key = &rest[4..4 + len];
            rest = &rest[4 + len..];
            key
        })
    }
}

fn u128s(bytes: &[u8]) -> impl ExactSizeIterator<Item = u128> + '_ {
    bytes
        .chunks_exact(16)
        .map(|c| u128::from_le_bytes(c.try_into().expect("16 bytes")))
}

/// The keys of one checked encoding, read where they lie.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block<'a> {
    layout: &'a Layout,
    bytes: &'a [u8],
}

impl StoredKeys for Block<'_> {
    fn v4(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.layout.v4(self.bytes)
    }

    fn v6(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.layout.v6(self.bytes)
    }

    fn short(&self) -> impl ExactSizeIterator<Item = u128> + '_ {
        self.layout.short(self.bytes)
    }

    fn long(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.layout.long(self.bytes)
    }
}

/// Checks one encoding at the front of `bytes` and says where its parts lie, without copying
/// a key: for callers that read keys straight from the buffer.
pub(crate) fn scan(bytes: &[u8]) -> Result<Layout, BadBytes> {
    let mut r = ByteReader::new(bytes, WHAT);
    let total = r.u64()?;
    let n = r.count(4)?;
    let start = r.pos();
    r.take(n * 4)?;
    let v4 = start..r.pos();
    let n = r.count(16)?;
    let start = r.pos();
    r.take(n * 16)?;
    let v6 = start..r.pos();
    let n = r.count(16)?;
    let start = r.pos();
    for _ in 0..n {
        let raw: [u8; 16] = r.array()?;
        let len = usize::from(raw[15]);
        // Only the one packing `pack_short` makes is valid, or one key could count twice.
        if len > SHORT_MAX || raw[len..15].iter().any(|&b| b != 0) {
            return Err(corrupt("badly packed short key"));
        }
        if parse_v4(&raw[..len]).is_some() {
            return Err(corrupt("dotted quad stored as a short key"));
        }
        if parse_v6(&raw[..len]).is_some() {
            return Err(corrupt("IPv6 address stored as a short key"));
        }
    }
    let short = start..r.pos();
    let n_long = r.count(4)?;
    let start = r.pos();
    for _ in 0..n_long {
        let len = r.u32()? as usize;
        if len <= SHORT_MAX {
            return Err(corrupt("long key of 15 bytes or less"));
        }
        if parse_v6(r.take(len)?).is_some() {
            return Err(corrupt("IPv6 address stored as a long key"));
        }
    }
    Ok(Layout {
        total,
        v4,
        v6,
        short,
        long: start..r.pos(),
        n_long,
        used: r.pos(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::count;
    use crate::keys::KeySet;

    fn sample() -> Counts {
        count(b"1.2.3.4 a\n01.2.3.4 b\n2001:db8::1 c\na-long-key-over-fifteen d\n\n,x\n1.2.3.4\n")
    }

    fn sorted_keys(c: &Counts) -> Vec<Vec<u8>> {
        let mut k = c.keys.to_byte_strings();
        k.sort();
        k
    }

    #[test]
    fn detail_round_trips_and_its_length_is_known_before() {
        // Every key class in the file's keys, a period's and the requests per client.
        let mut c = sample();
        let keys: [&[u8]; 4] = [
            b"1.2.3.4",
            b"2001:db8::1",
            b"short",
            b"a-long-key-over-fifteen",
        ];
        let p = c.detail.periods.at(7);
        p.total = 4;
        p.malformed = 1;
        for (i, key) in keys.iter().enumerate() {
            p.keys.insert(key);
            for _ in 0..=i {
                c.detail.hits.add_key(Key::of(key), 1);
            }
        }
        c.filtered = 2;
        for counts in [&c, &Counts::default()] {
            let mut out = vec![0xaa];
            encode(counts, &mut out);
            let d = &counts.detail;
            encode_detail(counts.filtered, &d.periods, &d.hits, &mut out);
            assert_eq!(out.len(), 1 + encoded_len(counts));
            let (_, used) = decode(&out[1..]).unwrap();
            let (filtered, periods, hits, rest) = decode_detail(&out[1 + used..]).unwrap();
            assert_eq!(1 + used + rest, out.len());
            assert_eq!(filtered, counts.filtered);
            let back = crate::count::Detail {
                periods,
                hits,
                ..Default::default()
            };
            assert!(back.same(&counts.detail), "{back:?}");
        }
    }

    #[test]
    fn round_trip() {
        let c = sample();
        let bytes = to_bytes(&c);
        let (back, used) = decode(&bytes).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(back.total, c.total);
        assert_eq!(sorted_keys(&back), sorted_keys(&c));
        let (empty, _) = decode(&to_bytes(&Counts::default())).unwrap();
        assert_eq!((empty.total, empty.ip()), (0, 0));
    }

    #[test]
    fn dotted_quads_cost_four_bytes() {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&format!("10.0.{}.{} x\n", i / 256, i % 256));
        }
        assert_eq!(to_bytes(&count(text.as_bytes())).len(), 40 + 4 * 1000);
    }

    #[test]
    fn canonical_ipv6_addresses_cost_sixteen_bytes() {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&format!("2001:db8:85a3::8a2e:370:{i:x} x\n"));
        }
        let c = count(text.as_bytes());
        assert_eq!(c.ip(), 1000);
        assert_eq!(to_bytes(&c).len(), 40 + 16 * 1000);
    }

    #[test]
    fn list_encoding_is_the_set_encoding() {
        let c = sample();
        let keys = c.keys.to_key_vec();
        let mut bytes = Vec::new();
        encode_keys(c.total, std::slice::from_ref(&keys), &mut bytes);
        assert_eq!(bytes, to_bytes(&c));
        let parts: Vec<KeySet> = c
            .keys
            .clone()
            .split(crate::keys::Split::Shards(2))
            .into_iter()
            .map(|part| {
                let mut set = KeySet::default();
                set.extend(part);
                set
            })
            .collect();
        let mut from_sets = Vec::new();
        encode_keys(c.total, &parts, &mut from_sets);
        let (_, split, _) = decode_vec(&from_sets).unwrap();
        assert_eq!(from_sets.len(), bytes.len());
        let mut sorted = split.v4.clone();
        sorted.sort_unstable();
        let mut want = keys.v4.clone();
        want.sort_unstable();
        assert_eq!(sorted, want);
        let (total, back, used) = decode_vec(&bytes).unwrap();
        assert_eq!((total, used), (c.total, bytes.len()));
        assert_eq!(
            (back.v4, back.v6, back.short, back.long),
            (keys.v4, keys.v6, keys.short, keys.long)
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = to_bytes(&sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn corrupt_counts_do_not_allocate_or_panic() {
        let mut bytes = to_bytes(&sample());
        bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(&bytes).is_err());
        // Each key in its one class, or it could count twice.
        let stored = |short: &[u8], long: &[u8]| {
            let mut bad: Vec<u8> = Vec::new();
            bad.put_u64(1);
            bad.put_u64(0);
            bad.put_u64(0);
            bad.put_u64(u64::from(!short.is_empty()));
            if !short.is_empty() {
                bad.put_u128(crate::keys::pack_short(short));
            }
            bad.put_u64(u64::from(!long.is_empty()));
            if !long.is_empty() {
                bad.put_bytes(long);
            }
            decode(&bad).unwrap_err()
        };
        assert_eq!(
            stored(b"1.2.3.4", b""),
            corrupt("dotted quad stored as a short key")
        );
        assert_eq!(
            stored(b"::1", b""),
            corrupt("IPv6 address stored as a short key")
        );
        assert_eq!(
            stored(b"", b"2001:db8:85a3::8a2e:370:7334"),
            corrupt("IPv6 address stored as a long key")
        );
        let garbage: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        assert!(decode(&garbage).is_err());
    }
}

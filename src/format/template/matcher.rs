//! Running a compiled template on a line: the steps, their literals' finders, the values' checks.

use memchr::memmem;

use super::{Parts, Template};
use crate::format::time::Stamp;
use crate::keys::{leading_v4, parse_v4};

/// One variable's value and the literal that ends it (`None`: the rest of the line).
#[derive(Debug)]
pub(super) struct Step {
    pub(super) check: Check,
    pub(super) slot: Slot,
    pub(super) lit: Option<Lit>,
}

/// What a value must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    Any,
    /// Exactly three ASCII digits.
    Status,
    /// One or more ASCII digits, or exactly `-`.
    Bytes,
    /// Not empty, no space or tab.
    Peer,
}

impl Check {
    #[inline(always)]
    fn ok(self, v: &[u8]) -> bool {
        match self {
            Check::Any => true,
            Check::Status => v.len() == 3 && v.iter().all(u8::is_ascii_digit),
            Check::Bytes => v == b"-" || (!v.is_empty() && v.iter().all(u8::is_ascii_digit)),
            Check::Peer => !v.is_empty() && !v.iter().any(|&b| b == b' ' || b == b'\t'),
        }
    }
}

/// Which of [`Parts`] a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    None,
    Client,
    Forwarded,
    Time,
}

/// A literal that ends a value, with its finder.
#[derive(Debug)]
pub(super) struct Lit {
    /// The literal; its first byte is searched for, then the rest compared (for a long literal:
    /// a finder).
    bytes: Box<[u8]>,
    /// Its first 8 bytes (little-endian, zero-padded) and which of them count.
    word: u64,
    mask: u64,
    long: Option<Box<memmem::Finder<'static>>>,
    len: usize,
    /// It starts with `"`: a `\"` in the value does not end it.
    quote: bool,
}

/// Literals up to this long are found by their first byte and compared; longer ones by a
/// [`memmem::Finder`] (whose setup per search costs more than the short values of a log line
/// take to scan).
const SHORT: usize = 16;

impl Lit {
    pub(super) fn new(bytes: &[u8]) -> Lit {
        let n = bytes.len().min(8);
        let mut word = [0; 8];
        word[..n].copy_from_slice(&bytes[..n]);
        Lit {
            bytes: bytes.into(),
            word: u64::from_le_bytes(word),
            mask: u64::MAX >> (8 * (8 - n)),
            long: (bytes.len() > SHORT).then(|| Box::new(memmem::Finder::new(bytes).into_owned())),
            len: bytes.len(),
            quote: bytes[0] == b'"',
        }
    }

    /// Whether the literal is at `i` of `hay` (whose byte `i` is the literal's first).
    #[inline(always)]
    fn at(&self, hay: &[u8], i: usize) -> bool {
        if self.len == 1 {
            return true;
        }
        match hay.get(i..i + 8) {
            Some(w) => {
                let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                (w ^ self.word) & self.mask == 0
                    && (self.len <= 8 || follows(&hay[i + 8..], &self.bytes[8..]))
            }
            None => follows(&hay[i..], &self.bytes),
        }
    }

    /// Where the literal first occurs in `hay` (a value and what follows), skipping quotes a
    /// backslash escapes when the literal starts with `"`.
    #[inline(always)]
    fn locate(&self, hay: &[u8]) -> Option<usize> {
        let mut from = 0;
        loop {
            let i = match &self.long {
                None => {
                    let i = from + find_byte(self.bytes[0], &hay[from..])?;
                    if !self.at(hay, i) {
                        from = i + 1;
                        continue;
                    }
                    i
                }
                Some(finder) => from + finder.find(&hay[from..])?,
            };
            if !self.quote || !escaped(&hay[..i]) {
                return Some(i);
            }
            from = i + 1;
        }
    }
}

/// Whether `s` starts with `rest` (a few bytes: compared in line, not by a `memcmp` call).
#[inline(always)]
fn follows(s: &[u8], rest: &[u8]) -> bool {
    s.len() >= rest.len() && s.iter().zip(rest).all(|(a, b)| a == b)
}

/// Where `b` first is in `s`, by SSE2 16 bytes at a time (x86_64 has it always): most values
/// of a log line are shorter than `memchr`'s setup pays for. Past the first 64 bytes (a user
/// agent, a long request) `memchr` goes on.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn find_byte(b: u8, s: &[u8]) -> Option<usize> {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    const NEAR: usize = 64;
    if s.len() < 16 {
        return s.iter().position(|&c| c == b);
    }
    let mut at = 0;
    // SAFETY: SSE2 is enabled (the cfg above), so the intrinsics may run; each
    // `_mm_loadu_si128` reads 16 bytes at any alignment from `at`, and `at + 16 <= s.len()`.
    unsafe {
        let needle = _mm_set1_epi8(b as i8);
        let mask_at = |at: usize| {
            let chunk = _mm_loadu_si128(s.as_ptr().add(at).cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(chunk, needle)) as u32
        };
        while at + 16 <= s.len() {
            if at >= NEAR {
                return memchr::memchr(b, &s[at..]).map(|n| at + n);
            }
            let mask = mask_at(at);
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
            at += 16;
        }
        if at < s.len() {
            // The last 16 bytes, overlapping those seen: the bytes before `at` masked off.
            let last = s.len() - 16;
            let mask = mask_at(last) >> (at - last);
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
        }
    }
    None
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use find_byte_swar as find_byte;

/// [`find_byte`] in plain integer arithmetic, 8 bytes at a time over the first 64 (for targets
/// without SSE2, and the tests).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn find_byte_swar(b: u8, s: &[u8]) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const NEAR: usize = 64;
    let near = s.len().min(NEAR);
    let mut at = 0;
    while at + 8 <= near {
        let word = u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        let x = word ^ (LOW * u64::from(b));
        // The high bit of every byte equal to `b` (exact for the lowest, all that is used).
        let mask = x.wrapping_sub(LOW) & !x & HIGH;
        if mask != 0 {
            return Some(at + (mask.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(b, &s[at..]).map(|n| at + n)
}

/// `s` without its trailing ASCII whitespace.
#[inline(always)]
fn trim_end(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && super::super::is_space(s[end - 1]) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `before` ends in an odd number of backslashes.
#[inline(always)]
fn escaped(before: &[u8]) -> bool {
    before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

impl Template {
    /// The parts of `line` (without `\n` and a trailing `\r`), or `None` when it is not a
    /// request in this template.
    #[inline]
    pub(crate) fn parts<'a>(&self, line: &'a [u8]) -> Option<Parts<'a>> {
        if !line.starts_with(&self.head) {
            return None;
        }
        let mut pos = self.head.len();
        let mut parts = Parts {
            client: &[],
            forwarded: None,
            time: None,
            v4: None,
        };
        let mut steps = &self.steps[..];
        if self.leads_with_peer {
            if let (Some((v4, end)), Some(lit)) = (leading_v4(line), &steps[0].lit) {
                // A quad holds no byte the literal starts with: its first occurrence is here.
                if line[end] == lit.bytes[0] && lit.at(line, end) {
                    parts.client = &line[..end];
                    parts.v4 = Some(v4);
                    pos = end + lit.len;
                    steps = &steps[1..];
                }
            }
        }
        for step in steps {
            let rest = &line[pos..];
            let value = match &step.lit {
                Some(lit) => {
                    let i = lit.locate(rest)?;
                    pos += i + lit.len;
                    &rest[..i]
                }
                None => {
                    pos = line.len();
                    trim_end(rest)
                }
            };
            if !step.check.ok(value) {
                return None;
            }
            match step.slot {
                Slot::None => {}
                Slot::Client => {
                    parts.client = value;
                    parts.v4 = parse_v4(value);
                }
                Slot::Forwarded => parts.forwarded = Some(value),
                Slot::Time => parts.time = Some(value),
            }
        }
        // Past the template, only whitespace.
        line[pos..]
            .iter()
            .all(|&b| super::super::is_space(b))
            .then_some(parts)
    }

    /// The time a line's time value ([`Parts::time`]) stands for (`None`: it does not read).
    pub(crate) fn stamp(&self, time: &[u8]) -> Option<Stamp> {
        self.time.as_ref()?.read(time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_finders_agree() {
        let hay: Vec<u8> = (0..200u32)
            .map(|i| b"ab \"]"[(i * 7 % 11 % 5) as usize])
            .collect();
        for len in 0..hay.len() {
            for from in [0, 1, 5, 17] {
                let s = &hay[from.min(len)..len];
                for b in [b'a', b'b', b' ', b'"', b']', b'x'] {
                    let want = s.iter().position(|&c| c == b);
                    assert_eq!(find_byte(b, s), want, "{len} {from} {b}");
                    assert_eq!(find_byte_swar(b, s), want, "{len} {from} {b}");
                }
            }
        }
    }
}

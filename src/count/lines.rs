//! Finding line ends in bulk: a bitmask of the `\n` bytes of 64 bytes at a time, then every
//! line that ends in them, in order (one `memchr` call per line paid its setup for a line of
//! ~150 bytes). The scan is the first to touch each byte of the text, so it also asks for the
//! bytes [`AHEAD`] further on: the hardware's own prefetcher stops at every 4 KiB page, and a
//! map's pages (or a read buffer's, once it outgrows the caches) come from memory.
//!
//! The mask is made with the widest compare the CPU has, chosen once at run time ([`Level`], as
//! `memchr` does): one AVX-512BW compare of 64 bytes, two AVX2 compares of 32, four SSE2
//! compares of 16 (every x86_64 CPU has SSE2), or a plain loop elsewhere. The whole loop over a
//! piece, the line's parse with it, is compiled once per level, so nothing is dispatched per
//! line. Every level finds the same line ends; [`SIMD_ENV`] forces a narrower one, for the
//! tests and for measuring what each is worth.

use std::sync::atomic::{AtomicU8, Ordering};

/// How far ahead of the scan the text is prefetched (measured: 512 B to 4 KiB all help on
/// 8 × 146 MB; docs/performance.md).
const AHEAD: usize = 1024;

/// Names the widest compare the line scan may use (`plain`, `sse2`, `avx2` or `avx512`): a
/// level the CPU lacks gives the widest it has below it, a name not in the list is ignored.
pub const SIMD_ENV: &str = "LOGCOUNT_SIMD";

/// How the `\n` bytes of 64 bytes are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One byte at a time (what the compiler makes of it).
    Plain = 1,
    /// Four 16-byte compares.
    Sse2,
    /// Two 32-byte compares.
    Avx2,
    /// One 64-byte compare to a mask register.
    Avx512,
}

impl Level {
    const ALL: [Level; 4] = [Level::Plain, Level::Sse2, Level::Avx2, Level::Avx512];

    /// The name [`SIMD_ENV`] takes.
    pub fn name(self) -> &'static str {
        match self {
            Level::Plain => "plain",
            Level::Sse2 => "sse2",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run it.
    pub fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Level::Plain | Level::Sse2 => true,
                Level::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
                Level::Avx512 => std::arch::is_x86_feature_detected!("avx512bw"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Level::Plain
        }
    }

    /// Every level this CPU runs, narrowest first.
    pub fn available() -> Vec<Level> {
        Level::ALL.into_iter().filter(|l| l.runs_here()).collect()
    }

    /// The level the scan uses: the widest this CPU runs, or at most what [`SIMD_ENV`] names.
    pub fn chosen() -> Level {
        static CHOSEN: AtomicU8 = AtomicU8::new(0);
        let known = CHOSEN.load(Ordering::Relaxed);
        if let Some(&level) = Level::ALL.iter().find(|l| **l as u8 == known) {
            return level;
        }
        let asked = std::env::var(SIMD_ENV).ok();
        let cap = Level::ALL
            .into_iter()
            .find(|l| asked.as_deref() == Some(l.name()))
            .unwrap_or(Level::Avx512);
        let level = Level::available()
            .into_iter()
            .filter(|&l| l <= cap)
            .max()
            .unwrap_or(Level::Plain);
        CHOSEN.store(level as u8, Ordering::Relaxed);
        level
    }
}

/// Calls `end` with the offset of every `\n` of `buf`, in order.
#[inline(always)]
pub(crate) fn each_newline(buf: &[u8], end: impl FnMut(usize)) {
    each_newline_at(Level::chosen(), buf, end);
}

/// [`each_newline`] with the masks of `level` (which must run on this CPU).
#[inline(always)]
fn each_newline_at(level: Level, buf: &[u8], end: impl FnMut(usize)) {
    match level {
        // SAFETY (each): `Level::chosen` and the tests pick only levels this CPU runs.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { x86::scan_avx512(buf, end) },
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { x86::scan_avx2(buf, end) },
        #[cfg(target_arch = "x86_64")]
        Level::Sse2 => scan(buf, end, x86::newlines_sse2),
        _ => scan(buf, end, newlines_plain),
    }
}

/// The scan, with `newlines` making each 64 bytes' mask.
#[inline(always)]
fn scan(buf: &[u8], mut end: impl FnMut(usize), newlines: impl Fn(&[u8; 64]) -> u64) {
    let mut blocks = buf.chunks_exact(64);
    let mut at = 0;
    for block in &mut blocks {
        if let Some(ahead) = buf.get(at + AHEAD) {
            crate::keys::prefetch(ahead);
        }
        let mut mask = newlines(block.try_into().expect("64 bytes"));
        while mask != 0 {
            end(at + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        at += 64;
    }
    for nl in memchr::memchr_iter(b'\n', blocks.remainder()) {
        end(at + nl);
    }
}

/// The `\n` bytes of `block` as the bits of a mask (bit `i` for byte `i`), eight bytes at a
/// time in a `u64` (a byte-at-a-time loop ran at half the speed of SSE2).
#[inline(always)]
fn newlines_plain(block: &[u8; 64]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut mask = 0u64;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ 0x0a0a_0a0a_0a0a_0a0a;
        // A byte's top bit set where it is 0 (a `\n`), exactly: no carry crosses a byte.
        let zero = !(((x & LOW7) + LOW7) | x) & !LOW7;
        // The eight top bits gathered into the low byte, byte 0's as bit 0.
        let bits = ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        mask |= bits << (8 * i);
    }
    mask
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_set1_epi8,
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// [`super::scan`] compiled for AVX-512BW, the caller's closure and all.
    ///
    /// # Safety
    /// The CPU must have AVX-512BW.
    #[target_feature(enable = "avx512bw")]
    pub(super) unsafe fn scan_avx512(buf: &[u8], end: impl FnMut(usize)) {
        super::scan(buf, end, |block| {
            // SAFETY: this function runs only where AVX-512BW does; the unaligned load reads
            // the 64 bytes of `block`.
            unsafe {
                let bytes = _mm512_loadu_si512(block.as_ptr().cast());
                _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(b'\n' as i8))
            }
        })
    }

    /// [`super::scan`] compiled for AVX2, the caller's closure and all.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_avx2(buf: &[u8], end: impl FnMut(usize)) {
        super::scan(buf, end, |block| {
            let mut mask = 0u64;
            for (i, half) in block.chunks_exact(32).enumerate() {
                // SAFETY: this function runs only where AVX2 does; the unaligned load reads
                // the 32 bytes of `half`.
                let bits = unsafe {
                    let bytes = _mm256_loadu_si256(half.as_ptr().cast::<__m256i>());
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(b'\n' as i8)))
                };
                mask |= u64::from(bits as u32) << (32 * i);
            }
            mask
        })
    }

    /// The `\n` bytes of `block` as the bits of a mask, 16 bytes at a time.
    #[inline(always)]
    pub(super) fn newlines_sse2(block: &[u8; 64]) -> u64 {
        let mut mask = 0u64;
        for (i, part) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of every x86_64 CPU; the unaligned load reads the 16 bytes
            // of `part`, which are in bounds.
            let bits = unsafe {
                let bytes = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
                _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)))
            };
            mask |= u64::from(bits as u16) << (16 * i);
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_level_finds_every_newline_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..700),
            skip in 0usize..64,
        ) {
            // Any alignment: the blocks start wherever the slice does.
            let buf = &bytes[skip.min(bytes.len())..];
            let want: Vec<usize> = memchr::memchr_iter(b'\n', buf).collect();
            for level in Level::available() {
                let mut got = Vec::new();
                each_newline_at(level, buf, |nl| got.push(nl));
                prop_assert_eq!(&got, &want, "{:?}", level);
            }
        }
    }

    #[test]
    fn the_chosen_level_runs_here_and_every_x86_64_cpu_has_sse2() {
        assert!(Level::chosen().runs_here());
        assert!(Level::available().contains(&Level::Plain));
        #[cfg(target_arch = "x86_64")]
        assert!(Level::available().contains(&Level::Sse2));
    }
}

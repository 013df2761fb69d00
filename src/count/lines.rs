//! Finding line ends in bulk: a bitmask of the `\n` bytes of 64 bytes at a time, then every
//! line that ends in them, in order (one `memchr` call per line paid its setup for a line of
//! ~150 bytes). The scan is the first to touch each byte of the text, so it also asks for the
//! bytes [`AHEAD`] further on: the hardware's own prefetcher stops at every 4 KiB page, and a
//! map's pages (or a read buffer's, once it outgrows the caches) come from memory.

/// How far ahead of the scan the text is prefetched (measured: 512 B to 4 KiB all help on
/// 8 × 146 MB; docs/performance.md).
const AHEAD: usize = 1024;

/// Calls `end` with the offset of every `\n` of `buf`, in order.
#[inline(always)]
pub(crate) fn each_newline(buf: &[u8], mut end: impl FnMut(usize)) {
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

/// The `\n` bytes of `block` as the bits of a mask (bit `i` for byte `i`).
#[inline(always)]
fn newlines(block: &[u8; 64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::_mm_set1_epi8;
        use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
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
    #[cfg(not(target_arch = "x86_64"))]
    {
        block
            .iter()
            .enumerate()
            .fold(0u64, |mask, (i, &b)| mask | (u64::from(b == b'\n') << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_newline_is_found_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..700),
            skip in 0usize..64,
        ) {
            // Any alignment: the blocks start wherever the slice does.
            let buf = &bytes[skip.min(bytes.len())..];
            let want: Vec<usize> = memchr::memchr_iter(b'\n', buf).collect();
            let mut got = Vec::new();
            each_newline(buf, |nl| got.push(nl));
            prop_assert_eq!(got, want);
        }
    }
}

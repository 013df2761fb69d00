//! Client addresses as keys: canonical dotted quads and IPv6 addresses parsed into integers
//! and written back byte for byte; any other spelling is not one (it stays a distinct key).

/// Parses a canonical dotted quad: four decimal parts, each 0–255, without leading zeros.
/// Anything else (`01.2.3.4`, `1.2.3`, `1.2.3.4.`) is not one, so it stays a distinct key.
#[inline]
pub(crate) fn parse_v4(key: &[u8]) -> Option<u32> {
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
pub(crate) fn leading_v4(s: &[u8]) -> Option<(u32, usize)> {
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
/// `format_v6` writes back byte for byte (lowercase hex, no leading zeros, the longest run of
/// two or more zero groups as `::`, the first of equal runs, no dotted-quad tail). Any other
/// spelling (`2001:DB8::1`, `2001:db8:0:0::1`, `::ffff:1.2.3.4`) is not one, so it stays a
/// distinct key, as the contract says (docs/contract.md §1). The rule is ours and fixed, never
/// a library's `Display`: partials made by different builds must class keys alike.
#[inline]
pub(crate) fn parse_v6(key: &[u8]) -> Option<u128> {
    if !(2..=39).contains(&key.len()) || !key.contains(&b':') {
        return None;
    }
    let addr: std::net::Ipv6Addr = std::str::from_utf8(key).ok()?.parse().ok()?;
    let v = u128::from(addr);
    let mut buf = [0u8; 39];
    (write_v6(v, &mut buf) == key).then_some(v)
}

/// Writes `v` in the spelling [`parse_v6`] takes into `buf`; returns the bytes written.
pub(crate) fn write_v6(v: u128, buf: &mut [u8; 39]) -> &[u8] {
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
#[cfg(test)]
pub(crate) fn format_v6(v: u128) -> String {
    let mut buf = [0u8; 39];
    String::from_utf8(write_v6(v, &mut buf).to_vec()).expect("ASCII")
}

/// Formats a `u32` as the dotted quad it came from.
pub(crate) fn format_v4(v: u32) -> String {
    let [a, b, c, d] = v.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::set::set;

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
}

//! Little-endian binary fields, both ways: the one reader ([`ByteReader`]) and the one writer
//! ([`ByteWriter`]) of everything this crate puts in bytes (the counts encoding, the worker
//! protocol, partial files), the one error for bytes that are not what they should hold
//! ([`BadBytes`]), and the one checksum their frames carry ([`crc32`]). Imports nothing of
//! the crate.
//!
//! A length-prefixed byte string is a `u32` length, then the bytes ([`ByteWriter::put_bytes`],
//! [`ByteReader::bytes`]).

/// Bytes that are not what they should hold: they ran out, or hold what no writer writes.
/// Each format wraps it in its own error (the worker protocol's, a partial file's), or shows it
/// as it is (the counts encoding's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadBytes {
    /// Bytes ran out inside a field of a `what`: `needed` more were wanted.
    #[error("truncated {what}: needed {needed} more bytes")]
    Short { what: &'static str, needed: usize },
    /// A `what` holds a value no writer writes: `why`.
    #[error("corrupt {what}: {why}")]
    Corrupt {
        what: &'static str,
        why: &'static str,
    },
}

impl BadBytes {
    /// What was being read.
    pub(crate) fn what(&self) -> &'static str {
        match *self {
            BadBytes::Short { what, .. } | BadBytes::Corrupt { what, .. } => what,
        }
    }
}

/// The checksum of a frame (a worker-protocol frame, a partial file): CRC-32 (IEEE
/// polynomial) of `pieces`, one after another.
pub(crate) fn crc32<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> u32 {
    let mut h = crc32fast::Hasher::new();
    pieces.into_iter().for_each(|p| h.update(p));
    h.finalize()
}

/// A reader of little-endian fields that never reads past the end of its bytes. Running short
/// is a [`BadBytes::Short`] naming what was being read.
#[derive(Clone, Debug)]
pub(crate) struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `bytes`, which hold a `what` (for messages).
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> ByteReader<'a> {
        ByteReader {
            bytes,
            pos: 0,
            what,
        }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.left() == 0
    }

    /// The error of a read that wanted `needed` bytes more than are left.
    fn short(&self, needed: usize) -> BadBytes {
        BadBytes::Short {
            what: self.what,
            needed,
        }
    }

    /// Skips `n` bytes read elsewhere (at most what is left).
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), BadBytes> {
        self.take(n).map(drop)
    }

    /// The next `n` bytes, as they are.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BadBytes> {
        let left = self.left();
        if n > left {
            return Err(self.short(n - left));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], BadBytes> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, BadBytes> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, BadBytes> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, BadBytes> {
        self.array().map(u32::from_le_bytes)
    }

    pub(crate) fn i32(&mut self) -> Result<i32, BadBytes> {
        self.array().map(i32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, BadBytes> {
        self.array().map(u64::from_le_bytes)
    }

    pub(crate) fn i64(&mut self) -> Result<i64, BadBytes> {
        self.array().map(i64::from_le_bytes)
    }

    pub(crate) fn u128(&mut self) -> Result<u128, BadBytes> {
        self.array().map(u128::from_le_bytes)
    }

    /// What [`ByteWriter::put_bytes`] wrote: a `u32` length, then that many bytes.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], BadBytes> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// A `u64` count of items of at least `min_size` bytes each, checked against what is
    /// left, so a corrupt count cannot make a caller allocate more than the bytes could hold:
    /// a count too large for them is [`BadBytes::Short`] by the bytes it would need.
    pub(crate) fn count(&mut self, min_size: usize) -> Result<usize, BadBytes> {
        let n = self.u64()?;
        let left = self.left() as u64;
        match n.checked_mul(min_size as u64) {
            Some(need) if need <= left => Ok(n as usize),
            need => Err(self.short(need.map_or(usize::MAX, |need| (need - left) as usize))),
        }
    }
}

/// Little-endian fields appended to a buffer: what [`ByteReader`] reads back, field for field.
pub(crate) trait ByteWriter {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_i32(&mut self, v: i32);
    fn put_u64(&mut self, v: u64);
    fn put_i64(&mut self, v: i64);
    fn put_u128(&mut self, v: u128);
    /// A `u32` length, then `bytes` (at most `u32::MAX` of them).
    fn put_bytes(&mut self, bytes: &[u8]);
    /// [`ByteWriter::put_bytes`] of the text's UTF-8.
    fn put_str(&mut self, text: &str) {
        self.put_bytes(text.as_bytes());
    }
}

impl ByteWriter for Vec<u8> {
    #[inline]
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }

    #[inline]
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_i32(&mut self, v: i32) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_u128(&mut self, v: u128) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn put_bytes(&mut self, bytes: &[u8]) {
        self.put_u32(bytes.len() as u32);
        self.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back_field_for_field() {
        let mut out = Vec::new();
        out.put_u8(7);
        out.put_u16(0x0102);
        out.put_u32(0x0304_0506);
        out.put_i32(-2);
        out.put_u64(u64::MAX - 1);
        out.put_i64(-3);
        out.put_u128(1 << 100);
        out.put_bytes(b"abc");
        out.put_str("é");
        assert_eq!(out.len(), 1 + 2 + 4 + 4 + 8 + 8 + 16 + (4 + 3) + (4 + 2));
        assert_eq!(out[1..3], [2, 1], "little-endian");
        let mut r = ByteReader::new(&out, "sample");
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u32(), Ok(0x0304_0506));
        assert_eq!(r.i32(), Ok(-2));
        assert_eq!(r.u64(), Ok(u64::MAX - 1));
        assert_eq!(r.i64(), Ok(-3));
        assert_eq!(r.u128(), Ok(1 << 100));
        assert_eq!(r.bytes(), Ok(&b"abc"[..]));
        assert_eq!(r.bytes(), Ok("é".as_bytes()));
        assert!(r.at_end());
    }

    #[test]
    fn running_short_names_the_field_and_the_bytes_missing() {
        let mut r = ByteReader::new(&[1, 2, 3], "sample");
        let short = BadBytes::Short {
            what: "sample",
            needed: 1,
        };
        assert_eq!(r.u32(), Err(short));
        assert_eq!(r.pos(), 0, "a failed read takes nothing");
        assert_eq!(short.to_string(), "truncated sample: needed 1 more bytes");
        // A count larger than the bytes left could hold is short by what it would need.
        let mut out = Vec::new();
        out.put_u64(3);
        out.put_u32(0);
        let mut r = ByteReader::new(&out, "sample");
        let two_short = BadBytes::Short {
            what: "sample",
            needed: 2,
        };
        assert_eq!(r.clone().count(2), Err(two_short));
        assert_eq!(r.count(1), Ok(3));
        let mut huge = Vec::new();
        huge.put_u64(u64::MAX);
        let err = ByteReader::new(&huge, "sample").count(2).unwrap_err();
        assert_eq!(err.what(), "sample");
    }
}

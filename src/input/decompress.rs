//! Compression, recognised by content whatever the name (docs/contract.md §2): gzip (also
//! multi-member), bzip2 (also multi-stream), xz (also concatenated streams) and zstd (also
//! several frames), each decoded as its compressed bytes are pushed in, into any writer.

use std::fmt;
use std::io::{self, Write};

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    pub(crate) const ALL: [Codec; 4] = [Codec::Gzip, Codec::Bzip2, Codec::Xz, Codec::Zstd];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        }
    }

    /// The codec a file's name holds it to: gzip for a name ending `.gz` (docs/contract.md
    /// §2). Other names claim nothing: their bytes say what they are, whatever the extension.
    pub(crate) fn of_name(name: &std::ffi::OsStr) -> Option<Codec> {
        let bytes = name.as_encoded_bytes();
        (bytes.len() > 3 && bytes.ends_with(b".gz")).then_some(Codec::Gzip)
    }

    /// A one-byte code for the wire (0 is reserved for plain text).
    pub(crate) fn code(self) -> u8 {
        Codec::ALL.iter().position(|&c| c == self).expect("listed") as u8 + 1
    }

    pub(crate) fn from_code(code: u8) -> Option<Codec> {
        Codec::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes [`sniff`] may need to decide.
pub(crate) const SNIFF_BYTES: usize = 10;

/// What the first bytes of an input say: `Some(Some(codec))` compressed, `Some(None)` plain
/// text, `None` not sure yet (fewer than [`SNIFF_BYTES`] bytes that could still be a magic
/// number; at the end of the input, plain).
pub(crate) fn sniff(head: &[u8]) -> Option<Option<Codec>> {
    const GZIP: &[u8] = &[0x1f, 0x8b, 0x08];
    const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
    const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
    // bzip2: "BZh", a block size digit, then a block's or the end's 48-bit magic.
    const BZ_BLOCK: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const BZ_END: &[u8] = &[0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    let may_be = |magic: &[u8]| {
        let n = head.len().min(magic.len());
        head[..n] == magic[..n]
    };
    let is_bzip2 = |h: &[u8]| {
        h.len() >= SNIFF_BYTES
            && h.starts_with(b"BZh")
            && (b'1'..=b'9').contains(&h[3])
            && (h[4..10] == *BZ_BLOCK || h[4..10] == *BZ_END)
    };
    let may_be_bzip2 = {
        let n = head.len().min(4);
        let prefix = b"BZh9";
        head[..n.min(3)] == prefix[..n.min(3)] && (n < 4 || (b'1'..=b'9').contains(&head[3]))
    };
    // A zstd skippable frame (`0x184D2A5?` little-endian) may come before the first frame.
    let skippable = head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18];
    if head.len() >= GZIP.len() && head.starts_with(GZIP) {
        return Some(Some(Codec::Gzip));
    }
    if head.len() >= XZ.len() && head.starts_with(XZ) {
        return Some(Some(Codec::Xz));
    }
    if head.len() >= ZSTD.len() && head.starts_with(ZSTD) || skippable {
        return Some(Some(Codec::Zstd));
    }
    if is_bzip2(head) {
        return Some(Some(Codec::Bzip2));
    }
    let undecided = head.len() < SNIFF_BYTES
        && (may_be(GZIP)
            || may_be(XZ)
            || may_be(ZSTD)
            || may_be_bzip2
            || head.len() < 4 && head[0] & 0xf0 == 0x50);
    if undecided {
        None
    } else {
        Some(None)
    }
}

/// A decoder of one codec, writing the text into `W`.
pub(crate) enum Decoder<W: Write> {
    Gzip(Box<flate2::write::MultiGzDecoder<W>>),
    Bzip2(Box<MultiBz<W>>),
    Xz(Box<liblzma::write::XzDecoder<W>>),
    Zstd(Box<zstd::stream::zio::Writer<W, zstd::stream::raw::Decoder<'static>>>),
}

impl<W: Write> Decoder<W> {
    pub(crate) fn new(codec: Codec, out: W) -> io::Result<Decoder<W>> {
        Ok(match codec {
            Codec::Gzip => Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(out))),
            Codec::Bzip2 => Decoder::Bzip2(Box::new(MultiBz::new(out))),
            Codec::Xz => Decoder::Xz(Box::new(liblzma::write::XzDecoder::new_multi_decoder(out))),
            Codec::Zstd => Decoder::Zstd(Box::new(zstd::stream::zio::Writer::new(
                out,
                zstd::stream::raw::Decoder::new()?,
            ))),
        })
    }

    /// Decodes the next compressed bytes.
    pub(crate) fn write_all(&mut self, piece: &[u8]) -> io::Result<()> {
        match self {
            Decoder::Gzip(d) => d.write_all(piece),
            Decoder::Bzip2(d) => d.write_all(piece),
            Decoder::Xz(d) => d.write_all(piece),
            Decoder::Zstd(d) => d.write_all(piece),
        }
        .map_err(corrupt)
    }

    /// Where the text goes.
    pub(crate) fn out(&self) -> &W {
        match self {
            Decoder::Gzip(d) => d.get_ref(),
            Decoder::Bzip2(d) => &d.out,
            Decoder::Xz(d) => d.get_ref(),
            Decoder::Zstd(d) => d.writer(),
        }
    }

    /// The end of the compressed input: an error if it ended inside a stream.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self {
            Decoder::Gzip(d) => d.finish(),
            Decoder::Bzip2(d) => d.finish(),
            Decoder::Xz(d) => d.finish(),
            Decoder::Zstd(mut d) => {
                d.finish()?;
                Ok(d.into_inner().0)
            }
        }
        .map_err(corrupt)
    }
}

/// Decoding errors say what was being decoded.
fn corrupt(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::Other && e.get_ref().is_none() {
        return e;
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            io::Error::new(e.kind(), format!("compressed data ends early ({e})"))
        }
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            io::Error::new(e.kind(), format!("corrupt compressed data ({e})"))
        }
        _ => e,
    }
}

/// A bzip2 decoder that goes on with the next stream after each one ends (pbzip2 and
/// concatenated files write several), as `bzip2 -d` does.
pub(crate) struct MultiBz<W> {
    state: bzip2::Decompress,
    /// A stream has ended and nothing of the next has come.
    between: bool,
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> MultiBz<W> {
    fn new(out: W) -> MultiBz<W> {
        MultiBz {
            state: bzip2::Decompress::new(false),
            between: false,
            buf: Vec::with_capacity(64 << 10),
            out,
        }
    }

    fn finish(mut self) -> io::Result<W> {
        // Output the last block may still hold.
        while !self.between {
            self.buf.clear();
            let status = self
                .state
                .decompress_vec(&[], &mut self.buf)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.out.write_all(&self.buf)?;
            if status == bzip2::Status::StreamEnd {
                self.between = true;
            } else if self.buf.is_empty() {
                break;
            }
        }
        if !self.between {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "bzip2 stream cut short",
            ));
        }
        Ok(self.out)
    }
}

impl<W: Write> Write for MultiBz<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let taken = data.len();
        loop {
            if self.between {
                if data.is_empty() {
                    break;
                }
                self.state = bzip2::Decompress::new(false);
                self.between = false;
            }
            self.buf.clear();
            let before = self.state.total_in();
            let status = self
                .state
                .decompress_vec(data, &mut self.buf)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let used = (self.state.total_in() - before) as usize;
            data = &data[used..];
            self.out.write_all(&self.buf)?;
            if status == bzip2::Status::StreamEnd {
                self.between = true;
                continue;
            }
            // All taken, and no output left waiting (the buffer did not fill up).
            if data.is_empty() && self.buf.len() < self.buf.capacity() {
                break;
            }
            if used == 0 && self.buf.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bzip2 decoder made no progress",
                ));
            }
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn compress(codec: Codec, text: &[u8]) -> Vec<u8> {
        match codec {
            Codec::Gzip => crate::testutil::gzip(text),
            Codec::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Codec::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
            Codec::Zstd => {
                // With a checksum, as the zstd command writes by default.
                let mut e = zstd::Encoder::new(Vec::new(), 1).unwrap();
                e.include_checksum(true).unwrap();
                e.write_all(text).unwrap();
                e.finish().unwrap()
            }
        }
    }

    fn decode(codec: Codec, data: &[u8], piece: usize) -> io::Result<Vec<u8>> {
        let mut d = Decoder::new(codec, Vec::new())?;
        for p in data.chunks(piece.max(1)) {
            d.write_all(p)?;
        }
        d.finish()
    }

    #[test]
    fn every_codec_is_sniffed_and_decodes_in_any_pieces_and_concatenated() {
        let text = b"1.1.1.1 - - [x] \"GET / HTTP/1.1\" 200 1\n".repeat(2000);
        for codec in Codec::ALL {
            let one = compress(codec, &text);
            assert_eq!(sniff(&one[..SNIFF_BYTES]), Some(Some(codec)), "{codec}");
            let mut two = one.clone();
            two.extend(compress(codec, b"2.2.2.2 tail\n"));
            for piece in [1, 7, 4096, usize::MAX] {
                assert_eq!(decode(codec, &one, piece.min(one.len())).unwrap(), text);
                let both = decode(codec, &two, piece.min(two.len())).unwrap();
                assert_eq!(both.len(), text.len() + 13, "{codec}, {piece}");
            }
            // Cut short or damaged: an error, never a silent partial text.
            assert!(
                decode(codec, &one[..one.len() - 3], 4096).is_err(),
                "{codec}"
            );
            let mut bad = one.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x55;
            bad[mid + 1] ^= 0x55;
            assert!(decode(codec, &bad, 4096).is_err(), "{codec} flipped");
            assert_eq!(Codec::from_code(codec.code()), Some(codec));
        }
    }

    #[test]
    fn plain_text_is_plain_and_short_heads_wait() {
        assert_eq!(sniff(b"1.2.3.4 - - [x]"), Some(None));
        assert_eq!(sniff(b"BZh is a fine way to start a line"), Some(None));
        assert_eq!(sniff(b"\x1f"), None);
        assert_eq!(sniff(b"1"), Some(None));
        assert_eq!(sniff(b"\x28\xb5"), None);
        assert_eq!(sniff(b"BZ"), None);
        assert_eq!(sniff(b"abcd"), Some(None));
        assert_eq!(sniff(b""), None);
        assert_eq!(Codec::of_name("a.log.gz".as_ref()), Some(Codec::Gzip));
        assert_eq!(
            Codec::of_name("a.log.zst".as_ref()),
            None,
            "only .gz claims"
        );
        assert_eq!(Codec::of_name(".gz".as_ref()), None);
        assert_eq!(Codec::of_name("a.log".as_ref()), None);
        assert_eq!(Codec::from_code(0), None);
    }
}

//! The wire protocol between a process-pool parent and its workers.
//!
//! Everything travels in frames (integers little-endian):
//!
//! ```text
//! magic   2 bytes  "LC"
//! kind    u8       HELLO, JOBS, PROGRESS or DONE
//! zero    u8
//! len     u32      payload length (each kind has its own ceiling)
//! crc     u32      CRC-32 of kind, zero, len and the payload
//! payload len bytes
//! ```
//!
//! A header is checked as soon as its 12 bytes are in (magic, kind, length ceiling), so garbage
//! is caught at once instead of after waiting for a length that never comes; the CRC then
//! catches a corrupt payload. Nothing a worker sends is trusted beyond these checks: a frame
//! that fails them marks the worker dead.
//!
//! Conversation: the parent sends HELLO (protocol magic, version, build id) and JOBS batches;
//! the worker answers HELLO, then PROGRESS (bytes read so far, every few MiB) and one DONE per
//! job, in the order the jobs were sent. The parent closing the worker's stdin ends it.

use std::io::{self, Read};
use std::path::Path;

use crate::bytes::{crc32, BadBytes, ByteReader, ByteWriter};

mod answers;
mod jobs;

pub use answers::{
    decode_counts, decode_done, decode_progress, encode_done, encode_progress, split_done, Done,
};
pub use jobs::{decode_jobs, encode_jobs, JobSpec};

/// The first two bytes of every frame.
pub(crate) const FRAME_MAGIC: [u8; 2] = *b"LC";
/// Bytes in a frame header.
pub(crate) const HEADER_LEN: usize = 12;
/// Starts every HELLO payload.
pub(crate) const HELLO_MAGIC: [u8; 8] = *b"logcount";
/// Bumped whenever any message changes shape.
pub(crate) const PROTOCOL_VERSION: u16 = 10;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Both directions, first frame: protocol magic, version and build id.
    Hello = 1,
    /// Parent to worker: a batch of jobs.
    Jobs = 2,
    /// Worker to parent: bytes read since the last PROGRESS.
    Progress = 3,
    /// Worker to parent: one job's outcome.
    Done = 4,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Hello,
            2 => Kind::Jobs,
            3 => Kind::Progress,
            4 => Kind::Done,
            _ => return None,
        })
    }

    /// The longest payload this kind may have; anything longer is garbage.
    fn max_len(self) -> u32 {
        match self {
            Kind::Hello => 64,
            Kind::Jobs => 16 << 20,
            Kind::Progress => 8,
            Kind::Done => u32::MAX,
        }
    }
}

/// Why bytes on a pipe are not a valid conversation.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("garbage instead of a frame header")]
    BadMagic,
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("{kind:?} frame of {len} bytes is too long")]
    TooLong { kind: Kind, len: u64 },
    #[error("frame checksum mismatch")]
    Checksum,
    #[error("pipe closed in the middle of a frame")]
    Truncated,
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Appends one frame of `kind` to `out`, its payload written by `payload`. When the payload
/// turns out too long for its kind, `out` is left as it was.
pub(crate) fn frame(
    out: &mut Vec<u8>,
    kind: Kind,
    payload: impl FnOnce(&mut Vec<u8>),
) -> Result<(), WireError> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    payload(out);
    let len = (out.len() - start - HEADER_LEN) as u64;
    if len > u64::from(kind.max_len()) {
        out.truncate(start);
        return Err(WireError::TooLong { kind, len });
    }
    let head = header(kind, &out[start + HEADER_LEN..]);
    out[start..start + HEADER_LEN].copy_from_slice(&head);
    Ok(())
}

/// The header of a frame of `kind` carrying `payload`.
fn header(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut head = Vec::with_capacity(HEADER_LEN);
    head.extend_from_slice(&FRAME_MAGIC);
    head.put_u8(kind as u8);
    head.put_u8(0);
    head.put_u32(payload.len() as u32);
    let sum = checksum(&head, payload);
    head.put_u32(sum);
    head
}

/// The checksum of a frame: of its header's kind, zero and length, then its payload.
fn checksum(head: &[u8], payload: &[u8]) -> u32 {
    crc32([&head[2..8], payload])
}

/// A checked header: the frame's kind, payload length and expected checksum.
#[derive(Clone, Copy, Debug)]
struct Header {
    kind: Kind,
    len: usize,
    crc: u32,
}

/// Checks the [`HEADER_LEN`] bytes of a header, as far as they go without the payload.
fn parse_header(h: &[u8]) -> Result<Header, WireError> {
    let mut r = ByteReader::new(h, "frame header");
    let (magic, kind, zero) = (r.array()?, r.u8()?, r.u8()?);
    if magic != FRAME_MAGIC || zero != 0 {
        return Err(WireError::BadMagic);
    }
    let kind = Kind::from_u8(kind).ok_or(WireError::UnknownKind(kind))?;
    let len = r.u32()?;
    if len > kind.max_len() {
        return Err(WireError::TooLong {
            kind,
            len: len.into(),
        });
    }
    Ok(Header {
        kind,
        len: len as usize,
        crc: r.u32()?,
    })
}

fn check(head: &[u8], header: Header, payload: &[u8]) -> Result<(), WireError> {
    if checksum(head, payload) == header.crc {
        Ok(())
    } else {
        Err(WireError::Checksum)
    }
}

/// Reads one frame from a blocking reader (the worker's side): its kind, with the payload in
/// `payload`. `None` at a clean end of stream; a stream that ends inside a frame is an error.
pub fn read_frame(r: &mut impl Read, payload: &mut Vec<u8>) -> Result<Option<Kind>, WireError> {
    let mut head = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(WireError::Truncated),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let header = parse_header(&head)?;
    payload.clear();
    let n = r.take(header.len as u64).read_to_end(payload)?;
    if n < header.len {
        return Err(WireError::Truncated);
    }
    check(&head, header, payload)?;
    Ok(Some(header.kind))
}

/// Frames arriving in pieces on a non-blocking pipe (the parent's side). Memory grows only
/// with bytes actually received, never with a length a header claims.
#[derive(Debug, Default)]
pub(crate) struct FrameBuf {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out as frames.
    used: usize,
    scratch: Vec<u8>,
}

/// Bytes asked of the pipe per read.
const READ_CHUNK: usize = 256 << 10;

impl FrameBuf {
    /// Reads what `r` has ready (one `read` call); `Ok(0)` is end of stream.
    pub(crate) fn fill_from(&mut self, r: &mut impl Read) -> io::Result<usize> {
        if self.used > 0 {
            self.buf.drain(..self.used);
            self.used = 0;
        }
        // Read into a reused scratch buffer sized for big answers, not into zeroed new
        // capacity: zeroing a large buffer for every small read would cost more than copying.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(READ_CHUNK, 0);
        let n = r
            .read(&mut scratch)
            .and_then(|n| self.extend(&scratch[..n]).map(|()| n));
        self.scratch = scratch;
        n
    }

    /// Adds received bytes; without the memory for them, the error (never an abort: a big
    /// answer is counts that grew with the input).
    pub(crate) fn extend(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.buf.try_reserve(bytes.len()).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "out of memory: a worker's answer outgrew the memory available",
            ));
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete frame, if one is in; an error as soon as the bytes cannot be one.
    pub(crate) fn next_frame(&mut self) -> Result<Option<(Kind, &[u8])>, WireError> {
        let rest = &self.buf[self.used..];
        if rest.len() < HEADER_LEN {
            // Reject garbage without waiting for a whole header when we can.
            let n = rest.len().min(2);
            if rest[..n] != FRAME_MAGIC[..n] {
                return Err(WireError::BadMagic);
            }
            return Ok(None);
        }
        let header = parse_header(&rest[..HEADER_LEN])?;
        let Some(payload) = rest.get(HEADER_LEN..HEADER_LEN + header.len) else {
            return Ok(None);
        };
        check(&rest[..HEADER_LEN], header, payload)?;
        let start = self.used + HEADER_LEN;
        self.used = start + header.len;
        Ok(Some((header.kind, &self.buf[start..self.used])))
    }

    /// Whether bytes of an unfinished frame are waiting (at end of stream: a truncated frame).
    pub(crate) fn has_partial(&self) -> bool {
        self.used < self.buf.len()
    }
}

/// A payload that ran short, or holds what no sender writes: malformed, by what was read.
impl From<BadBytes> for WireError {
    fn from(bad: BadBytes) -> Self {
        WireError::Malformed(bad.what())
    }
}

/// Fails unless every byte of a payload was read.
fn at_end(f: &ByteReader<'_>, what: &'static str) -> Result<(), WireError> {
    if f.at_end() {
        Ok(())
    } else {
        Err(WireError::Malformed(what))
    }
}

/// The first frame each side sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    pub version: u16,
    /// Identifies the binary: two ends that differ cannot be trusted to agree on anything.
    pub build: u64,
    pub pid: u32,
}

impl Hello {
    /// This process's hello.
    pub fn ours() -> Hello {
        Hello {
            version: PROTOCOL_VERSION,
            build: build_id(),
            pid: std::process::id(),
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        frame(out, Kind::Hello, |p| {
            p.extend_from_slice(&HELLO_MAGIC);
            p.put_u16(self.version);
            p.put_u64(self.build);
            p.put_u32(self.pid);
        })
        .expect("a hello fits its frame");
    }

    pub(crate) fn decode(payload: &[u8]) -> Result<Hello, WireError> {
        let mut f = ByteReader::new(payload, "hello");
        if f.array::<8>()? != HELLO_MAGIC {
            return Err(WireError::Malformed("hello (not a logcount worker)"));
        }
        let hello = Hello {
            version: f.u16()?,
            build: f.u64()?,
            pid: f.u32()?,
        };
        at_end(&f, "hello")?;
        Ok(hello)
    }

    /// Why a peer that sent `theirs` cannot be talked to, if it cannot.
    pub(crate) fn mismatch(&self, theirs: &Hello) -> Option<String> {
        if theirs.version != self.version {
            Some(format!(
                "speaks protocol version {} where this logcount speaks {}",
                theirs.version, self.version
            ))
        } else if theirs.build != self.build {
            Some(format!(
                "is a different build of logcount (build id {:016x}, this one {:016x}); was \
                 the binary replaced during the run?",
                theirs.build, self.build
            ))
        } else {
            None
        }
    }
}

/// Identifies this binary: see [`build_id_of`].
pub(crate) fn build_id() -> u64 {
    let proc_exe = Path::new("/proc/self/exe");
    if proc_exe.exists() {
        return build_id_of(proc_exe);
    }
    std::env::current_exe().map_or_else(|_| build_id_of(proc_exe), |p| build_id_of(&p))
}

/// The build id of the executable at `exe`: the crate version, the protocol version and the
/// file's identity (device, inode, size, modification time), hashed with a fixed hash so
/// every process computes the same.
pub fn build_id_of(exe: &Path) -> u64 {
    use std::hash::BuildHasher;
    use std::os::unix::fs::MetadataExt;
    let identity = std::fs::metadata(exe).map_or([0; 5], |m| {
        [
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime() as u64,
            m.mtime_nsec() as u64,
        ]
    });
    crate::keys::FixedState.hash_one((env!("CARGO_PKG_VERSION"), PROTOCOL_VERSION, identity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::count;
    use crate::count::Shown;
    use crate::format::{Choice, Customs, Format, Options};
    use crate::input::{Codec, Compression, JobError, ReadMode};

    fn sample_frames() -> Vec<u8> {
        let mut out = Vec::new();
        Hello::ours().encode(&mut out);
        encode_jobs(&mut out, &options(), ReadMode::Read, &sample_jobs()).unwrap();
        encode_progress(&mut out, 1 << 22);
        let mut counts = count(b"1.2.3.4 a\n2001:db8::1 b\na-long-client-key-over-fifteen c\n");
        counts.malformed = 5;
        counts.detail.shown = shown();
        encode_done(&mut out, 7, &Ok((counts, 99)), &Customs::default());
        encode_done(
            &mut out,
            8,
            &Err(io::Error::from_raw_os_error(2).into()),
            &Customs::default(),
        );
        encode_done(
            &mut out,
            9,
            &Err(io::Error::other("corrupt deflate stream").into()),
            &Customs::default(),
        );
        encode_done(
            &mut out,
            10,
            &Err(JobError::NotAccessLog("not an access log (0 of 3)".into())),
            &Customs::default(),
        );
        out
    }

    /// Malformed lines to show, one of them with bytes that are not UTF-8.
    fn shown() -> Shown {
        Shown {
            lines: 40,
            first: vec![(3, b"junk".to_vec()), (39, b"\xff\xfe half".to_vec())],
        }
    }

    fn options() -> Options {
        Options {
            json: std::sync::Arc::new(crate::format::JsonFields::new(["client", "a.b"])),
            show_malformed: 12,
            ..Options::default()
        }
    }

    fn sample_jobs() -> [JobSpec<'static>; 2] {
        [
            JobSpec {
                id: 7,
                attempt: 0,
                path: b"logs/a.log",
                file_id: Some((3, 99)),
                size: Some(1 << 40),
                range: Some(10..20),
                compression: Compression::Plain,
                claimed: None,
                format: Choice::Named(Format::parse("cri+w3c").unwrap()),
                fields: Some(b"#Fields: c-ip"),
                witness: Some(b"1.1.1.1 a\n"),
            },
            JobSpec {
                id: 8,
                attempt: 1,
                path: b"\xff\xfe.gz",
                file_id: None,
                size: None,
                range: None,
                compression: Compression::Sniff,
                claimed: Some(Codec::Gzip),
                format: Choice::Auto,
                fields: None,
                witness: None,
            },
        ]
    }

    fn check_sample(frames: &mut dyn FnMut() -> Result<Option<(Kind, Vec<u8>)>, WireError>) {
        let (k, p) = frames().unwrap().unwrap();
        assert_eq!(k, Kind::Hello);
        assert_eq!(Hello::decode(&p).unwrap(), Hello::ours());
        let (k, p) = frames().unwrap().unwrap();
        assert_eq!(k, Kind::Jobs);
        let (options, mode, jobs) = decode_jobs(&p).unwrap();
        assert_eq!((options, mode), (self::options(), ReadMode::Read));
        assert_eq!(jobs, sample_jobs());
        let (k, p) = frames().unwrap().unwrap();
        assert_eq!((k, decode_progress(&p).unwrap()), (Kind::Progress, 1 << 22));
        let (k, p) = frames().unwrap().unwrap();
        assert_eq!(k, Kind::Done);
        let (id, result) = decode_done(&p, &Customs::default()).unwrap();
        let (counts, bytes) = result.unwrap();
        assert_eq!(
            (id, bytes, counts.total, counts.ip(), counts.malformed),
            (7, 99, 3, 3, 5)
        );
        assert_eq!(counts.format, Some(Format::CLASSIC));
        assert_eq!(counts.detail.shown, shown());
        let (_, p) = frames().unwrap().unwrap();
        let (id, result) = decode_done(&p, &Customs::default()).unwrap();
        let Err(JobError::Io(e)) = result else {
            panic!("an OS error")
        };
        assert_eq!(
            (id, e.to_string(), e.raw_os_error()),
            (8, io::Error::from_raw_os_error(2).to_string(), Some(2))
        );
        let (_, p) = frames().unwrap().unwrap();
        let e = decode_done(&p, &Customs::default()).unwrap().1.unwrap_err();
        assert_eq!(e.to_string(), "corrupt deflate stream");
        let (_, p) = frames().unwrap().unwrap();
        let (id, result) = decode_done(&p, &Customs::default()).unwrap();
        assert!(
            matches!(&result, Err(JobError::NotAccessLog(r)) if r == "not an access log (0 of 3)"),
            "{id}: {result:?}"
        );
        assert!(frames().unwrap().is_none());
    }

    #[test]
    fn frames_round_trip_through_a_blocking_reader() {
        let bytes = sample_frames();
        let mut r = &bytes[..];
        let mut payload = Vec::new();
        check_sample(&mut || Ok(read_frame(&mut r, &mut payload)?.map(|k| (k, payload.clone()))));
    }

    #[test]
    fn frames_round_trip_through_a_frame_buffer_fed_byte_by_byte() {
        let bytes = sample_frames();
        let mut buf = FrameBuf::default();
        let mut fed = 0;
        check_sample(&mut || loop {
            if let Some((k, p)) = buf.next_frame()? {
                return Ok(Some((k, p.to_vec())));
            }
            if fed == bytes.len() {
                assert!(!buf.has_partial());
                return Ok(None);
            }
            buf.extend(&bytes[fed..fed + 1]).unwrap();
            fed += 1;
        });
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = sample_frames();
        // Frame boundaries: a cut there is a clean end, anywhere else a truncated frame.
        let mut boundaries = vec![0];
        let mut r = &bytes[..];
        let mut payload = Vec::new();
        while read_frame(&mut r, &mut payload).unwrap().is_some() {
            boundaries.push(bytes.len() - r.len());
        }
        for cut in 0..bytes.len() {
            let mut r = &bytes[..cut];
            let outcome = loop {
                match read_frame(&mut r, &mut payload) {
                    Ok(Some(_)) => continue,
                    other => break other,
                }
            };
            if boundaries.contains(&cut) {
                assert!(matches!(outcome, Ok(None)), "cut at {cut}");
            } else {
                assert!(matches!(outcome, Err(WireError::Truncated)), "cut at {cut}");
            }
            let mut buf = FrameBuf::default();
            buf.extend(&bytes[..cut]).unwrap();
            while buf.next_frame().unwrap().is_some() {}
            assert_eq!(
                buf.has_partial(),
                !boundaries.contains(&cut),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let mut out = Vec::new();
        encode_done(
            &mut out,
            3,
            &Ok((count(b"1.2.3.4 x\n5.6.7.8 y\n"), 20)),
            &Customs::default(),
        );
        for byte in 0..out.len() {
            for bit in 0..8 {
                let mut bad = out.clone();
                bad[byte] ^= 1 << bit;
                let mut buf = FrameBuf::default();
                buf.extend(&bad).unwrap();
                // A flipped length may leave the frame incomplete rather than wrong; it then
                // shows as truncated when the stream ends.
                match buf.next_frame() {
                    Err(_) => {}
                    Ok(None) => assert!(buf.has_partial()),
                    Ok(Some(_)) => panic!("bit {bit} of byte {byte} went unnoticed"),
                }
            }
        }
    }

    #[test]
    fn garbage_is_rejected_at_once() {
        let mut buf = FrameBuf::default();
        buf.extend(b"x").unwrap();
        assert!(matches!(buf.next_frame(), Err(WireError::BadMagic)));
        let mut buf = FrameBuf::default();
        buf.extend(b"thread 'main' panicked at src/main.rs")
            .unwrap();
        assert!(matches!(buf.next_frame(), Err(WireError::BadMagic)));
        // A valid magic with an unknown kind, or a length beyond the kind's ceiling.
        let mut buf = FrameBuf::default();
        buf.extend(b"LC\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00")
            .unwrap();
        assert!(matches!(buf.next_frame(), Err(WireError::UnknownKind(9))));
        let mut buf = FrameBuf::default();
        buf.extend(b"LC\x03\x00\xff\xff\x00\x00\x00\x00\x00\x00")
            .unwrap();
        assert!(matches!(buf.next_frame(), Err(WireError::TooLong { .. })));
        let mut r = &b"LC\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00"[..];
        assert!(matches!(
            read_frame(&mut r, &mut Vec::new()),
            Err(WireError::TooLong { .. })
        ));
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        assert!(Hello::decode(b"logcoun").is_err());
        assert!(
            Hello::decode(b"notlogcnt\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00").is_err()
        );
        assert!(decode_jobs(&u32::MAX.to_le_bytes()).is_err());
        assert!(decode_progress(&[1, 2, 3]).is_err());
        assert!(decode_done(&[0, 0, 0, 0, 7], &Customs::default()).is_err());
        let mut out = Vec::new();
        encode_done(
            &mut out,
            1,
            &Ok((count(b"1.2.3.4\n"), 8)),
            &Customs::default(),
        );
        let payload = &out[HEADER_LEN..];
        for cut in 0..payload.len() {
            assert!(
                decode_done(&payload[..cut], &Customs::default()).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = payload.to_vec();
        long.push(0);
        assert!(decode_done(&long, &Customs::default()).is_err());
        let mut out = Vec::new();
        encode_jobs(&mut out, &options(), ReadMode::Read, &sample_jobs()).unwrap();
        let payload = &out[HEADER_LEN..];
        for cut in 0..payload.len() {
            assert!(decode_jobs(&payload[..cut]).is_err(), "cut at {cut}");
        }
        // Codes that mean nothing are refused.
        // Field count, two fields, job count, id, attempt, flags: then the three codes.
        let codes = 1 + (4 + 6) + (4 + 3) + 4 + 4 + 1 + 1;
        for (at, bad) in [(codes, 0x77), (codes + 1, 9), (codes + 2, 0x66)] {
            let mut p = payload.to_vec();
            p[at] = bad;
            assert!(decode_jobs(&p).is_err(), "byte {at} = {bad:#x}");
        }
    }

    #[test]
    fn hellos_from_other_builds_or_versions_are_refused() {
        let ours = Hello::ours();
        assert_eq!(ours.mismatch(&ours), None);
        let other_build = Hello {
            build: ours.build ^ 1,
            ..ours
        };
        assert!(ours
            .mismatch(&other_build)
            .unwrap()
            .contains("different build"));
        let other_version = Hello {
            version: ours.version + 1,
            ..ours
        };
        assert!(ours
            .mismatch(&other_version)
            .unwrap()
            .contains("protocol version"));
        assert_eq!(build_id(), ours.build, "stable within a process");
    }
}

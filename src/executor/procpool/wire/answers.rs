//! A worker's answers: PROGRESS (bytes read) and DONE (one job's counts or error), checked
//! apart from decoding so the parent can leave building key sets to other threads.

use std::io;

use super::{at_end, frame, Kind, WireError};
use crate::bytes::{ByteReader, ByteWriter};
use crate::count::{Counts, Detail, Shown};
use crate::counts_encoding;
use crate::format::{Customs, Format};
use crate::input::{JobError, JobResult};

/// Appends one PROGRESS frame.
pub fn encode_progress(out: &mut Vec<u8>, bytes: u64) {
    frame(out, Kind::Progress, |p| p.put_u64(bytes)).expect("8 bytes fit");
}

pub fn decode_progress(payload: &[u8]) -> Result<u64, WireError> {
    let mut f = ByteReader::new(payload, "progress");
    let n = f.u64()?;
    at_end(&f, "progress")?;
    Ok(n)
}

const DONE_OK: u8 = 0;
const DONE_ERR: u8 = 1;
const DONE_NOT_A_LOG: u8 = 2;

/// Appends the DONE frame of job `id`. Counts too big for one frame become that job's error.
pub fn encode_done(out: &mut Vec<u8>, id: u32, result: &JobResult, customs: &Customs) {
    let ok = match result {
        // Counts too big for the memory left are the job's error, as its sets' would be.
        Ok((counts, _))
            if out
                .try_reserve(
                    64 + counts_encoding::encoded_len(counts) + shown_len(&counts.detail.shown),
                )
                .is_err() =>
        {
            return encode_error(out, id, &crate::input::out_of_memory(counts.held()));
        }
        Ok((counts, bytes)) => frame(out, Kind::Done, |p| {
            p.put_u32(id);
            p.put_u8(DONE_OK);
            p.put_u64(*bytes);
            p.put_u64(counts.malformed);
            p.put_u8(Format::opt_code(counts.format, customs));
            counts_encoding::encode(counts, p);
            counts_encoding::encode_detail(
                counts.filtered,
                &counts.detail.periods,
                &counts.detail.hits,
                p,
            );
            encode_shown(&counts.detail.shown, p);
        }),
        Err(JobError::Io(e)) => return encode_error(out, id, e),
        Err(JobError::NotAccessLog(reason)) => frame(out, Kind::Done, |p| {
            p.put_u32(id);
            p.put_u8(DONE_NOT_A_LOG);
            p.extend_from_slice(clip(reason).as_bytes());
        }),
    };
    if let Err(e) = ok {
        encode_error(
            out,
            id,
            &io::Error::other(format!("counts too big to send: {e}")),
        );
    }
}

/// The bytes [`encode_shown`] writes.
fn shown_len(shown: &Shown) -> usize {
    12 + shown.first.iter().map(|(_, t)| 12 + t.len()).sum::<usize>()
}

/// Appends a job's first malformed lines (`--show-malformed`): the lines it read, then each
/// kept line's number and text.
fn encode_shown(shown: &Shown, p: &mut Vec<u8>) {
    p.put_u64(shown.lines);
    p.put_u32(shown.first.len() as u32);
    for (line, text) in &shown.first {
        p.put_u64(*line);
        p.put_bytes(text);
    }
}

/// The inverse of [`encode_shown`], which must fill `bytes` exactly.
fn decode_shown(bytes: &[u8]) -> Result<Shown, WireError> {
    let bad = WireError::Malformed("malformed lines");
    let mut f = ByteReader::new(bytes, "malformed lines");
    let lines = f.u64()?;
    let n = f.u32()? as usize;
    if n > f.left() / 12 {
        return Err(bad);
    }
    let mut first = Vec::with_capacity(n);
    for _ in 0..n {
        let line = f.u64()?;
        let text = f.bytes()?;
        if line == 0 || line > lines || text.len() > crate::count::SHOWN_BYTES {
            return Err(bad);
        }
        first.push((line, text.to_vec()));
    }
    at_end(&f, "malformed lines")?;
    Ok(Shown { lines, first })
}

/// A message clipped (on a character boundary) so its frame always fits.
fn clip(text: &str) -> &str {
    let mut end = text.len().min(4096);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn encode_error(out: &mut Vec<u8>, id: u32, e: &io::Error) {
    let text = e.to_string();
    frame(out, Kind::Done, |p| {
        p.put_u32(id);
        p.put_u8(DONE_ERR);
        p.put_i32(e.raw_os_error().unwrap_or(-1));
        p.extend_from_slice(clip(&text).as_bytes());
    })
    .expect("a clipped error fits its frame");
}

/// Reads a DONE payload: the job id and its result. An error from the worker comes back
/// with the same text it had there (an OS error as the same OS error).
pub fn decode_done(payload: &[u8], customs: &Customs) -> Result<(u32, JobResult), WireError> {
    let (id, result) = split_done(payload, customs)?;
    let result = match result {
        Ok(done) => Ok(done.counts()?),
        Err(e) => Err(e),
    };
    Ok((id, result))
}

/// A job's counts as a worker sent them: checked, not yet decoded.
#[derive(Debug)]
pub struct Done<'a> {
    /// Bytes of text the job counted.
    pub(crate) bytes: u64,
    pub(crate) malformed: u64,
    pub(crate) format: Option<Format>,
    /// The total and keys, in [`crate::counts_encoding`].
    pub(crate) encoded: &'a [u8],
    /// Where their parts lie in `encoded`, as checked when they arrived.
    pub(crate) layout: counts_encoding::Layout,
    /// The periods and requests per client ([`counts_encoding::encode_detail`]), checked.
    pub(crate) detail: &'a [u8],
    /// The first malformed lines (`--show-malformed`).
    pub(crate) shown: Shown,
}

impl Done<'_> {
    /// Decodes the counts (building the job's key sets).
    pub(crate) fn counts(&self) -> Result<(Counts, u64), WireError> {
        decode_counts(
            self.encoded,
            &self.layout,
            self.detail,
            self.malformed,
            self.format,
            self.shown.clone(),
        )
        .map(|counts| (counts, self.bytes))
    }
}

/// A job's counts from the parts of a DONE checked by [`split_done`]: the main encoding (its
/// `layout`), the detail, and what travels beside them. The detail's last checks (no client
/// twice) need its sets, so they are made here, where the sets are built.
pub fn decode_counts(
    encoded: &[u8],
    layout: &counts_encoding::Layout,
    detail: &[u8],
    malformed: u64,
    format: Option<Format>,
    shown: Shown,
) -> Result<Counts, WireError> {
    let mut counts = layout.counts(encoded);
    counts.malformed = malformed;
    counts.format = format;
    let (filtered, periods, hits, _) = counts_encoding::decode_detail(detail)
        .map_err(|_| WireError::Malformed("counts detail"))?;
    counts.filtered = filtered;
    *counts.detail = Detail {
        periods,
        hits,
        shown,
    };
    Ok(counts)
}

/// A job result checked but not decoded: the job id, and the job's [`Done`] (checked by
/// [`counts_encoding::scan`]), or why it failed. Decoding builds a hash set of every key, which the
/// parent can leave to other threads.
pub fn split_done<'a>(
    payload: &'a [u8],
    customs: &Customs,
) -> Result<(u32, Result<Done<'a>, JobError>), WireError> {
    let mut f = ByteReader::new(payload, "job result");
    let id = f.u32()?;
    match f.u8()? {
        DONE_OK => {
            let bytes = f.u64()?;
            let malformed = f.u64()?;
            let format = Format::from_opt_code(f.u8()?, customs)
                .ok_or(WireError::Malformed("job result format"))?;
            let rest = f.rest();
            let layout = counts_encoding::scan(rest).map_err(|_| WireError::Malformed("counts"))?;
            let (encoded, detail) = rest.split_at(layout.used);
            // Checked whole here (the cheap case: without time or top options it is 48
            // bytes); decoded again with the counts.
            let used = counts_encoding::scan_detail(detail)
                .map_err(|_| WireError::Malformed("counts detail"))?;
            let (detail, shown) = detail.split_at(used);
            let shown = decode_shown(shown)?;
            Ok((
                id,
                Ok(Done {
                    bytes,
                    malformed,
                    format,
                    encoded,
                    layout,
                    detail,
                    shown,
                }),
            ))
        }
        DONE_ERR => {
            let code = f.i32()?;
            let error = if code >= 0 {
                io::Error::from_raw_os_error(code)
            } else {
                io::Error::other(String::from_utf8_lossy(f.rest()).into_owned())
            };
            Ok((id, Err(JobError::Io(error))))
        }
        DONE_NOT_A_LOG => {
            let reason = String::from_utf8_lossy(f.rest()).into_owned();
            Ok((id, Err(JobError::NotAccessLog(reason))))
        }
        _ => Err(WireError::Malformed("job result status")),
    }
}

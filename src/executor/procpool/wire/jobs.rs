//! JOBS: a batch of jobs, and the options they are read with, from the parent to a worker.

use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{at_end, frame, Kind, WireError};
use crate::bytes::{ByteReader, ByteWriter};
use crate::format::{Choice, Customs, Options, Proxies, Query};
use crate::input::{Codec, Compression, Input, ReadMode, Source, Witness};

/// One job as sent to a worker: which bytes of which file, and how to read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec<'a> {
    /// The job's index in the plan, echoed in its DONE.
    pub id: u32,
    /// 0 the first time a job is sent, 1 when it is retried.
    pub attempt: u8,
    /// The path's bytes (paths need not be UTF-8).
    pub path: &'a [u8],
    /// The file's device and inode when it was planned, to refuse a replaced file.
    pub file_id: Option<(u64, u64)>,
    /// Its planned size (read by position up to it), or `None` to read it to its end.
    pub size: Option<u64>,
    /// The job's byte range, for a file cut into jobs.
    pub range: Option<Range<u64>>,
    pub compression: Compression,
    /// The codec its name claims.
    pub claimed: Option<Codec>,
    pub format: Choice,
    /// The W3C `#Fields:` directive in force at the range's start.
    pub fields: Option<&'a [u8]>,
    /// The bytes before the planned size, as planning read them ([`Witness`]).
    pub witness: Option<&'a [u8]>,
}

impl JobSpec<'_> {
    /// The input as a worker counts it (its name is the parent's business).
    pub(crate) fn input(&self) -> Input {
        Input {
            name: String::new(),
            source: Source::File(Path::new(std::ffi::OsStr::from_bytes(self.path)).into()),
            size: self.size,
            id: self.file_id,
            regular: true,
            named: true,
            compression: self.compression,
            claimed: self.claimed,
            format: self.format,
            witness: self
                .witness
                .zip(self.size)
                .and_then(|(bytes, size)| Witness::from_bytes(size, bytes)),
        }
    }
}

const JOB_RANGE: u8 = 1;
const JOB_FILE_ID: u8 = 2;
const JOB_SIZE: u8 = 4;
const JOB_FIELDS: u8 = 8;
const JOB_WITNESS: u8 = 16;
const JOB_FLAGS: u8 = JOB_RANGE | JOB_FILE_ID | JOB_SIZE | JOB_FIELDS | JOB_WITNESS;

/// Appends one JOBS frame carrying `jobs`, read with `options`.
pub fn encode_jobs(
    out: &mut Vec<u8>,
    options: &Options,
    mode: ReadMode,
    jobs: &[JobSpec<'_>],
) -> Result<(), WireError> {
    frame(out, Kind::Jobs, |p| {
        let fields = options.json.names();
        p.put_u8(fields.len() as u8);
        for f in &fields {
            p.put_str(f);
        }
        crate::format::put_specs(p, options.customs.specs(), options.proxies.written());
        p.extend_from_slice(&options.query.to_bytes());
        p.put_u64(options.show_malformed as u64);
        p.put_u8(match mode {
            ReadMode::Map => 0,
            ReadMode::Read => 1,
        });
        p.put_u32(jobs.len() as u32);
        for job in jobs {
            p.put_u32(job.id);
            p.put_u8(job.attempt);
            let flag = |set: bool, bit: u8| if set { bit } else { 0 };
            p.put_u8(
                flag(job.range.is_some(), JOB_RANGE)
                    | flag(job.file_id.is_some(), JOB_FILE_ID)
                    | flag(job.size.is_some(), JOB_SIZE)
                    | flag(job.fields.is_some(), JOB_FIELDS)
                    | flag(job.witness.is_some(), JOB_WITNESS),
            );
            p.put_u8(job.compression.code());
            p.put_u8(job.claimed.map_or(0, Codec::code));
            p.put_u8(job.format.code(&options.customs));
            if let Some(r) = &job.range {
                p.put_u64(r.start);
                p.put_u64(r.end);
            }
            if let Some((dev, ino)) = job.file_id {
                p.put_u64(dev);
                p.put_u64(ino);
            }
            if let Some(size) = job.size {
                p.put_u64(size);
            }
            if let Some(fields) = job.fields {
                p.put_bytes(fields);
            }
            if let Some(witness) = job.witness {
                p.put_bytes(witness);
            }
            p.put_bytes(job.path);
        }
    })
}

/// Reads the options, how files are read, and the jobs of a JOBS payload.
pub fn decode_jobs(payload: &[u8]) -> Result<(Options, ReadMode, Vec<JobSpec<'_>>), WireError> {
    let mut f = ByteReader::new(payload, "job batch");
    let n_fields = f.u8()?;
    let mut fields = Vec::with_capacity(n_fields.into());
    for _ in 0..n_fields {
        let name =
            std::str::from_utf8(f.bytes()?).map_err(|_| WireError::Malformed("client field"))?;
        fields.push(name);
    }
    if fields.is_empty() || fields.len() > crate::format::MAX_CLIENT_FIELDS {
        return Err(WireError::Malformed("client fields"));
    }
    let (specs, cidrs) = crate::format::read_specs(&mut f)?;
    // The parent compiled these before it sent them: one that fails here is a garbled batch.
    let customs = Customs::from_specs(specs).map_err(|_| WireError::Malformed("log formats"))?;
    let proxies = Proxies::parse(cidrs.iter().map(String::as_str))
        .map_err(|_| WireError::Malformed("trusted proxies"))?;
    let query = Query::from_bytes(&f.array()?).ok_or(WireError::Malformed("job query"))?;
    let show_malformed =
        usize::try_from(f.u64()?).map_err(|_| WireError::Malformed("job query"))?;
    let options = Options {
        json: std::sync::Arc::new(crate::format::JsonFields::new(fields)),
        customs,
        proxies: std::sync::Arc::new(proxies),
        query,
        show_malformed,
    };
    let mode = match f.u8()? {
        0 => ReadMode::Map,
        1 => ReadMode::Read,
        _ => return Err(WireError::Malformed("read mode")),
    };
    let n = f.u32()? as usize;
    // Each job takes at least 14 bytes: a count beyond that is garbage, not an allocation.
    if n > payload.len() / 14 {
        return Err(WireError::Malformed("job batch"));
    }
    let mut jobs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = f.u32()?;
        let attempt = f.u8()?;
        let flags = f.u8()?;
        if flags & !JOB_FLAGS != 0 {
            return Err(WireError::Malformed("job flags"));
        }
        let compression =
            Compression::from_code(f.u8()?).ok_or(WireError::Malformed("job compression"))?;
        let claimed = match f.u8()? {
            0 => None,
            c => Some(Codec::from_code(c).ok_or(WireError::Malformed("job codec"))?),
        };
        let format = Choice::from_code(f.u8()?, &options.customs)
            .ok_or(WireError::Malformed("job format"))?;
        let range = if flags & JOB_RANGE != 0 {
            let (start, end) = (f.u64()?, f.u64()?);
            if start > end {
                return Err(WireError::Malformed("job range"));
            }
            Some(start..end)
        } else {
            None
        };
        let file_id = if flags & JOB_FILE_ID != 0 {
            Some((f.u64()?, f.u64()?))
        } else {
            None
        };
        let size = if flags & JOB_SIZE != 0 {
            Some(f.u64()?)
        } else {
            None
        };
        let fields = if flags & JOB_FIELDS != 0 {
            Some(f.bytes()?)
        } else {
            None
        };
        let witness = if flags & JOB_WITNESS != 0 {
            let bytes = f.bytes()?;
            if size.is_none_or(|size| bytes.len() as u64 > size) {
                return Err(WireError::Malformed("job witness"));
            }
            Some(bytes)
        } else {
            None
        };
        jobs.push(JobSpec {
            id,
            attempt,
            path: f.bytes()?,
            file_id,
            size,
            range,
            compression,
            claimed,
            format,
            fields,
            witness,
        });
    }
    at_end(&f, "job batch")?;
    Ok((options, mode, jobs))
}

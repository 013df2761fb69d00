//! A frozen plan (`logcount plan`): the run's inputs, their snapshot sizes, device and inode,
//! compression and format as planned, the chunk size and the job list — so that every task of
//! a cluster run counts exactly that snapshot (`partial --plan`), however the logs grow
//! meanwhile. Sealed like a partial (magic, version, kind 3, CRC-32), in binary or text form.
//!
//! Payload (integers little-endian; `opt` is a byte 0/1 then the value):
//!
//! ```text
//! chunk_size opt u64 · log format (one-byte Choice code) · client fields (u64 count, strings)
//! query (25 bytes: the time and top options, `Query::to_bytes`)
//! inputs: u64 count, each: name, path bytes, size opt u64, (device, inode) opt, regular u8,
//!         named u8, compression code u8, claimed codec code u8 (0xff: none), format code u8
//! jobs:   u64 count, each: input u32, range opt (u64 start, u64 end), fields opt bytes
//! errors, skipped: u64 count, each two strings (path, why)
//! ```
//!
//! Reading checks what a checksum cannot: every code known, every job's input in range, each
//! input's jobs together, in order, and cutting exactly its planned size.

use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use super::fields::{put_opt_u64, Reader};
use super::{corrupt, PartialFileError};
use crate::bytes::ByteWriter;
use crate::format::{Choice, Customs, JsonFields, Options, Proxies, MAX_CLIENT_FIELDS};
use crate::input::{Codec, Compression, Input, InputError, Skipped, Source};
use crate::plan::{Job, Plan};

const NO_CODEC: u8 = 0xff;

/// The payload of `plan`. Standard input cannot be frozen: the caller refuses it first.
pub(super) fn encode(plan: &Plan) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + plan.inputs.len() * 64 + plan.jobs.len() * 24);
    let customs = &plan.options.customs;
    put_opt_u64(&mut out, plan.chunk_size);
    let fields = plan.options.json.names();
    out.put_u64(fields.len() as u64);
    fields.iter().for_each(|f| out.put_str(f));
    crate::format::put_specs(&mut out, customs.specs(), plan.options.proxies.written());
    out.put_u8(plan.format.code(customs));
    out.extend_from_slice(&plan.options.query.to_bytes());
    out.put_u64(plan.inputs.len() as u64);
    for input in &plan.inputs {
        out.put_str(&input.name);
        let path: &[u8] = match &input.source {
            Source::File(p) => p.as_os_str().as_bytes(),
            Source::Stdin => b"",
        };
        out.put_bytes(path);
        put_opt_u64(&mut out, input.size);
        match input.id {
            Some((dev, ino)) => {
                out.put_u8(1);
                out.put_u64(dev);
                out.put_u64(ino);
            }
            None => out.put_u8(0),
        }
        out.put_u8(u8::from(input.regular));
        out.put_u8(u8::from(input.named));
        out.put_u8(input.compression.code());
        out.put_u8(input.claimed.map_or(NO_CODEC, Codec::code));
        out.put_u8(input.format.code(customs));
    }
    out.put_u64(plan.jobs.len() as u64);
    for job in &plan.jobs {
        out.put_u32(job.input as u32);
        match &job.range {
            Some(r) => {
                out.put_u8(1);
                out.put_u64(r.start);
                out.put_u64(r.end);
            }
            None => out.put_u8(0),
        }
        match &job.fields {
            Some(f) => {
                out.put_u8(1);
                out.put_bytes(f);
            }
            None => out.put_u8(0),
        }
    }
    for list in [
        plan.errors
            .iter()
            .map(|e| (e.path.as_str(), e.error.as_str()))
            .collect::<Vec<_>>(),
        plan.skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason.as_str()))
            .collect(),
    ] {
        out.put_u64(list.len() as u64);
        for (path, why) in list {
            out.put_str(path);
            out.put_str(why);
        }
    }
    out
}

fn flag(r: &mut Reader<'_>) -> Result<bool, PartialFileError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(corrupt("bad flag")),
    }
}

fn choice(r: &mut Reader<'_>, customs: &Customs) -> Result<Choice, PartialFileError> {
    Choice::from_code(r.u8()?, customs).ok_or_else(|| corrupt("unknown log format"))
}

/// The plan in a payload (after its header was checked).
pub(super) fn read(r: &mut Reader<'_>) -> Result<Plan, PartialFileError> {
    let chunk_size = r.opt_u64()?;
    let n = r.count(4)?;
    if n > MAX_CLIENT_FIELDS {
        return Err(corrupt("too many client fields"));
    }
    let fields = (0..n).map(|_| r.string()).collect::<Result<Vec<_>, _>>()?;
    let mut options = if fields.is_empty() {
        Options::default()
    } else {
        Options {
            json: Arc::new(JsonFields::new(fields.iter().map(String::as_str))),
            ..Options::default()
        }
    };
    let (templates, proxies) = r.templates()?;
    options.customs = Customs::from_specs(templates).map_err(corrupt)?;
    options.proxies =
        Arc::new(Proxies::parse(proxies.iter().map(String::as_str)).map_err(corrupt)?);
    let format = choice(r, &options.customs)?;
    options.query = r.query()?;
    let n = r.count(16)?;
    let mut inputs = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        let path = r.bytes()?;
        let size = r.opt_u64()?;
        let id = if flag(r)? {
            Some((r.u64()?, r.u64()?))
        } else {
            None
        };
        let regular = flag(r)?;
        let named = flag(r)?;
        let compression =
            Compression::from_code(r.u8()?).ok_or_else(|| corrupt("unknown compression"))?;
        let claimed = match r.u8()? {
            NO_CODEC => None,
            code => Some(Codec::from_code(code).ok_or_else(|| corrupt("unknown codec"))?),
        };
        let format = choice(r, &options.customs)?;
        if path.is_empty() {
            return Err(corrupt("an input without a path"));
        }
        inputs.push(Input {
            name,
            source: Source::File(PathBuf::from(std::ffi::OsStr::from_bytes(path))),
            size,
            id,
            regular,
            named,
            compression,
            claimed,
            format,
            // Not kept in a plan: its jobs read it when they open the file.
            witness: None,
        });
    }
    let n = r.count(6)?;
    let mut jobs: Vec<Job> = Vec::with_capacity(n);
    for _ in 0..n {
        let input = r.u32()? as usize;
        let range = if flag(r)? {
            Some(r.u64()?..r.u64()?)
        } else {
            None
        };
        let fields = if flag(r)? {
            Some(Arc::from(r.bytes()?))
        } else {
            None
        };
        jobs.push(Job {
            input,
            range,
            fields,
        });
    }
    check_jobs(&inputs, &jobs)?;
    let mut lists = [Vec::new(), Vec::new()];
    for list in &mut lists {
        let n = r.count(8)?;
        for _ in 0..n {
            list.push((r.string()?, r.string()?));
        }
    }
    let [errors, skipped] = lists;
    Ok(Plan {
        inputs,
        jobs,
        errors: errors
            .into_iter()
            .map(|(p, e)| InputError::new(p, e))
            .collect(),
        skipped: skipped
            .into_iter()
            .map(|(p, why)| Skipped::new(p, why))
            .collect(),
        chunk_size,
        format,
        options,
        read_mode: crate::input::ReadMode::default(),
    })
}

/// Each input's jobs come together and in order: one whole-input job, or ranges that cut its
/// planned size exactly.
fn check_jobs(inputs: &[Input], jobs: &[Job]) -> Result<(), PartialFileError> {
    let mut at = 0;
    for (i, input) in inputs.iter().enumerate() {
        let start = at;
        while at < jobs.len() && jobs[at].input == i {
            at += 1;
        }
        let own = &jobs[start..at];
        let ranges: Option<Vec<&Range<u64>>> = own.iter().map(|j| j.range.as_ref()).collect();
        let fits = match (own, ranges, input.size) {
            ([], _, _) => false,
            ([_], None, _) => true,
            (_, Some(ranges), Some(size)) => {
                ranges[0].start == 0
                    && ranges.windows(2).all(|w| w[0].end == w[1].start)
                    && ranges.iter().all(|r| r.start < r.end)
                    && ranges.last().is_some_and(|r| r.end == size)
            }
            _ => false,
        };
        if !fits {
            return Err(corrupt(format!(
                "the jobs of input {i} do not cut it as planned"
            )));
        }
    }
    if at != jobs.len() {
        return Err(corrupt("a job of no input"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partial::file::{parse_stream, seal_plan, Partial};

    fn sample_plan() -> (tempfile::TempDir, Plan) {
        let dir = tempfile::tempdir().unwrap();
        let w3c = "#Fields: date time c-ip cs-method\n2021-03-22 10:00:00 1.2.3.4 GET\n".repeat(40);
        std::fs::write(dir.path().join("u_ex1.log"), w3c).unwrap();
        std::fs::write(
            dir.path().join("a.log"),
            b"1.2.3.4 - - [x] \"GET /\" 200 1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.log.gz"), crate::testutil::gzip(b"x\n")).unwrap();
        let settings = crate::plan::Settings {
            chunk_size: Some(512),
            ..Default::default()
        };
        let plan = Plan::new(&[dir.path().to_path_buf()], &settings);
        assert!(plan.jobs.len() > plan.inputs.len(), "some file is cut");
        assert!(plan.jobs.iter().any(|j| j.fields.is_some()));
        (dir, plan)
    }

    fn thaw(bytes: Vec<u8>) -> Result<Plan, PartialFileError> {
        match parse_stream(bytes)?.pop() {
            Some(Partial::Plan(plan)) => Ok(*plan),
            _ => panic!("not a plan"),
        }
    }

    #[test]
    fn a_plan_round_trips_whole() {
        let (_dir, plan) = sample_plan();
        let back = thaw(seal_plan(&plan).to_vec()).unwrap();
        assert_eq!(format!("{:?}", back.inputs), format!("{:?}", plan.inputs));
        assert_eq!(back.jobs, plan.jobs);
        assert_eq!(
            (back.chunk_size, back.format),
            (plan.chunk_size, plan.format)
        );
        assert_eq!(back.options.json.names(), plan.options.json.names());
        assert_eq!(
            crate::partial::plan_info(&back).fingerprint(),
            crate::partial::plan_info(&plan).fingerprint()
        );
    }

    #[test]
    fn jobs_that_do_not_cut_their_input_are_corrupt() {
        let (_dir, plan) = sample_plan();
        let cut = plan.jobs.iter().position(|j| j.range.is_some()).unwrap();
        for edit in [
            |p: &mut Plan, i: usize| p.jobs[i].range.as_mut().unwrap().end += 1,
            |p: &mut Plan, i: usize| {
                p.jobs.remove(i);
            },
            |p: &mut Plan, i: usize| p.jobs[i].input = p.inputs.len() + 3,
        ] {
            let mut bad = plan.clone();
            edit(&mut bad, cut);
            let err = thaw(seal_plan(&bad).to_vec()).unwrap_err();
            assert!(matches!(err, PartialFileError::Corrupt(_)), "{err}");
        }
    }
}

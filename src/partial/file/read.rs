//! Reading partials: a stream of them, binary or text, each checked whole before it is
//! used: its header and checksum, then what a checksum cannot catch (a buggy or hostile
//! writer's impossible numbers), against its own plan.

use std::sync::Arc;

use super::fields::Reader;
use super::{
    checksum, corrupt, frozen, text, BucketFile, BucketResult, FileCount, FileKeys, InputInfo,
    KeyBlock, Outcome, Partial, PartialFileError, PlanInfo, SliceFile, SliceId, SlicePartial,
    COUNTED, FAILED, HEADER_LEN, KIND_BUCKET, KIND_PLAN, KIND_SLICE, MAGIC, SKIPPED, VERSION,
};
use crate::bytes::ByteReader;
use crate::count::Detail;
use crate::counts_encoding;
use crate::format::{Customs, Format, Query};
use crate::input::{InputError, Skipped};
use crate::keys::{Key, Split, StoredKeys};

/// Every partial in `bytes` (binary or text forms, one after another), in order. Their keys
/// stay in `bytes`, which the partials share.
pub fn parse_stream(bytes: Vec<u8>) -> Result<Vec<Partial>, PartialFileError> {
    let data = Arc::new(bytes);
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        at += data[at..].len() - trim_start(&data[at..]).len();
        let rest = &data[at..];
        if rest.is_empty() {
            break;
        }
        if rest.starts_with(&MAGIC) {
            let (partial, used) = parse_binary(&data, at)?;
            out.push(partial);
            at += used;
        } else if rest.starts_with(text::TEXT_TAG.as_bytes()) {
            let (partial, used) = parse_text(rest)?;
            out.push(partial);
            at += used;
        } else if out.is_empty() {
            return Err(PartialFileError::NotPartial);
        } else {
            return Err(corrupt(format!(
                "unexpected bytes after partial {}",
                out.len()
            )));
        }
    }
    if out.is_empty() {
        return Err(PartialFileError::NotPartial);
    }
    Ok(out)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// One text partial from the front of `bytes` (see [`text::decode`]); returns it and the bytes
/// it used.
fn parse_text(bytes: &[u8]) -> Result<(Partial, usize), PartialFileError> {
    let decoded = text::decode(bytes)?;
    let binary = Arc::new(decoded.binary);
    let (partial, inner) = parse_binary(&binary, 0)?;
    if inner != binary.len() {
        return Err(corrupt("text partial holds extra bytes"));
    }
    if decoded.label != partial.label() {
        return Err(corrupt(format!(
            "header line `{}` does not match its content ({})",
            decoded.header,
            partial.label()
        )));
    }
    Ok((partial, decoded.used))
}

/// One binary partial at `at` in `data`; returns it and the bytes it used.
fn parse_binary(data: &Arc<Vec<u8>>, at: usize) -> Result<(Partial, usize), PartialFileError> {
    let bytes = &data[at..];
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(PartialFileError::NotPartial);
    }
    if bytes.len() < HEADER_LEN {
        return Err(PartialFileError::Truncated(format!(
            "{} of {HEADER_LEN} header bytes",
            bytes.len()
        )));
    }
    let mut header = ByteReader::new(&bytes[MAGIC.len()..HEADER_LEN], "partial header");
    let version = header.u16()?;
    if version != VERSION {
        return Err(PartialFileError::Version(version));
    }
    let kind = header.u8()?;
    if header.u8()? != 0 {
        return Err(corrupt("reserved header byte is set"));
    }
    let length = header.u64()?;
    let crc = header.u32()?;
    let available = (bytes.len() - HEADER_LEN) as u64;
    if length > available {
        return Err(PartialFileError::Truncated(format!(
            "{available} of {length} payload bytes"
        )));
    }
    let payload = &bytes[HEADER_LEN..HEADER_LEN + length as usize];
    if checksum(bytes, [payload]) != crc {
        return Err(corrupt("checksum mismatch"));
    }
    let mut r = Reader {
        fields: ByteReader::new(payload, "partial"),
        data,
        base: at + HEADER_LEN,
    };
    let partial = match kind {
        KIND_SLICE => Partial::Slice(read_slice(&mut r)?),
        KIND_BUCKET => Partial::Bucket(read_bucket(&mut r)?),
        KIND_PLAN => Partial::Plan(Box::new(frozen::read(&mut r)?)),
        other => return Err(corrupt(format!("unknown kind {other}"))),
    };
    if !r.fields.at_end() {
        return Err(corrupt("extra bytes in the payload"));
    }
    Ok((partial, HEADER_LEN + payload.len()))
}

/// What only partials read: formats, the plan, per-file records.
impl<'a> Reader<'a> {
    fn format(&mut self, customs: &Customs) -> Result<Option<Format>, PartialFileError> {
        Format::from_opt_code(self.u8()?, customs).ok_or_else(|| corrupt("unknown format"))
    }

    fn plan(&mut self) -> Result<(PlanInfo, u128), PartialFileError> {
        let fingerprint = self.u128()?;
        let chunk_size = self.opt_u64()?;
        let format = self.string()?;
        let n = self.count(4)?;
        let client_fields = (0..n)
            .map(|_| self.string())
            .collect::<Result<Vec<_>, PartialFileError>>()?;
        let (templates, proxies) = self.templates()?;
        let query = self.query()?;
        let jobs = self.u64()?;
        let n = self.count(15)?;
        let inputs = (0..n)
            .map(|_| {
                Ok(InputInfo {
                    name: self.string()?,
                    size: self.opt_u64()?,
                    jobs: self.u64()?,
                    compression: self.u8()?,
                    format: self.u8()?,
                })
            })
            .collect::<Result<Vec<_>, PartialFileError>>()?;
        let n = self.count(8)?;
        let errors = (0..n)
            .map(|_| Ok(InputError::new(self.string()?, self.string()?)))
            .collect::<Result<Vec<_>, PartialFileError>>()?;
        let n = self.count(8)?;
        let skipped = (0..n)
            .map(|_| Ok(Skipped::new(self.string()?, self.string()?)))
            .collect::<Result<Vec<_>, PartialFileError>>()?;
        let plan = PlanInfo {
            chunk_size,
            format,
            client_fields,
            templates,
            proxies,
            query,
            jobs,
            inputs,
            errors,
            skipped,
        };
        if plan.fingerprint() != fingerprint {
            return Err(corrupt("fingerprint does not match the plan"));
        }
        // Every input has jobs of its own, and the inputs' jobs are the plan's.
        let mut jobs = 0u64;
        for input in &plan.inputs {
            if input.jobs == 0 {
                return Err(corrupt("an input without jobs"));
            }
            jobs = jobs.saturating_add(input.jobs);
        }
        if jobs != plan.jobs {
            return Err(corrupt("the inputs' jobs are not the plan's"));
        }
        Ok((plan, fingerprint))
    }

    /// The per-file records of a slice partial or a bucket result, each made by `record`
    /// from an input index (in order) and its outcome: counted (what `counted` reads), failed
    /// (its error) or skipped (why).
    fn file_records<T, F>(
        &mut self,
        plan: &PlanInfo,
        mut counted: impl FnMut(&mut Self) -> Result<T, PartialFileError>,
        record: impl Fn(u32, Outcome<T>) -> F,
    ) -> Result<Vec<F>, PartialFileError> {
        let n = self.count(5)?;
        let mut files = Vec::with_capacity(n);
        let mut previous = None;
        for _ in 0..n {
            let input = self.input(plan, previous)?;
            previous = Some(input);
            let outcome = match self.u8()? {
                COUNTED => Outcome::Counted(counted(self)?),
                FAILED => Outcome::Failed(self.string()?),
                SKIPPED => Outcome::Skipped(self.string()?),
                _ => return Err(corrupt("bad file status")),
            };
            files.push(record(input, outcome));
        }
        Ok(files)
    }

    /// A file index, checked against the plan and required to increase.
    fn input(&mut self, plan: &PlanInfo, previous: Option<u32>) -> Result<u32, PartialFileError> {
        let input = self.u32()?;
        if input as usize >= plan.inputs.len() {
            return Err(corrupt("file index out of range"));
        }
        if previous.is_some_and(|p| input <= p) {
            return Err(corrupt("file records out of order"));
        }
        Ok(input)
    }
}

fn read_slice(r: &mut Reader<'_>) -> Result<SlicePartial, PartialFileError> {
    let (plan, fingerprint) = r.plan()?;
    let customs = plan.customs()?;
    let slice = SliceId {
        index: r.u32()?,
        count: r.u32()?,
    };
    if slice.count == 0 || slice.index >= slice.count {
        return Err(corrupt(format!("bad slice {slice}")));
    }
    let jobs = r.u64()?..r.u64()?;
    if jobs.start > jobs.end || jobs.end > plan.jobs {
        return Err(corrupt("job range outside the plan"));
    }
    let buckets = r.u32()?;
    if buckets == 0 || buckets > crate::partial::MAX_BUCKETS {
        return Err(corrupt(format!("{buckets} key buckets")));
    }
    let keys = |r: &mut Reader<'_>| {
        let total = r.u64()?;
        let bytes = r.u64()?;
        let malformed = r.u64()?;
        let format = r.format(&customs)?;
        let n_blocks = r.u32()? as usize;
        if n_blocks > buckets as usize {
            return Err(corrupt("more key blocks than buckets"));
        }
        // Each block takes at least 36 bytes: never reserve more than could follow.
        let mut blocks = Vec::with_capacity(n_blocks.min(r.left() / 36));
        for _ in 0..n_blocks {
            let bucket = r.u32()?;
            if bucket >= buckets || blocks.last().is_some_and(|&(b, _)| bucket <= b) {
                return Err(corrupt("bad key bucket"));
            }
            let keys = KeyBlock::scan(r.data, r.base + r.pos())
                .map_err(|e| corrupt(format!("keys: {e}")))?;
            if keys.layout.used > r.left() {
                return Err(corrupt("keys run past the payload"));
            }
            check_block(&keys, bucket, buckets)?;
            r.fields.skip(keys.layout.used)?;
            blocks.push((bucket, keys));
        }
        // A key is a request's client: a file has no more distinct keys than requests.
        if blocks.iter().map(|(_, k)| k.len() as u64).sum::<u64>() > total {
            return Err(corrupt("more distinct clients than requests"));
        }
        let (filtered, detail) = read_detail(r, &plan.query, total, buckets)?;
        Ok(FileKeys {
            total,
            bytes,
            malformed,
            format,
            blocks,
            filtered,
            detail,
        })
    };
    let files = r.file_records(&plan, keys, |input, outcome| SliceFile { input, outcome })?;
    // One record for each input with a job in the slice, and none for the others.
    let mut first_job = 0u64;
    let mut held = plan.inputs.iter().enumerate().filter_map(|(i, input)| {
        let own = first_job..first_job + input.jobs;
        first_job = own.end;
        (own.start.max(jobs.start) < own.end.min(jobs.end)).then_some(i as u32)
    });
    if !files.iter().map(|f| f.input).eq(held.by_ref()) {
        return Err(corrupt("its files are not the files of its jobs"));
    }
    Ok(SlicePartial {
        plan,
        fingerprint,
        slice,
        jobs,
        buckets,
        files,
    })
}

/// Checks what a CRC cannot: the block's keys are distinct (strictly ascending, as written)
/// and each belongs to the block's bucket of `buckets`.
fn check_block(keys: &KeyBlock, bucket: u32, buckets: u32) -> Result<(), PartialFileError> {
    fn ascending<T: PartialOrd>(mut it: impl Iterator<Item = T>) -> bool {
        let Some(mut last) = it.next() else {
            return true;
        };
        for next in it {
            if next <= last {
                return false;
            }
            last = next;
        }
        true
    }
    if !(ascending(keys.v4())
        && ascending(keys.v6())
        && ascending(keys.short())
        && ascending(keys.long()))
    {
        return Err(corrupt("keys repeated or out of order"));
    }
    if buckets > 1 {
        let split = Split::Buckets(buckets);
        let theirs = |key: Key<'_>| split.of(key) == bucket as usize;
        let all = keys.v4().all(|v| theirs(Key::V4(v)))
            && keys.v6().all(|v| theirs(Key::V6(v)))
            && keys.short().all(|p| theirs(Key::Short(p)))
            && keys.long().all(|k| theirs(Key::Long(k)));
        if !all {
            return Err(corrupt("a key in another bucket's block"));
        }
    }
    Ok(())
}

/// A counted file's detail (written only under time or top options), checked against the
/// plan's `query` and the file's `total`: periods
/// only under `--by` and adding up to the requests, requests per client only under `--top`
/// and adding up likewise, `filtered` only under a window, and none of it with buckets.
fn read_detail(
    r: &mut Reader<'_>,
    query: &Query,
    total: u64,
    buckets: u32,
) -> Result<(u64, Detail), PartialFileError> {
    if query.is_plain() {
        return Ok((0, Detail::default()));
    }
    let at = r.base + r.pos();
    let (filtered, periods, hits, used) =
        counts_encoding::decode_detail(&r.data[at..at + r.left()])
            .map_err(|e| corrupt(format!("periods or top clients: {e}")))?;
    r.fields.skip(used)?;
    if !query.is_plain() && buckets > 1 {
        return Err(corrupt("time or top options with key buckets"));
    }
    let period_sum = periods
        .iter()
        .try_fold(0u64, |sum, (_, p)| sum.checked_add(p.total));
    let periods_fit = match query.by {
        Some(_) => period_sum == Some(total),
        None => periods.is_empty(),
    };
    let hits_fit = match query.top {
        Some(_) => hits.requests() == total,
        None => hits.is_empty(),
    };
    if !periods_fit || !hits_fit || (!query.windowed() && filtered > 0) {
        return Err(corrupt(
            "periods or top clients that do not add up to the file's requests",
        ));
    }
    let shown = Default::default();
    Ok((
        filtered,
        Detail {
            periods,
            hits,
            shown,
        },
    ))
}

fn read_bucket(r: &mut Reader<'_>) -> Result<BucketResult, PartialFileError> {
    let (plan, fingerprint) = r.plan()?;
    let customs = plan.customs()?;
    let slices = r.u32()?;
    let bucket = SliceId {
        index: r.u32()?,
        count: r.u32()?,
    };
    if slices == 0 || bucket.count == 0 || bucket.index >= bucket.count {
        return Err(corrupt(format!("bad bucket {bucket}")));
    }
    let union = r.u64()?;
    let count = |r: &mut Reader<'_>| {
        Ok(FileCount {
            total: r.u64()?,
            bytes: r.u64()?,
            ip: r.u64()?,
            malformed: r.u64()?,
            format: r.format(&customs)?,
        })
    };
    let files = r.file_records(&plan, count, |input, outcome| BucketFile { input, outcome })?;
    if files.len() != plan.inputs.len() {
        return Err(corrupt("a bucket result must hold every file"));
    }
    // The union of the files' keys is at least the largest file's and at most their sum.
    let (mut largest, mut sum) = (0u64, 0u64);
    for c in files.iter().filter_map(|f| f.outcome.counted()) {
        if c.ip > c.total {
            return Err(corrupt("more distinct clients than requests"));
        }
        largest = largest.max(c.ip);
        sum = sum.saturating_add(c.ip);
    }
    if union < largest || union > sum {
        return Err(corrupt("a union no files could make"));
    }
    Ok(BucketResult {
        plan,
        fingerprint,
        slices,
        bucket,
        union,
        files,
    })
}

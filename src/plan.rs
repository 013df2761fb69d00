//! Planning: the arguments become inputs, and inputs become jobs for an executor.
//!
//! A job owns the lines that *start* inside its byte range (see [`crate::count::OwnedLines`]),
//! so the planner can cut a big file anywhere (docs/contract.md §4). A file is cut only when it
//! is plain text: planning reads the first bytes of every file big enough to be cut, to tell
//! its compression and (with `--log-format auto`) its format once for all its jobs; a W3C or
//! CloudFront file cut into jobs is read whole, for the `#Fields:` directive in force where
//! each job starts. Every other input is one job, which tells its own compression and format.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::Arc;

use crate::format::{self, Body, Choice, Detection, Format, Options, SAMPLE_MAX};
use crate::input::{
    self, sniff, Compression, Decoder, Filters, Input, InputError, ReadMode, Skipped, Source,
    Witness,
};
use crate::server_config::LogTarget;

/// The chunk size big files are cut into by executors that run jobs in parallel, unless the
/// user chose one; chosen by measurement (docs/performance.md): big enough that per-chunk key
/// sets cost little to merge, small enough to balance a single big file over many cores.
pub(crate) const DEFAULT_CHUNK: u64 = 32 << 20;

/// The most jobs one file is cut into, whatever `--chunk-size` says (1 GiB at 16 KiB chunks).
pub(crate) const MAX_CUTS: u64 = 1 << 16;

/// One unit of work for an executor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Index into [`Plan::inputs`].
    pub(crate) input: usize,
    /// A byte range of a regular file, or `None` for the whole input.
    pub(crate) range: Option<Range<u64>>,
    /// The W3C `#Fields:` directive in force where the range starts (W3C and CloudFront files
    /// cut into jobs).
    pub(crate) fields: Option<Arc<[u8]>>,
}

/// The logs server configurations name (`--server-config`), each with the format it is
/// written in (docs/contract.md §1, "Templates").
#[derive(Clone, Debug, Default)]
pub struct Configured(Vec<(LogTarget, Format)>);

impl Configured {
    pub fn new(logs: Vec<(LogTarget, Format)>) -> Configured {
        Configured(logs)
    }

    /// The format of the log at `path` (or a rotated sibling of it), if a configuration names
    /// it: the configured log whose path agrees with it in the most trailing components (logs
    /// copied off their server still match by name); `None` where two formats tie for it.
    pub(crate) fn format_of(&self, path: &std::path::Path) -> Option<Format> {
        if self.0.is_empty() {
            return None;
        }
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut best: Option<(usize, Format)> = None;
        let mut tied = false;
        for (log, format) in &self.0 {
            let Some(rank) = log.rank(&path) else {
                continue;
            };
            match best {
                Some((b, f)) if rank == b && f != *format => tied = true,
                Some((b, _)) if rank <= b => {}
                _ => {
                    best = Some((rank, *format));
                    tied = false;
                }
            }
        }
        if tied {
            return None;
        }
        best.map(|(_, f)| f)
    }
}

/// What a plan reads, and how.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Cut plain files bigger than this into jobs.
    pub chunk_size: Option<u64>,
    /// The workers the chunk size is to balance the work over, when it is the executor's
    /// default rather than the user's: then no file is cut finer than a quarter of an even
    /// share of the whole input (see [`Plan::new`]).
    pub spread: Option<usize>,
    pub filters: Filters,
    /// `--log-format`.
    pub format: Choice,
    /// The logs `--server-config` files name: read in their formats, not detected.
    pub configured: Configured,
    pub options: Options,
    /// Whether files are mapped or read (`--no-mmap`).
    pub read_mode: ReadMode,
}

/// Everything an executor needs, decided before any counting starts.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub inputs: Vec<Input>,
    pub jobs: Vec<Job>,
    /// Arguments that could not be expanded (missing paths, unreadable directories, loops) or
    /// files that failed at planning.
    pub errors: Vec<InputError>,
    /// What walks met and left out.
    pub skipped: Vec<Skipped>,
    /// The chunk size big files were cut with, if any.
    pub(crate) chunk_size: Option<u64>,
    /// `--log-format`, as every job reads it.
    pub(crate) format: Choice,
    pub options: Options,
    /// How its files are read: mapped, or with `pread` (`--no-mmap`).
    pub read_mode: ReadMode,
}

impl Plan {
    /// Expands `args` and plans their jobs.
    pub fn new(args: &[PathBuf], settings: &Settings) -> Plan {
        let expanded = input::expand(args, &settings.filters, settings.format);
        // Cuts are for balance, and each costs a merge of its key set into its file's: with
        // jobs no bigger than a quarter of each worker's even share, the busiest worker ends at
        // most a quarter of a share after the others (jobs run biggest first), so a run cuts
        // no finer (8 files of 146 MB on 2 workers are not cut at all).
        let share = |workers: usize| {
            let total: u64 = expanded.inputs.iter().filter_map(|i| i.size).sum();
            total.div_ceil(4 * workers.max(1) as u64)
        };
        let chunk_size = match (settings.chunk_size, settings.spread) {
            (Some(chunk), Some(workers)) => Some(chunk.max(share(workers))),
            (chunk, _) => chunk,
        };
        let mut plan = Plan {
            inputs: Vec::with_capacity(expanded.inputs.len()),
            jobs: Vec::with_capacity(expanded.inputs.len()),
            errors: expanded.errors,
            skipped: expanded.skipped,
            chunk_size,
            format: settings.format,
            options: settings.options.clone(),
            read_mode: settings.read_mode,
        };
        for mut input in expanded.inputs {
            if let (Choice::Auto, Source::File(path)) = (input.format, &input.source) {
                if let Some(format) = settings.configured.format_of(path) {
                    input.format = Choice::Named(format);
                }
            }
            let cuts = match (chunk_size, input.size) {
                (Some(chunk), Some(size)) if size > chunk && input.regular => {
                    match look_at(&mut input, &settings.options) {
                        Ok(Looked::Counted) => None,
                        Ok(Looked::Cut(fields)) => Some((chunk, size, fields)),
                        Ok(Looked::NotAccessLog(reason)) => {
                            plan.not_an_access_log(&input, reason);
                            continue;
                        }
                        Err(e) => {
                            plan.errors.push(InputError::new(input.name.clone(), e));
                            continue;
                        }
                    }
                }
                _ => None,
            };
            if Witness::wanted(&input) {
                input.witness = witness(&input);
            }
            let index = plan.inputs.len();
            match cuts {
                Some((chunk, size, fields)) => {
                    // A tiny chunk size on a huge file would plan millions of jobs: the answer
                    // is the same however a file is cut, so cut it in at most MAX_CUTS. The
                    // pieces are of equal size (at most the chunk size): a short last one
                    // would leave a worker idle at the end of a single big file.
                    let pieces = size.div_ceil(chunk.max(size.div_ceil(MAX_CUTS)));
                    let chunk = size.div_ceil(pieces);
                    let mut start = 0;
                    while start < size {
                        let end = start.saturating_add(chunk).min(size);
                        plan.jobs.push(Job {
                            input: index,
                            range: Some(start..end),
                            fields: fields.as_ref().and_then(|f| f.in_force(start)),
                        });
                        start = end;
                    }
                }
                None => plan.jobs.push(Job {
                    input: index,
                    range: None,
                    fields: None,
                }),
            }
            plan.inputs.push(input);
        }
        plan
    }

    /// Records an input that is not an access log: left out of a walk, an error when named.
    fn not_an_access_log(&mut self, input: &Input, reason: String) {
        if input.named {
            self.errors.push(InputError::new(
                input.name.clone(),
                named_not_a_log(&reason),
            ));
        } else {
            self.skipped.push(Skipped::new(input.name.clone(), reason));
        }
    }

    /// Bytes of the inputs on disk, when all of them are files (none is standard input or a
    /// FIFO, whose size is unknown).
    pub fn known_bytes(&self) -> Option<u64> {
        self.inputs
            .iter()
            .map(|i| i.regular.then_some(i.size.unwrap_or(0)))
            .sum()
    }

    /// The bytes a job is expected to read (for scheduling big jobs first); 0 when unknown.
    pub(crate) fn job_bytes(&self, job: &Job) -> u64 {
        match &job.range {
            Some(r) => r.end - r.start,
            None => self.inputs[job.input].size.unwrap_or(0),
        }
    }

    /// Job indices in the order to start them: streams of unknown size (stdin, FIFOs) first,
    /// as they cannot be split and may be long; then the biggest files first, a file's ranges
    /// together and front to back.
    ///
    /// Big files start early, so none is left running alone at the end; keeping a file's
    /// ranges together means only the few files in flight hold a partial key set (mixing every
    /// file's ranges by size kept one alive per file: 75 MB instead of 19 MB peak RSS on
    /// 20 × 200 MB), and a cold file is read front to back, as read-ahead expects.
    pub(crate) fn biggest_first(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.jobs.len()).collect();
        order.sort_by_key(|&j| {
            let job = &self.jobs[j];
            let input = &self.inputs[job.input];
            let size = if input.regular {
                input.size.unwrap_or(0)
            } else {
                u64::MAX
            };
            let start = job.range.as_ref().map_or(0, |r| r.start);
            (std::cmp::Reverse(size), job.input, start)
        });
        order
    }
}

/// The format a file's first lines look like, as `auto` would detect it: for the warning
/// that a named `--log-format` reads (almost) none of its lines (docs/contract.md §3). Its
/// head is read again (decompressed); `None` for what cannot be read again (standard input, a
/// FIFO) or looks like no format.
pub fn looks_like(input: &Input, options: &Options) -> Option<Format> {
    let Source::File(path) = &input.source else {
        return None;
    };
    if !input.regular {
        return None;
    }
    let text = text_head(&mut File::open(path).ok()?).ok()?;
    let whole = text.len() < SAMPLE_MAX;
    match format::detect(&text, whole, options)? {
        Detection::Format(f) => Some(f),
        _ => None,
    }
}

/// Up to [`SAMPLE_MAX`] bytes of text from the start of `file`, decompressed if it is
/// compressed.
fn text_head(file: &mut File) -> io::Result<Vec<u8>> {
    /// A sink that takes [`SAMPLE_MAX`] bytes, then refuses more.
    struct Capped(Vec<u8>);
    impl io::Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let room = SAMPLE_MAX - self.0.len();
            if room == 0 {
                return Err(io::Error::other("enough"));
            }
            let n = bytes.len().min(room);
            self.0.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    use io::Read;
    let mut piece = vec![0; 64 << 10];
    let n = file.read(&mut piece)?;
    let Some(codec) = sniff(&piece[..n]).unwrap_or(None) else {
        let mut text = piece[..n].to_vec();
        file.take((SAMPLE_MAX - text.len().min(SAMPLE_MAX)) as u64)
            .read_to_end(&mut text)?;
        return Ok(text);
    };
    let mut decoder = Decoder::new(codec, Capped(Vec::new()))?;
    let mut n = n;
    while n > 0 && decoder.write_all(&piece[..n]).is_ok() {
        n = file.read(&mut piece)?;
    }
    // At the end of the file, what the decoder still holds (its last block) too; a cap
    // reached or a stream cut short end it with what there is.
    let held = decoder.out().0.clone();
    Ok(match (n, decoder.finish()) {
        (0, Ok(out)) => out.0,
        _ => held,
    })
}

/// The error for a file named on the command line that is not an access log.
pub(crate) fn named_not_a_log(reason: &str) -> String {
    // A file of JSON objects without the `--client-field` named: that option is the fix.
    if reason.ends_with(format::CLIENT_FIELD) {
        return reason.to_string();
    }
    format!("{reason}; if it is one, name its format with --log-format")
}

/// The bytes before a file's planned size as they are now, before any job counts it (docs/
/// contract.md §2: a file rewritten while it is counted is its error). A file that cannot be
/// read now, or is no longer a regular file, is left to its job, which says why (a replaced
/// file is refused by its device and inode, whatever its witness).
fn witness(input: &Input) -> Option<Witness> {
    let (Source::File(path), Some(size)) = (&input.source, input.size) else {
        return None;
    };
    // Not `input::open_file`: its checks are the job's, and cost a third of the time here.
    // Non-blocking, in case a FIFO took the file's place.
    let file = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    Witness::read(&file, size).ok()
}

/// What planning learnt from the first bytes of a file big enough to be cut.
enum Looked {
    /// Compressed: counted whole by one job.
    Counted,
    /// Plain: cut into jobs, with the W3C directives of a W3C or CloudFront file.
    Cut(Option<Directives>),
    NotAccessLog(String),
}

/// Reads the start of a big regular file: its compression (which a name that claims one must
/// match) and, with `--log-format auto`, its format, for every job alike.
fn look_at(input: &mut Input, options: &Options) -> io::Result<Looked> {
    let Source::File(path) = &input.source else {
        return Ok(Looked::Counted);
    };
    let file = input::open_file(path, input.id)?;
    let mut head = vec![0; SAMPLE_MAX];
    let mut n = 0;
    while n < head.len() {
        match file.read_at(&mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    let codec = sniff(&head).unwrap_or(None);
    if let Some(claimed) = input.claimed {
        if codec != Some(claimed) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("named like {claimed} data, but its bytes are not {claimed}"),
            ));
        }
    }
    if let Some(codec) = codec {
        input.compression = Compression::Compressed(codec);
        return Ok(Looked::Counted);
    }
    input.compression = Compression::Plain;
    let whole = (n as u64) >= input.size.unwrap_or(0) || n < head.len();
    let size = input.size.unwrap_or(0) as usize;
    if input.format == Choice::Auto {
        match format::detect(&head[..n.min(size)], whole, options) {
            Some(Detection::Format(f)) => input.format = Choice::Named(f),
            Some(d @ (Detection::NotAccessLog { .. } | Detection::NoClientField { .. })) => {
                return Ok(Looked::NotAccessLog(d.reason().expect("a reason")));
            }
            // No line to tell: the job reads it as it can (every line malformed).
            Some(Detection::Empty) | None => {}
        }
    }
    Ok(Looked::Cut(match input.format {
        Choice::Named(f) if matches!(f.body, Body::W3c | Body::Cloudfront) => {
            Some(Directives::read(&file, input.size.unwrap_or(0), f)?)
        }
        _ => None,
    }))
}

/// Reads what is there at `at`, retrying when a signal interrupted.
fn read_some_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    loop {
        match file.read_at(buf, at) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Where a W3C file's `#Fields:` directives start, and what they say (after any prefix).
struct Directives(Vec<(u64, Arc<[u8]>)>);

impl Directives {
    const TAG: &'static [u8] = b"#Fields:";

    /// Every `#Fields:` line of `log_format` that starts in the first `size` bytes of `file`. The
    /// tag is searched for, and the line it stands in read whole: a line whose body (after
    /// the prefix) starts with it is a directive.
    fn read(file: &File, size: u64, log_format: Format) -> io::Result<Directives> {
        let mut found: Vec<(u64, Arc<[u8]>)> = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0u64;
        while at < size {
            let want = buf.len().min((size - at) as usize);
            let n = read_some_at(file, &mut buf[..want], at)?;
            if n == 0 {
                break;
            }
            for hit in memchr::memmem::find_iter(&buf[..n], Self::TAG) {
                let Some(start) = Self::line_start(file, &buf[..hit], at)? else {
                    continue;
                };
                if found.last().is_some_and(|(s, _)| *s >= start) {
                    continue; // a line already found (the tag twice, or the overlap)
                }
                if let Some(directive) = Self::directive_at(file, start, log_format)? {
                    found.push((start, directive));
                }
            }
            let end = at + n as u64;
            if end >= size || n <= Self::TAG.len() {
                break;
            }
            // Overlap by a tag's length, so one cut by the read is found in the next.
            at = end - (Self::TAG.len() - 1) as u64;
        }
        Ok(Directives(found))
    }

    /// Where the line holding the byte after `before` (the bytes of `file` from `at` up to a
    /// tag) starts, if within a line's first [`format::MAX_LINE`] bytes (what a parser sees).
    fn line_start(file: &File, before: &[u8], at: u64) -> io::Result<Option<u64>> {
        let tag_at = at + before.len() as u64;
        if let Some(nl) = memchr::memrchr(b'\n', before) {
            return Ok(Some(at + nl as u64 + 1).filter(|s| tag_at - s < format::MAX_LINE as u64));
        }
        if at == 0 {
            return Ok(Some(0).filter(|_| tag_at < format::MAX_LINE as u64));
        }
        // The line started before this read: look back a line's width.
        let from = tag_at.saturating_sub(format::MAX_LINE as u64);
        let mut back = vec![0u8; (tag_at - from) as usize];
        let mut got = 0;
        while got < back.len() {
            match read_some_at(file, &mut back[got..], from + got as u64)? {
                0 => break,
                k => got += k,
            }
        }
        Ok(match memchr::memrchr(b'\n', &back[..got]) {
            Some(nl) => Some(from + nl as u64 + 1),
            None => (from == 0).then_some(0),
        })
    }

    /// The `#Fields:` directive of the line at `at`, if it is one.
    fn directive_at(file: &File, at: u64, log_format: Format) -> io::Result<Option<Arc<[u8]>>> {
        let mut line = vec![0u8; format::MAX_LINE];
        let n = read_some_at(file, &mut line, at)?;
        let line = &line[..memchr::memchr(b'\n', &line[..n]).unwrap_or(n)];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Ok(log_format.fields_directive(line).map(Arc::from))
    }

    /// The directive in force for lines that start at `start` or later: the last one that
    /// starts before `start`.
    fn in_force(&self, start: u64) -> Option<Arc<[u8]>> {
        let i = self.0.partition_point(|(at, _)| *at < start);
        i.checked_sub(1).map(|i| Arc::clone(&self.0[i].1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Format, Prefix};
    use crate::input::Compression;

    /// Planning for the classic format (big files are still sniffed for compression).
    fn classic(chunk_size: Option<u64>) -> Settings {
        Settings {
            chunk_size,
            format: Choice::Named(Format::CLASSIC),
            ..Settings::default()
        }
    }

    #[test]
    fn big_files_are_cut_small_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.log"), vec![b'x'; 1000]).unwrap();
        std::fs::write(dir.path().join("small.log"), vec![b'x'; 100]).unwrap();
        let plan = Plan::new(&[dir.path().to_path_buf()], &classic(Some(300)));
        let ranges: Vec<_> = plan
            .jobs
            .iter()
            .map(|j| (j.input, j.range.clone()))
            .collect();
        assert_eq!(
            ranges,
            vec![
                (0, Some(0..250)),
                (0, Some(250..500)),
                (0, Some(500..750)),
                (0, Some(750..1000)),
                (1, None),
            ],
            "four equal pieces of at most 300 bytes"
        );
        assert_eq!(plan.biggest_first()[4], 4);
        assert_eq!(plan.known_bytes(), Some(1100));
        let whole = Plan::new(&[dir.path().to_path_buf()], &classic(None));
        assert_eq!(whole.jobs.len(), 2);
    }

    #[test]
    fn a_default_chunk_size_cuts_no_finer_than_balancing_the_workers_needs() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..8 {
            std::fs::write(dir.path().join(format!("{i}.log")), vec![b'x'; 1000]).unwrap();
        }
        let jobs = |chunk, spread| {
            let settings = Settings {
                spread,
                ..classic(Some(chunk))
            };
            Plan::new(&[dir.path().to_path_buf()], &settings).jobs.len()
        };
        // A quarter of each of 2 workers' shares of 8000 bytes is 1000: no file is cut.
        assert_eq!(jobs(300, Some(2)), 8);
        assert_eq!(jobs(300, None), 32, "the chunk size as given");
        // 8 workers: shares of 250 bytes are no finer than 300-byte chunks.
        assert_eq!(jobs(300, Some(8)), 32);
        assert_eq!(
            jobs(2000, Some(8)),
            8,
            "never finer than the chunk size either"
        );
    }

    #[test]
    fn a_file_is_cut_in_at_most_max_cuts_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let f = std::fs::File::create(dir.path().join("sparse.log")).unwrap();
        let size = MAX_CUTS * 10 + 7;
        f.set_len(size).unwrap();
        let plan = Plan::new(&[dir.path().to_path_buf()], &classic(Some(1)));
        assert!(
            plan.jobs.len() as u64 <= MAX_CUTS,
            "{} jobs",
            plan.jobs.len()
        );
        let mut next = 0;
        for job in &plan.jobs {
            let r = job.range.clone().unwrap();
            assert_eq!(r.start, next);
            next = r.end;
        }
        assert_eq!(next, size);
    }

    fn auto(chunk_size: u64) -> Settings {
        Settings {
            chunk_size: Some(chunk_size),
            ..Settings::default()
        }
    }

    const LINE: &[u8] =
        b"203.0.113.9 - - [22/Mar/2021:10:01:02 +0800] \"GET / HTTP/1.1\" 200 612\n";

    #[test]
    fn big_files_have_their_format_and_compression_told_once_at_planning() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.log"), LINE.repeat(100)).unwrap();
        std::fs::write(d.join("b.log"), b"2022/07/25 [error] 1#0: x\n".repeat(100)).unwrap();
        std::fs::write(d.join("c.log"), crate::testutil::gzip(&LINE.repeat(100))).unwrap();
        std::fs::write(d.join("d.log.gz"), LINE.repeat(100)).unwrap();
        std::fs::write(d.join("e.log"), b"x\n").unwrap();
        let plan = Plan::new(&[d.to_path_buf()], &auto(100));
        let names: Vec<&str> = plan
            .inputs
            .iter()
            .map(|i| &i.name[i.name.len() - 5..])
            .collect();
        assert_eq!(names, ["a.log", "c.log", "e.log"]);
        assert_eq!(
            plan.inputs[0].format,
            Choice::Named(Format::plain(Body::Combined))
        );
        assert_eq!(plan.inputs[0].compression, Compression::Plain);
        assert_eq!(
            plan.inputs[1].compression,
            Compression::Compressed(input::Codec::Gzip)
        );
        assert_eq!(
            plan.inputs[2].compression,
            Compression::Sniff,
            "small: its job tells"
        );
        let cut = plan.jobs.iter().filter(|j| j.input == 0).count();
        assert_eq!(cut, (LINE.len() * 100).div_ceil(100));
        assert_eq!(plan.jobs.iter().filter(|j| j.input == 1).count(), 1);
        // Walked: skipped; a name that lies: an error.
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.skipped[0]
            .reason
            .starts_with("not an access log (0 of 100"));
        assert_eq!(plan.errors.len(), 1);
        assert!(
            plan.errors[0].error.contains("named like gzip data"),
            "{:?}",
            plan.errors
        );
        // Named on the command line, not an access log: an error that says what to do.
        let named = Plan::new(&[d.join("b.log")], &auto(100));
        assert!(named.errors[0]
            .error
            .ends_with("name its format with --log-format"));
    }

    #[test]
    fn w3c_jobs_start_with_the_fields_directive_in_force() {
        let prefixes = [
            ("", None),
            (
                "2023-10-06T00:17:09.669794202Z stdout F ",
                Some(Prefix::Cri),
            ),
            ("Dec  1 19:32:10 web1 iis: ", Some(Prefix::Syslog)),
        ];
        for (prefix, kind) in prefixes {
            // Short, and long enough that the second directive's tag is cut by the 1 MiB
            // reads that look for it.
            for padded in [false, true] {
                let dir = tempfile::tempdir().unwrap();
                let line = |text: &mut Vec<u8>, body: &[u8]| {
                    text.extend_from_slice(prefix.as_bytes());
                    text.extend_from_slice(body);
                    text.push(b'\n');
                };
                let mut text = Vec::new();
                line(&mut text, b"#Software: IIS");
                let first = text.len() as u64;
                line(&mut text, b"#Fields: date time c-ip");
                for _ in 0..50 {
                    line(&mut text, b"2021-03-22 10:01:02 203.0.113.9");
                }
                if padded {
                    let tag_at = (1usize << 20) - 3;
                    let filler = tag_at - text.len() - 2 * prefix.len() - 1;
                    line(&mut text, &vec![b'x'; filler]);
                }
                let second = text.len() as u64;
                line(&mut text, b"#Fields: c-ip date time");
                for _ in 0..50 {
                    line(&mut text, b"198.51.100.1 2021-03-22 10:01:02");
                }
                let path = dir.path().join("u_ex.log");
                std::fs::write(&path, &text).unwrap();
                let plan = Plan::new(&[path], &auto(if padded { 4096 } else { 100 }));
                let format = Format {
                    prefix: kind,
                    body: Body::W3c,
                };
                assert_eq!(plan.inputs[0].format, Choice::Named(format), "{prefix:?}");
                for job in &plan.jobs {
                    let start = job.range.as_ref().unwrap().start;
                    // In force: the last directive whose line starts before the job.
                    let want: Option<&[u8]> = if start <= first {
                        None
                    } else if start <= second {
                        Some(b"#Fields: date time c-ip")
                    } else {
                        Some(b"#Fields: c-ip date time")
                    };
                    assert_eq!(job.fields.as_deref(), want, "{prefix:?} job at {start}");
                }
            }
        }
    }
}

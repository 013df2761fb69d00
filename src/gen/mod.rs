//! Deterministic synthetic nginx "combined" access-log generator.
//!
//! Benchmarks and tests need large, realistic inputs that are byte-identical on
//! every run and machine, without shipping data files. All randomness comes from
//! a `Pcg64Mcg` seeded by fixed integer mixing of `(seed, file index)`, and the
//! only floating point used is IEEE basic arithmetic and `sqrt` (correctly
//! rounded everywhere), never libm functions whose last bits vary by platform.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;

use crate::progress::Progress;

mod tables;
use tables::{
    PathKind, ACTIONS, API_ITEMS, API_METHODS, API_METHOD_TABLE, ASSETS, CAMPAIGNS, PAGE_METHODS,
    PAGE_METHOD_TABLE, PATH_KINDS, PATH_KIND_TABLE, PROBES, PROXIES, REFERERS, REFERER_TABLE,
    SCANNER_STATUSES, SCANNER_STATUS_TABLE, SCANS, STATUSES, STATUS_TABLE, USER_AGENTS,
    USER_AGENT_TABLE, VERSIONS, VERSION_TABLE, WORDS,
};

/// What to generate; shared by the CLI, benches and tests so they all see the same data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of files (each is generated independently, in parallel).
    pub files: usize,
    /// Exact number of `\n`-terminated lines per file, so `wc -l` can verify it.
    pub lines: u64,
    /// Master seed: the same options always reproduce the same bytes.
    pub seed: u64,
    /// Size of the client pool (0 is treated as 1); it bounds the distinct-client count.
    pub unique: u64,
    /// Spread every file's lines evenly over this many UTC days (at most `MAX_DAYS`), the
    /// same days for every file, from midnight of the seed's start date. `None` (and
    /// `Some(0)`): about three lines a second from that date, each file index a day later.
    pub days: Option<u32>,
}

/// The most days `GenOptions::days` spreads over (more are clamped to it): ten years.
pub const MAX_DAYS: u32 = 3650;

/// What `generate` wrote, so callers can report throughput without re-reading files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Paths in file-index order.
    pub files: Vec<PathBuf>,
    /// Total lines over all files.
    pub lines: u64,
    /// Total bytes over all files.
    pub bytes: u64,
}

/// The name of file `index` of a generated set.
pub(crate) fn file_name(index: usize) -> String {
    format!("access-{index:04}.log")
}

/// About how many bytes a generated line takes, on average.
pub const LINE_BYTES: u64 = 146;

/// Writes `files` files named access-0000.log, access-0001.log, ... into `dir` (created if
/// missing). Unless `overwrite`, a file that exists already is an error (`AlreadyExists`),
/// found before anything is written.
pub fn generate(dir: &Path, opts: &GenOptions, overwrite: bool) -> io::Result<GenSummary> {
    generate_with_progress(dir, opts, overwrite, &Progress::hidden())
}

/// As [`generate`], with each file's lines added to `progress` as they are written.
pub fn generate_with_progress(
    dir: &Path,
    opts: &GenOptions,
    overwrite: bool,
    progress: &Progress,
) -> io::Result<GenSummary> {
    fs::create_dir_all(dir)?;
    if !overwrite {
        if let Some(index) = (0..opts.files).find(|&i| dir.join(file_name(i)).exists()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists already: use --force to overwrite",
                    file_name(index)
                ),
            ));
        }
    }
    let written = (0..opts.files)
        .into_par_iter()
        .map(|index| {
            let path = dir.join(file_name(index));
            let bytes = write_file(&path, opts, index, overwrite, progress)?;
            Ok((path, bytes))
        })
        .collect::<io::Result<Vec<(PathBuf, u64)>>>()?;
    let bytes = written.iter().map(|(_, b)| b).sum();
    Ok(GenSummary {
        files: written.into_iter().map(|(p, _)| p).collect(),
        lines: opts.lines.saturating_mul(opts.files as u64),
        bytes,
    })
}

/// The same content, in memory, for one file index (used by benches/tests).
pub fn generate_file_bytes(opts: &GenOptions, index: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity_hint(opts.lines));
    FileGen::new(opts, index).fill(&mut out, usize::MAX);
    out
}

/// Streams one file in fixed-size chunks so memory stays flat however many lines are asked for,
/// adding the lines of each to `progress`.
fn write_file(
    path: &Path,
    opts: &GenOptions,
    index: usize,
    overwrite: bool,
    progress: &Progress,
) -> io::Result<u64> {
    const CHUNK: usize = 4 << 20;
    let mut file = if overwrite {
        File::create(path)?
    } else {
        // Checked above; a file that appeared since is still not replaced.
        File::create_new(path)?
    };
    let mut gen = FileGen::new(opts, index);
    let mut buf = Vec::with_capacity(CHUNK + 1024);
    let mut total = 0u64;
    while gen.remaining > 0 {
        let before = gen.remaining;
        buf.clear();
        gen.fill(&mut buf, CHUNK);
        file.write_all(&buf)?;
        total += buf.len() as u64;
        progress.add(before - gen.remaining);
    }
    file.flush()?;
    Ok(total)
}

/// Average line length is about 146 bytes; cap the up-front reservation at 1 GiB.
fn capacity_hint(lines: u64) -> usize {
    let want = lines.saturating_mul(150).min(1 << 30);
    usize::try_from(want).unwrap_or(1 << 30)
}

/// SplitMix64 finalizer: a fixed bijection on u64, so seeds never depend on the platform.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per-file generator state; each file is an independent, reproducible stream.
struct FileGen {
    rng: Pcg64Mcg,
    clients: Clients,
    clock: Clock,
    remaining: u64,
}

impl FileGen {
    fn new(opts: &GenOptions, index: usize) -> Self {
        let hi = mix64(opts.seed ^ 0x243f_6a88_85a3_08d3);
        let lo = mix64(hi ^ mix64((index as u64).wrapping_add(0x1319_8a2e_0370_7344)));
        // A fixed start in 2026 picked by the seed.
        let start = 1_767_225_600u64 // 2026-01-01T00:00:00Z
            .saturating_add(mix64(opts.seed ^ 0xa409_3822_299f_31d0) % (300 * 86_400));
        let clock = match opts.days {
            // Every file covers the same days, from midnight of the start's date.
            Some(days @ 1..) => Clock::spread(start - start % 86_400, days, opts.lines),
            // Each file index starts one day later.
            _ => Clock::new(start.saturating_add((index as u64).saturating_mul(86_400))),
        };
        FileGen {
            rng: Pcg64Mcg::new((u128::from(hi) << 64) | u128::from(lo)),
            clients: Clients::new(opts.unique, opts.seed),
            clock,
            remaining: opts.lines,
        }
    }

    /// Appends lines until the file is complete or `out` holds at least `limit` bytes.
    fn fill(&mut self, out: &mut Vec<u8>, limit: usize) {
        while self.remaining > 0 && out.len() < limit {
            self.line(out);
            self.remaining -= 1;
        }
    }

    fn line(&mut self, out: &mut Vec<u8>) {
        let rng = &mut self.rng;
        self.clock.tick(rng);
        // About 1 line in 5000 is blank, as seen in real (truncated/rotated) logs.
        if (u64::from(rng.next_u32()) * 5000) >> 32 == 0 {
            out.push(b'\n');
            return;
        }

        let client = self.clients.pick(rng);
        self.clients.write(client, out);
        // ~15% of lines carry an X-Forwarded-For list (a fifth of those through two proxies).
        let xff = rng.next_u32() >> 22;
        if xff < 154 {
            let r = rng.next_u32();
            out.extend_from_slice(b", ");
            out.extend_from_slice(PROXIES[(r & 15) as usize].as_bytes());
            if xff < 31 {
                out.extend_from_slice(b", ");
                out.extend_from_slice(PROXIES[((r >> 4) & 15) as usize].as_bytes());
            }
        }
        out.extend_from_slice(b" - - [");
        out.extend_from_slice(self.clock.text());
        out.extend_from_slice(b"] \"");

        let kind = pick(rng, &PATH_KINDS, &PATH_KIND_TABLE);
        let method = if matches!(kind, PathKind::ApiItem | PathKind::Action) {
            pick(rng, &API_METHODS, &API_METHOD_TABLE)
        } else {
            pick(rng, &PAGE_METHODS, &PAGE_METHOD_TABLE)
        };
        out.extend_from_slice(method.as_bytes());
        out.push(b' ');
        let asset_size = write_path(rng, kind, out);
        out.push(b' ');
        out.extend_from_slice(pick(rng, &VERSIONS, &VERSION_TABLE).as_bytes());
        out.extend_from_slice(b"\" ");

        let status = if kind == PathKind::Scanner {
            pick(rng, &SCANNER_STATUSES, &SCANNER_STATUS_TABLE)
        } else {
            pick(rng, &STATUSES, &STATUS_TABLE)
        };
        out.extend_from_slice(&status_text(status));
        out.push(b' ');
        let size = body_size(rng, kind, status, method == "HEAD", asset_size);
        out.extend_from_slice(itoa::Buffer::new().format(size).as_bytes());

        out.extend_from_slice(b" \"");
        out.extend_from_slice(pick(rng, &REFERERS, &REFERER_TABLE).as_bytes());
        out.extend_from_slice(b"\" \"");
        out.extend_from_slice(pick(rng, &USER_AGENTS, &USER_AGENT_TABLE).as_bytes());
        out.extend_from_slice(b"\"\n");
    }
}

/// Uniform integer in `0..n` from 32 random bits (multiply-shift; the tiny bias is irrelevant here).
fn below(rng: &mut Pcg64Mcg, n: u32) -> u32 {
    ((u64::from(rng.next_u32()) * u64::from(n)) >> 32) as u32
}

// ---------------------------------------------------------------------------
// Clients

/// Client addresses take first octets that look public: skip 0, 10 and 100
/// (proxy ranges), 127 (loopback) and 224+ (multicast/reserved).
const FIRST_OCTETS: [u8; 220] = {
    let mut out = [0u8; 220];
    let mut octet = 1;
    let mut n = 0;
    while octet < 224 {
        if octet != 10 && octet != 100 && octet != 127 {
            out[n] = octet as u8;
            n += 1;
        }
        octet += 1;
    }
    out
};

/// Number of distinct IPv4 client addresses available; larger pools are clamped to it.
const V4_SPACE: u32 = (FIRST_OCTETS.len() as u32) << 24;

/// Decimal text of every byte value (digits, then length in the last slot), so
/// dotted quads are written without per-octet formatting.
const DEC: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, d, u) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        t[i] = if i >= 100 {
            [b'0' + h, b'0' + d, b'0' + u, 3]
        } else if i >= 10 {
            [b'0' + d, b'0' + u, 0, 2]
        } else {
            [b'0' + u, 0, 0, 1]
        };
        i += 1;
    }
    t
};

/// The client pool: index -> address is a seed-keyed bijection, so the number of
/// distinct addresses in a file equals the number of distinct indices drawn.
struct Clients {
    n: u64,
    /// `1 - (n+1)^(-1/8)`, the normaliser of the Zipf-like inverse CDF.
    zipf_c: f64,
    v4_key: u32,
    v6_key: u64,
}

impl Clients {
    fn new(unique: u64, seed: u64) -> Self {
        let n = unique.clamp(1, u64::from(V4_SPACE));
        let root8 = ((n + 1) as f64).sqrt().sqrt().sqrt();
        let key = mix64(seed ^ 0x082e_fa98_ec4e_6c89);
        Clients {
            n,
            zipf_c: 1.0 - 1.0 / root8,
            v4_key: key as u32,
            v6_key: mix64(key),
        }
    }

    /// Half the draws are skewed (heavy hitters), half uniform (long tail).
    fn pick(&self, rng: &mut Pcg64Mcg) -> u64 {
        let r = rng.next_u64();
        if r >> 63 == 0 {
            ((u128::from(r << 1) * u128::from(self.n)) >> 64) as u64
        } else {
            // Discretised Pareto tail with exponent 1.125 (Zipf-like), by exact
            // inversion using only correctly rounded operations: x = t^-8.
            let u = (r & ((1 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64);
            let t = 1.0 - u * self.zipf_c;
            let t2 = t * t;
            let t4 = t2 * t2;
            let x = 1.0 / (t4 * t4);
            ((x as u64).saturating_sub(1)).min(self.n - 1)
        }
    }

    /// Every 25th client (4% of the pool) is IPv6; the rest are IPv4.
    fn write(&self, i: u64, out: &mut Vec<u8>) {
        if i % 25 == 24 {
            let h = mix64(i ^ self.v6_key);
            let g = |shift: u32| (h >> shift) as u16;
            write_v6(out, [0x2001, 0x0db8, g(48), g(32), 0, 0, g(16), g(0)]);
        } else {
            // Dense ordinal among the IPv4 clients; < V4_SPACE because i < n <= V4_SPACE.
            let j = (i / 25) * 24 + i % 25;
            write_v4(out, v4_address(j as u32, self.v4_key));
        }
    }
}

/// A keyed bijection on u32 (multiply by odd constants, xor-shifts: each step invertible).
fn permute32(x: u32, key: u32) -> u32 {
    let mut x = x.wrapping_mul(0x9e37_79b1) ^ key;
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^ (x >> 16)
}

/// Bijection on `0..V4_SPACE` by cycle-walking `permute32`, so addresses look random
/// but never collide.
fn v4_address(j: u32, key: u32) -> u32 {
    let mut y = permute32(j, key);
    while y >= V4_SPACE {
        y = permute32(y, key);
    }
    y
}

fn write_v4(out: &mut Vec<u8>, y: u32) {
    let octets = [
        FIRST_OCTETS[(y >> 24) as usize],
        (y >> 16) as u8,
        (y >> 8) as u8,
        y as u8,
    ];
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (k, &o) in octets.iter().enumerate() {
        if k > 0 {
            buf[n] = b'.';
            n += 1;
        }
        let d = &DEC[o as usize];
        let len = d[3] as usize;
        buf[n..n + len].copy_from_slice(&d[..len]);
        n += len;
    }
    out.extend_from_slice(&buf[..n]);
}

/// The canonical text (RFC 5952) of the IPv6 address with these groups: the spelling the
/// counting core keeps as a number ([`crate::keys`]).
fn write_v6(out: &mut Vec<u8>, groups: [u16; 8]) {
    let v = groups.iter().fold(0u128, |v, &g| v << 16 | u128::from(g));
    out.extend_from_slice(crate::keys::write_v6(v, &mut [0u8; 39]));
}

// ---------------------------------------------------------------------------
// Time

/// Wall clock that only moves forward; the `[..]` text is re-rendered only
/// when the second changes (roughly every third line).
struct Clock {
    now: u64,
    text: [u8; 32],
    len: usize,
    /// Set for `--days`: the pace is fixed by the file's length instead.
    spread: Option<Spread>,
}

/// `--days`: the `span` seconds from `start` cut into `lines` equal slots, line k at a
/// random second of slot k, `(k * span + jitter) / lines` with `jitter < span`. The slots
/// are disjoint and in order, so time never goes back, the first slot starts on day 1 and
/// the last ends with day N (one slot is at most a day when there are at least as many
/// lines as days). `k * span / lines` is kept as a running quotient and remainder, so a
/// line costs one u64 division and nothing overflows (`span < 2^29`, `rem < lines`) short of
/// 2^64 - 2^29 lines.
struct Spread {
    start: u64,
    span: u64,
    lines: u64,
    /// `span / lines` and `span % lines`: what one slot adds.
    step: u64,
    carry: u64,
    /// `k * span / lines` and `k * span % lines` for the next line's k.
    base: u64,
    rem: u64,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

impl Clock {
    fn new(now: u64) -> Self {
        let mut clock = Clock {
            now,
            text: [0; 32],
            len: 0,
            spread: None,
        };
        clock.render();
        clock
    }

    /// A clock for `lines` lines spread evenly over `days` days from `start`.
    fn spread(start: u64, days: u32, lines: u64) -> Self {
        let mut clock = Clock::new(start);
        let span = u64::from(days.min(MAX_DAYS)) * 86_400;
        // No line ticks when there are none; 1 only keeps the division defined.
        let lines = lines.max(1);
        clock.spread = Some(Spread {
            start,
            span,
            lines,
            step: span / lines,
            carry: span % lines,
            base: 0,
            rem: 0,
        });
        clock
    }

    fn text(&self) -> &[u8] {
        &self.text[..self.len]
    }

    /// About three lines per second, with an occasional idle gap of up to a minute; or,
    /// spread over days, the next line's slot.
    fn tick(&mut self, rng: &mut Pcg64Mcg) {
        let r = rng.next_u32();
        if let Some(s) = &mut self.spread {
            // Slot k is [k, k+1) * span / lines; `r` picks the instant within it.
            let jitter = (u64::from(r) * s.span) >> 32;
            let at = s.base + (s.rem + jitter) / s.lines;
            s.base += s.step;
            s.rem += s.carry;
            if s.rem >= s.lines {
                s.rem -= s.lines;
                s.base += 1;
            }
            // Below `span` while k < lines; the `min` keeps a stray extra tick on day N.
            let now = s.start + at.min(s.span - 1);
            if now != self.now {
                self.now = now;
                self.render();
            }
            return;
        }
        let x = r >> 22;
        let step = if x < 341 {
            1
        } else if x == 1023 {
            2 + u64::from(r & 63)
        } else {
            return;
        };
        self.now = self.now.saturating_add(step);
        self.render();
    }

    /// `27/Nov/2026:10:01:02 +0000`
    fn render(&mut self) {
        let days = self.now / 86_400;
        let secs = self.now % 86_400;
        let (year, month, day) = crate::format::civil_from_days(days as i64);
        let two = |v: u64| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        let mut n = 0;
        let mut put = |bytes: &[u8]| {
            self.text[n..n + bytes.len()].copy_from_slice(bytes);
            n += bytes.len();
        };
        put(&two(u64::from(day)));
        put(b"/");
        put(MONTHS[month as usize - 1]);
        put(b"/");
        put(itoa::Buffer::new().format(year).as_bytes());
        put(b":");
        put(&two(secs / 3600));
        put(b":");
        put(&two(secs / 60 % 60));
        put(b":");
        put(&two(secs % 60));
        put(b" +0000");
        self.len = n;
    }
}

// ---------------------------------------------------------------------------
// Requests and responses (what they are made of: `tables`)

fn pick<T: Copy, const N: usize>(rng: &mut Pcg64Mcg, items: &[(T, u32); N], t: &[u8; 1024]) -> T {
    items[usize::from(t[(rng.next_u32() >> 22) as usize])].0
}

fn one_of<'a>(rng: &mut Pcg64Mcg, items: &[&'a str]) -> &'a str {
    items[below(rng, items.len() as u32) as usize]
}

fn slug(rng: &mut Pcg64Mcg, out: &mut Vec<u8>) {
    out.extend_from_slice(one_of(rng, &WORDS).as_bytes());
    out.push(b'-');
    out.extend_from_slice(one_of(rng, &WORDS).as_bytes());
}

fn number(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Writes the request path; returns the file size for static assets.
fn write_path(rng: &mut Pcg64Mcg, kind: PathKind, out: &mut Vec<u8>) -> u64 {
    let r = rng.next_u32();
    match kind {
        PathKind::Asset => {
            let (path, size) = ASSETS[below(rng, ASSETS.len() as u32) as usize];
            out.extend_from_slice(path.as_bytes());
            if r & 7 == 0 {
                out.extend_from_slice(b"?v=");
                number(out, 100 + (r >> 24));
            }
            return size;
        }
        PathKind::Home => out.push(b'/'),
        PathKind::Product => {
            out.extend_from_slice(b"/products/");
            slug(rng, out);
            if r & 3 == 0 {
                out.extend_from_slice(CAMPAIGNS[(r >> 2 & 3) as usize].as_bytes());
            }
        }
        PathKind::Blog => {
            out.extend_from_slice(b"/blog/");
            number(out, 2019 + (r & 7));
            out.push(b'/');
            slug(rng, out);
        }
        PathKind::Category => {
            out.extend_from_slice(b"/category/");
            out.extend_from_slice(one_of(rng, &WORDS).as_bytes());
            if r & 1 == 0 {
                out.extend_from_slice(b"?page=");
                number(out, 2 + (r >> 1 & 15));
            }
        }
        PathKind::ApiItem => {
            out.extend_from_slice(API_ITEMS[(r & 3) as usize].as_bytes());
            number(out, 1 + below(rng, 99_999));
            if r & 0x30 == 0 {
                out.extend_from_slice(b"?expand=items");
            }
        }
        PathKind::Search => {
            out.extend_from_slice(if r & 1 == 0 {
                b"/search?q="
            } else {
                b"/api/v2/search?q="
            });
            out.extend_from_slice(one_of(rng, &WORDS).as_bytes());
            if r & 2 == 0 {
                out.push(b'+');
                out.extend_from_slice(one_of(rng, &WORDS).as_bytes());
            }
            if r & 4 == 0 {
                out.extend_from_slice(b"&page=");
                number(out, 1 + (r >> 3 & 7));
            }
        }
        PathKind::Action => out.extend_from_slice(one_of(rng, &ACTIONS).as_bytes()),
        PathKind::Probe => out.extend_from_slice(one_of(rng, &PROBES).as_bytes()),
        PathKind::Scanner => out.extend_from_slice(one_of(rng, &SCANS).as_bytes()),
    }
    0
}

fn status_text(status: u16) -> [u8; 3] {
    [
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ]
}

/// Roughly log-uniform in `2^lo ..= 2^hi`, like real response sizes.
fn log_size(rng: &mut Pcg64Mcg, lo: u32, hi: u32) -> u64 {
    let e = lo + below(rng, hi - lo);
    (1u64 << e) + u64::from(below(rng, 1 << e))
}

fn body_size(rng: &mut Pcg64Mcg, kind: PathKind, status: u16, head: bool, asset: u64) -> u64 {
    if head {
        return 0;
    }
    match status {
        204 | 304 => 0,
        301 => 169,
        302 => 145,
        400 => 157,
        401 => 179,
        403 => 153,
        404 if kind == PathKind::Scanner => 153,
        404 => 555,
        500 => 177,
        502 => 157,
        503 => 197,
        206 => u64::from(below(rng, 1 << 16)) + 1,
        _ => match kind {
            PathKind::Asset => asset,
            PathKind::Home => 30_000 + u64::from(below(rng, 4_096)),
            PathKind::Product | PathKind::Blog | PathKind::Category => log_size(rng, 12, 16),
            PathKind::ApiItem | PathKind::Search => log_size(rng, 6, 14),
            PathKind::Action => log_size(rng, 4, 10),
            PathKind::Probe => log_size(rng, 1, 12),
            PathKind::Scanner => 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn opts(lines: u64, seed: u64, unique: u64) -> GenOptions {
        GenOptions {
            files: 1,
            lines,
            seed,
            unique,
            days: None,
        }
    }

    fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
        bytes.split_inclusive(|&b| b == b'\n')
    }

    /// The client token: everything before the first ',' or ' '.
    fn client(line: &[u8]) -> &[u8] {
        let end = line
            .iter()
            .position(|&b| b == b' ' || b == b',')
            .unwrap_or(line.len());
        &line[..end]
    }

    /// A line's timestamp as (year, month index, day, time): ordered as the instants are.
    fn stamp(line: &[u8]) -> (String, usize, String, String) {
        let s = std::str::from_utf8(line).unwrap();
        let t = &s[s.find('[').unwrap() + 1..s.find(']').unwrap()];
        let month = MONTHS
            .iter()
            .position(|m| m[..] == t.as_bytes()[3..6])
            .unwrap();
        (
            t[7..11].to_string(),
            month,
            t[0..2].to_string(),
            t[12..20].to_string(),
        )
    }

    /// The timestamps of the lines that have one (not the blank ones), in file order.
    fn stamps(bytes: &[u8]) -> Vec<(String, usize, String, String)> {
        lines(bytes).filter(|l| l.len() > 1).map(stamp).collect()
    }

    fn render_client(clients: &Clients, i: u64) -> String {
        let mut out = Vec::new();
        clients.write(i, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn deterministic_per_seed_and_index() {
        let o = opts(5_000, 7, 1_000);
        let a = generate_file_bytes(&o, 0);
        assert_eq!(a, generate_file_bytes(&o, 0));
        assert_ne!(a, generate_file_bytes(&opts(5_000, 8, 1_000), 0));
        assert_ne!(a, generate_file_bytes(&o, 1));
    }

    /// Pins the exact bytes, so a platform difference or an accidental change is caught.
    /// Update the constant only when the output is changed on purpose.
    #[test]
    fn output_fingerprint_is_stable() {
        let bytes = generate_file_bytes(&opts(3_000, 42, 300_000), 1);
        let fnv = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!((bytes.len(), fnv), (439_471, 0xefcb_2c04_e890_f9e4));
    }

    #[test]
    fn exact_line_count_and_edge_cases() {
        for n in [0u64, 1, 2, 999, 12_345] {
            let bytes = generate_file_bytes(&opts(n, 1, 300_000), 3);
            assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count() as u64, n);
            assert!(n == 0 || bytes.ends_with(b"\n"));
        }
        // unique = 0 behaves like a single client.
        let bytes = generate_file_bytes(&opts(2_000, 1, 0), 0);
        let set: HashSet<&[u8]> = lines(&bytes).filter(|l| l.len() > 1).map(client).collect();
        assert_eq!(set.len(), 1);
        // Absurd pool sizes are clamped instead of panicking.
        let huge = generate_file_bytes(&opts(100, 1, u64::MAX), 0);
        assert_eq!(huge.iter().filter(|&&b| b == b'\n').count(), 100);
    }

    #[test]
    fn shares_look_like_real_traffic() {
        let bytes = generate_file_bytes(&opts(100_000, 42, 300_000), 0);
        let (mut blank, mut xff, mut v6) = (0u32, 0u32, 0u32);
        for line in lines(&bytes) {
            if line == b"\n" {
                blank += 1;
                continue;
            }
            let c = client(line);
            if line[c.len()] == b',' {
                xff += 1;
            }
            if c.contains(&b':') {
                v6 += 1;
            }
            let text = std::str::from_utf8(line).unwrap();
            assert!(text.contains(" - - ["), "{text}");
            assert!(text.contains(" +0000] \""), "{text}");
            assert!(text.ends_with("\"\n"), "{text}");
            assert_eq!(text.matches('"').count(), 6, "{text}");
        }
        let share = f64::from(xff) / 100_000.0;
        assert!((0.12..=0.18).contains(&share), "xff share {share}");
        assert!(v6 > 500, "ipv6 lines {v6}");
        assert!((5..=60).contains(&blank), "blank lines {blank}");
        let avg = bytes.len() as f64 / 100_000.0;
        assert!((136.0..=156.0).contains(&avg), "average line length {avg}");
    }

    #[test]
    fn clients_are_skewed_with_a_long_tail() {
        let bytes = generate_file_bytes(&opts(100_000, 3, 30_000), 0);
        let mut counts: HashMap<&[u8], u32> = HashMap::new();
        for line in lines(&bytes).filter(|l| l.len() > 1) {
            *counts.entry(client(line)).or_default() += 1;
        }
        let mut v: Vec<u32> = counts.values().copied().collect();
        v.sort_unstable();
        let (max, median) = (v[v.len() - 1], v[v.len() / 2]);
        assert!(max > 100 * median, "max {max} median {median}");
        // 50k uniform draws over 30k clients alone reach ~24k of them.
        assert!((20_000..=27_000).contains(&v.len()), "distinct {}", v.len());
    }

    #[test]
    fn client_mapping_is_injective() {
        let clients = Clients::new(200_000, 99);
        let mut seen = HashSet::new();
        let mut v6 = 0;
        for i in 0..200_000 {
            let s = render_client(&clients, i);
            if s.contains(':') {
                v6 += 1;
                assert!(s.starts_with("2001:db8:"), "{s}");
            } else {
                let first: u8 = s.split('.').next().unwrap().parse().unwrap();
                assert!(![0, 10, 100, 127].contains(&first) && first < 224, "{s}");
                assert_eq!(s.split('.').count(), 4, "{s}");
            }
            assert!(seen.insert(s), "duplicate address for client {i}");
        }
        assert_eq!(v6, 8_000);
    }

    #[test]
    fn ipv6_text_is_canonical() {
        let cases: [([u16; 8], &str); 6] = [
            ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
            ([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], "2001:db8:0:1::1"),
            ([1, 0, 0, 2, 0, 0, 3, 4], "1::2:0:0:3:4"),
            ([0, 0, 0, 0, 0, 0, 0, 0], "::"),
            (
                [0x2001, 0xdb8, 0xab, 0xcdef, 0, 0, 0x10, 0],
                "2001:db8:ab:cdef::10:0",
            ),
            ([0x2001, 0xdb8, 1, 2, 3, 4, 5, 6], "2001:db8:1:2:3:4:5:6"),
        ];
        for (groups, want) in cases {
            let mut out = Vec::new();
            write_v6(&mut out, groups);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn timestamps_render_and_never_go_backwards() {
        assert_eq!(
            Clock::new(1_767_225_600).text(),
            b"01/Jan/2026:00:00:00 +0000"
        );
        assert_eq!(
            Clock::new(1_795_773_662).text(),
            b"27/Nov/2026:10:01:02 +0000"
        );
        assert_eq!(
            Clock::new(951_825_599).text(),
            b"29/Feb/2000:11:59:59 +0000"
        );

        let bytes = generate_file_bytes(&opts(20_000, 5, 1_000), 2);
        let stamps = stamps(&bytes);
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
        assert_ne!(stamps.first(), stamps.last());
    }

    /// `--days`: the `[dd/Mon/yyyy` text of the `days` days from the start's midnight.
    fn spread_dates(o: &GenOptions) -> Vec<String> {
        let midnight = FileGen::new(o, 0).clock.now;
        assert_eq!(midnight % 86_400, 0);
        let days = u64::from(o.days.unwrap());
        (0..days)
            .map(|d| String::from_utf8(Clock::new(midnight + d * 86_400).text()[..11].to_vec()))
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The distinct dates of `stamps` in file order, with the lines on each.
    fn dates_of(stamps: &[(String, usize, String, String)]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for (year, month, day, _) in stamps {
            let date = format!(
                "{day}/{}/{year}",
                std::str::from_utf8(MONTHS[*month]).unwrap()
            );
            match out.last_mut() {
                Some((last, n)) if *last == date => *n += 1,
                _ => out.push((date, 1)),
            }
        }
        out
    }

    #[test]
    fn days_spread_every_file_evenly_over_the_same_consecutive_days() {
        let o = GenOptions {
            files: 4,
            lines: 20_000,
            seed: 5,
            unique: 1_000,
            days: Some(7),
        };
        let want = spread_dates(&o);
        assert_eq!(want.len(), 7);
        let mut files = Vec::new();
        for index in [0, 3] {
            let bytes = generate_file_bytes(&o, index);
            assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 20_000);
            let stamps = stamps(&bytes);
            assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "file {index}");
            let dates = dates_of(&stamps);
            // Each date once, in order: exactly the 7 consecutive days, the same for both.
            let names: Vec<&String> = dates.iter().map(|(d, _)| d).collect();
            assert_eq!(names, want.iter().collect::<Vec<_>>(), "file {index}");
            // Evenly: 20,000 / 7 is about 2,857 lines a day (less the odd blank one).
            for (date, n) in &dates {
                assert!((2_800..=2_860).contains(n), "{date}: {n} lines");
            }
            // From the first minutes of day 1 to the last of day 7.
            assert!(stamps[0].3.as_str() < "00:01:00", "{:?}", stamps[0]);
            assert!(stamps[stamps.len() - 1].3.as_str() > "23:59:00");
            files.push(bytes);
        }
        assert_ne!(files[0], files[1], "same days, different lines");
        // With --days the date is still the seed's.
        let other = GenOptions { seed: 6, ..o };
        assert_ne!(spread_dates(&other), want);
    }

    #[test]
    fn one_day_stays_on_one_date() {
        // More lines than seconds: slots shorter than a second.
        let o = GenOptions {
            days: Some(1),
            ..opts(100_000, 9, 1_000)
        };
        let stamps = stamps(&generate_file_bytes(&o, 2));
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
        let dates = dates_of(&stamps);
        assert_eq!(dates.len(), 1, "{dates:?}");
        assert_eq!(dates[0].0, spread_dates(&o)[0]);
        assert_eq!(stamps[0].3, "00:00:00");
        assert!(stamps[stamps.len() - 1].3.as_str() >= "23:59:59");
    }

    #[test]
    fn days_with_fewer_lines_than_days_or_none_still_work() {
        for (lines, days) in [(0, 7), (1, 7), (3, 7), (6, 7), (2, MAX_DAYS), (5, u32::MAX)] {
            let o = GenOptions {
                days: Some(days),
                ..opts(lines, 4, 100)
            };
            let bytes = generate_file_bytes(&o, 1);
            assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count() as u64, lines);
            let stamps = stamps(&bytes);
            assert!(
                stamps.windows(2).all(|w| w[0] <= w[1]),
                "{lines} over {days}"
            );
            // Never past the last day (more than MAX_DAYS are clamped to it).
            let last = spread_dates(&GenOptions {
                days: Some(days.min(MAX_DAYS)),
                ..o
            });
            let seen = dates_of(&stamps);
            assert!(seen.iter().all(|(d, _)| last.contains(d)), "{seen:?}");
        }
        // 0 days is no spreading at all: the output of today.
        let o = opts(2_000, 4, 100);
        assert_eq!(
            generate_file_bytes(&GenOptions { days: Some(0), ..o }, 1),
            generate_file_bytes(&o, 1)
        );
    }

    #[test]
    fn generate_writes_named_files_matching_memory() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nested/logs");
        let o = GenOptions {
            files: 3,
            lines: 1_000,
            seed: 11,
            unique: 500,
            days: None,
        };
        let summary = generate(&target, &o, false).unwrap();
        assert_eq!(summary.lines, 3_000);
        let mut total = 0;
        for (i, path) in summary.files.iter().enumerate() {
            assert_eq!(path, &target.join(format!("access-{i:04}.log")));
            let bytes = fs::read(path).unwrap();
            assert_eq!(bytes, generate_file_bytes(&o, i));
            total += bytes.len() as u64;
        }
        assert_eq!(summary.files.len(), 3);
        assert_eq!(summary.bytes, total);

        let empty = generate(&target, &GenOptions { files: 0, ..o }, false).unwrap();
        // Existing files are kept unless overwriting is asked for.
        let again = generate(&target, &o, false).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        assert!(again.to_string().contains("access-0000.log exists already"));
        assert_eq!(generate(&target, &o, true).unwrap(), summary);
        assert!(empty.files.is_empty() && empty.bytes == 0 && empty.lines == 0);
    }

    #[test]
    fn chunked_file_output_matches_memory_for_large_files() {
        // Crosses the 4 MiB chunk boundary used when writing to disk.
        let dir = tempfile::tempdir().unwrap();
        let o = opts(40_000, 13, 300_000);
        let summary = generate(dir.path(), &o, false).unwrap();
        assert!(summary.bytes > 4 << 20);
        assert_eq!(
            fs::read(&summary.files[0]).unwrap(),
            generate_file_bytes(&o, 0)
        );
    }
}

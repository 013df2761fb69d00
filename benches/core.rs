//! The counting core on in-memory data, in bytes per second: no I/O, no threads, only `count`.
//!
//! Mixes: `typical` is `logcount gen` output (15% X-Forwarded-For lists, 4% IPv6, a skewed
//! client choice); `ipv4` has only dotted-quad clients (the `u32` set); `long-lines` has 2 KB
//! lines (the scan for the end of the line dominates); `short-lines` is bare `1.2.3.4\n`-sized
//! lines (per-line and per-insert costs dominate). Each mix is counted with the `classic` rule
//! (`whole`) and read as `combined` (what `auto` picks for it): the cost of parsing each line.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logcount::count::{count, count_as, Counter};
use logcount::format::{Body, Format, Options};
use logcount::gen::{generate_file_bytes, GenOptions};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// About this many bytes per mix: big enough to leave the caches, small enough to be quick.
const MIX_BYTES: usize = 24 << 20;

fn typical() -> Vec<u8> {
    let opts = GenOptions {
        files: 1,
        lines: 170_000,
        seed: 1,
        unique: 300_000,
        days: None,
    };
    generate_file_bytes(&opts, 0)
}

/// `clients` distinct random dotted quads, drawn uniformly.
fn quads(rng: &mut Pcg64Mcg, clients: usize) -> Vec<String> {
    (0..clients)
        .map(|_| {
            let [a, b, c, d] = rng.gen::<u32>().to_be_bytes();
            format!("{a}.{b}.{c}.{d}")
        })
        .collect()
}

/// Lines made by `line(client, rng)` for clients drawn from a pool, up to [`MIX_BYTES`].
fn mix(seed: u64, clients: usize, line: impl Fn(&str, &mut Pcg64Mcg, &mut Vec<u8>)) -> Vec<u8> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let pool = quads(&mut rng, clients);
    let mut out = Vec::with_capacity(MIX_BYTES + 4096);
    while out.len() < MIX_BYTES {
        let client = &pool[rng.gen_range(0..pool.len())];
        line(client, &mut rng, &mut out);
    }
    out
}

fn ipv4() -> Vec<u8> {
    mix(2, 200_000, |client, rng, out| {
        let status = [200, 200, 200, 304, 404][rng.gen_range(0..5)];
        let size: u32 = rng.gen_range(100..60_000);
        out.extend_from_slice(client.as_bytes());
        out.extend_from_slice(
            format!(
                " - - [22/Mar/2021:10:01:02 +0800] \"GET /item/{size} HTTP/1.1\" {status} {size} \
                 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
            )
            .as_bytes(),
        );
    })
}

fn long_lines() -> Vec<u8> {
    mix(3, 50_000, |client, rng, out| {
        out.extend_from_slice(client.as_bytes());
        out.extend_from_slice(b" - - [22/Mar/2021:10:01:02 +0800] \"GET /search?q=");
        let tail = 2048 - client.len() - 48;
        out.extend((0..tail).map(|_| b'a' + rng.gen_range(0..26u8)));
        out.push(b'\n');
    })
}

fn short_lines() -> Vec<u8> {
    mix(4, 200_000, |client, _, out| {
        out.extend_from_slice(client.as_bytes());
        out.push(b'\n');
    })
}

fn core(c: &mut Criterion) {
    let mut group = c.benchmark_group("count");
    let typical = typical();
    group.throughput(Throughput::Bytes(typical.len() as u64));
    let combined = Format::plain(Body::Combined);
    let options = Options::default();
    group.bench_function("typical/whole", |b| b.iter(|| count(&typical)));
    group.bench_function("typical/combined", |b| {
        b.iter(|| count_as(&typical, combined, &options))
    });
    for piece in [4 << 10, 256 << 10] {
        group.bench_with_input(
            BenchmarkId::new("typical/pieces", piece),
            &piece,
            |b, &piece| {
                b.iter(|| {
                    let mut counter = Counter::classic();
                    for chunk in typical.chunks(piece) {
                        counter.feed(chunk);
                    }
                    counter.finish()
                })
            },
        );
    }
    drop(typical);
    for (name, data) in [
        ("ipv4", ipv4()),
        ("long-lines", long_lines()),
        ("short-lines", short_lines()),
    ] {
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(format!("{name}/whole"), |b| b.iter(|| count(&data)));
        if name != "short-lines" {
            group.bench_function(format!("{name}/combined"), |b| {
                b.iter(|| count_as(&data, combined, &options))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(15)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = core
}
criterion_main!(benches);

//! The counting core on in-memory data, in bytes per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use logcount::count::{count, Counter};
use logcount::gen::{generate_file_bytes, GenOptions};

fn core(c: &mut Criterion) {
    let opts = GenOptions {
        files: 1,
        lines: 200_000,
        seed: 1,
        unique: 300_000,
    };
    let typical = generate_file_bytes(&opts, 0);
    let mut group = c.benchmark_group("count");
    group.throughput(Throughput::Bytes(typical.len() as u64));
    group.bench_function("typical/whole", |b| b.iter(|| count(&typical)));
    for piece in [4 << 10, 256 << 10] {
        group.bench_with_input(
            BenchmarkId::new("typical/pieces", piece),
            &piece,
            |b, &piece| {
                b.iter(|| {
                    let mut counter = Counter::new();
                    for chunk in typical.chunks(piece) {
                        counter.feed(chunk);
                    }
                    counter.finish()
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = core
}
criterion_main!(benches);

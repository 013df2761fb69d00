//! The streaming counter fed in arbitrary pieces, and jobs cut at arbitrary byte ranges, must
//! both agree with the whole-buffer counter on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logcount::count::{count, Counter, Counts, OwnedLines};

fn sorted_keys(c: &Counts) -> Vec<Vec<u8>> {
    let mut k = c.keys.to_byte_strings();
    k.sort();
    k
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the piece size (1..=64); the rest is the log.
    let Some((&first, data)) = input.split_first() else {
        return;
    };
    let piece = usize::from(first % 64) + 1;
    let whole = count(data);

    let mut counter = Counter::new();
    for p in data.chunks(piece) {
        counter.feed(p);
    }
    let streamed = counter.finish();
    assert_eq!(streamed.total, whole.total);
    assert_eq!(sorted_keys(&streamed), sorted_keys(&whole));

    // Jobs of `piece * 3` bytes, each fed in `piece`-byte reads.
    let chunk = piece * 3;
    let mut ranged = Counts::default();
    let mut start = 0;
    while start < data.len() {
        let end = (start + chunk).min(data.len());
        let mut job = OwnedLines::new(start as u64, end as u64);
        let mut at = OwnedLines::from(start as u64) as usize;
        while !job.done() && at < data.len() {
            let next = (at + piece).min(data.len());
            job.feed(&data[at..next]);
            at = next;
        }
        ranged.merge(job.finish());
        start = end;
    }
    assert_eq!(ranged.total, whole.total);
    assert_eq!(sorted_keys(&ranged), sorted_keys(&whole));
});

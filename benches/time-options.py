#!/usr/bin/env python3
"""What the time and top options cost: each executor's plain run against the same run with
`--by day`, `--since/--until` and `--top 10`, interleaved (A B C D A B C D ...), medians.

    cargo build --release
    target/release/logcount gen bench-data/week --files 8 --lines 1000000 --seed 5 --days 7
    python3 benches/time-options.py bench-data/week --rounds 5
    python3 benches/time-options.py bench-data/week --bin before=/tmp/logcount-old --bin after=target/release/logcount

The ratio is the plain run's wall time over the option's (1.00x: free). The window is the middle
of the generated week (`--since`/`--until` may be given for other data).
"""

import argparse
import statistics
import subprocess
import time

EXECUTORS = {
    "serial": ["-e", "serial"],
    "threads": ["-e", "threads", "-j", "2"],
    "procpool": ["-e", "procpool", "-j", "2"],
    "async": ["-e", "async", "-j", "2"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--bin", action="append", help="NAME=PATH (repeatable; rows per binary)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--executors", default=",".join(EXECUTORS))
    ap.add_argument("--since", default="2026-10-27")
    ap.add_argument("--until", default="2026-10-31")
    a = ap.parse_args()
    variants = {
        "plain": [],
        "by day": ["--by", "day"],
        "window": ["--since", a.since, "--until", a.until],
        "top 10": ["--top", "10"],
    }
    executors = a.executors.split(",")
    bins = dict(b.partition("=")[::2] for b in a.bin or ["=target/release/logcount"])
    times = {}
    for _ in range(a.rounds):
        for b, path in bins.items():
            for e in executors:
                for name, extra in variants.items():
                    cmd = [path, a.data, "-q", "--json"] + EXECUTORS[e] + extra
                    start = time.perf_counter()
                    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
                    times.setdefault((b, e, name), []).append(time.perf_counter() - start)
    named = len(bins) > 1
    print("| " + ("binary | " if named else "") + "executor | " + " | ".join(variants) + " |")
    print("| --- " * (len(variants) + 1 + named) + "|")
    for b in bins:
        for e in executors:
            plain = statistics.median(times[(b, e, "plain")])
            cells = []
            for name in variants:
                t = statistics.median(times[(b, e, name)])
                cells.append(f"{t:.3f} s ({plain / t:.2f}x)")
            print("| " + (f"{b} | " if named else "") + f"{e} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

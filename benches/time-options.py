#!/usr/bin/env python3
"""What the time and top options cost: each executor's plain run against the same run with
`--by day`, `--since/--until` and `--top 10`, interleaved (A B C D A B C D ...), medians.

    cargo build --release
    target/release/logcount gen bench-data/week --files 8 --lines 1000000 --seed 5 --days 7
    python3 benches/time-options.py bench-data/week --rounds 5

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
    ap.add_argument("--bin", default="target/release/logcount")
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
    times = {}
    for _ in range(a.rounds):
        for e in executors:
            for name, extra in variants.items():
                cmd = [a.bin, a.data, "-q", "--json"] + EXECUTORS[e] + extra
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
                times.setdefault((e, name), []).append(time.perf_counter() - start)
    print("| executor | " + " | ".join(variants) + " |")
    print("| --- " * (len(variants) + 1) + "|")
    for e in executors:
        plain = statistics.median(times[(e, "plain")])
        cells = []
        for name in variants:
            t = statistics.median(times[(e, name)])
            cells.append(f"{t:.3f} s ({plain / t:.2f}x)")
        print(f"| {e} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

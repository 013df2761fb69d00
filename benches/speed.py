#!/usr/bin/env python3
"""Each executor against the floor (`wc -l` on the same files), interleaved, medians.

    cargo build --release
    target/release/logcount gen bench-data/eight --files 8    --lines 1000000 --seed 5
    target/release/logcount gen bench-data/small --files 3000 --lines 340     --seed 9
    python3 benches/speed.py bench-data/eight --rounds 7
    python3 benches/speed.py bench-data/eight --variant maps= --variant read=--no-mmap
    python3 benches/speed.py bench-data/one --bin before=/tmp/logcount-old --bin after=target/release/logcount

Every cell is a fresh process (`logcount DATA -q --json -e EXECUTOR [-j 2] VARIANT...`); the
rounds run every command once in turn (A B C A B C ...), so the machine's mood that minute
reaches every cell alike. Each row gives the median wall time, the ratio to `wc -l` (the floor:
higher is better, 1.00x is as fast as counting newlines), to `serial` of the same binary and
variant, and to `threads` (lower is better there), and the median peak RSS of the process
(`ru_maxrss`: pages of a memory map that were touched count in it, as file cache).
"""

import argparse
import os
import statistics
import subprocess
import time

EXECUTORS = {
    "serial": ["-e", "serial"],
    "threads": ["-e", "threads"],
    "procpool": ["-e", "procpool"],
    "async": ["-e", "async"],
}


def run(cmd):
    """Wall seconds and peak RSS (MiB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {status}")
    return wall, usage.ru_maxrss / 1024


def pairs(values, default):
    out = {}
    for v in values or [default]:
        name, _, rest = v.partition("=")
        out[name] = rest
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+")
    ap.add_argument("--bin", action="append", help="NAME=PATH (repeatable)")
    ap.add_argument("--variant", action="append", help="NAME=FLAGS (repeatable)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-j", "--jobs", default="2")
    ap.add_argument("--executors", default=",".join(EXECUTORS))
    a = ap.parse_args()
    bins = pairs(a.bin, "logcount=target/release/logcount")
    variants = {k: v.split() for k, v in pairs(a.variant, "default=").items()}
    files = []
    for d in a.data:
        if os.path.isdir(d):
            files += sorted(os.path.join(d, f) for f in os.listdir(d))
        else:
            files.append(d)
    size = sum(os.path.getsize(f) for f in files)
    cells = {"wc -l": ["wc", "-l"] + files}
    for b, path in bins.items():
        for v, flags in variants.items():
            for e in a.executors.split(","):
                jobs = [] if e == "serial" else ["-j", a.jobs]
                cmd = [path] + a.data + ["-q", "--json"] + EXECUTORS[e] + jobs + flags
                cells[(b, v, e)] = cmd
    for cmd in cells.values():  # warm the page cache and the binaries
        run(cmd)
    walls, rss = {}, {}
    for _ in range(a.rounds):
        for key, cmd in cells.items():
            w, m = run(cmd)
            walls.setdefault(key, []).append(w)
            rss.setdefault(key, []).append(m)
    med = {k: statistics.median(v) for k, v in walls.items()}
    floor = med["wc -l"]
    print(f"{len(files)} files, {size / 1e6:,.1f} MB; {a.rounds} rounds; medians")
    print(f"`wc -l`: {floor * 1e3:,.1f} ms ({size / floor / 1e9:.2f} GB/s)")
    print()
    print("| binary | variant | executor | wall | GB/s | vs `wc -l` | vs serial | vs threads | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key in cells:
        if key == "wc -l":
            continue
        b, v, e = key
        t = med[key]
        serial = med.get((b, v, "serial"))
        threads = med.get((b, v, "threads"))
        vs_serial = f"{serial / t:.2f}x" if serial else ""
        vs_threads = f"{t / threads:.2f}x" if threads else ""
        print(
            f"| {b} | {v} | {e} | {t * 1e3:,.0f} ms | {size / t / 1e9:.2f} | {floor / t:.2f}x "
            f"| {vs_serial} | {vs_threads} | {statistics.median(rss[key]):.1f} MiB |"
        )


if __name__ == "__main__":
    main()

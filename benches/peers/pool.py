#!/usr/bin/env python3
"""The classic teaching version of logcount's job, as a peer to measure against.

A ProcessPoolExecutor of 2 workers (``--workers N``), one task per file; each task reads its
file as text and keeps a set of client keys, ``line.split(" - -", 1)[0].split(",")[0]``, and
returns its request count and its set; the parent merges the sets into the union, as logcount's
summary does. Blank lines are skipped, as logcount skips them.

    python3 benches/peers/pool.py bench-data/eight --workers 2
"""

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor


def count(path):
    ips = set()
    total = 0
    # surrogateescape: bytes that are not UTF-8 are kept, never an error.
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if not line.strip():
                continue
            total += 1
            ips.add(line.split(" - -", 1)[0].split(",")[0])
    return path, total, ips


def walk(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield os.path.join(root, name)
        else:
            yield p


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    union = set()
    requests = 0
    with ProcessPoolExecutor(args.workers) as pool:
        for path, total, ips in pool.map(count, sorted(walk(args.paths))):
            print(f"{path}\t{total}\t{len(ips)}")
            requests += total
            union |= ips
    print(f"TOTAL\t{requests}\t{len(union)}")


if __name__ == "__main__":
    sys.exit(main())

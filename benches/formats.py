#!/usr/bin/env python3
"""What reading each file in its format costs: `--log-format auto` against `classic`.

    cargo build --release
    python3 benches/formats.py speed  DIR [ROUNDS]     # every executor, auto vs classic
    python3 benches/formats.py memory [WORKDIR]        # peak RSS on hostile inputs

`speed` runs every executor on DIR with both formats, interleaved (auto, classic, auto, ...;
every round after a warm-up one), checks both give the same requests and clients, and prints
the medians and their ratio. Make DIR with `logcount gen` (the issue's figures: `gen DIR
--files 8 --lines 1000000 --seed 5` for 8 x 146 MB, `--files 3000 --lines 340 --seed 9` for
3,000 small files).

`memory` writes a 400 MB line, a gzip bomb (256 MiB of text) and 100,000 empty files under
WORKDIR (default: a temporary directory) and prints each run's peak RSS (by GNU time,
`apt install time`), with `auto` and `classic`, and with LOGCOUNT_BEFORE (an older binary,
if set) for comparison.

LOGCOUNT sets the binary (default target/release/logcount).
"""
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("LOGCOUNT", os.path.join(ROOT, "target/release/logcount"))
EXECUTORS = [
    ["-e", "serial"],
    ["-e", "threads", "-j", "2"],
    ["-e", "async", "-j", "2"],
    ["-e", "procpool", "-j", "2", "--start-method", "fork"],
    ["-e", "procpool", "-j", "2", "--start-method", "spawn"],
]
FORMATS = {"auto": ["--log-format", "auto"], "classic": ["--log-format", "classic"]}


def run(binary, args):
    """Runs logcount; returns (wall ms, stdout)."""
    start = time.perf_counter()
    proc = subprocess.run([binary, *args, "--json", "-q"], stdout=subprocess.PIPE)
    wall = (time.perf_counter() - start) * 1e3
    if proc.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)} failed with {proc.returncode}")
    return wall, proc.stdout


def peak_rss_kib(binary, args):
    """The peak RSS of a run, by GNU time (a child forked from this Python process would
    report Python's own RSS as its peak: the high-water mark survives exec)."""
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", binary, *args, "--json", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)} failed: {proc.stderr.strip()}")
    return int(proc.stderr.strip().splitlines()[-1])


def speed(data, rounds):
    times = {}
    for executor in EXECUTORS:
        counts = set()
        for name, fmt in FORMATS.items():
            summary = json.loads(run(BIN, [data, *executor, *fmt])[1])["summary"]
            counts.add((summary["total"], summary["ip"]))
        if len(counts) != 1:
            sys.exit(f"auto and classic disagree on {data}: {counts}")
    for r in range(rounds + 1):
        for executor in EXECUTORS:
            for name, fmt in FORMATS.items():
                wall = run(BIN, [data, *executor, *fmt])[0]
                if r > 0:
                    times.setdefault((" ".join(executor), name), []).append(wall)
    print(f"{data}, medians of {rounds} interleaved rounds")
    print(f"{'executor':42} {'classic':>10} {'auto':>10}  auto/classic")
    for executor in EXECUTORS:
        key = " ".join(executor)
        classic = statistics.median(times[(key, "classic")])
        auto = statistics.median(times[(key, "auto")])
        print(f"{key:42} {classic:8.1f} ms {auto:8.1f} ms  {auto / classic:.3f}")


def hostile_inputs(work):
    line = os.path.join(work, "line400m.log")
    if not os.path.exists(line):
        # Requests around the long line, so that detection sees an access log.
        normal = b'1.2.3.4 - - [01/Dec/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 1\n' * 20
        with open(line, "wb") as f:
            f.write(normal)
            f.write(b'203.0.113.9 - - [01/Dec/2026:10:00:00 +0000] "GET /')
            block = b"a" * (1 << 20)
            for _ in range(400):
                f.write(block)
            f.write(b' HTTP/1.1" 200 1\n')
            f.write(normal)
    bomb = os.path.join(work, "bomb.log.gz")
    if not os.path.exists(bomb):
        text = b'10.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"\n'
        chunk = text * ((1 << 20) // len(text))
        with gzip.GzipFile(bomb, "wb", compresslevel=9, mtime=0) as f:
            for _ in range(256):
                f.write(chunk)
    empty = os.path.join(work, "empty")
    if not os.path.isdir(empty):
        os.makedirs(empty)
        for i in range(100_000):
            open(os.path.join(empty, f"{i:06}.log"), "wb").close()
    return {"a 400 MB line": line, "a gzip bomb (256 MiB)": bomb, "100,000 empty files": empty}


def memory(work):
    binaries = {"auto": (BIN, FORMATS["auto"]), "classic": (BIN, FORMATS["classic"])}
    before = os.environ.get("LOGCOUNT_BEFORE")
    if before:
        binaries["before"] = (before, [])
    print(f"{'input':24} {'executor':42} " + " ".join(f"{n:>10}" for n in binaries))
    for what, path in hostile_inputs(work).items():
        for executor in EXECUTORS:
            rss = [peak_rss_kib(b, [path, *executor, *fmt]) / 1024 for b, fmt in binaries.values()]
            print(f"{what:24} {' '.join(executor):42} " + " ".join(f"{m:7.1f} MiB" for m in rss))


def main(argv):
    if len(argv) >= 2 and argv[0] == "speed":
        speed(argv[1], int(argv[2]) if len(argv) > 2 else 7)
    elif argv and argv[0] == "memory":
        if len(argv) > 1:
            memory(argv[1])
        else:
            with tempfile.TemporaryDirectory() as work:
                memory(work)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""docs/contract.md §1 written plainly in Python, to check logcount's numbers on any logs.

    python3 scripts/reference.py sample_logs ../shared/real_logs   # prints JSON like logcount's

Compare with: logcount PATHS --json | jq '{files: .files, summary: .summary}'
"""
import gzip
import json
import os
import sys

WS = b" \t\r\x0b\x0c"


def keys_of(data):
    total, keys = 0, set()
    for line in data.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        stripped = line.lstrip(WS)
        if not stripped:
            continue
        total += 1
        end = len(stripped)
        for sep in (b" ", b"\t", b","):
            i = stripped.find(sep)
            if i != -1:
                end = min(end, i)
        keys.add(stripped[:end])
    return total, keys


def walk(path):
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if not name.startswith("."):
                yield from walk(os.path.join(path, name))
    else:
        yield path


def main(args):
    files, union = {}, set()
    for arg in args:
        for path in walk(arg):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            total, keys = keys_of(data)
            files[path] = {"total": total, "ip": len(keys), "bytes": len(data)}
            union |= keys
    summary = {
        "files": len(files),
        "total": sum(f["total"] for f in files.values()),
        "ip": len(union),
        "bytes": sum(f["bytes"] for f in files.values()),
    }
    print(json.dumps({"files": dict(sorted(files.items())), "summary": summary}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

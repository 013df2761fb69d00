#!/usr/bin/env bash
# What the presets' long tail costs the common path (docs/performance.md, "The presets' long
# tail"): a baseline binary (built from an earlier commit) against this one, on
#
#   1. 8 x 146 MB of plain combined (`logcount gen --files 8 --lines 1000000 --seed 5`), the
#      default run;
#   2. 3,000 small files (`logcount gen --files 3000 --lines 340 --seed 9`), where detection
#      is a visible share of the work; and 3,000 small JSON files of the same lines, where
#      detection tries every candidate before `json` that the sample does not stop early;
#   3. the same two, serial, as instruction counts (valgrind's cachegrind: deterministic, where
#      the wall times of this shared 2-core VM wander by 20 % and more).
#
#   benches/longtail.sh BASELINE_BINARY [DATA_DIR] [ROUNDS]
#
# e.g.  git worktree add /tmp/base 1b06bf1 && (cd /tmp/base && cargo build --release)
#       benches/longtail.sh /tmp/base/target/release/logcount
# Rounds alternate baseline and new (A B A B ...); compare the medians' ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: benches/longtail.sh BASELINE_BINARY [DATA_DIR] [ROUNDS]}
data=${2:-$here/bench-data}
rounds=${3:-9}
new=$here/target/release/logcount
[ -x "$new" ] || (cd "$here" && cargo build --release -q)

mkdir -p "$data"
[ -d "$data/eight" ] || "$new" gen "$data/eight" --files 8 --lines 1000000 --seed 5 >/dev/null
[ -d "$data/small" ] || "$new" gen "$data/small" --files 3000 --lines 340 --seed 9 >/dev/null
if [ ! -d "$data/small-json" ]; then
    mkdir -p "$data/small-json"
    for f in "$data"/small/*.log; do
        # the same requests as nginx `escape=json` writes them (a forwarded list's first entry)
        sed -E 's/^([^, ]+)(, [^ ]+)+ - /\1 - /' "$f" | awk '{ printf "{\"remote_addr\":\"%s\",\"time_local\":\"%s %s\",\"status\":%s}\n", $1, substr($4, 2), substr($5, 1, length($5) - 1), $9 }' \
            >"$data/small-json/$(basename "$f")"
    done
fi

wall() { # wall BIN ARGS... -> one run's milliseconds
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
compare() { # compare LABEL ARGS...
    local label=$1
    shift
    local a=() b=()
    "$base" "$@" >/dev/null 2>&1
    "$new" "$@" >/dev/null 2>&1 # warm the page cache
    for _ in $(seq "$rounds"); do
        a+=("$(wall "$base" "$@")")
        b+=("$(wall "$new" "$@")")
    done
    local ma mb
    ma=$(printf '%s\n' "${a[@]}" | median)
    mb=$(printf '%s\n' "${b[@]}" | median)
    awk -v l="$label" -v a="$ma" -v b="$mb" \
        'BEGIN { printf "%-44s baseline %6d ms   new %6d ms   new/baseline %.3f\n", l, a, b, b / a }'
}
instructions() { # instructions BIN ARGS... -> instructions executed (all threads)
    local out
    out=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/I *refs:/ { gsub(",", "", $NF); print $NF }')
    echo "$out"
}
count() { # count LABEL ARGS...
    local a b
    a=$(instructions "$base" "$@")
    b=$(instructions "$new" "$@")
    awk -v a="$a" -v b="$b" -v L="$1" \
        'BEGIN { printf "%-44s baseline %14.0f   new %14.0f   new/baseline %.4f\n", L, a, b, b / a }'
}

echo "== wall time, medians of $rounds alternating rounds"
compare "8 x 146 MB combined, default run" "$data/eight" -q --json
compare "3,000 small files (combined), default run" "$data/small" -q --json
compare "3,000 small files (json), default run" "$data/small-json" -q --json
if command -v valgrind >/dev/null; then
    echo "== instructions (cachegrind, serial)"
    count "1 x 146 MB combined" "$data/eight/access-0000.log" -e serial -q --json
    count "3,000 small files (combined)" "$data/small" -e serial -q --json
    count "3,000 small files (json)" "$data/small-json" -e serial -q --json
fi

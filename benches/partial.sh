#!/usr/bin/env bash
# Measures the cost of scaling out: `logcount partial` over N slices plus `logcount merge`
# against one direct run, on the same data, executor and -j, with hyperfine.
#
#   benches/partial.sh [DIR]
#
# DIR defaults to bench-data/eight, generated when missing with
#   logcount gen bench-data/eight --files 8 --lines 1000000 --seed 5
#
# Rows:
#   direct        logcount DIR -e EXECUTOR -j JOBS --json
#   slices+merge  the N partial runs one after another, then merge: the sum of their wall
#                 times, the figure to compare with `direct` (goal: at most 1.15 x)
#   merge         merge alone, on the N partials of the previous row
# Then the partials' sizes, the (file, key) pairs they hold and bytes per pair, and a check
# that merge printed exactly the direct run's files, errors and summary.
#
# Environment: LOGCOUNT  the binary [target/release/logcount, built when missing]
#              SLICES    N [4];  EXECUTOR [threads];  JOBS [2]
#              RUNS, WARMUP  hyperfine's timed and warmup runs [10, 2]
#              OUT       where partials and exports go [target/partial-bench]
# Figures on a shared or busy machine are noisy: rerun on a quiet one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=${1:-bench-data/eight}
slices=${SLICES:-4}
executor=${EXECUTOR:-threads}
jobs=${JOBS:-2}
runs=${RUNS:-10}
warmup=${WARMUP:-2}
out=${OUT:-target/partial-bench}
logcount=${LOGCOUNT:-target/release/logcount}

[ -x "$logcount" ] || cargo build --release --quiet
if [ ! -d "$dir" ]; then
    "$logcount" gen "$dir" --files 8 --lines 1000000 --seed 5
fi
command -v hyperfine >/dev/null || { echo "partial.sh: needs hyperfine" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.part

run=(-e "$executor" -j "$jobs")
parts=()
pipeline=""
for ((i = 0; i < slices; i++)); do
    parts+=("$out/$i.part")
    pipeline+="$logcount partial $dir --slice $i/$slices ${run[*]} -q -o $out/$i.part; "
done
pipeline+="$logcount merge ${parts[*]} -j $jobs --json -q > /dev/null"

hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$out/hyperfine.json" \
    -n direct "$logcount $dir ${run[*]} -q --json" \
    -n slices+merge "sh -c '$pipeline'" \
    -n merge "$logcount merge ${parts[*]} -j $jobs --json -q"

python3 - "$out/hyperfine.json" <<'PY'
import json, sys
r = {b["command"]: b for b in json.load(open(sys.argv[1]))["results"]}
d, p, m = (r[k]["mean"] for k in ("direct", "slices+merge", "merge"))
print(f"slices+merge / direct = {p / d:.3f}   (direct {d*1e3:.1f} ms, slices+merge {p*1e3:.1f} ms, merge {m*1e3:.1f} ms)")
PY

for ((i = 0; i < slices; i++)); do
    "$logcount" partial "$dir" --slice "$i/$slices" "${run[@]}" -o "$out/$i.part" 2>&1 | sed 's/^/partial.sh: /'
done
"$logcount" "$dir" "${run[@]}" -q --json > "$out/direct.json"
"$logcount" merge "${parts[@]}" --json -q > "$out/merged.json"
strip() { sed -n '/"executor"/q;p' "$1"; }
if cmp -s <(strip "$out/direct.json") <(strip "$out/merged.json"); then
    echo "partial.sh: merge printed exactly the direct run's files, errors and summary"
else
    echo "partial.sh: merge and the direct run DIFFER" >&2
    exit 1
fi

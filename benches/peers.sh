#!/usr/bin/env bash
# Re-measures logcount's peers on the same data, side by side with logcount, with hyperfine.
#
#   benches/peers.sh [DIR]
#
# DIR defaults to bench-data/eight, generated when missing with
#   logcount gen bench-data/eight --files 8 --lines 1000000 --seed 5
# The peers expect plain-text logs (no .gz) and read every non-hidden file under DIR.
#
# Rows (each one only when its tool is installed; what is missing is skipped and listed):
#   floors      cat > /dev/null and wc -l over every file
#   python      benches/peers/pool.py: ProcessPoolExecutor(JOBS), a set per file, the union
#   gawk, mawk  benches/peers/ip.awk, one process per file, JOBS at a time (per-file sets only)
#   cut | sort  LC_ALL=C cut -d' ' -f1 | sort -u | wc -l on the first file only
#   duckdb      one SQL query over every file (count, count distinct), JOBS threads
#   goaccess    its full report (much more work than counting) on the first file only
#   logcount    -e serial, -e threads -j JOBS, and -j JOBS for every other executor that
#               `logcount --help` lists (procpool once per --start-method it lists)
# At the end: MB/s per row from the bytes that row reads and hyperfine's mean.
#
# Environment: LOGCOUNT  the binary [target/release/logcount, built when missing]
#              JOBS      workers for every parallel row [2]
#              RUNS, WARMUP  hyperfine's timed and warmup runs [5, 1]
#              OUT       where the exports go [target/peers]
# Installs nothing. Figures on a shared or busy machine are noisy: rerun on a quiet one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"

default_dir=bench-data/eight
dir=${1:-$default_dir}
jobs=${JOBS:-2}
runs=${RUNS:-5}
warmup=${WARMUP:-1}
out=${OUT:-target/peers}
logcount=${LOGCOUNT:-target/release/logcount}

say() { printf 'peers.sh: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

if ! have hyperfine; then
    say "hyperfine is needed (https://github.com/sharkdp/hyperfine); nothing measured"
    exit 2
fi
if [[ ! -x $logcount ]]; then
    if [[ -n ${LOGCOUNT:-} ]]; then
        say "LOGCOUNT=$logcount is not an executable"
        exit 2
    fi
    say "building $logcount"
    cargo build --release --quiet
fi
if [[ ! -e $dir ]]; then
    if [[ $dir != "$default_dir" ]]; then
        say "$dir: no such file or directory"
        exit 2
    fi
    "$logcount" gen "$dir" --files 8 --lines 1000000 --seed 5
fi

mkdir -p "$out"
list=$out/files.txt
find "$dir" -type f ! -path '*/.*' | LC_ALL=C sort >"$list"
mapfile -t files <"$list"
if ((${#files[@]} == 0)); then
    say "$dir: no files"
    exit 2
fi
if grep -q '\.gz$' "$list"; then
    say "note: the peers read .gz files as they are (compressed); logcount decompresses them"
fi
size_of() { wc -c <"$1" | tr -d ' '; }
all_bytes=0
for f in "${files[@]}"; do all_bytes=$((all_bytes + $(size_of "$f"))); done
one=${files[0]}
one_bytes=$(size_of "$one")
quoted_files=$(printf '%q ' "${files[@]}")
quoted_one=$(printf '%q' "$one")

names=()
commands=()
bytes=()
reads=()
skipped=()
all="all ${#files[@]} files"
# add NAME COMMAND BYTES READS: one row; COMMAND is run without a shell (hyperfine -N).
# Names stay free of `,` and `|` so hyperfine's CSV and markdown stay plain.
add() {
    names+=("$1")
    commands+=("$2")
    bytes+=("$3")
    reads+=("$4")
}

add "cat (floor)" "cat $quoted_files" "$all_bytes" "$all"
add "wc -l (floor)" "wc -l $quoted_files" "$all_bytes" "$all"

if have python3; then
    add "python3 pool.py -j $jobs" \
        "python3 $(printf '%q' "$here/peers/pool.py") --workers $jobs $(printf '%q' "$dir")" \
        "$all_bytes" "$all"
else
    skipped+=(python3)
fi
for awk in gawk mawk; do
    if have "$awk"; then
        add "$awk (xargs -P $jobs)" \
            "env LC_ALL=C xargs -a $(printf '%q' "$list") -d '\\n' -P $jobs -n 1 $awk -f $(printf '%q' "$here/peers/ip.awk")" \
            "$all_bytes" "$all"
    else
        skipped+=("$awk")
    fi
done
pipeline="LC_ALL=C cut -d' ' -f1 $quoted_one | LC_ALL=C sort -u | wc -l"
add "cut + sort -u" "sh -c $(printf '%q' "$pipeline")" "$one_bytes" "1 file"
if have duckdb; then
    sql_files=$(printf "'%s'," "${files[@]//\'/\'\'}")
    sql="SET threads TO $jobs; SELECT count(*) AS total,"
    sql+=" count(DISTINCT split_part(split_part(line, ' - -', 1), ',', 1)) AS ip"
    sql+=" FROM read_csv([${sql_files%,}], columns = {'line': 'VARCHAR'}, header = false,"
    sql+=" auto_detect = false, delim = '\\x01', quote = '', escape = '') WHERE trim(line) <> '';"
    add "duckdb ($jobs threads)" "duckdb -c $(printf '%q' "$sql")" "$all_bytes" "$all"
else
    skipped+=(duckdb)
fi
if have goaccess; then
    add "goaccess" "goaccess $quoted_one --log-format=COMBINED --no-global-config -o json" \
        "$one_bytes" "1 file"
else
    skipped+=(goaccess)
fi

# logcount: serial, threads, and the other executors its --help lists.
help=$("$logcount" --help)
# The values listed under an option: `- NAME: ...` lines, or `[possible values: a, b]`.
possible_values() {
    printf '%s\n' "$help" | awk -v opt="$1" '
        index($0, opt) && /^ +-/ { on = 1; next }
        on && /^ +-[-a-zA-Z]/ { exit }
        on && /^ +- [a-z][a-z0-9-]*:/ { sub(/^ +- /, ""); sub(/:.*/, ""); print }
        on && /possible values:/ {
            sub(/.*possible values: */, ""); sub(/\].*/, ""); gsub(/, */, "\n"); print
        }'
}
mapfile -t executors < <(possible_values "--executor <")
mapfile -t methods < <(possible_values "--start-method <")
q_logcount=$(printf '%q' "$logcount")
q_dir=$(printf '%q' "$dir")
for e in "${executors[@]}"; do
    case $e in
    serial) add "logcount serial" "$q_logcount $q_dir -e serial --json --quiet" "$all_bytes" "$all" ;;
    procpool)
        if ((${#methods[@]})); then
            for m in "${methods[@]}"; do
                add "logcount procpool $m -j $jobs" \
                    "$q_logcount $q_dir -e procpool --start-method $m -j $jobs --json --quiet" "$all_bytes" "$all"
            done
        else
            add "logcount procpool -j $jobs" "$q_logcount $q_dir -e procpool -j $jobs --json --quiet" "$all_bytes" "$all"
        fi
        ;;
    *) add "logcount $e -j $jobs" "$q_logcount $q_dir -e $e -j $jobs --json --quiet" "$all_bytes" "$all" ;;
    esac
done

echo "data: $dir, ${#files[@]} file(s), $all_bytes bytes; first file $one ($one_bytes bytes)"
if ((${#skipped[@]})); then
    echo "skipped (not installed): ${skipped[*]}"
fi
args=(-N --warmup "$warmup" --runs "$runs"
    --export-markdown "$out/peers.md" --export-csv "$out/peers.csv" --export-json "$out/peers.json")
for i in "${!names[@]}"; do
    args+=(--command-name "${names[i]}" "${commands[i]}")
done
hyperfine "${args[@]}"

# MB/s from the bytes each row reads and hyperfine's mean (CSV: command,mean,...).
{
    echo "| tool | mean | MB/s | reads |"
    echo "| --- | ---: | ---: | --- |"
    for i in "${!names[@]}"; do
        mean=$(awk -F, -v row=$((i + 2)) 'NR == row { print $2 }' "$out/peers.csv")
        awk -v name="${names[i]}" -v mean="$mean" -v b="${bytes[i]}" -v reads="${reads[i]}" \
            'BEGIN { printf "| %s | %.1f ms | %.0f | %s |\n", name, mean * 1e3, b / mean / 1e6, reads }'
    done
} | tee "$out/peers-mbps.md"
echo "exports: $out/peers.md (hyperfine), $out/peers-mbps.md (MB/s), $out/peers.json, $out/peers.csv"

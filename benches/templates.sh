#!/usr/bin/env bash
# What templates, server configurations and trusted proxies cost (docs/performance.md):
#
#   benches/templates.sh [DATA_DIR] [RUNS]
#
# 1. one ~100 MB nginx log, serial: `--log-format combined` against the same layout given as
#    an nginx template;
# 2. 8 x 146 MB (`logcount gen --files 8 --lines 1000000 --seed 5`), the default executor:
#    `auto` against `auto` with a configuration defining three formats (none of them the logs');
# 3. the ~100 MB log with a forwarded chain on every line (`client, cdn, lb - - [...`),
#    serial: without and with
#    `--trusted-proxy`.
# hyperfine runs each pair interleaved-ish (warm cache, several runs); compare the ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-$here/bench-data/templates}
runs=${2:-7}
bin=$here/target/release/logcount
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$bin" ] || (cd "$here" && cargo build --release -q)

mkdir -p "$data"
if [ ! -f "$data/one/plain.log" ]; then
    "$bin" gen "$data/one" --files 1 --lines 700000 --seed 5 --force >/dev/null
    # single peers (a template's $remote_addr is one address), and a chain on every line
    sed -E 's/^([^, ]+)(, [^ ]+)+ - /\1 - /' "$data/one/access-0000.log" >"$data/one/plain.log"
    awk '{ $1 = $1 ", 203.0.113." (NR % 200) ", 10.0.1." (NR % 2 + 10); print }' \
        "$data/one/plain.log" >"$data/one/chained.log"
    rm "$data/one/access-0000.log"
fi
if [ ! -d "$data/eight" ]; then
    "$bin" gen "$data/eight" --files 8 --lines 1000000 --seed 5 >/dev/null
fi
cat >"$data/nginx.conf" <<'EOF'
http {
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';
    log_format timed '[$time_iso8601] $remote_addr "$request" $status $body_bytes_sent $request_time';
    log_format upstream '$remote_addr $upstream_addr [$time_local] "$request" $status $request_length';
    access_log /var/log/nginx/site.log main;
}
EOF

template='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
run() { hyperfine -N -w 2 -r "$runs" --style basic "$@" 2>&1 | grep -E 'Benchmark|Time \(mean|faster'; }

echo "== 1. the combined layout: preset against template (serial, $(du -h "$data/one/plain.log" | cut -f1))"
run "$bin $data/one/plain.log -e serial -q --json --log-format combined" \
    "$bin $data/one/plain.log -e serial -q --json --log-format '$template'"
echo "== 2. detection: auto against auto with three configured formats (8 files, default executor)"
run "$bin $data/eight -q --json" "$bin $data/eight -q --json --server-config $data/nginx.conf"
echo "== 3. a chain on every line: without and with --trusted-proxy (serial)"
run "$bin $data/one/chained.log -e serial -q --json --log-format combined" \
    "$bin $data/one/chained.log -e serial -q --json --log-format combined --trusted-proxy 10.0.0.0/8 --trusted-proxy 203.0.113.0/24"

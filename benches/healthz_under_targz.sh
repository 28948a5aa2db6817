#!/usr/bin/env bash
# /healthz latency of one web process while four `.tar.gz` downloads stream, next to
# the same probes on an idle process: p50, p99 and the busy/idle ratio. gzip must not
# run on the HTTP worker threads (issue 9, item 6), so the ratio should stay small.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/healthz_under_targz.sh   # FERRY=target/debug/ferry WEB_CONCURRENCY=1
#                                            # PROBES=200 DOWNLOADS=4 FILE_MIB=8
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
PROBES=${PROBES:-200}
DOWNLOADS=${DOWNLOADS:-4}
FILE_MIB=${FILE_MIB:-8}
WEB_CONCURRENCY=${WEB_CONCURRENCY:-1}
PORT=${PORT:-18778}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
db=ferry_bench_targz_$$
admin_url=$DATABASE_URL
bench_url=$(python3 -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/'+sys.argv[2])))" "$admin_url" "$db")
web_pid=""
loop_pids=()
cleanup() {
  for pid in "${loop_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${FERRY:-}" ]; then
  cargo build --release -q -p ferry
  FERRY=target/release/ferry
fi
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL "$FERRY" migrate >/dev/null
DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL REDIS_KEY_PREFIX="bench:$$:" \
  SESSION_SECRET=bench-secret-bench-secret-bench-secret-0 PUBLIC_URL_FROM_REQUEST=true UPLOADS_PER_CLIENT_PER_HOUR=1000000 UPLOAD_BYTES_PER_CLIENT_PER_DAY=1000TiB PORT=$PORT BIND_ADDRESS=127.0.0.1 \
  WEB_CONCURRENCY=$WEB_CONCURRENCY RUST_LOG=warn "$FERRY" web >/dev/null 2>&1 &
web_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

head -c $((FILE_MIB * 1024 * 1024)) /dev/urandom > "$work/noise.bin"
url=$(curl -sf -T "$work/noise.bin" "http://127.0.0.1:$PORT/noise.bin")
token=$(echo "$url" | awk -F/ '{print $4}')

# Prints "p50 p99" in milliseconds over $PROBES sequential probes.
probe() {
  for _ in $(seq "$PROBES"); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/healthz"
  done | sort -n | awk '{ v[NR] = $1 * 1000 } END {
    p50 = v[int((NR - 1) * 0.50 + 1.5)]; p99 = v[int((NR - 1) * 0.99 + 1.5)]
    printf "%.2f %.2f\n", p50, p99 }'
}

read -r idle50 idle99 < <(probe)
for _ in $(seq "$DOWNLOADS"); do
  (while true; do curl -s -o /dev/null "http://127.0.0.1:$PORT/$token.tar.gz"; done) &
  loop_pids+=($!)
done
sleep 1
read -r busy50 busy99 < <(probe)
for pid in "${loop_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
loop_pids=()

echo "machine: $(nproc) cores; binary $FERRY; WEB_CONCURRENCY=$WEB_CONCURRENCY; $PROBES probes"
printf 'healthz idle:                          p50 %7.2f ms  p99 %7.2f ms\n' "$idle50" "$idle99"
printf 'healthz during %d tar.gz of %d MiB:     p50 %7.2f ms  p99 %7.2f ms\n' "$DOWNLOADS" "$FILE_MIB" "$busy50" "$busy99"
awk -v a="$busy50" -v b="$idle50" -v c="$busy99" -v d="$idle99" \
  'BEGIN { printf "ratio busy/idle:                       p50 %7.1fx    p99 %7.1fx\n", a / b, c / d }'

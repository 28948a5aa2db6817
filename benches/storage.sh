#!/usr/bin/env bash
# Upload/download throughput and peak RSS of one release-build web process, for
# several chunk sizes, next to the ceiling: `psql \copy` of the same bytes into a bytea
# table (1 MiB rows, same storage settings) on the same Postgres.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/storage.sh            # SIZES_MIB="100 1024" CHUNKS="256KiB 1MiB 4MiB"
#
# Prints one line per measurement; copy them into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
SIZES_MIB=${SIZES_MIB:-"100 1024"}
CHUNKS=${CHUNKS:-"256KiB 1MiB 4MiB"}
PORT=${PORT:-18777}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
db=ferry_bench_$$
admin_url=$DATABASE_URL
bench_url=$(python3 -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/'+sys.argv[2])))" "$admin_url" "$db")
web_pid=""
cleanup() {
  [ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release -q -p ferry
ferry=target/release/ferry
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL "$ferry" migrate >/dev/null

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(psql "$admin_url" -Atc 'SHOW server_version') ; fsync=$(psql "$admin_url" -Atc 'SHOW fsync')"
for mib in $SIZES_MIB; do
  head -c $((mib * 1024 * 1024)) /dev/urandom > "$work/data.bin"
  for chunk in $CHUNKS; do
    if [ "$mib" -gt 100 ] && [ "$chunk" != "1MiB" ]; then continue; fi
    DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL SESSION_SECRET=bench-secret-bench-secret-bench-secret-0 \
      PORT=$PORT BIND_ADDRESS=127.0.0.1 BLOB_CHUNK_SIZE=$chunk RUST_LOG=warn "$ferry" web >/dev/null 2>&1 &
    web_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    up=$(curl -s -o "$work/url" -w '%{time_total} %{speed_upload}' -T "$work/data.bin" "http://127.0.0.1:$PORT/data.bin")
    url=$(cat "$work/url")
    down=$(curl -s -o /dev/null -w '%{time_total} %{speed_download}' "$url")
    rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$web_pid/status")
    kill "$web_pid"; wait "$web_pid" 2>/dev/null || true; web_pid=""
    if [ "$chunk" = "1MiB" ]; then ferry_up=$(echo "$up" | awk '{print $2/1e6}'); fi
    printf 'ferry  %5s MiB chunk=%-6s upload %6.1f MB/s (%5.1f s)  download %6.1f MB/s (%5.1f s)  web peak RSS %3d MiB\n' \
      "$mib" "$chunk" "$(echo "$up" | awk '{print $2/1e6}')" "$(echo "$up" | awk '{print $1}')" \
      "$(echo "$down" | awk '{print $2/1e6}')" "$(echo "$down" | awk '{print $1}')" "$rss"
    psql "$bench_url" -qc "TRUNCATE blob_chunks, files, uploads, transfers, blobs CASCADE" >/dev/null
  done
  # The ceiling: the same bytes, 1 MiB per row, straight into a bytea table.
  python3 - "$work/data.bin" "$work/data.copy" <<'PY'
import sys
with open(sys.argv[1], 'rb') as src, open(sys.argv[2], 'w') as dst:
    while block := src.read(1 << 20):
        dst.write('\\\\x' + block.hex() + '\n')
PY
  psql "$bench_url" -qc "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling (data bytea); ALTER TABLE ceiling ALTER COLUMN data SET STORAGE EXTERNAL" >/dev/null
  start=$(date +%s.%N)
  psql "$bench_url" -qc "\\copy ceiling (data) FROM '$work/data.copy'" >/dev/null
  end=$(date +%s.%N)
  ceiling=$(echo "$mib $start $end" | awk '{print $1*1048576/1e6/($3-$2)}')
  printf 'psql \\copy %5s MiB into bytea (1 MiB rows)  %6.1f MB/s (%5.1f s)\n' "$mib" \
    "$ceiling" "$(echo "$start $end" | awk '{print $2-$1}')"
  if [ -n "${ferry_up:-}" ]; then
    printf 'ratio  %5s MiB: ferry upload (1 MiB chunks) / psql \\copy = %.2fx\n' "$mib" \
      "$(echo "$ferry_up $ceiling" | awk '{print $1/$2}')"
  fi
  psql "$bench_url" -qc "DROP TABLE ceiling" >/dev/null
  rm -f "$work/data.copy"
done

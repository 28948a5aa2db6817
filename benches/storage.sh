#!/usr/bin/env bash
# Upload/download throughput and peak RSS of one release-build web process, for
# several chunk sizes, next to the ceiling: `psql \copy` of the same bytes into a bytea
# table (1 MiB rows, same storage settings) on the same Postgres
# (benches/lib/pg_ceiling.sh; benches/blob_throughput.sh compares both blob stores).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/storage.sh            # SIZES_MIB="100 1024" CHUNKS="256KiB 1MiB 4MiB"
#
# Prints one line per measurement; copy them into docs/benchmarks.md.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
SIZES_MIB=${SIZES_MIB:-"100 1024"}
CHUNKS=${CHUNKS:-"256KiB 1MiB 4MiB"}
PORT=${PORT:-18777}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
source benches/lib/ferry_web.sh
source benches/lib/pg_ceiling.sh
cleanup() {
  web_stop
  ferry_db_drop
  rm -rf "$work"
}
trap cleanup EXIT

ferry_db_create "ferry_bench_$$"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(psql "$DATABASE_URL" -Atc 'SHOW server_version') ; fsync=$(psql "$DATABASE_URL" -Atc 'SHOW fsync')"
for mib in $SIZES_MIB; do
  head -c $((mib * 1024 * 1024)) /dev/urandom > "$work/data.bin"
  for chunk in $CHUNKS; do
    if [ "$mib" -gt 100 ] && [ "$chunk" != "1MiB" ]; then continue; fi
    web_start "$PORT" BLOB_STORE=postgres BLOB_CHUNK_SIZE="$chunk"
    up=$(curl -s -o "$work/url" -w '%{time_total} %{speed_upload}' -T "$work/data.bin" "http://127.0.0.1:$PORT/data.bin")
    url=$(cat "$work/url")
    down=$(curl -s -o /dev/null -w '%{time_total} %{speed_download}' "$url")
    rss=$(web_peak_rss_mib)
    web_stop
    if [ "$chunk" = "1MiB" ]; then ferry_up=$(echo "$up" | awk '{print $2/1e6}'); fi
    printf 'ferry  %5s MiB chunk=%-6s upload %6.1f MB/s (%5.1f s)  download %6.1f MB/s (%5.1f s)  web peak RSS %3d MiB\n' \
      "$mib" "$chunk" "$(echo "$up" | awk '{print $2/1e6}')" "$(echo "$up" | awk '{print $1}')" \
      "$(echo "$down" | awk '{print $2/1e6}')" "$(echo "$down" | awk '{print $1}')" "$rss"
    PGOPTIONS="-c client_min_messages=warning" psql "$bench_url" -qc "TRUNCATE blob_chunks, files, uploads, transfers, blobs CASCADE" >/dev/null
  done
  # The ceiling: the same bytes, 1 MiB per row, straight into a bytea table.
  pg_copy_rows "$work/data.bin" "$work/data.copy"
  secs=$(pg_copy_in "$bench_url" "$work/data.copy")
  ceiling=$(echo "$mib $secs" | awk '{print $1*1048576/1e6/$2}')
  printf 'psql \\copy %5s MiB into bytea (1 MiB rows)  %6.1f MB/s (%5.1f s)\n' "$mib" "$ceiling" "$secs"
  if [ -n "${ferry_up:-}" ]; then
    printf 'ratio  %5s MiB: ferry upload (1 MiB chunks) / psql \\copy = %.2fx\n' "$mib" \
      "$(echo "$ferry_up $ceiling" | awk '{print $1/$2}')"
  fi
  pg_ceiling_drop "$bench_url"
  rm -f "$work/data.copy"
done

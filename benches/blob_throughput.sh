#!/usr/bin/env bash
# Upload and download throughput of Ferry through each blob store, next to that
# store's own ceiling measured with stock tools in the same run, on loopback:
#
# - BLOB_STORE=postgres: `curl -T` up and `curl` down through one web process, against
#   `psql \copy` into a bytea table (1 MiB rows) and `COPY (SELECT data … ORDER BY n)
#   TO STDOUT (FORMAT binary)` out (benches/lib/pg_ceiling.sh).
# - BLOB_STORE=s3 on a throwaway single-node Garage started here: the same curl
#   transfers, against boto3 (upload_file / download_fileobj with its default
#   TransferConfig: 8 MiB parts, 10 threads; the same with one request at a time;
#   one streamed GET) and the AWS CLI (`aws s3 cp`), all putting and getting the same
#   file on the same Garage. The ratio's denominator is the fastest stock figure.
#   Two more downloads show what a relay costs on the same cores, with a ratio line of
#   their own: curl fetching a presigned URL straight from Garage (no relay), and the
#   same URL through nginx (`proxy_pass`, `proxy_buffering off`) — a stock relay
#   doing what Ferry does between Garage and the client.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/blob_throughput.sh     # SIZES_MIB="256 1024" RUNS=3 S3_PART_SIZES="8MiB"
#                                         # STORES="postgres s3" FERRY=target/release/ferry
#
# Prints one line per figure, a ratio line per comparison, then the medians over the
# runs; docs/benchmarks.md keeps the output. Speeds are MB/s (10^6 bytes/s) over the
# whole transfer: curl's time_total, boto3 timed in-process around the call, the CLI
# and psql timed around the command (so they include their start-up).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
SIZES_MIB=${SIZES_MIB:-"256 1024"}
RUNS=${RUNS:-3}
STORES=${STORES:-"postgres s3"}
S3_PART_SIZES=${S3_PART_SIZES:-8MiB}
PORT=${PORT:-18779}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
source benches/lib/ferry_web.sh
source benches/lib/pg_ceiling.sh

garage=$(command -v garage || echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage")
for tool in psql curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y postgresql-client curl python3)" >&2; exit 1; }
done
if [[ " $STORES " == *" s3 "* ]]; then
  [ -x "$garage" ] || { echo "garage is missing: cargo install garage --locked (~8 min)" >&2; exit 1; }
  python3 -c 'import boto3' 2>/dev/null || { echo "boto3 is missing: pip install boto3" >&2; exit 1; }
  command -v aws >/dev/null || { echo "the AWS CLI is missing: pip install awscli" >&2; exit 1; }
  command -v nginx >/dev/null || { echo "nginx is missing: apt-get install -y nginx-light" >&2; exit 1; }
fi

garage_pid=""
cleanup() {
  web_stop
  if [ -s "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
  if [ -n "$garage_pid" ]; then kill "$garage_pid" 2>/dev/null || true; wait "$garage_pid" 2>/dev/null || true; fi
  ferry_db_drop
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A single-node Garage in $work/garage, a key and a bucket (benches/garage.sh, the
# same recipe as the tests'); exports the S3_* and AWS_* settings it prints.
garage_start() {
  eval "$(GARAGE_DIR=$work/garage S3_BUCKET=bench bash benches/garage.sh --background)"
  garage_pid=$(cat "$work/garage/garage.pid")
  export AWS_DEFAULT_REGION=garage AWS_CONFIG_FILE=$work/aws.config AWS_SHARED_CREDENTIALS_FILE=/dev/null
  printf '[default]\ns3 =\n  addressing_style = path\n' >"$AWS_CONFIG_FILE"
  relay_start
}

# nginx on a free port relaying every request to Garage as it came (the Host header
# kept as Garage's, so a presigned URL's signature holds): a stock streaming relay on
# the same cores, for the "what does a relay cost" line.
relay_port=""
relay_start() {
  local garage_host=${S3_ENDPOINT#http://}
  relay_port=$(free_port)
  cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.log warn;
events {}
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  server {
    listen 127.0.0.1:$relay_port;
    location / {
      proxy_pass http://$garage_host;
      proxy_http_version 1.1;
      proxy_set_header Host $garage_host;
      proxy_buffering off;
    }
  }
}
NGINX
  nginx -q -c "$work/nginx.conf" -p "$work" -e "$work/nginx.log"
}

# relay_transfer KEY: a presigned GET of KEY with curl, straight from Garage and then
# through nginx.
relay_transfer() {
  local url who g0 out code got secs
  url=$(python3 "$work/s3peer.py" presign - - "$1")
  for who in "${relays_down[@]}"; do
    [ "$who" = "${relays_down[1]}" ] && url="http://127.0.0.1:$relay_port/${url#http://*/}"
    g0=$(garage_cpu)
    out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url")
    read -r code got secs <<<"$out"
    [ "$code" = 200 ] && [ "$got" = "$size_bytes" ] || { echo "$who failed: $out" >&2; cat "$work/nginx.log" >&2; return 1; }
    record s3 download "$who" "$secs" "garage CPU $(delta "$g0" "$(garage_cpu)") s"
  done
}

# The stock Python client: `s3peer.py up|down VARIANT FILE KEY` prints
# `<seconds> <bytes> <client CPU seconds>` of the transfer alone (the client is built
# and connected before the clock starts); `s3peer.py presign - - KEY` prints a
# presigned GET URL of KEY.
cat >"$work/s3peer.py" <<'PY'
import os, sys, time
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

direction, variant, path, key = sys.argv[1:5]
bucket = os.environ["S3_BUCKET"]
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name=os.environ["S3_REGION"],
                  config=Config(s3={"addressing_style": "path"}))
s3.head_bucket(Bucket=bucket)
if direction == "presign":
    print(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600))
    sys.exit()
config = {"default": TransferConfig(), "serial": TransferConfig(max_concurrency=1)}.get(variant)

class Null:
    """A write-only sink, like curl -o /dev/null."""
    n = 0
    def write(self, b):
        self.n += len(b)
        return len(b)

sink = Null()
cpu0, t0 = os.times(), time.perf_counter()
if direction == "up":
    s3.upload_file(path, bucket, key, Config=config)
    sink.n = os.path.getsize(path)
elif variant == "stream":
    for block in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1 << 20):
        sink.write(block)
else:
    s3.download_fileobj(bucket, key, sink, Config=config)
t1, cpu1 = time.perf_counter(), os.times()
print(f"{t1 - t0:.3f} {sink.n} {cpu1.user - cpu0.user + cpu1.system - cpu0.system:.2f}")
PY

results=$work/results   # tab-separated: size, store, direction, who, seconds
size_bytes=0
run=0
record() { # STORE DIRECTION WHO SECONDS [NOTE]
  printf '%s\t%s\t%s\t%s\t%s\n' "$size_mib" "$1" "$2" "$3" "$4" >>"$results"
  printf 'run %6s %5s MiB %-8s %-8s %-44s %7.1f MB/s (%6.2f s)%s\n' "$run" "$size_mib" "$1" "$2" "$3" \
    "$(awk -v b="$size_bytes" -v s="$4" 'BEGIN { print b / 1e6 / s }')" "$4" "${5:+  $5}"
}
garage_cpu() { [ -n "$garage_pid" ] && cpu_seconds "$garage_pid" || echo 0; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

# ferry_transfer STORE LABEL [VAR=value …]: one upload and one download of the data
# file through a fresh web process.
ferry_transfer() {
  local store=$1 who=$2 out url g0 c0 note
  shift 2
  web_start "$PORT" BLOB_STORE="$store" "$@"
  g0=$(garage_cpu) c0=$(cpu_seconds "$web_pid")
  out=$(curl -sS -o "$work/url" -w '%{http_code} %{time_total}' -T "$work/data.bin" "http://127.0.0.1:$PORT/data.bin") ||
    { echo "upload failed; web log:" >&2; tail -20 "$work/web.log" >&2; return 1; }
  [ "${out%% *}" = 201 ] || [ "${out%% *}" = 200 ] || { echo "upload failed: $out $(cat "$work/url")" >&2; cat "$work/web.log" >&2; return 1; }
  note="web CPU $(delta "$c0" "$(cpu_seconds "$web_pid")") s"
  [ "$store" = s3 ] && note="$note, garage CPU $(delta "$g0" "$(garage_cpu)") s"
  record "$store" upload "$who" "${out#* }" "$note"
  url=$(cat "$work/url")
  g0=$(garage_cpu) c0=$(cpu_seconds "$web_pid")
  out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url") ||
    { echo "download failed; web log:" >&2; tail -20 "$work/web.log" >&2; return 1; }
  read -r code got secs <<<"$out"
  [ "$code" = 200 ] && [ "$got" = "$size_bytes" ] || { echo "download failed: $out" >&2; tail -20 "$work/web.log" >&2; return 1; }
  note="web CPU $(delta "$c0" "$(cpu_seconds "$web_pid")") s"
  [ "$store" = s3 ] && note="$note, garage CPU $(delta "$g0" "$(garage_cpu)") s"
  record "$store" download "$who" "$secs" "$note, web peak RSS $(web_peak_rss_mib) MiB"
  web_stop
}

# boto3_transfer up|down VARIANT KEY LABEL
boto3_transfer() {
  local g0 out secs got cpu
  g0=$(garage_cpu)
  out=$(python3 "$work/s3peer.py" "$1" "$2" "$work/data.bin" "$3")
  read -r secs got cpu <<<"$out"
  [ "$got" = "$size_bytes" ] || { echo "boto3 $1 $2 moved $got bytes, not $size_bytes" >&2; return 1; }
  record s3 "$([ "$1" = up ] && echo upload || echo download)" "$4" "$secs" "client CPU $cpu s, garage CPU $(delta "$g0" "$(garage_cpu)") s"
}

# aws_transfer up|down KEY
aws_transfer() {
  local g0 start secs got
  g0=$(garage_cpu)
  start=$(date +%s.%N)
  if [ "$1" = up ]; then
    aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "$work/data.bin" "s3://$S3_BUCKET/$2"
    got=$size_bytes
  else
    got=$(aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "s3://$S3_BUCKET/$2" - | wc -c)
  fi
  secs=$(seconds_since "$start")
  [ "$got" = "$size_bytes" ] || { echo "aws s3 cp $1 moved $got bytes" >&2; return 1; }
  record s3 "$([ "$1" = up ] && echo upload || echo download)" "aws s3 cp (8 MiB parts, 10 threads)" "$secs" \
    "garage CPU $(delta "$g0" "$(garage_cpu)") s, incl. CLI start-up"
}

# ratio DIRECTION STORE WHO_FERRY WHO_CEILING…: Ferry's seconds against the fastest
# of the ceilings (of this run, or the medians when run=median).
ratio() {
  local direction=$1 store=$2 ours=$3
  shift 3
  python3 - "$results" "$size_mib" "$store" "$direction" "$run" "$ours" "$@" <<'PY'
import statistics, sys
path, size, store, direction, run, ours, *ceilings = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(path)]
def secs(who):
    got = [float(r[4]) for r in rows if r[0] == size and r[1] == store and r[2] == direction and r[3] == who]
    if not got: return None
    return statistics.median(got) if run == "median" else got[-1]
base = min((secs(c), c) for c in ceilings if secs(c) is not None)
print(f"ratio {run:>6} {size:>5} MiB {store:<8} {direction:<8} {ours} / {base[1]} = {base[0] / secs(ours):.2f}x")
PY
}

ferry_db_create "ferry_bench_blob_$$"
if [[ " $STORES " == *" s3 "* ]]; then garage_start; fi
echo "machine: load $(cut -d" " -f1-3 /proc/loadavg); $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; Postgres $(psql "$DATABASE_URL" -Atc 'SHOW server_version' | cut -d' ' -f1), fsync=$(psql "$DATABASE_URL" -Atc 'SHOW fsync'); $("$garage" --version 2>/dev/null | head -1); boto3 $(python3 -c 'import boto3; print(boto3.__version__)' 2>/dev/null); $(aws --version 2>&1 | cut -d' ' -f1)"
s3_who=()
for part in $S3_PART_SIZES; do s3_who+=("ferry (S3_PART_SIZE=$part)"); done
peers_up=("boto3 upload_file (8 MiB parts, 10 threads)" "boto3 upload_file (8 MiB parts, 1 thread)" "aws s3 cp (8 MiB parts, 10 threads)")
peers_down=("boto3 download_fileobj (8 MiB, 10 threads)" "boto3 download_fileobj (8 MiB, 1 thread)" "boto3 get_object (one streamed GET)" "aws s3 cp (8 MiB parts, 10 threads)")
# Not stock clients of the store, so not in the target's ratio: a line of their own.
relays_down=("curl, presigned GET (no relay)" "nginx relaying that GET")

for size_mib in $SIZES_MIB; do
  size_bytes=$((size_mib * 1024 * 1024))
  head -c "$size_bytes" /dev/urandom >"$work/data.bin"
  if [[ " $STORES " == *" postgres "* ]]; then pg_copy_rows "$work/data.bin" "$work/data.copy"; fi
  if [[ " $STORES " == *" s3 "* ]]; then
    # One untimed upload first: the first write to a freshly started Garage cost it
    # 8–9 CPU-s per GiB against 5.6–6.3 for every later one (2026-11-24), and it fell
    # on whichever contestant came first — Ferry, in the order below.
    aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors "$work/data.bin" "s3://$S3_BUCKET/warm-up"
    aws --endpoint-url "$S3_ENDPOINT" s3 rm --only-show-errors "s3://$S3_BUCKET/warm-up"
  fi
  for run in $(seq "$RUNS"); do
    if [[ " $STORES " == *" postgres "* ]]; then
      ferry_transfer postgres "ferry (1 MiB chunks)"
      PGOPTIONS="-c client_min_messages=warning" psql "$bench_url" -qc "TRUNCATE blob_chunks, files, uploads, transfers, blobs CASCADE" >/dev/null
      secs=$(pg_copy_in "$bench_url" "$work/data.copy")
      record postgres upload 'psql \copy (1 MiB rows)' "$secs"
      secs=$(pg_copy_out "$bench_url")
      record postgres download "COPY TO STDOUT (FORMAT binary)" "$secs"
      pg_ceiling_drop "$bench_url"
      ratio upload postgres "ferry (1 MiB chunks)" 'psql \copy (1 MiB rows)'
      ratio download postgres "ferry (1 MiB chunks)" "COPY TO STDOUT (FORMAT binary)"
    fi
    if [[ " $STORES " == *" s3 "* ]]; then
      for part in $S3_PART_SIZES; do
        ferry_transfer s3 "ferry (S3_PART_SIZE=$part)" S3_PART_SIZE="$part"
      done
      key=bench-$run
      boto3_transfer up default "$key-default" "${peers_up[0]}"
      boto3_transfer up serial "$key-serial" "${peers_up[1]}"
      aws_transfer up "$key-cli"
      boto3_transfer down default "$key-default" "${peers_down[0]}"
      boto3_transfer down serial "$key-default" "${peers_down[1]}"
      boto3_transfer down stream "$key-default" "${peers_down[2]}"
      relay_transfer "$key-default"
      aws_transfer down "$key-cli"
      aws --endpoint-url "$S3_ENDPOINT" s3 rm --only-show-errors --recursive "s3://$S3_BUCKET/" --exclude '*' --include 'bench-*'
      for who in "${s3_who[@]}"; do
        ratio upload s3 "$who" "${peers_up[@]}"
        ratio download s3 "$who" "${peers_down[@]}"
        ratio download s3 "$who" "${relays_down[1]}"
      done
    fi
  done
  echo "medians over $RUNS runs, $size_mib MiB:"
  python3 - "$results" "$size_mib" "$size_bytes" <<'PY'
import statistics, sys
from collections import defaultdict
path, size, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
got = defaultdict(list)
for l in open(path):
    s, store, direction, who, secs = l.rstrip("\n").split("\t")
    if s == size: got[(store, direction, who)].append(float(secs))
for (store, direction, who), secs in got.items():
    m = statistics.median(secs)
    each = ", ".join(f"{nbytes / 1e6 / s:.1f}" for s in secs)
    print(f"median     {size:>5} MiB {store:<8} {direction:<8} {who:<44} {nbytes / 1e6 / m:7.1f} MB/s (runs: {each})")
PY
  run=median
  if [[ " $STORES " == *" postgres "* ]]; then
    ratio upload postgres "ferry (1 MiB chunks)" 'psql \copy (1 MiB rows)'
    ratio download postgres "ferry (1 MiB chunks)" "COPY TO STDOUT (FORMAT binary)"
  fi
  if [[ " $STORES " == *" s3 "* ]]; then
    for who in "${s3_who[@]}"; do
      ratio upload s3 "$who" "${peers_up[@]}"
      ratio download s3 "$who" "${peers_down[@]}"
      ratio download s3 "$who" "${relays_down[1]}"
    done
  fi
  rm -f "$work/data.copy"
done

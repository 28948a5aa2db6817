#!/usr/bin/env bash
# `GET /` (the upload page) for a visitor with a session, next to Redis' own GET rate
# in the same run: wrk with 50 connections against one release-build web process, and
# `redis-benchmark -t get -c 50` against the same Redis. A page view with a session
# costs one Redis read (the session) and no write (sessions are renewed only past half
# their TTL: crates/ferry-web/src/session_store.rs).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/session_pages.sh          # DURATION=10s CONNECTIONS=50 RUNS=3
#
# Needs wrk (apt-get install wrk) and redis-benchmark (apt-get install redis-tools).
# Prints one line per figure and the ratio of the medians.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-50}
RUNS=${RUNS:-3}
PORT=${PORT:-18781}
for tool in wrk redis-benchmark curl psql; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y wrk redis-tools curl postgresql-client)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
source benches/lib/ferry_web.sh
cleanup() {
  web_stop
  ferry_db_drop
  rm -rf "$work"
}
trap cleanup EXIT

ferry_db_create "ferry_bench_$$"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; wrk -c $CONNECTIONS -t 2 -d $DURATION"
web_start "$PORT" FERRY_TEST_ENDPOINTS=true
base="http://127.0.0.1:$PORT"
# A visitor: the page sets its visitor cookie; one stored value gives it a session.
curl -s -c "$work/jar" -o /dev/null -H 'Accept: text/html' "$base/"
curl -s -b "$work/jar" -c "$work/jar" -o /dev/null -H 'Content-Type: application/json' \
  -d '{"key":"bench","value":"a visitor with a session"}' "$base/api/session"
cookies=$(sed 's/^#HttpOnly_//' "$work/jar" | awk '!/^#/ && NF >= 7 {printf "%s%s=%s", (n++ ? "; " : ""), $6, $7}')
case "$cookies" in *ferry_session=*) ;; *) echo "no session cookie: $cookies" >&2; exit 1 ;; esac
# The page wrk fetches must be the upload page of this visitor, not an error page.
curl -sf -H "Cookie: $cookies" -H 'Accept: text/html' "$base/" | grep -q 'id="draft-title"' ||
  { echo "GET / with the session did not return the upload page" >&2; exit 1; }
sessions_before=$(redis-cli -u "$REDIS_URL" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_(set|expire|setex|pexpire):/ {n += $3} END {print n+0}')

ferry_runs=()
redis_runs=()
for run in $(seq "$RUNS"); do
  wrk -t 2 -c "$CONNECTIONS" -d "$DURATION" -H "Cookie: $cookies" -H 'Accept: text/html' "$base/" >"$work/wrk.out"
  # Only answered pages count: a 503 (Redis unreachable) or an error is not a page view.
  if grep -Eq 'Non-2xx|Socket errors' "$work/wrk.out"; then
    echo "wrk saw failed requests:" >&2; cat "$work/wrk.out" >&2; exit 1
  fi
  rate=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  printf 'run %d  ferry GET / with a session (wrk -c %d)      %9.0f req/s\n' "$run" "$CONNECTIONS" "$rate"
  ferry_runs+=("$rate")
  peer=$(redis-benchmark -u "$REDIS_URL" -t get -c "$CONNECTIONS" -n 200000 -q | tr '\r' '\n' | awk '/^GET: .* requests per second/ {print $2}')
  printf 'run %d  redis-benchmark -t get -c %d                %9.0f req/s\n' "$run" "$CONNECTIONS" "$peer"
  redis_runs+=("$peer")
done
writes=$(( $(redis-cli -u "$REDIS_URL" INFO commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_(set|expire|setex|pexpire):/ {n += $3} END {print n+0}') - sessions_before ))
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(median "${ferry_runs[@]}")
r=$(median "${redis_runs[@]}")
printf 'median ferry %.0f req/s, redis GET %.0f req/s\n' "$f" "$r"
printf 'ratio  ferry GET / with a session / redis-benchmark GET = %.3fx\n' "$(echo "$f $r" | awk '{print $1/$2}')"
echo "Redis SET/EXPIRE commands during the runs (all clients of this Redis): $writes"

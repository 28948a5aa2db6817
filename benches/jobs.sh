#!/usr/bin/env bash
# No-op jobs drained by one worker process, next to Sidekiq in the same run:
#
# - Ferry: one release-build `ferry worker` (WORKER_CONCURRENCY=$CONCURRENCY) on a
#   throwaway database. $JOBS demo jobs with `noop: true` (they do nothing, not even
#   record an effect) are inserted in one statement while it idles (ids made as cheaply
#   as Ferry's enqueue makes them in Rust: one ULID's time part and a counter, not
#   apalis' PL/pgSQL `generate_ulid()` per row, which no Ferry enqueue calls); the rate is $JOBS
#   over the time from just before the insert to the last acknowledgement (`done_at`,
#   Postgres's clock for both ends).
# - Sidekiq (Debian's ruby-sidekiq): one `sidekiq -c $CONCURRENCY` process on a
#   throwaway redis-server (no persistence, like the Redis Ferry runs against); the
#   same number of no-op jobs pushed with `push_bulk` (1,000 per call) while it idles;
#   the rate is $JOBS over the time from just before the first push to the queue
#   being empty (polled every 5 ms; at most $CONCURRENCY jobs are then still running).
#
# Then, on the idle Ferry worker, $LATENCY_JOBS jobs enqueued one at a time, 50 ms
# apart, each its own transaction: enqueue → acknowledged (`done_at − run_at`, both
# Postgres's clock), p50 / p99 / max. That bounds enqueue → start from above.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bash benches/jobs.sh
#       # JOBS=20000 RUNS=3 CONCURRENCY=10 LATENCY_JOBS=200 FERRY=target/release/ferry
#
# Needs ruby-sidekiq and redis-server (apt-get install -y ruby-sidekiq redis-server).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
JOBS=${JOBS:-20000}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-10}
LATENCY_JOBS=${LATENCY_JOBS:-200}
for tool in psql ruby sidekiq redis-server redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y ruby-sidekiq redis-server postgresql-client python3)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
source benches/lib/ferry_web.sh
worker_pid=""
redis_pid=""
sidekiq_pid=""
watch_pid=""
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  stop_pid "$watch_pid"
  stop_pid "$worker_pid"
  stop_pid "$sidekiq_pid"
  stop_pid "$redis_pid"
  ferry_db_drop
  rm -rf "$work"
}
trap cleanup EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ferry_db_create "ferry_bench_$$"
q() { psql "$bench_url" -v ON_ERROR_STOP=1 -XAtqc "$1"; }
# The drain is watched over one psql session held open for the whole run (a
# coprocess), not a new psql every 100 ms: each of those is a fork, a connection (a
# TLS handshake when the server offers it) and a new Postgres backend, CPU taken from
# the two cores Ferry and its Postgres share, which the Sidekiq side (polling Redis
# from its own Ruby process) does not pay.
coproc WATCH { psql "$bench_url" -v ON_ERROR_STOP=1 -XAtq 2>&1; }
watch_pid=$WATCH_PID
watch_q() {
  local out
  echo "$1;" >&"${WATCH[1]}"
  read -r -t 30 out <&"${WATCH[0]}" || { echo "the watching psql session did not answer" >&2; exit 1; }
  echo "$out"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $JOBS no-op jobs per run, concurrency $CONCURRENCY, $(sidekiq --version 2>/dev/null | head -1 || echo sidekiq)"

# --- Ferry -------------------------------------------------------------------------
env DATABASE_URL="$bench_url" REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="bench:$$:" \
  WORKER_CONCURRENCY="$CONCURRENCY" RUST_LOG="${RUST_LOG:-info}" "$ferry" worker >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM apalis.workers WHERE worker_type = 'ferry.demo'")" -ge 1 ] && break
  kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log" >&2; exit 1; }
  sleep 0.1
done
sleep 1

# CPU seconds of every Postgres process (backends of all databases, and the server's
# own), so the drain's share shows next to the worker's.
postgres_cpu() {
  local total=0 pid
  for pid in $(pgrep -x postgres); do
    total=$(awk -v t="$total" -v c="$(cpu_seconds "$pid" 2>/dev/null || echo 0)" 'BEGIN { print t + c }')
  done
  echo "$total"
}

ferry_drain() {
  q "TRUNCATE apalis.jobs" >/dev/null
  local t0
  t0=$(q "SELECT extract(epoch FROM clock_timestamp())")
  q "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
     SELECT ulid.time || upper(lpad(to_hex(i), 16, '0')), 'ferry.demo',
            convert_to(json_build_object('key', 'bench-' || i, 'noop', true)::text, 'UTF8'),
            'Pending', 0, 3, now(), 0
     FROM (SELECT left(apalis.generate_ulid(), 10) AS time) AS ulid, generate_series(1, $JOBS) AS i" >/dev/null
  local deadline=$((SECONDS + 300))
  while [ "$(watch_q "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'")" -lt "$JOBS" ]; do
    [ $SECONDS -lt $deadline ] || { echo "ferry did not drain $JOBS jobs in 300 s" >&2; q "SELECT status, count(*) FROM apalis.jobs GROUP BY 1" >&2; exit 1; }
    kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log" >&2; exit 1; }
    sleep 0.1
  done
  # Jobs acknowledged by one round share its `done_at` (the statement's now()): the
  # number of rounds, and so the jobs each acknowledged on average.
  q "SELECT $JOBS / extract(epoch FROM max(done_at) - to_timestamp($t0)), count(DISTINCT done_at) FROM apalis.jobs" |
    tr '|' ' '
}

# --- Sidekiq -----------------------------------------------------------------------
rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
cat >"$work/noop_job.rb" <<'RUBY'
require "sidekiq"
class NoopJob
  include Sidekiq::Worker
  sidekiq_options queue: "bench"
  def perform(_key); end
end
RUBY
cat >"$work/drain.rb" <<'RUBY'
require "sidekiq"
require_relative "noop_job"
require "sidekiq/api"
n = Integer(ARGV[0])
queue = Sidekiq::Queue.new("bench")
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
(0...n).each_slice(1000) do |slice|
  Sidekiq::Client.push_bulk("class" => NoopJob, "args" => slice.map { |i| ["bench-#{i}"] })
end
sleep 0.005 while queue.size > 0
t1 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
puts n / (t1 - t0)
RUBY
REDIS_URL="redis://127.0.0.1:$rport" RUBYOPT=-W0 sidekiq -e production -r "$work/noop_job.rb" -q bench \
  -c "$CONCURRENCY" >"$work/sidekiq.log" 2>&1 &
sidekiq_pid=$!
for _ in $(seq 100); do
  grep -q "Starting processing" "$work/sidekiq.log" && break
  kill -0 "$sidekiq_pid" 2>/dev/null || { cat "$work/sidekiq.log" >&2; exit 1; }
  sleep 0.1
done
sleep 1
sidekiq_drain() {
  REDIS_URL="redis://127.0.0.1:$rport" ruby -W0 -I"$work" "$work/drain.rb" "$JOBS"
}

ferry_runs=()
sidekiq_runs=()
for run in $(seq "$RUNS"); do
  w0=$(cpu_seconds "$worker_pid") p0=$(postgres_cpu)
  read -r f rounds <<<"$(ferry_drain)"
  w1=$(cpu_seconds "$worker_pid") p1=$(postgres_cpu)
  printf 'run %d  ferry worker -c %d, no-op jobs      %9.0f jobs/s  (%d rounds, %.1f jobs a round; CPU-s: worker %.2f, Postgres %.2f)\n' \
    "$run" "$CONCURRENCY" "$f" "$rounds" "$(awk -v j="$JOBS" -v r="$rounds" 'BEGIN { print j / r }')" \
    "$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" "$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')"
  ferry_runs+=("$f")
  s=$(sidekiq_drain)
  printf 'run %d  sidekiq -c %d, no-op jobs           %9.0f jobs/s\n' "$run" "$CONCURRENCY" "$s"
  sidekiq_runs+=("$s")
done
# Every job really ran: Sidekiq writes its counters on its 5 s heartbeat.
sleep 6
processed=$(redis-cli -p "$rport" get stat:processed)
failed=$(redis-cli -p "$rport" get stat:failed)
[ "$processed" -eq $((JOBS * RUNS)) ] && [ "${failed:-0}" -eq 0 ] \
  || { echo "sidekiq processed $processed (failed ${failed:-0}), expected $((JOBS * RUNS))" >&2; exit 1; }
f=$(median "${ferry_runs[@]}")
s=$(median "${sidekiq_runs[@]}")
printf 'median ferry %.0f jobs/s, sidekiq %.0f jobs/s\n' "$f" "$s"
printf 'ratio  ferry / sidekiq no-op jobs at concurrency %d = %.2fx\n' "$CONCURRENCY" "$(echo "$f $s" | awk '{print $1/$2}')"

# --- enqueue → acknowledged on an idle worker ----------------------------------------
q "TRUNCATE apalis.jobs" >/dev/null
sleep 1
# One psql session, each INSERT its own transaction, then a pause with the session
# idle. `run_at` is now(): apalis' insert trigger notifies only when run_at <= now().
for i in $(seq "$LATENCY_JOBS"); do
  echo "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
        VALUES (apalis.generate_ulid(), 'ferry.demo',
                convert_to(json_build_object('key', 'latency-$i', 'noop', true)::text, 'UTF8'),
                'Pending', 0, 3, now(), 0);"
  echo "\\! sleep 0.05"
done | psql "$bench_url" -v ON_ERROR_STOP=1 -Xq >/dev/null
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'")" -ge "$LATENCY_JOBS" ] && break
  sleep 0.1
done
q "SELECT format('enqueue -> acknowledged on an idle worker, %s jobs: p50 %s ms, p99 %s ms, max %s ms',
          count(*),
          round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
          round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1),
          round(max(ms)::numeric, 1))
   FROM (SELECT extract(epoch FROM done_at - run_at) * 1000 AS ms FROM apalis.jobs WHERE status = 'Done') AS t"

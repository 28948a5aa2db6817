# Sourced by the benches (not run): a throwaway database and one release-build web
# process on loopback, and curl transfers through it.
#
# Needs: DATABASE_URL (a database where CREATE DATABASE works), REDIS_URL, `work` (a
# scratch directory). Sets: bench_db, bench_url, web_pid, ferry.

: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
bench_db=""
bench_url=""
web_pid=""

# Builds the release binary (unless FERRY names one), creates database `$1` next to
# DATABASE_URL's and migrates it.
ferry_db_create() {
  if [ -z "${FERRY:-}" ]; then
    cargo build --release -q -p ferry
    FERRY=target/release/ferry
  fi
  ferry=$FERRY
  bench_db=$1
  bench_url=$(python3 -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path='/'+sys.argv[2])))" "$DATABASE_URL" "$bench_db")
  psql "$DATABASE_URL" -qc "CREATE DATABASE $bench_db" >/dev/null
  DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL "$ferry" migrate >/dev/null
}

ferry_db_drop() {
  [ -n "$bench_db" ] || return 0
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $bench_db WITH (FORCE)" >/dev/null 2>&1 || true
}

# web_start PORT [VAR=value …]: starts `ferry web` on 127.0.0.1:PORT with the extra
# settings given, and returns once /healthz answers (its log: $work/web.log).
web_start() {
  local port=$1
  shift
  if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
    echo "port $port already answers /healthz: another web process is listening (set PORT)" >&2
    return 1
  fi
  env DATABASE_URL="$bench_url" REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="bench:$$:" \
    SESSION_SECRET=bench-secret-bench-secret-bench-secret-0 PUBLIC_URL_FROM_REQUEST=true UPLOADS_PER_CLIENT_PER_HOUR=1000000 UPLOAD_BYTES_PER_CLIENT_PER_DAY=1000TiB PORT="$port" \
    BIND_ADDRESS=127.0.0.1 RUST_LOG="${RUST_LOG:-warn}" "$@" "$ferry" web >"$work/web.log" 2>&1 &
  web_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    if ! kill -0 "$web_pid" 2>/dev/null; then
      echo "ferry web exited during start-up:" >&2
      cat "$work/web.log" >&2
      web_pid=""
      return 1
    fi
    sleep 0.1
  done
  echo "ferry web did not answer /healthz within 10 s" >&2
  return 1
}

web_stop() {
  [ -n "$web_pid" ] || return 0
  kill "$web_pid" 2>/dev/null || true
  wait "$web_pid" 2>/dev/null || true
  web_pid=""
}

# The web process's peak RSS so far, MiB.
web_peak_rss_mib() {
  awk '/VmHWM/ {print int($2/1024)}' "/proc/$web_pid/status"
}

# CPU seconds (user + system) process $1 has used so far (fields 14 and 15 of its
# stat, counted after the command name, which may hold spaces).
cpu_seconds() {
  sed 's/.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{print ($12 + $13) / hz}'
}

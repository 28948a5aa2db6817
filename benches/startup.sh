#!/usr/bin/env bash
# Start-up: from exec of `ferry web` to the first `/readyz` 200 (Postgres and Redis
# answered through the process's own pools), against the 50 ms target (issue 13).
# Each run starts a fresh release-build process on loopback and polls /readyz every
# millisecond; the time includes the process's first Postgres connection (over TLS
# when the server offers it, as Debian's does) and its first Redis connection.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
#     bash benches/startup.sh               # RUNS=20
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
PORT=${PORT:-18783}
work=$(mktemp -d /tmp/ferry-bench.XXXXXX)
source benches/lib/ferry_web.sh
cleanup() {
  ferry_db_drop
  rm -rf "$work"
}
trap cleanup EXIT
ferry_db_create "ferry_bench_$$"
echo "machine: $(nproc) cores; Postgres ssl=$(psql "$DATABASE_URL" -Atc 'SHOW ssl'); $RUNS runs"
DATABASE_URL=$bench_url REDIS_URL=$REDIS_URL PORT=$PORT FERRY=$ferry RUNS=$RUNS python3 - <<'PY'
import os, subprocess, time, urllib.request
env = dict(os.environ, SESSION_SECRET="bench-secret-bench-secret-bench-secret-0", PUBLIC_URL_FROM_REQUEST="true",
           BIND_ADDRESS="127.0.0.1", RUST_LOG="warn")
url = f"http://127.0.0.1:{os.environ['PORT']}/readyz"
times = []
for _ in range(int(os.environ["RUNS"])):
    start = time.perf_counter()
    process = subprocess.Popen([os.environ["FERRY"], "web"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except Exception:
            if process.poll() is not None:
                raise SystemExit("ferry web exited during start-up")
        time.sleep(0.001)
    times.append((time.perf_counter() - start) * 1000)
    process.terminate()
    process.wait()
times.sort()
median = times[len(times) // 2]
p90 = times[int(len(times) * 0.9) - 1]
print(f"start -> /readyz 200: median {median:.1f} ms, p90 {p90:.1f} ms, min {times[0]:.1f}, max {times[-1]:.1f}")
print(f"ratio  median / 50 ms target = {median / 50:.2f}x (below 1 meets it)")
PY

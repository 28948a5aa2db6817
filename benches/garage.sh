#!/usr/bin/env bash
# A throwaway single-node Garage (S3-compatible store, 2.x) on 127.0.0.1, for the S3
# benchmarks and for trying Ferry's S3 store by hand. The same recipe as the tests'
# (tests/harness/garage.rs): a small garage.toml in a temp dir (SQLite metadata,
# replication_factor 1, free ports, random rpc_secret), `garage server`, then
# `layout assign` + `layout apply`, `key create`, `bucket create` + `bucket allow`.
#
#   bash benches/garage.sh                      # stays in the foreground; Ctrl-C (or
#                                               # SIGTERM) stops Garage, deletes its data
#   eval "$(bash benches/garage.sh --background)"   # returns once the bucket is ready;
#                                               # Garage keeps running, pid in garage.pid
#
# Prints `export S3_ENDPOINT=… S3_BUCKET=… S3_REGION=garage AWS_ACCESS_KEY_ID=…
# AWS_SECRET_ACCESS_KEY=…` on stdout (everything else goes to stderr), so the output
# can be eval'd. Settings: S3_BUCKET (default ferry-bench), S3_PORT (default: a free
# port), GARAGE_DIR (default: a new temp dir).
set -euo pipefail

background=""
case "${1:-}" in
  "") ;;
  --background) background=1 ;;
  *) echo "usage: $0 [--background]" >&2; exit 2 ;;
esac

garage=$(command -v garage || echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage")
if [ ! -x "$garage" ]; then
  echo "garage not found: install it with cargo install garage --locked (~8 min)" >&2
  exit 1
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dir=${GARAGE_DIR:-$(mktemp -d /tmp/ferry-garage.XXXXXX)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bucket=${S3_BUCKET:-ferry-bench}
key_name=ferry-bench
s3_port=${S3_PORT:-$(free_port)}
rpc_port=$(free_port)
admin_port=$(free_port)

cat >"$dir/garage.toml" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

[s3_api]
api_bind_addr = "127.0.0.1:$s3_port"
s3_region = "garage"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
EOF

g() { RUST_LOG=warn "$garage" -c "$dir/garage.toml" "$@"; }

started=$(date +%s.%N)
# Its own session, so that in --background mode it outlives this script and the
# terminal, and its output never holds the caller's $(…) open.
RUST_LOG=warn setsid "$garage" -c "$dir/garage.toml" server </dev/null >"$dir/garage.log" 2>&1 &
pid=$!

stop() {
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
# Until the bucket is ready, any failure stops Garage and removes its data.
trap stop EXIT

for i in $(seq 600); do
  g status >/dev/null 2>&1 && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "garage server exited during start-up:" >&2; cat "$dir/garage.log" >&2; exit 1
  fi
  [ "$i" = 600 ] && { echo "garage did not answer \`garage status\` within 60 s" >&2; exit 1; }
  sleep 0.1
done

# `garage node id --quiet` prints `<node id>@127.0.0.1:PORT`; assign takes the id.
node_id=$(g node id --quiet | cut -d@ -f1)
g layout assign -z dc1 -c 1G "$node_id" >/dev/null
g layout apply --version 1 >/dev/null
for i in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  [ "$i" = 100 ] && { echo "the S3 API did not listen on port $s3_port within 10 s" >&2; exit 1; }
  sleep 0.1
done
key=$(g key create "$key_name")
# Rows of the key table: `Key ID:      GK…` and `Secret key:  …`.
key_id=$(sed -n 's/^ *Key ID: *//p' <<<"$key")
secret=$(sed -n 's/^ *Secret key: *//p' <<<"$key")
if [ -z "$key_id" ] || [ -z "$secret" ]; then
  echo "could not read the key from \`garage key create\`:" >&2; echo "$key" >&2; exit 1
fi
g bucket create "$bucket" >/dev/null
g bucket allow --read --write --owner "$bucket" --key "$key_name" >/dev/null
ready=$(date +%s.%N)

cat <<EOF
export S3_ENDPOINT=http://127.0.0.1:$s3_port S3_BUCKET=$bucket S3_REGION=garage
export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret
EOF
printf '# Garage %s ready in %.1f s (pid %s, data and log in %s)\n' \
  "$("$garage" --version 2>/dev/null | awk '{print $2}')" "$(awk -v a="$started" -v b="$ready" 'BEGIN { print b - a }')" "$pid" "$dir" >&2

if [ -n "$background" ]; then
  trap - EXIT
  echo "$pid" >"$dir/garage.pid"
  echo "# stop it with: kill \$(cat $dir/garage.pid) && rm -rf $dir" >&2
  exit 0
fi

trap stop EXIT
trap 'exit 0' INT TERM
echo "# Ctrl-C stops Garage and deletes its data" >&2
wait "$pid"

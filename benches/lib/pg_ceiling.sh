# Sourced by the benches (not run): Postgres's own ceiling for the bytes Ferry keeps
# in it, with stock tools on the same server — `psql \copy` of the file into a bytea
# table in 1 MiB rows (the same storage settings as `blob_chunks`, one transaction),
# and `COPY (SELECT data … ORDER BY n) TO STDOUT (FORMAT binary)` back out.

# pg_copy_rows FILE OUT: writes FILE as `\copy` text rows, `n<TAB>\x<hex of 1 MiB>`.
pg_copy_rows() {
  python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], 'rb') as src, open(sys.argv[2], 'w') as dst:
    n = 0
    while block := src.read(1 << 20):
        dst.write(f'{n}\t\\\\x{block.hex()}\n')
        n += 1
PY
}

# pg_copy_in URL ROWS: (re)creates table `ceiling`, loads ROWS into it with `\copy`;
# prints the seconds the `\copy` took.
pg_copy_in() {
  local url=$1 rows=$2 start end
  PGOPTIONS="-c client_min_messages=warning" psql "$url" -qc "DROP TABLE IF EXISTS ceiling;
    CREATE TABLE ceiling (n int PRIMARY KEY, data bytea);
    ALTER TABLE ceiling ALTER COLUMN data SET STORAGE EXTERNAL" >/dev/null
  start=$(date +%s.%N)
  psql "$url" -v ON_ERROR_STOP=1 -qc "\\copy ceiling (n, data) FROM '$rows'" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

# pg_copy_out URL: streams table `ceiling` out in order, binary, to /dev/null; prints
# the seconds it took.
pg_copy_out() {
  local url=$1 start end
  start=$(date +%s.%N)
  psql "$url" -v ON_ERROR_STOP=1 -qAtc \
    "COPY (SELECT data FROM ceiling ORDER BY n) TO STDOUT (FORMAT binary)" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

pg_ceiling_drop() {
  psql "$1" -qc "DROP TABLE IF EXISTS ceiling" >/dev/null
}

#!/bin/bash
# The "SELECT 1 launch->result against the original extension" figure of
# issue 13: needs the original pg_background's source (not fetched here):
#   bash bench/original.sh /path/to/original/pg_background [seconds]
# Builds the original renamed (library, extension and worker entry
# pg_background_orig, so that it installs beside this one), starts a
# throwaway cluster with one database for each, and runs the same pgbench
# script against both, alternating, three rounds. Prints the medians of the
# per-round latencies and their ratio. Figures only, never pass/fail.
set -euo pipefail
src=${1:?usage: bench/original.sh ORIGINAL_SOURCE_DIR [seconds]}
secs=${2:-10}
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=$PATH:/usr/local/go/bin
make -s && make -s install

build=$(mktemp -d /tmp/pgbg-orig.XXXXXX)
dir=$(mktemp -d /tmp/pgbg-origbench.XXXXXX) port=${PGBG_BENCH_PORT:-54394}
trap 'bash "$ROOT/scripts/cluster.sh" stop "$dir"; rm -rf "$build"' EXIT
cp "$src/pg_background.c" "$build/pg_background_orig.c"
cp "$src/pg_background.h" "$build/"
# its worker must come from the renamed library
sed -i 's/bgw_library_name, BGW_MAXLEN, "pg_background"/bgw_library_name, BGW_MAXLEN, "pg_background_orig"/' \
    "$build/pg_background_orig.c"
grep -q '"pg_background_orig"' "$build/pg_background_orig.c" || { echo "could not rename the worker's library"; exit 1; }
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/pg_background.control")
cp "$src/pg_background--$version.sql" "$build/pg_background_orig--$version.sql"
cat > "$build/pg_background_orig.control" <<EOF
comment = 'the original pg_background, renamed for a benchmark'
default_version = '$version'
module_pathname = '\$libdir/pg_background_orig'
relocatable = true
EOF
cat > "$build/Makefile" <<EOF
MODULE_big = pg_background_orig
OBJS = pg_background_orig.o
EXTENSION = pg_background_orig
DATA = pg_background_orig--$version.sql
PG_CONFIG ?= pg_config
PGXS := \$(shell \$(PG_CONFIG) --pgxs)
include \$(PGXS)
EOF
make -s -C "$build" && make -s -C "$build" install

PGBG_EXTRA_CONF="max_worker_processes = 32" bash scripts/cluster.sh start "$dir" "$port"
export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres
psql -Xq -c 'CREATE DATABASE orig' -c 'CREATE DATABASE ours'
psql -Xq -d orig -c 'CREATE EXTENSION pg_background_orig'
psql -Xq -d ours -c 'CREATE EXTENSION pg_background'
script=$build/select1.sql
echo "SELECT * FROM pg_background_result(pg_background_launch('SELECT 1')) AS (x int);" > "$script"
latency() { pgbench -n -d "$1" -f "$script" -T "$secs" 2>&1 | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'; }
ours=() orig=()
for round in 1 2 3; do
    orig+=("$(latency orig)")
    ours+=("$(latency ours)")
    echo "round $round: original ${orig[-1]} ms, pg_background ${ours[-1]} ms"
done
python3 - "${orig[@]}" "${ours[@]}" <<'EOF'
import statistics, sys
v = [float(x) for x in sys.argv[1:]]
o, p = statistics.median(v[:3]), statistics.median(v[3:])
print("| SELECT 1 launch->result | original %.3f ms | pg_background %.3f ms | %.3fx the original |" % (o, p, p / o))
EOF

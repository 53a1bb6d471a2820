#!/bin/bash
# make bench: build, install, start a throwaway cluster (unless PGHOST/PGPORT
# are given), create dblink as the reference, run bench/bench.py.
#   bash bench/run.sh [--quick] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export PATH=$PATH:/usr/local/go/bin
make -s && make -s install
if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
    dir=$(mktemp -d /tmp/pgbg-bench.XXXXXX) port=${PGBG_BENCH_PORT:-54393}
    trap 'bash scripts/cluster.sh stop "$dir"' EXIT
    # 8 clients launching back to back outrun the postmaster's reaping of
    # exited workers: give the slots headroom
    PGBG_EXTRA_CONF="max_worker_processes = 100
max_connections = 100" bash scripts/cluster.sh start "$dir" "$port"
    export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres
fi
export PGUSER=${PGUSER:-postgres} PGDATABASE=${PGDATABASE:-postgres}
python3 bench/bench.py "$@"

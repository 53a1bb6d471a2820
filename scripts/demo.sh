#!/bin/bash
# Build, install and show pg_background doing its main job, on a throwaway
# cluster: the original extension's documented VACUUM VERBOSE example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export PATH=$PATH:/usr/local/go/bin
make -s && make -s install
dir=$(mktemp -d /tmp/pgbg-demo.XXXXXX) port=${PGBG_DEMO_PORT:-54391}
trap 'bash scripts/cluster.sh stop "$dir"' EXIT
bash scripts/cluster.sh start "$dir" "$port"
export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
psql -X -v ON_ERROR_STOP=1 -f scripts/demo.sql

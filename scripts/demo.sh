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
psql -X -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION pg_background;
CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 1000) g;
DELETE FROM t WHERE id % 2 = 0;
\echo '--- VACUUM VERBOSE, run in a background worker:'
SELECT * FROM pg_background_result(pg_background_launch('vacuum verbose t')) AS (result text);
\echo '--- an autonomous transaction survives the caller''s ROLLBACK:'
BEGIN;
SELECT * FROM pg_background_result(pg_background_launch(
    'INSERT INTO t VALUES (2, ''audit'') RETURNING id, v')) AS (id int, v text);
ROLLBACK;
SELECT * FROM t WHERE id = 2;
SQL

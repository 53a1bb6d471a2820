#!/bin/bash
# Run the TAP tests (regress/t/*.pl, PostgreSQL::Test::Cluster) against the
# installed extension.  TAP clusters refuse to run as root, so as root the
# tests run as the postgres user from a scratch copy it owns.
set -euo pipefail
cd "$(dirname "$0")/.."
PGXS_DIR=$(dirname "$(pg_config --pgxs)")/..
BINDIR=$(pg_config --bindir)
work=$(mktemp -d /tmp/pgbg-tap.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r regress/t "$work/t"
cp -r regress/upgrade "$work/upgrade"   # fixtures of t/008_upgrade.pl (../upgrade)
run() { if [ "$(id -u)" = 0 ]; then chown -R postgres: "$work"; runuser -u postgres -- "$@"; else "$@"; fi; }
cd "$work"
# TESTDIR for 15; 16+ takes the data and log directories from TESTDATADIR/TESTLOGDIR
run env PATH="$BINDIR:$PATH" TESTDIR="$work" TESTDATADIR="$work/tmp_check" TESTLOGDIR="$work/tmp_check/log" \
    PG_REGRESS="$PGXS_DIR/test/regress/pg_regress" \
    prove -I "$PGXS_DIR/test/perl" --timer ${PROVE_FLAGS:-} ${PGBG_TAP_TESTS:-t/*.pl}

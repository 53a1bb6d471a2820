#!/bin/bash
# Run every test of pg_background on a throwaway cluster:
#   pg_regress suite, isolation specs, TAP tests, Go unit tests, a short
#   fuzz pass of each Go fuzz target, and the benchmark suite's quick mode.
# Installs what is missing, builds and installs the extension first.
# Ends with one summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/deps.sh || exit 1
export PATH=$PATH:/usr/local/go/bin
make -s && make -s install || exit 1

passed=0 failed=0
step() {  # step NAME COMMAND...: run one test step, count it
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed+1)); echo "--- ok: $name"
    else failed=$((failed+1)); echo "--- FAILED: $name"; fi
}

dir=$(mktemp -d /tmp/pgbg-test.XXXXXX) port=${PGBG_TEST_PORT:-54392}
trap 'bash "$ROOT/scripts/cluster.sh" stop "$dir"' EXIT
bash scripts/cluster.sh start "$dir" "$port" || { cat "$dir"/*.log; exit 1; }
export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres

regress() {
    rm -rf regress/out regress/out-iso
    if ! make -s installcheck; then
        cat regress/out/regression.diffs regress/out-iso/regression.diffs 2>/dev/null | head -300
        return 1
    fi
}
step "pg_regress + isolation" regress
# PGBG_TEST_STEPS=regress (scripts/matrix.sh): only the step above
if [ "${PGBG_TEST_STEPS:-}" != regress ]; then
step "TAP (PostgreSQL::Test::Cluster)" bash scripts/tap.sh
destdir() {  # a staged install (packagers) holds both shared objects
    local stage=$dir/stage
    make -s install DESTDIR="$stage" >/dev/null || return 1
    for f in "$(pg_config --pkglibdir)/pg_background.so" "$(pg_config --pkglibdir)/libpg_background_go.so" \
             "$(pg_config --sharedir)/extension/pg_background.control" \
             "$(pg_config --sharedir)/extension/pg_background--1.0.sql" \
             "$(pg_config --sharedir)/extension/pg_background--1.0--1.8.sql"; do
        [ -f "$stage$f" ] || { echo "missing from DESTDIR install: $f"; return 1; }
    done
}
step "DESTDIR install" destdir
step "go test" make -s gotest
step "bench --quick (results only)" python3 bench/bench.py --quick --csv "$dir/bench-quick.csv"
fuzz() {
    local pkg=$1 target=$2
    CGO_ENABLED=1 go test -run='^$' -fuzz="^$target\$" -fuzztime="${PGBG_FUZZTIME:-150000x}" "$pkg"
}
for t in $(cd gosrc && grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u); do
    pkg=./$(dirname "$(grep -rlE "^func $t\(" --include='*_test.go' gosrc | head -1)")
    step "fuzz $t" fuzz "$pkg" "$t"
done
fi

if grep -q "PANIC\|terminated by signal" "$dir/server.log"; then
    echo "server log shows a crash:"; grep -n "PANIC\|terminated by signal" "$dir/server.log"
    failed=$((failed+1))
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

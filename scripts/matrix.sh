#!/bin/bash
# Build and test pg_background against other PostgreSQL majors, each in a
# Debian chroot with that major's packages (run as root):
#   bash scripts/matrix.sh [MAJOR...]        default: 17 18 19
#   PGBG_MATRIX_STEPS=all bash scripts/matrix.sh 17   the whole test command
# Steps: by default build without warnings (-Werror), install, and run the
# pg_regress suite and isolation specs (scripts/test.sh with
# PGBG_TEST_STEPS=regress); "all" runs every step of scripts/test.sh.
# Chroots (15 bookworm, 17 trixie, 18 sid, 19 experimental) are created on
# first use under $PGBG_MATRIX_DIR (default /var/tmp/pgbg-matrix, about 1.6 GB
# each, 1-2 minutes) and reused; the tree is copied in fresh every run.
# Prints one line per major and exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${PGBG_MATRIX_DIR:-/var/tmp/pgbg-matrix}
STEPS=${PGBG_MATRIX_STEPS:-regress}
MAJORS=("$@"); [ ${#MAJORS[@]} -gt 0 ] || MAJORS=(17 18 19)
. scripts/chroot.sh
GO=$CHROOT_GO
mkdir -p "$DIR"

run_major() {  # run_major NN: prints the major's summary line, returns its status
    local NN=$1 R=$DIR/pg$NN log=$DIR/pg$NN.log t0=$SECONDS rc
    if [ ! -d "$R" ]; then
        chroot_create "$NN" "$R" >"$DIR/pg$NN-create.log" 2>&1 ||
            { echo "PostgreSQL $NN: FAILED creating the chroot (see $DIR/pg$NN-create.log)"; return 1; }
    fi
    : >"$log"
    chroot_mounts up "$R" go
    chroot_copy_tree "$R" /src/pg_background
    # a Go module cache of the host's, if any, spares the downloads
    [ -d "$("$GO" env GOMODCACHE)" ] && mkdir -p "$R/root/go/pkg" &&
        cp -a "$("$GO" env GOMODCACHE)" "$R/root/go/pkg/" 2>/dev/null
    local steps=regress; [ "$STEPS" = all ] && steps=
    chroot "$R" bash -lc "cd /src/pg_background && make -s COPT=-Werror && make -s install &&
        PGBG_TEST_STEPS=$steps PGBG_TEST_PORT=$((54500 + NN)) bash scripts/test.sh" >>"$log" 2>&1
    rc=$?
    chroot_mounts down "$R"
    local version summary
    version=$(chroot "$R" /usr/lib/postgresql/$NN/bin/pg_config --version 2>/dev/null)
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "$version: ok (${summary:-built}; $STEPS steps, $((SECONDS - t0)) s)"
    else
        echo "$version: FAILED (${summary:-build failed}; see $log)"
    fi
    return $rc
}

# interrupted: leave no chroot mounted
cleanup() { for NN in "${MAJORS[@]}"; do [ -d "$DIR/pg$NN" ] && chroot_mounts down "$DIR/pg$NN"; done; }
trap cleanup EXIT

failed=0
for NN in "${MAJORS[@]}"; do
    run_major "$NN" || failed=$((failed + 1))
done
exit $((failed > 0))

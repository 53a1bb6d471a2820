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
command -v mmdebstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
GO=$(command -v go || echo /usr/local/go/bin/go)
GOROOT=$("$GO" env GOROOT)
mkdir -p "$DIR"

mounts() {  # mounts up|down R
    local R=$2
    if [ "$1" = up ]; then
        for d in proc sys dev dev/pts; do mountpoint -q "$R/$d" || mount --bind "/$d" "$R/$d"; done
        mountpoint -q "$R/usr/local/go" || mount --bind -o ro "$GOROOT" "$R/usr/local/go"
        cp /etc/resolv.conf "$R/etc/resolv.conf"
    else
        for d in usr/local/go dev/pts dev sys proc; do mountpoint -q "$R/$d" && umount "$R/$d"; done
    fi
    return 0
}

create() {  # create NN R: a chroot with PostgreSQL NN and what building and testing need
    local NN=$1 R=$2 M SEC S PKGS
    M=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$M" ] || M=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
    SEC=${M%/debian}/debian-security
    PKGS=build-essential,ca-certificates,libipc-run-perl,libkrb5-dev,python3,git
    local -a SRC
    case $NN in
    15) S=bookworm SRC=("deb $M bookworm main" "deb $M bookworm-updates main" "deb $SEC bookworm-security main")
        PKGS=postgresql-15,postgresql-server-dev-15,$PKGS ;;
    17) S=trixie SRC=("deb $M trixie main"); PKGS=postgresql-17,postgresql-server-dev-17,$PKGS ;;
    18) S=sid SRC=("deb $M sid main"); PKGS=postgresql-18,postgresql-server-dev-18,$PKGS ;;
    19) S=sid SRC=("deb $M sid main" "deb $M experimental main")
        PKGS=postgresql-19/experimental,postgresql-server-dev-19/experimental,postgresql-client-19/experimental,libpq5/experimental,libpq-dev/experimental,$PKGS ;;
    *) echo "no chroot recipe for PostgreSQL $NN" >&2; return 1 ;;
    esac
    # sid and experimental Release files can be past Valid-Until
    mmdebstrap --quiet --variant=apt --mode=root --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$PKGS" "$S" "$R.new" "${SRC[@]}" || return 1
    printf '#!/bin/sh\nexit 101\n' >"$R.new/usr/sbin/policy-rc.d"   # no service starts
    chmod +x "$R.new/usr/sbin/policy-rc.d"
    mkdir -p "$R.new/usr/local/go" "$R.new/src"
    cat >"$R.new/etc/profile.d/pgbg-matrix.sh" <<ENV
export PATH=/usr/lib/postgresql/$NN/bin:/usr/local/go/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false PGMAJOR=$NN
export GOPROXY=$("$GO" env GOPROXY)
ENV
    mv "$R.new" "$R"
}

run_major() {  # run_major NN: prints the major's summary line, returns its status
    local NN=$1 R=$DIR/pg$NN log=$DIR/pg$NN.log t0=$SECONDS rc
    if [ ! -d "$R" ]; then
        rm -rf "$R.new"
        create "$NN" "$R" >"$DIR/pg$NN-create.log" 2>&1 ||
            { echo "PostgreSQL $NN: FAILED creating the chroot (see $DIR/pg$NN-create.log)"; return 1; }
    fi
    : >"$log"
    mounts up "$R"
    rm -rf "$R/src/pg_background" && mkdir -p "$R/src/pg_background"
    git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$R/src/pg_background"
    # a Go module cache of the host's, if any, spares the downloads
    [ -d "$("$GO" env GOMODCACHE)" ] && mkdir -p "$R/root/go/pkg" &&
        cp -a "$("$GO" env GOMODCACHE)" "$R/root/go/pkg/" 2>/dev/null
    local steps=regress; [ "$STEPS" = all ] && steps=
    chroot "$R" bash -lc "cd /src/pg_background && make -s COPT=-Werror && make -s install &&
        PGBG_TEST_STEPS=$steps PGBG_TEST_PORT=$((54500 + NN)) bash scripts/test.sh" >>"$log" 2>&1
    rc=$?
    mounts down "$R"
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
cleanup() { for NN in "${MAJORS[@]}"; do [ -d "$DIR/pg$NN" ] && mounts down "$DIR/pg$NN"; done; }
trap cleanup EXIT

failed=0
for NN in "${MAJORS[@]}"; do
    run_major "$NN" || failed=$((failed + 1))
done
exit $((failed > 0))

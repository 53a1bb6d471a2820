#!/bin/bash
# Build the Debian package of pg_background for one PostgreSQL major as a
# Debian build daemon would, and test what it built (run as root):
#   bash scripts/debian-package.sh [MAJOR...]        default: 15 17 18
# For each major (15 bookworm, 17 trixie, 18 sid):
#  1. the release tarball (make dist: git archive + vendored Go modules)
#     becomes pg-background_VERSION.orig.tar.gz, debian/ from this tree;
#  2. in the major's build chroot (scripts/chroot.sh, shared with
#     scripts/matrix.sh) the build dependencies are installed, Debian's own
#     Go for that suite among them, then debian/control is generated for
#     that major (pg_buildext updatecontrol) and dpkg-buildpackage -us -uc
#     runs with no network (unshare -n, loopback only): it builds, and runs
#     the regression suite against the package's files (pg_buildext
#     installcheck);
#  3. lintian checks the result;
#  4. a fresh chroot of the same suite with PostgreSQL only installs the
#     .deb with apt, runs CREATE EXTENSION and the demo, and the package's
#     autopkgtest (debian/tests/installcheck) against the installed files.
# Packages and logs: $PGBG_MATRIX_DIR/debs/NN/.  One line per major.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${PGBG_MATRIX_DIR:-/var/tmp/pgbg-matrix}
MAJORS=("$@"); [ ${#MAJORS[@]} -gt 0 ] || MAJORS=(15 17 18)
. scripts/chroot.sh
export PATH=$PATH:/usr/local/go/bin
APT=(apt-get -o Acquire::Check-Valid-Until=false -q -y --no-install-recommends)

VERSION=$(sed -n 's/^   "version": "\(.*\)",/\1/p' META.json)
DEBVER=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
make -s dist >/dev/null || { echo "make dist failed"; exit 1; }
TARBALL=$PWD/pg_background-$VERSION.tar.gz

cleanup() {
    for NN in "${MAJORS[@]}"; do
        for R in "$DIR/pg$NN" "$DIR/pg$NN-fresh"; do [ -d "$R" ] && chroot_mounts down "$R"; done
    done
}
trap cleanup EXIT

build() {  # build NN R OUT: the packages of major NN into OUT
    local NN=$1 R=$2 OUT=$3 go_pkgs=golang-go src=/build/pg-background-$VERSION
    [ "$NN" = 15 ] && go_pkgs=golang-1.23-go/bookworm-backports
    chroot_mounts up "$R"
    chroot "$R" "${APT[@]}" update >/dev/null &&
    chroot "$R" env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install \
        debhelper fakeroot dpkg-dev lintian postgresql-server-dev-all "$go_pkgs" libkrb5-dev >/dev/null ||
        { echo "installing the build dependencies failed"; return 1; }
    rm -rf "$R/build" && mkdir -p "$R/build"
    cp "$TARBALL" "$R/build/pg-background_$VERSION.orig.tar.gz"
    tar -xzf "$TARBALL" -C "$R/build" && mv "$R/build/pg_background-$VERSION" "$R$src"
    cp -a debian "$R$src/"
    chroot "$R" bash -c "cd $src && PG_SUPPORTED_VERSIONS=$NN pg_buildext updatecontrol" || return 1
    # the build itself sees no network, as on a build daemon
    unshare -n sh -c "ip link set lo up && chroot '$R' bash -c 'cd $src && \
        PG_SUPPORTED_VERSIONS=$NN dpkg-buildpackage -us -uc'" || return 1
    chroot "$R" bash -c "cd /build && lintian --info --pedantic pg-background_${DEBVER}_*.changes" \
        >"$OUT/lintian.log" 2>&1
    cp "$R"/build/*.deb "$R"/build/*.dsc "$R"/build/*.changes "$R"/build/*.debian.tar.* "$OUT/" 2>/dev/null
    chroot_mounts down "$R"
}

installed_test() {  # installed_test NN R OUT: install OUT's .deb into a fresh chroot R and test it
    local NN=$1 R=$2 OUT=$3 deb
    deb=$(ls "$OUT"/postgresql-$NN-pg-background_*.deb | grep -v dbgsym | head -1)
    rm -rf "$R"
    chroot_create "$NN" "$R" minimal >"$OUT/fresh-create.log" 2>&1 || { echo "fresh chroot failed"; return 1; }
    chroot_mounts up "$R"
    mkdir -p "$R/pkg" && cp "$deb" "$R/pkg/"
    chroot "$R" "${APT[@]}" update >/dev/null
    # the package with apt, and what its autopkgtest declares (debian/tests/control)
    chroot "$R" env DEBIAN_FRONTEND=noninteractive "${APT[@]}" install "/pkg/$(basename "$deb")" \
        make postgresql-server-dev-all >/dev/null || { echo "apt install of the package failed"; return 1; }
    chroot "$R" dpkg -L "postgresql-$NN-pg-background" | grep -E '\.so$|\.control$'
    chroot_copy_tree "$R" /src/pg_background
    cp -a debian "$R/src/pg_background/"
    # CREATE EXTENSION and the demo's SQL on a throwaway cluster
    chroot "$R" bash -c "cd /src/pg_background && pg_virtualenv -v $NN -o max_worker_processes=32 \
        psql -X -v ON_ERROR_STOP=1 -f scripts/demo.sql" || return 1
    # the autopkgtest, against the installed package
    chroot "$R" bash -c "cd /src/pg_background && debian/tests/installcheck" || return 1
    chroot_mounts down "$R"
}

failed=0
for NN in "${MAJORS[@]}"; do
    OUT=$DIR/debs/$NN
    rm -rf "$OUT" && mkdir -p "$OUT"
    R=$DIR/pg$NN
    if [ ! -d "$R" ]; then
        chroot_create "$NN" "$R" >"$OUT/build-create.log" 2>&1 ||
            { echo "PostgreSQL $NN: FAILED creating the build chroot"; failed=$((failed + 1)); continue; }
    fi
    t0=$SECONDS
    if ! build "$NN" "$R" "$OUT" >"$OUT/build.log" 2>&1; then
        echo "PostgreSQL $NN: FAILED building the package (see $OUT/build.log)"
        failed=$((failed + 1)); chroot_mounts down "$R"; continue
    fi
    tags=$(grep -cE '^[EW]: ' "$OUT/lintian.log")
    if ! installed_test "$NN" "$DIR/pg$NN-fresh" "$OUT" >"$OUT/installed.log" 2>&1; then
        echo "PostgreSQL $NN: FAILED testing the installed package (see $OUT/installed.log)"
        failed=$((failed + 1)); continue
    fi
    echo "PostgreSQL $NN: ok ($(cd "$OUT" && ls postgresql-$NN-pg-background_*.deb | grep -v dbgsym)," \
        "built offline and installchecked, installed in a fresh $(chroot_suite "$NN") chroot and tested;" \
        "lintian errors+warnings: $tags; $((SECONDS - t0)) s)"
done
exit $((failed > 0))

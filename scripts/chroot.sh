# Debian chroots with one PostgreSQL major each, shared by scripts/matrix.sh
# and scripts/debian-package.sh (sourced, not run).  Needs root and
# mmdebstrap.  Recipes: 15 bookworm, 17 trixie, 18 sid, 19 experimental.

command -v mmdebstrap >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
CHROOT_GO=$(command -v go || echo /usr/local/go/bin/go)

chroot_mirror() {  # the Debian mirror the host's apt sources name
    local M
    M=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$M" ] || M=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
    echo "${M:-http://deb.debian.org/debian}"
}

chroot_suite() {  # chroot_suite NN: the Debian suite that has PostgreSQL NN
    case $1 in 15) echo bookworm ;; 17) echo trixie ;; 18|19) echo sid ;; *) return 1 ;; esac
}

# chroot_create NN R [minimal]: a chroot at R with PostgreSQL NN and, unless
# minimal, what building and testing need (headers, compilers, IPC::Run).
# A minimal one has the server only: a machine the package is installed on.
chroot_create() {
    local NN=$1 R=$2 minimal=${3:-} M SEC S PKGS
    local -a SRC
    M=$(chroot_mirror)
    SEC=${M%/debian}/debian-security
    S=$(chroot_suite "$NN") || { echo "no chroot recipe for PostgreSQL $NN" >&2; return 1; }
    case $NN in
    15) SRC=("deb $M bookworm main" "deb $M bookworm-updates main" "deb $SEC bookworm-security main" "deb $M bookworm-backports main")
        PKGS=postgresql-15 ;;
    17) SRC=("deb $M trixie main"); PKGS=postgresql-17 ;;
    18) SRC=("deb $M sid main"); PKGS=postgresql-18 ;;
    19) SRC=("deb $M sid main" "deb $M experimental main")
        PKGS=postgresql-19/experimental,postgresql-client-19/experimental,libpq5/experimental ;;
    esac
    [ -n "$minimal" ] || PKGS=$PKGS,${PKGS//postgresql-$NN/postgresql-server-dev-$NN},build-essential,ca-certificates,libipc-run-perl,libkrb5-dev,python3,git
    [ "$NN" = 19 ] && [ -z "$minimal" ] && PKGS=$PKGS,libpq-dev/experimental
    rm -rf "$R.new"
    # sid and experimental Release files can be past Valid-Until
    mmdebstrap --quiet --variant=apt --mode=root --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$PKGS" "$S" "$R.new" "${SRC[@]}" || return 1
    printf '#!/bin/sh\nexit 101\n' >"$R.new/usr/sbin/policy-rc.d"   # no service starts
    chmod +x "$R.new/usr/sbin/policy-rc.d"
    echo 'Acquire::Check-Valid-Until "false";' >"$R.new/etc/apt/apt.conf.d/99pgbg-valid-until"
    mkdir -p "$R.new/usr/local/go" "$R.new/src"
    cat >"$R.new/etc/profile.d/pgbg-matrix.sh" <<ENV
export PATH=/usr/lib/postgresql/$NN/bin:/usr/local/go/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false PGMAJOR=$NN
export GOPROXY=$("$CHROOT_GO" env GOPROXY)
ENV
    mv "$R.new" "$R"
}

# chroot_mounts up|down R [go]: proc, sys, dev (and the host's Go, read-only,
# at /usr/local/go with "go"); always "down" when done.
chroot_mounts() {
    local R=$2 d
    if [ "$1" = up ]; then
        for d in proc sys dev dev/pts; do mountpoint -q "$R/$d" || mount --bind "/$d" "$R/$d"; done
        if [ "${3:-}" = go ] && ! mountpoint -q "$R/usr/local/go"; then
            mount --bind -o ro "$("$CHROOT_GO" env GOROOT)" "$R/usr/local/go"
        fi
        cp /etc/resolv.conf "$R/etc/resolv.conf"
    else
        for d in usr/local/go dev/pts dev sys proc; do
            mountpoint -q "$R/$d" && umount "$R/$d"
        done
    fi
    return 0
}

# chroot_copy_tree R DEST: this tree (what git tracks and does not ignore) into R/DEST
chroot_copy_tree() {
    rm -rf "${1:?}$2" && mkdir -p "$1$2"
    git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$1$2"
}

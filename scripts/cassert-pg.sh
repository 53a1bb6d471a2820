#!/bin/bash
# Build an assert-enabled PostgreSQL 15 (--enable-cassert, upstream source)
# into PREFIX, to run the test command against it:
#   bash scripts/cassert-pg.sh [PREFIX]          # default /opt/pg15-cassert
#   git clone . /tmp/c && cd /tmp/c && PATH=PREFIX/bin:$PATH bash scripts/test.sh
# The source is Debian bookworm's postgresql-15 source package (15.18 in
# bookworm main; bookworm-security's newer source was not downloadable),
# fetched with a private apt configuration (the host's apt sources are not
# touched).  The upstream .orig tarball is built, not the Debian-patched
# tree: Debian's per-version-dirs patch would install into the host's
# /usr/lib/postgresql/15.  About 4-5 minutes on 2 cores; run as root.
set -euo pipefail
PREFIX=${1:-/opt/pg15-cassert}
WORK=${PGBG_CASSERT_SRC:-/var/tmp/pgbg-pgsrc}
DEBVER=15.18-0+deb12u1
SRC=$WORK/postgresql-15.18
A=$WORK/apt
MIRROR=http://deb.debian.org/debian

mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/state" "$A/parts" "$A/prefs"
cat >"$A/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main
SRC
cat >"$A/apt.conf" <<CONF
Dir::Etc::sourcelist "$A/sources.list";
Dir::Etc::sourceparts "$A/parts";
Dir::Etc::preferencesparts "$A/prefs";
Dir::State "$A/state";
Dir::State::lists "$A/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$A/cache";
CONF
cd "$WORK"
if [ ! -f postgresql-15_15.18.orig.tar.bz2 ]; then
    APT_CONFIG=$A/apt.conf apt-get update -qq
    APT_CONFIG=$A/apt.conf apt-get source -qq --download-only "postgresql-15=$DEBVER"
fi
[ -d "$SRC" ] || tar xjf postgresql-15_15.18.orig.tar.bz2

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    bison flex libreadline-dev zlib1g-dev libxml2-dev libipc-run-perl build-essential >/dev/null

cd "$SRC"
[ -f config.status ] || ./configure -q --prefix="$PREFIX" --enable-cassert --enable-debug \
    --enable-tap-tests --without-icu --with-zlib --with-libxml CFLAGS='-O1 -g'
make -s -j"$(nproc)"
make -s install
make -s -C contrib/dblink install          # the benchmark's reference
make -s -C src/test/isolation install      # pg_isolation_regress for PGXS
"$PREFIX/bin/pg_config" --configure | grep -q -- --enable-cassert
echo "assert-enabled PostgreSQL $("$PREFIX/bin/pg_config" --version) in $PREFIX"

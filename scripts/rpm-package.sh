#!/bin/bash
# The PGDG-style RPM of pg_background, as far as this Debian machine goes:
# parse the spec (rpmspec -P) and build the source RPM (rpmbuild -bs) from
# the release tarball, for each PostgreSQL major:
#   bash scripts/rpm-package.sh [MAJOR...]        default: 15 17 18
# (The binary RPM needs a PGDG/RHEL build root: rpmbuild --rebuild the
# SRPM there with --define 'pgmajorversion NN'.)  SRPMs: $PGBG_RPM_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${PGBG_RPM_DIR:-/var/tmp/pgbg-rpm}
MAJORS=("$@"); [ ${#MAJORS[@]} -gt 0 ] || MAJORS=(15 17 18)
command -v rpmbuild >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rpm >/dev/null; }
export PATH=$PATH:/usr/local/go/bin
make -s dist >/dev/null
VERSION=$(sed -n 's/^   "version": "\(.*\)",/\1/p' META.json)
rm -rf "$OUT" && mkdir -p "$OUT/SOURCES"
cp "pg_background-$VERSION.tar.gz" "$OUT/SOURCES/"
for NN in "${MAJORS[@]}"; do
    spec_version=$(rpmspec -q --qf '%{VERSION}\n' --define "pgmajorversion $NN" pg_background.spec | head -1)
    [ "$spec_version" = "$VERSION" ] || { echo "spec version $spec_version, META.json $VERSION"; exit 1; }
    parsed=$(rpmspec -P --define "pgmajorversion $NN" pg_background.spec)
    grep -q "BuildRequires:.*postgresql$NN-devel" <<<"$parsed" || { echo "spec does not build for $NN"; exit 1; }
    rpmbuild -bs --quiet --define "_topdir $OUT" --define "pgmajorversion $NN" pg_background.spec >/dev/null
    srpm=$(ls "$OUT"/SRPMS/pg_background_$NN-"$VERSION"-*.src.rpm)
    files=$(rpm -qpl "$srpm")
    grep -q "pg_background-$VERSION.tar.gz" <<<"$files" || { echo "$srpm lacks the tarball"; exit 1; }
    echo "PostgreSQL $NN: $(basename "$srpm") (spec parsed, source RPM built)"
done

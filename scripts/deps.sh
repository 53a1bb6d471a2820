#!/bin/bash
# Install what building and testing pg_background needs on Debian bookworm,
# skipping what is already there.  Safe to run again.
set -euo pipefail
PGMAJOR=${PGMAJOR:-15}
need=()
for p in postgresql-$PGMAJOR postgresql-server-dev-$PGMAJOR \
         libkrb5-dev libipc-run-perl build-essential python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
# dblink (the benchmark's reference) ships with the server package on
# Debian; postgresql-contrib is the metapackage that guarantees it
[ -f "/usr/lib/postgresql/$PGMAJOR/lib/dblink.so" ] || need+=(postgresql-contrib)
if [ ${#need[@]} -gt 0 ]; then
    echo "deps: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
    echo "deps: Go toolchain not found (expected go on PATH or /usr/local/go/bin/go)" >&2
    exit 1
fi

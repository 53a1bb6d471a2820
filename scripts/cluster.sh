#!/bin/bash
# A throwaway PostgreSQL cluster on a unix socket, run as the postgres user.
#   cluster.sh start DIR PORT   initdb + start; prints nothing on success
#   cluster.sh stop DIR         stop (fast) and remove DIR
# Clients connect with PGHOST=DIR/sock PGPORT=PORT PGUSER=postgres.
# PGBG_EXTRA_CONF: more postgresql.conf lines.
set -euo pipefail
BINDIR=$(pg_config --bindir)
cmd=$1 dir=$2
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
start)
    port=$3
    mkdir -p "$dir/sock"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    as_pg "$BINDIR/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir/sock'
max_worker_processes = 32
max_parallel_workers = 8
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] %b '
deadlock_timeout = 200ms
${PGBG_EXTRA_CONF:-}
CONF
    as_pg "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac

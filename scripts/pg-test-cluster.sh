#!/bin/sh
# pg-test-cluster.sh: a throwaway PostgreSQL cluster for the tests.
#   scripts/pg-test-cluster.sh start DIR   initdb in DIR/data and start it
#   scripts/pg-test-cluster.sh stop DIR    stop it and remove DIR
# The server listens on a Unix socket in DIR only (no TCP port, so parallel
# runs and other clusters on the machine cannot collide) and keeps fsync and
# synchronous_commit on: the tests check durability, so the cluster must be
# as durable as a real one. As root the server runs as the postgres user
# (PostgreSQL refuses to run as root) and DIR is handed to it. Clients:
# `psql -h DIR -U postgres`, URI postgresql:///NAME?host=DIR&user=postgres.
# Every wait is bounded (pg_ctl -t).
set -eu
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 dir=$2

# the newest PostgreSQL installed (Debian: /usr/lib/postgresql/VERSION/bin)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || {
    echo "pg-test-cluster: no /usr/lib/postgresql/*/bin/initdb (scripts/deps.sh installs postgresql)" >&2; exit 1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    as_pg "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # max_connections: each server under test holds a writer and a pool of
    # readers, and some tests run several servers at once
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "-k $dir -c listen_addresses='' \
-c max_connections=300 -c fsync=on -c synchronous_commit=on -c shared_buffers=64MB" start >/dev/null || {
        cat "$dir/log" >&2; exit 1; }
    ;;
stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*) usage ;;
esac

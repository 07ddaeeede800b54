#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests and benchmarks.
#   tests/pg/cluster.sh start STATE   initdb into a fresh temporary directory, start the server
#                                     listening only on a Unix socket in that directory, print
#                                     the connection URI (also written to STATE.uri)
#   tests/pg/cluster.sh stop STATE    stop it and delete the directory
#   tests/pg/cluster.sh restart STATE stop and start the same cluster (same data, same URI)
#   tests/pg/cluster.sh pause|resume STATE   only stop, or only start it again (a database outage)
# The server refuses to run as root, and CI runs as root: then the cluster belongs to the
# unprivileged user nobody (runuser). Trust authentication is safe here because the socket
# directory is the cluster's own, created with mktemp.
set -eu
cmd=${1:?start|stop|restart}
state=${2:?state file}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
start_server() {
    local dir=$1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
            -c max_connections=200 -c shared_buffers=64MB" start >/dev/null
}
case $cmd in
start)
    [ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries in $bin (apt-get install postgresql)" >&2; exit 1; }
    mkdir -p "$(dirname "$state")"
    dir=$(mktemp -d /tmp/dms-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown nobody "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U dms --auth=trust --no-locale -E UTF8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    start_server "$dir" || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir" >"$state"
    uri="postgresql://dms@/postgres?host=$dir&port=5432"
    echo "$uri" >"$state.uri"
    echo "$uri"
    ;;
stop)
    [ -f "$state" ] || exit 0
    dir=$(cat "$state")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$state" "$state.uri"
    ;;
restart)
    dir=$(cat "$state")
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    start_server "$dir"
    ;;
pause)
    as_owner "$bin/pg_ctl" -D "$(cat "$state")/data" -m fast -w stop >/dev/null
    ;;
resume)
    start_server "$(cat "$state")"
    ;;
*)
    echo "usage: $0 start|stop|restart|pause|resume STATE" >&2
    exit 2
    ;;
esac

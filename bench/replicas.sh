#!/usr/bin/env bash
# Two-replica load run on PostgreSQL: one `dmsrate serve` alone, then two
# replicas on the same database with wrk against both at once, on a route
# that reads the store (GET /v1/register?limit=20 with an HR key, 200 people
# in the register) and on the keyed no-op of the store (the key check alone:
# GET /v1/employer). Prints requests/s and p99 for one replica and for two.
# Needs DMS_TEST_PG_URI (make bench starts a throwaway cluster); skipped
# without it.
#
#   bench/replicas.sh   (env: DMS_BIN, DMS_TEST_PG_URI, LOAD_SECONDS, LOAD_CONNECTIONS, SERVE_THREADS)
set -euo pipefail
bin=${DMS_BIN:-build/dmsrate}
seconds=${LOAD_SECONDS:-5}
connections=${LOAD_CONNECTIONS:-8}
if [ -z "${DMS_TEST_PG_URI:-}" ]; then
    echo "replicas.sh: no DMS_TEST_PG_URI (make bench starts a PostgreSQL cluster); skipped"
    exit 0
fi
command -v wrk >/dev/null || { echo "replicas.sh: wrk is not installed (make deps); skipped"; exit 0; }
command -v psql >/dev/null || { echo "replicas.sh: psql is not installed; skipped"; exit 0; }

work=$(mktemp -d /tmp/dms-replicas-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# A fresh database on the cluster, its URI with the same host and options.
name="dms_bench_$$"
psql -q "$DMS_TEST_PG_URI" -c "CREATE DATABASE $name" >/dev/null
db=$(printf '%s' "$DMS_TEST_PG_URI" | sed "s#\(://[^/?]*\)/[^?]*#\1/$name#")

"$bin" employers create --name "Нагрузка" --db "$db" >/dev/null 2>&1
"$bin" enrol import --employer 1 --policy examples/policies/midsize-2026.json \
    --census examples/census/midsize-450.csv --db "$db" >/dev/null 2>&1
key=$("$bin" keys create --role hr --employer 1 --db "$db" 2>/dev/null)
{
    echo "Действие;Дата действия;Номер полиса;Табельный номер;ФИО;Подразделение;Программа"
    for i in $(seq 1 200); do echo "прикрепить;01.01.2026;L-$i;E$i;Сотрудник $i;Отдел $((i % 5));young"; done
} >"$work/register.csv"

# Started in this shell, not in a $( ) subshell, so that cleanup sees the
# pids and stops the replicas when the run ends.
start() {
    "$bin" serve --listen 127.0.0.1:0 --tariffs tariffs --models models --db "$db" \
        --today 2025-11-20 --threads "${SERVE_THREADS:-4}" >"$work/stdout$1" 2>/dev/null &
    pids+=($!)
}
url_of() {
    for _ in $(seq 100); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/stdout$1")
        [ -n "$url" ] && { echo "${url%/}"; return; }
        sleep 0.1
    done
    echo "replicas.sh: a replica did not start" >&2
    exit 1
}
start a
start b
a=$(url_of a)
b=$(url_of b)
curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: text/csv' \
    --data-binary @"$work/register.csv" "$a/v1/register?file=load.csv"

cat >"$work/report.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $key"
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
               + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.3f %d\n", summary.requests / (summary.duration / 1e6),
                         latency:percentile(99) / 1000, errors))
end
LUA
run() { # url route connections -> "rps p99 errors"
    wrk -t1 -c"$3" -d"${seconds}s" --timeout 30s -s "$work/report.lua" "$1$2" 2>&1 |
        sed -n 's/^RESULT //p'
}
for route in "/v1/register?limit=20" "/v1/employer"; do
    read -r one p99 e1 < <(run "$a" "$route" "$connections")
    run "$a" "$route" $((connections / 2)) >"$work/ra" &
    first=$!
    run "$b" "$route" $((connections / 2)) >"$work/rb"
    wait "$first" # not a bare wait: the replicas are this shell's children too
    read -r ra pa ea <"$work/ra"
    read -r rb pb eb <"$work/rb"
    two=$(awk -v x="$ra" -v y="$rb" 'BEGIN { printf "%.1f", x + y }')
    printf '  GET %-24s one replica %8.1f req/s p99 %7.2f ms | two replicas %8.1f req/s (%.1f + %.1f) p99 %.2f / %.2f ms  errors %d/%d/%d\n' \
        "$route" "$one" "$p99" "$two" "$ra" "$rb" "$pa" "$pb" "$e1" "$ea" "$eb"
done
echo "  ($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end; PostgreSQL on the same machine)"

#!/usr/bin/env bash
# Load run of the employee picker routes under wrk (16 connections): the
# offer (GET /v1/me/offer), the draft (PUT /v1/me/election) and the submit
# (POST /v1/me/election/submit) of one employee of the 450-person example
# employer, inside its enrolment window, with GET /healthz as the baseline
# against the same server; prints requests/s and p99 latency for each.
# Every picker request shares the employer's parsed snapshot
# (src/api/employer_snapshot.c) instead of parsing the stored policy and
# census again. The submit of an already-submitted election answers 4xx:
# its latency is still the route's cost, and the count is shown.
#
#   bench/picker_load.sh   (env: DMS_BIN, LOAD_SECONDS, LOAD_THREADS, LOAD_CONNECTIONS, SERVE_THREADS)
set -euo pipefail
bin=${DMS_BIN:-build/dmsrate}
seconds=${LOAD_SECONDS:-5}
threads=${LOAD_THREADS:-2}
connections=${LOAD_CONNECTIONS:-16}
if ! command -v wrk >/dev/null; then
    echo "picker_load.sh: wrk is not installed (make deps); skipped"
    exit 0
fi

work=$(mktemp -d /tmp/dms-picker-load-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/picker.db"
"$bin" employers create --name "ООО Ромашка" --inn 7701234567 --db "$db" >/dev/null 2>&1
"$bin" enrol import --employer 1 --policy examples/policies/midsize-2026.json \
    --census examples/census/midsize-450.csv --db "$db" >/dev/null
key=$("$bin" keys create --role employee --employee 100014 --db "$db" 2>/dev/null)

# Inside the enrolment window of the example policy (2025-11-17 .. 2025-12-12).
"$bin" serve --listen 127.0.0.1:0 --tariffs tariffs --models models --db "$db" \
    --today 2025-11-20 --threads "${SERVE_THREADS:-2}" --rate-limit 0 >"$work/stdout" 2>/dev/null &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/stdout")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "picker_load.sh: the server did not start"; exit 1; }
url=${url%/}

cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %.1f %.3f %d %d\n", summary.requests / seconds,
                         latency:percentile(99) / 1000, summary.requests, summary.errors.status))
end
LUA
route() { # label method path body
    local lua="$work/route.lua"
    {
        echo "wrk.method = \"$2\""
        [ -n "$4" ] && echo "wrk.body = '$4'"
        echo 'wrk.headers["Content-Type"] = "application/json"'
        echo "wrk.headers[\"Authorization\"] = \"Bearer $key\""
        cat "$work/report.lua"
    } >"$lua"
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 30s -s "$lua" "$url$3" \
        >"$work/out" 2>&1
    read -r _ rps p99 n non2xx < <(grep '^RESULT' "$work/out")
    printf '%-34s %10s %12s %10s %10s\n' "$1" "$rps" "$p99" "$n" "$non2xx"
}
printf '%-34s %10s %12s %10s %10s\n' route requests/s "p99 ms" requests "non-2xx"
route "GET /healthz (no-op)" GET /healthz ""
route "GET /v1/me/offer" GET /v1/me/offer ""
route "PUT /v1/me/election (draft)" PUT /v1/me/election '{"options":["family_emergency"]}'
route "POST /v1/me/election/submit" POST /v1/me/election/submit ""
echo "wrk: $threads threads, $connections connections, ${seconds}s per route; server threads ${SERVE_THREADS:-2}"

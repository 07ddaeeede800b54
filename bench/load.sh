#!/usr/bin/env bash
# Load run of `dmsrate serve` with wrk: the group quote for the 450-person
# example (POST /v1/quotes, body examples/requests/quote-midsize-450.json)
# and the no-op route GET /healthz, one after the other against one server,
# printing requests/s and p99 latency for both, their ratio, and the
# server's resident memory (RSS) before and after the run.
#
#   bench/load.sh   (env: DMS_BIN, QUOTE_BODY, LOAD_SECONDS, LOAD_THREADS, LOAD_CONNECTIONS, SERVE_THREADS)
set -euo pipefail
bin=${DMS_BIN:-build/dmsrate}
seconds=${LOAD_SECONDS:-10}
threads=${LOAD_THREADS:-2}
connections=${LOAD_CONNECTIONS:-16}
work_connections=${LOAD_WORK_CONNECTIONS:-4}
if ! command -v wrk >/dev/null; then
    echo "load.sh: wrk is not installed (make deps); skipped"
    exit 0
fi

work=$(mktemp -d /tmp/dms-load-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --tariffs tariffs --models models --db "$work/load.db" \
    --threads "${SERVE_THREADS:-2}" --rate-limit 0 >"$work/stdout" 2>/dev/null &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/stdout")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "load.sh: the server did not start"; exit 1; }
url=${url%/}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# The quote route needs an API key: a broker's, made in the server's database.
key=$("$bin" keys create --role broker --db "$work/load.db" 2>/dev/null)

work_route=/v1/quotes
body=${QUOTE_BODY:-examples/requests/quote-midsize-450.json}
label="POST /v1/quotes (450 people)"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
              -H "Authorization: Bearer $key" --data-binary @"$body" "$url$work_route" || true)
[ "$status" = 200 ] || { echo "load.sh: $work_route with $body answered $status"; exit 1; }

# wrk's Lua hooks: the POST body, and a one-line summary at the end.
cat >"$work/post.lua" <<LUA
local f = io.open("$body", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
               + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.3f %d %d\n", summary.requests / seconds,
                         latency:percentile(99) / 1000, summary.requests, errors))
end
LUA
cat "$work/report.lua" >>"$work/post.lua"

# One load after the other against the same server: the no-op route first
# (the baseline), then the quote twice, so that the RSS after the second
# round shows whether memory keeps growing.
rss_before=$(rss_kb)
wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 30s -s "$work/report.lua" \
    "$url/healthz" >"$work/noop.out" 2>&1
wrk -t"$threads" -c"$work_connections" -d"${seconds}s" --timeout 30s -s "$work/post.lua" \
    "$url$work_route" >"$work/work.out" 2>&1
rss_after=$(rss_kb)
wrk -t"$threads" -c"$work_connections" -d"${seconds}s" --timeout 30s -s "$work/post.lua" \
    "$url$work_route" >"$work/work2.out" 2>&1
rss_after2=$(rss_kb)

read -r work_rps work_p99 work_n work_err < <(sed -n 's/^RESULT //p' "$work/work.out")
read -r noop_rps noop_p99 noop_n noop_err < <(sed -n 's/^RESULT //p' "$work/noop.out")
printf '%-32s %12s %12s %10s %8s\n' route "requests/s" "p99 ms" requests errors
printf '%-32s %12s %12s %10s %8s\n' "$label" "$work_rps" "$work_p99" "$work_n" "$work_err"
printf '%-32s %12s %12s %10s %8s\n' "GET /healthz (no-op)" "$noop_rps" "$noop_p99" "$noop_n" "$noop_err"
awk -v a="$work_rps" -v b="$noop_rps" -v c="$work_p99" -v d="$noop_p99" 'BEGIN {
    printf "ratio: the no-op route serves %.0fx the requests/s of the quote; quote p99 is %.0fx the no-op p99\n", (a > 0 ? b / a : 0), (d > 0 ? c / d : 0) }'
echo "server RSS: before ${rss_before} kB, after one quote round ${rss_after} kB, after two ${rss_after2} kB"
echo "wrk: ${threads} threads, ${connections} connections (quotes: ${work_connections}), ${seconds}s per load; server threads ${SERVE_THREADS:-2}"

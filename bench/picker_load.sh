#!/usr/bin/env bash
# Load run of the employee picker routes under wrk (16 connections) against
# the 450-person example employer inside its enrolment window, with
# GET /healthz as the baseline against the same server: requests/s, p50 and
# p99 latency and the count of non-2xx answers for
#   - GET /v1/me/offer, each connection cycling through its own employees;
#   - PUT /v1/me/election (draft), the same way;
#   - draft + submit pairs: each connection takes its employees in turn, saves
#     the draft (PUT) and submits it (POST .../submit), so every submission
#     is of a draft and does the real work (re-validation, the write and its
#     history line); the pair run prints the draft and the submit apart.
# Each employee's draft is the best set of its recommendation, so it passes
# the checks at submission. Every answer must be 2xx: the run fails if not.
#
# The latency is taken in the wrk script itself (a monotonic clock, from the
# building of a request to the parsing of its answer; one connection per wrk
# thread, so each thread has one request in flight): wrk 4.1's own latency
# figures are not consistent on this machine (with one connection its mean
# latency times its requests exceeds the run's duration), so they are not
# used. The employer is an immutable snapshot shared by the requests
# (src/api/employer_snapshot.c): no request parses the stored policy or
# census; a draft sums the employee's out-of-pocket table kept there, and
# the offer is sent as the JSON text first written for it.
#
#   bench/picker_load.sh   (env: DMS_BIN, LOAD_SECONDS, LOAD_CONNECTIONS, LOAD_EMPLOYEES,
#                           SERVE_THREADS, LOAD_MODES: some of "healthz offer draft pairs")
set -euo pipefail
bin=${DMS_BIN:-build/dmsrate}
seconds=${LOAD_SECONDS:-5}
connections=${LOAD_CONNECTIONS:-16}
employees=${LOAD_EMPLOYEES:-128}
if ! command -v wrk >/dev/null; then
    echo "picker_load.sh: wrk is not installed (make deps); skipped"
    exit 0
fi
if ! command -v jq >/dev/null; then
    echo "picker_load.sh: jq is not installed; skipped"
    exit 0
fi
[ "$employees" -ge "$connections" ] || { echo "picker_load.sh: LOAD_EMPLOYEES < connections"; exit 1; }

work=$(mktemp -d /tmp/dms-picker-load-XXXXXX)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/picker.db"
census=examples/census/midsize-450.csv
"$bin" employers create --name "ООО Ромашка" --inn 7701234567 --db "$db" >/dev/null 2>&1
"$bin" enrol import --employer 1 --policy examples/policies/midsize-2026.json \
    --census "$census" --db "$db" >/dev/null
# One key for each of the first $employees employees: "key employee_id".
grep ',employee,' "$census" | cut -d, -f1 | head -n "$employees" | while read -r id; do
    printf '%s %s\n' "$("$bin" keys create --role employee --employee "$id" --db "$db" 2>/dev/null)" "$id"
done >"$work/keys.txt"
[ "$(wc -l <"$work/keys.txt")" -eq "$employees" ] || { echo "picker_load.sh: keys not made"; exit 1; }

# Inside the enrolment window of the example policy (2025-11-17 .. 2025-12-12).
"$bin" serve --listen 127.0.0.1:0 --tariffs tariffs --models models --db "$db" \
    --today 2025-11-20 --threads "${SERVE_THREADS:-2}" --rate-limit 0 >"$work/stdout" \
    2>"${SERVE_LOG:-/dev/null}" &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/stdout")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "picker_load.sh: the server did not start"; exit 1; }
url=${url%/}

# Each employee's draft body: the options of its recommendation's best set.
# "key employee_id body" lines, two requests at a time.
recommend() {
    local key=$1 id=$2 options
    options=$(curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $key" \
                   -d '{}' "$url/v1/me/recommendation" | jq -c '{options: .best.options}')
    printf '%s %s %s\n' "$key" "$id" "$options"
}
export -f recommend
export url
xargs -P 2 -L 1 bash -c 'recommend "$0" "$1"' <"$work/keys.txt" | sort -k2,2 >"$work/pool.txt"
if [ "$(grep -c '{"options":\[' "$work/pool.txt")" -ne "$employees" ]; then
    echo "picker_load.sh: a recommendation failed"
    exit 1
fi

# The wrk script: MODE (healthz, offer, draft, pairs) and the pool file come as
# arguments. Thread t (of $connections, one connection each) takes the pool's
# lines t, t + T, ...; in the pair mode request 2k is the draft of its k-th
# employee (in turn) and request 2k + 1 its submission, sent only once the
# draft has been answered.
cat >"$work/picker.lua" <<'LUA'
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } dms_timespec;
int clock_gettime(int clk, dms_timespec *ts);
]]
local ts = ffi.new("dms_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads, nthreads = {}, 0
function setup(thread)
  thread:set("id", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local mode, pool, k, sent, kind, fresh = nil, {}, 0, 0, nil, false
lat_a, lat_b, bad, bad_text = {}, {}, 0, ""
function init(args)
  mode = args[1]
  fresh = args[4] == "close"
  local i = 0
  for line in io.lines(args[2]) do
    local key, emp, body = line:match("^(%S+) (%S+) (.*)$")
    if i % tonumber(args[3]) == id then
      table.insert(pool, {key = key, body = body})
    end
    i = i + 1
  end
end

function request()
  local p, req
  if mode == "healthz" then
    kind = "a"
    req = wrk.format("GET", "/healthz", fresh and {["Connection"] = "close"} or nil)
  elseif mode == "pairs" then
    p = pool[math.floor(k / 2) % #pool + 1]
    local hdr = {["Authorization"] = "Bearer " .. p.key, ["Content-Type"] = "application/json"}
    if fresh then hdr["Connection"] = "close" end
    if k % 2 == 0 then
      kind = "a"
      req = wrk.format("PUT", "/v1/me/election", hdr, p.body)
    else
      kind = "b"
      req = wrk.format("POST", "/v1/me/election/submit", hdr, "")
    end
  else
    p = pool[k % #pool + 1]
    local hdr = {["Authorization"] = "Bearer " .. p.key, ["Content-Type"] = "application/json"}
    if fresh then hdr["Connection"] = "close" end
    kind = "a"
    if mode == "offer" then
      req = wrk.format("GET", "/v1/me/offer", hdr)
    else
      req = wrk.format("PUT", "/v1/me/election", hdr, p.body)
    end
  end
  sent = now_us()
  return req
end

-- The next request is chosen once this one is answered: wrk builds a request
-- again when it could not write any of it, and that must not skip a draft.
function response(status, headers, body)
  local us = now_us() - sent
  k = k + 1
  if kind == "a" then table.insert(lat_a, us) else table.insert(lat_b, us) end
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad_text == "" then bad_text = status .. " " .. body:sub(1, 300) end
  end
end

local function pct(t, p)
  if #t == 0 then return 0 end
  return t[math.max(1, math.ceil(#t * p))] / 1000
end

function done(summary, latency, requests)
  local a, b, nbad = {}, {}, 0
  for _, t in ipairs(threads) do
    for _, v in ipairs(t:get("lat_a")) do table.insert(a, v) end
    for _, v in ipairs(t:get("lat_b")) do table.insert(b, v) end
    nbad = nbad + t:get("bad")
    if t:get("bad_text") ~= "" then io.write("NON2XX " .. t:get("bad_text") .. "\n") end
  end
  table.sort(a)
  table.sort(b)
  local seconds = summary.duration / 1e6
  -- RESULT kind requests/s p50 p99 requests non-2xx (non-2xx of the whole run)
  io.write(string.format("RESULT a %.1f %.3f %.3f %d %d\n", #a / seconds, pct(a, 0.5),
                         pct(a, 0.99), #a, nbad))
  if #b > 0 then
    io.write(string.format("RESULT b %.1f %.3f %.3f %d %d\n", #b / seconds, pct(b, 0.5),
                           pct(b, 0.99), #b, nbad))
  end
end
LUA

failed=0
# The server's CPU (user + system, all its threads) in clock ticks: the CPU
# a request costs is steadier than latency on a shared machine.
ticks=$(getconf CLK_TCK)
server_cpu() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
printf '%-40s %10s %9s %9s %9s %8s %9s\n' route requests/s "p50 ms" "p99 ms" requests non-2xx \
    "cpu us/rq"
run() { # mode path keep|close label-a [label-b]
    local cpu0 cpu1 total
    cpu0=$(server_cpu)
    wrk -t"$connections" -c"$connections" -d"${seconds}s" --timeout 30s -s "$work/picker.lua" \
        "$url$2" -- "$1" "$work/pool.txt" "$connections" "$3" >"$work/out" 2>&1 || true
    cpu1=$(server_cpu)
    grep '^NON2XX' "$work/out" | head -n 3 >&2 || true
    grep -q '^RESULT a' "$work/out" || { cat "$work/out"; echo "picker_load.sh: wrk failed"; exit 1; }
    # server CPU per request, over both kinds of a pair run
    total=$(awk '/^RESULT/ {n += $6} END {print n}' "$work/out")
    local per=$(( (cpu1 - cpu0) * 1000000 / ticks / (total > 0 ? total : 1) ))
    while read -r _ which rps p50 p99 n non2xx; do
        local label=$4
        [ "$which" = b ] && label=$5
        printf '%-40s %10s %9s %9s %9s %8s %9s\n' "$label" "$rps" "$p50" "$p99" "$n" "$non2xx" \
            "$per"
        [ "$non2xx" = 0 ] || failed=1
    done < <(grep '^RESULT' "$work/out")
}
modes=" ${LOAD_MODES:-healthz offer draft pairs} "
for conn in ${LOAD_CONNECTION_MODES:-keep close}; do
    if [ "$conn" = keep ]; then
        echo "-- kept connections (HTTP/1.1 keep-alive, as browsers and HTTP libraries do)"
    else
        echo "-- a new connection per request (the client sends Connection: close)"
        # the light lane closes every connection: /healthz was measured so above
        modes=${modes/ healthz / }
    fi
    if [[ $modes == *" healthz "* ]]; then
        run healthz /healthz "$conn" "GET /healthz (no-op; new connection each)"
    fi
    if [[ $modes == *" offer "* ]]; then
        run offer /v1/me/offer "$conn" "GET /v1/me/offer"
    fi
    if [[ $modes == *" draft "* ]]; then
        run draft /v1/me/election "$conn" "PUT /v1/me/election (draft)"
    fi
    if [[ $modes == *" pairs "* ]]; then
        run pairs /v1/me/election "$conn" "  pairs: PUT /v1/me/election (draft)" \
            "  pairs: POST /v1/me/election/submit"
    fi
done
echo "wrk: $connections connections (one per wrk thread), ${seconds}s per run, $employees employees" \
     "(each connection its own); server threads ${SERVE_THREADS:-2}; latency timed in the wrk script"
if [ "$failed" != 0 ]; then
    echo "picker_load.sh: some answers were not 2xx"
    exit 1
fi

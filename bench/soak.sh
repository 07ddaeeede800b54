#!/usr/bin/env bash
# Soak run of `dmsrate serve` (make soak): mixed load for SOAK_SECONDS
# (default 600) against one server — group quotes (broker key), the module
# picker (an employee's offer and recommendation), claims reports (HR key,
# the example register), /healthz, and a crowd of slow clients that send
# their headers a byte at a time and reconnect when the server drops them.
# Prints p99 latency and request counts per route, what happened to the
# slow clients, and the server's resident memory (RSS) at the start, at the
# end and at its peak. Exit status 1 if the server died or a route never
# answered 2xx.
#
#   bench/soak.sh   (env: DMS_BIN, SOAK_SECONDS, SOAK_SLOW (slow connections, 300),
#                    SERVE_THREADS (2))
# Not part of make test: it is a long run by design.
set -euo pipefail
bin=${DMS_BIN:-build/dmsrate}
seconds=${SOAK_SECONDS:-600}
slow=${SOAK_SLOW:-300}
command -v wrk >/dev/null || { echo "soak.sh: wrk is not installed (make deps)"; exit 1; }
command -v python3 >/dev/null || { echo "soak.sh: python3 is needed for the slow clients"; exit 1; }

work=$(mktemp -d /tmp/dms-soak-XXXXXX)
server_pid=
slow_pid=
cleanup() {
    [ -n "$slow_pid" ] && kill "$slow_pid" 2>/dev/null || true
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The sample employer is seeded into the new database; its window is
# Nov-Dec 2025, so today is pinned inside it. The per-key rate limit is off:
# the soak measures the service under load, not its refusals.
"$bin" serve --listen 127.0.0.1:0 --db "$work/soak.db" --today 2025-11-20 --web '' \
    --threads "${SERVE_THREADS:-2}" --rate-limit 0 --header-timeout 10 \
    >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
url=
touch "$work/stdout"
for _ in $(seq 100); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/stdout")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "soak.sh: the server did not start"; cat "$work/server.log"; exit 1; }
url=${url%/}
port=${url##*:}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0; }

broker=$("$bin" keys create --role broker --db "$work/soak.db" 2>/dev/null)
hr=$("$bin" keys create --role hr --db "$work/soak.db" 2>/dev/null)
employee=$("$bin" keys create --role employee --employee 100014 --db "$work/soak.db" 2>/dev/null)

# Request bodies: the 450-person quote, a recommendation, the example claims register.
cp examples/requests/quote-midsize-450.json "$work/quote.json"
echo '{"answers": [{"code": "dental_standard", "priority": 5}], "default_priority": 3, "top_up_limit": 10000, "alternatives": 2}' \
    >"$work/recommend.json"
python3 - "$work/report.json" <<'PY'
import json, sys
body = {"register_csv": open("examples/claims/register-2025.csv", encoding="utf-8").read(),
        "membership_csv": open("examples/claims/membership-2025.csv", encoding="utf-8").read(),
        "period": {"from": "2025-01-01", "to": "2025-12-31"}}
json.dump(body, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
PY

check() { # method path key body -> status
    local args=(-s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3")
    [ -n "$4" ] && args+=(-H 'Content-Type: application/json' --data-binary @"$4")
    curl "${args[@]}" "$url$2" || true
}
for probe in "POST /v1/quotes $broker $work/quote.json" "GET /v1/me/offer $employee " \
             "POST /v1/me/recommendation $employee $work/recommend.json" \
             "POST /v1/reports/utilisation $hr $work/report.json"; do
    read -r m p k b <<<"$probe"
    s=$(check "$m" "$p" "$k" "${b:-}")
    [ "$s" = 200 ] || { echo "soak.sh: $m $p answered $s before the soak"; exit 1; }
done

# One wrk script per route: method, body, key, and a RESULT line at the end.
script() { # name method key [body]
    {
        echo "wrk.method = \"$2\""
        echo "wrk.headers[\"Authorization\"] = \"Bearer $3\""
        if [ -n "${4:-}" ]; then
            echo "local f = io.open(\"$4\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()"
            echo 'wrk.headers["Content-Type"] = "application/json"'
        fi
        cat <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
               + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.3f %d\n", summary.requests,
                         latency:percentile(99) / 1000, errors))
end
LUA
    } >"$work/$1.lua"
}
script quote POST "$broker" "$work/quote.json"
script offer GET "$employee"
script recommend POST "$employee" "$work/recommend.json"
script report POST "$hr" "$work/report.json"
script health GET ""

# The slow crowd: partial headers, a byte a second, reconnect when dropped.
cat >"$work/slow.py" <<'PY'
import socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.time() + seconds
conns, opened, dropped = [], 0, 0
def connect():
    global opened
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    opened += 1
    return [s, False]
conns = [connect() for _ in range(count)]
while time.time() < end:
    for i, c in enumerate(conns):
        s, started = c
        try:
            s.send(b"a" if started else b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            c[1] = True
            s.setblocking(False)
            if s.recv(4096, socket.MSG_PEEK) == b"":
                raise ConnectionError
        except BlockingIOError:
            pass
        except (ConnectionError, OSError):
            dropped += 1
            s.close()
            conns[i] = connect()
    time.sleep(1.0)
print(f"SLOW {opened} {dropped}")
PY
python3 "$work/slow.py" "$port" "$slow" "$seconds" >"$work/slow.out" 2>&1 &
slow_pid=$!

sleep 2
rss_start=$(rss_kb)
rss_peak=$rss_start
wrk_pids=()
run() { # name connections path
    wrk -t1 -c"$2" -d"${seconds}s" --timeout 30s -s "$work/$1.lua" "$url$3" >"$work/$1.out" 2>&1 &
    wrk_pids+=($!)
}
run quote 2 /v1/quotes
run offer 2 /v1/me/offer
run recommend 1 /v1/me/recommendation
run report 1 /v1/reports/utilisation
run health 1 /healthz
end=$(( $(date +%s) + seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
    sleep 5
    kill -0 "$server_pid" 2>/dev/null || { echo "soak.sh: the server died"; tail -5 "$work/server.log"; exit 1; }
    r=$(rss_kb); [ "$r" -gt "$rss_peak" ] && rss_peak=$r
done
for pid in "${wrk_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
wait "$slow_pid" 2>/dev/null || true
slow_pid=
rss_end=$(rss_kb)

failed=0
printf '%-30s %10s %10s %10s\n' route requests "p99 ms" "non-2xx"
for pair in "quote:POST /v1/quotes (450 people)" "offer:GET /v1/me/offer" \
            "recommend:POST /v1/me/recommendation" "report:POST /v1/reports/utilisation" \
            "health:GET /healthz"; do
    name=${pair%%:*}
    read -r n p99 errors < <(sed -n 's/^RESULT //p' "$work/$name.out") || true
    printf '%-30s %10s %10s %10s\n' "${pair#*:}" "${n:-0}" "${p99:-?}" "${errors:-?}"
    [ "${n:-0}" -gt "${errors:-0}" ] || failed=1
done
read -r slow_opened slow_dropped < <(sed -n 's/^SLOW //p' "$work/slow.out") || true
echo "slow clients: ${slow} at a time, ${slow_opened:-?} connections opened, ${slow_dropped:-?} dropped by the server (header deadline 10 s)"
echo "server RSS: start ${rss_start} kB, end ${rss_end} kB, peak ${rss_peak} kB"
echo "soak: ${seconds}s, server threads ${SERVE_THREADS:-2}"
kill -0 "$server_pid" 2>/dev/null || failed=1
exit "$failed"

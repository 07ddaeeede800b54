#!/usr/bin/env bash
# End-to-end tests of the web pages: seeds a temporary database (the sample
# employer, an HR key and employee keys), starts the real `dmsrate serve` on
# a free loopback port, runs e2e.test.mjs (node's test runner driving
# Debian's headless chromium through playwright-core) and always stops the
# server. Screenshots go to build/e2e/screenshots/.
#   tests/e2e/run.sh [path/to/dmsrate]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/dmsrate}
out=build/e2e
mkdir -p "$out/screenshots"
rm -f "$out"/screenshots/*.png

command -v node >/dev/null || { echo "e2e: node is missing (make deps)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "e2e: /usr/bin/chromium is missing (make deps)"; exit 1; }
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
    (cd tests/e2e && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d /tmp/dms_e2e_XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

db=$work/e2e.db
"$bin" enrol import --policy examples/policies/midsize-2026.json \
    --census examples/census/midsize-450.csv --db "$db" >"$out/enrol.log" 2>&1 \
    || { cat "$out/enrol.log"; exit 1; }
key() { "$bin" keys create --db "$db" "$@" 2>>"$out/enrol.log" | tail -1; }
export DMS_E2E_HR_KEY=$(key --role hr)
# A young specialist: 15,000 RUB of credits and a 12,000 RUB top-up cap, so
# some sets of options go over the budget.
export DMS_E2E_EMPLOYEE=100007
export DMS_E2E_EMPLOYEE_KEY=$(key --role employee --employee "$DMS_E2E_EMPLOYEE")
export DMS_E2E_SCREENSHOTS=$PWD/$out/screenshots

# The enrolment window of the sample policy is Nov-Dec 2025: pin today inside it.
"$bin" serve --listen 127.0.0.1:0 --db "$db" --no-seed --today 2025-11-20 \
    --tariffs tariffs --models models --web web >"$work/stdout" 2>"$out/server.log" &
server_pid=$!
url=""
for _ in $(seq 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/stdout" 2>/dev/null || true)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log"; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "e2e: the server did not start"; cat "$out/server.log"; exit 1; }
export DMS_E2E_URL=$url
echo "e2e: server at $url"

cd tests/e2e
timeout 240 node --test --test-concurrency=1 --test-reporter=spec e2e.test.mjs

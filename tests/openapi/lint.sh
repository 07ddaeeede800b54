#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly's OpenAPI 3.1 validator (@redocly/cli,
# pinned in package.json and package-lock.json, installed with `npm ci` from
# the npm registry the first time). Errors fail; style warnings are printed.
#   tests/openapi/lint.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "openapi-lint: node is missing (make deps)"; exit 1; }
if [ ! -x node_modules/.bin/redocly ]; then
    timeout 300 npm ci --no-audit --no-fund --loglevel=error
fi
# No telemetry: the lint must not phone home.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
node_modules/.bin/redocly lint --config redocly.yaml --format=stylish ../../docs/openapi.yaml

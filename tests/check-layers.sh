#!/usr/bin/env bash
# The core (src/core) is pure: it computes from its arguments and never talks
# to the network, the database or the HTTP layer. This check fails when a core
# file includes libmicrohttpd, SQLite, libpq or libcurl, a file of src/api or
# src/store, or one of the public headers those layers implement
# (dms/api*.h, dms/store.h, dms/*_store.h, dms/notify_send.h).
#   tests/check-layers.sh [CORE_DIR]      (default src/core)
# Prints each offending line as file:line: text and exits 1 if any.
set -u
dir=${1:-src/core}
if [ ! -d "$dir" ]; then
    echo "check-layers: no directory $dir" >&2
    exit 2
fi
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*/)?('
pattern+='microhttpd\.h|sqlite3\.h|sqlite3ext\.h|libpq-fe\.h|libpq/[^>"]*|postgresql/[^>"]*|curl/[^>"]*'
pattern+='|[^>"]*(src/)?(api|store)/[^>"]*'
pattern+='|dms/api[^/>"]*\.h|dms/store\.h|dms/[^/>"]*_store\.h|dms/notify_send\.h'
pattern+=')[>"]'
bad=$(grep -rnE --include='*.c' --include='*.h' "$pattern" "$dir")
if [ -n "$bad" ]; then
    echo "check-layers: the core must not include the HTTP, store or network layers:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check-layers: $dir is pure ($(find "$dir" -name '*.[ch]' | wc -l) files)"

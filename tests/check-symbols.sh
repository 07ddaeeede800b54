#!/usr/bin/env bash
# Every symbol the libraries export carries the dms_ prefix, so that linking
# libdms.a into another program cannot collide with that program's names
# (csv_init, reg_days, ...). Anything internal to one file is static; anything
# shared between files of one module is named dms_<module>_<what>.
#   tests/check-symbols.sh LIB.a [LIB.a ...]
# Prints each offending object:symbol and exits 1 if any.
set -u
if [ $# -eq 0 ]; then
    echo "usage: tests/check-symbols.sh LIB.a ..." >&2
    exit 2
fi
status=0
for lib in "$@"; do
    if [ ! -f "$lib" ]; then
        echo "check-symbols: no library $lib" >&2
        exit 2
    fi
    # nm -A prints "lib:object:address type name"; only defined, global names.
    # The sanitizers' own bookkeeping symbols (__odr_asan.dms_x, __asan_*,
    # __ubsan_*, __sancov_*) are the compiler's, not ours.
    bad=$(nm -g --defined-only -A "$lib" 2>/dev/null | awk 'NF >= 3 && $NF !~ /^dms_/ && $NF !~ /^__(odr_asan|asan|ubsan|sancov|sanitizer)/ {sub(/:[0-9a-f]*$/, "", $1); print $1 ": " $NF}')
    if [ -n "$bad" ]; then
        echo "check-symbols: $lib exports names without the dms_ prefix:" >&2
        echo "$bad" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-symbols: every exported name of $* starts with dms_"
exit $status

#!/usr/bin/env bash
# Runs every test program of one build (optionally under $TEST_WRAPPER, e.g.
# valgrind) and every fuzz target's corpus replay, then prints the summary
# line "N passed, N failed". Exit status 1 if anything failed.
#   tests/run-tests.sh BUILD_DIR "TEST_BINS" "REPLAY_BINS"
set -u
build=$1
tests=$2
replays=$3
passed=0
failed=0
failed_names=""
for t in $tests; do
    name=$(basename "$t")
    log="$build/tests/$name.log"
    if ${TEST_WRAPPER:-} "$t" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS $name$(grep -o '\[  PASSED  \] [0-9]* test' "$log" | tail -1 | sed 's/\[  PASSED  \]/ /')"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        echo "FAIL $name (log: $log)"
        tail -30 "$log"
    fi
done
# The store tests once more against PostgreSQL, when a test cluster is up (make check starts one).
if [ -n "${DMS_TEST_PG_URI:-}" ]; then
    for name in $(grep -v '^#' tests/pg/backends); do
        t="$build/tests/$name"
        case " $tests " in *" $t "*) ;; *) continue ;; esac
        log="$build/tests/$name.pg.log"
        if DMS_TEST_STORE=postgresql ${TEST_WRAPPER:-} "$t" >"$log" 2>&1; then
            passed=$((passed + 1))
            echo "PASS $name [postgresql]$(grep -o '\[  PASSED  \] [0-9]* test' "$log" | tail -1 | sed 's/\[  PASSED  \]/ /')"
        else
            failed=$((failed + 1))
            failed_names="$failed_names $name[postgresql]"
            echo "FAIL $name [postgresql] (log: $log)"
            tail -30 "$log"
        fi
    done
else
    echo "no DMS_TEST_PG_URI: the PostgreSQL pass of the store tests is skipped"
fi
for r in $replays; do
    name=$(basename "$r")
    corpus="tests/fuzz/corpus/$name"
    log="$build/replay/$name.log"
    if ${TEST_WRAPPER:-} "$r" "$corpus" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS replay $name ($(ls "$corpus" 2>/dev/null | wc -l) inputs)"
    else
        failed=$((failed + 1))
        failed_names="$failed_names replay-$name"
        echo "FAIL replay $name (log: $log)"
        tail -30 "$log"
    fi
done
echo "$build: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "failed:$failed_names"; exit 1; }

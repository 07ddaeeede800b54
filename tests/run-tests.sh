#!/usr/bin/env bash
# Runs every test program of one build (optionally under $TEST_WRAPPER, e.g.
# valgrind) and every fuzz target's corpus replay, then prints the summary
# line "N passed, N failed". Exit status 1 if anything failed.
#   tests/run-tests.sh BUILD_DIR "TEST_BINS" "REPLAY_BINS"
#
# Programs run TEST_JOBS at a time (default: the number of cores), since a
# valgrind pass is single-threaded and would leave the other core idle. The
# tests that measure time against a live server (slow clients, deadlines,
# SIGKILL during writes, the SMTP retry, PostgreSQL restarts) run alone first, so a neighbour's
# load cannot make them flaky. Results print in the order given.
set -u
build=$1
tests=$2
replays=$3
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
serial_pattern='^test_(server_|durability|notify_smtp|replica|store_pg)'
status_dir=$(mktemp -d "${TMPDIR:-/tmp}/dms_run_tests_XXXXXX")
trap 'rm -rf "$status_dir"' EXIT

# run_one KIND PATH: runs one program, leaves its exit status in status_dir.
run_one() {
    local kind=$1 path=$2 name log
    name=$(basename "$path")
    if [ "$kind" = test ]; then
        log="$build/tests/$name.log"
        ${TEST_WRAPPER:-} "$path" >"$log" 2>&1
    else
        log="$build/replay/$name.log"
        ${TEST_WRAPPER:-} "$path" "tests/fuzz/corpus/$name" >"$log" 2>&1
    fi
    echo $? >"$status_dir/$kind-$name"
}

serial=""
parallel=""
for t in $tests; do
    if [[ $(basename "$t") =~ $serial_pattern ]]; then serial="$serial $t"; else parallel="$parallel $t"; fi
done
for t in $serial; do run_one test "$t"; done
running=0
for item in $(for t in $parallel; do echo "test:$t"; done; for r in $replays; do echo "replay:$r"; done); do
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "${item%%:*}" "${item#*:}" &
    running=$((running + 1))
done
wait

passed=0
failed=0
failed_names=""
for t in $tests; do
    name=$(basename "$t")
    log="$build/tests/$name.log"
    if [ "$(cat "$status_dir/test-$name" 2>/dev/null)" = 0 ]; then
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
    if [ "$(cat "$status_dir/replay-$name" 2>/dev/null)" = 0 ]; then
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

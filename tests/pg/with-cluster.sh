#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster (tests/pg/cluster.sh) up, its admin URI in
# DMS_TEST_PG_URI and its state file in DMS_TEST_PG_STATE (for tests that restart it), and
# removes the cluster afterwards whatever the command did.
#   tests/pg/with-cluster.sh STATE COMMAND [ARGS...]
set -u
state=$1.$$ # one cluster per run, even for two runs on one build directory
shift
here=$(dirname "$0")
uri=$("$here/cluster.sh" start "$state") || { echo "cannot start the PostgreSQL test cluster" >&2; exit 1; }
trap '"$here/cluster.sh" stop "$state"' EXIT
DMS_TEST_PG_URI=$uri DMS_TEST_PG_STATE=$state "$@"

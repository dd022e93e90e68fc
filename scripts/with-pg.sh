#!/bin/sh
# with-pg.sh CMD...: runs CMD with a throwaway PostgreSQL cluster
# (scripts/pg-test-cluster.sh) whose socket directory is in OPSTASKS_TEST_PG,
# which the API tests (tests/api/conftest.py) and the unit tests
# (tests/unit/backends.c) read to run on PostgreSQL. The cluster is stopped
# and removed whatever CMD does (exit, failure, Ctrl-C); exits with CMD's code.
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/opstasks-pg-XXXXXX) || exit 1
cleanup() { "$here/pg-test-cluster.sh" stop "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$here/pg-test-cluster.sh" start "$dir" || exit 1
export OPSTASKS_TEST_PG="$dir"
"$@"
rc=$?
exit $rc

#!/bin/sh
# it_dbi_pg.sh - the dbi layer's behaviour suite (tests/test_dbi.c, which
# make unit runs on SQLite) run again on a PostgreSQL 15 of the test's own.
set -eu
. tests/lib.sh
t="$BUILD/tests/test_dbi"
[ -x "$t" ] || make -s BUILD="$BUILD" "$t" >/dev/null
pg_start
check "BACKAD_TEST_PG='$pg_url' '$t' >'$tmp/out' 2>&1" "test_dbi on PostgreSQL"
[ "$fail" -eq 0 ] || cat "$tmp/out"
n=$(grep -c 'cmocka_unit_test_setup_teardown(' tests/test_dbi.c)
check "grep -q 'PASSED.* $n test' '$tmp/out'" "all $n tests passed on PostgreSQL"
check "! grep -q SKIPPED '$tmp/out'" "nothing skipped on PostgreSQL (the lost connection too)"
finish

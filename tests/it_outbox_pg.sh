#!/bin/sh
# it_outbox_pg.sh - the outbox's unit suites (claims of several daemons at
# once, leases taken over, recovery, delivery reports, journal events;
# tests/test_outbox.c, test_dlr.c, test_observe.c, test_digest.c, which make
# unit runs on SQLite) run again on a PostgreSQL 15 of the test's own.
set -eu
. tests/lib.sh
suites="test_outbox test_dlr test_observe test_digest"
for s in $suites; do
	[ -x "$BUILD/tests/$s" ] || make -s BUILD="$BUILD" "$BUILD/tests/$s" >/dev/null
done
pg_start
for s in $suites; do
	t="$BUILD/tests/$s"
	check "BACKAD_TEST_PG='$pg_url' '$t' >'$tmp/$s.out' 2>&1" "$s on PostgreSQL"
	n=$(grep -c 'cmocka_unit_test[a-z_]*(' "tests/$s.c")
	check "grep -q 'PASSED.* $n test' '$tmp/$s.out'" "all $n tests of $s passed on PostgreSQL"
	check "! grep -q SKIPPED '$tmp/$s.out'" "nothing of $s skipped on PostgreSQL"
	[ "$fail" -eq 0 ] || { cat "$tmp/$s.out"; break; }
done
finish

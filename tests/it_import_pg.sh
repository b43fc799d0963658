#!/bin/sh
# it_import_pg.sh - the CSV import, the full import and the SS 12000 staging
# and apply (tests/test_import.c, tests/test_ss12000.c, which make unit runs
# on SQLite) run again on a PostgreSQL 15 of the test's own; every test
# passes there, none is skipped, and each test's final facts (by natural
# keys, tests/fact_state.h) are the same on both engines, line for line.
set -eu
. tests/lib.sh
pg_start
for b in test_import test_ss12000; do
	t="$BUILD/tests/$b"
	[ -x "$t" ] || make -s BUILD="$BUILD" "$t" >/dev/null
	mkdir -p "$tmp/sqlite" "$tmp/pg"
	check "BACKAD_TEST_STATE='$tmp/sqlite' '$t' >'$tmp/$b.sqlite' 2>&1" "$b on SQLite"
	check "BACKAD_TEST_STATE='$tmp/pg' BACKAD_TEST_PG='$pg_url' '$t' >'$tmp/$b.pg' 2>&1" \
		"$b on PostgreSQL"
	[ "$fail" -eq 0 ] || cat "$tmp/$b.pg"
	n=$(grep -c 'cmocka_unit_test_setup_teardown(' "tests/$b.c")
	check "grep -q 'PASSED.* $n test' '$tmp/$b.pg'" "$b: all $n tests passed on PostgreSQL"
	check "! grep -q SKIPPED '$tmp/$b.pg'" "$b: nothing skipped on PostgreSQL"
	check "[ \$(ls '$tmp/pg' | grep -c '^$b\.') -eq $n ]" "$b: the final facts of all $n tests written"
done
check "diff -r '$tmp/sqlite' '$tmp/pg'" "each test's final facts are the same on SQLite and PostgreSQL"
finish

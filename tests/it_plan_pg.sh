#!/bin/sh
# it_plan_pg.sh - the planner's unit tests (test_planner, test_plan_regress,
# test_plan_sets, test_plan_restat, test_plan_property with 100 changes, 40
# under ASan) run again on a PostgreSQL 15 of the test's own: every test
# passes and none is skipped.
set -eu
. tests/lib.sh
for t in test_planner test_plan_regress test_plan_sets test_plan_restat test_plan_property; do
	[ -x "$BUILD/tests/$t" ] || make -s BUILD="$BUILD" "$BUILD/tests/$t" >/dev/null
done
# The property test's breadth is the plain build's; under ASan fewer
# changes look for memory errors (each full replan copies the database).
case $BUILD in *asan*) changes=40 ;; *) changes=100 ;; esac
pg_start
for t in test_planner test_plan_regress test_plan_sets test_plan_restat test_plan_property; do
	check "BACKAD_TEST_PG='$pg_url' PROP_CHANGES=$changes '$BUILD/tests/$t' >'$tmp/$t' 2>&1" \
		"$t on PostgreSQL"
	n=$(grep -c '^		cmocka_unit_test(' "tests/$t.c")
	ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$tmp/$t")
	check "[ '$ran' = '$n' ]" "$t: all $n tests ran (ran: $ran)"
	check "! grep -q SKIPPED '$tmp/$t'" "$t: nothing skipped on PostgreSQL"
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$tmp/$t")
	check "[ '$passed' = '$n' ]" "$t: all $n passed"
	check "! grep -q 'NOTICE' '$tmp/$t'" "$t: no PostgreSQL notice on stderr"
	[ "$fail" -eq 0 ] || cat "$tmp/$t"
done
finish

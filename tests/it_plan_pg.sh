#!/bin/sh
# it_plan_pg.sh - the planner's unit tests (test_planner, test_plan_regress,
# test_plan_sets, test_plan_property with 100 changes) run again on a PostgreSQL 15 of the
# test's own: every test passes, and none is skipped but those that deliver
# through outbox.c's claim and done, which run on SQLite only (named here).
set -eu
. tests/lib.sh
# Skipped on PostgreSQL while outbox.c runs on SQLite only (plan_fixture.h
# fx_outbox_runs()); this list empties when it runs on both engines.
outbox_only="late_referral_left_reporter_without_answer reporter_left_without_answer
planner_cancelled_fallback_it_did_not_make retry_disclosed_name_after_consent_withdrawn
protected_identity_set_after_planning_disclosed digest_audited_without_children"
for t in test_planner test_plan_regress test_plan_sets test_plan_property; do
	[ -x "$BUILD/tests/$t" ] || make -s BUILD="$BUILD" "$BUILD/tests/$t" >/dev/null
done
pg_start
for t in test_planner test_plan_regress test_plan_sets test_plan_property; do
	check "BACKAD_TEST_PG='$pg_url' PROP_CHANGES=100 '$BUILD/tests/$t' >'$tmp/$t' 2>&1" \
		"$t on PostgreSQL"
	n=$(grep -c '^		cmocka_unit_test(' "tests/$t.c")
	ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$tmp/$t")
	check "[ '$ran' = '$n' ]" "$t: all $n tests ran (ran: $ran)"
	skipped=$(sed -n 's/^\[  SKIPPED \] \([a-z_0-9]*\)$/\1/p' "$tmp/$t" | sort -u)
	for s in $skipped; do
		check "echo '$outbox_only' | grep -qw '$s'" "$t: $s skipped on PostgreSQL"
	done
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$tmp/$t")
	nskip=$(echo "$skipped" | grep -c . || true)
	check "[ '$passed' -eq $((n - nskip)) ]" "$t: $((n - nskip)) passed, $nskip skipped"
	check "! grep -q 'NOTICE' '$tmp/$t'" "$t: no PostgreSQL notice on stderr"
	[ "$fail" -eq 0 ] || cat "$tmp/$t"
done
finish

#!/bin/sh
# it_pg_schema.sh - the PostgreSQL schema against the SQLite one on a real
# PostgreSQL (pg_start): the same tables, columns, types, NOT NULL,
# defaults, indexes, unique and foreign keys (tests/pg_schema_compare.py,
# which is also shown to catch a drifted schema); the same rows refused by
# the CHECKs and date triggers of both; and the fact triggers of PostgreSQL
# writing fact_change, moving the versions and notifying backad_facts to a
# client that LISTENs on another connection.
set -eu
. tests/lib.sh
pg_start

printf 'database = "%s";\n' "$pg_url" >"$tmp/pg.conf"
printf 'database = "%s";\n' "$tmp/case.db" >"$tmp/sq.conf"
B="$BUILD/backactl"
$B -c "$tmp/pg.conf" init >/dev/null
$B -c "$tmp/sq.conf" init >/dev/null
psql() { command psql "$pg_url" -X -q -v ON_ERROR_STOP=1 "$@"; }
pgv() { psql -At -c "$1"; }

python3 tests/pg_schema_compare.py "$tmp/case.db" "$pg_url" >"$tmp/cmp" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ]" "the PostgreSQL schema matches SQLite's: $(cat "$tmp/cmp")"

# Each bad row is refused by both; the good rows are accepted by both.
base="INSERT INTO unit(id, code, kind, name, municipality) VALUES (1, 'u1', 'school', 'Skolan', 'Ystad');
INSERT INTO staff(id, code, name, mobile, unit_id) VALUES (1, 's1', 'Anna', '+46701234567', 1);
INSERT INTO child(id, ref, birth_date) VALUES (1, 'c1', '2019-03-01');
INSERT INTO placement(id, child_id, unit_id, kind, start_date) VALUES (1, 1, 1, 'school', '2025-08-18');"
check "sqlite3 '$tmp/case.db' \"\$base\" && psql -c \"\$base\"" "the good rows are accepted by both"
refused() {
	_s=0 _p=0
	sqlite3 "$tmp/case.db" "$1" 2>/dev/null || _s=1
	psql -c "$1" 2>/dev/null || _p=1
	check "[ $_s -eq 1 ] && [ $_p -eq 1 ]" "$2 (SQLite refused: $_s, PostgreSQL refused: $_p)"
}
refused "INSERT INTO unit(code, kind, name, municipality) VALUES ('u2', 'castle', 'X', 'Ystad')" \
	"a unit of an unknown kind"
refused "INSERT INTO unit(code, kind, name, municipality) VALUES ('', 'school', 'X', 'Ystad')" \
	"a unit with an empty code"
refused "INSERT INTO staff(code, name, mobile) VALUES ('s2', 'Bo', '0701234567')" \
	"a mobile number that is not +E.164 (GLOB in SQLite, ~ in PostgreSQL)"
refused "INSERT INTO staff(code, name) VALUES ('s1', 'Bo')" "a second staff member with the same code"
refused "INSERT INTO child(ref, birth_date) VALUES ('c2', '2019-02-30')" \
	"a birth date that is no day (the date trigger)"
refused "UPDATE placement SET end_date = '2025-13-01' WHERE id = 1" \
	"an end date that is no date, by UPDATE"
refused "INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date, decision_date)
	VALUES (1, 1, 1, '2025-09-01', '2025-09-02')" "a decision without an outcome"
refused "INSERT INTO task_ack(kind, ref_id, staff_id, action, at, client) VALUES
	('referral', 1, 1, 'ignored', '2025-09-01T08:00:00Z', '127.0.0.1')" "an acknowledgement of an unknown action"
check "psql -c 'INSERT INTO staff(code, name, mobile) VALUES (1, 2, 3)' 2>&1 |
	grep -q 'staff_mobile_check\\|violates check'" "the refusal names the constraint"
check "psql -c \"INSERT INTO child(ref, birth_date) VALUES ('c3', '2019-1-5')\" 2>&1 |
	grep -q 'child.birth_date is not a date (YYYY-MM-DD)'" \
	"the date trigger's message is SQLite's: table.column is not a date"

# Dates are judged alike: PostgreSQL's backad_is_date and SQLite's date().
for d in 2024-02-29 2023-02-29 2000-02-29 1900-02-29 2023-04-31 2023-12-31 2023-13-01 \
	2023-00-10 2023-01-00 0000-01-01 abcd-01-01 2023-1-05 ' 2023-01-05' 2023-01-05x; do
	s=$(sqlite3 :memory: "SELECT CASE WHEN date('$d', '+0 days') IS '$d' THEN 't' ELSE 'f' END")
	check "[ \"\$(pgv \"SELECT backad_is_date('$d')\")\" = $s ]" "'$d' is a date in both or in neither (SQLite: $s)"
done

# The fact triggers, seen from a client that LISTENs on its own connection
# while another connection commits a referral.
v0=$(pgv "SELECT value FROM state WHERE key = 'facts.version'")
h0=$(pgv "SELECT value FROM state WHERE key = 'holders.version'")
psql -c "TRUNCATE fact_change"
psql >"$tmp/listen" 2>&1 <<SQL
LISTEN backad_facts;
\\! psql "$pg_url" -X -q -c "INSERT INTO referral(id, child_id, reporter_id, intake_unit_id, received_date) VALUES (7, 1, 1, 1, '2025-09-01')"
SELECT 1;
SQL
check "grep -q 'notification \"backad_facts\" with payload \"referral:7\" received' '$tmp/listen'" \
	"a referral committed on another connection notifies backad_facts with referral:7 ($(cat "$tmp/listen"))"
check "[ \"\$(pgv 'SELECT kind, ref_id FROM fact_change')\" = 'referral|7' ]" \
	"the referral's insert is one fact_change row (referral, 7)"
check "[ \$(pgv \"SELECT value FROM state WHERE key = 'facts.version'\") -eq $((v0 + 1)) ]" \
	"facts.version moved by one"
check "[ \$(pgv \"SELECT value FROM state WHERE key = 'holders.version'\") -eq $h0 ]" \
	"holders.version did not move for a referral"
psql -c "TRUNCATE fact_change; UPDATE placement SET child_id = child_id, unit_id = 1 WHERE id = 1"
check "[ \"\$(pgv 'SELECT kind, ref_id FROM fact_change ORDER BY id' | tr '\n' ' ')\" = 'child|1 child|1 ' ]" \
	"an update records what the row is and what it was"
check "[ \$(pgv \"SELECT value FROM state WHERE key = 'holders.version'\") -eq $((h0 + 1)) ]" \
	"holders.version moved for a placement"
psql -c "TRUNCATE fact_change; INSERT INTO task_ack(kind, ref_id, staff_id, action, at, client)
	VALUES ('placement', 1, 1, 'received', '2025-09-01T08:00:00Z', '127.0.0.1')"
check "[ \"\$(pgv 'SELECT kind, ref_id FROM fact_change')\" = 'child|1' ]" \
	"an acknowledged placement is a change of its child"
psql -c "TRUNCATE fact_change; DELETE FROM referral WHERE id = 7"
check "[ \"\$(pgv 'SELECT kind, ref_id FROM fact_change')\" = 'referral|7' ]" \
	"a deleted referral is a change too"

# The comparison fails on a drifted schema.
psql -c "DROP INDEX staff_unit; ALTER TABLE task ALTER COLUMN closed_at SET NOT NULL;
	ALTER TABLE outbox ALTER COLUMN state SET DEFAULT 'sent'"
python3 tests/pg_schema_compare.py "$tmp/case.db" "$pg_url" >"$tmp/cmp" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'staff: indexes' '$tmp/cmp' && grep -q 'task.closed_at: NOT NULL' '$tmp/cmp' &&
	grep -q 'outbox.state: default' '$tmp/cmp'" "a dropped index, a new NOT NULL and a changed default are caught"
finish

#!/bin/sh
# it_pg_migrate.sh - backactl init and migrate-to on a real PostgreSQL
# (pg_start): init creates the schema once and then says it is current, a
# newer schema is refused; the demo database (with referrals and placements
# added by backactl and one planning and delivery pass) is copied and
# verified equal, with the id counters past the copied ids; a row changed
# afterwards is found by --verify-only; a target that holds rows is refused
# and a copy that fails leaves nothing behind; the password comes from a
# mode 600 file, a systemd credential or PGPASSFILE, and a wrong one, a
# mode 644 file, a password in the configuration and an unreachable
# server each give a clear error; backactl's other commands run there.
set -eu
. tests/lib.sh
pg_start

B="$BUILD/backactl"
psql() { command psql "$pg_url" -X -q -v ON_ERROR_STOP=1 "$@"; }
pgv() { psql -At -c "$1"; }
cat >"$tmp/sq.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
printf 'database = "%s";\n' "$pg_url" >"$tmp/pg.conf"

# init: created, then current; a newer schema refused; an older one migrated.
$B -c "$tmp/pg.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'created the schema, version 11' '$tmp/out'" "init creates the schema ($(cat "$tmp/out"))"
$B -c "$tmp/pg.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'schema version 11 is current' '$tmp/out'" "a second init says it is current"
check "[ \$(pgv 'SELECT version FROM backad_schema') = 11 ] && [ \$(pgv 'SELECT count(*) FROM backad_schema') = 1 ]" \
	"the version is one row of backad_schema"
psql -c "UPDATE backad_schema SET version = 12"
$B -c "$tmp/pg.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'version 12, newer than this program' '$tmp/out'" "a newer schema is refused ($(cat "$tmp/out"))"
# A database of the first PostgreSQL schema (8) is taken to the current one
# by the shared migrations, in one transaction.
psql -c "DROP INDEX child_birth; UPDATE backad_schema SET version = 8"
$B -c "$tmp/pg.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'migrated the schema to version 11' '$tmp/out'" "init migrates version 8 to 11 ($(cat "$tmp/out"))"
check "[ \$(pgv 'SELECT version FROM backad_schema') = 11 ] && [ \$(pgv \"SELECT count(*) FROM pg_indexes WHERE indexname = 'child_birth'\") = 1 ]" \
	"version 9's index made and the version recorded"
# A migration that fails changes nothing: an index in its way.
psql -c "DROP INDEX child_birth; CREATE INDEX child_birth ON unit(code); UPDATE backad_schema SET version = 8"
$B -c "$tmp/pg.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'migration to schema version 9' '$tmp/out' && [ \$(pgv 'SELECT version FROM backad_schema') = 8 ]" \
	"a failed migration names its version and leaves version 8 ($(cat "$tmp/out"))"
psql -c "DROP INDEX child_birth; CREATE INDEX child_birth ON child(birth_date); UPDATE backad_schema SET version = 11"
# Version 10: the facts version moves once per writing transaction, however
# many statements it has; a transaction that writes nothing moves nothing.
v0=$(pgv "SELECT value FROM state WHERE key = 'facts.version'")
psql -c "BEGIN; INSERT INTO unit(code, kind, name, municipality) VALUES ('V1', 'school', 'A', 'Ystad');
INSERT INTO unit(code, kind, name, municipality) VALUES ('V2', 'school', 'B', 'Ystad');
UPDATE unit SET name = 'C' WHERE code = 'V1'; COMMIT;"
v1=$(pgv "SELECT value FROM state WHERE key = 'facts.version'")
psql -c "INSERT INTO unit(code, kind, name, municipality) VALUES ('V3', 'school', 'D', 'Ystad')"
v2=$(pgv "SELECT value FROM state WHERE key = 'facts.version'")
psql -c "BEGIN; INSERT INTO unit(code, kind, name, municipality) VALUES ('V4', 'school', 'E', 'Ystad'); ROLLBACK;"
v3=$(pgv "SELECT value FROM state WHERE key = 'facts.version'")
check "[ \$((v1 - v0)) -eq 1 ] && [ \$((v2 - v1)) -eq 1 ] && [ $v3 = $v2 ]" \
	"facts.version: one move per writing transaction ($v0 $v1 $v2 $v3)"
psql -c "DELETE FROM unit WHERE code IN ('V1', 'V2', 'V3'); DELETE FROM fact_change"
# explicit_id_from_another_system_broke_backads_next_insert (version 11): a
# fact row written with an id of its own left the identity counter behind,
# and backad's next insert drew that id and failed on the key.
top=$(pgv "SELECT coalesce(max(id), 0) FROM unit")
psql -c "INSERT INTO unit(id, code, kind, name, municipality) VALUES ($((top + 1)), 'X1', 'school', 'X', 'Ystad'), ($((top + 5)), 'X2', 'school', 'Y', 'Ystad')"
printf 'code,kind,name,municipality\nX3,school,Z,Ystad\n' >"$tmp/x3.csv"
$B -c "$tmp/pg.conf" import units "$tmp/x3.csv" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && [ \$(pgv \"SELECT id FROM unit WHERE code = 'X3'\") -gt $((top + 5)) ]" \
	"an insert after explicit ids of another system gets a new id ($(cat "$tmp/out"))"
# explicit_id_below_a_fresh_counter_moved_it_back: a counter migrate-to
# leaves (setval ..., false: not yet called) stays where it is for an id
# below it; an id at the end of the range is not followed (backad's inserts
# would stop there).
psql -o /dev/null -c "SELECT setval(pg_get_serial_sequence('unit', 'id'), $((top + 20)), false)" \
     -c "INSERT INTO unit(id, code, kind, name, municipality) VALUES ($((top + 7)), 'X4', 'school', 'X', 'Ystad'),
         (9223372036854775000, 'X5', 'school', 'X', 'Ystad')"
printf 'code,kind,name,municipality\nX6,school,Z,Ystad\n' >"$tmp/x6.csv"
$B -c "$tmp/pg.conf" import units "$tmp/x6.csv" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && [ \$(pgv \"SELECT id FROM unit WHERE code = 'X6'\") -eq $((top + 20)) ]" \
	"the counter is not moved back by a lower id, nor to the end by a huge one ($(cat "$tmp/out"))"
psql -c "DELETE FROM unit WHERE code IN ('X1', 'X2', 'X3', 'X4', 'X5', 'X6'); DELETE FROM fact_change"
# foreign_trigger_raise_put_a_childs_name_in_the_log: a trigger another
# system added raises a warning and an error quoting the row; neither the
# name nor the personal identity number reaches backactl's output.
psql -c "CREATE FUNCTION foreign_audit() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
  RAISE WARNING 'foreign audit: child % pnr %', NEW.name, NEW.pnr;
  IF NEW.name = 'Stina Ek' THEN RAISE EXCEPTION 'rejected child % with pnr %', NEW.name, NEW.pnr; END IF;
  RETURN NEW; END \$\$;
  CREATE TRIGGER foreign_audit BEFORE INSERT OR UPDATE ON child FOR EACH ROW EXECUTE FUNCTION foreign_audit();"
printf 'ref,birth_date,name,pnr\nB-2021-0099,2021-04-22,Stina Ek,20210422-1235\n' >"$tmp/c2.csv"
$B -c "$tmp/pg.conf" import children "$tmp/c2.csv" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -ne 0 ] && grep -q 'c2.csv:2: .*raised by database code (SQLSTATE P0001)' '$tmp/out' &&
       ! grep -q 'Stina' '$tmp/out' && ! grep -q '20210422' '$tmp/out'" \
	"a foreign trigger's RAISE is named by its SQLSTATE, not its text ($(cat "$tmp/out"))"
psql -c "DROP TRIGGER foreign_audit ON child; DROP FUNCTION foreign_audit()"

# backactl's commands run on PostgreSQL (tests/it_ctl_pg.sh compares them
# with SQLite).
$B -c "$tmp/pg.conf" tasks >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q '(no rows)' '$tmp/out'" "tasks on PostgreSQL: an empty list ($(cat "$tmp/out"))"
# The daemon accepts PostgreSQL (tests/it_daemon_pg.sh): --once ends
# without a crash.
"$BUILD/backad" -c "$tmp/pg.conf" --once >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -lt 128 ] && ! grep -q 'not yet run on PostgreSQL' '$tmp/out'" \
	"the daemon on PostgreSQL: accepted, no crash (exit $rc)"

# The source: the demo registers, referrals and a placement added by
# backactl, and one pass planned and delivered to the spool.
demo_db $B -c "$tmp/sq.conf"
$B -c "$tmp/sq.conf" referral add --child B-2026-0001 --reporter karin.bvc --received 2026-08-20 >/dev/null
$B -c "$tmp/sq.conf" referral add --child B-2026-0002 --reporter anna.bm --received 2026-08-21 >/dev/null
printf 'child,unit,kind,start_date,end_date,staff\nB-2026-0002,BVC-CENTRUM,bvc,2026-09-01,,karin.bvc\n' >"$tmp/pl.csv"
$B -c "$tmp/sq.conf" import placements "$tmp/pl.csv" >/dev/null
"$BUILD/backad" -c "$tmp/sq.conf" --once --now 2026-08-24T08:00 2>/dev/null
sq() { sqlite3 "$tmp/case.db" "$1"; }
check "[ \$(sq 'SELECT count(*) FROM outbox') -gt 0 ] && [ \$(sq 'SELECT count(*) FROM audit') -gt 0 ]" \
	"the source has planned and delivered messages"

psql -c "DROP TABLE fact_change CASCADE" # a half-made schema is not a fresh one
$B -c "$tmp/sq.conf" migrate-to "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'nothing was copied' '$tmp/out'" "a broken target is refused"
psql -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public" 2>/dev/null
$B -c "$tmp/sq.conf" migrate-to "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q '^copied .* rows in 22 tables .* and verified them' '$tmp/out'" \
	"migrate-to copies an empty database's worth and verifies it ($(tail -3 "$tmp/out"))"
for t in child placement referral outbox audit outbox_child fact_change state task; do
	check "[ \"\$(sq 'SELECT count(*) FROM $t')\" = \"\$(pgv 'SELECT count(*) FROM $t')\" ]" "$t has as many rows in both"
done
check "[ \"\$(sq \"SELECT name FROM child WHERE ref = 'B-2026-0001'\")\" = \"\$(pgv \"SELECT name FROM child WHERE ref = 'B-2026-0001'\")\" ]" \
	"UTF-8 names arrive unchanged"
check "[ \"\$(sq 'SELECT body FROM outbox ORDER BY id LIMIT 1')\" = \"\$(pgv 'SELECT body FROM outbox ORDER BY id LIMIT 1')\" ]" \
	"a message body with its line breaks arrives unchanged"
max=$(sq 'SELECT max(id) FROM referral')
next=$(printf "BEGIN;\nINSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)
	SELECT child_id, reporter_id, intake_unit_id, '2026-09-01' FROM referral LIMIT 1 RETURNING id;\nROLLBACK;\n" | psql -At)
check "[ '$next' = $((max + 1)) ]" "the id counter continues after the copied ids ($next after $max)"
$B -c "$tmp/sq.conf" migrate-to --verify-only "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'holds the same' '$tmp/out'" "--verify-only finds the copy equal ($(tail -2 "$tmp/out"))"

# A change in PostgreSQL afterwards is found, with its table and key.
cid=$(sq "SELECT id FROM child WHERE ref = 'B-2026-0002'")
psql -c "ALTER TABLE child DISABLE TRIGGER USER; UPDATE child SET name = 'Ändrad' WHERE id = $cid"
$B -c "$tmp/sq.conf" migrate-to --verify-only "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'table child differs: first at key $cid ' '$tmp/out'" \
	"--verify-only names the changed table and row ($(grep differs "$tmp/out"))"
psql -c "UPDATE child SET name = $(sq "SELECT quote(name) FROM child WHERE id = $cid") WHERE id = $cid"
psql -c "DELETE FROM outbox_child WHERE outbox_id = (SELECT min(outbox_id) FROM outbox_child)"
$B -c "$tmp/sq.conf" migrate-to --verify-only "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'table outbox_child differs' '$tmp/out'" "a missing row is found too"

# A target that holds rows is refused, and left as it was.
n=$(pgv 'SELECT count(*) FROM child')
$B -c "$tmp/sq.conf" migrate-to "$pg_url" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'already holds rows in table unit' '$tmp/out' && [ \$(pgv 'SELECT count(*) FROM child') -eq $n ]" \
	"a target with rows is refused and kept ($(cat "$tmp/out"))"

# A copy that fails half-way leaves nothing: a date SQLite kept from before
# its date triggers, refused by PostgreSQL's.
psql -c "CREATE DATABASE second"
url2=$(printf '%s' "$pg_url" | sed 's|/backad?|/second?|')
cp "$tmp/case.db" "$tmp/bad.db"
sqlite3 "$tmp/bad.db" "DROP TRIGGER date_referral_received_date_u; UPDATE referral SET received_date = '2026-02-30' WHERE id = $max"
sed "s|$tmp/case.db|$tmp/bad.db|" "$tmp/sq.conf" >"$tmp/bad.conf"
$B -c "$tmp/bad.conf" migrate-to "$url2" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'referral id $max (COPY line [0-9]*): PostgreSQL: referral.received_date is not a date' '$tmp/out'" \
	"a bad row stops the copy with its table and id named ($(grep 'not a date' "$tmp/out"))"
check "[ \"\$(command psql \"$url2\" -XAtc \"SELECT to_regclass('unit') IS NULL\")\" = t ]" \
	"and nothing of it is kept"
# migrate_to_error_quoted_a_childs_row: PostgreSQL's context of a failed
# COPY quotes the whole row (name, personal identity number); the error
# names the row by its id and column only.
psql -c "DROP DATABASE second" -c "CREATE DATABASE second"
cp "$tmp/case.db" "$tmp/bad.db"
cid=$(sq "SELECT min(id) FROM child WHERE pnr IS NOT NULL")
cname=$(sq "SELECT name FROM child WHERE id = $cid")
cpnr=$(sq "SELECT pnr FROM child WHERE id = $cid")
sqlite3 "$tmp/bad.db" "DROP TRIGGER date_child_birth_date_u; UPDATE child SET birth_date = 'x' || pnr WHERE id = $cid"
$B -c "$tmp/bad.conf" migrate-to "$url2" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'child id $cid (COPY line [0-9]*): PostgreSQL: child.birth_date is not a date' '$tmp/out' &&
       ! grep -q '$cname' '$tmp/out' && ! grep -q '$cpnr' '$tmp/out'" \
	"a failed copy names the child's row by id and column, not its name or personal identity number ($(cat "$tmp/out"))"

# Passwords: a role that must give one.
psql -c "CREATE ROLE pwuser LOGIN PASSWORD 'rätt-lösen'"
psql -c "CREATE DATABASE pwdb OWNER pwuser"
sed -i '1i local all pwuser scram-sha-256' "$pg_dir/data/pg_hba.conf"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" reload >/dev/null
pwurl=$(printf '%s' "$pg_url" | sed 's|/backad?|/pwdb?|; s|user=backad|user=pwuser|')
printf 'rätt-lösen\n' >"$tmp/db.password"
chmod 600 "$tmp/db.password"
printf 'database = "%s";\ndatabase_password_file = "%s";\n' "$pwurl" "$tmp/db.password" >"$tmp/pw.conf"
$B -c "$tmp/pw.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'created the schema' '$tmp/out'" "the password from database_password_file (mode 600) ($(cat "$tmp/out"))"
printf 'fel-lösen\n' >"$tmp/db.password"
$B -c "$tmp/pw.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'pwdb on .* cannot connect: .*password.* check the user name and its password' '$tmp/out' &&
	! grep -q 'fel-lösen' '$tmp/out'" "a wrong password: a clear error without the password ($(cat "$tmp/out"))"
chmod 644 "$tmp/db.password"
$B -c "$tmp/pw.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q '$tmp/db.password: the password file is readable by group or others (mode 644); fix with: chmod 600' '$tmp/out'" \
	"a password file of mode 644 is refused, named ($(cat "$tmp/out"))"
printf 'database = "%s";\n' "$pwurl" >"$tmp/pw2.conf"
mkdir "$tmp/cred"
printf 'rätt-lösen\n' >"$tmp/cred/backad-db-password"
CREDENTIALS_DIRECTORY="$tmp/cred" $B -c "$tmp/pw2.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'is current' '$tmp/out'" "the password from the credential backad-db-password ($(cat "$tmp/out"))"
printf '*:*:*:pwuser:rätt-lösen\n' >"$tmp/pgpass"
chmod 600 "$tmp/pgpass"
PGPASSFILE="$tmp/pgpass" $B -c "$tmp/pw2.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q 'is current' '$tmp/out'" "the password from PGPASSFILE ($(cat "$tmp/out"))"
printf 'database = "postgresql://pwuser:hemlis@localhost/pwdb";\n' >"$tmp/pw3.conf"
$B -c "$tmp/pw3.conf" init >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -ne 0 ] && grep -q 'pw3.conf:1: database: .*holds a password' '$tmp/out' && ! grep -q hemlis '$tmp/out'" \
	"a password in the configuration is refused with file:line ($(cat "$tmp/out"))"

# An unreachable server and a bad address.
$B -c "$tmp/sq.conf" migrate-to "postgresql:///backad?host=$tmp/nowhere&port=1" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'backad on $tmp/nowhere:1: cannot connect: .*; check that PostgreSQL runs there' '$tmp/out'" \
	"an unreachable server: what to check ($(cat "$tmp/out"))"
$B -c "$tmp/sq.conf" migrate-to "postgresql://[bad" >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 1 ] && grep -q 'does not parse' '$tmp/out'" "a bad address ($(cat "$tmp/out"))"
# A string libpq cannot parse is never echoed: it may hold a password.
printf 'database = "postgresql://backad:S3cretPw-XYZZY@[db.example.se/backad";\n' >"$tmp/leak.conf"
$B -c "$tmp/leak.conf" status --check >"$tmp/out" 2>&1 || true
"$BUILD/backad" -c "$tmp/leak.conf" -n >>"$tmp/out" 2>&1 || true
check "grep -q 'does not parse' '$tmp/out' && ! grep -q XYZZY '$tmp/out'" \
	"an unparsable connection string's password is not echoed ($(head -c 300 "$tmp/out"))"
$B -c "$tmp/sq.conf" migrate-to /tmp/x.db >"$tmp/out" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 2 ] && grep -q 'not a PostgreSQL address' '$tmp/out'" "a path is not a target ($(cat "$tmp/out"))"
finish

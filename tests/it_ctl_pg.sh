#!/bin/sh
# it_ctl_pg.sh - backactl's commands on SQLite and on PostgreSQL side by side:
# one case database with the demo registers, a planning pass and a few
# delivered, dead and audited messages is copied into a PostgreSQL 15 of the
# test's own (migrate-to); then the same commands (recording facts with their
# refusals, listings in text, CSV and JSON, audit, calendar) run against
# both, and their output and exit codes must be the same, the database's name
# aside, and migrate-to --verify-only must find the same rows in both after
# the writes. backad-web starts on PostgreSQL (no refusal, a read-only second
# connection) and answers a forged link with its plain refusal.
set -eu
. tests/lib.sh
B="$BUILD/backactl"
[ -x "$B" ] && [ -x "$BUILD/backad-web" ] || make -s BUILD="$BUILD" all >/dev/null
pg_start
printf 'database = "%s/case.db";\ntemplates = "templates/sv";\n' "$tmp" >"$tmp/sq.conf"
printf 'database = "%s";\ntemplates = "templates/sv";\n' "$pg_url" >"$tmp/pg.conf"
sql() { sqlite3 "$tmp/case.db" "$1"; }

# The seed, made on SQLite: registers, a referral and a follow-up planned,
# then what delivery would have left: a dead message with its error, two
# sent and audited (one a digest naming two children), a channel's error.
demo_db "$B" -c "$tmp/sq.conf"
"$B" -c "$tmp/sq.conf" referral add --child B-2016-0005 --reporter lars.larare \
	--received 2026-08-03 >/dev/null
"$B" -c "$tmp/sq.conf" followup add --child B-2017-0010 --responsible sara.rektor \
	--due 2026-08-04 >/dev/null
"$B" -c "$tmp/sq.conf" plan --now 2026-08-03T08:00 >/dev/null
sql "UPDATE outbox SET state = 'dead', attempts = 5, last_error = '550 5.1.1 okänd mottagare'
	WHERE id = 1;
UPDATE outbox SET state = 'sent', attempts = 1, sent_at = '2026-08-03T06:01:00Z' WHERE id IN (2, 4);
INSERT INTO audit(at, outbox_id, recipient_id, address, child_id, rule, channel, categories)
	SELECT '2026-08-03T06:01:00Z', id, recipient_id, address, child_id, rule, channel, 'ref'
	FROM outbox WHERE id = 2;
INSERT INTO audit(at, outbox_id, recipient_id, address, child_id, rule, channel, categories)
	SELECT '2026-08-03T06:02:00Z', id, recipient_id, address, NULL, rule, channel, 'name'
	FROM outbox WHERE id = 4;
INSERT OR IGNORE INTO outbox_child(outbox_id, child_id) VALUES (4, 19), (4, 5);
INSERT INTO state(key, value) VALUES ('last_error.email', '2026-08-03 08:05 421 försök senare');"
staff4=$(sql "SELECT s.code FROM outbox o JOIN staff s ON s.id = o.recipient_id WHERE o.id = 4")
child2=$(sql "SELECT c.ref FROM outbox o JOIN child c ON c.id = o.child_id WHERE o.id = 2")
check "[ -n '$staff4' ] && [ -n '$child2' ]" "the seed has a digest's recipient and an audited child"
check "'$B' -c '$tmp/pg.conf' init >'$tmp/init.out' 2>&1" "init on PostgreSQL"
check "grep -q 'created the schema, version [0-9]' '$tmp/init.out'" "init created the schema"
check "'$B' -c '$tmp/sq.conf' migrate-to '$pg_url' >'$tmp/copy.out' 2>&1" "the seed copied"
[ "$fail" -eq 0 ] || { cat "$tmp/init.out" "$tmp/copy.out"; finish; }

# The same commands on each; every one's output and exit code.
run_all() {
	conf=$1
	run() {
		echo "== $*"
		set +e
		"$B" -c "$conf" "$@" 2>&1
		echo "exit $?"
		set -e
	}
	run init
	run referral add --child B-2019-0006 --reporter eva.larare --received 2026-07-21
	run referral add --child B-0 --reporter eva.larare --received 2026-07-21
	run referral add --child B-2019-0006 --reporter goran.pension --received 2026-07-21
	run referral add --child B-2019-0006 --reporter eva.larare --unit NOPE --received 2026-07-21
	run referral add --child B-2019-0006 --reporter eva.larare --unit SK-VASTERVANG \
		--received 2026-07-22 --officer johanna.handl
	run referral add --child B-2019-0006 --reporter eva.larare --received 2026-07-22 \
		--officer eva.larare
	run referral decide 2 --outcome opened --date 2026-07-01
	run referral decide 9 --outcome opened --date 2026-07-30
	run referral decide 2 --outcome not-opened --date 2026-07-30
	run referral decide 2 --outcome opened --date 2026-07-31
	run referral assign 1 --officer ahmed.handl
	run referral assign 1 --officer eva.larare
	run discovery add --child B-2023-0007 --discoverer sofia.pedagog --date 2026-08-03
	run discovery add --child B-2023-0007 --date 2026-08-04
	run discovery done 1 --date 2026-08-01
	run discovery done 1 --date 2026-08-05
	run followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04
	run followup move 2 --due 2026-08-11
	run followup done 2 --date 2026-08-10
	run followup done 5 --date 2026-08-10
	run consent add --child B-2024-0031 --scope handover --given-by guardian --date 2026-06-01
	run consent withdraw 1 --date 2026-05-01
	run consent withdraw 1 --date 2026-09-01
	run barnkontakt set --child B-2021-0011 --staff sofia.pedagog --from 2026-08-01
	run barnkontakt set --child B-2021-0011 --staff goran.pension --from 2026-08-01
	run barnkontakt set --child B-2021-0011 --staff sofia.pedagog --from 2026-08-01 \
		--to 2026-07-01
	run children --unit NOPE
	run tasks --state all
	run --format csv tasks --rule followup
	run tasks --rule no-such-rule
	run outbox
	run --format json outbox --state dead
	run --format csv outbox --state sent
	run audit --child "$child2"
	run audit --staff "$staff4"
	run --format json audit --staff "$staff4"
	run audit --child B-0
	run calendar workday 2026-06-19
	run children --date 2026-08-03
	run children --unit FSK-SOLROSEN --date 2026-08-20
	run retry 1
	run retry 2
	run report --from 2026-07-01 --to 2026-08-31
	run import absences etc/demo/absences.csv
	run import staff "$tmp/bad-staff.csv"
	run plan --now 2026-08-03T09:00
	run preview --from 2026-08-03 --days 30
	run --format csv preview --from 2026-08-17 --days 14
	run plan --full --now 2026-08-04T07:00
	run tasks --state all
	run outbox
}
printf 'code,name,email,mobile,unit,active,channel\nny.person,Ny Person,ny@ystad.example.se,+46701,NOPE,1,\n' \
	>"$tmp/bad-staff.csv"
run_all "$tmp/sq.conf" | sed "s|$tmp/case.db|DATABASE|g" >"$tmp/sq.out"
run_all "$tmp/pg.conf" | sed "s|PostgreSQL database backad on backad@$pg_dir:$pg_port|DATABASE|g" \
	>"$tmp/pg.out"
# init's own words differ by engine (a file migrated, a schema found current).
sed -i '/^== init$/,/^exit/{/^DATABASE/d}' "$tmp/sq.out" "$tmp/pg.out"
check "diff -u '$tmp/sq.out' '$tmp/pg.out' >'$tmp/diff'" "the same output on both engines"
[ -s "$tmp/diff" ] && cat "$tmp/diff"
n=$(grep -c '^== ' "$tmp/sq.out")
check "[ \$(grep -c '^exit 0' '$tmp/sq.out') -ge 20 ] && [ \$(grep -c '^exit [12]' '$tmp/sq.out') -ge 12 ]" \
	"most of the $n commands succeed, the refusals fail"
check "grep -q '^referral 3 recorded' '$tmp/pg.out'" "PostgreSQL's ids go on after the copied rows"
check "grep -q 'okänd mottagare' '$tmp/pg.out' && grep -q 'B-2016-0005' '$tmp/pg.out'" \
	"the listings show the copied rows"
check "grep -A3 'audit --staff' '$tmp/pg.out' | grep -q 'B-2024-0042 B-2017-0010$'" \
	"a digest's two children in the audit, by id"
check "'$B' -c '$tmp/sq.conf' migrate-to --verify-only '$pg_url' >'$tmp/verify.out' 2>&1" \
	"after the writes both databases hold the same rows"
[ "$fail" -eq 0 ] || { cat "$tmp/verify.out" "$tmp/pg.out"; }

# A command that waits for a row lock (another transaction holds referral 1
# for 2.5 s) says so once after a second, then does its work.
psql -q "$pg_url" -c "SELECT id FROM referral WHERE id = 1 FOR UPDATE; SELECT pg_sleep(2.5)" \
	>/dev/null &
pids="$pids $!"
wait_for 10 "psql -Atq '$pg_url' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE
	'%FOR UPDATE; SELECT pg_sleep%' AND pid <> pg_backend_pid()\" | grep -qx 1" || true
"$B" -c "$tmp/pg.conf" referral assign 1 --officer johanna.handl >"$tmp/busy.out" 2>&1 || true
check "grep -c 'the database is busy' '$tmp/busy.out' | grep -qx 1 && grep -q 'assigned to johanna.handl' '$tmp/busy.out'" \
	"a command waiting for a lock on PostgreSQL says so once, then works"
[ "$fail" -eq 0 ] || cat "$tmp/busy.out"

# backad-web on PostgreSQL: it starts and refuses a forged link.
printf 'web: {\n  public_url = "https://backad.example.se/k";\n  key_file = "%s/ack.keys";\n};\n' \
	"$tmp" >>"$tmp/pg.conf"
printf '%s\n' "k-$(head -c 24 /dev/urandom | base64)" >"$tmp/ack.keys"
chmod 600 "$tmp/ack.keys"
rm -f "$tmp/web.out"
"$BUILD/backad-web" -c "$tmp/pg.conf" --listen 127.0.0.1:0 >"$tmp/web.out" 2>"$tmp/web.log" &
pids="$pids $!"
port=$(ready_port "$tmp/web.out") || port=0
code=$(curl -s -o "$tmp/page" -w '%{http_code}' "http://127.0.0.1:$port/a/AAAA.BBBB" || true)
check "[ '$code' = 403 ] && grep -q 'Länken' '$tmp/page'" "backad-web on PostgreSQL refuses a forged link ($code)"
[ "$fail" -eq 0 ] || cat "$tmp/web.log"
finish

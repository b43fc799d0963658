#!/bin/sh
# it_backactl.sh - backactl end to end: init, imports, every recording command
# with its validation (exit code and message), and the listings.
set -eu
. tests/lib.sh
printf 'database = "%s/case.db";\ntemplates = "templates/sv";\n' "$tmp" >"$tmp/backad.conf"
export BACKAD_CONFIG="$tmp/backad.conf"
B="$BUILD/backactl"

# ok CMD...: must exit 0. no CODE TEXT CMD...: must exit CODE and say TEXT.
ok() {
	if "$@" >"$tmp/out" 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL (exit $?): $*"; cat "$tmp/out"; fi
}
no() {
	code=$1 text=$2
	shift 2
	set +e
	"$@" >"$tmp/out" 2>&1
	got=$?
	set -e
	if [ "$got" -eq "$code" ] && grep -qF -- "$text" "$tmp/out"; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $* -> exit $got, wanted $code and '$text':"; cat "$tmp/out"; fi
}
sql() { sqlite3 "$tmp/case.db" "$1"; }
is() {
	if [ "$1" = "$2" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: '$1' != '$2' ($3)"; fi
}

no 1 "cannot open the case database" "$B" children
ok "$B" init
ok "$B" init
is "$(sql 'PRAGMA user_version')" 11 "schema version"
is "$(sql 'PRAGMA journal_mode')" wal "WAL"
for k in units staff children placements roles absences; do ok "$B" import "$k" "etc/demo/$k.csv"; done
printf 'code,kind,name,municipality\nX1,school,Ny skola,Ystad\nX2,skola,Fel,Ystad\n' >"$tmp/bad.csv"
no 1 "bad.csv:3: column 'kind'" "$B" import units "$tmp/bad.csv"
is "$(sql "SELECT count(*) FROM unit WHERE code='X1'")" 0 "a rejected file writes nothing"
no 2 "unknown kind" "$B" import pupils "$tmp/bad.csv"

# Referrals.
ok "$B" referral add --child B-2019-0006 --reporter eva.larare --received 2026-07-21
is "$(sql "SELECT reporting_unit_id = (SELECT id FROM unit WHERE code='SK-OSTRA'), intake_unit_id = (SELECT id FROM unit WHERE kind='intake') FROM referral WHERE id=1")" "1|1" "referral defaults"
no 1 "unknown child 'B-0'" "$B" referral add --child B-0 --reporter eva.larare --received 2026-07-21
no 1 "unknown staff 'nobody'" "$B" referral add --child B-2019-0006 --reporter nobody --received 2026-07-21
no 1 "is not active" "$B" referral add --child B-2019-0006 --reporter goran.pension --received 2026-07-21
no 2 "--received: '2026-02-30' is not a date" "$B" referral add --child B-2019-0006 --reporter eva.larare --received 2026-02-30
no 2 "--received is required" "$B" referral add --child B-2019-0006 --reporter eva.larare
no 2 "not one of opened not-opened already-open" "$B" referral decide 1 --outcome maybe --date 2026-07-30
no 1 "before the referral was received" "$B" referral decide 1 --outcome opened --date 2026-07-01
no 1 "no referral with id 9" "$B" referral decide 9 --outcome opened --date 2026-07-30
ok "$B" referral decide 1 --outcome not-opened --date 2026-07-30
is "$(sql "SELECT outcome, decision_date FROM referral WHERE id=1")" "not_opened|2026-07-30" "decision stored"
no 1 "already decided" "$B" referral decide 1 --outcome opened --date 2026-07-31

# Discovery cards, follow-ups, consents, explicit Barnkontakt.
ok "$B" discovery add --child B-2023-0007 --discoverer sofia.pedagog --date 2026-08-03
no 1 "before created_date" "$B" discovery done 1 --date 2026-08-01
ok "$B" discovery done 1 --date 2026-08-05
ok "$B" followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04
ok "$B" followup move 1 --due 2026-08-11
is "$(sql "SELECT due_date FROM followup WHERE id=1")" 2026-08-11 "follow-up moved"
ok "$B" followup done 1 --date 2026-08-10
no 1 "no followup with id 5" "$B" followup done 5 --date 2026-08-10
ok "$B" consent add --child B-2024-0031 --scope handover --given-by guardian --date 2026-06-01
no 2 "--given-by: 'teacher'" "$B" consent add --child B-2024-0031 --scope handover --given-by teacher --date 2026-06-01
no 1 "before given_date" "$B" consent withdraw 1 --date 2026-05-01
ok "$B" consent withdraw 1 --date 2026-09-01
ok "$B" barnkontakt set --child B-2021-0011 --staff sofia.pedagog --from 2026-08-01
no 2 "is before --from" "$B" barnkontakt set --child B-2021-0011 --staff sofia.pedagog --from 2026-08-01 --to 2026-07-01
no 1 "is not active" "$B" barnkontakt set --child B-2021-0011 --staff goran.pension --from 2026-08-01

# Listings: aligned, no names or personal identity numbers.
ok "$B" children --date 2026-08-03
# The table is cut to 80 columns; the CSV has the whole cell.
"$B" --format csv children --date 2026-08-03 | grep -q "sofia.pedagog (Barnkontakt)" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: explicit Barnkontakt not listed"; }
if grep -q "Ella\|Svensson\|-[0-9][0-9][0-9][0-9]$" "$tmp/out"; then fail=$((fail + 1)); echo "FAIL: a name or pnr in 'children'"; else pass=$((pass + 1)); fi
ok "$B" followup add --child B-2021-0011 --responsible olof.rektor --due 2026-07-31
ok "$B" plan --now 2026-08-03T08:00
ok "$B" tasks --state all
grep -q "referral .*B-2019-0006.*done" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: decided referral task not done"; cat "$tmp/out"; }
ok "$B" outbox --state pending
no 2 "not a valid value" "$B" outbox --state lost
ok "$B" preview --from 2026-08-04 --days 14
ok "$B" calendar workday 2026-06-19
ok "$B" status
grep -q "has never run against this database" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: status without a daemon"; cat "$tmp/out"; }
grep -q "overdue tasks *followup *1$" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: status lists the overdue follow-up"; cat "$tmp/out"; }
ok "$B" report --from 2026-07-01 --to 2026-08-31
grep -q "referrals received *1$" "$tmp/out" && grep -q "initial assessments on time *1$" "$tmp/out" && grep -q "median days to decision *9.0$" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: report figures"; cat "$tmp/out"; }
no 2 "--from and --to need dates" "$B" report --from 2026-07-01
no 2 "is after --to" "$B" report --from 2026-09-01 --to 2026-07-01
no 2 "unknown command" "$B" frobnicate

# More validation: references, ids, choices, subcommands, the intake unit.
no 1 "--unit: unknown unit 'NOPE'" "$B" referral add --child B-2019-0006 --reporter eva.larare --unit NOPE --received 2026-07-21
no 1 "--discoverer: unknown staff 'x.y'" "$B" discovery add --child B-2023-0007 --discoverer x.y --date 2026-08-03
no 2 "--due: '2026-8-1' is not a date" "$B" followup move 1 --due 2026-8-1
no 2 "'abc' is not an id" "$B" followup done abc --date 2026-08-10
no 2 "needs an ID" "$B" consent withdraw --date 2026-08-10
no 2 "--scope: 'all' is not one of handover barnteam" "$B" consent add --child B-2024-0031 --scope all --given-by child --date 2026-06-01
no 2 "unknown subcommand 'remove'" "$B" consent remove 1
no 2 "usage" "$B" referral
no 1 "--unit: unknown unit 'NOPE'" "$B" children --unit NOPE
no 2 "--date 'igår' is not a date" "$B" children --date igår
no 2 "not a valid value" "$B" tasks --state later
ok "$B" tasks --rule no-such-rule
grep -q "(no rows)" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: an empty listing"; cat "$tmp/out"; }
sql "INSERT INTO unit(code, kind, name, municipality) VALUES ('SOC-2', 'intake', 'Andra mottagningen', 'Ystad kommun')"
no 1 "several intake units" "$B" referral add --child B-2019-0006 --reporter eva.larare --received 2025-01-10
is "$(sql "SELECT count(*) FROM referral")" 1 "a refused referral writes nothing"
ok "$B" referral add --child B-2019-0006 --reporter eva.larare --intake SOC-2 --received 2025-01-10
grep -q "^referral 2 recorded$" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: the new id"; cat "$tmp/out"; }
is "$(sql "SELECT u.code FROM referral r JOIN unit u ON u.id = r.intake_unit_id WHERE r.id = 2")" SOC-2 "--intake chosen"
sql "UPDATE unit SET kind = 'other' WHERE kind = 'intake'"
no 1 "no unit of kind 'intake'" "$B" referral add --child B-2019-0006 --reporter eva.larare --received 2025-01-10

# --help on every command.
for c in init import referral discovery followup consent barnkontakt children tasks outbox retry status report calendar plan preview sync; do
	ok "$B" "$c" --help
done
for s in "referral add" "referral decide" "discovery add" "discovery done" "followup add" "followup move" "followup done" "consent add" "consent withdraw" "barnkontakt set"; do
	# shellcheck disable=SC2086
	ok "$B" $s --help
done

finish

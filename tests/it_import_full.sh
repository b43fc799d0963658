#!/bin/sh
# it_import_full.sh - 'backactl import --full': the export is the whole truth.
# People missing from the staff export are deactivated and stop receiving
# messages; their follow-ups go to the child's new Barnkontakt or to an admin
# alert; a shrinking export is refused with nothing changed; placements and
# roles missing from their export end the day before the import date.
set -eu
. tests/lib.sh

conf() {
	cat >"$tmp/$1.conf" <<CONF
database = "$tmp/$1.db";
templates = "templates/sv";
spool_dir = "$tmp/spool-$1";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
}
conf case
conf before
B="$BUILD/backactl -c $tmp/case.conf"
sql() { sqlite3 "$tmp/case.db" "$1"; }
to() { grep -l "^To: $2" "$tmp/spool-$1"/email/*.eml 2>/dev/null | wc -l; }
sms_to() { grep -l "$2" "$tmp/spool-$1"/sms/* 2>/dev/null | wc -l; }

demo_db $B
$B followup add --child B-2021-0011 --responsible olof.rektor --due 2026-08-10 >/dev/null
$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-10 >/dev/null
cp "$tmp/case.db" "$tmp/before.db"

# The municipality's export: Olof (principal at Solrosen) and Sara (principal
# at Östra skolan) have left; Nina is Solrosen's new principal.
grep -v '^olof\.\|^sara\.' etc/demo/staff.csv >"$tmp/staff.csv"
echo "nina.rektor,Nina Berg,nina.berg@ystad.example.se,+46701234520,FSK-SOLROSEN,1," >>"$tmp/staff.csv"
{ grep -v 'olof\.\|sara\.' etc/demo/roles.csv; echo "FSK-SOLROSEN,principal,nina.rektor,2026-08-03,"; } >"$tmp/roles.csv"

# A shrinking export is refused, naming the numbers, and changes nothing.
grep -v '^erik\.bitr' "$tmp/staff.csv" >"$tmp/staff-short.csv"
$B import staff "$tmp/staff.csv" >/dev/null
sum0=$(sqlite3 "$tmp/case.db" .dump | md5sum)
check "! $B import --full --date 2026-08-03 staff $tmp/staff-short.csv >$tmp/out 2>&1" "a shrink of 3 of 20 must be refused"
check "grep -q 'staff-short.csv: the export leaves out 3 of the 20 staff in scope' $tmp/out && grep -q 'import.max_shrink_percent = 10' $tmp/out" "the refusal names the numbers: $(cat $tmp/out)"
check "[ \"\$(sqlite3 $tmp/case.db .dump | md5sum)\" = \"$sum0\" ]" "a refused full import changes nothing"
check "[ \"\$(sql \"SELECT count(*) FROM staff WHERE active = 0\")\" = 1 ]" "nobody deactivated by a refused import"
check "! $B import --full units etc/demo/units.csv >$tmp/out 2>&1 && grep -q 'is for staff, placements and roles' $tmp/out" "--full refused for units"

# The roles first (Nina takes over, Olof's and Sara's roles are left out),
# then the staff: 2 of 20 (10 %) is within the default share.
check "! $B import --full --date 2026-08-03 roles $tmp/roles.csv >$tmp/out 2>&1 && grep -q '2 of the 12 roles in scope (bmm,bvc,intake,preschool,school), 16.7 %' $tmp/out" "2 of 12 roles is refused"
check "$B import --full --force --date 2026-08-03 roles $tmp/roles.csv >$tmp/out 2>&1" "full roles import"
check "grep -q '2 of 12 roles left out: 2 ended' $tmp/out" "roles summary: $(cat $tmp/out)"
check "$B import --full --date 2026-08-03 staff $tmp/staff.csv >$tmp/out 2>&1" "full staff import"
check "grep -q '2 of 20 staff left out and deactivated' $tmp/out && grep -q '1 follow-ups moved' $tmp/out && grep -q '1 admin alerts' $tmp/out" "staff summary: $(cat $tmp/out)"
check "[ \"\$(sql \"SELECT group_concat(code) FROM (SELECT code FROM staff WHERE active = 0 ORDER BY code)\")\" = goran.pension,olof.rektor,sara.rektor ]" "Olof and Sara deactivated"
check "[ \"\$(sql \"SELECT end_date FROM unit_role r JOIN staff s ON s.id = r.staff_id WHERE s.code = 'olof.rektor'\")\" = 2026-08-02 ]" "Olof's role ends the day before the import"
check "[ \"\$(sql \"SELECT s.code FROM followup f JOIN staff s ON s.id = f.responsible_id WHERE f.id = 1\")\" = nina.rektor ]" "Olof's follow-up goes to the new principal"
check "[ \"\$(sql \"SELECT count(*) FROM outbox WHERE origin = 'alert' AND body LIKE '%uppföljning 2, ärende B-2017-0010%'\")\" = 1 ]" "Sara's follow-up, with nobody to take it, is an admin alert"
check "$B import --full --date 2026-08-03 staff $tmp/staff.csv >$tmp/out 2>&1 && grep -q '0 of 18 staff left out' $tmp/out" "a second full import changes nothing more"
check "[ \"\$(sql \"SELECT count(*) FROM outbox WHERE origin = 'alert'\")\" = 1 ]" "the alert is not repeated the same day"

# The planner and delivery: before the import Olof would be reminded; after
# it, neither Olof nor Sara receives anything, Nina is reminded, the admin is alerted.
$BUILD/backad -c "$tmp/before.conf" --once --now 2026-08-03T08:00 --foreground >/dev/null 2>&1
$BUILD/backad -c "$tmp/case.conf" --once --now 2026-08-03T08:00 --foreground >/dev/null 2>&1
check "[ $(to before olof.lindqvist@) -ge 1 ]" "without the import Olof is reminded (the test can fail)"
check "[ $(to case olof.lindqvist@) -eq 0 ] && [ $(to case sara.dahlgren@) -eq 0 ]" "a person missing from the staff export receives no e-mail"
check "[ $(sms_to case +46701234504) -eq 0 ] && [ $(sms_to case +46701234509) -eq 0 ]" "a person missing from the staff export receives no SMS"
check "[ $(to case nina.berg@) -ge 1 ]" "the new principal is reminded of the follow-up"
check "grep -q '^To: admin@' $tmp/spool-case/email/*-alert.import.2026-08-03.2_*.eml" "the admin alert is delivered"
check "[ \"\$(sql \"SELECT s.code FROM task t JOIN staff s ON s.id = t.assignee_id WHERE t.rule = 'followup' AND t.child_id = (SELECT id FROM child WHERE ref = 'B-2021-0011') AND t.state = 'open'\")\" = nina.rektor ]" "the open task moved to the new holder"

# Placements at BVC from the region: one missing ends yesterday, one that had
# not begun is removed; preschool placements are out of scope.
cat >"$tmp/bvc.csv" <<CSV
child,unit,kind,start_date,end_date,staff
B-2026-0001,BVC-CENTRUM,bvc,2026-08-10,,karin.bvc
B-2026-0002,BVC-NORR,bvc,2026-06-16,,maja.bvc
B-2025-0014,BVC-CENTRUM,bvc,2025-03-25,2026-08-23,karin.bvc
B-2024-0031,BVC-CENTRUM,bvc,2024-08-23,2026-09-13,karin.bvc
CSV
check "! $B import --full --date 2026-08-03 --scope bvc placements $tmp/bvc.csv >$tmp/out 2>&1 && grep -q 'leaves out 1 of the 5 placements in scope (bvc), 20.0 %' $tmp/out" "a BVC export missing 1 of 5 is refused: $(cat $tmp/out)"
check "$B import --full --force --date 2026-08-03 --scope bvc placements $tmp/bvc.csv >$tmp/out 2>&1 && grep -q '1 of 5 placements left out: 1 ended' $tmp/out" "--force accepts it: $(cat $tmp/out)"
check "[ \"\$(sql \"SELECT p.end_date FROM placement p JOIN child c ON c.id = p.child_id WHERE c.ref = 'B-2024-0042' AND p.kind = 'bvc'\")\" = 2026-08-02 ]" "the missing BVC placement ends the day before"
check "[ \"\$(sql \"SELECT count(*) FROM placement WHERE kind = 'preschool' AND end_date IS NULL\")\" = 10 ]" "preschool placements are outside the BVC scope"
printf 'child,unit,kind,start_date\nB-2026-0002,BVC-NORR,bvc,2026-06-16\n' >"$tmp/bvc2.csv"
check "$B import --full --force --date 2026-08-03 --scope bvc,bmm placements $tmp/bvc2.csv >$tmp/out 2>&1 && grep -q '1 not yet begun removed' $tmp/out" "a placement that had not begun is removed: $(cat $tmp/out)"
check "! $B import --full --scope skola placements $tmp/bvc2.csv >$tmp/out 2>&1 && grep -q \"scope 'skola' is not one of\" $tmp/out" "an unknown scope is refused"
check "! $B import --force placements $tmp/bvc2.csv >$tmp/out 2>&1" "--force without --full is a usage error"

finish

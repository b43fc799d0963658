#!/bin/sh
# it_format.sh - every listing and report of backactl with --format json
# (parsed by Python's json) and --format csv (parsed by Python's csv, RFC
# 4180) carries the same rows as the table; every table fits 80 columns;
# `backactl audit --child REF` and `--staff CODE` list one row per
# disclosure from the audit table, matching it.
set -eu
. tests/lib.sh

cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
"$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>/dev/null
# An error with a comma, quotes and a line break, for the CSV quoting.
sqlite3 "$tmp/case.db" "UPDATE outbox SET last_error = '550 \"no\", really' || char(10) || 'twice' WHERE id = 1"

# validate NAME ARGS...: the three renderings of one command agree.
validate() {
	_name=$1
	shift
	$B "$@" >"$tmp/text" 2>&1 || { fail=$((fail + 1)); echo "FAIL: $_name: $(cat "$tmp/text")"; return; }
	$B --format json "$@" >"$tmp/json"
	$B "$@" --format=csv >"$tmp/csv"
	/usr/bin/python3 - "$tmp/text" "$tmp/json" "$tmp/csv" "$_name" <<'PY' >"$tmp/py" 2>&1 || { fail=$((fail + 1)); echo "FAIL: $_name:"; cat "$tmp/py"; return; }
import csv, io, json, sys
text = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows = json.load(open(sys.argv[2], encoding="utf-8"))
with open(sys.argv[3], encoding="utf-8", newline="") as f:
    raw = f.read()
assert raw == "" or raw.endswith("\r\n"), "CSV records end with CRLF"
recs = list(csv.reader(io.StringIO(raw, newline="")))
header, data = recs[0], recs[1:]
assert isinstance(rows, list), "JSON is an array"
assert len(rows) == len(data), "JSON %d rows, CSV %d" % (len(rows), len(data))
for r, d in zip(rows, data):
    assert list(r.keys()) == header, (list(r.keys()), header)
    for k, v in zip(header, d):
        want = "" if r[k] is None else str(r[k])
        assert want == v, (k, want, v)
long = [l for l in text if len(l) > 80]
assert not long, "wider than 80 columns: %r" % long[:2]
print(sys.argv[4], len(rows), "rows")
PY
	pass=$((pass + 1))
}

validate children children
validate tasks tasks --state all
validate outbox outbox
validate status status
validate report report --from 2026-01-01 --to 2026-12-31
validate preview preview --from 2026-08-03 --days 60
validate holidays calendar holidays 2026
validate audit-child audit --child B-2016-0005
validate audit-staff audit --staff lars.larare
check "[ \$($B --format json outbox | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge 3 ]" "the outbox has rows to show"
check "$B --format json outbox | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); assert any(\"\\n\" in (m[\"last_error\"] or \"\") for m in r); assert all(isinstance(m[\"id\"], int) for m in r)'" \
	"JSON keeps the line break and has numeric ids"
check "$B --format json status | /usr/bin/python3 -c 'import json,sys; r={x[\"area\"]: x[\"value\"] for x in json.load(sys.stdin)}; assert r[\"queue sent\"].isdigit(), r'" \
	"status as JSON names every row's area"

# The audit: one row per disclosure about the child, matching the table.
child=$(sqlite3 "$tmp/case.db" "SELECT id FROM child WHERE ref = 'B-2016-0005'")
want=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM audit WHERE child_id = $child OR outbox_id IN (SELECT outbox_id FROM outbox_child WHERE child_id = $child)")
got=$($B --format json audit --child B-2016-0005 | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "[ $want -ge 1 ] && [ '$got' = '$want' ]" "audit --child: one row per disclosure ($got of $want)"
check "$B --format json audit --child B-2016-0005 | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
assert all(x[\"child\"] == \"B-2016-0005\" and x[\"at\"] and x[\"recipient\"] and x[\"rule\"] and x[\"categories\"] for x in r), r
assert any(x[\"recipient\"] == \"lars.larare\" and x[\"rule\"] == \"referral_receipt\" for x in r), r'" \
	"audit --child: who, what and when; the reporter's receipt among them"
check "$B --format csv audit --staff lars.larare | tail -n +2 | grep -q 'referral_receipt'" "audit --staff lists what the person was told"
rc=0; $B audit --child B-9999-0000 >/dev/null 2>"$tmp/err" || rc=$?
check "[ $rc -eq 1 ] && grep -q \"unknown child 'B-9999-0000'\" '$tmp/err'" "audit of an unknown child fails naming it"
rc=0; $B audit >/dev/null 2>&1 || rc=$?
check "[ $rc -eq 2 ]" "audit needs --child or --staff"
rc=0; $B --format xml outbox >/dev/null 2>"$tmp/err" || rc=$?
check "[ $rc -eq 2 ] && grep -q \"format 'xml'\" '$tmp/err'" "an unknown format is a usage error"
# refused NAME ARGS...: --format json|csv on a text-only command is a usage error naming it.
refused() {
	_name=$1
	shift
	for f in json csv; do
		rc=0; $B --format $f "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
		check "[ $rc -eq 2 ] && [ ! -s '$tmp/out' ] && grep -q 'backactl $_name' '$tmp/err' && grep -q -- '--format' '$tmp/err'" \
			"--format $f $* is refused, not ignored (exit $rc: $(cat "$tmp/out" "$tmp/err" | head -2))"
	done
}
refused calendar calendar workday 2026-08-03
refused calendar calendar school-start 2026
refused preview preview --from 2026-08-03 --text
finish

#!/bin/sh
# it_ss12000.sh - backactl sync ss12000 against an SS 12000 server of the
# tests' own (tests/ss12000_server.py) on loopback: OAuth2 tokens, paging over
# many pages, a first sync, a delta (a principal changes, a child moves
# preschool, a teacher is deleted) read through a 429 with Retry-After, and
# every failure (401, 500, malformed JSON, a page that never ends, a paging
# loop, a bad field, a shrinking resync) leaving the database byte for byte
# as it was. After the delta the planner announces the moved child's
# handover and the new principal's role-change digest.
set -eu
. tests/lib.sh

python3 tests/ss12000_fixture.py base "$tmp/base.json"
python3 tests/ss12000_fixture.py delta "$tmp/delta.json"
python3 tests/ss12000_fixture.py bad "$tmp/bad.json"
python3 tests/ss12000_fixture.py shrunk "$tmp/shrunk.json"
python3 tests/ss12000_server.py --port-file "$tmp/port" --data "$tmp/base.json" \
	--client backad --secret 's3cret-key' &
pids="$pids $!"
wait_for 10 "[ -s '$tmp/port' ]" || { echo "FAIL: the SS 12000 server did not start"; exit 1; }
port=$(cat "$tmp/port")
url="http://127.0.0.1:$port"
printf 's3cret-key\n' >"$tmp/secret" && chmod 600 "$tmp/secret"
printf 'wrong\n' >"$tmp/wrong" && chmod 600 "$tmp/wrong"

# conf NAME SECRET-FILE [AUTH [TIMEOUT MAX]]
conf() {
	cat >"$tmp/$1.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
ss12000: { url = "$url"; auth = "${3:-oauth2}"; token_url = "$url/token"; client_id = "backad";
  secret_file = "$2"; page_size = 2; timeout_seconds = ${4:-10}; max_seconds = ${5:-30}; };
CONF
}
conf ok "$tmp/secret"
conf wrong "$tmp/wrong"
conf none "$tmp/secret" none
conf short "$tmp/secret" oauth2 2 5
B="$BUILD/backactl -c $tmp/ok.conf"
sql() { sqlite3 "$tmp/case.db" "$1"; }
dump() { sqlite3 "$tmp/case.db" .dump | md5sum; }
fault() { curl -s -X POST --data "$1" "$url/_fault" >/dev/null; }
load() { curl -s -X POST --data "$1" "$url/_load" >/dev/null; }
# refused NAME TEXT CONF [ARGS]: the sync fails saying TEXT and changes nothing.
refused() {
	_name=$1 _text=$2 _conf=$3
	shift 3
	_before=$(dump)
	if "$BUILD/backactl" -c "$tmp/$_conf.conf" sync ss12000 "$@" --now 2026-08-03T06:00 >"$tmp/out" 2>&1; then
		fail=$((fail + 1)); echo "FAIL: $_name: the sync succeeded"; cat "$tmp/out"
	elif ! grep -qF -- "$_text" "$tmp/out"; then
		fail=$((fail + 1)); echo "FAIL: $_name: wanted '$_text'"; cat "$tmp/out"
	else
		pass=$((pass + 1))
	fi
	check "[ \"\$(dump)\" = \"$_before\" ]" "$_name: the database changed"
}

$B init >/dev/null

# Usage and configuration errors.
printf 'database = "%s/case.db";\n' "$tmp" >"$tmp/nourl.conf"
check "! $BUILD/backactl -c $tmp/nourl.conf sync ss12000 >$tmp/out 2>&1 && grep -q 'ss12000.url is not set' $tmp/out" "a sync without ss12000.url"
check "$B sync ldap >$tmp/out 2>&1; [ \$? -eq 2 ] && grep -q 'expected the source: ss12000' $tmp/out" "an unknown source is a usage error"
check "$B sync ss12000 --force >$tmp/out 2>&1; [ \$? -eq 2 ] && grep -q -- '--force needs --full' $tmp/out" "--force without --full is a usage error"

# Authentication.
chmod 644 "$tmp/secret"
refused "a secret readable by others" "readable by group or others" ok
chmod 600 "$tmp/secret"
refused "wrong client secret" "HTTP 401: invalid_client: wrong client id or secret" wrong
refused "no token" "GET /organisations?limit=2: HTTP 401: unauthorized: a valid bearer token is required" none

# The first sync: everything, two entities a page.
check "$B sync ss12000 --now 2026-08-03T06:00 >$tmp/out 2>&1" "first sync: $(cat $tmp/out)"
check "grep -q 'read 6 organisations, 14 persons, 3 placements, 7 duties' $tmp/out" "first sync read everything: $(cat $tmp/out)"
check "[ \$(sed -n 's/.* in \([0-9]*\) requests.*/\1/p' $tmp/out) -ge 16 ]" "paging over many pages: $(cat $tmp/out)"
check "grep -q '7 placements new, 0 ended' $tmp/out && grep -q '6 children new' $tmp/out && grep -q '4 units new' $tmp/out" "first sync summary: $(cat $tmp/out)"
check "[ \"\$(sql \"SELECT group_concat(kind || ':' || name, '|') FROM (SELECT * FROM unit ORDER BY code)\")\" = 'preschool:Förskolan Solrosen|preschool:Förskolan Ängen|school:Västervångskolan|school:Östra skolan' ]" "school units and kinds; the gymnasium is not followed"
check "[ \"\$(sql \"SELECT count(*) FROM unit_role WHERE role = 'principal' AND end_date IS NULL\")\" = 4 ]" "four principals"
check "[ \"\$(sql \"SELECT count(*) FROM child WHERE name IS NOT NULL OR pnr IS NOT NULL\")\" = 0 ]" "no child's name or personal identity number is stored"
check "[ \"\$(sql \"SELECT count(*) FROM child WHERE birth_date = '2017-01-25'\")\" = 1 ]" "a birth date from civicNo when birthDate is absent"
check "[ \"\$(sql \"SELECT email || ' ' || mobile FROM staff WHERE name = 'Olof Lindqvist'\")\" = 'olof.lindqvist@ystad.example.se +46701234504' ]" "work e-mail, not private; work mobile in E.164"
check "[ \"\$(sql \"SELECT count(*) FROM staff WHERE email LIKE '%privat%'\")\" = 0 ]" "private addresses are never stored"
"$BUILD/backad" -c "$tmp/ok.conf" --once --now 2026-08-03T08:00 --foreground >/dev/null 2>&1
check "$B sync ss12000 --now 2026-08-03T06:00 >$tmp/out 2>&1 && grep -q '0 placements new, 0 ended, 0 changed' $tmp/out" "a second sync changes nothing: $(cat $tmp/out)"
# A token the server stops accepting early is fetched again, once.
fault '{"path": "/persons", "status": 401, "times": 1}'
check "$B sync ss12000 --now 2026-08-03T06:00 >$tmp/out 2>&1 && grep -q '0 placements new, 0 ended, 0 changed' $tmp/out" "a refused token is renewed once"
fault '{"path": "/persons", "status": 401, "times": 2}'
refused "a token refused twice" "HTTP 401: error: simulated failure 401" ok
fault ''

# The delta is published; every failure before it is read leaves all as it was.
load "$tmp/delta.json"
fault '{"path": "/duties", "malformed": true, "times": 1}'
refused "malformed JSON on the last endpoint" "GET /duties?limit=2&meta.modified.after=" ok
check "grep -q 'malformed JSON at line 1, column 38' $tmp/out" "malformed JSON names the place"
fault '{"path": "/duties", "status": 500, "times": 99}'
refused "HTTP 500 until the deadline" "HTTP 500: error: simulated failure 500" short
check "grep -q 'gave up after [0-9]* attempts within ss12000.max_seconds = 5' $tmp/out" "the 500 error says it gave up: $(cat $tmp/out)"
fault '{"path": "/placements", "hang": true, "times": 99}'
refused "a page that never ends" "GET /placements?limit=2&meta.modified.after=" short
check "grep -q 'gave up after 2 attempts within ss12000.max_seconds = 5: .*: no complete answer within' $tmp/out" "a page that never ends times out"
fault '{"path": "/persons", "same_token": true, "times": 99}'
refused "a pageToken that never changes" "the server gave the same pageToken twice" ok
fault '{"path": "/persons", "status": 403, "times": 1, "body": {"code": "forbidden", "message": "klienten saknar behörighet till personer"}}'
refused "HTTP 403 with the server's error body" "HTTP 403: forbidden: klienten saknar behörighet till personer" ok
fault ''

# The delta, through a 429 with Retry-After: 1.
fault '{"path": "/persons", "status": 429, "times": 1, "retry_after": 1}'
check "$B sync ss12000 --now 2026-08-03T06:00 >$tmp/out 2>&1" "delta sync: $(cat $tmp/out)"
check "grep -q '(1 retries)' $tmp/out" "the 429 was retried: $(cat $tmp/out)"
check "curl -s $url/_log | python3 -c 'import json,sys; l=[e for e in json.load(sys.stdin) if e[\"path\"].startswith(\"/persons\")]; i=[k for k,e in enumerate(l) if e[\"status\"]==429][-1]; sys.exit(0 if l[i+1][\"time\"]-l[i][\"time\"]>=0.95 else 1)'" "Retry-After: 1 was honoured"
check "grep -q '1 placements new, 1 ended' $tmp/out && grep -q '1 principal changed at Västervångskolan' $tmp/out && grep -q '1 left' $tmp/out" "delta summary: $(cat $tmp/out)"
check "[ \"\$(sql \"SELECT active FROM staff WHERE name = 'Eva Åström'\")\" = 0 ]" "the deleted teacher is inactive"
check "[ \"\$(sql \"SELECT s.name || ' ' || coalesce(r.end_date, '-') FROM unit_role r JOIN staff s ON s.id = r.staff_id JOIN unit u ON u.id = r.unit_id WHERE u.name = 'Västervångskolan' ORDER BY r.start_date\" | tr '\n' '|')\" = 'Mats Ek 2026-08-02|Pia Holm -|' ]" "the principal's duty moved from Mats to Pia"
check "[ \"\$(sql \"SELECT u.name || ' ' || p.start_date || ' ' || coalesce(p.end_date, '-') FROM placement p JOIN unit u ON u.id = p.unit_id JOIN child c ON c.id = p.child_id WHERE c.birth_date = '2022-03-10' ORDER BY p.start_date\" | tr '\n' '|')\" = 'Förskolan Solrosen 2023-08-21 2026-09-01|Förskolan Ängen 2026-09-02 -|' ]" "the child moves preschool"

# The planner: the moved child's handover to the outgoing principal, the
# digest to the new one, nothing to the teacher who left.
"$BUILD/backad" -c "$tmp/ok.conf" --once --now 2026-08-03T08:00 --foreground >/dev/null 2>&1
check "grep -l '^To: olof.lindqvist@' $tmp/spool/email/*handover_outgoing* >/dev/null 2>&1" "the handover the moved child needs is announced"
check "grep -l '^To: pia.holm@' $tmp/spool/email/*rolechange_digest* >/dev/null 2>&1" "the new principal gets the role-change digest"
check "! grep -l 'eva.astrom@' $tmp/spool/email/* >/dev/null 2>&1" "nothing to the deleted teacher"

# A bad field names the entity and its id; a resync that shrinks is refused.
check "$B sync ss12000 --full --now 2026-08-03T06:00 >$tmp/out 2>&1 && grep -q '0 placements new, 0 ended, 0 changed, 0 removed' $tmp/out" "a full resync of the same data changes nothing: $(cat $tmp/out)"
load "$tmp/bad.json"
c2=$(python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("6f1c0e52-9d0b-4a57-8d0e-3c1f2a4b5c6d"), "person:c2"))')
refused "a birth date that is no date" "person $c2: birthDate '2023-13-05' is not a date" ok
load "$tmp/shrunk.json"
refused "a full resync that ends too much" "the full resync no longer lists 5 of the" ok --full
check "grep -q 'more than import.max_shrink_percent = 10' $tmp/out" "the shrink refusal names the limit: $(cat $tmp/out)"
$B sync ss12000 --full --force --now 2026-08-03T06:00 >$tmp/out 2>&1 || true
check "grep -q '0 placements new, 4 ended, 0 changed, 1 removed' $tmp/out" "--force accepts it (the placement not yet begun is removed): $(cat $tmp/out)"

finish

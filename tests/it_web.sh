#!/bin/sh
# it_web.sh - backad-web with curl: the links backad --once puts in spooled
# e-mail open a Swedish page (GET changes nothing); an action POSTed with
# its CSRF value is recorded once, audited, and stops what it answers at
# the next planning pass (a referral taken: nothing, the deadline's messages
# go on; a handover conversation booked by the outgoing holder: the incoming
# holder is still told), compared with a
# copy of the database without the acknowledgements. Refused with one plain
# page and nothing recorded: a forged signature, a changed task id, an
# expired link, another recipient's link, another key, a missing or wrong
# CSRF value, an action not offered, an oversized body, unknown paths, and a
# flood from one address (X-Forwarded-For believed from the trusted proxy).
# `backactl report` counts the acknowledgements.
set -eu
. tests/lib.sh
B="$BUILD/backactl -c $tmp/backad.conf"
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
web: {
  public_url = "https://backad.ystad.example.se/kvittens";
  key_file = "$tmp/ack.keys";
  trusted_proxy = "127.0.0.1";
  rate_per_minute = 20;
  reports_per_minute = 10;
};
CONF
printf '# old\n%s\n%s\n' "old-key-$(head -c 24 /dev/urandom | base64)" \
	"new-key-$(head -c 24 /dev/urandom | base64)" >"$tmp/ack.keys"
chmod 600 "$tmp/ack.keys"
demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
$B referral add --child B-2017-0010 --reporter lars.larare --received 2026-08-03 >/dev/null
$BUILD/backad -c "$tmp/backad.conf" --foreground --once --now 2026-08-03T08:00 2>"$tmp/log"
cp "$tmp/case.db" "$tmp/control.db"
link() { /usr/bin/python3 tests/ack_link.py links "$tmp"/spool/email/$1 | sed 's|.*/a/||'; }
ref1=$(link '*referral_task.referral.1.*staff.11_*')
ref1b=$(link '*referral_task.referral.1.*staff.12_*')
ref2=$(link '*referral_task.referral.2.*staff.11_*')
ho=$(link '*handover_outgoing.placement.9.*')
check "[ -n '$ref1' ] && [ -n '$ref1b' ] && [ -n '$ref2' ] && [ -n '$ho' ]" "task e-mails carry links"
check "! /usr/bin/python3 tests/ack_link.py links $tmp/spool/email/*referral_receipt* | grep -q ." \
	"a receipt to the reporter carries no link"
check "/usr/bin/python3 tests/ack_link.py links $tmp/spool/email/*referral_task.referral.1.*staff.11_* | grep -q '^https://backad.ystad.example.se/kvittens/a/'" \
	"the link is web.public_url/a/TOKEN"
check "! /usr/bin/python3 tests/ack_link.py payload $ref1 | grep -q 'B-20'" "no child reference in the link"
check "[ \"\$(/usr/bin/python3 tests/ack_link.py payload $ref1)\" = '1|referral:1|11|r|1790985600' ]" \
	"the payload: subject, recipient, actions, expiry (message date + 60 days)"

rm -f "$tmp/web.out"
"$BUILD/backad-web" -c "$tmp/backad.conf" --listen 127.0.0.1:0 --now 2026-08-03T09:00 \
	>"$tmp/web.out" 2>"$tmp/web.log" &
webpid=$!
pids="$pids $!"
port=$(ready_port "$tmp/web.out")
U="http://127.0.0.1:$port/a"
n=0
# req NAME CURL-ARGS...: the status; headers and body kept as NAME.h, NAME.b.
# Each from its own client address (the proxy's header), except where set.
req() {
	_name=$1; shift; n=$((n + 1))
	curl -s -H "X-Forwarded-For: 192.0.2.$n" -D "$tmp/$_name.h" -o "$tmp/$_name.b" \
		-w '%{http_code}' "$@"
}
sql() { sqlite3 -cmd '.timeout 5000' "$tmp/case.db" "$1"; }
version() { sql "SELECT value FROM state WHERE key = 'facts.version'"; }
csrf() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$tmp/$1.b"; }

v0=$(version)
check "[ $(req page "$U/$ref1") = 200 ]" "GET a link: 200"
check "grep -q '<html lang=\"sv\">' $tmp/page.b" "the page is Swedish (lang=sv)"
check "grep -q 'Ärende B-2016-0005/A1' $tmp/page.b" "the page shows the reference"
check "grep -q 'Förhandsbedömningen ska vara klar senast <strong>måndag 17 augusti 2026' $tmp/page.b" \
	"the page shows the deadline"
check "grep -q '>Jag har tagit emot uppgiften</button>' $tmp/page.b" "a referral offers 'tagit emot'"
check "! grep -q 'Samtalet är genomfört\|Överlämningssamtalet' $tmp/page.b" "...and nothing else"
check "! grep -qi '<script\|Anna\|Nilsson' $tmp/page.b" "no script, no names"
check "grep -qi '^Cache-Control: no-store' $tmp/page.h && grep -qi '^Referrer-Policy: no-referrer' $tmp/page.h && grep -qi \"^Content-Security-Policy: default-src 'none'\" $tmp/page.h" \
	"no-store, no-referrer and a CSP"
check "[ $(req ho "$U/$ho") = 200 ] && grep -q '>Överlämningssamtalet är bokat</button>' $tmp/ho.b" \
	"a handover offers 'bokat'"
check "[ \"$(version)\" = '$v0' ] && [ $(sql 'SELECT count(*) FROM task_ack') = 0 ]" "GET changes nothing"
# Pages read through a read-only handle: the database is open twice, once
# for reading only (the access mode in the descriptor's flags).
modes=$(for f in /proc/$webpid/fd/*; do
	[ "$(readlink "$f")" = "$tmp/case.db" ] && echo $(( 0$(sed -n 's/^flags:[[:space:]]*//p' /proc/$webpid/fdinfo/${f##*/}) & 3 ))
done | sort | tr '\n' ' ')
check "[ '$modes' = '0 2 ' ]" "pages read through a read-only handle (access modes: $modes)"

# Every refusal: 403 and the same page, nothing recorded.
exp=$(/usr/bin/python3 tests/ack_link.py payload "$ref2" | cut -d'|' -f5)
fake=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
printf 'other-key-%s\n' "$(head -c 24 /dev/urandom | base64)" >"$tmp/other.keys"
req ok2 "$U/$ref2" >/dev/null
c2=$(csrf ok2)
req ok1 "$U/$ref1" >/dev/null
c1=$(csrf ok1)
check "[ -n '$c1' ] && [ -n '$c2' ] && [ '$c1' != '$c2' ]" "each page has its own CSRF value"
refuse() {
	_what=$1; shift
	_code=$(req refused "$@")
	check "[ $_code = 403 ] && cmp -s $tmp/refused.b $tmp/first.b" "refused: $_what ($_code)"
}
req first "$U/${ref2%%.*}.$fake" >/dev/null
check "grep -q 'Länken går inte att använda' $tmp/first.b" "the refusal page"
refuse "forged signature" -d "csrf=$c2&action=r" "$U/${ref2%%.*}.$fake"
refuse "changed task id" -d "csrf=$c2&action=r" \
	"$U/$(/usr/bin/python3 tests/ack_link.py resign "$ref2" "1|referral:1|11|r|$exp")"
refuse "another recipient" -d "csrf=$c2&action=r" \
	"$U/$(/usr/bin/python3 tests/ack_link.py resign "$ref2" "1|referral:2|12|r|$exp")"
refuse "another recipient's signature" "$U/${ref1b%%.*}.${ref2#*.}"
refuse "expired" "$U/$(/usr/bin/python3 tests/ack_link.py sign "$tmp/ack.keys" \
	"1|referral:2|11|r|$(date -d 2026-08-03T06:59:59Z +%s)")"
refuse "another key" "$U/$(/usr/bin/python3 tests/ack_link.py sign "$tmp/other.keys" \
	"1|referral:2|11|r|$exp")"
refuse "action not offered" -d "csrf=$c2&action=d" "$U/$ref2"
# A link signed with the right key but offering "done" on a referral.
rd=$(/usr/bin/python3 tests/ack_link.py sign "$tmp/ack.keys" "1|referral:2|11|rd|$exp")
# (a POST is refused by the same check, in ack_store_record's view)
refuse "an action the task's kind does not take" -H 'X-Forwarded-For: 198.51.100.43' "$U/$rd"
refuse "missing CSRF value" -d "action=r" "$U/$ref2"
refuse "another page's CSRF value" -d "csrf=$c1&action=r" "$U/$ref2"
# One character of the value changed (its first: every letter there counts).
c2x=${c2#?}
case $c2 in A*) c2bad="B$c2x" ;; *) c2bad="A$c2x" ;; esac
refuse "a CSRF value changed" -d "csrf=$c2bad&action=r" "$U/$ref2"
refuse "an unknown field" -d "csrf=$c2&action=r&next=https://evil.example" "$U/$ref2"
check "[ $(req big -d "csrf=$c2&action=r&x=$(head -c 4000 /dev/zero | tr '\0' x)" "$U/$ref2") = 413 ]" \
	"an oversized body: 413"
check "[ $(req big2 -H 'Transfer-Encoding: chunked' -d "csrf=$c2&action=r&x=$(head -c 4000 /dev/zero | tr '\0' x)" "$U/$ref2") = 000 ]" \
	"an oversized chunked body: the connection is closed"
# A slow chunked body past the limit: its connection closed at once.
slow=$(/usr/bin/python3 tests/slow_client.py body "$port")
# (all 40 pieces would take 12 s: closed long before that, with no answer).
check "echo '$slow' | awk '\$1 != \"none\" || \$2 >= 4 { exit 1 }'" \
	"an oversized chunked body sent slowly: closed when it passes 1 KiB ($slow s)"
# Slowloris: 64 unfinished requests from one address hold only
# web.connections_per_address (8) connections; others are served.
/usr/bin/python3 tests/slow_client.py loris "$port" 127.0.0.2 64 4 >"$tmp/loris.out" &
lpid=$!
wait_for 10 "[ -s $tmp/loris.out ]" || true
check "[ \"\$(cat $tmp/loris.out)\" = 56 ]" "slow clients from one address: 56 of 64 closed at once ($(cat $tmp/loris.out))"
check "[ $(req loris -H 'X-Forwarded-For: 198.51.100.31' "$U/$ref2") = 200 ]" "...and another address is served meanwhile"
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null || true
check "[ $(req path "http://127.0.0.1:$port/a/$ref2/x") = 404 ] && [ $(req path "http://127.0.0.1:$port/") = 404 ]" \
	"unknown paths: 404"
check "[ $(req put -X PUT -d x "$U/$ref2") = 405 ]" "other methods: 405"
check "[ $(sql 'SELECT count(*) FROM task_ack') = 0 ] && [ $(sql "SELECT count(*) FROM audit WHERE channel = 'web'") = 0 ] && [ \"$(version)\" = '$v0' ]" \
	"nothing recorded by any refusal"

# A flood from one address: refused over the rate, that address only.
codes=""
for i in $(seq 1 30); do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.7' "$U/$ref2")"
done
# 20 at once, then one every 3 s: a slow machine may see one or two more.
served=$(echo $codes | tr ' ' '\n' | grep -c 200 || true)
limited=$(echo $codes | tr ' ' '\n' | grep -c 429 || true)
check "[ $served -ge 20 ] && [ $served -le 22 ] && [ $((served + limited)) = 30 ]" \
	"a flood: 20 served, then 429 ($served, $limited)"
check "[ $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.7' -d "csrf=$c2&action=r" "$U/$ref2") = 429 ]" \
	"a valid POST from the flooding address: 429"
check "[ $(sql 'SELECT count(*) FROM task_ack') = 0 ]" "...and nothing recorded"
check "[ $(req other "$U/$ref2") = 200 ]" "another address is served meanwhile"
# The proxy appends the peer it saw: a client's own X-Forwarded-For, an
# earlier header or earlier in the list, picks neither bucket nor address.
check "[ $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.66' -H 'X-Forwarded-For: 203.0.113.7' "$U/$ref2") = 429 ] && [ $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.66, 203.0.113.7' "$U/$ref2") = 429 ]" \
	"X-Forwarded-For: the last address of the last header counts"
check "! grep -q '198.51.100.66' $tmp/web.log" "...and a client's own address is never logged or recorded"

# Forged delivery reports: rate-limited in their own bucket, and the
# refusals logged once a minute with a count, not once each.
codes=""
for i in $(seq 1 15); do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' -d 'status=delivered' "http://127.0.0.1:$port/dlr/1/forged$i")"
done
check "[ \"\$(echo $codes | tr ' ' '\n' | sort | uniq -c | tr -s ' ' | tr '\n' ,)\" = ' 10 403, 5 429,' ]" \
	"forged delivery reports: 10 refused (403), then rate-limited (429)"
check "[ \$(grep -c 'delivery report' $tmp/web.log) = 1 ] && grep -q 'refused 1 delivery report since the last such line, from 203.0.113.9' $tmp/web.log" \
	"...and logged once, not fifteen times"
check "[ $(req afterdlr -H 'X-Forwarded-For: 198.51.100.32' "$U/$ref2") = 200 ]" "...while the links are served"

# A database lock held elsewhere (backad planning) costs a request at most
# the service's short busy timeout: 503 with Retry-After, nothing
# recorded, and the next request is not kept waiting behind it.
req lockpage -H 'X-Forwarded-For: 198.51.100.51' "$U/$ref1b" >/dev/null
clb=$(csrf lockpage)
/usr/bin/python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN IMMEDIATE'); c.execute(\"UPDATE state SET value = value WHERE key = 'facts.version'\")
print('locked', flush=True); time.sleep(4); c.execute('ROLLBACK')" "$tmp/case.db" >"$tmp/lock.out" &
lockpid=$!
wait_for 10 "grep -qs locked $tmp/lock.out"
t0=$(date +%s%N)
lcode=$(req locked -H 'X-Forwarded-For: 198.51.100.52' -d "csrf=$clb&action=r" "$U/$ref1b")
t1=$(date +%s%N)
gcode=$(req lockget -H 'X-Forwarded-For: 198.51.100.53' "$U/$ref2")
t2=$(date +%s%N)
check "[ $lcode = 503 ] && grep -qi '^Retry-After: 5' $tmp/locked.h && grep -q 'Försök igen om en stund' $tmp/locked.b && [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]" \
	"a locked database: a POST gets 503 and Retry-After within 2 s ($lcode, $(( (t1 - t0) / 1000000 )) ms)"
check "[ $gcode = 200 ] && [ $(( (t2 - t1) / 1000000 )) -lt 2000 ]" \
	"...and a GET meanwhile is answered at once ($gcode, $(( (t2 - t1) / 1000000 )) ms)"
wait $lockpid
check "[ $(sql 'SELECT count(*) FROM task_ack') = 0 ]" "...and nothing recorded"

# The actions.
check "[ $(curl -s -o $tmp/done.b -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.4' -d "csrf=$c1&action=r" "$U/$ref1") = 200 ]" \
	"POST 'tagit emot': 200"
check "grep -q 'Det är nu registrerat för ärende B-2016-0005/A1' $tmp/done.b" "...the result page"
check "[ $(req again -d "csrf=$c1&action=r" "$U/$ref1") = 200 ] && grep -q 'Det var redan registrerat' $tmp/again.b" \
	"a replayed POST: told it was recorded before"
check "[ \"$(sql "SELECT kind, ref_id, staff_id, action, at, client FROM task_ack")\" = 'referral|1|11|received|2026-08-03T07:00:00Z|198.51.100.4' ]" \
	"one fact: who, what, when, from where (the proxy's client)"
check "[ \"$(sql "SELECT recipient_id, address, rule, channel FROM audit WHERE channel = 'web'")\" = '11|198.51.100.4|ack_received|web' ]" \
	"one audit row"
cho=$(csrf ho)
check "[ $(req booked -d "csrf=$cho&action=b" "$U/$ho") = 200 ]" "POST 'bokat': 200"
check "[ $(req page2 "$U/$ref1") = 200 ] && grep -q 'Du har bekräftat att du har tagit emot uppgiften' $tmp/page2.b && ! grep -q '<button' $tmp/page2.b" \
	"the page afterwards says so and offers no button again"
check "grep -q 'recorded received referral:1 by staff 11' $tmp/web.log && grep -q 'refused POST from 192.0.2' $tmp/web.log" \
	"the service logs what it records and refuses"

# The next passes: what the acknowledgements answer stops.
for db in case control; do
	sed "s|$tmp/case.db|$tmp/$db.db|" "$tmp/backad.conf" >"$tmp/$db.conf"
	for t in 2026-08-14T08:00 2026-08-17T08:00; do
		"$BUILD/backactl" -c "$tmp/$db.conf" plan --now $t >/dev/null
	done
done
count() { sqlite3 "$tmp/$1.db" "SELECT count(*) FROM outbox WHERE key LIKE '$2'"; }
# "Received" answers only "has anyone taken it": the legal deadline's
# escalation and reminders stop with the decision alone.
check "[ $(count control 'referral_escalation/referral:1/%') -ge 1 ] && [ $(count case 'referral_escalation/referral:1/%') = $(count control 'referral_escalation/referral:1/%') ]" \
	"a referral received on day 1: the manager's escalation still goes out"
check "[ $(count case 'referral_escalation/referral:2/%') -ge 1 ]" "...as for the other referral"
check "[ $(count case 'referral_reminder/referral:1/%') -ge 1 ] && [ $(count case 'referral_reminder/referral:1/%') = $(count control 'referral_reminder/referral:1/%') ]" \
	"...and the deadline reminders go on"
# Booked by the outgoing holder: the incoming holder is still told.
check "[ $(count control 'handover_incoming/placement:9/%') -ge 1 ] && [ $(count case 'handover_incoming/placement:9/%') = $(count control 'handover_incoming/placement:9/%') ]" \
	"a handover booked by the outgoing Barnkontakt: the incoming one is still told"
check "[ $(sqlite3 $tmp/case.db "SELECT count(*) FROM outbox WHERE key LIKE 'handover_incoming/placement:9/%' AND state <> 'cancelled'") -ge 1 ]" \
	"...by a message that is not cancelled"

# A closed task takes no answer: after the decision the page says so,
# offers no button, and a POST records nothing.
$B referral decide 2 --outcome opened --date 2026-08-05 >/dev/null
acks=$(sql 'SELECT count(*) FROM task_ack'); audits=$(sql 'SELECT count(*) FROM audit')
check "[ $(req closed -H 'X-Forwarded-For: 198.51.100.41' "$U/$ref2") = 200 ] && grep -q 'Uppgiften är avslutad' $tmp/closed.b && ! grep -q '<button' $tmp/closed.b" \
	"a referral decided: the link's page says it is closed, no button"
check "[ $(req closedpost -H 'X-Forwarded-For: 198.51.100.42' -d "csrf=$c2&action=r" "$U/$ref2") = 200 ] && grep -q 'Uppgiften är avslutad' $tmp/closedpost.b && [ $(sql 'SELECT count(*) FROM task_ack') = $acks ] && [ $(sql 'SELECT count(*) FROM audit') = $audits ]" \
	"...and a POST records nothing"

# Started as systemd does it: the socket handed over (sd_listen_fds).
sport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
systemd-socket-activate -l "127.0.0.1:$sport" "$BUILD/backad-web" -c "$tmp/backad.conf" \
	--now 2026-08-03T09:00 >/dev/null 2>"$tmp/activated.log" &
pids="$pids $!"
wait_port "$sport"
check "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$sport/a/$ref2) = 200 ]" \
	"socket activation: the handed-over socket serves"

$B report --from 2026-08-01 --to 2026-08-31 >"$tmp/report"
check "grep -q '^acknowledgements  *2$' $tmp/report" "backactl report counts acknowledgements"
check "grep -q '^hours to acknowledgement, median  *1.0$' $tmp/report" "...and the time from message to acknowledgement"

# Booked by the incoming holder (staff 7): that holder's later message (on
# the day, 0) stops; the first (14 days before) was that holder's notice.
hoin=$(/usr/bin/python3 tests/ack_link.py sign "$tmp/ack.keys" "1|placement:9|7|rb|$exp")
req hoin -H 'X-Forwarded-For: 198.51.100.61' "$U/$hoin" >/dev/null
check "[ $(req hoinb -H 'X-Forwarded-For: 198.51.100.62' -d "csrf=$(csrf hoin)&action=b" "$U/$hoin") = 200 ]" \
	"the incoming Barnkontakt registers the conversation booked"
for db in case control; do
	"$BUILD/backactl" -c "$tmp/$db.conf" plan --now 2026-08-31T08:00 >/dev/null
done
live() { sqlite3 "$tmp/$1.db" "SELECT count(*) FROM outbox WHERE key LIKE '$2' AND state <> 'cancelled'"; }
check "[ $(live control 'handover_incoming/placement:9/2026-08-31-0/%') = 1 ] && [ $(live case 'handover_incoming/placement:9/2026-08-31-0/%') = 0 ]" \
	"...and no reminder on the day goes to the one who booked"
finish

#!/bin/sh
# it_sms.sh - SMS through real gateways on loopback. Kannel (bearerbox,
# smsbox and the fake SMS centre fakesmsc) receives the text with å/ä/ö
# intact; a refused message (403) falls back to e-mail; a 46elks-style
# gateway of the test's own sees Basic auth and the fields, and its 503, 429
# with Retry-After and then 202/200 drive retry exactly as specified.
set -eu
. tests/lib.sh
for tool in bearerbox smsbox /usr/lib/kannel/test/fakesmsc; do
	command -v "$tool" >/dev/null || { echo "$tool is missing (packages kannel, kannel-extras)"; exit 1; }
done
base=$((30000 + $$ % 9000))
printf 'hemligt\n' >"$tmp/sms.pw"
chmod 600 "$tmp/sms.pw"
conf() { # PROVIDER URL [extra]
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $((base + 9)); starttls = "off"; timeout_seconds = 5; };
sms: { provider = "$1"; url = "$2"; user = "backad"; password_file = "$tmp/sms.pw";
       timeout_seconds = 10; ${3:-} };
followup: { channels = "sms"; };
CONF
}
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer
fresh() {
	rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
	demo_db $B
	# Follow-ups due tomorrow: an SMS reminder each, today.
	$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04 >/dev/null
	$B followup add --child B-2014-0008 --responsible nils.fritid --due 2026-08-04 >/dev/null
}

# ---- Kannel ----
kannel_start "$base"
conf kannel "http://127.0.0.1:$((base + 3))/cgi-bin/sendsms"
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
i=0
while [ $i -lt 50 ] && [ "$(grep -c 'Got message' "$tmp/fake.out")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='sent' AND provider_id LIKE '202 %'\") -eq 2 ]" "Kannel accepted both (202)"
check "grep -q 'Got message .*Backabarnet +46701234509 text Backa barnet: uppföljningssamtal i ärende B-2017-0010 senast tisdag 4 augusti 2026 (i morgon)\.' $tmp/fake.out" "the SMS centre got the text with å/ä/ö intact"
check "[ \$(q 'SELECT count(*) FROM audit WHERE channel=\"sms\"') -eq 2 ]" "audited"

# A wrong password: Kannel answers 403, and the message goes by e-mail instead.
printf 'fel\n' >"$tmp/sms.pw"
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='dead' AND last_error LIKE 'HTTP 403%'\") -eq 2 ]" "403: dead"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE key LIKE '%/fallback' AND channel='email' AND address='sara.dahlgren@ystad.example.se'\") -eq 1 ]" "403: falls back to e-mail"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE rule='admin_alert'\") -eq 1 ]" "no e-mail address (nils.fritid): an admin alert"
printf 'hemligt\n' >"$tmp/sms.pw"

# The gateway gone: a temporary failure, retried.
for p in $pids; do kill "$p" 2>/dev/null || true; done
pids=
sleep 0.3
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed'\") -eq 2 ]" "gateway down: failed, to retry"

# ---- 46elks-style ----
port=$((base + 5))
/usr/bin/python3 tests/sms_gateway.py "$port" backad hemligt "$tmp/requests" "503,429:120" 60 >"$tmp/gw.out" 2>&1 &
pids="$pids $!"
wait_port "$port"
conf 46elks "http://127.0.0.1:$port/a1/sms"
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed' AND last_error LIKE 'HTTP 503%' AND next_attempt_at='2026-08-03T06:05:00Z'\") -eq 1 ]" "503: retry after the backoff"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed' AND last_error LIKE 'HTTP 429%' AND next_attempt_at='2026-08-03T06:02:00Z'\") -eq 1 ]" "429: retry after Retry-After (120 s)"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='sent' AND provider_id LIKE '200 s%'\") -eq 0 ]" "nothing sent yet"
$D --once --now 2026-08-03T08:02 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='sent' AND provider_id LIKE '200 s%'\") -eq 1 ]" "the 429 one sent at its Retry-After"
$D --once --now 2026-08-03T08:05 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='sent'\") -eq 2 ]" "the 503 one sent after the backoff"
check "grep -q '\"status\": 200.*\"from\": \"Backabarnet\", \"to\": \"+46701234509\", \"message\": \"Backa barnet: uppföljningssamtal i ärende B-2017-0010' $tmp/requests" "fields and Basic auth as the API wants"
check "! grep -q '\"status\": 401' $tmp/requests" "authenticated"

# gw SCRIPT: a fresh 46elks-style gateway on a new port, and a fresh database.
gw() {
	rm -f "$tmp/requests" "$tmp/gw.out" # not the last gateway's port
	/usr/bin/python3 tests/sms_gateway.py 0 backad hemligt "$tmp/requests" "$1" 60 >"$tmp/gw.out" 2>&1 &
	pids="$pids $!"
	port=$(ready_port "$tmp/gw.out") || exit 1
	conf "${2:-46elks}" "http://127.0.0.1:$port/a1/sms" "${3:-}"
	fresh
}

# Retry-After as an HTTP-date, counted from the reply's Date: 200 s later;
# a date in the past means now (1 s); garbage is ignored (the backoff).
gw "503:@200,429:@-100"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed' AND last_error LIKE 'HTTP 503%' AND next_attempt_at='2026-08-03T06:03:20Z'\") -eq 1 ]" "503 with an HTTP-date 200 s on: retried then"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed' AND last_error LIKE 'HTTP 429%' AND next_attempt_at='2026-08-03T06:00:01Z'\") -eq 1 ]" "429 with a past HTTP-date: retried at once"
gw "503:Tuesday-ish,503:99 bottles"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='failed' AND next_attempt_at='2026-08-03T06:05:00Z'\") -eq 2 ]" "a Retry-After that is neither form: ignored, the backoff"

# A silent duplicate SMS: the gateway reads the second POST on the reused
# keep-alive connection and resets it without a reply; libcurl sends it
# again on a new connection. Two requests arrive, and the row is sent but
# in doubt, not silently sent. (One connection, so the second request
# reuses the first one's.)
gw "200,reset" 46elks "connections = 1;"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
dup=$(grep '"status": "reset"' "$tmp/requests" 2>/dev/null | sed 's/.*"to": "\([^"]*\)".*/\1/')
n_req=$(cat "$tmp/requests" 2>/dev/null | wc -l)
n_dup=$(grep -cF "\"to\": \"$dup\"" "$tmp/requests" || true)
check "[ $n_req -eq 3 ] && [ $n_dup -eq 2 ]" "resent: two requests for one message at the gateway"
[ "$n_req" -eq 3 ] || { cat "$tmp/log"; cat "$tmp/gw.out"; q "SELECT id, channel, state, last_error FROM outbox"; } >&2
check "[ \"\$(q \"SELECT state, in_doubt FROM outbox WHERE channel='sms' AND address='$dup'\")\" = 'sent|1' ]" "the resent one is sent and in doubt, not silently sent"
check "q \"SELECT provider_id FROM outbox WHERE address='$dup'\" | grep -q 'sent 2 times'" "the record says it went out twice"
check "$B outbox --state sent | grep -c 'sent (in doubt)' | grep -qx 1" "backactl outbox shows it in doubt"
check "[ \"\$(q \"SELECT state, in_doubt FROM outbox WHERE channel='sms' AND address<>'$dup'\")\" = 'sent|0' ]" "the other one is sent and not in doubt"

# The generic gateway gets the Message-ID as its reference field and as an
# Idempotency-Key.
gw "200" generic
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
mid=$(q "SELECT message_id FROM outbox WHERE channel='sms' ORDER BY id LIMIT 1")
n_key=$(grep -F "\"key\": \"\\\"$mid\\\"\"" "$tmp/requests" | grep -cF "\"reference\": \"$mid\"" || true)
check "[ $n_key -eq 1 ]" "Idempotency-Key and reference: the Message-ID"

finish

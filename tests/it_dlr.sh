#!/bin/sh
# it_dlr.sh - SMS delivery reports, received by backad-web at the address
# backad gave with each SMS (public_url/dlr/ID/MAC). A 46elks-style gateway
# of the test's own posts reports: delivered, failed (an e-mail fallback is
# queued), a duplicate and one with an id it never gave (nothing changes),
# and a late one after the failure (nothing changes); a report to a forged
# address is refused. Kannel with the fake SMS centre calls its dlr-url.
# backactl outbox and the metrics show delivered and undeliverable.
set -eu
. tests/lib.sh
for tool in bearerbox smsbox /usr/lib/kannel/test/fakesmsc; do
	command -v "$tool" >/dev/null || { echo "$tool is missing (packages kannel, kannel-extras)"; exit 1; }
done
base=$((31000 + $$ % 9000))
printf 'hemligt\n' >"$tmp/sms.pw"
printf 'key-%s\n' "$(head -c 32 /dev/urandom | base64)" >"$tmp/ack.keys"
chmod 600 "$tmp/sms.pw" "$tmp/ack.keys"
conf() { # PROVIDER URL [WEB-PORT]
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $((base + 9)); starttls = "off"; timeout_seconds = 5; };
sms: { provider = "$1"; url = "$2"; user = "backad"; password_file = "$tmp/sms.pw";
       timeout_seconds = 10; };
followup: { channels = "sms"; };
metrics: { textfile = "$tmp/backad.prom"; };
web: { key_file = "$tmp/ack.keys"; ${3:+public_url = \"http://127.0.0.1:$3\";} };
CONF
}
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; }
fresh() {
	rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
	demo_db $B
	# Follow-ups due tomorrow: an SMS reminder each, today.
	for who in sara.rektor olof.rektor lena.rektor mats.rektor; do
		$B followup add --child B-2017-0010 --responsible $who --due 2026-08-04 >/dev/null
	done
}
web() { # [PORT]: a backad-web on the fresh database
	if [ -n "${webpid:-}" ]; then kill "$webpid"; wait "$webpid" 2>/dev/null || true; fi
	rm -f "$tmp/web.out"
	"$BUILD/backad-web" -c "$tmp/backad.conf" --listen "127.0.0.1:${1:-0}" >"$tmp/web.out" \
		2>>"$tmp/web.log" &
	webpid=$!
	pids="$pids $webpid"
	webport=$(ready_port "$tmp/web.out")
}

# ---- 46elks-style ----
conf 46elks http://127.0.0.1:1/unused
fresh
web
rm -f "$tmp/requests" "$tmp/gw.out"
/usr/bin/python3 tests/sms_gateway.py 0 backad hemligt "$tmp/requests" "" 60 \
	"delivered,failed,duplicate,unknown" >"$tmp/gw.out" 2>&1 &
pids="$pids $!"
gwport=$(ready_port "$tmp/gw.out")
conf 46elks "http://127.0.0.1:$gwport/a1/sms" "$webport"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 'sent'\") -eq 4 ]" "four SMS sent"
check "[ \$(grep -c '\"whendelivered\": \"http://127.0.0.1:$webport/dlr/[0-9]*/[A-Za-z0-9_-]*\"' $tmp/requests) -eq 4 ]" \
	"each asked for a delivery report at its own address"
# The id of the message that got each kind of report.
id_of() { grep "\"dlr\": \"$1\"" "$tmp/requests" | sed 's|.*/dlr/\([0-9]*\)/.*|\1|'; }
d=$(id_of delivered) f=$(id_of failed) dup=$(id_of duplicate) unk=$(id_of unknown)
curl -s -o /dev/null "http://127.0.0.1:$gwport/reports"
check "[ \$(grep -c '\"answer\": 200' $tmp/requests) -eq 5 ]" "every report answered 200"
check "[ \"\$(q \"SELECT delivery FROM outbox WHERE id = $d\")\" = delivered ]" "delivered: recorded"
check "[ \"\$(q \"SELECT state, delivery FROM outbox WHERE id = $f\")\" = 'sent|undeliverable' ]" \
	"failed: undeliverable (and still sent: the gateway took it)"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE origin = 'fallback' AND channel = 'email' AND key = (SELECT key FROM outbox WHERE id = $f) || '/fallback'\") -eq 1 ]" \
	"failed: its text queued by e-mail (origin fallback)"
check "[ \"\$(q \"SELECT delivery FROM outbox WHERE id = $dup\")\" = delivered ]" "duplicate: recorded once"
check "grep -q 'delivery report for message $dup (delivered) repeated: nothing changes' $tmp/web.log" \
	"...the second logged, nothing changed"
check "[ -z \"\$(q \"SELECT delivery FROM outbox WHERE id = $unk\")\" ]" "a report with an unknown id: nothing changes"
check "grep -q 'delivery report for message $unk (undeliverable) for no SMS it knows' $tmp/web.log" "...and it is logged"
# Late: a report of delivery after the failure changes nothing, queues nothing.
url=$(grep '"report": "failed"' "$tmp/requests" | sed 's/.*"url": "\([^"]*\)".*/\1/')
check "[ \$(curl -s -o /dev/null -w '%{http_code}' -d 'id=s0002&status=delivered' '$url') = 200 ]" "a late report: answered"
check "[ \"\$(q \"SELECT delivery FROM outbox WHERE id = $f\")\" = undeliverable ] && [ \$(q \"SELECT count(*) FROM outbox WHERE origin = 'fallback'\") -eq 1 ]" \
	"...and nothing changes"
# The id check cannot be skipped: a 46elks report without an id, or with
# one too long to keep, is refused (400) and changes nothing.
uurl=$(grep '"report": "unknown"' "$tmp/requests" | sed 's/.*"url": "\([^"]*\)".*/\1/')
long=$(head -c 70 /dev/zero | tr '\0' s)
check "[ \$(curl -s -o /dev/null -w '%{http_code}' -d 'status=failed' '$uurl') = 400 ] && [ \$(curl -s -o /dev/null -w '%{http_code}' -d 'id=$long&status=failed' '$uurl') = 400 ]" \
	"a 46elks report without an id, or with an overlong one: 400"
check "[ -z \"\$(q \"SELECT delivery FROM outbox WHERE id = $unk\")\" ] && [ \$(q \"SELECT count(*) FROM outbox WHERE origin = 'fallback'\") -eq 1 ]" \
	"...and nothing changes (no fallback queued)"
check "[ \$(curl -s -o /dev/null -w '%{http_code}' -d 'id=s0001&status=failed' 'http://127.0.0.1:$webport/dlr/$d/AAAA${url##*/}') = 403 ]" \
	"a forged report address: 403"
check "[ \$(curl -s -o /dev/null -w '%{http_code}' -d 'id=s0001&status=failed' 'http://127.0.0.1:$webport/dlr/$unk/${url##*/}') = 403 ]" \
	"another message's address: 403"
check "[ \"\$(q \"SELECT delivery FROM outbox WHERE id = $d\")\" = delivered ]" "...nothing changed"
$B outbox --state sent >"$tmp/outbox"
check "[ \$(grep -c ' delivered ' $tmp/outbox) -eq 2 ] && [ \$(grep -c ' undeliverable ' $tmp/outbox) -eq 1 ]" \
	"backactl outbox shows delivered and undeliverable"
check "[ \$($B outbox --state undeliverable | grep -c undeliverable) -eq 1 ]" "backactl outbox --state undeliverable"
$D --once --now 2026-08-03T08:01 2>>"$tmp/log"
check "grep -q '^backad_sms_delivery_reports{result=\"delivered\"} 2$' $tmp/backad.prom && grep -q '^backad_sms_delivery_reports{result=\"undeliverable\"} 1$' $tmp/backad.prom" \
	"the metrics count delivered and undeliverable"

# ---- Kannel with the fake SMS centre ----
kannel_start "$base" 'dlr-storage = internal' 'dlr-url = ""'
conf kannel "http://127.0.0.1:$((base + 3))/cgi-bin/sendsms" "$webport"
fresh
web "$webport"
: >"$tmp/web.log"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 'sent'\") -eq 4 ]" "Kannel: four SMS sent"
check "[ \$(grep -c 'created DLR message for URL <http://127.0.0.1:$webport/dlr/[0-9]*/[A-Za-z0-9_-]*?type=%d>' $tmp/bearerbox.log) -eq 4 ]" \
	"Kannel: each with its report address and the type in %d"
check "wait_for 10 \"[ \\\$(q \\\"SELECT count(*) FROM outbox WHERE delivery = 'delivered'\\\") -eq 4 ]\"" \
	"Kannel: the SMS centre's reports (type 1) reach backad-web: all four delivered"
check "[ \$(grep -c 'delivery report for message [0-9]* (delivered) recorded' $tmp/web.log) -eq 4 ]" \
	"Kannel: each recorded once"
finish

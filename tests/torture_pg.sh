#!/bin/sh
# torture_pg.sh MESSAGES KILLS - two daemons on one PostgreSQL database:
# MESSAGES messages due at once (half e-mails into Postfix's smtp-sink, half
# SMS into a gateway of the test's own) while a third process keeps
# committing referrals through its own connection; KILLS times one of the
# two daemons, chosen at random, is killed with kill -9 at a random moment
# and started again. Then both finish. Checked:
#   - nothing lost: every message, and every receipt and intake notice of
#     every committed referral, delivered at least once;
#   - duplicates within the bound, each with its original's Message-ID
#     (e-mail) or reference (SMS) and its row marked in doubt. A kill can
#     duplicate what a server had accepted and the killed daemon had not yet
#     recorded: one per SMTP session and SMS connection in flight, so the
#     bound is kills x (sessions + connections) = 2 a kill here; the run
#     also says whether the duplicates stayed within the kills;
#   - no subject planned twice: one receipt row per referral, and the
#     daemons' logs show no two passes planning at once (the leader lock).
# `make torture` runs 5000 x 30 after the SQLite torture.
# TORTURE_TRACE=1: PostgreSQL logs every statement, each daemon start has an
# application_name of its own, and each duplicate is put down to its kill:
# what the killed daemon was doing then (tests/torture_pg_phase.py). The
# logging slows the daemons: a run for the cause, not for the figures.
# TORTURE_KEEP=DIR keeps the logs it read there.
set -eu
. tests/lib.sh
N=${1:-5000}
K=${2:-30}
R=${REFERRALS:-200}
port=$((44000 + $$ % 10000))
gw=$((port + 1))
NOW=2026-08-03T10:00   # a Monday, inside the SMS hours
mkdir "$tmp/dump" && chmod 1777 "$tmp/dump" && chmod 755 "$tmp"
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$port" 50 >/dev/null 2>&1 &
pids="$pids $!"
printf 'hemligt\n' >"$tmp/sms.pw"
chmod 600 "$tmp/sms.pw"
/usr/bin/python3 tests/sms_gateway.py "$gw" backad hemligt "$tmp/requests" "" 900 >"$tmp/gw.out" 2>&1 &
pids="$pids $!"
wait_port "$port"
wait_port "$gw"
pg_start
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$pg_url" -c "$1"; }
TRACE=${TORTURE_TRACE:-0}
if [ "$TRACE" = 1 ]; then
	q "ALTER SYSTEM SET log_statement = 'all'" && q "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a: '" &&
		q "SELECT pg_reload_conf()" >/dev/null
fi
cat >"$tmp/backad.conf" <<CONF
database = "$pg_url";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 10; sessions = 1; };
sms: { provider = "generic"; url = "http://127.0.0.1:$gw/a1/sms"; user = "backad";
       password_file = "$tmp/sms.pw"; timeout_seconds = 5; connections = 1; };
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
demo_db $B
q "INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/torture/' || i, 'admin_alert', CASE i % 2 WHEN 1 THEN 'email' ELSE 'sms' END,
 CASE i % 2 WHEN 1 THEN 'mottagare' || (i % 50) || '@ystad.example.se' ELSE '+4670123' || lpad((i % 50)::text, 4, '0') END,
 CASE i % 2 WHEN 1 THEN 'Prov ' || i || ' – åäö' END, 'Meddelande nummer ' || i || '.' || chr(10),
 '<torture.' || i || '@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z'
FROM generate_series(1, $N) AS i"

# The writer: R referrals, one commit each, on a connection of its own.
writer() {
	_i=0
	while [ $_i -lt "$R" ]; do
		q "INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)
		   SELECT (SELECT id FROM child ORDER BY id OFFSET $_i % (SELECT count(*) FROM child) LIMIT 1),
		          (SELECT id FROM staff WHERE code = 'eva.larare'),
		          (SELECT id FROM unit WHERE kind = 'intake' ORDER BY id LIMIT 1), '2026-08-03'" ||
			echo "writer: insert $_i failed" >&2
		_i=$((_i + 1))
		sleep 0.0$((_i % 9 + 1))
	done
}
writer 2>"$tmp/writer.err" &
wpid=$!
pids="$pids $wpid"

starts=0
start() { # start A|B
	conf=$tmp/backad.conf
	if [ "$TRACE" = 1 ]; then # this start's statements carry its name
		starts=$((starts + 1))
		conf=$tmp/backad.$1$starts.conf
		sed "s|^database = \"\(.*\)\";|database = \"\1\&application_name=$1$starts\";|" \
			"$tmp/backad.conf" >"$conf"
		eval "app$1=$1$starts"
	fi
	"$BUILD/backad" -c "$conf" --foreground --now $NOW 2>>"$tmp/log.$1" &
	eval "d$1=\$!"
}
start A
start B
kills=0
while [ $kills -lt "$K" ]; do
	sleep "0.$(awk -v s="$$$kills" 'BEGIN { srand(s); printf "%02d", 20 + int(rand() * 70) }')"
	w=$(awk -v s="$kills$$" 'BEGIN { srand(s); print (rand() < 0.5) ? "A" : "B" }')
	eval "p=\$d$w"
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	[ "$TRACE" = 1 ] && eval "echo \$app$w" >>"$tmp/killed"
	echo "--- kill -9 ($kills)" >>"$tmp/log.$w"
	start "$w"
	kills=$((kills + 1))
done
wait "$wpid" || true
# Let both daemons finish: until nothing is left to send (bounded).
i=0
while [ $i -lt 900 ] && [ "$(q "SELECT count(*) FROM outbox WHERE state NOT IN ('sent','cancelled','dead')")" -gt 0 ]; do
	sleep 0.5
	q "UPDATE outbox SET next_attempt_at = NULL WHERE state = 'failed'" >/dev/null
	i=$((i + 1))
done
kill "$dA" "$dB" 2>/dev/null || true
wait "$dA" "$dB" 2>/dev/null || true
sleep 0.5
{
	grep -h '^Message-ID:' "$tmp"/dump/* | sed 's/^Message-ID: //'
	/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["status"] == 200:
        print(r["reference"])' "$tmp/requests"
} | sort >"$tmp/ids"
q "SELECT message_id FROM outbox WHERE state <> 'cancelled' AND message_id IS NOT NULL ORDER BY 1" >"$tmp/want"
sort -u "$tmp/ids" >"$tmp/got"
lost=$(comm -23 "$tmp/want" "$tmp/got" | wc -l)
total=$(wc -l <"$tmp/ids")
distinct=$(wc -l <"$tmp/got")
dups=$((total - distinct))
uniq -d "$tmp/ids" >"$tmp/dupids"
sms_dups=$(grep -c '^<torture\.[0-9]*[02468]@' "$tmp/dupids" || true)
committed=$(q "SELECT count(*) FROM referral")
receipts=$(q "SELECT count(*) FROM outbox WHERE rule = 'referral_receipt'")
receipt_subjects=$(q "SELECT count(DISTINCT subject_key) FROM outbox WHERE rule = 'referral_receipt'")
echo "messages $N, referrals committed $committed (receipt rows $receipts), kills $kills," \
     "outbox rows to deliver $(wc -l <"$tmp/want"), delivered $total, distinct $distinct, duplicates $dups" \
     "($sms_dups of them SMS), lost $lost, in doubt $(q "SELECT count(*) FROM outbox WHERE in_doubt = 1")"
check "[ $lost -eq 0 ]" "nothing lost: every outbox row's message delivered ($lost missing: $(comm -23 "$tmp/want" "$tmp/got" | head -3 | tr '\n' ' '))"
check "[ $committed -eq $R ]" "the writer committed all $R referrals ($committed)"
check "[ $receipts -eq $committed ] && [ $receipt_subjects -eq $committed ]" \
	"one receipt per referral, none planned twice ($receipts rows, $receipt_subjects referrals, $committed committed)"
check "[ $dups -le $((kills * 2)) ]" "duplicates ($dups) within the bound: kills x (sessions + connections) = $((kills * 2))"
if [ "$dups" -le "$kills" ]; then
	echo "duplicates within the kills: $dups <= $kills"
else
	echo "duplicates above the kills: $dups > $kills ($(awk -v d="$dups" -v k="$kills" 'BEGIN { printf "%.2f", d / k }') a kill)"
fi
if [ "$TRACE" = 1 ]; then
	q "SELECT id, channel, message_id FROM outbox WHERE message_id IS NOT NULL" >"$tmp/ids.map"
	/usr/bin/python3 tests/torture_pg_phase.py "$pg_dir/server.log" "$tmp/killed" "$tmp/dupids" \
		"$tmp/ids.map"
	[ -z "${TORTURE_KEEP:-}" ] || cp "$pg_dir/server.log" "$tmp/killed" "$tmp/dupids" "$tmp/ids.map" \
		"$tmp"/log.? "$TORTURE_KEEP/"
fi
check "! grep -v '^<[^>]*@ystad.example.se>\$' $tmp/dupids" "each duplicate carries its original's Message-ID"
notdoubt=0
while read -r id; do
	[ "$(q "SELECT in_doubt FROM outbox WHERE message_id = '$id'")" = 1 ] || notdoubt=$((notdoubt + 1))
done <"$tmp/dupids"
check "[ $notdoubt -eq 0 ]" "each duplicate marked in doubt ($notdoubt not)"
check "! grep -h 'duplicate key' $tmp/log.A $tmp/log.B" "no daemon tried to plan a row the other had planned"
finish

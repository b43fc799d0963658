#!/bin/sh
# torture.sh MESSAGES KILLS - kill -9 backad at random moments while it
# delivers MESSAGES messages, half e-mails into Postfix's smtp-sink and half
# SMS into a gateway of the test's own, KILLS times, restarting it each time;
# halfway a second `backad --once` is started beside the daemon. Then let it
# finish. Every message must arrive at least once (distinct Message-IDs at
# the sink, distinct references at the gateway), the duplicates must be no
# more than the kills, each with its original's Message-ID or reference and
# its outbox row marked in doubt. `make torture` runs 5000 x 50; `make check`
# a short 2000 x 10 (tests/it_torture.sh).
#
# A kill can duplicate at most the messages that a server had accepted and
# backad had not yet recorded: one per SMTP session and SMS connection in
# flight. The hard bound, always checked, is kills x (SESSIONS + CONNECTIONS).
# With SESSIONS=1 CONNECTIONS=1 (the default here) that is two per kill, and
# the full run also checks the duplicates to be no more than the kills (about
# 0.4-0.8 a kill are measured: a kill must land between a server's reply and
# the commit that records it). The short run (STRICT=0) checks the hard bound
# only: ten kills are too few for an average. SESSIONS=2 CONNECTIONS=4 runs
# with backad's defaults.
set -eu
. tests/lib.sh
N=${1:-5000}
K=${2:-50}
S=${SESSIONS:-1}
C=${CONNECTIONS:-1}
port=$((45000 + $$ % 10000))
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
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 10; sessions = $S; };
sms: { provider = "generic"; url = "http://127.0.0.1:$gw/a1/sms"; user = "backad";
       password_file = "$tmp/sms.pw"; timeout_seconds = 5; connections = $C; };
CONF
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
# N messages due now, outside any rule (the planner leaves 'alert/' keys
# alone): odd ones by e-mail, even ones by SMS.
sqlite3 "$tmp/case.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/torture/' || i, 'admin_alert', CASE i % 2 WHEN 1 THEN 'email' ELSE 'sms' END,
 CASE i % 2 WHEN 1 THEN 'mottagare' || (i % 50) || '@ystad.example.se' ELSE '+4670123' || printf('%04d', i % 50) END,
 CASE i % 2 WHEN 1 THEN 'Prov ' || i || ' – åäö' END, 'Meddelande nummer ' || i || '.' || char(10),
 '<torture.' || i || '@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z' FROM n;"

kills=0 once=
while [ $kills -lt "$K" ]; do
	"$BUILD/backad" -c "$tmp/backad.conf" --foreground --now $NOW 2>>"$tmp/log" &
	d=$!
	if [ $kills -eq $((K / 2)) ]; then
		# A second instance while the daemon delivers.
		(sleep 0.1; "$BUILD/backad" -c "$tmp/backad.conf" --foreground --once --now $NOW \
			2>"$tmp/once.log") &
		once=$!
	fi
	# A random moment within the first ~0.6 s of a run.
	sleep "0.$(awk -v s="$$$kills" 'BEGIN { srand(s); printf "%02d", 5 + int(rand() * 55) }')"
	kill -9 "$d" 2>/dev/null || true
	wait "$d" 2>/dev/null || true
	kills=$((kills + 1))
done
[ -n "$once" ] && wait "$once" 2>/dev/null || true
# Finish: passes until nothing is left to send.
i=0
while [ $i -lt 60 ] && [ "$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE state <> 'sent'")" -gt 0 ]; do
	"$BUILD/backad" -c "$tmp/backad.conf" --once --foreground --now $NOW 2>>"$tmp/log" || true
	# A resend waits for its backoff; move the clock instead of the test.
	sqlite3 "$tmp/case.db" "UPDATE outbox SET next_attempt_at = NULL WHERE state = 'failed'"
	i=$((i + 1))
done
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
distinct=$(uniq "$tmp/ids" | wc -l)
total=$(wc -l <"$tmp/ids")
dups=$((total - distinct))
uniq -d "$tmp/ids" >"$tmp/dupids"
sms_dups=$(sed 's/[^0-9]//g' "$tmp/ids" | sort | uniq -c | awk '$1 > 1 && $2 % 2 == 0 { n += $1 - 1 } END { print n + 0 }')
in_doubt=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE in_doubt = 1")
echo "messages $N (e-mail and SMS), sessions $S, connections $C, kills $kills, delivered $total," \
     "distinct $distinct, duplicates $dups ($((dups - sms_dups)) e-mail, $sms_dups SMS), in doubt $in_doubt"
check "[ $distinct -eq $N ]" "every message delivered at least once ($distinct of $N)"
check "[ $dups -le $((kills * (S + C))) ]" "duplicates ($dups) within the bound: kills x (sessions + connections) = $((kills * (S + C)))"
if [ $((S + C)) -le 2 ] && [ "${STRICT:-1}" = 1 ]; then
	check "[ $dups -le $kills ]" "duplicates ($dups) no more than the kills ($kills)"
fi
check "! grep -v '^<torture\\.[0-9]*@ystad.example.se>\$' $tmp/dupids" "each duplicate carries its original's Message-ID"
notdoubt=0
while read -r id; do
	[ "$(sqlite3 "$tmp/case.db" "SELECT in_doubt FROM outbox WHERE message_id = '$id'")" = 1 ] || notdoubt=$((notdoubt + 1))
done <"$tmp/dupids"
check "[ $notdoubt -eq 0 ]" "each duplicate marked in doubt ($notdoubt not)"
check "[ \$(sqlite3 \"$tmp/case.db\" \"SELECT count(*) FROM outbox WHERE state = 'sent'\") -eq $N ]" "all marked sent"
check "grep -q 'planned only, nothing delivered' $tmp/once.log || ! grep -q 'holds' $tmp/once.log" "the second instance delivered nothing beside the daemon"
grep -h 'holds\|planned\|sent' "$tmp/once.log" | head -3
finish

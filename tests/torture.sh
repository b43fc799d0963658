#!/bin/sh
# torture.sh MESSAGES KILLS - kill -9 backad at random moments while it
# delivers MESSAGES e-mails into Postfix's smtp-sink, KILLS times, restarting
# it each time; then let it finish. Every message must arrive at least once
# (distinct Message-IDs at the sink) and the duplicates must be no more than
# the kills, each with its original's Message-ID. `make torture` runs 5000 x
# 50; `make check` a short 1500 x 5 (tests/it_torture.sh).
set -eu
. tests/lib.sh
N=${1:-5000}
K=${2:-50}
port=$((45000 + $$ % 10000))
mkdir "$tmp/dump" && chmod 1777 "$tmp/dump" && chmod 755 "$tmp"
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$port" 50 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 10; };
CONF
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
# N messages due now, outside any rule (the planner leaves 'alert/' keys alone).
sqlite3 "$tmp/case.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/torture/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Prov ' || i || ' – åäö', 'Meddelande nummer ' || i || '.' || char(10), '<torture.' || i || '@ystad.example.se>',
 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM n;"

kills=0
while [ $kills -lt "$K" ]; do
	"$BUILD/backad" -c "$tmp/backad.conf" --foreground 2>>"$tmp/log" &
	d=$!
	# A random moment within the first ~0.6 s of a run.
	sleep "0.$(awk -v s="$$$kills" 'BEGIN { srand(s); printf "%02d", 5 + int(rand() * 55) }')"
	kill -9 "$d" 2>/dev/null || true
	wait "$d" 2>/dev/null || true
	kills=$((kills + 1))
done
# Finish: passes until nothing is left to send.
i=0
while [ $i -lt 60 ] && [ "$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE state <> 'sent'")" -gt 0 ]; do
	"$BUILD/backad" -c "$tmp/backad.conf" --once --foreground 2>>"$tmp/log" || true
	# A resend waits for its backoff; move the clock instead of the test.
	sqlite3 "$tmp/case.db" "UPDATE outbox SET next_attempt_at = NULL WHERE state = 'failed'"
	i=$((i + 1))
done
sleep 0.5
grep -h '^Message-ID:' "$tmp"/dump/* | sort >"$tmp/ids"
distinct=$(uniq "$tmp/ids" | wc -l)
total=$(wc -l <"$tmp/ids")
dups=$((total - distinct))
echo "messages $N, kills $kills, delivered $total, distinct $distinct, duplicates $dups," \
     "in doubt $(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE in_doubt = 1")"
check "[ $distinct -eq $N ]" "every message delivered at least once ($distinct of $N)"
check "[ $dups -le $kills ]" "duplicates ($dups) no more than the kills ($kills)"
check "! uniq -d \"$tmp/ids\" | grep -v '^Message-ID: <torture\\.[0-9]*@ystad.example.se>\$'" "each duplicate carries its original's Message-ID"
check "[ \$(sqlite3 \"$tmp/case.db\" \"SELECT count(*) FROM outbox WHERE state = 'sent'\") -eq $N ]" "all marked sent"
finish

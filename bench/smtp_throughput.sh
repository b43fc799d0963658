#!/bin/bash
# smtp_throughput.sh [N] - e-mail throughput into Postfix's smtp-sink on
# loopback: Postfix's own smtp-source (the ceiling, one session at a time),
# backad delivering N outbox messages, and msmtp run once per message (what
# a script would do; N/10 messages). Messages a second for each.
set -eu
. tests/lib.sh
N=${1:-2000}
port=$((47000 + $$ % 5000))
smtp-sink -u nobody "127.0.0.1:$port" 100 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
rate() { awk -v n="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.0f", n / ((e - s) / 1e9) }'; }

# The ceiling: smtp-source, 1 session, messages of about backad's size.
t0=$(date +%s%N)
smtp-source -s 1 -m "$N" -l 1500 -f backad@ystad.example.se -t a@ystad.example.se "127.0.0.1:$port"
t1=$(date +%s%N)
src=$(rate "$N" "$t0" "$t1")

# backad: N messages due, one --once pass (batches of 100, one session each).
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 60; };
CONF
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
sqlite3 "$tmp/case.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/bench/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Påminnelse ' || i || ' – förhandsbedömning', printf('%.1400c', 'x') || char(10),
 '<bench.' || i || '@ystad.example.se>', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n;"
t0=$(date +%s%N)
"$BUILD/backad" -c "$tmp/backad.conf" --once --foreground 2>/dev/null
t1=$(date +%s%N)
sent=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE state = 'sent'")
bk=$(rate "$sent" "$t0" "$t1")

# msmtp, a new process and session per message.
M=$((N / 10))
printf 'Subject: prov\n\nhej\n' >"$tmp/msg"
t0=$(date +%s%N)
i=0
while [ $i -lt $M ]; do
	msmtp --host=127.0.0.1 --port="$port" --auth=off --tls=off \
		--from=backad@ystad.example.se a@ystad.example.se <"$tmp/msg"
	i=$((i + 1))
done
t1=$(date +%s%N)
ms=$(rate "$M" "$t0" "$t1")

echo "command: bench/smtp_throughput.sh $N"
echo "smtp-source (1 session):     $src messages/s ($N)"
echo "backad (batches of 100):     $bk messages/s ($sent sent, each recorded durably)"
echo "msmtp (one per message):     $ms messages/s ($M)"
awk -v b="$bk" -v s="$src" 'BEGIN { printf "backad / smtp-source: %.0f %%\n", 100 * b / s }'

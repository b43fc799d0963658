#!/bin/bash
# smtp_throughput.sh [N] [SESSIONS] - e-mail throughput into one Postfix
# smtp-sink on loopback, in one run: Postfix's own smtp-source with SESSIONS
# parallel sessions (a new connection per message, its default, and with -d
# one connection per session), backad delivering N outbox messages with
# smtp.sessions = SESSIONS (sessions of 100 messages, each result recorded
# durably before the next message's data), and msmtp run once per message
# (what a script would do; N/10 messages). Messages a second for each.
set -eu
. tests/lib.sh
N=${1:-4000}
S=${2:-2}
port=$((47000 + $$ % 5000))
smtp-sink -u nobody "127.0.0.1:$port" 100 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
rate() { awk -v n="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.0f", n / ((e - s) / 1e9) }'; }

# smtp-source, SESSIONS sessions, messages of about backad's size.
t0=$(date +%s%N)
smtp-source -s "$S" -m "$N" -l 1500 -f backad@ystad.example.se -t a@ystad.example.se "127.0.0.1:$port"
t1=$(date +%s%N)
src=$(rate "$N" "$t0" "$t1")
t0=$(date +%s%N)
smtp-source -d -s "$S" -m "$N" -l 1500 -f backad@ystad.example.se -t a@ystad.example.se "127.0.0.1:$port"
t1=$(date +%s%N)
srcd=$(rate "$N" "$t0" "$t1")

# backad: N messages due, one --once pass.
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 60; sessions = $S; };
CONF
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
sqlite3 "$tmp/case.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/bench/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Påminnelse ' || i || ' – förhandsbedömning', printf('%.1400c', 'x') || char(10),
 '<bench.' || i || '@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z' FROM n;"
t0=$(date +%s%N)
"$BUILD/backad" -c "$tmp/backad.conf" --once --foreground --now 2026-08-03T10:00 2>/dev/null
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

echo "command: bench/smtp_throughput.sh $N $S"
echo "smtp-source ($S sessions, a connection per message): $src messages/s ($N)"
echo "smtp-source -d ($S sessions, one connection each):   $srcd messages/s ($N)"
echo "backad ($S sessions of 100 messages):               $bk messages/s ($sent sent, each recorded durably)"
echo "msmtp (one per message):                          $ms messages/s ($M)"
awk -v b="$bk" -v s="$src" -v d="$srcd" 'BEGIN { printf "backad / smtp-source: %.0f %%; backad / smtp-source -d: %.0f %%\n", 100 * b / s, 100 * b / d }'

#!/bin/bash
# sms_throughput.sh [N] - SMS throughput into a local 46elks-style HTTP
# gateway (tests/sms_gateway.py, HTTP/1.1 keep-alive): N outbox messages in
# one backad --once pass (4 requests at once, the default sms.connections);
# messages a second, and how many TCP connections
# the gateway saw.
set -eu
. tests/lib.sh
N=${1:-1000}
port=$((52000 + $$ % 5000))
printf 'hemligt\n' >"$tmp/pw" && chmod 600 "$tmp/pw"
/usr/bin/python3 tests/sms_gateway.py "$port" backad hemligt "$tmp/requests" "" 300 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = 9; starttls = "off"; };
sms: { provider = "46elks"; url = "http://127.0.0.1:$port/a1/sms"; user = "backad";
       password_file = "$tmp/pw"; timeout_seconds = 120; };
CONF
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
sqlite3 "$tmp/case.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO outbox(key, rule, channel, address, body, message_id, due_at, created_at)
SELECT 'alert/sms/' || i, 'admin_alert', 'sms', '+4670' || printf('%07d', i),
 'Backa barnet: förhandsbedömning i ärende B-' || i || ' ska vara klar måndag 17 augusti 2026.',
 '<sms.' || i || '@ystad.example.se>', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM n;"
t0=$(date +%s%N)
"$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T10:00 --foreground 2>/dev/null
t1=$(date +%s%N)
sent=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE state = 'sent'")
echo "command: bench/sms_throughput.sh $N"
awk -v n="$sent" -v s="$t0" -v e="$t1" 'BEGIN { printf "backad into the gateway: %.0f SMS/s (%d sent)\n", n / ((e - s) / 1e9), n }'
echo "TCP connections the gateway saw: $(grep -o '"peer": [0-9]*' "$tmp/requests" | sort -u | wc -l) (sms.connections = 4 requests at once over kept-alive connections: 4 means none was reopened)"

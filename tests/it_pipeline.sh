#!/bin/sh
# it_pipeline.sh - delivery never blocks the loop; channels are independent
# pipelines (issue 10). Each section is named after what was seen:
#  1. A stuck SMTP relay starves the watchdog: with a relay that accepts TCP
#     and never speaks, WATCHDOG=1 keeps coming at half the interval (under a
#     notify socket of the test's own, WATCHDOG_USEC = 1 s, for more than
#     three intervals), and STATUS= stays current.
#  2. SMS wait behind e-mail: meanwhile an SMS is delivered within a second.
#  4. A second instance resends the daemon's in-flight messages: `backad
#     --once` beside the daemon plans only and takes none of its claims.
#  3. SIGTERM waits for the whole pass: it stops within the grace, and every
#     message ends recorded, none left 'sending'.
#  8. Crash recovery marks every claimed row in doubt: after kill -9 only the
#     messages whose data had started are in doubt.
#  4b. The same with a real sink: a second daemon waits for the lock and
#     takes over when the first stops, --once plans only, every message once.
set -eu
. tests/lib.sh
command -v smtp-sink >/dev/null || { echo "smtp-sink is missing (package postfix)"; exit 1; }
chmod 755 "$tmp"
base=$((40000 + $$ % 5000))
hole=$base gw=$((base + 1)) sinkport=$((base + 2))
NOW=2026-08-03T10:00   # a Monday, inside the SMS hours

# A black hole: accepts connections, never says a word.
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $hole)); s.listen(50)
conns = []
end = time.time() + 120
s.settimeout(1)
while time.time() < end:
    try: conns.append(s.accept()[0])
    except OSError: pass
" &
pids="$pids $!"
printf 'hemligt\n' >"$tmp/sms.pw"
chmod 600 "$tmp/sms.pw"
/usr/bin/python3 tests/sms_gateway.py "$gw" backad hemligt "$tmp/requests" "" 120 >"$tmp/gw.out" 2>&1 &
pids="$pids $!"
wait_port "$hole"
wait_port "$gw"

conf() { # SMTP-PORT TIMEOUT
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
stop_grace_seconds = 2;
smtp: { host = "127.0.0.1"; port = $1; starttls = "off"; timeout_seconds = $2; sessions = 2; };
sms: { provider = "46elks"; url = "http://127.0.0.1:$gw/a1/sms"; user = "backad";
       password_file = "$tmp/sms.pw"; timeout_seconds = 5; };
CONF
}
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer
# emails N: N e-mails due, outside any rule (the planner leaves 'alert/' keys alone).
emails() {
	q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/p/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Prov ' || i, 'Meddelande ' || i || '.' || char(10), '<p.' || i || '@ystad.example.se>',
 '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z' FROM n;"
}
fresh() {
	rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
	"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
}
D="$BUILD/backad -c $tmp/backad.conf --foreground --now $NOW"

# ---- 1 and 2: the relay black-holed ----
conf "$hole" 30
fresh
emails 250
/usr/bin/python3 tests/notify_listener.py "$tmp/notify" "$tmp/notes" 60 &
pids="$pids $!"
wait_for 5 "grep -q ready '$tmp/notes' 2>/dev/null"
NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=1000000 $D 2>"$tmp/log" &
daemon=$!
pids="$pids $daemon"
check "wait_for 5 \"grep -q ' READY=1' '$tmp/notes'\"" "READY=1"
check "wait_for 5 \"[ \\\$(q \\\"SELECT count(*) FROM outbox WHERE state='sending'\\\") -eq 200 ]\"" "two sessions hold 200 e-mails at the black hole"
stuck=$(date +%s.%N)
# 2. An SMS committed by another process meanwhile goes out within a second.
q "INSERT INTO outbox(key, rule, channel, address, body, message_id, due_at, created_at)
   VALUES ('alert/p/sms', 'admin_alert', 'sms', '+46701234509', 'Backa barnet: prov',
   '<p.sms@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z')"
t0=$(date +%s%N)
wait_for 5 "[ \"\$(q \"SELECT state FROM outbox WHERE key='alert/p/sms'\")\" = sent ]" || true
ms=$((($(date +%s%N) - t0) / 1000000))
echo "SMS behind 250 e-mails to a black hole: $ms ms"
check "[ \"\$(q \"SELECT state FROM outbox WHERE key='alert/p/sms'\")\" = sent ] && grep -q 'Backa barnet: prov' $tmp/requests" "SMS wait behind e-mail: the SMS was delivered meanwhile"
check "[ $ms -le 1000 ]" "SMS wait behind e-mail: within a second ($ms ms)"
# 1. Watch the watchdog for four intervals while the sessions hang.
sleep 4.2
end=$(date +%s.%N)
awk -v a="$stuck" -v b="$end" '$2 == "WATCHDOG=1" && $1 >= a && $1 <= b { print $1 }' "$tmp/notes" >"$tmp/pings"
gap=$(awk -v a="$stuck" -v b="$end" 'BEGIN { p = a; m = 0 } { if ($1 - p > m) m = $1 - p; p = $1 } END { if (b - p > m) m = b - p; printf "%d", m * 1000 }' "$tmp/pings")
echo "watchdog pings while stuck: $(wc -l <"$tmp/pings") in $(awk -v a="$stuck" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s, longest gap $gap ms"
check "[ \$(wc -l <$tmp/pings) -ge 7 ]" "a stuck SMTP relay starves the watchdog: WATCHDOG=1 at half the interval throughout"
check "[ $gap -lt 1000 ]" "a stuck SMTP relay starves the watchdog: never a gap of a whole interval ($gap ms)"
# STATUS= is refreshed on news of delivery (at most every 2 s) and at
# least every 10 s without any: within 12 s it tells the hanging sessions.
check "wait_for 12 \"awk -v a='$stuck' '\\\$1 >= a && /STATUS=.*200 sending/' $tmp/notes | grep -q .\"" "STATUS= current while the sessions hang"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sending'\") -eq 200 ]" "the e-mails are still under way (deadline 30 s)"
check "[ \"\$(q \"SELECT value FROM state WHERE key='daemon.pid'\")\" = $daemon ] && q \"SELECT value FROM state WHERE key='daemon.heartbeat'\" | grep -q '^2026-08-03T08:00'" "the heartbeat for backactl status is written while the sessions hang"

# 4. A second instance beside the daemon: it plans, and leaves the claims alone.
$BUILD/backad -c "$tmp/backad.conf" --foreground --once --now $NOW 2>"$tmp/once.log"
check "grep -q 'planned only, nothing delivered' $tmp/once.log" "a second instance resends the daemon's in-flight messages: --once says it only plans"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sending' AND claim_owner LIKE '$daemon@%'\") -eq 200 ]" "a second instance resends the daemon's in-flight messages: the daemon's claims untouched"
# ...and through another name for the same file (a symbolic link).
mkdir -p "$tmp/other"
ln -s "$tmp/case.db" "$tmp/other/link.db"
sed "s|^database = .*|database = \"$tmp/other/link.db\";|" "$tmp/backad.conf" >"$tmp/link.conf"
$BUILD/backad -c "$tmp/link.conf" --foreground --once --now $NOW 2>"$tmp/once-link.log"
check "grep -q 'planned only, nothing delivered' $tmp/once-link.log" "a second instance through a symbolic link took the delivery lock: it only plans"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sending' AND claim_owner LIKE '$daemon@%'\") -eq 200 ]" "a second instance through a symbolic link: the daemon's claims untouched"

# 3. SIGTERM with two sessions hanging: a prompt stop, everything recorded.
t0=$(date +%s%N)
kill -TERM "$daemon"
set +e
wait "$daemon"
rc=$?
set -e
ms=$((($(date +%s%N) - t0) / 1000000))
echo "SIGTERM with two sessions at a black hole: stopped in $ms ms (grace 2 s)"
check "[ $rc -eq 0 ]" "SIGTERM: exit 0 (got $rc)"
check "[ $ms -le 3500 ]" "SIGTERM waits for the whole pass: stopped within the grace ($ms ms)"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sending'\") -eq 0 ]" "SIGTERM: no message left 'sending'"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='email' AND state='pending' AND attempts=0 AND in_doubt=0\") -eq 250 ]" "SIGTERM: the untried e-mails are back in the queue, untried, not in doubt"
check "grep -q ' STOPPING=1' $tmp/notes" "STOPPING=1"

# ---- 8: kill -9 while sessions wait for the reply to the final dot ----
mkdir -p "$tmp/dump" && chmod 1777 "$tmp/dump"
smtp-sink -u nobody -W .:30 "127.0.0.1:$sinkport" 20 >/dev/null 2>&1 &
stall=$!
pids="$pids $stall"
wait_port "$sinkport"
conf "$sinkport" 60
fresh
emails 200
$D 2>"$tmp/log8" &
daemon=$!
check "wait_for 5 \"[ \\\$(q 'SELECT count(*) FROM outbox WHERE data_started = 1') -eq 2 ]\"" "two messages' data started (one per session)"
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
kill "$stall" 2>/dev/null || true
sleep 0.3
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$sinkport" 20 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$sinkport"
$BUILD/backad -c "$tmp/backad.conf" --foreground --once --now $NOW 2>"$tmp/log8b"
check "grep -q '2 messages had begun sending' $tmp/log8b" "recovery names the two"
check "[ \$(q 'SELECT count(*) FROM outbox WHERE in_doubt = 1') -eq 2 ]" "crash recovery marks every claimed row in doubt: only the 2 whose data had started (of 200 claimed)"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -eq 200 ]" "all 200 delivered after the restart"

# ---- 4b: a second daemon and --once beside the daemon, on a real sink ----
rm -rf "$tmp/dump"/*
fresh
emails 3000
$D 2>"$tmp/log4" &
daemon=$!
pids="$pids $daemon"
wait_for 5 "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -ge 200 ]" || true
$D 2>"$tmp/log4b" &
second=$!
pids="$pids $second"
$BUILD/backad -c "$tmp/backad.conf" --foreground --once --now $NOW 2>"$tmp/once4.log"
check "wait_for 3 \"grep -q 'another backad delivers from this database; waiting' $tmp/log4b\"" "a second daemon waits for the lock"
check "grep -q 'planned only' $tmp/once4.log" "--once while the daemon delivers: planned only"
kill -TERM "$daemon"
wait "$daemon" 2>/dev/null || true
# The second takes over what is left (on a fast machine the first may have
# sent all 3000 already: then there is nothing to take over).
left=$(q "SELECT count(*) FROM outbox WHERE state<>'sent'")
wait_for 30 "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -eq 3000 ]" || true
# (Its summary line follows the last result by up to a loop's wait: 2 s
# while results are awaited.)
check "[ \$(q \"SELECT count(*) FROM audit\") -eq 3000 ] && { [ $left -eq 0 ] || wait_for 5 \"grep -q 'sent [1-9]' $tmp/log4b\"; }" "the second daemon took over when the first stopped ($left left; $(grep -o 'sent [0-9]*' "$tmp/log4b" | head -1))"
kill -TERM "$second"
wait "$second" 2>/dev/null || true
sleep 0.3
grep -h '^Message-ID:' "$tmp"/dump/* | sort >"$tmp/ids"
check "[ \$(wc -l <$tmp/ids) -eq 3000 ] && [ \$(uniq $tmp/ids | wc -l) -eq 3000 ]" "a second instance resends the daemon's in-flight messages: 3000 delivered, each once ($(wc -l <"$tmp/ids") at the sink)"

finish

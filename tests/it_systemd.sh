#!/bin/sh
# it_systemd.sh - backad under a notify socket of the test's own, as systemd
# runs it: READY=1 only when ready, WATCHDOG=1 pings, STATUS= lines; a
# referral committed by another process reaches the spool within about a
# second; SIGHUP with a broken configuration keeps the old one (RELOADING=1
# ... READY=1), with a good one the new settings rule; SIGTERM stops with
# STOPPING=1 and exit 0, nothing lost.
set -eu
. tests/lib.sh
conf() {
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$1";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
}
conf "$tmp/spool1"
B="$BUILD/backactl -c $tmp/backad.conf"
demo_db $B
today=$(TZ=Europe/Stockholm date +%F)

/usr/bin/python3 tests/notify_listener.py "$tmp/notify" "$tmp/notes" 60 &
pids="$pids $!"
wait_for 5 "grep -q ready '$tmp/notes' 2>/dev/null"
NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=1000000 "$BUILD/backad" -c "$tmp/backad.conf" \
	--foreground 2>"$tmp/log" &
daemon=$!
pids="$pids $daemon"
check "wait_for 10 \"grep -q ' READY=1' '$tmp/notes'\"" "READY=1"
check "wait_for 5 \"grep -q ' STATUS=.*pending' '$tmp/notes'\"" "STATUS= with the queue"
check "wait_for 5 \"[ \\\$(grep -c ' WATCHDOG=1' '$tmp/notes') -ge 3 ]\"" "WATCHDOG=1 at half the interval"

# Another process commits a referral; the receipt reaches the spool quickly.
start=$(date +%s%N)
$B referral add --child B-2016-0005 --reporter lars.larare --received "$today" >/dev/null
check "wait_for 5 \"ls $tmp/spool1/email/*referral_receipt* >/dev/null 2>&1\"" "receipt delivered"
ms=$((($(date +%s%N) - start) / 1000000))
echo "commit to spool: $ms ms"
check "[ $ms -le 1500 ]" "within about a second ($ms ms)"

# A broken configuration: the old one stays.
cp "$tmp/backad.conf" "$tmp/good.conf"
printf 'send_time = "25:99";\n' >>"$tmp/backad.conf"
kill -HUP "$daemon"
check "wait_for 5 \"grep -q 'reload failed' '$tmp/log'\"" "broken reload refused"
check "grep -q ' RELOADING=1' '$tmp/notes' && [ \$(grep -c ' READY=1' '$tmp/notes') -ge 2 ]" "RELOADING=1 then READY=1"
check "kill -0 $daemon" "still running"
$BUILD/backactl -c "$tmp/good.conf" referral add --child B-2015-0012 --reporter eva.larare --received "$today" >/dev/null
check "wait_for 5 \"[ \\\$(ls $tmp/spool1/email/*referral_receipt* | wc -l) -eq 2 ]\"" "the old configuration still delivers"

# A good configuration with a new spool: in force after the reload.
conf "$tmp/spool2"
kill -HUP "$daemon"
check "wait_for 5 \"grep -q 'configuration reloaded' '$tmp/log'\"" "good reload"
$B referral add --child B-2019-0006 --reporter eva.larare --received "$today" >/dev/null
check "wait_for 5 \"ls $tmp/spool2/email/*referral_receipt* >/dev/null 2>&1\"" "the new settings rule"

kill -TERM "$daemon"
set +e
wait "$daemon"
rc=$?
set -e
check "[ $rc -eq 0 ]" "SIGTERM: exit 0 (got $rc)"
check "wait_for 3 \"grep -q ' STOPPING=1' '$tmp/notes'\"" "STOPPING=1"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state IN ('sending','failed','dead')\") -eq 0 ]" "nothing lost or stuck"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE rule='referral_receipt' AND state='sent'\") -eq 3 ]" "three receipts sent"

finish

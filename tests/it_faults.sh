#!/bin/bash
# it_faults.sh - outages and faults: another process holding the database's
# write lock longer than the busy timeout; the SMTP server down for a
# (simulated) hour and back; the spool's disk full and freed again. No crash,
# nothing lost, the backoff as configured.
set -eu
. tests/lib.sh
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer
conf() { # EXTRA
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
$1
CONF
}
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
today=$(TZ=Europe/Stockholm date +%F)
conf ""
demo_db $B

# 1. The write lock held for 7 s (the busy timeout is 5 s).
$D 2>"$tmp/daemon.log" &
daemon=$!
pids="$pids $daemon"
sleep 0.5
/usr/bin/python3 - "$tmp/case.db" "$today" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)"
           " SELECT c.id, s.id, u.id, ? FROM child c, staff s, unit u"
           " WHERE c.ref = 'B-2016-0005' AND s.code = 'lars.larare' AND u.kind = 'intake'",
           (sys.argv[2],))
time.sleep(7)
db.execute("COMMIT")
PY
holder=$!
sleep 1
check "! $D --once 2>$tmp/once.log" "a pass during the lock fails"
check "grep -q 'locked' $tmp/once.log" "and says the database is locked"
wait "$holder"
check "wait_for 5 \"ls $tmp/spool/email/*referral_receipt* >/dev/null 2>&1\"" "after the lock: the referral planned and delivered"
check "kill -0 $daemon" "the daemon did not crash"
kill -TERM "$daemon"
wait "$daemon" || true

# 1b. backactl recording a fact while the write lock is held longer than the
# daemon's busy timeout (as the day's full pass of a large region holds it):
# it waits for the lock instead of failing.
/usr/bin/python3 - "$tmp/case.db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(7)
db.execute("COMMIT")
PY
holder=$!
sleep 1
t0=$(date +%s)
check "$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-09-01 >$tmp/wait.log 2>&1" \
	"backactl during a 7 s lock waits for it and records the fact"
t1=$(date +%s)
check "[ $((t1 - t0)) -ge 4 ]" "...after the lock was released ($((t1 - t0)) s)"
check "grep -q 'the database is busy (a planning pass may be running); waiting for it, at most 120 s' $tmp/wait.log" \
	"backactl_waiting_for_the_lock_says_why (once, after a second)"
check "[ \$(grep -c 'database is busy' $tmp/wait.log) -eq 1 ]" "...and says it once"
wait "$holder"

# 2. The SMTP server down for an hour, then back: backoff 300, 600, 1200, 2400, 4000 s.
port=$((50000 + $$ % 5000))
conf "delivery = \"network\";
smtp: { host = \"127.0.0.1\"; port = $port; starttls = \"off\"; timeout_seconds = 5; };"
rm -rf "$tmp/spool"
$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04 >/dev/null
expect="08:00 06:05:00 | 08:05 06:15:00 | 08:15 06:35:00 | 08:35 07:15:00 | 09:15 08:21:40"
echo "$expect" | tr '|' '\n' | while read -r at next; do
	$D --once --now "2026-08-03T$at" 2>>"$tmp/down.log" || true
	got=$(q "SELECT next_attempt_at FROM outbox WHERE rule='followup_reminder'")
	[ "$got" = "2026-08-03T${next}Z" ] || echo "FAIL: at $at next attempt $got, wanted ${next}Z"
done >"$tmp/backoff"
check "[ ! -s $tmp/backoff ]" "backoff 300, 600, 1200, 2400 s, then capped at 4000 s"
[ -s "$tmp/backoff" ] && cat "$tmp/backoff"
check "[ \$(q \"SELECT attempts FROM outbox WHERE rule='followup_reminder'\") -eq 5 ]" "five attempts in the hour"
chmod 755 "$tmp"; mkdir "$tmp/dump" && chmod 1777 "$tmp/dump"
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$port" 10 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
$D --once --now 2026-08-03T10:22 2>>"$tmp/down.log"
check "[ \$(q \"SELECT state FROM outbox WHERE rule='followup_reminder'\") = sent ] && grep -q \"\$(q \"SELECT message_id FROM outbox WHERE rule='followup_reminder'\")\" $tmp/dump/*" "server back: the reminder delivered"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state IN ('sending','dead')\") -eq 0 ]" "nothing stuck or given up"

# 3. The spool's disk full, then freed.
mkdir -p "$tmp/small"
if ! mount -t tmpfs -o size=48k tmpfs "$tmp/small" 2>"$tmp/mount.log"; then
	fail=$((fail + 1)); echo "FAIL: cannot mount a small tmpfs: $(cat "$tmp/mount.log")"
	finish
	exit 1
fi
trap 'umount "$tmp/small" 2>/dev/null; cleanup' EXIT
conf "spool_dir = \"$tmp/small\";" 
sed -i "0,/spool_dir = \"$(echo "$tmp" | sed 's/[\/&]/\\&/g')\/spool\";/s///" "$tmp/backad.conf"
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)
SELECT 'alert/disk/' || i, 'admin_alert', 'email', 'a@ystad.example.se', 'Prov ' || i,
 printf('%.1500c', 'x') || char(10), '<disk.' || i || '@ystad.example.se>',
 '2026-01-01T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM n;"
$D --once 2>"$tmp/full.log" || true
failed=$(q "SELECT count(*) FROM outbox WHERE key LIKE 'alert/disk/%' AND state = 'failed' AND last_error LIKE '%No space left%'")
check "[ $failed -gt 0 ]" "disk full: the failures are temporary and say so ($failed)"
check "[ \$(q \"SELECT value FROM state WHERE key = 'last_error.email'\" | grep -c 'No space') -eq 1 ]" "the last error is kept for backactl status"
check "[ \$(ls $tmp/small/tmp | wc -l) -eq 0 ]" "no half-written file left"
mount -o remount,size=4m "$tmp/small"
q "UPDATE outbox SET next_attempt_at = NULL WHERE state = 'failed'"
$D --once 2>>"$tmp/full.log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE key LIKE 'alert/disk/%' AND state = 'sent'\") -eq 60 ] && [ \$(ls $tmp/small/email | grep -c disk) -eq 60 ]" "space back: all 60 delivered"
umount "$tmp/small"

# 4. The database's disk full: the pass fails and says so, nothing half-written;
#    with room again everything is planned and delivered.
mkdir -p "$tmp/dbfs"
mount -t tmpfs -o size=1m tmpfs "$tmp/dbfs"
trap 'umount "$tmp/dbfs" 2>/dev/null; cleanup' EXIT
cat >"$tmp/db.conf" <<CONF
database = "$tmp/dbfs/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool4";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B4="$BUILD/backactl -c $tmp/db.conf"
demo_db $B4
# Fill the rest of the disk, then record a referral (a small write that fits).
$B4 referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
dd if=/dev/zero of="$tmp/dbfs/filler" bs=4k 2>/dev/null || true
"$BUILD/backad" -c "$tmp/db.conf" --once --now 2026-08-03T08:00 --foreground 2>"$tmp/dbfull.log" && dbrc=0 || dbrc=$?
check "[ $dbrc -ne 0 ] && grep -qi 'full\|disk' $tmp/dbfull.log" "database disk full: the pass fails and says so"
rm -f "$tmp/dbfs/filler"
check "[ \"\$(sqlite3 $tmp/dbfs/case.db 'PRAGMA integrity_check')\" = ok ]" "the database is intact"
"$BUILD/backad" -c "$tmp/db.conf" --once --now 2026-08-03T08:01 --foreground 2>>"$tmp/dbfull.log"
check "ls $tmp/spool4/email/*referral_receipt* >/dev/null 2>&1" "room again: the receipt is planned and delivered"
umount "$tmp/dbfs"
trap cleanup EXIT
finish

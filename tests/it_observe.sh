#!/bin/sh
# it_observe.sh - what an administrator sees of a pass. The metrics textfile
# (metrics.textfile): messages by state, channel and rule equal the outbox,
# the oldest due message's age, the pass's duration and last success,
# written atomically with no temporary file left. The journal events, read
# back in the journal export format (BACKAD_JOURNAL_EXPORT=1): each message
# given up at warning with its MESSAGE_ID, OUTBOX_ID, RULE and CHANNEL; a
# planning error at error with SUBJECT; a pass summary at info; no name,
# address or identity number of the demo registers anywhere. Outside the
# journal the same events are plain lines.
set -eu
. tests/lib.sh
command -v smtp-sink >/dev/null || { echo "smtp-sink is missing (package postfix)"; exit 1; }
chmod 755 "$tmp"
mkdir "$tmp/metrics"
port=$((20000 + ($$ + 7919) % 20000))
conf() {
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "$1";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 10; };
metrics: { textfile = "$tmp/metrics/backad.prom"; };
CONF
}
conf spool
B="$BUILD/backactl -c $tmp/backad.conf"
demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
q() { sqlite3 -cmd '.timeout 5000' "$tmp/case.db" "$1"; }
prom="$tmp/metrics/backad.prom"

# --- metrics ---
before=$(date +%s)
"$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>/dev/null
check "[ -s '$prom' ]" "the metrics file is written after a pass"
check "[ \$(ls '$tmp/metrics' | wc -l) -eq 1 ]" "no temporary file left beside it"
check "[ \$(stat -c %a '$prom') = 644 ]" "the metrics file is readable by the exporter"
q "SELECT state, channel, rule, count(*) FROM outbox GROUP BY 1, 2, 3" |
	awk -F'|' '{ printf "backad_messages{state=\"%s\",channel=\"%s\",rule=\"%s\"} %s\n", $1, $2, $3, $4 }' |
	sort >"$tmp/want"
grep '^backad_messages{' "$prom" | sort >"$tmp/got"
check "[ -s '$tmp/want' ] && cmp -s '$tmp/want' '$tmp/got'" "messages by state, channel and rule match the outbox"
check "grep -qx 'backad_pass_success 1' '$prom'" "pass success"
check "grep -Eqx 'backad_pass_duration_seconds [0-9]+\.[0-9]{3}' '$prom'" "pass duration in seconds"
ts=$(sed -n 's/^backad_last_success_timestamp_seconds //p' "$prom")
check "[ -n '$ts' ] && [ '$ts' -ge $before ] && [ '$ts' -le \$((\$(date +%s) + 1)) ]" "last successful pass is now ($ts)"
check "grep -qx 'backad_oldest_pending_age_seconds 0' '$prom'" "nothing waiting: oldest age 0"
check "[ \$(grep -c '^# TYPE ' '$prom') -eq 6 ] && ! grep -v '^#' '$prom' | grep -qv '^backad_[a-z_]*\({[^}]*}\)\? [0-9.]*$'" \
	"every line is a comment or a sample"
# A message due an hour ago, held back for a retry: its age is the oldest.
id=$(q "SELECT min(id) FROM outbox")
q "UPDATE outbox SET state = 'failed', due_at = '2026-08-03T05:00:00Z', next_attempt_at = '2026-08-04T06:00:00Z' WHERE id = $id"
"$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>/dev/null
check "grep -qx 'backad_oldest_pending_age_seconds 3600' '$prom'" "oldest due message waited 3600 s"
check "grep -q '^backad_messages{state=\"failed\",channel=\"[a-z]*\",rule=\"[a-z_]*\"} 1$' '$prom'" "the failed message is counted"

# --- journal fields ---
smtp-sink -c -u nobody -f DATA "127.0.0.1:$port" 20 >"$tmp/sink.out" 2>&1 &
pids="$pids $!"
wait_port "$port"
conf network
rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
# A referral whose date another system wrote wrong (before the database
# refused such dates): the planner skips it with a planning error.
q "DROP TRIGGER date_referral_received_date_i"
q "INSERT INTO referral(id, child_id, reporter_id, intake_unit_id, received_date) SELECT 99, c.id, s.id, u.id, '2026-13-45' FROM child c, staff s, unit u WHERE c.ref = 'B-2016-0005' AND s.code = 'lars.larare' AND u.kind = 'intake'"
BACKAD_JOURNAL_EXPORT=1 "$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>"$tmp/export" || true
/usr/bin/python3 - "$tmp/export" "$tmp/events" <<'PY'
import sys
# The journal export format: KEY=VALUE lines, a blank line after each entry.
entries, cur = [], {}
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if not line:
        if cur:
            entries.append(cur)
        cur = {}
    elif "=" in line and line.split("=", 1)[0].isupper():
        k, v = line.split("=", 1)
        cur[k] = v
with open(sys.argv[2], "w") as out:
    for e in entries:
        out.write("%s|%s|%s|%s|%s|%s\n" % (e.get("MESSAGE_ID"), e.get("PRIORITY"), e.get("OUTBOX_ID", ""),
                  e.get("RULE", ""), e.get("CHANNEL", ""), e.get("SUBJECT", "")))
PY
dead=$(q "SELECT count(*) FROM outbox WHERE state = 'dead'")
q "SELECT '622870300262414a882479b8e0b99c70|4|' || id || '|' || rule || '|' || channel || '|' || coalesce(subject_key, '') FROM outbox WHERE state = 'dead' ORDER BY id" >"$tmp/want"
grep '^622870300262414a882479b8e0b99c70|' "$tmp/events" >"$tmp/got" || true
check "[ $dead -ge 1 ] && cmp -s '$tmp/want' '$tmp/got'" "one warning per dead message ($dead) with OUTBOX_ID, RULE, CHANNEL"
check "grep -qx '7d0ec29bd6b142e09b94043a0e65d235|3||||referral:99' '$tmp/events'" "a planning error at error with SUBJECT"
check "[ \$(grep -c '^bdf7f99622794855bf9df71ce074403c|6|' '$tmp/events') -eq 1 ]" "one pass summary at info"
check "grep -q '^MESSAGE=message [0-9]* (referral_receipt, email) given up after 1 attempt' '$tmp/export'" "the dead message's text"
cut -d, -f2,4 etc/demo/children.csv | tail -n +2 | tr ',' '\n' | sed '/^$/d' >"$tmp/private"
cut -d, -f2,3,4 etc/demo/staff.csv | tail -n +2 | tr ',' '\n' | sed '/^$/d' >>"$tmp/private"
check "! grep -qFf '$tmp/private' '$tmp/export'" "no name, address or identity number in the events"

# Outside the journal: plain lines, no fields.
$B retry "$(q "SELECT min(id) FROM outbox WHERE state = 'dead'")" >/dev/null
"$BUILD/backad" -c "$tmp/backad.conf" --foreground --once --now 2026-08-03T08:00 2>"$tmp/plain" || true
check "grep -q '^backad: message [0-9]* (referral_receipt, email) given up' '$tmp/plain' && ! grep -q 'MESSAGE_ID=' '$tmp/plain'" \
	"outside the journal, plain log lines"
JOURNAL_STREAM=1:1 "$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>"$tmp/plain2" || true
check "! grep -q 'MESSAGE_ID=' '$tmp/plain2'" "a JOURNAL_STREAM that is not stderr is not the journal"
finish

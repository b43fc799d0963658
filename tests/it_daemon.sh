#!/bin/sh
# it_daemon.sh - backad end to end on the demo data: -n reports every mistake
# with its line, --once plans and delivers into the file spool (strict MIME,
# Swedish text, SMS without names), a second pass adds nothing, and the loop
# stops cleanly on SIGTERM.
set -eu
. tests/lib.sh

cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf"

# -n before the database exists: the database is named.
check "! $D -n >$tmp/out 2>&1" "-n without a database must fail"
check "grep -q 'case.db' $tmp/out" "-n names the database"

demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
$B followup add --child B-2014-0008 --responsible nils.fritid --due 2026-08-04 >/dev/null
check "$D -n >$tmp/out 2>&1 && grep -q 'configuration OK' $tmp/out" "-n on a good setup"

# Three different mistakes, three lines.
cat >"$tmp/bad.conf" <<CONF
database = "$tmp/case.db";
send_time = "8 am";
colour = "blue";
referral: { reminder_days = [ 10, 400 ]; };
CONF
check "! $BUILD/backad -c $tmp/bad.conf -n >$tmp/out 2>&1" "-n on a bad config must fail"
check "grep -q 'bad.conf:2: send_time' $tmp/out && grep -q 'bad.conf:3: unknown setting' $tmp/out && grep -q 'bad.conf:4: referral.reminder_days = 400' $tmp/out" "-n reports all three mistakes"
# A broken template is named by file and line.
mkdir "$tmp/tpl" && cp templates/sv/* "$tmp/tpl/"
printf 'Hej {{child_name}} {{ref}}\n' >"$tmp/tpl/followup_reminder.sms"
sed "s#templates/sv#$tmp/tpl#" "$tmp/backad.conf" >"$tmp/tpl.conf"
check "! $BUILD/backad -c $tmp/tpl.conf -n >$tmp/out 2>&1 && grep -q 'followup_reminder.sms:1: field .child_name. may not be used in SMS' $tmp/out" "-n names the bad template"

# One pass on Monday 2026-08-03 08:00.
check "$D --once --now 2026-08-03T08:00 --foreground 2>$tmp/log" "--once succeeds"
n_email=$(ls "$tmp/spool/email" | wc -l)
n_sms=$(ls "$tmp/spool/sms" | wc -l)
check "[ $n_email -ge 3 ] && [ $n_sms -eq 1 ]" "spool has e-mail ($n_email) and one SMS ($n_sms)"
receipt=$(ls "$tmp/spool/email/"*referral_receipt* | head -n 1)
/usr/bin/python3 tests/mime_strict.py "$receipt" >"$tmp/parsed"
check "grep -q '^SUBJECT Orosanmälan mottagen – ärende B-2016-0005/A1$' $tmp/parsed" "receipt subject"
check "grep -q 'tog emot din orosanmälan' $tmp/parsed" "receipt body in Swedish"
check "! grep -q 'Lucas\|Jonsson' $tmp/parsed" "no child name in the receipt"
check "grep -q 'Backa barnet: uppföljningssamtal i ärende B-2014-0008' $tmp/spool/sms/*.txt" "SMS text"
check "! grep -q 'Nils' $tmp/spool/sms/*.txt" "no names in SMS"
sent=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox WHERE state='sent'")
audit=$(sqlite3 "$tmp/case.db" "SELECT count(*) FROM audit")
check "[ $sent -eq $((n_email + n_sms)) ] && [ $audit -eq $sent ]" "every sent message audited ($sent, $audit)"

# The same pass again: nothing new.
check "$D --once --now 2026-08-03T08:01 --foreground 2>$tmp/log" "second --once"
check "[ $(ls "$tmp/spool/email" | wc -l) -eq $n_email ]" "no duplicate e-mail"
check "[ $(sqlite3 "$tmp/case.db" "SELECT count(*) FROM outbox") -eq $sent ]" "no new outbox rows"

# The loop: starts, serves, stops on SIGTERM with exit 0.
$D --foreground --now 2026-08-03T09:00 2>"$tmp/loop.log" &
pid=$!
pids="$pids $pid"
i=0
while [ $i -lt 50 ] && ! grep -q "planned\|sent" "$tmp/loop.log" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
$B referral decide 1 --outcome opened --date 2026-08-03 >/dev/null
kill -HUP "$pid"
i=0
while [ $i -lt 100 ] && ! ls "$tmp/spool/email/"*referral_feedback* >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
check "ls $tmp/spool/email/*referral_feedback* >/dev/null 2>&1" "feedback delivered after SIGHUP (reload and pass)"
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
check "[ $rc -eq 0 ]" "SIGTERM exits 0 (got $rc)"
check "grep -q 'reloaded' $tmp/loop.log" "reload logged"

finish

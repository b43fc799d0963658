#!/bin/sh
# it_inject.sh - values that could add a header line or an SMTP command:
# settings with line breaks are refused at load (file:line, backad -n exits
# 1); a row whose address another system wrote with a newline is refused at
# send, permanently, naming the outbox id, and never written; a long valid
# mail_from still gives well-formed Message-IDs.
set -eu
. tests/lib.sh
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer
conf() { # MAIL_FROM [extra]
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "$1";
delivery = "spool";
followup: { channels = "sms"; };
${2:-}
CONF
}
fresh() {
	rm -rf "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm" "$tmp/spool"
	demo_db $B
	$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04 >/dev/null
	$B followup add --child B-2014-0008 --responsible nils.fritid --due 2026-08-04 >/dev/null
	$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
	$B plan --now 2026-08-03T08:00 >/dev/null
}

# A helo with "\r\nRCPT TO:<...>" put a command on the wire.
conf backad@ystad.example.se 'smtp: { helo = "x\r\nRCPT TO:<evil@example.com>"; };'
set +e
$BUILD/backad -n -c "$tmp/backad.conf" >"$tmp/out" 2>&1
rc=$?
set -e
check "[ $rc -eq 1 ] && grep -q 'backad.conf:8: smtp.helo: contains a line break' $tmp/out" "backad -n: a helo with CR LF is refused at its line, exit 1"
check "[ \$(wc -l <$tmp/out) -eq 1 ]" "the error is one line"

# An address with a newline written into the database by another system
# gave a second To: line in the SMS spool file.
conf backad@ystad.example.se
fresh
# inject ID SUFFIX: a copy of row ID written by another system (not the
# planner's: origin 'resend', due before the planner's window), its address
# followed by SUFFIX.
inject() {
	q "INSERT INTO outbox(key, rule, child_id, recipient_id, channel, address, subject, body,
	   categories, message_id, due_at, state, created_at, origin)
	   SELECT 'external/' || id, 'external', child_id, recipient_id, channel, address || $2,
	   subject, body, categories, '<external.' || id || '@ystad.example.se>',
	   '2026-07-01T06:00:00Z', 'pending', created_at, 'resend' FROM outbox WHERE id = $1
	   RETURNING id"
}
sms=$(inject "$(q "SELECT id FROM outbox WHERE channel='sms' ORDER BY id LIMIT 1")" "char(10) || 'To: +46709999999'")
mail=$(inject "$(q "SELECT id FROM outbox WHERE channel='email' ORDER BY id LIMIT 1")" "char(13, 10) || 'Bcc: evil@example.com'")
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ ! -e $tmp/spool/sms/$sms.txt ] && ! ls $tmp/spool/email | grep -q '^$mail-'" "the two rows are never written"
check "! grep -rq 'To: +46709999999\\|Bcc: evil' $tmp/spool" "no second header line anywhere in the spool"
check "[ \"\$(q \"SELECT state FROM outbox WHERE id=$sms\")\" = dead ] && q \"SELECT last_error FROM outbox WHERE id=$sms\" | grep -q \"^outbox $sms: the SMS number contains a line break\"" "the SMS row: dead, the error names outbox $sms"
check "[ \"\$(q \"SELECT state FROM outbox WHERE id=$mail\")\" = dead ] && q \"SELECT last_error FROM outbox WHERE id=$mail\" | grep -q \"^outbox $mail: the e-mail address contains a line break\"" "the e-mail row: dead, the error names outbox $mail"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='dead'\") -eq 2 ] && [ \$(q \"SELECT count(*) FROM outbox WHERE state NOT IN ('sent', 'dead')\") -le 2 ]" "the other messages are sent"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE key LIKE '%/fallback' OR rule='admin_alert'\") -eq 2 ]" "each dead row: its fallback or an admin alert"
check "! grep -q '+4670\\|evil' $tmp/log" "the log does not repeat the addresses"

# A long valid mail_from made a Message-ID that lost its '>': every e-mail died.
dom=$(printf 'kommun%.0s.' $(seq 1 33))
from="backad@${dom}ystad.se"
conf "$from"
check "$BUILD/backad -n -c $tmp/backad.conf" "a ${#from}-byte mail_from is valid"
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
n=$(q "SELECT count(*) FROM outbox WHERE channel='email'")
check "[ $n -ge 1 ] && [ \$(q \"SELECT count(*) FROM outbox WHERE channel='email' AND state='sent'\") -eq $n ]" "every e-mail sent ($n)"
bad=0
for f in "$tmp"/spool/email/*.eml; do
	grep -q '^Message-ID: <[^<>@ ]*@[^<>@ ]*>.$' "$f" || { bad=$((bad + 1)); grep '^Message-ID' "$f"; }

done
check "[ $bad -eq 0 ]" "every Message-ID well-formed, ends in >"
finish

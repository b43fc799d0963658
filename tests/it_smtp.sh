#!/bin/sh
# it_smtp.sh - e-mail through real SMTP servers on loopback (Postfix's
# smtp-sink): a batch over one session that parses strictly with the exact
# Swedish text; soft and hard rejects, a disconnect after the final dot and a
# stalled reply give retry, dead and in-doubt exactly as specified, with
# nothing lost; a server that accepts and never answers is abandoned at the
# deadline.
set -eu
. tests/lib.sh
[ -n "${DEBUG:-}" ] && set -x
command -v smtp-sink >/dev/null || { echo "smtp-sink is missing (package postfix)"; exit 1; }
chmod 755 "$tmp"
port=$((20000 + $$ % 20000))

# sink ARGS...: a fresh smtp-sink on $port dumping into $tmp/dump.
sink() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	pids=
	rm -rf "$tmp/dump"
	mkdir "$tmp/dump" && chmod 1777 "$tmp/dump"
	port=$((port + 1))
	smtp-sink -c -u nobody -d "$tmp/dump/%H%M%S." "$@" "127.0.0.1:$port" 20 >"$tmp/sink.out" 2>&1 &
	pids=$!
	i=0
	while [ $i -lt 50 ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	conf "$@"
}
conf() {
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = ${TIMEOUT:-10}; };
CONF
}
fresh() {
	rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
	demo_db $B
	$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
}
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer

# 1. A batch over one session.
sink
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
n=$(q "SELECT count(*) FROM outbox")
check "[ $n -ge 3 ] && [ \$(ls $tmp/dump | wc -l) -eq $n ]" "all $n messages at the sink"
check "tr '\r' '\n' <$tmp/sink.out | grep -q 'sess=1 .*mesg=$n'" "one session carried the batch"
for f in "$tmp"/dump/*; do
	/usr/bin/python3 tests/mime_strict.py "$f" >"$tmp/parsed" 2>&1 || { fail=$((fail + 1)); echo "FAIL: strict parse $f"; cat "$tmp/parsed"; }
done
grep -l "lars.strom" "$tmp"/dump/* | head -n 1 >"$tmp/which"
/usr/bin/python3 tests/mime_strict.py "$(cat "$tmp/which")" >"$tmp/parsed" || true
check "grep -qx 'SUBJECT Orosanmälan mottagen – ärende B-2016-0005/A1' $tmp/parsed" "exact Swedish subject"
check "grep -qx 'Socialtjänstens mottagningsenhet tog emot din orosanmälan måndag 3' $tmp/parsed" "exact Swedish body"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent' AND provider_id LIKE '2%'\") -eq $n ]" "sent on 2xx to the final dot"
check "[ \$(q 'SELECT count(*) FROM audit') -eq $n ]" "audited"

# 2. A soft reject of RCPT: retried later, delivered when the server recovers.
sink -r RCPT
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='failed' AND attempts=1 AND last_error LIKE 'RCPT 4%'\") -eq $n ]" "4xx on RCPT: failed, to retry"
check "[ \$(ls $tmp/dump | wc -l) -eq 0 ]" "nothing accepted"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE next_attempt_at='2026-08-03T06:05:00Z'\") -eq $n ]" "backoff of retry.min_seconds"
sink
$D --once --now 2026-08-03T08:04 2>"$tmp/log"
check "[ \$(ls $tmp/dump | wc -l) -eq 0 ]" "not before the backoff"
$D --once --now 2026-08-03T08:05 2>"$tmp/log"
check "[ \$(ls $tmp/dump | wc -l) -eq $n ] && [ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -eq $n ]" "delivered after the backoff"

# 3. A hard reject of DATA: dead; each recipient has a mobile number, so a
#    short SMS (with no case data) takes over instead of an admin alert.
sink -f DATA
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='dead' AND rule<>'admin_alert' AND last_error LIKE 'DATA 5%'\") -eq $n ]" "5xx on DATA: dead"
# The fallback goes out at once (SMS hours): into the spool here.
check "[ \$(q \"SELECT count(*) FROM outbox WHERE key LIKE '%/fallback' AND channel='sms' AND state IN ('pending','sent')\") -eq $n ]" "one SMS fallback per dead e-mail"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE rule='admin_alert'\") -eq 0 ]" "no alert when a fallback exists"
# An admin re-queues one after the fault is fixed.
dead=$(q "SELECT id FROM outbox WHERE state='dead' ORDER BY id LIMIT 1")
check "$B retry $dead >/dev/null && [ \$(q \"SELECT state FROM outbox WHERE id=$dead\") = pending ]" "backactl retry re-queues a dead message"
check "! $B retry $dead >/dev/null 2>&1" "retry refuses a message that is not dead"

# AUTH: the password comes from a file that only the owner may read.
sink -v
fresh
printf 'hemligt\n' >"$tmp/pw"
chmod 644 "$tmp/pw"
sed -i 's/timeout_seconds = 10; };/timeout_seconds = 10; user = "backad"; password_file = "'"$(echo "$tmp" | sed 's/[\/&]/\\&/g')"'\/pw"; };/' "$tmp/backad.conf"
check "! $D -n >$tmp/out 2>&1 && grep -q 'readable by group or others (mode 644); fix with: chmod 600' $tmp/out" "a readable password file is refused"
chmod 600 "$tmp/pw"
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -eq $n ]" "delivered with AUTH configured"
check "grep -q 'AUTH PLAIN AGJhY2thZABoZW1saWd0' $tmp/sink.out" "AUTH PLAIN with the user and the file's password"

# 4. The server hangs up after the final dot: in doubt, resent with the same Message-ID.
sink -q .
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='failed' AND in_doubt=1\") -ge 1 ]" "no reply after the dot: in doubt"
q "SELECT message_id FROM outbox WHERE in_doubt=1 ORDER BY id LIMIT 1" >"$tmp/mid"
sink
$D --once --now 2026-08-03T08:06 2>"$tmp/log"
check "grep -q \"\$(cat $tmp/mid)\" $tmp/dump/*" "resent with the same Message-ID"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='sent'\") -eq $n ]" "nothing lost"

# 5. A reply that never comes after the dot: killed at the deadline, in doubt.
TIMEOUT=3 sink -W .:30
fresh
start=$(date +%s)
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
took=$(($(date +%s) - start))
check "[ $took -le 9 ]" "the session was abandoned at its deadline ($took s)"
# libESMTP's own timeout or the deadline, whichever comes first: in doubt either way.
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='failed' AND in_doubt=1 AND last_error LIKE '%after the data%'\") -ge 1 ]" "stalled after the dot: in doubt"
[ "$(q "SELECT count(*) FROM outbox WHERE in_doubt=1")" -ge 1 ] || q "SELECT id, state, in_doubt, last_error FROM outbox"

# 6. A black hole: accepts the connection, never says a word.
for p in $pids; do kill "$p" 2>/dev/null || true; done
port=$((port + 1))
/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(5)
conns = []
end = time.time() + 30
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except OSError: pass
" &
pids=$!
i=0
while [ $i -lt 50 ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
TIMEOUT=2 conf
rm -rf "$tmp/spool"
fresh
$B discovery add --child B-2023-0007 --date 2026-08-03 >/dev/null
# nils.fritid has only a mobile: his reminder goes by SMS (to the spool here).
$B followup add --child B-2014-0008 --responsible nils.fritid --due 2026-08-04 >/dev/null
start=$(date +%s)
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
took=$(($(date +%s) - start))
check "[ $took -le 8 ]" "black hole abandoned at the deadline ($took s)"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='email' AND state='failed' AND in_doubt=0 AND (last_error LIKE '%deadline%before%' OR last_error LIKE '%greeting%')\") -eq \$(q \"SELECT count(*) FROM outbox WHERE channel='email'\") ]" "black hole: retried later, not in doubt"
[ "$(q "SELECT count(*) FROM outbox WHERE channel='email' AND last_error NOT LIKE '%deadline%before%'")" -eq 0 ] || q "SELECT id, state, in_doubt, last_error FROM outbox"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='sms' AND state='sent'\") -eq 1 ] && [ \$(ls $tmp/spool/sms | wc -l) -eq 1 ]" "the pass went on: the SMS was delivered"

finish

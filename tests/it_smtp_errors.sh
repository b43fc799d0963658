#!/bin/sh
# it_smtp_errors.sh - SMTP errors name their stage, code and text, as
# `backactl outbox` and `backactl status` show them: a scripted server on
# loopback (tests/smtp_script.py) answers 421 to the greeting, 454 to
# STARTTLS, and rejects MAIL, RCPT and the end of the data.
set -eu
. tests/lib.sh
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; } # waits for a writer

# server TLS STAGE=REPLY...: a fresh scripted server, config and database.
server() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	pids=
	tls=$1
	shift
	rm -f "$tmp/cmds" "$tmp/srv.out" # not the last server's port
	/usr/bin/python3 tests/smtp_script.py 0 "$tmp/cmds" 30 "$@" >"$tmp/srv.out" 2>&1 &
	pids=$!
	port=$(ready_port "$tmp/srv.out") || exit 1
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "$tls"; timeout_seconds = 10; };
CONF
	rm -f "$tmp/case.db" "$tmp/case.db-wal" "$tmp/case.db-shm"
	demo_db $B
	$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
	$D --once --now 2026-08-03T08:00 2>"$tmp/log" || true
	n=$(q "SELECT count(*) FROM outbox WHERE channel='email'")
}
# every PATTERN: every e-mail row's last_error matches the LIKE pattern.
every() { [ "$n" -ge 1 ] && [ "$(q "SELECT count(*) FROM outbox WHERE channel='email' AND state='failed' AND last_error LIKE '$1'")" -eq "$n" ]; }

# A 421 greeting was recorded as "No Error".
server off "greeting=421 4.3.2 Service not available, closing channel"
check "every 'greeting 421 4.3.2 Service not available, closing channel'" "421 greeting: 'greeting 421 ...', not 'No Error'"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE last_error LIKE '%No Error%' OR in_doubt=1\") -eq 0 ]" "421 greeting: no 'No Error', not in doubt"
check "$B --format csv outbox | grep -q 'greeting 421 4.3.2'" "backactl outbox shows the stage"
check "$B status | grep -q 'greeting 421'" "backactl status shows the stage"

# A 454 reply to STARTTLS was recorded as "no reply".
server require "STARTTLS=454 4.7.0 TLS not available due to temporary reason"
check "every 'STARTTLS 454 4.7.0 TLS not available due to temporary reason'" "454 to STARTTLS: 'STARTTLS 454 ...', not 'no reply'"
check "! grep -q MAIL $tmp/cmds" "no message without the required TLS"

# The envelope and the data.
server off "MAIL=451 4.3.0 Sender check failed"
check "every 'MAIL 451 4.3.0 Sender check failed'" "MAIL 451 named"

server off "RCPT=452 4.2.2 Mailbox full" "DATA=554 5.5.1 No valid recipients"
check "every 'RCPT 452 4.2.2 Mailbox full'" "RCPT 452 named"
# A lax server that refuses the recipient yet takes the data with a 250:
# nobody got the message, the refusal decides.
server off "RCPT=452 4.5.3 Too many recipients"
check "every 'RCPT 452 4.5.3 Too many recipients'" "a 250 after a refused RCPT is not sent"

server off "DATA=451 4.3.0 Try later"
check "every 'DATA 451 4.3.0 Try later'" "DATA 451 named"
server off "DOT=452 4.3.1 Insufficient system storage"
check "every 'end of data 452 4.3.1 Insufficient system storage'" "a 4xx to the final dot named"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE in_doubt=1\") -eq 0 ]" "a 4xx to the final dot is a reply: not in doubt"
server off "DOT=554 5.7.1 Message refused"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='email' AND state='dead' AND last_error='end of data 554 5.7.1 Message refused'\") -eq $n ]" "a 5xx to the final dot: dead, named"
server off
check "[ \$(q \"SELECT count(*) FROM outbox WHERE channel='email' AND state='sent' AND provider_id LIKE '250 2.0.0 Ok: queued'\") -eq $n ]" "accepted: the reply, as before"
finish

#!/bin/sh
# it_smtp_tls.sh - STARTTLS against a real server (aiosmtpd) with a CA of the
# test's own: trusted, the batch is delivered over TLS; untrusted, nothing is
# delivered and the error says why; a server without STARTTLS is refused
# when TLS is required. Three TLS sessions in a row (under the ASan build
# when BUILD is one) end cleanly.
set -eu
. tests/lib.sh
port=$((40000 + $$ % 20000))

# A CA, a server certificate it signs (localhost, 127.0.0.1), and another CA.
cd "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=backad test CA" \
	-keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext.cnf -out srv.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
	-keyout other.key -out other.pem 2>/dev/null
cd - >/dev/null

server() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	port=$((port + 1))
	rm -rf "$tmp/out" && mkdir "$tmp/out"
	/usr/bin/python3 tests/smtp_tls_server.py "$port" "$tmp/srv.pem" "$tmp/srv.key" "$tmp/out" 60 \
		>"$tmp/server.log" 2>&1 &
	pids=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q ready "$tmp/server.log"; do sleep 0.1; i=$((i + 1)); done
}
conf() { # CA-FILE STARTTLS
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "localhost"; port = $port; starttls = "$2"; ca_file = "$1"; timeout_seconds = 15; };
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

# Trusted: delivered over TLS, three sessions in a row.
server
conf "$tmp/ca.pem" require
fresh
for hour in 08:00 08:01 08:02; do
	$D --once --now "2026-08-03T$hour" 2>>"$tmp/log"
	$B referral add --child B-2015-0012 --reporter eva.larare --received 2026-08-03 >/dev/null
done
n=$(q "SELECT count(*) FROM outbox WHERE state='sent'")
check "[ $n -ge 6 ] && [ \$(ls $tmp/out | wc -l) -eq $n ]" "delivered over STARTTLS ($n)"
check "! grep -q 'Sanitizer' $tmp/log" "three TLS sessions end cleanly"
f=$(grep -l "lars.strom" "$tmp"/out/*.eml | head -n 1)
/usr/bin/python3 tests/mime_strict.py "$f" >"$tmp/parsed" || true
check "grep -qx 'SUBJECT Orosanmälan mottagen – ärende B-2016-0005/A1' $tmp/parsed" "Swedish subject over TLS"

# Untrusted: nothing delivered, a clear error.
server
conf "$tmp/other.pem" require
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
q "SELECT DISTINCT last_error FROM outbox"
check "[ \$(ls $tmp/out | wc -l) -eq 0 ]" "an untrusted certificate sends nothing"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='failed' AND last_error LIKE '%certificate%'\") -eq \$(q 'SELECT count(*) FROM outbox') ]" "the error names the certificate"

# TLS required, but the server (smtp-sink without TLS) does not offer it.
for p in $pids; do kill "$p" 2>/dev/null || true; done
port=$((port + 1))
mkdir -p "$tmp/dump" && chmod 1777 "$tmp/dump" && chmod 755 "$tmp"
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$port" 20 >/dev/null 2>&1 &
pids=$!
sleep 0.5
conf "$tmp/ca.pem" require
sed -i 's/host = "localhost"/host = "127.0.0.1"/' "$tmp/backad.conf"
fresh
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
check "[ \$(ls $tmp/dump | wc -l) -eq 0 ]" "no STARTTLS offered: nothing sent"
check "[ \$(q \"SELECT count(*) FROM outbox WHERE state='failed' AND last_error LIKE '%STARTTLS%'\") -ge 1 ]" "the error names STARTTLS"

finish

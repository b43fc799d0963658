#!/bin/sh
# it_ss12000_tls.sh - the SS 12000 sync over HTTPS with a client certificate
# (mutual TLS): it works with the right CA and certificate; a server
# certificate from an unknown CA, a missing client certificate and a plain
# http:// address to another host are each refused with nothing written.
set -eu
. tests/lib.sh

cd "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=backad test CA" \
	-keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext.cnf -out srv.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=backad" -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-out client.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
	-keyout other.key -out other.pem 2>/dev/null
chmod 600 client.key
cd - >/dev/null

python3 tests/ss12000_fixture.py base "$tmp/base.json"
python3 tests/ss12000_server.py --port-file "$tmp/port" --data "$tmp/base.json" \
	--tls-cert "$tmp/srv.pem" --tls-key "$tmp/srv.key" --client-ca "$tmp/ca.pem" &
pids="$pids $!"
wait_for 10 "[ -s '$tmp/port' ]" || { echo "FAIL: the SS 12000 server did not start"; exit 1; }
url="https://127.0.0.1:$(cat "$tmp/port")"

# conf NAME URL CA [CERT]: without CERT, no client certificate (auth = "none").
conf() {
	if [ -n "${4:-}" ]; then
		auth="auth = \"certificate\"; cert_file = \"$4\"; key_file = \"$tmp/client.key\";"
	else
		auth='auth = "none";'
	fi
	cat >"$tmp/$1.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
ss12000: { url = "$2"; $auth ca_file = "$3"; timeout_seconds = 3; max_seconds = 5; };
CONF
}
conf ok "$url" "$tmp/ca.pem" "$tmp/client.pem"
conf otherca "$url" "$tmp/other.pem" "$tmp/client.pem"
conf nocert "$url" "$tmp/ca.pem"
conf plain "http://backad.example.se:$(cat "$tmp/port")" "$tmp/ca.pem" "$tmp/client.pem"
"$BUILD/backactl" -c "$tmp/ok.conf" init >/dev/null
dump() { sqlite3 "$tmp/case.db" .dump | md5sum; }
before=$(dump)

check "! $BUILD/backactl -c $tmp/otherca.conf sync ss12000 >$tmp/out 2>&1 && grep -q 'certificate problem' $tmp/out" "a server certificate from an unknown CA is refused: $(cat $tmp/out 2>/dev/null)"
check "! $BUILD/backactl -c $tmp/nocert.conf sync ss12000 >$tmp/out 2>&1 && grep -q 'GET /organisations?limit=1000: ' $tmp/out" "the server refuses a client without a certificate"
cp "$tmp/out" "$tmp/nocert.out"
check "! $BUILD/backactl -c $tmp/plain.conf sync ss12000 >$tmp/out 2>&1 && grep -q 'must be an https:// address' $tmp/out" "plain http to another host is refused"
check "[ \"\$(dump)\" = \"$before\" ]" "nothing written by the refused syncs"
check "$BUILD/backactl -c $tmp/ok.conf sync ss12000 >$tmp/out 2>&1 && grep -q '7 placements new' $tmp/out" "mutual TLS with the right CA and client certificate"
echo "without a client certificate: $(cat "$tmp/nocert.out")"

finish

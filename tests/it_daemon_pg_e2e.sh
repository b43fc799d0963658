#!/bin/sh
# it_daemon_pg_e2e.sh - backad end to end on PostgreSQL (pg_start), two daemons
# on one database: a referral committed by psql on another connection
# reaches the spool within 1000 ms (the fact trigger's NOTIFY wakes the
# planning daemon, which plans it; a daemon delivers it), exactly once;
# after the planning daemon is killed (kill -9) the other plans the next
# referral; after a restart of the server the survivor reconnects and a
# referral committed then is delivered too.
set -eu
. tests/lib.sh
pg_start

pg_ctl() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -w -t 30 "$@" >/dev/null; }
pgq() { runuser -u postgres -- psql -h "$pg_dir" -p "$pg_port" -U backad -d backad -Atq -c "$1"; }
receipts() { ls "$tmp/spool/email/" 2>/dev/null | grep -c referral_receipt || true; }

cat >"$tmp/backad.conf" <<CONF
database = "$pg_url";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
demo_db $B
today=$(TZ=Europe/Stockholm date +%F)
# referral CHILD REPORTER: committed by psql, as another system would.
referral() {
	pgq "INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)
	     SELECT (SELECT id FROM child WHERE ref = '$1'), (SELECT id FROM staff WHERE code = '$2'),
	            (SELECT id FROM unit WHERE code = 'SOC-MOTTAGNING'), '$today'"
}

$D 2>"$tmp/a.log" &
a=$!
pids="$pids $a"
check "wait_for 10 \"grep -qs 'plans from now on' '$tmp/a.log'\"" "the first daemon plans"
$D 2>"$tmp/b.log" &
b=$!
pids="$pids $b"
check "wait_for 10 \"grep -qs 'another backad plans' '$tmp/b.log'\"" "the second one delivers only"
sleep 2 # the first full pass of the day is done

n0=$(receipts)
start=$(date +%s%N)
referral B-2016-0005 lars.larare
check "wait_for 5 \"[ \\\$(receipts) -gt $n0 ]\"" "the receipt of a referral committed by psql is delivered"
ms=$((($(date +%s%N) - start) / 1000000))
echo "commit to spool: $ms ms"
check "[ $ms -le 1000 ]" "within 1000 ms of the commit ($ms ms)"
sleep 1
check "[ \$(receipts) -eq $((n0 + 1)) ]" "exactly one receipt for the referral"

kill -9 "$a"
{ wait "$a"; } 2>/dev/null || true
check "wait_for 3 \"grep -qs 'plans from now on' '$tmp/b.log'\"" "the second daemon plans after the first one's kill -9"
n1=$(receipts)
referral B-2014-0008 lars.larare
check "wait_for 5 \"[ \\\$(receipts) -gt $n1 ]\"" "a referral after the take-over is delivered"

pg_ctl -m fast restart -l "$pg_dir/server.log" \
	-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port -c fsync=off"
check "wait_for 20 \"grep -qs 'connected to the case database again' '$tmp/b.log'\"" "reconnected after the restart"
n2=$(receipts)
referral B-2016-0005 lars.larare
check "wait_for 10 \"[ \\\$(receipts) -gt $n2 ]\"" "a referral after the restart is delivered"
check "[ \$(pgq \"SELECT count(*) FROM outbox WHERE state IN ('pending','sending','failed') AND rule = 'referral_receipt'\") -eq 0 ]" \
	"no receipt left behind"

kill -TERM "$b"
set +e
wait "$b"
rc=$?
set -e
check "[ $rc -eq 0 ]" "SIGTERM stops the survivor with 0"
[ "$fail" -eq 0 ] || { echo "--- logs:"; grep -v NOTICE "$tmp/a.log" "$tmp/b.log" | tail -30; }
finish

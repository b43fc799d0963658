#!/bin/bash
# pg.sh [SIZES] - PostgreSQL beside SQLite in one run, on the same data: for
# each size (children; default 100000) the bench/gen.py database of
# bench/plan.sh is copied into a PostgreSQL of the run's own (backactl
# migrate-to), then on each engine: a full replan (backactl plan --full, the
# second of two), the daemon's passes after one change of each kind
# (pass_bench, PASS_QUICK), and commit-to-spool latency from a writer on
# another connection (bench/latency.py, 200 referrals). Last, delivery
# throughput: N e-mails into Postfix's smtp-sink by one daemon on SQLite, one
# daemon on PostgreSQL and two daemons on PostgreSQL side by side.
# The server: PostgreSQL 15 with fsync on (as in production), 512 MB of
# shared buffers, a Unix socket in a scratch directory; stopped at the end.
set -eu
sizes=${*:-100000}
. bench/pg_lib.sh
N=${BENCH_MESSAGES:-4000}
for n in $sizes; do
	[ -f "$dir/b$n.db" ] || sh bench/plan.sh "$n"
done
bench_pg_start
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$(url "$1")" -c "$2"; }

for n in $sizes; do
	echo "== $n children"
	bench_engines "$dir/b$n.db" "$n" "b$n"
	q "b$n" "VACUUM ANALYZE" >/dev/null
	for e in s p; do
		name=$([ $e = s ] && echo SQLite || echo PostgreSQL)
		echo "-- $name: full replan, $BUILD/backactl -c CONF plan --full (the second of two)"
		"$BUILD/backactl" -c "$tmp/$e$n.conf" plan --full >/dev/null
		tv "$BUILD/backactl" -c "$tmp/$e$n.conf" plan --full 2>&1 >/dev/null | tail -1
	done
	sqlite3 "$tmp/s$n.db" "UPDATE outbox SET state = 'sent' WHERE state IN ('pending', 'failed')"
	q "b$n" "UPDATE outbox SET state = 'sent' WHERE state IN ('pending', 'failed')" >/dev/null
	for e in s p; do
		name=$([ $e = s ] && echo SQLite || echo PostgreSQL)
		echo "-- $name: the daemon's passes, PASS_QUICK=1 PASS_NO_FULL=1 $BUILD/pass_bench CONF 20"
		PASS_QUICK=1 PASS_NO_FULL=1 "$BUILD/pass_bench" "$tmp/$e$n.conf" 20
	done
	echo "-- SQLite: commit-to-spool latency"
	/usr/bin/python3 bench/latency.py "$BUILD" 200 "$tmp/s$n.db" | tail -1
	echo "-- PostgreSQL: commit-to-spool latency, the writer on its own connection (psql)"
	/usr/bin/python3 bench/latency.py "$BUILD" 200 "$(url "b$n")" | tail -1
	rm -f "$tmp/s$n.db"*
	runuser -u postgres -- dropdb -h "$pg_dir" -p "$pg_port" -U backad "b$n"
done

# Delivery throughput: N e-mails due at once.
port=$((47000 + $$ % 5000))
smtp-sink -u nobody "127.0.0.1:$port" 100 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$port"
rows="SELECT 'alert/bench/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Påminnelse ' || i || ' – förhandsbedömning', repeat('x', 1400) || chr(10),
 '<bench.' || i || '@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z'"
cols="INSERT INTO outbox(key, rule, channel, address, subject, body, message_id, due_at, created_at)"
throughput() { # ENGINE DAEMONS
	db=t$RANDOM
	if [ "$1" = sqlite ]; then
		database="$tmp/$db.db"
	else
		runuser -u postgres -- createdb -h "$pg_dir" -p "$pg_port" -U backad "$db"
		database=$(url "$db")
	fi
	cat >"$tmp/t.conf" <<CONF
database = "$database";
templates = "templates/sv";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
smtp: { host = "127.0.0.1"; port = $port; starttls = "off"; timeout_seconds = 60; sessions = 2; };
CONF
	"$BUILD/backactl" -c "$tmp/t.conf" init >/dev/null
	if [ "$1" = sqlite ]; then
		sqlite3 "$database" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
$cols SELECT 'alert/bench/' || i, 'admin_alert', 'email', 'mottagare' || (i % 50) || '@ystad.example.se',
 'Påminnelse ' || i || ' – förhandsbedömning', printf('%.1400c', 'x') || char(10),
 '<bench.' || i || '@ystad.example.se>', '2026-08-03T07:00:00Z', '2026-08-03T07:00:00Z' FROM n"
		left() { sqlite3 "$database" "SELECT count(*) FROM outbox WHERE state <> 'sent'"; }
	else
		q "$db" "$cols $rows FROM generate_series(1, $N) AS i"
		left() { q "$db" "SELECT count(*) FROM outbox WHERE state <> 'sent'"; }
	fi
	t0=$(date +%s%N)
	ds=
	for _ in $(seq "$2"); do
		"$BUILD/backad" -c "$tmp/t.conf" --foreground --now 2026-08-03T10:00 2>>"$tmp/t.log" &
		ds="$ds $!"
	done
	i=0
	while [ $i -lt 6000 ] && [ "$(left)" -gt 0 ]; do sleep 0.05; i=$((i + 1)); done
	t1=$(date +%s%N)
	kill $ds 2>/dev/null || true
	wait $ds 2>/dev/null || true
	awk -v n="$N" -v s="$t0" -v e="$t1" -v w="$1, $2 daemon(s)" \
		'BEGIN { printf "%s: %d e-mails in %.1f s, %.0f messages/s\n", w, n, (e - s) / 1e9, n / ((e - s) / 1e9) }'
}
echo "== delivery throughput: $N e-mails into smtp-sink, 2 SMTP sessions per daemon"
throughput sqlite 1
throughput postgresql 1
throughput postgresql 2
bench_pg_stop

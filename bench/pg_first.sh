#!/bin/bash
# pg_first.sh [SIZES] - the first planning pass over a database, on SQLite
# and on PostgreSQL, on the same data: for each size (children; default
# 100000) a bench/gen.py database that was never planned ($BENCH_DIR/gN.db,
# made once and kept) is copied into a PostgreSQL of the run's own (backactl
# migrate-to, then VACUUM ANALYZE as an administrator runs after a copy, so
# the server counts outbox and task empty), and on each engine `backactl plan
# --full --now 2026-08-03T08:00` runs twice: the first pass (every outbox
# row and task new, written in the pass's own transaction) and a full
# replan. Elapsed, user and system time and peak memory of each backactl.
# The server: PostgreSQL 15 as in bench/pg.sh (fsync on, 512 MB of shared
# buffers, a Unix socket in a scratch directory); stopped at the end.
set -eu
sizes=${*:-100000}
. bench/pg_lib.sh
now=2026-08-03T08:00
mkdir -p "$dir"
for n in $sizes; do
	[ -s "$dir/g$n.db" ] && continue
	printf 'database = "%s/g%s.db";\ntemplates = "templates/sv";\n' "$dir" "$n" >"$dir/g$n.conf"
	"$BUILD/backactl" -c "$dir/g$n.conf" init >/dev/null
	/usr/bin/python3 bench/gen.py "$dir/g$n.db" "$n" >/dev/null
done
bench_pg_start

echo "command: bench/pg_first.sh $sizes   ($(nproc) cores, $(date -u +%F))"
for n in $sizes; do
	echo "== $n children"
	bench_engines "$dir/g$n.db" "$n" "g$n"
	echo "-- then VACUUM ANALYZE"
	psql -X -q -d "$(url "g$n")" -c "VACUUM ANALYZE"
	for e in s p; do
		name=$([ $e = s ] && echo SQLite || echo PostgreSQL)
		for pass in "first pass" "full replan"; do
			echo "-- $name: $pass, $BUILD/backactl -c CONF plan --full --now $now (load $(cut -d' ' -f1-3 /proc/loadavg))"
			tv "$BUILD/backactl" -c "$tmp/$e$n.conf" plan --full --now "$now" 2>&1
		done
	done
	rm -f "$tmp/s$n.db"*
	runuser -u postgres -- dropdb -h "$pg_dir" -p "$pg_port" -U backad "g$n"
done
bench_pg_stop

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
. tests/lib.sh
BUILD=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/backad-bench}
sizes=${*:-100000}
now=2026-08-03T08:00
export PATH="$PG_BIN:$PATH"
mkdir -p "$dir"
for n in $sizes; do
	[ -s "$dir/g$n.db" ] && continue
	printf 'database = "%s/g%s.db";\ntemplates = "templates/sv";\n' "$dir" "$n" >"$dir/g$n.conf"
	"$BUILD/backactl" -c "$dir/g$n.conf" init >/dev/null
	/usr/bin/python3 bench/gen.py "$dir/g$n.db" "$n" >/dev/null
done
pg_dir=$(mktemp -d /tmp/backad-bench-pg.XXXXXX)
pg_port=$((41000 + $$ % 8000))
chown postgres "$pg_dir" && chmod 700 "$pg_dir"
runuser -u postgres -- initdb -D "$pg_dir/data" -A trust -U backad --locale=C --encoding=UTF8 \
	>"$pg_dir/initdb.log" 2>&1
runuser -u postgres -- pg_ctl -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
	-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port \
	    -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
url() { echo "postgresql:///$1?host=$pg_dir&port=$pg_port&user=backad"; }
runuser -u postgres -- createdb -h "$pg_dir" -p "$pg_port" -U backad backad
tv() { /usr/bin/time -f '%e s elapsed, %U s user + %S s system, peak %M KB' "$@"; }

echo "command: bench/pg_first.sh $sizes   ($(nproc) cores, $(date -u +%F))"
for n in $sizes; do
	echo "== $n children"
	cp "$dir/g$n.db" "$tmp/s$n.db"
	printf 'database = "%s";\ntemplates = "templates/sv";\nspool_dir = "%s/spool-s%s";\n' \
		"$tmp/s$n.db" "$tmp" "$n" >"$tmp/s$n.conf"
	"$BUILD/backactl" -c "$tmp/s$n.conf" init >/dev/null # to this program's schema version
	runuser -u postgres -- createdb -h "$pg_dir" -p "$pg_port" -U backad "g$n"
	printf 'database = "%s";\ntemplates = "templates/sv";\nspool_dir = "%s/spool-p%s";\n' \
		"$(url "g$n")" "$tmp" "$n" >"$tmp/p$n.conf"
	echo "-- migrate-to: $BUILD/backactl -c s$n.conf migrate-to URL, then VACUUM ANALYZE"
	tv "$BUILD/backactl" -c "$tmp/s$n.conf" migrate-to "$(url "g$n")" | tail -1
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
runuser -u postgres -- pg_ctl -D "$pg_dir/data" -m fast -w -t 60 stop >/dev/null || true
rm -rf "$pg_dir"
pg_dir=

# pg_lib.sh - what bench/pg.sh and bench/pg_first.sh share: a PostgreSQL 15
# of the run's own (fsync on, as in production; 512 MB of shared buffers; a
# Unix socket in a scratch directory), and one size's database on both
# engines. Sourced from the repo top: it sources tests/lib.sh (the scratch
# directory $tmp, removed at the end) and sets BUILD, dir (BENCH_DIR) and
# PATH (PostgreSQL's programs first).
. tests/lib.sh
BUILD=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/backad-bench}
export PATH="$PG_BIN:$PATH"

# bench_pg_start: initdb and start the server; url DB names a database of it.
bench_pg_start() {
	pg_dir=$(mktemp -d /tmp/backad-bench-pg.XXXXXX)
	pg_port=$((41000 + $$ % 8000))
	chown postgres "$pg_dir" && chmod 700 "$pg_dir"
	runuser -u postgres -- initdb -D "$pg_dir/data" -A trust -U backad --locale=C \
		--encoding=UTF8 >"$pg_dir/initdb.log" 2>&1
	runuser -u postgres -- pg_ctl -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port \
		    -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
	runuser -u postgres -- createdb -h "$pg_dir" -p "$pg_port" -U backad backad
}
url() { echo "postgresql:///$1?host=$pg_dir&port=$pg_port&user=backad"; }
tv() { /usr/bin/time -f '%e s elapsed, %U s user + %S s system, peak %M KB' "$@"; }

# bench_engines SRC N DB: the SQLite database SRC copied to $tmp/sN.db
# (configuration $tmp/sN.conf, brought to this program's schema) and into
# the server's database DB by migrate-to, timed (configuration
# $tmp/pN.conf); each with a spool of its own.
bench_engines() {
	cp "$1" "$tmp/s$2.db"
	printf 'database = "%s";\ntemplates = "templates/sv";\nspool_dir = "%s/spool-s%s";\n' \
		"$tmp/s$2.db" "$tmp" "$2" >"$tmp/s$2.conf"
	"$BUILD/backactl" -c "$tmp/s$2.conf" init >/dev/null
	runuser -u postgres -- createdb -h "$pg_dir" -p "$pg_port" -U backad "$3"
	printf 'database = "%s";\ntemplates = "templates/sv";\nspool_dir = "%s/spool-p%s";\n' \
		"$(url "$3")" "$tmp" "$2" >"$tmp/p$2.conf"
	echo "-- migrate-to: $BUILD/backactl -c s$2.conf migrate-to URL"
	tv "$BUILD/backactl" -c "$tmp/s$2.conf" migrate-to "$(url "$3")" | tail -1
}

# bench_pg_stop: stop the server and remove it.
bench_pg_stop() {
	runuser -u postgres -- pg_ctl -D "$pg_dir/data" -m fast -w -t 60 stop >/dev/null || true
	rm -rf "$pg_dir"
	pg_dir=
}

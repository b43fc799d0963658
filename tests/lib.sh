# lib.sh - what the integration scripts share: counted checks, bounded waits,
# and a case database with the demo registers. Sourced from the repo top.

BUILD=${BUILD:-build}
# English, as written in the source, unless a test asks for a language; the
# catalogues are the build tree's (tests/it_i18n.sh).
unset LANGUAGE LC_ALL LC_MESSAGES
export LANG=C.UTF-8 BACKAD_LOCALEDIR="$PWD/$BUILD/locale"
pass=0 fail=0

# A scratch directory, and the servers a script starts ($pids), both gone
# when the script ends however it ends.
tmp=$(mktemp -d)
pids=
cleanup() {
	for _p in $pids; do kill "$_p" 2>/dev/null || true; done
	[ -n "${pg_dir:-}" ] && pg_stop
	sleep 0.2
	rm -rf "$tmp"
}
trap cleanup EXIT

# check CONDITION TEXT: count a pass, or a failure named TEXT.
check() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

# wait_for SECONDS CONDITION: poll a condition every 0.05 s, at most SECONDS.
wait_for() {
	_i=0 _n=$(($1 * 20))
	while [ $_i -lt $_n ]; do eval "$2" && return 0; sleep 0.05; _i=$((_i + 1)); done
	return 1
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most,
# for a loaded machine); says so when nothing does.
wait_port() {
	wait_for 10 "(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null" ||
		{ echo "FAIL: nothing listens on 127.0.0.1:$1" >&2; return 1; }
}

# ready_port FILE: the free port a test server printed as "ready PORT" into
# FILE (30 s at most); fails, saying so, when it did not start. The caller
# removes FILE before it starts the server in the background: the shell
# truncates it only in the background job, so an old "ready" line could
# otherwise be read first and name the previous server's port.
ready_port() {
	if wait_for 30 "grep -qs '^ready [0-9]' '$1'"; then sed -n 's/^ready \([0-9]*\).*/\1/p' "$1"; else
		echo "FAIL: the test server did not start:" >&2; cat "$1" >&2; return 1; fi
}

# demo_db BACKACTL...: create the database and import the demo registers.
demo_db() {
	"$@" init >/dev/null
	for _k in units staff children placements roles absences; do
		"$@" import "$_k" "etc/demo/$_k.csv" >/dev/null
	done
}

# kannel_start BASE [CORE_LINES] [USER_LINES]: Kannel on loopback with its
# fake SMS centre: bearerbox (admin BASE, smsbox BASE+1), fakesmsc on BASE+2
# and smsbox's sendsms on BASE+3, logging (level 0) to $tmp/bearerbox.log and
# $tmp/smsbox.log, what the SMS centre got to $tmp/fake.out; sendsms user
# "backad", password "hemligt". CORE_LINES and USER_LINES are added to the
# core and the sendsms-user groups. Their PIDs join $pids.
kannel_start() {
	cat >"$tmp/kannel.conf" <<CONF
group = core
admin-port = $1
admin-password = secret
smsbox-port = $(($1 + 1))
box-allow-ip = 127.0.0.1
log-level = 0
log-file = "$tmp/bearerbox.log"
${2:-}

group = smsc
smsc = fake
smsc-id = fake
port = $(($1 + 2))
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = $(($1 + 3))
log-level = 0
log-file = "$tmp/smsbox.log"

group = sendsms-user
username = backad
password = hemligt
max-messages = 3
concatenation = true
forced-smsc = fake
${3:-}
CONF
	bearerbox "$tmp/kannel.conf" >"$tmp/bb.out" 2>&1 &
	pids="$pids $!"
	wait_port $(($1 + 2))
	/usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r $(($1 + 2)) -i 0.1 -m 0 \
		'123 234 text nop' >"$tmp/fake.out" 2>&1 &
	pids="$pids $!"
	smsbox "$tmp/kannel.conf" >"$tmp/sb.out" 2>&1 &
	pids="$pids $!"
	wait_port $(($1 + 3))
}

# pg_start: a PostgreSQL 15 of the test's own (initdb and pg_ctl in a scratch
# directory owned by the postgres user, since initdb refuses root), listening
# only on a Unix socket in that directory, with C collation and UTF-8 like
# the SQLite database. It has a superuser "backad" and an empty database
# "backad"; $pg_url is a libpq URI for it, $pg_dir its directory ($PGHOST),
# $pg_port the number in the socket's name. Stopped by cleanup (pg_stop).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_start() {
	pg_dir=$(mktemp -d /tmp/backad-pg.XXXXXX)
	pg_port=$((40000 + $$ % 9000))
	chown postgres "$pg_dir" && chmod 700 "$pg_dir"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$pg_dir/data" -A trust -U backad \
		--locale=C --encoding=UTF8 >"$pg_dir/initdb.log" 2>&1 ||
		{ echo "FAIL: initdb:" >&2; cat "$pg_dir/initdb.log" >&2; return 1; }
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port -c fsync=off" \
		start >/dev/null ||
		{ echo "FAIL: PostgreSQL did not start:" >&2; cat "$pg_dir/server.log" >&2; return 1; }
	runuser -u postgres -- "$PG_BIN/createdb" -h "$pg_dir" -p "$pg_port" -U backad backad
	pg_url="postgresql:///backad?host=$pg_dir&port=$pg_port&user=backad"
}

# pg_stop: stop the PostgreSQL of pg_start (fast shutdown) and remove it.
pg_stop() {
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop \
		>/dev/null 2>&1 || true
	rm -rf "$pg_dir"
	pg_dir=
}

# finish: the closing line, and the exit status.
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

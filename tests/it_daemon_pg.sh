#!/bin/sh
# it_daemon_pg.sh - backad on PostgreSQL (pg_start): the daemon starts and
# takes the planning lock; a second daemon on the same database waits for
# it and takes over within the bound when the first is killed (kill -9);
# a terminated backend and a restart of the server are each logged once
# and followed by a reconnection within the backoff, after which the
# daemon plans again (the watchdog fed meanwhile, STATUS= telling leader and
# outage); status --check is CRITICAL while the server is down
# (naming server and database, never the password) and OK again after;
# the daemon stops cleanly on SIGTERM; a daemon of another host is judged
# by its heartbeat. Then test_daemon_pg (the watch, the
# lock, lost connections) runs on the server with nothing skipped.
set -eu
. tests/lib.sh
t="$BUILD/tests/test_daemon_pg"
[ -x "$t" ] || make -s BUILD="$BUILD" "$t" >/dev/null
pg_start

pg_ctl() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg_dir/data" -w -t 30 "$@" >/dev/null; }
pg_up() {
	pg_ctl -l "$pg_dir/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$pg_dir' -p $pg_port -c fsync=off" start
}
# count PATTERN FILE: how many lines of FILE match.
count() { grep -c "$1" "$2" 2>/dev/null || true; }

# The password is ignored by the test server (trust), but the daemon and
# the check read it: it must show nowhere.
printf 'pw-Zq81-never-shown\n' >"$tmp/pw" && chmod 600 "$tmp/pw"
cat >"$tmp/backad.conf" <<CONF
database = "$pg_url";
database_password_file = "$tmp/pw";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
$B init >/dev/null

$D 2>"$tmp/a.log" &
a=$!
pids="$pids $a"
check "wait_for 10 \"grep -qs 'plans from now on' '$tmp/a.log'\"" "the first daemon takes the planning lock"
check "wait_for 5 \"$B status --check >'$tmp/check' 2>&1\"" "status --check is OK with the daemon running"
check "grep -qs '^BACKAD OK' '$tmp/check'" "OK line ($(cat "$tmp/check"))"

# The second daemon reports to a stand-in for systemd (watchdog 2 s).
/usr/bin/python3 tests/notify_listener.py "$tmp/notify" "$tmp/notes" 90 &
pids="$pids $!"
wait_for 5 "grep -q ready '$tmp/notes' 2>/dev/null"
NOTIFY_SOCKET="$tmp/notify" WATCHDOG_USEC=2000000 $D 2>"$tmp/b.log" &
b=$!
pids="$pids $b"
check "wait_for 10 \"grep -qs 'another backad plans from this database' '$tmp/b.log'\"" \
	"a second daemon on the database waits for the planning lock"
check "! grep -q 'plans from now on' '$tmp/b.log'" "the second daemon does not plan while the first does"
check "wait_for 5 \"grep -qs ' STATUS=.*leader: no' '$tmp/notes'\"" "its STATUS= says it is not the leader"
# first_status_said_next_pass_1970: a daemon that does not plan (or has not
# yet) has no next pass to tell.
check "! grep -q '1970' '$tmp/notes'" "no STATUS= names 1970 as the next pass"
kill -9 "$a"
{ wait "$a"; } 2>/dev/null || true
check "wait_for 3 \"grep -qs 'plans from now on' '$tmp/b.log'\"" \
	"the second daemon plans within 3 s of the first one's kill -9 (1 s retry)"
check "wait_for 5 \"grep -qs ' STATUS=.*leader: yes' '$tmp/notes'\"" "its STATUS= says it is the leader now"

# A terminated backend: logged once, reconnected within the first wait (1 s).
runuser -u postgres -- psql -h "$pg_dir" -p "$pg_port" -U backad -d backad -Atq \
	-c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'backad'" \
	>/dev/null
check "wait_for 5 \"grep -qs 'connected to the case database again' '$tmp/b.log'\"" \
	"the daemon reconnects after its backends were terminated"
check "[ \$(count 'lost the connection' '$tmp/b.log') -eq 1 ]" "the loss is logged once"
check "wait_for 3 \"[ \\\$(count 'plans from now on' '$tmp/b.log') -eq 2 ]\"" \
	"it takes the planning lock again"

# The server stops: status --check is CRITICAL and says where, not the password.
pg_ctl -m fast stop
$B status --check >"$tmp/check" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 2 ] && grep -q '^BACKAD CRITICAL - cannot reach the case database' '$tmp/check'" \
	"CRITICAL while the server is down ($(cat "$tmp/check"))"
check "grep -qs 'database backad' '$tmp/check' && grep -q '$pg_dir' '$tmp/check'" \
	"the CRITICAL line names the database and the server"
w0=$(count ' WATCHDOG=1' "$tmp/notes")
sleep 3
w1=$(count ' WATCHDOG=1' "$tmp/notes")
check "kill -0 $b" "the daemon survives the server's stop"
check "[ $((w1 - w0)) -ge 2 ]" "the watchdog is fed while the server is down ($((w1 - w0)) pings in 3 s)"
check "grep -qs ' STATUS=.*database unreachable' '$tmp/notes'" "STATUS= says the database is unreachable"
pg_up
check "wait_for 20 \"[ \\\$(count 'connected to the case database again' '$tmp/b.log') -eq 2 ]\"" \
	"the daemon reconnects after the server's restart, within the backoff"
check "[ \$(count 'lost the connection' '$tmp/b.log') -eq 2 ]" "each outage is logged once"
# libpq_fatal_lines_went_bare_to_stderr: the server's "FATAL: terminating
# connection" went to stderr by libpq's default, beside the daemon's lines
# and without its prefix; the loss is the daemon's one line.
check "! grep -q '^FATAL' '$tmp/b.log'" "no bare line of libpq in the log ($(grep '^FATAL' "$tmp/b.log" | head -1))"
check "wait_for 3 \"[ \\\$(count 'plans from now on' '$tmp/b.log') -eq 3 ]\"" \
	"the planning lock is taken again after the restart"
check "wait_for 5 \"$B status --check >'$tmp/check' 2>&1\"" "status --check is OK again ($(cat "$tmp/check"))"
check "! grep -q 'pw-Zq81' '$tmp/check' '$tmp/a.log' '$tmp/b.log'" "the password shows nowhere"

kill -TERM "$b"
set +e
wait "$b"
rc=$?
set -e
check "[ $rc -eq 0 ]" "SIGTERM stops the daemon with 0 (rc $rc)"

# A daemon on another host (its owner's boot id is not this host's) is
# judged by its heartbeat alone: its pid means nothing here.
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
pgq() { runuser -u postgres -- psql -h "$pg_dir" -p "$pg_port" -U backad -d backad -Atq -c "$1"; }
pgq "UPDATE state SET value = '4242' WHERE key = 'daemon.pid';
     UPDATE state SET value = '4242@0d0e0a0d-other-host' WHERE key = 'daemon.owner';
     UPDATE state SET value = '$(iso "$(date +%s)")' WHERE key = 'daemon.heartbeat'"
$B status --check >"$tmp/check" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 0 ] && grep -q '^BACKAD OK - running (pid 4242' '$tmp/check'" \
	"a daemon on another host with a fresh heartbeat is OK ($(cat "$tmp/check"))"
pgq "UPDATE state SET value = '$(iso $(($(date +%s) - 2000)))' WHERE key = 'daemon.heartbeat'"
$B status --check >"$tmp/check" 2>&1 && rc=0 || rc=$?
check "[ $rc -eq 2 ] && grep -q '^BACKAD CRITICAL - backad is not running' '$tmp/check'" \
	"a daemon on another host silent for 2000 s is CRITICAL ($(cat "$tmp/check"))"

check "BACKAD_TEST_PG='$pg_url' '$t' >'$tmp/out' 2>&1" "test_daemon_pg on PostgreSQL"
[ "$fail" -eq 0 ] || cat "$tmp/out"
n=$(grep -c 'cmocka_unit_test_setup_teardown(' tests/test_daemon_pg.c)
check "grep -qs 'PASSED.* $n test' '$tmp/out'" "all $n tests passed on PostgreSQL"
check "! grep -q SKIPPED '$tmp/out'" "nothing skipped on PostgreSQL"
[ "$fail" -eq 0 ] || { echo "--- second daemon's log:"; grep -v 'API misuse\|NOTICE' "$tmp/b.log" | tail -20; }
finish

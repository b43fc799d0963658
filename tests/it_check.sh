#!/bin/sh
# it_check.sh - `backactl status --check` in each state, as a monitoring
# plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one "BACKAD STATE -
# why | perfdata" line. States are set up in the database the way the daemon
# leaves them (daemon.pid, daemon.heartbeat, last_error.*, outbox states).
set -eu
. tests/lib.sh

cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
B="$BUILD/backactl -c $tmp/backad.conf"
demo_db $B
sql() { sqlite3 -cmd '.timeout 5000' "$tmp/case.db" "$1" >/dev/null; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# expect CODE WORD TEXT NAME: status --check exits CODE, prints BACKAD WORD - ...TEXT...
expect() {
	_rc=0
	$B status --check >"$tmp/out" 2>"$tmp/err" || _rc=$?
	check "[ $_rc -eq $1 ] && [ \$(wc -l <'$tmp/out') -eq 1 ] && grep -q '^BACKAD $2 - .*$3.* | pending=' '$tmp/out'" "$4 (exit $_rc: $(cat "$tmp/out"))"
}

expect 2 CRITICAL "never run" "a database backad never ran on is critical"

"$BUILD/backad" -c "$tmp/backad.conf" --once --now 2026-08-03T08:00 2>/dev/null
expect 2 CRITICAL "not running" "a daemon whose pid is gone is critical"

# A live process that is not backad (a reused pid) is not the daemon.
sleep 120 &
other=$!
pids="$pids $other"
sql "UPDATE state SET value = '$other' WHERE key = 'daemon.pid';
     UPDATE state SET value = '$(iso "$(date +%s)")' WHERE key = 'daemon.heartbeat'"
expect 2 CRITICAL "not running (pid $other" "a live pid whose process is not backad is critical"

# A live daemon: a process of ours named backad stands in for it.
cp "$(command -v sleep)" "$tmp/backad"
"$tmp/backad" 120 &
stand_in=$!
pids="$pids $stand_in"
# Its owner name as lock.c makes it: pid@boot-id/pid-namespace/start
# (field 22 of /proc/PID/stat, the 20th after the command's closing paren).
owner="$stand_in@$(cat /proc/sys/kernel/random/boot_id)/$(readlink /proc/self/ns/pid | tr -dc 0-9)/$(sed 's/.*) //' /proc/$stand_in/stat | cut -d' ' -f20)"
now=$(date +%s)
sql "UPDATE state SET value = '$stand_in' WHERE key = 'daemon.pid';
     UPDATE state SET value = '$(iso "$now")' WHERE key = 'daemon.heartbeat';
     UPDATE task SET state = 'done' WHERE state = 'open';
     DELETE FROM state WHERE key LIKE 'last_error.%';"
expect 0 OK "running (pid $stand_in" "a running daemon with nothing wrong is OK"

sql "INSERT INTO task(key, rule, due_date, created_at) VALUES ('test/overdue', 'referral', '2026-08-01', '2026-08-01T06:00:00Z')"
expect 1 WARNING "1 overdue task:" "an overdue task is a warning"
sv_line() { LANGUAGE=sv LANG=C.UTF-8 BACKAD_LOCALEDIR="$BUILD/locale" $B status --check 2>/dev/null || :; }
check "sv_line | grep -q ' - 1 försenad uppgift: '" "one overdue task is singular in Swedish ($(sv_line))"
sql "UPDATE task SET state = 'done'"

sql "INSERT INTO state(key, value) VALUES ('last_error.email', '$(iso "$now") relay refused');
     UPDATE outbox SET state = 'failed' WHERE id = (SELECT min(id) FROM outbox WHERE channel = 'email')"
expect 1 WARNING "channel failing: 1 e-mail" "a failing channel with messages waiting is a warning"
sql "UPDATE state SET value = '$(iso $((now - 7200))) relay refused' WHERE key = 'last_error.email'"
expect 0 OK "1 failed" "an old channel error is no longer a warning"
sql "UPDATE outbox SET state = 'sent' WHERE state = 'failed'"

sql "UPDATE outbox SET state = 'dead' WHERE id = (SELECT min(id) FROM outbox)"
expect 2 CRITICAL "1 dead message:" "a dead message is critical"
check "sv_line | grep -q ' - 1 dött meddelande: '" "one dead message is singular in Swedish ($(sv_line))"
sql "UPDATE outbox SET state = 'sent' WHERE state = 'dead'"

sql "UPDATE state SET value = '$(iso $((now - 1200)))' WHERE key = 'daemon.heartbeat'"
expect 2 CRITICAL "heartbeat stale" "a heartbeat 20 minutes old with nothing under way is critical"
sql "UPDATE outbox SET state = 'sending', claim_owner = '$owner', lease_until = '$(iso $((now + 300)))'
     WHERE id = (SELECT min(id) FROM outbox)"
expect 0 OK "in a long pass" "during a long pass (a message being sent) the old heartbeat is fine"
sql "UPDATE outbox SET claim_owner = '1@gone' WHERE state = 'sending'"
expect 2 CRITICAL "heartbeat stale" "a row left in sending by another owner does not excuse a stale heartbeat"
sql "UPDATE outbox SET state = 'sent' WHERE state = 'sending'"
expect 2 CRITICAL "heartbeat stale" "a future lease on a sent row does not excuse a stale heartbeat"
sql "UPDATE outbox SET state = 'sending', claim_owner = '$owner' WHERE lease_until IS NOT NULL;
     UPDATE state SET value = '$(iso $((now - 1900)))' WHERE key = 'daemon.heartbeat'"
# (On a machine up for less than that, the heartbeat predates the boot: not running.)
boot=$(awk '/^btime/ { print $2 }' /proc/stat)
hung=hangs; [ "$boot" -lt $((now - 1900)) ] || hung="not running"
expect 2 CRITICAL "$hung" "a heartbeat older than 30 minutes is critical even with the daemon's own lease"
sql "UPDATE state SET value = '$(iso $((boot - 60)))' WHERE key = 'daemon.heartbeat'"
expect 2 CRITICAL "not running (pid $stand_in" "a heartbeat from before this boot is another boot's daemon: not running"
sql "UPDATE outbox SET state = 'sent', claim_owner = NULL, lease_until = NULL WHERE state = 'sending';
     UPDATE state SET value = '$(iso $((now - 600)))' WHERE key = 'daemon.heartbeat'"
expect 1 WARNING "heartbeat late" "a heartbeat 10 minutes old is a warning"
# daemon_in_another_container_was_judged_by_a_pid_of_ours: a daemon whose
# owner names another PID namespace of this host (a container; its pid 1
# is not ours to look up) is judged by its heartbeat, on SQLite too.
sql "UPDATE state SET value = '1' WHERE key = 'daemon.pid';
     INSERT OR REPLACE INTO state(key, value) VALUES ('daemon.owner',
       '1@$(cat /proc/sys/kernel/random/boot_id)/4026539999/5');
     UPDATE state SET value = '$(iso "$now")' WHERE key = 'daemon.heartbeat'"
expect 0 OK "running (pid 1" "a daemon in another container with a fresh heartbeat is running"
sql "UPDATE state SET value = '$(iso $((now - 1900)))' WHERE key = 'daemon.heartbeat'"
expect 2 CRITICAL "" "and with a heartbeat 30 minutes old it is not"
sql "DELETE FROM state WHERE key = 'daemon.owner'; UPDATE state SET value = '$stand_in' WHERE key = 'daemon.pid'"

sed "s#$tmp/case.db#$tmp/missing.db#" "$tmp/backad.conf" >"$tmp/missing.conf"
rc=0
"$BUILD/backactl" -c "$tmp/missing.conf" status --check >"$tmp/out" 2>/dev/null || rc=$?
check "[ $rc -eq 3 ] && grep -q '^BACKAD UNKNOWN - ' '$tmp/out'" "no database is UNKNOWN (exit 3)"
rc=0
"$BUILD/backactl" -c "$tmp/nope.conf" status --check >"$tmp/out" 2>/dev/null || rc=$?
check "[ $rc -eq 3 ] && grep -q '^BACKAD UNKNOWN - $tmp/nope.conf: cannot read the configuration file: No such file or directory$' '$tmp/out'" \
	"a missing configuration file is UNKNOWN naming the file and why ($(cat "$tmp/out"))"
rc=0
"$BUILD/backad" -c "$tmp/nope.conf" -n >"$tmp/out" 2>&1 || rc=$?
check "[ $rc -ne 0 ] && grep -q '$tmp/nope.conf: cannot read the configuration file: No such file or directory' '$tmp/out'" \
	"backad -n names the missing configuration file and why ($(cat "$tmp/out"))"
finish

#!/bin/sh
# it_digest.sh - one e-mail per person and send time, through the daemon:
#  0. backactl preview shows the digest as one row, and its text.
#  1. Three reminders to one officer on one morning go as one e-mail.
#  2. A digest resent after kill -9 keeps its Message-ID: the daemon is
#     killed while the relay holds back its reply to the end of the data;
#     the restart resends the same digest (in doubt), and the audit names
#     that Message-ID once per child.
#  3. backactl referral assign takes only an intake officer or coordinator
#     of the referral's intake unit, one --officer, and an id in range.
set -eu
. tests/lib.sh
command -v smtp-sink >/dev/null || { echo "smtp-sink is missing (package postfix)"; exit 1; }
chmod 755 "$tmp"
NOW=2026-08-03T10:00   # a Monday: day 10 of referrals received 2026-07-24

# A relay that takes one message, keeps it in a file and never answers its
# final dot (as a relay does that hangs after the data).
rm -f "$tmp/hold.out"
/usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(5)
print('ready', s.getsockname()[1], flush=True)
s.settimeout(40)
c = s.accept()[0]
f = c.makefile('rwb')
def say(t): f.write(t.encode() + b'\r\n'); f.flush()
say('220 hold ESMTP')
end = time.time() + 40
while time.time() < end:
    line = f.readline()
    if not line: break
    v = line[:4].upper()
    if v in (b'EHLO', b'HELO'): say('250 hold')
    elif v == b'MAIL' or v == b'RCPT': say('250 Ok')
    elif v == b'DATA':
        say('354 go on')
        data = b''
        while not data.endswith(b'\r\n.\r\n'):
            more = f.readline()
            if not more: break
            data += more
        open('$tmp/held.eml', 'wb').write(data)
        time.sleep(40)
    else: say('250 Ok')
" >"$tmp/hold.out" 2>&1 &
pids="$pids $!"
holdport=$(ready_port "$tmp/hold.out")

conf() { # SMTP-PORT
	cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
delivery = "network";
stop_grace_seconds = 2;
smtp: { host = "127.0.0.1"; port = $1; starttls = "off"; timeout_seconds = 60; sessions = 1; };
sms: { provider = "spool"; };
CONF
}
q() { sqlite3 -cmd ".timeout 10000" "$tmp/case.db" "$1"; }
conf "$holdport"
"$BUILD/backactl" -c "$tmp/backad.conf" init >/dev/null
q "INSERT INTO unit(id,code,kind,name,municipality) VALUES
 (1,'SK1','school','Västervångskolan','Ystad'), (4,'MOT','intake','Mottagningen','Ystad');
INSERT INTO staff(id,code,name,email,unit_id) VALUES
 (1,'larare','Eva Berg','eva@ystad.example.se',1),
 (4,'handl1','Karin Ek','karin@ystad.example.se',4),
 (5,'chef','Lars Ström','lars@ystad.example.se',4);
INSERT INTO unit_role(unit_id,role,staff_id,start_date) VALUES
 (4,'intake_officer',4,'2020-01-01'), (4,'manager',5,'2020-01-01');
INSERT INTO child(id,ref,birth_date) VALUES (1,'B-1','2018-01-01'), (2,'B-2','2018-02-01'),
 (3,'B-3','2018-03-01');
INSERT INTO referral(id,child_id,reporter_id,intake_unit_id,received_date,officer) VALUES
 (1,1,1,4,'2026-07-24','handl1'), (2,2,1,4,'2026-07-24','handl1'),
 (3,3,1,4,'2026-07-24','handl1');"

# 0. backactl preview shows the digest as it will go out.
B="$BUILD/backactl -c $tmp/backad.conf"
$B --format csv preview --from 2026-08-03 --days 1 >"$tmp/preview.csv"
check "grep -q '^2026-08-03 08:00,handl1,email,digest: 3 förhandsbedömningar,\"B-1, B-2, B-3\",karin@ystad.example.se' $tmp/preview.csv && [ \$(wc -l <$tmp/preview.csv) -eq 2 ]" "preview: one row for the digest"
$B preview --from 2026-08-03 --days 1 >"$tmp/preview.table"
check "grep -q '^2026-08-03 08:00  handl1 .* digest: 3 förhandsbedömningar *B-1 +2$' $tmp/preview.table" \
	"preview_table_never_cuts_the_time_the_person_or_the_case (a digest: first case and how many more)"
$B preview --from 2026-08-03 --days 1 --text >"$tmp/preview.txt"
check "grep -q '^Ämne: Backa barnet: 3 förhandsbedömningar väntar på dig måndag 3 augusti 2026' $tmp/preview.txt && grep -q '^Hej Karin Ek,' $tmp/preview.txt && [ \$(grep -c '^- Påminnelse' $tmp/preview.txt) -eq 3 ]" "preview --text: the digest's subject, greeting and three items"

D="$BUILD/backad -c $tmp/backad.conf --foreground --now $NOW"
$D 2>"$tmp/log1" &
daemon=$!
pids="$pids $daemon"
check "wait_for 20 \"[ \\\$(q 'SELECT count(*) FROM outbox WHERE rule=\\\"referral_reminder\\\" AND data_started=1') -eq 3 ]\"" "the digest's three items started together"
check "wait_for 10 \"[ -s $tmp/held.eml ]\"" "the relay holds the digest"
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
first=$(sed -n 's/^Message-ID: *//p' "$tmp/held.eml" | tr -d '\r')
check "grep -q 'B-1/A1' $tmp/held.eml && grep -q 'B-2/A2' $tmp/held.eml && grep -q 'B-3/A3' $tmp/held.eml" "one e-mail names the three referrals"
check "[ -n \"$first\" ]" "the held digest has a Message-ID ($first)"

# The restart: recovery marks the three in doubt and resends the digest.
sinkport=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/dump" && chmod 1777 "$tmp/dump"
smtp-sink -u nobody -d "$tmp/dump/%H%M%S." "127.0.0.1:$sinkport" 20 >/dev/null 2>&1 &
pids="$pids $!"
wait_port "$sinkport"
conf "$sinkport"
$BUILD/backad -c "$tmp/backad.conf" --foreground --once --now $NOW 2>"$tmp/log2"
sleep 0.3
check "[ \$(q \"SELECT count(*) FROM outbox WHERE rule='referral_reminder' AND state='sent' AND in_doubt=1\") -eq 3 ]" "the three items sent, in doubt"
check "[ \$(grep -l 'B-1/A1' $tmp/dump/* | wc -l) -eq 1 ] && [ \$(ls $tmp/dump | wc -l) -eq 1 ]" "one e-mail at the sink"
again=$(sed -n 's/^Message-ID: *//p' "$tmp"/dump/* | tr -d '\r')
check "[ \"$again\" = \"$first\" ]" "a digest resent after kill -9 keeps its Message-ID ($again)"
check "[ \$(q \"SELECT count(DISTINCT child_id) FROM audit WHERE message_id='$first'\") -eq 3 ]" "one audit row per child, naming the digest's Message-ID"
# 3. Who may be assigned a referral.
q "INSERT INTO unit(id,code,kind,name,municipality) VALUES (5,'MOT2','intake','Mottagning 2','Ystad');
INSERT INTO staff(id,code,name,email,unit_id) VALUES (6,'handl6','Sara Ek','sara@ystad.example.se',5);
INSERT INTO unit_role(unit_id,role,staff_id,start_date) VALUES (5,'intake_officer',6,'2020-01-01');"
check "! $B referral assign 1 --officer larare 2>$tmp/err && grep -q \"'larare' is not an intake officer or coordinator of the intake unit MOT\" $tmp/err" "assign refuses a teacher"
check "! $B referral assign 1 --officer handl6 2>$tmp/err && grep -q \"'handl6' is not an intake officer or coordinator of the intake unit MOT\" $tmp/err" "assign refuses an officer of another intake unit"
check "! $B referral assign 1 --officer handl1 --officer larare 2>$tmp/err && grep -q -- '--officer is given twice' $tmp/err" "assign refuses a repeated --officer"
check "! $B referral assign 99999999999999999999 --officer handl1 2>$tmp/err && grep -q \"'99999999999999999999' is not an id\" $tmp/err" "assign refuses an id out of range"
check "[ \$(q 'SELECT officer FROM referral WHERE id = 1') = handl1 ]" "a refused assignment writes nothing"
q "UPDATE referral SET officer = NULL WHERE id = 1"
check "$B referral assign 1 --officer handl1 >$tmp/out && [ \$(q 'SELECT officer FROM referral WHERE id = 1') = handl1 ]" "assign takes the unit's intake officer"
finish

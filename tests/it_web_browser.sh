#!/bin/sh
# it_web_browser.sh - a person's path through a link, in a real browser:
# headless Chromium opens the link of a follow-up reminder that backad
# --once spooled, a screenshot is kept (build/it-web/page.png, result.png),
# a mouse click on "Samtalet är genomfört" submits the form (no JavaScript
# in the page), and the next pass of backad cancels the reminders of that
# follow-up that were still waiting.
set -eu
. tests/lib.sh
out="$BUILD/it-web"
rm -rf "$out"
mkdir -p "$out"
B="$BUILD/backactl -c $tmp/backad.conf"
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
web: { public_url = "https://backad.ystad.example.se"; key_file = "$tmp/ack.keys"; };
CONF
printf 'key-%s\n' "$(head -c 32 /dev/urandom | base64)" >"$tmp/ack.keys"
chmod 600 "$tmp/ack.keys"
demo_db $B
$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-10 >/dev/null
"$BUILD/backad" -c "$tmp/backad.conf" --foreground --once --now 2026-08-03T08:00 2>"$tmp/log"
# The reminder of the day before (Friday 7 August) waits in the outbox.
$B plan --now 2026-08-07T08:00 >/dev/null
sql() { sqlite3 -cmd '.timeout 5000' "$tmp/case.db" "$1"; }
check "[ $(sql "SELECT count(*) FROM outbox WHERE key LIKE 'followup_reminder/followup:1/%' AND state = 'pending'") -ge 1 ]" \
	"a reminder of the follow-up is pending"
url=$(/usr/bin/python3 tests/ack_link.py links "$tmp"/spool/email/*followup_reminder*)
check "[ -n '$url' ]" "the spooled reminder carries a link"

rm -f "$tmp/web.out"
"$BUILD/backad-web" -c "$tmp/backad.conf" --listen 127.0.0.1:0 --now 2026-08-07T07:30 \
	>"$tmp/web.out" 2>"$tmp/web.log" &
pids="$pids $!"
port=$(ready_port "$tmp/web.out")
# The reverse proxy's part: the public address leads to the service.
local_url="http://127.0.0.1:$port${url#https://backad.ystad.example.se}"
/usr/bin/python3 tests/browser_click.py "$local_url" "Samtalet är genomfört" "$out" \
	>"$out/result.txt" 2>"$out/browser.log" || { cat "$out/result.txt" "$out/browser.log"; true; }
check "[ \"\$(head -c 8 $out/page.png | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a ]" \
	"a screenshot of the page ($out/page.png)"
check "[ -s $out/result.png ]" "a screenshot after the click ($out/result.png)"
check "grep -q 'Det är nu registrerat för ärende B-2017-0010: Samtalet är genomfört' $out/result.txt" \
	"the click recorded it: the answer page"
check "[ \"$(sql "SELECT kind, ref_id, action FROM task_ack")\" = 'followup|1|done' ]" "one fact"
check "[ \"$(sql 'SELECT done_date FROM followup WHERE id = 1')\" = 2026-08-07 ]" \
	"the follow-up is done, as backactl followup done records it"

sent=$(ls "$tmp"/spool/email/*followup* | wc -l)
"$BUILD/backad" -c "$tmp/backad.conf" --foreground --once --now 2026-08-07T08:00 2>>"$tmp/log"
check "[ $(sql "SELECT count(*) FROM outbox WHERE key LIKE 'followup_%/followup:1/%' AND state = 'pending'") = 0 ]" \
	"no reminder of the follow-up waits any more"
check "[ $(sql "SELECT count(*) FROM outbox WHERE key LIKE 'followup_reminder/followup:1/%' AND state = 'cancelled'") -ge 1 ]" \
	"the waiting reminder is cancelled"
check "[ $(ls "$tmp"/spool/email/*followup* | wc -l) = $sent ]" "and no reminder of it was sent"
finish

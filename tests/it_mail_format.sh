#!/bin/sh
# it_mail_format.sh - e-mail as people read it, on the rendered templates:
# Auto-Submitted: auto-generated (RFC 3834) so vacation replies stay away,
# the configured Reply-To (the local Backa barnet team), body lines wrapped
# at 72 characters, and the "-- " signature separator.
set -eu
. tests/lib.sh
B="$BUILD/backactl -c $tmp/backad.conf"
D="$BUILD/backad -c $tmp/backad.conf --foreground"
cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
reply_to = "backabarnet@ystad.example.se";
CONF
demo_db $B
$B referral add --child B-2016-0005 --reporter lars.larare --received 2026-08-03 >/dev/null
$B followup add --child B-2017-0010 --responsible sara.rektor --due 2026-08-04 >/dev/null
$D --once --now 2026-08-03T08:00 2>"$tmp/log"
n=0 long=0 auto=0 reply=0 sig=0
for f in "$tmp"/spool/email/*.eml; do
	n=$((n + 1))
	/usr/bin/python3 tests/mail_lines.py "$f" >"$tmp/lines" 2>&1 || { cat "$tmp/lines"; long=$((long + 1)); }
	grep -q '^Auto-Submitted: auto-generated$' "$tmp/lines" && auto=$((auto + 1))
	grep -q '^Reply-To: backabarnet@ystad.example.se$' "$tmp/lines" && reply=$((reply + 1))
	grep -q '^SIGNATURE$' "$tmp/lines" && sig=$((sig + 1))
	grep '^LONG' "$tmp/lines" && long=$((long + 1))
done
check "[ $n -ge 4 ]" "e-mails written ($n)"
check "[ $auto -eq $n ]" "every e-mail: Auto-Submitted: auto-generated"
check "[ $reply -eq $n ]" "every e-mail: Reply-To the local team"
check "[ $long -eq 0 ]" "no body line longer than 72 characters"
check "[ $sig -eq $n ]" "every signature after '-- '"
sed -i '/^reply_to/d' "$tmp/backad.conf"
check "$BUILD/backad -n -c $tmp/backad.conf >/dev/null" "reply_to is optional"
printf 'reply_to = "team@ystad.example.se\\r\\nBcc: x@y.se";\n' >>"$tmp/backad.conf"
check "$BUILD/backad -n -c $tmp/backad.conf 2>&1 | grep -q 'backad.conf:6: reply_to: contains a line break'" "a reply_to with a line break is refused at its line"
finish

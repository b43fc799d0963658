#!/bin/bash
# it_i18n.sh - the language of backad's and backactl's text follows the
# locale: Swedish with LANGUAGE=sv (any locale but C; C.UTF-8 is always
# there), English with LANG=C, one language per screen (no English phrase of
# the catalogue in Swedish output), and staff messages Swedish either way.
set -u
. tests/lib.sh

cat >"$tmp/backad.conf" <<CONF
database = "$tmp/case.db";
templates = "templates/sv";
spool_dir = "$tmp/spool";
admin_email = "admin@ystad.example.se";
mail_from = "backad@ystad.example.se";
CONF
export BACKAD_CONFIG="$tmp/backad.conf"
B="$BUILD/backactl"
demo_db "$B"
sv() { LANGUAGE=sv LANG=C.UTF-8 "$@"; }
en() { LANG=C "$@"; }
# run NAME CMD...: stdout and stderr of CMD into $tmp/NAME, any exit status.
run() { _n=$1; shift; "$@" >"$tmp/$_n" 2>&1 || true; }
mixed() { python3 tests/po_mixed.py po/sv.po <"$tmp/$1"; }

run sv_help sv "$B" --help
check "grep -q '^användning: backactl' '$tmp/sv_help' && grep -q 'skapa eller migrera ärendedatabasen' '$tmp/sv_help'" \
	"backactl --help in Swedish with LANGUAGE=sv"
check "mixed sv_help" "backactl --help: nothing in English"
run en_help en "$B" --help
check "grep -q '^usage: backactl' '$tmp/en_help' && ! grep -q 'användning' '$tmp/en_help'" \
	"backactl --help in English with LANG=C"

run sv_status sv "$B" status
check "grep -q '^OMRÅDE' '$tmp/sv_status' && grep -q 'döda meddelanden' '$tmp/sv_status' && grep -q 'har aldrig kört' '$tmp/sv_status'" \
	"status table: Swedish headings and labels"
check "mixed sv_status" "status: nothing in English"
run en_status en "$B" status
check "grep -q '^AREA' '$tmp/en_status' && grep -q 'dead messages' '$tmp/en_status'" \
	"status table in English with LANG=C"
run sv_json sv "$B" --format json status
check "python3 -c 'import json,sys; r={x[\"area\"] for x in json.load(open(\"$tmp/sv_json\"))}; assert \"dead messages\" in r, r'" \
	"JSON keeps its English keys whatever the language"

run sv_check sv "$B" status --check
check "grep -q '^BACKAD CRITICAL - backad har aldrig kört mot den här databasen | pending=' '$tmp/sv_check'" \
	"status --check: the plugin words stay, the explanation is Swedish"

run sv_err sv "$B" frobnicate
check "grep -q \"okänt kommando 'frobnicate'\" '$tmp/sv_err'" "an unknown command, in Swedish"
run sv_usage sv "$B" retry
check "grep -q 'ange ett meddelande-ID (se .backactl retry --help.)' '$tmp/sv_usage'" \
	"a usage error and its hint, in Swedish"
check "mixed sv_usage" "usage error: nothing in English"
run sv_bad sv "$B" import units /nonexistent.csv
check "grep -q 'kan inte öppnas' '$tmp/sv_bad'" "a library error (err_set) in Swedish"
run en_bad en "$B" import units /nonexistent.csv
check "grep -q 'cannot open' '$tmp/en_bad'" "the same error in English with LANG=C"

# A production configuration (here: started by systemd) on the spool is warned about.
run sv_n sv env INVOCATION_ID=test "$BUILD/backad" -n
check "grep -q '^konfigurationen är OK' '$tmp/sv_n' && grep -q 'varning: delivery = \"spool\"' '$tmp/sv_n'" \
	"backad -n in Swedish, with its spool warning"
check "mixed sv_n" "backad -n: nothing in English"
run en_n en "$BUILD/backad" -n
check "grep -q '^configuration OK' '$tmp/en_n'" "backad -n in English with LANG=C"

# backad -n refuses a case_url that is not https or lacks {ref}, in the reader's language.
sed 's#^admin_email#case_url = "http://case.example/referral";\nadmin_email#' "$tmp/backad.conf" >"$tmp/bad.conf"
run en_url en "$BUILD/backad" -c "$tmp/bad.conf" -n
check "grep -q 'bad.conf:4: case_url \"http://case.example/referral\" must be an https:// address with {ref}' '$tmp/en_url'" \
	"backad -n refuses a case_url without https and {ref}"
check "! en '$BUILD/backad' -c '$tmp/bad.conf' -n >/dev/null 2>&1" "backad -n exits non-zero for it"
run sv_url sv "$BUILD/backad" -c "$tmp/bad.conf" -n
check "grep -q 'bad.conf:4: case_url \"http://case.example/referral\" måste vara en https://-adress med {ref}' '$tmp/sv_url'" \
	"the same refusal in Swedish"

# Staff messages are Swedish whatever the locale.
run en_once en "$BUILD/backad" --once --now 2026-08-03T08:00
check "cat '$tmp'/spool/email/*.eml | grep -q '^Subject: =?UTF-8?' && grep -rlq 'Hej ' '$tmp/spool/email'" \
	"e-mail to staff is Swedish under LANG=C"

# Import errors and message states in a sentence are Swedish too.
staff=$(sqlite3 "$tmp/case.db" "SELECT code FROM staff LIMIT 1")
printf 'staff,start_date,end_date,deputy\n%s,2026-09-01,2026-09-10,nobody\n' "$staff" >"$tmp/abs.csv"
run sv_imp sv "$B" import absences "$tmp/abs.csv"
check "grep -q \"abs.csv:2: kolumnen 'deputy': okänd medarbetare 'nobody'\" '$tmp/sv_imp'" \
	"an import error in Swedish names the column and the unknown staff member ($(cat "$tmp/sv_imp"))"
check "mixed sv_imp" "import error: nothing in English"
run sv_case sv "$B" audit --child NOPE
check "grep -q \"okänt barn 'NOPE'\" '$tmp/sv_case'" "an unknown child in Swedish words ($(cat "$tmp/sv_case"))"
id=$(sqlite3 "$tmp/case.db" "SELECT min(id) FROM outbox")
sqlite3 "$tmp/case.db" "UPDATE outbox SET state = 'cancelled' WHERE id = $id"
run sv_retry sv "$B" retry "$id"
check "grep -q \"meddelande $id är avbrutet, inte dött\" '$tmp/sv_retry'" \
	"retry of a cancelled message says its state in Swedish ($(cat "$tmp/sv_retry"))"
run en_retry en "$B" retry "$id"
check "grep -q \"message $id is cancelled, not dead\" '$tmp/en_retry'" "the same in English"

# Swedish tables fit 80 columns too (headings and labels are longer).
for cmd in children tasks outbox status "report --from 2026-01-01 --to 2026-12-31" "audit --child B-2016-0005"; do
	# shellcheck disable=SC2086
	run sv_wide sv "$B" $cmd
	check "python3 -c 'import sys; w=max(len(l) for l in open(\"$tmp/sv_wide\", encoding=\"utf-8\").read().split(\"\\n\")); sys.exit(w > 80)'" \
		"backactl $cmd in Swedish fits 80 columns"
	check "mixed sv_wide" "backactl $cmd in Swedish: nothing in English"
done

# The check can fail: English output is English.
check "! mixed en_status >/dev/null" "the mixed-language check finds English"

echo "it_i18n: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

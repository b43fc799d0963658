#!/bin/sh
# it_holidays.sh - backad's Swedish holiday calendar agrees with python3-holidays
# (an independent implementation) on every year 2000-2100: the same holidays,
# and the same working days on every day of the year.
set -eu
. tests/lib.sh

B="$BUILD/backactl"
/usr/bin/python3 tests/holidays_oracle.py 2000 2100 >"$tmp/oracle"
/usr/bin/python3 tests/holidays_oracle.py 2000 2100 --workdays >"$tmp/owork"
"$B" calendar holidays 2000 2100 | cut -c1-10 >"$tmp/ours"
cut -d' ' -f1 "$tmp/owork" | xargs "$B" calendar workday |
	sed -e 's/ is a working day$/ yes/' -e 's/ is not a working day .*/ no/' >"$tmp/ourwork"

for y in $(seq 2000 2100); do
	grep "^$y-" "$tmp/oracle" >"$tmp/o" || true
	grep "^$y-" "$tmp/ours" >"$tmp/b" || true
	grep "^$y-" "$tmp/owork" >"$tmp/ow" || true
	grep "^$y-" "$tmp/ourwork" >"$tmp/bw" || true
	if [ -s "$tmp/o" ] && cmp -s "$tmp/o" "$tmp/b" && [ -s "$tmp/ow" ] &&
		cmp -s "$tmp/ow" "$tmp/bw"; then
		pass=$((pass + 1))
		continue
	fi
	fail=$((fail + 1))
	echo "$y differs (< python3-holidays, > backactl):"
	diff "$tmp/o" "$tmp/b" || true
	diff "$tmp/ow" "$tmp/bw" || true
done

finish

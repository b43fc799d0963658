#!/bin/sh
# plan.sh - planning passes on synthetic case databases, each a backactl
# process: the first pass, a full replan (--full), a pass when nothing
# changed and a pass after one change (a referral; only its subject is
# planned), with wall time and peak memory of the process. usage: bench/plan.sh [N...]
# (default 10000 100000). Needs a build (make) and /usr/bin/python3.
set -eu
BUILD=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/backad-bench}
mkdir -p "$dir"
sizes=${*:-10000 100000}
echo "command: bench/plan.sh $sizes   ($(nproc) cores, $(date -u +%F))"
printf '%-10s %-22s %10s %12s\n' children pass seconds peak_kB
for n in $sizes; do
	conf="$dir/b$n.conf"
	printf 'database = "%s/b%s.db";\ntemplates = "templates/sv";\n' "$dir" "$n" >"$conf"
	if [ ! -s "$dir/b$n.db" ]; then
		"$BUILD/backactl" -c "$conf" init >/dev/null
		/usr/bin/python3 bench/gen.py "$dir/b$n.db" "$n" >/dev/null
	fi
	run() {
		/usr/bin/time -f "%e %M" -o "$dir/time" "$BUILD/backactl" -c "$conf" plan ${2:-} \
			--now 2026-08-03T08:00 >/dev/null
		read -r s kb <"$dir/time"
		printf '%-10s %-22s %10s %12s\n' "$n" "$1" "$s" "$kb"
	}
	run "first (or replan)" --full
	run "full replan" --full
	run "no change"
	"$BUILD/backactl" -c "$conf" referral add --child B-0000001 --reporter s5 \
		--received 2026-08-03 >/dev/null
	run "after one referral"
done

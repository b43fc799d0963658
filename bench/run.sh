#!/bin/sh
# run.sh - every benchmark: planning passes at 10k, 100k and 1M children
# (bench/plan.sh for backactl's full passes, pass_bench for the daemon's own
# passes with its cache), commit-to-spool latency, and e-mail and SMS
# throughput, a full SS 12000 sync of 100,000 children, and the cost of the
# database layer (dbi_bench). BENCH_SIZES overrides the planning sizes.
set -eu
BUILD=${BUILD:-build}
dir=${BENCH_DIR:-/tmp/backad-bench}
sizes=${BENCH_SIZES:-10000 100000 1000000}
sh bench/plan.sh $sizes
for n in $sizes; do
	printf 'database = "%s/b%s.db";\ntemplates = "templates/sv";\nspool_dir = "%s/spool%s";\n' \
		"$dir" "$n" "$dir" "$n" >"$dir/d$n.conf"
	# plan.sh left its planned messages pending; mark them sent so the
	# first pass measures planning rather than writing thousands of files.
	sqlite3 "$dir/b$n.db" "UPDATE outbox SET state = 'sent' WHERE state IN ('pending', 'failed')"
	echo "== the daemon's passes, $n children: $BUILD/pass_bench $dir/d$n.conf"
	BACKACTL="$BUILD/backactl" "$BUILD/pass_bench" "$dir/d$n.conf" 20
done
/usr/bin/python3 bench/latency.py "$BUILD" 200
for n in $sizes; do
	echo "== commit-to-spool latency with the daemon on the $n-children database"
	/usr/bin/python3 bench/latency.py "$BUILD" 200 "$dir/b$n.db"
done
BUILD=$BUILD bash bench/smtp_throughput.sh 4000 2
BUILD=$BUILD bash bench/sms_throughput.sh 1000
BUILD=$BUILD sh bench/ss12000_sync.sh 100000
"$BUILD/dbi_bench" 1000000

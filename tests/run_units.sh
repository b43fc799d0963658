#!/bin/sh
# run_units.sh JOBS MODE BIN... - the unit test binaries, JOBS at a time
# (they share nothing: each makes its own scratch directory and database).
# MODE is plain or valgrind. Each binary's output is printed whole when it
# ends, so parallel runs do not interleave; the longest run first (the
# order given). Exits 1 if any failed, after all have run.
set -u
if [ "${1:-}" = --one ]; then
	mode=$2 bin=$3
	out=$(mktemp)
	if [ "$mode" = valgrind ]; then
		BACKAD_VALGRIND=1 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=1 "$bin" >"$out" 2>&1 && rc=0 || rc=$?
		# valgrind's own findings and a failing test's lines; not a passing test's
		{ echo "== valgrind $bin"; [ $rc -eq 0 ] || cat "$out"; }
	else
		"$bin" >"$out" 2>&1 && rc=0 || rc=$?
		{ echo "== $bin"; cat "$out"; }
	fi
	rm -f "$out"
	[ $rc -eq 0 ] || { echo "FAILED: $bin (exit $rc)"; exit 1; }
	exit 0
fi
jobs=$1 mode=$2
shift 2
printf '%s\n' "$@" | xargs -P "$jobs" -n 1 sh "$0" --one "$mode" || exit 1

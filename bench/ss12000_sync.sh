#!/bin/sh
# ss12000_sync.sh - a full SS 12000 sync of N children (default 100,000: half
# with a förskola placement, half with a grundskola enrolment, at 200 units
# with their principals) from tests/ss12000_server.py on loopback into a new
# case database. Wall time and peak memory of backactl from /usr/bin/time.
set -eu
BUILD=${BUILD:-build}
n=${1:-100000}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

python3 tests/ss12000_fixture.py bench "$n" "$dir/data.json"
python3 tests/ss12000_server.py --port-file "$dir/port" --data "$dir/data.json" &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$dir/port" ] || { echo "the SS 12000 server did not start" >&2; exit 1; }
cat >"$dir/backad.conf" <<CONF
database = "$dir/case.db";
templates = "templates/sv";
ss12000: { url = "http://127.0.0.1:$(cat "$dir/port")"; page_size = 1000; max_seconds = 3600; };
CONF
"$BUILD/backactl" -c "$dir/backad.conf" init >/dev/null

run() {
	/usr/bin/time -f '%e %M %U %S' -o "$dir/time" "$BUILD/backactl" -c "$dir/backad.conf" sync ss12000 "$@" \
		--now 2026-08-03T06:00 >"$dir/out"
	set -- $(cat "$dir/time")
	printf '%s s wall (backactl CPU %s s user, %s s system), peak %.1f MB\n' "$1" "$3" "$4" \
		"$(echo "$2 / 1024" | bc -l)"
	sed 's/^/    /' "$dir/out"
}
echo "== full sync of $n children and their placements: backactl sync ss12000 --full"
run --full
printf 'rows: %s\n' "$(sqlite3 "$dir/case.db" "SELECT (SELECT count(*) FROM child) || ' children, ' || (SELECT count(*) FROM placement) || ' placements, ' || (SELECT count(*) FROM staff) || ' staff, ' || (SELECT count(*) FROM unit) || ' units'")"

#!/bin/sh
# import.sh - a CSV import of N children's registers (default 100,000): a
# bench/gen.py database written out as units, staff, children, placements
# and roles CSV files (docs/import.md), then imported twice by import_bench
# into a new SQLite database and, when a PostgreSQL URL is given, into that
# (an empty database, which import_bench creates the schema in).
# usage: sh bench/import.sh [N [POSTGRESQL-URL]]
set -eu
BUILD=${BUILD:-build}
n=${1:-100000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

printf 'database = "%s/gen.db";\ntemplates = "templates/sv";\n' "$dir" >"$dir/gen.conf"
"$BUILD/backactl" -c "$dir/gen.conf" init >/dev/null
/usr/bin/python3 bench/gen.py "$dir/gen.db" "$n" >/dev/null
csv() { sqlite3 -csv -header "$dir/gen.db" "$2" >"$dir/$1.csv"; }
csv units "SELECT code, kind, name, municipality, email FROM unit ORDER BY id"
csv staff "SELECT s.code, s.name, s.email, s.mobile, u.code AS unit, s.active, s.channel
	FROM staff s LEFT JOIN unit u ON u.id = s.unit_id ORDER BY s.id"
csv children "SELECT ref, birth_date, name, pnr, protected_identity FROM child ORDER BY id"
csv placements "SELECT c.ref AS child, u.code AS unit, p.kind, p.start_date, p.end_date,
	s.code AS staff FROM placement p JOIN child c ON c.id = p.child_id
	JOIN unit u ON u.id = p.unit_id LEFT JOIN staff s ON s.id = p.staff_id ORDER BY p.id"
csv roles "SELECT u.code AS unit, r.role, s.code AS staff, r.start_date, r.end_date
	FROM unit_role r JOIN unit u ON u.id = r.unit_id JOIN staff s ON s.id = r.staff_id ORDER BY r.id"
csv absences "SELECT s.code AS staff, a.start_date, a.end_date, d.code AS deputy FROM absence a
	JOIN staff s ON s.id = a.staff_id LEFT JOIN staff d ON d.id = a.deputy_id ORDER BY a.id"
echo "== CSV import of $n children's registers into SQLite: $BUILD/import_bench DB DIR"
"$BUILD/import_bench" "$dir/case.db" "$dir"
if [ -n "${2:-}" ]; then
	echo "== the same into PostgreSQL"
	"$BUILD/import_bench" "$2" "$dir"
fi

#!/bin/sh
# migrate.sh - backactl migrate-to on a copy of a synthetic case database
# (bench/gen.py), into a PostgreSQL 15 of its own (tests/lib.sh pg_start:
# Unix socket, fsync off): the copy with its verification, then
# --verify-only, each with wall time and peak memory of backactl.
# usage: bench/migrate.sh DB [--plan]   (--plan: one planning pass first, so
# tasks and the outbox hold rows too). Run as root from the top of the tree
# (pg_start runs initdb as the postgres user); needs a build (make).
set -eu
[ $# -ge 1 ] || { echo "usage: bench/migrate.sh DB [--plan]" >&2; exit 2; }
src=$1
. tests/lib.sh
pg_start
cp "$src" "$tmp/b.db"
printf 'database = "%s";\ntemplates = "templates/sv";\n' "$tmp/b.db" >"$tmp/b.conf"
B="$BUILD/backactl -c $tmp/b.conf"
$B init >/dev/null
[ "${2:-}" = --plan ] && $B plan >/dev/null
echo "command: bench/migrate.sh $*   ($(nproc) cores, $(date -u +%F))"
for t in child placement outbox fact_change; do echo "$t rows: $(sqlite3 "$tmp/b.db" "SELECT count(*) FROM $t")"; done
/usr/bin/time -f "migrate-to: %e s wall, %U s user, %M kB peak" $B migrate-to "$pg_url" | tail -1
/usr/bin/time -f "verify-only: %e s wall, %U s user, %M kB peak" $B migrate-to --verify-only "$pg_url" | tail -1

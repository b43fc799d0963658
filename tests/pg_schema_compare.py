#!/usr/bin/env python3
"""pg_schema_compare.py - the SQLite schema against the PostgreSQL one, so the
two cannot drift: for every SQLite table, the same columns in the same order
with compatible types, NOT NULL and defaults; the same named indexes on the
same columns; the same unique keys and foreign keys. Prints each difference
and exits 1 if there is any.
Usage: pg_schema_compare.py SQLITE_DB PG_URL"""
import sqlite3
import subprocess
import sys

db_path, url = sys.argv[1], sys.argv[2]
db = sqlite3.connect(db_path)
problems = []


def pg(sql):
    out = subprocess.run(["psql", url, "-X", "-At", "-F", "\t", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


TYPES = {"INTEGER": {"bigint", "integer"}, "TEXT": {"text"}}


def norm_default(d):
    if d is None:
        return None
    return d.replace("::text", "")


tables = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
pg_tables = {r[0] for r in pg("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
for t in tables:
    if t not in pg_tables:
        problems.append("table %s: missing in PostgreSQL" % t)
        continue
    # Columns, in order.
    s_cols = [(r[1], r[2].upper(), bool(r[3]) or r[5] > 0, norm_default(r[4]))
              for r in db.execute("PRAGMA table_info(%s)" % t)]
    p_cols = [(r[0], r[1], r[2] == "NO", norm_default(r[3] or None)) for r in pg(
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = '%s' ORDER BY ordinal_position" % t)]
    if [c[0] for c in s_cols] != [c[0] for c in p_cols]:
        problems.append("table %s: columns %s in SQLite, %s in PostgreSQL"
                        % (t, [c[0] for c in s_cols], [c[0] for c in p_cols]))
        continue
    for (name, stype, snn, sdef), (_, ptype, pnn, pdef) in zip(s_cols, p_cols):
        if ptype not in TYPES.get(stype, set()):
            problems.append("%s.%s: type %s in SQLite, %s in PostgreSQL" % (t, name, stype, ptype))
        if snn != pnn:
            problems.append("%s.%s: NOT NULL %s in SQLite, %s in PostgreSQL" % (t, name, snn, pnn))
        if sdef != pdef:
            problems.append("%s.%s: default %s in SQLite, %s in PostgreSQL" % (t, name, sdef, pdef))
    # Named indexes (the ones a migration creates) and unique keys.
    s_named, s_unique = {}, set()
    for _, iname, unique, origin, partial in db.execute("PRAGMA index_list(%s)" % t):
        cols = tuple(r[2] for r in db.execute("PRAGMA index_info(%s)" % iname))
        if origin == "c":
            s_named[iname] = (cols, bool(unique), bool(partial))
        else:
            s_unique.add(cols)
    pk = tuple(r[1] for r in sorted(db.execute("PRAGMA table_info(%s)" % t), key=lambda r: r[5])
               if r[5] > 0)
    if pk:
        s_unique.add(pk)
    p_named, p_unique = {}, set()
    for iname, unique, primary, partial, cols in pg(
            "SELECT i.relname, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,"
            " (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)"
            "  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = 'public.%s'::regclass" % t):
        cols = tuple(cols.split(","))
        if unique == "t" and (primary == "t" or iname.endswith("_key") or iname.endswith("_pkey")):
            p_unique.add(cols)
        else:
            p_named[iname] = (cols, unique == "t", partial == "t")
    if s_named != p_named:
        problems.append("table %s: indexes %s in SQLite, %s in PostgreSQL" % (t, s_named, p_named))
    if s_unique != p_unique:
        problems.append("table %s: unique keys %s in SQLite, %s in PostgreSQL"
                        % (t, sorted(s_unique), sorted(p_unique)))
    # Foreign keys.
    s_fk = set()
    for r in db.execute("PRAGMA foreign_key_list(%s)" % t):
        d = "FOREIGN KEY (%s) REFERENCES %s(%s)" % (r[3], r[2], r[4])
        if r[5] == "CASCADE":
            d += " ON UPDATE CASCADE"
        if r[6] == "CASCADE":
            d += " ON DELETE CASCADE"
        s_fk.add(d)
    p_fk = {r[0] for r in pg("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                             " WHERE contype = 'f' AND conrelid = 'public.%s'::regclass" % t)}
    if s_fk != p_fk:
        problems.append("table %s: foreign keys %s in SQLite, %s in PostgreSQL"
                        % (t, sorted(s_fk), sorted(p_fk)))

for p in problems:
    print("schema differs: " + p)
print("compared %d tables" % len(tables))
sys.exit(1 if problems else 0)

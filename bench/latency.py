"""Latency from a referral committed by another process to its receipt in
the daemon's spool: N referrals, one at a time, median and 99th percentile.

usage: /usr/bin/python3 bench/latency.py BUILD N [CASE_DB]
Creates a demo case database in a scratch directory (or uses CASE_DB, a
bench/gen.py database: planned in full first and its backlog marked sent, so
the daemon starts on a settled database), starts backad on it (file spool),
commits each referral with Python's sqlite3 and waits for the receipt's .eml
to appear (polling every millisecond, 5 s at most each).
CASE_DB may be a postgresql:// URI of a database made the same way (backactl
migrate-to): the referrals are then committed by a psql of their own, a
writer on another connection, and the time runs from when psql has reported
the committed row.
"""
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

build, n = sys.argv[1], int(sys.argv[2])
case_db = sys.argv[3] if len(sys.argv) > 3 else None
tmp = tempfile.mkdtemp(prefix="backad-latency-")
conf = os.path.join(tmp, "backad.conf")
spool = os.path.join(tmp, "spool", "email")
path = case_db or f"{tmp}/case.db"
pg = bool(case_db) and case_db.startswith(("postgresql://", "postgres://"))
with open(conf, "w") as f:
    f.write(f'database = "{path}";\ntemplates = "templates/sv";\n'
            f'spool_dir = "{tmp}/spool";\nadmin_email = "a@ystad.example.se";\n')
ctl = [os.path.join(build, "backactl"), "-c", conf]
if case_db:
    subprocess.run(ctl + ["plan", "--full"], check=True, stdout=subprocess.DEVNULL)
    settle = ("UPDATE outbox SET state = 'sent' WHERE state IN ('pending', 'failed');"
              "DELETE FROM state WHERE key = 'daemon.heartbeat';")
    if pg:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", case_db, "-c", settle],
                       check=True)
    else:
        with sqlite3.connect(case_db) as c:
            c.executescript(settle)
else:
    subprocess.run(ctl + ["init"], check=True, stdout=subprocess.DEVNULL)
    for kind in ("units", "staff", "children", "placements", "roles", "absences"):
        subprocess.run(ctl + ["import", kind, f"etc/demo/{kind}.csv"], check=True,
                       stdout=subprocess.DEVNULL)
daemon = subprocess.Popen([os.path.join(build, "backad"), "-c", conf, "--foreground"],
                          stderr=subprocess.DEVNULL)


class Psql:
    """One psql on a connection of its own: a statement in, its rows out."""

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                   "-d", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        self.n = 0

    def execute(self, sql, args=()):
        for a in args:
            sql = sql.replace("?", "'%s'" % str(a).replace("'", "''"), 1)
        self.n += 1
        self.p.stdin.write(sql.rstrip(";") + ";\n\\echo @@end%d\n" % self.n)
        rows = []
        for line in self.p.stdout:
            line = line.rstrip("\n")
            if line == "@@end%d" % self.n:
                break
            if line:
                rows.append(tuple(line.split("|")))
        return Rows(rows)


class Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None


try:
    if pg:
        db = Psql(path)
    else:
        db = sqlite3.connect(path, isolation_level=None, timeout=5)
        db.execute("PRAGMA busy_timeout = 5000")
    # The daemon's first pass is done when it writes its heartbeat.
    t0 = time.monotonic()
    while time.monotonic() - t0 < 600 and not db.execute(
            "SELECT 1 FROM state WHERE key = 'daemon.heartbeat'").fetchone():
        time.sleep(0.1)
    time.sleep(1.0)
    today = time.strftime("%Y-%m-%d")
    if case_db:
        child = db.execute("SELECT id FROM child WHERE ref = 'B-0000002'").fetchone()[0]
        reporter = db.execute("SELECT id FROM staff WHERE code = 's5'").fetchone()[0]
    else:
        child = db.execute("SELECT id FROM child WHERE ref = 'B-2016-0005'").fetchone()[0]
        reporter = db.execute("SELECT id FROM staff WHERE code = 'lars.larare'").fetchone()[0]
    intake = db.execute("SELECT id FROM unit WHERE kind = 'intake'").fetchone()[0]
    lat = []
    for _ in range(n):
        before = set(os.listdir(spool)) if os.path.isdir(spool) else set()
        insert = ("INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)"
                  " VALUES (?, ?, ?, ?)")
        if pg:  # psql prints the row once the insert has committed
            rid = db.execute(insert + " RETURNING id",
                             (child, reporter, intake, today)).fetchone()[0]
            t0 = time.monotonic()
        else:
            db.execute(insert, (child, reporter, intake, today))
            t0 = time.monotonic()
            rid = db.execute("SELECT max(id) FROM referral").fetchone()[0]
        mark = f"referral_receipt.referral.{rid}."
        while time.monotonic() - t0 < 5:
            if os.path.isdir(spool) and any(mark in x for x in set(os.listdir(spool)) - before):
                break
            time.sleep(0.001)
        lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"command: /usr/bin/python3 bench/latency.py {build} {n}"
          + (f" {case_db}" if case_db else ""))
    print(f"referrals {n}: median {statistics.median(lat):.1f} ms, p99 {p99:.1f} ms, "
          f"max {lat[-1]:.1f} ms")
finally:
    daemon.terminate()
    daemon.wait(timeout=10)
    shutil.rmtree(tmp)

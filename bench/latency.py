"""Latency from a referral committed by another process to its receipt in
the daemon's spool: N referrals, one at a time, median and 99th percentile.

usage: /usr/bin/python3 bench/latency.py BUILD N [CASE_DB]
Creates a demo case database in a scratch directory (or uses CASE_DB, a
bench/gen.py database: planned in full first and its backlog marked sent, so
the daemon starts on a settled database), starts backad on it (file spool),
commits each referral with Python's sqlite3 and waits for the receipt's .eml
to appear (polling every millisecond, 5 s at most each).
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
with open(conf, "w") as f:
    f.write(f'database = "{path}";\ntemplates = "templates/sv";\n'
            f'spool_dir = "{tmp}/spool";\nadmin_email = "a@ystad.example.se";\n')
ctl = [os.path.join(build, "backactl"), "-c", conf]
if case_db:
    subprocess.run(ctl + ["plan", "--full"], check=True, stdout=subprocess.DEVNULL)
    with sqlite3.connect(case_db) as c:
        c.execute("UPDATE outbox SET state = 'sent' WHERE state IN ('pending', 'failed')")
        c.execute("DELETE FROM state WHERE key = 'daemon.heartbeat'")
else:
    subprocess.run(ctl + ["init"], check=True, stdout=subprocess.DEVNULL)
    for kind in ("units", "staff", "children", "placements", "roles", "absences"):
        subprocess.run(ctl + ["import", kind, f"etc/demo/{kind}.csv"], check=True,
                       stdout=subprocess.DEVNULL)
daemon = subprocess.Popen([os.path.join(build, "backad"), "-c", conf, "--foreground"],
                          stderr=subprocess.DEVNULL)
try:
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
        db.execute("INSERT INTO referral(child_id, reporter_id, intake_unit_id, received_date)"
                   " VALUES (?, ?, ?, ?)", (child, reporter, intake, today))
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

"""Generate a synthetic case database for benchmarks.

usage: /usr/bin/python3 bench/gen.py DB CHILDREN [--today YYYY-MM-DD] [--intake-per N]

The database must exist at the current schema (backactl init). Proportions
follow the municipal figures: per 1,000 children a year about 186 referrals,
half of them ending at the preliminary assessment; births, preschool starts
at 1-2 years and förskoleklass in the autumn of the year a child turns 6; one
BVC, preschool and school per ~150, ~60 and ~250 children; a few principal
changes a year; follow-ups and discovery cards for about 5 % of the children.
One intake officer per 5,000 children (at least two). By default one intake
unit takes every referral (a single municipality, however large: at 1M
children its 200 officers are each sent every referral); --intake-per N
makes one intake unit per N children instead, as a region of municipalities
has, each taking the referrals of its own children with its share of the
officers. Deterministic (a fixed seed), so runs compare; the default draws
the same numbers as before the option existed.
"""
import datetime as dt
import random
import sqlite3
import sys

db_path, n = sys.argv[1], int(sys.argv[2])
today = dt.date.fromisoformat(sys.argv[sys.argv.index("--today") + 1]) if "--today" in sys.argv else dt.date(2026, 8, 3)
rnd = random.Random(20260803)
con = sqlite3.connect(db_path)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=OFF")
con.execute("PRAGMA foreign_keys=ON")
cur = con.cursor()

units, staff, roles = [], [], []
def unit(kind, name):
    uid = len(units) + 1
    units.append((uid, f"{kind.upper()}-{uid}", kind, f"{name} {uid}", "Benchkommun"))
    return uid
def person(uid, name, mobile=True):
    sid = len(staff) + 1
    staff.append((sid, f"s{sid}", f"{name} {sid}", f"s{sid}@bench.example.se",
                  f"+4670{sid:07d}" if mobile else None, uid))
    return sid

n_bvc, n_pre, n_sch = max(1, n // 150), max(1, n // 60), max(1, n // 250)
bmm = unit("bmm", "Barnmorskemottagningen")
midwives = [person(bmm, "Barnmorska") for _ in range(max(1, n // 2000))]
roles.append((bmm, "principal", midwives[0], "2015-01-01", None))
bvcs, nurses = [], {}
for _ in range(n_bvc):
    u = unit("bvc", "BVC")
    bvcs.append(u)
    nurses[u] = [person(u, "Sjuksköterska") for _ in range(2)]
    roles.append((u, "principal", nurses[u][0], "2015-01-01", None))
pres = []
for _ in range(n_pre):
    u = unit("preschool", "Förskolan")
    pres.append(u)
    roles.append((u, "principal", person(u, "Förskolerektor"), "2015-01-01", None))
schools = []
for _ in range(n_sch):
    u = unit("school", "Skolan")
    schools.append(u)
    roles.append((u, "principal", person(u, "Rektor"), "2015-01-01", None))
per = int(sys.argv[sys.argv.index("--intake-per") + 1]) if "--intake-per" in sys.argv else 0
intakes = []
for _ in range(max(1, n // per) if per else 1):
    intake = unit("intake", "Mottagningsenheten")
    intakes.append(intake)
    for _ in range(max(2, n // 5000 // (max(1, n // per) if per else 1))):
        roles.append((intake, "intake_officer", person(intake, "Handläggare"), "2015-01-01", None))
    roles.append((intake, "manager", person(intake, "Enhetschef"), "2015-01-01", None))
# A few principal changes a year: a successor from 1 September.
for u in rnd.sample(pres + schools, max(1, (len(pres) + len(schools)) // 20)):
    old = [r for r in roles if r[0] == u and r[1] == "principal"][0]
    roles.remove(old)
    roles.append((u, "principal", old[2], old[3], f"{today.year}-08-31"))
    roles.append((u, "principal", person(u, "Ny rektor"), f"{today.year}-09-01", None))
teachers = [person(s, "Lärare") for s in schools for _ in range(2)]

cur.executemany("INSERT INTO unit(id,code,kind,name,municipality) VALUES (?,?,?,?,?)", units)
cur.executemany("INSERT INTO staff(id,code,name,email,mobile,unit_id) VALUES (?,?,?,?,?,?)", staff)
cur.executemany("INSERT INTO unit_role(unit_id,role,staff_id,start_date,end_date) VALUES (?,?,?,?,?)", roles)

def iso(d):
    return d.isoformat()

children, placements = [], []
for cid in range(1, n + 1):
    birth = today - dt.timedelta(days=rnd.randrange(0, 13 * 365))
    children.append((cid, f"B-{cid:07d}", iso(birth)))
    bvc = rnd.choice(bvcs)
    bvc_start = birth + dt.timedelta(days=14)
    pre_start = birth + dt.timedelta(days=rnd.randrange(365, 2 * 365))
    fk = dt.date(birth.year + 6, 8, 18)
    if bvc_start > today:
        placements.append((cid, bmm, "bmm", iso(birth), None, rnd.choice(midwives)))
    placements.append((cid, bvc, "bvc", iso(bvc_start), iso(pre_start - dt.timedelta(days=1)),
                       rnd.choice(nurses[bvc])))
    placements.append((cid, rnd.choice(pres), "preschool", iso(pre_start), iso(fk - dt.timedelta(days=1)), None))
    placements.append((cid, rnd.choice(schools), "school", iso(fk), None, None))
cur.executemany("INSERT INTO child(id,ref,birth_date) VALUES (?,?,?)", children)
cur.executemany("INSERT INTO placement(child_id,unit_id,kind,start_date,end_date,staff_id)"
                " VALUES (?,?,?,?,?,?)", placements)

# Referrals over the last year: 186 per 1,000 children, half decided as
# "not opened"; the last three weeks' still open.
refs = []
for _ in range(n * 186 // 1000):
    received = today - dt.timedelta(days=rnd.randrange(0, 365))
    decided = received + dt.timedelta(days=rnd.randrange(3, 18))
    outcome = "not_opened" if rnd.random() < 0.52 else "opened"
    if decided > today:
        decided, outcome = None, None
    child = rnd.randrange(1, n + 1)
    refs.append((child, rnd.choice(teachers), intakes[(child - 1) * len(intakes) // n],
                 iso(received), iso(decided) if decided else None, outcome))
cur.executemany("INSERT INTO referral(child_id,reporter_id,intake_unit_id,received_date,"
                "decision_date,outcome) VALUES (?,?,?,?,?,?)", refs)
fu, dc = [], []
for _ in range(n // 20):
    due = today + dt.timedelta(days=rnd.randrange(-30, 60))
    fu.append((rnd.randrange(1, n + 1), rnd.choice(teachers), iso(due),
               iso(due) if due < today - dt.timedelta(days=10) else None))
    created = today - dt.timedelta(days=rnd.randrange(0, 60))
    dc.append((rnd.randrange(1, n + 1), iso(created),
               iso(created + dt.timedelta(days=7)) if rnd.random() < 0.7 else None))
cur.executemany("INSERT INTO followup(child_id,responsible_id,due_date,done_date) VALUES (?,?,?,?)", fu)
cur.executemany("INSERT INTO discovery_card(child_id,created_date,conversation_date) VALUES (?,?,?)", dc)
# The registers as they stand are history to backad's first pass, not changes.
cur.execute("DELETE FROM fact_change")
con.commit()
con.execute("PRAGMA synchronous=FULL")
con.execute("ANALYZE")
con.close()
print(f"{n} children, {len(placements)} placements, {len(units)} units, {len(staff)} staff, "
      f"{len(refs)} referrals, {len(fu)} follow-ups, {len(dc)} discovery cards")

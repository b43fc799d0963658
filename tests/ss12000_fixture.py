#!/usr/bin/env python3
"""ss12000_fixture.py - school data in SS 12000 shapes for ss12000_server.py.

  ss12000_fixture.py base OUT.json     a municipality: four school units (and a
                                       gymnasium that backad does not follow),
                                       principals, a teacher, children
  ss12000_fixture.py delta OUT.json    the same a day later: a new principal at
                                       Västervångskolan, a child moving preschool,
                                       the teacher gone
  ss12000_fixture.py bad OUT.json      base with one birthDate that is no date
  ss12000_fixture.py shrunk OUT.json   delta without four of the children
  ss12000_fixture.py bench N OUT.json  N children with a placement or an
                                       enrolment each, at 200 units
"""
import json
import sys
import uuid

NS = uuid.UUID("6f1c0e52-9d0b-4a57-8d0e-3c1f2a4b5c6d")


def uid(name):
    return str(uuid.uuid5(NS, name))


def org(key, name, code, types, otype="Skolenhet"):
    o = {"id": uid("org:" + key), "displayName": name, "organisationType": otype,
         "parentOrganisation": {"id": uid("org:huvudman")}}
    if code:
        o["schoolUnitCode"] = code
    if types:
        o["schoolTypes"] = types
    return o


def staff(key, given, family, email, mobile):
    return {"id": uid("person:" + key), "givenName": given, "familyName": family,
            "emails": [{"value": key + "@privat.example.com", "type": "Privat"},
                       {"value": email, "type": "Skola personal"}],
            "phoneNumbers": [{"value": "0411-55 55 55", "type": "Hem", "mobile": False},
                             {"value": mobile, "type": "Arbete", "mobile": True}]}


def child(key, born, enrolments=(), civic=None):
    p = {"id": uid("person:" + key), "givenName": "Barn", "familyName": key.upper()}
    if born:
        p["birthDate"] = born
    if civic:
        p["civicNo"] = {"value": civic, "nationality": "SE"}
    p["enrolments"] = [{"enroledAt": {"id": uid("org:" + at)}, "schoolType": st,
                        "schoolYear": year, "startDate": start} for at, st, year, start in enrolments]
    return p


def placement(key, who, at, start, end=None):
    p = {"id": uid("placement:" + key), "child": {"id": uid("person:" + who)},
         "placedAt": {"id": uid("org:" + at)}, "schoolType": "FS", "startDate": start}
    if end:
        p["endDate"] = end
    return p


def duty(key, who, at, role, start, end=None):
    d = {"id": uid("duty:" + key), "person": {"id": uid("person:" + who)},
         "dutyAt": {"id": uid("org:" + at)}, "dutyRole": role, "startDate": start}
    if end:
        d["endDate"] = end
    return d


def base():
    return {
        "organisations": [
            org("huvudman", "Ystad kommun", None, None, "Huvudman"),
            org("solrosen", "Förskolan Solrosen", "11111111", ["FS"]),
            org("angen", "Förskolan Ängen", "22222222", ["FS"]),
            org("vastervang", "Västervångskolan", "33333333", ["FKLASS", "GR"]),
            org("ostra", "Östra skolan", "44444444", ["GR"]),
            org("gymnasiet", "Ystad gymnasium", "55555555", ["GY"]),
        ],
        "persons": [
            staff("olof", "Olof", "Lindqvist", "olof.lindqvist@ystad.example.se", "070-123 45 04"),
            staff("lena", "Lena", "Öberg", "lena.oberg@ystad.example.se", "+46701234505"),
            staff("mats", "Mats", "Ek", "mats.ek@ystad.example.se", "0701234508"),
            staff("sara", "Sara", "Dahlgren", "sara.dahlgren@ystad.example.se", "0701234509"),
            staff("pia", "Pia", "Holm", "pia.holm@ystad.example.se", "0701234506"),
            staff("eva", "Eva", "Åström", "eva.astrom@ystad.example.se", "0701234515"),
            staff("gun", "Gun", "Rektorsson", "gun@ystad.example.se", "0701234599"),
            child("c1", "2022-03-10"),
            child("c2", "2023-05-05"),
            child("c3", "2019-04-04", [("vastervang", "GR", 1, "2025-08-18")]),
            child("c4", "2018-02-02", [("ostra", "GR", 2, "2024-08-19")]),
            child("c5", "2020-06-06", [("vastervang", "FKLASS", 0, "2026-08-18")]),
            child("c6", None, [("ostra", "GR", 3, "2023-08-21")], civic="20170125-8897"),
            child("g1", "2009-01-01", [("gymnasiet", "GY", 2, "2025-08-18")]),
        ],
        "placements": [
            placement("c1", "c1", "solrosen", "2023-08-21"),
            placement("c2", "c2", "angen", "2024-08-19"),
            placement("c5", "c5", "solrosen", "2021-08-16", "2026-08-17"),
        ],
        "duties": [
            duty("olof", "olof", "solrosen", "Rektor", "2019-08-01"),
            duty("lena", "lena", "angen", "Rektor", "2018-01-01"),
            duty("mats", "mats", "vastervang", "Rektor", "2017-08-01"),
            duty("sara", "sara", "ostra", "Rektor", "2022-08-01"),
            duty("eva", "eva", "ostra", "Lärare", "2020-08-01"),
            duty("pia", "pia", "angen", "Förskollärare", "2021-01-01"),
            duty("gun", "gun", "gymnasiet", "Rektor", "2020-01-01"),
        ],
    }


def delta():
    d = base()
    for du in d["duties"]:
        if du["id"] == uid("duty:mats"):
            du["endDate"] = "2026-08-02"
    d["duties"].append(duty("pia-rektor", "pia", "vastervang", "Rektor", "2026-08-03"))
    for p in d["placements"]:
        if p["id"] == uid("placement:c1"):
            p["endDate"] = "2026-09-01"
    d["placements"].append(placement("c1-angen", "c1", "angen", "2026-09-02"))
    d["persons"] = [p for p in d["persons"] if p["id"] != uid("person:eva")]
    d["duties"] = [x for x in d["duties"] if x["id"] != uid("duty:eva")]
    return d


def bad():
    d = base()
    for p in d["persons"]:
        if p["id"] == uid("person:c2"):
            p["birthDate"] = "2023-13-05"
    return d


def shrunk():
    d = delta()
    gone = {uid("person:c%d" % i) for i in (1, 2, 3, 4)}
    d["persons"] = [p for p in d["persons"] if p["id"] not in gone]
    d["placements"] = [p for p in d["placements"] if p["child"]["id"] not in gone]
    return d


def bench(n):
    units = 200
    d = {"organisations": [org("huvudman", "Bench kommun", None, None, "Huvudman")],
         "persons": [], "placements": [], "duties": []}
    for u in range(units):
        pre = u % 2 == 0
        d["organisations"].append(org("u%d" % u, "Enhet %d" % u, "%08d" % (10000000 + u),
                                      ["FS"] if pre else ["FKLASS", "GR"]))
        d["persons"].append(staff("r%d" % u, "Rektor", "Nr%d" % u, "r%d@bench.example.se" % u,
                                  "+4670%07d" % u))
        d["duties"].append(duty("r%d" % u, "r%d" % u, "u%d" % u, "Rektor", "2020-08-01"))
    for i in range(n):
        u = i % units
        year = 2014 + i % 12
        key = "k%d" % i
        if u % 2 == 0:
            d["persons"].append(child(key, "%d-%02d-%02d" % (year, i % 12 + 1, i % 28 + 1)))
            d["placements"].append(placement(key, key, "u%d" % u, "2024-08-19"))
        else:
            d["persons"].append(child(key, "%d-%02d-%02d" % (year, i % 12 + 1, i % 28 + 1),
                                      [("u%d" % u, "GR", 1, "2025-08-18")]))
    return d


def main():
    what = sys.argv[1]
    if what == "bench":
        data, out = bench(int(sys.argv[2])), sys.argv[3]
    else:
        data, out = {"base": base, "delta": delta, "bad": bad, "shrunk": shrunk}[what](), sys.argv[2]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)


if __name__ == "__main__":
    main()

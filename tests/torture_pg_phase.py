#!/usr/bin/python3
# torture_pg_phase.py SERVER_LOG KILLED DUPIDS IDMAP - what each duplicate
# of tests/torture_pg.sh (TORTURE_TRACE=1) owes to: the kill of the daemon
# start that had marked its data begun (application_name A1, B2, ...), and
# what that start was doing when it died, read from PostgreSQL's log of
# every statement (log_line_prefix '%m [%p] %a: '). The server logs a
# statement when it receives it, so a start's last lines are what it was
# doing at the kill; a transaction it had not committed was rolled back.
import re
import sys
from collections import Counter, defaultdict

LINE = re.compile(r'^\S+ \S+ \S+ \[\d+\] (\S*): (LOG|DETAIL):  (.*)$')
PARAM = re.compile(r"\$(\d+) = '([^']*)'")


def statements(path):
    """app -> [[sql, {param: value}], ...] in the order the server got them."""
    per = defaultdict(list)
    last = None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                if last is not None and line.startswith('\t'):
                    last[0] += ' ' + line.strip()
                continue
            app, kind, text = m.groups()
            if kind == 'LOG':
                s = re.sub(r'^(statement|execute [^:]+): ', '', text)
                if s == text:
                    last = None
                    continue
                last = [s, {}]
                per[app].append(last)
            elif kind == 'DETAIL' and last is not None and text.startswith('parameters:'):
                last[1] = dict(PARAM.findall(text))
    return per


def is_begin(s):
    return s.upper().startswith(('BEGIN', 'START'))


def is_end(s):
    return s.upper().startswith(('COMMIT', 'ROLLBACK', 'END', 'ABORT'))


def open_tx(stmts):
    """The statements of the transaction a start had open when it died."""
    for i in range(len(stmts) - 1, -1, -1):
        s = stmts[i][0]
        if is_end(s):
            return []
        if is_begin(s):
            return stmts[i:]
    return []


def kind_of(tx):
    text = ' '.join(s for s, _ in tx)
    if 'READ COMMITTED' in tx[0][0]:
        return 'claiming'  # outbox_claim's transaction
    if len(tx) == 1:
        return 'just after BEGIN (nothing else sent yet)'
    if 'SELECT delivery FROM outbox' in text:
        return 'recording results'
    if "state = 'sent'" in text or 'data_started = 1 WHERE' in text or "state = 'failed'" in text:
        return 'recording results'
    if "state = 'sending'" in text or 'claim_owner = $' in text:
        return 'claiming'
    if 'referral' in text or 'plan' in text:
        return 'planning'
    return 'other: ' + (tx[1][0][:60] if len(tx) > 1 else tx[0][0][:60])


def main():
    per = statements(sys.argv[1])
    killed = [l.strip() for l in open(sys.argv[2]) if l.strip()]
    dups = [l.strip() for l in open(sys.argv[3]) if l.strip()]
    ids, chans = {}, {}
    for l in open(sys.argv[4]):
        i, chan, mid = l.rstrip('\n').split('|', 2)
        ids[mid] = i
        chans[mid] = chan
    at_kill = {}
    for app in killed:
        tx = open_tx(per.get(app, []))
        at_kill[app] = (kind_of(tx) if tx else 'between transactions', tx)
    print('kills: what the killed daemon was doing (its open transaction)')
    for k, n in Counter(v[0] for v in at_kill.values()).most_common():
        print('  %3d  %s' % (n, k))
    print('duplicates: channel, and where the killed daemon was with its result')
    cause = Counter()
    for mid in dups:
        oid = ids.get(mid)
        chan = chans.get(mid, '?')
        who = None
        for app in killed:
            stmts = per.get(app, [])
            began = any('data_started = 1 WHERE' in s and p.get('1') == oid for s, p in stmts)
            done = stmts[:len(stmts) - len(at_kill[app][1])]
            if began and not any("state = 'sent'" in s and p.get('1') == oid for s, p in done):
                who = app  # it began the data and never committed a result
        if who is None:
            cause[(chan, 'no killed start marked its data begun')] += 1
            continue
        what, tx = at_kill[who]
        mine = any(("state = 'sent'" in s or 'SELECT delivery' in s) and p.get('1') == oid
                   for s, p in tx)
        if mine:
            where = 'killed in the transaction recording it'
        else:
            where = 'accepted, not yet recording: killed ' + what
        cause[(chan, where)] += 1
    for (chan, where), n in sorted(cause.items()):
        print('  %3d  %-5s  %s' % (n, chan, where))


if __name__ == '__main__':
    main()

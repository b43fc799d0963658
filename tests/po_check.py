#!/usr/bin/env python3
"""po_check.py - the catalogues against the source: every translatable string
xgettext finds in src/ is in po/backad.pot and translated in each po/*.po
(neither missing nor fuzzy), and po/backad.pot holds nothing else.
Usage: po_check.py FRESH.pot po/backad.pot po/sv.po..."""
import sys


def entries(path):
    """(msgid, msgstr, fuzzy) of each entry but the header."""
    out, cur, field, fuzzy = [], None, None, False

    def unq(s):
        return bytes(s.strip()[1:-1], 'utf-8').decode('unicode_escape').encode('latin-1').decode('utf-8')

    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('#,') and 'fuzzy' in line:
            fuzzy = True
        elif line.startswith('#~'):
            continue
        elif line.startswith('msgid '):
            cur = [unq(line[6:]), '', fuzzy]
            field, fuzzy = 0, False
            out.append(cur)
        elif line.startswith('msgid_plural '):
            field = None
        elif line.startswith('msgstr '):
            cur[1], field = unq(line[7:]), 1
        elif line.startswith('msgstr['):
            # Plural forms: translated when every form is.
            form = unq(line.split(' ', 1)[1])
            cur[1] = form if line.startswith('msgstr[0]') else (cur[1] and form and cur[1] + form)
            field = None
        elif line.startswith('"') and cur is not None and field is not None:
            cur[field] += unq(line)
    return [e for e in out if e[0]]


def main():
    fresh = {e[0] for e in entries(sys.argv[1])}
    pot = {e[0] for e in entries(sys.argv[2])}
    bad = 0
    for m in sorted(fresh - pot):
        print(f'{sys.argv[2]}: missing (run make pot): {m!r}')
        bad += 1
    for m in sorted(pot - fresh):
        print(f'{sys.argv[2]}: no longer in the source (run make pot): {m!r}')
        bad += 1
    for po in sys.argv[3:]:
        have = {e[0]: e for e in entries(po)}
        for m in sorted(fresh):
            e = have.get(m)
            if e is None:
                print(f'{po}: missing: {m!r}')
            elif not e[1]:
                print(f'{po}: untranslated: {m!r}')
            elif e[2]:
                print(f'{po}: fuzzy: {m!r}')
            else:
                continue
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

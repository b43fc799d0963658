#!/usr/bin/env python3
"""po_mixed.py - one language per screen: no English text from the catalogue
appears in output that should be translated. Reads the output on stdin and
names each English phrase (a run of two or more words between conversions of
a msgid whose translation differs) found in it.
Usage: po_mixed.py po/sv.po <output"""
import re
import sys

sys.path.insert(0, 'tests')
from po_check import entries  # noqa: E402

text = sys.stdin.read()
found = set()
for msgid, msgstr, _ in entries(sys.argv[1]):
    for frag in re.split(r'%[-+ #0-9.*]*(?:l|ll|z|h|t)?[a-zA-Z%]|\n', msgid):
        frag = frag.strip(" :;,.()'\"-")
        if ' ' in frag and re.search(r'[a-z]{3}', frag) and frag not in msgstr and frag in text:
            found.add(frag)
for f in sorted(found):
    print(f'English on a translated screen: {f!r}')
sys.exit(1 if found else 0)

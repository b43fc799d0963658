#!/bin/bash
# it_po.sh - the Swedish catalogue is complete and current: msgfmt --check
# accepts it with no untranslated or fuzzy string, and every string the
# source marks for translation (as `make pot` extracts them) is in
# po/backad.pot and translated in po/sv.po.
set -u
. tests/lib.sh

check "msgfmt --check --statistics -o /dev/null po/sv.po 2>'$tmp/stat'" "msgfmt --check accepts po/sv.po"
cat "$tmp/stat"
check "grep -q '^[0-9]* translated messages\.$' '$tmp/stat'" \
	"po/sv.po: only translated messages (no untranslated, no fuzzy)"
kw=$(MAKEFLAGS= MAKELEVEL= make --no-print-directory -s -f Makefile --eval 'print-kw: ; @echo $(XGETTEXT_KEYWORDS)' print-kw)
# shellcheck disable=SC2086
xgettext --language=C --from-code=UTF-8 $kw -o "$tmp/fresh.pot" src/*.c
check "python3 tests/po_check.py '$tmp/fresh.pot' po/backad.pot po/sv.po" \
	"every translatable string of src/ is in po/backad.pot and translated in po/sv.po"
# A string the catalogue lacks is found (the check can fail).
printf 'const char *x(void);\nconst char *x(void) { return _("a string nobody translated"); }\n' >"$tmp/extra.c"
# shellcheck disable=SC2086
xgettext --language=C --from-code=UTF-8 $kw -o "$tmp/fresh2.pot" src/*.c "$tmp/extra.c"
check "! python3 tests/po_check.py '$tmp/fresh2.pot' po/backad.pot po/sv.po >/dev/null" \
	"a new untranslated string fails the check"

echo "it_po: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

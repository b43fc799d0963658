#!/bin/sh
# it_install.sh - `make install DESTDIR=...` puts every file in its FHS place,
# the installed configuration passes `backad -n` against an initialised
# database, and the unit's sandbox scores 2.0 or less in
# `systemd-analyze security`.
set -eu
. tests/lib.sh

make -s install BUILD="$BUILD" DESTDIR="$tmp/root" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
for f in usr/sbin/backad usr/sbin/backactl etc/backad/backad.conf \
	usr/share/backad/templates/sv/referral_receipt.email \
	usr/share/backad/templates/sv/referral_receipt.sms \
	usr/share/man/man8/backad.8 usr/share/man/man8/backactl.8 usr/share/man/man5/backad.conf.5 \
	lib/systemd/system/backad.service usr/lib/sysusers.d/backad.conf \
	lib/systemd/system/backad-sync.service lib/systemd/system/backad-sync.timer \
	usr/lib/tmpfiles.d/backad.conf usr/share/doc/backad/rules.md; do
	check "[ -s '$tmp/root/$f' ]" "installed $f"
done
check "[ \$(stat -c %a '$tmp/root/etc/backad/backad.conf') = 640 ]" "backad.conf is not world-readable"
check "[ \$(ls '$tmp/root/usr/share/backad/templates/sv' | wc -l) -eq \$(ls templates/sv | wc -l) ]" "all templates installed"

# The installed example, pointed at a scratch database and the installed templates.
sed -e "s#/var/lib/backad/case.db#$tmp/case.db#" \
    -e "s#/usr/share/backad/templates/sv#$tmp/root/usr/share/backad/templates/sv#" \
    "$tmp/root/etc/backad/backad.conf" >"$tmp/backad.conf"
"$tmp/root/usr/sbin/backactl" -c "$tmp/backad.conf" init >/dev/null
check "'$tmp/root/usr/sbin/backad' -c '$tmp/backad.conf' -n | grep -q 'configuration OK'" "installed example passes backad -n"

# The sandbox.
if command -v systemd-analyze >/dev/null 2>&1; then
	score=$(systemd-analyze security --offline=yes "$tmp/root/lib/systemd/system/backad.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for backad.service: \([0-9.]*\).*/\1/p')
	check "[ -n '$score' ] && awk 'BEGIN { exit !($score <= 2.0) }'" "systemd-analyze security $score <= 2.0"
	echo "systemd-analyze security: exposure $score"
else
	fail=$((fail + 1))
	echo "FAIL: systemd-analyze is not installed (package systemd)"
fi

finish

#!/bin/sh
# it_install.sh - `make install DESTDIR=...` puts every file in its FHS place
# and keeps an edited configuration, the installed configuration passes
# `backad -n` against an initialised database, `backactl init` as root leaves
# the database to the owner of its directory, a member of the group can run
# `backactl status` on a database it may only read, and the unit's sandbox
# scores 2.0 or less in `systemd-analyze security`; so does backad-web's, and
# backad-web's socket and service pass `systemd-analyze verify`.
set -eu
. tests/lib.sh

make -s install BUILD="$BUILD" DESTDIR="$tmp/root" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
for f in usr/sbin/backad usr/sbin/backactl etc/backad/backad.conf \
	usr/share/backad/templates/sv/referral_receipt.email \
	usr/share/backad/templates/sv/referral_receipt.sms \
	usr/share/man/man8/backad.8 usr/share/man/man8/backactl.8 usr/share/man/man5/backad.conf.5 \
	lib/systemd/system/backad.service usr/lib/sysusers.d/backad.conf \
	lib/systemd/system/backad-sync.service lib/systemd/system/backad-sync.timer \
	usr/sbin/backad-web lib/systemd/system/backad-web.socket lib/systemd/system/backad-web.service \
	usr/share/man/man8/backad-web.8 usr/share/doc/backad/ack.md \
	usr/lib/tmpfiles.d/backad.conf usr/share/doc/backad/rules.md; do
	check "[ -s '$tmp/root/$f' ]" "installed $f"
done
check "[ \$(stat -c %a '$tmp/root/etc/backad/backad.conf') = 640 ]" "backad.conf is not world-readable"
check "[ \$(ls '$tmp/root/usr/share/backad/templates/sv' | wc -l) -eq \$(ls templates/sv | wc -l) ]" "all templates installed"

# A second install keeps the edited configuration and puts the new example beside it.
echo '# edited by the admin' >>"$tmp/root/etc/backad/backad.conf"
make -s install BUILD="$BUILD" DESTDIR="$tmp/root" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
check "tail -1 '$tmp/root/etc/backad/backad.conf' | grep -q 'edited by the admin'" "make install keeps an edited backad.conf"
check "cmp -s etc/backad.conf '$tmp/root/etc/backad/backad.conf.dist'" "make install puts the new example in backad.conf.dist"
check "BACKAD_LOCALEDIR='$tmp/root/usr/share/locale' LANGUAGE=sv '$tmp/root/usr/sbin/backactl' --help | grep -q '^användning: backactl'" \
	"make install installs the Swedish catalogue"

# The installed example, pointed at a scratch database and the installed templates.
sed -e "s#/var/lib/backad/case.db#$tmp/case.db#" \
    -e "s#/usr/share/backad/templates/sv#$tmp/root/usr/share/backad/templates/sv#" \
    "$tmp/root/etc/backad/backad.conf" >"$tmp/backad.conf"
"$tmp/root/usr/sbin/backactl" -c "$tmp/backad.conf" init >/dev/null
check "'$tmp/root/usr/sbin/backad' -c '$tmp/backad.conf' -n | grep -q 'configuration OK'" "installed example passes backad -n"

# A production configuration (checked under systemd) left on the spool warns;
# a scratch one does not.
INVOCATION_ID=test "$tmp/root/usr/sbin/backad" -c "$tmp/backad.conf" -n >/dev/null 2>"$tmp/warn" || true
check "grep -q 'warning: delivery = \"spool\"' '$tmp/warn'" "backad -n under systemd warns about delivery = spool"
env -u INVOCATION_ID "$tmp/root/usr/sbin/backad" -c "$tmp/backad.conf" -n >/dev/null 2>"$tmp/warn"
check "[ ! -s '$tmp/warn' ]" "backad -n on a scratch configuration does not warn"

# Reload checks the new configuration before the signal: a broken one makes
# the first ExecReload (backad -n) fail, so systemd never sends SIGHUP.
unit="$tmp/root/lib/systemd/system/backad.service"
check "[ \"\$(sed -n 's/^ExecReload=//p' '$unit' | tr '\n' '|')\" = '/usr/sbin/backad -n|/bin/kill -HUP \$MAINPID|' ]" \
	"ExecReload runs backad -n, then kill -HUP"
echo 'delivery = "pigeon";' >>"$tmp/backad.conf"
check "! '$tmp/root/usr/sbin/backad' -c '$tmp/backad.conf' -n >/dev/null 2>&1" "backad -n fails on a broken configuration"
sed -i '$d' "$tmp/backad.conf"
check "! grep -q '^ReadWritePaths=.*[ =]/' '$unit'" "every ReadWritePaths= entry may be missing ('-')"

# Ownership and group use: as root, init gives the database to the owner of
# its directory (here nobody:nogroup, as /var/lib/backad is backad:backad);
# a member of the group (user daemon, group nogroup) reads it with status.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 2770 "$tmp/state" && chown nobody:nogroup "$tmp/state" && chmod 2770 "$tmp/state"
	chmod 755 "$tmp"
	sed -e "s#$tmp/case.db#$tmp/state/case.db#" "$tmp/backad.conf" >"$tmp/state.conf"
	chmod 644 "$tmp/state.conf"
	"$tmp/root/usr/sbin/backactl" -c "$tmp/state.conf" init >/dev/null
	check "[ \"\$(stat -c %U:%G:%a '$tmp/state/case.db')\" = nobody:nogroup:660 ]" \
		"backactl init as root gives the database to the directory's owner, group-writable"
	check "setpriv --reuid=nobody --regid=nogroup --clear-groups '$tmp/root/usr/sbin/backad' -c '$tmp/state.conf' -n >/dev/null" \
		"the service user can use the database init made as root"
	chmod 640 "$tmp/state/case.db"
	check "setpriv --reuid=daemon --regid=nogroup --clear-groups '$tmp/root/usr/sbin/backactl' -c '$tmp/state.conf' status >'$tmp/status.out' 2>&1" \
		"a member of the group runs backactl status on a database it may only read"
	check "grep -q 'dead messages' '$tmp/status.out'" "status printed its table"
	check "! setpriv --reuid=daemon --regid=nogroup --clear-groups '$tmp/root/usr/sbin/backactl' -c '$tmp/state.conf' retry 1 >/dev/null 2>&1" \
		"writing commands still need write access"
else
	echo "skipped: ownership checks need root"
fi

# The sandbox.
if command -v systemd-analyze >/dev/null 2>&1; then
	score=$(systemd-analyze security --offline=yes "$tmp/root/lib/systemd/system/backad.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for backad.service: \([0-9.]*\).*/\1/p')
	check "[ -n '$score' ] && awk 'BEGIN { exit !($score <= 2.0) }'" "systemd-analyze security $score <= 2.0"
	echo "systemd-analyze security: exposure $score"
	score=$(systemd-analyze security --offline=yes "$tmp/root/lib/systemd/system/backad-web.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for backad-web.service: \([0-9.]*\).*/\1/p')
	check "[ -n '$score' ] && awk 'BEGIN { exit !($score <= 2.0) }'" "backad-web: systemd-analyze security $score <= 2.0"
	echo "systemd-analyze security backad-web: exposure $score"
	# verify checks that ExecStart exists: point it at the installed program.
	mkdir -p "$tmp/units"
	sed "s#/usr/sbin/#$tmp/root/usr/sbin/#" "$tmp/root/lib/systemd/system/backad-web.service" \
		>"$tmp/units/backad-web.service"
	cp "$tmp/root/lib/systemd/system/backad-web.socket" "$tmp/units/"
	check "systemd-analyze verify --man=no '$tmp/units/backad-web.socket' '$tmp/units/backad-web.service' >'$tmp/verify' 2>&1" \
		"backad-web units pass systemd-analyze verify"
	if [ -s "$tmp/verify" ]; then cat "$tmp/verify"; fi
else
	fail=$((fail + 1))
	echo "FAIL: systemd-analyze is not installed (package systemd)"
fi

finish

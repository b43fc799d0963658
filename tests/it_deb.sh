#!/bin/sh
# it_deb.sh - the Debian package on this machine: `make deb` builds it
# (lintian clean), it installs the user, the directories and a conffile
# root:backad 0640; as the service user `backad -n` passes (with the warning
# about the spool) and one pass spools the demo's messages; `backactl status`
# works as the service user and as a member of group backad; an edited
# configuration survives a reinstall; purge removes everything. Needs root:
# skipped otherwise, and when a backad package is already installed.
set -eu
. tests/lib.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: it_deb.sh installs a package and needs root"
	exit 0
fi
if [ "$BUILD" != build ]; then
	echo "skipped: the package is tested once, with the plain build"
	exit 0
fi
if dpkg-query -W -f='${Status}' backad 2>/dev/null | grep -q installed; then
	echo "skipped: a backad package is installed here already; not touching it"
	exit 0
fi
member=bkdt$$
undo() {
	dpkg --purge backad >/dev/null 2>&1 || true
	userdel "$member" 2>/dev/null || true
	userdel backad 2>/dev/null || true
	groupdel backad 2>/dev/null || true
	cleanup
}
trap undo EXIT

make -s deb >"$tmp/make.log" 2>&1 || { tail -30 "$tmp/make.log"; exit 1; }
deb=$(ls build/deb/backad_*.deb)
check "lintian --fail-on error,warning '$deb' >'$tmp/lintian.log' 2>&1" "lintian reports no error or warning"
grep -v 'running with root privileges' "$tmp/lintian.log" || true
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; exit 1; }

check "getent passwd backad >/dev/null" "the package made user backad"
check "[ \"\$(stat -c %U:%G:%a /etc/backad/backad.conf)\" = root:backad:640 ]" "backad.conf is root:backad 0640"
check "[ \"\$(stat -c %U:%G:%a /var/lib/backad)\" = backad:backad:2770 ]" "/var/lib/backad is backad:backad 2770"
check "grep -qx /etc/backad/backad.conf /var/lib/dpkg/info/backad.conffiles" "backad.conf is a conffile"

# The database, made by root as the README says, then the demo registers.
backactl init >/dev/null
for k in units staff children placements roles absences; do
	backactl import "$k" "etc/demo/$k.csv" >/dev/null
done
check "[ \"\$(stat -c %U:%G /var/lib/backad/case.db)\" = backad:backad ]" "backactl init as root gives the database to backad"

as() { u=$1; shift; setpriv --reuid="$u" --regid=backad --init-groups "$@"; }
check "as backad backad -n >'$tmp/n.out' 2>'$tmp/n.err'" "backad -n as the service user"
check "grep -q 'configuration OK' '$tmp/n.out'" "backad -n says configuration OK"
check "grep -q 'warning: delivery = \"spool\"' '$tmp/n.err'" "backad -n warns that the installed configuration is on the spool"
check "as backad backad --once --now 2026-08-03T08:00 2>'$tmp/once.err'" "one pass as the service user"
check "ls /var/spool/backad/email/*.eml >/dev/null 2>&1" "the pass spooled e-mail"
check "as backad backactl status >'$tmp/st1' 2>&1" "backactl status as the service user"

useradd -M -N -G backad -s /usr/sbin/nologin "$member"
check "as $member env -u BACKAD_LOCALEDIR LANGUAGE=sv LANG=C.UTF-8 backactl status >'$tmp/st2' 2>&1" "backactl status as a member of group backad"
check "grep -q 'döda meddelanden' '$tmp/st2'" "status shows its table to a member, in Swedish from the installed catalogue"
check "as $member sh -c 'cat /var/spool/backad/email/*.eml' | grep -q '^Subject:'" "a member of group backad reads the spool"
check "! setpriv --reuid=nobody --regid=nogroup --clear-groups backactl status >/dev/null 2>&1" \
	"others cannot run backactl status"

# An edited configuration survives a reinstall of the package.
echo '# edited here' >>/etc/backad/backad.conf
dpkg -i "$deb" >"$tmp/dpkg2.log" 2>&1 || cat "$tmp/dpkg2.log"
check "tail -1 /etc/backad/backad.conf | grep -q 'edited here'" "an edited conffile survives a reinstall"

dpkg --purge backad >"$tmp/purge.log" 2>&1 || cat "$tmp/purge.log"
check "[ ! -e /usr/sbin/backad ] && [ ! -e /etc/backad/backad.conf ] && [ ! -e /var/lib/backad ]" \
	"purge removes programs, configuration and state"
check "! dpkg-statoverride --list /etc/backad/backad.conf >/dev/null" "purge removes the statoverride"
finish

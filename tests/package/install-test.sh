#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian package installed as an admin would: `apt-get install
# ./vpncap_*.deb` into a fresh bookworm root (mmdebstrap, cached, without
# vpncap's libraries: apt must find them from the package's Depends), then
# in that root: `vpncap --version` runs, `man vpncap` reads, the
# completion completes, the unit verifies with
# `systemd-analyze verify`, the conffiles are there, `apt-get remove` keeps
# /etc/vpncap and the captured files, `apt-get purge` removes /etc/vpncap and
# still keeps the captured files.
# usage: install-test.sh SOURCE_DIR     (as root; about 2 minutes the first time)
# env:   VPNCAP_BOOT_CACHE   where the root is cached (default /var/cache/vpncap-boot-test)
set -u
SRC=$(cd "${1:?usage: install-test.sh SOURCE_DIR}" && pwd)
CACHE=${VPNCAP_BOOT_CACHE:-/var/cache/vpncap-boot-test}
# shellcheck source=../lib/qemu-vm.sh
. "$SRC/tests/lib/qemu-vm.sh"
# A root like the boot test's, less vpncap's own libraries.
VM_PACKAGES="systemd systemd-sysv udev dbus kmod iproute2 linux-image-amd64 man-db"

WORK=$(mktemp -d /tmp/vpncap-install.XXXXXX)
ROOT=$WORK/root
cleanup() {
	umount -R "$ROOT/proc" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
check() { # check DESC CMD...
	local d=$1; shift
	if "$@"; then echo "ok - $d"; pass=$((pass + 1)); else echo "not ok - $d"; fail=$((fail + 1)); fi
}
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

vm_host_tools mmdebstrap:mmdebstrap lintian:lintian dpkg-buildpackage:dpkg-dev dh:debhelper >/dev/null
bash "$SRC/scripts/package.sh" "$WORK/dist" >"$WORK/package.log" 2>&1 ||
	{ tail -20 "$WORK/package.log" | sed 's/^/# /'; echo "not ok - the package builds"; exit 1; }
DEB=$(ls "$WORK"/dist/vpncap_*.deb | head -1)
pristine=$(vm_cached_root "$CACHE") || { echo "not ok - a bookworm root (mmdebstrap)"; exit 1; }
cp -a "$pristine" "$ROOT"
cp "$DEB" "$ROOT/tmp/"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
mount -t proc proc "$ROOT/proc"

check "the fresh root has none of vpncap's libraries before" \
	sh -c "! chroot '$ROOT' dpkg-query -W -f='\${Status}' libxdp1 2>/dev/null | grep -q 'install ok installed'"
in_root apt-get update -qq >"$WORK/apt.log" 2>&1
in_root apt-get install -y -q "/tmp/${DEB##*/}" >>"$WORK/apt.log" 2>&1; rc=$?
tail -5 "$WORK/apt.log" | sed 's/^/# /'
check "apt-get install ./vpncap_*.deb: its Depends came from the archive ($rc)" \
	sh -c "[ $rc -eq 0 ] && chroot '$ROOT' dpkg-query -W -f='\${Status}\\n' libxdp1 libbpf1 libpcap0.8 | grep -c 'install ok installed' | grep -qx 3"
version=$(in_root vpncap --version 2>&1 | head -1)
echo "# $version"
want=$(git -C "$SRC" describe --tags --always --dirty 2>/dev/null || true)
check "vpncap --version in the root names what it was built from ($want)" \
	sh -c "echo '$version' | grep -q '^vpncap $(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)' &&
		{ [ -z '$want' ] || echo '$version' | grep -q -- '$want'; }"
in_root systemd-analyze verify /lib/systemd/system/vpncap@ens3.service >"$WORK/verify.log" 2>&1; rc=$?
sed 's/^/# /' "$WORK/verify.log" | head -5
check "systemd-analyze verify vpncap@ens3.service in the root ($rc)" [ "$rc" -eq 0 ]
check "man vpncap and man 5 vpncap.conf read in the root" sh -c "
	chroot '$ROOT' env MANPAGER=cat MANWIDTH=80 man vpncap 2>/dev/null | grep -q 'vpncap-capture' &&
	chroot '$ROOT' env MANPAGER=cat MANWIDTH=80 man 5 vpncap.conf 2>/dev/null | grep -q 'filters.conf'"
check "the bash completion loads and completes vpncap's commands" sh -c "
	chroot '$ROOT' bash -c '. /usr/share/bash-completion/completions/vpncap && complete -p vpncap &&
		COMP_WORDS=(vpncap rep); COMP_CWORD=1; COMP_LINE=\"vpncap rep\"; COMP_POINT=10;
		_vpncap vpncap rep vpncap &&
		[ \"\${COMPREPLY[*]}\" = report ]' >'$WORK/completion.log' 2>&1"
check "nothing enabled or started by the install" \
	sh -c "! ls '$ROOT'/etc/systemd/system/*.wants/vpncap@* 2>/dev/null | grep -q ."
check "/etc/vpncap holds the commented examples" \
	sh -c "grep -q '^# \[IKEv2\]' '$ROOT/etc/vpncap/filters.conf' && [ -f '$ROOT/etc/vpncap/IFACE.conf.example' ]"

# A capture's files and a --persistent configuration, then remove and purge.
mkdir -p "$ROOT/var/lib/vpncap/ens3"
echo capture >"$ROOT/var/lib/vpncap/ens3/vpncap-ens3-20261206T100000Z-000000.pcapng"
echo "rotate-time = 1h" >"$ROOT/etc/vpncap/ens3.conf"
in_root apt-get remove -y -q vpncap >"$WORK/remove.log" 2>&1; rc=$?
check "apt-get remove: the binary goes, /etc/vpncap and the captures stay ($rc)" sh -c "
	[ $rc -eq 0 ] && [ ! -e '$ROOT/usr/sbin/vpncap' ] && [ -f '$ROOT/etc/vpncap/ens3.conf' ] &&
	[ -f '$ROOT/etc/vpncap/filters.conf' ] && [ -f '$ROOT/var/lib/vpncap/ens3/vpncap-ens3-20261206T100000Z-000000.pcapng' ]"
in_root apt-get purge -y -q vpncap >"$WORK/purge.log" 2>&1; rc=$?
check "apt-get purge: /etc/vpncap goes, the captures stay ($rc)" sh -c "
	[ $rc -eq 0 ] && [ ! -e '$ROOT/etc/vpncap' ] &&
	[ -f '$ROOT/var/lib/vpncap/ens3/vpncap-ens3-20261206T100000Z-000000.pcapng' ]"
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]

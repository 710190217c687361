#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian package installed as an admin would: `apt-get install
# ./vpncap_*.deb` into a fresh bookworm root (mmdebstrap, cached, without
# vpncap's libraries: apt must find them from the package's Depends), then
# in that root: `vpncap --version` runs, `man vpncap` reads, the
# completion completes, the unit verifies with
# `systemd-analyze verify`, the conffiles are there.
# Then a copy of that root boots once under qemu (TCG, one NIC on a tap in a
# namespace of the test's own, IKEv2 frames streaming to it), and a driver
# unit does in the guest what the admin does next: copies
# IFACE.conf.example to ens3.conf, `vpncap capture --check`s it,
# `systemctl enable --now vpncap@ens3`, lets it capture, `vpncap status`,
# `systemctl stop` and powers off; the disk image, read back with debugfs,
# holds files tshark opens with the IKE frames, and the journal no failure.
# Last, in the chroot: `apt-get remove` keeps /etc/vpncap and the captured
# files, `apt-get purge` removes /etc/vpncap and still keeps the captured
# files.
# usage: install-test.sh SOURCE_DIR     (as root; 3-4 minutes, the boot ~1 of them)
# env:   VPNCAP_BOOT_CACHE   where the root is cached (default /var/cache/vpncap-boot-test)
#        VPNCAP_BOOT_KEEP=1  keep the work directory (serial log, journal, files)
set -u
SRC=$(cd "${1:?usage: install-test.sh SOURCE_DIR}" && pwd)
CACHE=${VPNCAP_BOOT_CACHE:-/var/cache/vpncap-boot-test}
# shellcheck source=../lib/qemu-vm.sh
. "$SRC/tests/lib/qemu-vm.sh"
# A root like the boot test's, less vpncap's own libraries; a name of its
# own in the cache, so that it and the boot test's root do not replace
# each other.
VM_PACKAGES="systemd systemd-sysv udev dbus kmod iproute2 linux-image-amd64 man-db"
VM_ROOT_NAME=pkgroot
TAP=vpncappkg0                 # in the test's own namespace
GUEST_MAC=52:54:00:12:34:57    # the NIC at PCI slot 3: ens3 in the guest
BOOT_TIMEOUT=240               # seconds, then qemu is killed
STALL_TIMEOUT=60               # seconds without the kernel's first line: start qemu again

WORK=$(mktemp -d /var/tmp/vpncap-install.XXXXXX)
ROOT=$WORK/root
VM=$WORK/vm                    # the disk image, kernel, console log and what was read back
cleanup() {
	vm_cleanup
	umount -R "$ROOT/proc" 2>/dev/null
	if [ "${VPNCAP_BOOT_KEEP:-0}" = 1 ]; then
		rm -rf "$ROOT" "$VM/root" "$VM/disk.img"
		echo "# kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass=0 fail=0
check() { # check DESC CMD...
	local d=$1; shift
	if "$@"; then echo "ok - $d"; pass=$((pass + 1)); else echo "not ok - $d"; fail=$((fail + 1)); fi
}
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

vm_host_tools mmdebstrap:mmdebstrap lintian:lintian dpkg-buildpackage:dpkg-dev dh:debhelper \
	qemu-system-x86_64:qemu-system-x86 mkfs.ext4:e2fsprogs debugfs:e2fsprogs tshark:tshark \
	journalctl:systemd nsenter:util-linux >/dev/null
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

# --- the installed root booted: what an admin does after `apt install` ---------

# The guest side: a driver unit, after the boot, runs the admin's commands
# (nothing is enabled offline but the driver itself) and writes what they
# said to /var/log/vpncap-admin.txt. Under TCG a start (BPF load and verify)
# takes ~6 s: it polls for the state, up to 60 s.
install_driver() { # install_driver ROOT
	vm_install_driver "$1" vpncap-admin-driver "vpncap package test: the admin's commands after apt install" <<'EOF'
#!/bin/sh
echo "admin-driver: system $(systemctl is-system-running --wait)"
{
	cp /etc/vpncap/IFACE.conf.example /etc/vpncap/ens3.conf
	/usr/sbin/vpncap capture --config /etc/vpncap/ens3.conf -i ens3 --check
	echo "check-exit=$?"
	systemctl enable --now vpncap@ens3
	echo "enable-exit=$?"
	for _ in $(seq 60); do
		[ "$(systemctl is-active vpncap@ens3)" = active ] && break
		sleep 1
	done
	echo "active=$(systemctl is-active vpncap@ens3)"
	sleep 8
	/usr/sbin/vpncap status | sed 's/^/status: /'
	systemctl stop vpncap@ens3
	echo "stop-exit=$?"
	ls -l /var/lib/vpncap/ens3/
} >/var/log/vpncap-admin.txt 2>&1
sync
echo "admin-driver: done, powering off"
systemctl poweroff
EOF
}

# A copy of the root as it is now (without its /proc), with the driver, as
# a disk image.
make_vm_image() {
	mkdir -p "$VM" && umount "$ROOT/proc" && cp -a "$ROOT" "$VM/root" &&
		mount -t proc proc "$ROOT/proc" || return 1
	install_driver "$VM/root" && vm_prepare_boot "$VM/root" vpncap-pkg &&
		vm_make_image "$VM/root" "$VM" vpncap-pkg || return 1
	rm -rf "$VM/root"
}

boot_vm() { # one boot while IKEv2 frames stream to the guest's NIC
	local t0=$SECONDS
	vm_make_namespace && vm_add_tap "$TAP" || return 1
	vm_start_traffic "$TAP" "$GUEST_MAC"
	vm_boot_image "$VM" 1 "$BOOT_TIMEOUT" "$STALL_TIMEOUT" "$TAP" "$GUEST_MAC"
	vm_cleanup
	echo "# boot: qemu exited with $VM_QEMU_RC after $((SECONDS - t0)) s"
	! vm_timed_out && grep -q 'reboot: Power down' "$VM/serial1.log"
}

admin_said() { grep -qx -- "$1" "$VM/out/admin.txt"; }  # admin_said LINE

ike_files_ok() { # every file in DIR opens in tshark and holds IKE frames, none .part
	local f n ike=0 all=0
	for f in "$1"/vpncap-ens3-*; do
		[ -e "$f" ] || { echo "# no capture file in /var/lib/vpncap/ens3"; return 1; }
		case $f in *.part) echo "# ${f##*/} left unfinished"; return 1 ;; esac
		tshark -r "$f" -Y 'udp.port == 500' -T fields -e frame.number >"$VM/tshark.out" 2>"$VM/tshark.err" ||
			{ echo "# ${f##*/}: $(grep -v 'Running as user' "$VM/tshark.err" | head -1)"; return 1; }
		n=$(wc -l <"$VM/tshark.out")
		ike=$((ike + n)) all=$((all + 1))
	done
	echo "# $all files, $ike IKE frames (udp port 500)"
	[ "$ike" -gt 0 ]
}

t_vm=$SECONDS
if ! make_vm_image; then
	check "a disk image of the installed root" false
elif ! boot_vm; then
	check "the installed root booted, ran the admin's commands and powered off" false
	vm_show_boot "$VM" 1 vpncap@ens3.service
else
	check "the installed root booted, ran the admin's commands and powered off" true
	vm_rdump "$VM/disk.img" /var/lib/vpncap/ens3 "$VM/out"
	vm_rdump "$VM/disk.img" /var/log/journal "$VM/out"
	vm_dump "$VM/disk.img" /var/log/vpncap-admin.txt "$VM/out/admin.txt"
	sed 's/^/#   /' "$VM/out/admin.txt"
	check "vpncap capture --check accepts IFACE.conf.example copied to ens3.conf (check-exit=0)" \
		admin_said check-exit=0
	check "systemctl enable --now vpncap@ens3: exit 0, the unit active" \
		sh -c "grep -qx enable-exit=0 '$VM/out/admin.txt' && grep -qx active=active '$VM/out/admin.txt'"
	check "vpncap status lists ens3 as active" \
		grep -qE '^status: (.*[^[:alnum:]])?ens3([^[:alnum:]].*)?[^[:alpha:]]active' "$VM/out/admin.txt"
	check "systemctl stop vpncap@ens3: exit 0" admin_said stop-exit=0
	check "the files in /var/lib/vpncap/ens3 open in tshark with IKE frames, none .part" \
		ike_files_ok "$VM/out/ens3"
	echo "# vpncap@ens3 in the guest's journal:"
	journalctl -D "$VM/out/journal" --no-pager -q -o short-monotonic -u vpncap@ens3.service | sed 's/^/#   /'
	check "vpncap@ens3 never failed, timed out or failed to detach XDP (its journal)" \
		vm_never_failed "$VM/out/journal" vpncap@ens3.service
fi
echo "# the boot added $((SECONDS - t_vm)) s"

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

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot test: vpncap@ens3.service under a real systemd, across a reboot.
#
# Builds (once, cached) a minimal Debian 12 root file system, installs this
# build tree into a copy of it with the unit enabled, and boots it twice
# under qemu (TCG) while IKEv2 frames stream into the VM's NIC. A small
# driver unit in the guest reboots after the first boot and, on the second,
# runs `vpncap status`, `vpncap stop`, `vpncap capture --persistent` and
# `vpncap start`/`stop` (a transient unit), and powers off. The disk image is then read back with
# debugfs (nothing is mounted) and checked: the capture started before
# network-pre.target, caught frames during boot, continued its file sequence
# across the reboot, wrote files tshark opens, and `vpncap status` saw it.
#
# usage: boot-test.sh BUILD_DIR        (as root; takes minutes)
# env:   VPNCAP_BOOT_CACHE    where the root file system is cached
#                             (default /var/cache/vpncap-boot-test)
#        VPNCAP_BOOT_KEEP=1   keep the work directory (serial logs, journal)
set -u

BUILD_DIR=$(readlink -f "${1:?usage: boot-test.sh BUILD_DIR}")
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${VPNCAP_BOOT_CACHE:-/var/cache/vpncap-boot-test}
IFACE=ens3                    # virtio-net-pci at PCI slot 3 -> "ens3" (udev net_id)
GUEST_ADDR=198.18.99.2/24     # given to ens3 on boot 2 by the network stand-in
GUEST_MAC=52:54:00:12:34:56
TAP=vpncapboot0
BOOT_TIMEOUT=240              # seconds per boot, then qemu is killed
STALL_TIMEOUT=60              # seconds without the kernel's first line: start qemu again
START=$SECONDS

# The shared parts (cached root file system, disk image and debugfs, namespace
# and tap, IKEv2 traffic, qemu and its stall rule) are also used by
# tests/kernels/kernel-matrix.sh and tests/package/install-test.sh.
# shellcheck source=../lib/qemu-vm.sh
. "$SRC_DIR/tests/lib/qemu-vm.sh"

WORK=
# shellcheck source=../lib/tap.sh
. "$SRC_DIR/tests/lib/tap.sh"

cleanup() {
	vm_cleanup
	vm_remove_work "$WORK" "${VPNCAP_BOOT_KEEP:-0}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 0. host tools ------------------------------------------------------------

ensure_host_tools() {
	vm_host_tools mmdebstrap:mmdebstrap qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils \
		mkfs.ext4:e2fsprogs debugfs:e2fsprogs tshark:tshark capinfos:tshark \
		journalctl:systemd nsenter:util-linux
}

# --- 1. the cached root file system --------------------------------------------

cached_root() { vm_cached_root "$CACHE"; }

# --- 2. this build installed into a copy, with the unit enabled ------------------

enable_unit() { # enable_unit ROOT UNIT: offline, as an admin would
	systemctl --root="$1" enable "$2" >"$WORK/enable.log" 2>&1 ||
		{ note "systemctl enable $2: $(cat "$WORK/enable.log")"; return 1; }
}

install_vpncap() { # install_vpncap ROOT
	local root=$1 unitdir=$1/usr/local/lib/systemd/system
	DESTDIR=$root cmake --install "$BUILD_DIR" --prefix /usr/local >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log"; return 1; }
	[ -x "$root/usr/local/sbin/vpncap" ] || { note "cmake --install put no /usr/local/sbin/vpncap"; return 1; }
	if [ ! -f "$unitdir/vpncap@.service" ]; then
		note "cmake --install put no /usr/local/lib/systemd/system/vpncap@.service"
		return 1
	fi
	if grep -q '@VPNCAP_[A-Z]*@' "$unitdir/vpncap@.service"; then
		note "the installed unit still has placeholders: $(grep -o '@VPNCAP_[A-Z]*@' "$unitdir/vpncap@.service" | sort -u | tr '\n' ' ')"
		return 1
	fi

	mkdir -p "$root/etc/vpncap"
	echo "rotate-time = 1h" >"$root/etc/vpncap/$IFACE.conf"

	enable_unit "$root" "vpncap@$IFACE.service"
}

# The guest side of the test: boot 1 waits for the boot to finish, lets the
# capture run a little longer and reboots; boot 2 (marker present) does the
# same, saves `vpncap status` and powers off.
install_driver() { # install_driver ROOT
	local root=$1
	vm_install_driver "$root" vpncap-boot-driver "vpncap boot test driver" <<EOF || return 1
#!/bin/sh
marker=/var/lib/vpncap-boot-test/boot1-done
echo "boot-driver: system \$(systemctl is-system-running --wait)"
systemctl --no-pager --lines=0 status vpncap@$IFACE.service
ip -d link show $IFACE
if [ ! -e "\$marker" ]; then
	mkdir -p "\${marker%/*}" && touch "\$marker" && sync
	sleep 8
	echo "boot-driver: boot 1 done, rebooting"
	systemctl reboot
else
	sleep 8
	/usr/local/sbin/vpncap status >/var/log/vpncap-status.txt 2>&1
	echo "boot-driver: vpncap status exited \$?"
	# The operator commands, against the real systemd.
	{
		/usr/local/sbin/vpncap stop $IFACE
		echo "stop-exit=\$?"
		echo "after-stop-enabled=\$(systemctl is-enabled vpncap@$IFACE.service)"
		echo "after-stop-active=\$(systemctl is-active vpncap@$IFACE.service)"
		/usr/local/sbin/vpncap capture -i $IFACE --rotate-time 1h --max-files 50 --persistent
		echo "persistent-exit=\$?"
		sleep 3
		echo "after-persistent-enabled=\$(systemctl is-enabled vpncap@$IFACE.service)"
		echo "after-persistent-active=\$(systemctl is-active vpncap@$IFACE.service)"
		echo "config:"
		cat /etc/vpncap/$IFACE.conf
		# Again with other options: the change is printed, then made.
		/usr/local/sbin/vpncap capture -i $IFACE --rotate-time 1h --max-bytes 1G --persistent
		echo "second-persistent-exit=\$?"
		sleep 3
		echo "after-second-active=\$(systemctl is-active vpncap@$IFACE.service)"
		sed 's/^/second-config: /' /etc/vpncap/$IFACE.conf
	} >/var/log/vpncap-service.txt 2>&1
	# An interface that goes away and comes back (a veth pair stands for a
	# NIC unplugged and plugged again): vpncap ends within a second, says so
	# and exits 75; the unit starts again when the device returns.
	{
		# Under TCG a start (BPF load and verify) takes several seconds:
		# poll for the state, up to 60 s, rather than guess a sleep.
		wait_active() {
			for _ in \$(seq 60); do
				[ "\$(systemctl is-active vpncap@vgone0.service)" = active ] && return 0
				sleep 1
			done
			return 1
		}
		ip link add vgone0 type veth peer name vgone1 && ip link set vgone1 up
		/usr/local/sbin/vpncap capture -i vgone0 --persistent
		echo "gone-persistent-exit=\$?"
		wait_active
		echo "gone-before=\$(systemctl is-active vpncap@vgone0.service)"
		echo "gone-pid-before=\$(systemctl show -p MainPID --value vpncap@vgone0.service)"
		ip link del vgone0
		sleep 4
		echo "gone-after-del=\$(systemctl is-active vpncap@vgone0.service)"
		echo "gone-status=\$(systemctl show -p ExecMainStatus --value vpncap@vgone0.service)"
		journalctl -u vpncap@vgone0.service --no-pager -o cat | grep 'went away' | sed 's/^/gone-said: /'
		ip link add vgone0 type veth peer name vgone1 && ip link set vgone1 up
		wait_active
		echo "gone-after-back=\$(systemctl is-active vpncap@vgone0.service)"
		echo "gone-pid-after=\$(systemctl show -p MainPID --value vpncap@vgone0.service)"
		/usr/local/sbin/vpncap stop vgone0
		rm -f /etc/vpncap/vgone0.conf
		ip link del vgone0
	} >/var/log/vpncap-gone.txt 2>&1
	# vpncap start / stop under systemd: a transient Type=notify unit, so
	# start returns once the capture captures (the unit active at once).
	{
		ip link add vstart0 type veth peer name vstart1 && ip link set vstart1 up
		/usr/local/sbin/vpncap start -i vstart0 -w /var/tmp/startdir/
		echo "start-exit=\$?"
		echo "start-unit=\$(systemctl is-active vpncap-run-vstart0.service)"
		/usr/local/sbin/vpncap status
		/usr/local/sbin/vpncap stop vstart0
		echo "start-stop-exit=\$?"
		echo "start-unit-after=\$(systemctl is-active vpncap-run-vstart0.service)"
		ls /var/tmp/startdir | sed 's/^/start-file: /'
		ip link del vstart0
	} >/var/log/vpncap-start.txt 2>&1
	sync
	echo "boot-driver: boot 2 done, powering off"
	systemctl poweroff
fi
EOF

	# A stand-in for network configuration, ordered like ifupdown's
	# networking.service. minbase has none, so network-pre.target and
	# multi-user.target would be reached within ~50 ms and no frame could
	# show that the capture runs while the system is still booting; this
	# gives that window 3 s. On boot 2 it also gives $IFACE an address, as
	# real network configuration would: vpncap, started in --mode auto on a
	# port without addresses (bypass), must switch to inline.
	cat >"$root/etc/systemd/system/vpncap-boot-network.service" <<EOF
[Unit]
Description=vpncap boot test: stand-in for network configuration
DefaultDependencies=no
After=network-pre.target local-fs.target
Wants=network-pre.target
Before=network.target multi-user.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'sleep 3; if [ -e /var/lib/vpncap-boot-test/boot1-done ]; then ip addr add $GUEST_ADDR dev $IFACE; fi'

[Install]
WantedBy=multi-user.target
EOF
	enable_unit "$root" vpncap-boot-network.service
}

prepare_image() { # prepare_image CACHED_ROOT
	local root=$WORK/root
	cp -a "$1" "$root" || return 1
	install_vpncap "$root" || return 1
	install_driver "$root" || return 1
	# A persistent journal: both boots can be read afterwards.
	vm_prepare_boot "$root" vpncap-boot || return 1
	# Only the stand-in above may configure ens3 (boot 2 switches vpncap from
	# bypass to inline). minbase has no network manager; say so if that changes.
	if ls "$root"/etc/systemd/network/* "$root"/etc/network/interfaces.d/* >/dev/null 2>&1; then
		note "the image configures networks: $(ls "$root"/etc/systemd/network "$root"/etc/network/interfaces.d 2>/dev/null)"
	fi
	vm_make_image "$root" "$WORK" vpncap-boot || return 1
	rm -rf "$root"
}

# --- 3. the isolated network and the two boots ----------------------------------

# A network namespace of our own holding only the tap: the VM reaches nothing
# else, and the frames we inject come from here.
make_namespace() {
	vm_make_namespace && vm_add_tap "$TAP"
}

# boot N EXPECTED_LAST_CONSOLE_LINE: one boot, until the guest resets or powers
# off (-no-reboot turns the reboot into qemu exiting: a fresh qemu per boot
# is twice as fast as an in-place reboot under TCG and starts a new clock).
# IKEv2 frames (vm_start_traffic) stream to the guest's MAC meanwhile.
boot() {
	local n=$1 expect=$2 log=$WORK/serial$1.log t0=$SECONDS
	vm_boot_image "$WORK" "$n" "$BOOT_TIMEOUT" "$STALL_TIMEOUT" "$TAP" "$GUEST_MAC"
	note "boot $n: qemu exited with $VM_QEMU_RC after $((SECONDS - t0)) s"
	if vm_timed_out; then
		fail "boot $n ended within $BOOT_TIMEOUT s"
		return 1
	fi
	check "boot $n ended with '$expect'" grep -q "$expect" "$log"
}

# give_up N: boot N went wrong: show its console and what the guest's journal
# says about the capture, then stop.
give_up() {
	vm_stop_traffic
	vm_show_boot "$WORK" "$1" "vpncap@$IFACE.service"
	summary
	exit 1
}

rdump() { vm_rdump "$WORK/disk.img" "$@"; }  # rdump DIR_IN_IMAGE HOST_DIR

# --- 4. checks -------------------------------------------------------------------

J=           # the guest's journal directory, read back
BOOT_IDS=()  # the two boot IDs, oldest first

journal() { journalctl -D "$J" --no-pager -q "$@"; }

# first_time BOOT_ID FORMAT PATTERN: the timestamp of the first journal line
# of that boot containing PATTERN (fixed string), or nothing.
first_time() {
	journal -b "$1" -o "$2" | grep -F -m1 -- "$3" | sed -E 's/^\[ *([0-9.]+)\].*/\1/; s/^([0-9]+\.[0-9]+) .*/\1/'
}

check_ready_before_network_pre() { # BOOT_NUMBER
	local id=${BOOT_IDS[$(($1 - 1))]} started reached capturing
	started=$(first_time "$id" short-monotonic "Started vpncap@$IFACE.service")
	reached=$(first_time "$id" short-monotonic "Reached target network-pre.target")
	capturing=$(first_time "$id" short-monotonic "capturing on $IFACE")
	# "Started" means ready only with Type=notify; with Type=exec it is logged
	# at exec time, so the moment vpncap says it captures is shown as well.
	note "boot $1: vpncap@$IFACE started at ${started:-never}, said 'capturing' at ${capturing:-never}, network-pre.target reached at ${reached:-never} (monotonic s)"
	[ -n "$started" ] && [ -n "$reached" ] && awk -v a="$started" -v b="$reached" 'BEGIN { exit !(a < b) }'
}

seq_of() { # seq_of FILE -> the sequence number in vpncap-IFACE-UTC-SEQ.pcapng
	basename "$1" | sed -nE 's/^vpncap-.*-[0-9]{8}T[0-9]{6}Z-([0-9]+)\.pcapng.*/\1/p' | sed 's/^0*\([0-9]\)/\1/'
}

captured_during_boot() { # BOOT_NUMBER FIRST_FILE_OF_THAT_BOOT
	local first_ns reached
	first_ns=$("$BUILD_DIR/tests/pcapng_dump" "$2" | sed -n 's/^EPB .*ts=\([0-9]*\).*/\1/p' | sort -n | head -1)
	reached=$(first_time "${BOOT_IDS[$(($1 - 1))]}" short-unix "Reached target multi-user.target")
	note "boot $1: first frame at ${first_ns:-none} ns, multi-user.target reached at ${reached:-never} s (realtime)"
	[ -n "$first_ns" ] && [ -n "$reached" ] &&
		awk -v f="$first_ns" -v r="$reached" 'BEGIN { exit !(f / 1e9 < r) }'
}

file_ok() { # tshark opens FILE and it holds frames
	local n rc
	tshark -r "$1" -T fields -e frame.number >"$WORK/tshark.out" 2>"$WORK/tshark.err"
	rc=$?
	n=$(wc -l <"$WORK/tshark.out")
	[ "$rc" = 0 ] && [ "$n" -gt 0 ] && return 0
	note "$(basename "$1"): $n frames $(grep -v 'Running as user' "$WORK/tshark.err" | head -1)"
	return 1
}

names_in() { # the capture files in DIR by name, oldest first (no lock or state files)
	[ -d "$1" ] && find "$1" -mindepth 1 -maxdepth 1 -name "vpncap-$IFACE-*" -printf '%f\n' | sort
}

boot2_said() { # boot2_said TEXT: vpncap@IFACE logged TEXT on boot 2
	journal -b "${BOOT_IDS[1]}" -u "vpncap@$IFACE.service" | grep -qF -- "$1"
}

verdicts_in() { # verdicts_in DIR FILE...: both XDP_REDIRECT and XDP_PASS verdicts
	local dir=$1 f; shift
	for f in "$@"; do "$BUILD_DIR/tests/pcapng_dump" "$dir/$f"; done >"$WORK/verdicts.txt" 2>/dev/null
	note "verdicts in boot 2's files: $(grep -c 'verdict=4' "$WORK/verdicts.txt") XDP_REDIRECT, $(grep -c 'verdict_type=2 verdict=2' "$WORK/verdicts.txt") XDP_PASS"
	grep -q 'verdict_type=2 verdict=4' "$WORK/verdicts.txt" && grep -q 'verdict_type=2 verdict=2' "$WORK/verdicts.txt"
}

run_checks() {
	local out=$WORK/out boot1=() boot2=() f all_ok b
	J=$out/journal
	mapfile -t BOOT_IDS < <(journal --list-boots | grep -Eo '\b[0-9a-f]{32}\b')
	for b in "${!BOOT_IDS[@]}"; do
		note "boot $((b + 1)) (${BOOT_IDS[$b]}): vpncap@$IFACE and the test driver in the journal:"
		journal -b "${BOOT_IDS[$b]}" -o short-monotonic -u "vpncap@$IFACE.service" -u vpncap-boot-driver.service |
			awk '!/vpncap-boot-driver\[[0-9]+\]: / || /boot-driver: | state /' | sed 's/^/#   /'
	done
	if [ "${#BOOT_IDS[@]}" != 2 ]; then
		fail "the journal holds two boots (it holds ${#BOOT_IDS[@]})"
		return
	fi

	# (a) the capture is ready before anything may configure the network.
	for b in 1 2; do
		check "boot $b: vpncap@$IFACE.service started before network-pre.target" \
			check_ready_before_network_pre $b
	done

	# Files of boot 1 were read back after boot 1; those of boot 2 are the
	# new names after boot 2.
	mapfile -t boot1 < <(names_in "$out/boot1/$IFACE")
	mapfile -t boot2 < <(names_in "$out/boot2/$IFACE" | comm -13 <(printf '%s\n' "${boot1[@]}") -)
	note "boot 1 files: ${boot1[*]:-none}"
	note "boot 2 files: ${boot2[*]:-none}"

	# (b) frames are captured while the system is still booting.
	if [ "${#boot1[@]}" -gt 0 ]; then
		check "boot 1: a frame was captured before multi-user.target was reached" \
			captured_during_boot 1 "$out/boot1/$IFACE/${boot1[0]}"
	else
		fail "boot 1: a frame was captured before multi-user.target was reached (no file)"
	fi
	if [ "${#boot2[@]}" -gt 0 ]; then
		check "boot 2: a frame was captured before multi-user.target was reached" \
			captured_during_boot 2 "$out/boot2/$IFACE/${boot2[0]}"
	else
		fail "boot 2: a frame was captured before multi-user.target was reached (no file)"
	fi

	# (c) the reboot continues the set instead of starting it over.
	if [ "${#boot1[@]}" -gt 0 ] && [ "${#boot2[@]}" -gt 0 ]; then
		local last first
		last=$(seq_of "${boot1[-1]}") first=$(seq_of "${boot2[0]}")
		check "boot 2's first file continues the sequence (boot 1 last $last, boot 2 first $first)" \
			test -n "$last" -a -n "$first" -a "$((10#${first:-0}))" = "$((10#${last:-0} + 1))"
	else
		fail "boot 2's first file continues the sequence (files: boot 1 ${#boot1[@]}, boot 2 ${#boot2[@]})"
	fi

	# (d) every file is complete and readable.
	all_ok=1
	for f in "${boot1[@]}" "${boot2[@]}"; do
		case $f in
		*.part) note "$f left unfinished"; all_ok=0; continue ;;
		esac
		file_ok "$out/boot2/$IFACE/$f" || all_ok=0
	done
	check "every file of both boots opens in tshark with frames, none left .part" \
		test "$all_ok" = 1 -a "$((${#boot1[@]} + ${#boot2[@]}))" -gt 0

	# (e) the status command sees the running capture.
	note "vpncap status:"
	sed 's/^/#   /' "$out/status.txt" 2>/dev/null
	check "vpncap status lists $IFACE as active" \
		grep -qE "(^|[^[:alnum:]])$IFACE([^[:alnum:]]|$).*(^|[^[:alpha:]])active" "$out/status.txt"

	# (h) boot 2: network configuration gave the capture port an address, so
	# --mode auto switched from bypass to inline, on Debian's 6.1 kernel (no
	# tcx: the egress program goes on clsact), and the files show both: frames
	# redirected before (XDP_REDIRECT) and copies after (XDP_PASS).
	check "boot 2: an address appeared, vpncap switched to inline" \
		boot2_said "it has the address ${GUEST_ADDR%/*} now: --mode auto switched to inline"
	check "boot 2: no tcx on the 6.1 kernel: vpncap said so and used clsact" \
		boot2_said "attaching the egress program as a clsact filter"
	check "boot 2: files hold redirected frames (bypass) and copies (inline)" \
		verdicts_in "$out/boot2/$IFACE" "${boot2[@]}"
	# (i) issue 8's fallbacks on a kernel older than its features: no AF_XDP
	# multi-buffer (6.6) and no XDP RX metadata kfuncs (6.3).
	check "boot 2: no AF_XDP multi-buffer on 6.1: vpncap said so and copies jumbo frames instead" \
		boot2_said "multi-buffer AF_XDP (XDP_USE_SG) refused"
	check "boot 2: no hardware timestamps on 6.1: the file header says why" \
		sh -c "'$BUILD_DIR/tests/pcapng_dump' '$out/boot2/$IFACE/${boot2[0]}' | grep '^IDB' | grep -q 'software): kernel [^ ]* has no XDP RX metadata kfuncs'"

	# (g) vpncap stop and vpncap capture --persistent drive the real systemd.
	note "vpncap stop / --persistent:"
	sed 's/^/#   /' "$out/service.txt" 2>/dev/null
	check "vpncap stop: exit 0, unit disabled and inactive" \
		sh -c "grep -qx 'stop-exit=0' '$out/service.txt' && grep -qx 'after-stop-enabled=disabled' '$out/service.txt' && grep -qx 'after-stop-active=inactive' '$out/service.txt'"
	check "vpncap capture --persistent: exit 0, unit enabled and active, configuration written" \
		sh -c "grep -qx 'persistent-exit=0' '$out/service.txt' && grep -qx 'after-persistent-enabled=enabled' '$out/service.txt' && grep -qx 'after-persistent-active=active' '$out/service.txt' && grep -qx 'max-files = 50' '$out/service.txt' && grep -q 'files in /var/lib/vpncap/$IFACE/' '$out/service.txt'"
	check "vpncap capture --persistent: the change printed key by key (+max-files)" \
		grep -qx '+max-files = 50' "$out/service.txt"
	check "a second --persistent: exit 0, its diff printed (-max-files, +max-bytes), active with the new file" \
		sh -c "grep -qx 'second-persistent-exit=0' '$out/service.txt' && grep -qx -- '-max-files = 50' '$out/service.txt' && grep -qx '+max-bytes = 1G' '$out/service.txt' && grep -qx 'after-second-active=active' '$out/service.txt' && grep -qx 'second-config: max-bytes = 1G' '$out/service.txt' && ! grep -qx 'second-config: max-files = 50' '$out/service.txt'"

	# (h) the interface goes away and comes back.
	note "interface gone and back:"
	sed 's/^/#   /' "$out/gone.txt" 2>/dev/null
	check "interface gone: the capture ended within seconds, said so, exit status 75" \
		sh -c "grep -qx 'gone-before=active' '$out/gone.txt' && ! grep -qx 'gone-after-del=active' '$out/gone.txt' && grep -qx 'gone-status=75' '$out/gone.txt' && grep -q '^gone-said: vpncap: vgone0: the interface went away' '$out/gone.txt'"
	check "interface back: the unit started again by itself (WantedBy= its device)" \
		sh -c "grep -qx 'gone-after-back=active' '$out/gone.txt' && [ \"\$(sed -n 's/^gone-pid-after=//p' '$out/gone.txt')\" != \"\$(sed -n 's/^gone-pid-before=//p' '$out/gone.txt')\" ] && ! grep -qx 'gone-pid-after=0' '$out/gone.txt'"

	# (j) vpncap start / status / stop: a background capture as a transient unit.
	note "vpncap start / stop:"
	sed 's/^/#   /' "$out/start.txt" 2>/dev/null
	check "vpncap start: exit 0, returned with vpncap-run-vstart0.service active" \
		sh -c "grep -qx 'start-exit=0' '$out/start.txt' && grep -qx 'start-unit=active' '$out/start.txt'"
	check "vpncap status: the background capture, running, its unit and pid" \
		grep -qE '^vstart0 +running .*vpncap-run-vstart0\.service \(pid [0-9]+\)' "$out/start.txt"
	check "vpncap stop vstart0: exit 0, the file and the summary printed, the unit gone" \
		sh -c "grep -qx 'start-stop-exit=0' '$out/start.txt' && grep -q '^vpncap: summary: seen .*in /var/tmp/startdir/' '$out/start.txt' && grep -q '^  /var/tmp/startdir/vpncap-vstart0-.*\.pcapng\$' '$out/start.txt' && grep -qx 'start-unit-after=inactive' '$out/start.txt'"
	check "vpncap start: the file is in the directory" grep -q '^start-file: vpncap-vstart0-.*\.pcapng$' "$out/start.txt"

	# (f) and stops cleanly at each shutdown (a stop timeout or a failure would
	# cost the end of the file; a failed detach leaves the hook taken).
	check "vpncap@$IFACE never failed, timed out or failed to detach XDP" vm_never_failed "$J" "vpncap@$IFACE.service"
}

# --- main --------------------------------------------------------------------------

main() {
	local root t f
	[ "$(id -u)" = 0 ] || abort "runs as root"
	if [ ! -x "$BUILD_DIR/vpncap" ] || [ ! -x "$BUILD_DIR/tests/pcapng_dump" ]; then
		abort "$BUILD_DIR has vpncap and tests/pcapng_dump"
	fi
	ensure_host_tools || abort "host tools installed"

	t=$SECONDS
	root=$(cached_root) || abort "Debian 12 root file system built"
	note "root file system ready in $((SECONDS - t)) s: $root"

	WORK=$(mktemp -d /var/tmp/vpncap-boot.XXXXXX)
	t=$SECONDS
	prepare_image "$root" || abort "vpncap installed into a disk image"
	note "disk image ready in $((SECONDS - t)) s"

	make_namespace || abort "isolated network namespace with tap $TAP"
	vm_start_traffic "$TAP" "$GUEST_MAC"
	boot 1 "reboot: Restarting system" || give_up 1
	rdump "/var/lib/vpncap/$IFACE" "$WORK/out/boot1"
	boot 2 "reboot: Power down" || give_up 2
	vm_stop_traffic

	rdump "/var/lib/vpncap/$IFACE" "$WORK/out/boot2"
	rdump /var/log/journal "$WORK/out"
	for f in status service gone start; do
		vm_dump "$WORK/disk.img" "/var/log/vpncap-$f.txt" "$WORK/out/$f.txt"
	done
	run_checks

	note "total $((SECONDS - START)) s"
	summary
	[ "$FAILED" = 0 ]
}

main

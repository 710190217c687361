# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the tests that boot Debian under qemu (tests/boot/boot-test.sh,
# tests/kernels/kernel-matrix.sh):
#   - the cached Debian 12 root file system (built once with mmdebstrap),
#   - a network namespace of the test's own holding taps, so the VM reaches
#     nothing else and injected frames come from there,
#   - qemu (TCG) started in that namespace under a hard timeout, and watched
#     for the emulator stalls seen here (a boot restarted once is the
#     caller's decision).
# State: VM_NS_PID (the namespace's only process), VM_QEMU_PID, VM_QEMU_RC.
# A caller's EXIT trap calls vm_cleanup.

VM_NS_PID=
VM_QEMU_PID=
VM_QEMU_RC=

# Everything a guest needs: a booting systemd with udev (without udev the
# sys-subsystem-net-devices-*.device units never appear), and the shared
# libraries the vpncap binary links. Both tests use this one list: a change
# to it (or to the hook) builds a new root and removes the old one.
VM_PACKAGES="systemd systemd-sysv udev dbus kmod iproute2 linux-image-amd64
libbpf1 libxdp1 libelf1 zlib1g libzstd1 libsystemd0 libcap-ng0 libpcap0.8"

# The initrd only has to find an ext4 root on virtio-blk: MODULES=list with
# these three makes it 6 MB instead of 35 MB and the boot faster. Both files
# are written before initramfs-tools is installed, so the kernel's own
# postinst builds the small initrd once; mkinitramfs run later in the root
# (other kernels) reads the same two files.
VM_INITRD_MODULES="virtio_pci virtio_blk ext4"
# shellcheck disable=SC2016 # $1 is for the hook's shell (the new root)
VM_ESSENTIAL_HOOK='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d" &&
echo MODULES=list > "$1/etc/initramfs-tools/conf.d/vpncap-boot-test" &&
printf "%s\n" '"$VM_INITRD_MODULES"' > "$1/usr/share/initramfs-tools/modules.d/vpncap-boot-test"'

# --- the cached root file system ----------------------------------------------

# This machine's Debian apt sources (third-party repositories left out: the
# guest needs only Debian packages, and they may be unreachable).
vm_debian_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -Eq '^[^#]*(URIs:|deb ).*debian' "$f" && echo "$f"
	done
}

# vm_cached_root CACHE_DIR: prints the path of a pristine root directory,
# building it if needed. The key covers the package list and the recipe, so
# a change to either rebuilds. Progress goes to stderr.
vm_cached_root() {
	local cache=$1 key dir tmp sources
	key=$(printf '%s\n' "$VM_PACKAGES" "$VM_ESSENTIAL_HOOK" | sha256sum | cut -c1-16)
	dir=$cache/root-$key
	mkdir -p "$cache" || return 1
	# One builder at a time; a second run waits and then reuses the result.
	exec 9>"$cache/.lock"
	flock 9
	if [ ! -d "$dir" ]; then
		sources=$(vm_debian_sources)
		[ -n "$sources" ] || { echo "${0##*/}: no Debian apt source on this machine" >&2; return 1; }
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		echo "# building the root file system in $dir (a few minutes, once)" >&2
		# shellcheck disable=SC2086
		if ! mmdebstrap --quiet --variant=minbase --include="$(echo $VM_PACKAGES | tr ' ' ,)" \
			--essential-hook="$VM_ESSENTIAL_HOOK" \
			bookworm "$tmp" $sources >"$cache/mmdebstrap.log" 2>&1; then
			tail -20 "$cache/mmdebstrap.log" >&2
			rm -rf "$tmp"
			return 1
		fi
		mv "$tmp" "$dir"
		# Roots of older package lists are of no further use.
		find "$cache" -mindepth 1 -maxdepth 1 -name 'root-*' ! -name "root-$key" -exec rm -rf {} +
	fi
	flock -u 9
	echo "$dir"
}

# --- the isolated network ---------------------------------------------------------

# A network namespace of our own: it lives as long as its only process.
vm_make_namespace() {
	unshare --net sleep infinity &
	VM_NS_PID=$!
	for _ in $(seq 50); do
		[ "$(readlink /proc/$VM_NS_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.1
	done
	return 1
}

vm_in_ns() { nsenter --net="/proc/$VM_NS_PID/ns/net" -- "$@"; }

# vm_add_tap NAME [multi_queue]: a tap in the namespace, up. A multi_queue
# tap lets qemu open one queue per guest RX queue (-netdev tap,queues=N).
vm_add_tap() {
	vm_in_ns ip tuntap add dev "$1" mode tap ${2:+"$2"} && vm_in_ns ip link set "$1" up
}

vm_remove_namespace() {
	[ -n "$VM_NS_PID" ] || return 0
	# The namespace (and the taps in it) goes away with its only process.
	kill "$VM_NS_PID" 2>/dev/null
	wait "$VM_NS_PID" 2>/dev/null
	VM_NS_PID=
}

# --- qemu -------------------------------------------------------------------------

# vm_start_qemu TIMEOUT SERIAL_LOG QEMU_LOG KERNEL INITRD APPEND DISK [QEMU_ARG...]:
# the VM in the namespace (TCG: KVM does not work on these machines), killed
# after TIMEOUT seconds; the root disk is virtio-blk at PCI slot 4, the
# extra arguments add the NICs. -no-reboot turns a reboot or a panic
# (panic=-1) into qemu exiting.
vm_start_qemu() {
	local timeout=$1 serial=$2 qlog=$3 kernel=$4 initrd=$5 append=$6 disk=$7
	shift 7
	timeout --kill-after=10 "$timeout" nsenter --net="/proc/$VM_NS_PID/ns/net" -- \
		qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
		-nodefaults -no-reboot -nographic -monitor none -serial "file:$serial" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "$append" \
		-drive "file=$disk,format=raw,if=none,id=root" \
		-device virtio-blk-pci,drive=root,addr=0x4 \
		"$@" </dev/null >"$qlog" 2>&1 &
	VM_QEMU_PID=$!
}

# vm_wait_qemu SERIAL_LOG STALL_SECONDS PATTERN: waits for qemu to end and
# sets VM_QEMU_RC to its exit status (124 or 137: the hard timeout), or to
# "stalled" when the console stayed silent for STALL_SECONDS while PATTERN
# (fixed string) had not appeared yet; qemu is killed then. Under TCG about
# one boot in 13-25 stalls here with qemu at 100 % and nothing on the
# console; the guest has written nothing by then, so the caller may start
# qemu again.
vm_wait_qemu() {
	local serial=$1 stall=$2 pattern=$3 size=-1 now quiet_since=$SECONDS
	VM_QEMU_RC=
	while kill -0 "$VM_QEMU_PID" 2>/dev/null; do
		now=$(stat -c %s "$serial" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then
			size=$now quiet_since=$SECONDS
		elif [ $((SECONDS - quiet_since)) -ge "$stall" ] && ! grep -qF -- "$pattern" "$serial"; then
			vm_stop_qemu
			VM_QEMU_RC=stalled
			return
		fi
		sleep 1
	done
	wait "$VM_QEMU_PID"
	VM_QEMU_RC=$?
	VM_QEMU_PID=
}

vm_stop_qemu() {
	[ -n "$VM_QEMU_PID" ] || return 0
	kill "$VM_QEMU_PID" 2>/dev/null
	wait "$VM_QEMU_PID" 2>/dev/null
	VM_QEMU_PID=
}

vm_timed_out() { # the last vm_wait_qemu ended by the hard timeout or a stall
	[ "$VM_QEMU_RC" = 124 ] || [ "$VM_QEMU_RC" = 137 ] || [ "$VM_QEMU_RC" = stalled ]
}

vm_cleanup() {
	vm_stop_qemu
	vm_remove_namespace
}

# vm_remove_work DIR KEEP: a test's work directory goes; with KEEP=1 it stays
# for a look, without the root copy and disk image (the bulk of it).
vm_remove_work() {
	local dir=$1 keep=$2
	[ -n "$dir" ] || return 0
	if [ "$keep" = 1 ]; then
		rm -rf "$dir/root" "$dir/disk.img"
		echo "# kept $dir"
	else
		rm -rf "$dir"
	fi
}

# vm_host_tools COMMAND:PACKAGE...: installs the packages of the commands this
# machine lacks (and python3-scapy, which both VM tests use for traffic).
vm_host_tools() {
	local missing="" cmd
	for cmd in "$@"; do
		command -v "${cmd%%:*}" >/dev/null || missing="$missing ${cmd#*:}"
	done
	/usr/bin/python3 -c 'import scapy' 2>/dev/null || missing="$missing python3-scapy"
	[ -z "$missing" ] && return 0
	echo "# installing$missing"
	# shellcheck disable=SC2086 # a list of packages
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

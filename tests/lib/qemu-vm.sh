# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the tests that boot Debian under qemu (tests/boot/boot-test.sh,
# tests/kernels/kernel-matrix.sh, tests/package/install-test.sh):
#   - the cached Debian 12 root file systems (built once with mmdebstrap),
#   - a disk image made from a prepared copy of one, read back afterwards
#     with debugfs (nothing mounted),
#   - a network namespace of the test's own holding taps, so the VM reaches
#     nothing else and injected frames (IKEv2, vm_start_traffic) come from
#     there,
#   - qemu (TCG) started in that namespace under a hard timeout, and watched
#     for the emulator stalls seen here (vm_boot_image starts it again once;
#     the kernel matrix decides for itself).
# State: VM_NS_PID (the namespace's only process), VM_QEMU_PID, VM_QEMU_RC,
# VM_TRAFFIC_PID. A caller's EXIT trap calls vm_cleanup.

VM_NS_PID=
VM_QEMU_PID=
VM_QEMU_RC=
VM_TRAFFIC_PID=
VM_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Everything a guest needs: a booting systemd with udev (without udev the
# sys-subsystem-net-devices-*.device units never appear), and the shared
# libraries the vpncap binary links. The boot test and the kernel matrix use
# this list; a change to it (or to the hook) builds a new root and removes
# the old one of the same name (VM_ROOT_NAME).
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

# A root's name says which use it serves: a test with its own VM_PACKAGES
# sets its own name (the package install test: pkgroot), so that the tests
# do not remove each other's roots from the cache.
VM_ROOT_NAME=root

# vm_cached_root CACHE_DIR: prints the path of a pristine root directory,
# CACHE_DIR/VM_ROOT_NAME-KEY, building it if needed. The key covers the
# package list and the recipe, so a change to either rebuilds, and the
# older roots of the same name are removed then. Progress goes to stderr.
vm_cached_root() {
	local cache=$1 key dir tmp sources
	key=$(printf '%s\n' "$VM_PACKAGES" "$VM_ESSENTIAL_HOOK" | sha256sum | cut -c1-16)
	dir=$cache/$VM_ROOT_NAME-$key
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
		# Roots of this name from older package lists are of no further use,
		# nor are builds of them left unfinished (no builder runs but us).
		# Exactly NAME-KEY: "root" must not match another name's "root-x-KEY".
		find "$cache" -mindepth 1 -maxdepth 1 -regextype posix-extended \
			-regex ".*/$VM_ROOT_NAME-[0-9a-f]{16}(\.tmp\.[0-9]+)?" ! -name "${dir##*/}" -exec rm -rf {} +
	fi
	flock -u 9
	echo "$dir"
}

# --- a disk image to boot ------------------------------------------------------

# vm_prepare_boot ROOT HOSTNAME: a machine ID makes the first boot an
# ordinary one (no first-boot presets) and names the journal directory;
# /var/log/journal makes the journal persistent (Storage=auto), so it can be
# read from the image afterwards.
vm_prepare_boot() {
	tr -d - </proc/sys/kernel/random/uuid >"$1/etc/machine-id" &&
		echo "$2" >"$1/etc/hostname" &&
		mkdir -p "$1/var/log/journal"
}

# vm_install_driver ROOT NAME DESCRIPTION <SCRIPT: the test's side in the
# guest: SCRIPT as /usr/local/libexec/NAME, run by NAME.service, enabled.
# Ordered after multi-user.target and Type=exec, so it never delays the
# boot it observes.
vm_install_driver() {
	local root=$1 name=$2
	mkdir -p "$root/usr/local/libexec" "$root/etc/systemd/system/multi-user.target.wants" &&
		cat >"$root/usr/local/libexec/$name" && chmod 755 "$root/usr/local/libexec/$name" || return 1
	cat >"$root/etc/systemd/system/$name.service" <<EOF
[Unit]
Description=$3
After=multi-user.target

[Service]
Type=exec
ExecStart=/usr/local/libexec/$name
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
	ln -sf "../$name.service" "$root/etc/systemd/system/multi-user.target.wants/$name.service"
}

# vm_make_image ROOT DIR LABEL: DIR/disk.img, an ext4 image of ROOT with
# 512 MB to spare, and the root's kernel and initrd as DIR/vmlinuz and
# DIR/initrd.img (the root holds one kernel).
vm_make_image() {
	local root=$1 dir=$2 mb
	cp "$root"/boot/vmlinuz-* "$dir/vmlinuz" && cp "$root"/boot/initrd.img-* "$dir/initrd.img" || return 1
	mb=$(du -sm "$root" | cut -f1)
	mkfs.ext4 -q -F -L "$3" -d "$root" "$dir/disk.img" "$((mb + 512))M" >/dev/null
}

# vm_rdump IMAGE DIR_IN_IMAGE HOST_DIR: a directory copied out of the
# (unmounted) image into HOST_DIR.
vm_rdump() {
	mkdir -p "$3" && debugfs -R "rdump $2 $3" "$1" >/dev/null 2>&1
}

# vm_dump IMAGE FILE_IN_IMAGE HOST_FILE
vm_dump() {
	debugfs -R "dump $2 $3" "$1" >/dev/null 2>&1
}

# vm_never_failed JOURNAL_DIR UNIT: the guest's journal holds UNIT and shows
# no failure, stop timeout, crash, or XDP program left behind for it (a
# stop timeout or a failure would cost the end of a file; a failed detach
# leaves the hook taken). A journal without the unit proves nothing.
vm_never_failed() {
	local log
	log=$(journalctl -D "$1" --no-pager -q -u "$2")
	[ -n "$log" ] || { echo "# $2 is not in the journal read back"; return 1; }
	! grep -Eq 'Failed with result|timed out|Main process exited, code=(killed|dumped)|status=[1-9]|XDP detach failed' <<<"$log"
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

# vm_start_traffic TAP MAC: IKEv2 frames from the namespace to MAC every
# ~0.3 s (plus scapy's start-up) until vm_stop_traffic. Sends fail
# harmlessly while no qemu holds the tap.
vm_start_traffic() {
	(
		while :; do
			vm_in_ns /usr/bin/python3 "$VM_SRC_DIR/scripts/lab_traffic.py" --iface "$1" \
				--dst-mac "$2" --per-class 3 --classes ike-v4 >/dev/null 2>&1
			sleep 0.3
		done
	) &
	VM_TRAFFIC_PID=$!
}

vm_stop_traffic() {
	vm_stop_loop "$VM_TRAFFIC_PID"
	VM_TRAFFIC_PID=
}

# vm_stop_loop PID: ends a background loop (a subshell) and what it runs now.
vm_stop_loop() {
	local kids
	[ -n "$1" ] || return 0
	kids=$(ps -o pid= --ppid "$1")
	# shellcheck disable=SC2086 # a list of PIDs
	kill "$1" $kids 2>/dev/null
	wait "$1" 2>/dev/null
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

# vm_boot_image DIR N TIMEOUT STALL TAP MAC: one boot of DIR/disk.img
# (vm_make_image) with one NIC on TAP (virtio-net at PCI slot 3: "ens3" in
# the guest), until qemu exits or TIMEOUT; console in DIR/serialN.log. qemu
# is started again once when the kernel printed nothing in STALL seconds
# (vm_wait_qemu): the disk is untouched then. Sets VM_QEMU_RC.
vm_boot_image() {
	local dir=$1 n=$2 timeout=$3 stall=$4 tap=$5 mac=$6 try
	for try in 1 2; do
		vm_start_qemu "$timeout" "$dir/serial$n.log" "$dir/qemu$n.log" \
			"$dir/vmlinuz" "$dir/initrd.img" "console=ttyS0 root=/dev/vda rw panic=-1" "$dir/disk.img" \
			-netdev "tap,id=net0,ifname=$tap,script=no,downscript=no" \
			-device "virtio-net-pci,addr=0x3,netdev=net0,mac=$mac"
		vm_wait_qemu "$dir/serial$n.log" "$stall" 'Linux version'
		[ "$VM_QEMU_RC" = stalled ] && [ "$try" = 1 ] || return 0
		echo "# boot $n: no kernel output in $stall s (emulator stall); starting qemu again"
	done
}

# vm_show_boot DIR N UNIT: what a failed or stalled boot N left: the last
# console lines, qemu's own complaints, and UNIT in the guest's journal
# (read from DIR/disk.img into DIR/failed).
vm_show_boot() {
	local dir=$1 n=$2 unit=$3
	echo "# last console lines of boot $n:"
	tail -25 "$dir/serial$n.log" | sed 's/^/#   /'
	[ -s "$dir/qemu$n.log" ] && tail -5 "$dir/qemu$n.log" | sed 's/^/#   qemu: /'
	vm_rdump "$dir/disk.img" /var/log/journal "$dir/failed"
	echo "# $unit in the guest's journal:"
	journalctl -D "$dir/failed/journal" --no-pager -q -u "$unit" -o short-monotonic 2>&1 | sed 's/^/#   /'
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
	vm_stop_traffic
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

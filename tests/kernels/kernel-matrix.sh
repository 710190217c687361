#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Kernel matrix: vpncap captures on virtio-net under five Debian kernels.
#
# Boots one Debian 12 root (the boot test's cached root, with this build
# installed) under qemu (TCG) once per kernel: bullseye 5.10, bookworm 6.1,
# trixie 6.12, forky 7.2 and trixie-backports 7.3, each fetched from Debian's
# mirror with apt-get download and cached. PID 1 is a script, not systemd
# (much faster under TCG): it runs four capture cases on three virtio-net
# NICs fed by taps in a namespace of our own, saying on the console when
# each capture is ready; the host then sends that case's frames.
#   bypass    NIC 1, native XDP, AF_XDP as vpncap chooses: 20 IKE frames in
#   zerocopy  NIC 2 (disable-legacy=on,iommu_platform=on): zero-copy where the
#             kernel binds it (7.2+), copy elsewhere: 20 frames in
#   twoqueue  NIC 3, two RX queues (multi_queue tap): 20 frames from 16
#             sources, EPBs from queue 0 and queue 1
#   inline    NIC 1 with an address: 20 frames in, 20 datagrams the guest sends,
#             selected by a tcpdump expression (XDP and TC expression programs)
#   trylibxdp NIC 1, libxdp tried whatever vpncap's probe says (VPNCAP_TRY_LIBXDP=1):
#             where the kernel refuses libxdp's dispatcher a program that
#             moves packet data (6.12+), libxdp fails and vpncap must attach
#             directly from a fresh object; elsewhere the dispatcher holds it
#   robpffs   NIC 1, the same with bpffs read-only: libxdp cannot pin its
#             dispatcher, and the program must still be attached, alone
#   perbatch  NIC 1, VPNCAP_KERNEL_LACKS=adjust_meta,adjust_head: no per-frame
#             metadata, frames stamped per batch (the fallback of last resort);
#             a tcpdump expression selects the frames (bypass through the
#             expression programs, the program attached alone)
#   hostuse   (on the kernels of HOSTUSE_KERNELS) --mode auto on NIC 1 when
#             the host uses it through links this machine's kernel lacks:
#             the lower device of a VLAN or an ipvlan, a port of a bond, a
#             team or a VRF, the address on the upper device (on the port
#             for the VRF). Each: --mode bypass refused (exit 2), auto
#             chooses inline and names the link, 20 datagrams to the
#             address all reach the guest's UDP layer (Udp InDatagrams +
#             NoPorts) and the capture.
# After every case the guest records whether an XDP program is left.
# After each boot the disk image is read back with debugfs (nothing is
# mounted) and the files are checked with tests/pcapng_dump. Results: one
# ok/not ok line per kernel fetched, per boot and per case, then a table.
# Time on 2 vCPUs without KVM: about 6 minutes from nothing (root 25 s,
# kernels 80 s, five boots 20-90 s each: the host-use cases add about a
# minute to the 5.10 one), 3-5 minutes with the caches.
# Cache: $CACHE/kernels/RELEASE-VERSION (vmlinuz, initrd, modules after
# depmod) and $CACHE/apt/LABEL (apt's lists per kernel, refreshed each run).
#
# usage: kernel-matrix.sh BUILD_DIR      (as root; takes minutes)
# env:   VPNCAP_KERNELS="5.10 6.1 ..."   a subset (default: 5.10 6.1 6.12 7.2 7.3)
#        VPNCAP_HOSTUSE_KERNELS         the kernels that also run the host-use cases
#                                       (default: 5.10, the oldest vpncap supports;
#                                       each adds about a minute under TCG)
#        VPNCAP_MATRIX_KEEP=1           keep the work directory (consoles, files)
#        VPNCAP_MATRIX_CACHE            kernels (default /var/cache/vpncap-kernel-matrix)
#        VPNCAP_BOOT_CACHE              the root file system, shared with the boot
#                                       test (default /var/cache/vpncap-boot-test)
set -u

BUILD_DIR=$(readlink -f "${1:?usage: kernel-matrix.sh BUILD_DIR}")
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/qemu-vm.sh
. "$SRC_DIR/tests/lib/qemu-vm.sh"

ROOT_CACHE=${VPNCAP_BOOT_CACHE:-/var/cache/vpncap-boot-test}
CACHE=${VPNCAP_MATRIX_CACHE:-/var/cache/vpncap-kernel-matrix}
KERNELS=${VPNCAP_KERNELS:-5.10 6.1 6.12 7.2 7.3}
CASES="bypass zerocopy twoqueue inline trylibxdp robpffs perbatch"
HOSTUSE_KERNELS=${VPNCAP_HOSTUSE_KERNELS:-5.10}
HOSTUSE_CASES="hostuse-vlan hostuse-bond hostuse-team hostuse-ipvlan hostuse-vrf"
HOSTUSE_VLAN=42
FRAMES=20                     # sent per case and direction
CASE_DURATION=60              # vpncap's --duration: the end if frames go missing
BOOT_TIMEOUT=420              # seconds per boot (7 cases of seconds each, slower on a busy
                              # machine), then qemu is killed; 300 more with the host-use cases
STALL_TIMEOUT=60              # console silent this long before the init script: start again
BUDGET=1380                   # seconds for the whole run: ctest kills it at 1500
START=$SECONDS

# The guest's NICs (PCI slot, MAC) and the taps that feed them. The tap's own
# MAC is fixed too: the inline case's guest has a static neighbour entry for
# the peer address instead of ARP.
NIC_SLOT=(0x3 0x5 0x6)
NIC_MAC=(52:54:00:4d:00:01 52:54:00:4d:00:02 52:54:00:4d:00:03)
TAP=(vpncapkm0 vpncapkm1 vpncapkm2)
TAP_MAC=(02:00:00:4d:00:01 02:00:00:4d:00:02 02:00:00:4d:00:03)
GUEST_ADDR=198.18.120.2       # NIC 1 in the inline case (/24)
PEER_ADDR=198.18.120.1        # the host side of tap 0, as far as the guest knows
SOURCES=198.18.121.1          # first source address of the frames sent
INIT=/usr/local/libexec/vpncap-matrix-init
RESULTS=/var/lib/vpncap-matrix   # in the guest: one directory per kernel

WORK=
FOLLOW_PID=
declare -A SUITES VERSION PKGS FETCH_NOTE KVER_OF
declare -A R_FRAMES R_XDP R_AFXDP R_TS R_RC R_OK

# shellcheck source=../lib/tap.sh
. "$SRC_DIR/tests/lib/tap.sh"
indent() { sed 's/^/#   /'; }

cleanup() {
	stop_follower
	vm_cleanup
	vm_remove_work "$WORK" "${VPNCAP_MATRIX_KEEP:-0}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 0. host tools ------------------------------------------------------------

ensure_host_tools() {
	vm_host_tools mmdebstrap:mmdebstrap qemu-system-x86_64:qemu-system-x86 \
		mkfs.ext4:e2fsprogs debugfs:e2fsprogs nsenter:util-linux dpkg-deb:dpkg
}

# --- 1. kernels from Debian's mirror --------------------------------------------

# The suites a kernel comes from; apt picks the newest linux-image-amd64
# among them (stable releases get kernel updates through -security).
suites_of() {
	case $1 in
	5.10) echo "bullseye bullseye-security" ;;
	6.1) echo "bookworm bookworm-security" ;;
	6.12) echo "trixie trixie-security" ;;
	7.2) echo "forky" ;;
	7.3) echo "trixie-backports" ;;
	*) return 1 ;;
	esac
}

# The mirror this machine's apt uses (the archive, and the security archive
# for -security suites), from its Debian sources in either format.
mirror_of() { # mirror_of SUITE
	local kind=archive uri
	case $1 in *-security) kind=security ;; esac
	# shellcheck disable=SC2046 # a list of files
	uri=$(awk -v kind="$kind" '
		/^[[:space:]]*#/ { next }
		/^URIs:/ { uri = $2 }
		/^deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { uri = $i; break }
			if ((kind == "security") == (uri ~ /security/)) { print uri; exit } }
		/^Suites:/ { if ((kind == "security") == (uri ~ /security/)) { print uri; exit } }
	' $(vm_debian_sources))
	if [ -z "$uri" ]; then
		uri=http://deb.debian.org/debian
		[ "$kind" = security ] && uri=http://deb.debian.org/debian-security
	fi
	echo "${uri%/}"
}

# apt_k LABEL apt-get|apt-cache ARGS...: apt with a state of its own per
# kernel (sources, lists, status, archives under $CACHE/apt/LABEL), so the
# host's apt configuration and state are never touched. The lists stay in
# the cache: the next update fetches only what changed.
apt_k() {
	local dir=$CACHE/apt/$1 cmd=$2
	shift 2
	"$cmd" -o Dir::Etc="$dir/etc" -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$dir/etc/preferences.d" \
		-o Dir::State="$dir/state" -o Dir::State::Lists="$dir/state/lists" \
		-o Dir::State::status="$dir/state/status" -o Dir::Cache="$dir/cache" \
		-o Dir::Cache::archives="$dir/cache/archives" -o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o APT::Sandbox::User=root \
		-o Acquire::Languages=none -o Acquire::Retries=2 "$@"
}

apt_setup() { # apt_setup LABEL: the per-kernel sources and state
	local dir=$CACHE/apt/$1 suite
	mkdir -p "$dir/etc/sources.list.d" "$dir/etc/apt.conf.d" "$dir/etc/preferences.d" \
		"$dir/state/lists/partial" "$dir/cache/archives/partial" || return 1
	touch "$dir/state/status"
	for suite in ${SUITES[$1]}; do
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
			"$(mirror_of "$suite")" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg
	done >"$dir/etc/sources.list.d/kernel.sources"
}

# The packages linux-image-amd64 pulls in that hold the kernel: followed
# through Depends and Pre-Depends, linux-* only (not initramfs-tools and
# the like), and not linux-base (scripts for the postinst, not needed here).
# Newer suites split a kernel into linux-image-VER (meta), linux-binary-VER
# (vmlinuz), linux-modules-VER and linux-base-VER (modules.builtin, config).
kernel_packages() { # kernel_packages LABEL
	local todo=(linux-image-amd64) seen=" " p d
	while [ "${#todo[@]}" -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		case $seen in *" $p "*) continue ;; esac
		seen="$seen$p "
		echo "$p"
		for d in $(apt_k "$1" apt-cache depends --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances "$p" 2>/dev/null |
			sed -nE 's/^ *\|?(Pre)?Depends: (linux-[^ <>]+)$/\2/p'); do
			[ "$d" = linux-base ] || todo+=("$d")
		done
	done
}

# resolve LABEL: sets VERSION[LABEL] (linux-image-amd64's version), PKGS[LABEL]
# and KVER_OF[LABEL] (the kernel release, as in /usr/lib/modules). Fails with
# the reason in FETCH_NOTE[LABEL].
resolve() {
	local label=$1 log=$WORK/apt-$1.log p kver
	apt_setup "$label" || { FETCH_NOTE[$label]="cannot create $CACHE/apt/$label"; return 1; }
	# apt-get update may end with 0 after a failed fetch (a warning then).
	if ! apt_k "$label" apt-get update >"$log" 2>&1 ||
		grep -qE '^E: |^W: (Failed to fetch|GPG error|Some index files)' "$log"; then
		FETCH_NOTE[$label]="${SUITES[$label]} unreachable or unusable: $(grep -E '^[WE]: ' "$log" | head -2 | tr '\n' ' ')"
		return 1
	fi
	VERSION[$label]=$(apt_k "$label" apt-cache policy linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Candidate: //p')
	if [ -z "${VERSION[$label]}" ] || [ "${VERSION[$label]}" = "(none)" ]; then
		FETCH_NOTE[$label]="no linux-image-amd64 in ${SUITES[$label]}"
		return 1
	fi
	PKGS[$label]=$(kernel_packages "$label" | tr '\n' ' ')
	kver=
	for p in ${PKGS[$label]}; do
		case $p in linux-image-[0-9]*) kver=${p#linux-image-} ;; esac
	done
	if [ -z "$kver" ]; then
		FETCH_NOTE[$label]="linux-image-amd64 ${VERSION[$label]} depends on no linux-image-VERSION (${PKGS[$label]})"
		return 1
	fi
	KVER_OF[$label]=$kver
}

# fetch_kernel LABEL ROOT: puts the kernel's modules into ROOT/usr/lib/modules
# and its vmlinuz and initrd into the cache, fetching and building them the
# first time. The cache key is the release and linux-image-amd64's version.
fetch_kernel() {
	local label=$1 root=$2 kver=${KVER_OF[$1]} dir x f p
	dir=$CACHE/kernels/$kver-${VERSION[$1]}
	if [ ! -f "$dir/done" ]; then
		rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/x" || return 1
		# shellcheck disable=SC2086 # a list of packages
		if ! (cd "$dir/debs" && apt_k "$label" apt-get download ${PKGS[$label]}) >"$WORK/download-$label.log" 2>&1; then
			FETCH_NOTE[$label]="apt-get download failed: $(grep -E '^[WE]: ' "$WORK/download-$label.log" | head -2 | tr '\n' ' ')"
			return 1
		fi
		for f in "$dir"/debs/*.deb; do
			dpkg-deb -x "$f" "$dir/x" || { FETCH_NOTE[$label]="cannot unpack $f"; return 1; }
		done
		# Older packages install into /lib/modules and /boot, newer ones
		# into /usr/lib/modules/VER (vmlinuz and config included).
		x=$dir/x
		mkdir -p "$dir/modules"
		for p in "$x/lib/modules/$kver" "$x/usr/lib/modules/$kver"; do
			[ -d "$p" ] && cp -a "$p/." "$dir/modules/"
		done
		for p in "$x/boot/vmlinuz-$kver" "$dir/modules/vmlinuz"; do
			[ -f "$p" ] && mv "$p" "$dir/vmlinuz"
		done
		for p in "$x/boot/config-$kver" "$dir/modules/config"; do
			[ -f "$p" ] && cp "$p" "$dir/config"
		done
		if [ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/config" ] || [ ! -d "$dir/modules/kernel" ]; then
			FETCH_NOTE[$label]="no vmlinuz, config or modules for $kver in ${PKGS[$label]}"
			return 1
		fi
		# depmod and mkinitramfs of the guest's own Debian 12 (kmod reads
		# .ko.xz); mkinitramfs looks at /boot/config-VER for the initrd's
		# compression, and takes MODULES=list and the module list from the
		# root (virtio_pci virtio_blk ext4, see tests/lib/qemu-vm.sh).
		rm -rf "$root/usr/lib/modules/$kver"
		cp -a "$dir/modules" "$root/usr/lib/modules/$kver" &&
			cp "$dir/config" "$root/boot/config-$kver" || return 1
		if ! chroot "$root" depmod -a "$kver" >"$WORK/depmod-$label.log" 2>&1; then
			FETCH_NOTE[$label]="depmod $kver failed: $(tail -2 "$WORK/depmod-$label.log" | tr '\n' ' ')"
			return 1
		fi
		if ! chroot "$root" mkinitramfs -o "/boot/initrd.img-$kver" "$kver" >"$WORK/mkinitramfs-$label.log" 2>&1; then
			FETCH_NOTE[$label]="mkinitramfs $kver failed: $(grep -v '^W:' "$WORK/mkinitramfs-$label.log" | tail -2 | tr '\n' ' ')"
			return 1
		fi
		rm -rf "$dir/modules" && mv "$root/usr/lib/modules/$kver" "$dir/modules" &&
			mv "$root/boot/initrd.img-$kver" "$dir/initrd.img" && rm -f "$root/boot/config-$kver" &&
			link_modules "$dir" "$root" "$kver" || return 1
		tr ' ' '\n' <<<"${PKGS[$label]}" | grep . >"$dir/packages"
		rm -rf "$dir/debs" "$dir/x"
		touch "$dir/done"
		FETCH_NOTE[$label]="fetched and built"
	else
		link_modules "$dir" "$root" "$kver" || return 1
		FETCH_NOTE[$label]="cached"
	fi
	# Older releases of this label are of no further use.
	echo "$label" >"$dir/label"
	for p in "$CACHE"/kernels/*/label; do
		[ "${p%/label}" != "$dir" ] && [ "$(cat "$p")" = "$label" ] && rm -rf "${p%/label}"
	done
	return 0
}

# link_modules KERNEL_DIR ROOT KVER: the cached modules into the root, as
# hard links where the cache and the work directory share a file system
# (nothing writes to them there: mkfs.ext4 -d only reads).
link_modules() {
	local to=$2/usr/lib/modules/$3
	rm -rf "$to"
	cp -al "$1/modules" "$to" 2>/dev/null && return 0
	rm -rf "$to"
	cp -a "$1/modules" "$to"
}

kernel_dir() { echo "$CACHE/kernels/${KVER_OF[$1]}-${VERSION[$1]}"; }

# fetch_all ROOT: every kernel asked for, into ROOT; sets READY to the
# labels that can boot.
READY=
fetch_all() {
	local root=$1 label t
	mkdir -p "$CACHE/kernels" || return 1
	# One fetcher at a time; a second run waits and then reuses the result.
	exec 8>"$CACHE/.lock"
	flock 8
	for label in $KERNELS; do
		t=$SECONDS
		if ! SUITES[$label]=$(suites_of "$label"); then
			fail "kernel $label: unknown (known: 5.10 6.1 6.12 7.2 7.3)"
			continue
		fi
		if resolve "$label" && fetch_kernel "$label" "$root"; then
			ok "kernel $label: ${SUITES[$label]%% *} linux-image-amd64 ${VERSION[$label]}, release ${KVER_OF[$label]} (${FETCH_NOTE[$label]} in $((SECONDS - t)) s)"
			note "  packages: ${PKGS[$label]}"
			case ${KVER_OF[$label]} in
			"$label".*) ;;
			*) note "  ${SUITES[$label]%% *} now has ${KVER_OF[$label]}, not $label.x" ;;
			esac
			READY="$READY $label"
		else
			fail "kernel $label: ${FETCH_NOTE[$label]}"
			[ -f "$WORK/apt-$label.log" ] && tail -5 "$WORK/apt-$label.log" | indent
		fi
	done
	flock -u 8
}

# --- 2. the guest: this build and an init script -----------------------------------

install_vpncap() { # install_vpncap ROOT
	local root=$1
	DESTDIR=$root cmake --install "$BUILD_DIR" --prefix /usr/local >"$WORK/install.log" 2>&1 ||
		{ indent <"$WORK/install.log"; return 1; }
	[ -x "$root/usr/local/sbin/vpncap" ] || { note "cmake --install put no /usr/local/sbin/vpncap"; return 1; }
}

# PID 1 of the guest. systemd would take 15-20 s of TCG per boot; this
# mounts what vpncap needs, runs the cases and powers off. Console lines
# starting with MATRIX are the handshake with the host (follow_console).
install_init() { # install_init ROOT
	local root=$1
	cat >"$root/etc/vpncap-matrix.conf" <<EOF
MAC1=${NIC_MAC[0]} MAC2=${NIC_MAC[1]} MAC3=${NIC_MAC[2]} PEER_MAC=${TAP_MAC[0]}
GUEST_ADDR=$GUEST_ADDR PEER_ADDR=$PEER_ADDR
FRAMES=$FRAMES DURATION=$CASE_DURATION RESULTS=$RESULTS
CASES="$CASES" HOSTUSE_CASES="$HOSTUSE_CASES" HOSTUSE_VLAN=$HOSTUSE_VLAN
EOF
	mkdir -p "$root${INIT%/*}"
	cat >"$root$INIT" <<'EOF'
#!/bin/bash
# vpncap kernel matrix, PID 1 (written by tests/kernels/kernel-matrix.sh).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# Kernel messages off the console (alerts and panics still show): the
# MATRIX lines must reach the host whole. dmesg is saved after each case.
dmesg -n 2
echo "MATRIX INIT $(uname -r)"
# shellcheck source=/dev/null # written by the host
. /etc/vpncap-matrix.conf

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
hostname vpncap-matrix
OUT=$RESULTS/$(uname -r)
rm -rf "$OUT"
mkdir -p "$OUT"

finish() {
	dmesg >"$OUT/dmesg.txt" 2>&1
	echo "MATRIX END"
	sync
	# Read-only before power-off: the host reads the image with debugfs,
	# which does not replay the journal.
	mount -o remount,ro / || { echo s >/proc/sysrq-trigger; echo u >/proc/sysrq-trigger; sleep 2; }
	echo o >/proc/sysrq-trigger
	sleep 30
}

# Without udev the NICs are eth0..; find them by the MACs the host gave.
nic() { # nic MAC
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

modprobe virtio_net
for _ in $(seq 100); do
	IF1=$(nic "$MAC1") && IF2=$(nic "$MAC2") && IF3=$(nic "$MAC3") && break
	sleep 0.1
done
ip link set lo up

queues() { # queues IFACE: its queue directories in sysfs (rx-0 rx-1 tx-0 ...)
	local q list=""
	for q in "/sys/class/net/$1/queues/"*; do
		[ -e "$q" ] && list="$list ${q##*/}"
	done
	echo "${list# }"
}
rx_queues() { # rx_queues IFACE: how many
	local q n=0
	for q in $(queues "$1"); do
		case $q in rx-*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

{
	echo "kernel: $(uname -a)"
	echo "cmdline: $(cat /proc/cmdline)"
	echo "nics: bypass/inline=${IF1:-missing} zerocopy=${IF2:-missing} twoqueue=${IF3:-missing}"
	for i in $IF1 $IF2 $IF3; do
		echo "$i: driver $(basename "$(readlink "/sys/class/net/$i/device/driver")") queues $(queues "$i")"
		ip -d link show "$i"
	done
	echo "vpncap: $(vpncap --version 2>&1)"
	vpncap list 2>&1
} >"$OUT/info.txt" 2>&1
echo "MATRIX NICS ${IF1:-missing} ${IF2:-missing} ${IF3:-missing} rx queues of ${IF3:-?}: $(rx_queues "${IF3:-none}")"

# The datagrams the guest sends in the inline case: IKEv2 headers (IKE_SA_INIT,
# initiator), one socket each (bash's /dev/udp). printf's output is line
# buffered: a 0x0a byte would split a datagram in two, so the SPI's last
# byte counts from 0x40.
send_own() {
	local i spi
	for i in $(seq "$FRAMES"); do
		printf -v spi '\\x%02x' "$((0x40 + i))"
		# shellcheck disable=SC2059 # the format carries the bytes
		printf "\x00\x00\x00\x00\x56\x4d\x01${spi}\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x22\x08\x00\x00\x00\x00\x00\x00\x00\x1c" \
			>"/dev/udp/$PEER_ADDR/500" || echo "send $i failed"
	done
}

# run_case NAME IFACE ARGS...: vpncap capture in the background; once it says
# "capturing on", MATRIX READY NAME tells the host to send; then the case
# ends with vpncap (-c, or --duration as the safety limit).
run_case() {
	local name=$1 ifc=$2 pid rc ready=0
	shift 2
	if [ -z "$ifc" ]; then
		echo "no NIC with this case's MAC address" >"$OUT/$name.stderr"
		echo no-nic >"$OUT/$name.rc"
		echo "MATRIX DONE $name rc=no-nic"
		return
	fi
	echo "MATRIX START $name $ifc: vpncap capture -i $ifc $*"
	env $CASE_ENV vpncap capture -i "$ifc" -w "$OUT/$name.pcapng" "$@" 2>"$OUT/$name.stderr" &
	pid=$!
	for _ in $(seq 600); do
		grep -q 'capturing on' "$OUT/$name.stderr" && { ready=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$ready" = 1 ]; then
		echo "MATRIX READY $name"
		[ "$name" = inline ] && send_own >"$OUT/$name.sent" 2>&1
	else
		echo "MATRIX NOT-READY $name"
		kill -INT "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	echo "$rc" >"$OUT/$name.rc"
	ip -d link show "$ifc" >"$OUT/$name.after" 2>&1
	dmesg >"$OUT/dmesg.txt" 2>&1
	sync
	echo "MATRIX DONE $name rc=$rc"
}

# ---- host use: links this machine's kernel lacks, on NIC 1 ----
# Datagrams that reached the UDP layer, to a socket or to none (NoPorts).
udp_in() { awk '/^Udp:/ && $2 ~ /^[0-9]+$/ { print $2 + $3 }' /proc/net/snmp; }

# hostuse_setup SUB: the link the host uses NIC 1 through; the gateway's
# address on HU_DEV.
hostuse_setup() {
	HU_DEV=
	ip link set "$IF1" up
	case $1 in
	vlan) ip link add link "$IF1" name "hu.$HOSTUSE_VLAN" type vlan id "$HOSTUSE_VLAN" && HU_DEV=hu.$HOSTUSE_VLAN ;;
	bond) ip link add hubond type bond mode active-backup && ip link set "$IF1" down &&
		ip link set "$IF1" master hubond && ip link set "$IF1" up && HU_DEV=hubond ;;
	team) ip link add huteam type team && ip link set "$IF1" down &&
		ip link set "$IF1" master huteam && ip link set "$IF1" up && HU_DEV=huteam ;;
	ipvlan) ip link add huipv link "$IF1" type ipvlan mode l2 && HU_DEV=huipv ;;
	vrf) ip link add huvrf type vrf table 10 && ip link set huvrf up &&
		ip link set "$IF1" master huvrf && HU_DEV=$IF1 ;;
	esac || return 1
	ip link set "$HU_DEV" up && ip addr add "$GUEST_ADDR/24" dev "$HU_DEV" &&
		ip neigh replace "$PEER_ADDR" lladdr "$PEER_MAC" dev "$HU_DEV" nud permanent
}

hostuse_teardown() {
	local d
	for d in hu.$HOSTUSE_VLAN hubond huteam huipv huvrf; do ip link del "$d" 2>/dev/null; done
	ip link set "$IF1" nomaster 2>/dev/null
	ip addr flush dev "$IF1"
	ip link set "$IF1" up
}

# run_hostuse NAME: bypass refused, then auto (which must choose inline)
# while the host sends; what reached the UDP layer is kept in NAME.udp.
run_hostuse() {
	local name=$1 sub=${1#hostuse-} pid rc before after ready=0
	echo "MATRIX START $name $IF1"
	if [ -z "$IF1" ] || ! hostuse_setup "$sub" >"$OUT/$name.setup" 2>&1; then
		echo setup-failed >"$OUT/$name.rc"
		hostuse_teardown >/dev/null 2>&1
		echo "MATRIX DONE $name rc=setup-failed"
		return
	fi
	ip -d link show >>"$OUT/$name.setup" 2>&1
	vpncap capture -i "$IF1" --mode bypass -w "$OUT/$name-refused.pcapng" --duration 5 \
		>"$OUT/$name.refused" 2>&1
	echo $? >"$OUT/$name.refused-rc"
	vpncap capture -i "$IF1" -w "$OUT/$name.pcapng" --duration "$DURATION" -v 2>"$OUT/$name.stderr" &
	pid=$!
	for _ in $(seq 600); do
		grep -q 'capturing on' "$OUT/$name.stderr" && { ready=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	before=$(udp_in)
	after=$before
	if [ "$ready" = 1 ]; then
		echo "MATRIX READY $name"
		for _ in $(seq 150); do
			after=$(udp_in)
			[ $((after - before)) -ge "$FRAMES" ] && break
			sleep 0.1
		done
		sleep 0.5
	else
		echo "MATRIX NOT-READY $name"
	fi
	echo $((after - before)) >"$OUT/$name.udp"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	echo "$rc" >"$OUT/$name.rc"
	ip -d link show "$IF1" >"$OUT/$name.after" 2>&1
	hostuse_teardown >/dev/null 2>&1
	sync
	echo "MATRIX DONE $name rc=$rc"
}

for c in $CASES; do
	case $c in
	bypass)
		run_case bypass "$IF1" --mode bypass --xdp-mode native -c "$FRAMES" --duration "$DURATION" -v ;;
	zerocopy)
		run_case zerocopy "$IF2" --mode bypass --xdp-mode native -c "$FRAMES" --duration "$DURATION" -v ;;
	twoqueue)
		run_case twoqueue "$IF3" --mode bypass --xdp-mode native -c "$FRAMES" --duration "$DURATION" -v ;;
	inline)
		if [ -n "$IF1" ]; then
			ip link set "$IF1" up
			ip addr add "$GUEST_ADDR/24" dev "$IF1"
			ip neigh replace "$PEER_ADDR" lladdr "$PEER_MAC" dev "$IF1" nud permanent
		fi
		run_case inline "$IF1" --mode inline --xdp-mode native -c "$((2 * FRAMES))" --duration "$DURATION" -v \
			--rules 'udp port 500 or udp port 4500' 
		[ -n "$IF1" ] && ip addr flush dev "$IF1" ;;
	trylibxdp)
		CASE_ENV=VPNCAP_TRY_LIBXDP=1 run_case trylibxdp "$IF1" --mode bypass --xdp-mode native \
			-c "$FRAMES" --duration "$DURATION" -v ;;
	robpffs)
		mount -o remount,ro /sys/fs/bpf
		CASE_ENV=VPNCAP_TRY_LIBXDP=1 run_case robpffs "$IF1" --mode bypass --xdp-mode native \
			-c "$FRAMES" --duration "$DURATION" -v
		mount -o remount,rw /sys/fs/bpf ;;
	perbatch)
		CASE_ENV=VPNCAP_KERNEL_LACKS=adjust_meta,adjust_head run_case perbatch "$IF1" \
			--mode bypass --xdp-mode native -c "$FRAMES" --duration "$DURATION" -v \
			--rules 'udp port 500' ;;
	esac
done
if grep -qw 'vpncap.hostuse=1' /proc/cmdline; then
	for c in $HOSTUSE_CASES; do run_hostuse "$c"; done
fi
finish
EOF
	chmod 755 "$root$INIT"
}

prepare_image() { # prepare_image ROOT: the disk image; the root is removed
	local root=$1 mb
	mkdir -p "$root$RESULTS"
	mb=$(du -sm "$root" | cut -f1)
	mkfs.ext4 -q -F -L vpncap-matrix -d "$root" "$WORK/disk.img" "$((mb + 512))M" >/dev/null || return 1
	rm -rf "$root"
}

# --- 3. the isolated network, the boots and the frames sent ---------------------

make_namespace() {
	local i
	vm_make_namespace || return 1
	vm_add_tap "${TAP[0]}" && vm_add_tap "${TAP[1]}" && vm_add_tap "${TAP[2]}" multi_queue || return 1
	for i in 0 1 2; do
		vm_in_ns ip link set "${TAP[$i]}" address "${TAP_MAC[$i]}" || return 1
	done
}

# send CASE: the frames of one case, into the tap of its NIC.
send() {
	local tap=${TAP[0]} mac=${NIC_MAC[0]} src=$SOURCES sources=1 dst=$GUEST_ADDR vlan=0
	case $1 in
	zerocopy) tap=${TAP[1]} mac=${NIC_MAC[1]} ;;
	twoqueue) tap=${TAP[2]} mac=${NIC_MAC[2]} sources=16 ;;
	inline) src=$PEER_ADDR ;;
	hostuse-vlan) src=$PEER_ADDR vlan=$HOSTUSE_VLAN ;;
	hostuse-*) src=$PEER_ADDR ;;
	esac
	vm_in_ns /usr/bin/python3 "$SRC_DIR/tests/kernels/send_ike.py" --iface "$tap" --dst-mac "$mac" \
		--dst "$dst" --src "$src" --sources "$sources" --count "$FRAMES" --vlan "$vlan"
}

# follow_console LOG: sends each case's frames when the guest says it is
# ready (MATRIX READY CASE), once per case.
follow_console() {
	local log=$1 sent=" " c
	while :; do
		while read -r c; do
			case $sent in *" $c "*) continue ;; esac
			sent="$sent$c "
			echo "$(date +%T) $c: $(send "$c" 2>&1 | tail -1)"
		done < <(grep -ao 'MATRIX READY [a-z-]*' "$log" 2>/dev/null | cut -d' ' -f3)
		sleep 0.2
	done
}

stop_follower() {
	vm_stop_loop "$FOLLOW_PID"
	FOLLOW_PID=
}

runs_hostuse() { case " $HOSTUSE_KERNELS " in *" $1 "*) return 0 ;; esac; return 1; }
boot_timeout() { if runs_hostuse "$1"; then echo $((BOOT_TIMEOUT + 300)); else echo "$BOOT_TIMEOUT"; fi; }

# The cases of a kernel: all, and the host-use ones where they run.
cases_of() {
	if runs_hostuse "$1"; then echo "$CASES $HOSTUSE_CASES"; else echo "$CASES"; fi
}

# start_qemu LABEL TRY: the guest with the kernel of LABEL and three NICs.
start_qemu() {
	local label=$1 dir hostuse=0
	dir=$(kernel_dir "$label")
	runs_hostuse "$label" && hostuse=1
	vm_start_qemu "$(boot_timeout "$label")" "$WORK/serial-$label-$2.log" "$WORK/qemu-$label-$2.log" \
		"$dir/vmlinuz" "$dir/initrd.img" "console=ttyS0 root=/dev/vda rw panic=-1 init=$INIT vpncap.hostuse=$hostuse" \
		"$WORK/disk.img" \
		-netdev "tap,id=n0,ifname=${TAP[0]},script=no,downscript=no" \
		-device "virtio-net-pci,addr=${NIC_SLOT[0]},netdev=n0,mac=${NIC_MAC[0]}" \
		-netdev "tap,id=n1,ifname=${TAP[1]},script=no,downscript=no" \
		-device "virtio-net-pci,addr=${NIC_SLOT[1]},netdev=n1,mac=${NIC_MAC[1]},disable-legacy=on,iommu_platform=on" \
		-netdev "tap,id=n2,ifname=${TAP[2]},script=no,downscript=no,queues=2" \
		-device "virtio-net-pci,addr=${NIC_SLOT[2]},netdev=n2,mac=${NIC_MAC[2]},mq=on,vectors=6"
}

SERIAL=   # the console log of the last boot
# boot LABEL: one boot that runs the cases. Started again once when the
# console went silent for STALL_TIMEOUT s, or qemu ended, before the init
# script began (an emulator stall, or the rare early crash under TCG), never
# once a case has run.
boot() {
	local label=$1 try t0=$SECONDS
	for try in 1 2; do
		SERIAL=$WORK/serial-$label-$try.log
		start_qemu "$label" "$try"
		follow_console "$SERIAL" >>"$WORK/sent-$label.log" 2>&1 &
		FOLLOW_PID=$!
		vm_wait_qemu "$SERIAL" "$STALL_TIMEOUT" "MATRIX INIT"
		stop_follower
		grep -q 'MATRIX INIT' "$SERIAL" && break
		[ "$try" = 2 ] && break
		if [ "$VM_QEMU_RC" = stalled ]; then
			note "$label: console silent for $STALL_TIMEOUT s before the init script (emulator stall); starting qemu again"
		elif vm_timed_out; then
			break
		else
			note "$label: the guest ended (qemu exit $VM_QEMU_RC) before the init script; starting qemu again"
		fi
		crash_lines
	done
	note "$label: qemu exited with $VM_QEMU_RC after $((SECONDS - t0)) s (boot $try)"
	if ! grep -q 'MATRIX INIT' "$SERIAL"; then
		fail "$label: the guest ran its init script ($(vm_timed_out && echo "no: stalled or timed out" || echo "no: qemu exit $VM_QEMU_RC"))"
		console_tail
		return 1
	fi
	if ! grep -q 'MATRIX END' "$SERIAL"; then
		fail "$label: the guest ran all cases and powered off (qemu exit $VM_QEMU_RC$(vm_timed_out && echo ", killed after $(boot_timeout "$label") s"))"
		console_tail
		return 0   # what it wrote may still be read
	fi
	ok "$label: booted ${KVER_OF[$label]}, ran the cases and powered off in $((SECONDS - t0)) s"
}

# The first lines of a kernel crash on the console, else its last lines.
crash_lines() {
	if grep -qE 'Oops|BUG:|Kernel panic' "$SERIAL"; then
		grep -m1 -A12 -E 'Oops|BUG:|Kernel panic' "$SERIAL" | grep -E 'Oops|BUG:|panic|RIP:|Comm:' |
			head -4 | tr -d '\r' | indent
	else
		tail -5 "$SERIAL" | tr -d '\r' | indent
	fi
}

console_tail() {
	note "last console lines:"
	tail -30 "$SERIAL" | tr -d '\r' | indent
}

# collect LABEL: the guest's results directory for that kernel, out of the
# unmounted image. A guest that crashed leaves the journal unreplayed:
# e2fsck replays it first (debugfs would not).
collect() {
	local out=$WORK/out/$1
	if dumpe2fs -h "$WORK/disk.img" 2>/dev/null | grep -q needs_recovery; then
		e2fsck -fy "$WORK/disk.img" >"$WORK/e2fsck-$1.log" 2>&1
	fi
	mkdir -p "$out" &&
		debugfs -R "rdump $RESULTS/${KVER_OF[$1]} $out" "$WORK/disk.img" >/dev/null 2>&1
	[ -d "$out/${KVER_OF[$1]}" ]
}

# --- 4. checks -------------------------------------------------------------------

# idb_field DUMP REGEX: the first match of REGEX in the first IDB's
# description (how vpncap captured: see session_describe_iface in user/capture/headers.c).
idb_field() {
	grep -m1 '^IDB' "$1" | grep -oE 'description="[^"]*"' | grep -oE "$2" | head -1
}

# xdp_how "xdp MODE (HOW)": the table's short form, e.g. "native, dispatcher"
# (libxdp's dispatcher) or "native, direct" (vpncap's program alone, attached
# without libxdp); anything else as the IDB says it.
xdp_how() {
	local mode=${1#xdp } how
	how=${mode#* (}
	mode=${mode%% *}
	case $how in
	*dispatcher*) echo "$mode, dispatcher" ;;
	*direct*) echo "$mode, direct" ;;
	*libxdp*) echo "$mode, libxdp alone" ;;
	*) echo "${1#xdp }" ;;
	esac
}

# check_case LABEL CASE: one ok/not ok line; fills the table's row.
check_case() {
	local label=$1 c=$2 dir=$WORK/out/$1/${KVER_OF[$1]} dump rc n=0 why="" want q0 q1 nin nout detail=""
	local key="$1 $2" file
	file=$dir/$c.pcapng
	dump=$WORK/dump-$label-$c.txt
	rc=$(cat "$dir/$c.rc" 2>/dev/null)
	R_RC[$key]=${rc:-none}
	R_FRAMES[$key]=0 R_XDP[$key]=- R_AFXDP[$key]=- R_TS[$key]=-
	if [ -f "$file" ] && "$BUILD_DIR/tests/pcapng_dump" "$file" >"$dump" 2>&1; then
		n=$(grep -c '^EPB' "$dump")
		R_FRAMES[$key]=$n
		R_XDP[$key]=$(xdp_how "$(idb_field "$dump" 'xdp [a-z]+ \(([^()]|\([^()]*\))*\)')")
		R_AFXDP[$key]=$(idb_field "$dump" 'af_xdp [a-z-]+' | sed 's/^af_xdp //')
		[ -n "${R_AFXDP[$key]}" ] || R_AFXDP[$key]=$(idb_field "$dump" 'bpf ring buffer' | sed 's/.*/ring buffer/')
		R_TS[$key]=$(idb_field "$dump" 'timestamps (by the nic \([^)]*\)|at the [a-z ]+ \([a-z]+\)|per batch of frames \([a-z]+\))' |
			sed -E 's/^timestamps (by the |at the )?//')
		grep -m1 '^IDB' "$dump" | grep -oE '(description|comment)="[^"]*"' | sed "s/^/$label $c: /" >>"$WORK/idb.txt"
	elif [ -f "$file" ]; then
		why="the file does not read: $(tail -1 "$dump")"
	fi
	[ -n "${R_XDP[$key]}" ] || R_XDP[$key]=-
	# No file to say how: at least whether the XDP program went on.
	if [ "${R_XDP[$key]}" = - ] && grep -q 'XDP attach refused' "$dir/$c.stderr" 2>/dev/null; then
		R_XDP[$key]="attach refused"
	fi
	[ -n "${R_AFXDP[$key]}" ] || R_AFXDP[$key]=-
	[ -n "${R_TS[$key]}" ] || R_TS[$key]=-

	if [ -z "$why" ] && [ -z "$rc" ]; then
		why="the case did not finish in the guest"
	elif [ -z "$why" ] && [ "$rc" = no-nic ]; then
		why="the guest found no NIC with the case's MAC address"
	elif [ -z "$why" ] && [ "$rc" != 0 ]; then
		why="vpncap exited with $rc"
	fi
	if [ -z "$why" ] && [ ! -f "$file" ]; then
		why="no file"
	fi
	if [ -z "$why" ]; then
		case $c in
		inline)
			nin=$(grep '^EPB' "$dump" | grep -cE 'flags=0x[0-9a-f]*[159d]( |$)')
			nout=$(grep '^EPB' "$dump" | grep -cE 'flags=0x[0-9a-f]*[26ae]( |$)')
			R_FRAMES[$key]="$n ($nin in, $nout out)"
			detail=" ($nin in, $nout out)"
			[ "$nin" = "$FRAMES" ] && [ "$nout" = "$FRAMES" ] ||
				why="$nin inbound and $nout outbound frames, not $FRAMES and $FRAMES"
			;;
		*)
			[ "$n" = "$FRAMES" ] || why="$n frames, not $FRAMES"
			;;
		esac
	fi
	if [ -z "$why" ] && [ "$c" = zerocopy ]; then
		want=copy
		case ${KVER_OF[$label]} in [0-6].*|7.[01].*) ;; *) want=zero-copy ;; esac
		[ "${R_AFXDP[$key]}" = "$want" ] || why="AF_XDP ${R_AFXDP[$key]}, expected $want on ${KVER_OF[$label]}"
	fi
	if [ -z "$why" ] && grep -q 'prog/xdp' "$dir/$c.after" 2>/dev/null; then
		why="an XDP program is left on the NIC after vpncap ended: $(grep -o 'prog/xdp.*' "$dir/$c.after" | head -1)"
	fi
	if [ -z "$why" ] && [ "$c" = perbatch ] && [ "${R_TS[$key]}" != "per batch of frames (software)" ]; then
		why="timestamps ${R_TS[$key]}, expected per batch of frames (software)"
	fi
	if [ -z "$why" ] && [ "$c" = robpffs ] && [ "${R_XDP[$key]#native, }" = dispatcher ]; then
		why="attached through libxdp's dispatcher although bpffs was read-only"
	fi
	if [ -z "$why" ] && [ "$c" = trylibxdp ]; then
		# Linux 6.12 refuses the dispatcher an extension that moves packet data.
		want=dispatcher
		case ${KVER_OF[$label]} in [0-5].*|6.[0-9].*|6.1[01].*) ;; *) want=direct ;; esac
		[ "${R_XDP[$key]#native, }" = "$want" ] ||
			why="attached as '${R_XDP[$key]}', expected native, $want on ${KVER_OF[$label]}"
	fi
	if [ -z "$why" ] && [ "$c" = twoqueue ]; then
		q0=$(grep -c '^EPB.* queue=0\b' "$dump")
		q1=$(grep -c '^EPB.* queue=1\b' "$dump")
		R_FRAMES[$key]="$n (q0 $q0, q1 $q1)"
		detail=" (queue 0: $q0, queue 1: $q1)"
		[ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] ||
			why="frames from queue 0: $q0, queue 1: $q1 (both expected; the guest's NIC has $(rx_queues_seen) RX queues)"
	fi
	verdict "$key" "$dir/$c.stderr" "$n frames$detail, xdp ${R_XDP[$key]}, af_xdp ${R_AFXDP[$key]}, vpncap exit 0"
}

# verdict KEY STDERR TEXT: the case's ok line (KEY: TEXT), or its not ok line
# with $why and the end of vpncap's stderr.
verdict() {
	local key=$1 stderr=$2
	if [ -z "$why" ]; then
		R_OK[$key]=ok
		ok "$key: $3"
		return
	fi
	R_OK[$key]="not ok"
	fail "$key: $why"
	if [ -s "$stderr" ]; then
		note "$key: last lines of vpncap's stderr:"
		grep -v '^libbpf: \|^libxdp: ' "$stderr" | tail -8 | indent
		grep -E 'verifier|not supported|refused|error|invalid|EINVAL|EOPNOTSUPP' "$stderr" |
			grep -E '^lib(bpf|xdp): ' | tail -6 | indent
	fi
}

# The link each host-use case builds, as vpncap must name it.
hostuse_why() {
	case $1 in
	hostuse-vlan) echo "it is the lower device of VLAN hu.$HOSTUSE_VLAN" ;;
	hostuse-bond) echo "it is a port of bond hubond" ;;
	hostuse-team) echo "it is a port of team huteam" ;;
	hostuse-ipvlan) echo "it is the lower device of ipvlan huipv" ;;
	hostuse-vrf) echo "it is a port of VRF huvrf" ;;
	esac
}

# check_hostuse LABEL CASE: bypass refused, auto chose inline and said why,
# the guest's UDP layer got every datagram, and so did the capture.
check_hostuse() {
	local label=$1 c=$2 dir=$WORK/out/$1/${KVER_OF[$1]} key="$1 $2" why="" rc rrc udp nin=0 reason
	local dump=$WORK/dump-$1-$2.txt
	reason=$(hostuse_why "$c")
	rc=$(cat "$dir/$c.rc" 2>/dev/null)
	rrc=$(cat "$dir/$c.refused-rc" 2>/dev/null)
	udp=$(cat "$dir/$c.udp" 2>/dev/null)
	R_RC[$key]=${rc:-none} R_XDP[$key]=- R_AFXDP[$key]=- R_TS[$key]=-
	if [ -f "$dir/$c.pcapng" ] && "$BUILD_DIR/tests/pcapng_dump" "$dir/$c.pcapng" >"$dump" 2>&1; then
		nin=$(grep '^EPB' "$dump" | grep -cE 'flags=0x[0-9a-f]*[159d]( |$)')
		R_XDP[$key]=$(xdp_how "$(idb_field "$dump" 'xdp [a-z]+ \(([^()]|\([^()]*\))*\)')")
		R_AFXDP[$key]=$(idb_field "$dump" 'bpf ring buffer' | sed 's/.*/ring buffer/')
	fi
	R_FRAMES[$key]="$nin in; udp ${udp:-?}"
	if [ -z "$rc" ]; then
		why="the case did not finish in the guest"
	elif [ "$rc" = setup-failed ]; then
		why="the guest could not build the link: $(grep -v '^ ' "$dir/$c.setup" | head -2 | tr '\n' ' ')"
	elif [ "$rrc" != 2 ] || ! grep -q "$reason, so the host may need its traffic" "$dir/$c.refused"; then
		why="--mode bypass not refused with the reason (exit $rrc: $(head -1 "$dir/$c.refused"))"
	elif ! grep -q "^vpncap: [^:]*: --mode auto chose inline: $reason" "$dir/$c.stderr"; then
		why="--mode auto did not choose inline for '$reason': $(grep -m1 'mode auto' "$dir/$c.stderr")"
	elif [ "$rc" != 0 ]; then
		why="vpncap exited with $rc"
	elif [ "$udp" != "$FRAMES" ]; then
		why="$udp of $FRAMES datagrams reached the guest's UDP layer"
	elif [ "$nin" != "$FRAMES" ]; then
		why="the capture has $nin of $FRAMES datagrams"
	elif grep -q 'prog/xdp' "$dir/$c.after" 2>/dev/null; then
		why="an XDP program is left on the NIC after vpncap ended"
	fi
	verdict "$key" "$dir/$c.stderr" \
		"bypass refused, auto chose inline ($reason), $udp of $FRAMES datagrams reached the host, $nin captured"
}

# What the guest said about its two-queue NIC (MATRIX NICS ... rx queues of IF: N).
rx_queues_seen() {
	grep -ao 'rx queues of [^:]*: [0-9]*' "$SERIAL" | tail -1 | sed 's/.*: //'
}

not_run() { # not_run LABEL REASON: every case of a kernel that could not run them
	local c key
	for c in $(cases_of "$1"); do
		key="$1 $c"
		R_FRAMES[$key]=- R_XDP[$key]=- R_AFXDP[$key]=- R_TS[$key]=- R_RC[$key]=- R_OK[$key]="not run"
		fail "$1 $c: not run: $2"
	done
}

report_guest() { # what the guest said about its NICs, and kernel warnings
	local label=$1 dir=$WORK/out/$1/${KVER_OF[$1]}
	grep -a 'MATRIX NICS' "$SERIAL" | tr -d '\r' | sed "s/^.*MATRIX NICS/$label: NICs/" | indent
	grep -E '^eth[0-9]: driver' "$dir/info.txt" 2>/dev/null | indent
	grep -E 'XDP|xdp|xsk|BUG|WARNING|Oops|segfault|bpf' "$dir/dmesg.txt" 2>/dev/null |
		grep -vE 'PF_XDP protocol family|LSM: initializing' | sort -u | head -10 | indent
	# How the captures were set up (which AF_XDP mode bound, XDP attach,
	# tcx or clsact, timestamps): vpncap's own lines, not libbpf's.
	grep -hE '^vpncap: .*(zero-copy|XDP attach|tcx|clsact|timestamps unavailable)' "$dir"/*.stderr 2>/dev/null |
		sort -u | cut -c1-200 | head -10 | indent
}

print_table() {
	local label c key fmt='# %-6s %-20s %-9s %-7s %-18s %-18s %-11s %-26s %s\n'
	echo "#"
	echo "# results per kernel"
	# shellcheck disable=SC2059 # the format is ours
	printf "$fmt" kernel release case result frames "xdp attach" af_xdp timestamps "vpncap exit"
	for label in $KERNELS; do
		for c in $(cases_of "$label"); do
			key="$label $c"
			# shellcheck disable=SC2059
			printf "$fmt" "$label" "${KVER_OF[$label]:-none}" "$c" "${R_OK[$key]:-not run}" \
				"${R_FRAMES[$key]:--}" "${R_XDP[$key]:--}" "${R_AFXDP[$key]:--}" \
				"${R_TS[$key]:--}" "${R_RC[$key]:--}"
		done
	done
	if [ -s "$WORK/idb.txt" ]; then
		echo "# xdp attach: dispatcher = libxdp's dispatcher, direct = a single program attached without it, libxdp alone = libxdp attached it without its dispatcher"
		echo "# the files' interface descriptions (and comments), as vpncap wrote them:"
		indent <"$WORK/idb.txt"
	fi
}

# --- main --------------------------------------------------------------------------

main() {
	local cached root t label c
	[ "$(id -u)" = 0 ] || abort "runs as root"
	if [ ! -x "$BUILD_DIR/vpncap" ] || [ ! -x "$BUILD_DIR/tests/pcapng_dump" ]; then
		abort "$BUILD_DIR has vpncap and tests/pcapng_dump"
	fi
	ensure_host_tools || abort "host tools installed"
	WORK=$(mktemp -d /var/tmp/vpncap-matrix.XXXXXX)

	t=$SECONDS
	cached=$(vm_cached_root "$ROOT_CACHE") || abort "Debian 12 root file system built"
	note "root file system ready in $((SECONDS - t)) s: $cached"

	t=$SECONDS
	root=$WORK/root
	if ! { cp -a "$cached" "$root" && install_vpncap "$root" && install_init "$root"; }; then
		abort "vpncap and the init script installed into a copy of the root"
	fi
	note "root copied and vpncap installed in $((SECONDS - t)) s"

	t=$SECONDS
	fetch_all "$root"
	note "kernels ready in $((SECONDS - t)) s:${READY:- none}"

	if [ -z "$READY" ]; then
		for label in $KERNELS; do not_run "$label" "no kernel (${FETCH_NOTE[$label]:-unknown label})"; done
		print_table
		summary
		exit 1
	fi

	t=$SECONDS
	prepare_image "$root" || abort "disk image built"
	note "disk image ready in $((SECONDS - t)) s ($(du -sh --apparent-size "$WORK/disk.img" | cut -f1))"

	make_namespace || abort "isolated network namespace with taps ${TAP[*]}"
	for label in $KERNELS; do
		case " $READY " in
		*" $label "*) ;;
		*) not_run "$label" "no kernel (${FETCH_NOTE[$label]:-unknown label})"; continue ;;
		esac
		# A boot restarted after a stall costs STALL_TIMEOUT more.
		if [ $((SECONDS - START + $(boot_timeout "$label") + STALL_TIMEOUT)) -gt "$BUDGET" ]; then
			not_run "$label" "the run's time budget ($BUDGET s) would be exceeded"
			continue
		fi
		boot "$label" || { not_run "$label" "the guest did not start its init script"; continue; }
		if ! collect "$label"; then
			not_run "$label" "no results in the guest's disk ($RESULTS/${KVER_OF[$label]})"
			continue
		fi
		report_guest "$label"
		for c in $CASES; do check_case "$label" "$c"; done
		if runs_hostuse "$label"; then
			for c in $HOSTUSE_CASES; do check_hostuse "$label" "$c"; done
		fi
	done

	print_table
	note "total $((SECONDS - START)) s"
	summary
	[ "$FAILED" = 0 ]
}

main

# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Throw-away lab: two network namespaces joined by a veth pair.
#   $LAB_GEN ($LAB_GEN_IF)  --veth-->  $LAB_CAP ($LAB_CAP_IF)
# The generator side sends crafted frames (scripts/lab_traffic.py); the
# capture side has no IP address, like a SPAN or TAP port. Names are unique
# per lab so parallel runs never collide; lab_down removes everything.
# Source this file, call lab_up, and set `trap lab_down EXIT`.

LAB_PY=/usr/bin/python3   # Debian's python, which has python3-scapy

lab_up() {
	local id
	id=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
	LAB_GEN=vpncap-gen-$id
	LAB_CAP=vpncap-cap-$id
	LAB_GEN_IF=vg$id
	LAB_CAP_IF=vc$id
	ip netns add "$LAB_GEN" || return 1
	ip netns add "$LAB_CAP" || return 1
	# No IPv6 housekeeping frames (RS, DAD, MLD): counts in tests stay exact.
	for ns in "$LAB_GEN" "$LAB_CAP"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	# LAB_QUEUES=N: N queues each way on both ends (multi-queue capture).
	# shellcheck disable=SC2086 # $queues is several words or none
	local queues=${LAB_QUEUES:+numtxqueues $LAB_QUEUES numrxqueues $LAB_QUEUES}
	ip -n "$LAB_GEN" link add "$LAB_GEN_IF" $queues type veth peer name "$LAB_CAP_IF" \
		$queues netns "$LAB_CAP" || return 1
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" up || return 1
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" up || return 1
	ip -n "$LAB_GEN" link set lo up
	ip -n "$LAB_CAP" link set lo up
	LAB_CAP_MAC=$(ip -n "$LAB_CAP" -o link show "$LAB_CAP_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	export LAB_GEN LAB_CAP LAB_GEN_IF LAB_CAP_IF LAB_CAP_MAC
}

lab_down() {
	local ino
	# vpncap's per-interface lock files name the namespace by its inode.
	if [ -n "${LAB_CAP:-}" ] && ino=$(stat -L -c %i "/run/netns/$LAB_CAP" 2>/dev/null); then
		rm -f /run/vpncap/"$ino"-*  # locks, hits and counters of our captures
	fi
	[ -n "${LAB_GEN:-}" ] && ip netns del "$LAB_GEN" 2>/dev/null
	[ -n "${LAB_CAP:-}" ] && ip netns del "$LAB_CAP" 2>/dev/null
	LAB_GEN= LAB_CAP=
	return 0
}

# lab_send ARGS...: run the traffic generator in the generator namespace.
lab_send() {
	ip netns exec "$LAB_GEN" "$LAB_PY" "$(dirname "${BASH_SOURCE[0]}")/lab_traffic.py" \
		--iface "$LAB_GEN_IF" --dst-mac "$LAB_CAP_MAC" "$@"
}

# lab_in_cap CMD...: run a command in the capture namespace (with its own bpffs).
lab_in_cap() {
	ip netns exec "$LAB_CAP" "$@"
}

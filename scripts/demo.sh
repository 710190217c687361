#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vpncap's main job, from a fresh Debian 12 machine (as root):
#   scripts/demo.sh                  build, then capture in a throw-away lab
#   scripts/demo.sh IFACE [OPTS...]  build, then capture on IFACE until Ctrl-C
#
# The lab is two network namespaces joined by a veth pair: one side sends
# IKEv2 (UDP 500 and 4500, with VLAN and QinQ variants), SSTP (TCP 443, both
# directions) and unrelated traffic (DNS, HTTP, ICMP); vpncap captures on the
# other side and the result is printed with tshark. The lab is removed on exit.
# The capture file is kept: ./vpncap-lab.pcapng (or VPNCAP_OUT).
# VPNCAP_BIN=PATH uses that vpncap as it is: no package check, no build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VPNCAP_BUILD_DIR:-$top/build}
out=${VPNCAP_OUT:-$PWD/vpncap-lab.pcapng}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (XDP, AF_XDP and namespaces need it)" >&2
	exit 1
fi

build_vpncap() {
	local buildlog
	bash "$top/scripts/setup-deps.sh" >/dev/null
	# The build's own chatter (bpftool's notes on sections it skips) only if it fails.
	buildlog=$(mktemp)
	if ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
		cmake --build "$build" -j "$(nproc)"; } >"$buildlog" 2>&1; then
		cat "$buildlog" >&2
		rm -f "$buildlog"
		echo "demo: the build failed" >&2
		exit 1
	fi
	rm -f "$buildlog"
}

if [ -n "${VPNCAP_BIN:-}" ]; then
	vpncap=$VPNCAP_BIN
else
	build_vpncap
	vpncap=$build/vpncap
fi

show() {
	echo
	echo "== what was captured ($1), as tshark reads it:"
	tshark -r "$1" 2>/dev/null
	echo
	echo "== per protocol:"
	tshark -r "$1" -q -z io,phs 2>/dev/null | sed -n '/^eth/,/^=/p' | grep -v '^='
	echo
	echo "== the same file decoded by vpncap itself (vpncap show; times in UTC):"
	"$vpncap" show "$1"
	echo
	echo "== and summarised for troubleshooting (vpncap report):"
	"$vpncap" report "$1"
}

if [ $# -gt 0 ]; then
	iface=$1; shift
	echo "== capturing on $iface into $out; Ctrl-C to stop"
	rc=0
	"$vpncap" capture -i "$iface" -w "$out" "$@" || rc=$?
	[ -s "$out" ] && show "$out"
	exit $rc
fi

# shellcheck source=lab.sh
. "$top/scripts/lab.sh"
vpid=
# Runs whatever failed: nothing in it may end it before the lab is removed
# (set -e would, at the first command that fails, lab_down's own included).
finish() {
	set +e
	if [ -n "$vpid" ]; then
		kill "$vpid" 2>/dev/null || true
		wait "$vpid" 2>/dev/null || true
	fi
	lab_down
}
trap finish EXIT

lab_up
echo "== lab: $LAB_GEN ($LAB_GEN_IF) --veth--> $LAB_CAP ($LAB_CAP_IF, no IP: a capture port)"
ip netns exec "$LAB_CAP" "$vpncap" capture -i "$LAB_CAP_IF" -w "$out" --duration 30 &
vpid=$!
for _ in $(seq 1 100); do
	ip -n "$LAB_CAP" link show "$LAB_CAP_IF" | grep -q xdp && break
	if ! kill -0 "$vpid" 2>/dev/null; then
		rc=0
		wait "$vpid" || rc=$?
		vpid=
		echo "demo: the capture did not start (vpncap exit status $rc; its message is above)" >&2
		exit 1
	fi
	sleep 0.1
done
sleep 0.3
echo "== sending: 2 frames of each class"
lab_send --per-class 2 | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for name, n in d["per_class"].items():
    print("   %-22s %d" % (name, n))
print("   %d frames sent, %d of them VPN traffic vpncap should keep" % (d["sent"], d["matching"]))'
sleep 0.5
kill -INT "$vpid"
wait "$vpid"
vpid=
show "$out"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: --mode auto never takes traffic the host needs. The capture
# port ($LAB_CAP_IF) has no address of its own in every case, yet the host
# uses it: as a port of a bridge that holds the gateway's address, as the
# lower device of a macvlan that does, through a route, and by joining a
# bridge while vpncap captures on it. Each time the gateway's own UDP 500
# listener must receive every datagram its peer sends, and the capture must
# still have them. --mode bypass on such a port is refused with the reason
# unless --force-bypass is given (then the host gets nothing: what the
# refusal protects against), and a bypass capture says that other captures
# will not see the matched frames, at start and in `vpncap list`.
# VLAN, bond, team, ipvlan and VRF links need modules this kernel lacks:
# tests/kernels/kernel-matrix.sh checks them in its guests.
# usage: host_traffic.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init host_traffic "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR"

GW=198.18.40.1 PEER=198.18.40.2 N=10

# host_gets MARKER: N datagrams from the peer to the gateway's UDP 500
# listener; prints how many the listener received.
host_gets() {
	local out=$WORK/recv-$1 pid
	ip netns exec "$LAB_CAP" "$LAB_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$GW', 500)); s.settimeout(3)
print('ready', flush=True)
n = 0
try:
    while n < $N:
        if s.recv(2048).startswith(b'$1-'): n += 1
except socket.timeout:
    pass
print(n)" >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
	ip netns exec "$LAB_GEN" "$LAB_PY" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$PEER', 500))
for i in range($N):
    s.sendto(b'$1-%d' % i, ('$GW', 500)); time.sleep(0.01)"
	wait "$pid"
	tail -1 "$out"
}

# tcpdump on the port while the host's listener is fed: what another
# capture sees. tcpdump_start NAME, then tcpdump_seen NAME MARKER.
TCPDUMP_PID=
tcpdump_start() {
	: >"$WORK/$1.tcpdump.log"
	ip netns exec "$LAB_CAP" tcpdump -Z root --immediate-mode -i "$LAB_CAP_IF" -n -U -w "$WORK/$1.tcpdump" udp port 500 \
		>"$WORK/$1.tcpdump.log" 2>&1 &
	TCPDUMP_PID=$!
	for _ in $(seq 50); do grep -q 'listening on' "$WORK/$1.tcpdump.log" && break; sleep 0.1; done
}
tcpdump_seen() {
	sleep 0.3
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
	frames "$WORK/$1.tcpdump" "$2"
}
stop_tcpdump() { [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null; }
e2e_on_exit stop_tcpdump

# frames FILE MARKER: the datagrams of MARKER in a capture file.
frames() { tshark -r "$1" -Y "udp.port == 500 and udp contains \"$2-\"" 2>/dev/null | wc -l; }

port_reset() { # the port back to a plain capture port
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" nomaster 2>/dev/null
	ip -n "$LAB_CAP" link del hbr0 2>/dev/null
	ip -n "$LAB_CAP" link del hbr1 2>/dev/null
	ip -n "$LAB_CAP" link del hmv0 2>/dev/null
	ip -n "$LAB_CAP" route flush dev "$LAB_CAP_IF" 2>/dev/null
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" up
}

make_bridge() { # make_bridge NAME: a bridge with the gateway's address; the port in it
	ip -n "$LAB_CAP" link add "$1" type bridge &&
		ip -n "$LAB_CAP" link set "$1" up &&
		ip -n "$LAB_CAP" addr add "$GW/24" dev "$1" &&
		ip -n "$LAB_CAP" link set "$LAB_CAP_IF" master "$1"
}

# auto_keeps_traffic NAME WHY: --mode auto on the prepared port chooses
# inline for WHY, and the host and the capture both get every datagram.
auto_keeps_traffic() {
	local name=$1 why=$2 out=$WORK/$1.pcapng log=$WORK/$1.log r rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" ||
		{ fail "$name: did not start: $(cat "$log")"; return; }
	check "$name: --mode auto chose inline, saying why" \
		grep -q "^vpncap: $LAB_CAP_IF: --mode auto chose inline: $why, so matched frames are copied" "$log"
	tcpdump_start "$name"
	r=$(host_gets "$name")
	check "$name: the host's UDP 500 listener got $r of $N" [ "$r" = "$N" ]
	r=$(tcpdump_seen "$name" "$name")
	check "$name: tcpdump on the port saw them too ($r of $N)" [ "$r" = "$N" ]
	sleep 0.3
	stop_capture INT; rc=$?
	check "$name: exit status 0" [ "$rc" -eq 0 ]
	check "$name: the capture has all $N datagrams ($(frames "$out" "$name"))" [ "$(frames "$out" "$name")" -eq "$N" ]
	check "$name: nothing left attached" no_xdp_left
}

case_bridge_port() {
	local log=$WORK/bridge-bypass.log out=$WORK/bridge-forced.pcapng rc r
	make_bridge hbr0 || { fail "bridge: cannot build"; return; }
	auto_keeps_traffic bridge "it is a port of bridge hbr0"

	ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" --mode bypass -w "$WORK/no.pcapng" \
		--duration 5 >"$log" 2>&1; rc=$?
	check "bridge: --mode bypass refused, exit 2 ($rc)" [ "$rc" -eq 2 ]
	check "bridge: one line with the reason and the way out" \
		sh -c "[ \$(wc -l <'$log') -eq 1 ] && grep -q 'it is a port of bridge hbr0, so the host may need its traffic.*--force-bypass' '$log'"
	check "bridge: refused before attaching anything" no_xdp_left

	start_capture "$WORK/bridge-forced.log" -i "$LAB_CAP_IF" --mode bypass --force-bypass -w "$out" ||
		{ fail "bridge: --force-bypass did not start: $(cat "$WORK/bridge-forced.log")"; port_reset; return; }
	check "bridge: --force-bypass warns" grep -q "warning: --force-bypass: it is a port of bridge hbr0" "$WORK/bridge-forced.log"
	check "bridge: bypass says other captures will not see the matched frames" \
		grep -q "bypass: other captures on $LAB_CAP_IF (tcpdump, xdpdump) do not see the matched frames" "$WORK/bridge-forced.log"
	check "bridge: vpncap list shows the bypass capture and what it hides" \
		sh -c "ip netns exec '$LAB_CAP' '$VPNCAP' list | grep -A3 '$LAB_CAP_IF' | grep -q 'bypass: tcpdump and xdpdump here do not see the matched frames'"
	check "bridge: vpncap list --json: capture_mode bypass, hidden_from_other_captures" \
		sh -c "ip netns exec '$LAB_CAP' '$VPNCAP' list --json | python3 -c 'import json,sys; e=[i for i in json.load(sys.stdin)[\"interfaces\"] if i[\"name\"]==\"$LAB_CAP_IF\"][0]; sys.exit(not (e[\"capture_mode\"]==\"bypass\" and e[\"hidden_from_other_captures\"] is True))'"
	tcpdump_start forced
	r=$(host_gets forced)
	check "bridge: with --force-bypass the host gets none of the matched datagrams ($r)" [ "$r" = 0 ]
	r=$(tcpdump_seen forced forced)
	check "bridge: nor does tcpdump on the port, as vpncap said ($r)" [ "$r" = 0 ]
	sleep 0.3
	stop_capture INT
	check "bridge: --force-bypass captured them all ($(frames "$out" forced))" [ "$(frames "$out" forced)" -eq "$N" ]
	port_reset
}

case_macvlan_lower() {
	if ! { ip -n "$LAB_CAP" link add hmv0 link "$LAB_CAP_IF" type macvlan mode bridge &&
		ip -n "$LAB_CAP" addr add "$GW/24" dev hmv0 && ip -n "$LAB_CAP" link set hmv0 up; }; then
		fail "macvlan: cannot build"
		return
	fi
	auto_keeps_traffic macvlan "it is the lower device of macvlan hmv0"
	port_reset
}

case_route() {
	local log=$WORK/route.log
	ip -n "$LAB_CAP" route add 198.18.41.0/24 dev "$LAB_CAP_IF" || { fail "route: cannot add"; return; }
	start_capture "$log" -i "$LAB_CAP_IF" -w "$WORK/route.pcapng" ||
		{ fail "route: did not start: $(cat "$log")"; port_reset; return; }
	check "route: --mode auto chose inline: routes send traffic out of it" \
		grep -q "^vpncap: $LAB_CAP_IF: --mode auto chose inline: routes send traffic out of it" "$log"
	stop_capture INT
	port_reset
}

# The port joins a bridge that holds the gateway's address while vpncap
# captures on it in bypass: within the second, inline.
case_enslaved_later() {
	local log=$WORK/later.log out=$WORK/later.pcapng t0 t1 r
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" ||
		{ fail "later: did not start: $(cat "$log")"; return; }
	check "later: a plain port: --mode auto chose bypass" grep -q "^vpncap: $LAB_CAP_IF: --mode auto chose bypass" "$log"
	check "later: vpncap list shows bypass" sh -c "ip netns exec '$LAB_CAP' '$VPNCAP' list | grep -A3 '$LAB_CAP_IF' | grep -q 'bypass: tcpdump and xdpdump here'"
	t0=$(date +%s%N)
	make_bridge hbr1 || { fail "later: cannot build the bridge"; stop_capture INT; port_reset; return; }
	check "later: switched to inline, saying why" \
		wait_for_line "$log" "^vpncap: $LAB_CAP_IF: it is a port of bridge hbr1 now: --mode auto switched to inline"
	t1=$(date +%s%N)
	check "later: within 2 s ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -le 2000 ]
	check "later: vpncap list no longer says bypass" sh -c "! ip netns exec '$LAB_CAP' '$VPNCAP' list | grep -A3 '$LAB_CAP_IF' | grep -q 'bypass: tcpdump'"
	r=$(host_gets later)
	check "later: the host's UDP 500 listener got $r of $N" [ "$r" = "$N" ]
	sleep 0.3
	stop_capture INT
	check "later: the capture has all $N datagrams ($(frames "$out" later))" [ "$(frames "$out" later)" -eq "$N" ]
	port_reset
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
ip -n "$LAB_GEN" addr add "$PEER/24" dev "$LAB_GEN_IF"
case_bridge_port
case_macvlan_lower
case_route
case_enslaved_later
e2e_finish

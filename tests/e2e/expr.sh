#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tcpdump expressions run in the hooks, checked against tcpdump itself on
# the same live traffic: for each expression, vpncap (inline: the XDP hook
# for frames received, the TC egress hook for frames sent) and tcpdump run
# side by side on the capture port with the same expression, crafted frames
# go both ways (VPN, ARP, ICMP, TCP flags, IPv6, an LLDP frame, fragments),
# and the two files must hold the same frames, byte for byte. vpncap's
# fragment following is off (--fragment-window 0, and no later fragment
# belongs to a matched first one): by default vpncap also takes the later
# fragments of a matched datagram, which tcpdump cannot. VLAN-tagged frames
# are compared in tests/bpf (expr_xlate.sh) on files: on a live port the
# kernel moves a received tag out of the frame for tcpdump, not for XDP.
# Also: an expression filter beside a plain one gets its own hits, and
# --rules all takes every frame, IP or not.
# usage: expr.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init expr "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR"
lab_up || { echo "lab_up failed"; exit 1; }
lab_in_cap mount -t bpf bpf /sys/fs/bpf 2>/dev/null

# The frames: sent from the generator side (received by the capture port)
# and from the capture side (sent by it: TC egress), by scapy's sendp.
cat >"$WORK/frames.py" <<'PY'
import sys
from scapy.all import (Ether, Dot1Q, IP, IPv6, UDP, TCP, ICMP, ARP, Raw, sendp)
iface, peer_mac, side = sys.argv[1], sys.argv[2], sys.argv[3]
a, b = ('198.18.7.2', '198.18.7.1') if side == 'gen' else ('198.18.7.1', '198.18.7.2')
a6, b6 = ('2001:db8:7::2', '2001:db8:7::1') if side == 'gen' else ('2001:db8:7::1', '2001:db8:7::2')
e = Ether(dst=peer_mac)
ike = b'\x00' * 8 + b'\x11' * 8 + b'\x21\x20\x22\x08' + b'\x00' * 8
frames = [
    e / IP(src=a, dst=b) / UDP(sport=500, dport=500) / Raw(ike),
    e / IP(src=a, dst=b) / UDP(sport=4500, dport=4500) / Raw(b'\x00\x00\x00\x00' + ike),
    e / IP(src=a, dst=b) / UDP(sport=4500, dport=4500) / Raw(b'\x01\x02\x03\x04' + b'\x00' * 60),
    e / IP(src=a, dst=b) / UDP(sport=4500, dport=4500) / Raw(b'\xff'),
    e / IP(src=a, dst=b, proto=50) / Raw(b'\x00\x00\x10\x01' + b'\x00' * 40),
    e / IP(src=a, dst=b) / TCP(sport=40000, dport=443, flags='S'),
    e / IP(src=b, dst=a) / TCP(sport=443, dport=40000, flags='SA'),
    e / IP(src=a, dst=b) / TCP(sport=40000, dport=443, flags='A') / Raw(b'\x16\x03\x01' + b'x' * 200),
    e / IP(src=a, dst=b) / TCP(sport=40000, dport=443, flags='R'),
    e / IP(src=a, dst=b) / ICMP(type=8) / Raw(b'p' * 56),
    e / IP(src='198.18.99.9', dst=b) / UDP(sport=53000, dport=53) / Raw(b'q' * 30),
    e / IP(src=a, dst=b, id=555, flags='MF', frag=0) / UDP(sport=500, dport=500) / Raw(b'f' * 100),
    e / IP(src=a, dst=b, id=777, frag=20) / Raw(b'g' * 60),
    e / IPv6(src=a6, dst=b6) / UDP(sport=500, dport=500) / Raw(ike),
    e / IPv6(src=a6, dst=b6) / TCP(sport=40001, dport=443, flags='S'),
    Ether(dst='ff:ff:ff:ff:ff:ff') / ARP(op=1, psrc=a, pdst=b),
    Ether(dst='01:80:c2:00:00:0e', type=0x88cc) / Raw(b'\x02\x07\x04' + b'\x00' * 40),
    e / IP(src=a, dst=b) / UDP(sport=1234, dport=5678) / Raw(b'\x00\x00\x00\x00tail'),
]
sendp(frames, iface=iface, verbose=False)
PY

# The two files' frames as multisets of bytes: "same", or what differs.
cat >"$WORK/same.py" <<'PY'
import sys
from collections import Counter
from scapy.all import rdpcap
ours = Counter(bytes(p) for p in rdpcap(sys.argv[1]))
ref = Counter(bytes(p) for p in rdpcap(sys.argv[2]))
if ours == ref and ref:
    print('same: %d frames' % sum(ref.values()))
    sys.exit(0)
print('differ: vpncap %d, tcpdump %d; only vpncap %d, only tcpdump %d' % (
    sum(ours.values()), sum(ref.values()), sum((ours - ref).values()), sum((ref - ours).values())))
sys.exit(1)
PY

GEN_MAC=$(ip -n "$LAB_GEN" -o link show "$LAB_GEN_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

send_both_ways() {
	ip netns exec "$LAB_GEN" "$LAB_PY" "$WORK/frames.py" "$LAB_GEN_IF" "$LAB_CAP_MAC" gen
	ip netns exec "$LAB_CAP" "$LAB_PY" "$WORK/frames.py" "$LAB_CAP_IF" "$GEN_MAC" cap
}

# compare N EXPR: vpncap and tcpdump, same expression, same frames.
compare() {
	local n=$1 expr=$2 dir=$WORK/c$1 tpid i
	mkdir -p "$dir"
	ip netns exec "$LAB_CAP" tcpdump -i "$LAB_CAP_IF" -U -w "$dir/ref.pcap" "$expr" \
		>"$dir/tcpdump.log" 2>&1 &
	tpid=$!
	for i in $(seq 50); do grep -q 'listening on' "$dir/tcpdump.log" && break; sleep 0.1; done
	if ! start_capture "$dir/cap.log" -i "$LAB_CAP_IF" --mode inline -w "$dir/out.pcapng" \
		--fragment-window 0 --rules "$expr"; then
		kill "$tpid"; wait "$tpid" 2>/dev/null
		fail "expression $n '$expr': capture did not start: $(tail -1 "$dir/cap.log")"
		return
	fi
	send_both_ways
	sleep 1
	stop_capture INT
	kill -INT "$tpid"; wait "$tpid" 2>/dev/null
	if "$LAB_PY" "$WORK/same.py" "$dir/out.pcapng" "$dir/ref.pcap" >"$dir/same.txt" 2>&1; then
		ok "expression '$expr': as tcpdump ($(tail -1 "$dir/same.txt"))"
	else
		fail "expression '$expr': $(tail -1 "$dir/same.txt")"
	fi
}

EXPRS=(
	'udp port 500'
	'udp port 4500 and udp[8:4] = 0'
	'arp'
	'tcp[tcpflags] & tcp-syn != 0'
	'ip6 and (udp or tcp)'
	'not ip and not ip6'
	'host 198.18.7.2 and not tcp'
	'ip proto 50 or (udp port 4500 and greater 80)'
	'ether proto 0x88cc or icmp'
	'ip[6:2] & 0x1fff != 0'
	'net 198.18.99.0/24'
)
n=0
for expr in "${EXPRS[@]}"; do
	n=$((n + 1))
	compare "$n" "$expr"
done

# Expression filters beside a plain one, from filters.conf: each its own
# hits (read live by filter list) and snaplen.
lab_in_cap "$VPNCAP" filter add Esp --expr 'udp port 4500 and udp[8:4] != 0' --snaplen 64 \
	>/dev/null &&
	lab_in_cap "$VPNCAP" filter add NATT -t UDP -p 4500 >/dev/null &&
	lab_in_cap "$VPNCAP" filter add ARPs --expr 'arp' >/dev/null &&
	lab_in_cap "$VPNCAP" filter add Syn --expr 'tcp[tcpflags] & tcp-syn != 0' >/dev/null ||
	fail "filter add with --expr"
start_capture "$WORK/filters.log" -i "$LAB_CAP_IF" --mode inline -w "$WORK/filters.pcapng" \
	--fragment-window 0
send_both_ways
sleep 1
lab_in_cap "$VPNCAP" filter list >"$WORK/list.txt" 2>&1
# Changed while capturing: the new expression runs within a second.
lab_in_cap "$VPNCAP" filter add Icmp --expr 'icmp' >/dev/null
wait_for_line "$WORK/filters.log" "filters: now capturing.*icmp"
send_both_ways
sleep 1
stop_capture INT
icmp=$(tcpdump -nn -r "$WORK/filters.pcapng" icmp 2>/dev/null | wc -l)
[ "$icmp" -eq 2 ] && ok "an expression filter added while capturing took the 2 ICMP frames sent after" ||
	fail "$icmp ICMP frames, expected 2: $(grep filters: "$WORK/filters.log")"
hits() { awk -v n="$1" '$1 == n { print $NF }' "$WORK/list.txt"; }
# libpcap's tcp[] is IPv4 only: 2 SYNs each way, not the IPv6 one.
got="Esp $(hits Esp), NATT $(hits NATT), ARPs $(hits ARPs), Syn $(hits Syn)"
if [ "$got" = "Esp 2, NATT 4, ARPs 2, Syn 4" ]; then
	ok "expression filters beside a plain one, first match wins: hits $got"
else
	fail "expression filters: hits $got, expected Esp 2, NATT 4, ARPs 2, Syn 4: $(cat "$WORK/list.txt")"
fi
cut=$("$DUMP" "$WORK/filters.pcapng" 2>/dev/null | grep -c '^EPB.*caplen=64 origlen=106')
[ "$cut" -eq 4 ] && ok "the expression filter's snaplen cut its frames at 64 bytes (2 each round)" ||
	fail "$cut frames cut at 64 bytes, expected 4"
lab_in_cap "$VPNCAP" filter remove >/dev/null

# A bad expression: one line naming it, exit 2, nothing attached.
out=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" --mode inline -w "$WORK/bad.pcapng" \
	--rules 'udp port 500 and and' 2>&1); rc=$?
if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && no_xdp_left; then
	ok "a bad expression: exit 2, one line ($out)"
else
	fail "a bad expression: rc $rc, output: $out"
fi

# --rules all: every frame both ways, IP or not (36 sent).
start_capture "$WORK/all.log" -i "$LAB_CAP_IF" --mode inline -w "$WORK/all.pcapng" --rules all
send_both_ways
sleep 1
stop_capture INT
frames=$("$DUMP" "$WORK/all.pcapng" 2>/dev/null | grep -c '^EPB')
if [ "$frames" -eq 36 ]; then
	ok "--rules all: all 36 frames, ARP and LLDP included"
else
	fail "--rules all: $frames frames, expected 36"
fi
# Bypass: the expression chain ends in a redirect to the AF_XDP socket.
start_capture "$WORK/bypass.log" -i "$LAB_CAP_IF" --mode bypass -w "$WORK/bypass.pcapng" \
	--fragment-window 0 --rules 'arp or udp port 500'
ip netns exec "$LAB_GEN" "$LAB_PY" "$WORK/frames.py" "$LAB_GEN_IF" "$LAB_CAP_MAC" gen 2>/dev/null
sleep 1
stop_capture INT
frames=$("$DUMP" "$WORK/bypass.pcapng" 2>/dev/null | grep -c '^EPB')
[ "$frames" -eq 4 ] && ok "bypass: 'arp or udp port 500' took its 4 frames" ||
	fail "bypass: $frames frames, expected 4"
no_xdp_left && ok "nothing left attached" || fail "XDP left attached"
e2e_finish

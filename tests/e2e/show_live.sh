#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `vpncap show` on files tcpdump and vpncap themselves wrote of the same
# traffic, next to the file of the frames as sent (scapy): once the columns
# only one of the tools can know (time, interface, queue, direction) are cut
# off, the three views must be the same lines, and equal the golden file.
# usage: show_live.sh PATH/TO/vpncap PATH/TO/pcapng_dump
# VPNCAP_UPDATE_GOLDEN=1 rewrites the golden file from this run.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init show-live "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc TZ=UTC NO_COLOR=1
mkdir -p "$VPNCAP_CONFIG_DIR"
GOLDEN=$HERE/../golden/show_lab.txt
TCPDUMP_PID=
stop_tcpdump() { [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null; }
e2e_on_exit stop_tcpdump

# No VLAN tags (tcpdump's filter would need "vlan") and no IP fragments
# (tcpdump's port filter misses them).
CLASSES=ike-v4,ike-v6,natt-v4,natt-v6,esp-in-udp-v4,ike-v4-options,ike-v6-exthdr,sstp-to-server,sstp-from-server-v6,natt-keepalive-v4

# The decoded part of each line: from the source address on.
decoded() {
	"$VPNCAP" show --no-color "$1" | sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9} ([^ ]+ q[0-9]+ (in |out) )?//'
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
# ip netns exec execs tcpdump: $! is tcpdump itself, which gets the signal.
ip netns exec "$LAB_CAP" tcpdump -Z root -i "$LAB_CAP_IF" -U --immediate-mode -w "$WORK/tcpdump.pcap" \
	'udp port 500 or udp port 4500 or tcp port 443' 2>"$WORK/tcpdump.log" &
TCPDUMP_PID=$!
# Inline, so tcpdump on the same interface sees the frames too.
start_capture "$WORK/vpncap.log" -i "$LAB_CAP_IF" --mode inline -w "$WORK/vpncap.pcapng" ||
	{ fail "vpncap did not start: $(cat "$WORK/vpncap.log")"; e2e_finish; exit; }
sleep 1 # tcpdump is listening by now
lab_send --per-class 3 --classes "$CLASSES" --save-matching "$WORK/sent.pcap" >/dev/null
sleep 0.5
stop_capture INT
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID"; TCPDUMP_PID=

decoded "$WORK/sent.pcap" >"$WORK/sent.txt"
decoded "$WORK/tcpdump.pcap" >"$WORK/tcpdump.txt"
decoded "$WORK/vpncap.pcapng" >"$WORK/vpncap.txt"
check "30 frames sent and shown" [ "$(wc -l <"$WORK/sent.txt")" -eq 30 ]
# tcpdump's "udp port 500" cannot see past IPv6 extension headers: it misses
# the three IKE_SA_INIT over IPv6 with hop-by-hop and destination options
# (134 bytes), which vpncap's classifier walks.
grep -v '^\[2001:db8:1::10\]:500 > .* IKE_SA_INIT .*(134 bytes)$' "$WORK/sent.txt" >"$WORK/sent-tcpdump.txt"
check "tcpdump's file shows the same lines as what was sent, but for IPv6 with extension headers (27 of 30)" \
	sh -c "[ \$(wc -l <'$WORK/tcpdump.txt') -eq 27 ] && diff -u '$WORK/sent-tcpdump.txt' '$WORK/tcpdump.txt'"
check "vpncap's file shows the same lines as what was sent" diff -u "$WORK/sent.txt" "$WORK/vpncap.txt"
check "vpncap's lines carry interface, queue and direction" \
	sh -c "[ \$('$VPNCAP' show --no-color '$WORK/vpncap.pcapng' | grep -c ' $LAB_CAP_IF q[0-9]* in  ') -eq 30 ]"
if [ "${VPNCAP_UPDATE_GOLDEN:-}" = 1 ]; then
	cp "$WORK/sent.txt" "$GOLDEN"
fi
check "the lines equal the golden file" diff -u "$GOLDEN" "$WORK/vpncap.txt"
e2e_finish

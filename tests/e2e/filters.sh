#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of named filters and the VPN-aware classifier on a real
# veth pair: 4000-byte IKE messages fragmented over IPv4 and IPv6, in order
# and with the first fragment last, compared with tcpdump 'udp port 500' on
# the same traffic; filters changed during a capture; the classes on UDP
# 4500; a filter's own snaplen; PktMon's commands of the Always On VPN
# article as typed there, and `filter list` showing the exact hits at once
# (read live from the classifier, not from the .hits files of a second ago).
# usage: filters.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init filters "$1" "$2"
TCPDUMP_PID=
stop_tcpdump() { [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null; }
e2e_on_exit stop_tcpdump
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR"

filter() { "$VPNCAP" filter "$@"; }

count() { # count FILE [DISPLAY FILTER]
	tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null | wc -l
}

case_fragments() {
	local out=$WORK/frag.pcapng td=$WORK/tcpdump.pcap log=$WORK/frag.log sent v4 v6 td_frames
	filter add --preset aovpn >/dev/null || { fail "fragments: preset"; return; }
	# tcpdump as an admin would run it, on the sending side (vpncap takes the frames on the other).
	ip netns exec "$LAB_GEN" tcpdump -i "$LAB_GEN_IF" -w "$td" -U 'udp port 500' 2>/dev/null &
	TCPDUMP_PID=$!
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "fragments: did not start: $(cat "$log")"; return; }
	sleep 1
	sent=$(lab_send --per-class 5 --classes ike-frag-v4,ike-frag-v6,ike-frag-v4-reversed,ike-frag-v6-reversed)
	sleep 1
	stop_capture INT
	kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=
	check "fragments: every fragment captured ($(count "$out") of 70)" [ "$(count "$out")" -eq 70 ]
	v4=$(count "$out" 'isakmp and ip and udp.length > 3000')
	v6=$(count "$out" 'isakmp and ipv6 and udp.length > 3000')
	check "fragments: tshark reassembles all 10 IPv4 messages ($v4)" [ "$v4" -eq 10 ]
	check "fragments: tshark reassembles all 10 IPv6 messages ($v6)" [ "$v6" -eq 10 ]
	check "fragments: counted as fragments and early fragments in the ISB" \
		sh -c "'$DUMP' '$out' | grep -q 'fragments [1-9][0-9]*, early fragments [1-9]'"
	td_frames=$(count "$td")
	check "tcpdump 'udp port 500' on the same traffic misses fragments ($td_frames of 70)" [ "$td_frames" -lt 70 ]
	echo "# fragments of 20 IKE messages of 4000 bytes (+10 small): vpncap $(count "$out"), tcpdump 'udp port 500' $td_frames, reassembled by tshark from vpncap's file: IPv4 $v4/10, IPv6 $v6/10; from tcpdump's: $(count "$td" 'isakmp and udp.length > 3000')/20"
	filter remove --all >/dev/null
}

case_live_change() {
	local out=$WORK/live.pcapng log=$WORK/live.log
	filter add IKEv2 -t udp -p 500 >/dev/null || { fail "live: filter add"; return; }
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "live: did not start: $(cat "$log")"; return; }
	lab_send --per-class 5 --classes ike-v4,natt-v4 --first-seq 0 >/dev/null
	filter add NAT-T -t udp -p 4500 >/dev/null
	sleep 1
	lab_send --per-class 5 --classes natt-v4 --first-seq 100 >/dev/null
	sleep 0.3
	filter remove IKEv2 >/dev/null
	sleep 1
	lab_send --per-class 5 --classes ike-v4 --first-seq 200 >/dev/null
	sleep 0.3
	stop_capture INT
	check "live: added filter applies within a second (5 NAT-T after, none before)" [ "$(count "$out" 'udp.port==4500')" -eq 5 ]
	check "live: removed filter stops within a second (5 IKE before, none after)" [ "$(count "$out" 'udp.port==500')" -eq 5 ]
	check "live: the log says what is captured now" grep -q 'filters: now capturing NAT-T: udp port 4500' "$log"
	filter remove --all >/dev/null
}

case_classes_and_snaplen() {
	local out=$WORK/class.pcapng log=$WORK/class.log
	filter add Keepalives -t udp -p 4500 --class keepalive >/dev/null &&
		filter add ESP -t udp -p 4500 --class esp --snaplen 64 >/dev/null &&
		filter add IKE -t udp -p 4500 --class ike >/dev/null || { fail "classes: filter add"; return; }
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "classes: did not start: $(cat "$log")"; return; }
	lab_send --per-class 4 --classes natt-keepalive-v4,esp-in-udp-v4,natt-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "classes: 12 frames on 4500 captured" [ "$(count "$out")" -eq 12 ]
	check "classes: ESP-in-UDP cut to the filter's snaplen of 64" [ "$(count "$out" 'esp and frame.cap_len == 64')" -eq 4 ]
	check "classes: IKE on 4500 kept whole" [ "$(count "$out" 'isakmp and frame.cap_len == frame.len')" -eq 4 ]
	check "classes: keepalives kept" [ "$(count "$out" 'udp.length == 9')" -eq 4 ]
	filter remove --all >/dev/null

	filter add OnlyKeepalives -t udp -p 4500 --class keepalive >/dev/null
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "keepalive only: did not start"; return; }
	lab_send --per-class 4 --classes natt-keepalive-v4,esp-in-udp-v4,natt-v4 >/dev/null
	sleep 1.3   # the capture publishes hits once a second
	check "filter list shows hits of the running capture" \
		sh -c "'$VPNCAP' filter list | awk '\$1 == \"OnlyKeepalives\" {print \$NF}' | grep -qx 4"
	stop_capture INT
	check "classes: --class keepalive takes only the 4 keepalives" [ "$(count "$out")" -eq 4 ]
	filter remove --all >/dev/null
}

# hits FILTER-LIST-OUTPUT ROW: the HITS column of the ROW-th filter row (1 = first).
hits_of() { printf '%s\n' "$1" | awk -v row="$2" 'NR == row + 1 {print $NF}'; }

case_pktmon_article() {
	local out=$WORK/article.pcapng log=$WORK/article.log list i=0 want
	# The article's commands exactly (its addresses moved into 198.18.0.0/15)
	filter add IKEv2 -t UDP -p 500 >/dev/null &&
		filter add IKEv2 -t UDP -p 4500 >/dev/null &&
		filter add VPN1 -i 198.18.12.50 >/dev/null &&
		filter add Subnet1 -i 198.18.0.0/16 >/dev/null || { fail "article: filter add"; return; }
	list=$(filter list)
	check "article: filter list shows the four filters, IKEv2 twice" \
		[ "$(printf '%s\n' "$list" | awk '$1 == "IKEv2"' | wc -l)" -eq 2 ]
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "article: did not start: $(cat "$log")"; return; }
	# 7 on udp 500 (5 IPv4, 2 IPv6), 6 on udp 4500, 9 others from 198.18.0.10 (Subnet1)
	lab_send --per-class 5 --classes ike-v4 >/dev/null
	lab_send --per-class 2 --classes ike-v6 >/dev/null
	lab_send --per-class 6 --classes natt-v4 >/dev/null
	lab_send --per-class 3 --classes dns,http,icmp >/dev/null
	# At once: well inside the second a capture takes to publish its .hits file
	want="7 6 0 9"
	while :; do
		list=$(filter list)
		[ "$(hits_of "$list" 1) $(hits_of "$list" 2) $(hits_of "$list" 3) $(hits_of "$list" 4)" = "$want" ] && break
		i=$((i + 1)); [ $i -ge 5 ] && break
		sleep 0.05
	done
	echo "# filter list right after the traffic (try $((i + 1))):"; printf '%s\n' "$list" | sed 's/^/# /'
	check "article: filter list at once: IKEv2 7 and 6, VPN1 0, Subnet1 9 (as sent)" \
		[ "$(hits_of "$list" 1) $(hits_of "$list" 2) $(hits_of "$list" 3) $(hits_of "$list" 4)" = "$want" ]
	check "article: the hits are read live from the classifier" \
		sh -c "printf '%s\n' \"\$1\" | grep -q '^hits: live from the classifier of 1 running capture interface'" _ "$list"
	check "article: --json says live too" \
		sh -c "'$VPNCAP' filter list --json | grep -c '\"hits_source\": \"live\"' | grep -qx 4"
	stop_capture INT
	check "article: the capture holds the 22 frames" [ "$(count "$out")" -eq 22 ]
	check "article: without a capture, no hits" \
		sh -c "'$VPNCAP' filter list | grep -q '^hits: none'"
	# PktMon's `filter remove`: ALL filters
	check "article: filter remove removes all four" \
		sh -c "'$VPNCAP' filter remove | grep -qx 'removed 4 filters'"
	check "article: none left" sh -c "'$VPNCAP' filter list | grep -q '^no filters'"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_fragments
case_live_change
case_classes_and_snaplen
case_pktmon_article
e2e_finish

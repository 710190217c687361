#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: vpncap --mode inline on the interface of a VPN gateway that
# carries its addresses, with real VPN peers on both ends.
# usage: vpn_peers.sh PATH/TO/vpncap PATH/TO/pcapng_dump
#
#   namespace I (client)                      namespace R (gateway)
#   $I_IF 198.18.1.2/24  <------ veth ------>  $R_IF 198.18.1.1/24  <- vpncap inline
#   lo    198.18.20.1/32                       lo    198.18.10.1/32
#
# 1. IKEv2: strongSwan (charon + swanctl, PSK made at test time) responder in
#    R, initiator in I. The kernel has no ESP, so charon uses its userspace
#    backend (kernel-libipsec), which always encapsulates ESP in UDP 4500.
#    vpncap must capture IKE_SA_INIT and IKE_AUTH (request in, response out),
#    ESP both ways (as many as the CHILD_SA counted), while a ping between
#    the tunnelled subnets goes through. Then again with an MTU of 256, so
#    that the IKE messages travel in IP fragments both ways.
# 2. SSTP: sstpc in I against a TLS server on TCP 443 in R (openssl s_server
#    -rev with a certificate made at test time; it is no SSTP server, so
#    sstpc gives up after its HTTP request). vpncap must capture the TCP and
#    TLS handshakes in both directions.
# Both parts also run tcpdump on the same interface and compare its frames
# with vpncap's. Every process and namespace is removed on exit.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init vpn-peers "$1" "$2"
# The EXIT trap of e2e_init must also run when we are interrupted.
trap 'exit 130' INT
trap 'exit 143' TERM HUP
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"

ID=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
R=vpncap-vpr-$ID
I=vpncap-vpi-$ID
R_IF=vr$ID
I_IF=vi$ID
R_ADDR=198.18.1.1
I_ADDR=198.18.1.2
R_NET=198.18.10.1 # on R's lo, tunnelled
I_NET=198.18.20.1 # on I's lo, tunnelled
PIDS=()           # background processes we started (not vpncap)
TCPDUMP_PID=

# ---- cleanup ---------------------------------------------------------------

vp_cleanup() {
	if [ -n "$VPNCAP_PID" ]; then
		kill -9 "$VPNCAP_PID" 2>/dev/null
		wait "$VPNCAP_PID" 2>/dev/null
		VPNCAP_PID=
	fi
	stop_pids "${PIDS[@]}" $TCPDUMP_PID
	netns_remove "$R" "$I"
}
e2e_on_exit vp_cleanup

# ---- helpers ---------------------------------------------------------------

count() { # count FILE [DISPLAY FILTER]
	tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null | wc -l
}

# is_count N FILE FILTER: exactly N frames match
is_count() { [ "$(count "$2" "$3")" -eq "$1" ]; }

# Frames (hex) of a capture file, one per line, sorted: the set of frames,
# whatever the order the two hooks delivered them in.
frames_hex_sorted() {
	tshark -r "$1" -T json -x 2>/dev/null |
		sed -n '/"frame_raw": \[/{n;s/^ *"\([0-9a-f]*\)",*$/\1/p}' | sort
}

netns_up() {
	local ns
	ip netns add "$R" || return 1
	ip netns add "$I" || return 1
	for ns in "$R" "$I"; do
		# IPv4 only: no router solicitations, DAD or MLD reports.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$R" link add "$R_IF" type veth peer name "$I_IF" netns "$I" || return 1
	ip -n "$R" addr add "$R_ADDR/24" dev "$R_IF" || return 1
	ip -n "$I" addr add "$I_ADDR/24" dev "$I_IF" || return 1
	ip -n "$R" link set "$R_IF" up || return 1
	ip -n "$I" link set "$I_IF" up || return 1
	# The tunnelled subnets live on lo (there are no dummy links here).
	ip -n "$R" addr add "$R_NET/32" dev lo || return 1
	ip -n "$I" addr add "$I_NET/32" dev lo || return 1
}

# vp_start_capture LOG FILE: vpncap inline on R's interface, in the
# background, until it says it is capturing. `ip netns exec` execs, so
# $VPNCAP_PID is vpncap itself.
vp_start_capture() {
	local log=$1
	ip netns exec "$R" "$VPNCAP" capture -i "$R_IF" --mode inline -w "$2" >"$log" 2>&1 &
	VPNCAP_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'capturing on' "$log" 2>/dev/null && return 0
		kill -0 "$VPNCAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$VPNCAP_PID" 2>/dev/null
	wait "$VPNCAP_PID" 2>/dev/null
	VPNCAP_PID=
	return 1
}

# tcpdump_start FILE FILTER: the reference capture on the same interface.
tcpdump_start() {
	tcpdump_stop
	ip netns exec "$R" tcpdump --immediate-mode -U -i "$R_IF" -w "$1" "$2" 2>"$1.log" &
	TCPDUMP_PID=$!
	wait_for_line "$1.log" 'listening on'
}

tcpdump_stop() {
	[ -n "$TCPDUMP_PID" ] || return 0
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
}

# hook_progs: "ID:TYPE ..." of the BPF programs vpncap has on R's interface:
# the XDP program attached there, and every program sharing a map with it
# (the TC egress program, attached through tcx, which neither `ip link`, tc
# nor this bpftool can list by interface).
hook_progs() {
	local xdp
	xdp=$(ip -n "$R" -d link show "$R_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	[ -n "$xdp" ] || return 1
	bpftool -j prog show | "$LAB_PY" -c '
import json, sys
progs = json.load(sys.stdin)
maps = set(next(p for p in progs if p["id"] == int(sys.argv[1])).get("map_ids", []))
print(" ".join("%d:%s" % (p["id"], p["type"]) for p in progs if maps & set(p.get("map_ids", []))))
' "$xdp"
}

# progs_gone "ID:TYPE ...": none of these programs exists any more.
progs_gone() {
	local p
	[ -n "$1" ] || return 1
	for p in $1; do
		bpftool prog show id "${p%%:*}" >/dev/null 2>&1 && return 1
	done
	return 0
}

no_xdp_left() { ! ip -n "$R" link show "$R_IF" | grep -q xdp; }

# ---- strongSwan ------------------------------------------------------------

# swan_conf SIDE LOCAL REMOTE LOCAL_TS REMOTE_TS PSK: one charon's files.
swan_conf() {
	local d=$WORK/$1
	swan_base "$d"
	cat >"$d/swanctl/swanctl.conf" <<-EOF
		connections {
			vpncap {
				version = 2
				local_addrs = $2
				remote_addrs = $3
				proposals = aes128-sha256-modp2048
				local {
					auth = psk
					id = $1.vpncap.test
				}
				remote {
					auth = psk
					id = $( [ "$1" = r ] && echo i || echo r ).vpncap.test
				}
				children {
					net {
						local_ts = $4
						remote_ts = $5
						esp_proposals = aes128-sha256-modp2048
					}
				}
			}
		}
		secrets {
			ike-vpncap {
				id-r = r.vpncap.test
				id-i = i.vpncap.test
				secret = "$6"
			}
		}
	EOF
}

# swan SIDE ARGS...: swanctl against that side's charon, at most 20 s.
swan() {
	local side=$1 ns; shift
	ns=$R; [ "$side" = i ] && ns=$I
	STRONGSWAN_CONF=$WORK/$side/strongswan.conf ip netns exec "$ns" \
		timeout 20 swanctl "$@" --uri "unix://$WORK/$side/charon.vici"
}

# charon_start SIDE: charon in that side's namespace, in a private mount
# namespace with its own /run (its pid file path is compiled in).
charon_start() {
	local side=$1 ns d=$WORK/$1 pid
	ns=$R; [ "$side" = i ] && ns=$I
	# shellcheck disable=SC2016 # $1 is for sh
	STRONGSWAN_CONF=$d/strongswan.conf ip netns exec "$ns" \
		unshare --mount --propagation private \
		sh -c 'mount --bind "$1" /run && exec /usr/lib/ipsec/charon' charon "$d/run" \
		>"$d/charon.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		[ -S "$d/charon.vici" ] && swan "$side" --stats >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---- part 1: IKEv2 ---------------------------------------------------------

case_ikev2() {
	local out=$WORK/ike.pcapng log=$WORK/ike.log td=$WORK/ike-tcpdump.pcap psk rc
	local sas in_spi out_spi in_pkts out_pkts f progs
	psk=$(openssl rand -hex 24) || { fail "IKEv2: openssl rand"; return; }
	swan_conf r "$R_ADDR" "$I_ADDR" 198.18.10.0/24 198.18.20.0/24 "$psk"
	swan_conf i "$I_ADDR" "$R_ADDR" 198.18.20.0/24 198.18.10.0/24 "$psk"
	if ! charon_start r || ! charon_start i; then
		fail "IKEv2: charon did not start"
		show_log "$WORK/r/charon.out" "$WORK/i/charon.out"
		return
	fi
	if ! swan r --load-all --noprompt --file "$WORK/r/swanctl/swanctl.conf" >"$WORK/r/load.log" 2>&1 ||
		! swan i --load-all --noprompt --file "$WORK/i/swanctl/swanctl.conf" >"$WORK/i/load.log" 2>&1; then
		fail "IKEv2: swanctl --load-all"
		show_log "$WORK/r/load.log" "$WORK/i/load.log"
		return
	fi

	tcpdump_start "$td" 'udp port 500 or udp port 4500' || { fail "IKEv2: tcpdump did not start"; return; }
	vp_start_capture "$log" "$out" || { fail "IKEv2: vpncap did not start: $(cat "$log")"; return; }

	progs=$(hook_progs)
	check "IKEv2: inline: an XDP and a TC program on the interface ($progs)" \
		sh -c "printf '%s' '$progs' | grep -q ':xdp' && printf '%s' '$progs' | grep -q ':sched_cls'"
	swan i --initiate --child net --timeout 15 >"$WORK/i/initiate.log" 2>&1
	checkl "$WORK/i/initiate.log $WORK/r/charon.log" "IKEv2: swanctl --initiate succeeds" \
		grep -q 'initiate completed successfully' "$WORK/i/initiate.log"
	checkl "$WORK/ping-i.log" "IKEv2: ping from I's tunnelled subnet to R's through the tunnel" \
		sh -c "ip netns exec '$I' ping -c 3 -i 0.2 -W 2 -I '$I_NET' '$R_NET' >'$WORK/ping-i.log' 2>&1"
	checkl "$WORK/ping-r.log" "IKEv2: ping from R's tunnelled subnet to I's through the tunnel" \
		sh -c "ip netns exec '$R' ping -c 2 -i 0.2 -W 2 -I '$R_NET' '$I_NET' >'$WORK/ping-r.log' 2>&1"
	check "IKEv2: R routes I's tunnelled subnet into the tunnel (ipsec0, table 220)" \
		sh -c "ip -n '$R' route show table 220 | grep -q '^198.18.20.0/24 dev ipsec0'"

	sas=$(swan r --list-sas 2>&1)
	printf '%s\n' "$sas" >"$WORK/r/sas.log"
	check "IKEv2: responder's IKE_SA ESTABLISHED" grep -q 'vpncap: #[0-9]*, ESTABLISHED, IKEv2' "$WORK/r/sas.log"
	check "IKEv2: responder's CHILD_SA INSTALLED, TUNNEL-in-UDP" grep -q 'net: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL-in-UDP' "$WORK/r/sas.log"
	swan i --list-sas >"$WORK/i/sas.log" 2>&1
	check "IKEv2: initiator's IKE_SA ESTABLISHED, CHILD_SA INSTALLED" \
		sh -c "grep -q 'vpncap: #[0-9]*, ESTABLISHED, IKEv2' '$WORK/i/sas.log' && grep -q 'net: #[0-9]*, reqid [0-9]*, INSTALLED' '$WORK/i/sas.log'"
	# "in  c1234567,    420 bytes,     5 packets"
	in_spi=$(sed -n 's/^ *in  \([0-9a-f]\{8\}\),.*/\1/p' "$WORK/r/sas.log" | head -n 1)
	out_spi=$(sed -n 's/^ *out \([0-9a-f]\{8\}\),.*/\1/p' "$WORK/r/sas.log" | head -n 1)
	in_pkts=$(sed -n 's/^ *in  [0-9a-f]\{8\},.* \([0-9]*\) packets.*/\1/p' "$WORK/r/sas.log" | head -n 1)
	out_pkts=$(sed -n 's/^ *out [0-9a-f]\{8\},.* \([0-9]*\) packets.*/\1/p' "$WORK/r/sas.log" | head -n 1)
	sleep 0.5

	stop_capture INT; rc=$?
	tcpdump_stop
	checkl "$log" "IKEv2: vpncap exit status 0" [ "$rc" -eq 0 ]
	check "IKEv2: tshark opens the file" sh -c "tshark -r '$out' -c 1 >/dev/null 2>&1"
	check "IKEv2: pcapng_dump reads the file; one IDB, for $R_IF" \
		sh -c "'$DUMP' '$out' >'$out.dump' && [ \$(grep -c '^IDB' '$out.dump') -eq 1 ] && grep -q '^IDB .*name=$R_IF ' '$out.dump'"
	f=frame.packet_flags_direction
	check "IKEv2: IKE_SA_INIT request captured, inbound" \
		is_count 1 "$out" "isakmp.exchangetype==34 && isakmp.flag_r==0 && ip.src==$I_ADDR && udp.dstport==500 && $f==1"
	check "IKEv2: IKE_SA_INIT response captured, outbound" \
		is_count 1 "$out" "isakmp.exchangetype==34 && isakmp.flag_r==1 && ip.src==$R_ADDR && udp.srcport==500 && $f==2"
	check "IKEv2: IKE_AUTH request captured (UDP 4500), inbound" \
		is_count 1 "$out" "isakmp.exchangetype==35 && isakmp.flag_r==0 && ip.src==$I_ADDR && udp.dstport==4500 && $f==1"
	check "IKEv2: IKE_AUTH response captured (UDP 4500), outbound" \
		is_count 1 "$out" "isakmp.exchangetype==35 && isakmp.flag_r==1 && ip.src==$R_ADDR && udp.srcport==4500 && $f==2"
	check "IKEv2: ESP in UDP captured inbound ($(count "$out" "esp && $f==1"))" \
		[ "$(count "$out" "esp && ip.src==$I_ADDR && $f==1")" -ge 5 ]
	check "IKEv2: ESP in UDP captured outbound ($(count "$out" "esp && $f==2"))" \
		[ "$(count "$out" "esp && ip.src==$R_ADDR && $f==2")" -ge 5 ]
	check "IKEv2: every inbound ESP frame has the responder's inbound SPI 0x$in_spi, as many as its CHILD_SA counted ($in_pkts)" \
		sh -c "[ -n '$in_pkts' ] && [ '$in_pkts' -gt 0 ] && [ \$0 -eq '$in_pkts' ] && [ \$1 -eq '$in_pkts' ]" \
		"$(count "$out" "esp && $f==1")" "$(count "$out" "esp.spi==0x$in_spi && $f==1")"
	check "IKEv2: every outbound ESP frame has the responder's outbound SPI 0x$out_spi, as many as its CHILD_SA counted ($out_pkts)" \
		sh -c "[ -n '$out_pkts' ] && [ '$out_pkts' -gt 0 ] && [ \$0 -eq '$out_pkts' ] && [ \$1 -eq '$out_pkts' ]" \
		"$(count "$out" "esp && $f==2")" "$(count "$out" "esp.spi==0x$out_spi && $f==2")"
	check "IKEv2: no IP protocol 50, no ICMP, nothing but UDP 500/4500 on the wire" \
		is_count 0 "$out" '!(udp.port==500 || udp.port==4500) || ip.proto==50 || icmp'
	check "IKEv2: direction flags agree with the addresses on every frame" \
		is_count 0 "$out" "!(($f==1 && ip.src==$I_ADDR) || ($f==2 && ip.src==$R_ADDR))"
	frames_hex_sorted "$td" >"$WORK/ike-tcpdump.hex"
	frames_hex_sorted "$out" >"$WORK/ike-vpncap.hex"
	check "IKEv2: the same frames as tcpdump on the interface, byte for byte ($(wc -l <"$WORK/ike-vpncap.hex") vs $(wc -l <"$WORK/ike-tcpdump.hex"))" \
		sh -c "[ -s '$WORK/ike-tcpdump.hex' ] && cmp -s '$WORK/ike-tcpdump.hex' '$WORK/ike-vpncap.hex'"
	check "IKEv2: no XDP program left on the interface" no_xdp_left
	check "IKEv2: the XDP and TC programs are gone ($progs)" progs_gone "$progs"
	# ---- vpncap report on the same file (issue 7) ----
	"$VPNCAP" report "$out" --json >"$WORK/ike-report.json" 2>"$WORK/ike-report.err"; rc=$?
	checkl "$WORK/ike-report.err" "IKEv2: vpncap report --json exits 0 ($rc)" [ "$rc" -eq 0 ]
	check "IKEv2: report: 1 IKE SA, established, client $I_ADDR, server $R_ADDR; no incomplete handshake; ESP both ways as tshark counts" \
		"$LAB_PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
ike, esp, sa = r["ike"], r["protocols"]["esp"], r["ike_sas"]
print("# report: %d SA(s), %d established, %d incomplete, IKE clients %d, ESP in %d out %d" % (
    ike["sas"], ike["established"], ike["incomplete"], r["protocols"]["ikev2"]["clients"],
    esp["frames_in"], esp["frames_out"]))
assert ike["sas"] == 1 and ike["established"] == 1 and ike["incomplete"] == 0
assert r["protocols"]["ikev2"]["clients"] == 1
assert sa[0]["client"] == sys.argv[2] and sa[0]["server"] == sys.argv[3] and sa[0]["state"] == "established"
assert esp["frames_in"] == int(sys.argv[4]) > 0 and esp["frames_out"] == int(sys.argv[5]) > 0
' "$WORK/ike-report.json" "$I_ADDR" "$R_ADDR" "$(count "$out" "esp && $f==1")" "$(count "$out" "esp && $f==2")"
	# ---- end of vpncap report ----
	echo "# IKEv2: vpncap $(count "$out") frames (ESP in $(count "$out" "esp && $f==1"), out $(count "$out" "esp && $f==2")), tcpdump $(count "$td")"
}

# ---- part 1b: IKEv2 in IP fragments ----------------------------------------

# The same tunnel, negotiated again with an MTU of 256 on the veth pair: the
# IKE messages leave both peers in IPv4 fragments (the responder's at the TC
# egress hook), which a port filter cannot follow; ESP (178 bytes) still fits.
case_ikev2_fragments() {
	local out=$WORK/ike-frag.pcapng log=$WORK/ike-frag.log td=$WORK/ike-frag-tcpdump.pcap rc f m
	if ! swan i --list-sas 2>/dev/null | grep -q ESTABLISHED; then
		fail "IKEv2 fragments: no tunnel from part 1 to negotiate again"
		return
	fi
	swan i --terminate --ike vpncap --timeout 10 >"$WORK/i/terminate.log" 2>&1
	if ! ip -n "$R" link set "$R_IF" mtu 256 || ! ip -n "$I" link set "$I_IF" mtu 256; then
		fail "IKEv2 fragments: set MTU 256"
		return
	fi
	tcpdump_start "$td" 'udp port 500 or udp port 4500 or (ip[6:2] & 0x1fff != 0)' ||
		{ fail "IKEv2 fragments: tcpdump did not start"; return; }
	vp_start_capture "$log" "$out" || { fail "IKEv2 fragments: vpncap did not start: $(cat "$log")"; return; }
	swan i --initiate --child net --timeout 15 >"$WORK/i/initiate-frag.log" 2>&1
	checkl "$WORK/i/initiate-frag.log $WORK/r/charon.log" "IKEv2 fragments: swanctl --initiate succeeds with MTU 256" \
		grep -q 'initiate completed successfully' "$WORK/i/initiate-frag.log"
	checkl "$WORK/ping-frag.log" "IKEv2 fragments: ping through the tunnel" \
		sh -c "ip netns exec '$I' ping -c 2 -i 0.2 -W 2 -I '$I_NET' '$R_NET' >'$WORK/ping-frag.log' 2>&1"
	sleep 0.5
	stop_capture INT; rc=$?
	tcpdump_stop
	checkl "$log" "IKEv2 fragments: vpncap exit status 0" [ "$rc" -eq 0 ]
	f=frame.packet_flags_direction
	m=ip.fragments # the frame where tshark put a message back together
	check "IKEv2 fragments: IKE_SA_INIT request, from inbound fragments" \
		is_count 1 "$out" "$m && isakmp.exchangetype==34 && isakmp.flag_r==0 && $f==1"
	check "IKEv2 fragments: IKE_SA_INIT response, from outbound fragments" \
		is_count 1 "$out" "$m && isakmp.exchangetype==34 && isakmp.flag_r==1 && $f==2"
	check "IKEv2 fragments: IKE_AUTH request, from inbound fragments" \
		is_count 1 "$out" "$m && isakmp.exchangetype==35 && isakmp.flag_r==0 && $f==1"
	check "IKEv2 fragments: IKE_AUTH response, from outbound fragments" \
		is_count 1 "$out" "$m && isakmp.exchangetype==35 && isakmp.flag_r==1 && $f==2"
	check "IKEv2 fragments: ESP both ways ($(count "$out" "esp && $f==1") in, $(count "$out" "esp && $f==2") out)" \
		sh -c "[ \$0 -ge 2 ] && [ \$1 -ge 2 ]" "$(count "$out" "esp && $f==1")" "$(count "$out" "esp && $f==2")"
	check "IKEv2 fragments: direction flags agree with the addresses on every frame" \
		is_count 0 "$out" "!(($f==1 && ip.src==$I_ADDR) || ($f==2 && ip.src==$R_ADDR))"
	frames_hex_sorted "$td" >"$WORK/ike-frag-tcpdump.hex"
	frames_hex_sorted "$out" >"$WORK/ike-frag-vpncap.hex"
	check "IKEv2 fragments: every fragment, the same frames as tcpdump, byte for byte ($(wc -l <"$WORK/ike-frag-vpncap.hex") vs $(wc -l <"$WORK/ike-frag-tcpdump.hex"))" \
		sh -c "[ -s '$WORK/ike-frag-tcpdump.hex' ] && cmp -s '$WORK/ike-frag-tcpdump.hex' '$WORK/ike-frag-vpncap.hex'"
	echo "# IKEv2 fragments: vpncap $(count "$out") frames, $(count "$out" 'ip.flags.mf==1 || ip.frag_offset>0') of them IP fragments; tcpdump $(count "$td")"
}

# ---- part 2: SSTP ----------------------------------------------------------

case_sstp() {
	local out=$WORK/sstp.pcapng log=$WORK/sstp.log td=$WORK/sstp-tcpdump.pcap rc f
	local srv=$WORK/s_server.log cli=$WORK/sstpc.log progs
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=sstp.vpncap.test -keyout "$WORK/sstp-key.pem" -out "$WORK/sstp-cert.pem" \
		>/dev/null 2>&1 || { fail "SSTP: openssl req"; return; }
	# -rev: TLS, then echo each line reversed. sstpc's HTTP request gets a
	# reply that is no HTTP, and sstpc gives up at once.
	ip netns exec "$R" openssl s_server -accept 443 -rev -cert "$WORK/sstp-cert.pem" \
		-key "$WORK/sstp-key.pem" >"$srv" 2>&1 </dev/null &
	PIDS+=($!)
	for _ in $(seq 1 50); do
		ip netns exec "$R" ss -Htln 'sport = :443' | grep -q . && break
		sleep 0.1
	done
	ip netns exec "$R" ss -Htln 'sport = :443' | grep -q . || { fail "SSTP: s_server not listening"; show_log "$srv"; return; }

	tcpdump_start "$td" 'tcp port 443' || { fail "SSTP: tcpdump did not start"; return; }
	vp_start_capture "$log" "$out" || { fail "SSTP: vpncap did not start: $(cat "$log")"; return; }
	progs=$(hook_progs)
	# --cert-warn: the self-signed certificate is only warned about. The pppd
	# options are never used: there is no SSTP server to get that far.
	timeout 10 ip netns exec "$I" sstpc --cert-warn --log-stderr --log-level 4 \
		--user vpncap --password vpncap "$R_ADDR" noauth nodefaultroute >"$cli" 2>&1
	rc=$?
	checkl "$cli" "SSTP: sstpc connected, gave up by itself (status $rc)" \
		sh -c "[ $rc -ne 124 ] && grep -q 'Connected to $R_ADDR' '$cli'"
	sleep 0.5
	checkl "$srv" "SSTP: TLS handshake with s_server completed" grep -q 'CONNECTION ESTABLISHED' "$srv"

	stop_capture INT; rc=$?
	tcpdump_stop
	checkl "$log" "SSTP: vpncap exit status 0" [ "$rc" -eq 0 ]
	check "SSTP: tshark opens the file" sh -c "tshark -r '$out' -c 1 >/dev/null 2>&1"
	check "SSTP: pcapng_dump reads the file; one IDB, for $R_IF" \
		sh -c "'$DUMP' '$out' >'$out.dump' && [ \$(grep -c '^IDB' '$out.dump') -eq 1 ] && grep -q '^IDB .*name=$R_IF ' '$out.dump'"
	f=frame.packet_flags_direction
	check "SSTP: SYN captured, inbound" \
		is_count 1 "$out" "tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.dstport==443 && ip.src==$I_ADDR && $f==1"
	check "SSTP: SYN-ACK captured, outbound" \
		is_count 1 "$out" "tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.srcport==443 && ip.src==$R_ADDR && $f==2"
	check "SSTP: TLS Client Hello captured, inbound" \
		is_count 1 "$out" "tls.handshake.type==1 && tcp.dstport==443 && $f==1"
	check "SSTP: TLS Server Hello captured, outbound" \
		is_count 1 "$out" "tls.handshake.type==2 && tcp.srcport==443 && $f==2"
	check "SSTP: nothing but TCP 443" is_count 0 "$out" '!(tcp.port==443)'
	check "SSTP: direction flags agree with the addresses on every frame" \
		is_count 0 "$out" "!(($f==1 && ip.src==$I_ADDR) || ($f==2 && ip.src==$R_ADDR))"
	frames_hex_sorted "$td" >"$WORK/sstp-tcpdump.hex"
	frames_hex_sorted "$out" >"$WORK/sstp-vpncap.hex"
	check "SSTP: the same frames as tcpdump on the interface, byte for byte ($(wc -l <"$WORK/sstp-vpncap.hex") vs $(wc -l <"$WORK/sstp-tcpdump.hex"))" \
		sh -c "[ -s '$WORK/sstp-tcpdump.hex' ] && cmp -s '$WORK/sstp-tcpdump.hex' '$WORK/sstp-vpncap.hex'"
	check "SSTP: no XDP program left on the interface" no_xdp_left
	check "SSTP: the XDP and TC programs are gone ($progs)" progs_gone "$progs"
}

netns_up || { echo "not ok - could not build the namespaces"; exit 1; }
case_ikev2
case_ikev2_fragments
ip -n "$R" link set "$R_IF" mtu 1500
ip -n "$I" link set "$I_IF" mtu 1500
case_sstp

e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end capture tests on a real veth pair between two namespaces.
# usage: capture.sh PATH/TO/vpncap PATH/TO/pcapng_dump
#
# Each case sends a known mix of frames with scripts/lab_traffic.py, captures
# with vpncap, and checks the file with tshark (frame count and every byte),
# and with pcapng_dump (ISB counters, EPB options). It also checks that no XDP
# program is left on the interface after a normal end, SIGINT, SIGTERM and a
# failed start. Everything created is removed on exit.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init e2e "$1" "$2"

# Frames (hex) of a capture file, one per line, as tshark reads them.
frames_hex() {
	tshark -r "$1" -T json -x 2>/dev/null |
		sed -n '/"frame_raw": \[/{n;s/^ *"\([0-9a-f]*\)",*$/\1/p}'
}

isb_field() { # isb_field FILE FIELD -> value from the first ISB
	"$DUMP" "$1" | sed -n "/^ISB/{s/.* $2=\([0-9]*\).*/\1/p;q}"
}

# ---- cases -----------------------------------------------------------------

# Every class of frame, stopped with SIGINT: exactly the matching frames,
# byte for byte, in order; ISB agrees; program gone.
case_all_classes_sigint() {
	local out=$WORK/all.pcapng sent=$WORK/sent.pcap log=$WORK/all.log rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "all classes: vpncap did not start: $(cat "$log")"; return; }
	lab_send --per-class 20 --save-matching "$sent" >"$WORK/sent.json" || { fail "all classes: traffic generator failed"; return; }
	sleep 0.5
	stop_capture INT; rc=$?
	check "SIGINT: exit status 0" [ "$rc" -eq 0 ]
	check "SIGINT: one summary line" grep -q '^vpncap: summary: seen 300, matched 240, written 240, dropped 0' "$log"
	check "tshark opens the file" tshark -r "$out" -c 1 >/dev/null 2>&1
	check "capinfos: 240 packets" sh -c "capinfos -c -M '$out' | grep -q 'Number of packets: *240$'"
	frames_hex "$sent" >"$WORK/sent.hex"
	frames_hex "$out" >"$WORK/got.hex"
	check "matching frames captured byte for byte, in order" cmp -s "$WORK/sent.hex" "$WORK/got.hex"
	check "240 frames compared" [ "$(wc -l <"$WORK/got.hex")" -eq 240 ]
	check "tshark decodes IKEv2 on 500 and 4500" sh -c "[ \$(tshark -r '$out' -Y isakmp 2>/dev/null | wc -l) -eq 160 ]"
	check "tshark decodes TCP 443 both directions" sh -c "[ \$(tshark -r '$out' -Y 'tcp.dstport==443' 2>/dev/null | wc -l) -eq 20 ] && [ \$(tshark -r '$out' -Y 'tcp.srcport==443' 2>/dev/null | wc -l) -eq 20 ]"
	check "VLAN and QinQ frames captured" sh -c "[ \$(tshark -r '$out' -Y 'vlan.id==100' 2>/dev/null | wc -l) -eq 40 ] && [ \$(tshark -r '$out' -Y 'ieee8021ad.id==200' 2>/dev/null | wc -l) -eq 20 ]"
	check "no DNS, HTTP or ICMP captured" sh -c "[ \$(tshark -r '$out' -Y 'dns or tcp.port==80 or icmp' 2>/dev/null | wc -l) -eq 0 ]"
	check "ISB ifrecv = frames sent" [ "$(isb_field "$out" ifrecv)" = 300 ]
	check "ISB filteraccept = matching frames" [ "$(isb_field "$out" filteraccept)" = 240 ]
	check "ISB usrdeliv = frames in file" [ "$(isb_field "$out" usrdeliv)" = 240 ]
	check "ISB ifdrop and osdrop are 0" sh -c "[ '$(isb_field "$out" ifdrop)' = 0 ] && [ '$(isb_field "$out" osdrop)' = 0 ]"
	check "ISB start <= end" sh -c "[ '$(isb_field "$out" starttime)' -le '$(isb_field "$out" endtime)' ]"
	check "EPB: inbound flag, queue 0, XDP_REDIRECT verdict" sh -c "[ \$('$DUMP' '$out' | grep -c '^EPB .*flags=0x1 queue=0 verdict_type=2 verdict=4') -eq 240 ]"
	check "IDB: the capturing host first in the description (report names gateways by it)" sh -c "'$DUMP' '$out' | grep '^IDB' | grep -q 'host $(uname -n); driver veth'"
	check "IDB: name, driver, mode, nanoseconds, filter" sh -c "'$DUMP' '$out' | grep '^IDB' | grep 'name=$LAB_CAP_IF' | grep 'driver veth' | grep 'xdp native' | grep 'af_xdp copy' | grep 'tsresol=9' | grep -q 'filter=\"udp port 500 or udp port 4500 or tcp port 443'"
	check "ISB comment: hook and AF_XDP counters, timestamps from the hook" sh -c "'$DUMP' '$out' | grep -q 'seen 300, matched 240 (fragments 0, early fragments 0), redirected 240, no socket on queue 0, passed 60, dropped 0; af_xdp: rx_dropped 0, rx_ring_full 0, fill_ring_empty 0, frames of too many buffers 0; writer queue full 0; timestamps of 0 frames taken by the nic, 240 at the hook, 0 per batch'"
	check "timestamps within the capture window" sh -c "tshark -r '$out' -T fields -e frame.time_epoch 2>/dev/null | awk -v s=\$(( $(isb_field "$out" starttime) / 1000000000 )) -v e=\$(( $(isb_field "$out" endtime) / 1000000000 + 1 )) '\$1 < s || \$1 > e {bad=1} END {exit bad}'"
	check "SIGINT: no XDP program left" no_xdp_left
}

# One vpncap per interface: a second one is refused and the first goes on.
case_second_instance() {
	local out=$WORK/first.pcapng log=$WORK/first.log err rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "second instance: first did not start"; return; }
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/second.pcapng" 2>&1); rc=$?
	check "second vpncap on the interface: exit 1, says another vpncap is capturing" sh -c "[ $rc -eq 1 ] && printf '%s' \"\$0\" | grep -q 'another vpncap is capturing on this interface'" "$err"
	lab_send --per-class 3 --classes ike-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "second vpncap: the first one kept capturing" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 3 ]"
}

# At early boot nothing has brought the capture port up: vpncap does.
case_link_down() {
	local out=$WORK/down.pcapng log=$WORK/down.log
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" down
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "link down: did not start: $(cat "$log")"; return; }
	check "link down: says it set the link up" grep -q "$LAB_CAP_IF: link was down; set up for capture" "$log"
	check "link down: the link is up" sh -c "ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q '<.*,UP'"
	sleep 0.5
	lab_send --per-class 3 --classes ike-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "link down: frames captured once it was up" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 3 ]"
}

case_sigterm() {
	local out=$WORK/term.pcapng log=$WORK/term.log rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "SIGTERM: vpncap did not start"; return; }
	lab_send --per-class 5 --classes ike-v4,natt-v6,dns >/dev/null
	sleep 0.5
	stop_capture TERM; rc=$?
	check "SIGTERM: exit status 0" [ "$rc" -eq 0 ]
	check "SIGTERM: all 10 matching frames in the file" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 10 ]"
	check "SIGTERM: no XDP program left" no_xdp_left
}

case_count_and_skb() {
	local out=$WORK/count.pcapng log=$WORK/count.log rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --count 7 --xdp-mode skb --duration 20 --snaplen 64 ||
		{ fail "--count: vpncap did not start: $(cat "$log")"; return; }
	lab_send --per-class 10 --classes ike-v4 >/dev/null
	wait_capture; rc=$?
	check "--count 7: ends by itself with status 0" [ "$rc" -eq 0 ]
	check "--count 7: exactly 7 frames" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 7 ]"
	check "--xdp-mode skb: IDB says skb" sh -c "'$DUMP' '$out' | grep -q 'xdp skb'"
	check "--snaplen 64: IDB snaplen 64, frames cut to 64 with their original length" sh -c "'$DUMP' '$out' | grep -q '^IDB linktype=1 snaplen=64 ' && [ \$(tshark -r '$out' -Y 'frame.cap_len==64 and frame.len>64' 2>/dev/null | wc -l) -eq 7 ]"
	check "--count: no XDP program left" no_xdp_left
}

case_duration_unmatched_drop() {
	local out=$WORK/dur.pcapng log=$WORK/dur.log rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --duration 3 --unmatched drop -q 0 ||
		{ fail "--duration: vpncap did not start: $(cat "$log")"; return; }
	lab_send --per-class 3 --classes dns,sstp-to-server >/dev/null
	wait_capture; rc=$?
	check "--duration 3: ends by itself with status 0" [ "$rc" -eq 0 ]
	check "--unmatched drop: SSTP frames still captured" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 3 ]"
	check "--unmatched drop: named in if_filter" sh -c "'$DUMP' '$out' | grep -q 'unmatched frames dropped'"
}

# Failed starts: one error line, the right status, nothing left behind.
case_failed_starts() {
	local out=$WORK/fail.pcapng err rc
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$out" --zero-copy 2>&1); rc=$?
	check "--zero-copy on veth: exit 1" [ "$rc" -eq 1 ]
	check "--zero-copy on veth: one line naming zero-copy" sh -c "[ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q 'zero-copy'" "$err"
	check "--zero-copy failure: no XDP program left" no_xdp_left
	check "--zero-copy failure: no output file left" [ ! -e "$out" ]

	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w /nonexistent-dir/x.pcapng 2>&1); rc=$?
	check "unwritable output: exit 1, one line" sh -c "[ $rc -eq 1 ] && [ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q 'output not writable'" "$err"
	check "unwritable output: no XDP program left" no_xdp_left

	err=$(lab_in_cap "$VPNCAP" capture -i nosuchif0 -w "$out" 2>&1); rc=$?
	check "no such interface: exit 2 and says so" sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q 'nosuchif0: no such interface'" "$err"

	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$out" -q 3 2>&1); rc=$?
	check "-q 3 on a 1-queue veth: exit 2" sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q 'queue 3 does not exist'" "$err"

	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/one.pcapng" --rotate-size 1M 2>&1); rc=$?
	check "file-set option with -w FILE: exit 2 naming the option" sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q -- '--rotate-size needs -w DIR'" "$err"

	echo keep >"$WORK/existing.pcapng"
	lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/existing.pcapng" --zero-copy 2>/dev/null
	check "failed start leaves an existing file untouched" grep -qx keep "$WORK/existing.pcapng"

	chmod 0711 "$WORK"; mkdir -m 0777 "$WORK/open"
	err=$(ip netns exec "$LAB_CAP" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$VPNCAP" capture -i "$LAB_CAP_IF" \
		-w "$WORK/open/np.pcapng" 2>&1); rc=$?
	check "without privileges: exit 1, one line saying not permitted" sh -c "[ $rc -eq 1 ] && [ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q 'not permitted'" "$err"
	check "without privileges: no XDP program, no file left" sh -c "! ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp && [ ! -e '$WORK/open/np.pcapng' ]"

	ln -s "$WORK/existing.pcapng" "$WORK/link.pcapng"
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/link.pcapng" 2>&1); rc=$?
	check "output through a symlink is refused" sh -c "[ $rc -eq 1 ] && printf '%s' \"\$0\" | grep -q 'symbolic link'" "$err"
	check "refused symlink: target untouched" grep -qx keep "$WORK/existing.pcapng"
}

# An interface the host uses for IP: --mode auto captures inline (copies,
# the host keeps its frames); --mode bypass takes them only with --force-bypass.
case_ip_interface() {
	local out=$WORK/ip.pcapng log=$WORK/ip.log
	ip -n "$LAB_CAP" addr add 198.19.0.1/24 dev "$LAB_CAP_IF"
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" || { fail "interface with IP: did not start: $(cat "$log")"; return; }
	check "interface with IP: --mode auto says it chose inline" grep -q "$LAB_CAP_IF: --mode auto chose inline" "$log"
	lab_send --per-class 4 --classes ike-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "inline: 4 frames captured" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 4 ]"
	check "inline: EPB inbound, XDP_PASS verdict" sh -c "[ \$('$DUMP' '$out' | grep -c '^EPB .*flags=0x1 queue=0 verdict_type=2 verdict=2') -eq 4 ]"
	check "inline: IDB says mode inline (auto)" sh -c "'$DUMP' '$out' | grep '^IDB' | grep -q 'mode inline (auto)'"
	check "inline: no XDP program left" no_xdp_left
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --force-bypass || { fail "--mode bypass: did not start: $(cat "$log")"; return; }
	lab_send --per-class 4 --classes ike-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "--mode bypass: captures on an interface with IP" sh -c "[ \$(tshark -r '$out' 2>/dev/null | wc -l) -eq 4 ]"
	check "--mode bypass: EPB XDP_REDIRECT verdict" sh -c "[ \$('$DUMP' '$out' | grep -c 'verdict_type=2 verdict=4') -eq 4 ]"
	ip -n "$LAB_CAP" addr flush dev "$LAB_CAP_IF"
}

# Two interfaces: one IDB each, frames attributed to the right one.
case_two_interfaces() {
	local out=$WORK/two.pcapng log=$WORK/two.log gen2=vg2$$ cap2=vc2$$ mac2
	ip -n "$LAB_GEN" link add "$gen2" type veth peer name "$cap2" netns "$LAB_CAP"
	ip -n "$LAB_GEN" link set "$gen2" up
	ip -n "$LAB_CAP" link set "$cap2" up
	mac2=$(ip -n "$LAB_CAP" -o link show "$cap2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	start_capture "$log" -i "$LAB_CAP_IF" -i "$cap2" -w "$out" || { fail "two interfaces: did not start: $(cat "$log")"; return; }
	lab_send --per-class 3 --classes ike-v4 >/dev/null
	ip netns exec "$LAB_GEN" "$LAB_PY" "$HERE/../../scripts/lab_traffic.py" --iface "$gen2" \
		--dst-mac "$mac2" --per-class 5 --classes natt-v4 >/dev/null
	sleep 0.3
	stop_capture INT
	check "two interfaces: two IDBs" sh -c "[ \$('$DUMP' '$out' | grep -c '^IDB') -eq 2 ]"
	check "two interfaces: 3 frames on the first" sh -c "[ \$(tshark -r '$out' -Y 'frame.interface_id==0' 2>/dev/null | wc -l) -eq 3 ]"
	check "two interfaces: 5 frames on the second" sh -c "[ \$(tshark -r '$out' -Y 'frame.interface_id==1 and udp.port==4500' 2>/dev/null | wc -l) -eq 5 ]"
	check "two interfaces: no XDP program left on either" sh -c "! ip -n '$LAB_CAP' link show | grep -q xdp"
	ip -n "$LAB_GEN" link del "$gen2"
}

# The loopback of our capture namespace has no native XDP: auto falls back to skb.
case_native_fallback() {
	local out=$WORK/lo.pcapng err rc
	ip -n "$LAB_CAP" link set lo up
	err=$(lab_in_cap "$VPNCAP" capture -i lo -w "$out" --mode bypass --force-bypass --duration 0.5 2>&1); rc=$?
	check "auto on lo: falls back to skb and runs" sh -c "[ $rc -eq 0 ] && '$DUMP' '$out' | grep -q 'xdp skb'"
	err=$(lab_in_cap "$VPNCAP" capture -i lo -w "$out" --mode bypass --force-bypass --xdp-mode native 2>&1); rc=$?
	check "--xdp-mode native on lo: exit 1, one line 'XDP attach refused'" sh -c "[ $rc -eq 1 ] && [ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q 'lo: XDP attach refused'" "$err"
	check "lo: no XDP program left" sh -c "! ip -n '$LAB_CAP' link show lo | grep -q xdp"
}

# Two RX queues: one socket per queue by default, -q restricts. veth receives
# on the queue number the peer transmitted on, and XPS ties the transmit
# queue to the sending CPU, so pinning the sender picks the queue.
case_two_queues() {
	local out=$WORK/mq.pcapng log=$WORK/mq.log g=vgq$$ c=vcq$$ mac
	if [ "$(nproc)" -lt 2 ]; then
		echo "ok - two queues # SKIP needs 2 CPUs"; return
	fi
	ip -n "$LAB_GEN" link add "$g" numtxqueues 2 numrxqueues 2 type veth peer name "$c" \
		numtxqueues 2 numrxqueues 2 netns "$LAB_CAP"
	# XPS: CPU 0 transmits on queue 0, CPU 1 on queue 1.
	ip netns exec "$LAB_GEN" sh -c "echo 1 >/sys/class/net/$g/queues/tx-0/xps_cpus && echo 2 >/sys/class/net/$g/queues/tx-1/xps_cpus"
	ip -n "$LAB_GEN" link set "$g" up
	ip -n "$LAB_CAP" link set "$c" up
	mac=$(ip -n "$LAB_CAP" -o link show "$c" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	send_on_cpu() { # send_on_cpu CPU COUNT
		ip netns exec "$LAB_GEN" taskset -c "$1" "$LAB_PY" "$HERE/../../scripts/lab_traffic.py" \
			--iface "$g" --dst-mac "$mac" --per-class "$2" --classes ike-v4 >/dev/null
	}
	start_capture "$log" -i "$c" -w "$out" || { fail "two queues: did not start: $(cat "$log")"; return; }
	send_on_cpu 0 4; send_on_cpu 1 6
	sleep 0.3
	stop_capture INT
	check "two queues: IDB lists queues 0,1 of 2" sh -c "'$DUMP' '$out' | grep -q 'rx queues 0,1 of 2'"
	check "two queues: 4 frames from queue 0, 6 from queue 1" sh -c "[ \$('$DUMP' '$out' | grep -c '^EPB.* queue=0 ') -eq 4 ] && [ \$('$DUMP' '$out' | grep -c '^EPB.* queue=1 ') -eq 6 ]"

	start_capture "$log" -i "$c" -w "$out" -q 1 || { fail "-q 1: did not start: $(cat "$log")"; return; }
	send_on_cpu 0 4; send_on_cpu 1 6
	sleep 0.3
	stop_capture INT
	check "-q 1: only queue 1 captured" sh -c "[ \$('$DUMP' '$out' | grep -c '^EPB.* queue=1 ') -eq 6 ] && [ \$('$DUMP' '$out' | grep -c '^EPB') -eq 6 ]"
	check "-q 1: queue 0's matches counted as 'no socket on queue', passed to the stack" \
		sh -c "'$DUMP' '$out' | grep -q 'matched 10 (fragments 0, early fragments 0), redirected 6, no socket on queue 4, passed 4'"
	check "-q 1: summary counts them as not captured" grep -q 'matched 10, written 6, dropped 4' "$log"
	ip -n "$LAB_GEN" link del "$g"
}

# The lab's veth pair again, after a case deleted it (deleting one end takes both).
lab_relink() {
	ip -n "$LAB_GEN" link add "$LAB_GEN_IF" type veth peer name "$LAB_CAP_IF" netns "$LAB_CAP" &&
		ip -n "$LAB_GEN" link set "$LAB_GEN_IF" up &&
		ip -n "$LAB_CAP" link set "$LAB_CAP_IF" up || return 1
	LAB_CAP_MAC=$(ip -n "$LAB_CAP" -o link show "$LAB_CAP_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	export LAB_CAP_MAC
}

lock_file() { echo "/run/vpncap/$(stat -L -c %i "/run/netns/$LAB_CAP")-$LAB_CAP_IF.lock"; }

# The interface goes away during a capture (`ip link del` of the veth peer
# removes both ends): vpncap notices within a second, completes its files,
# says so in one line with no advice that cannot apply, and exits 75, which
# systemd's Restart=on-failure restarts and a script tells apart. With
# SIGNAL, the signal comes at once, before vpncap noticed (systemd stops a
# unit bound to a device that went): the same end. VAR=VALUE: in vpncap's
# environment (VPNCAP_KERNEL_LACKS=tcx: the egress program a clsact filter).
case_iface_gone() { # case_iface_gone bypass|inline [SIGNAL] [VAR=VALUE]
	local mode=$1 sig=${2:-} env=${3:-} dir log rc i t0 t1 lock
	dir=$WORK/gone-$mode$sig${env%%=*} log=$WORK/gone-$mode$sig${env%%=*}.log
	lock=$(lock_file)
	mkdir -p "$dir"
	start_in_cap "$log" env ${env:+"$env"} "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$dir/" --mode "$mode" ||
		{ fail "$mode, interface gone: did not start: $(cat "$log")"; return; }
	mode=$mode${env:+ ($env)}
	lab_send --per-class 4 --classes ike-v4 >/dev/null
	sleep 0.3
	t0=$(date +%s%N)
	ip -n "$LAB_GEN" link del "$LAB_GEN_IF"
	[ -n "$sig" ] && kill -s "$sig" "$VPNCAP_PID"
	mode=$mode${sig:+ then SIG$sig}
	for i in $(seq 1 50); do
		kill -0 "$VPNCAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	t1=$(date +%s%N)
	if kill -0 "$VPNCAP_PID" 2>/dev/null; then
		fail "$mode, interface gone: vpncap still running 5 s later"
		stop_capture INT
		check "$mode, interface gone, then SIGINT: no advice that cannot apply" \
			sh -c "! grep -q 'xdp-loader\|tc filter del' '$log'"
		lab_relink || abort "could not rebuild the lab's veth pair"
		return
	fi
	wait_capture; rc=$?
	check "$mode, interface gone: ended within 2 s ($(( (t1 - t0) / 1000000 )) ms)" \
		[ $(( (t1 - t0) / 1000000 )) -le 2000 ]
	check "$mode, interface gone: exit status 75" [ "$rc" -eq 75 ]
	check "$mode, interface gone: one line says so" \
		sh -c "[ \$(grep -c 'the interface went away' '$log') -eq 1 ] && grep -q '^vpncap: $LAB_CAP_IF: the interface went away; capture ended, files completed' '$log'"
	check "$mode, interface gone: nothing else after the start but the summary" \
		sh -c "[ -z \"\$(sed '1,/capturing on/d' '$log' | grep -v 'the interface went away\|^vpncap: summary: ')\" ]"
	check "$mode, interface gone: no detach failure, no advice that cannot apply" \
		sh -c "! grep -q 'detach failed\|xdp-loader\|tc filter del' '$log'"
	check "$mode, interface gone: files completed (no .part), 4 frames" \
		sh -c "[ -z \"\$(find '$dir' -name '*.part')\" ] && [ \$(find '$dir' -name '*.pcapng' -exec tshark -r {} \\; 2>/dev/null | wc -l) -eq 4 ]"
	check "$mode, interface gone: lock file removed" [ ! -e "$lock" ]
	lab_relink || abort "could not rebuild the lab's veth pair"
}

# Exit 0, or 1 because another vpncap holds the interface.
ran_or_refused() { # ran_or_refused STATUS LOG
	[ "$1" -eq 0 ] || { [ "$1" -eq 1 ] && grep -q 'another vpncap is capturing' "$2"; }
}

# /run/vpncap/NETNS-IFACE.lock: there while a capture holds it, gone after.
# Starts racing each other: one captures, the other is refused, nothing else.
case_lock_file() {
	local log=$WORK/lock.log lock i rc_a rc_b pid_a pid_b
	lock=$(lock_file)
	start_capture "$log" -i "$LAB_CAP_IF" -w "$WORK/lock.pcapng" ||
		{ fail "lock file: did not start: $(cat "$log")"; return; }
	check "lock file: there while capturing" [ -e "$lock" ]
	stop_capture INT
	check "lock file: removed at exit" [ ! -e "$lock" ]
	for i in 1 2 3 4 5 6; do
		lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/race-a.pcapng" --duration 0.2 >"$WORK/race-a.log" 2>&1 &
		pid_a=$!
		lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/race-b.pcapng" --duration 0.2 >"$WORK/race-b.log" 2>&1 &
		pid_b=$!
		wait "$pid_a"; rc_a=$?
		wait "$pid_b"; rc_b=$?
		if ! ran_or_refused "$rc_a" "$WORK/race-a.log" || ! ran_or_refused "$rc_b" "$WORK/race-b.log" ||
			{ [ "$rc_a" -ne 0 ] && [ "$rc_b" -ne 0 ]; }; then
			fail "lock file: racing starts, round $i: $rc_a $(tail -1 "$WORK/race-a.log") / $rc_b $(tail -1 "$WORK/race-b.log")"
			return
		fi
	done
	ok "lock file: racing starts: one captured, the other refused or after it, 6 rounds"
	check "lock file: none left after the races" [ ! -e "$lock" ]
	check "lock file: no XDP program left after the races" no_xdp_left
}

# scripts/demo.sh when its capture cannot start: it says so, exits non-zero
# and removes its lab (namespaces included).
case_demo_failed_start() {
	local out=$WORK/demo.out rc gen
	VPNCAP_BIN=$VPNCAP VPNCAP_BUILD_DIR=$(dirname "$VPNCAP") VPNCAP_OUT=/nonexistent-dir/demo.pcapng \
		timeout 120 bash "$HERE/../../scripts/demo.sh" >"$out" 2>&1; rc=$?
	gen=$(sed -n 's/^== lab: \(vpncap-gen-[0-9a-f]*\) .*/\1/p' "$out")
	check "demo, capture fails to start: exit status not 0" [ "$rc" -ne 0 ]
	check "demo, capture fails to start: says so" grep -q '^demo: the capture did not start' "$out"
	check "demo, capture fails to start: lab removed" \
		sh -c "[ -n '$gen' ] && ! ip netns list | grep -q -e '$gen' -e '${gen/gen/cap}'"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_all_classes_sigint
case_sigterm
case_link_down
case_second_instance
case_count_and_skb
case_duration_unmatched_drop
case_failed_starts
case_ip_interface
case_two_interfaces
case_native_fallback
case_two_queues
case_lock_file
case_iface_gone bypass
case_iface_gone inline
case_iface_gone bypass TERM
case_iface_gone inline "" VPNCAP_KERNEL_LACKS=tcx
case_demo_failed_start

e2e_finish

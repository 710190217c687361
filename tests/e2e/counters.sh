#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: the counters of running captures (`vpncap counters`,
# --metrics-file, the terminal's status line) and the identity they obey,
#   seen = passed + written + in flight + each named drop,
# with drops forced: a 64 KiB ring buffer under a burst of large frames, and
# in bypass a UMEM too small for a burst (the writer holds frames until written).
# usage: counters.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init counters "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"

# A lab whose capture side has an address (inline), as on a gateway.
lab_with_addresses() {
	lab_up || return 1
	ip -n "$LAB_GEN" addr add 198.18.7.2/24 dev "$LAB_GEN_IF" &&
		ip -n "$LAB_CAP" addr add 198.18.7.1/24 dev "$LAB_CAP_IF"
}

# burst N: N 1400-byte UDP 500 datagrams from the generator to the capture side.
burst() {
	ip netns exec "$LAB_GEN" "$LAB_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($1):
    s.sendto(b'x' * 1400, ('198.18.7.1', 500))
"
}

metric() { # metric FILE NAME [LABEL-MATCH]: the value of the first matching sample
	grep -v '^#' "$1" | grep "^$2{" | grep -- "${3:-}" | head -1 | awk '{print $NF}'
}

sum_metric() { # sum_metric FILE NAME: summed over every sample
	grep -v '^#' "$1" | grep "^$2{" | awk '{s += $NF} END {print s + 0}'
}

case_inline_ring_full() {
	local out=$WORK/inl.pcapng log=$WORK/inl.log prom=$WORK/metrics/inl.prom json=$WORK/counters.json
	local seen passed written ring queue_full disk drops matched rc
	mkdir -p "$WORK/metrics"
	# Buffered: each record keeps its ring space until the writer has it in the file.
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --ring-size 64k --output-io buffered \
		--metrics-file "$prom" ||
		{ fail "inline: did not start: $(cat "$log")"; return; }
	burst_seq 4000
	sleep 1.3 # at least one snapshot after the burst
	lab_in_cap "$VPNCAP" counters "$LAB_CAP_IF" --json >"$json" 2>&1
	check "counters --json: this capture, identity holds while running" "$LAB_PY" -c "
import json, sys
caps = json.load(open('$json'))
assert len(caps) == 1, caps
c = caps[0]
assert c['running'] and c['interfaces'][0]['name'] == '$LAB_CAP_IF' and c['interfaces'][0]['mode'] == 'inline'
i = c['identity']
assert i['holds'] and i['seen'] >= 4000
assert i['seen'] == i['passed'] + i['written'] + i['in_flight'] + sum(i[k] for k in ('unmatched_dropped', 'no_socket', 'ring_full', 'af_xdp_no_buffer', 'af_xdp_ring_full', 'queue_full', 'disk_full', 'min_free', 'write_error', 'after_count'))
ts = c['interfaces'][0]['timestamps']
assert set(ts) == {'hook', 'batch', 'hardware'} and ts['hook'] >= i['written'] and ts['hardware'] == 0, ts
"
	check "counters: the table names the interface and prints the identity" \
		sh -c "'$VPNCAP' counters '$LAB_CAP_IF' | grep -q '^  identity: seen [0-9]* = passed'"
	check "counters: the table counts frames per timestamp source" \
		sh -c "'$VPNCAP' counters '$LAB_CAP_IF' | grep -q '^    timestamps: hook [1-9][0-9]*, batch 0, hardware 0 (the nic stamped 0 at the hook)$'"
	check "counters --watch refreshes until signalled" sh -c "timeout -s INT 2.5 '$VPNCAP' counters '$LAB_CAP_IF' --watch | grep -c '^capture ' | grep -qv '^[01]$'"
	stop_capture INT; rc=$?
	check "inline: exit 0" [ "$rc" -eq 0 ]
	check "metrics file: the final snapshot (running=\"no\")" grep -q 'running="no"' "$prom"
	seen=$(sum_metric "$prom" vpncap_hook_seen_total)
	matched=$(sum_metric "$prom" vpncap_hook_matched_total)
	written=$(metric "$prom" vpncap_written_frames_total)
	ring=$(sum_metric "$prom" vpncap_hook_ring_full_total)
	queue_full=$(sum_metric "$prom" vpncap_writer_queue_full_total)
	disk=$(sum_metric "$prom" vpncap_writer_dropped_total)
	passed=$(( $(sum_metric "$prom" vpncap_hook_passed_total) - $(sum_metric "$prom" vpncap_hook_copied_total) - ring ))
	drops=$((ring + queue_full + disk))
	echo "# inline, 64k ring: seen $seen, matched $matched, written $written, lost to a full ring $ring, queue full $queue_full"
	check "final identity is exact: seen = passed + written + drops ($seen = $passed + $written + $drops)" \
		[ "$seen" -eq $((passed + written + drops)) ]
	check "final: nothing in flight, identity holds" sh -c "[ '$(metric "$prom" vpncap_in_flight_frames)' = 0 ] && [ '$(metric "$prom" vpncap_identity_holds)' = 1 ]"
	check "drops forced: the 64k ring lost copies" [ "$ring" -gt 0 ]
	check "every matched frame accounted: written + lost = matched" [ $((written + ring + queue_full)) -eq "$matched" ]
	# A frame is stamped once, before the writer queue takes or refuses it.
	check "inline: every frame stamped once: sources ($(sum_metric "$prom" vpncap_frames_timestamped_total)) = written + queue full + writer drops" \
		[ "$(sum_metric "$prom" vpncap_frames_timestamped_total)" -eq $((written + queue_full + disk)) ]
	check "inline: ring records carry the hook's time: no batch stamps" \
		[ "$(metric "$prom" vpncap_frames_timestamped_total 'source="batch"')" = 0 ]
	check "the file holds what the counters say was written" \
		sh -c "[ \$(capinfos -c -M '$out' | sed -n 's/^Number of packets: *//p') -eq $written ]"
	# The writer copies each record from the ring, whose space it holds until then.
	check_seq_file "inline" "$out" "$written"
	check "counters of an ended capture are gone from /run/vpncap" sh -c "! '$VPNCAP' counters '$LAB_CAP_IF' | grep -q '^capture '"
}

case_bypass_queues() {
	local out=$WORK/byp.pcapng log=$WORK/byp.log prom=$WORK/metrics/byp.prom
	ip -n "$LAB_CAP" addr flush dev "$LAB_CAP_IF"
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --metrics-file "$prom" ||
		{ fail "bypass: did not start: $(cat "$log")"; return; }
	lab_send --per-class 10 >/dev/null
	sleep 0.5
	stop_capture INT
	check "bypass: per-queue frames taken = frames written" \
		[ "$(metric "$prom" vpncap_queue_taken_total 'queue="0"')" = "$(metric "$prom" vpncap_written_frames_total)" ]
	check "bypass: redirected = written, identity exact" sh -c "[ '$(sum_metric "$prom" vpncap_hook_redirected_total)' = '$(metric "$prom" vpncap_written_frames_total)' ] && [ '$(metric "$prom" vpncap_in_flight_frames)' = 0 ]"
	check "bypass: hits per rule add up to matched" \
		[ "$(sum_metric "$prom" vpncap_filter_hits_total)" = "$(sum_metric "$prom" vpncap_hook_matched_total)" ]
}

# burst_seq N: N 1400-byte frames to UDP 500 as fast as a raw socket sends
# them (built first), frame i carrying i (8 digits) and then a pattern of i.
burst_seq() {
	ip netns exec "$LAB_GEN" "$LAB_PY" -c "
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('$LAB_GEN_IF', 0))
dst = bytes.fromhex('$LAB_CAP_MAC'.replace(':', ''))
eth = dst + bytes.fromhex('020000000002') + b'\x08\x00'
frames = []
for i in range($1):
    payload = b'%08d' % i + bytes((i * 7 + j) & 0xff for j in range(1400 - 8))
    udp = struct.pack('!HHHH', 500, 500, 8 + len(payload), 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp) + len(payload), i & 0xffff, 0, 64, 17, 0,
                     socket.inet_aton('198.18.7.2'), socket.inet_aton('198.18.7.1'))
    frames.append(eth + ip + udp + payload)
send = s.send
for f in frames:
    send(f)
"
}

# check_seq_file WHAT FILE N: FILE holds N frames of burst_seq, each whole, in
# increasing order (a buffer given back before it was written would show a
# later frame's bytes, or a frame twice).
check_seq_file() {
	check "$1: the file holds the $3 frames written, each whole, in order" "$LAB_PY" -c "
from scapy.utils import RawPcapNgReader
seqs = []
for data, meta in RawPcapNgReader('$2'):
    p = data[42:]
    i = int(p[:8])
    assert len(data) == 1442 and p[8:] == bytes((i * 7 + j) & 0xff for j in range(1392)), ('torn', i)
    seqs.append(i)
assert len(seqs) == $3, (len(seqs), $3)
assert all(a < b for a, b in zip(seqs, seqs[1:])), 'out of order'
print('# $1: %d frames checked, first %d, last %d' % (len(seqs), seqs[0], seqs[-1]))
"
}

# The writer holds each frame's UMEM buffer until its bytes are in the file
# (buffered: copied into the ring, jumbo frames written from the UMEM by
# pwritev, see e2e_multiqueue; direct: copied into the O_DIRECT buffer); a
# UMEM too small for the burst runs the fill ring
# dry, and the kernel drops and counts the excess at the socket. Inside the
# file, every frame is whole and in order, and written + counted drops =
# matched. case_bypass_umem_starved IO: --output-io IO.
case_bypass_umem_starved() {
	local io=$1 out=$WORK/starve-$1.pcapng log=$WORK/starve-$1.log prom=$WORK/metrics/starve-$1.prom
	local n=30000 written matched nobuf ringfull qfull
	ip -n "$LAB_CAP" addr flush dev "$LAB_CAP_IF"
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --copy --output-io "$io" \
		--rx-ring 64 --fill-ring 64 --umem-frames 128 --metrics-file "$prom" ||
		{ fail "starved UMEM, $io: did not start: $(cat "$log")"; return; }
	[ "$io" != buffered ] || check "starved UMEM, buffered: said at start" grep -q "buffered I/O" "$log"
	burst_seq $n
	sleep 0.5
	stop_capture INT
	written=$(metric "$prom" vpncap_written_frames_total)
	matched=$(sum_metric "$prom" vpncap_hook_matched_total)
	nobuf=$(sum_metric "$prom" vpncap_queue_af_xdp_no_buffer_total)
	ringfull=$(sum_metric "$prom" vpncap_queue_af_xdp_ring_full_total)
	qfull=$(sum_metric "$prom" vpncap_writer_queue_full_total)
	echo "# starved UMEM (128 frames, $io): matched $matched, written $written, no buffer $nobuf, rx ring full $ringfull, queue full $qfull"
	check "starved UMEM, $io: every burst frame matched" [ "$matched" -eq $n ]
	check "starved UMEM, $io: the excess was dropped at the socket and counted" [ $((nobuf + ringfull)) -gt 0 ]
	check "starved UMEM, $io: written + counted drops = matched" [ $((written + nobuf + ringfull + qfull)) -eq "$matched" ]
	check "starved UMEM, $io: none refused by the writer queue (the UMEM is the limit)" [ "$qfull" -eq 0 ]
	check_seq_file "starved UMEM, $io" "$out" "$written"
}

# veth offers RX timestamps (Linux 6.8+ says so) but a frame from its peer's
# stack carries none: auto loads the device-bound program, and every frame
# keeps the hook's stamp.
case_timestamp_sources() {
	local out=$WORK/ts.pcapng log=$WORK/ts.log prom=$WORK/metrics/ts.prom n=20 written rc err
	ip -n "$LAB_CAP" addr flush dev "$LAB_CAP_IF"
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --timestamps auto -c $n --duration 10 \
		--metrics-file "$prom" || { fail "timestamps: did not start: $(cat "$log")"; return; }
	lab_send --per-class 10 >/dev/null
	wait_capture; rc=$?
	check "timestamps: -c $n ends the capture, exit 0" [ "$rc" -eq 0 ]
	written=$(metric "$prom" vpncap_written_frames_total)
	echo "# timestamps: $(grep '^vpncap_frames_timestamped_total' "$prom" | sed 's/.*source=//' | tr '\n' ' ')"
	check "timestamps: $n frames written" [ "$written" = $n ]
	check "timestamps: nothing lost between hook and file" \
		[ $(( $(sum_metric "$prom" vpncap_writer_queue_full_total) + $(sum_metric "$prom" vpncap_writer_dropped_total) )) -eq 0 ]
	check "timestamps: source hook = frames written (bypass metadata carries the hook's time)" \
		[ "$(metric "$prom" vpncap_frames_timestamped_total 'source="hook"')" = "$written" ]
	check "timestamps: no batch stamp, no hardware stamp on veth" sh -c \
		"[ '$(metric "$prom" vpncap_frames_timestamped_total 'source="batch"')' = 0 ] && [ '$(metric "$prom" vpncap_frames_timestamped_total 'source="hardware"')' = 0 ]"
	check "timestamps: the hook saw no NIC stamp" [ "$(sum_metric "$prom" vpncap_hook_hw_stamped_total)" = 0 ]
	check "timestamps: HELP and TYPE lines" sh -c \
		"grep -q '^# HELP vpncap_frames_timestamped_total ' '$prom' && grep -q '^# TYPE vpncap_frames_timestamped_total counter$' '$prom'"
	check "timestamps: veth offers RX timestamps, so auto took the device-bound program" \
		grep -q 'stamping: by the nic' <("$DUMP" "$out" | grep '^IDB')
	# The lab namespace's own loopback: its driver offers no RX metadata.
	err=$(lab_in_cap "$VPNCAP" capture -i lo -w "$WORK/lo.pcapng" --timestamps hardware --duration 1 2>&1); rc=$?
	if lab_in_cap "$VPNCAP" list | awk '$2 == "lo" { f = 1 } f && /xdp:/ { print; exit }' |
		grep -q 'rx metadata: none'; then
		check "timestamps hardware on lo: refused, the driver does not offer them" sh -c \
			"[ $rc -ne 0 ] && printf '%s' \"\$0\" | grep -q 'lo: hardware timestamps unavailable: the driver does not offer XDP RX timestamps (netdev xdp-rx-metadata-features)'" "$err"
	else
		check "timestamps hardware on lo: refused (kernel < 6.8: by the driver)" [ $rc -ne 0 ]
	fi
}

case_status_line() {
	local out=$WORK/st.pcapng tty=$WORK/tty.txt
	# script(1) gives vpncap a terminal on stderr.
	script -qfec "ip netns exec '$LAB_CAP' '$VPNCAP' capture -i '$LAB_CAP_IF' -w '$out' --duration 2.5" "$tty" >/dev/null 2>&1 &
	sleep 1
	lab_send --per-class 5 >/dev/null
	wait $!
	check "status line on a terminal: frames, rate, MB, drops, file" \
		grep -aq 'vpncap: [0-9]* frames, [0-9]*/s, [0-9.]* MB, [0-9]* dropped, ' "$tty"
	check "no status line when stderr is not a terminal" sh -c "! grep -q ' frames, .*/s, ' '$WORK/byp.log'"
}

case_errors() {
	local err rc
	err=$("$VPNCAP" counters --bogus 2>&1); rc=$?
	check "counters --bogus: exit 2, one line" sh -c "[ $rc -eq 2 ] && [ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ]" "$err"
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/e.pcapng" --metrics-file "$WORK/no/such/dir/m.prom" --duration 1.5 2>&1); rc=$?
	check "--metrics-file unwritable: one error line, the capture goes on (exit 0)" \
		sh -c "[ $rc -eq 0 ] && [ \$(printf '%s\n' \"\$0\" | grep -c 'metrics-file') -eq 1 ]" "$err"
}

lab_with_addresses || { echo "not ok - could not build the lab"; exit 1; }
case_inline_ring_full
case_bypass_queues
case_bypass_umem_starved buffered
case_bypass_umem_starved auto
case_timestamp_sources
case_status_line
case_errors
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: issue 8's multi-queue capture and jumbo frames, on a veth pair
# with 4 queues each way (veth delivers a frame on the receive queue whose
# number is the sender's transmit queue, which the sender picks by flow hash).
#  - one consumer thread per RX queue, named and pinned to the --cpus given,
#    the writer a thread apart;
#  - frames of many flows arrive on several queues, every one of them in one
#    file, with per-queue counters that add up;
#  - --busy-poll and explicit ring sizes capture the same way;
#  - 9000-byte frames are captured whole: through the AF_XDP socket with
#    multi-buffer (XDP_USE_SG, kernel 6.6+), else copied through the ring
#    buffer, as the capture says.
# usage: multiqueue.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init multiqueue "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"
NCPU=$(nproc)
LAST_CPU=$((NCPU - 1))

# send_flows N FLOWS SIZE [PACE]: N frames of SIZE bytes to UDP 500, FLOWS
# source ports; with PACE, a 2 ms pause after every PACE frames.
send_flows() {
	ip netns exec "$LAB_GEN" "$LAB_PY" - "$LAB_GEN_IF" "$LAB_CAP_MAC" "$1" "$2" "$3" "${4:-0}" <<'EOF'
import socket, struct, sys, time
ifname, mac, n, flows, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
pace = int(sys.argv[6])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
dst = bytes.fromhex(mac.replace(':', ''))
eth = dst + bytes.fromhex('020000000002') + b'\x08\x00'
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
for i in range(n):
    sport = 40000 + i % flows
    ulen = size - 14 - 20
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, size - 14, i & 0xffff, 0, 64, 17, 0,
                     bytes([198, 18, 9, 2]), bytes([198, 18, 9, 1]))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    udp = struct.pack('!HHHH', sport, 500, ulen, 0)
    s.send(eth + ip + udp + bytes([i & 0xff]) * (ulen - 8))
    if pace and (i + 1) % pace == 0:
        time.sleep(0.002)
EOF
}

# thread_cpus PID: "NAME CPULIST" per thread of PID.
thread_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s %s\n' "$(cat "$t/comm")" "$(taskset -pc "${t##*/}" | sed 's/.*: //')"
	done
}

count_frames() { "$DUMP" "$1" | grep -c '^EPB'; }

case_threads_queues() {
	local out=$WORK/mq.pcapng log=$WORK/mq.log json=$WORK/mq.json threads line
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --cpus "0-$LAST_CPU" ||
		{ fail "multi-queue: did not start: $(cat "$log")"; return; }
	threads=$(thread_cpus "$VPNCAP_PID")
	while IFS= read -r line; do echo "# $line"; done <<<"$threads"
	check "one consumer thread per RX queue (4), named by queue and interface" \
		test "$(echo "$threads" | grep -c '^rx-[0-3]-')" -eq 4
	check "consumer thread of queue 1 pinned to CPU $((1 % NCPU)) (cpus[i mod n])" \
		grep -qx "rx-1-$LAB_CAP_IF $((1 % NCPU))" <<<"$threads"
	check "the writer is a thread apart" grep -q '^vpncap-writer' <<<"$threads"
	send_flows 4000 64 200
	sleep 1.3
	lab_in_cap "$VPNCAP" counters "$LAB_CAP_IF" --json >"$json" 2>&1
	stop_capture INT || fail "multi-queue: exit status $?"
	check "frames of 64 flows came on at least 2 of the 4 queues, per-queue counts add up" \
		"$LAB_PY" -c "
import json
c = json.load(open('$json'))[0]
qs = c['interfaces'][0]['queues']
print('# per queue taken:', [(q['queue'], q['taken']) for q in qs])
assert len(qs) == 4
assert sum(1 for q in qs if q['taken'] > 0) >= 2
assert sum(q['taken'] for q in qs) == 4000, sum(q['taken'] for q in qs)
"
	check "all 4000 frames in one file" test "$(count_frames "$out")" -eq 4000
	check "EPBs name more than one queue" \
		test "$("$DUMP" "$out" | grep -o ' queue=[0-9]*' | sort -u | wc -l)" -ge 2
	check "capinfos reads the file" capinfos "$out" >/dev/null
	check "the file header says how the sockets are set up" \
		grep -q 'umem' <("$DUMP" "$out" | grep '^IDB')
}

case_busy_poll_sizes() {
	local out=$WORK/bp.pcapng log=$WORK/bp.log
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --busy-poll \
		--rx-ring 512 --fill-ring 1024 --umem-frames 2048 -v ||
		{ fail "busy poll: did not start: $(cat "$log")"; return; }
	# Paced: four spinning threads on a 2-CPU runner can each be kept off
	# the CPU for milliseconds, longer than a 512-frame ring lasts against an
	# unpaced burst; this case is about busy polling and the sizes, not rate.
	send_flows 2000 16 300 100
	sleep 1
	stop_capture INT || fail "busy poll: exit status $?"
	"$DUMP" "$out" | grep -c "^EPB" | sed "s/^/# busy poll frames: /"
	tail -n 3 "$log" | sed "s/^/# /"
	check "--busy-poll with explicit ring sizes: all 2000 frames" \
		test "$(count_frames "$out")" -eq 2000
	check "the file header says busy poll and the sizes asked for" \
		grep -q 'rx ring 512, fill ring 1024.*busy poll on' <("$DUMP" "$out" | grep '^IDB')
}

# case_jumbo IO: 9000-byte frames with --output-io IO (buffered: each of a
# frame's UMEM buffers written from where it is; auto: direct on a disk).
case_jumbo() {
	local io=$1 out=$WORK/jumbo-$1.pcapng log=$WORK/jumbo-$1.log
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" mtu 9000
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" mtu 9000
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass --output-io "$io" -v ||
		{ fail "jumbo: did not start: $(cat "$log")"; return; }
	send_flows 200 8 9000
	sleep 1
	stop_capture INT || fail "jumbo: exit status $?"
	check "$io: 200 frames of 9000 bytes captured whole" \
		test "$("$DUMP" "$out" | grep -c 'caplen=9000 origlen=9000')" -eq 200
	# Frame i's payload is byte i (its IP id): a buffer given back before its
	# bytes were written would show another frame's byte.
	check "$io: every jumbo frame holds its own bytes, each once" "$LAB_PY" -c "
from scapy.utils import RawPcapNgReader
ids = []
for data, meta in RawPcapNgReader('$out'):
    i = int.from_bytes(data[18:20], 'big')
    assert len(data) == 9000 and data[42:] == bytes([i & 0xff]) * 8958, ('torn', i)
    ids.append(i)
assert sorted(ids) == list(range(200)), sorted(ids)[:10]
"
	if grep -q 'multi-buffer on' <("$DUMP" "$out" | grep '^IDB'); then
		check "multi-buffer AF_XDP: the jumbo frames came through the socket (redirected)" \
			test "$("$DUMP" "$out" | grep 'caplen=9000' | grep -c 'verdict=4')" -eq 200
	else
		check "without multi-buffer AF_XDP the capture says why and copies instead" \
			grep -q 'multi-buffer' "$log"
	fi
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" mtu 1500
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" mtu 1500
}

# --count is one limit for all the threads together.
case_count() {
	local out=$WORK/count.pcapng log=$WORK/count.log
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode bypass -c 1000 ||
		{ fail "count: did not start: $(cat "$log")"; return; }
	send_flows 3000 64 200
	check "-c 1000 over 4 queue threads: ends by itself, status 0" wait_capture
	check "... with exactly 1000 frames in the file" test "$(count_frames "$out")" -eq 1000
}

case_bad_cpus() {
	local rc
	lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/x.pcapng" --cpus 1000 \
		>"$WORK/cpus.log" 2>&1
	rc=$?
	check "--cpus naming a CPU vpncap may not use: exit 2, one line" \
		test "$rc" -eq 2 -a "$(wc -l <"$WORK/cpus.log")" -eq 1
	check "... that names the CPU" grep -q 'CPU 1000' "$WORK/cpus.log"
}

export LAB_QUEUES=4
lab_up || { echo "not ok - lab"; exit 1; }
case_threads_queues
case_busy_poll_sizes
case_jumbo buffered
case_jumbo auto
case_count
case_bad_cpus
e2e_finish

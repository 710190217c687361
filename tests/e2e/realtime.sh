#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: `vpncap capture --realtime`, PktMon's real-time view. One
# decoded line per frame, with and without writing a file, and a console that
# cannot keep up: lines are skipped and counted, the file keeps every frame.
# usage: realtime.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init realtime "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"

lab_with_addresses() {
	lab_up || return 1
	ip -n "$LAB_GEN" addr add 198.18.8.2/24 dev "$LAB_GEN_IF" &&
		ip -n "$LAB_CAP" addr add 198.18.8.1/24 dev "$LAB_CAP_IF"
}

# ike_exchange N: N IKE_SA_INIT requests from the generator, each answered by
# the capture side (a response with the R flag), as a responder would.
ike_exchange() {
	ip netns exec "$LAB_CAP" "$LAB_PY" - "$1" <<-'PY' &
	import socket, sys
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(('198.18.8.1', 500))
	s.settimeout(5)
	for _ in range(int(sys.argv[1])):
	    d, a = s.recvfrom(2000)
	    r = bytearray(d)
	    r[8:16] = bytes.fromhex('99aabbccddeeff00')  # responder SPI
	    r[19] = 0x20                                  # R flag
	    s.sendto(bytes(r), a)
	PY
	local responder=$!
	sleep 0.3
	ip netns exec "$LAB_GEN" "$LAB_PY" - "$1" <<-'PY'
	import socket, sys
	ike = bytes.fromhex('1a2b3c4d5e6f7081' '0000000000000000' '21' '20' '22' '08' '00000000' '00000100')
	ike += bytes.fromhex('29000008') + bytes(4) + bytes(256 - 36)   # SA stub, padding
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(('198.18.8.2', 500))
	s.settimeout(5)
	for _ in range(int(sys.argv[1])):
	    s.sendto(ike, ('198.18.8.1', 500))
	    s.recvfrom(2000)
	PY
	wait "$responder"
}

case_view_only() {
	local log=$WORK/view.log out=$WORK/view.txt
	ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" --realtime >"$out" 2>"$log" &
	VPNCAP_PID=$!
	wait_for_line "$log" 'capturing on' || { fail "view only: did not start: $(cat "$log")"; return; }
	check "without -w: says it writes to the terminal only" grep -q 'into the terminal only' "$log"
	ike_exchange 3
	sleep 0.5
	stop_capture INT
	check "a line per request, inbound, decoded" \
		[ "$(grep -c ' in  198.18.8.2:500 > 198.18.8.1:500 IKE  IKE_SA_INIT request (I) msgid 0 ispi 0x1a2b3c4d5e6f7081 rspi 0 first SA' "$out")" -eq 3 ]
	check "a line per response, outbound, with the responder's SPI" \
		[ "$(grep -c ' out 198.18.8.1:500 > 198.18.8.2:500 IKE  IKE_SA_INIT response .*rspi 0x99aabbccddeeff00' "$out")" -eq 3 ]
	check "lines start with the time and the interface" \
		sh -c "grep -v '^vpncap' '$out' | grep -qvE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9} $LAB_CAP_IF q[0-9]+ (in |out) ' && exit 1 || exit 0"
	check "no colour when stdout is not a terminal" sh -c "! grep -q \$(printf '\\033') '$out'"
	check "summary: no file" grep -q 'no file (--realtime without -w)' "$log"
}

case_slow_console() {
	local log=$WORK/slow.log out=$WORK/slow.txt file=$WORK/slow.pcapng n=20000 written
	# The reader sleeps: the pipe fills, the view's queue fills, lines are skipped.
	( ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" --realtime -w "$file" 2>"$log" |
		(sleep 5; cat >"$out") ) &
	local pipeline=$!
	wait_for_line "$log" 'capturing on' || { fail "slow console: did not start: $(cat "$log")"; return; }
	ip netns exec "$LAB_GEN" "$LAB_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range($n):
    s.sendto(b'x' * 200, ('198.18.8.1', 4500))
"
	sleep 1
	pkill -INT -f "capture -i $LAB_CAP_IF --realtime -w $file"
	wait "$pipeline"
	written=$(capinfos -c -M "$file" | sed -n 's/^Number of packets: *//p')
	check "the file has every frame ($written of $n)" [ "$written" -eq "$n" ]
	check "summary: nothing dropped" grep -q "matched $n, written $n, dropped 0" "$log"
	check "the view says how many lines it skipped" grep -qE '^vpncap: [0-9]+ frames? not shown: the console could not keep up' "$out"
	check "shown + skipped = frames" sh -c "[ \$(( \$(grep -c ' > 198.18.8.1:4500 ' '$out') + \$(sed -n 's/^vpncap: \\([0-9]*\\) frames* not shown.*/\\1/p' '$out' | awk '{s+=\$1} END {print s+0}') )) -eq $n ]"
}

case_terminal_colour() {
	local tty=$WORK/tty.txt
	script -qfec "ip netns exec '$LAB_CAP' '$VPNCAP' capture -i '$LAB_CAP_IF' --realtime --duration 3" "$tty" >/dev/null 2>&1 &
	local pid=$!
	sleep 1.2
	ike_exchange 1
	wait $pid
	check "on a terminal: coloured lines, no status line over the view" \
		sh -c "grep -a 'IKE_SA_INIT' '$tty' | grep -q \$(printf '\\033')'\\[' && ! grep -aq ' frames, .*/s, ' '$tty'"
}

case_errors() {
	local err rc
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" 2>&1); rc=$?
	check "no -w and no --realtime: exit 2, says both" sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q -- '--realtime'" "$err"
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" --realtime --persistent 2>&1); rc=$?
	check "--realtime --persistent: exit 2" [ "$rc" -eq 2 ]
}

lab_with_addresses || { echo "not ok - could not build the lab"; exit 1; }
case_view_only
case_slow_console
case_terminal_colour
case_errors
e2e_finish

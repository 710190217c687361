#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: issue 18's interface forms, as PktMon and tcpdump admins type
# them. In a capture namespace of its own with two veth ports (and lo):
#  - `-i any` captures both ports, one IDB each, not lo; a third port added
#    while it runs is picked up (its IDB appended to the file, its frames
#    after it), one port deleted ends only its own part, and the capture
#    goes on and ends with status 0; each event is one line. Once with
#    --mode auto (bypass on these address-less ports: new consumer threads)
#    and once with --mode inline (the ring buffers of this thread);
#  - `-i IDX` (the ifindex `vpncap list` prints) captures that port;
#  - `--comp nics` is -i any, never --compress.
# vpncap runs inside the namespace (ip netns exec), where it mounts its own
# bpffs as in every e2e test.
# usage: any.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init any "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"
N=20

lab_up || abort "lab: cannot create the namespaces"
e2e_on_exit lab_down
ID=${LAB_CAP_IF#vc}

# add_port K: one more veth pair, vgK$ID (generator) -- vcK$ID (capture), up.
add_port() {
	ip -n "$LAB_GEN" link add "vg$1$ID" type veth peer name "vc$1$ID" netns "$LAB_CAP" &&
		ip -n "$LAB_GEN" link set "vg$1$ID" up &&
		ip -n "$LAB_CAP" link set "vc$1$ID" up
}

# send_on GEN_IF CAP_IF SEQ: N IKE frames (UDP 500) to the capture port.
send_on() {
	local mac
	mac=$(ip -n "$LAB_CAP" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ip netns exec "$LAB_GEN" "$LAB_PY" "$HERE/../../scripts/lab_traffic.py" --iface "$1" \
		--dst-mac "$mac" --per-class "$N" --classes ike-v4 --first-seq "$3" >/dev/null
}

# idb_of FILE NAME: the IDB number of interface NAME in FILE ("" if none).
idb_of() {
	"$DUMP" "$1" | grep '^IDB' | grep -n "name=$2\( \|$\)" | cut -d: -f1 | head -1 |
		awk '{ print $1 - 1 }'
}

frames_of() { "$DUMP" "$1" | grep -c "^EPB if=$2 "; }

# The IDB of interface NAME comes before the first frame that names it.
idb_before_frames() {
	"$DUMP" "$1" | awk -v id="$2" '
		/^SHB/ { idbs = 0 }
		/^IDB/ { idbs++ }
		/^EPB/ { split($2, a, "="); if (a[2] == id && a[2] >= idbs) bad = 1 }
		END { exit bad }'
}

add_ports_while_capturing() { # CASE MODE...
	local name=$1 out=$WORK/$1.pcapng log=$WORK/$1.log id1 id2 id3 rc
	shift
	ip -n "$LAB_CAP" link del "vc3$ID" 2>/dev/null
	ip -n "$LAB_CAP" link show "vc2$ID" >/dev/null 2>&1 || add_port 2 ||
		abort "$name: cannot add the second port"
	start_capture "$log" -i any -w "$out" "$@" ||
		{ fail "$name: did not start: $(cat "$log")"; return; }
	check "$name: one line says which interfaces any chose, both ports, not lo" \
		grep -q -- "-i any: chose $LAB_CAP_IF, vc2$ID (" "$log"
	check "$name: capturing on each port" \
		test "$(grep -c 'capturing on vc' "$log")" -eq 2
	send_on "$LAB_GEN_IF" "$LAB_CAP_IF" 0
	send_on "vg2$ID" "vc2$ID" 1000
	add_port 3 || abort "$name: cannot add the third port"
	check "$name: the third port is picked up, one line" \
		wait_for_line "$log" "-i any: vc3$ID appeared: capturing it too"
	sleep 0.5
	send_on "vg3$ID" "vc3$ID" 2000
	sleep 0.5
	ip -n "$LAB_CAP" link del "vc2$ID"
	check "$name: the deleted port ends its own part, one line" \
		wait_for_line "$log" "vc2$ID: the interface went away; its capture ended, the others go on"
	send_on "$LAB_GEN_IF" "$LAB_CAP_IF" 3000
	sleep 0.5
	check "$name: still running after a port went away" kill -0 "$VPNCAP_PID"
	stop_capture INT; rc=$?
	check "$name: exit status 0 (not 75: no port was named)" test "$rc" -eq 0
	sed 's/^/# /' "$log" | tail -n 12
	id1=$(idb_of "$out" "$LAB_CAP_IF") id2=$(idb_of "$out" "vc2$ID") id3=$(idb_of "$out" "vc3$ID")
	note "$name: IDBs $LAB_CAP_IF=$id1 vc2$ID=$id2 vc3$ID=$id3"
	check "$name: one IDB per interface, three in all, none for lo" \
		test "$("$DUMP" "$out" | grep -c '^IDB')" -eq 3 -a -n "$id1" -a -n "$id2" -a -n "$id3"
	check "$name: every frame of the first port ($((2 * N)))" test "$(frames_of "$out" "$id1")" -eq $((2 * N))
	check "$name: every frame of the deleted port ($N)" test "$(frames_of "$out" "$id2")" -eq "$N"
	check "$name: every frame of the late port ($N)" test "$(frames_of "$out" "$id3")" -eq "$N"
	check "$name: the late port's IDB comes before its frames" idb_before_frames "$out" "$id3"
	check "$name: capinfos reads the file, 3 interfaces" \
		grep -q 'Number of interfaces in file: 3' <(capinfos "$out" 2>&1)
	check "$name: tshark names the late port's frames by its interface" \
		test "$(tshark -r "$out" -T fields -e frame.interface_name 2>/dev/null | grep -c "^vc3$ID\$")" -eq "$N"
}

case_index() {
	local out=$WORK/idx.pcapng log=$WORK/idx.log idx
	idx=$(ip -n "$LAB_CAP" -o link show "$LAB_CAP_IF" | cut -d: -f1)
	check "vpncap list prints $LAB_CAP_IF with IDX $idx" \
		grep -Eq "^ *$idx +$LAB_CAP_IF " <(lab_in_cap "$VPNCAP" list 2>&1)
	start_capture "$log" -i "$idx" -w "$out" ||
		{ fail "-i IDX: did not start: $(cat "$log")"; return; }
	check "-i $idx captures $LAB_CAP_IF" grep -q "capturing on $LAB_CAP_IF " "$log"
	send_on "$LAB_GEN_IF" "$LAB_CAP_IF" 5000
	sleep 0.5
	stop_capture INT || fail "-i IDX: exit status $?"
	check "-i IDX: every frame, the IDB named $LAB_CAP_IF" \
		test "$(frames_of "$out" 0)" -eq "$N" -a "$(idb_of "$out" "$LAB_CAP_IF")" = 0
	lab_in_cap "$VPNCAP" capture -i 9999 -w "$WORK/none.pcapng" >"$WORK/idx-bad.log" 2>&1
	check "-i 9999: no such name or index, exit 2, one line" \
		test $? -eq 2 -a "$(wc -l <"$WORK/idx-bad.log")" -eq 1
}

case_comp_nics() {
	local out=$WORK/comp.pcapng log=$WORK/comp.log
	start_capture "$log" --comp nics -w "$out" ||
		{ fail "--comp nics: did not start: $(cat "$log")"; return; }
	check "--comp nics is -i any (not --compress)" grep -q -- "-i any: chose " "$log"
	send_on "$LAB_GEN_IF" "$LAB_CAP_IF" 6000
	sleep 0.5
	stop_capture INT || fail "--comp nics: exit status $?"
	check "--comp nics: the frames of $LAB_CAP_IF" \
		test "$(frames_of "$out" "$(idb_of "$out" "$LAB_CAP_IF")")" -eq "$N"
}

add_ports_while_capturing any-auto
add_ports_while_capturing any-inline --mode inline
case_index
case_comp_nics
e2e_finish

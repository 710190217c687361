#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of `vpncap list` in a namespace of its own holding two
# veth pairs: la (up, MTU 1400, 2 RX queues, IPv4 and IPv6) with its peer lb
# (up, no address: the capture port), and lc (down, addresses) with its peer
# ld (up, so without carrier). A bypass capture runs on lb. Both the table
# and --json must show the driver, MAC, state, MTU, queues and addresses the
# kernel has, vpncap's program and the running capture on lb; also as a
# user without privileges, and the usage errors.
# usage: list.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init list "$1" "$2"
PY=/usr/bin/python3

# lab_down (at exit, from lib.sh) removes $LAB_CAP and vpncap's lock files in it.
list_lab_up() {
	local id
	id=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
	LAB_CAP=vpncap-list-$id
	LA=la$id LB=lb$id LC=lc$id LD=ld$id
	ip netns add "$LAB_CAP" || return 1
	# IPv6 addresses without DAD, RS or MLD, set before the links exist.
	ip netns exec "$LAB_CAP" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.router_solicitations=0 || return 1
	ip -n "$LAB_CAP" link add "$LA" numrxqueues 2 numtxqueues 2 type veth \
		peer name "$LB" numrxqueues 2 numtxqueues 2 || return 1
	ip -n "$LAB_CAP" link add "$LC" type veth peer name "$LD" || return 1
	# The capture port and the peer of the down link carry no address at all.
	ip netns exec "$LAB_CAP" sysctl -qw "net.ipv6.conf.$LB.disable_ipv6=1" \
		"net.ipv6.conf.$LD.disable_ipv6=1" || return 1
	ip -n "$LAB_CAP" link set "$LA" mtu 1400 || return 1
	ip -n "$LAB_CAP" addr add 198.18.7.1/24 dev "$LA" || return 1
	ip -n "$LAB_CAP" addr add 2001:db8:7::1/64 dev "$LA" nodad || return 1
	ip -n "$LAB_CAP" addr add 198.19.7.1/25 dev "$LC" || return 1
	ip -n "$LAB_CAP" addr add 2001:db8:8::1/80 dev "$LC" nodad || return 1
	ip -n "$LAB_CAP" link set "$LA" up || return 1
	ip -n "$LAB_CAP" link set "$LB" up || return 1
	ip -n "$LAB_CAP" link set "$LD" up || return 1
	ip -n "$LAB_CAP" link set lo up
	export LAB_CAP
}
list_lab_up || { echo "not ok - lab setup failed"; exit 1; }

mac_of() { ip -n "$LAB_CAP" -o link show "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
index_of() { ip -n "$LAB_CAP" -o link show "$1" | cut -d: -f1; }

# list OUT [ARGS...]: vpncap list in the namespace; its exit status.
list() {
	local out=$1; shift
	ip netns exec "$LAB_CAP" "$VPNCAP" list "$@" >"$out" 2>"$out.err"
}

# The table row of an interface, its fields split on blanks.
row() { awk -v n="$2" '$2 == n && $1 ~ /^[0-9]+$/ { print; exit }' "$1"; }
# The lines after an interface's row up to the next row: addresses, then xdp.
after_row() {
	awk -v n="$2" '$1 ~ /^[0-9]+$/ { inside = ($2 == n); next } inside' "$1"
}
field() { row "$1" "$2" | awk -v f="$3" '{ print $f }'; }

# json_check FILE DESCRIPTION PYTHON-EXPRESSION: `d` is the array of
# interfaces, `by` by name, `k` the kernel object, `kf` its features by name.
json_check() {
	local file=$1 what=$2 expr=$3
	check "$what" "$PY" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
d, k = doc["interfaces"], doc["kernel"]
kf = {f["name"]: f for f in k["features"]}
by = {i["name"]: i for i in d}
la, lb, lc, ld = (by[n] for n in sys.argv[3:7])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$file" "$expr" "$LA" "$LB" "$LC" "$LD"
}

# The netdev family and its xdp-features came with Linux 6.3.
kernel_has_features() {
	local v
	v=$(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
	# shellcheck disable=SC2086
	set -- $v
	[ "$1" -gt 6 ] || { [ "$1" -eq 6 ] && [ "$2" -ge 3 ]; }
}

# xdp-rx-metadata-features came with Linux 6.8.
kernel_has_rx_metadata() {
	local v
	v=$(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
	# shellcheck disable=SC2086
	set -- $v
	[ "$1" -gt 6 ] || { [ "$1" -eq 6 ] && [ "$2" -ge 8 ]; }
}

# ---- cases -----------------------------------------------------------------

case_usage() {
	local out=$WORK/usage
	list "$out" --bogus; check "bad option: exit 2" [ $? -eq 2 ]
	check "bad option: nothing on stdout" [ ! -s "$out" ]
	check "bad option: one line naming it" sh -c "[ \$(wc -l <'$out.err') -eq 1 ] && grep -q -- \"unknown option '--bogus'\" '$out.err'"
	list "$out" "$LA"; check "argument: exit 2" [ $? -eq 2 ]
	check "argument: one line" sh -c "[ \$(wc -l <'$out.err') -eq 1 ] && grep -q 'unexpected argument' '$out.err'"
	list "$out" --help; check "--help: exit 0" [ $? -eq 0 ]
	check "--help documents the JSON keys" sh -c "grep -q 'rx_queues' '$out' && grep -q 'zc_max_segs' '$out' && grep -q 'capturing' '$out'"
	check "vpncap help lists the command" sh -c "'$VPNCAP' help | grep -q '^  list '"
}

case_table_idle() {
	local out=$WORK/idle.txt
	list "$out"; check "table: exit 0" [ $? -eq 0 ]
	check "table: nothing on stderr" [ ! -s "$out.err" ]
	check "table: header" grep -q '^IDX  NAME  *DRIVER  *MAC  *STATE  *MTU  *RXQ  *VPNCAP  *ADDRESSES$' "$out"
	check "table: lines fit 120 columns" awk 'length > 120 { bad = 1 } END { exit bad }' "$out"
	check "table: only the namespace's interfaces" [ "$(awk '$1 ~ /^[0-9]+$/ && NF == 9' "$out" | wc -l)" -eq 5 ]
	check "table: lo first" sh -c "[ \"\$(awk 'seen { print \$2; exit } /^IDX / { seen = 1 }' '$out')\" = lo ]"
	check "table: $LA index" [ "$(field "$out" "$LA" 1)" = "$(index_of "$LA")" ]
	check "table: $LA driver veth" [ "$(field "$out" "$LA" 3)" = veth ]
	check "table: $LA MAC" [ "$(field "$out" "$LA" 4)" = "$(mac_of "$LA")" ]
	check "table: $LA state UP" [ "$(field "$out" "$LA" 5)" = UP ]
	check "table: $LA MTU 1400" [ "$(field "$out" "$LA" 6)" = 1400 ]
	check "table: $LA 2 RX queues" [ "$(field "$out" "$LA" 7)" = 2 ]
	check "table: $LA not captured" [ "$(field "$out" "$LA" 8)" = - ]
	check "table: $LA IPv4 on the row" [ "$(field "$out" "$LA" 9)" = 198.18.7.1/24 ]
	after_row "$out" "$LA" >"$WORK/la.after"
	check "table: $LA IPv6 on a continuation line" grep -q '^  *2001:db8:7::1/64$' "$WORK/la.after"
	check "table: $LB MTU 1500, no address" sh -c "[ '$(field "$out" "$LB" 6)' = 1500 ] && [ '$(field "$out" "$LB" 9)' = - ]"
	check "table: $LC down with its addresses" sh -c "[ '$(field "$out" "$LC" 5)' = DOWN ] && [ '$(field "$out" "$LC" 9)' = 198.19.7.1/25 ]"
	after_row "$out" "$LC" >"$WORK/lc.after"
	check "table: $LC IPv6 /80" grep -q '^  *2001:db8:8::1/80$' "$WORK/lc.after"
	check "table: $LD up without carrier" [ "$(field "$out" "$LD" 5)" = NO-CARRIER ]
	check "table: $LA xdp line, skb, no program" sh -c "grep -q '^  *xdp: .*skb' '$WORK/la.after' && grep -q 'no program' '$WORK/la.after'"
	if kernel_has_features; then
		check "table: veth can take native XDP, no zero-copy" sh -c "grep -q 'xdp: native (redirect' '$WORK/la.after' && grep -q 'zero-copy no' '$WORK/la.after'"
	else
		check "table: old kernel says native is unknown" grep -q 'native unknown (kernel < 6.3)' "$WORK/la.after"
	fi
}

case_json_idle() {
	local out=$WORK/idle.json
	list "$out" --json; check "json: exit 0" [ $? -eq 0 ]
	check "json: parses" "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$out"
	json_check "$out" "json: stable keys" 'all(set(i) == {"ifindex", "name", "driver", "mac", "state", "operstate", "flags", "mtu", "rx_queues", "ipv4", "ipv6", "capturing", "capture_mode", "hidden_from_other_captures", "xdp"} and set(i["xdp"]) == {"skb", "native", "hw_offload", "zero_copy", "features", "zc_max_segs", "rx_metadata", "programs"} for i in d)'
	if kernel_has_rx_metadata; then
		json_check "$out" "json: veth hands XDP a timestamp, lo nothing" '"timestamp" in la["xdp"]["rx_metadata"] and by["lo"]["xdp"]["rx_metadata"] == []'
	else
		json_check "$out" "json: rx metadata unknown before 6.8" 'all(i["xdp"]["rx_metadata"] is None for i in d)'
	fi
	json_check "$out" "json: sorted by index, lo first" '[i["ifindex"] for i in d] == sorted(i["ifindex"] for i in d) and d[0]["name"] == "lo" and len(d) == 5'
	json_check "$out" "json: $LA facts" "la['ifindex'] == $(index_of "$LA") and la['driver'] == 'veth' and la['mac'] == '$(mac_of "$LA")' and la['mtu'] == 1400 and la['rx_queues'] == 2"
	json_check "$out" "json: $LA state and flags" 'la["state"] == "UP" and la["operstate"] == "up" and {"UP", "LOWER_UP", "RUNNING"} <= set(la["flags"])'
	json_check "$out" "json: $LA addresses" 'la["ipv4"] == ["198.18.7.1/24"] and "2001:db8:7::1/64" in la["ipv6"] and all(a.startswith(("2001:db8:7::1/", "fe80:")) for a in la["ipv6"])'
	json_check "$out" "json: $LC down, addresses kept" 'lc["state"] == "DOWN" and "UP" not in lc["flags"] and lc["ipv4"] == ["198.19.7.1/25"] and lc["ipv6"] == ["2001:db8:8::1/80"]'
	json_check "$out" "json: $LD no carrier" 'ld["state"] == "NO-CARRIER" and "LOWER_UP" not in ld["flags"] and ld["operstate"] == "lowerlayerdown"'
	json_check "$out" "json: $LB and $LD without addresses" 'lb["ipv4"] == lb["ipv6"] == ld["ipv4"] == ld["ipv6"] == []'
	json_check "$out" "json: nothing captured, no program" 'all(i["capturing"] is False and i["xdp"]["programs"] == [] for i in d)'
	json_check "$out" "json: skb always" 'all(i["xdp"]["skb"] is True for i in d)'
	if kernel_has_features; then
		json_check "$out" "json: veth native, redirect, no zero-copy" 'la["xdp"]["native"] is True and "redirect" in la["xdp"]["features"] and la["xdp"]["zero_copy"] is False and isinstance(la["xdp"]["zc_max_segs"], int)'
	else
		json_check "$out" "json: old kernel: features null" 'la["xdp"]["native"] is None and la["xdp"]["features"] is None'
	fi
}

case_capturing() {
	local log=$WORK/capture.log txt=$WORK/cap.txt js=$WORK/cap.json
	start_capture "$log" -i "$LB" -w "$WORK/lb.pcapng" --mode bypass ||
		{ fail "capture on $LB did not start: $(cat "$log")"; return; }
	list "$txt"; check "capturing: table exit 0" [ $? -eq 0 ]
	check "capturing: $LB marked with its mode, as its program runs" [ "$(field "$txt" "$LB" 8)" = bypass ]
	check "capturing: $LA not marked" [ "$(field "$txt" "$LA" 8)" = - ]
	after_row "$txt" "$LB" >"$WORK/lb.after"
	check "capturing: vpncap_xdp on $LB" grep -q 'xdp: .*vpncap_xdp' "$WORK/lb.after"
	check "capturing: bypass: a line says tcpdump and xdpdump do not see the matched frames" \
		grep -q '^ *bypass: tcpdump and xdpdump here do not see the matched frames' "$WORK/lb.after"
	check "capturing: lines fit 120 columns" awk 'length > 120 { bad = 1 } END { exit bad }' "$txt"
	list "$js" --json; check "capturing: json exit 0" [ $? -eq 0 ]
	json_check "$js" "capturing: json marks $LB only" 'lb["capturing"] is True and all(i["capturing"] is False for i in d if i is not lb)'
	json_check "$js" "capturing: json capture_mode bypass, hidden from other captures, on $LB only" 'lb["capture_mode"] == "bypass" and lb["hidden_from_other_captures"] is True and all(i["capture_mode"] is None and i["hidden_from_other_captures"] is False for i in d if i is not lb)'
	json_check "$js" "capturing: json program is vpncap's" 'len(lb["xdp"]["programs"]) == 1 and lb["xdp"]["programs"][0]["vpncap"] is True and lb["xdp"]["programs"][0]["id"] > 0 and lb["xdp"]["programs"][0]["owner"] in ("vpncap", "libxdp")'
	json_check "$js" "capturing: mode matches the kernel's" "lb['xdp']['programs'][0]['mode'] == ('native' if '$(ip -n "$LAB_CAP" link show "$LB" | grep -o 'xdpgeneric\|xdpdrv\|xdp ' | head -1)' in ('xdpdrv', 'xdp ') else 'skb')"
	json_check "$js" "capturing: dispatcher components name vpncap_xdp" 'lb["xdp"]["programs"][0]["owner"] != "libxdp" or "vpncap_xdp" in lb["xdp"]["programs"][0]["components"]'
	case_unprivileged
	stop_capture INT; check "capture stopped: exit 0" [ $? -eq 0 ]
	list "$txt"
	after_row "$txt" "$LB" >"$WORK/lb.after"
	check "after the capture: $LB not marked" [ "$(field "$txt" "$LB" 8)" = - ]
	check "after the capture: no program on $LB" grep -q 'no program' "$WORK/lb.after"
}

# As nobody: no names of programs, no lock files to test, but still exit 0.
case_unprivileged() {
	local out=$WORK/nobody.json
	if ! command -v setpriv >/dev/null || ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
		test -x "$VPNCAP"; then
		ok "# SKIP unprivileged: nobody cannot run $VPNCAP"
		return
	fi
	ip netns exec "$LAB_CAP" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all "$VPNCAP" list --json >"$out" 2>"$out.err"
	check "unprivileged: exit 0" [ $? -eq 0 ]
	json_check "$out" "unprivileged: same interfaces and facts" "len(d) == 5 and la['mtu'] == 1400 and la['driver'] == 'veth' and la['ipv4'] == ['198.18.7.1/24']"
	json_check "$out" "unprivileged: program id known, name null or known" 'len(lb["xdp"]["programs"]) == 1 and lb["xdp"]["programs"][0]["id"] > 0'
	json_check "$out" "unprivileged: capture true or unknown" 'lb["capturing"] in (True, None)'
	ip netns exec "$LAB_CAP" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all "$VPNCAP" list >"$out.txt" 2>&1
	check "unprivileged: table exit 0" [ $? -eq 0 ]
	check "unprivileged: kernel features unknown, and why" grep -q "^kernel $(uname -r): features unknown (not permitted" "$out.txt"
	json_check "$out" "unprivileged: json kernel not probed" 'k["probed"] is False and "not permitted" in k["unprobed"] and not any(f["present"] for f in kf.values())' 
}

# The kernel section with its wrapped lines joined: one line per feature lacked.
unwrapped() { awk '/^      / { sub(/^ +/, " "); line = line $0; next } { if (NR > 1) print line; line = $0 } END { print line }' "$1"; }

# What the kernel accepts, and the test switch that pretends it lacks some.
case_kernel() {
	local out=$WORK/kernel.txt js=$WORK/kernel.json
	list "$out"; check "kernel: exit 0" [ $? -eq 0 ]
	check "kernel: first line names the release" grep -q "^kernel $(uname -r) has:" "$out"
	unwrapped "$out" >"$out.joined"
	check "kernel: every lack has a reason and an effect" sh -c "! grep '^  lacks ' '$out.joined' | grep -v '^  lacks [a-z_]*, .* (.*): ..'"
	list "$js" --json; check "kernel: json exit 0" [ $? -eq 0 ]
	json_check "$js" "kernel: json has every feature, probed" "k['release'] == '$(uname -r)' and k['probed'] is True and set(kf) == {'adjust_meta', 'adjust_head', 'xdp_frags', 'xdp_load_bytes', 'probe_read', 'ringbuf', 'rx_kfuncs', 'tcx', 'dispatcher', 'xsk_sg'}"
	json_check "$js" "kernel: a missing feature has why and effect, a present one neither" 'all((f["why"] is None and f["effect"] is None) if f["present"] else (f["why"] and f["effect"]) for f in kf.values())'
	json_check "$js" "kernel: ring buffer and adjust_head (every supported kernel)" 'kf["ringbuf"]["present"] and kf["adjust_head"]["present"]'

	VPNCAP_KERNEL_LACKS=tcx,adjust_meta list "$js" --json
	check "kernel switch: exit 0" [ $? -eq 0 ]
	json_check "$js" "kernel switch: tcx and adjust_meta forced off" 'not kf["tcx"]["present"] and kf["tcx"]["forced"] and not kf["adjust_meta"]["present"] and kf["adjust_meta"]["forced"] and not kf["ringbuf"]["forced"]'
	json_check "$js" "kernel switch: effects named (clsact; metadata in front, no loss)" '"clsact" in kf["tcx"]["effect"] and kf["tcx"]["costly"] and "in front" in kf["adjust_meta"]["effect"] and not kf["adjust_meta"]["costly"]'
	VPNCAP_KERNEL_LACKS=adjust_meta,adjust_head list "$out"
	unwrapped "$out" >"$out.joined"
	check "kernel switch: without both, bypass stamps per batch" grep -q 'lacks adjust_head.*per batch' "$out.joined"
	VPNCAP_KERNEL_LACKS=bogus list "$out"
	check "kernel switch: unknown name: exit 2" [ $? -eq 2 ]
	check "kernel switch: unknown name: one line naming it" sh -c "[ \$(wc -l <'$out.err') -eq 1 ] && grep -q \"unknown kernel feature 'bogus'\" '$out.err'"
}

case_usage
case_kernel
case_table_idle
case_json_idle
case_capturing
e2e_finish

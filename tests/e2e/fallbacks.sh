#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Both sides of every kernel fallback, on the kernel in front of the test.
# usage: fallbacks.sh PATH/TO/vpncap PATH/TO/pcapng_dump
#
# vpncap probes what the kernel accepts and loads what fits (kernel_probe.h).
# The test switch VPNCAP_KERNEL_LACKS=feature,... makes it treat features as
# missing, so each fallback runs here even where the kernel would take the
# preferred path; VPNCAP_TRY_LIBXDP=1 makes it try libxdp even where its
# dispatcher cannot hold vpncap, so libxdp's failures must end in a direct
# attach. Each case captures known frames on a veth pair (or a macvlan on it)
# and checks the frames byte for byte, what vpncap said at start, what the
# file header says (IDB description and comment, ISB timestamp counts) and
# that nothing is left attached. A fallback the kernel itself already takes
# is the same code path: the case runs the same way. Every file's headers
# are checked against its own counters (headers_agree): the IDB, written
# before the first frame, names only sources the program as attached makes
# possible, and must name every source the file's frames got; the ISB's
# words about its own frames must be its numbers.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init fallbacks "$1" "$2"

lab_up || { echo "not ok - lab setup failed"; exit 1; }
e2e_on_exit lab_down
FRAMES=6

# Frames (hex) of a pcap or pcapng file, one per line, as tshark reads them.
frames_hex() {
	tshark -r "$1" -T json -x 2>/dev/null |
		sed -n '/"frame_raw": \[/{n;s/^ *"\([0-9a-f]*\)",*$/\1/p}'
}

isb_comment() { "$DUMP" "$1" | grep '^ISB' | head -1; }

# capture_bypass NAME [ENV=VALUE...] [-- vpncap options]: FRAMES IKE frames
# into a bypass capture; sets OUT, LOG, RC and SENT.
capture_bypass() {
	local name=$1 envs=(); shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	OUT=$WORK/$name.pcapng LOG=$WORK/$name.log SENT=$WORK/$name.sent.pcap
	start_in_cap "$LOG" env "${envs[@]}" "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$OUT" \
		--mode bypass --timestamps software -c "$FRAMES" --duration 20 "$@"
	lab_send --per-class "$FRAMES" --classes ike-v4 --save-matching "$SENT" >/dev/null 2>&1
	wait_capture; RC=$?
}

# The frames arrived whole: the metadata in front of each was stripped, if any.
same_frames() {
	frames_hex "$SENT" >"$WORK/sent.hex"
	frames_hex "$OUT" >"$WORK/got.hex"
	[ "$(wc -l <"$WORK/got.hex")" -eq "$FRAMES" ] && cmp -s "$WORK/sent.hex" "$WORK/got.hex"
}

stamped() { # stamped HOOK BATCH: the ISB's counts of timestamp sources
	isb_comment "$OUT" | grep -q "timestamps of 0 frames taken by the nic, $1 at the hook, $2 per batch"
}

# idb_description FILE: interface 0's if_description.
idb_description() {
	"$DUMP" "$1" | grep -m1 '^IDB' | grep -o 'description="[^"]*"' | sed 's/^description="//; s/"$//'
}

# headers_agree FILE: what interface 0's IDB and ISB say of the file's own
# frames is what they got. The ISB's "this file: N frames, timestamps all
# X" (or "mixed: A by the nic, B at the hook, C per batch", really mixed)
# has N its EPBs; the IDB's last sentence, on this file's timestamps (its
# slot, filled when the file ended), says the same numbers; its "stamping:"
# part, what
# the program as attached made possible, names every source used; and the
# file being the capture's only one, the capture's totals in the ISB agree.
headers_agree() {
	local f=$1 desc setup slot isb words n nic=0 hook=0 batch=0 want
	desc=$(idb_description "$f")
	setup=$(printf '%s' "$desc" | grep -o 'stamping: .*' | sed 's/\(.*\); timestamps.*/\1/')
	slot=$(printf '%s' "$desc" | sed 's/.*; \(timestamps\)/\1/; s/ *$//')
	isb=$("$DUMP" "$f" | grep -m1 '^ISB if=0 ')
	n=$("$DUMP" "$f" | grep -c '^EPB if=0 ')
	words=$(printf '%s' "$isb" | grep -o 'writer: this file: [0-9]* frames[^;]*')
	case $words in
	"writer: this file: $n frames, timestamps all by the nic")
		nic=$n want="timestamps by the nic (xdp rx metadata): all $n frames of this file" ;;
	"writer: this file: $n frames, timestamps all at the hook")
		hook=$n want="timestamps at the hook (software): all $n frames of this file" ;;
	"writer: this file: $n frames, timestamps all per batch (no per-frame metadata)")
		batch=$n want="timestamps per batch of frames (software): all $n frames of this file, no per-frame metadata" ;;
	"writer: this file: $n frames, timestamps mixed: "*)
		read -r nic hook batch < <(printf '%s\n' "$words" |
			sed -E 's/.*mixed: ([0-9]+) by the nic, ([0-9]+) at the hook, ([0-9]+) per batch$/\1 \2 \3/')
		[ $((nic + hook + batch)) -eq "$n" ] || { echo "# $f: the mix is not the $n EPBs: $words"; return 1; }
		[ $(((nic > 0) + (hook > 0) + (batch > 0))) -ge 2 ] || { echo "# $f: 'mixed' of one source: $words"; return 1; }
		want="timestamps mixed: $nic by the nic, $hook at the hook, $batch per batch, of this file's $n frames" ;;
	*) echo "# $f: ISB '$words' is not what its $n EPBs got"; return 1 ;;
	esac
	[ "$slot" = "$want" ] || { echo "# $f: the IDB says '$slot', the file's counts '$want'"; return 1; }
	if [ "$nic" -gt 0 ] && ! printf '%s' "$setup" | grep -qE '^stamping: by the nic|or by the nic'; then
		echo "# $f: $nic frames stamped by the nic, yet the IDB's stamping: $setup"; return 1
	fi
	if [ "$hook" -gt 0 ] && ! printf '%s' "$setup" | grep -qE 'at the xdp (and tc )?hooks?'; then
		echo "# $f: $hook frames stamped at the hook, yet the IDB's stamping: $setup"; return 1
	fi
	if [ "$batch" -gt 0 ] && ! printf '%s' "$setup" | grep -q 'per batch'; then
		echo "# $f: $batch frames stamped per batch, yet the IDB's stamping: $setup"; return 1
	fi
	printf '%s' "$isb" | grep -q "timestamps of $nic frames taken by the nic, $hook at the hook, $batch per batch" ||
		{ echo "# $f: the capture's totals differ from the file's own: $isb"; return 1; }
}

nothing_attached() {
	! ip -n "$LAB_CAP" link show "$LAB_CAP_IF" | grep -q 'xdp' &&
		! tc -n "$LAB_CAP" filter show dev "$LAB_CAP_IF" egress 2>/dev/null | grep -q vpncap
}

# What every bypass case must show, whatever the fallback: a clean exit, the
# frames byte for byte (metadata in front of them stripped, if any) and
# nothing left on the interface.
captured_whole() { # captured_whole LABEL
	check "$1: exit 0" [ "$RC" -eq 0 ]
	check "$1: $FRAMES frames byte for byte" same_frames
	check "$1: nothing left attached" nothing_attached
	check "$1: IDB and ISB agree with the file's own counts" headers_agree "$OUT"
}

# ---- bypass: where each frame's metadata goes ------------------------------------

case_product() {
	capture_bypass product
	captured_whole "as probed"
	check "as probed: every frame stamped at the hook" stamped "$FRAMES" 0
	check "as probed: start line names the attach and the timestamps" \
		grep -q "capturing on $LAB_CAP_IF (1 queue, xdp native, .*, af_xdp copy; timestamps at the hook)" "$LOG"
}

case_meta_in_front() {
	capture_bypass meta_head VPNCAP_KERNEL_LACKS=adjust_meta
	captured_whole "no adjust_meta"
	check "no adjust_meta: still stamped per frame at the hook" stamped "$FRAMES" 0
	check "no adjust_meta: no line at start (it costs nothing)" sh -c "! grep -q adjust_meta '$LOG'"
	check "no adjust_meta: the IDB comment says where the metadata went" \
		sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'comment=\"kernel [^\"]*bpf_xdp_adjust_meta refused in XDP ([^)]*): each frame.s metadata travels in front of it'"
}

case_no_metadata() {
	capture_bypass meta_none VPNCAP_KERNEL_LACKS=adjust_meta,adjust_head
	captured_whole "no adjust_meta/head"
	check "no adjust_meta/head: every frame stamped per batch" stamped 0 "$FRAMES"
	check "no adjust_meta/head: one line at start says so" \
		grep -q "^vpncap: $LAB_CAP_IF: bpf_xdp_adjust_meta and bpf_xdp_adjust_head refused in XDP .*timestamps per batch of frames, not per frame" "$LOG"
	check "no adjust_meta/head: start line says per batch" grep -q 'timestamps per batch) into' "$LOG"
	check "no adjust_meta/head: the IDB description says per batch" \
		sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'stamping: per batch of frames (software), the kernel gives bypass no per-frame metadata'"
	check "no adjust_meta/head: the summary says per batch" \
		grep -q "^vpncap: summary: .*($FRAMES stamped per batch, not per frame" "$LOG"
}

# send_jumbo N SIZE: N UDP frames of SIZE bytes to port 500 (IKE), too large for one UMEM buffer.
send_jumbo() {
	ip netns exec "$LAB_GEN" "$LAB_PY" - "$LAB_GEN_IF" "$LAB_CAP_MAC" "$1" "$2" <<'EOF'
import socket, struct, sys
ifname, mac, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
eth = bytes.fromhex(mac.replace(':', '')) + bytes.fromhex('020000000002') + b'\x08\x00'
for i in range(n):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, size - 14, i, 0, 64, 17, 0,
                     bytes([198, 18, 9, 2]), bytes([198, 18, 9, 1]))
    t = sum(struct.unpack('!10H', ip))
    t = (t >> 16) + (t & 0xffff)
    ip = ip[:10] + struct.pack('!H', ~(t + (t >> 16)) & 0xffff) + ip[12:]
    s.send(eth + ip + struct.pack('!HHHH', 500, 500, size - 34, 0) + bytes(size - 42))
EOF
}

# Frames of one file stamped two ways: without per-frame metadata the small
# ones per batch, and without multi-buffer AF_XDP the jumbo ones, copied
# through the ring buffer, at the hook. The file must say mixed, with counts.
case_mixed_sources() {
	local big=2
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" mtu 9000
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" mtu 9000
	OUT=$WORK/mixed.pcapng LOG=$WORK/mixed.log
	start_in_cap "$LOG" env VPNCAP_KERNEL_LACKS=adjust_meta,adjust_head,xsk_sg "$VPNCAP" capture \
		-i "$LAB_CAP_IF" -w "$OUT" --mode bypass --timestamps software -c $((FRAMES + big)) --duration 20
	lab_send --per-class "$FRAMES" --classes ike-v4 >/dev/null 2>&1
	send_jumbo "$big" 8000
	wait_capture; RC=$?
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" mtu 1500
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" mtu 1500
	check "mixed sources: exit 0" [ "$RC" -eq 0 ]
	check "mixed sources: $big jumbo frames whole" [ "$("$DUMP" "$OUT" | grep -c 'caplen=8000 origlen=8000')" -eq "$big" ]
	check "mixed sources: the ISB says mixed, with counts" \
		sh -c "'$DUMP' '$OUT' | grep -q 'writer: this file: $((FRAMES + big)) frames, timestamps mixed: 0 by the nic, $big at the hook, $FRAMES per batch;'"
	check "mixed sources: IDB and ISB agree with the file's own counts" headers_agree "$OUT"
	check "mixed sources: nothing left attached" nothing_attached
}

# ---- bypass: multi-buffer ---------------------------------------------------------

case_no_frags() {
	capture_bypass no_frags VPNCAP_KERNEL_LACKS=xdp_frags
	captured_whole "no xdp.frags"
	check "no xdp.frags: one line says large frames are not seen" \
		grep -q "^vpncap: $LAB_CAP_IF: no multi-buffer XDP programs (Linux 5.18 or later): frames larger than a page are not seen" "$LOG"
	check "no xdp.frags: the program is loaded without xdp.frags" sh -c "[ \$(grep -c 'multi-buffer XDP program refused' '$LOG') -eq 0 ]"
}

case_no_xsk_sg() {
	capture_bypass no_xsk_sg VPNCAP_KERNEL_LACKS=xsk_sg
	captured_whole "no AF_XDP multi-buffer"
	check "no AF_XDP multi-buffer: the reason is the kernel" \
		grep -q "multi-buffer AF_XDP (XDP_USE_SG) refused: kernel $(uname -r) has none (Linux 6.6 or later needed); frames larger than one 4096-byte UMEM buffer are copied through the ring buffer" "$LOG"
	check "no AF_XDP multi-buffer: the IDB says multi-buffer off" sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'multi-buffer off'"
}

# ---- attach: libxdp, its failures, and the direct attach -------------------------

case_attach_direct() {
	capture_bypass direct VPNCAP_KERNEL_LACKS=dispatcher
	captured_whole "no dispatcher"
	check "no dispatcher: attached directly, alone" \
		grep -q "xdp native, single program (direct attach)" "$LOG"
	check "no dispatcher: one line says other XDP programs cannot share the hook" \
		grep -q "^vpncap: $LAB_CAP_IF: the XDP program is attached alone: other XDP programs (xdpdump, xdp-loader) cannot share the interface" "$LOG"
	check "no dispatcher: the IDB says single program" sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'xdp native (single program (direct attach))'"
}

# libxdp with its dispatcher skipped (its own switch): libxdp attaches alone.
case_libxdp_skip_dispatcher() {
	capture_bypass libxdp_alone VPNCAP_TRY_LIBXDP=1 LIBXDP_SKIP_DISPATCHER=1
	captured_whole "libxdp without dispatcher"
	check "libxdp without dispatcher: libxdp attached it alone" grep -q "single program (libxdp)" "$LOG"
}

# bpffs read-only: libxdp cannot pin a dispatcher there; whatever libxdp does,
# the capture runs and ends clean.
case_bpffs_read_only() {
	capture_bypass bpffs_ro VPNCAP_TRY_LIBXDP=1 unshare -m sh -c \
		'mount -t bpf -o ro bpf /sys/fs/bpf && exec "$@"' sh
	captured_whole "read-only bpffs"
	check "read-only bpffs: attached alone" grep -q "xdp native, single program" "$LOG"
}

# No bpffs at all (its mount point hidden and not creatable): direct attach.
case_no_bpffs() {
	capture_bypass no_bpffs unshare -m sh -c \
		'mount -t tmpfs -o ro,size=4k none /sys/fs && exec "$@"' sh
	captured_whole "no bpffs"
	check "no bpffs: attached directly" grep -q "single program (direct attach)" "$LOG"
}

# A device without native XDP (macvlan): native is refused by libxdp and by
# the direct attach alike, each from a fresh object; auto goes on to skb.
case_no_native_xdp() {
	local mv=mv${LAB_CAP_IF#vc} mac=02:00:00:00:71:01 out=$WORK/mv.pcapng log=$WORK/mv.log err rc
	ip -n "$LAB_CAP" link add "$mv" link "$LAB_CAP_IF" address "$mac" type macvlan mode bridge &&
		ip -n "$LAB_CAP" link set "$mv" up || { fail "macvlan: cannot create"; return; }
	err=$(ip netns exec "$LAB_CAP" env VPNCAP_TRY_LIBXDP=1 "$VPNCAP" capture -i "$mv" \
		-w "$WORK/mv-native.pcapng" --mode bypass --xdp-mode native --duration 2 2>&1); rc=$?
	check "macvlan --xdp-mode native: exit 1" [ "$rc" -eq 1 ]
	check "macvlan --xdp-mode native: one line, the driver has no native XDP" \
		sh -c "[ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q \"$mv: XDP attach refused: .*(the driver has no native XDP; try --xdp-mode skb)\"" "$err"
	check "macvlan --xdp-mode native: nothing left attached" \
		sh -c "! ip -n '$LAB_CAP' link show '$mv' | grep -q xdp"

	start_in_cap "$log" env VPNCAP_TRY_LIBXDP=1 "$VPNCAP" capture -i "$mv" -w "$out" \
		--mode bypass --timestamps software -c "$FRAMES" --duration 20
	ip netns exec "$LAB_GEN" "$LAB_PY" "$E2E_HERE/../../scripts/lab_traffic.py" --iface "$LAB_GEN_IF" \
		--dst-mac "$mac" --per-class "$FRAMES" --classes ike-v4 >/dev/null 2>&1
	wait_capture; rc=$?
	check "macvlan --xdp-mode auto: exit 0, skb mode after native was refused" \
		sh -c "[ $rc -eq 0 ] && grep -q 'capturing on $mv (1 queue, xdp skb, ' '$log'"
	check "macvlan --xdp-mode auto: $FRAMES frames" \
		[ "$("$DUMP" "$out" | grep -c '^EPB')" -eq "$FRAMES" ]
	check "macvlan --xdp-mode auto: nothing left attached" \
		sh -c "! ip -n '$LAB_CAP' link show '$mv' | grep -q xdp"
	check "macvlan --xdp-mode auto: IDB and ISB agree with the file's own counts" headers_agree "$out"
	ip -n "$LAB_CAP" link del "$mv"
}

# ---- inline ----------------------------------------------------------------------

# capture_inline NAME [ENV...]: inline on the port with an address; FRAMES
# IKE frames in, and FRAMES UDP 500 datagrams out from the capture side.
capture_inline() {
	local name=$1 i; shift
	OUT=$WORK/$name.pcapng LOG=$WORK/$name.log
	start_in_cap "$LOG" env "$@" "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$OUT" \
		--mode inline -c $((2 * FRAMES)) --duration 20
	lab_send --per-class "$FRAMES" --classes ike-v4 >/dev/null 2>&1
	for i in $(seq 1 "$FRAMES"); do
		ip netns exec "$LAB_CAP" bash -c 'echo out-$1 >/dev/udp/198.18.0.10/500' sh "$i" 2>/dev/null
	done
	wait_capture; RC=$?
}

in_out() { # in_out IN OUT: EPBs received and transmitted
	[ "$("$DUMP" "$OUT" | grep -c '^EPB .*flags=0x1 ')" -eq "$1" ] &&
		[ "$("$DUMP" "$OUT" | grep -c '^EPB .*flags=0x2 ')" -eq "$2" ]
}

case_inline() {
	ip -n "$LAB_CAP" addr add 198.19.0.1/24 dev "$LAB_CAP_IF"
	ip -n "$LAB_CAP" route add 198.18.0.0/24 dev "$LAB_CAP_IF"
	ip -n "$LAB_CAP" neigh add 198.18.0.10 lladdr 02:00:00:00:00:0a dev "$LAB_CAP_IF"

	capture_inline inline_product
	check "inline as probed: exit 0" [ "$RC" -eq 0 ]
	check "inline as probed: $FRAMES in and $FRAMES out" in_out "$FRAMES" "$FRAMES"
	check "inline as probed: nothing left attached" nothing_attached
	check "inline as probed: IDB and ISB agree with the file's own counts" headers_agree "$OUT"

	capture_inline inline_probe_read VPNCAP_KERNEL_LACKS=xdp_load_bytes
	check "no bpf_xdp_load_bytes: exit 0" [ "$RC" -eq 0 ]
	check "no bpf_xdp_load_bytes: $FRAMES in and $FRAMES out" in_out "$FRAMES" "$FRAMES"
	check "no bpf_xdp_load_bytes: received frames whole (bpf_probe_read_kernel)" \
		[ "$("$DUMP" "$OUT" | grep '^EPB .*flags=0x1 ' | awk '{ split($4, c, "="); split($5, o, "="); if (c[2] != o[2] || c[2] < 60) bad = 1 } END { print bad + 0 }')" = 0 ]
	check "no bpf_xdp_load_bytes: the IDB comment says so" \
		sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'received frames are copied with bpf_probe_read_kernel'"
	check "no bpf_xdp_load_bytes: nothing left attached" nothing_attached
	check "no bpf_xdp_load_bytes: IDB and ISB agree with the file's own counts" headers_agree "$OUT"

	capture_inline inline_clsact VPNCAP_KERNEL_LACKS=tcx
	check "no tcx: exit 0" [ "$RC" -eq 0 ]
	check "no tcx: $FRAMES in and $FRAMES out" in_out "$FRAMES" "$FRAMES"
	check "no tcx: egress through clsact" grep -q 'tc egress clsact' "$LOG"
	check "no tcx: nothing left attached (no clsact filter either)" nothing_attached
	check "no tcx: IDB and ISB agree with the file's own counts" headers_agree "$OUT"

	# Neither way to copy a received frame: inline is impossible, and auto
	# must refuse rather than take the host's frames with bypass.
	capture_inline inline_impossible VPNCAP_KERNEL_LACKS=xdp_load_bytes,probe_read
	check "no way to copy: --mode inline exits 1 with one line" \
		sh -c "[ $RC -eq 1 ] && [ \$(wc -l <'$LOG') -eq 1 ] && grep -q 'inline capture needs bpf_xdp_load_bytes (Linux 5.18) or bpf_probe_read_kernel' '$LOG'"
	local err rc
	err=$(ip netns exec "$LAB_CAP" env VPNCAP_KERNEL_LACKS=xdp_load_bytes,probe_read "$VPNCAP" \
		capture -i "$LAB_CAP_IF" -w "$WORK/auto.pcapng" --duration 1 2>&1); rc=$?
	check "no way to copy: --mode auto on a port with an address refuses too" \
		sh -c "[ $rc -eq 1 ] && printf '%s' \"\$0\" | grep -q 'inline capture needs'" "$err"
	check "no way to copy: nothing left attached" nothing_attached

	ip -n "$LAB_CAP" addr flush dev "$LAB_CAP_IF"
}

# ---- timestamps ------------------------------------------------------------------

case_no_rx_kfuncs() {
	local err rc
	err=$(ip netns exec "$LAB_CAP" env VPNCAP_KERNEL_LACKS=rx_kfuncs "$VPNCAP" capture \
		-i "$LAB_CAP_IF" -w "$WORK/hw.pcapng" --mode bypass --timestamps hardware --duration 1 2>&1); rc=$?
	check "no RX metadata kfuncs: --timestamps hardware exits 1 saying why" \
		sh -c "[ $rc -eq 1 ] && printf '%s' \"\$0\" | grep -q 'hardware timestamps unavailable: kernel $(uname -r) has no XDP RX metadata kfuncs'" "$err"
	capture_bypass no_kfuncs VPNCAP_KERNEL_LACKS=rx_kfuncs -- --timestamps auto
	captured_whole "no RX metadata kfuncs, auto"
	check "no RX metadata kfuncs: stamped at the hook" stamped "$FRAMES" 0
	check "no RX metadata kfuncs: the IDB says why" \
		sh -c "'$DUMP' '$OUT' | grep '^IDB' | grep -q 'stamping: at the xdp hook (software): kernel [^ ]* has no XDP RX metadata kfuncs'"
}

case_product
case_meta_in_front
case_no_metadata
case_mixed_sources
case_no_frags
case_no_xsk_sg
case_attach_direct
case_libxdp_skip_dispatcher
case_bpffs_read_only
case_no_bpffs
case_no_native_xdp
case_inline
case_no_rx_kfuncs
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What inline capture costs a host that forwards traffic.
# usage: inline_forwarding.sh PATH/TO/vpncap [SECONDS [RUNS]]
#
# Three throw-away namespaces: client -- veth -- router -- veth -- server,
# addresses from 198.18.0.0/15 (RFC 2544 benchmarking). The router forwards;
# iperf3 sends TCP from the client to the server through it. vpncap captures
# in the router with `--mode inline` on its interface towards the client
# (which has an IP address: the inline use case). Cases:
#   no capture                      the baseline of this run
#   XDP_PASS program only           a program that does nothing, attached
#                                   native like vpncap's (needs clang): what
#                                   the hook costs by itself (on veth, GSO)
#   vpncap inline, default rules    iperf3's port 5201 matches nothing:
#                                   the cost of classifying every frame
#   vpncap inline, rule tcp:5201    every frame copied to the ring and written
#   same with -s 128                headers only
#   same with --xdp-mode skb        generic XDP (not in QUICK mode)
#   tcpdump 'tcp port 5201'         a familiar reference (if installed),
#                                   default snaplen and -s 128
# Exit status 0 when every run of every case worked, 1 otherwise (the table
# says which case failed and why).
# Each case is run RUNS times, the cases interleaved round by round so that a
# slow moment of the machine does not fall on one case only; the table shows
# medians. Output: a markdown table on stdout, progress on stderr.
#
# Environment:
#   DURATION=SECS   seconds per iperf3 run (default 5; or the 2nd argument)
#   RUNS=K          runs per case (default 3; or the 3rd argument)
#   QUICK=1         1 s, 1 run, tcpdump at default snaplen only: a smoke test
#   REVERSE=1       iperf3 -R: the data leaves the router on the captured
#                   interface (TC egress hook) instead of entering it (XDP)
#   TCPDUMP=0       leave the tcpdump rows out
#   MATCH_RULES=..  --rules value that matches the iperf3 flow (default tcp:5201)
#   VPNCAP_ARGS=..  more options for every vpncap run (e.g. '--ring-size 64M')
#   BENCH_DIR=DIR   where capture files go (default: a directory in /dev/shm,
#                   else /tmp); removed on exit
# Needs root, iperf3 (apt-get install --no-install-recommends iperf3), and
# tcpdump for the reference rows. Touches no interface outside its namespaces.
set -u

die() { echo "inline_forwarding: $*" >&2; exit 1; }
say() { echo "inline_forwarding: $*" >&2; }

[ $# -ge 1 ] || die "usage: $0 PATH/TO/vpncap [SECONDS [RUNS]]"
VPNCAP=$(readlink -f "$1") || die "$1: not found"
[ -x "$VPNCAP" ] || die "$1: not an executable"
if [ "${QUICK:-0}" = 1 ]; then
	DURATION=${2:-${DURATION:-1}}
	RUNS=${3:-${RUNS:-1}}
else
	DURATION=${2:-${DURATION:-5}}
	RUNS=${3:-${RUNS:-3}}
fi
case "$DURATION$RUNS" in *[!0-9]*|'') die "SECONDS and RUNS must be whole numbers" ;; esac
if [ "$DURATION" -lt 1 ] || [ "$RUNS" -lt 1 ]; then die "SECONDS and RUNS must be at least 1"; fi
MATCH_RULES=${MATCH_RULES:-tcp:5201}
read -r -a EXTRA <<<"${VPNCAP_ARGS:-}"
REVERSE=${REVERSE:-0}
PORT=5201

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
command -v iperf3 >/dev/null ||
	die "iperf3 is missing: apt-get update; apt-get install -y --no-install-recommends iperf3"
command -v ip >/dev/null || die "ip (iproute2) is missing"
WITH_TCPDUMP=${TCPDUMP:-1}
if [ "$WITH_TCPDUMP" = 1 ] && ! command -v tcpdump >/dev/null; then
	say "tcpdump not installed: no reference rows (apt-get install tcpdump)"
	WITH_TCPDUMP=0
fi

# ---- the lab ---------------------------------------------------------------

ID=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
NS_C=vpncap-bc-$ID NS_R=vpncap-br-$ID NS_S=vpncap-bs-$ID
IF_C=bc$ID     # client's end, towards the router
IF_RC=rc$ID    # router's end towards the client: vpncap captures here
IF_RS=rs$ID    # router's end towards the server
IF_S=bs$ID     # server's end
ADDR_C=198.18.2.2 ADDR_RC=198.18.2.1 ADDR_RS=198.18.3.1 ADDR_S=198.18.3.2
NAMESPACES=()
CAP_PID='' SRV_PID='' WORK=

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local ns pid ino
	[ -n "$CAP_PID" ] && kill -9 "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill -9 "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	for ns in "${NAMESPACES[@]}"; do
		# Anything still running in our namespaces was started by this script.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	# vpncap's lock, hits and counters files name the namespace by its inode
	# (a vpncap killed above leaves them behind).
	if ino=$(stat -L -c %i "/run/netns/$NS_R" 2>/dev/null); then
		rm -f /run/vpncap/"$ino"-*
	fi
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
	local ns
	for ns in "$NS_C" "$NS_R" "$NS_S"; do
		ip netns add "$ns" || return 1
		NAMESPACES+=("$ns")
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_C" link add "$IF_C" type veth peer name "$IF_RC" netns "$NS_R" || return 1
	ip -n "$NS_S" link add "$IF_S" type veth peer name "$IF_RS" netns "$NS_R" || return 1
	ip -n "$NS_C" addr add "$ADDR_C/24" dev "$IF_C" &&
		ip -n "$NS_R" addr add "$ADDR_RC/24" dev "$IF_RC" &&
		ip -n "$NS_R" addr add "$ADDR_RS/24" dev "$IF_RS" &&
		ip -n "$NS_S" addr add "$ADDR_S/24" dev "$IF_S" || return 1
	ip -n "$NS_C" link set "$IF_C" up && ip -n "$NS_R" link set "$IF_RC" up &&
		ip -n "$NS_R" link set "$IF_RS" up && ip -n "$NS_S" link set "$IF_S" up || return 1
	ip -n "$NS_C" route add default via "$ADDR_RC" || return 1
	ip -n "$NS_S" route add default via "$ADDR_RS" || return 1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 || return 1
	ip netns exec "$NS_C" ping -q -c 1 -W 2 "$ADDR_S" >/dev/null || {
		say "the client cannot reach the server through the router"
		return 1
	}
}

# ---- measuring -------------------------------------------------------------

HZ=$(getconf CLK_TCK)

# Busy CPU time of the whole machine so far, in clock ticks (every core).
cpu_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# iperf_run LOG: one iperf3 run; prints the receiver's rate in bit/s.
iperf_run() {
	local log=$1 dir=()
	[ "$REVERSE" = 1 ] && dir=(-R)
	timeout $((DURATION + 20)) ip netns exec "$NS_C" iperf3 -c "$ADDR_S" -p "$PORT" \
		-t "$DURATION" -f k --connect-timeout 3000 "${dir[@]}" >"$log" 2>&1 || return 1
	awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Kbits/sec") v = $(i - 1) }
	     END { if (v == "") exit 1; printf "%.0f\n", v * 1000 }' "$log"
}

# wait_line LOG PATTERN PID: until LOG has PATTERN (10 s), or PID ended.
wait_line() {
	local _
	for _ in $(seq 1 100); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_pid PID: SIGINT, then up to 10 s for it to end (SIGKILL after that).
stop_pid() {
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		say "pid $1 did not end 10 s after SIGINT: killed"
		kill -9 "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
}

# start_capture CASE LOG OUT: start the capture tool of CASE (none for the
# baseline) in the router namespace; sets CAP_PID.
start_capture() {
	local case=$1 log=$2 out=$3 ready
	CAP_PID=
	case "$case" in
	base) return 0 ;;
	xdp_pass) ip -n "$NS_R" link set dev "$IF_RC" xdpdrv obj "$WORK/xdp_pass.o" sec xdp \
			>"$log" 2>&1 && return 0
		return 1 ;;
	vp_default) ip netns exec "$NS_R" "$VPNCAP" capture -i "$IF_RC" --mode inline -w "$out" "${EXTRA[@]}" \
			>"$log" 2>&1 &
		ready='capturing on' ;;
	vp_match) ip netns exec "$NS_R" "$VPNCAP" capture -i "$IF_RC" --mode inline -w "$out" "${EXTRA[@]}" \
			--rules "$MATCH_RULES" >"$log" 2>&1 &
		ready='capturing on' ;;
	vp_match128) ip netns exec "$NS_R" "$VPNCAP" capture -i "$IF_RC" --mode inline -w "$out" "${EXTRA[@]}" \
			--rules "$MATCH_RULES" -s 128 >"$log" 2>&1 &
		ready='capturing on' ;;
	vp_match_skb) ip netns exec "$NS_R" "$VPNCAP" capture -i "$IF_RC" --mode inline -w "$out" "${EXTRA[@]}" \
			--rules "$MATCH_RULES" --xdp-mode skb >"$log" 2>&1 &
		ready='capturing on' ;;
	td_match) ip netns exec "$NS_R" tcpdump -i "$IF_RC" -Z root -n -w "$out" \
			"tcp port $PORT" >"$log" 2>&1 &
		ready='listening on' ;;
	td_match128) ip netns exec "$NS_R" tcpdump -i "$IF_RC" -Z root -n -s 128 -w "$out" \
			"tcp port $PORT" >"$log" 2>&1 &
		ready='listening on' ;;
	esac
	CAP_PID=$!
	wait_line "$log" "$ready" "$CAP_PID" && return 0
	stop_pid "$CAP_PID"
	CAP_PID=
	return 1
}

# capture_counts CASE LOG: "seen written dropped" from the tool's last words.
capture_counts() {
	case "$1" in
	base|xdp_pass) echo "- - -" ;;
	vp_*) sed -n 's/.*vpncap: summary: seen \([0-9]*\), matched [0-9]*, written \([0-9]*\), dropped \([0-9]*\).*/\1 \2 \3/p' "$2" |
		grep . || echo "? ? ?" ;;
	td_*) awk '/packets captured/ { w = $1 } /dropped by kernel/ { d = $1 }
		   END { if (w == "") print "? ? ?"; else print "-", w, d }' "$2" ;;
	esac
}

# Leftovers of a capture would make the next case wrong.
hooks_left() {
	ip -n "$NS_R" link show "$IF_RC" | grep -q 'xdp' && echo "XDP program"
	[ -n "$(tc -n "$NS_R" filter show dev "$IF_RC" egress 2>/dev/null)" ] && echo "TC egress filter"
	[ -n "$(tc -n "$NS_R" filter show dev "$IF_RC" ingress 2>/dev/null)" ] && echo "TC ingress filter"
	return 0
}

# measure CASE RUN: one run of CASE; appends "bps cpu_s seen written dropped
# file_bytes" to $WORK/CASE.res, or "FAIL reason" lines to $WORK/CASE.fail.
measure() {
	local case=$1 run=$2 log=$WORK/$1.$2.cap.log ilog=$WORK/$1.$2.iperf.log
	local out=$WORK/capture.pcapng c0 c1 bps size counts left died='' rc=0
	rm -f "$out"
	if ! start_capture "$case" "$log" "$out"; then
		echo "capture did not start: $(tail -n 3 "$log" | tr '\n' ' ')" >>"$WORK/$case.fail"
		return 1
	fi
	c0=$(cpu_busy)
	bps=$(iperf_run "$ilog")
	local iperf_ok=$?
	c1=$(cpu_busy)
	if [ -n "$CAP_PID" ]; then
		kill -0 "$CAP_PID" 2>/dev/null || died=1
		stop_pid "$CAP_PID"; rc=$?
		CAP_PID=
	fi
	[ "$case" = xdp_pass ] && ip -n "$NS_R" link set dev "$IF_RC" xdpdrv off
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	rm -f "$out"
	left=$(hooks_left)
	[ -n "$left" ] && say "$case: after the capture ended, still on $IF_RC: $left"
	if [ $iperf_ok -ne 0 ]; then
		echo "iperf3 failed (forwarding broken?): $(tail -n 2 "$ilog" | tr '\n' ' ')" >>"$WORK/$case.fail"
		[ -s "$log" ] && say "$case: capture log: $(tail -n 5 "$log" | tr '\n' ' ')"
		# Is forwarding still broken now that the capture is gone?
		ip netns exec "$NS_C" ping -q -c 1 -W 2 "$ADDR_S" >/dev/null ||
			say "$case: the client still cannot reach the server after the capture ended"
		return 1
	fi
	if [ -n "$died" ]; then
		echo "the capture ended by itself during the run (status $rc): $(tail -n 3 "$log" | tr '\n' ' ')" \
			>>"$WORK/$case.fail"
		return 1
	fi
	[ "$rc" -ne 0 ] && say "$case: the capture exited with status $rc: $(tail -n 3 "$log" | tr '\n' ' ')"
	counts=$(capture_counts "$case" "$log")
	echo "$bps $(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.3f", t / hz }') $counts $size $run" \
		>>"$WORK/$case.res"
	say "$(printf '%-12s run %d: %6.2f Gbit/s  seen/written/dropped %s' "$case" "$run" \
		"$(awk -v b="$bps" 'BEGIN { print b / 1e9 }')" "${counts// //}")"
}

# median_of: median of the numbers on stdin, one a line ("-" if none).
median_of() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median COLUMN FILE: median of a column ("-" if it has no numbers).
median() {
	awk -v c="$1" '$c ~ /^[0-9.]+$/ { print $c }' "$2" | median_of
}

# ratio REF CASE: median over the rounds of CASE's rate / REF's rate in the
# same round, so that a slower stretch of the machine cancels out.
ratio() {
	if [ ! -s "$WORK/$1.res" ] || [ ! -s "$WORK/$2.res" ]; then echo -; return; fi
	awk 'FNR == NR { ref[$7] = $1; next } ($7 in ref) && ref[$7] > 0 { print $1 / ref[$7] }' \
		"$WORK/$1.res" "$WORK/$2.res" | median_of
}

# ---- main ------------------------------------------------------------------

if [ -n "${BENCH_DIR:-}" ]; then
	WORK=$(mktemp -d "$BENCH_DIR/vpncap-bench.XXXXXX") || die "cannot make a directory in $BENCH_DIR"
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/vpncap-bench.XXXXXX) || die "cannot make a work directory"
else
	WORK=$(mktemp -d /tmp/vpncap-bench.XXXXXX) || die "cannot make a work directory"
fi

lab_up || die "could not set up the namespaces"
ip netns exec "$NS_S" iperf3 -s -B "$ADDR_S" -p "$PORT" >"$WORK/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 50); do
	[ -n "$(ip netns exec "$NS_S" ss -Hltn "sport = :$PORT" 2>/dev/null)" ] && break
	kill -0 "$SRV_PID" 2>/dev/null || die "iperf3 server did not start: $(cat "$WORK/server.log")"
	sleep 0.1
done

# A program that only returns XDP_PASS, attached the way vpncap attaches its
# own (native): what the hook costs by itself. On veth it is most of the
# cost: with a native XDP program on one end, the kernel turns off
# segmentation offload (GSO) on the other, so the sender's TCP stack hands
# over 1500-byte frames instead of 64 KB ones. Needs clang; no headers.
CASES=(base)
if command -v clang >/dev/null &&
	printf '%s\n' '__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }' \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' |
	clang -O2 -target bpf -x c -c - -o "$WORK/xdp_pass.o" 2>"$WORK/clang.log"; then
	CASES+=(xdp_pass)
else
	say "no clang (or it cannot build BPF): no 'XDP_PASS only' row"
fi
CASES+=(vp_default vp_match vp_match128)
[ "${QUICK:-0}" = 1 ] || CASES+=(vp_match_skb)
if [ "$WITH_TCPDUMP" = 1 ]; then
	CASES+=(td_match)
	[ "${QUICK:-0}" = 1 ] || CASES+=(td_match128)
fi
declare -A LABEL=(
	[base]="no capture (baseline)"
	[xdp_pass]="XDP program returning XDP_PASS, no capture"
	[vp_match_skb]="vpncap inline, --rules $MATCH_RULES --xdp-mode skb"
	[vp_default]="vpncap inline, default rules (no match)"
	[vp_match]="vpncap inline, --rules $MATCH_RULES"
	[vp_match128]="vpncap inline, --rules $MATCH_RULES -s 128"
	[td_match]="tcpdump 'tcp port $PORT'"
	[td_match128]="tcpdump -s 128 'tcp port $PORT'"
)

say "namespaces $NS_C, $NS_R, $NS_S; $RUNS run(s) of $DURATION s per case; files in $WORK"
# Others' load: what the machine is busy with while this script does nothing
# (after a second for the kernel to finish with namespaces just removed).
sleep 1
c0=$(cpu_busy); sleep 2; c1=$(cpu_busy)
idle_busy=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$(nproc)" 'BEGIN { printf "%.0f", 100 * t / hz / n / 2 }')
start=$(date +%s)
for run in $(seq 1 "$RUNS"); do
	for c in "${CASES[@]}"; do
		measure "$c" "$run"
	done
done

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
direction="client -> server: data enters the router on the captured interface (XDP hook)"
[ "$REVERSE" = 1 ] && direction="server -> client (iperf3 -R): data leaves the router on the captured interface (TC egress hook)"
echo "Machine: \`$model\`, $(nproc) CPUs, kernel \`$(uname -r)\`"
echo "iperf3 TCP $direction; $DURATION s per run, median of $RUNS run(s), $(($(date +%s) - start)) s in all."
[ ${#EXTRA[@]} -gt 0 ] && echo "vpncap options added to every vpncap row: \`${EXTRA[*]}\`"
echo "Before the runs the machine was ${idle_busy} % busy with other work (CPU columns include it)."
echo
echo "| case | Gbit/s | (min-max) | ratio to no capture | ratio to XDP_PASS only | CPU s per GB | frames seen | frames written | dropped | file MB |"
echo "|------|-------:|----------:|--------------------:|-----------------------:|-------------:|------------:|---------------:|--------:|--------:|"
for c in "${CASES[@]}"; do
	res=$WORK/$c.res
	if [ ! -s "$res" ]; then
		echo "| ${LABEL[$c]} | failed: $(head -n 1 "$WORK/$c.fail" 2>/dev/null) | | | | | | | | |"
		continue
	fi
	bps=$(median 1 "$res")
	# CPU seconds per GB moved: whole machine, so comparable across rates.
	cpu_gb=$(awk -v d="$DURATION" '{ printf "%.4f\n", $2 / ($1 * d / 8 / 1e9) }' "$res" | median_of)
	range=$(awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 }
		     END { printf "%.1f-%.1f", lo / 1e9, hi / 1e9 }' "$res")
	pratio=-
	case "$c" in xdp_pass|vp_*) pratio=$(ratio xdp_pass "$c") ;; esac
	dropped=$(awk '$5 ~ /^[0-9]+$/ { s += $5; n++ } END { print n ? s : "-" }' "$res")
	awk -v l="${LABEL[$c]}" -v b="$bps" -v range="$range" -v ratio="$(ratio base "$c")" -v pratio="$pratio" -v cg="$cpu_gb" \
		-v seen="$(median 3 "$res")" -v wr="$(median 4 "$res")" -v dr="$dropped" \
		-v mb="$(median 6 "$res")" -v fails="$( (wc -l <"$WORK/$c.fail") 2>/dev/null || echo 0)" '
		function n(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
		BEGIN {
			if (ratio != "-") ratio = sprintf("%.2f", ratio)
			if (pratio != "-") pratio = sprintf("%.2f", pratio)
			if (fails > 0) l = l " (" fails " run(s) failed)"
			mbs = (mb == "-" || mb == 0) ? "-" : sprintf("%.0f", mb / 1e6)
			printf "| %s | %.2f | %s | %s | %s | %.2f | %s | %s | %s | %s |\n", l, b / 1e9, range, ratio, pratio, cg,
				n(seen), n(wr), dr, mbs
		}'
done
echo
echo "Gbit/s: iperf3's receiver, median and range of the runs. Ratios: median over the rounds of the case's"
echo "rate over the reference's rate in the same round. CPU: busy time of the whole machine (/proc/stat) per GB"
echo "moved. Frames seen/written: median per run; dropped: sum over all runs."
fail=0
for c in "${CASES[@]}"; do [ -s "$WORK/$c.fail" ] && fail=1; done
exit $fail

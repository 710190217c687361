#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What capturing IKE traffic costs, against baselines measured in the same run.
# usage: scripts/bench.sh PATH/TO/BUILD_DIR
#
# 1. End to end. Two throw-away namespaces, G (generator) and C (capture),
#    joined by two veth pairs; addresses from 198.18.0.0/15 (RFC 2544):
#    - capture port: C's end has no IP address and the frames go to a
#      foreign MAC (a SPAN port): vpncap's --mode auto chooses bypass;
#    - host: C's end has 198.18.1.1/24, the frames are addressed to it, and
#      UDP sockets are bound (never read) on ports 53 and 500 so the kernel
#      answers nothing with ICMP: vpncap runs --mode inline.
#    - NIC-like port (needs clang and ethtool): as the capture port, but the
#      frames reach C's end as XDP frames, the way a NIC with native XDP
#      receives them, instead of as skbs from trafgen's packet socket. A
#      third namespace R forwards them with XDP_REDIRECT from one veth pair
#      into another (R's program pays veth's copy of each skb into a
#      page-pool page, once, for every case alike); C's end has GRO on, so
#      veth receives in NAPI and builds an skb around each frame only when
#      no program takes it first. On a plain veth pair every XDP program,
#      vpncap's included, pays that copy on the capture port itself, and
#      tcpdump does not (docs/PERFORMANCE.md).
#    trafgen (netsniff-ng package) sends as fast as it can for DURATION
#    seconds on TRAFGEN_CPUS cores, three loads: 64-byte IKE-like frames to
#    UDP 500, 1400-byte ones, and a mix of 64-byte frames where 9 in 10 go to
#    UDP 53 (no match) and 1 in 10 to UDP 500. Cases, per setup:
#      no capture (the baseline of that setup)
#      an XDP program that only returns XDP_PASS, attached native as vpncap's
#                                            is: what the hook costs by itself
#                                            on veth (needs clang; not in QUICK)
#      vpncap capture -i IF -w FILE          (port: auto = bypass; host: --mode inline)
#      the same with BEFORE_BUILD's vpncap   ("vpncap (before)": another tree's
#                                            data path, interleaved in the same rounds)
#      tcpdump -B 262144 -w FILE 'udp port 500'
#      netsniff-ng -S 256MiB -f 'udp port 500' -o FILE  (the ports only)
#    Frames captured are counted in the files (capinfos) for every tool. CPU
#    is the whole machine's busy time from /proc/stat, from the start of the
#    send until the tool has ended (SETTLE seconds after the send, then
#    SIGINT), so kernel work counts. On veth the sending core does the
#    receiver's work too: a capture's cost shows up as a lower sending rate
#    and as CPU per frame.
#    Output file systems (OUTPUT_FS): tmpfs (/dev/shm) and the machine's real
#    disk (a directory made under DISK_PARENT, refused off a block device or with less
#    than DISK_MIN_GIB free). Every capture case runs once per file system and
#    round, the baselines once per round; each file is counted, checked whole
#    by capinfos (a torn file is counted as such) and deleted at once, so the
#    disk holds one run's file at a time. Before the rounds, fio measures the
#    disk's ceiling in the same directory: 1 MiB sequential writes, libaio
#    depth 8, with O_DIRECT and buffered (MB/s and its CPU). A last table
#    gives, for the 1400-byte load (trafgen as fast as it can), each
#    capture's written MB/s, as a fraction of fio's O_DIRECT MB/s on the
#    disk, the frames lost (sent - in the file), the tool's own drop counter
#    and the torn files.
# 2. Memory: vpncap in bypass on the capture port under the 1400-byte load
#    for MEM_SECONDS (10 minutes), writing a rotating set of 3 x 64 MiB
#    files; its resident size sampled every 10 s, to show it bounded by the
#    UMEM, the writer queues and the ring it was given, and stable.
# 3. The writer alone: BUILD_DIR/tests/bench_writer (frame_queue -> writer
#    thread -> PCAPNG file on tmpfs, against memcpy and write()).
# 4. The classifier: BUILD_DIR/tests/bench_classifier (BPF_PROG_TEST_RUN).
# 5. Readers on hostile files (tests/e2e/hostile_files.py; no kernel, no
#    root): `vpncap show -c 1` and `vpncap report --json` on a zstd bomb
#    (READER_GIB of valid pcapng in about 110 KiB per GiB), against `zstd -dc`
#    of the same file (the decompression alone); `vpncap report --json` on
#    262,144 IKE_SA_INIT frames whose SPIs all collided in report's old
#    unseeded SA table, against the same frames with random SPIs. Seconds
#    and maximum resident size from /usr/bin/time.
# Cases run RUNS times, interleaved round by round so that a slow moment of
# the machine does not fall on one case only; every ratio is taken within a
# round and the table shows medians. Output: markdown on stdout, progress on
# stderr. Exit status 0 when every run of every case worked, 1 otherwise.
#
# Environment:
#   DURATION=SECS     seconds per send (default 2)
#   RUNS=K            rounds (default 3)
#   QUICK=1           0.5 s sends, 1 round, no XDP_PASS, netsniff-ng and host
#                     tcpdump rows, small writer and classifier runs: a smoke
#                     test (about two minutes with both OUTPUT_FS; fio 3 s)
#   TRAFGEN_CPUS=N    trafgen processes, one per core (default 1: the other
#                     core is left to the capture tool's user-space side)
#   SETTLE=SECS       wait after the send before SIGINT (default 1.2: libpcap
#                     hands a TPACKET_V3 block over up to 1 s late)
#   VPNCAP_ARGS=..    more options for every vpncap run
#   WRITER_MIB=N      MiB of frame data per bench_writer measurement (1024;
#                     0 skips the writer)
#   MEM_SECONDS=N     length of the memory run (default 600; QUICK 20; 0 skips it)
#   ONLY="CASE ..."   only these end-to-end cases (names as in LABEL below,
#                     e.g. "base_x vp_x vb_x td_x"); the baselines and tcpdump
#                     rows of their setups are needed for the ratios
#   WAIT_QUIET=PCT    first wait (up to 30 min) until other work keeps the
#                     machine less than PCT % busy (2 s samples)
#   READER_GIB=N      GiB the zstd bomb of part 5 inflates to (default 9, over
#                     the 8 GiB the old reader stopped at; QUICK 1; 0 skips part 5)
#   READERS_ONLY=1    part 5 alone: needs only python3, zstd and /usr/bin/time
#   OUTPUT_FS="tmpfs disk"  where the capture files go (default both, QUICK too)
#   SETUPS="port host nic"  the setups of part 1 (default all three; nic is the
#                     NIC-like port)
#   BEFORE_BUILD=DIR  another build directory: adds "vpncap (before)" rows with
#                     DIR/vpncap, same options, next to each vpncap row
#   DISK_PARENT=DIR   where the disk rows' directory is made (default /var/tmp;
#                     refused when not on a block device)
#   DISK_MIN_GIB=N    free space DISK_PARENT must have to start (default 8)
#   FIO_SECONDS=N     length of each fio measurement (default 10; QUICK 3)
# Needs root, trafgen and netsniff-ng (netsniff-ng), tcpdump, capinfos
# (wireshark-common), python3 (the bound sockets), fio for the disk rows;
# clang and ethtool for the XDP_PASS rows and the NIC-like port
# (`scripts/setup-deps.sh --bench` installs them). Touches no interface
# outside its namespaces; everything it creates goes at exit, the disk
# directory included.
set -u

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 PATH/TO/BUILD_DIR"
BUILD=$(readlink -f "$1") || die "$1: not found"
VPNCAP=$BUILD/vpncap
[ -x "$VPNCAP" ] || die "$BUILD/vpncap: not built (cmake --build $1)"
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	DURATION=${DURATION:-0.5} RUNS=${RUNS:-1} WRITER_MIB=${WRITER_MIB:-64} CLS_REPEAT=100000
	MEM_SECONDS=${MEM_SECONDS:-20}
else
	DURATION=${DURATION:-2} RUNS=${RUNS:-3} WRITER_MIB=${WRITER_MIB:-1024} CLS_REPEAT=
	MEM_SECONDS=${MEM_SECONDS:-600}
fi
TRAFGEN_CPUS=${TRAFGEN_CPUS:-1}
SETTLE=${SETTLE:-1.2}
case "$RUNS$TRAFGEN_CPUS$WRITER_MIB" in *[!0-9]*|'') die "RUNS, TRAFGEN_CPUS and WRITER_MIB must be whole numbers" ;; esac
case "$DURATION$SETTLE" in *[!0-9.]*|'') die "DURATION and SETTLE must be numbers of seconds" ;; esac
[ "$RUNS" -ge 1 ] || die "RUNS must be at least 1"
if [ "$TRAFGEN_CPUS" -lt 1 ] || [ "$TRAFGEN_CPUS" -gt "$(nproc)" ]; then die "TRAFGEN_CPUS must be 1..$(nproc)"; fi
read -r -a EXTRA <<<"${VPNCAP_ARGS:-}"
OUTPUT_FS=${OUTPUT_FS:-tmpfs disk}
SETUPS=${SETUPS:-port host nic}
DISK_MIN_GIB=${DISK_MIN_GIB:-8}
FIO_SECONDS=${FIO_SECONDS:-$([ "$QUICK" = 1 ] && echo 3 || echo 10)}
for w in $OUTPUT_FS; do case "$w" in tmpfs|disk) ;; *) die "OUTPUT_FS: '$w' is neither tmpfs nor disk" ;; esac; done
for w in $SETUPS; do case "$w" in port|host|nic) ;; *) die "SETUPS: '$w' is not one of port, host, nic" ;; esac; done
[ -n "${OUTPUT_FS// /}" ] || die "OUTPUT_FS names no file system"
[ -n "${SETUPS// /}" ] || die "SETUPS names no setup"
case "$DISK_MIN_GIB$FIO_SECONDS" in *[!0-9]*) die "DISK_MIN_GIB and FIO_SECONDS must be whole numbers" ;; esac
BEFORE_VPNCAP=
if [ -n "${BEFORE_BUILD:-}" ]; then
	BEFORE_VPNCAP=$(readlink -f "$BEFORE_BUILD")/vpncap
	[ -x "$BEFORE_VPNCAP" ] || die "BEFORE_BUILD=$BEFORE_BUILD: no vpncap built there"
fi
has_setup() { case " $SETUPS " in *" $1 "*) return 0 ;; esac; return 1; }
has_fs() { case " $OUTPUT_FS " in *" $1 "*) return 0 ;; esac; return 1; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
READER_GIB=${READER_GIB:-$([ "$QUICK" = 1 ] && echo 1 || echo 9)}

# ---- readers on hostile files (part 5) -----------------------------------

# reader_case NAME DIR RUN COMMAND...: COMMAND under /usr/bin/time; appends
# "seconds KiB" to DIR/NAME.res, or the reason to DIR/NAME.fail.
reader_case() {
	local name=$1 dir=$2 run=$3; shift 3
	if /usr/bin/time -f '%e %M' -o "$dir/$name.$run.time" "$@" >/dev/null 2>"$dir/$name.$run.err"; then
		tail -n 1 "$dir/$name.$run.time" >>"$dir/$name.res"
	else
		echo "run $run: $(head -n 1 "$dir/$name.$run.err")" >>"$dir/$name.fail"
	fi
}

# reader_row DIR LABEL NAME [BASE]: one table row, medians over the rounds;
# the ratio is taken within each round, against BASE.
reader_row() {
	local dir=$1 label=$2 name=$3 base=${4:-}
	if [ ! -s "$dir/$name.res" ]; then
		echo "| $label | failed: $(head -n 1 "$dir/$name.fail" 2>/dev/null | tr '|' '/') | | |"
		return
	fi
	{ if [ -n "$base" ]; then paste -d' ' "$dir/$name.res" "$dir/$base.res"; else cat "$dir/$name.res"; fi; } | awk -v label="$label" -v base="$base" '
		function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ s[NR] = $1; k[NR] = $2; if (base != "" && $3 > 0) { r[++nr] = $1 / $3 } }
		END {
			printf "| %s | %.2f | %s | %.1f |\n", label, median(s, NR),
				base == "" ? "-" : (nr ? sprintf("%.2f", median(r, nr)) : "-"), median(k, NR) / 1024
		}'
}

# readers_bench: part 5 as markdown on stdout; 1 when a file could not be made or a run failed.
readers_bench() {
	local dir gen=$SRC/tests/e2e/hostile_files.py run rc=0 c
	dir=$(mktemp -d /tmp/vpncap-bench-readers.XXXXXX)
	say "readers: writing the zstd bomb ($READER_GIB GiB) and the collision files in $dir"
	if ! python3 "$gen" bomb "$dir/bomb.pcapng.zst" "$READER_GIB" >"$dir/bomb.gen" ||
		! python3 "$gen" collide "$dir/collide.pcap" 262144 >/dev/null ||
		! python3 "$gen" spread "$dir/spread.pcap" 262144 >/dev/null; then
		echo "Not run: tests/e2e/hostile_files.py failed (needs python3 and zstd)."
		rm -rf "$dir"
		return 1
	fi
	for run in $(seq 1 "$RUNS"); do
		say "readers: round $run of $RUNS"
		reader_case zstd_d "$dir" "$run" zstd -dc "$dir/bomb.pcapng.zst"
		reader_case show1 "$dir" "$run" "$VPNCAP" show -c 1 "$dir/bomb.pcapng.zst"
		reader_case bomb "$dir" "$run" "$VPNCAP" report --json "$dir/bomb.pcapng.zst"
		reader_case spread "$dir" "$run" "$VPNCAP" report --json "$dir/spread.pcap"
		reader_case collide "$dir" "$run" "$VPNCAP" report --json "$dir/collide.pcap"
	done
	echo "zstd bomb: $(stat -c %s "$dir/bomb.pcapng.zst") bytes of zstd, $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["bytes"])' "$dir/bomb.gen") bytes of pcapng. Collision files: 262,144 IKE_SA_INIT frames, $(stat -c %s "$dir/collide.pcap") bytes each."
	echo
	echo "| case | seconds | x baseline | max RSS MiB |"
	echo "|------|---:|---:|---:|"
	reader_row "$dir" "zstd -dc bomb (baseline: the decompression alone)" zstd_d
	reader_row "$dir" "vpncap show -c 1 bomb" show1 zstd_d
	reader_row "$dir" "vpncap report --json bomb" bomb zstd_d
	reader_row "$dir" "vpncap report --json, random SPIs (baseline)" spread
	reader_row "$dir" "vpncap report --json, SPIs colliding in the old table" collide spread
	echo
	echo "Medians of $RUNS round(s); x baseline: the ratio within each round. Before issue 17 (unseeded"
	echo "FNV-1a, whole-file inflate): show -c 1 on a 303 KB bomb took 20 s and 8.4 GB; report on the"
	echo "collision file took 251 s; files over 8 GiB could not be read."
	for c in zstd_d show1 bomb spread collide; do [ -s "$dir/$c.fail" ] && rc=1; done
	rm -rf "$dir"
	return $rc
}

if [ "${READERS_ONLY:-0}" = 1 ]; then
	echo "### Readers on hostile files (part 5 alone)"
	echo
	readers_bench
	exit $?
fi

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
missing=()
for t in trafgen:netsniff-ng netsniff-ng:netsniff-ng tcpdump:tcpdump capinfos:wireshark-common \
	python3:python3 ip:iproute2; do
	command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
has_fs disk && ! command -v fio >/dev/null && missing+=(fio)
if [ ${#missing[@]} -gt 0 ]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	die "missing tools: scripts/setup-deps.sh --bench installs them (${missing[*]})"
fi

# ---- the lab ---------------------------------------------------------------

ID=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
NS_G=vpncap-bg-$ID NS_C=vpncap-bcap-$ID NS_R=vpncap-bfwd-$ID
IF_GP=gp$ID IF_CP=cp$ID        # capture port pair: no addresses
IF_GH=gh$ID IF_CH=ch$ID        # host pair: C's end has ADDR_CH
IF_GX=gx$ID IF_RX=rx$ID        # NIC-like port: G -> R, R's end redirects
IF_RY=ry$ID IF_CX=cx$ID        #   into R -> C, C's end captures
ADDR_CH=198.18.1.1 ADDR_GH=198.18.1.2
PORT_SRC=198.18.0.2 PORT_DST=198.18.0.1 FOREIGN_MAC=02:00:00:00:00:99
NAMESPACES=()
CAP_PID='' SOCK_PID='' WORK='' DISK_DIR=''

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local ns pid ino
	[ -n "$CAP_PID" ] && kill -9 "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
	[ -n "$SOCK_PID" ] && kill -9 "$SOCK_PID" 2>/dev/null && wait "$SOCK_PID" 2>/dev/null
	for ns in "${NAMESPACES[@]}"; do
		# Anything still running in our namespaces was started by this script.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	# vpncap's lock, hits and counters files name the namespace by its inode.
	if ino=$(stat -L -c %i "/run/netns/$NS_C" 2>/dev/null); then
		rm -f /run/vpncap/"$ino"-*
	fi
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ -n "$DISK_DIR" ] && rm -rf "$DISK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
	local ns
	for ns in "$NS_G" "$NS_C"; do
		ip netns add "$ns" || return 1
		NAMESPACES+=("$ns")
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_G" link add "$IF_GP" type veth peer name "$IF_CP" netns "$NS_C" &&
		ip -n "$NS_G" link add "$IF_GH" type veth peer name "$IF_CH" netns "$NS_C" || return 1
	ip -n "$NS_C" addr add "$ADDR_CH/24" dev "$IF_CH" || return 1
	ip -n "$NS_G" link set "$IF_GP" up && ip -n "$NS_C" link set "$IF_CP" up &&
		ip -n "$NS_G" link set "$IF_GH" up && ip -n "$NS_C" link set "$IF_CH" up || return 1
	# The host setup's sockets: bound, never read (their buffers fill, then
	# the kernel drops quietly instead of answering ICMP port unreachable).
	ip netns exec "$NS_C" python3 -c '
import signal, socket, sys
socks = []
for port in (53, 500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], port))
    socks.append(s)
print("bound", flush=True)
signal.pause()' "$ADDR_CH" >"$WORK/sockets.log" 2>&1 &
	SOCK_PID=$!
	for _ in $(seq 1 50); do
		grep -q bound "$WORK/sockets.log" && return 0
		kill -0 "$SOCK_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "could not bind the UDP sockets: $(cat "$WORK/sockets.log")"
	return 1
}

# nic_up: the NIC-like port. G's gx -> R's rx, whose XDP program redirects
# every frame into ry -> C's cx. GRO on cx puts its receive side in NAPI
# mode, which veth needs to take redirected frames without a program of
# its own there (the no-capture baseline). 0, or 1 with the reason said.
nic_up() {
	local idx
	ip netns add "$NS_R" || return 1
	NAMESPACES+=("$NS_R")
	ip -n "$NS_R" link set lo up &&
		ip -n "$NS_G" link add "$IF_GX" type veth peer name "$IF_RX" netns "$NS_R" &&
		ip -n "$NS_R" link add "$IF_RY" type veth peer name "$IF_CX" netns "$NS_C" || return 1
	ip -n "$NS_G" link set "$IF_GX" up && ip -n "$NS_R" link set "$IF_RX" up &&
		ip -n "$NS_R" link set "$IF_RY" up && ip -n "$NS_C" link set "$IF_CX" up || return 1
	ip netns exec "$NS_C" ethtool -K "$IF_CX" gro on || { say "ethtool cannot turn GRO on for $IF_CX"; return 1; }
	idx=$(ip netns exec "$NS_R" cat "/sys/class/net/$IF_RY/ifindex") || return 1
	# bpf_redirect is helper 23; no headers needed.
	printf '%s\n' 'static long (*bpf_redirect)(unsigned int, unsigned long long) = (void *)23;' \
		"__attribute__((section(\"xdp\"), used)) int xdp_fwd(void *ctx) { return bpf_redirect($idx, 0); }" \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' |
		clang -O2 -target bpf -x c -c - -o "$WORK/xdp_fwd.o" 2>>"$WORK/clang.log" ||
		{ say "clang cannot build the forwarding program: $(tail -n 1 "$WORK/clang.log")"; return 1; }
	ip -n "$NS_R" link set dev "$IF_RX" xdpdrv obj "$WORK/xdp_fwd.o" sec xdp ||
		{ say "cannot attach the forwarding program to $IF_RX"; return 1; }
}

# ---- the loads (trafgen configurations) ------------------------------------

mac_bytes() { echo "0x${1//:/, 0x}"; }
ip_bytes() { echo "${1//./, }"; }

# payload DPORT LEN: the UDP payload as trafgen bytes: an IKE_SA_INIT header
# for port 500, a DNS query for 53, cut or padded with zeros to LEN.
payload() {
	local len=$2 hdr out i
	if [ "$1" = 500 ]; then
		hdr=(0x11 0x22 0x33 0x44 0x55 0x66 0x77 0x88 0 0 0 0 0 0 0 0 33 0x20 34 0x08 0 0 0 0
			$((len >> 24 & 255)) $((len >> 16 & 255)) $((len >> 8 & 255)) $((len & 255)))
	else
		hdr=(0xab 0xcd 0x01 0x00 0 1 0 0 0 0 0 0 7 101 120 97 109 112 108 101 3 99 111 109 0 0 1 0 1)
	fi
	out=
	for ((i = 0; i < len && i < ${#hdr[@]}; i++)); do out+="${hdr[i]}, "; done
	if [ "$len" -gt ${#hdr[@]} ]; then out+="fill(0x00, $((len - ${#hdr[@]})))"; else out=${out%, }; fi
	echo "$out"
}

# tg_packet DST_MAC SRC_MAC SRC_IP DST_IP SPORT DPORT LEN: one trafgen packet.
tg_packet() {
	local len=$7
	printf '{ %s, %s, c16(0x0800),\n  0x45, 0x00, c16(%d), c16(0), c16(0x4000), 64, 17, csumip(14, 33),\n  %s, %s,\n  c16(%d), c16(%d), c16(%d), c16(0),\n  %s }\n' \
		"$(mac_bytes "$1")" "$(mac_bytes "$2")" $((len - 14)) "$(ip_bytes "$3")" "$(ip_bytes "$4")" \
		"$5" "$6" $((len - 34)) "$(payload "$6" $((len - 42)))"
}

# make_loads SETUP DST_MAC SRC_MAC SRC_IP DST_IP: $WORK/SETUP.LOAD.cfg
make_loads() {
	local s=$1 i
	tg_packet "$2" "$3" "$4" "$5" 500 500 64 >"$WORK/$s.ike64.cfg"
	tg_packet "$2" "$3" "$4" "$5" 500 500 1400 >"$WORK/$s.ike1400.cfg"
	: >"$WORK/$s.mixed.cfg"
	for i in 1 2 3 4 5 6 7 8 9; do
		tg_packet "$2" "$3" "$4" "$5" 40000 53 64 >>"$WORK/$s.mixed.cfg"
	done
	tg_packet "$2" "$3" "$4" "$5" 500 500 64 >>"$WORK/$s.mixed.cfg"
}

LOADS=(ike64 ike1400 mixed)
declare -A LOAD_LABEL=([ike64]="64 B IKE" [ike1400]="1400 B IKE" [mixed]="64 B mixed")
# Share of the frames sent that the filter 'udp port 500' keeps.
declare -A LOAD_SHARE=([ike64]=1 [ike1400]=1 [mixed]=0.1)
# Bytes a capture file grows by per frame sent, at most (for pre-faulting).
declare -A LOAD_FILE_BYTES=([ike64]=160 [ike1400]=1500 [mixed]=16)

# ---- measuring -------------------------------------------------------------

HZ=$(getconf CLK_TCK)

# Busy CPU time of the whole machine so far, in clock ticks (every core).
cpu_busy() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# busy_pct SECS: how busy the machine is (%, all cores) over SECS seconds.
busy_pct() {
	local c0 c1
	c0=$(cpu_busy); sleep "$1"; c1=$(cpu_busy)
	awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$(nproc)" -v s="$1" 'BEGIN { printf "%.0f", 100 * t / hz / n / s }'
}

# Writing to tmpfs memory the VM has not touched recently is several times
# slower and counts as system time: write and free as much as the capture
# may write, just before it starts, so that it reuses those pages.
prefault() {
	local mib
	mib=$(awk -v f="$1" -v d="$DURATION" -v c="$TRAFGEN_CPUS" 'BEGIN { printf "%d", 800000 * c * d * f / 1048576 + 1 }')
	dd if=/dev/zero of="$WORK/prefault" bs=1M count="$mib" status=none 2>/dev/null
	rm -f "$WORK/prefault"
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

# stop_pid PID: SIGINT, then up to 20 s for it to end (SIGKILL after that).
stop_pid() {
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 1 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		say "pid $1 did not end 20 s after SIGINT: killed"
		kill -9 "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
}

# Every generator must be gone before the next run (a trafgen worker can
# outlive its parent). G runs nothing else.
kill_generators() {
	local pid _
	for _ in 1 2 3; do
		pid=$(ip netns pids "$NS_G" 2>/dev/null)
		[ -z "$pid" ] && return 0
		# shellcheck disable=SC2086
		kill -9 $pid 2>/dev/null
		sleep 0.2
	done
	say "generator processes still in $NS_G: $pid"
}

# A case is TOOL_SETUP; SETUP is p (port), h (host) or x (NIC-like port).
setup_of() { case "$1" in *_h) echo host ;; *_x) echo nic ;; *) echo port ;; esac; }
gen_if_of() { case "$1" in *_h) echo "$IF_GH" ;; *_x) echo "$IF_GX" ;; *) echo "$IF_GP" ;; esac; }
cap_if_of() { case "$1" in *_h) echo "$IF_CH" ;; *_x) echo "$IF_CX" ;; *) echo "$IF_CP" ;; esac; }

# start_capture CASE LOG OUT: the capture tool of CASE in C; sets CAP_PID.
start_capture() {
	local case=$1 log=$2 out=$3 ifc ready
	ifc=$(cap_if_of "$case")
	CAP_PID=
	case "$case" in
	base_*) return 0 ;;
	xdp_*) ip -n "$NS_C" link set dev "$ifc" xdpdrv obj "$WORK/xdp_pass.o" sec xdp >"$log" 2>&1 &&
			return 0
		return 1 ;;
	vp_p|vp_x) ip netns exec "$NS_C" "$VPNCAP" capture -i "$ifc" -w "$out" "${EXTRA[@]}" >"$log" 2>&1 &
		ready='capturing on' ;;
	vq_p|vq_x) ip netns exec "$NS_C" "$BEFORE_VPNCAP" capture -i "$ifc" -w "$out" "${EXTRA[@]}" >"$log" 2>&1 &
		ready='capturing on' ;;
	vq_h) ip netns exec "$NS_C" "$BEFORE_VPNCAP" capture -i "$ifc" --mode inline -w "$out" "${EXTRA[@]}" \
			>"$log" 2>&1 &
		ready='capturing on' ;;
	vb_x) ip netns exec "$NS_C" "$VPNCAP" capture -i "$ifc" -w "$out" --busy-poll "${EXTRA[@]}" \
			>"$log" 2>&1 &
		ready='capturing on' ;;
	vs_p) ip netns exec "$NS_C" "$VPNCAP" capture -i "$ifc" -w "$out" --xdp-mode skb "${EXTRA[@]}" \
			>"$log" 2>&1 &
		ready='capturing on' ;;
	vp_h) ip netns exec "$NS_C" "$VPNCAP" capture -i "$ifc" --mode inline -w "$out" "${EXTRA[@]}" \
			>"$log" 2>&1 &
		ready='capturing on' ;;
	td_*) ip netns exec "$NS_C" tcpdump -i "$ifc" -n -Z root -B 262144 -w "$out" 'udp port 500' \
			>"$log" 2>&1 &
		ready='listening on' ;;
	ns_*) ip netns exec "$NS_C" netsniff-ng -i "$ifc" -o "$out" -S 256MiB -f 'udp port 500' \
			--silent --no-sock-mem --notouch-irq >"$log" 2>&1 &
		ready='Running!' ;;
	esac
	CAP_PID=$!
	wait_line "$log" "$ready" "$CAP_PID" && return 0
	stop_pid "$CAP_PID"
	CAP_PID=
	return 1
}

# send LOAD CASE LOG: trafgen for DURATION s; prints "frames seconds".
send() {
	local cfg t0 t1
	cfg=$WORK/$(setup_of "$2").$1.cfg
	t0=$(date +%s.%N)
	timeout -s INT "$DURATION" ip netns exec "$NS_G" trafgen -o "$(gen_if_of "$2")" -i "$cfg" \
		-P "$TRAFGEN_CPUS" --no-sock-mem --notouch-irq >"$3" 2>&1
	t1=$(date +%s.%N)
	kill_generators
	# "N packets outgoing", then per core "S sec, U usec on CPUk (...)".
	awk -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
		{ gsub(/\r/, "") }
		/packets outgoing/ { n = $1 }
		/usec on CPU/ { t = $1 + $3 / 1e6; if (t > secs) secs = t }
		END { if (n == "") exit 1; if (secs == 0) secs = wall; print n, secs }' "$3"
}

# tool_drops CASE LOG: the capture tool's own count of frames it lost, or
# "-" where it has none: vpncap's summary, tcpdump's "dropped by kernel",
# netsniff-ng's "failed filter (out of space)".
tool_drops() {
	local n=
	case "$1" in
	vp_*|vq_*|vs_*|vb_*) n=$(sed -n 's/.*vpncap: summary: seen [0-9]*, matched [0-9]*, written [0-9]*, dropped \([0-9]*\).*/\1/p' "$2" | tail -n 1) ;;
	td_*) n=$(tr -d '\r' <"$2" | sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' | tail -n 1) ;;
	ns_*) n=$(tr -d '\r' <"$2" | sed -n 's/^ *\([0-9]*\)  packets failed filter (out of space).*/\1/p' | tail -n 1) ;;
	esac
	echo "${n:--}"
}

# measure CASE LOAD RUN: appends "run frames secs captured cpu_s seen dropped
# bytes torn" to $RES/CASE.LOAD.res (seen: vpncap's frames at the hook;
# dropped: the tool's own count; bytes: the file's size; torn: 1 when
# capinfos read the file only up to an error), or a reason to
# $RES/CASE.LOAD.fail. The file goes to $OUTDIR and is deleted once counted.
measure() {
	local case=$1 load=$2 run=$3 log=$WORK/$1.$2.$3.$OUTFS.cap.log tlog=$WORK/$1.$2.$3.tg.log
	local out=$OUTDIR/capture.$1 c0 c1 sent captured died='' rc=0 seen=- drops=- bytes=- torn=0 info
	rm -f "$out"
	case "$case" in base_*|xdp_*) ;; *) [ "$OUTFS" = tmpfs ] && prefault "${LOAD_FILE_BYTES[$load]}" ;; esac
	if ! start_capture "$case" "$log" "$out"; then
		echo "capture did not start: $(tail -n 3 "$log" | tr '\n' ' ')" >>"$RES/$case.$load.fail"
		return 1
	fi
	c0=$(cpu_busy)
	sent=$(send "$load" "$case" "$tlog")
	local send_ok=$?
	sleep "$SETTLE"
	if [ -n "$CAP_PID" ]; then
		kill -0 "$CAP_PID" 2>/dev/null || died=1
		stop_pid "$CAP_PID"; rc=$?
		CAP_PID=
	fi
	c1=$(cpu_busy)
	case "$case" in xdp_*) ip -n "$NS_C" link set dev "$(cap_if_of "$case")" xdpdrv off ;; esac
	if [ $send_ok -ne 0 ]; then
		echo "trafgen failed: $(tail -n 3 "$tlog" | tr '\n' ' ')" >"$WORK/trafgen.fail"
		rm -f "$out"
		return 2
	fi
	if [ -n "$died" ]; then
		echo "the capture ended by itself (status $rc): $(tail -n 3 "$log" | tr '\n' ' ')" \
			>>"$RES/$case.$load.fail"
		rm -f "$out"
		return 1
	fi
	case "$case" in
	base_*|xdp_*) captured=- ;;
	*)	[ "$rc" -ne 0 ] && say "$case $load: the capture exited with status $rc: $(tail -n 2 "$log" | tr '\n' ' ')"
		# capinfos counts what it can read and fails after a torn frame.
		info=$(capinfos -c -M "$out" 2>&1) || torn=1
		captured=$(echo "$info" | awk '/Number of packets/ { print $NF }')
		if [ -z "$captured" ]; then
			echo "capinfos cannot read the file: $(echo "$info" | tail -n 1)" >>"$RES/$case.$load.fail"
			rm -f "$out"
			return 1
		fi
		[ "$torn" = 1 ] && say "$case $load run $run: capinfos: $(echo "$info" | grep -m 1 'capinfos:')"
		bytes=$(stat -c %s "$out")
		drops=$(tool_drops "$case" "$log") ;;
	esac
	case "$case" in vp_*|vq_*|vs_*|vb_*)
		seen=$(sed -n 's/.*vpncap: summary: seen \([0-9]*\),.*/\1/p' "$log" | tail -n 1)
		seen=${seen:--} ;;
	esac
	rm -f "$out"
	echo "$run $sent $captured $(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.3f", t / hz }') $seen $drops $bytes $torn" \
		>>"$RES/$case.$load.res"
	say "$(printf '%-6s %-6s %-8s run %d: sent %s in %s s, captured %s%s%s' "$case" "$OUTFS" "$load" "$run" \
		"${sent% *}" "${sent#* }" "$captured" "$([ "$seen" != - ] && echo ", seen $seen")" \
		"$([ "$drops" != - ] && echo ", tool's drops $drops")")"
}

# measure_retry CASE LOAD RUN: measure, and again (twice at most) when
# trafgen itself gave up: with an XDP program on the receiving veth it can
# abort with "Flushing TX_RING failed: EAGAIN" (its socket's send buffer
# fills while the frames wait for NAPI, and the default size cannot be
# raised inside a namespace). That is the generator's failure, not the
# capture's; a third one is recorded as the run's.
measure_retry() {
	local try
	for try in 1 2 3; do
		measure "$@"
		[ $? -eq 2 ] || return 0
		say "$1 $2 run $3: trafgen aborted ($(grep -o 'Flushing[^!]*' "$WORK/trafgen.fail" | head -n 1)); try $try of 3"
	done
	cat "$WORK/trafgen.fail" >>"$RES/$1.$2.fail"
}

# ICMP destination unreachable messages C has sent (the storm to avoid).
icmp_unreach() {
	# shellcheck disable=SC2016  # awk's own $
	ip netns exec "$NS_C" awk '/^Icmp:/ && !h { for (i = 2; i <= NF; i++) if ($i == "OutDestUnreachs") c = i; h = 1; next }
		/^Icmp:/ && c { print $c; exit }' /proc/net/snmp 2>/dev/null
}

# Leftovers of a capture would make the next case wrong.
hooks_left() {
	local i
	for i in "$IF_CP" "$IF_CH" "$IF_CX"; do
		ip -n "$NS_C" link show "$i" 2>/dev/null | grep -q 'xdp' && echo "$i: XDP program"
		[ -n "$(tc -n "$NS_C" filter show dev "$i" egress 2>/dev/null)" ] && echo "$i: TC egress filter"
	done
	return 0
}

# row_stats CASE LOAD BASE TCPDUMP: medians over the rounds of
# "offered_fps offered_ratio captured_fps loss_pct cpu_per_M overhead ratio".
# Per round: CPU per million frames (captured; sent when nothing captures);
# overhead = (CPU - baseline's CPU per frame sent x frames sent) per million
# frames captured; ratio = overhead / tcpdump's overhead, same round. For the
# XDP_PASS row, "captured" is what a capture would keep (sent x share).
row_stats() {
	local f=$RES/$1.$2.res b=$RES/$3.$2.res t=$RES/$4.$2.res
	[ -s "$f" ] || { echo "- - - - - - -"; return; }
	[ -s "$b" ] || b=/dev/null
	[ -s "$t" ] || t=/dev/null
	awk -v share="${LOAD_SHARE[$2]}" -v bf="$b" -v tf="$t" -v hook="$([ "${1%%_*}" = xdp ] && echo 1)" '
		function med(a, n,   i, j, x) {
			if (n == 0) return "-"
			for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function over(sent, cap, cpu, r) { return (cpu - bcps[r] * sent) / cap * 1e6 }
		BEGIN {
			while ((getline l < bf) > 0) { split(l, v); bcps[v[1]] = v[5] / v[2]; brate[v[1]] = v[2] / v[3] }
			close(bf)
			while ((getline l < tf) > 0) {
				split(l, v)
				if (v[4] > 0 && (v[1] in bcps)) tover[v[1]] = over(v[2], v[4], v[5], v[1])
			}
			close(tf)
		}
		{
			r = $1; n++
			off[n] = $2 / $3
			if (r in brate) { offr[++no] = off[n] / brate[r] }
			if ($4 == "-") {
				cpum[++nm] = $5 / $2 * 1e6
				if (hook && (r in bcps)) {
					ov[++nv] = over($2, $2 * share, $5, r)
					if ((r in tover) && (tover[r] > 0.001 || tover[r] < -0.001)) rat[++nr] = ov[nv] / tover[r]
				}
			} else {
				capf[++nc] = $4 / $3
				l = 100 * (1 - $4 / ($2 * share)); loss[nc] = l < 0 ? 0 : l
				if ($4 > 0) cpum[++nm] = $5 / $4 * 1e6
				if ($4 > 0 && (r in bcps)) {
					ov[++nv] = over($2, $4, $5, r)
					if ((r in tover) && (tover[r] > 0.001 || tover[r] < -0.001)) rat[++nr] = ov[nv] / tover[r]
				}
			}
		}
		END { print med(off, n), med(offr, no), med(capf, nc), med(loss, nc), med(cpum, nm), med(ov, nv), med(rat, nr) }
	' "$f"
}

# ---- the output file systems ------------------------------------------------

# mount_of DIR: "FSTYPE SOURCE" of the mount DIR is on (the last one of a
# stack of mounts on one point is the one seen; a bind mount's [/subdir] cut).
mount_of() {
	findmnt -n -o FSTYPE,SOURCE -T "$1" | tail -n 1 | sed 's/\[.*\]$//'
}

# disk_setup: DISK_DIR on the real disk under DISK_PARENT, or die when that is
# not a file system on a block device or has less than DISK_MIN_GIB free.
disk_setup() {
	local parent=${DISK_PARENT:-/var/tmp} fstype src free
	read -r fstype src < <(mount_of "$parent")
	[ -n "$fstype" ] || die "$parent: no file system found"
	[ -b "$src" ] || die "$parent is on $fstype ($src), not on a block device (DISK_PARENT=DIR)"
	free=$(df -P -k "$parent" | awk 'NR == 2 { printf "%d", $4 / 1048576 }')
	[ "$free" -ge "$DISK_MIN_GIB" ] || die "$parent: $free GiB free, the disk rows need $DISK_MIN_GIB (DISK_MIN_GIB)"
	DISK_DIR=$(mktemp -d "$parent/vpncap-bench.XXXXXX") || die "cannot make a directory in $parent"
}

# fs_desc FS: "TYPE on DEVICE (DIR)" of where FS's files go, with the disk's driver.
fs_desc() {
	local dir src fstype drv
	dir=$([ "$1" = disk ] && echo "$DISK_DIR" || echo "$WORK")
	read -r fstype src < <(mount_of "$dir")
	drv=$(basename "$(readlink -f "/sys/class/block/${src#/dev/}/device/driver" 2>/dev/null)" 2>/dev/null)
	if [ "$src" = "$fstype" ]; then echo "$fstype, ${dir%/*}"; else echo "$fstype on $src${drv:+ ($drv)}, ${dir%/*}"; fi
}

# use_fs FS: where measure writes its file (OUTDIR) and its results (RES).
use_fs() {
	OUTDIR=$([ "$1" = disk ] && echo "$DISK_DIR" || echo "$WORK")
	RES=$WORK/res.$1
	mkdir -p "$RES"
}

# fio_ceiling NAME FIO_OPTION...: fio's sequential 1 MiB writes in DISK_DIR;
# prints "MB/s CPU%" (CPU: fio's user + system time, % of one core).
fio_ceiling() {
	local name=$1 json=$WORK/fio.$1.json; shift
	fio --name=ceiling --directory="$DISK_DIR" "$@" --rw=write --bs=1M --ioengine=libaio --iodepth=8 \
		--size=2G --output-format=json >"$json" 2>"$WORK/fio.$name.err"
	rm -f "$DISK_DIR"/ceiling*
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
print("%.0f %.0f" % (j["write"]["bw_bytes"] / 1e6, j["usr_cpu"] + j["sys_cpu"]))' "$json" 2>/dev/null || echo "- -"
}

# disk_ceiling: FIO_DIRECT and FIO_BUFFERED ($FIO_SECONDS s, time based: after
# its first pass fio overwrites a laid-out file) and FIO_APPEND (O_DIRECT, one
# 2 GiB pass into a new file: blocks allocated as they come, as a capture's
# file grows), "MB/s CPU%" each.
disk_ceiling() {
	say "fio: the disk's ceiling in $DISK_DIR, O_DIRECT then buffered, $FIO_SECONDS s each, then O_DIRECT one pass"
	FIO_DIRECT=$(fio_ceiling direct --direct=1 --runtime="$FIO_SECONDS" --time_based)
	FIO_BUFFERED=$(fio_ceiling buffered --runtime="$FIO_SECONDS" --time_based)
	FIO_APPEND=$(fio_ceiling append --direct=1)
	say "fio: O_DIRECT ${FIO_DIRECT% *} MB/s at ${FIO_DIRECT#* } % CPU, buffered ${FIO_BUFFERED% *} MB/s at ${FIO_BUFFERED#* } % CPU, O_DIRECT into a new file ${FIO_APPEND% *} MB/s at ${FIO_APPEND#* } % CPU"
}

# disk_row FS CASE: one row of the disk table, 1400 B IKE, medians of the rounds.
disk_row() {
	local f=$WORK/res.$1/$2.ike1400.res unread
	unread=$(grep -c 'capinfos cannot read' "$WORK/res.$1/$2.ike1400.fail" 2>/dev/null)
	if [ ! -s "$f" ]; then
		echo "| $1 | ${LABEL[$2]} | failed: $(head -n 1 "$WORK/res.$1/$2.ike1400.fail" 2>/dev/null | tr '|' '/') | | | | | | | | | |"
		return
	fi
	awk -v fs="$1" -v label="${LABEL[$2]}" -v ceil="${FIO_DIRECT% *}" -v append="${FIO_APPEND% *}" \
		-v unread="${unread:-0}" '
		function med(a, n,   i, j, x) {
			if (n == 0) return "-"
			for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{
			n++; off[n] = $2 / $3; capf[n] = $4 / $3; mbs[n] = $8 / $3 / 1e6
			lost[n] = $2 - $4
			if (lost[n] > 0) lossy++
			if (lost[n] >= worst) { worst = lost[n]; worstp = 100 * lost[n] / $2 }
			if ($7 != "-") drop[++nd] = $7
			torn += $9
		}
		END {
			m = med(mbs, n)
			printf "| %s | %s | %.0f | %.0f | %.0f | %s | %s | %d | %d (%.1f %%) | %d of %d | %s | %d of %d |\n", fs, label,
				med(off, n) / 1000, med(capf, n) / 1000, m,
				(fs == "disk" && ceil != "-" && ceil > 0) ? sprintf("%.2f", m / ceil) : "-",
				(fs == "disk" && append != "-" && append > 0) ? sprintf("%.2f", m / append) : "-",
				med(lost, n), worst, worstp, lossy, n, nd ? med(drop, nd) : "-", torn + unread, n + unread
		}' "$f"
}

# disk_table: the capture tools' written MB/s at 1400 B against fio's ceiling.
disk_table() {
	local fs c
	echo "### One copy to disk: 1400 B IKE at the highest offered rate"
	echo
	echo "Disk: $(fs_desc disk). Its ceiling in the same run, fio \`--rw=write --bs=1M --ioengine=libaio --iodepth=8 --size=2G --runtime=$FIO_SECONDS --time_based\`:"
	echo "O_DIRECT (\`--direct=1\`) ${FIO_DIRECT% *} MB/s at ${FIO_DIRECT#* } % of a core; buffered ${FIO_BUFFERED% *} MB/s at ${FIO_BUFFERED#* } % of a core."
	echo "fio overwrites its laid-out file once the first pass is done; written as a capture writes, one O_DIRECT pass"
	echo "into a new file (the same without \`--runtime --time_based\`): ${FIO_APPEND% *} MB/s at ${FIO_APPEND#* } % of a core."
	echo "A buffered writer's bytes may still be in the page cache when its file is counted and deleted: $(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo) GiB of RAM,"
	echo "vm.dirty_background_ratio $(cat /proc/sys/vm/dirty_background_ratio) %, vm.dirty_ratio $(cat /proc/sys/vm/dirty_ratio) % (writeback starts, writers are throttled)."
	echo
	echo "| files on | case | offered kfps | in the file kfps | written MB/s | x fio O_DIRECT | x fio into a new file | frames lost (sent - in the file) | worst round | rounds with loss | tool's own drops | torn or unreadable files |"
	echo "|---|------|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for fs in $OUTPUT_FS; do
		for c in "${CASES[@]}"; do
			case "$c" in base_*|xdp_*) continue ;; esac
			disk_row "$fs" "$c"
		done
	done
	echo
	echo "Medians of $RUNS round(s), but the worst round and the rounds with loss. Written MB/s: the file's"
	echo "size over trafgen's sending time (10^6 bytes)."
	echo "Frames lost: sent minus read back by capinfos. Tool's own drops: vpncap's summary (every drop it"
	echo "counts), tcpdump's \"dropped by kernel\", netsniff-ng's \"failed filter (out of space)\". Torn: files"
	echo "capinfos read only up to an error, or could not read; every file is checked."
}

# ---- main ------------------------------------------------------------------

if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	WORK=$(mktemp -d /dev/shm/vpncap-bench.XXXXXX) || die "cannot make a work directory"
else
	WORK=$(mktemp -d /tmp/vpncap-bench.XXXXXX) || die "cannot make a work directory"
	say "no /dev/shm: capture files go to $WORK (the disk may be the bottleneck)"
fi

has_fs disk && disk_setup
lab_up || die "could not set up the namespaces"
make_loads port "$FOREIGN_MAC" "$(ip netns exec "$NS_G" cat "/sys/class/net/$IF_GP/address")" \
	"$PORT_SRC" "$PORT_DST"
make_loads host "$(ip netns exec "$NS_C" cat "/sys/class/net/$IF_CH/address")" \
	"$(ip netns exec "$NS_G" cat "/sys/class/net/$IF_GH/address")" "$ADDR_GH" "$ADDR_CH"

# A program that only returns XDP_PASS (needs clang; no headers).
XDP_PASS=0
if [ "$QUICK" != 1 ] && command -v clang >/dev/null &&
	printf '%s\n' '__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }' \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' |
	clang -O2 -target bpf -x c -c - -o "$WORK/xdp_pass.o" 2>"$WORK/clang.log"; then
	XDP_PASS=1
elif [ "$QUICK" != 1 ]; then
	say "no clang (or it cannot build BPF): no 'XDP_PASS only' rows"
fi
NIC=0
if ! has_setup nic; then
	:
elif ! command -v clang >/dev/null || ! command -v ethtool >/dev/null; then
	say "no clang or no ethtool: no NIC-like port rows"
elif nic_up; then
	NIC=1
	make_loads nic "$FOREIGN_MAC" "$(ip netns exec "$NS_G" cat "/sys/class/net/$IF_GX/address")" \
		"$PORT_SRC" "$PORT_DST"
else
	say "could not set up the NIC-like port: no rows for it"
fi
CASES=()
if has_setup port; then
	CASES+=(base_p)
	[ "$XDP_PASS" = 1 ] && CASES+=(xdp_p)
	CASES+=(vp_p)
	[ -n "$BEFORE_VPNCAP" ] && CASES+=(vq_p)
	CASES+=(vs_p td_p)
	[ "$QUICK" = 1 ] || CASES+=(ns_p)
fi
if has_setup host; then
	CASES+=(base_h)
	[ "$XDP_PASS" = 1 ] && CASES+=(xdp_h)
	CASES+=(vp_h)
	[ -n "$BEFORE_VPNCAP" ] && CASES+=(vq_h)
	[ "$QUICK" = 1 ] || CASES+=(td_h)
fi
if [ "$NIC" = 1 ]; then
	CASES+=(base_x)
	[ "$XDP_PASS" = 1 ] && CASES+=(xdp_x)
	CASES+=(vp_x)
	[ -n "$BEFORE_VPNCAP" ] && CASES+=(vq_x)
	[ "$QUICK" = 1 ] || CASES+=(vb_x)
	CASES+=(td_x)
	[ "$QUICK" = 1 ] || CASES+=(ns_x)
fi
if [ -n "${ONLY:-}" ]; then
	kept=()
	for c in "${CASES[@]}"; do
		case " $ONLY " in *" $c "*) kept+=("$c") ;; esac
	done
	[ ${#kept[@]} -gt 0 ] || die "ONLY=\"$ONLY\" names none of: ${CASES[*]}"
	CASES=("${kept[@]}")
fi
declare -A LABEL=(
	[base_p]="port: no capture (baseline)"
	[xdp_p]="port: XDP program returning XDP_PASS, no capture"
	[xdp_h]="host: XDP program returning XDP_PASS, no capture"
	[vp_p]="port: vpncap (auto = bypass)"
	[vq_p]="port: vpncap (before) (auto = bypass)"
	[vs_p]="port: vpncap --xdp-mode skb (bypass)"
	[td_p]="port: tcpdump -B 262144 'udp port 500'"
	[ns_p]="port: netsniff-ng -S 256MiB -f 'udp port 500'"
	[base_h]="host: no capture (baseline)"
	[vp_h]="host: vpncap --mode inline"
	[vq_h]="host: vpncap (before) --mode inline"
	[td_h]="host: tcpdump -B 262144 'udp port 500'"
	[base_x]="NIC-like port: no capture (baseline)"
	[xdp_x]="NIC-like port: XDP program returning XDP_PASS, no capture"
	[vp_x]="NIC-like port: vpncap (auto = bypass)"
	[vq_x]="NIC-like port: vpncap (before) (auto = bypass)"
	[vb_x]="NIC-like port: vpncap --busy-poll (bypass)"
	[td_x]="NIC-like port: tcpdump -B 262144 'udp port 500'"
	[ns_x]="NIC-like port: netsniff-ng -S 256MiB -f 'udp port 500'"
)

say "namespaces $NS_G, $NS_C; $RUNS round(s) of $DURATION s sends, trafgen on $TRAFGEN_CPUS core(s); files in ${OUTPUT_FS// /, }: $WORK${DISK_DIR:+, $DISK_DIR}"
sleep 1     # the kernel finishing with the namespaces just made
busy0=$(busy_pct 2)
if [ -n "${WAIT_QUIET:-}" ]; then
	waited=0
	while [ "$busy0" -ge "$WAIT_QUIET" ] && [ $waited -lt 1800 ]; do
		[ $((waited % 60)) = 0 ] && say "other work keeps the machine ${busy0} % busy: waiting for less than $WAIT_QUIET %"
		sleep 8; waited=$((waited + 10))
		busy0=$(busy_pct 2)
	done
fi
loadavg0=$(cut -d' ' -f1-3 /proc/loadavg)
[ "$busy0" -gt 5 ] && say "the machine is ${busy0} % busy with other work: CPU figures will carry it"
[ -n "$DISK_DIR" ] && disk_ceiling
icmp0=$(icmp_unreach)
start=$(date +%s)
FIRST_FS=${OUTPUT_FS%% *}
for run in $(seq 1 "$RUNS"); do
	for OUTFS in $OUTPUT_FS; do
		use_fs "$OUTFS"
		for load in "${LOADS[@]}"; do
			for c in "${CASES[@]}"; do
				# No file, no difference: the baselines run once per round.
				case "$c" in base_*|xdp_*) [ "$OUTFS" = "$FIRST_FS" ] || continue ;; esac
				measure_retry "$c" "$load" "$run"
			done
		done
	done
done
elapsed=$(($(date +%s) - start))
for OUTFS in $OUTPUT_FS; do
	[ "$OUTFS" = "$FIRST_FS" ] && continue
	for c in "${CASES[@]}"; do
		case "$c" in base_*|xdp_*) cp "$WORK/res.$FIRST_FS/$c".* "$WORK/res.$OUTFS/" 2>/dev/null ;; esac
	done
done
icmp1=$(icmp_unreach)
left=$(hooks_left)
[ -n "$left" ] && say "after the captures ended, still attached: $left"
busy1=$(busy_pct 2)
loadavg1=$(cut -d' ' -f1-3 /proc/loadavg)

# e2e_table FS: the end-to-end table of the runs that wrote to FS.
e2e_table() {
	local c s load line off offr capf loss cpum ov rat fails head sep
	RES=$WORK/res.$1
	echo "### End to end, files on $(fs_desc "$1") (veth, trafgen on $TRAFGEN_CPUS core(s), $DURATION s sends, median of $RUNS round(s), $elapsed s in all)"
	echo
	head="| case |" sep="|------|"
	for load in "${LOADS[@]}"; do
		head+=" ${LOAD_LABEL[$load]}: offered kfps (x base) | captured kfps | loss % | CPU s/M | overhead / tcpdump's |"
		sep+="---:|---:|---:|---:|---:|"
	done
	echo "$head"
	echo "$sep"
	for c in "${CASES[@]}"; do
		line="| ${LABEL[$c]} |"
		s=${c##*_}
		for load in "${LOADS[@]}"; do
			if [ ! -s "$RES/$c.$load.res" ]; then
				line+=" failed: $(head -n 1 "$RES/$c.$load.fail" 2>/dev/null | tr '|' '/') | | | | |"
				continue
			fi
			read -r off offr capf loss cpum ov rat < <(row_stats "$c" "$load" "base_$s" "td_$s")
			line+=$(awk -v off="$off" -v offr="$offr" -v capf="$capf" -v loss="$loss" -v cpum="$cpum" \
				-v rat="$rat" -v base="${c%%_*}" '
				function f(x, fmt) { return x == "-" ? "-" : sprintf(fmt, x) }
				BEGIN {
					o = f(off / 1000, "%.0f") (offr == "-" ? "" : " (" f(offr, "%.2f") ")")
					if (base == "base") { capf = loss = rat = "-" }
					printf " %s | %s | %s | %s | %s |", o, capf == "-" ? "-" : f(capf / 1000, "%.0f"),
						f(loss, "%.1f"), f(cpum, "%.2f"), f(rat, "%.2f")
				}')
		done
		fails=$(cat "$RES/$c".*.fail 2>/dev/null | wc -l)
		[ "$fails" -gt 0 ] && line="${line/| ${LABEL[$c]} |/| ${LABEL[$c]} ($fails run(s) failed) |}"
		echo "$line"
	done
}

# e2e_notes FS: tcpdump's overhead and vpncap's own counts, for FS.
e2e_notes() {
	local s load c ovs vps ov
	RES=$WORK/res.$1
	ovs=
	for s in p h x; do
		for load in "${LOADS[@]}"; do
			[ -s "$RES/td_$s.$load.res" ] || continue
			read -r _ _ _ _ _ ov _ < <(row_stats "td_$s" "$load" "base_$s" "td_$s")
			ovs+="$(setup_of "td_$s") ${LOAD_LABEL[$load]} $(awk -v v="$ov" 'BEGIN { printf (v == "-" ? "-" : "%.2f"), v }'), "
		done
	done
	[ -n "$ovs" ] && echo "$(fs_desc "$1"): tcpdump's overhead, CPU s per million frames captured: ${ovs%, }."
	vps=
	for c in vp_p vq_p vs_p vp_h vq_h vp_x vq_x vb_x; do
		for load in "${LOADS[@]}"; do
			[ -s "$RES/$c.$load.res" ] || continue
			vps+="${LABEL[$c]%%:*}$([ "${c%_*}" = vq ] && echo ' (before)')$([ "$c" = vs_p ] && echo ' skb')$([ "$c" = vb_x ] && echo ' busy-poll') ${LOAD_LABEL[$load]} $(awk '{ s += $6; d += $7 } END { printf "%d/%d", s, d }' "$RES/$c.$load.res"), "
		done
	done
	[ -n "$vps" ] && echo "$(fs_desc "$1"): vpncap's own summary, frames seen at the hook / dropped, all rounds: ${vps%, }."
}

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "Machine: \`$model\`, $(nproc) CPUs, kernel \`$(uname -r)\`, $(date -u '+%Y-%m-%d %H:%M UTC')."
echo "Load average $loadavg0 before the runs, $loadavg1 after; other work kept the machine ${busy0} % busy just before and ${busy1} % just after (the CPU columns include it)."
echo
for OUTFS in $OUTPUT_FS; do
	e2e_table "$OUTFS"
	echo
done
echo "port: the capture interface has no IP address and the frames go to a foreign MAC (a SPAN port);"
echo "host: it has 198.18.1.1 and the frames are addressed to it, UDP 53 and 500 bound (the inline use)."
[ "$NIC" = 1 ] && echo "NIC-like port: as port, but the frames arrive as XDP frames redirected from another veth pair, as from a NIC's receive ring (no skb until a program passes them on)."
echo "64 B mixed: 9 in 10 frames to UDP 53 (no match), 1 in 10 to UDP 500. Offered: trafgen's frames / its"
echo "sending time, in thousands per second; (x base): ratio to the no-capture rate of the same setup and"
echo "round. Captured: frames in the file (capinfos). Loss: frames to UDP 500 sent but not in the file."
echo "CPU s/M: whole-machine busy seconds (/proc/stat) per million frames captured (baselines: sent), from"
echo "the start of the send until the tool has ended. Overhead: that CPU minus what the baseline of the"
echo "same setup and round spent on as many frames sent, per million captured, as a ratio to tcpdump's."
[ "$XDP_PASS" = 1 ] && echo "XDP_PASS rows: the hook alone (native XDP on veth); CPU per million sent, overhead per million frames to UDP 500."
for OUTFS in $OUTPUT_FS; do
	e2e_notes "$OUTFS"
done
[ -n "$DISK_DIR" ] && { echo; disk_table; }
if [ -n "$icmp0" ] && [ -n "$icmp1" ] && [ "$icmp1" != "$icmp0" ]; then
	echo "Warning: the capture namespace sent $((icmp1 - icmp0)) ICMP destination-unreachable messages."
fi

# ---- memory over a long run ----------------------------------------------

# rss_kib PID: resident set size now, in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# memory_run: vpncap (bypass, a rotating file set of 3 x 64 MiB files) under
# trafgen's 1400-byte load for MEM_SECONDS, RSS sampled every 10 s.
memory_run() {
	local dir=$WORK/mem log=$WORK/mem.log tlog=$WORK/mem.tg.log t=0 rss first='' max=0 last=0
	local samples='' tg desc files
	mkdir -p "$dir"
	ip netns exec "$NS_C" "$VPNCAP" capture -i "$IF_CP" -w "$dir/" --rotate-size 64M --max-files 3 \
		"${EXTRA[@]}" >"$log" 2>&1 &
	CAP_PID=$!
	if ! wait_line "$log" 'capturing on' "$CAP_PID"; then
		echo "vpncap did not start: $(tail -n 2 "$log" | tr '\n' ' ')"
		stop_pid "$CAP_PID"; CAP_PID=
		return 1
	fi
	timeout -s INT "$MEM_SECONDS" ip netns exec "$NS_G" trafgen -o "$IF_GP" -i "$WORK/port.ike1400.cfg" \
		-P "$TRAFGEN_CPUS" --no-sock-mem --notouch-irq >"$tlog" 2>&1 &
	tg=$!
	while kill -0 "$tg" 2>/dev/null; do
		sleep 10; t=$((t + 10))
		rss=$(rss_kib "$CAP_PID") || break
		[ -n "$rss" ] || break
		[ -z "$first" ] && [ "$t" -ge 30 ] && first=$rss
		[ "$rss" -gt "$max" ] && max=$rss
		last=$rss
		samples+="$t:$((rss / 1024)) "
	done
	wait "$tg" 2>/dev/null
	kill_generators
	stop_pid "$CAP_PID"; CAP_PID=
	files=("$dir"/*.pcapng)
	desc=$("$BUILD/tests/pcapng_dump" "${files[0]}" 2>/dev/null |
		sed -n 's/^IDB.*description="\([^"]*\)".*/\1/p' | head -n 1)
	echo "| seconds | RSS at 30 s MiB | RSS at the end MiB | max MiB | growth after 30 s | files kept |"
	echo "|---:|---:|---:|---:|---:|---:|"
	echo "| $t | $(( ${first:-0} / 1024 )) | $((last / 1024)) | $((max / 1024)) | $(awk -v a="${first:-0}" -v b="$last" 'BEGIN { printf (a > 0 ? "%+.1f %%" : "-"), 100 * (b - a) / (a > 0 ? a : 1) }') | ${#files[@]} |"
	echo
	echo "Samples (s:MiB): $samples"
	echo "The capture, as its file header describes it: $desc."
	echo "What it was given, with the defaults: the UMEM above, writer queues of 32 MiB in all (--queue-size), a ring buffer of 8 MiB (--ring-size), two 4 MiB file buffers."
	echo "vpncap: $(grep 'summary' "$log" | tail -n 1 | sed 's/.*summary: //')"
}

fail=0
if [ "$MEM_SECONDS" != 0 ]; then
	echo
	echo "### Memory over a long run (bypass, 1400 B IKE, $MEM_SECONDS s)"
	echo
	memory_run || fail=1
fi

echo
echo "### Writer alone (no kernel)"
echo
if [ "$WRITER_MIB" = 0 ]; then
	echo "Not run (WRITER_MIB=0)."
elif [ -x "$BUILD/tests/bench_writer" ]; then
	for wdir in "$WORK" ${DISK_DIR:+"$DISK_DIR"}; do
		[ "$wdir" = "$WORK" ] || echo "On the disk, $(fs_desc disk) (fio into a new file: ${FIO_APPEND% *} MB/s):"
		if out=$("$BUILD/tests/bench_writer" "$WRITER_MIB" "$wdir"); then
			echo "$out" | grep -v '^cpu: '
		else
			echo "bench_writer failed (see stderr)"
			fail=1
		fi
		echo
	done
else
	echo "Not run: $BUILD/tests/bench_writer is not built (target bench_writer)."
fi

echo
echo "### Classifier (BPF_PROG_TEST_RUN)"
echo
if [ -x "$BUILD/tests/bench_classifier" ]; then
	# shellcheck disable=SC2086
	if out=$("$BUILD/tests/bench_classifier" $CLS_REPEAT); then
		echo "$out" | grep -v '^cpu: '
	else
		echo "bench_classifier failed (see stderr)"
		fail=1
	fi
else
	echo "Not run: $BUILD/tests/bench_classifier is not built (target bench_classifier)."
fi

echo
echo "### Readers on hostile files (no kernel)"
echo
if [ "$READER_GIB" = 0 ]; then
	echo "Not run (READER_GIB=0)."
else
	readers_bench || fail=1
fi

for OUTFS in $OUTPUT_FS; do
	for c in "${CASES[@]}"; do
		for load in "${LOADS[@]}"; do [ -s "$WORK/res.$OUTFS/$c.$load.fail" ] && fail=1; done
	done
done
exit $fail

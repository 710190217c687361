#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of --output-io (issue 21): a real capture on a veth pair
# writing to ext4, xfs and btrfs (512 MiB sparse images on loop devices)
# and to a tmpfs, each mounted under the test's directory in a private
# mount namespace. While the capture runs, /proc/PID/fdinfo of its output
# file shows O_DIRECT (040000) on ext4, xfs and btrfs and not on tmpfs;
# the start line says which. After the stop every frame sent is in the
# file (capinfos, tshark, vpncap show), the file is whole PCAPNG blocks to
# its last byte (no padding, whatever its size modulo 4096), and a
# rotating set on ext4 completes several such files. --output-io direct on
# tmpfs is refused before anything starts (exit 2, one line), and
# --check names the way each file system gets; --output-io buffered on
# ext4 leaves O_DIRECT off. A file system whose mkfs is missing is
# skipped with a SKIP line, except under CI (setup-deps.sh installs
# xfsprogs and btrfs-progs).
# usage: direct_io.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
if [ -z "${DIRECT_IO_IN_NS:-}" ]; then
	DIRECT_IO_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init direct-io "$1" "$2"
LOOPS=()
MOUNTS=()
undo_mounts() {
	local m l
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	return 0
}
e2e_on_exit undo_mounts
PER_CLASS=3000  # per class, two classes: 6000 frames, well over a 1 MiB piece

# make_fs FS: $WORK/FS mounted (a loop device, or tmpfs); 1, with a SKIP line, if it cannot be.
make_fs() {
	local fs=$1 mnt=$WORK/$1 img=$WORK/$1.img loop
	mkdir -p "$mnt"
	if [ "$fs" = tmpfs ]; then
		mount -t tmpfs -o size=256m vpncap-test "$mnt" || { fail "tmpfs: cannot mount"; return 1; }
		MOUNTS+=("$mnt")
		return 0
	fi
	if ! command -v "mkfs.$fs" >/dev/null; then
		[ -n "${CI:-}" ] && { fail "$fs: mkfs.$fs is installed (setup-deps.sh; CI is set)"; return 1; }
		echo "# SKIP $fs: mkfs.$fs is not installed (scripts/setup-deps.sh installs it)"
		return 1
	fi
	truncate -s 512M "$img" || { fail "$fs: cannot make the image"; return 1; }
	loop=$(losetup -f --show "$img") || { fail "$fs: no loop device"; return 1; }
	LOOPS+=("$loop")
	case $fs in
	ext4) mkfs.ext4 -q -F "$loop" ;;
	xfs) mkfs.xfs -q -f "$loop" ;;
	btrfs) mkfs.btrfs -q -f "$loop" >/dev/null ;;
	esac || { fail "$fs: mkfs failed"; return 1; }
	mount "$loop" "$mnt" || { fail "$fs: cannot mount"; return 1; }
	MOUNTS+=("$mnt")
	[ "$(stat -f -c %T "$mnt")" = "$fs" ] || [ "$fs" = ext4 ] ||
		{ fail "$fs: mounted as $(stat -f -c %T "$mnt")"; return 1; }
	return 0
}

# odirect_of PID PATH: "on" or "off" for the descriptor PID has PATH open on, "none" if none.
odirect_of() {
	local fd flags
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "$2" ] || continue
		flags=$(awk '/^flags:/ { print $2 }' /proc/"$1"/fdinfo/"${fd##*/}")
		if (( 8#$flags & 8#040000 )); then echo on; else echo off; fi
		return
	done
	echo none
}

# whole_blocks FILE: the file is PCAPNG blocks up to its last byte, nothing after.
whole_blocks() {
	python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 0
while off + 12 <= len(data):
    btype, blen = struct.unpack_from("<II", data, off)
    if blen < 12 or blen % 4 or off + blen > len(data):
        break
    if struct.unpack_from("<I", data, off + blen - 4)[0] != blen:
        break
    off += blen
sys.exit(0 if off == len(data) and len(data) > 0 else 1)
PY
}

frames_in() { capinfos -M -c -T "$1" 2>/dev/null | awk -F'\t' 'NR == 2 { print $2 }'; }

# capture_to FS MODE WANT: one capture into $WORK/FS, O_DIRECT seen as WANT (on/off) meanwhile.
capture_to() {
	local fs=$1 mode=$2 want=$3 out=$WORK/$1/cap-$2.pcapng log=$WORK/$1-$2.log seen words
	words=$([ "$want" = on ] && echo "direct I/O on $fs" || echo "buffered I/O on $fs")
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --output-io "$mode" ||
		{ fail "$fs, $mode: did not start: $(cat "$log")"; return; }
	lab_send --per-class "$PER_CLASS" --classes ike-v4,natt-v6 >/dev/null
	seen=$(odirect_of "$VPNCAP_PID" "$out")
	stop_capture INT
	checkl "$log" "$fs, --output-io $mode: the start line says $words" \
		grep -q "capturing on $LAB_CAP_IF .* into $out ($words)\$" "$log"
	check "$fs, --output-io $mode: O_DIRECT $want in fdinfo while capturing (seen: $seen)" \
		[ "$seen" = "$want" ]
	checkl "$log" "$fs, --output-io $mode: every frame sent is in the file" \
		[ "$(frames_in "$out")" = $((2 * PER_CLASS)) ]
	check "$fs, --output-io $mode: tshark reads it without error" sh -c "tshark -r '$out' >/dev/null 2>&1"
	check "$fs, --output-io $mode: whole PCAPNG blocks to the last byte, no padding ($(stat -c %s "$out") bytes, $(($(stat -c %s "$out") % 4096)) mod 4096)" \
		whole_blocks "$out"
	check "$fs, --output-io $mode: vpncap show reads every frame" \
		sh -c "[ \"\$('$VPNCAP' show '$out' 2>/dev/null | wc -l)\" -ge $((2 * PER_CLASS)) ]"
	check "$fs, --output-io $mode: ends with the ISB" sh -c "'$DUMP' '$out' | tail -1 | grep -q '^ISB'"
}

case_rotating_set() {
	local dir=$WORK/ext4/set log=$WORK/set.log files f total=0 bad=0 pid
	start_capture "$log" -i "$LAB_CAP_IF" -w "$dir/" --rotate-size 256k ||
		{ fail "set: did not start: $(cat "$log")"; return; }
	lab_send --per-class "$PER_CLASS" --classes ike-v4,natt-v6 >/dev/null
	pid=$VPNCAP_PID
	check "set: the .part being written has O_DIRECT" \
		[ "$(odirect_of "$pid" "$(readlink -f /proc/"$pid"/fd/* 2>/dev/null | grep '\.part$' | head -1)")" = on ]
	stop_capture INT
	mapfile -t files < <(find "$dir" -maxdepth 1 -name 'vpncap-*.pcapng' | sort)
	check "set: several files completed (${#files[@]})" [ "${#files[@]}" -ge 3 ]
	for f in "${files[@]}"; do
		total=$((total + $(frames_in "$f")))
		whole_blocks "$f" || bad=$((bad + 1))
	done
	check "set: every frame sent across the files ($total)" [ "$total" -eq $((2 * PER_CLASS)) ]
	check "set: every file whole PCAPNG blocks, no padding" [ "$bad" -eq 0 ]
	check "set: no .part left" sh -c "! ls '$dir' | grep -q '\.part$'"
}

case_direct_refused_on_tmpfs() {
	local log=$WORK/refused.log rc
	ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/tmpfs/no.pcapng" \
		--output-io direct --duration 1 >"$log" 2>&1
	rc=$?
	checkl "$log" "tmpfs, --output-io direct: refused, exit 2, one line" \
		sh -c "[ $rc -eq 2 ] && [ \$(wc -l <'$log') -eq 1 ] && grep -q 'output-io direct: the file system (tmpfs) refuses O_DIRECT' '$log'"
	check "tmpfs, --output-io direct: no file made" [ ! -e "$WORK/tmpfs/no.pcapng" ]
	check "tmpfs, --output-io direct: nothing attached" no_xdp_left
}

case_check_lines() {
	local fs out rc
	for fs in "$@"; do
		out=$(ip netns exec "$LAB_CAP" "$VPNCAP" capture --check -i "$LAB_CAP_IF" -w "$WORK/$fs/c.pcapng" 2>&1)
		if [ "$fs" = tmpfs ]; then
			check "--check on tmpfs: buffered" \
				grep -qx 'output I/O: buffered on tmpfs (O_DIRECT on ext4, xfs and btrfs only)' <<<"$out"
		else
			check "--check on $fs: direct" \
				grep -qx "output I/O: direct (O_DIRECT) on $fs; buffered if a file refuses it" <<<"$out"
		fi
	done
	case " $* " in *" tmpfs "*) ;; *) return ;; esac
	out=$(ip netns exec "$LAB_CAP" "$VPNCAP" capture --check -i "$LAB_CAP_IF" -w "$WORK/tmpfs/c.pcapng" --output-io direct 2>&1)
	rc=$?
	check "--check --output-io direct on tmpfs: exit 2 and the reason" \
		sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q 'refuses O_DIRECT'" "$out"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
MADE=()
for fs in ext4 xfs btrfs tmpfs; do
	make_fs "$fs" && MADE+=("$fs")
done
for fs in "${MADE[@]}"; do
	if [ "$fs" = tmpfs ]; then capture_to "$fs" auto off; else capture_to "$fs" auto on; fi
done
case " ${MADE[*]} " in *" ext4 "*) capture_to ext4 buffered off; case_rotating_set ;; esac
case " ${MADE[*]} " in *" tmpfs "*) case_direct_refused_on_tmpfs ;; esac
case_check_lines "${MADE[@]}"

e2e_finish

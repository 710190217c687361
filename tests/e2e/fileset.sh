#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of the rotating file set (-w DIR) on a real veth pair:
# rotation by size and by time, retention, restart and recovery after
# kill -9, a full disk (a small tmpfs this script mounts) with and without
# rotation, --on-rotate with spaces in the path, compression, a directory vpncap could not use once
# started (refused before anything is attached) and a rename that fails
# mid-run (counted exactly, exit 1). Every file is checked with tshark.
# usage: fileset.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init fileset "$1" "$2"
SMALL=
unmount_small() { [ -n "$SMALL" ] && umount "$SMALL" 2>/dev/null; }
e2e_on_exit unmount_small

# The set's captures all run on the lab's capture interface.
start_set_capture() { # start_set_capture LOG ARGS...
	local log=$1; shift
	start_capture "$log" -i "$LAB_CAP_IF" "$@"
}

send() { # send PER_CLASS CLASSES
	lab_send --per-class "$1" --classes "$2" >/dev/null
}

members() { # members DIR [SUFFIX] -> the set's completed files, by name
	find "$1" -maxdepth 1 -type f -name "vpncap-$LAB_CAP_IF-*-*.pcapng${2:-}" | sort
}

frames_in() { tshark -r "$1" 2>/dev/null | wc -l; }

total_frames() { # total_frames FILE... -> frames over all, or -1 if one is unreadable
	local f n total=0
	for f in "$@"; do
		tshark -r "$f" -c 1 >/dev/null 2>&1 || [ "$(stat -c %s "$f")" -gt 0 ] || { echo -1; return; }
		n=$(frames_in "$f")
		total=$((total + n))
	done
	echo $total
}

all_readable() { # every file opens in tshark without error
	local f
	for f in "$@"; do
		tshark -r "$f" >/dev/null 2>&1 || return 1
	done
}

# ---- cases -------------------------------------------------------------------

case_rotate_size() {
	local dir=$WORK/size log=$WORK/size.log files
	start_set_capture "$log" -w "$dir/" --rotate-size 64k || { fail "size: did not start: $(cat "$log")"; return; }
	send 1000 ike-v4,natt-v6
	sleep 0.5
	stop_capture INT
	mapfile -t files < <(members "$dir")
	check "size: several files (${#files[@]})" [ "${#files[@]}" -ge 4 ]
	check "size: every file at most 64 KiB" sh -c "! find '$dir' -name 'vpncap-*.pcapng' -size +64k | grep -q ."
	check "size: every file opens in tshark" all_readable "${files[@]}"
	check "size: 2000 frames across the set" [ "$(total_frames "${files[@]}")" -eq 2000 ]
	check "size: no .part left after a clean stop" sh -c "! ls '$dir' | grep -q '\.part$'"
	check "size: sequence 000000, 000001, ... in order" sh -c "ls '$dir' | grep -o -- '-[0-9]\{6\}\.pcapng$' | head -3 | tr -d '\n' | grep -qx -- '-000000.pcapng-000001.pcapng-000002.pcapng'"
	check "size: each file starts with SHB and IDB" sh -c "for f in $(printf "'%s' " "${files[@]}"); do '$DUMP' \"\$f\" | head -2 | tr '\n' ' ' | grep -q '^SHB IDB ' || exit 1; done"
	check "size: each file ends with an ISB carrying the writer counters" sh -c "for f in $(printf "'%s' " "${files[@]}"); do '$DUMP' \"\$f\" | tail -1 | grep -q '^ISB.*writer: this file: [0-9]* frames, timestamps all at the hook; files completed [0-9]*, left as .part 0,' || exit 1; done"
	check "size: summary names the files and their bytes" grep -q "written 2000, dropped 0; ${#files[@]} files completed ($(cat "${files[@]}" | wc -c) bytes)" "$log"

	# Restart into the same directory: the sequence goes on.
	start_set_capture "$log" -w "$dir/" --duration 0.5 || { fail "restart: did not start"; return; }
	wait_capture
	check "restart: sequence continues after the highest file" \
		sh -c "ls '$dir' | grep -q -- '-$(printf '%06d' "${#files[@]}")\.pcapng$'"

	# A state file wrapped to 2^64 - 1 is overridden: no number is used twice.
	echo 18446744073709551615 >"$dir/.vpncap-$LAB_CAP_IF.seq"
	start_set_capture "$log" -w "$dir/" --duration 0.5 --max-files 3 || { fail "wrapped state: did not start"; return; }
	wait_capture
	check "wrapped state: said so" grep -q "vpncap-$LAB_CAP_IF.seq: not a sequence number" "$log"
	check "wrapped state: the next file after the highest, the newest kept" \
		sh -c "ls '$dir' | grep -- '-[0-9]*\.pcapng$' | sed -E 's/.*-([0-9]+)\.pcapng$/\1/' | sort | tr '\n' ' ' | grep -qx '$(for i in 0 1 2; do printf '%06d ' $((${#files[@]} - 1 + i)); done)'"
}

case_rotate_time() {
	local dir=$WORK/time log=$WORK/time.log files f start name ok=1
	start_set_capture "$log" -w "$dir/" --rotate-time 2s || { fail "time: did not start: $(cat "$log")"; return; }
	send 20 ike-v4; sleep 2.1
	send 20 ike-v4; sleep 2.1
	send 20 ike-v4
	sleep 0.5
	stop_capture INT
	mapfile -t files < <(members "$dir")
	check "time: at least 3 files (${#files[@]})" [ "${#files[@]}" -ge 3 ]
	check "time: 60 frames across the set" [ "$(total_frames "${files[@]}")" -eq 60 ]
	check "time: every file opens in tshark" all_readable "${files[@]}"
	for f in "${files[@]}"; do
		name=$(basename "$f")
		start=$(date -u -d "$(echo "$name" | sed -E 's/.*-([0-9]{8})T([0-9]{2})([0-9]{2})([0-9]{2})Z-.*/\1 \2:\3:\4/')" +%s)
		[ $((start % 2)) -eq 0 ] || ok=0
		# every frame lies in [start, start + 2 s)
		tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null |
			awk -v s="$start" '$1 < s || $1 >= s + 2 {bad=1} END {exit bad}' || ok=0
	done
	check "time: file starts aligned to 2 s, frames inside their file's interval" [ $ok -eq 1 ]
}

case_retention() {
	local dir=$WORK/ret log=$WORK/ret.log files bytes
	mkdir -p "$dir"
	echo keep >"$dir/keep-me.pcapng"
	echo keep >"$dir/vpncap-other0-20260101T000000Z-000000.pcapng"
	echo keep >"$dir/vpncap-$LAB_CAP_IF-20260101T000000Z-000000.pcapng.txt"
	start_set_capture "$log" -w "$dir" --rotate-size 64k --max-files 3 || { fail "ring: did not start: $(cat "$log")"; return; }
	send 1000 ike-v4,natt-v6
	sleep 0.5
	stop_capture INT
	mapfile -t files < <(members "$dir")
	check "ring: --max-files 3 keeps 3 files" [ "${#files[@]}" -eq 3 ]
	check "ring: the newest are kept" sh -c "grep -q 'files completed' '$log' && ls '$dir' | grep -q -- \"-\$(printf '%06d' \$(( \$(grep -o '[0-9]* files completed' '$log' | cut -d' ' -f1) - 1 )))\.pcapng\$\""
	check "ring: files outside the set survive" sh -c "[ -f '$dir/keep-me.pcapng' ] && [ -f '$dir/vpncap-other0-20260101T000000Z-000000.pcapng' ] && [ -f '$dir/vpncap-$LAB_CAP_IF-20260101T000000Z-000000.pcapng.txt' ]"

	dir=$WORK/budget
	start_set_capture "$log" -w "$dir/" --rotate-size 64k --max-bytes 200k || { fail "budget: did not start"; return; }
	send 1000 ike-v4,natt-v6
	sleep 0.5
	stop_capture INT
	mapfile -t files < <(members "$dir")
	bytes=$(cat "${files[@]}" | wc -c)
	check "budget: --max-bytes 200k holds ($bytes bytes in ${#files[@]} files)" [ "$bytes" -le 204800 ]
	check "budget: files were deleted to hold it" [ "${#files[@]}" -lt 6 ]
}

case_kill9_recovery() {
	local dir=$WORK/crash log=$WORK/crash.log part files
	start_set_capture "$log" -w "$dir/" || { fail "kill -9: did not start"; return; }
	send 50 ike-v4
	sleep 2.5   # more than --sync-interval (1 s)
	kill -9 "$VPNCAP_PID"; wait "$VPNCAP_PID" 2>/dev/null; VPNCAP_PID=
	part=$(ls "$dir" | grep '\.pcapng\.part$')
	check "kill -9: a .part file is left" [ -n "$part" ]
	check "kill -9: the killed run's XDP program is still attached" sh -c "ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"
	start_set_capture "$log" -w "$dir/" || { fail "kill -9: restart did not start: $(cat "$log")"; return; }
	send 5 natt-v6
	sleep 0.3
	stop_capture INT
	mapfile -t files < <(members "$dir")
	check "restart: says it removed the orphaned XDP program" grep -q 'earlier vpncap that did not exit cleanly' "$log"
	check "restart: says it recovered the file" grep -q 'recovered 50 frames' "$log"
	check "recovered: no .part left, two files" sh -c "! ls '$dir' | grep -q part && [ ${#files[@]} -eq 2 ]"
	check "recovered: valid for tshark with all 50 frames sent before the sync" \
		sh -c "tshark -r '${files[0]}' >/dev/null 2>&1 && [ \$(tshark -r '${files[0]}' 2>/dev/null | wc -l) -eq 50 ]"
	check "recovered: ends with an ISB saying the capture ended uncleanly" \
		sh -c "'$DUMP' '${files[0]}' | tail -1 | grep -q 'ended uncleanly'"
	check "recovered: the next file continues the sequence" sh -c "basename '${files[1]}' | grep -q -- '-000001\.pcapng$' && [ \$(tshark -r '${files[1]}' 2>/dev/null | wc -l) -eq 5 ]"
	check "after restart: no XDP program left" sh -c "! ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"
}

case_disk_full() {
	local log=$WORK/full.log files rc
	SMALL=$WORK/small
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=1m vpncap-test "$SMALL" || { fail "disk full: cannot mount a tmpfs"; return; }
	head -c 700k /dev/zero >"$SMALL/filler"
	start_set_capture "$log" -w "$SMALL/set/" || { fail "disk full: did not start: $(cat "$log")"; return; }
	send 1500 ike-v4,natt-v4
	sleep 1.5
	check "disk full: vpncap still running" kill -0 "$VPNCAP_PID"
	check "disk full: says so" grep -q 'no space left' "$log"
	rm -f "$SMALL/filler"
	sleep 2
	send 20 sstp-to-server
	sleep 1.5
	stop_capture INT; rc=$?
	mapfile -t files < <(members "$SMALL/set")
	check "disk full: clean exit" [ "$rc" -eq 0 ]
	check "disk full: files valid for tshark" all_readable "${files[@]}"
	check "disk full: drops counted in the summary" grep -q 'disk full [1-9]' "$log"
	check "disk full: says writing resumed" grep -q 'writing again after' "$log"
	check "disk full: frames sent after space returned are in the file" \
		sh -c "[ \$(for f in $(printf "'%s' " "${files[@]}"); do tshark -r \"\$f\" -Y 'tcp.dstport==443' 2>/dev/null; done | wc -l) -eq 20 ]"
	check "disk full: written + dropped = frames sent" sh -c "grep -o 'written [0-9]*, dropped [0-9]*' '$log' | awk '{gsub(\",\",\"\"); exit (\$2 + \$4 == 3020) ? 0 : 1}'"
	umount "$SMALL"; SMALL=
}

epbs_in() { "$DUMP" "$1" | grep -c '^EPB'; }

# A full disk without retention, rotating by size (issue 17: a file set that
# never lies): no member is empty or header-only, `report` reads the set,
# the state file names the highest member, "no space left" comes once per
# 10 s, and the summary counts exactly what the files hold.
case_full_disk_rotating() {
	local log=$WORK/fullrot.log dir files f n rc t0 secs epbs=0 bad= highest lines
	SMALL=$WORK/small3
	dir=$SMALL/set
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=1m vpncap-test "$SMALL" || { fail "full rotating: cannot mount a tmpfs"; return; }
	start_set_capture "$log" -w "$dir/" --rotate-size 64k ||
		{ fail "full rotating: did not start: $(cat "$log")"; return; }
	t0=$(date +%s)
	send 4000 ike-v4,natt-v4     # about 1.4 MB of blocks for 1 MB
	send 4000 ike-v4,natt-v4     # and as much again with the disk full
	sleep 1.5
	check "full rotating: vpncap still running" kill -0 "$VPNCAP_PID"
	stop_capture INT; rc=$?
	secs=$(( $(date +%s) - t0 ))
	mapfile -t files < <(members "$dir")
	for f in "${files[@]}"; do
		n=$(epbs_in "$f")
		[ "$n" -gt 0 ] || bad="$bad $(basename "$f")"
		epbs=$((epbs + n))
	done
	check "full rotating: clean exit" [ "$rc" -eq 0 ]
	check "full rotating: the disk filled (drops counted)" grep -q 'disk full [1-9]' "$log"
	check "full rotating: several files (${#files[@]})" [ "${#files[@]}" -ge 4 ]
	check "full rotating: no empty or header-only member:${bad:- none}" [ -z "$bad" ]
	check "full rotating: nothing else left (.part, empty files, .seq.tmp)" \
		sh -c "[ -z \"\$(find '$dir' -maxdepth 1 \( -name '*.part' -o -size 0 -name 'vpncap-*' -o -name '*.tmp' \))\" ]"
	check "full rotating: vpncap report reads the set" sh -c "'$VPNCAP' report '$dir' >/dev/null"
	highest=$(printf '%s\n' "${files[@]}" | sed -E 's/.*-0*([0-9]+)\.pcapng$/\1/' | sort -n | tail -1)
	check "full rotating: the state file names the highest member ($highest)" \
		[ "$(cat "$dir/.vpncap-$LAB_CAP_IF.seq")" = "$highest" ]
	check "full rotating: written = the frames in the files ($epbs)" grep -q "written $epbs, " "$log"
	check "full rotating: files and bytes in the summary are the set's" \
		grep -q "; ${#files[@]} files completed ($(cat "${files[@]}" | wc -c) bytes)" "$log"
	lines=$(grep -c 'no space left' "$log")
	check "full rotating: 'no space left' once per 10 s ($lines lines in $secs s)" \
		sh -c "[ $lines -ge 1 ] && [ $lines -le $((1 + secs / 10)) ]"
	umount "$SMALL"; SMALL=
}

case_on_rotate() {
	local dir="$WORK/with space/set" log=$WORK/hook.log seen=$WORK/seen.txt early=$WORK/early.txt files
	# The file is completed on another thread: the command must still find
	# it under its final name, its .part gone.
	cat >"$WORK/hook.sh" <<-EOT
	#!/bin/sh
	printf '%s\n' "\$1" >>"$seen"
	{ [ -f "\$1" ] && [ ! -e "\$1.part" ]; } || printf '%s\n' "\$1" >>"$early"
	EOT
	chmod +x "$WORK/hook.sh"
	start_set_capture "$log" -w "$dir/" --rotate-size 64k --on-rotate "$WORK/hook.sh" ||
		{ fail "on-rotate: did not start: $(cat "$log")"; return; }
	send 600 ike-v4,natt-v6
	sleep 0.5
	stop_capture INT
	mapfile -t files < <(members "$dir")
	check "on-rotate: one call per completed file (${#files[@]})" [ "$(wc -l <"$seen")" -eq "${#files[@]}" ]
	check "on-rotate: each command ran after its file's rename" [ ! -s "$early" ]
	check "on-rotate: each file exactly once, full path with spaces" \
		sh -c "[ \"\$(sort '$seen' | uniq -d)\" = '' ] && [ \"\$(sort '$seen')\" = \"\$(printf '%s\n' $(printf "'%s' " "${files[@]}") | sort)\" ]"
}

case_compress() {
	local kind dir log files ext
	for kind in gzip zstd; do
		dir=$WORK/$kind; log=$WORK/$kind.log
		[ $kind = gzip ] && ext=.gz || ext=.zst
		start_set_capture "$log" -w "$dir/" --rotate-size 64k --compress $kind ||
			{ fail "$kind: did not start: $(cat "$log")"; continue; }
		send 500 ike-v4,natt-v6
		sleep 0.5
		stop_capture INT
		mapfile -t files < <(members "$dir" "$ext")
		check "$kind: completed files compressed (${#files[@]})" sh -c "[ ${#files[@]} -ge 2 ] && ! ls '$dir' | grep -q '\.pcapng$'"
		check "$kind: tshark reads them, 1000 frames in all" [ "$(total_frames "${files[@]}")" -eq 1000 ]
	done
}

# --min-free on a small disk: the oldest files go so the disk keeps room.
case_min_free() {
	local log=$WORK/minfree.log files free rc
	SMALL=$WORK/small2
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=1m vpncap-test "$SMALL" || { fail "min-free: cannot mount a tmpfs"; return; }
	start_set_capture "$log" -w "$SMALL/set/" --rotate-size 64k --min-free 600k --sync-interval 100ms ||
		{ fail "min-free: did not start: $(cat "$log")"; return; }
	send 1500 ike-v4,natt-v4
	sleep 1.5
	stop_capture INT; rc=$?
	mapfile -t files < <(members "$SMALL/set")
	free=$(( $(stat -f -c '%a * %S' "$SMALL") ))
	check "min-free: clean exit" [ "$rc" -eq 0 ]
	check "min-free: oldest files deleted (first kept: $(basename "${files[0]}"))" sh -c "! basename '${files[0]}' | grep -q -- '-000000\.pcapng$'"
	check "min-free: at least 600k - one file free at the end ($free)" [ "$free" -ge $((600 * 1024 - 65536)) ]
	check "min-free: remaining files valid for tshark" all_readable "${files[@]}"
	umount "$SMALL"; SMALL=
}

case_symlinked_dir() {
	local err rc
	mkdir -p "$WORK/real"
	ln -s "$WORK/real" "$WORK/planted"
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/planted/" --duration 1 2>&1); rc=$?
	check "set directory that is a symlink: refused, exit 1" sh -c "[ $rc -eq 1 ] && printf '%s' \"\$0\" | grep -q 'symbolic link (refused)'" "$err"
	check "symlinked directory: nothing written through it" sh -c "[ -z \"\$(ls -A '$WORK/real')\" ]"
}

# A root-owned 0555 directory: root as vpncap starts may write there, but
# after start it keeps no CAP_DAC_OVERRIDE (the directory is its own user's),
# so it could never complete a file. Refused before anything is attached.
case_unusable_dir_refused() {
	local dir=$WORK/ro err rc
	mkdir -p "$dir" && chmod 0555 "$dir"
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$dir/" --duration 5 2>&1); rc=$?
	check "0555 root-owned directory: refused, exit 1" [ "$rc" -eq 1 ]
	check "0555 root-owned directory: one line saying which step and why" \
		sh -c "[ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q \"^vpncap: $dir: not usable once capturing: create .vpncap-$LAB_CAP_IF.probe: Permission denied, with the capabilities vpncap keeps after start (CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON); the directory is mode 0555, owner uid 0\$\"" "$err"
	[ "$rc" -eq 1 ] || echo "# $err"
	check "0555 root-owned directory: nothing attached" no_xdp_left
	check "0555 root-owned directory: nothing written there" sh -c "[ -z \"\$(ls -A '$dir')\" ]"
	chmod 0750 "$dir"
}

# The directory turns read-only while vpncap writes: the files completed
# before count, the last stays .part and says why, and the exit status is 1.
case_rename_fails_mid_run() {
	local dir=$WORK/midrun log=$WORK/midrun.log rc done_files parts
	start_set_capture "$log" -w "$dir/" --rotate-size 64k || { fail "mid-run: did not start: $(cat "$log")"; return; }
	send 1000 ike-v4,natt-v6
	sleep 1     # every rotated file completed (renamed)
	done_files=$(members "$dir" | wc -l)
	chmod 0555 "$dir"
	stop_capture INT; rc=$?
	chmod 0750 "$dir"
	parts=$(find "$dir" -maxdepth 1 -name '*.pcapng.part' | sort)
	check "mid-run: files completed before ($done_files)" [ "$done_files" -ge 2 ]
	check "mid-run: exit 1" [ "$rc" -eq 1 ]
	check "mid-run: the last file left as .part, alone" [ "$(printf '%s' "$parts" | grep -c .)" -eq 1 ]
	check "mid-run: the summary counts exactly" \
		grep -q "; $done_files files completed, 1 left as .part (rename: Permission denied); [0-9]* bytes in $dir/\$" "$log"
	check "mid-run: one line names the file left as .part" \
		[ "$(grep -c "^vpncap: $parts: left as .part (rename: Permission denied); the next vpncap on $dir repairs it\$" "$log")" -eq 1 ]
	check "mid-run: completed files open in tshark" all_readable $(members "$dir")
	check "mid-run: nothing attached" no_xdp_left
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_rotate_size
case_rotate_time
case_retention
case_kill9_recovery
case_disk_full
case_full_disk_rotating
case_min_free
case_on_rotate
case_compress
case_symlinked_dir
case_unusable_dir_refused
case_rename_fails_mid_run

e2e_finish

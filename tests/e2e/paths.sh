#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: no path a local user can steer (issue 17, S1 and S2). vpncap
# runs as root; the directories it writes in while capturing (a file set's,
# --metrics-file's) are opened once and used through that descriptor, and one
# another user may write in is refused unless --allow-shared-dir:
#   - a set directory owned by nobody, writable by everyone (1777) or by its
#     group: refused in one line, exit 1, nothing attached, nothing written;
#   - with --allow-shared-dir, the set directory swapped for a symlink to a
#     root-only directory while files rotate: nothing lands there, every file
#     is completed in the directory vpncap opened, and the summary counts them;
#   - --metrics-file: a symlink planted at its temporary name leaves its
#     target untouched; the directory swapped for a symlink redirects
#     nothing; a directory nobody owns is refused (one line; the capture goes
#     on without metrics); the file is 0644.
# usage: paths.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init paths "$1" "$2"
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR"
STREAM_PID=
stop_stream() { [ -n "$STREAM_PID" ] && kill "$STREAM_PID" 2>/dev/null; STREAM_PID=; }
e2e_on_exit stop_stream

# A place like /tmp/atk: a directory of nobody's, where nobody may rename.
ATK=$WORK/atk
mkdir -p "$ATK" && chown nobody "$ATK" && chmod 0755 "$ATK"
chmod 0755 "$WORK"
ROOTONLY=$WORK/rootonly
mkdir -m 0700 "$ROOTONLY"
echo "root's own" >"$ROOTONLY/secret" && chmod 0600 "$ROOTONLY/secret"

stream() { # frames every 50 ms until stopped
	( while :; do lab_send --per-class 1 --classes ike-v4 >/dev/null 2>&1; sleep 0.05; done ) &
	STREAM_PID=$!
}

refused_dir() { # refused_dir NAME DIR WHY
	local log=$WORK/$1.log rc
	ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$2/" --duration 3 >"$log" 2>&1
	rc=$?
	check "$1: refused, exit 1 ($rc)" [ "$rc" -eq 1 ]
	check "$1: one line saying why and the way out" \
		sh -c "[ \$(wc -l <'$log') -eq 1 ] && grep -q 'refused as the capture directory: it is $3.*--allow-shared-dir' '$log'"
	check "$1: nothing attached" no_xdp_left
	check "$1: nothing written in it" sh -c "[ -z \"\$(ls -A '$2')\" ]"
}

case_shared_dirs() {
	mkdir -p "$ATK/caps" && chown nobody "$ATK/caps"
	refused_dir "owned by nobody" "$ATK/caps" "owned by uid $(id -u nobody)"
	mkdir -m 1777 "$WORK/sticky" && chmod 1777 "$WORK/sticky"
	refused_dir "mode 1777" "$WORK/sticky" "writable by everyone (mode 1777)"
	mkdir -m 0770 "$WORK/group" && chmod 0770 "$WORK/group"
	refused_dir "group-writable" "$WORK/group" "writable by group 0 (mode 0770)"
}

# S2: the set's directory swapped for a symlink to a root-only one mid-run.
case_swapped_set() {
	local log=$WORK/swap.log rc files parts done_n
	start_capture "$log" -i "$LAB_CAP_IF" -w "$ATK/caps/" --rotate-time 1s --allow-shared-dir ||
		{ fail "swap: did not start: $(cat "$log")"; return; }
	check "swap: --allow-shared-dir warns" grep -q "warning: $ATK/caps is owned by uid" "$log"
	stream
	sleep 2.5
	mv "$ATK/caps" "$ATK/caps.old" && ln -s "$ROOTONLY" "$ATK/caps"
	sleep 3
	stop_stream
	sleep 0.3
	stop_capture INT; rc=$?
	check "swap: exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "swap: nothing written into the root-only directory" \
		sh -c "[ \"\$(ls -A '$ROOTONLY')\" = secret ] && [ \"\$(cat '$ROOTONLY/secret')\" = \"root's own\" ]"
	files=$(find "$ATK/caps.old" -maxdepth 1 -name 'vpncap-*.pcapng' | wc -l)
	parts=$(find "$ATK/caps.old" -maxdepth 1 -name '*.part' | wc -l)
	done_n=$(sed -n 's/.*; \([0-9]*\) files\{0,1\} completed.*/\1/p' "$log")
	check "swap: files went on rotating in the directory vpncap opened ($files)" [ "$files" -ge 4 ]
	check "swap: none left as .part ($parts)" [ "$parts" -eq 0 ]
	check "swap: the summary counts them ($done_n completed, $files there)" [ "$done_n" = "$files" ]
	rm -f "$ATK/caps"
}

# S1: --metrics-file where nobody may plant names.
case_metrics() {
	local m=$ATK/m log=$WORK/metrics.log rc mode
	mkdir -p "$m" && chown nobody "$m"
	ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$WORK/m1.pcapng" --duration 2 \
		--metrics-file "$m/vpncap.prom" >"$log" 2>&1
	rc=$?
	check "metrics: a directory nobody owns is refused in one line, the capture goes on (exit $rc)" \
		sh -c "[ $rc -eq 0 ] && [ \$(grep -c -- '--metrics-file' '$log') -eq 1 ] && grep -q -- '--metrics-file $m/vpncap.prom: its directory is owned by uid.*--allow-shared-dir; capturing without it' '$log'"
	check "metrics: nothing written there" sh -c "[ -z \"\$(ls -A '$m')\" ]"

	ln -s "$ROOTONLY/secret" "$m/vpncap.prom.tmp"
	start_capture "$log" -i "$LAB_CAP_IF" -w "$WORK/m2.pcapng" --metrics-file "$m/vpncap.prom" \
		--allow-shared-dir || { fail "metrics: did not start: $(cat "$log")"; return; }
	sleep 2.5
	check "metrics: the planted symlink's target untouched" \
		sh -c "[ \"\$(cat '$ROOTONLY/secret')\" = \"root's own\" ]"
	check "metrics: the file written beside it" grep -q '^vpncap_' "$m/vpncap.prom"
	mode=$(stat -c %a "$m/vpncap.prom")
	check "metrics: mode 0644 as README says ($mode)" [ "$mode" = 644 ]
	mv "$m" "$m.old" && ln -s "$ROOTONLY" "$m"
	: >"$m.old/vpncap.prom.was"
	sleep 2.5
	stop_capture INT; rc=$?
	check "metrics: exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "metrics: the directory swapped for a symlink: nothing lands in the root-only one" \
		sh -c "[ \"\$(ls -A '$ROOTONLY')\" = secret ]"
	check "metrics: the file kept being replaced where vpncap opened it" \
		[ "$m.old/vpncap.prom" -nt "$m.old/vpncap.prom.was" ]
	rm -f "$m"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_shared_dirs
case_swapped_set
case_metrics
e2e_finish

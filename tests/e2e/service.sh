#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of what the boot service relies on, on a real veth pair:
# capture from a configuration file (in bypass and in inline mode), reload (SIGHUP, what `systemctl reload`
# sends) while traffic flows, an invalid file on reload, the capabilities
# left after start-up, file and directory modes, and `vpncap status`.
# usage: service.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init service "$1" "$2"
STREAM_PID=
stop_stream() { [ -n "$STREAM_PID" ] && kill "$STREAM_PID" 2>/dev/null; }
e2e_on_exit stop_stream

set_files() { find "$1" -maxdepth 1 -name 'vpncap-*.pcapng*' | sort; }

# case_config_reload MODE: the same in bypass and in inline mode.
case_config_reload() {
	local mode=$1 conf=$WORK/cap-$1.conf dir=$WORK/set-$1 log=$WORK/svc-$1.log rc i caps
	cat >"$conf" <<-EOT
	# vpncap test configuration
	write = $dir/
	rules = udp:500
	rotate-size = 1M
	mode = $mode
	EOT
	start_capture "$log" --config "$conf" -i "$LAB_CAP_IF" || { fail "[$mode] config: did not start: $(cat "$log")"; return; }

	# Privileges once running.
	caps=$(awk '/^CapEff/ {print $2}' /proc/"$VPNCAP_PID"/status)
	check "[$mode] privileges: only CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON effective ($caps)" [ "$caps" = 000000c000001000 ]
	check "[$mode] privileges: same permitted, nothing inheritable" sh -c "grep -q '^CapPrm:[[:space:]]*000000c000001000' /proc/$VPNCAP_PID/status && grep -q '^CapInh:[[:space:]]*0000000000000000' /proc/$VPNCAP_PID/status"
	check "[$mode] privileges: bounding set reduced too" sh -c "grep -q '^CapBnd:[[:space:]]*000000c000001000' /proc/$VPNCAP_PID/status"
	check "[$mode] privileges: no_new_privs" sh -c "grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$VPNCAP_PID/status"
	check "[$mode] modes: capture directory 0750" [ "$(stat -c %a "$dir")" = 750 ]
	check "[$mode] modes: capture file 0640" [ "$(stat -c %a "$(set_files "$dir" | head -1)")" = 640 ]

	lab_send --per-class 10 --classes natt-v4 --first-seq 1000 >/dev/null
	# A stream of IKE frames (matched before and after) across the reload.
	( for i in $(seq 0 19); do
		lab_send --per-class 10 --classes ike-v4 --first-seq $((i * 10)) >/dev/null
		sleep 0.1
	done ) &
	STREAM_PID=$!
	sleep 1
	sed -i 's/^rules = udp:500$/rules = udp:500,udp:4500/' "$conf"
	kill -HUP "$VPNCAP_PID"
	check "[$mode] reload: applied" wait_for_line "$log" 'reload: applied'
	wait "$STREAM_PID"; STREAM_PID=
	lab_send --per-class 10 --classes natt-v4 --first-seq 2000 >/dev/null

	# An invalid file on reload changes nothing.
	sed -i 's/^rotate-size = 1M$/rotate-size = 12Q/' "$conf"
	kill -HUP "$VPNCAP_PID"
	check "[$mode] bad reload: refused with file:line, keeps running" wait_for_line "$log" "reload: $conf:4: .*rotate-size: '12Q'.*keeping the running configuration"
	lab_send --per-class 5 --classes natt-v4 --first-seq 3000 >/dev/null
	sleep 0.5
	stop_capture INT; rc=$?
	check "[$mode] config capture: exit 0" [ "$rc" -eq 0 ]
	check "[$mode] reload: every IKE frame of the stream captured once (200)" \
		sh -c "[ \$(for f in $(set_files "$dir" | tr '\n' ' '); do tshark -r \"\$f\" -Y 'udp.port==500' -T fields -e isakmp.ispi 2>/dev/null; done | sort -u | wc -l) -eq 200 ] && [ \$(for f in $(set_files "$dir" | tr '\n' ' '); do tshark -r \"\$f\" -Y 'udp.port==500' 2>/dev/null; done | wc -l) -eq 200 ]"
	check "[$mode] reload: NAT-T not captured before, captured after (15)" \
		sh -c "[ \$(for f in $(set_files "$dir" | tr '\n' ' '); do tshark -r \"\$f\" -Y 'udp.port==4500' 2>/dev/null; done | wc -l) -eq 15 ]"
	check "[$mode] reload: a new file with the new filter in its IDB" \
		sh -c "'$DUMP' \$(ls '$dir'/vpncap-*.pcapng | tail -1) | grep '^IDB' | grep -q 'udp port 500 or udp port 4500;'"
	check "[$mode] reload: the first file's IDB keeps the old filter" \
		sh -c "'$DUMP' \$(ls '$dir'/vpncap-*.pcapng | head -1) | grep '^IDB' | grep -q 'filter=\"udp port 500; '"
}

case_config_errors() {
	local conf=$WORK/bad.conf err rc
	printf 'write = %s/x/\nsnaplen = 10\n' "$WORK" >"$conf"
	err=$(lab_in_cap "$VPNCAP" capture --config "$conf" -i "$LAB_CAP_IF" 2>&1); rc=$?
	check "bad config at start: exit 2, one line with file:line" sh -c "[ $rc -eq 2 ] && [ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q '$conf:2: .*snaplen'" "$err"
	check "bad config at start: nothing attached" sh -c "! ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"
	err=$(lab_in_cap "$VPNCAP" capture --config "$WORK/missing.conf" -i "$LAB_CAP_IF" 2>&1); rc=$?
	check "missing config: exit 2 naming the file" sh -c "[ $rc -eq 2 ] && printf '%s' \"\$0\" | grep -q 'missing.conf: cannot read'" "$err"
}

case_status() {
	local cdir=$WORK/etc dir=$WORK/status-set log=$WORK/status.log out
	mkdir -p "$cdir"
	printf 'write = %s/\n' "$dir" >"$cdir/$LAB_CAP_IF.conf"
	start_capture "$log" --config "$cdir/$LAB_CAP_IF.conf" -i "$LAB_CAP_IF" || { fail "status: did not start"; return; }
	out=$(VPNCAP_CONFIG_DIR=$cdir "$VPNCAP" status 2>&1)
	stop_capture INT
	check "status: a row for the configured interface with its directory and .part file" \
		sh -c "printf '%s\n' \"\$0\" | grep '^$LAB_CAP_IF ' | grep -q '$dir/.*vpncap-$LAB_CAP_IF-.*\.pcapng\.part'" "$out"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_config_reload bypass
case_config_reload inline
case_config_errors
case_status

e2e_finish

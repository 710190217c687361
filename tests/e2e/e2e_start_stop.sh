#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `vpncap start` / `vpncap stop` / `vpncap status` (PktMon start --capture /
# PktMon stop) on a real veth pair, detached (no systemd here): start returns
# once the capture captures and leaves it running in a session of its own;
# status lists it; stop ends it, waits, prints its files and summary; the
# file opens in tshark with the frames sent. A bad option exits 2 and starts
# nothing; a second start on the interface is refused in one line; a capture
# that fails to start gives its own line and status; stop with nothing to
# stop says so (exit 0 without IFACE, 1 with one). The systemd path runs
# against stand-ins of systemd-run and systemctl (the boot test runs the
# real one).
# usage: e2e_start_stop.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init start "$1" "$2"

OUT=$WORK/out ERR=$WORK/err RC=
NS_INO=

# Whatever a failed check left running: killed, its records removed.
kill_leftovers() {
	local f pid
	[ -n "$NS_INO" ] || return 0
	for f in /run/vpncap/bg-"$NS_INO"-*.pid; do
		[ -e "$f" ] || continue
		pid=$(head -1 "$f")
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	rm -f /run/vpncap/bg-"$NS_INO"-*
}
e2e_on_exit kill_leftovers

# vpn ARGS...: vpncap ARGS in the capture namespace; $RC, stdout in $OUT, stderr in $ERR.
vpn() {
	lab_in_cap "$VPNCAP" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}

pidfile() { echo "/run/vpncap/bg-$NS_INO-$1.pid"; }
bg_pid() { head -1 "$(pidfile "$1")" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
frames() { tshark -r "$1" 2>/dev/null | wc -l; }

case_start_status_stop() {
	local dir=$WORK/set pid file t0 took
	t0=$(date +%s%N)
	vpn start -i "$LAB_CAP_IF" -w "$dir/" --rotate-size 1M
	took=$((($(date +%s%N) - t0) / 1000000))
	note "start took $took ms"
	check "start: exit 0, says it captures in the background" \
		sh -c "[ $RC -eq 0 ] && grep -q 'capturing in the background (pid [0-9]*), files in $dir/' '$OUT'"
	check "start: the capture's own start line shown" grep -q "^vpncap: capturing on $LAB_CAP_IF " "$ERR"
	pid=$(bg_pid "$LAB_CAP_IF")
	check "pid file under /run/vpncap: the pid first, a live process" \
		sh -c "[ -n '$pid' ] && kill -0 '$pid' 2>/dev/null"
	[ -n "$pid" ] || { fail "no pid: the rest cannot be checked"; return; }
	check "it is vpncap capture with the options given" \
		sh -c "tr '\\0' ' ' </proc/$pid/cmdline | grep -q 'capture -i $LAB_CAP_IF -w $dir/ --rotate-size 1M'"
	check "detached: a session of its own, stdin /dev/null, output to the log beside the pid file" \
		sh -c "[ \$(ps -o sid= -p $pid) -eq $pid ] && [ \$(readlink /proc/$pid/fd/0) = /dev/null ] && [ \$(readlink /proc/$pid/fd/2) = /run/vpncap/bg-$NS_INO-$LAB_CAP_IF.log ]"
	check "start returned while it runs: the XDP program is attached" \
		sh -c "ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"

	lab_send --per-class 10 --classes ike-v4 >/dev/null || fail "traffic generator"
	sleep 0.5
	vpn status
	note "status: $(tr '\n' '|' <"$OUT")"
	check "status: exit 0, a background row: running, since, pid, files so far, directory" \
		sh -c "[ $RC -eq 0 ] && grep -qE '^$LAB_CAP_IF +running +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +pid $pid +1  $dir/\$' '$OUT'"

	vpn stop "$LAB_CAP_IF"
	note "stop: $(tr '\n' '|' <"$OUT") $(cat "$ERR")"
	file=$(sed -n 's/^  \(.*\.pcapng\)$/\1/p' "$OUT")
	check "stop: exit 0, said stopped, the file written named" \
		sh -c "[ $RC -eq 0 ] && grep -q '^vpncap: $LAB_CAP_IF: background capture stopped (pid $pid' '$OUT' && grep -q '^vpncap: $LAB_CAP_IF: 1 file written:' '$OUT' && [ -f '$file' ]"
	check "stop: the capture's summary line" \
		grep -q "^vpncap: summary: seen 10, matched 10, written 10, dropped 0; 1 file completed (.*) in $dir/" "$OUT"
	# Its parent (start) is gone: it may stay a zombie until init reaps it.
	check "stop: waited for the process to end, XDP detached" sh -c "$(declare -f gone); gone $pid && ! ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"
	check "stop: pid file and log removed" \
		sh -c "[ ! -e '$(pidfile "$LAB_CAP_IF")' ] && [ ! -e /run/vpncap/bg-$NS_INO-$LAB_CAP_IF.log ]"
	check "the file opens in tshark with the 10 IKE frames" \
		sh -c "[ \$(tshark -r '$file' -Y isakmp 2>/dev/null | wc -l) -eq 10 ]"
	check "no .part left" sh -c "! ls '$dir' | grep -q '\\.part$'"
}

case_bad_option() {
	vpn start -i "$LAB_CAP_IF" -w "$WORK/bad/" --snaplen 3
	check "bad option: exit 2, one line naming the option" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q -- '--snaplen' '$ERR'"
	check "bad option: nothing running, no pid file, no directory, no XDP" \
		sh -c "[ ! -e '$(pidfile "$LAB_CAP_IF")' ] && [ ! -e '$WORK/bad' ] && ! ps -eo args | grep -q '^[^ ]*vpncap capture -i $LAB_CAP_IF -w $WORK/bad/' && ! ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q xdp"
	vpn start -i "$LAB_CAP_IF" -w "$WORK/bad/" --persistent
	check "--persistent is refused by start: exit 2, one line" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ]"
	vpn start -i "$LAB_CAP_IF" --realtime
	check "--realtime is refused by start: exit 2, one line" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ]"
	vpn start -i nosuch0 -w "$WORK/bad/"
	check "the capture's own refusal (no such interface): its line, its status 2, nothing left" \
		sh -c "[ $RC -eq 2 ] && grep -q '^vpncap: nosuch0: no such interface' '$ERR' && [ ! -e '$(pidfile nosuch0)' ]"
	vpn start --help
	check "start --help: usage, exit 0" sh -c "[ $RC -eq 0 ] && grep -q '^usage: vpncap start' '$OUT'"
	vpn help start
	check "help start: the same" sh -c "[ $RC -eq 0 ] && grep -q '^usage: vpncap start' '$OUT'"
}

case_twice() {
	local pid
	vpn start -i "$LAB_CAP_IF" -w "$WORK/twice/"
	pid=$(bg_pid "$LAB_CAP_IF")
	check "first start: exit 0" [ "$RC" -eq 0 ]
	vpn start -i "$LAB_CAP_IF" -w "$WORK/twice2/"
	check "second start on the interface: refused in one line, exit 1" \
		sh -c "[ $RC -eq 1 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q 'a background capture runs on it already (pid $pid' '$ERR' && [ ! -e '$WORK/twice2' ]"
	check "the first one still runs, its pid file untouched" \
		sh -c "kill -0 '$pid' && [ \"\$(head -1 '$(pidfile "$LAB_CAP_IF")')\" = '$pid' ]"
	vpn stop
	check "stop without IFACE: stops it, exit 0, summary" \
		sh -c "$(declare -f gone); [ $RC -eq 0 ] && grep -q '^vpncap: summary: ' '$OUT' && gone '$pid'"
}

# A foreground capture holds the interface: the background one fails at
# run time with the capture's own line and status (1), and leaves nothing.
case_busy() {
	start_capture "$WORK/fg.log" -i "$LAB_CAP_IF" -w "$WORK/fg.pcapng" || { fail "busy: foreground capture did not start"; return; }
	vpn start -i "$LAB_CAP_IF" -w "$WORK/busy/"
	check "interface busy: exit 1, the capture's line" \
		sh -c "[ $RC -eq 1 ] && grep -q 'another vpncap is capturing on this interface' '$ERR'"
	check "interface busy: no pid file or log left" \
		sh -c "[ ! -e '$(pidfile "$LAB_CAP_IF")' ] && [ ! -e /run/vpncap/bg-$NS_INO-$LAB_CAP_IF.log ]"
	stop_capture INT
}

# --duration: the capture ends by itself; status says ended, stop collects it.
case_ended_by_itself() {
	local pid
	vpn start -i "$LAB_CAP_IF" -w "$WORK/short/" --duration 1
	pid=$(bg_pid "$LAB_CAP_IF")
	check "start --duration 1: exit 0" [ "$RC" -eq 0 ]
	for _ in $(seq 1 50); do gone "$pid" && break; sleep 0.1; done
	vpn status
	check "status: the ended capture is listed as ended" grep -qE "^$LAB_CAP_IF +ended " "$OUT"
	vpn stop "$LAB_CAP_IF"
	check "stop: exit 0, 'had ended by itself', its summary" \
		sh -c "[ $RC -eq 0 ] && grep -q 'background capture had ended by itself' '$OUT' && grep -q '^vpncap: summary: seen 0' '$OUT'"
}

# Relative paths are the caller's: -w rel/ from WORK.
case_relative_dir() {
	(cd "$WORK" && lab_in_cap "$VPNCAP" start -i "$LAB_CAP_IF" -w rel/ >"$OUT" 2>"$ERR"); RC=$?
	check "start -w rel/: exit 0, files in the caller's directory" \
		sh -c "[ $RC -eq 0 ] && grep -q 'files in $WORK/rel/' '$OUT' && [ -d '$WORK/rel' ]"
	vpn stop "$LAB_CAP_IF"
	check "stop: names the file under WORK/rel" sh -c "[ $RC -eq 0 ] && grep -q '^  $WORK/rel/vpncap-$LAB_CAP_IF-' '$OUT'"
}

case_nothing_to_stop() {
	vpn stop
	check "stop, nothing running: says so, exit 0" \
		sh -c "[ $RC -eq 0 ] && grep -q 'no background capture runs' '$OUT'"
	VPNCAP_CONFIG_DIR=$WORK/noconf lab_in_cap "$VPNCAP" stop "$LAB_CAP_IF" >"$OUT" 2>"$ERR"; RC=$?
	check "stop IFACE, nothing there (no systemd, no configuration): one line, exit 1" \
		sh -c "[ $RC -eq 1 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q 'no capture runs on it' '$ERR'"
}

# Two starts at once on one interface: one captures, the other is refused,
# and the record is the running one's (starts take turns on a lock).
case_concurrent() {
	local n pid rcs won
	for n in 1 2; do
		(lab_in_cap "$VPNCAP" start -i "$LAB_CAP_IF" -w "$WORK/conc$n/" >"$WORK/conc$n.out" 2>&1
		 echo $? >"$WORK/conc$n.rc") &
	done
	wait
	rcs=$(cat "$WORK/conc1.rc" "$WORK/conc2.rc" | sort | tr '\n' ' ')
	check "two starts at once: one exits 0, the other 1" [ "$rcs" = "0 1 " ]
	won=1; [ "$(cat "$WORK/conc2.rc")" = 0 ] && won=2
	pid=$(bg_pid "$LAB_CAP_IF")
	check "the pid file is the running capture's" \
		sh -c "[ -n '$pid' ] && tr '\\0' ' ' </proc/$pid/cmdline | grep -q -- '-w $WORK/conc$won/'"
	vpn stop
	check "stop: exit 0, one capture stopped" \
		sh -c "[ $RC -eq 0 ] && [ \$(grep -c '^vpncap: summary: ' '$OUT') -eq 1 ]"
}

# A persistent capture configured on the interface too: status shows both
# kinds, stop IFACE ends the background one and says the persistent one is
# left (a second stop IFACE is for it).
case_both_kinds() {
	local etc=$WORK/etc
	mkdir -p "$etc"
	printf 'write = %s/persist/\n' "$WORK" >"$etc/$LAB_CAP_IF.conf"
	vpn start -i "$LAB_CAP_IF" -w "$WORK/both/"
	VPNCAP_CONFIG_DIR=$etc lab_in_cap "$VPNCAP" status >"$OUT" 2>"$ERR"
	check "status: the persistent row and the background row" \
		sh -c "grep -q '^$LAB_CAP_IF .*$WORK/persist/' '$OUT' && grep -qE '^$LAB_CAP_IF +running .*$WORK/both/\$' '$OUT'"
	VPNCAP_CONFIG_DIR=$etc lab_in_cap "$VPNCAP" stop "$LAB_CAP_IF" >"$OUT" 2>"$ERR"; RC=$?
	check "stop IFACE: the background one stopped, the persistent one said to be left" \
		sh -c "[ $RC -eq 0 ] && grep -q 'background capture stopped' '$OUT' && grep -q 'persistent capture vpncap@$LAB_CAP_IF.service is left as it is' '$OUT'"
}

# Under systemd (here a stand-in): start runs systemd-run with a Type=notify
# unit whose output goes to the log, stop runs systemctl stop. In a private
# mount namespace whose /run is a tmpfs holding /run/systemd/system; stubs
# of systemd-run and systemctl first in PATH record their calls and play
# the unit with a `tail -f` (STUB_FAIL=1: the capture fails with status 2).
write_stubs() { # write_stubs DIR
	cat >"$1/systemd-run" <<'EOF'
#!/bin/bash
printf '%s\n' "$@" >"$STUB/run.args"
unit= log=
for a; do
	case $a in
	--unit=*) unit=${a#--unit=} ;;
	--property=StandardError=append:*) log=${a#--property=StandardError=append:} ;;
	esac
done
echo "$log" >"$STUB/log"
if [ -n "${STUB_FAIL:-}" ]; then
	echo "vpncap: nosuch0: no such interface" >>"$log"
	echo 2 >"$STUB/status"
	echo "Job for $unit failed because the control process exited with error code." >&2
	exit 1
fi
echo "vpncap: capturing on vstub0 (stand-in)" >>"$log"
setsid tail -f /dev/null </dev/null >/dev/null 2>&1 &
echo $! >"$STUB/mainpid"
EOF
	cat >"$1/systemctl" <<'EOF'
#!/bin/bash
echo "$*" >>"$STUB/calls"
pid=$(cat "$STUB/mainpid" 2>/dev/null)
case "$1 $3" in
"show MainPID") echo "${pid:-0}" ;;
"show ExecMainStatus") cat "$STUB/status" 2>/dev/null || echo 0 ;;
"stop "*)
	kill "$pid"
	while kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; do sleep 0.05; done
	echo "vpncap: summary: seen 0, matched 0, written 0, dropped 0; 1 file completed (1488 bytes) in /x/" >>"$(cat "$STUB/log")" ;;
esac
exit 0
EOF
	chmod 755 "$1/systemd-run" "$1/systemctl"
}

case_systemd_stub() {
	local bin=$WORK/stub-bin s=$WORK/stub
	mkdir -p "$bin" "$s"
	write_stubs "$bin"
	cat >"$WORK/stub.sh" <<EOF
mount -t tmpfs vpncap-test /run && mkdir -p /run/systemd/system || exit 1
export PATH=$bin:\$PATH STUB=$s VPNCAP_TEST_PASSED=1
ino=\$(stat -L -c %i /proc/self/ns/net)
cd /
"$VPNCAP" start -i vstub0 -w $WORK/unitset/ >$s/start.out 2>$s/start.err; echo "start-exit=\$?"
sed 's/^/record: /' /run/vpncap/bg-\$ino-vstub0.pid
"$VPNCAP" status | sed 's/^/status: /'
"$VPNCAP" stop vstub0 >$s/stop.out 2>&1; echo "stop-exit=\$?"
ls /run/vpncap | sed 's/^/left: /'
STUB_FAIL=1 "$VPNCAP" start -i vstub0 -w $WORK/unitset/ >$s/fail.out 2>$s/fail.err; echo "fail-exit=\$?"
ls /run/vpncap | sed 's/^/fail-left: /'
EOF
	# vstub0 does not exist: were the stand-ins not used, nothing would capture.
	timeout 60 unshare -m --propagation private bash "$WORK/stub.sh" >"$s/result" 2>&1
	note "systemd stand-in: $(tr '\n' '|' <"$s/result")"
	local r=$s/result a=$s/run.args
	check "systemd: start exit 0, says so with the unit and its pid" \
		sh -c "grep -qx 'start-exit=0' '$r' && grep -q 'capturing in the background (vpncap-run-vstub0.service, pid [0-9]*)' '$s/start.out' && grep -q 'capturing on vstub0 (stand-in)' '$s/start.err'"
	check "systemd: systemd-run of a Type=notify unit, output to the log, the capture's command line" \
		sh -c "grep -qx -- '--unit=vpncap-run-vstub0.service' '$a' && grep -qx -- '--property=Type=notify' '$a' && grep -qx -- '--property=StandardError=append:/run/vpncap/bg-[0-9]*-vstub0.log' '$a' && grep -qx -- '--property=WorkingDirectory=/' '$a' && grep -qx -- '--setenv=VPNCAP_TEST_PASSED=1' '$a' && [ \"\$(sed -n '/^--\$/,\$p' '$a' | tr '\n' ' ')\" = '-- $VPNCAP capture -i vstub0 -w $WORK/unitset/ ' ]"
	check "systemd: the record names the unit; status shows it running" \
		sh -c "grep -qx 'record: unit=vpncap-run-vstub0.service' '$r' && grep -qE '^status: vstub0 +running .*vpncap-run-vstub0.service \\(pid [0-9]+\\)' '$r'"
	check "systemd: stop: systemctl stop of the unit, exit 0, the summary from the log, nothing left" \
		sh -c "grep -qx 'stop-exit=0' '$r' && grep -qx 'stop vpncap-run-vstub0.service' '$s/calls' && grep -q '^vpncap: summary: seen 0' '$s/stop.out' && ! grep -q '^left: bg-' '$r'"
	check "systemd: a capture that fails: its line and status (2), not systemd-run's, nothing left" \
		sh -c "grep -qx 'fail-exit=2' '$r' && grep -q 'nosuch0: no such interface' '$s/fail.err' && ! grep -q 'Job for' '$s/fail.err' && ! grep -q '^fail-left: bg-' '$r' && [ \"\$(tail -1 '$s/calls')\" = 'reset-failed vpncap-run-vstub0.service' ]"
}

lab_up || { echo "not ok - could not build the lab"; exit 1; }
NS_INO=$(stat -L -c %i "/run/netns/$LAB_CAP")
case_start_status_stop
case_bad_option
case_twice
case_concurrent
case_busy
case_ended_by_itself
case_relative_dir
case_nothing_to_stop
case_both_kinds
case_systemd_stub

e2e_finish

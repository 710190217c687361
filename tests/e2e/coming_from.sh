#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# README's "Coming from PktMon, netsh trace or tcpdump" table, run: every
# command of its vpncap column, in order, as an admin would type it, on a
# lab interface (eth0 and the index 2 become the lab's port and its index,
# /var/tmp/vpncap/ a directory of this test). A capture runs until the
# lab's frames are in, then gets Ctrl-C; a background capture (vpncap
# start) runs until its vpncap stop. Each command must exit 0 (and its
# output is shown on failure). --persistent needs systemd: a stub systemctl
# first in PATH stands in for it, in a private mount namespace with /etc
# as an overlay (as e2e_persistent does).
# usage: coming_from.sh PATH/TO/vpncap PATH/TO/pcapng_dump README
set -u
if [ -z "${COMING_FROM_IN_NS:-}" ]; then
	COMING_FROM_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init coming-from "$1" "$2"
README=$(readlink -f "$3")

# /etc as an overlay of this mount namespace: /etc/vpncap is the test's own.
mkdir -p "$WORK/ovl" "$WORK/bin" "$WORK/systemd"
mount -t tmpfs vpncap-test "$WORK/ovl" && mkdir "$WORK/ovl/up" "$WORK/ovl/wk" &&
	mount -t overlay vpncap-test -o "lowerdir=/etc,upperdir=$WORK/ovl/up,workdir=$WORK/ovl/wk" /etc ||
	abort "no overlay over /etc"
[ -e /etc/vpncap ] && mount -t tmpfs vpncap-test /etc/vpncap
unmount_etc() { umount /etc/vpncap 2>/dev/null; umount /etc 2>/dev/null; umount "$WORK/ovl"; }
e2e_on_exit unmount_etc

# The stub systemctl: enable/start mark the unit, stop/disable unmark it.
cat >"$WORK/bin/systemctl" <<'STUB'
#!/bin/sh
for unit; do :; done
mark="$STUB_STATE/$unit"
echo "systemctl $*" >>"$STUB_STATE/log"
case $1 in
is-enabled|is-active)
	if [ -e "$mark" ]; then [ "$1" = is-active ] && echo active || echo enabled; exit 0; fi
	[ "$1" = is-active ] && echo inactive || echo disabled; exit 1 ;;
enable|start|restart|reload-or-restart) touch "$mark" ;;
stop|disable) rm -f "$mark" ;;
esac
exit 0
STUB
chmod 755 "$WORK/bin/systemctl"
ln -s "$VPNCAP" "$WORK/bin/vpncap"
# Filters and --persistent both use /etc/vpncap: this namespace's own.
export STUB_STATE=$WORK/systemd
unset VPNCAP_CONFIG_DIR

lab_up || abort "lab_up failed"
lab_in_cap mount -t bpf bpf /sys/fs/bpf 2>/dev/null
IDX=$(ip -n "$LAB_CAP" -o link show "$LAB_CAP_IF" | cut -d: -f1)
mkdir -p "$WORK/run"

# The vpncap column, between the markers, one command per row.
python3 - "$README" >"$WORK/commands.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
table = text.split('<!-- coming-from: begin -->')[1].split('<!-- coming-from: end -->')[0]
for row in table.splitlines():
    cells = [c.strip() for c in row.strip().strip('|').split(' | ')]
    if len(cells) == 2:
        m = re.search(r'`(vpncap [^`]*)`', cells[1])
        if m:
            print(m.group(1))
PY
[ "$(wc -l <"$WORK/commands.txt")" -ge 20 ] ||
	abort "README's table gave $(wc -l <"$WORK/commands.txt") commands"

# The command as run here: the lab's interface and index, our directory.
localize() {
	sed -e "s#/var/tmp/vpncap/#$WORK/out/#g" -e "s/\beth0\b/$LAB_CAP_IF/g" \
		-e "s/\(-i\|--comp\) 2\b/\1 $IDX/g" <<<"$1"
}

in_cap() { # in_cap LOG COMMAND: run through the shell, as typed, in the lab
	ip netns exec "$LAB_CAP" env PATH="$WORK/bin:$PATH" sh -c "cd '$WORK/run' && $1" >"$2" 2>&1
}

# A capture in the foreground: started, fed the lab's frames, then Ctrl-C.
run_foreground() { # run_foreground CMD LOG: its exit status
	local pid i rc
	ip netns exec "$LAB_CAP" env PATH="$WORK/bin:$PATH" \
		sh -c "cd '$WORK/run' && exec $1" >"$2" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q 'capturing on' "$2" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	lab_send --per-class 2 >/dev/null 2>&1
	sleep 0.5
	kill -INT "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	grep -q 'capturing on' "$2" || rc=99
	return $rc
}

n=0
while IFS= read -r typed; do
	n=$((n + 1))
	cmd=$(localize "$typed")
	log=$WORK/cmd$n.log
	case $cmd in
	"vpncap start "*)
		in_cap "$cmd" "$log"; rc=$?
		lab_send --per-class 2 >/dev/null 2>&1 ;;
	"vpncap capture "*--persistent*)
		in_cap "$cmd" "$log"; rc=$? ;;
	"vpncap capture "*)
		run_foreground "$cmd" "$log"; rc=$? ;;
	*)
		in_cap "$cmd" "$log"; rc=$? ;;
	esac
	if [ "$rc" -eq 0 ]; then
		ok "$typed"
	else
		fail "$typed: exit $rc: $(tr '\n' ' ' <"$log" | cut -c1-400)"
	fi
done <"$WORK/commands.txt"
lab_in_cap "$VPNCAP" stop >/dev/null 2>&1
no_xdp_left && ok "nothing left attached" || fail "XDP left attached"
e2e_finish

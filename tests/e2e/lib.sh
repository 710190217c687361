# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared by the end-to-end scripts: the lab, results in TAP-like lines, and
# vpncap run in the background in the capture namespace.
#   . lib.sh; e2e_init NAME PATH/TO/vpncap PATH/TO/pcapng_dump
# sets VPNCAP, DUMP, HERE (tests/e2e) and WORK (a fresh directory), and
# removes everything on exit; a script adds its own cleanup with
# e2e_on_exit FUNCTION. End with e2e_finish. E2E_KEEP=1 keeps WORK (logs, files)
# for a look after a failure.

E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/tap.sh
. "$E2E_HERE/../lib/tap.sh"
# shellcheck source=../../scripts/lab.sh
. "$E2E_HERE/../../scripts/lab.sh"

E2E_EXIT_HOOKS=()

e2e_init() { # e2e_init NAME VPNCAP DUMP
	HERE=$E2E_HERE
	VPNCAP=$(readlink -f "$2")
	DUMP=$(readlink -f "$3")
	WORK=$(mktemp -d "/tmp/vpncap-$1.XXXXXX")
	PASSED=0
	FAILED=0
	VPNCAP_PID=
	trap e2e_cleanup EXIT
}

e2e_on_exit() { E2E_EXIT_HOOKS+=("$1"); }

e2e_cleanup() {
	local hook
	for hook in "${E2E_EXIT_HOOKS[@]}"; do "$hook"; done
	[ -n "$VPNCAP_PID" ] && kill -9 "$VPNCAP_PID" 2>/dev/null
	[ -n "$VPNCAP_PID" ] && wait "$VPNCAP_PID" 2>/dev/null
	lab_down
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$WORK"
}


# start_capture LOG ARGS...: `vpncap capture ARGS` in the background in the
# capture namespace; waits until it is capturing. `ip netns exec` execs
# vpncap, so $VPNCAP_PID is vpncap itself and gets the signals.
start_capture() {
	local log=$1; shift
	start_in_cap "$log" "$VPNCAP" capture "$@"
}

# start_in_cap LOG COMMAND...: the same for any command line that ends up
# running vpncap capture (env VAR=..., unshare ..., and so on).
start_in_cap() {
	local log=$1 i; shift
	ip netns exec "$LAB_CAP" "$@" >"$log" 2>&1 &
	VPNCAP_PID=$!
	for i in $(seq 1 100); do
		grep -q 'capturing on' "$log" 2>/dev/null && return 0
		kill -0 "$VPNCAP_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop_capture SIGNAL: signal vpncap and return its exit status.
stop_capture() {
	local rc
	kill -s "$1" "$VPNCAP_PID"
	wait "$VPNCAP_PID"; rc=$?
	VPNCAP_PID=
	return $rc
}

# wait_capture: wait for vpncap to end by itself; its exit status.
wait_capture() {
	local rc
	wait "$VPNCAP_PID"; rc=$?
	VPNCAP_PID=
	return $rc
}

wait_for_line() { # wait_for_line LOG PATTERN: up to 5 s
	local i
	for i in $(seq 1 50); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

no_xdp_left() {
	! ip -n "$LAB_CAP" link show "$LAB_CAP_IF" | grep -q 'xdp'
}

# show_log FILE...: their last lines as TAP comments.
show_log() {
	local f
	for f in "$@"; do
		[ -f "$f" ] && tail -n 15 "$f" | sed "s|^|# $(basename "$f"): |"
	done
	return 0
}

# checkl "LOG..." DESCRIPTION COMMAND...: check; on failure show the logs.
checkl() {
	local logs=$1 failed=$FAILED; shift
	check "$@"
	# shellcheck disable=SC2086 # a list of paths without spaces
	[ "$FAILED" -eq "$failed" ] || show_log $logs
}

# stop_pids PID...: SIGTERM; up to 2 s to end by themselves (charon
# removes its TUN device), then SIGKILL.
stop_pids() {
	local pid alive
	for pid in "$@"; do
		kill "$pid" 2>/dev/null
	done
	for _ in $(seq 1 20); do
		alive=0
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for pid in "$@"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

# netns_remove NS...: delete these namespaces of the script, after killing
# what still runs in them (the script started it) and removing vpncap's
# per-interface lock files, which name a namespace by its inode.
netns_remove() {
	local ns pid ino
	for ns in "$@"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ino=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null) && rm -f /run/vpncap/"$ino"-*
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

e2e_finish() {
	summary
	[ "$FAILED" -eq 0 ]
}

# swan_base DIR [RETRANSMIT_TIMEOUT]: one charon's directories under DIR and
# its strongswan.conf, with its own vici socket and log (tests run one charon
# per namespace). kernel-libipsec before kernel-netlink: ESP in userspace,
# over a TUN device (the kernel has no ESP). Two tries only: failures end fast.
swan_base() {
	local d=$1 sub
	mkdir -p "$d/run" "$d/swanctl"
	for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
		mkdir -p "$d/swanctl/$sub"
	done
	cat >"$d/strongswan.conf" <<-EOF
		charon {
			load = random nonce aes sha1 sha2 hmac kdf gmp kernel-libipsec kernel-netlink socket-default vici
			retransmit_tries = 2
			${2:+retransmit_timeout = $2}
			plugins {
				vici {
					socket = unix://$d/charon.vici
				}
			}
			filelog {
				charon {
					path = $d/charon.log
					flush_line = yes
					time_format = %T
					default = 1
					ike = 2
					net = 2
				}
			}
		}
		swanctl {
			load = random nonce aes sha1 sha2 hmac kdf gmp
		}
	EOF
}

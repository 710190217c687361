#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# How the commands answer mistakes: an error is one line on stderr (never on
# stdout, never two lines because a name holds a newline) with exit status 2
# for bad usage; the same number is refused by every command that takes it;
# `help` knows the commands it is asked about. Touches nothing: no root, no
# interface, no capture.
# usage: usage.sh PATH/TO/vpncap
set -u
VPNCAP=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/vpncap-usage.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# shellcheck source=../lib/tap.sh
. "$HERE/../lib/tap.sh"

OUT=$WORK/out ERR=$WORK/err RC=0
run() { "$VPNCAP" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
lines() { wc -l <"$1"; }

# `vpncap counters IFACE` with no capture there: an error, so stderr.
run counters nosuch0
check "counters nosuch0: exit 1" [ "$RC" -eq 1 ]
check "counters nosuch0: nothing on stdout" [ ! -s "$OUT" ]
check "counters nosuch0: one line on stderr naming it" \
	sh -c "[ $(lines "$ERR") -eq 1 ] && grep -q '^vpncap: counters: nosuch0: ' '$ERR'"
# Without IFACE, none running is news, not an error (captures of other
# tests may be running: then they are listed).
run counters
check "counters without IFACE: stdout only ('no running capture' or the captures), exit 0" \
	sh -c "[ $RC -eq 0 ] && grep -q -e '^no running capture$' -e '^capture ' '$OUT' && [ ! -s '$ERR' ]"

# -c N: one range for capture and show (1 .. 2^64-2).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >empty.pcap
for n in 99999999999999999999 18446744073709551615 0 -1 1x; do
	run show -c "$n" empty.pcap
	check "show -c $n: refused, exit 2, one line naming -c" \
		sh -c "[ $RC -eq 2 ] && [ $(lines "$ERR") -eq 1 ] && grep -q -- \"-c '$n'\" '$ERR'"
done
run show -c 18446744073709551614 empty.pcap
check "show -c 18446744073709551614 (capture's largest): accepted" [ "$RC" -eq 0 ]
run capture -i lo -w "$WORK/x.pcapng" -c 99999999999999999999
check "capture -c 99999999999999999999: refused too (exit 2)" [ "$RC" -eq 2 ]

# help COMMAND: that command's help; anything else is bad usage.
run help bogus
check "help bogus: exit 2" [ "$RC" -eq 2 ]
check "help bogus: one line on stderr naming it, nothing on stdout" \
	sh -c "[ $(lines "$ERR") -eq 1 ] && grep -q \"'bogus'\" '$ERR' && [ ! -s '$OUT' ]"
for cmd in capture filter stop status show report counters list; do
	run help "$cmd"
	check "help $cmd: its own usage, exit 0" sh -c "[ $RC -eq 0 ] && grep -q 'usage: vpncap $cmd' '$OUT'"
done
run help
check "help: the command list, exit 0" sh -c "[ $RC -eq 0 ] && grep -q '^Commands:' '$OUT'"
run help show extra
check "help show extra: exit 2" [ "$RC" -eq 2 ]

# `COMMAND help` (PktMon's `start help`, `filter add help`): that command's
# own --help, exit 0, for every command and every filter subcommand.
for cmd in capture filter stop status show report counters list "filter add" \
	"filter list" "filter remove"; do
	# shellcheck disable=SC2086 # "filter add" is two words
	"$VPNCAP" $cmd --help >"$WORK/want" 2>&1
	# shellcheck disable=SC2086
	run $cmd help
	check "$cmd help: the same text as $cmd --help, exit 0" \
		sh -c "[ $RC -eq 0 ] && [ -s '$OUT' ] && [ ! -s '$ERR' ] && cmp -s '$OUT' '$WORK/want'"
done

# Long options are never abbreviated: --comp is not --compress (PktMon's
# "--comp nics"), --js not --json. One line naming what was meant, exit 2.
abbrev() { # abbrev WANTED ARGS...
	local wanted=$1; shift
	run "$@"
	check "$* : refused, exit 2, one line naming $wanted" \
		sh -c "[ $RC -eq 2 ] && [ $(lines "$ERR") -eq 1 ] && grep -q 'not abbreviated.*$wanted' '$ERR'"
}
abbrev --compress capture -i lo -w x/ --compre gzip
abbrev --interface capture --inter lo -w x
abbrev --json list --js
abbrev --json report --js x.pcapng
abbrev --watch counters --wat
abbrev --colour show --colo x.pcapng
abbrev --config-dir filter --config-d /tmp list
run capture -i lo -w x/ --comp
check "capture --comp: an option of its own (PktMon's -i), asking for its value" \
	sh -c "[ $RC -eq 2 ] && grep -q \"'--comp' needs a value\" '$ERR'"

# Names with control characters stay on one line ('?' in their place).
run capture -i lo -w "$WORK/new
line.pcapng" --rotate-size 1M
check "a file name with a newline: exit 2, one line" \
	sh -c "[ $RC -eq 2 ] && [ $(lines "$ERR") -eq 1 ] && grep -q 'new?line.pcapng' '$ERR'"
run report "$WORK/no such
dir/"
check "a directory name with a newline: one line" \
	sh -c "[ $RC -ne 0 ] && [ $(lines "$ERR") -eq 1 ] && grep -q 'no such?dir' '$ERR'"
run counters "$(printf 'a\033[2Jb')"
check "an interface name with an escape sequence: one line, no escape byte" \
	sh -c "[ $(lines "$ERR") -eq 1 ] && ! grep -q \"\$(printf '\033')\" '$ERR'"

summary
[ "$FAILED" -eq 0 ]

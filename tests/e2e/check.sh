#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `vpncap capture --check` in a namespace of its own holding one veth pair:
# ca (no address: a capture port) and cb (an address: the host uses it).
# The shipped example configuration passes as it is and with its examples
# uncommented; what the check prints is what the capture would do (the
# effective options, the mode each interface gets and why, the output, the
# rules, the kernel). Each invalid configuration gets exit 2 and one line on
# stderr, the same line the capture itself says, and nothing on stdout; a
# configuration the check passes starts a capture. Nothing is changed by a
# check: no XDP program, no directory created, no file in the set's
# directory.
# usage: check.sh PATH/TO/vpncap PATH/TO/pcapng_dump SOURCE_DIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init check "$1" "$2"
SRC=$(cd "$3" && pwd)
EXAMPLE=$SRC/etc/IFACE.conf.example

check_lab_up() {
	local id
	id=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
	LAB_CAP=vpncap-check-$id
	CA=ca$id CB=cb$id
	ip netns add "$LAB_CAP" || return 1
	ip -n "$LAB_CAP" link add "$CA" type veth peer name "$CB" || return 1
	ip netns exec "$LAB_CAP" sysctl -qw "net.ipv6.conf.$CA.disable_ipv6=1" || return 1
	ip -n "$LAB_CAP" addr add 198.18.8.1/24 dev "$CB" || return 1
	ip -n "$LAB_CAP" link set "$CA" up && ip -n "$LAB_CAP" link set "$CB" up
}
check_lab_up || abort "a namespace with a veth pair"

# A configuration directory of the test's own (filters.conf), and a set's.
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR" "$WORK/set" && chmod 0750 "$WORK/set"

# run_check NAME ARGS...: `vpncap capture --check ARGS` in the namespace;
# stdout in $WORK/NAME.out, stderr in $WORK/NAME.err, status in RC.
run_check() {
	local name=$1; shift
	ip netns exec "$LAB_CAP" "$VPNCAP" capture --check "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	RC=$?
}
out_has() { grep -qxF -- "$2" "$WORK/$1.out"; }     # out_has NAME LINE
out_matches() { grep -qE -- "$2" "$WORK/$1.out"; }  # out_matches NAME REGEX

# --- valid -------------------------------------------------------------------

run_check example --config "$EXAMPLE"
checkl "$WORK/example.err $WORK/example.out" "the shipped example passes as it is, without -i and -w (exit $RC)" \
	sh -c "[ $RC -eq 0 ] && [ ! -s '$WORK/example.err' ]"
check "example: every option at its default, the unit gives the interface and the output" sh -c "
	grep -qxF '  (every option at its default)' '$WORK/example.out' &&
	grep -qxF 'interface: none given; vpncap@IFACE.service gives it (-i IFACE)' '$WORK/example.out' &&
	grep -qxF 'output: none given; vpncap@IFACE.service writes into /var/lib/vpncap/IFACE/' '$WORK/example.out'"
check "example: the VPN default rules, and the verdict line" sh -c "
	grep -qF 'rules: udp port 500 or udp port 4500 or tcp port 443 (the VPN default' '$WORK/example.out' &&
	tail -1 '$WORK/example.out' | grep -qF 'vpncap capture --check: valid; a capture would start'"
check "example: the kernel's features, probed" out_matches example '^kernel [^ ]+ features: '

# The example with its examples uncommented, the set's directory ours.
sed -E "s|^# ([a-z-]+ = )|\1|; s|^write = .*|write = $WORK/set/new/|" "$EXAMPLE" >"$WORK/full.conf"
run_check full --config "$WORK/full.conf" -i "$CA"
checkl "$WORK/full.err" "the example uncommented passes on a capture port (exit $RC)" [ "$RC" -eq 0 ]
check "full: the effective options, as a configuration file holds them" sh -c "
	for l in 'write = $WORK/set/new/' 'rotate-time = 1h' 'rotate-size = 256M' 'max-bytes = 20G' 'min-free = 2G' 'compress = zstd'; do
		grep -qxF \"  \$l\" '$WORK/full.out' || exit 1
	done"
run_check unitfile --config "$EXAMPLE" -i "$CA"
check "the example with -i as the unit gives it: the unit's own directory named" \
	out_has unitfile "output: none given; vpncap@$CA.service writes into /var/lib/vpncap/$CA/"
check "full: $CA gets bypass, chosen by --mode auto, and why" \
	out_matches full "^interface: $CA \(index [0-9]+, driver veth, 1 RX queue\): bypass, chosen by --mode auto: nothing on this host uses it\$"
check "full: the set's directory would be created, under the one that exists" \
	out_has full "output: $WORK/set/new/: does not exist yet; vpncap creates it (mode 0750) under $WORK/set"

run_check inline -i "$CB" -w "$WORK/set/"
checkl "$WORK/inline.err" "an interface the host uses passes (exit $RC)" [ "$RC" -eq 0 ]
check "inline: $CB gets inline, because of its address" \
	out_matches inline "^interface: $CB .*: inline, chosen by --mode auto: it has the address 198\.18\.8\.1\$"
check "inline: the existing directory, writable by root only" \
	out_has inline "output: $WORK/set/: exists, writable, only root or vpncap's user can write in it"

cat >"$VPNCAP_CONFIG_DIR/filters.conf" <<'CONF'
[IKEv2]
protocol = udp
port = 500
[SYN]
expression = tcp[tcpflags] & tcp-syn != 0
CONF
run_check filters -i "$CA" -w "$WORK/set/f.pcapng"
checkl "$WORK/filters.err" "named filters pass (exit $RC)" [ "$RC" -eq 0 ]
check "filters: the rules are the named filters, the expression included" \
	out_matches filters "^rules: the named filters of $VPNCAP_CONFIG_DIR/filters.conf: .*IKEv2.*SYN"
check "filters: one file, created at start" out_has filters "output: $WORK/set/f.pcapng: one file, created at start"

# Probing the kernel loads programs: without root the check says it did not.
chmod 0755 "$WORK"
ip netns exec "$LAB_CAP" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$VPNCAP" capture --config "$EXAMPLE" --check >"$WORK/user.out" 2>"$WORK/user.err"; RC=$?
checkl "$WORK/user.err" "as a user: passes and says the kernel was not probed (exit $RC)" sh -c "
	[ $RC -eq 0 ] && grep -qxF 'kernel: not probed (run as root: probing loads BPF programs)' '$WORK/user.out'"
chmod 0700 "$WORK"
rm -f "$VPNCAP_CONFIG_DIR/filters.conf"

# --- invalid: exit 2, one line, the capture's own ------------------------------

# refused NAME DESCRIPTION PATTERN ARGS...: the check exits 2 with one line on
# stderr matching PATTERN and nothing on stdout, and the capture itself, given
# the same ARGS, refuses with the same line (run under a timeout, and for one
# second only, should it start after all).
refused() {
	local name=$1 what=$2 pattern=$3 same; shift 3
	run_check "$name" "$@"
	checkl "$WORK/$name.out $WORK/$name.err" "$what: exit 2, one line on stderr, nothing on stdout (exit $RC)" sh -c "
		[ $RC -eq 2 ] && [ \$(wc -l <'$WORK/$name.err') -eq 1 ] && [ ! -s '$WORK/$name.out' ] &&
		grep -qE -- '$pattern' '$WORK/$name.err'"
	timeout 20 ip netns exec "$LAB_CAP" "$VPNCAP" capture --duration 1 "$@" >/dev/null 2>"$WORK/$name.capture.err"
	same=$?
	# (The capture exits 1 where it finds the problem only once it opens the
	# output; the check says 2 for everything that would stop a start.)
	checkl "$WORK/$name.capture.err" "$what: the capture refuses it with the same line (exit $same)" sh -c "
		[ $same -ne 0 ] && [ $same -ne 124 ] && cmp -s '$WORK/$name.err' '$WORK/$name.capture.err'"
}

printf 'rotate-time = 1h\nrotate-tme = 2h\n' >"$WORK/typo.conf"
refused typo "a misspelt key" "typo.conf:2: unknown key .rotate-tme." --config "$WORK/typo.conf" -i "$CA" -w "$WORK/set/"
printf 'max-bytes = lots\n' >"$WORK/value.conf"
refused value "a bad value" "value.conf:1: .*max-bytes.*lots" --config "$WORK/value.conf" -i "$CA" -w "$WORK/set/"
refused noiface "an interface that does not exist" "nosuch0" -i nosuch0 -w "$WORK/set/"
refused bypass "--mode bypass on an interface the host uses" "$CB: it has the address 198.18.8.1" \
	-i "$CB" --mode bypass -w "$WORK/set/"
mkdir -m 1777 "$WORK/shared"
refused shared "a directory everyone may write in" "refused as the capture directory: it is writable by everyone" \
	-i "$CA" -w "$WORK/shared/"
refused nodir "one file in a directory that does not exist" "nodir/f.pcapng: output not writable: No such file or directory" \
	-i "$CA" -w "$WORK/nodir/f.pcapng"
refused expr "a tcpdump expression that does not compile" "not a tcpdump expression" \
	-i "$CA" -w "$WORK/set/" udp prot 500
printf '[broken]\nprotocol = udp\nport = 99999\n' >"$VPNCAP_CONFIG_DIR/filters.conf"
refused filtersbad "a broken filters.conf" "filters.conf:3" -i "$CA" -w "$WORK/set/"
rm -f "$VPNCAP_CONFIG_DIR/filters.conf"

ip netns exec "$LAB_CAP" "$VPNCAP" capture -i "$CA" --check --persistent >/dev/null 2>"$WORK/persistent.err"; RC=$?
checkl "$WORK/persistent.err" "--check with --persistent: exit 2, one line (exit $RC)" sh -c "
	[ $RC -eq 2 ] && [ \$(wc -l <'$WORK/persistent.err') -eq 1 ] && grep -qF -- '--check changes nothing' '$WORK/persistent.err'"

# --- nothing changed, and what passed captures ------------------------------------

check "no check attached anything: no XDP program on $CA or $CB" \
	sh -c "! ip -n '$LAB_CAP' link show | grep -q xdp"
check "no check created the set's directory or wrote in the existing one" \
	sh -c "[ ! -e '$WORK/set/new' ] && [ -z \"\$(ls -A '$WORK/set')\" ]"
timeout 30 ip netns exec "$LAB_CAP" "$VPNCAP" capture --config "$WORK/full.conf" -i "$CA" --duration 1 \
	>"$WORK/capture.log" 2>&1; RC=$?
checkl "$WORK/capture.log" "the configuration the check passed captures (exit $RC, the set's directory made)" \
	sh -c "[ $RC -eq 0 ] && ls '$WORK/set/new/' | grep -q '^vpncap-$CA-.*\\.pcapng'"

e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `vpncap capture ... --persistent` is checked and atomic, without systemd:
# a stub systemctl first in PATH records every call (and whether the unit's
# configuration is in place at that moment) and fails on demand, and /etc
# is an overlay in a private mount namespace, so /etc/vpncap, the directory
# the unit reads, is this test's own. No network namespace: the interfaces
# are lo (exists) and nosuch* (does not).
# usage: persistent.sh PATH/TO/vpncap
set -u
if [ -z "${PERSISTENT_SH_IN_NS:-}" ]; then
	PERSISTENT_SH_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
VPNCAP=$(readlink -f "$1")
WORK=$(mktemp -d /tmp/vpncap-persistent.XXXXXX)
CONF=/etc/vpncap
cleanup() {
	mountpoint -q "$CONF" && umount "$CONF"
	mountpoint -q /etc && umount /etc
	mountpoint -q "$WORK/ovl" && umount "$WORK/ovl"
	rm -rf "$WORK"
}
trap cleanup EXIT

# /etc as an overlay whose changes live in a tmpfs of this namespace only;
# an /etc/vpncap of the host (a real installation) hidden under a tmpfs.
overlay_etc() {
	mkdir -p "$WORK/ovl" "$WORK/bin" &&
		mount -t tmpfs vpncap-test "$WORK/ovl" && mkdir "$WORK/ovl/up" "$WORK/ovl/wk" &&
		mount -t overlay vpncap-test \
			-o "lowerdir=/etc,upperdir=$WORK/ovl/up,workdir=$WORK/ovl/wk" /etc
}
overlay_etc || abort "could not put an overlay over /etc in a private mount namespace"
HOST_CONF=
if [ -e "$CONF" ]; then
	HOST_CONF=1
	mount -t tmpfs -o mode=0750 vpncap-test "$CONF" || abort "could not hide the host's $CONF"
fi

# The test double of systemctl. Each call appends "ARGS conf=present|absent
# tmp=present|absent" to $STUB_LOG and copies the configuration as it is
# then to $STUB_LOG.VERB.conf. is-enabled and is-active answer
# $STUB_ENABLED and $STUB_ACTIVE; the verbs in $STUB_FAIL fail (for the unit
# $STUB_FAIL_UNIT only, when set); "restart-once" fails the first restart.
cat >"$WORK/bin/systemctl" <<'EOF'
#!/bin/sh
for unit; do :; done
iface=${unit#vpncap@}
iface=${iface%.service}
conf=/etc/vpncap/$iface.conf
c=absent t=absent
[ -e "$conf" ] && c=present && cp "$conf" "$STUB_LOG.$1.conf"
[ -e "$conf.tmp" ] && t=present
echo "$* conf=$c tmp=$t" >>"$STUB_LOG"
case $1 in
is-enabled) echo "${STUB_ENABLED:-disabled}"; [ "${STUB_ENABLED:-disabled}" = enabled ]; exit ;;
is-active) echo "${STUB_ACTIVE:-inactive}"; [ "${STUB_ACTIVE:-inactive}" = active ]; exit ;;
esac
[ -n "${STUB_FAIL_UNIT:-}" ] && [ "$STUB_FAIL_UNIT" != "$unit" ] && exit 0
case " ${STUB_FAIL:-} " in
*" $1 "*) exit 1 ;;
*" $1-once "*) [ -e "$STUB_LOG.failed" ] && exit 0; touch "$STUB_LOG.failed"; exit 1 ;;
esac
exit 0
EOF
chmod 755 "$WORK/bin/systemctl"
export PATH="$WORK/bin:$PATH" STUB_LOG="$WORK/systemctl.log"

OUT=$WORK/out ERR=$WORK/err RC=
# persist ARGS...: vpncap capture ARGS --persistent; $RC, stdout in $OUT,
# stderr in $ERR, the stub's calls in $STUB_LOG (emptied first).
persist() {
	rm -f "$STUB_LOG"*
	: >"$STUB_LOG"
	"$VPNCAP" capture "$@" --persistent >"$OUT" 2>"$ERR"
	RC=$?
}
has() { grep -q -- "$2" "$1"; }           # has FILE REGEX
hasx() { grep -qx -- "$2" "$1"; }         # the whole line
lines() { [ "$(wc -l <"$1")" -eq "$2" ]; } # lines FILE N
called() { hasx "$STUB_LOG" "$1"; }        # called "ARGS conf=... tmp=..."
show() { note "exit $RC; stdout:"; sed 's/^/#   /' "$OUT"; note "stderr:"; sed 's/^/#   /' "$ERR"; note "systemctl:"; sed 's/^/#   /' "$STUB_LOG"; }
# check, and on failure what vpncap said and asked of systemctl.
checkv() {
	local before=$FAILED
	check "$@"
	[ "$FAILED" = "$before" ] || show
}

case_one_shot() {
	local given said
	for given in "--duration 5:--duration 5" "--count 100:--count 100" "-c 100:--count 100"; do
		said=${given#*:} given=${given%%:*}
		# shellcheck disable=SC2086 # the option and its value, two words
		persist -i lo --rotate-time 1h $given
		checkv "one-shot $given: exit 2, one line naming $said and why" \
			sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q -- '$said is one-shot: the boot capture would stop' '$ERR'"
		checkv "one-shot $given: no configuration, systemctl never called" \
			sh -c "[ ! -e $CONF/lo.conf ] && [ ! -e $CONF/lo.conf.tmp ] && [ ! -s '$STUB_LOG' ]"
	done
	persist -i lo --realtime
	checkv "one-shot --realtime: exit 2" [ "$RC" -eq 2 ]
	# As the boot service will run them: a --config file's options count too.
	printf 'rotate-time = 1h\nduration = 30\n' >"$WORK/one-shot.conf"
	persist --config "$WORK/one-shot.conf" -i lo
	checkv "one-shot in a --config file: exit 2 naming --duration 30" \
		sh -c "[ $RC -eq 2 ] && grep -q -- '--duration 30' '$ERR' && [ ! -e $CONF/lo.conf ]"
}

case_config_dir() {
	mkdir -p "$WORK/elsewhere"
	VPNCAP_CONFIG_DIR=$WORK/elsewhere persist -i lo
	checkv "a configuration directory the unit does not read: exit 2, one line naming $CONF" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q '$CONF.*VPNCAP_CONFIG_DIR' '$ERR'"
	checkv "... nothing written there, systemctl never called" \
		sh -c "[ -z \"\$(ls -A '$WORK/elsewhere')\" ] && [ ! -s '$STUB_LOG' ]"
}

case_enable_fails() {
	STUB_FAIL=enable persist -i lo --rotate-time 1h
	checkv "enable fails: exit 1, says nothing changed" \
		sh -c "[ $RC -eq 1 ] && grep -q 'systemctl enable vpncap@lo.service failed.*nothing changed' '$ERR'"
	checkv "enable fails: no configuration, no temporary file, no $CONF made" \
		sh -c "[ ! -e $CONF/lo.conf ] && [ ! -e $CONF/lo.conf.tmp ] && { [ -n '$HOST_CONF' ] || [ ! -e $CONF ]; }"
	checkv "enable fails: nothing else asked of systemd" \
		sh -c "! grep -Eq '^(restart|start|disable|stop)' '$STUB_LOG'"
}

case_first() {
	persist -i lo --rotate-time 1h --max-bytes 20G
	checkv "first --persistent: exit 0" [ "$RC" -eq 0 ]
	checkv "first: the new configuration printed key by key" \
		sh -c "grep -q '^vpncap: lo: new configuration $CONF/lo.conf:' '$OUT' && grep -qx '+rotate-time = 1h' '$OUT' && grep -qx '+max-bytes = 20G' '$OUT'"
	checkv "first: enable without --now, while the file is not in place yet (only its .tmp)" \
		called "enable vpncap@lo.service conf=absent tmp=present"
	checkv "first: restart once the file is in place" \
		called "restart vpncap@lo.service conf=present tmp=absent"
	checkv "first: the order is is-enabled, is-active, enable, restart" \
		sh -c "[ \"\$(cut -d' ' -f1 '$STUB_LOG' | tr '\n' ' ')\" = 'is-enabled is-active enable restart ' ]"
	checkv "first: the unit restarted with the new file (rotate-time, max-bytes)" \
		sh -c "grep -qx 'rotate-time = 1h' '$STUB_LOG.restart.conf' && grep -qx 'max-bytes = 20G' '$STUB_LOG.restart.conf'"
	checkv "first: $CONF/lo.conf mode 0640, $CONF 0750, no .tmp left" \
		sh -c "[ \$(stat -c %a $CONF/lo.conf) = 640 ] && [ \$(stat -c %a $CONF) = 750 ] && [ ! -e $CONF/lo.conf.tmp ]"
	checkv "first: says where files go" has "$OUT" "persistent capture on lo: configuration $CONF/lo.conf, files in /var/lib/vpncap/lo/"
}

case_second_diff() {
	echo "half of an interrupted write" >"$CONF/lo.conf.tmp"
	STUB_ENABLED=enabled STUB_ACTIVE=active persist -i lo --rotate-time 1h --max-files 50
	checkv "second --persistent: exit 0" [ "$RC" -eq 0 ]
	checkv "second: the change printed before it is made: -max-bytes, +max-files, rotate-time kept" \
		sh -c "grep -q '^vpncap: lo: $CONF/lo.conf changes:' '$OUT' && grep -qx -- '-max-bytes = 20G' '$OUT' && grep -qx '+max-files = 50' '$OUT' && ! grep -q 'rotate-time' '$OUT'"
	checkv "second: enable sees the old file, restart the new one" \
		sh -c "grep -qx 'max-bytes = 20G' '$STUB_LOG.enable.conf' && grep -qx 'max-files = 50' '$STUB_LOG.restart.conf' && ! grep -q 'max-bytes' '$STUB_LOG.restart.conf'"
	checkv "second: a stale .tmp of an interrupted write is gone" [ ! -e "$CONF/lo.conf.tmp" ]
	persist -i lo --rotate-time 1h --max-files 50
	checkv "the same again: says unchanged" sh -c "[ $RC -eq 0 ] && grep -q '^vpncap: lo: $CONF/lo.conf unchanged' '$OUT'"
}

case_restart_fails() {
	cp -p "$CONF/lo.conf" "$WORK/lo.conf.before"
	chmod 600 "$CONF/lo.conf"
	STUB_ENABLED=enabled STUB_ACTIVE=active STUB_FAIL=restart-once persist -i lo --snaplen 128
	checkv "restart fails: exit 1, one line: the old configuration is back" \
		sh -c "[ $RC -eq 1 ] && [ \$(wc -l <'$ERR') -eq 1 ] && grep -q 'did not restart.*the old configuration is back' '$ERR'"
	checkv "restart fails: the old file, its mode kept, no .tmp" \
		sh -c "cmp -s '$WORK/lo.conf.before' $CONF/lo.conf && [ \$(stat -c %a $CONF/lo.conf) = 600 ] && [ ! -e $CONF/lo.conf.tmp ]"
	checkv "restart fails: the unit (enabled and active before) restarted with the old file, not disabled" \
		sh -c "[ \$(grep -c '^restart ' '$STUB_LOG') -eq 2 ] && cmp -s '$WORK/lo.conf.before' '$STUB_LOG.restart.conf' && ! grep -q '^disable' '$STUB_LOG'"
	chmod 640 "$CONF/lo.conf"

	# As if lo had never been made persistent.
	mv "$CONF/lo.conf" "$WORK/lo.conf.saved"
	STUB_FAIL=restart persist -i lo --rotate-time 1h
	checkv "restart fails, no configuration before: exit 1, the new one removed" \
		sh -c "[ $RC -eq 1 ] && grep -q 'the new configuration is removed, the unit disabled again' '$ERR' && [ ! -e $CONF/lo.conf ] && [ ! -e $CONF/lo.conf.tmp ]"
	checkv "restart fails, unit not enabled before: disabled and stopped again" \
		sh -c "grep -q '^disable vpncap@lo.service' '$STUB_LOG' && grep -q '^stop vpncap@lo.service' '$STUB_LOG'"
	mv "$WORK/lo.conf.saved" "$CONF/lo.conf"
}

case_missing_iface() {
	# $CONF/ is the directory the unit reads, by another name.
	VPNCAP_CONFIG_DIR=$CONF/ persist -i nosuch1 --rotate-time 1h
	checkv "an interface that does not exist now: exit 0, configuration written" \
		sh -c "[ $RC -eq 0 ] && [ -e $CONF/nosuch1.conf ]"
	checkv "... with a warning line" has "$ERR" "^vpncap: warning: nosuch1: no such interface now"
	checkv "... its unit enabled, not started (a start would wait for the device)" \
		sh -c "grep -q '^enable vpncap@nosuch1.service conf=absent' '$STUB_LOG' && ! grep -q '^restart' '$STUB_LOG' && grep -q 'enabled; it starts when the interface appears' '$OUT' && grep -q 'configuration /etc/vpncap/nosuch1.conf,' '$OUT'"
}

case_several() {
	STUB_FAIL=enable STUB_FAIL_UNIT=vpncap@nosuch2.service persist -i lo -i nosuch2 --rotate-time 2h
	checkv "two interfaces, the second's enable fails: exit 1" [ "$RC" -eq 1 ]
	checkv "... the first done wholly, the second not at all" \
		sh -c "grep -qx 'rotate-time = 2h' $CONF/lo.conf && grep -q '^restart vpncap@lo.service' '$STUB_LOG' && [ ! -e $CONF/nosuch2.conf ] && [ ! -e $CONF/nosuch2.conf.tmp ] && ! grep -q '^restart vpncap@nosuch2' '$STUB_LOG'"
	checkv "... each file names its own unit" has "$CONF/lo.conf" "vpncap@lo.service"
}

case_stop() {
	: >"$STUB_LOG"
	"$VPNCAP" stop lo >"$OUT" 2>"$ERR"; RC=$?
	checkv "vpncap stop: disable --now, exit 0, configuration kept" \
		sh -c "[ $RC -eq 0 ] && grep -q '^disable --now vpncap@lo.service' '$STUB_LOG' && [ -e $CONF/lo.conf ]"
}

# stop and status parse like every subcommand: -h is help, an unknown
# option is one line and exit 2, and neither reaches systemctl; status
# lists interfaces only (filters.conf holds named filters).
case_subcommand_args() {
	: >"$STUB_LOG"
	"$VPNCAP" stop -h >"$OUT" 2>"$ERR"; RC=$?
	checkv "stop -h: usage, exit 0, systemctl not run" \
		sh -c "[ $RC -eq 0 ] && grep -q '^usage: vpncap stop' '$OUT' && [ ! -s '$STUB_LOG' ]"
	"$VPNCAP" stop --now lo >"$OUT" 2>"$ERR"; RC=$?
	checkv "stop --now: unknown option, one line, exit 2, systemctl not run" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ] && [ ! -s '$STUB_LOG' ]"
	"$VPNCAP" status -h >"$OUT" 2>"$ERR"; RC=$?
	checkv "status -h: usage, exit 0" sh -c "[ $RC -eq 0 ] && grep -q '^usage: vpncap status' '$OUT'"
	"$VPNCAP" status --json >"$OUT" 2>"$ERR"; RC=$?
	checkv "status --json: unknown option, one line, exit 2" \
		sh -c "[ $RC -eq 2 ] && [ \$(wc -l <'$ERR') -eq 1 ]"
	printf 'IKEv2 -t udp -p 500\n' >"$CONF/filters.conf"
	"$VPNCAP" status >"$OUT" 2>"$ERR"; RC=$?
	checkv "status: lists lo, not filters.conf" \
		sh -c "[ $RC -eq 0 ] && grep -q '^lo ' '$OUT' && ! grep -q '^filters' '$OUT'"
	rm -f "$CONF/filters.conf"
}

case_one_shot
case_config_dir
case_enable_fails
case_first
case_second_diff
case_restart_fails
case_missing_iface
case_several
case_stop
case_subcommand_args

summary
[ "$FAILED" -eq 0 ]

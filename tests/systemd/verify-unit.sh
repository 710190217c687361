#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `systemd-analyze verify` on the unit as `cmake --install` installs it.
# usage: verify-unit.sh BUILD_DIR
set -u
build=$1
stage=$(mktemp -d /tmp/vpncap-unit.XXXXXX)
trap 'rm -rf "$stage"' EXIT

DESTDIR=$stage/root cmake --install "$build" >/dev/null || { echo "not ok - cmake --install"; exit 1; }
unit=$(find "$stage/root" -name 'vpncap@.service' | head -1)
[ -n "$unit" ] || { echo "not ok - vpncap@.service not installed"; exit 1; }
echo "ok - installed as ${unit#"$stage/root"}"
sbin=$(grep -o '^ExecStart=[^ ]*' "$unit" | cut -d= -f2)
# verify checks that ExecStart exists: point it at the staged binary.
mkdir -p "$stage/units"
sed "s|$sbin|$stage/root$sbin|" "$unit" >"$stage/units/vpncap@eth0.service"
out=$(systemd-analyze verify --man=no "$stage/units/vpncap@eth0.service" 2>&1); rc=$?
echo "$out" | grep 'vpncap' | sed 's/^/# /'
if [ $rc -eq 0 ] && ! echo "$out" | grep -q 'vpncap@'; then
	echo "ok - systemd-analyze verify: no finding"
	echo "2 passed, 0 failed"
else
	echo "not ok - systemd-analyze verify (exit $rc)"
	echo "1 passed, 1 failed"
	exit 1
fi

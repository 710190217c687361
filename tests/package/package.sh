#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian package: scripts/package.sh builds it and lintian finds no
# error; it holds the binary, the unit, /etc/vpncap's conffiles and the
# docs; it depends only on run-time libraries; its maintainer scripts
# reload systemd and never enable or start a capture; purge keeps captures.
# usage: package.sh PATH/TO/SOURCE
set -u
SRC=$1
WORK=$(mktemp -d /tmp/vpncap-pkgtest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pass=0 fail=0
check() { # check DESC CMD...
	local d=$1; shift
	if "$@"; then echo "ok - $d"; pass=$((pass + 1)); else echo "not ok - $d"; fail=$((fail + 1)); fi
}

bash "$SRC/scripts/package.sh" "$WORK/dist" >"$WORK/package.log" 2>&1; rc=$?
sed 's/^/# /' "$WORK/package.log" | grep -v '^# setup-deps' | tail -15
check "scripts/package.sh builds the .deb and lintian finds no error ($rc)" [ "$rc" -eq 0 ]
DEB=$(ls "$WORK"/dist/vpncap_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { echo "not ok - no .deb"; exit 1; }
dpkg-deb -c "$DEB" | awk '{print $6}' >"$WORK/files"
dpkg-deb -e "$DEB" "$WORK/ctl"
for f in ./usr/sbin/vpncap ./lib/systemd/system/vpncap@.service ./etc/vpncap/filters.conf \
	./etc/vpncap/IFACE.conf.example ./usr/share/doc/vpncap/copyright \
	./usr/share/doc/vpncap/docs/ARCHITECTURE.md.gz ./usr/share/bash-completion/completions/vpncap \
	./usr/share/man/man8/vpncap.8.gz ./usr/share/man/man8/vpncap-capture.8.gz ./usr/share/man/man5/vpncap.conf.5.gz; do
	check "holds $f" grep -qx "$f" "$WORK/files"
done
check "no BPF object for another architecture (it is built into the binary)" \
	sh -c "! grep -q 'bpf.o' '$WORK/files'"
check "/etc/vpncap's files are conffiles" \
	sh -c "grep -qx /etc/vpncap/filters.conf '$WORK/ctl/conffiles' && grep -qx /etc/vpncap/IFACE.conf.example '$WORK/ctl/conffiles'"
depends=$(dpkg-deb -f "$DEB" Depends)
echo "# Depends: $depends"
check "Depends: the run-time libraries, no -dev package, no compiler" sh -c "
	echo '$depends' | grep -q libbpf1 && echo '$depends' | grep -q libxdp1 &&
	echo '$depends' | grep -q libpcap0.8 && ! echo '$depends' | grep -Eq -- '-dev|clang|llvm|bpftool|python'"
check "maintainer scripts reload systemd, never enable or start a capture" sh -c "
	grep -q 'daemon-reload' '$WORK/ctl/postinst' &&
	! grep -Eq 'systemctl[^|]*(enable|start)|deb-systemd-invoke' '$WORK/ctl/postinst' '$WORK/ctl/postrm'"
check "purge removes /etc/vpncap only, never captured files" sh -c "
	grep -q 'purge' '$WORK/ctl/postrm' && ! grep -v '^#' '$WORK/ctl/postrm' | grep -q '/var/lib'"
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]

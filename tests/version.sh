#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# version.sh VPNCAP SRCDIR PROJECT_VERSION: `vpncap --version` says the
# version git describe gives for this checkout (cmake/GitVersion.cmake at
# build time), the libbpf and libxdp versions, and the kernel features (as
# root) or that probing needs root (as nobody); and GitVersion.cmake falls
# back to a VERSION file, then to the project version, outside git.
set -euo pipefail
vpncap=$1 src=$2 project_version=$3
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$vpncap" --version)
echo "$out"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	want=$(git -C "$src" describe --tags --always --dirty)
	[[ $want =~ ^[0-9a-f]+(-dirty)?$ ]] && want="$project_version-g$want"
	want=${want#v}
	[ "$(head -n1 <<<"$out")" = "vpncap $want" ] ||
		bad "first line '$(head -n1 <<<"$out")', git describe gives 'vpncap $want' (rebuild after a commit)"
else
	grep -q "^vpncap [0-9]" <<<"$out" || bad "no version line"
fi
grep -qE '^libbpf [0-9]+\.[0-9]+ ' <<<"$out" || bad "no libbpf line"
grep -qE '^libxdp [0-9]+\.[0-9]+' <<<"$out" || bad "no libxdp line"
[ "$("$vpncap" version)" = "$out" ] || bad "'vpncap version' differs from --version"
if [ "$(id -u)" = 0 ]; then
	grep -qE '^kernel .*features' <<<"$out" || bad "no kernel features line as root"
	# Without root: the version all the same, and a word on probing.
	cp "$vpncap" "$tmp/vpncap" && chmod 755 "$tmp" "$tmp/vpncap"
	if nobody=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/vpncap" --version); then
		[ "$(head -n1 <<<"$nobody")" = "$(head -n1 <<<"$out")" ] || bad "version line differs without root"
		grep -q '^kernel features: run as root to probe' <<<"$nobody" ||
			bad "without root: no 'run as root to probe' line: $nobody"
	else
		bad "--version fails without root"
	fi
fi

# Outside git: a VERSION file (a release tarball), else the project version.
mkdir -p "$tmp/tree"
version_of() { # tree
	cmake -DSRC="$1" -DOUT="$tmp/v.h" -DFALLBACK=9.8.7 -P "$src/cmake/GitVersion.cmake" &&
		sed -n 's/^#define VPNCAP_VERSION_FULL "\(.*\)"$/\1/p' "$tmp/v.h"
}
[ "$(version_of "$tmp/tree")" = 9.8.7 ] || bad "no fallback to the project version"
echo "1.2.3-rc1" >"$tmp/tree/VERSION"
[ "$(version_of "$tmp/tree")" = 1.2.3-rc1 ] || bad "VERSION file not used"
# The header is rewritten only when the string changes (no needless rebuild).
touch -d '2000-01-01' "$tmp/v.h"
version_of "$tmp/tree" >/dev/null
[ "$(stat -c %Y "$tmp/v.h")" = "$(date -d 2000-01-01 +%s)" ] || bad "header rewritten with the same version"
[ "$fail" = 0 ] && echo "version: all good"
exit "$fail"

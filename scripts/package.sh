#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build vpncap's Debian package from this tree: one command.
# usage: scripts/package.sh [OUTDIR]     (default: ./dist)
#
# The tree is copied (without .git and build directories) and built with
# dpkg-buildpackage from debian/; the .deb lands in OUTDIR and lintian checks
# it. Installs what building needs first (scripts/setup-deps.sh), as root.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mkdir -p "${1:-$SRC/dist}" && cd "${1:-$SRC/dist}" && pwd)
if [ "$(id -u)" -eq 0 ]; then
	bash "$SRC/scripts/setup-deps.sh" >&2
fi
WORK=$(mktemp -d /tmp/vpncap-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# The version dpkg builds is debian/changelog's.
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
mkdir "$WORK/vpncap-$VERSION"
tar -C "$SRC" --exclude=.git --exclude='./build*' --exclude=./dist --exclude='./obj-*' -cf - . |
	tar -C "$WORK/vpncap-$VERSION" -xf -
# The copy has no .git: its VERSION file tells the binary what it is built
# from (git describe here, as a build in the tree would say), else the
# package's version.
if [ ! -f "$SRC/VERSION" ]; then
	describe=$(git -C "$SRC" describe --tags --always --dirty 2>/dev/null || true)
	# No tag yet: a bare hash, as cmake/GitVersion.cmake makes it.
	if [ -z "$describe" ]; then
		describe=$VERSION
	elif [[ $describe =~ ^[0-9a-f]+(-dirty)?$ ]]; then
		describe=$VERSION-g$describe
	fi
	echo "$describe" >"$WORK/vpncap-$VERSION/VERSION"
fi
(cd "$WORK/vpncap-$VERSION" && dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1 || {
	tail -40 "$WORK/build.log" >&2
	echo "package: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
cp "$WORK"/vpncap_"$VERSION"_*.deb "$OUT/"
DEB=$(ls "$OUT"/vpncap_"$VERSION"_*.deb)
echo "package: $DEB"
# Errors fail the build; warnings are printed (accepted ones are overridden
# in debian/vpncap.lintian-overrides, each with its reason).
lintian --fail-on error "$DEB"

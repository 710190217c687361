#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm_root_cache.sh SRCDIR: tests/lib/qemu-vm.sh's vm_cached_root keeps one
# root per use: a new package list replaces the older roots of its own name
# (and unfinished builds of them) and leaves other names' roots alone, so
# the package install test (pkgroot) and the boot test (root) do not
# rebuild each other's root on every run. mmdebstrap is a stub that makes
# the directory.
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/cache"
cat >"$tmp/bin/mmdebstrap" <<'EOF'
#!/bin/sh
prev=
for a; do [ "$prev" = bookworm ] && mkdir -p "$a"; prev=$a; done
EOF
chmod 755 "$tmp/bin/mmdebstrap"
cache=$tmp/cache
for d in root-0123456789abcdef root-fedcba9876543210.tmp.99 root-x-0123456789abcdef \
	pkgroot-0123456789abcdef rootfs; do
	mkdir "$cache/$d"
done
# cached_root NAME PACKAGES: the root vm_cached_root gives, by its base name
cached_root() {
	PATH=$tmp/bin:$PATH bash -c '. "$1/tests/lib/qemu-vm.sh" && VM_ROOT_NAME=$2 VM_PACKAGES=$3 &&
		vm_cached_root "$4"' - "$src" "$1" "$2" "$cache" 2>/dev/null | xargs -r basename
}
fail=0
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
check() { # check WHAT HAVE WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: have $2, want $3"; fail=1; fi
}
# shellcheck disable=SC2046 # names without blanks
in_cache() { sorted $(find "$cache" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'); }

r1=$(cached_root root "a b")
check "a new root list replaces the older root of its name and its unfinished build only" \
	"$(in_cache)" "$(sorted "$r1" root-x-0123456789abcdef pkgroot-0123456789abcdef rootfs)"
p1=$(cached_root pkgroot "c")
check "a new pkgroot list replaces the older pkgroot only" \
	"$(in_cache)" "$(sorted "$p1" "$r1" root-x-0123456789abcdef rootfs)"
check "the same list reuses its root" "$(cached_root root "a b")" "$r1"
check "reusing a root removes nothing" "$(in_cache)" "$(sorted "$p1" "$r1" root-x-0123456789abcdef rootfs)"
exit "$fail"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite, from a fresh Debian 12 machine (as root):
#   1. install dependencies (scripts/setup-deps.sh),
#   2. build with gcc and run every ctest: unit (cmocka), bpf (the XDP
#      program through bpf_prog_test_run_opts) and e2e (veth pairs in
#      namespaces the tests create and remove),
#   3. build again with clang, ASan and UBSan, and run every test again
#      (e2e included) plus each libFuzzer harness for a bounded time; the
#      harnesses, CPU-bound and independent of each other, one per core.
# Build trees go to build/ and build-fuzz/ (override with VPNCAP_BUILD_DIR).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VPNCAP_BUILD_DIR:-$top/build}
jobs=$(nproc)

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (XDP programs, namespaces and package installs need it)" >&2
	exit 1
fi

bash "$top/scripts/setup-deps.sh"

echo "== build (gcc) and all tests"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs"
(cd "$build" && ctest --output-on-failure)

echo "== sanitizers and fuzzers (clang, ASan, UBSan, libFuzzer)"
CC=clang cmake -S "$top" -B "$build-fuzz" -DVPNCAP_FUZZ=ON >/dev/null
cmake --build "$build-fuzz" -j "$jobs"
# Both parts run even when the first fails, so one CI run shows every failure.
(cd "$build-fuzz" && rc=0 &&
	{ ctest --output-on-failure -L fuzz -j "$jobs" || rc=1; } &&
	{ ctest --output-on-failure -LE fuzz || rc=1; } && exit $rc)

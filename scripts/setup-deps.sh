#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install every Debian 12 package that building vpncap, its lab and its tests
# need. Idempotent: installs only what is missing, and runs `apt-get update`
# only when something must be installed.
# usage: scripts/setup-deps.sh [--bench]
#   --bench  also what the capture benchmark (scripts/bench.sh) needs and the
#            tests do not: trafgen and netsniff-ng, ethtool, fio
set -euo pipefail

PACKAGES=(
	# build
	gcc make cmake pkg-config clang llvm bpftool libsystemd-dev libcap-ng-dev libpcap-dev git
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev libzstd-dev linux-libc-dev
	# tests: unit tests, sanitizers and libFuzzer (clang's runtime); bash-completion for tests/completion.sh
	libcmocka-dev libclang-rt-14-dev bash-completion
	# the man pages rendered and checked (tests/man_pages.sh)
	man-db groff-base
	# lab and end-to-end tests
	iproute2 procps python3 python3-scapy tshark tcpdump xdp-tools systemd iputils-ping
	# O_DIRECT output on xfs and btrfs loop images (tests/e2e/direct_io.sh)
	xfsprogs btrfs-progs
	# real VPN peers: strongSwan with its userspace IPsec backend, an SSTP client
	strongswan-charon strongswan-swanctl libcharon-extra-plugins sstp-client openssl
	# benchmark of the forwarding cost (tests/bench/inline_forwarding.sh)
	iperf3
	# vpncap report --html rendered in a headless browser; a terminal for the status line
	chromium bsdutils
	# boot test: a Debian VM under qemu
	mmdebstrap qemu-system-x86 qemu-utils e2fsprogs
	# the Debian package (scripts/package.sh) and its check
	debhelper dpkg-dev lintian
)

# scripts/bench.sh: the generator and a reference capture, GRO on the
# NIC-like port, the disk's ceiling.
BENCH_PACKAGES=(netsniff-ng ethtool fio)

case "${1:-}" in
'') ;;
--bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: run as root (it installs packages)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: they may not.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Translated expressions against tcpdump: expr_frames.py writes the frames
# (scapy), test_expr_xlate runs every expression of expr_table.txt in both
# hooks and compares with tcpdump -r. 77 (skipped) without scapy or tcpdump.
# usage: expr_xlate.sh TEST_EXPR_XLATE
set -u
TEST=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

command -v tcpdump >/dev/null || { echo "skip: tcpdump not installed"; exit 77; }
"$PY" -c 'import scapy' 2>/dev/null || { echo "skip: scapy not installed"; exit 77; }

WORK=$(mktemp -d /tmp/vpncap-xlate.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# tcpdump may write its output as its own user: let it into the directory
chmod 755 "$WORK"
"$PY" "$HERE/expr_frames.py" "$WORK/frames.pcap" || { echo "expr_frames.py failed"; exit 1; }
"$TEST" "$WORK/frames.pcap" "$HERE/expr_table.txt"

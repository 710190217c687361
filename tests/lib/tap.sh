# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# TAP-like results, shared by every shell test: one "ok - ..." or
# "not ok - ..." line per check, "# ..." notes, and a closing count.
#   . tap.sh; check "what" COMMAND...; ...; summary; [ "$FAILED" = 0 ]

PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
note() { echo "# $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
summary() { echo "$PASSED passed, $FAILED failed"; }
# A step without which nothing after it can be checked.
abort() { fail "$*"; summary; exit 1; }

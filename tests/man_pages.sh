#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# man_pages.sh VPNCAP MANDIR SRCDIR: the man pages that the build made
# (cmake/help2roff.sh) render without a warning at 80 columns, are what the
# binary's help makes now, and name every option the help names: a page that
# drifted from --help fails here.
set -euo pipefail
vpncap=$1 mandir=$2 src=$3
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

command -v man >/dev/null && command -v groff >/dev/null ||
	{ echo "man or groff missing (scripts/setup-deps.sh installs man-db and groff-base)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The options a help text names: --long words and -x short ones.
options_of() {
	{ grep -oE '(^|[][ (,|])--?[A-Za-z][A-Za-z0-9-]*' || true; } | sed -E 's/^[][ (,|]//' | sort -u
}

# The options of help text $1 that rendered page $2 lacks, one a line.
missing_options() {
	local opt
	options_of <"$1" | while read -r opt; do
		grep -qF -- "$opt" "$2" || echo "$opt"
	done
}

check_page() { # page file help-command...
	local page=$1 file=$2 out opt n
	shift 2
	[ -s "$file" ] || { bad "$page: $file missing"; return; }
	# Warnings of the formatter (-ww: all of them) and of man itself.
	out=$(groff -ww -z -man "$file" 2>&1) || bad "$page: groff failed"
	[ -z "$out" ] || bad "$page: groff warns: $out"
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$file" >"$tmp/$page.txt" 2>"$tmp/$page.err" ||
		bad "$page: man -l failed"
	[ ! -s "$tmp/$page.err" ] || bad "$page: man warns: $(cat "$tmp/$page.err")"
	grep -q '^NAME' "$tmp/$page.txt" && grep -q '^SYNOPSIS' "$tmp/$page.txt" ||
		bad "$page: no NAME or SYNOPSIS section"
	# Up to date: the help of this binary makes the same page.
	sh "$src/cmake/help2roff.sh" "$vpncap" "$page" "$tmp/$page.now"
	cmp -s "$file" "$tmp/$page.now" || bad "$page: older than the help of $vpncap (rebuild)"
	# Every option of the help text is in the page.
	"$vpncap" "$@" >"$tmp/$page.help"
	n=$(options_of <"$tmp/$page.help" | wc -l)
	for opt in $(missing_options "$tmp/$page.help" "$tmp/$page.txt"); do
		bad "$page: option $opt of '$*' is not in the page"
	done
	echo "ok: $page ($n options)"
}

check_page vpncap "$mandir/vpncap.8" help
for c in capture filter start stop status show report counters list; do
	check_page "vpncap-$c" "$mandir/vpncap-$c.8" "$c" --help
done
check_page vpncap.conf "$mandir/vpncap.conf.5" help config
# Every configuration key and filter key is a tagged paragraph of vpncap.conf(5).
for key in $("$vpncap" help config | sed -nE 's/^  ([a-z][a-z0-9_-]*) (= |  +as ).*/\1/p'); do
	grep -qE "^       $key( |$)" "$tmp/vpncap.conf.txt" || bad "vpncap.conf: key $key not in the page"
done
# The drift check itself can fail: a page without an option the help names.
grep -v 'busy\\-poll' "$mandir/vpncap-capture.8" >"$tmp/drifted.8"
MANWIDTH=80 man -l "$tmp/drifted.8" >"$tmp/drifted.txt" 2>/dev/null
[ "$(missing_options "$tmp/vpncap-capture.help" "$tmp/drifted.txt")" = --busy-poll ] ||
	bad "the drift check does not see --busy-poll missing from a page"
[ "$fail" = 0 ] && echo "man pages: all good"
exit "$fail"

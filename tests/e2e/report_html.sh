#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Issue 19, requirement 5: the page of `vpncap report --html` fits a 1200 px
# window and a phone (390 px). Crafted captures (scapy):
#   wide.pcapng  36 IKE SAs between IPv6 addresses of 39 characters (the
#                longest), many incomplete with retransmissions, and SSTP
#                sessions over IPv6: the widest tables the report writes
#   late.pcap    IKE SAs and SSTP sessions three days later
# Pages: wide.html (one burst) and bursts.html (wide + late: two bursts).
# Each is opened in headless Chromium at 1200x900 and 390x844 with a script
# added to a copy of the page (the page itself has none) that writes a
# verdict into the DOM: every table fits its container or that container
# scrolls horizontally (overflow-x auto or scroll), no element reaches past
# the window outside such a container, the page is no wider than the
# window, and the timeline has one panel per burst. --dump-dom reads the
# verdict. Headless Chromium makes no window narrower than 500 px, so each
# page is laid out in an iframe of the size wanted. Screenshots (the window,
# and the whole page) are kept in SHOTDIR and their paths printed.
# usage: report_html.sh PATH/TO/vpncap PATH/TO/pcapng_dump SHOTDIR
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init report-html "$1" "$2"
SHOTS=${3:-$WORK}
PY=/usr/bin/python3 # Debian's python, which has python3-scapy

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	# scripts/setup-deps.sh installs it; CI runs that, so there it is a failure.
	if [ -z "${CI:-}" ]; then
		echo "# skipped: chromium is not installed (scripts/setup-deps.sh installs it)"
		exit 77
	fi
	abort "chromium is installed (scripts/setup-deps.sh; CI is set)"
fi

cat >"$WORK/gen.py" <<'EOF'
import os
import struct
import sys

from scapy.all import IP, TCP, UDP, IPv6, Ether, Raw, wrpcap
from scapy.utils import wrpcapng

T0 = 1764237600  # 2025-11-27T10:00:00Z
LATE = T0 + 3 * 86400 + 4000
SERVER6 = "2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa"
SERVER4 = "192.0.2.1"
I, R = 0x08, 0x20


def ike(ispi, rspi, exch, flags, msgid, np, body):
    return struct.pack("!QQBBBBII", ispi, rspi, np, 0x20, exch, flags, msgid, 28 + len(body)) + body


def payload(np, data):
    return struct.pack("!BBH", np, 0, 4 + len(data)) + data


def ip(src, dst):
    return IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)


def frame(frames, pkt, t):
    f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / pkt
    f.time = t
    frames.append(f)


def udp_ike(src, dst, port, msg):
    marker = b"\0\0\0\0" if port == 4500 else b""
    return ip(src, dst) / UDP(sport=port, dport=port) / Raw(marker + msg)


def sa(frames, n, client, server, t, kind):
    """kind 0: complete; 1: IKE_SA_INIT sent 4 times, unanswered; 2: no IKE_AUTH response."""
    body = payload(0, b"\x00" * 40)
    sk = payload(35, os.urandom(120))
    ispi, rspi = 0xA1B2C3D4E5F60000 + n, 0x0F1E2D3C4B5A0000 + n
    if kind == 1:
        for k in range(4):
            frame(frames, udp_ike(client, server, 500, ike(ispi, 0, 34, I, 0, 33, body)), t + k)
        return
    frame(frames, udp_ike(client, server, 500, ike(ispi, 0, 34, I, 0, 33, body)), t)
    frame(frames, udp_ike(server, client, 500, ike(ispi, rspi, 34, R, 0, 33, body)), t + 0.01)
    for k in range(1 if kind == 0 else 3):
        frame(frames, udp_ike(client, server, 4500, ike(ispi, rspi, 35, I, 1, 46, sk)), t + 0.02 + k)
    if kind == 0:
        frame(frames, udp_ike(server, client, 4500, ike(ispi, rspi, 35, R, 1, 46, sk)), t + 0.05)


def sstp(frames, client, server, port, start, end):
    cs = ip(client, server) / TCP(sport=port, dport=443)
    sc = ip(server, client) / TCP(sport=443, dport=port)
    steps = [(cs, "S", b""), (sc, "SA", b""), (cs, "A", b""), (cs, "PA", os.urandom(200)),
             (sc, "PA", os.urandom(900))]
    for i, (base, flags, data) in enumerate(steps):
        p = base.copy()
        p[TCP].flags = flags
        frame(frames, p / Raw(data) if data else p, start + i / 1000)
    for i, (base, flags) in enumerate(((cs, "FA"), (sc, "FA"))):
        p = base.copy()
        p[TCP].flags = flags
        frame(frames, p, end + i / 1000)


def wide():
    frames = []
    for n in range(36):
        client = "2001:db8:%04x:%04x:%04x:%04x:%04x:%04x" % (0xabcd, 0xef01 + n, 0x2345, 0x6789, 0xabcd, 0xef00 + n)
        sa(frames, n, client, SERVER6, T0 + n * 2, n % 3)
    for n in range(12):
        client = "2001:db8:%04x:%04x:%04x:%04x:%04x:%04x" % (0xfedc, 0xba98 + n, 0x7654, 0x3210, 0xfedc, 0xba00 + n)
        sstp(frames, client, SERVER6, 50000 + n, T0 + 10 + n * 5, T0 + 80 + n * 7)
    return frames


def late():
    frames = []
    for n in range(8):
        sa(frames, 100 + n, "198.18.%d.%d" % (n, 10 + n), SERVER4, LATE + n * 3, n % 3)
    for n in range(6):
        sstp(frames, "198.19.0.%d" % (1 + n), SERVER4, 40000 + n, LATE + n * 4, LATE + 60 + n)
    return frames


out = sys.argv[1]
wrpcapng(os.path.join(out, "wide.pcapng"), sorted(wide(), key=lambda f: f.time))
wrpcap(os.path.join(out, "late.pcap"), sorted(late(), key=lambda f: f.time))
EOF

# The verdict, computed in the page once laid out; written as <pre id="fit">.
cat >"$WORK/fit.js" <<'EOF'
(function () {
	var vw = document.documentElement.clientWidth, bad = [];
	function scrolls(el) {
		var ox = getComputedStyle(el).overflowX;
		return ox === "auto" || ox === "scroll";
	}
	function inScroller(el) {
		for (var p = el.parentElement; p && p !== document.body; p = p.parentElement)
			if (scrolls(p))
				return p;
		return null;
	}
	function name(el) {
		return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
			(el.className && el.className.baseVal === undefined && el.className ? "." + el.className : "");
	}
	document.querySelectorAll("table").forEach(function (t, i) {
		var box = t.parentElement;
		if (t.scrollWidth > box.clientWidth + 1 && !scrolls(box))
			bad.push("table " + i + " (" + t.scrollWidth + " px) overflows its container " + name(box) +
				" (" + box.clientWidth + " px), which does not scroll");
	});
	document.querySelectorAll("body *").forEach(function (el) {
		var r = el.getBoundingClientRect();
		if (r.right > vw + 1 && !inScroller(el) && bad.length < 20)
			bad.push(name(el) + " reaches " + Math.round(r.right) + " px, past the window");
	});
	if (document.documentElement.scrollWidth > vw)
		bad.push("the page is " + document.documentElement.scrollWidth + " px wide, the window " + vw);
	var panels = document.querySelectorAll("#timeline .panel").length;
	var breaks = document.querySelectorAll("#timeline .break").length;
	var pre = document.createElement("pre");
	pre.id = "fit";
	pre.textContent = "width=" + vw + " panels=" + panels + " breaks=" + breaks + " " +
		(bad.length ? "BAD " + bad.join("; ") : "FITS");
	document.body.appendChild(pre);
})();
EOF

if ! "$PY" "$WORK/gen.py" "$WORK" >"$WORK/gen.log" 2>&1; then
	sed 's/^/# /' "$WORK/gen.log"
	abort "the generator wrote the capture files"
fi
mkdir -p "$SHOTS"

"$VPNCAP" report "$WORK/wide.pcapng" --html "$WORK/wide.html" >/dev/null 2>"$WORK/wide.err"; rc=$?
check "wide: --html writes the page ($rc)" sh -c "[ $rc -eq 0 ] && [ -s '$WORK/wide.html' ]"
"$VPNCAP" report "$WORK/wide.pcapng" "$WORK/late.pcap" --html "$WORK/bursts.html" >/dev/null \
	2>"$WORK/bursts.err"; rc=$?
check "bursts: --html writes the page ($rc)" sh -c "[ $rc -eq 0 ] && [ -s '$WORK/bursts.html' ]"
# Two gateways' real captures of failures (tests/e2e/report_failures.sh made
# them; kept as fuzz seeds): the clients, health and gateway tables.
SEEDS=$(dirname "$0")/../fuzz/seeds/fuzz_report
mkdir -p "$WORK/gw1" "$WORK/gw2"
cp "$SEEDS/failures-gw1.pcapng" "$WORK/gw1/" && cp "$SEEDS/failures-gw2.pcapng" "$WORK/gw2/"
"$VPNCAP" report "$WORK/gw1" "$WORK/gw2" --html "$WORK/failures.html" >/dev/null \
	2>"$WORK/failures.err"; rc=$?
check "failures: --html writes the page with its gateways, clients and health ($rc)" sh -c "
	[ $rc -eq 0 ] && grep -q '<h2>Gateways</h2>' '$WORK/failures.html' &&
	grep -q '<h2>Clients</h2>' '$WORK/failures.html' &&
	grep -q '<h2>Load-balancer health</h2>' '$WORK/failures.html'"
check "the pages have no script of their own" sh -c "! grep -qi '<script' '$WORK/wide.html' '$WORK/bursts.html' '$WORK/failures.html'"

chromium_run() { # chromium ARGS...: headless, no sandbox (root), its profile in $WORK, at most 60 s
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
		--allow-file-access-from-files --user-data-dir="$WORK/chromium" "$@" 2>>"$WORK/chromium.log"
}

# framed PAGE W H: $WORK/frame.html, PAGE in an iframe of WxH at the top left,
# and a window at least 500 px wide for it: headless Chromium makes no window
# narrower than 500 px, an iframe lays its page out at the width it is given.
# The iframe's verdict (#fit, when PAGE has one) is copied into the frame page.
framed() {
	cat >"$WORK/frame.html" <<EOF
<!DOCTYPE html><html><body style="margin:0;overflow:hidden;background:#888">
<iframe id="page" src="$1" style="border:0;display:block;background:#fff;width:${2}px;height:${3}px"></iframe>
<pre id="copy"></pre><script>
document.getElementById("page").addEventListener("load", function () {
	var fit = this.contentDocument && this.contentDocument.getElementById("fit");
	document.getElementById("copy").textContent = fit ? fit.textContent : "no verdict";
});
</script></body></html>
EOF
	WINDOW="$(($2 > 500 ? $2 : 500)),$3"
}

# fits PAGE W H PANELS: PAGE (wide or bursts) laid out at WxH fits, with PANELS panels.
fits() {
	local page=$1 w=$2 h=$3 panels=$4 verdict
	"$PY" -c 'import sys
page, js = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.stdout.write(page.replace("</body>", "<script>" + js + "</script></body>"))' \
		"$WORK/$page.html" "$WORK/fit.js" >"$WORK/$page-fit.html"
	framed "$page-fit.html" "$w" "$h"
	chromium_run --window-size="$WINDOW" --dump-dom "file://$WORK/frame.html" >"$WORK/$page-$w.dom"
	verdict=$(sed -n 's|.*<pre id="copy">\([^<]*\)</pre>.*|\1|p' "$WORK/$page-$w.dom")
	echo "# $page at ${w}x$h: ${verdict:-no verdict (see $WORK/chromium.log)}"
	case $verdict in
	"width=$w panels=$panels breaks=$((panels - 1)) FITS") return 0 ;;
	*) return 1 ;;
	esac
}

# shoot PAGE W H: screenshots of the window and of the whole page (4000 px high) in $SHOTS.
shoot() {
	local page=$1 w=$2 h=$3 f
	for f in "$page-${w}x$h.png:$h" "$page-${w}-full.png:4000"; do
		framed "$page.html" "$w" "${f#*:}"
		chromium_run --window-size="$WINDOW" --screenshot="$SHOTS/${f%%:*}" "file://$WORK/frame.html" >/dev/null
		check "screenshot $SHOTS/${f%%:*}" sh -c "head -c 4 '$SHOTS/${f%%:*}' 2>/dev/null | grep -q PNG"
	done
}

for size in 1200x900 390x844; do
	w=${size%x*} h=${size#*x}
	check "wide page at $size: every table fits or scrolls, nothing past the window, one panel" \
		fits wide "$w" "$h" 1
	check "two bursts days apart at $size: fits, two timeline panels and a break between" \
		fits bursts "$w" "$h" 2
	check "two gateways' failures at $size: the clients, health and gateway tables fit or scroll" \
		fits failures "$w" "$h" 1
	shoot wide "$w" "$h"
	shoot bursts "$w" "$h"
	shoot failures "$w" "$h"
done
check "two bursts: the panels' time labels carry their dates" sh -c "
	grep -q '>11-27 10:0' '$WORK/bursts.html' && grep -q '>11-30 11:0' '$WORK/bursts.html'"

e2e_finish

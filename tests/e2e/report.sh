#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of `vpncap report` on crafted capture files (scapy):
#   ike.pcapng  four IKE SAs: one complete with a retransmitted IKE_AUTH
#               request, one whose IKE_AUTH request goes in 4 SKF fragments,
#               one whose IKE_SA_INIT is never answered (sent 3 times), one
#               whose IKE_AUTH request goes in IP fragments, unanswered; ESP in
#               UDP both ways, IP protocol 50 between other hosts, keepalives
#   sstp.pcap   five SSTP clients with overlapping TCP 443 sessions (4 at once
#               from 10:00:04, the last still open at the end) and a load
#               balancer probing every 5 s
#   big.pcap    130 SSTP sessions at once: above Azure's 128
# The generator also writes what the report must say (expected.json, the
# keys of --json); the text must say the same. A directory reads its
# capture files sorted by name; bad input is one line and exit 2; a file
# cut inside its last record is reported up to there with one warning line,
# exit 0 (as `show` does). Hostile files (tests/e2e/hostile_files.py): a
# zstd bomb of 9 GiB and 262,144 IKE_SA_INIT frames whose SPIs all collided
# in the old SA table are read within a time bound and 256 MiB. The HTML
# page is self-contained and is rendered by headless Chromium.
# usage: report.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init report "$1" "$2"
PY=/usr/bin/python3 # Debian's python, which has python3-scapy

# ---- the generator -----------------------------------------------------------

cat >"$WORK/gen.py" <<'EOF'
import json
import os
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, Raw, fragment, wrpcap
from scapy.utils import wrpcapng

T0 = 1764237600  # 2025-11-27T10:00:00Z
SERVER = "192.0.2.1"
PROBER = "168.63.129.16"
I, R = 0x08, 0x20  # IKE header flags


def eth(pkt, t):
    f = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / pkt
    f.time = T0 + t
    return f


def ike(ispi, rspi, exch, flags, msgid, np, body):
    return struct.pack("!QQBBBBII", ispi, rspi, np, 0x20, exch, flags, msgid, 28 + len(body)) + body


def payload(np, data):
    """A generic payload: next payload, critical, length, data."""
    return struct.pack("!BBH", np, 0, 4 + len(data)) + data


def udp_ike(src, dst, port, msg):
    marker = b"\0\0\0\0" if port == 4500 else b""
    return IP(src=src, dst=dst) / UDP(sport=port, dport=port) / Raw(marker + msg)


class Capture:
    def __init__(self):
        self.frames = []
        self.proto = {k: {"frames": 0, "bytes": 0} for k in ("ikev2", "natt", "esp", "sstp", "other")}

    def add(self, kind, pkt, t):
        f = eth(pkt, t)
        self.frames.append(f)
        self.proto[kind]["frames"] += 1
        self.proto[kind]["bytes"] += len(bytes(f))
        return f


def ike_capture():
    c = Capture()
    sa_body = payload(0, b"\x00" * 40)          # SA
    sk = payload(35, os.urandom(180))           # SK: IDi and the rest, encrypted

    # SA 1, 10.0.1.1: complete; IKE_AUTH request sent twice; ESP both ways; keepalives.
    cl = "10.0.1.1"
    c.add("ikev2", udp_ike(cl, SERVER, 500, ike(0x1001, 0, 34, I, 0, 33, sa_body)), 0.0)
    c.add("ikev2", udp_ike(SERVER, cl, 500, ike(0x1001, 0x2001, 34, R, 0, 33, sa_body)), 0.01)
    for t in (0.02, 1.02):
        c.add("natt", udp_ike(cl, SERVER, 4500, ike(0x1001, 0x2001, 35, I, 1, 46, sk)), t)
    c.add("natt", udp_ike(SERVER, cl, 4500, ike(0x1001, 0x2001, 35, R, 1, 46, sk)), 1.03)
    for i in range(3):
        for src, dst, spi in ((cl, SERVER, 0xC0000001), (SERVER, cl, 0xC0000002)):
            esp = struct.pack("!II", spi, i + 1) + os.urandom(120)
            c.add("esp", IP(src=src, dst=dst) / UDP(sport=4500, dport=4500) / Raw(esp), 2 + i)
    for t in (20, 40):
        c.add("natt", IP(src=cl, dst=SERVER) / UDP(sport=4500, dport=4500) / Raw(b"\xff"), t)
    for i in range(2):
        esp = struct.pack("!II", 0xD0000001, i + 1) + os.urandom(80)
        c.add("esp", IP(src="10.9.0.1", dst="10.9.0.2", proto=50) / Raw(esp), 3 + i)

    # SA 2, 10.0.1.2: IKE_AUTH request in 4 SKF fragments (RFC 7383).
    cl = "10.0.1.2"
    c.add("ikev2", udp_ike(cl, SERVER, 500, ike(0x1002, 0, 34, I, 0, 33, sa_body)), 5.0)
    c.add("ikev2", udp_ike(SERVER, cl, 500, ike(0x1002, 0x2002, 34, R, 0, 33, sa_body)), 5.01)
    for n in range(1, 5):
        skf = struct.pack("!BBHHH", 35 if n == 1 else 0, 0, 8 + 300, n, 4) + os.urandom(300)
        c.add("natt", udp_ike(cl, SERVER, 4500, ike(0x1002, 0x2002, 35, I, 1, 53, skf)), 5.02 + n / 1000)
    c.add("natt", udp_ike(SERVER, cl, 4500, ike(0x1002, 0x2002, 35, R, 1, 46, sk)), 5.1)

    # SA 3, 10.0.1.3: IKE_SA_INIT sent three times, never answered.
    cl = "10.0.1.3"
    for t in (6, 8, 12):
        c.add("ikev2", udp_ike(cl, SERVER, 500, ike(0x1003, 0, 34, I, 0, 33, sa_body)), t)

    # SA 4, 10.0.1.4: IKE_AUTH request in IP fragments, never answered.
    cl = "10.0.1.4"
    c.add("ikev2", udp_ike(cl, SERVER, 500, ike(0x1004, 0, 34, I, 0, 33, sa_body)), 13.0)
    c.add("ikev2", udp_ike(SERVER, cl, 500, ike(0x1004, 0x2004, 34, R, 0, 33, sa_body)), 13.01)
    big = ike(0x1004, 0x2004, 35, I, 1, 46, payload(35, os.urandom(2400)))
    pkt = IP(src=cl, dst=SERVER, id=4242) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + big)
    frags = fragment(pkt, fragsize=1000)
    for i, f in enumerate(frags):
        c.add("natt", f, 13.02 + i / 1000)

    expect = {
        "protocols": {k: dict(v) for k, v in c.proto.items()},
        "ike": {"sas": 4, "established": 2, "incomplete": 2, "unknown": 0, "retransmissions": 3},
        "ike_fragmentation": {"ike_auth_skf_messages": 1, "ike_auth_skf_fragments": 4,
                              "ike_auth_ip_fragmented": 1, "ip_fragmented_datagrams": 1,
                              "ip_fragmented_ike": 1},
        "ip_fragments": len(frags),
    }
    expect["protocols"]["ikev2"]["clients"] = 4
    expect["protocols"]["natt"]["clients"] = 3     # initiators on 4500: .1 .2 .4
    expect["protocols"]["esp"]["clients"] = 1      # 10.0.1.1; protocol 50 was between others
    return c, expect


def tcp_session(c, client, port, start, end, data=True):
    """SYN, SYN-ACK, ACK, [TLS both ways], then FIN both ways at end (None: open)."""
    cs = IP(src=client, dst=SERVER) / TCP(sport=port, dport=443)
    sc = IP(src=SERVER, dst=client) / TCP(sport=443, dport=port)
    hello = b"\x16\x03\x01\x00\x40\x01\x00\x00\x3c" + os.urandom(60)
    frames = [(cs, "S", 1000, b""), (sc, "SA", 5000, b""), (cs, "A", 1001, b"")]
    if data:
        frames += [(cs, "PA", 1001, hello), (sc, "PA", 5001, os.urandom(1200)),
                   (cs, "PA", 1070, os.urandom(200))]
    for i, (base, flags, seq, data_) in enumerate(frames):
        p = base.copy()
        p[TCP].flags = flags
        p[TCP].seq = seq
        if data_:
            p = p / Raw(data_)
        c.add("sstp", p, start + i / 1000)
    if end is None:
        return
    for i, (base, flags) in enumerate(((cs, "FA"), (sc, "FA"), (cs, "A"))):
        p = base.copy()
        p[TCP].flags = flags
        c.add("sstp", p, end + i / 1000)


def probe(c, port, start):
    """A load balancer's TCP probe: connect, then reset."""
    cs = IP(src=PROBER, dst=SERVER) / TCP(sport=port, dport=443)
    sc = IP(src=SERVER, dst=PROBER) / TCP(sport=443, dport=port)
    for i, (base, flags) in enumerate(((cs, "S"), (sc, "SA"), (cs, "A"), (cs, "RA"))):
        p = base.copy()
        p[TCP].flags = flags
        c.add("sstp", p, start + i / 1000)


def sstp_capture():
    c = Capture()
    # (client, start, end): 4 at once from 10:00:04 to 10:00:05, the last open.
    sessions = [("10.0.2.1", 0, 10), ("10.0.2.2", 1, 5), ("10.0.2.3", 2, 12),
                ("10.0.2.4", 4, 8), ("10.0.2.5", 11, None)]
    for i, (cl, start, end) in enumerate(sessions):
        tcp_session(c, cl, 40000 + i, start, end)
    for i in range(4):
        probe(c, 33000 + i, 0.5 + 5 * i)
    # Something else on the wire: not VPN.
    c.add("other", IP(src="10.0.3.1", dst=SERVER) / UDP(sport=5353, dport=53) / Raw(b"x" * 20), 16)
    expect = {
        "protocols": {k: dict(v) for k, v in c.proto.items()},
        "sstp": {"sessions": 5, "clients": 5, "peak_concurrent": 4,
                 "peak_time": "2025-11-27T10:00:04.000000000Z", "azure_limit": 128,
                 "above_azure_limit": False, "probe_sources": 1, "probe_sessions": 4},
        "health_probes": [{"source": PROBER, "sessions": 4, "interval_s": 5.0}],
    }
    expect["protocols"]["sstp"]["clients"] = 5
    return c, expect


def big_capture():
    c = Capture()
    for i in range(130):
        tcp_session(c, "10.5.%d.%d" % (i // 250, 1 + i % 250), 20000 + i, i / 100, 60 + i / 100,
                    data=False)
    return c, {"sstp": {"sessions": 130, "clients": 130, "peak_concurrent": 130,
                        "above_azure_limit": True}}


def main():
    out = sys.argv[1]
    ike_c, ike_e = ike_capture()
    sstp_c, sstp_e = sstp_capture()
    big_c, big_e = big_capture()
    wrpcapng(os.path.join(out, "ike.pcapng"), ike_c.frames)
    wrpcap(os.path.join(out, "sstp.pcap"), sstp_c.frames)
    wrpcap(os.path.join(out, "big.pcap"), big_c.frames)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"ike": ike_e, "sstp": sstp_e, "big": big_e}, f, indent=1)


main()
EOF

# subset.py EXPECTED.json SECTION REPORT.json: every key the expectation has,
# the report has with the same value (lists: same length, item by item).
cat >"$WORK/subset.py" <<'EOF'
import json, sys

def same(want, got, path):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return ["%s: not an object" % path]
        errs = []
        for k, v in want.items():
            errs += same(v, got[k], path + "." + k) if k in got else ["%s.%s: missing" % (path, k)]
        return errs
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return ["%s: %r, not %d items" % (path, got, len(want))]
        return [e for i, (w, g) in enumerate(zip(want, got)) for e in same(w, g, "%s[%d]" % (path, i))]
    if isinstance(want, float) and isinstance(got, (int, float)):
        return [] if abs(want - got) < 1e-6 else ["%s: %r, not %r" % (path, got, want)]
    return [] if want == got else ["%s: %r, not %r" % (path, got, want)]

want = json.load(open(sys.argv[1]))[sys.argv[2]]
want.pop("ip_fragments", None)
errs = same(want, json.load(open(sys.argv[3])), sys.argv[2])
for e in errs:
    print("# " + e)
sys.exit(1 if errs else 0)
EOF

# report NAME ARGS...: vpncap report ARGS > $WORK/NAME.out, stderr in NAME.err; its status.
report() {
	local name=$1; shift
	"$VPNCAP" report "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}

# has NAME REGEX: the output NAME has a line matching REGEX (extended).
has() {
	grep -Eq -- "$2" "$WORK/$1.out" && return 0
	sed "s|^|# $1: |" "$WORK/$1.out" | head -n 40
	return 1
}

subset() { "$PY" "$WORK/subset.py" "$WORK/expected.json" "$1" "$WORK/$2.out"; }

# exp SECTION.PATH: one value of expected.json
exp() {
	"$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$WORK/expected.json" "$1"
}

if ! "$PY" "$WORK/gen.py" "$WORK" >"$WORK/gen.log" 2>&1; then
	fail "the generator wrote the capture files"
	sed 's/^/# /' "$WORK/gen.log"
	e2e_finish
	exit 1
fi
IKE=$WORK/ike.pcapng
SSTP=$WORK/sstp.pcap
BIG=$WORK/big.pcap

# ---- IKE ---------------------------------------------------------------------

report ike-json "$IKE" --json; rc=$?
check "IKE: --json exits 0 ($rc) with nothing on stderr" sh -c "[ $rc -eq 0 ] && [ ! -s '$WORK/ike-json.err' ]"
check "IKE: --json is one valid JSON object" "$PY" -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), dict)' "$WORK/ike-json.out"
check "IKE: protocols, SA states, retransmissions and fragmentation as crafted" subset ike ike-json
check "IKE: the SAs by SPI pair, their states, reasons and fragmentation" "$PY" -c '
import json, sys
sas = json.load(open(sys.argv[1]))["ike_sas"]
got = [(s["ispi"], s["rspi"], s["client"], s["server"], s["state"], s["reason"], s["retransmissions"],
        s["skf_messages"], s["skf_fragments"], s["ip_fragmented"], s["natt"]) for s in sas]
want = [("0000000000001001", "0000000000002001", "10.0.1.1", "192.0.2.1", "established", "", 1, 0, 0, 0, True),
        ("0000000000001002", "0000000000002002", "10.0.1.2", "192.0.2.1", "established", "", 0, 1, 4, 0, True),
        ("0000000000001003", "0000000000000000", "10.0.1.3", "192.0.2.1", "incomplete", "no IKE_SA_INIT response", 2, 0, 0, 0, False),
        ("0000000000001004", "0000000000002004", "10.0.1.4", "192.0.2.1", "incomplete", "no IKE_AUTH response", 0, 0, 0, 1, True)]
for g, w in zip(got, want):
    if g != w:
        print("# got  %r\n# want %r" % (g, w))
assert got == want
assert sas[0]["exchanges"] == {"IKE_SA_INIT": {"requests": 1, "responses": 1}, "IKE_AUTH": {"requests": 1, "responses": 1}}
assert sas[2]["exchanges"] == {"IKE_SA_INIT": {"requests": 1, "responses": 0}}
' "$WORK/ike-json.out"

report ike-text "$IKE"; rc=$?
check "IKE: text exits 0 ($rc)" [ "$rc" -eq 0 ]
check "IKE: text protocol rows (frames, bytes, clients)" sh -c "
	grep -Eq '^IKEv2 +$(exp ike.protocols.ikev2.frames) +$(exp ike.protocols.ikev2.bytes) +4 ' '$WORK/ike-text.out' &&
	grep -Eq '^NAT-T +$(exp ike.protocols.natt.frames) +$(exp ike.protocols.natt.bytes) +3 ' '$WORK/ike-text.out' &&
	grep -Eq '^ESP +8 +$(exp ike.protocols.esp.bytes) +1 ' '$WORK/ike-text.out' &&
	grep -Eq '^SSTP +0 +0 +0 ' '$WORK/ike-text.out'"
check "IKE: text counts SAs, states and retransmissions" \
	has ike-text '^IKE SAs: 4 \(established 2, incomplete 2, began before the capture 0\); retransmissions 3;'
check "IKE: text lists the handshakes that never completed, and why" sh -c "
	grep -q '^Handshakes that never completed: 2$' '$WORK/ike-text.out' &&
	grep -Eq '^  0000000000001003  10.0.1.3 -> 192.0.2.1  no IKE_SA_INIT response \(first seen 2025-11-27T10:00:06.000Z\)$' '$WORK/ike-text.out' &&
	grep -Eq '^  0000000000001004  10.0.1.4 -> 192.0.2.1  no IKE_AUTH response ' '$WORK/ike-text.out'"
check "IKE: text shows the fragmented IKE_AUTH" sh -c "
	grep -q '^Fragmented IKE_AUTH: 1 messages in IKEv2 fragments (SKF, 4 fragments), 1 in IP fragments; IP-fragmented datagrams: 1 (IKE 1)$' '$WORK/ike-text.out' &&
	grep -Eq '^  0000000000001002/0000000000002002 .* established +0  SKF 4 +IKE_SA_INIT 1/1, IKE_AUTH 1/1$' '$WORK/ike-text.out' &&
	grep -Eq '^  0000000000001004/0000000000002004 .* incomplete +0  IP +IKE_SA_INIT 1/1, IKE_AUTH 1/0$' '$WORK/ike-text.out'"

# ---- SSTP and health probes ----------------------------------------------------

report sstp-json "$SSTP" --json; rc=$?
check "SSTP: --json exits 0 ($rc)" [ "$rc" -eq 0 ]
check "SSTP: sessions, clients, peak 4 at 10:00:04, probes, as crafted" subset sstp sstp-json
check "SSTP: the sessions by 4-tuple: durations, ends, bytes" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
got = [(s["client"], s["client_port"], s["server_port"], round(s["duration_s"], 3), s["end_reason"], s["syn_seen"])
       for s in r["sstp_sessions"]]
last = r["capture"]["last_ns"]
want = [("10.0.2.1", 40000, 443, 10.0, "FIN", True), ("10.0.2.2", 40001, 443, 4.0, "FIN", True),
        ("10.0.2.3", 40002, 443, 10.0, "FIN", True), ("10.0.2.4", 40003, 443, 4.0, "FIN", True),
        ("10.0.2.5", 40004, 443, round((last - r["sstp_sessions"][4]["start_ns"]) / 1e9, 3), "open", True)]
if got != want:
    print("# got  %r\n# want %r" % (got, want))
assert got == want
assert r["protocols"]["sstp"]["frames"] == sum(s["frames"] for s in r["sstp_sessions"]) + 16
' "$WORK/sstp-json.out"
report sstp-text "$SSTP"; rc=$?
check "SSTP: text: 5 sessions from 5 clients, peak 4 at 10:00:04.000, Azure's 128, no warning" sh -c "
	[ $rc -eq 0 ] &&
	grep -q '^SSTP (TCP 443): 5 sessions from 5 clients; peak 4 concurrent at 2025-11-27T10:00:04.000Z (Azure SSTP gateway limit: 128)$' '$WORK/sstp-text.out' &&
	! grep -q '^warning' '$WORK/sstp-text.out'"
check "SSTP: text protocol row, the probes not among the clients" \
	has sstp-text "^SSTP +$(exp sstp.protocols.sstp.frames) +$(exp sstp.protocols.sstp.bytes) +5 "
check "SSTP: text lists the health prober: 4 sessions every 5 s" sh -c "
	grep -q '^Health probes (short repeated TCP 443 connections; not counted above): 1 sources, 4 sessions$' '$WORK/sstp-text.out' &&
	grep -Eq '^  168\.63\.129\.16 +4 +5\.000 s  2025-11-27T10:00:00\.500Z  2025-11-27T10:00:15\.500Z$' '$WORK/sstp-text.out'"
check "SSTP: the prober's sessions are not listed as SSTP sessions" sh -c "! grep -q '^  168.63.129.16:' '$WORK/sstp-text.out'"

report big-text "$BIG"; rc=$?
check "130 at once: peak 130 and the warning about Azure's 128" sh -c "
	[ $rc -eq 0 ] &&
	grep -Eq '^SSTP \(TCP 443\): 130 sessions from 130 clients; peak 130 concurrent at ' '$WORK/big-text.out' &&
	grep -q '^warning: peak of 130 concurrent SSTP sessions is above the Azure SSTP gateway limit of 128$' '$WORK/big-text.out'"
report big-json "$BIG" --json
check "130 at once: --json says so" subset big big-json

# ---- several files, directories ---------------------------------------------------

report both-json "$IKE" "$SSTP" --json; rc=$?
check "two files: totals add up" "$PY" -c '
import json, sys
r, a, b = (json.load(open(f)) for f in sys.argv[1:4])
for p in ("ikev2", "natt", "esp", "sstp", "other"):
    for k in ("frames", "bytes"):
        assert r["protocols"][p][k] == a["protocols"][p][k] + b["protocols"][p][k], (p, k)
assert r["capture"]["frames"] == a["capture"]["frames"] + b["capture"]["frames"]
assert r["ike"]["sas"] == 4 and r["sstp"]["peak_concurrent"] == 4
' "$WORK/both-json.out" "$WORK/ike-json.out" "$WORK/sstp-json.out"

SET=$WORK/set
mkdir -p "$SET"
cp "$SSTP" "$SET/b.pcap"
cp "$IKE" "$SET/vpncap-eth0-20251127T100000Z-000001.pcapng"
head -c 100 "$IKE" >"$SET/vpncap-eth0-20251127T110000Z-000002.pcapng.part" # being written
echo notes >"$SET/notes.txt"
report set-json "$SET" --json; rc=$?
report set-files "$SET/b.pcap" "$SET/vpncap-eth0-20251127T100000Z-000001.pcapng" --json
check "DIR: its capture files sorted by name; .part and other files skipped (status $rc)" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$WORK/set-json.out' '$WORK/set-files.out'"
gzip -c "$IKE" >"$WORK/vpncap-eth0-20251127T100000Z-000003.pcapng.gz"
report gz-json "$WORK/vpncap-eth0-20251127T100000Z-000003.pcapng.gz" --json; rc=$?
check "a gzip-compressed member reads the same as the file ($rc)" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$WORK/gz-json.out' '$WORK/ike-json.out'"

# ---- bad input ---------------------------------------------------------------------

# bad NAME PATTERN ARGS...: exit 2, nothing on stdout, one line on stderr matching PATTERN.
bad() {
	local name=$1 pattern=$2 rc; shift 2
	report "$name" "$@"; rc=$?
	[ "$rc" -eq 2 ] && [ ! -s "$WORK/$name.out" ] && [ "$(wc -l <"$WORK/$name.err")" -eq 1 ] &&
		grep -Eq -- "$pattern" "$WORK/$name.err" && return 0
	echo "# status $rc, stderr: $(cat "$WORK/$name.err")"
	return 1
}
check "not a capture file: one line, exit 2" bad bad-file "^vpncap: $SET/notes.txt: " "$SSTP" "$SET/notes.txt"
check "missing file: one line, exit 2" bad bad-missing "^vpncap: $WORK/nothing.pcap: No such file or directory$" "$WORK/nothing.pcap"
mkdir -p "$WORK/empty"
check "directory without capture files: exit 2" bad bad-empty "^vpncap: $WORK/empty: no capture files" "$WORK/empty"
check "no file: exit 2" bad bad-none "^vpncap: report: no capture file"
check "unknown option: exit 2" bad bad-option "unknown option" "$SSTP" --frobnicate
check "--html without a file: exit 2" bad bad-html "needs a FILE" "$SSTP" --html
# ---- a torn last record (issue 17, W3) ------------------------------------------------

# Cut inside a record: the report of every frame before it, then one warning
# line, exit 0, the same as `vpncap show` (which prints those frames).
head -c 3000 "$SSTP" >"$WORK/cut.pcap"
good=$("$VPNCAP" show "$WORK/cut.pcap" 2>/dev/null | wc -l)
report cut-json "$WORK/cut.pcap" --json; rc=$?
check "torn last record: exit 0, the $good frames before it reported" "$PY" -c '
import json, sys
assert int(sys.argv[2]) == 0, "status %s" % sys.argv[2]
r = json.load(open(sys.argv[1]))
assert r["capture"]["frames"] == int(sys.argv[3]) > 0, r["capture"]["frames"]
' "$WORK/cut-json.out" "$rc" "$good"
check "torn last record: one warning line naming the file and the offset" sh -c "
	[ \$(wc -l <'$WORK/cut-json.err') -eq 1 ] &&
	grep -Eq '^vpncap: $WORK/cut.pcap: warning: torn last record at offset [0-9]+ \([0-9]+ of [0-9]+ bytes\); the frames before it were read$' '$WORK/cut-json.err'"
"$VPNCAP" show "$WORK/cut.pcap" >/dev/null 2>"$WORK/cut-show.err"; show_rc=$?
check "torn last record: show says the same line, also exit 0" sh -c "
	[ $show_rc -eq 0 ] && cmp -s '$WORK/cut-show.err' '$WORK/cut-json.err'"

# ---- hostile files: bounded time and memory (issue 17, C1 and C2) -------------------

# bounded NAME SECONDS ARGS...: vpncap ARGS, at most SECONDS, under /usr/bin/time
# ($WORK/NAME.time: "seconds KiB"); stdout and stderr in NAME.out, NAME.err.
# A 2 GiB address-space limit makes a reader that inflates whole fail fast
# instead of filling the machine (not under ASan, which reserves terabytes).
bounded() {
	local name=$1 secs=$2; shift 2
	(
		grep -q __asan_init "$VPNCAP" || ulimit -v 2097152
		timeout "$secs" /usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$VPNCAP" "$@" \
			>"$WORK/$name.out" 2>"$WORK/$name.err"
	)
}

# within NAME SECONDS STATUS: NAME exited 0 within SECONDS and 256 MiB resident.
within() {
	local t kib
	read -r t kib < <(tail -n 1 "$WORK/$1.time" 2>/dev/null)
	echo "# $1: status $3, ${t:-?} s, ${kib:-?} KiB resident; stderr: $(head -c 300 "$WORK/$1.err")"
	[ "$3" -eq 0 ] && awk -v t="${t:-x}" -v k="${kib:-x}" -v max="$2" \
		'BEGIN { exit !(t ~ /^[0-9.]+$/ && k ~ /^[0-9]+$/ && t < max && k < 256 * 1024) }'
}

# The collision file: 262,144 IKE_SA_INIT requests (22.5 MB) whose SPIs shared
# one bucket of the old unseeded FNV-1a table: 251 s before, about 0.5 s now;
# the bound is 20 s, for loaded and sanitizer runs.
if "$PY" "$HERE/hostile_files.py" collide "$WORK/collide.pcap" 262144 >"$WORK/collide.gen"; then
	bounded collide 120 report --json "$WORK/collide.pcap"; rc=$?
	check "collision file: exit 0, under 20 s and 256 MiB" within collide 20 "$rc"
	check "collision file: 131072 SAs followed (the limit), the rest counted as limits hit" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["capture"]["frames"] == 262144 and r["ike"]["sas"] == 131072, r["ike"]
assert r["limits_hit"]["ike_sas"] == 131072, r["limits_hit"]
' "$WORK/collide.out"
else
	fail "the collision file was written"
fi

# The bomb: 9 GiB of valid pcapng (EPBs of zero bytes) in 1 MB of zstd. Before,
# the reader inflated whole (8.4 GB resident, and files over 8 GiB could not be
# read at all); now it streams: every frame, in a few MiB. Bound: 60 s.
if command -v zstd >/dev/null && "$PY" "$HERE/hostile_files.py" bomb "$WORK/bomb.pcapng.zst" 9 >"$WORK/bomb.gen"; then
	bounded bomb 300 report --json "$WORK/bomb.pcapng.zst"; rc=$?
	check "zstd bomb (9 GiB inflated): exit 0, under 60 s and 256 MiB" within bomb 60 "$rc"
	check "zstd bomb: every frame of the 9 GiB read" "$PY" -c '
import json, sys
r, gen = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert r["capture"]["frames"] == gen["frames"] == 148480, (r["capture"]["frames"], gen)
' "$WORK/bomb.out" "$WORK/bomb.gen"
else
	fail "the zstd bomb was written (needs the zstd command)"
fi

report help --help; rc=$?
check "--help documents the JSON keys" sh -c "[ $rc -eq 0 ] && grep -q 'sstp_sessions \[{client, client_port' '$WORK/help.out' && grep -q 'above_azure_limit' '$WORK/help.out'"

# ---- HTML ---------------------------------------------------------------------------

HTML=$WORK/report.html
report html-text "$IKE" "$SSTP" --html "$HTML"; rc=$?
check "--html writes the page, the text still on stdout ($rc)" \
	sh -c "[ $rc -eq 0 ] && [ -s '$HTML' ] && grep -q '^SSTP (TCP 443): 5 sessions' '$WORK/html-text.out'"
check "HTML is self-contained: no scripts, links, imports or external URLs" \
	sh -c "grep -q '<svg' '$HTML' && grep -q '<style>' '$HTML' && ! grep -Eqi '<script|<link|src=|href=|@import|url\(' '$HTML' && [ \$(grep -o 'http[s]*://[^\"]*' '$HTML' | grep -vc '^http://www.w3.org/2000/svg$') -eq 0 ]"
report big-html "$BIG" --json --html "$WORK/big.html"
check "HTML of 130 at once: the warning and Azure's line in the chart" \
	sh -c "grep -q 'class=\"warn\"' '$WORK/big.html' && grep -q 'Azure SSTP limit 128' '$WORK/big.html' && ! grep -q 'class=\"warn\"' '$HTML'"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	fail "HTML in Chromium: chromium is not installed (scripts/setup-deps.sh installs it)"
else
	# chromium ARGS...: headless, no sandbox (root), its profile in $WORK, at most 60 s.
	chromium_run() {
		timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
			--user-data-dir="$WORK/chromium" "$@" 2>>"$WORK/chromium.log"
	}
	chromium_run --dump-dom "file://$HTML" >"$WORK/dom.html"
	check "Chromium renders the page: the chart (svg, both series) and the numbers" sh -c "
		grep -q '<svg id=\"timeline\"' '$WORK/dom.html' &&
		grep -q '<polyline class=\"ike\"' '$WORK/dom.html' && grep -q '<polyline class=\"sstp\"' '$WORK/dom.html' &&
		grep -q 'id=\"sstp-peak\">4</b>' '$WORK/dom.html' &&
		grep -q 'SSTP sessions (peak 4)' '$WORK/dom.html' &&
		grep -q '<td class=\"n\">$(exp ike.protocols.ikev2.bytes)</td>' '$WORK/dom.html' &&
		grep -q 'no IKE_SA_INIT response' '$WORK/dom.html' &&
		grep -q '168.63.129.16' '$WORK/dom.html'"
	chromium_run --window-size=1200,1800 --screenshot="$WORK/report.png" "file://$HTML" >/dev/null
	check "Chromium takes a screenshot of the page" \
		sh -c "[ \$(stat -c %s '$WORK/report.png' 2>/dev/null || echo 0) -gt 10000 ] && head -c 4 '$WORK/report.png' | grep -q PNG"
	[ -n "${VPNCAP_KEEP_SCREENSHOT:-}" ] && cp "$WORK/report.png" "$VPNCAP_KEEP_SCREENSHOT"
fi

e2e_finish

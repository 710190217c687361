#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `vpncap show` on files other tools wrote: a classic pcap from scapy's
# wrpcap (as tcpdump writes them, micro- and nanosecond), the same frames
# converted to pcapng by editcap, gzip and zstd copies, standard input; the
# output must equal the golden files exactly (times are UTC). Then broken
# files: one line on stderr naming the file, exit status 2, and the frames
# before the damage still printed; a file cut inside its last record is no
# damage: its frames, one warning line, exit 0 (as `vpncap report` does).
# A zstd bomb (tests/e2e/hostile_files.py: 9 GiB of pcapng in 1 MB) shows
# its first frame at once, in a few MiB. A directory holding a file set
# (compressed members, sequence numbers past six digits, a .part left out)
# shows in sequence order; filters (tcpdump words, compared with tcpdump -r,
# and the class words ike, natt, esp, sstp) choose the right lines; dates
# appear when the files span two days; --since and --until; a bad filter is
# one line, exit 2. No root needed.
# usage: show.sh PATH/TO/vpncap
# VPNCAP_UPDATE_GOLDEN=1 rewrites the golden files from this run.
set -u
VPNCAP=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
GOLDEN=$HERE/../golden
PY=/usr/bin/python3
export TZ=UTC LC_ALL=C NO_COLOR=

for tool in "$PY" editcap gzip; do
	command -v "$tool" >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
"$PY" -c 'import scapy' 2>/dev/null || { echo "skip: scapy not installed"; exit 77; }

WORK=$(mktemp -d /tmp/vpncap-show.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# shellcheck source=../lib/tap.sh
. "$HERE/../lib/tap.sh"

# same_as_golden NAME FILE: FILE equals tests/golden/NAME (or becomes it).
same_as_golden() {
	if [ "${VPNCAP_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$2" "$GOLDEN/$1"
		return 0
	fi
	diff -u "$GOLDEN/$1" "$2"
}

# ---- the frames ---------------------------------------------------------------

"$PY" - <<'EOF' 2>/dev/null
import struct
from decimal import Decimal
from scapy.all import Ether, Dot1Q, IP, IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, \
    IPv6ExtHdrFragment, UDP, TCP, ICMP, ARP, Raw, wrpcap

ISPI, RSPI = 0x1a2b3c4d5e6f7081, 0x1122334455667788
GW, PEER = "198.18.0.1", "198.18.0.2"

def ike(exch, flags, mid, payloads, rspi=0):
    body = b""
    for i, (t, d) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += struct.pack(">BBH", nxt, 0, 4 + len(d)) + d
    first = payloads[0][0] if payloads else 0
    return struct.pack(">QQBBBBII", ISPI, rspi, first, 0x20, exch, flags, mid, 28 + len(body)) + body

def notify(t, data=b""):
    return (41, struct.pack(">BBH", 0, 0, t) + data)

def client_hello(sni):
    n = sni.encode()
    ext = struct.pack(">HHBH", 43, 3, 2, 0x0304)
    ext += struct.pack(">HHHBH", 0, len(n) + 5, len(n) + 3, 0, len(n)) + n
    body = b"\x03\x03" + b"r" * 32 + b"\x20" + b"s" * 32 + b"\x00\x04\x13\x01\x13\x02\x01\x00"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs

E = dict(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
R = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
sa_init = [(33, b"\0" * 40), (34, b"\0" * 36), (40, b"n" * 32),
           notify(16388, b"a" * 20), notify(16389, b"b" * 20), notify(16430)]
frames = [
    Ether(**E) / IP(src=PEER, dst=GW) / UDP(sport=500, dport=500) / Raw(ike(34, 0x08, 0, sa_init)),
    Ether(**R) / IP(src=GW, dst=PEER) / UDP(sport=500, dport=500) /
        Raw(ike(34, 0x20, 0, sa_init[:3] + [notify(16431, b"\0\2\0\3"), notify(16406)], RSPI)),
    Ether(**E) / IP(src=PEER, dst=GW) / UDP(sport=4500, dport=4500) /
        Raw(b"\0\0\0\0" + ike(35, 0x08, 1, [(46, b"e" * 300)], RSPI)),
    Ether(**E) / IP(src=PEER, dst=GW) / UDP(sport=4500, dport=4500) /
        Raw(b"\0\0\0\0" + ike(35, 0x08, 2, [(53, struct.pack(">HH", 2, 4) + b"f" * 200)], RSPI)),
    Ether(**R) / IP(src=GW, dst=PEER) / UDP(sport=500, dport=500) /
        Raw(ike(34, 0x20, 0, [notify(14)])),
    Ether(**E) / IP(src=PEER, dst=GW) / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
    Ether(**E) / IP(src=PEER, dst=GW) / UDP(sport=4500, dport=4500) /
        Raw(struct.pack(">II", 0xc0ffee02, 9) + b"y" * 64),
    Ether(**E) / IP(src=PEER, dst=GW, proto=50) / Raw(struct.pack(">II", 0xc0ffee01, 7) + b"x" * 64),
    Ether(**E) / Dot1Q(vlan=100) / IP(src=PEER, dst=GW) / UDP(sport=500, dport=500) /
        Raw(ike(37, 0x08, 3, [(46, b"d" * 60)], RSPI)),
    Ether(**E) / IPv6(src="2001:db8::2", dst="2001:db8::1") / IPv6ExtHdrHopByHop() /
        IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(id=77, m=1) / UDP(sport=500, dport=500) /
        Raw(ike(36, 0x08, 4, [(46, b"c" * 80)], RSPI)),
    Ether(**E) / IPv6(src="2001:db8::2", dst="2001:db8::1") / IPv6ExtHdrFragment(id=77, offset=181, nh=17) /
        Raw(b"c" * 40),
    Ether(**E) / IP(src=PEER, dst=GW, id=4242, frag=185, proto=17) / Raw(b"q" * 100),
    Ether(**E) / IP(src=PEER, dst=GW) / TCP(sport=50000, dport=443, flags="S", seq=1000),
    Ether(**R) / IP(src=GW, dst=PEER) / TCP(sport=443, dport=50000, flags="SA", seq=5000, ack=1001),
    Ether(**E) / IP(src=PEER, dst=GW) / TCP(sport=50000, dport=443, flags="PA", seq=1001, ack=5001) /
        Raw(client_hello("vpn.example.com")),
    Ether(**E) / IP(src=PEER, dst=GW) / ICMP(type=8, id=1, seq=1),
    Ether(**E) / ARP(psrc=PEER, pdst=GW),
]
for i, f in enumerate(frames):
    f.time = Decimal(1700000000) + Decimal(i) / 4 + Decimal("0.000123")  # exact for nanoseconds
wrpcap("vpn.pcap", frames)
wrpcap("vpn_nano.pcap", frames, nano=True)
EOF
check "scapy wrote the pcap files" test -s vpn.pcap -a -s vpn_nano.pcap
editcap -F pcapng vpn.pcap vpn.pcapng 2>/dev/null
check "editcap converted it to pcapng" test -s vpn.pcapng
gzip -c vpn.pcapng >vpn.pcapng.gz

# ---- the same lines from every kind of file ------------------------------------

"$VPNCAP" show --no-color vpn.pcap >out.txt 2>err.txt
check "pcap: exit 0, nothing on stderr" test $? -eq 0 -a ! -s err.txt
check "pcap: output equals tests/golden/show_vpn.txt" same_as_golden show_vpn.txt out.txt
for f in vpn_nano.pcap vpn.pcapng vpn.pcapng.gz; do
	"$VPNCAP" show --no-color "$f" >"out_$f.txt" 2>&1
	check "$f: same lines" diff -u out.txt "out_$f.txt"
done
if command -v zstd >/dev/null; then
	zstd -q -c vpn.pcap >vpn.pcap.zst
	"$VPNCAP" show --no-color vpn.pcap.zst >out_zst.txt 2>&1
	check "vpn.pcap.zst: same lines" diff -u out.txt out_zst.txt
fi
"$VPNCAP" show --no-color - <vpn.pcap >out_stdin.txt 2>&1
check "standard input: same lines" diff -u out.txt out_stdin.txt
"$VPNCAP" show --no-color -c 3 vpn.pcap vpn.pcapng >out_c.txt 2>&1
check "-c 3: the first three lines" diff -u <(head -n 3 out.txt) out_c.txt
"$VPNCAP" show --no-color vpn.pcap vpn.pcapng >out_two.txt 2>&1
check "two files: one after the other" diff -u <(cat out.txt out.txt) out_two.txt
"$VPNCAP" show --color vpn.pcap >out_colour.txt 2>&1
check "--color: ANSI colours on a pipe" grep -q $'\033\\[36mIKE' out_colour.txt
check "no colours on a pipe by default" sh -c "! grep -q \$(printf '\\033') out.txt"
TZ=America/New_York "$VPNCAP" show --no-color vpn.pcap >out_tz.txt 2>&1
check "times are UTC whatever TZ says" diff -u out.txt out_tz.txt

# ---- broken files -----------------------------------------------------------------

# Cut inside the 4th record (a torn last record): three frames, then a warning, exit 0.
cut_at=$(( 24 + $(head -n 3 out.txt | sed 's/.*(\([0-9]*\) bytes)$/\1/' | awk '{s += $1 + 16} END {print s}') + 20 ))
head -c "$cut_at" vpn.pcap >cut.pcap
"$VPNCAP" show --no-color cut.pcap >cut_out.txt 2>cut_err.txt
check "torn pcap: exit 0" test $? -eq 0
check "torn pcap: the frames before the tear" diff -u <(head -n 3 out.txt) cut_out.txt
check "torn pcap: one warning line (tests/golden/show_cut_err.txt)" same_as_golden show_cut_err.txt cut_err.txt
"$VPNCAP" show --no-color cut.pcap vpn.pcap >cut_two.txt 2>/dev/null
check "torn pcap: the next file still shown" diff -u <(head -n 3 out.txt; cat out.txt) cut_two.txt
# The same in pcapng (editcap's), cut 10 bytes before its end.
head -c $(( $(stat -c %s vpn.pcapng) - 10 )) vpn.pcapng >cut.pcapng
"$VPNCAP" show --no-color cut.pcapng >cutng_out.txt 2>cutng_err.txt
check "torn pcapng: exit 0" test $? -eq 0
check "torn pcapng: every frame before the last block" diff -u <(head -n -1 out.txt) cutng_out.txt
check "torn pcapng: one warning line" grep -Eqx 'vpncap: cut.pcapng: warning: torn last block at offset [0-9]+ \([0-9]+ of [0-9]+ bytes\); the frames before it were read' cutng_err.txt
gzip -c vpn.pcapng | head -c -12 >cut.pcapng.gz
"$VPNCAP" show --no-color cut.pcapng.gz >cutgz_out.txt 2>cutgz_err.txt; rc=$?
check "gzip cut short: exit 0, the frames inflated, one warning line" sh -c "
	[ $rc -eq 0 ] && [ -s cutgz_out.txt ] && head -n \$(wc -l <cutgz_out.txt) out.txt | cmp -s - cutgz_out.txt &&
	grep -Eqx 'vpncap: cut.pcapng.gz: warning: gzip data truncated after [0-9]+ bytes of capture; the frames before were read' cutgz_err.txt"

# A pcapng whose 5th packet block has a total length that is not a multiple
# of 4 (offsets depend on editcap's version string: computed, not golden).
bad_off=$("$PY" - <<'EOF'
import struct
d = bytearray(open("vpn.pcapng", "rb").read())
off, epbs = 0, 0
while off < len(d):
    if struct.unpack_from("<I", d, off)[0] == 6:
        epbs += 1
        if epbs == 5:
            struct.pack_into("<I", d, off + 4, 21)
            break
    off += struct.unpack_from("<I", d, off + 4)[0]
open("bad.pcapng", "wb").write(bytes(d))
print(off)
EOF
)
"$VPNCAP" show --no-color bad.pcapng >bad_out.txt 2>bad_err.txt
check "bad pcapng: exit 2" test $? -eq 2
check "bad pcapng: the four frames before the bad block" diff -u <(head -n 4 out.txt) bad_out.txt
check "bad pcapng: one error line" diff -u <(echo "vpncap: bad.pcapng: block at offset $bad_off: total length 21 is not a multiple of 4") bad_err.txt

# ---- a zstd bomb (issue 17, C1) ------------------------------------------------------

# 9 GiB of pcapng in 1 MB: the old reader inflated it whole before the first
# line (20 s, 8.4 GB resident). -c 1 now reads the first frame only; bound
# 10 s and 256 MiB resident (a 2 GiB address-space limit keeps a regression
# from filling the machine; not under ASan, which reserves terabytes).
if command -v zstd >/dev/null && "$PY" "$HERE/hostile_files.py" bomb bomb.pcapng.zst 9 >/dev/null; then
	(
		grep -q __asan_init "$VPNCAP" || ulimit -v 2097152
		timeout 60 /usr/bin/time -f '%e %M' -o bomb.time "$VPNCAP" show --no-color -c 1 bomb.pcapng.zst \
			>bomb_out.txt 2>bomb_err.txt
	)
	rc=$?
	read -r t kib < <(tail -n 1 bomb.time)
	note "show -c 1 on the bomb: status $rc, $t s, $kib KiB resident"
	check "zstd bomb: -c 1 shows one frame, exit 0" sh -c "[ $rc -eq 0 ] && [ \$(wc -l <bomb_out.txt) -eq 1 ] && [ ! -s bomb_err.txt ]"
	check "zstd bomb: -c 1 within 10 s and 256 MiB" awk -v t="$t" -v k="$kib" \
		'BEGIN { exit !(t ~ /^[0-9.]+$/ && k ~ /^[0-9]+$/ && t < 10 && k < 256 * 1024) }'
else
	fail "the zstd bomb was written (needs the zstd command)"
fi

printf 'hello, world\n' >notes.txt
"$VPNCAP" show --no-color notes.txt vpn.pcap >mixed_out.txt 2>mixed_err.txt
check "not a capture file: exit 2" test $? -eq 2
check "not a capture file: the message" grep -qx 'vpncap: notes.txt: not a pcap or pcapng file (magic 0x68656c6c)' mixed_err.txt
check "not a capture file: later files still shown" diff -u out.txt mixed_out.txt
"$VPNCAP" show missing.pcap >/dev/null 2>missing_err.txt
check "missing file: exit 2" test $? -eq 2
check "missing file: one line" grep -qx 'vpncap: missing.pcap: No such file or directory' missing_err.txt

# ---- directories and file sets ---------------------------------------------------

# The frames of vpn.pcap in a file set of three members, the first gzip-,
# the second zstd-compressed; numbers 999999 and 1000000 (a seventh digit)
# sort by number, not by name; a .part, a dot file and notes are left out.
"$PY" - <<'PYEOF' 2>/dev/null
from scapy.all import rdpcap, wrpcap
f = rdpcap("vpn.pcap")
wrpcap("set_a.pcap", f[:6]); wrpcap("set_b.pcap", f[6:12]); wrpcap("set_c.pcap", f[12:])
PYEOF
mkdir -p ring
for p in a b c; do editcap -F pcapng "set_$p.pcap" "set_$p.pcapng" 2>/dev/null; done
gzip -c set_a.pcapng >ring/vpncap-eth0-20231114T221320Z-999998.pcapng.gz
if command -v zstd >/dev/null; then
	zstd -q -c set_b.pcapng >ring/vpncap-eth0-20231114T221321Z-999999.pcapng.zst
else
	cp set_b.pcapng ring/vpncap-eth0-20231114T221321Z-999999.pcapng
fi
cp set_c.pcapng ring/vpncap-eth0-20231114T221323Z-1000000.pcapng
cp vpn.pcapng ring/vpncap-eth0-20231114T221324Z-1000001.pcapng.part
cp vpn.pcap ring/.hidden.pcap
echo notes >ring/notes.txt
"$VPNCAP" show --no-color ring/ >ring_out.txt 2>ring_err.txt
check "a directory: exit 0, nothing on stderr" test $? -eq 0 -a ! -s ring_err.txt
check "a directory: the file set in sequence order (compressed members too)" diff -u out.txt ring_out.txt
"$VPNCAP" show --no-color ring vpn.pcap >ring_two.txt 2>&1
check "a directory, then a file" diff -u <(cat out.txt out.txt) ring_two.txt
mkdir -p empty && echo x >empty/notes.txt
"$VPNCAP" show --no-color empty vpn.pcap >empty_out.txt 2>empty_err.txt
check "an empty directory: exit 2" test $? -eq 2
check "an empty directory: one line" diff -u <(echo 'vpncap: empty: no capture files (vpncap-*.pcapng*, *.pcap, *.pcapng)') empty_err.txt
check "an empty directory: the other files still shown" diff -u out.txt empty_out.txt

# ---- filters ------------------------------------------------------------------------

# count EXPR...: lines show prints for the filter words.
count() { "$VPNCAP" show --no-color vpn.pcap "$@" 2>/dev/null | wc -l; }
if command -v tcpdump >/dev/null; then
	for expr in "host 198.18.0.2" "udp port 4500" "tcp" "icmp or arp" "ip6" "vlan" \
		"src host 198.18.0.1 and tcp port 443" "not udp"; do
		want=$(tcpdump -r vpn.pcap -nn "$expr" 2>/dev/null | wc -l)
		# shellcheck disable=SC2086 # the words of the expression, as typed
		got=$(count $expr)
		check "filter '$expr': $got lines, as tcpdump -r ($want)" test "$got" = "$want" -a "$want" -gt 0
	done
else
	note "tcpdump not installed: filters not compared with it"
fi
# The class words on the 17 frames: 5 IKE (UDP 500 and behind the marker on
# 4500; the tagged one needs `vlan`), 4 on 4500, 2 ESP, 3 on TCP 443.
check "filter 'ike': the five IKE lines" sh -c "[ \$('$VPNCAP' show --no-color vpn.pcap ike | grep -c ' IKE ') = 5 ] && [ \$('$VPNCAP' show vpn.pcap ike | wc -l) = 5 ]"
check "filter 'natt': 4 lines" test "$(count natt)" = 4
check "filter 'esp': the 2 ESP lines" sh -c "[ \$('$VPNCAP' show --no-color vpn.pcap esp | grep -c ' ESP ') = 2 ] && [ \$('$VPNCAP' show vpn.pcap esp | wc -l) = 2 ]"
check "filter 'sstp': 3 lines" test "$(count sstp)" = 3
check "filter 'ike or natt': the keepalive too (7)" test "$(count ike or natt)" = 7
check "filter 'natt and not (ike or esp)': the keepalive" sh -c "'$VPNCAP' show --no-color vpn.pcap natt and not '(ike or esp)' | grep -q ' NAT-T ' && [ \$('$VPNCAP' show vpn.pcap natt and not '(ike or esp)' | wc -l) = 1 ]"
check "filter 'vlan and ike': the tagged IKE frame" test "$(count vlan and ike)" = 1
"$VPNCAP" show --no-color vpn.pcap -f 'ike or esp' >f_opt.txt 2>&1
"$VPNCAP" show --no-color vpn.pcap -- ike or esp >f_dash.txt 2>&1
"$VPNCAP" show --no-color vpn.pcap ike or esp >f_words.txt 2>&1
check "-f EXPR, -- EXPR and the words: the same 7 lines" sh -c "[ \$(wc -l <f_opt.txt) = 7 ] && cmp -s f_opt.txt f_dash.txt && cmp -s f_opt.txt f_words.txt"
# A word naming an existing file is a file, even where a filter could start.
cp vpn.pcap esp
"$VPNCAP" show --no-color vpn.pcap esp >f_file.txt 2>&1
check "a word that names a file is a file" diff -u <(cat out.txt out.txt) f_file.txt
"$VPNCAP" show --no-color vpn.pcap -- esp >f_file.txt 2>&1
check "after --, the filter even so" diff -u <(grep -E ' ESP ' out.txt) f_file.txt
rm -f esp
"$VPNCAP" show --no-color -c 1 vpn.pcap esp >f_c.txt 2>&1
check "-c 1 counts the frames after the filter" diff -u <(grep ' ESP ' out.txt | head -n 1) f_c.txt
"$VPNCAP" show --no-color ring ike >f_ring.txt 2>&1
check "a filter over a directory" diff -u <("$VPNCAP" show --no-color vpn.pcap ike) f_ring.txt
"$VPNCAP" show --no-color vpn.pcap host >bad_f_out.txt 2>bad_f_err.txt
check "a bad filter: exit 2" test $? -eq 2
check "a bad filter: one line, libpcap's reason, nothing shown" sh -c "[ \$(wc -l <bad_f_err.txt) = 1 ] && grep -qx \"vpncap: show: bad filter 'host': .*syntax error.*\" bad_f_err.txt && [ ! -s bad_f_out.txt ]"
"$VPNCAP" show vpn.pcap -f 'port 99999' >/dev/null 2>bad_p_err.txt
check "a bad -f: the one line" diff -u <(echo "vpncap: show: bad filter 'port 99999': illegal port number 99999 > 65535") bad_p_err.txt

# ---- dates -------------------------------------------------------------------------

"$VPNCAP" show --no-color --date vpn.pcap >date_out.txt 2>&1
check "--date: the date before every line, the rest unchanged" diff -u <(sed 's/^/2023-11-14 /' out.txt) date_out.txt
"$PY" - <<'PYEOF' 2>/dev/null
from decimal import Decimal
from scapy.all import Ether, IP, UDP, Raw, wrpcap
def f(t):
    p = Ether() / IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=4500, dport=4500) / Raw(b"\xff")
    p.time = Decimal(t)
    return p
wrpcap("day1.pcap", [f("1700006399.5")])                        # 2023-11-14 23:59:59.5
wrpcap("day2.pcap", [f("1700006401")])                          # 2023-11-15 00:00:01
wrpcap("midnight.pcap", [f("1700006398"), f("1700006399.5"), f("1700006401")])
PYEOF
"$VPNCAP" show --no-color day1.pcap day2.pcap >days_out.txt 2>&1
check "files over two days: the date on every line" sh -c "[ \$(grep -c '^2023-11-1[45] ' days_out.txt) = 2 ] && head -n 1 days_out.txt | grep -q '^2023-11-14 23:59:59.500000000 '"
"$VPNCAP" show --no-color day1.pcap >day1_out.txt 2>&1
check "one day: no date" grep -q '^23:59:59.500000000 ' day1_out.txt
"$VPNCAP" show --no-color midnight.pcap >mid_out.txt 2>&1
check "one file across midnight: the date from the new day on" diff -u <(printf '%s\n' '23:59:58.000000000' '23:59:59.500000000' '2023-11-15 00:00:01.000000000') <(sed 's/ 198.*//' mid_out.txt)
"$VPNCAP" show --no-color - day2.pcap <day1.pcap >days_stdin.txt 2>&1
check "standard input first, then a file of the next day: dates" diff -u days_out.txt days_stdin.txt

# ---- --since and --until -----------------------------------------------------------

# The frames are 0.25 s apart from 22:13:20.000123: the 5th is at 22:13:21.000123.
"$VPNCAP" show --no-color vpn.pcap --since 22:13:21 >since.txt 2>&1
check "--since HH:MM:SS (the first frame's day)" diff -u <(tail -n +5 out.txt) since.txt
"$VPNCAP" show --no-color vpn.pcap --until 2023-11-14T22:13:21 >until.txt 2>&1
check "--until ISO 8601: the frames before it" diff -u <(head -n 4 out.txt) until.txt
"$VPNCAP" show --no-color vpn.pcap --since '2023-11-14 22:13:21' --until 22:13:22.000123Z >both.txt 2>&1
check "--until with Z after a time of day is refused" test "$(cat both.txt)" = "vpncap: show: --until '22:13:22.000123Z': expected a UTC time: 2026-12-06T14:03:07, '2026-12-06 14:03:07', 2026-12-06 or 14:03[:07]"
"$VPNCAP" show --no-color vpn.pcap --since '2023-11-14 22:13:21' --until 22:13:22.000123 ike or esp >both.txt 2>&1
check "--since, --until and a filter together" diff -u <(sed -n '5,8p' out.txt | grep -E ' (IKE|ESP) ') both.txt
"$VPNCAP" show vpn.pcap --since yesterday >/dev/null 2>&1
check "--since yesterday: exit 2" test $? -eq 2
"$VPNCAP" show --no-color ring day2.pcap --since 2023-11-15 >since_day.txt 2>&1
check "--since a date over a directory and a file: the next day's frame, dated" sh -c "[ \$(wc -l <since_day.txt) = 1 ] && grep -q '^2023-11-15 00:00:01' since_day.txt"

# ---- usage -------------------------------------------------------------------------

"$VPNCAP" show -h >help.txt 2>&1
check "-h: exit 0" test $? -eq 0
check "-h: says the times are UTC" grep -q 'Times are UTC' help.txt
"$VPNCAP" show >/dev/null 2>usage_err.txt
check "no file: exit 2" test $? -eq 2
"$VPNCAP" show capture >/dev/null 2>usage_err.txt
check "a missing file without a capture suffix: exit 2, one line saying why" sh -c "[ $? -eq 2 ] && diff -u - usage_err.txt <<'EOT'
vpncap: show: no file given ('capture' is no file or directory, so it starts the filter; see 'vpncap show -h')
EOT"
"$VPNCAP" show -c 0 vpn.pcap >/dev/null 2>&1
check "-c 0: exit 2" test $? -eq 2
check "vpncap help lists show" sh -c "'$VPNCAP' help | grep -q '^  show '"

echo "# passed $PASSED, failed $FAILED"
[ "$FAILED" -eq 0 ]

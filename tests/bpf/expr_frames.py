#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Frames for test_expr_xlate: a classic pcap (usage: expr_frames.py OUT.pcap).

Frame i (from 1, as tcpdump -# numbers them) is stamped i seconds after a
fixed time, so the frames tcpdump -w selects are told apart by their stamp.
Addresses are documentation ranges: 198.18.0.0/15 and 2001:db8::/32.
"""
import struct
import sys
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                       UDP, TCP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NS,
                       ICMPv6DestUnreach, ARP, Raw, wrpcap)

A, B, C, D = "198.18.0.1", "198.19.0.2", "198.18.7.9", "198.19.200.1"
A6, B6, C6 = "2001:db8::1", "2001:db8:1::2", "2001:db8:ffff::3"
GW = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
PEER = dict(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
BCAST = dict(src="02:00:00:00:00:03", dst="ff:ff:ff:ff:ff:ff")


def ike(exch, mid, body=b"", rspi=0):
    """IKEv2 header (28 bytes) and body."""
    return struct.pack(">QQBBBBII", 0x1a2b3c4d5e6f7081, rspi, 33, 0x20, exch, 0x08, mid,
                       28 + len(body)) + body


def esp(spi, seq, n):
    return struct.pack(">II", spi, seq) + (bytes(range(256)) * (n // 256 + 1))[:n]


frames = [
    # IKE on 500 and 4500 (non-ESP marker), NAT-T keepalive, ESP in UDP
    Ether(**PEER) / IP(src=A, dst=B) / UDP(sport=500, dport=500) / Raw(ike(34, 0, b"\0" * 200)),
    Ether(**GW) / IP(src=B, dst=A) / UDP(sport=500, dport=500) / Raw(ike(34, 0, b"\0" * 180, 7)),
    Ether(**PEER) / IP(src=A, dst=B) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + ike(35, 1, b"e" * 80)),
    Ether(**PEER) / IP(src=A, dst=B) / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
    Ether(**GW) / IP(src=B, dst=A) / UDP(sport=4500, dport=4500) / Raw(esp(0xc0ffee02, 9, 64)),
    Ether(**GW) / IP(src=B, dst=A) / UDP(sport=4500, dport=4500) / Raw(esp(0xc0ffee02, 10, 1300)),
    Ether(**PEER) / IP(src=C, dst=D) / UDP(sport=61000, dport=4500) / Raw(b"\0\0\0\0" + ike(37, 2)),
    # ESP, plain
    Ether(**PEER) / IP(src=A, dst=B, proto=50) / Raw(esp(0xc0ffee01, 7, 64)),
    Ether(**PEER) / IP(src=A, dst=B, proto=50) / Raw(esp(0xc0ffee01, 8, 1200)),
    Ether(**PEER) / IPv6(src=A6, dst=B6, nh=50) / Raw(esp(0xc0ffee03, 1, 100)),
    # TCP with various flags and ports
    Ether(**PEER) / IP(src=A, dst=B) / TCP(sport=50000, dport=443, flags="S"),
    Ether(**GW) / IP(src=B, dst=A) / TCP(sport=443, dport=50000, flags="SA"),
    Ether(**PEER) / IP(src=A, dst=B) / TCP(sport=50000, dport=443, flags="A"),
    Ether(**PEER) / IP(src=A, dst=B) / TCP(sport=50000, dport=443, flags="PA") / Raw(b"t" * 300),
    Ether(**GW) / IP(src=B, dst=A) / TCP(sport=443, dport=50000, flags="PA") / Raw(b"T" * 1400),
    Ether(**PEER) / IP(src=A, dst=B) / TCP(sport=50000, dport=443, flags="FA"),
    Ether(**GW) / IP(src=B, dst=A) / TCP(sport=443, dport=50000, flags="R"),
    Ether(**PEER) / IP(src=C, dst=D) / TCP(sport=40000, dport=80, flags="S"),
    Ether(**PEER) / IP(src=C, dst=D) / TCP(sport=40000, dport=8080, flags="SEC"),
    Ether(**PEER) / IP(src=D, dst=C) / TCP(sport=22, dport=40001, flags="PA") / Raw(b"ssh"),
    Ether(**PEER) / IP(src=C, dst=D) / TCP(sport=1500, dport=8443, flags="U"),
    Ether(**PEER) / IP(src=A, dst=B, options=b"\x01\x01\x01\x00") / TCP(sport=1999, dport=443, flags="S"),
    Ether(**PEER) / IP(src=A, dst=B, ihl=15, options=b"\x01" * 39 + b"\x00") / TCP(sport=2001, dport=8999),
    # UDP others
    Ether(**PEER) / IP(src=A, dst=D) / UDP(sport=33000, dport=53) / Raw(b"\x12\x34\x01\x00" + b"q" * 20),
    Ether(**PEER) / IP(src=D, dst=A) / UDP(sport=53, dport=33000) / Raw(b"\x12\x34\x81\x80" + b"a" * 60),
    Ether(**PEER) / IP(src=A, dst=B) / UDP(sport=1194, dport=1194) / Raw(b"\x38" + b"o" * 50),
    Ether(**PEER) / IP(src=A, dst=B) / UDP(sport=51820, dport=51820) / Raw(b"\x01\0\0\0" + b"w" * 144),
    Ether(**PEER) / IP(src=A, dst=B, tos=0xb8) / UDP(sport=1000, dport=2000) / Raw(b"\0\0\0\0" * 3),
    Ether(**PEER) / IP(src=A, dst=B, ttl=1) / UDP(sport=2000, dport=999),
    # ICMP
    Ether(**PEER) / IP(src=A, dst=B) / ICMP(type=8, id=1, seq=1) / Raw(b"p" * 56),
    Ether(**GW) / IP(src=B, dst=A) / ICMP(type=0, id=1, seq=1) / Raw(b"p" * 56),
    Ether(**GW) / IP(src=B, dst=A) / ICMP(type=3, code=3) / Raw(bytes(IP(src=A, dst=B) / UDP(dport=500))),
    Ether(**PEER) / IP(src=A, dst=B) / ICMP(type=8) / Raw(b"P" * 1472),
    # IPv4 fragments: first (MF, offset 0), middle, last
    Ether(**PEER) / IP(src=A, dst=B, id=4242, flags="MF") / UDP(sport=500, dport=500, len=1600) / Raw(b"f" * 1472),
    Ether(**PEER) / IP(src=A, dst=B, id=4242, flags="MF", frag=185, proto=17) / Raw(b"g" * 64),
    Ether(**PEER) / IP(src=A, dst=B, id=4242, frag=193, proto=17) / Raw(b"h" * 8),
    Ether(**PEER) / IP(src=A, dst=B, id=99, flags="DF") / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0x"),
    # IPv6
    Ether(**PEER) / IPv6(src=A6, dst=B6) / UDP(sport=500, dport=500) / Raw(ike(34, 0, b"\0" * 100)),
    Ether(**GW) / IPv6(src=B6, dst=A6) / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + ike(35, 3)),
    Ether(**GW) / IPv6(src=B6, dst=A6) / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
    Ether(**PEER) / IPv6(src=A6, dst=C6) / TCP(sport=50000, dport=443, flags="S"),
    Ether(**PEER) / IPv6(src=C6, dst=A6) / TCP(sport=443, dport=50000, flags="SA"),
    Ether(**PEER) / IPv6(src=A6, dst=C6) / TCP(sport=50000, dport=443, flags="PA") / Raw(b"6" * 1100),
    Ether(**PEER) / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(id=5, seq=1),
    Ether(**GW) / IPv6(src=B6, dst=A6) / ICMPv6EchoReply(id=5, seq=1),
    Ether(**PEER) / IPv6(src=A6, dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt=B6),
    Ether(**GW) / IPv6(src=B6, dst=A6) / ICMPv6DestUnreach() / Raw(b"u" * 48),
    Ether(**PEER) / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=7, m=1) / UDP(sport=500, dport=500) / Raw(b"F" * 64),
    Ether(**PEER) / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0h"),
    # ARP, broadcast and reply
    Ether(**BCAST) / ARP(op=1, psrc=A, pdst=B, hwsrc=BCAST["src"]),
    Ether(**GW) / ARP(op=2, psrc=B, pdst=A, hwsrc=GW["src"], hwdst=PEER["src"]),
    # 802.1Q, 802.1ad and double 802.1Q (QinQ)
    Ether(**PEER) / Dot1Q(vlan=100) / IP(src=A, dst=B) / UDP(sport=500, dport=500) / Raw(ike(34, 0)),
    Ether(**PEER) / Dot1Q(vlan=100) / IP(src=A, dst=B) / TCP(sport=50000, dport=443, flags="S"),
    Ether(**GW) / Dot1Q(vlan=200) / IPv6(src=B6, dst=A6) / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
    Ether(**PEER) / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(src=C, dst=D) / UDP(sport=500, dport=500) / Raw(ike(34, 0)),
    Ether(**PEER) / Dot1AD(vlan=10) / Dot1Q(vlan=30) / IP(src=A, dst=B, proto=50) / Raw(esp(1, 1, 40)),
    Ether(**BCAST) / Dot1Q(vlan=100) / ARP(psrc=A, pdst=B, hwsrc=BCAST["src"]),
    Ether(**PEER) / Dot1Q(vlan=4094) / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(),
    # LLDP and other Ethernet types
    Ether(src="02:00:00:00:00:05", dst="01:80:c2:00:00:0e", type=0x88cc) /
        Raw(b"\x02\x07\x04" + b"\x02\0\0\0\0\x05" + b"\x04\x03\x05\x31\x30\x06\x02\x00\x78\0\0"),
    Ether(**PEER, type=0x88e5) / Raw(b"m" * 40),
    Ether(src="02:00:00:00:00:06", dst="01:00:5e:00:00:fb") / IP(src=C, dst="224.0.0.251") /
        UDP(sport=5353, dport=5353) / Raw(b"\0" * 20),
    # short frames: Ethernet only, truncated IPv4 header (loads past the end)
    Ether(**PEER, type=0x0800) / Raw(b"\x45\x00\x00\x54"),
    Ether(**PEER, type=0x86dd) / Raw(b"\x60\0\0\0\0\x08\x11\x40"),
    Ether(**PEER, type=0x8100) / Raw(b"\x00\x64"),
]


def main():
    out = sys.argv[1]
    for i, f in enumerate(frames):
        f.time = 1700000000 + i + 1
    wrpcap(out, frames)


if __name__ == "__main__":
    main()

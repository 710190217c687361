#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Send a known mix of VPN and unrelated frames for the vpncap lab and tests.

Every frame carries its sequence number in the payload, so a capture can be
compared byte for byte with what was sent (--save writes the sent frames to a
pcap file). Addresses come from the benchmarking ranges 198.18.0.0/15 and
2001:db8::/32 only.
"""
import argparse
import json
import struct
import sys

from scapy.all import (ARP, DNS, DNSQR, Dot1AD, Dot1Q, Ether, ICMP, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw,
                       TCP, UDP, conf, fragment, fragment6, sendp, wrpcap)

CLIENT4, SERVER4 = "198.18.0.10", "198.19.0.1"
CLIENT6, SERVER6 = "2001:db8:1::10", "2001:db8:2::1"
CLIENT_MAC = "02:00:00:00:00:0a"


def ike_header(seq, exchange=34, flags=0x08, msg_id=0):
    """A well-formed IKEv2 message (RFC 7296): header plus one Notify payload
    (NAT_DETECTION_SOURCE_IP) whose 20-byte data carries the sequence number."""
    notify_data = (b"vpncap-lab-%06d" % seq).ljust(20, b"\0")
    notify = struct.pack("!BBHBBH", 0, 0, 8 + len(notify_data), 0, 0, 16388) + notify_data
    length = 28 + len(notify)
    return (struct.pack("!QQ", 0x1000 + seq, 0) +
            struct.pack("!BBBBII", 41, 0x20, exchange, flags, msg_id, length) + notify)


def payload(seq, tag):
    return b"%s-%06d" % (tag.encode(), seq)


def ike_v4(seq, sport=500, dport=500):
    return IP(src=CLIENT4, dst=SERVER4) / UDP(sport=sport, dport=dport) / Raw(ike_header(seq))


def ike_v6(seq, sport=500, dport=500):
    return IPv6(src=CLIENT6, dst=SERVER6) / UDP(sport=sport, dport=dport) / Raw(ike_header(seq))


def natt(ip_layer, seq):
    """IKE on UDP 4500: four zero bytes (non-ESP marker) before the header."""
    return ip_layer / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + ike_header(seq, 35))


# class name -> (builder, should vpncap's default rules match it?)
CLASSES = {
    "ike-v4": (lambda s: ike_v4(s), True),
    "ike-v6": (lambda s: ike_v6(s), True),
    "natt-v4": (lambda s: natt(IP(src=CLIENT4, dst=SERVER4), s), True),
    "natt-v6": (lambda s: natt(IPv6(src=CLIENT6, dst=SERVER6), s), True),
    "esp-in-udp-v4": (lambda s: IP(src=CLIENT4, dst=SERVER4) / UDP(sport=4500, dport=4500)
                      / Raw(struct.pack("!II", 0xC0FFEE, s + 1) + payload(s, "esp").ljust(160, b"\x5a")),
                      True),
    "ike-v4-options": (lambda s: IP(src=CLIENT4, dst=SERVER4, options=b"\x94\x04\x00\x00")
                       / UDP(sport=500, dport=500) / Raw(ike_header(s)), True),
    "ike-v6-exthdr": (lambda s: IPv6(src=CLIENT6, dst=SERVER6) / IPv6ExtHdrHopByHop()
                      / IPv6ExtHdrDestOpt() / UDP(sport=500, dport=500) / Raw(ike_header(s)), True),
    "sstp-to-server": (lambda s: IP(src=CLIENT4, dst=SERVER4)
                       / TCP(sport=40000 + s % 20000, dport=443, flags="PA", seq=s)
                       / Raw(payload(s, "tls")), True),
    "sstp-from-server-v6": (lambda s: IPv6(src=SERVER6, dst=CLIENT6)
                            / TCP(sport=443, dport=40000 + s % 20000, flags="A", seq=s)
                            / Raw(payload(s, "tls")), True),
    "natt-keepalive-v4": (lambda s: IP(src=CLIENT4, dst=SERVER4, id=s & 0xffff)
                          / UDP(sport=4500, dport=4500) / Raw(b"\xff"), True),
    "dns": (lambda s: IP(src=CLIENT4, dst=SERVER4) / UDP(sport=53000, dport=53)
            / DNS(id=s & 0xffff, qd=DNSQR(qname="vpn.example.")), False),
    "http": (lambda s: IP(src=CLIENT4, dst=SERVER4) / TCP(sport=41000, dport=80, flags="PA")
             / Raw(payload(s, "GET")), False),
    "icmp": (lambda s: IP(src=CLIENT4, dst=SERVER4) / ICMP(id=s & 0xffff) / Raw(payload(s, "ping")),
             False),
}

def big_ike(seq):
    """An IKE_AUTH-sized message (4000 bytes), as certificate authentication makes."""
    return ike_header(seq, exchange=35) + bytes((seq + i) & 0xff for i in range(3900))


def ike_frags_v4(seq, reverse):
    dgram = IP(src=CLIENT4, dst=SERVER4, id=0x4000 + seq) / UDP(sport=500, dport=500) / Raw(big_ike(seq))
    frags = fragment(dgram, fragsize=1400)
    return list(reversed(frags)) if reverse else frags


def ike_frags_v6(seq, reverse):
    dgram = (IPv6(src=CLIENT6, dst=SERVER6) / IPv6ExtHdrFragment(id=0x6000 + seq)
             / UDP(sport=500, dport=500) / Raw(big_ike(seq)))
    frags = fragment6(dgram, 1400)
    return list(reversed(frags)) if reverse else frags


# Classes of several frames each: (builder returning a list, should all match?)
MULTI_CLASSES = {
    "ike-frag-v4": (lambda s: ike_frags_v4(s, False), True),
    "ike-frag-v6": (lambda s: ike_frags_v6(s, False), True),
    # the first fragment last; a small IKE message first makes the hosts known
    "ike-frag-v4-reversed": (lambda s: [ike_v4(s + 100000)] + ike_frags_v4(s, True), True),
    "ike-frag-v6-reversed": (lambda s: [ike_v6(s + 100000)] + ike_frags_v6(s, True), True),
}

VLAN_CLASSES = {
    "ike-vlan": (lambda s: Dot1Q(vlan=100) / ike_v4(s), True),
    "ike-qinq": (lambda s: Dot1AD(vlan=200) / Dot1Q(vlan=100) / ike_v4(s), True),
}


def build(classes, per_class, dst_mac, first_seq=0):
    frames, expect = [], {}
    seq = first_seq
    for _ in range(per_class):
        for name in classes:
            if name in MULTI_CLASSES:
                builder, match = MULTI_CLASSES[name]
                inners = builder(seq)
            else:
                builder, match = {**CLASSES, **VLAN_CLASSES}[name]
                inners = [builder(seq)]
            for inner in inners:
                if name in ("ike-vlan", "ike-qinq"):
                    frame = Ether(src=CLIENT_MAC, dst=dst_mac,
                                  type=0x88A8 if name == "ike-qinq" else 0x8100) / inner
                else:
                    frame = Ether(src=CLIENT_MAC, dst=dst_mac) / inner
                frames.append((frame, match))
            expect[name] = expect.get(name, 0) + len(inners)
            seq += 1
    return frames, expect


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--classes", default=",".join(list(CLASSES) + list(VLAN_CLASSES)))
    ap.add_argument("--interval", type=float, default=0, help="seconds between frames")
    ap.add_argument("--first-seq", type=int, default=0,
                    help="sequence number of the first frame (keeps runs apart)")
    ap.add_argument("--save-matching", help="pcap file of the frames that should be captured")
    ap.add_argument("--save-all", help="pcap file of every frame sent")
    args = ap.parse_args()

    conf.verb = 0
    names = [c for c in args.classes.split(",") if c]
    for n in names:
        if n not in CLASSES and n not in VLAN_CLASSES and n not in MULTI_CLASSES:
            sys.exit("lab_traffic: unknown class '%s'" % n)
    frames, expect = build(names, args.per_class, args.dst_mac, args.first_seq)
    sendp([f for f, _ in frames], iface=args.iface, verbose=False, inter=args.interval)
    matching = [f for f, m in frames if m]
    if args.save_matching:
        wrpcap(args.save_matching, matching)
    if args.save_all:
        wrpcap(args.save_all, [f for f, _ in frames])
    print(json.dumps({"sent": len(frames), "matching": len(matching), "per_class": expect}))


if __name__ == "__main__":
    main()

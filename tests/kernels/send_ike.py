#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Send exactly --count IKEv2 frames (UDP 500) out of a tap, for the kernel
matrix (tests/kernels/kernel-matrix.sh).

Sources cycle through --sources consecutive addresses from --src, so that a
multi-queue tap spreads the frames over the guest's RX queues (the tap picks
a queue by flow hash). Each frame's initiator SPI carries its sequence number.
Addresses from 198.18.0.0/15 only.
"""
import argparse
import ipaddress
import struct
import sys

from scapy.all import IP, UDP, Dot1Q, Ether, Raw, get_if_hwaddr, sendp


def ike_sa_init(seq):
    """An IKEv2 header (RFC 7296) with no payload: IKE_SA_INIT, initiator."""
    return struct.pack("!QQBBBBII", 0x564d0000 + seq, 0, 0, 0x20, 34, 0x08, 0, 28)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--dst", required=True, help="destination IPv4 address")
    ap.add_argument("--src", required=True, help="first source IPv4 address")
    ap.add_argument("--sources", type=int, default=1, help="distinct source addresses")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--gap", type=float, default=0.01, help="seconds between frames")
    ap.add_argument("--vlan", type=int, default=0, help="802.1Q tag (0: untagged)")
    a = ap.parse_args()

    for net in (a.dst, a.src):
        if ipaddress.ip_address(net) not in ipaddress.ip_network("198.18.0.0/15"):
            sys.exit("send_ike: %s is outside 198.18.0.0/15" % net)
    first = ipaddress.ip_address(a.src)
    src_mac = get_if_hwaddr(a.iface)
    eth = Ether(src=src_mac, dst=a.dst_mac)
    if a.vlan:
        eth = eth / Dot1Q(vlan=a.vlan)
    frames = [eth
              / IP(src=str(first + i % a.sources), dst=a.dst)
              / UDP(sport=500, dport=500) / Raw(ike_sa_init(i))
              for i in range(a.count)]
    sendp(frames, iface=a.iface, inter=a.gap, verbose=False)
    print("sent %d frames on %s to %s from %d source%s" %
          (len(frames), a.iface, a.dst_mac, a.sources, "" if a.sources == 1 else "s"))


if __name__ == "__main__":
    main()

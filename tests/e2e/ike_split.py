#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""An IKEv2 client split across two gateways, for report_failures.sh.

usage: ike_split.py CLIENT GW_INIT GW_AUTH

Sends a real IKE_SA_INIT request (aes128-sha256-modp2048, a KE, a nonce
and NAT detection notifies that say "behind a NAT") from CLIENT:500 to GW_INIT:500 and reads the responder's SPI from
its answer; then sends IKE_AUTH-looking requests (non-ESP marker, the same
SPI pair, an SK payload of random bytes) from CLIENT:4500 to GW_AUTH:4500,
three times as retransmissions would: what a load balancer that spreads
UDP 500 and UDP 4500 to different gateways does to a client. Prints the
SPIs. Exit 1 if GW_INIT does not answer.
"""
import os
import socket
import struct
import sys
import time

SA, KE, NONCE, NOTIFY, SK = 33, 34, 40, 41, 46
NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP = 16388, 16389
IKE_SA_INIT, IKE_AUTH = 34, 35


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    length = 8 + len(attrs)
    return struct.pack("!BBHBBH", 0 if last else 3, 0, length, ttype, 0, tid) + attrs


def sa_body():
    trans = (transform(False, 1, 12, struct.pack("!HH", 0x800E, 128))  # ENCR aes-cbc 128
             + transform(False, 2, 5)                                   # PRF hmac-sha256
             + transform(False, 3, 12)                                  # INTEG sha256-128
             + transform(True, 4, 14))                                  # DH modp2048
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 4) + trans


def header(spi_i, spi_r, first, exch, flags, msgid, length):
    return spi_i + spi_r + struct.pack("!BBBBII", first, 0x20, exch, flags, msgid, length)


def ike_sa_init(spi_i):
    ke_data = b"\x7f" + os.urandom(255)  # below the modp2048 prime
    # NAT detection hashes that match no address: the client believes it
    # is behind a NAT, which is why it moves to UDP 4500 for IKE_AUTH.
    nat_d = [struct.pack("!BBH", 0, 0, t) + os.urandom(20)
             for t in (NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP)]
    body = (payload(KE, sa_body())
            + payload(NONCE, struct.pack("!HH", 14, 0) + ke_data)
            + payload(NOTIFY, os.urandom(32))
            + payload(NOTIFY, nat_d[0])
            + payload(0, nat_d[1]))
    return header(spi_i, b"\0" * 8, SA, IKE_SA_INIT, 0x08, 0, 28 + len(body)) + body


def ike_auth(spi_i, spi_r):
    body = payload(35, os.urandom(16 + 320))  # IV + encrypted IDi, AUTH, SA, TS...
    return header(spi_i, spi_r, SK, IKE_AUTH, 0x08, 1, 28 + len(body)) + body


def main():
    client, gw_init, gw_auth = sys.argv[1:4]
    spi_i = os.urandom(8)
    s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s500.bind((client, 500))
    s500.settimeout(2)
    spi_r = None
    for _ in range(3):
        s500.sendto(ike_sa_init(spi_i), (gw_init, 500))
        try:
            data, _peer = s500.recvfrom(65536)
        except socket.timeout:
            continue
        if len(data) >= 28 and data[:8] == spi_i and data[18] == IKE_SA_INIT:
            spi_r = data[8:16]
            break
    if spi_r is None:
        print("no IKE_SA_INIT response from %s" % gw_init)
        return 1
    s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4500.bind((client, 4500))
    msg = b"\0\0\0\0" + ike_auth(spi_i, spi_r)
    for _ in range(3):
        s4500.sendto(msg, (gw_auth, 4500))
        time.sleep(0.5)
    print("spi_i %s spi_r %s" % (spi_i.hex(), spi_r.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

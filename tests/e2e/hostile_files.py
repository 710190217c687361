#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Capture files made to hurt a reader (issue 17), written at test time so
nothing big is committed. Used by tests/e2e/report.sh, show.sh and
scripts/bench.sh.

  hostile_files.py bomb OUT GIB      a zstd bomb: a valid pcapng of EPBs with
                                     65000 zero bytes each, GIB GiB inflated,
                                     in about 110 KiB per GiB (the zstd CLI)
  hostile_files.py collide OUT N     a pcap of N IKE_SA_INIT requests whose
                                     initiator SPIs all collided in report's
                                     old SA table (unseeded 32-bit FNV-1a over
                                     the SPI's bytes, same low 15 bits)
  hostile_files.py spread OUT N      the same frames with random SPIs: the
                                     baseline of the collision file

Each prints one JSON line: {"frames": N, "bytes": size when inflated}.
"""
import json
import os
import random
import struct
import subprocess
import sys

FNV_BASIS, FNV_PRIME, MASK = 2166136261, 16777619, 0x7FFF


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def bomb(out, gib):
    """zstd frames decode to their concatenation: the header once, then one
    compressed chunk of EPBs again and again."""
    caplen, per_chunk = 65000, 1024
    head = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    head += block(1, struct.pack("<HHI", 1, 0, 65535))
    epb = block(6, struct.pack("<IIIII", 0, 0, 0, caplen, caplen) + bytes(caplen))
    chunk = epb * per_chunk
    chunks = max(1, round(gib * (1 << 30) / len(chunk)))
    zchunk = zstd(chunk)
    with open(out, "wb") as f:
        f.write(zstd(head))
        for _ in range(chunks):
            f.write(zchunk)
    return {"frames": chunks * per_chunk, "bytes": len(head) + chunks * len(chunk)}


def colliding_spis(n):
    """The state's low 15 bits depend only on the low 15 bits before it, so
    for any first 6 bytes, bytes 7 and 8 are picked from a table of the
    65536 pairs: byte 7 makes the low 15 bits some v below 256, byte 8 = v
    clears them (86 % of prefixes have a pair)."""
    inv = pow(FNV_PRIME, -1, MASK + 1)
    table = {}
    for b6 in range(256):
        for v in range(256):
            table.setdefault(((v * inv) & MASK) ^ b6, (b6, v))
    spis, prefix = [], 0
    while len(spis) < n:
        prefix += 1
        b = prefix.to_bytes(6, "little")
        h = FNV_BASIS
        for x in b:
            h = ((h ^ x) * FNV_PRIME) & 0xFFFFFFFF
        pair = table.get(h & MASK)
        if pair:
            spis.append(b + bytes(pair))  # the SPI's bytes in memory (little-endian) order
    return spis


def fnv_bucket(spi_bytes):
    h = FNV_BASIS
    for x in spi_bytes:
        h = ((h ^ x) * FNV_PRIME) & 0xFFFFFFFF
    return h & MASK


def ike_pcap(out, spis):
    """pcap, Ethernet / IPv4 198.18.0.2 -> 198.18.0.1 / UDP 500 / IKE_SA_INIT request."""
    eth = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00"
    t0 = 1764237600
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, raw in enumerate(spis):
            spi = int.from_bytes(raw, "little")  # report hashes the host-order value
            ike = struct.pack("!QQBBBBII", spi, 0, 33, 0x20, 34, 0x08, 0, 28)
            udp = struct.pack("!HHHH", 500, 500, 8 + len(ike), 0) + ike
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             bytes([198, 18, 0, 2]), bytes([198, 18, 0, 1])) + udp
            frame = eth + ip
            f.write(struct.pack("<IIII", t0 + i // 1000, (i % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)
    return {"frames": len(spis), "bytes": os.path.getsize(out)}


def main():
    kind, out, n = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "bomb":
        res = bomb(out, float(n))
    elif kind == "collide":
        spis = colliding_spis(int(n))
        assert len({fnv_bucket(s) for s in spis}) == 1
        res = ike_pcap(out, spis)
    elif kind == "spread":
        rnd = random.Random(17)
        res = ike_pcap(out, [rnd.getrandbits(64).to_bytes(8, "little") for _ in range(int(n))])
    else:
        sys.exit("usage: hostile_files.py bomb|collide|spread OUT N")
    print(json.dumps(res))


main()

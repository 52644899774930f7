#!/usr/bin/python3
"""Prints "<64-bit pattern in hex> <repr()>" lines for tests/flow/test_tnetstring.c,
which formats each double with tns_format_float() and wants Python's text.

The doubles (seeded, so every run checks the same ones): flow-file timestamps
(random, and rounded to 0-7 decimals as clocks give them), integers as floats,
every power of two and its neighbours (where the gap below is half the gap
above), subnormals, powers of ten and their neighbours, random bit patterns
(negative, tiny, huge, inf and nan included) and random decimal strings.
"""
import random
import struct
import sys


def bits(f):
    return struct.unpack("<Q", struct.pack("<d", f))[0]


def main():
    rnd = random.Random(20240517)
    vals = []
    for _ in range(20000):
        t = rnd.uniform(1.5e9, 1.8e9)
        vals.append(bits(t))
        vals.append(bits(round(t, rnd.randint(0, 7))))
    vals.append(bits(1670000000.123456))
    for _ in range(5000):
        vals.append(bits(float(rnd.randint(-(2**64), 2**64))))
    for e in range(2047):
        for m in (0, 1, 2, (1 << 52) - 1):
            vals.append(e << 52 | m)
            vals.append(1 << 63 | e << 52 | m)
    for _ in range(5000):
        vals.append(rnd.getrandbits(52))
    for p in range(-324, 309):
        b = bits(float("1e%d" % p))
        vals += [b, b + 1, b - 1] if b > 1 else [b, b + 1]
    for _ in range(30000):
        vals.append(rnd.getrandbits(64))
    for _ in range(10000):
        s = "%d.%de%d" % (rnd.randint(0, 99999), rnd.randint(0, 10**rnd.randint(1, 17)),
                          rnd.randint(-330, 310))
        vals.append(bits(float(s)))
    out = sys.stdout
    for v in vals:
        out.write("%016x %r\n" % (v, struct.unpack("<d", struct.pack("<Q", v))[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
gen.py - structure-aware frame generator for the differential test.

    gen.py SEED COUNT OUT [--pass-unjudgeable] [--corpus DIR:N]

Writes COUNT frames to OUT, each record: u16 length (big endian), u8
expected reason index (255: uncounted), the frame. Expected reasons come
from reference.py (never from the C classifier). Deterministic in SEED.
With --corpus DIR:N, also writes every N-th frame as a file into DIR (the
libFuzzer seed corpus).

What it builds: Ethernet with 0-3 VLAN tags of each TPID (sometimes 4-5),
IPv4 with options and every fragment shape (first, non-first, tiny, whole
datagram in a first fragment, DF, reserved bit), IPv6 with chains of 0-10
extension headers (Hop-by-Hop, Routing, Destination Options, AH and
Fragment headers, nested), UDP lengths consistent and inconsistent (0,
< 8, short, long), all 8 modes x versions x R/M bits, NTP payloads of 0-600
octets, non-NTP traffic (TCP, ICMP, other ports, ARP, ESP); then a quarter
of the frames get 1-4 random mutations (bit flips, byte writes at header
offsets, truncation, insertion, padding).
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

# Reason indices: the order of NG_REASONS in headers/ntpguard.h (an ABI).
REASONS = ["ntp_passed", "mode7_request_dropped", "mode7_request_allowed",
           "mode7_response_oversized", "mode7_response_passed", "fragment_dropped",
           "fragment_passed", "malformed", "mode7_request_ratecapped",
           "mode7_request_passed", "mode7_response_ratecapped", "mode6_request_ratecapped",
           "mode6_request_passed", "mode6_request_dropped", "mode6_request_allowed",
           "unjudgeable_dropped", "unjudgeable_passed"]

MAX_FRAME = 1600
NTP_LENS = [0, 1, 2, 7, 8, 9, 11, 12, 13, 47, 48, 68, 200, 201, 212, 440, 488, 500, 512, 600]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, *weighted):
        """pick((w, value), ...)"""
        total = sum(w for w, _ in weighted)
        x = self.r.uniform(0, total)
        for w, v in weighted:
            x -= w
            if x <= 0:
                return v
        return weighted[-1][1]

    def bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    # ---- NTP payloads ---------------------------------------------------
    def ntp(self):
        r = self.r
        n = self.pick((6, lambda: r.choice(NTP_LENS)), (4, lambda: r.randint(0, 600)))()
        if n == 0:
            return b""
        mode = self.pick((4, 7), (2, 6), (2, 3), (1, 4), (1, r.randint(0, 7)))
        vn = self.pick((3, 2), (2, 4), (3, r.randint(0, 7)))
        top = r.randint(0, 3)                     # R/M bits, or LI
        b0 = top << 6 | vn << 3 | mode
        body = bytearray(self.bytes(n - 1) if r.random() < 0.3 else bytes(n - 1))
        if len(body) >= 1:
            if mode == 6:
                body[0] = r.choice([0x02, 0x01, 0x82, 0x0C, 0x1F, r.getrandbits(8)])
            elif mode == 7 and len(body) >= 3:
                body[0] = r.choice([0, 0x80, r.getrandbits(8)])
                body[1] = r.choice([3, 2, 0])
                body[2] = r.choice([42, 20, 0, 1])
        return bytes([b0]) + bytes(body)

    # ---- UDP ----------------------------------------------------------------
    def ports(self):
        r = self.r
        eph = r.choice([40000, 50123, 1023, 123, 53, 0])
        return self.pick((5, (eph, 123)), (4, (123, eph)), (1, (123, 123)),
                         (2, (eph, r.choice([53, 80, 124, 1123, 0x7B00]))))

    def udp(self, payload):
        """UDP header (+ payload) with a length field: consistent or not."""
        r = self.r
        sport, dport = self.ports()
        true = 8 + len(payload)
        ulen = self.pick((12, true), (1, 0), (1, r.randint(1, 7)), (1, true + r.randint(1, 64)),
                         (1, max(8, true - r.randint(1, 16))), (1, 8),
                         (1, r.getrandbits(16)))
        ck = r.choice([0, 0xFFFF, r.getrandbits(16)])
        return struct.pack("!HHHH", sport, dport, ulen & 0xFFFF, ck) + payload

    # ---- L3 --------------------------------------------------------------------
    def transport(self):
        """(protocol number, bytes)"""
        r = self.r
        return self.pick(
            (20, lambda: (17, self.udp(self.ntp()))),
            (1, lambda: (6, struct.pack("!HHIIHHHH", 40000, 123, 1, 0, 0x5002, 512, 0, 0)
                         + self.ntp())),
            (1, lambda: (1, bytes([8, 0, 0, 0, 0, 1, 0, 1]) + self.bytes(r.randint(0, 40)))),
            (1, lambda: (58, bytes([128, 0, 0, 0, 0, 1, 0, 1]))),
            (1, lambda: (50, struct.pack("!II", 0x1000, 1) + self.ntp())),
            (1, lambda: (59, b"")),
            (1, lambda: (r.choice([136, 132, 4, 41, 47]), self.udp(self.ntp()))),
        )()

    def ipv4(self):
        r = self.r
        proto, l4 = self.transport()
        opts = b""
        if r.random() < 0.25:
            n = r.randint(1, 10) * 4
            opts = self.pick((3, b"\x01" * n), (1, b"\x00" * n), (1, self.bytes(n)),
                             (1, b"\x07\x07\x04" + bytes(n - 3)))
        ihl = (20 + len(opts)) // 4
        ihl = self.pick((20, ihl), (1, r.randint(0, 15)))
        frag_kind = self.pick((10, "whole"), (2, "first"), (1, "first_cut"),
                              (2, "nonfirst"), (1, "df"), (1, "evil"))
        ff, ident = 0, r.getrandbits(16)
        if frag_kind == "first":
            ff = 0x2000
        elif frag_kind == "first_cut":
            ff = 0x2000
            l4 = l4[:self.pick((2, r.randint(0, 8)), (3, r.randint(8, 24)),
                               (1, r.randint(0, len(l4))))]
        elif frag_kind == "nonfirst":
            ff = r.randint(1, 0x1FFF) | r.choice([0, 0x2000])
        elif frag_kind == "df":
            ff = 0x4000
        elif frag_kind == "evil":
            ff = 0x8000
        total = 20 + len(opts) + len(l4)
        total = self.pick((20, total), (1, total + r.randint(1, 30)),
                          (1, max(0, total - r.randint(1, 30))), (1, r.getrandbits(16)))
        version = self.pick((30, 4), (1, r.randint(0, 15)))
        hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, total & 0xFFFF, ident, ff,
                          64, proto, 0, bytes([192, 0, 2, 10]), bytes([192, 0, 2, 123]))
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return 0x0800, hdr + opts + l4

    def ext(self, nh_next):
        """One IPv6 extension header and its type."""
        r = self.r
        kind = self.pick((4, 60), (2, 0), (2, 43), (2, 44), (1, 51))
        if kind == 44:
            off = self.pick((3, 0), (1, r.randint(1, 0x1FFF)))
            m = r.randint(0, 1)
            return kind, struct.pack("!BBHI", nh_next, 0, off << 3 | m, r.getrandbits(32))
        if kind == 51:
            words = self.pick((3, 1), (2, 4), (1, r.randint(0, 6)))   # (len + 2) x 4
            size = (words + 2) * 4
            return kind, bytes([nh_next, words]) + bytes(2) + self.bytes(size - 4)
        units = self.pick((6, 0), (2, 1), (1, r.randint(2, 4)))
        size = (units + 1) * 8
        body = bytes([1, size - 4]) + bytes(size - 4) if r.random() < 0.7 else self.bytes(size - 2)
        if kind == 43:
            body = bytes([r.choice([0, 2, 3, 4]), r.randint(0, 1)]) + body[2:]
        return kind, bytes([nh_next, units]) + body

    def ipv6(self):
        r = self.r
        proto, l4 = self.transport()
        n = self.pick((6, 0), (4, r.randint(1, 3)), (2, r.randint(4, 8)), (2, r.randint(9, 10)))
        chain, nh = b"", proto
        for _ in range(n):
            nh, h = self.ext(nh)
            chain = h + chain
        payload = chain + l4
        if r.random() < 0.1:                       # a first fragment cut short
            payload = payload[:r.randint(0, len(payload))]
        plen = self.pick((20, len(payload)), (1, 0), (1, len(payload) + r.randint(1, 30)),
                         (1, max(0, len(payload) - r.randint(1, 30))))
        version = self.pick((30, 6), (1, r.randint(0, 15)))
        hdr = struct.pack("!IHBB16s16s", version << 28, plen, nh, 64,
                          bytes.fromhex("20010db8000000000000000000000010"),
                          bytes.fromhex("20010db8000000000000000000000123"))
        return 0x86DD, hdr + payload

    # ---- L2 and whole frames ------------------------------------------------------
    def frame(self):
        r = self.r
        etype, l3 = self.pick((6, self.ipv4), (5, self.ipv6),
                              (1, lambda: (r.choice([0x0806, 0x88CC, 0x8847, 0x0842]),
                                           self.bytes(r.randint(0, 60)))))()
        tags = self.pick((10, 0), (3, 1), (3, 2), (3, 3), (1, r.randint(4, 5)))
        l2 = b""
        tpids = [r.choice([0x8100, 0x88A8, 0x9100]) for _ in range(tags)]
        types = tpids[1:] + [etype]
        for tpid, inner in zip(tpids, types):
            l2 += struct.pack("!HH", r.getrandbits(12), inner)
        first_type = tpids[0] if tags else etype
        f = (bytes.fromhex("027b00000000" "020a00000000") + struct.pack("!H", first_type)
             + l2 + l3)
        if r.random() < 0.05:
            f += bytes(r.randint(1, 20))           # Ethernet padding
        return f

    def mutate(self, f):
        r = self.r
        f = bytearray(f)
        for _ in range(r.randint(1, 4)):
            op = r.randint(0, 4)
            if op == 0 and f:
                i = r.randrange(len(f))
                f[i] ^= 1 << r.randint(0, 7)
            elif op == 1 and f:
                i = self.pick((3, r.randrange(min(len(f), 80))), (1, r.randrange(len(f))))
                f[i] = r.choice([0, 0xFF, 0x11, 0x2C, 0x3C, 0x7B, 0x17, 0x97, 0x86, 0x81,
                                 r.getrandbits(8)])
            elif op == 2 and len(f) > 14:
                del f[r.randint(14, len(f)):]
            elif op == 3:
                i = r.randint(0, len(f))
                f[i:i] = self.bytes(r.choice([1, 2, 4, 8]))
            elif op == 4:
                f += bytes(r.randint(1, 16))
        return bytes(f)

    def next(self):
        while True:
            f = self.frame()
            if self.r.random() < 0.25:
                f = self.mutate(f)
            if 14 <= len(f) <= MAX_FRAME:       # BPF_PROG_TEST_RUN needs >= 14
                return f


def main():
    args = sys.argv[1:]
    pass_unj = "--pass-unjudgeable" in args
    corpus = None
    if "--corpus" in args:
        i = args.index("--corpus")
        d, every = args[i + 1].rsplit(":", 1)
        corpus = (d, int(every))
        del args[i:i + 2]
    args = [a for a in args if a != "--pass-unjudgeable"]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    seed, count, out = int(args[0]), int(args[1]), args[2]
    g = Gen(seed)
    seen = {}
    if corpus:
        os.makedirs(corpus[0], exist_ok=True)
    with open(out, "wb") as fo:
        for k in range(count):
            f = g.next()
            reason = reference.verdict(f, pass_unjudgeable=pass_unj)
            seen[reason] = seen.get(reason, 0) + 1
            idx = 255 if reason is None else REASONS.index(reason)
            fo.write(struct.pack("!HB", len(f), idx) + f)
            if corpus and k % corpus[1] == 0:
                with open(os.path.join(corpus[0], "gen-%d-%06d" % (seed, k)), "wb") as c:
                    c.write(f)
    for reason, n in sorted(seen.items(), key=lambda kv: str(kv[0])):
        print("%s %d" % (reason or "none", n))
    return 0


if __name__ == "__main__":
    sys.exit(main())

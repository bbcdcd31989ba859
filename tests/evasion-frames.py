#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
evasion-frames.py - the frames of tests/evasion.sh, one list per evasion
class, each carrying a 48-octet monlist request (V1 of the protocol note)
to UDP port 123 in a shape that a parser might get wrong.

  evasion-frames.py list
      one line per class: NAME KERNEL_DELIVERS DESCRIPTION
      KERNEL_DELIVERS is "yes" when Linux hands the monlist request to the
      server socket without ntpguard, "no" when the kernel drops the frames
      itself (the suite checks both), "mode3" when what reaches the socket
      is a mode 3 packet and never mode 7 (duplicate fragments: first wins)
  evasion-frames.py send IFACE DST_MAC BASE_PORT [NAME...]
      send every class (or the named ones) out of IFACE; class number i
      (0-based, in list order) uses UDP source port BASE_PORT + i, so the
      server's log says which class got through
  evasion-frames.py serve IFACE DST_MAC BASE_PORT
      the same, one class per line read from stdin; answers "sent NAME"
      (or "unknown NAME") on stdout after each

Addresses: client 192.0.2.66 / 2001:db8::66, server 192.0.2.123 /
2001:db8::123, and 198.51.100.12N on the server's VLAN device N tags deep
(tests/evasion.sh sets them up). Checksums are right for the datagram as the
kernel would deliver it, so only the shape is under test.
"""
import struct
import sys
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (Dot1AD, Dot1Q, Ether, IP, IPv6, Raw, get_if_hwaddr,  # noqa: E402
                       raw, sendp)
from scapy.layers.inet6 import in6_chksum  # noqa: E402
from scapy.utils import checksum  # noqa: E402

CLI4, SRV4 = "192.0.2.66", "192.0.2.123"
VLAN_CLI4 = "198.51.100.66"


def vlan_srv4(depth):
    """The server's address on its VLAN device `depth` tags deep."""
    return "198.51.100.%d" % (120 + depth)

CLI6, SRV6 = "2001:db8::66", "2001:db8::123"
MONLIST = bytes.fromhex("1700032a") + bytes(44)          # V1, 48 octets
MODE3 = bytes.fromhex("230006e0") + bytes(36) + bytes.fromhex("e9a1b2c312345678")  # V20
assert len(MONLIST) == 48 and len(MODE3) == 48
JUNK8 = bytes(range(0xa0, 0xa8))

UDP, HOP, DST, FRAG = 17, 0, 60, 44


# ---- UDP datagrams with the checksum of what is delivered -----------------
def udp4(src, dst, sport, payload, ulen=None):
    """UDP header + payload; checksum over the datagram as delivered (ulen)."""
    ulen = 8 + len(payload) if ulen is None else ulen
    body = payload[:max(ulen - 8, 0)]
    pseudo = (bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
              + struct.pack("!BBH", 0, UDP, 8 + len(body)))
    ck = checksum(pseudo + struct.pack("!HHHH", sport, 123, ulen, 0) + body) or 0xffff
    return struct.pack("!HHHH", sport, 123, ulen, ck) + payload


def udp6(src, dst, sport, payload, ulen=None, ck=None):
    ulen = 8 + len(payload) if ulen is None else ulen
    body = payload[:ulen - 8] if ulen else payload     # ulen 0: the IP payload decides
    seg = struct.pack("!HHHH", sport, 123, ulen, 0) + body
    if ck is None:
        ck = in6_chksum(UDP, IPv6(src=src, dst=dst), seg) or 0xffff
    return struct.pack("!HHHH", sport, 123, ulen, ck) + payload


def dstopt(nh):
    """An 8-octet Destination Options header (PadN)."""
    return bytes([nh, 0, 1, 4, 0, 0, 0, 0])


def fraghdr(nh, offset, m, ident):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | m, ident)


# ---- frames -------------------------------------------------------------------
class Env:
    def __init__(self, smac, dmac):
        self.smac, self.dmac = smac, dmac

    def eth(self):
        return Ether(src=self.smac, dst=self.dmac)

    def v4(self, l4, src=CLI4, dst=SRV4, l2=None, **kw):
        return raw((l2 if l2 is not None else self.eth())
                   / IP(src=src, dst=dst, proto=UDP, **kw) / Raw(l4))

    def v6(self, chain, nh, **kw):
        return raw(self.eth() / IPv6(src=CLI6, dst=SRV6, nh=nh, **kw) / Raw(chain))


def classes(e, port_of):
    """(name, kernel_delivers, reasons, description, [frames]) in a fixed
    order; reasons: what ntpguard counts for the frames, in order, with the
    default policy."""
    out = []

    def add(name, delivers, reasons, desc, frames):
        out.append((name, delivers, reasons, desc, frames))

    def p():
        return port_of(len(out))

    sp = p()
    add("v4_plain", "yes", "mode7_request_dropped", "control: a whole IPv4 monlist request",
        [e.v4(udp4(CLI4, SRV4, sp, MONLIST))])
    sp = p()
    add("v6_plain", "yes", "mode7_request_dropped", "control: a whole IPv6 monlist request",
        [e.v6(udp6(CLI6, SRV6, sp, MONLIST), UDP)])

    # Issue 11, finding 1: a first fragment holding the whole datagram, and
    # a junk trailing fragment; reassembled, trimmed to the UDP length.
    sp = p()
    u = udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_first_frag_whole_udp", "yes", "mode7_request_dropped,fragment_passed",
        "IPv4 MF=1 offset 0 holding all 56 UDP octets + 8 junk octets at offset 7",
        [e.v4(u, flags="MF", frag=0, id=0x1101), e.v4(JUNK8, frag=7, id=0x1101)])
    sp = p()
    u = udp6(CLI6, SRV6, sp, MONLIST)
    add("v6_first_frag_whole_udp", "yes", "mode7_request_dropped,fragment_passed",
        "IPv6 Fragment M=1 offset 0 holding all 56 UDP octets + 8 junk at offset 7",
        [e.v6(fraghdr(UDP, 0, 1, 0x6601) + u, FRAG),
         e.v6(fraghdr(UDP, 7, 0, 0x6601) + JUNK8, FRAG)])

    # Finding 2: chains longer than the old parser walked.
    for n in (7, 10):
        sp = p()
        chain = b"".join(dstopt(DST) for _ in range(n - 1)) + dstopt(UDP)
        add("v6_%d_dstopts" % n, "yes",
            "mode7_request_dropped" if n <= 8 else "unjudgeable_dropped",
            "IPv6, %d Destination Options headers" % n,
            [e.v6(chain + udp6(CLI6, SRV6, sp, MONLIST), DST)])

    # UDP length 0 on IPv6: Linux takes the IP payload length ("jumbo").
    sp = p()
    add("v6_udp_len0", "yes", "mode7_request_dropped", "IPv6 UDP length field 0",
        [e.v6(udp6(CLI6, SRV6, sp, MONLIST, ulen=0), UDP)])

    # Tiny first fragments: the NTP header arrives in the second fragment.
    sp = p()
    u = udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_first_frag_udp_header_only", "yes", "fragment_dropped,fragment_passed",
        "IPv4 first fragment of the 8-octet UDP header, the NTP octets at offset 1",
        [e.v4(u[:8], flags="MF", frag=0, id=0x1102), e.v4(u[8:], frag=1, id=0x1102)])
    sp = p()
    u = udp6(CLI6, SRV6, sp, MONLIST)
    add("v6_first_frag_udp_header_only", "yes", "fragment_dropped,fragment_passed",
        "IPv6 first fragment of the 8-octet UDP header, the NTP octets at offset 1",
        [e.v6(fraghdr(UDP, 0, 1, 0x6605) + u[:8], FRAG),
         e.v6(fraghdr(UDP, 1, 0, 0x6605) + u[8:], FRAG)])
    sp = p()
    u = udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_first_frag_8_ntp_octets", "yes", "mode7_request_dropped,fragment_passed",
        "IPv4 first fragment of 16 UDP octets (8 NTP), the rest at offset 2",
        [e.v4(u[:16], flags="MF", frag=0, id=0x1107), e.v4(u[16:], frag=2, id=0x1107)])
    sp = p()
    u = udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_first_frag_4_udp_octets", "no", "unjudgeable_dropped,fragment_passed",
        "IPv4 first fragment of 4 UDP octets (the ports), rest at offset 1",
        [e.v4(u[:4], flags="MF", frag=0, id=0x1103), e.v4(u[8:], frag=1, id=0x1103)])
    sp = p()
    u = udp6(CLI6, SRV6, sp, MONLIST)
    add("v6_first_frag_chain_cut", "no", "unjudgeable_dropped,fragment_passed",
        "IPv6 first fragment ending after a Destination Options header: UDP in the second",
        [e.v6(fraghdr(DST, 0, 1, 0x6602) + dstopt(UDP), FRAG),
         e.v6(fraghdr(DST, 1, 0, 0x6602) + u, FRAG)])

    # Overlaps: the kernel discards the whole queue (RFC 5722), either order.
    sp = p()
    u3, u7 = udp4(CLI4, SRV4, sp, MODE3), udp4(CLI4, SRV4, sp, MONLIST)
    first = e.v4(u3[:24], flags="MF", frag=0, id=0x1104)
    over = e.v4(u7[8:], frag=1, id=0x1104)
    add("v4_overlap_rewrites_ntp_header", "no", "ntp_passed,fragment_passed",
        "IPv4 first fragment with mode 3, then offset 1 rewriting it as monlist",
        [first, over])
    sp = p()
    u3, u7 = udp4(CLI4, SRV4, sp, MODE3), udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_overlap_first_arrives_last", "no", "fragment_passed,ntp_passed",
        "the same, overlapping fragment first",
        [e.v4(u7[8:], frag=1, id=0x1105), e.v4(u3[:24], flags="MF", frag=0, id=0x1105)])
    sp = p()
    u3, u7 = udp6(CLI6, SRV6, sp, MODE3), udp6(CLI6, SRV6, sp, MONLIST)
    add("v6_overlap_rewrites_ntp_header", "no", "ntp_passed,fragment_passed",
        "IPv6: first fragment with mode 3, then offset 1 rewriting it as monlist",
        [e.v6(fraghdr(UDP, 0, 1, 0x6603) + u3[:24], FRAG),
         e.v6(fraghdr(UDP, 1, 0, 0x6603) + u7[8:], FRAG)])
    # Duplicates inside a run are ignored: the first fragment's bytes win.
    sp = p()
    u3, u7 = udp4(CLI4, SRV4, sp, MODE3), udp4(CLI4, SRV4, sp, MONLIST)
    add("v4_duplicate_inside_first", "mode3", "ntp_passed,fragment_passed,fragment_passed",
        "IPv4 first fragment mode 3 (40 octets), a duplicate of octets 8-15 as monlist, tail",
        [e.v4(u3[:40], flags="MF", frag=0, id=0x1106),
         e.v4(u7[8:16], flags="MF", frag=1, id=0x1106),
         e.v4(u3[40:], frag=5, id=0x1106)])

    # Atomic fragments and flags that do not fragment.
    sp = p()
    add("v6_atomic_fragment", "yes", "mode7_request_dropped", "IPv6 Fragment header offset 0 M=0",
        [e.v6(fraghdr(UDP, 0, 0, 0x6604) + udp6(CLI6, SRV6, sp, MONLIST), FRAG)])
    sp = p()
    add("v4_df", "yes", "mode7_request_dropped", "IPv4 DF set",
        [e.v4(udp4(CLI4, SRV4, sp, MONLIST), flags="DF")])

    # IPv4 options: NOPs up to IHL 15.
    sp = p()
    add("v4_options_ihl15", "yes", "mode7_request_dropped", "IPv4 with 40 octets of NOP options",
        [e.v4(udp4(CLI4, SRV4, sp, MONLIST), options=[Raw(b"\x01" * 40)])])

    # UDP length vs IP length.
    sp = p()
    add("v4_udp_len_shorter", "yes", "mode7_request_dropped", "IPv4 UDP length 56 in a 64-octet IP payload",
        [e.v4(udp4(CLI4, SRV4, sp, MONLIST + JUNK8, ulen=56))])
    sp = p()
    add("v4_udp_len_longer", "no", "malformed", "IPv4 UDP length 57 in a 56-octet IP payload",
        [e.v4(udp4(CLI4, SRV4, sp, MONLIST, ulen=57))])
    sp = p()
    add("v6_udp_len_shorter", "yes", "mode7_request_dropped", "IPv6 UDP length 56 in a 64-octet payload",
        [e.v6(udp6(CLI6, SRV6, sp, MONLIST + JUNK8, ulen=56), UDP)])

    # Zero UDP checksum: IPv6 sockets refuse it unless UDP_NO_CHECK6_RX.
    sp = p()
    add("v6_zero_checksum", "no", "mode7_request_dropped", "IPv6 UDP checksum 0",
        [e.v6(udp6(CLI6, SRV6, sp, MONLIST, ck=0), UDP)])
    sp = p()
    add("v4_zero_checksum", "yes", "mode7_request_dropped", "IPv4 UDP checksum 0 (none)",
        [e.v4(struct.pack("!HHHH", sp, 123, 56, 0) + MONLIST)])

    # IPv6 payload length 0 behind Hop-by-Hop (a jumbogram without, or with
    # an invalid, Jumbo Payload option).
    sp = p()
    hbh_pad = bytes([UDP, 0, 1, 4, 0, 0, 0, 0])
    add("v6_plen0_hbh_no_jumbo_option", "yes", "mode7_request_dropped", "IPv6 payload length 0, Hop-by-Hop (PadN)",
        [e.v6(hbh_pad + udp6(CLI6, SRV6, sp, MONLIST), HOP, plen=0)])
    sp = p()
    hbh_jumbo = bytes([UDP, 0, 0xc2, 4]) + struct.pack("!I", 8 + 8 + 48)
    add("v6_plen0_jumbo_option", "no", "mode7_request_dropped", "IPv6 payload length 0, Jumbo Payload option 64",
        [e.v6(hbh_jumbo + udp6(CLI6, SRV6, sp, MONLIST), HOP, plen=0)])

    # VLAN stacks: the server has 4 stacked VLAN devices (88a8/8100/8100/8100).
    for depth in (2, 4):
        sp = p()
        l2 = e.eth() / Dot1AD(vlan=10)
        for i in range(1, depth):
            l2 = l2 / Dot1Q(vlan=10 + 10 * i)
        add("vlan_%d_tags" % depth, "yes",
            "mode7_request_dropped" if depth <= 3 else "unjudgeable_dropped",
            "%d VLAN tags to an address on the server's VLAN device of that depth" % depth,
            [e.v4(udp4(VLAN_CLI4, vlan_srv4(depth), sp, MONLIST), src=VLAN_CLI4,
                  dst=vlan_srv4(depth), l2=l2)])
    return out


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list":
        for name, delivers, reasons, desc, _ in classes(
                Env("02:00:00:00:00:01", "02:00:00:00:00:02"), lambda i: 40000 + i):
            print(name, delivers, reasons, desc)
        return 0
    if len(sys.argv) >= 5 and sys.argv[1] in ("send", "serve"):
        iface, dmac, base, names = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
        smac = get_if_hwaddr(iface)     # an ioctl: right in any netns
        todo = {c[0]: c for c in classes(Env(smac, dmac), lambda i: base + i)}

        def send(name):
            for f in todo[name][4]:
                sendp(Ether(f), iface=iface, verbose=False)
                time.sleep(0.002)

        if sys.argv[1] == "send":
            for name in names or list(todo):
                send(name)
            return 0
        for line in sys.stdin:
            name = line.strip()
            if name in todo:
                send(name)
            print(("sent " if name in todo else "unknown ") + name, flush=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

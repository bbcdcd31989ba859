# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""
reference.py - ntpguard's verdict rules, written a second time.

This is the differential test's oracle. It is written from the README's
"Verdicts" section (the rules R1-R6 quoted below), on raw bytes, without
looking at headers/ntp_classify.h and without scapy's dissectors (which
are lenient). tests/diff/run.sh holds the loaded BPF program to it, frame
by frame, in verdict and in reason.

    verdict(frame, pass_unjudgeable=False, m7_max=200) -> reason or None

None: not counted (passes). The allow-lists are empty; mode 6 requests are
within budget (the differential run gives the rate caps an unreachable
budget), so a policed mode 6 request is mode6_request_passed.
"""

TPIDS = (0x8100, 0x88A8, 0x9100)
MAX_TAGS = 3
MAX_EXT = 8
EXT_TYPES = (0, 43, 44, 51, 60)      # HBH, Routing, Fragment, AH, DstOpts
UDP = 17
NTP_PORT = 123
CHAIN_LIMIT = 0x3FFC

DROPS = {"mode7_request_dropped", "mode7_response_oversized", "fragment_dropped",
         "unjudgeable_dropped", "mode7_request_ratecapped", "mode7_response_ratecapped",
         "mode6_request_ratecapped", "mode6_request_dropped"}


class Outcome(Exception):
    """Raised with the class the frame ends in."""

    def __init__(self, what):
        super().__init__(what)
        self.what = what


def u16(b, i):
    return b[i] << 8 | b[i + 1]


def classify(frame):
    """The class: 'other', 'malformed', 'unjudgeable', 'frag_nonfirst',
    'frag_tiny', 'ntp', 'm7_request', 'm7_response:<sport>:<len>',
    'm6_request'."""
    try:
        ethernet(frame)
    except Outcome as o:
        return o.what
    raise AssertionError("no outcome")


# R1. Ethernet and VLAN tags.
def ethernet(f):
    if len(f) < 14:
        raise Outcome("malformed")
    etype, pos, tags = u16(f, 12), 14, 0
    while etype in TPIDS:
        if tags == MAX_TAGS:
            raise Outcome("unjudgeable")        # a deeper stack
        if len(f) < pos + 4:
            raise Outcome("malformed")
        etype = u16(f, pos + 2)
        pos += 4
        tags += 1
    if etype == 0x0800:
        ipv4(f[pos:])
    if etype == 0x86DD:
        ipv6(f[pos:])
    raise Outcome("other")


# R2. IPv4.
def ipv4(b):
    if len(b) < 20:
        raise Outcome("malformed")
    if b[9] != UDP:
        raise Outcome("other")
    hl = (b[0] & 15) * 4
    total = u16(b, 2)
    if b[0] >> 4 != 4 or hl < 20 or total < hl or total > len(b):
        raise Outcome("malformed")
    flags_off = u16(b, 6)
    if flags_off & 0x1FFF:
        raise Outcome("frag_nonfirst")
    first = bool(flags_off & 0x2000)
    udp(b[hl:total], first=first, v6=False, jumbo=False)


# R3. IPv6 and its extension headers.
def ipv6(b):
    if len(b) < 40:
        raise Outcome("malformed")
    nxt = b[6]
    if nxt != UDP and nxt not in EXT_TYPES:
        raise Outcome("other")
    if b[0] >> 4 != 6:
        raise Outcome("malformed")
    plen = u16(b, 4)
    jumbo = plen == 0 and nxt == 0
    if jumbo:
        payload = b[40:40 + 0xFFFF]
    elif plen > len(b) - 40:
        raise Outcome("malformed")
    else:
        payload = b[40:40 + plen]
    # Offsets below are from the start of the IPv6 header.
    at, first, walked = 40, False, 0
    end = 40 + len(payload)

    def cut():
        return "unjudgeable" if first else "malformed"

    while nxt in EXT_TYPES:
        if walked == MAX_EXT:
            raise Outcome("unjudgeable")        # a longer chain
        if at + 8 > end:
            raise Outcome(cut())
        if at > CHAIN_LIMIT:
            raise Outcome("unjudgeable")
        h = b[at:at + 8]
        if nxt == 44:
            frag = u16(h, 2)
            if frag >> 3:
                raise Outcome("frag_nonfirst" if h[0] == UDP or h[0] in EXT_TYPES
                              else "other")
            if frag & 1:
                first = True
            size = 8
        elif nxt == 51:
            size = (h[1] + 2) * 4
        else:
            size = (h[1] + 1) * 8
        if at + size > end:
            raise Outcome(cut())
        nxt = h[0]
        at += size
        walked += 1
    if nxt != UDP:
        raise Outcome("other")
    if at > CHAIN_LIMIT:
        raise Outcome("unjudgeable")
    udp(b[at:end], first=first, v6=True, jumbo=jumbo)


# R4-R6. UDP and NTP. `seg` is the rest of the IP payload (or of the first
# fragment), from the UDP header on.
def udp(seg, first, v6, jumbo):
    if len(seg) < 8:
        raise Outcome("unjudgeable" if first else "malformed")
    sport, dport, ulen = u16(seg, 0), u16(seg, 2), u16(seg, 4)
    if NTP_PORT not in (sport, dport):
        raise Outcome("other")
    if v6 and ulen == 0:
        if first or jumbo:
            raise Outcome("unjudgeable")
        ulen = len(seg)
    if ulen < 8:
        raise Outcome("malformed")
    if ulen > len(seg):
        if not first:
            raise Outcome("malformed")
        if len(seg) - 8 < 8:
            raise Outcome("frag_tiny")
    n = ulen - 8
    if n == 0:
        raise Outcome("malformed")
    ntp = seg[8:]
    mode = ntp[0] & 7
    if mode == 6:
        if dport == NTP_PORT and n >= 12 and not ntp[1] & 0x80:
            raise Outcome("m6_request")
        raise Outcome("ntp")
    if mode != 7:
        raise Outcome("ntp")
    if n < 8:
        raise Outcome("malformed")
    if ntp[0] & 0x80:
        raise Outcome("m7_response:%d:%d" % (sport, n))
    raise Outcome("m7_request" if dport == NTP_PORT else "ntp")


def verdict(frame, pass_unjudgeable=False, m7_max=200):
    """The counted reason (None: uncounted) under the default policy."""
    c = classify(frame)
    if c.startswith("m7_response:"):
        _, sport, n = c.split(":")
        if int(sport) == NTP_PORT and int(n) > m7_max:
            return "mode7_response_oversized"
        return "mode7_response_passed"
    return {
        "other": None,
        "malformed": "malformed",
        "frag_nonfirst": "fragment_passed",
        "frag_tiny": "fragment_dropped",
        "ntp": "ntp_passed",
        "m7_request": "mode7_request_dropped",
        "m6_request": "mode6_request_passed",
        "unjudgeable": "unjudgeable_passed" if pass_unjudgeable else "unjudgeable_dropped",
    }[c]

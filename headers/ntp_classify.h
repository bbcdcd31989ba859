/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ntp_classify.h - parse a frame and classify its NTP content.
 *
 * Pure functions, no map access, no helpers: this header compiles both for
 * the BPF target (bpf/ntpguard.bpf.c) and as plain userspace C (unit tests,
 * the fuzzer, `ntpguard check`). All packet reads go through explicit
 * bounds checks against `end`, which is what the verifier wants and what
 * keeps the userspace build memory-safe on hostile input.
 *
 * The rules are the README's "Verdicts" section; tests/diff/reference.py
 * implements them a second time, independently, and the differential test
 * holds the two to the same verdict and reason on every frame.
 *
 * Parsing:
 *   Ethernet, up to NG_VLAN_MAX tags (802.1Q 0x8100, 802.1ad 0x88a8, 0x9100);
 *   IPv4 honouring IHL; IPv6 walking Hop-by-Hop, Routing, Destination
 *   Options, AH and Fragment headers, at most NG_V6_EXT_MAX of them; UDP.
 *
 * What it cannot judge but the kernel could still deliver to an NTP server
 * (a deeper VLAN stack or extension chain, a first fragment whose headers
 * end beyond it, a UDP length the reassembled datagram decides) is
 * NG_CLS_UNJUDGEABLE: dropped unless the policy says pass_unjudgeable=on.
 *
 * Verifier notes (Debian 12's 6.1 must accept this): offsets added to packet
 * pointers are 16-bit values or small constants, loops are bounded and
 * unrolled, and every read is preceded by a comparison with `end`.
 */
#ifndef NTP_CLASSIFY_H
#define NTP_CLASSIFY_H

#include <linux/types.h>
#include "ntpguard.h"
#include "ntp_wire.h"
#include "ng_consts.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* What the parser found. Only NG_CLS_OTHER is left uncounted. */
enum ng_class {
	NG_CLS_OTHER = 0,      /* not UDP to/from port 123 */
	NG_CLS_MALFORMED,      /* headers the kernel refuses, or an NTP payload
				  too short for ntpd to act on */
	NG_CLS_FRAG_NONFIRST,  /* UDP non-first fragment: no ports to judge */
	NG_CLS_FRAG_TINY,      /* first fragment, port 123, < 8 NTP octets */
	NG_CLS_NTP,            /* NTP that is not a mode 7 request/response */
	NG_CLS_M7_REQUEST,     /* mode 7, R=0, to port 123, >= 8 octets */
	NG_CLS_M7_RESPONSE,    /* mode 7, R=1, >= 8 octets */
	NG_CLS_M6_REQUEST,     /* mode 6, R=0, to port 123, >= 12 octets */
	NG_CLS_UNJUDGEABLE,    /* could reach an NTP server, cannot be judged */
};

struct ng_pkt {
	__u8 cls;        /* enum ng_class */
	__u8 family;     /* 4, 6, or 0 when no IP header was reached */
	__u8 first_frag; /* 1: first fragment of a fragmented datagram */
	__u8 ntp_byte0;  /* first NTP octet, when present */
	__u16 sport;     /* host order */
	__u16 dport;
	__u32 ntp_len;   /* NTP payload length the socket would get */
	__u8 jumbo;      /* IPv6 payload length 0 behind Hop-by-Hop */
	__u8 short_view; /* unjudgeable only because the frame's headers lie
			    beyond `end` (TC: more can be pulled) */
	const __u8 *l3;  /* the IP header, once family is set */
#ifndef __bpf__
	/* Userspace convenience copies (the BPF program reads the addresses
	 * through l3 only when it needs them): set for NG_CLS_FRAG_TINY,
	 * NG_CLS_NTP and the mode 7 classes; IPv4 in the first 4 octets. */
	__u8 saddr[16];
	__u8 daddr[16];
#endif
};

static __always_inline __u16 ng_be16(const __u8 *p)
{
	return (__u16)((__u16)p[0] << 8 | p[1]);
}

/*
 * Verifier idioms (kernels 5.4 .. 6.1 and later; tested on Debian's 6.1 and
 * 6.12 and the development kernel: tests/kernel-matrix.sh).
 *
 * A packet field that is added to a packet pointer must reach the verifier
 * with known bounds. Verifiers before 6.10 (Debian 12's 6.1, Ubuntu 22.04's
 * 5.15, RHEL 9's 5.14) track bounds through ALU ops with a register source
 * only for ADD, SUB and AND; OR, XOR, shifts and MUL by a register turn the
 * result into an unbounded scalar. So:
 *
 *   rejected:  ip + 40 + ng_be16(ip + 4)  (the IPv6 payload's end; 6.1
 *              refused exactly this). clang emits r5 = p[0] << 8; r5 |= p[1]
 *              and the OR loses
 *              the range ("math between pkt pointer and register with
 *              unbounded min value is not allowed"). Writing `+` instead of
 *              `|` does not help (clang turns a disjoint add into an or), nor
 *              does `& 0xffff` (clang knows the value fits and drops it), nor
 *              a 16-bit load with bpf_ntohs() (older verifiers make the
 *              register unknown after a byte swap).
 *   used:      ng_len16(): hide the value from clang with an empty asm, then
 *              mask it. The AND with a constant survives compilation and
 *              gives the verifier 0..0xffff on every kernel.
 *
 * Other rules this file follows for old verifiers: loops have constant trip
 * counts and are unrolled (#pragma unroll; no reliance on 5.3's bounded
 * loops); every read is bounds-checked against `end` itself, never only
 * against a derived limit; an offset added to a packet pointer is masked
 * with a constant first (ng_len16(), off & NG_V6_CHAIN_MASK), so the
 * verifier knows it stays below its 64 KiB packet-offset limit.
 */
static __always_inline __u32 ng_len16(const __u8 *p)
{
	__u32 v = ng_be16(p);

#ifdef __bpf__
	asm volatile("" : "+r"(v));
#endif
	return v & 0xffff;
}

static __always_inline void ng_copy_addrs(struct ng_pkt *pkt)
{
#ifndef __bpf__
	int v4 = pkt->family == 4;
	int off = v4 ? NG_IP4_SADDR_OFF : NG_IP6_SADDR_OFF;
	int len = v4 ? NG_IP4_ADDR_LEN : NG_IP6_ADDR_LEN;

	for (int i = 0; i < NG_IP6_ADDR_LEN; i++) {
		pkt->saddr[i] = i < len ? pkt->l3[off + i] : 0;
		pkt->daddr[i] = i < len ? pkt->l3[off + len + i] : 0;
	}
#else
	(void)pkt;
#endif
}

static __always_inline int ng_is_vlan(__u16 proto)
{
	return proto == NG_ETH_P_8021Q || proto == NG_ETH_P_8021AD ||
	       proto == NG_ETH_P_QINQ1;
}

/* IPv6 extension headers the kernel walks on the way to UDP. */
static __always_inline int ng_is_v6_ext(__u8 nh)
{
	return nh == NG_IPPROTO_HOPOPTS || nh == NG_IPPROTO_ROUTING ||
	       nh == NG_IPPROTO_DSTOPTS || nh == NG_IPPROTO_FRAGMENT ||
	       nh == NG_IPPROTO_AH;
}

/*
 * n octets at p are needed. Returns 0 if they lie before both the logical
 * end `lim` (IP payload or fragment end) and the frame end `end`, else the
 * class to return: `beyond` when the headers themselves end before p + n,
 * unjudgeable ("short view") when only the visible part of the frame does.
 */
#define NG_NEED(p, n, lim, end, beyond, pkt)                                 \
	((p) + (n) > (lim) ? (beyond) :                                      \
	 (p) + (n) > (end) ? ((pkt)->short_view = 1, NG_CLS_UNJUDGEABLE) : 0)

/*
 * Classify the UDP datagram whose header starts at `udp`.
 * `l4_end` is where this packet's IP payload ends (<= the wire's end).
 */
static __always_inline int ng_classify_udp(const __u8 *udp, const __u8 *l4_end,
					   const __u8 *end, struct ng_pkt *pkt)
{
	__u32 ulen, avail;
	const __u8 *ntp;
	int c;

	/* A first fragment whose UDP header ends beyond it: later fragments
	 * decide the ports. (The kernel discards an IPv4 one, but stacks
	 * behind a router need not.) */
	c = NG_NEED(udp, NG_UDP_HLEN, l4_end, end,
		    pkt->first_frag ? NG_CLS_UNJUDGEABLE : NG_CLS_MALFORMED, pkt);
	if (c)
		return pkt->cls = c;

	pkt->sport = ng_be16(udp + NG_UDP_SPORT_OFF);
	pkt->dport = ng_be16(udp + NG_UDP_DPORT_OFF);
	if (pkt->sport != NTP_PORT && pkt->dport != NTP_PORT)
		return pkt->cls = NG_CLS_OTHER;

	ulen = ng_be16(udp + NG_UDP_LEN_OFF);
	avail = (__u32)(l4_end - udp) & NG_IP6_PLEN_MASK;
	if (ulen == 0 && pkt->family == 6) {
		/* Linux's UDPv6 takes length 0 as "the IP payload decides"
		 * (jumbograms): unknown until reassembly, or with no payload
		 * length to go by. */
		if (pkt->first_frag || pkt->jumbo)
			return pkt->cls = NG_CLS_UNJUDGEABLE;
		ulen = avail;
	}
	if (ulen < NG_UDP_HLEN)
		return pkt->cls = NG_CLS_MALFORMED;
	if (ulen > avail) {
		if (!pkt->first_frag)
			return pkt->cls = NG_CLS_MALFORMED;    /* the kernel drops it */
		/* The datagram continues in later fragments: its first
		 * NG_NTP_JUDGED octets must be here. */
		if (avail - NG_UDP_HLEN < NG_NTP_JUDGED)
			return pkt->cls = NG_CLS_FRAG_TINY;
	}
	/* Otherwise the whole datagram is here, fragment or not: the kernel
	 * trims what follows it (ip_frag_queue and udp_rcv). */
	pkt->ntp_len = ulen - NG_UDP_HLEN;
	if (pkt->ntp_len < 1)
		return pkt->cls = NG_CLS_MALFORMED;

	/* The octets judged lie before l4_end (ntp_len >= 1 for a whole
	 * datagram, >= NG_NTP_JUDGED present for a fragment); only a partial
	 * view (TC) can miss them. */
	ntp = udp + NG_UDP_HLEN;
	if (ntp + 1 > end)
		goto short_view;
	pkt->ntp_byte0 = ntp[0];

	if (ntp_mode(ntp[0]) == NTP_MODE_CONTROL) {
		/* Shorter than 12 octets: ntpd ignores it, nothing to police. */
		if (pkt->dport != NTP_PORT || pkt->ntp_len < NTP_M6_HDR_LEN)
			return pkt->cls = NG_CLS_NTP;
		if (ntp + 2 > end)
			goto short_view;
		return pkt->cls = ntp_m6_is_response(ntp) ? NG_CLS_NTP : NG_CLS_M6_REQUEST;
	}
	if (ntp_mode(ntp[0]) != NTP_MODE_PRIVATE)
		return pkt->cls = NG_CLS_NTP;
	/* ntpd ignores mode 7 shorter than its 8-octet header. */
	if (pkt->ntp_len < NTP_M7_HDR_LEN)
		return pkt->cls = NG_CLS_MALFORMED;
	if (ntp_m7_is_response(ntp[0]))
		return pkt->cls = NG_CLS_M7_RESPONSE;
	if (pkt->dport == NTP_PORT)
		return pkt->cls = NG_CLS_M7_REQUEST;
	/* A request not addressed to port 123 reaches no NTP server. */
	return pkt->cls = NG_CLS_NTP;
short_view:
	pkt->short_view = 1;
	return pkt->cls = NG_CLS_UNJUDGEABLE;
}

/* `wire` is the frame's length from ip on (>= what is visible). */
static __always_inline int ng_classify_ipv4(const __u8 *ip, const __u8 *end,
					    __u32 wire, struct ng_pkt *pkt)
{
	__u32 ihl, tot_len;
	__u16 frag;

	if (ip + NG_IP4_HLEN > end)
		return pkt->cls = NG_CLS_MALFORMED;
	if (ip[NG_IP4_PROTO_OFF] != NG_IPPROTO_UDP)
		return pkt->cls = NG_CLS_OTHER;          /* fast path */
	pkt->family = 4;
	pkt->l3 = ip;
	ihl = (__u32)(ip[NG_IP4_VIHL_OFF] & NG_IP4_IHL_MASK) * NG_IP4_IHL_UNIT;
	tot_len = ng_len16(ip + NG_IP4_TOTLEN_OFF);   /* added to ip below */
	if ((ip[NG_IP4_VIHL_OFF] >> NG_IP_VERSION_SHIFT) != NG_IP4_VERSION ||
	    ihl < NG_IP4_HLEN || tot_len < ihl || tot_len > wire)
		return pkt->cls = NG_CLS_MALFORMED;      /* ip_rcv_core drops it */

	frag = ng_be16(ip + NG_IP4_FRAG_OFF);
	if (frag & NG_IP4_OFFSET)
		return pkt->cls = NG_CLS_FRAG_NONFIRST;
	pkt->first_frag = (frag & NG_IP4_MF) ? 1 : 0;
	if (ng_classify_udp(ip + ihl, ip + tot_len, end, pkt) != NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
}

static __always_inline int ng_classify_ipv6(const __u8 *ip, const __u8 *end,
					    __u32 wire, struct ng_pkt *pkt)
{
	const __u8 *p;
	__u32 plen, off, lim;
	__u8 nh, cut;

	if (ip + NG_IP6_HLEN > end)
		return pkt->cls = NG_CLS_MALFORMED;
	nh = ip[NG_IP6_NH_OFF];
	if (nh != NG_IPPROTO_UDP && !ng_is_v6_ext(nh))
		return pkt->cls = NG_CLS_OTHER;          /* fast path */
	pkt->family = 6;
	pkt->l3 = ip;
	if ((ip[0] >> NG_IP_VERSION_SHIFT) != NG_IP6_VERSION || wire < NG_IP6_HLEN)
		return pkt->cls = NG_CLS_MALFORMED;
	plen = ng_len16(ip + NG_IP6_PLEN_OFF);   /* ip + lim below */
	if (plen == 0 && nh == NG_IPPROTO_HOPOPTS) {
		/* A jumbogram, says RFC 2675: the length is in an option. */
		pkt->jumbo = 1;
		plen = wire - NG_IP6_HLEN;
		if (plen > NG_IP6_PLEN_MASK)
			plen = NG_IP6_PLEN_MASK;
	} else if (plen > wire - NG_IP6_HLEN) {
		return pkt->cls = NG_CLS_MALFORMED;      /* truncated */
	}

	/*
	 * The chain, as offsets from ip: `lim` is the payload's end. A header
	 * that runs past it is malformed (the kernel drops the packet), or,
	 * in a first fragment, unjudgeable: the chain continues in the next
	 * fragment (no RFC 7112 check on older kernels).
	 */
	off = NG_IP6_HLEN;
	lim = NG_IP6_HLEN + plen;
	cut = NG_CLS_MALFORMED;
#pragma unroll
	for (int i = 0; i < NG_V6_EXT_MAX; i++) {
		__u32 len;
		__u16 fo;

		if (!ng_is_v6_ext(nh))
			break;
		if (off + NG_EXT_MIN_LEN > lim)
			return pkt->cls = cut;
		/* Headers past NG_V6_CHAIN_MAX: not judged (no MTU has them);
		 * the bound also keeps the verifier's view of p small. */
		if (off > NG_V6_CHAIN_MAX)
			return pkt->cls = NG_CLS_UNJUDGEABLE;
		p = ip + (off & NG_V6_CHAIN_MASK);
		if (p + NG_EXT_MIN_LEN > end)
			goto short_view;
		len = ((__u32)p[NG_EXT_LEN_OFF] + 1) * NG_EXT_UNIT;
		if (nh == NG_IPPROTO_AH)
			len = ((__u32)p[NG_EXT_LEN_OFF] + NG_AH_LEN_BIAS) * NG_AH_UNIT;
		if (nh == NG_IPPROTO_FRAGMENT) {
			fo = ng_be16(p + NG_FRAG_OFFLG_OFF);
			if (fo & NG_FRAG_OFFSET) {
				/* Non-first fragment: what follows is data. */
				nh = p[NG_EXT_NH_OFF];
				return pkt->cls = nh == NG_IPPROTO_UDP || ng_is_v6_ext(nh) ?
					NG_CLS_FRAG_NONFIRST : NG_CLS_OTHER;
			}
			/* M=0 at offset 0 is an atomic fragment: a whole packet */
			if (fo & NG_FRAG_M) {
				pkt->first_frag = 1;
				cut = NG_CLS_UNJUDGEABLE;
			}
			len = NG_FRAG_HLEN;
		}
		nh = p[NG_EXT_NH_OFF];
		if (off + len > lim)
			return pkt->cls = cut;
		off += len;
	}
	if (nh != NG_IPPROTO_UDP)   /* a longer chain is unjudgeable */
		return pkt->cls = ng_is_v6_ext(nh) ? NG_CLS_UNJUDGEABLE : NG_CLS_OTHER;
	if (off > NG_V6_CHAIN_MAX)
		return pkt->cls = NG_CLS_UNJUDGEABLE;
	if (ng_classify_udp(ip + (off & NG_V6_CHAIN_MASK), ip + lim, end, pkt) !=
	    NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
short_view:
	pkt->short_view = 1;
	return pkt->cls = NG_CLS_UNJUDGEABLE;
}

/* What every parse starts from. */
static __always_inline void ng_pkt_init(struct ng_pkt *pkt)
{
	pkt->cls = NG_CLS_OTHER;
	pkt->family = 0;
	pkt->first_frag = 0;
	pkt->jumbo = 0;
	pkt->short_view = 0;
	pkt->ntp_len = 0;
}

/*
 * Classify one Ethernet frame of `wire_len` octets whose first octets are
 * visible at [data, end) (XDP: all of them; TC: the linear part). Fills
 * *pkt and returns pkt->cls.
 */
static __always_inline int ng_classify_wire(const __u8 *data, const __u8 *end,
					    __u32 wire_len, struct ng_pkt *pkt)
{
	const __u8 *p = data + NG_ETH_HLEN;
	__u32 off = NG_ETH_HLEN;
	__u16 proto;

	ng_pkt_init(pkt);
	if (p > end)
		return pkt->cls = NG_CLS_MALFORMED;
	proto = ng_be16(data + NG_ETH_TYPE_OFF);

#pragma unroll
	for (int i = 0; i < NG_VLAN_MAX; i++) {
		if (!ng_is_vlan(proto))
			break;
		if (p + NG_VLAN_HLEN > end)
			return pkt->cls = NG_CLS_MALFORMED;
		proto = ng_be16(p + NG_VLAN_TYPE_OFF);
		p += NG_VLAN_HLEN;
		off += NG_VLAN_HLEN;
	}

	if (proto == NG_ETH_P_IP)
		return ng_classify_ipv4(p, end, wire_len - off, pkt);
	if (proto == NG_ETH_P_IPV6)
		return ng_classify_ipv6(p, end, wire_len - off, pkt);
	/* A deeper stack: stacked VLAN devices would deliver what is inside. */
	return pkt->cls = ng_is_vlan(proto) ? NG_CLS_UNJUDGEABLE : NG_CLS_OTHER;
}

/*
 * The common frame in straight-line code: IPv4 without options at `ip`
 * (untagged, or behind one 802.1Q tag), UDP, not a fragment, the whole
 * datagram in the frame. Returns its class,
 * or -1 for anything else, which the general parser then takes. For the
 * frames it decides, the general parser gives the same answer (the fuzzer
 * holds the two to it): this only skips the checks that cannot fail for
 * them. make bench: about a fifth off non-NTP UDP, mode 3 and mode 7 paths.
 */
static __always_inline int ng_classify_fast(const __u8 *ip, const __u8 *end,
					    struct ng_pkt *pkt)
{
	__u32 tot_len;

	if (ip + NG_IP4_HLEN + NG_UDP_HLEN > end)
		return -1;
	if (ip[NG_IP4_PROTO_OFF] != NG_IPPROTO_UDP)
		return pkt->cls = NG_CLS_OTHER;
	tot_len = ng_be16(ip + NG_IP4_TOTLEN_OFF);
	/* version 4, IHL 5; MF clear and offset 0 (DF and the reserved bit
	 * do not matter); the UDP header within the datagram, the datagram
	 * within the frame */
	if (ip[NG_IP4_VIHL_OFF] != NG_IP4_VIHL_PLAIN ||
	    (ip[NG_IP4_FRAG_OFF] & (NG_IP4_FRAG_BITS >> 8)) ||
	    (ip[NG_IP4_FRAG_OFF + 1] & (NG_IP4_FRAG_BITS & 0xff)) ||
	    tot_len < NG_IP4_HLEN + NG_UDP_HLEN || ip + tot_len > end)
		return -1;
	pkt->family = 4;
	pkt->l3 = ip;
	if (ng_classify_udp(ip + NG_IP4_HLEN, ip + tot_len, end, pkt) != NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
}

/* The same for IPv6 with UDP right behind the fixed header. */
static __always_inline int ng_classify_fast6(const __u8 *ip, const __u8 *end,
					     struct ng_pkt *pkt)
{
	__u32 plen;

	if (ip + NG_IP6_HLEN + NG_UDP_HLEN > end || ip[NG_IP6_NH_OFF] != NG_IPPROTO_UDP ||
	    (ip[0] >> NG_IP_VERSION_SHIFT) != NG_IP6_VERSION)
		return -1;
	plen = ng_be16(ip + NG_IP6_PLEN_OFF);
	if (plen < NG_UDP_HLEN || ip + NG_IP6_HLEN + plen > end)
		return -1;
	pkt->family = 6;
	pkt->l3 = ip;
	if (ng_classify_udp(ip + NG_IP6_HLEN, ip + NG_IP6_HLEN + plen, end, pkt) !=
	    NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
}

/* Classify one whole, visible Ethernet frame [data, end). */
static __always_inline int ng_classify(const __u8 *data, const __u8 *end,
				       struct ng_pkt *pkt)
{
	const __u8 *type = data + NG_ETH_TYPE_OFF;

	ng_pkt_init(pkt);
	/* IPv4 untagged or behind one 802.1Q tag, IPv6 untagged: the fast
	 * paths; what they decline, and anything else, ng_classify_wire. (Going
	 * to the IP parsers directly would save declined frames the Ethernet
	 * walk, ~1 ns, for half again the program's size.) */
	if (data + NG_ETH_HLEN + NG_VLAN_HLEN <= end) {
		const __u8 *ip = data + NG_ETH_HLEN;

		if (type[0] == (NG_ETH_P_IP >> 8) && type[1] == (NG_ETH_P_IP & 0xff)) {
			if (ng_classify_fast(ip, end, pkt) >= 0)
				return pkt->cls;
		} else if (type[0] == (NG_ETH_P_IPV6 >> 8) && type[1] == (NG_ETH_P_IPV6 & 0xff)) {
			if (ng_classify_fast6(ip, end, pkt) >= 0)
				return pkt->cls;
		} else if (type[0] == (NG_ETH_P_8021Q >> 8) && type[1] == (NG_ETH_P_8021Q & 0xff) &&
			   type[NG_VLAN_HLEN] == (NG_ETH_P_IP >> 8) &&
			   type[NG_VLAN_HLEN + 1] == (NG_ETH_P_IP & 0xff)) {
			if (ng_classify_fast(ip + NG_VLAN_HLEN, end, pkt) >= 0)
				return pkt->cls;
		}
	}
	return ng_classify_wire(data, end, (__u32)(end - data), pkt);
}

/*
 * Policy step, also pure. Classes that a policy applies to ("policed") get
 * their reason from the allow-list answer, the class's action and, for
 * ratecap, the token buckets; the others have a fixed reason.
 */

/* The policed class of a packet (enum ng_pclass), or -1. */
static __always_inline int ng_pclass_of(const struct ng_pkt *pkt,
					__u32 m7_response_max)
{
	switch (pkt->cls) {
	case NG_CLS_M7_REQUEST:
		return NG_PC_M7_REQUEST;
	case NG_CLS_M6_REQUEST:
		return NG_PC_M6_REQUEST;
	case NG_CLS_M7_RESPONSE:
		if (pkt->sport == NTP_PORT && pkt->ntp_len > m7_response_max)
			return NG_PC_M7_RESPONSE;
		return -1;
	}
	return -1;
}

/* Responses are judged by their destination, requests by their source. */
static __always_inline int ng_pclass_by_dst(int pclass)
{
	return pclass == NG_PC_M7_RESPONSE;
}

/*
 * Reason of a packet that is not policed (pclass -1); -1: uncounted.
 * Unjudgeable frames get the default policy's reason (drop); the data
 * plane turns it into unjudgeable_passed under pass_unjudgeable=on.
 */
static __always_inline int ng_fixed_reason(const struct ng_pkt *pkt)
{
	switch (pkt->cls) {
	case NG_CLS_MALFORMED:
		return NG_R_MALFORMED;
	case NG_CLS_FRAG_NONFIRST:
		return NG_R_FRAGMENT_PASSED;
	case NG_CLS_FRAG_TINY:
		return NG_R_FRAGMENT_DROPPED;
	case NG_CLS_NTP:
		return NG_R_NTP_PASSED;
	case NG_CLS_M7_RESPONSE:       /* small, or not from port 123 */
		return NG_R_MODE7_RESPONSE_PASSED;
	case NG_CLS_UNJUDGEABLE:
		return NG_R_UNJUDGEABLE_DROPPED;
	}
	return -1;
}

/* Outcomes of a policed packet. */
enum ng_outcome { NG_OUT_ALLOWED, NG_OUT_DROPPED, NG_OUT_RATECAPPED, NG_OUT_PASSED };

static __always_inline int ng_policed_reason(int pclass, int outcome)
{
	if (pclass == NG_PC_M7_REQUEST)
		return outcome == NG_OUT_ALLOWED ? NG_R_MODE7_REQUEST_ALLOWED :
		       outcome == NG_OUT_DROPPED ? NG_R_MODE7_REQUEST_DROPPED :
		       outcome == NG_OUT_RATECAPPED ? NG_R_MODE7_REQUEST_RATECAPPED :
						      NG_R_MODE7_REQUEST_PASSED;
	if (pclass == NG_PC_M6_REQUEST)
		return outcome == NG_OUT_ALLOWED ? NG_R_MODE6_REQUEST_ALLOWED :
		       outcome == NG_OUT_DROPPED ? NG_R_MODE6_REQUEST_DROPPED :
		       outcome == NG_OUT_RATECAPPED ? NG_R_MODE6_REQUEST_RATECAPPED :
						      NG_R_MODE6_REQUEST_PASSED;
	/* oversized mode 7 responses */
	return outcome == NG_OUT_DROPPED ? NG_R_MODE7_RESPONSE_OVERSIZED :
	       outcome == NG_OUT_RATECAPPED ? NG_R_MODE7_RESPONSE_RATECAPPED :
					      NG_R_MODE7_RESPONSE_PASSED;
}

/*
 * Outcome for a policed packet, given whether its address is allow-listed,
 * the class's action, and (ratecap only) whether the buckets had a token.
 */
static __always_inline int ng_outcome_of(int allowed, int action, int within_budget)
{
	if (allowed)
		return NG_OUT_ALLOWED;
	if (action == NG_ACT_PASS)
		return NG_OUT_PASSED;
	if (action == NG_ACT_RATECAP)
		return within_budget ? NG_OUT_PASSED : NG_OUT_RATECAPPED;
	return NG_OUT_DROPPED;
}

#endif /* NTP_CLASSIFY_H */

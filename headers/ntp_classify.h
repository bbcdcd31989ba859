/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ntp_classify.h - parse a frame and classify its NTP content.
 *
 * Pure functions, no map access, no helpers: this header compiles both for
 * the BPF target (bpf/ntpguard.bpf.c) and as plain userspace C (unit tests,
 * the planned fuzzer and differential tests, `ntpguard check`). All packet
 * reads go through explicit bounds checks against `end`, which is what the
 * verifier wants and what keeps the userspace build memory-safe on hostile
 * input.
 *
 * Parsing:
 *   Ethernet, up to NG_VLAN_MAX tags (802.1Q 0x8100, 802.1ad 0x88a8, 0x9100)
 *   IPv4 honouring IHL; IPv6 walking Hop-by-Hop, Routing, Destination
 *   Options, AH and Fragment headers (at most NG_V6_EXT_MAX of them); UDP.
 *
 * Deeper VLAN stacks and non-IP ethertypes are "other" (not inspected).
 */
#ifndef NTP_CLASSIFY_H
#define NTP_CLASSIFY_H

#include <linux/types.h>
#include "ntpguard.h"
#include "ntp_wire.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define NG_VLAN_MAX   2
#define NG_V6_EXT_MAX 6

#define NG_ETH_HLEN     14
#define NG_ETH_P_IP     0x0800
#define NG_ETH_P_IPV6   0x86DD
#define NG_ETH_P_8021Q  0x8100
#define NG_ETH_P_8021AD 0x88A8
#define NG_ETH_P_QINQ1  0x9100

#define NG_IPPROTO_HOPOPTS  0
#define NG_IPPROTO_UDP      17
#define NG_IPPROTO_ROUTING  43
#define NG_IPPROTO_FRAGMENT 44
#define NG_IPPROTO_AH       51
#define NG_IPPROTO_DSTOPTS  60

/* What the parser found. Only NG_CLS_OTHER is left uncounted. */
enum ng_class {
	NG_CLS_OTHER = 0,      /* not UDP to/from port 123 (or not inspectable) */
	NG_CLS_MALFORMED,      /* truncated or inconsistent headers on the way */
	NG_CLS_FRAG_NONFIRST,  /* UDP non-first fragment: no ports to judge */
	NG_CLS_FRAG_TINY,      /* first fragment, port 123, < 8 NTP octets */
	NG_CLS_NTP,            /* NTP that is not a mode 7 request/response */
	NG_CLS_M7_REQUEST,     /* mode 7, R=0, to port 123, >= 8 octets */
	NG_CLS_M7_RESPONSE,    /* mode 7, R=1, >= 8 octets */
	NG_CLS_M6_REQUEST,     /* mode 6, R=0, to port 123, >= 12 octets */
};

struct ng_pkt {
	__u8 cls;        /* enum ng_class */
	__u8 family;     /* 4, 6, or 0 when no IP header was reached */
	__u8 first_frag; /* 1: first fragment of a fragmented datagram */
	__u8 ntp_byte0;  /* first NTP octet, when present */
	__u16 sport;     /* host order */
	__u16 dport;
	__u32 ntp_len;   /* NTP payload length from the UDP length field */
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

static __always_inline void ng_copy_addrs(struct ng_pkt *pkt)
{
#ifndef __bpf__
	int off = pkt->family == 4 ? 12 : 8, len = pkt->family == 4 ? 4 : 16;

	for (int i = 0; i < 16; i++) {
		pkt->saddr[i] = i < len ? pkt->l3[off + i] : 0;
		pkt->daddr[i] = i < len ? pkt->l3[off + len + i] : 0;
	}
#else
	(void)pkt;
#endif
}

/*
 * Bounds check for reading n octets at p. `lim` is the logical end (the IP
 * payload end, <= end); `end` is the frame end, repeated because the BPF
 * verifier only trusts comparisons against the frame end itself.
 */
#define NG_HAVE(p, n, lim, end) ((p) + (n) <= (lim) && (p) + (n) <= (end))

/*
 * Classify the UDP datagram whose header starts at `udp`.
 * `l4_end` is where this packet's IP payload ends (already checked <= end).
 */
static __always_inline int ng_classify_udp(const __u8 *udp, const __u8 *l4_end,
					   const __u8 *end, struct ng_pkt *pkt)
{
	__u32 ulen, avail;
	const __u8 *ntp;

	if (!NG_HAVE(udp, 8, l4_end, end))
		return pkt->cls = NG_CLS_MALFORMED;

	pkt->sport = ng_be16(udp);
	pkt->dport = ng_be16(udp + 2);
	if (pkt->sport != NTP_PORT && pkt->dport != NTP_PORT)
		return pkt->cls = NG_CLS_OTHER;

	ulen = ng_be16(udp + 4);
	avail = (__u32)(l4_end - udp);
	if (ulen < 8)
		return pkt->cls = NG_CLS_MALFORMED;
	if (pkt->first_frag) {
		/* The datagram continues in later fragments. */
		if (ulen <= avail)
			return pkt->cls = NG_CLS_MALFORMED;
		if (avail - 8 < NTP_M7_HDR_LEN)
			return pkt->cls = NG_CLS_FRAG_TINY;
	} else if (ulen > avail) {
		return pkt->cls = NG_CLS_MALFORMED;
	}
	pkt->ntp_len = ulen - 8;

	ntp = udp + 8;
	if (pkt->ntp_len < 1 || !NG_HAVE(ntp, 1, l4_end, end))
		return pkt->cls = NG_CLS_MALFORMED;
	pkt->ntp_byte0 = ntp[0];

	if (ntp_mode(ntp[0]) == NTP_MODE_CONTROL) {
		/* Shorter than 12 octets: ntpd ignores it, nothing to police. */
		if (pkt->dport == NTP_PORT && pkt->ntp_len >= NTP_M6_HDR_LEN &&
		    NG_HAVE(ntp, 2, l4_end, end) && !ntp_m6_is_response(ntp))
			return pkt->cls = NG_CLS_M6_REQUEST;
		return pkt->cls = NG_CLS_NTP;
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
}

static __always_inline int ng_classify_ipv4(const __u8 *ip, const __u8 *end,
					    struct ng_pkt *pkt)
{
	__u32 ihl, tot_len;
	__u16 frag;

	if (ip + 20 > end)
		return pkt->cls = NG_CLS_MALFORMED;
	if (ip[9] != NG_IPPROTO_UDP)
		return pkt->cls = NG_CLS_OTHER;          /* fast path */
	pkt->family = 4;
	pkt->l3 = ip;
	ihl = (__u32)(ip[0] & 0x0f) * 4;
	tot_len = ng_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot_len < ihl)
		return pkt->cls = NG_CLS_MALFORMED;
	if (tot_len > 0xffff || ip + tot_len > end)
		return pkt->cls = NG_CLS_MALFORMED;      /* truncated */

	frag = ng_be16(ip + 6);
	if (frag & 0x1fff)
		return pkt->cls = NG_CLS_FRAG_NONFIRST;
	pkt->first_frag = (frag & 0x2000) ? 1 : 0;
	if (ng_classify_udp(ip + ihl, ip + tot_len, end, pkt) != NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
}

static __always_inline int ng_classify_ipv6(const __u8 *ip, const __u8 *end,
					    struct ng_pkt *pkt)
{
	const __u8 *p, *l4_end;
	__u8 nh;

	if (ip + 40 > end)
		return pkt->cls = NG_CLS_MALFORMED;
	nh = ip[6];
	if (nh != NG_IPPROTO_UDP && nh != NG_IPPROTO_HOPOPTS &&
	    nh != NG_IPPROTO_ROUTING && nh != NG_IPPROTO_DSTOPTS &&
	    nh != NG_IPPROTO_FRAGMENT && nh != NG_IPPROTO_AH)
		return pkt->cls = NG_CLS_OTHER;          /* fast path */
	pkt->family = 6;
	pkt->l3 = ip;
	if ((ip[0] >> 4) != 6)
		return pkt->cls = NG_CLS_MALFORMED;
	l4_end = ip + 40 + ng_be16(ip + 4);
	if (l4_end > end)
		return pkt->cls = NG_CLS_MALFORMED;      /* truncated */

	p = ip + 40;
#pragma unroll
	for (int i = 0; i < NG_V6_EXT_MAX; i++) {
		__u32 len;

		if (nh == NG_IPPROTO_UDP)
			break;
		if (!NG_HAVE(p, 8, l4_end, end)) /* every extension header is >= 8 octets */
			return pkt->cls = NG_CLS_MALFORMED;
		switch (nh) {
		case NG_IPPROTO_HOPOPTS:
		case NG_IPPROTO_ROUTING:
		case NG_IPPROTO_DSTOPTS:
			len = ((__u32)p[1] + 1) * 8;
			break;
		case NG_IPPROTO_AH:
			len = ((__u32)p[1] + 2) * 4;
			break;
		case NG_IPPROTO_FRAGMENT:
			len = 8;
			if (ng_be16(p + 2) & 0xfff8)
				return pkt->cls = p[0] == NG_IPPROTO_UDP ?
					NG_CLS_FRAG_NONFIRST : NG_CLS_OTHER;
			/* M=0 at offset 0 is an atomic fragment: a whole packet */
			pkt->first_frag = ng_be16(p + 2) & 1;
			break;
		default:
			return pkt->cls = NG_CLS_OTHER;   /* ESP, ICMPv6, TCP... */
		}
		nh = p[0];
		p += len;
	}
	if (nh != NG_IPPROTO_UDP)   /* a chain longer than we inspect, or not UDP */
		return pkt->cls = (nh == NG_IPPROTO_HOPOPTS || nh == NG_IPPROTO_ROUTING ||
				   nh == NG_IPPROTO_DSTOPTS || nh == NG_IPPROTO_FRAGMENT ||
				   nh == NG_IPPROTO_AH) ? NG_CLS_MALFORMED : NG_CLS_OTHER;
	if (ng_classify_udp(p, l4_end, end, pkt) != NG_CLS_OTHER)
		ng_copy_addrs(pkt);
	return pkt->cls;
}

/*
 * Classify one Ethernet frame [data, end). Fills *pkt and returns pkt->cls.
 */
static __always_inline int ng_classify(const __u8 *data, const __u8 *end,
				       struct ng_pkt *pkt)
{
	const __u8 *p = data + NG_ETH_HLEN;
	__u16 proto;

	pkt->cls = NG_CLS_OTHER;
	pkt->family = 0;
	pkt->first_frag = 0;
	pkt->ntp_len = 0;
	if (p > end)
		return pkt->cls = NG_CLS_MALFORMED;
	proto = ng_be16(p - 2);

#pragma unroll
	for (int i = 0; i < NG_VLAN_MAX; i++) {
		if (proto != NG_ETH_P_8021Q && proto != NG_ETH_P_8021AD &&
		    proto != NG_ETH_P_QINQ1)
			break;
		if (p + 4 > end)
			return pkt->cls = NG_CLS_MALFORMED;
		proto = ng_be16(p + 2);
		p += 4;
	}

	if (proto == NG_ETH_P_IP)
		return ng_classify_ipv4(p, end, pkt);
	if (proto == NG_ETH_P_IPV6)
		return ng_classify_ipv6(p, end, pkt);
	return pkt->cls = NG_CLS_OTHER;
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

/* Reason of a packet that is not policed (pclass -1); -1: uncounted. */
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

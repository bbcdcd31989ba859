/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ng_consts.h - the data plane's numbers: header lengths, field offsets,
 * masks and the parser's limits (Katran's balancer_consts.h idea). The
 * classifier (ntp_classify.h) and the BPF program use these names only, so
 * every offset it reads is spelled out and checked here once.
 *
 * Offsets are from the start of the header they belong to; lengths in octets.
 */
#ifndef NG_CONSTS_H
#define NG_CONSTS_H

/* ---- parser limits (README "Verdicts": deeper is `unjudgeable`) ---- */
#define NG_VLAN_MAX       3     /* VLAN tags walked */
#define NG_V6_EXT_MAX     8     /* IPv6 extension headers walked */
#define NG_V6_CHAIN_MAX   0x3ffc /* extension headers start before this
				   offset from the IPv6 header */
#define NG_V6_CHAIN_MASK  0x3ffc /* (all their lengths are multiples of 4) */
#define NG_TC_PULL        128   /* TC: octets made linear before classifying */
#define NG_TC_PULL_MAX    1024  /* TC: the most pulled when headers go further */

/* ---- Ethernet and VLAN tags ---------------------------------------- */
#define NG_ETH_HLEN       14
#define NG_ETH_TYPE_OFF   12
#define NG_VLAN_HLEN      4
#define NG_VLAN_TYPE_OFF  2     /* the encapsulated ethertype, after the TCI */

#define NG_ETH_P_IP       0x0800
#define NG_ETH_P_IPV6     0x86DD
#define NG_ETH_P_8021Q    0x8100
#define NG_ETH_P_8021AD   0x88A8
#define NG_ETH_P_QINQ1    0x9100

/* ---- IPv4 ----------------------------------------------------------- */
#define NG_IP4_HLEN       20    /* without options */
#define NG_IP4_VIHL_OFF   0     /* version (high nibble), IHL (low nibble) */
#define NG_IP4_TOTLEN_OFF 2
#define NG_IP4_FRAG_OFF   6     /* flags + fragment offset */
#define NG_IP4_PROTO_OFF  9
#define NG_IP4_SADDR_OFF  12
#define NG_IP4_DADDR_OFF  16
#define NG_IP4_ADDR_LEN   4
#define NG_IP4_PREFIX_MAX 32    /* an allow-list lookup key: one address */
#define NG_IP4_VERSION    4
#define NG_IP4_IHL_MASK   0x0f
#define NG_IP4_IHL_UNIT   4     /* IHL counts 32-bit words */
#define NG_IP4_MF         0x2000
#define NG_IP4_OFFSET     0x1fff
#define NG_IP4_FRAG_BITS  (NG_IP4_MF | NG_IP4_OFFSET)  /* set: a fragment */
#define NG_IP4_VIHL_PLAIN 0x45  /* version 4, IHL 5: no options */

/* ---- IPv6 and its extension headers --------------------------------- */
#define NG_IP6_HLEN       40
#define NG_IP6_PLEN_OFF   4
#define NG_IP6_NH_OFF     6
#define NG_IP6_SADDR_OFF  8
#define NG_IP6_DADDR_OFF  24
#define NG_IP6_ADDR_LEN   16
#define NG_IP6_PREFIX_MAX 128
#define NG_IP6_VERSION    6
#define NG_IP6_PLEN_MASK  0xffff
#define NG_IP6_KEY_LEN    8     /* rate-cap keys aggregate IPv6 to /64 */

#define NG_IP_VERSION_SHIFT 4   /* version: high nibble of the first octet */

#define NG_EXT_NH_OFF     0     /* every extension header: next header */
#define NG_EXT_LEN_OFF    1     /*   and its length field */
#define NG_EXT_MIN_LEN    8     /* the smallest extension header */
#define NG_EXT_UNIT       8     /* HBH, Routing, DstOpts: (len + 1) x 8 */
#define NG_AH_UNIT        4     /* AH: (len + 2) x 4 */
#define NG_AH_LEN_BIAS    2
#define NG_FRAG_HLEN      8
#define NG_FRAG_OFFLG_OFF 2     /* fragment offset (13 bits) + M flag */
#define NG_FRAG_OFFSET    0xfff8
#define NG_FRAG_M         0x0001

#define NG_IPPROTO_HOPOPTS  0
#define NG_IPPROTO_UDP      17
#define NG_IPPROTO_ROUTING  43
#define NG_IPPROTO_FRAGMENT 44
#define NG_IPPROTO_AH       51
#define NG_IPPROTO_DSTOPTS  60

/* ---- UDP -------------------------------------------------------------- */
#define NG_UDP_HLEN       8
#define NG_UDP_SPORT_OFF  0
#define NG_UDP_DPORT_OFF  2
#define NG_UDP_LEN_OFF    4

/* ---- NTP octets the classifier reads -------------------------------- */
#define NG_NTP_JUDGED     8     /* a first fragment must hold this many NTP
				   octets (mode 7's header; the mode 6 R bit
				   is octet 1) */

#endif /* NG_CONSTS_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ntp_wire.h - NTP header fields, for the classifier (BPF and userspace)
 * and for the `check` prober. Byte layouts: ../shared/docs/ntp-protocol.md
 * sections 1 (mode 7, "private") and 3 (mode 6, "control").
 */
#ifndef NTP_WIRE_H
#define NTP_WIRE_H

#include <linux/types.h>

#define NTP_PORT 123

#define NTP_MODE_CLIENT  3
#define NTP_MODE_SERVER  4
#define NTP_MODE_CONTROL 6
#define NTP_MODE_PRIVATE 7

#define NTP_M7_HDR_LEN   8     /* smallest mode 7 packet ntpd accepts */
#define NTP_M7_DATA_MAX  500   /* RESP_DATA_SIZE */
#define NTP_M6_HDR_LEN   12

/* Mode 7 request codes that amplify (others exist: see section 1.3). */
#define NTP_M7_REQ_PEER_LIST       0
#define NTP_M7_REQ_PEER_LIST_SUM   1
#define NTP_M7_REQ_MON_GETLIST     20
#define NTP_M7_REQ_MON_GETLIST_1   42

/* Byte 0, every mode: LI/R-M (2 bits), VN (3 bits), mode (3 bits). */
static inline __u8 ntp_mode(__u8 b0) { return b0 & 0x07; }
static inline __u8 ntp_version(__u8 b0) { return (b0 >> 3) & 0x07; }

/* Mode 7 header: R M VN(3) mode(3) | A seq(7) | impl | code | err(4) nitems(12) | mbz(4) itemsize(12) */
static inline int ntp_m7_is_response(__u8 b0) { return (b0 & 0x80) != 0; }
static inline int ntp_m7_more(__u8 b0) { return (b0 & 0x40) != 0; }
static inline __u8 ntp_m7_seq(const __u8 *h) { return h[1] & 0x7f; }
static inline __u8 ntp_m7_impl(const __u8 *h) { return h[2]; }
static inline __u8 ntp_m7_code(const __u8 *h) { return h[3]; }
static inline __u8 ntp_m7_err(const __u8 *h) { return h[4] >> 4; }
static inline __u16 ntp_m7_nitems(const __u8 *h) { return (__u16)((h[4] & 0x0f) << 8 | h[5]); }
static inline __u16 ntp_m7_itemsize(const __u8 *h) { return (__u16)((h[6] & 0x0f) << 8 | h[7]); }

/* Mode 6 header: LI VN mode | R E M opcode(5) | seq(16) | status | assoc | offset | count */
static inline int ntp_m6_is_response(const __u8 *h) { return (h[1] & 0x80) != 0; }
static inline int ntp_m6_more(const __u8 *h) { return (h[1] & 0x20) != 0; }
static inline __u8 ntp_m6_opcode(const __u8 *h) { return h[1] & 0x1f; }

/*
 * Used by the `check` prober (userspace); plain C so the classifier may use
 * them too. Every accessor reads a fixed offset: callers check the length
 * (NTP_M7_HDR_LEN / NTP_M6_HDR_LEN) first.
 */

/* Mode 7 implementation numbers and error codes (doc section 1.1). */
#define NTP_M7_IMPL_UNIV        0
#define NTP_M7_IMPL_XNTPD_OLD   2      /* IPv4-only item layouts */
#define NTP_M7_IMPL_XNTPD       3      /* IPv6-capable item layouts */

#define NTP_M7_ERR_IMPL         1
#define NTP_M7_ERR_REQ          2
#define NTP_M7_ERR_FMT          3
#define NTP_M7_ERR_NODATA       4
#define NTP_M7_ERR_AUTH         7

static inline int ntp_m7_auth(const __u8 *h) { return (h[1] & 0x80) != 0; }
static inline __u8 ntp_m7_mbz(const __u8 *h) { return h[6] >> 4; }

/* A mode 7 request header (R=0, M=0, seq 0, no items): 8 octets at h. */
static inline void ntp_m7_request(__u8 *h, __u8 vn, __u8 impl, __u8 code)
{
	h[0] = (__u8)(((vn & 7) << 3) | NTP_MODE_PRIVATE);
	h[1] = 0;
	h[2] = impl;
	h[3] = code;
	h[4] = h[5] = h[6] = h[7] = 0;
}

/* Mode 6: opcodes, error bit, and the 16-bit fields (doc section 3.1). */
#define NTP_M6_OP_READSTAT      1
#define NTP_M6_OP_READVAR       2
#define NTP_M6_DATA_MAX         468    /* CTL_MAX_DATA_LEN, per packet */

static inline int ntp_m6_error(const __u8 *h) { return (h[1] & 0x40) != 0; }
static inline __u16 ntp_m6_seq(const __u8 *h) { return (__u16)(h[2] << 8 | h[3]); }
static inline __u16 ntp_m6_status(const __u8 *h) { return (__u16)(h[4] << 8 | h[5]); }
static inline __u16 ntp_m6_assoc(const __u8 *h) { return (__u16)(h[6] << 8 | h[7]); }
static inline __u16 ntp_m6_offset(const __u8 *h) { return (__u16)(h[8] << 8 | h[9]); }
static inline __u16 ntp_m6_count(const __u8 *h) { return (__u16)(h[10] << 8 | h[11]); }

/* A mode 6 request header for the system variables (assoc 0, no data). */
static inline void ntp_m6_request(__u8 *h, __u8 vn, __u8 opcode, __u16 seq)
{
	h[0] = (__u8)(((vn & 7) << 3) | NTP_MODE_CONTROL);
	h[1] = opcode & 0x1f;
	h[2] = (__u8)(seq >> 8);
	h[3] = (__u8)seq;
	h[4] = h[5] = h[6] = h[7] = h[8] = h[9] = h[10] = h[11] = 0;
}

#endif /* NTP_WIRE_H */

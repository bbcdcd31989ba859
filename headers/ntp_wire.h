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

#endif /* NTP_WIRE_H */

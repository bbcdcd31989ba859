// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ntpresponder.c - test double of a monlist-vulnerable ntpd (4.2.4/4.2.6 era).
 *
 * TEST-ONLY CODE. Today's distributions ship no ntpd that answers mode 7, so
 * the ntpguard tests need their own amplifier. This program answers mode 7
 * ("private", ntpdc) requests the way ntpd 4.2.6p5 process_private() and
 * mon_getlist_0/1() do, and answers mode 3 client requests with a plausible
 * mode 4 reply. It never sets or slews the clock (it only reads
 * CLOCK_REALTIME), needs nothing beyond binding UDP port 123, and is bounded:
 * at most 128 reply packets per request (ntpd's MAXSEQ 127).
 *
 * Wire formats and the facts used here: shared/docs/ntp-protocol.md, sections
 * 1.1-1.4 (mode 7 header, acceptance rules, codes, item layouts, packing),
 * 5.1 (what nmap's ntp-monlist checks) and 8 (test vectors V1-V15, V20-V22).
 *
 * Behaviour
 *  - Every received datagram of >= 1 octet (except from source port 0, or
 *    < 123 with --low-port-check, which are ignored outright) updates the
 *    monitor (MRU) list before any mode-specific check, as ntp_monitor()
 *    does at the top of receive(): key = client address only ("match address only to conserve
 *    MRU size"); stores last source port, mode, version, count, first/last
 *    seen and the local address it arrived on. At most 600 entries
 *    (MAXMONMEM); when full the least recently seen entry is recycled.
 *  - Mode 7, silently dropped unless: length >= 8, R=0, M=0, VN 1..4,
 *    sequence 0, err 0, MBZ 0 (4.2.6p5 process_private()).
 *    Then: impl not in {0,2,3} -> INFO_ERR_IMPL; impl 0 (IMPL_UNIV, whose
 *    code table is empty in ntpd) or a code not in 4.2.6p5's ntp_codes[] ->
 *    INFO_ERR_REQ; codes 0/1/20/42 with item size != 0 -> INFO_ERR_FMT.
 *    Error replies are the 8-octet req_ack(): R=1, VN copied, seq 0, impl and
 *    code copied, err nibble set, nitems 0, itemsize 0.
 *  - Implemented codes (impl 3 = IPv6-capable item, impl 2 = "v4sizeof" item):
 *      42 REQ_MON_GETLIST_1  info_monitor_1     72 / 32 octets
 *      20 REQ_MON_GETLIST    info_monitor       48 / 24 octets
 *       0 REQ_PEER_LIST      info_peer_list     32 /  8 octets
 *       1 REQ_PEER_LIST_SUM  info_peer_summary  72 / 32 octets
 *    The peer list is synthetic (--peers, default 2 upstreams in
 *    203.0.113.0/24, the first one flagged as system peer); with --peers 0
 *    codes 0 and 1 get INFO_ERR_NODATA like a peerless ntpd.
 *    Every other code of ntp_codes[] gets an 8-octet error: INFO_ERR_AUTH
 *    for the codes ntpd marks AUTH (ntpd with the default "enable auth" and
 *    no request key answers exactly that), INFO_ERR_NODATA for the NOAUTH
 *    ones (we keep no system/peer/IO statistics to return).
 *  - Packing exactly as prepare_pkt()/more_pkt()/flush_pkt(): items are
 *    added while databytes + itemsize <= 500, all packets but the last have
 *    M set, sequence counts from 0, packing stops after sequence 127. An
 *    empty list (e.g. impl 2 and only IPv6 clients) gets INFO_ERR_NODATA.
 *    Reply VN = request VN. Replies go from port 123 (and from the address the
 *    request was sent to) to the request's source address and port.
 *  - Mode 3 of >= 48 octets and VN >= 1 -> 48-octet mode 4 reply: LI 0, VN
 *    copied, stratum 2, poll copied, precision -20, refid 203.0.113.250 (the
 *    synthetic system peer), reference time 37 s ago, origin = client's
 *    transmit timestamp, receive/transmit = now. Any MAC or extension field
 *    in the request is ignored (the reply is never authenticated).
 *  - Other modes (1, 2, 4, 5, 6, 0): recorded in the MRU list, not answered.
 *
 * Item layouts (byte offsets; all fields network order unless noted):
 *  info_monitor_1 (ntp_request.h): 0 avg_int, 4 last_int, 8 restr,
 *    12 count, 16 addr, 20 daddr, 24 flags (1 = MDF_UCAST), 28 port (the
 *    stored network-order source port), 30 mode, 31 version | 32 v6_flag,
 *    36 unused1, 40 addr6[16], 56 daddr6[16]. (v4sizeof = 32.)
 *  info_monitor (ntp_request.h, 4.2.4/4.2.6 form: lasttime, firsttime,
 *    lastdrop, count, addr, port, mode, version, v6_flag, unused1, addr6):
 *    0 avg_int, 4 last_int, 8 restr (was lastdrop), 12 count, 16 addr,
 *    20 port, 22 mode, 23 version | 24 v6_flag, 28 unused1, 32 addr6[16].
 *    (v4sizeof = 24, sizeof = 48, matching doc section 1.4.)
 *  info_peer_list: 0 addr, 4 port, 6 hmode, 7 flags | 8 v6_flag,
 *    12 unused1, 16 addr6[16].
 *  info_peer_summary: 0 dstadr, 4 srcadr, 8 srcport, 10 stratum, 11 hpoll,
 *    12 ppoll, 13 reach, 14 flags, 15 hmode, 16 delay (s_fp), 20 offset
 *    (l_fp), 28 dispersion (u_fp) | 32 v6_flag, 36 unused1, 40 dstadr6,
 *    56 srcadr6.
 *  v6_flag is written as a host-order int (1 for IPv6 entries, 0 for IPv4
 *  entries in impl 3 replies), as 4.2.6p5 does: 01 00 00 00 on x86.
 *  avg_int = (now - first seen) / count, last_int = now - last seen, restr 0
 *  (no restrict lines), all in seconds.
 *
 * Deviations from ntpd (deliberate, for a deterministic test double):
 *  - Fields ntpd leaves untouched in its static reply buffer (v4 fields of
 *    IPv6 items, addr6/daddr6 of IPv4 items) are zero here, not stale bytes.
 *  - Synthetic (--prefill) entries have no local address; they are reported
 *    with the local address the current request arrived on (same family),
 *    as if every client had used the same server interface.
 *  - Source ports: only port 0 is ignored by default (4.2.4, and ntp-dev
 *    >= 4.2.7p274). 4.2.6-4.2.6p5 ignored every source port < 123; use
 *    --low-port-check for that (doc section 1.2).
 *  - No restrict/noquery/limited/KoD, no mode 6, no real statistics, no
 *    authentication (AUTH codes always fail), no item-size or data-length
 *    check for codes other than 0/1/20/42.
 *  - --max-packets caps the total number of reply packets over the whole run
 *    (a safety valve for tests); ntpd has no such cap.
 *
 * Usage: ntpresponder [-4|-6] [--bind ADDR] [--port N] [--prefill N]
 *        [--prefill6 N] [--peers N] [--max-packets N] [--duration S]
 *        [--log FILE] [--low-port-check] [--quiet]
 *  Default: IPv4 and IPv6 (two sockets, the IPv6 one V6ONLY; IPv6 is
 *  optional unless -6 is given), port 123, run until SIGTERM/SIGINT, then
 *  exit 0. --prefill N adds N synthetic IPv4 clients (198.51.100.1-254,
 *  203.0.113.1-254, then 192.0.2.129-220; mode 3, version 4, count 1000+i,
 *  port 50000+i, last seen 5+i s ago, avg_int 64), --prefill6 N adds N
 *  synthetic IPv6 clients (2001:db8:0:100::1 ...) below them; the list keeps
 *  at most 600. With --prefill 600 one monlist request (impl 3) gets 100
 *  packets of 440 octets (6 x 72), impl 2 gets 40 x 488 (15 x 32).
 *  --log FILE appends one line per received datagram, e.g.
 *   "req from 192.0.2.66:40001 mode 7 code 42 impl 3 len 48 -> 100 packets 44000 bytes (vn 2)"
 *  plus a "start" line once the sockets are bound and a "summary" line at
 *  exit; the summary also goes to stderr unless --quiet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntp_wire.h"

#define MON_MAX         600     /* MAXMONMEM, 4.2.4p8 / 4.2.6p5 */
#define MAXSEQ          127     /* last sequence number of a reply */
#define RESP_DATA_SIZE  NTP_M7_DATA_MAX
#define MAX_PEERS       8

#define IMPL_UNIV       0
#define IMPL_XNTPD_OLD  2
#define IMPL_XNTPD      3

#define INFO_OKAY       0
#define INFO_ERR_IMPL   1
#define INFO_ERR_REQ    2
#define INFO_ERR_FMT    3
#define INFO_ERR_NODATA 4
#define INFO_ERR_AUTH   7

#define INFO_FLAG_CONFIG        0x01
#define INFO_FLAG_SYSPEER       0x02
#define INFO_FLAG_SHORTLIST     0x80

#define MDF_UCAST       0x01
#define MODE_CLIENT     3

#define REFID           0xcb0071faU     /* 203.0.113.250, first synthetic peer */
#define NTP_UNIX_OFFSET 2208988800UL    /* 1900-01-01 to 1970-01-01 */
#define UPTIME_OFFSET   86400           /* pretend ntpd has run for a day */

/* ---------------------------------------------------------------- state */

union addr46 {
	struct in_addr v4;
	struct in6_addr v6;
};

struct mon_entry {
	int family;             /* AF_INET, AF_INET6; 0 = free slot */
	union addr46 rmt;       /* client address (the key) */
	union addr46 loc;       /* local address it arrived on */
	bool loc_set;
	uint16_t port_be;       /* last source port, network order */
	uint8_t mode, version;  /* of the last packet */
	uint32_t count;
	int64_t first, last;    /* "current_time" seconds */
	int prev, next;         /* MRU links, -1 = none */
};

static struct mon_entry mon[MON_MAX];
static int mon_head = -1, mon_tail = -1, mon_used;

struct peer {
	struct in_addr addr;
	uint8_t flags;
};
static struct peer peers[MAX_PEERS];
static int npeers = 2;

struct sock {
	int fd;
	int family;
};

/* one received datagram and where it came from / went to */
struct rx {
	struct sock *s;
	struct sockaddr_storage src;
	socklen_t srclen;
	int family;
	union addr46 loc;       /* destination address of the request */
	bool loc_set;
	int ifindex;
	uint8_t buf[2048];
	size_t len;
	struct timespec rt;     /* receive time, CLOCK_REALTIME */
};

static struct {
	unsigned long rx, rx_m7, rx_m3, rx_other, dropped;
	unsigned long replies, pkts, bytes, send_err, capped;
} st;

static int log_fd = -1;
static bool quiet;
static bool low_port_check;
static unsigned long max_packets;       /* 0 = unlimited */
static struct timespec t_start;
static volatile sig_atomic_t stop_sig;

/* ---------------------------------------------------------------- utils */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ntpresponder: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write() per line: O_APPEND keeps concurrent lines whole */
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nothing sensible to do in a test double */
	}
}

static int64_t current_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)(ts.tv_sec - t_start.tv_sec) + UPTIME_OFFSET;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

/* host-order int, as ntpd 4.2.6p5 writes v6_flag */
static void put_host32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void put_ntp_ts(uint8_t *p, const struct timespec *ts)
{
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_OFFSET);
	uint32_t frac = (uint32_t)(((uint64_t)ts->tv_nsec << 32) / 1000000000ULL);

	put32(p, sec);
	put32(p + 4, frac);
}

static const char *fmt_addr(int family, const void *a, uint16_t port_host,
			    char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, a, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (family == AF_INET6)
		snprintf(out, outlen, "[%s]:%u", ip, port_host);
	else
		snprintf(out, outlen, "%s:%u", ip, port_host);
	return out;
}

static uint16_t rx_port_be(const struct rx *r)
{
	if (r->family == AF_INET6)
		return ((const struct sockaddr_in6 *)&r->src)->sin6_port;
	return ((const struct sockaddr_in *)&r->src)->sin_port;
}

static const void *rx_addr(const struct rx *r)
{
	if (r->family == AF_INET6)
		return &((const struct sockaddr_in6 *)&r->src)->sin6_addr;
	return &((const struct sockaddr_in *)&r->src)->sin_addr;
}

/* ---------------------------------------------------------- MRU monitor */

static void mon_unlink(int i)
{
	struct mon_entry *e = &mon[i];

	if (e->prev >= 0)
		mon[e->prev].next = e->next;
	else
		mon_head = e->next;
	if (e->next >= 0)
		mon[e->next].prev = e->prev;
	else
		mon_tail = e->prev;
	e->prev = e->next = -1;
}

static void mon_push_front(int i)
{
	mon[i].prev = -1;
	mon[i].next = mon_head;
	if (mon_head >= 0)
		mon[mon_head].prev = i;
	mon_head = i;
	if (mon_tail < 0)
		mon_tail = i;
}

static size_t addr_len(int family) { return family == AF_INET6 ? 16 : 4; }

static int mon_find(int family, const void *addr)
{
	for (int i = mon_head; i >= 0; i = mon[i].next)
		if (mon[i].family == family &&
		    memcmp(&mon[i].rmt, addr, addr_len(family)) == 0)
			return i;
	return -1;
}

/* a fresh slot, recycling the least recently used entry when full */
static int mon_alloc(void)
{
	int i;

	if (mon_used < MON_MAX) {
		i = mon_used++;
	} else {
		i = mon_tail;
		mon_unlink(i);
	}
	memset(&mon[i], 0, sizeof(mon[i]));
	mon[i].prev = mon[i].next = -1;
	return i;
}

/* ntp_monitor(): every received datagram */
static void mon_record(const struct rx *r)
{
	int64_t now = current_time();
	const void *a = rx_addr(r);
	int i = mon_find(r->family, a);

	if (i >= 0) {
		mon_unlink(i);
		mon[i].count++;
	} else {
		i = mon_alloc();
		mon[i].family = r->family;
		memcpy(&mon[i].rmt, a, addr_len(r->family));
		mon[i].count = 1;
		mon[i].first = now;
	}
	mon[i].last = now;
	mon[i].port_be = rx_port_be(r);
	mon[i].mode = ntp_mode(r->buf[0]);
	mon[i].version = ntp_version(r->buf[0]);
	mon[i].loc = r->loc;
	mon[i].loc_set = r->loc_set;
	mon_push_front(i);
}

static void prefill_v4_addr(int i, struct in_addr *a)
{
	uint32_t h;

	if (i < 254)
		h = (198u << 24) | (51u << 16) | (100u << 8) | (uint32_t)(i + 1);
	else if (i < 508)
		h = (203u << 24) | (0u << 16) | (113u << 8) | (uint32_t)(i - 254 + 1);
	else
		h = (192u << 24) | (0u << 16) | (2u << 8) | (uint32_t)(i - 508 + 129);
	a->s_addr = htonl(h);
}

static void prefill_v6_addr(int i, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0x20; a->s6_addr[1] = 0x01;
	a->s6_addr[2] = 0x0d; a->s6_addr[3] = 0xb8;
	a->s6_addr[6] = 0x01; a->s6_addr[7] = 0x00;     /* 2001:db8:0:100:: */
	a->s6_addr[14] = (uint8_t)((i + 1) >> 8);
	a->s6_addr[15] = (uint8_t)((i + 1) & 0xff);
}

/*
 * Synthetic clients, like doc vector V12: entry i (0 = most recent) is
 * mode 3 version 4, count 1000+i, source port 50000+i, last seen 5+i s ago,
 * first seen so that avg_int starts at 64 s. IPv4 entries are the most
 * recent, IPv6 ones follow.
 */
static void prefill(int n4, int n6)
{
	int64_t now = current_time();
	int total = n4 + n6;

	if (total > MON_MAX)
		total = MON_MAX;
	/* push oldest first so entry 0 ends up at the head */
	for (int k = total - 1; k >= 0; k--) {
		int i = mon_alloc();
		struct mon_entry *e = &mon[i];

		if (k < n4) {
			e->family = AF_INET;
			prefill_v4_addr(k, &e->rmt.v4);
		} else {
			e->family = AF_INET6;
			prefill_v6_addr(k - n4, &e->rmt.v6);
		}
		e->count = 1000 + (uint32_t)k;
		e->last = now - (5 + k);
		e->first = now - 64 * (int64_t)e->count;
		e->port_be = htons((uint16_t)(50000 + k));
		e->mode = 3;
		e->version = 4;
		e->loc_set = false;
		mon_push_front(i);
	}
}

static void init_peers(int n)
{
	npeers = n;
	for (int i = 0; i < n; i++) {
		peers[i].addr.s_addr = htonl((203u << 24) | (113u << 8) | (uint32_t)(250 + i));
		peers[i].flags = INFO_FLAG_CONFIG | INFO_FLAG_SHORTLIST |
				 (i == 0 ? INFO_FLAG_SYSPEER : 0);
	}
}

/* ---------------------------------------------------------------- send */

static int send_pkt(const struct rx *r, const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = (void *)&r->src, .msg_namelen = r->srclen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	if (max_packets && st.pkts >= max_packets) {
		st.capped++;
		return -1;
	}
	memset(&cbuf, 0, sizeof(cbuf));
	if (r->loc_set) {
		struct cmsghdr *c;

		msg.msg_control = cbuf.buf;
		if (r->family == AF_INET6) {
			struct in6_pktinfo pi = { .ipi6_addr = r->loc.v6, .ipi6_ifindex = 0 };

			msg.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			if (IN6_IS_ADDR_LINKLOCAL(&r->loc.v6))
				pi.ipi6_ifindex = (unsigned)r->ifindex;
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in_pktinfo pi = { .ipi_spec_dst = r->loc.v4 };

			msg.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	do {
		n = sendmsg(r->s->fd, &msg, 0);
	} while (n < 0 && errno == EINTR && !stop_sig);
	if (n < 0) {
		st.send_err++;
		return -1;
	}
	st.pkts++;
	st.bytes += (size_t)n;
	return 0;
}

/* outcome of one request, for the log line */
struct result {
	unsigned pkts;
	size_t bytes;
	const char *note;       /* extra text, may be NULL */
	char notebuf[96];
};

static void sent(struct result *res, size_t len)
{
	res->pkts++;
	res->bytes += len;
}

static const char *err_name(int e)
{
	switch (e) {
	case INFO_ERR_IMPL: return "INFO_ERR_IMPL";
	case INFO_ERR_REQ: return "INFO_ERR_REQ";
	case INFO_ERR_FMT: return "INFO_ERR_FMT";
	case INFO_ERR_NODATA: return "INFO_ERR_NODATA";
	case INFO_ERR_AUTH: return "INFO_ERR_AUTH";
	default: return "?";
	}
}

/* req_ack(): 8-octet reply, no data */
static void req_ack(const struct rx *r, int vn, int err, struct result *res)
{
	uint8_t p[8];

	p[0] = (uint8_t)(0x80 | (vn << 3) | NTP_MODE_PRIVATE);
	p[1] = 0;
	p[2] = ntp_m7_impl(r->buf);
	p[3] = ntp_m7_code(r->buf);
	p[4] = (uint8_t)(err << 4);
	p[5] = 0;
	p[6] = 0;
	p[7] = 0;
	if (send_pkt(r, p, sizeof(p)) == 0)
		sent(res, sizeof(p));
	snprintf(res->notebuf, sizeof(res->notebuf), "err %d %s", err, err_name(err));
	res->note = res->notebuf;
}

/*
 * prepare_pkt()/more_pkt()/flush_pkt() in one: send n items of itemsize
 * octets, as many per packet as fit in 500 octets, at most 128 packets.
 */
static void send_items(const struct rx *r, int vn, const uint8_t *items,
		       unsigned n, unsigned itemsize, struct result *res)
{
	uint8_t p[8 + RESP_DATA_SIZE];
	unsigned per = RESP_DATA_SIZE / itemsize;  /* databytes + itemsize <= 500 */
	unsigned done = 0;

	if (n == 0) {
		req_ack(r, vn, INFO_ERR_NODATA, res);
		return;
	}
	for (unsigned seq = 0; seq <= MAXSEQ && done < n; seq++) {
		unsigned k = n - done < per ? n - done : per;
		bool more = done + k < n && seq < MAXSEQ;
		size_t len = 8 + (size_t)k * itemsize;

		p[0] = (uint8_t)(0x80 | (more ? 0x40 : 0) | (vn << 3) | NTP_MODE_PRIVATE);
		p[1] = (uint8_t)seq;
		p[2] = ntp_m7_impl(r->buf);
		p[3] = ntp_m7_code(r->buf);
		put16(p + 4, (uint16_t)k);              /* err 0, nitems */
		put16(p + 6, (uint16_t)itemsize);       /* mbz 0, itemsize */
		memcpy(p + 8, items + (size_t)done * itemsize, (size_t)k * itemsize);
		if (send_pkt(r, p, len) == 0)
			sent(res, len);
		done += k;
	}
	if (done < n) {
		snprintf(res->notebuf, sizeof(res->notebuf),
			 "%u of %u items sent, MAXSEQ reached", done, n);
		res->note = res->notebuf;
	}
}

/* local address to report for an entry: its own, else the request's */
static const union addr46 *entry_loc(const struct mon_entry *e, const struct rx *r)
{
	static const union addr46 zero;

	if (e->loc_set)
		return &e->loc;
	if (r->loc_set && r->family == e->family)
		return &r->loc;
	return &zero;
}

static uint8_t items_buf[MON_MAX * 72];

/* REQ_MON_GETLIST_1 (42) and REQ_MON_GETLIST (20) */
static void mon_getlist(const struct rx *r, int vn, bool v1, bool v6cap,
			struct result *res)
{
	unsigned isz = v1 ? (v6cap ? 72 : 32) : (v6cap ? 48 : 24);
	int64_t now = current_time();
	unsigned n = 0;

	memset(items_buf, 0, sizeof(items_buf));
	for (int i = mon_head; i >= 0; i = mon[i].next) {
		const struct mon_entry *e = &mon[i];
		const union addr46 *loc = entry_loc(e, r);
		uint8_t *it = items_buf + (size_t)n * isz;
		int64_t avg = (now - e->first) / (e->count ? e->count : 1);
		bool is6 = e->family == AF_INET6;

		if (is6 && !v6cap)
			continue;       /* impl 2: IPv6 clients are left out */
		put32(it + 0, (uint32_t)avg);
		put32(it + 4, (uint32_t)(now - e->last));
		put32(it + 8, 0);                       /* restr */
		put32(it + 12, e->count);
		if (v1) {
			if (!is6) {
				memcpy(it + 16, &e->rmt.v4, 4);
				memcpy(it + 20, &loc->v4, 4);
			}
			put32(it + 24, MDF_UCAST);
			memcpy(it + 28, &e->port_be, 2);
			it[30] = e->mode;
			it[31] = e->version;
			if (v6cap) {
				put_host32(it + 32, is6 ? 1 : 0);
				if (is6) {
					memcpy(it + 40, &e->rmt.v6, 16);
					memcpy(it + 56, &loc->v6, 16);
				}
			}
		} else {
			if (!is6)
				memcpy(it + 16, &e->rmt.v4, 4);
			memcpy(it + 20, &e->port_be, 2);
			it[22] = e->mode;
			it[23] = e->version;
			if (v6cap) {
				put_host32(it + 24, is6 ? 1 : 0);
				if (is6)
					memcpy(it + 32, &e->rmt.v6, 16);
			}
		}
		n++;
	}
	send_items(r, vn, items_buf, n, isz, res);
}

/* REQ_PEER_LIST (0) and REQ_PEER_LIST_SUM (1), synthetic IPv4 upstreams */
static void peer_list(const struct rx *r, int vn, bool sum, bool v6cap,
		      struct result *res)
{
	unsigned isz = sum ? (v6cap ? 72 : 32) : (v6cap ? 32 : 8);
	unsigned n = 0;

	memset(items_buf, 0, sizeof(items_buf));
	for (int i = 0; i < npeers; i++, n++) {
		uint8_t *it = items_buf + (size_t)n * isz;

		if (!sum) {
			memcpy(it + 0, &peers[i].addr, 4);
			put16(it + 4, NTP_PORT);
			it[6] = MODE_CLIENT;
			it[7] = peers[i].flags;
			if (v6cap)
				put_host32(it + 8, 0);
		} else {
			if (r->loc_set && r->family == AF_INET)
				memcpy(it + 0, &r->loc.v4, 4);
			memcpy(it + 4, &peers[i].addr, 4);
			put16(it + 8, NTP_PORT);
			it[10] = 1;                     /* stratum */
			it[11] = 10;                    /* hpoll */
			it[12] = 10;                    /* ppoll */
			it[13] = 0xff;                  /* reach */
			it[14] = peers[i].flags;
			it[15] = MODE_CLIENT;
			put32(it + 16, 0x00000324 + 0x40 * (uint32_t)i); /* delay ~12 ms, s_fp */
			put32(it + 20, 0);              /* offset, l_fp: 0.000250 s */
			put32(it + 24, 0x0010624d);
			put32(it + 28, 0x000003d7);     /* dispersion ~15 ms, u_fp */
			if (v6cap)
				put_host32(it + 32, 0);
		}
	}
	send_items(r, vn, items_buf, n, isz, res);
}

/* ------------------------------------------------------------ handlers */

/* request codes in 4.2.6p5's ntp_codes[] (Linux build: KERNEL_PLL, REFCLOCK) */
enum { UNKNOWN = 0, NOAUTH, AUTH };
static int code_class(unsigned code)
{
	switch (code) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
	case 8: case 9: case 16: case 20: case 28: case 29: case 34:
	case 36: case 38: case 39: case 42:
		return NOAUTH;
	case 10: case 11: case 12: case 13: case 17: case 18: case 19:
	case 21: case 22: case 23: case 26: case 27: case 30: case 31:
	case 32: case 33: case 37: case 44: case 45:
		return AUTH;
	default:
		return UNKNOWN;
	}
}

/* process_private() */
static void process_private(const struct rx *r, struct result *res)
{
	const uint8_t *h = r->buf;
	int vn, impl, code;
	bool v6cap;

	if (r->len < NTP_M7_HDR_LEN) { res->note = "dropped: shorter than 8"; return; }
	if (ntp_m7_is_response(h[0])) { res->note = "dropped: R set"; return; }
	if (ntp_m7_more(h[0])) { res->note = "dropped: M set"; return; }
	vn = ntp_version(h[0]);
	if (vn < 1 || vn > 4) { res->note = "dropped: VN not 1..4"; return; }
	if (ntp_m7_seq(h) != 0) { res->note = "dropped: seq not 0"; return; }
	if (ntp_m7_err(h) != 0) { res->note = "dropped: err not 0"; return; }
	if ((h[6] >> 4) != 0) { res->note = "dropped: MBZ not 0"; return; }

	impl = ntp_m7_impl(h);
	code = ntp_m7_code(h);
	if (impl != IMPL_UNIV && impl != IMPL_XNTPD_OLD && impl != IMPL_XNTPD) {
		req_ack(r, vn, INFO_ERR_IMPL, res);
		return;
	}
	/* IMPL_UNIV's code table is empty in ntpd */
	if (impl == IMPL_UNIV || code_class((unsigned)code) == UNKNOWN) {
		req_ack(r, vn, INFO_ERR_REQ, res);
		return;
	}
	v6cap = impl == IMPL_XNTPD;
	switch (code) {
	case NTP_M7_REQ_MON_GETLIST_1:
	case NTP_M7_REQ_MON_GETLIST:
	case NTP_M7_REQ_PEER_LIST:
	case NTP_M7_REQ_PEER_LIST_SUM:
		/* these take no data: the only valid item size is 0 */
		if (ntp_m7_itemsize(h) != 0) {
			req_ack(r, vn, INFO_ERR_FMT, res);
			return;
		}
		if (code == NTP_M7_REQ_MON_GETLIST_1 || code == NTP_M7_REQ_MON_GETLIST)
			mon_getlist(r, vn, code == NTP_M7_REQ_MON_GETLIST_1, v6cap, res);
		else
			peer_list(r, vn, code == NTP_M7_REQ_PEER_LIST_SUM, v6cap, res);
		return;
	default:
		req_ack(r, vn, code_class((unsigned)code) == AUTH ?
			INFO_ERR_AUTH : INFO_ERR_NODATA, res);
		return;
	}
}

/* fast_xmit(MODE_SERVER) for a mode 3 request */
static void process_client(const struct rx *r, struct result *res)
{
	const uint8_t *q = r->buf;
	uint8_t p[48];
	struct timespec now, ref;
	int vn = ntp_version(q[0]);

	if (r->len < 48) { res->note = "dropped: mode 3 shorter than 48"; return; }
	if (vn < 1) { res->note = "dropped: VN 0"; return; }

	memset(p, 0, sizeof(p));
	p[0] = (uint8_t)((0 << 6) | (vn << 3) | NTP_MODE_SERVER);     /* LI 0 */
	p[1] = 2;                                       /* stratum */
	p[2] = q[2];                                    /* poll copied */
	p[3] = (uint8_t)(int8_t)-20;                    /* precision 2^-20 s */
	put32(p + 4, 0x00000010);                       /* root delay ~0.24 ms */
	put32(p + 8, 0x00000020);                       /* root dispersion ~0.5 ms */
	put32(p + 12, REFID);                           /* refid: the system peer */
	clock_gettime(CLOCK_REALTIME, &ref);
	ref.tv_sec -= 37;
	ref.tv_nsec = 0;
	put_ntp_ts(p + 16, &ref);                       /* reference time */
	memcpy(p + 24, q + 40, 8);                      /* origin = his transmit */
	put_ntp_ts(p + 32, &r->rt);                     /* receive */
	clock_gettime(CLOCK_REALTIME, &now);
	put_ntp_ts(p + 40, &now);                       /* transmit */
	if (send_pkt(r, p, sizeof(p)) == 0)
		sent(res, sizeof(p));
	res->note = "mode 4 reply";
}

static void handle(struct rx *r)
{
	struct result res = { 0 };
	char from[INET6_ADDRSTRLEN + 10];
	char extra[160];
	uint16_t sport = ntohs(rx_port_be(r));
	int mode = r->len ? ntp_mode(r->buf[0]) : -1;
	unsigned long capped0 = st.capped, senderr0 = st.send_err;

	st.rx++;
	fmt_addr(r->family, rx_addr(r), sport, from, sizeof(from));

	if (sport == 0 || (low_port_check && sport < NTP_PORT)) {
		st.dropped++;
		res.note = sport == 0 ? "dropped: source port 0" :
					"dropped: source port < 123 (--low-port-check)";
	} else if (r->len == 0) {
		st.rx_other++;
		res.note = "empty datagram ignored";
	} else {
		mon_record(r);
		if (mode == NTP_MODE_PRIVATE) {
			st.rx_m7++;
			process_private(r, &res);
		} else if (mode == NTP_MODE_CLIENT) {
			st.rx_m3++;
			process_client(r, &res);
		} else {
			st.rx_other++;
			res.note = "ignored";
		}
		if (res.pkts == 0 && res.note && !strncmp(res.note, "dropped", 7))
			st.dropped++;
	}
	if (res.pkts)
		st.replies++;

	extra[0] = 0;
	if (r->len)
		snprintf(extra, sizeof(extra), "vn %d", ntp_version(r->buf[0]));
	if (res.note) {
		size_t l = strlen(extra);
		snprintf(extra + l, sizeof(extra) - l, "%s%s", l ? ", " : "", res.note);
	}
	if (st.capped != capped0) {
		size_t l = strlen(extra);
		snprintf(extra + l, sizeof(extra) - l, "%s%lu suppressed by --max-packets",
			 l ? ", " : "", st.capped - capped0);
	}
	if (st.send_err != senderr0) {
		size_t l = strlen(extra);
		snprintf(extra + l, sizeof(extra) - l, "%s%lu send errors",
			 l ? ", " : "", st.send_err - senderr0);
	}
	if (mode == NTP_MODE_PRIVATE && r->len >= 4)
		logline("req from %s mode 7 code %u impl %u len %zu -> %u packets %zu bytes (%s)",
			from, ntp_m7_code(r->buf), ntp_m7_impl(r->buf), r->len,
			res.pkts, res.bytes, extra);
	else if (mode >= 0)
		logline("req from %s mode %d len %zu -> %u packets %zu bytes (%s)",
			from, mode, r->len, res.pkts, res.bytes, extra);
	else
		logline("req from %s mode - len 0 -> 0 packets 0 bytes (%s)", from, extra);
}

/* ------------------------------------------------------------- sockets */

static bool open_sock(struct sock *s, int family, const union addr46 *bind_addr,
		      uint16_t port, bool required)
{
	int one = 1, big = 1 << 20;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);

	if (fd < 0) {
		if (required)
			die("socket(%s): %s", family == AF_INET6 ? "AF_INET6" : "AF_INET",
			    strerror(errno));
		return false;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = bind_addr ? bind_addr->v6 : in6addr_any;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = bind_addr ? bind_addr->v4.s_addr : htonl(INADDR_ANY);
		sl = sizeof(*a);
	}
	/* best effort: room for whole bursts and for floods in tests */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;

		close(fd);
		if (required)
			die("bind %s port %u: %s", family == AF_INET6 ? "IPv6" : "IPv4",
			    port, strerror(e));
		if (!quiet)
			fprintf(stderr, "ntpresponder: no IPv6 socket (%s), IPv4 only\n",
				strerror(e));
		return false;
	}
	s->fd = fd;
	s->family = family;
	return true;
}

/* drain one socket */
static void read_sock(struct sock *s)
{
	static struct rx r;

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				 CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { .iov_base = r.buf, .iov_len = sizeof(r.buf) };
		struct msghdr msg = {
			.msg_name = &r.src, .msg_namelen = sizeof(r.src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    !quiet)
				fprintf(stderr, "ntpresponder: recvmsg: %s\n", strerror(errno));
			return;
		}
		clock_gettime(CLOCK_REALTIME, &r.rt);
		r.s = s;
		r.srclen = msg.msg_namelen;
		r.family = s->family;
		r.len = (size_t)n;
		r.loc_set = false;
		r.ifindex = 0;
		memset(&r.loc, 0, sizeof(r.loc));
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				r.loc.v4 = pi.ipi_addr;
				r.ifindex = pi.ipi_ifindex;
				r.loc_set = true;
			} else if (c->cmsg_level == IPPROTO_IPV6 &&
				   c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				r.loc.v6 = pi.ipi6_addr;
				r.ifindex = (int)pi.ipi6_ifindex;
				r.loc_set = true;
			}
		}
		/* replies to multicast/broadcast destinations: let the kernel pick */
		if (r.loc_set && r.family == AF_INET &&
		    (IN_MULTICAST(ntohl(r.loc.v4.s_addr)) ||
		     r.loc.v4.s_addr == htonl(INADDR_BROADCAST)))
			r.loc_set = false;
		if (r.loc_set && r.family == AF_INET6 && IN6_IS_ADDR_MULTICAST(&r.loc.v6))
			r.loc_set = false;
		handle(&r);
		if (stop_sig)
			return;
	}
}

/* ---------------------------------------------------------------- main */

static void on_signal(int sig) { stop_sig = sig; }

static void usage(FILE *f)
{
	fputs("usage: ntpresponder [-4|-6] [--bind ADDR] [--port N] [--prefill N]\n"
	      "                    [--prefill6 N] [--peers N] [--max-packets N]\n"
	      "                    [--duration S] [--log FILE] [--low-port-check] [--quiet]\n"
	      "Test double of a monlist-vulnerable ntpd 4.2.6 (mode 7 + mode 3 only).\n"
	      "  -4, -6            IPv4 only / IPv6 only (default: both, IPv6 optional)\n"
	      "  --bind ADDR       bind to one address (its family decides the socket)\n"
	      "  --port N          UDP port (default 123)\n"
	      "  --prefill N       N synthetic IPv4 clients in the monitor list (max 600)\n"
	      "  --prefill6 N      N synthetic IPv6 clients (2001:db8:0:100::/64)\n"
	      "  --peers N         synthetic upstream peers for codes 0/1 (0..8, default 2)\n"
	      "  --max-packets N   send at most N reply packets in total, then stay silent\n"
	      "  --duration S      exit 0 after S seconds (default: until SIGTERM/SIGINT)\n"
	      "  --log FILE        append one line per received datagram\n"
	      "  --low-port-check  ignore source ports < 123, as 4.2.6-4.2.6p5 did\n"
	      "  --quiet           no messages on stderr except fatal errors\n", f);
}

static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == 0 || *end != 0 || v < lo || v > hi) {
		fprintf(stderr, "ntpresponder: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum { O_BIND = 256, O_PORT, O_PREFILL, O_PREFILL6, O_PEERS, O_MAXPKTS,
	       O_DURATION, O_LOG, O_LOWPORT };
	static const struct option lopts[] = {
		{ "bind", required_argument, NULL, O_BIND },
		{ "port", required_argument, NULL, O_PORT },
		{ "prefill", required_argument, NULL, O_PREFILL },
		{ "prefill6", required_argument, NULL, O_PREFILL6 },
		{ "peers", required_argument, NULL, O_PEERS },
		{ "max-packets", required_argument, NULL, O_MAXPKTS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "log", required_argument, NULL, O_LOG },
		{ "low-port-check", no_argument, NULL, O_LOWPORT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool want4 = true, want6 = true, only4 = false, only6 = false;
	const char *bind_str = NULL, *log_path = NULL;
	union addr46 bind_addr;
	int bind_family = 0;
	uint16_t port = NTP_PORT;
	int n4 = 0, n6 = 0, opt;
	double duration = 0;
	struct sock socks[2];
	int nsocks = 0;
	struct timespec deadline = { 0, 0 };
	sigset_t blocked, empty;
	struct sigaction sa;

	while ((opt = getopt_long(argc, argv, "46qh", lopts, NULL)) != -1) {
		switch (opt) {
		case '4': only4 = true; break;
		case '6': only6 = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case O_BIND: bind_str = optarg; break;
		case O_PORT: port = (uint16_t)parse_num(optarg, 1, 65535, "port"); break;
		case O_PREFILL: n4 = (int)parse_num(optarg, 0, MON_MAX, "prefill"); break;
		case O_PREFILL6: n6 = (int)parse_num(optarg, 0, MON_MAX, "prefill6"); break;
		case O_PEERS: npeers = (int)parse_num(optarg, 0, MAX_PEERS, "peers"); break;
		case O_MAXPKTS:
			max_packets = (unsigned long)parse_num(optarg, 1, LONG_MAX, "max-packets");
			break;
		case O_DURATION: {
			char *end;

			duration = strtod(optarg, &end);
			if (*optarg == 0 || *end != 0 || !(duration > 0) || duration > 1e9) {
				fprintf(stderr, "ntpresponder: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case O_LOG: log_path = optarg; break;
		case O_LOWPORT: low_port_check = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (only4 && only6)) {
		usage(stderr);
		return 2;
	}
	if (only4)
		want6 = false;
	if (only6)
		want4 = false;
	if (bind_str) {
		if (inet_pton(AF_INET, bind_str, &bind_addr.v4) == 1)
			bind_family = AF_INET;
		else if (inet_pton(AF_INET6, bind_str, &bind_addr.v6) == 1)
			bind_family = AF_INET6;
		else {
			fprintf(stderr, "ntpresponder: bad --bind address '%s'\n", bind_str);
			return 2;
		}
		if ((bind_family == AF_INET && !want4) || (bind_family == AF_INET6 && !want6)) {
			fprintf(stderr, "ntpresponder: --bind %s conflicts with -%c\n",
				bind_str, only4 ? '4' : '6');
			return 2;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t_start);
	init_peers(npeers);
	prefill(n4, n6);

	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0)
			die("open %s: %s", log_path, strerror(errno));
	}

	if (bind_family) {
		open_sock(&socks[nsocks++], bind_family, &bind_addr, port, true);
	} else {
		if (want4)
			open_sock(&socks[nsocks++], AF_INET, NULL, port, true);
		if (want6 && open_sock(&socks[nsocks], AF_INET6, NULL, port, !want4))
			nsocks++;
	}

	/* signals are only delivered inside ppoll(): no lost wake-ups */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&empty);

	if (duration > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += (time_t)duration;
		deadline.tv_nsec += (long)((duration - (double)(time_t)duration) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}

	logline("start pid %d port %u sockets %s%s entries %d peers %d",
		(int)getpid(), port,
		socks[0].family == AF_INET ? "ipv4" : "ipv6",
		nsocks > 1 ? "+ipv6" : "", mon_used, npeers);
	if (!quiet)
		fprintf(stderr, "ntpresponder: listening on UDP port %u (%s%s), %d monitor entries\n",
			port, socks[0].family == AF_INET ? "IPv4" : "IPv6",
			nsocks > 1 ? "+IPv6" : "", mon_used);

	while (!stop_sig) {
		struct pollfd pfd[2];
		struct timespec to, *top = NULL;
		int rc;

		if (duration > 0) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			to.tv_sec = deadline.tv_sec - now.tv_sec;
			to.tv_nsec = deadline.tv_nsec - now.tv_nsec;
			if (to.tv_nsec < 0) {
				to.tv_sec--;
				to.tv_nsec += 1000000000L;
			}
			if (to.tv_sec < 0)
				break;
			top = &to;
		}
		for (int i = 0; i < nsocks; i++) {
			pfd[i].fd = socks[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		rc = ppoll(pfd, (nfds_t)nsocks, top, &empty);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		for (int i = 0; i < nsocks && !stop_sig; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				read_sock(&socks[i]);
	}

	logline("summary requests %lu mode7 %lu mode3 %lu other %lu dropped %lu replies %lu packets %lu bytes %lu send_errors %lu capped %lu",
		st.rx, st.rx_m7, st.rx_m3, st.rx_other, st.dropped, st.replies,
		st.pkts, st.bytes, st.send_err, st.capped);
	if (!quiet)
		fprintf(stderr, "ntpresponder: %lu requests seen (%lu mode 7, %lu mode 3, %lu other, %lu dropped), "
			"%lu answered, %lu packets %lu bytes sent, %lu send errors, %lu suppressed by --max-packets\n",
			st.rx, st.rx_m7, st.rx_m3, st.rx_other, st.dropped, st.replies,
			st.pkts, st.bytes, st.send_err, st.capped);
	for (int i = 0; i < nsocks; i++)
		close(socks[i].fd);
	if (log_fd >= 0)
		close(log_fd);
	return 0;
}

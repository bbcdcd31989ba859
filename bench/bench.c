// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - per-packet cost of ntpguard against its peers, measured with
 * BPF_PROG_TEST_RUN, and how that cost scales with the allow-list and the
 * rate table.
 *
 * Programs (columns), all run on the same frames in the same rounds:
 *   empty     xdp_drop_empty (bench/bpf/baseline.bpf.c): return XDP_DROP,
 *             the floor: the test-run loop and the call itself
 *   minimal   xdp_m7_minimal (same file): hand-written IPv4-only mode 7
 *             request dropper with one per-CPU counter
 *   xf-udp    xdp-filter's own object xdpfilt_alw_udp.o (Debian xdp-tools),
 *             configured as `xdp-filter port 123 -p udp` configures it:
 *             filter_ports[htons(123)] = dst|udp on every CPU. The object
 *             `xdp-filter load -f udp` picks.
 *   xf-all    xdpfilt_alw_all.o, same rule: what plain `xdp-filter load`
 *             loads (all features)
 *   ntpguard  build/ntpguard.bpf.o (or --ntpguard FILE), in the instance
 *             the row names: default policy, a 10-prefix allow-list,
 *             rate-capped mode 7, ...
 *   ntpguard' --compare FILE: a second ntpguard object (e.g. main's), the
 *             before/after column
 *
 * Timing. Every BPF_PROG_TEST_RUN call runs one frame `--repeat` times.
 * The kernel reports the mean ns per run, truncated to whole ns: too coarse
 * when the whole loop costs ~7 ns. So each call is also timed with this
 * thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, ns, stops while the thread
 * is preempted, as the kernel's own timer does), which gives sub-ns means.
 * Its only extra is the syscall itself (a few us per call, < 0.1 % at the
 * default repeat) -- provided the program is already in the kernel's XDP
 * dispatcher: a test run of a program that is not swaps it in and out,
 * which costs 0.2-0.5 ms of CPU and two RCU grace periods per call. So the
 * bench first moves into a private network namespace of its own and holds
 * every program there in generic-XDP mode on veth devices that are down
 * (no packet ever flows; the namespace and all of it vanish when the bench
 * exits).
 *
 * Rounds are interleaved (the program order rotates every round, rows run
 * in turn), so noise on a busy VM hits all programs alike. Reported per
 * row and program: median CPU ns per run, min-max over rounds, and the
 * median of the per-round ratio to the empty program run in the same round
 * (the ratios are the numbers to compare across machines).
 *
 * Peers' verdicts are stated here by hand, from their documented
 * behaviour, and checked on every frame before timing; for xdp-filter also
 * that its port rule's hit counter moved exactly when it dropped. ntpguard
 * must count each frame under the expected reason and nothing else.
 * The bench fails (exit 1) only on a load error or a wrong verdict/count,
 * never on timing.
 *
 * Maps are private to this process: every pin path is cleared before load,
 * so a live installation's pinned maps (ntpguard's or xdp-filter's) are
 * never touched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ntpguard.h"
#include "pathlen.h"

#include "version.h"

#ifndef XDP_FILTER_DIR
#define XDP_FILTER_DIR "/usr/lib/x86_64-linux-gnu/bpf"
#endif

#define DEFAULT_BASELINE "build/bench/baseline.bpf.o"
#define DEFAULT_NTPGUARD "build/ntpguard.bpf.o"
#define DEFAULT_REPEAT   2000000
#define DEFAULT_ROUNDS   9
#define MAX_ROUNDS       101
#define FRAME_MAX        1514
#define MAX_COPIES       4
#define DEFAULT_COPIES   2

/* xdp-filter's map layout (xdp-tools xdp-filter/common_kern_user.h and
 * xdpfilt_prog.h): filter_ports is a per-CPU array indexed by the port in
 * network byte order; each value holds the rule's flags in its low
 * XF_COUNTER_SHIFT bits and the rule's hit count above them. */
#define XF_FLAG_SRC      (1u << 0)
#define XF_FLAG_DST      (1u << 1)
#define XF_FLAG_TCP      (1u << 2)
#define XF_FLAG_UDP      (1u << 3)
#define XF_COUNTER_SHIFT 6
#define XF_PORTS_MAP     "filter_ports"

static int verbose;
/*
 * Each program measured in the packet rows is loaded `copies` times and the
 * rounds take the copies in turn: where the JIT places a program moves its
 * cost by a few percent from one load to the next (measured: 2-4 % between
 * two loads of the same object in one run), and the copies spread that
 * over the rounds instead of fixing one placement per run.
 */
static int ncopies = DEFAULT_COPIES;
static int cur_copy;
static int lax_compare;      /* --lax-compare: the compare object's verdicts are not checked */
static const char *only_rows; /* --rows ID,ID...: measure only these rows */

static int row_selected(const char *id)
{
	size_t n = strlen(id);

	for (const char *p = only_rows; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
		if (!strncmp(p, id, n) && (p[n] == ',' || !p[n]))
			return 1;
	return !only_rows;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	/* libbpf notes the sections it does not know (libxdp's run config,
	 * xdp-filter's feature mask): expected, not worth a line. */
	if (level != LIBBPF_WARN && strstr(fmt, "unrecognized"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- frames -------------------------------------------------------------- */

static const __u8 mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const __u8 mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
/* Documentation addresses only. client: not allow-listed anywhere;
 * mgmt: inside the allow-lists' 198.51.100.0/24 and 2001:db8:100::/48. */
static const __u8 v4_client[4] = { 192, 0, 2, 10 };
static const __u8 v4_server[4] = { 192, 0, 2, 123 };
static const __u8 v4_mgmt[4] = { 198, 51, 100, 7 };
static const __u8 v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const __u8 v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x23 };
static const __u8 v6_mgmt[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, [15] = 0x07 };
#define CLIENT_PORT 40001

struct fspec {
	int family;          /* 4 or 6 */
	int proto;           /* 17 UDP, 6 TCP */
	int vlan;            /* 1: one 802.1Q tag */
	int v6ext;           /* 1: Hop-by-Hop + Destination Options headers */
	const __u8 *saddr, *daddr;
	unsigned sport, dport;
	const __u8 *payload;
	size_t plen;
};

struct frame {
	__u8 buf[FRAME_MAX];
	__u32 len;
};

static void put16(__u8 *p, unsigned v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static __u32 csum_add(__u32 sum, const __u8 *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Ethernet [+ 802.1Q] + IPv4/IPv6 [+ extension headers] + UDP/TCP, with
 * correct IPv4 header and UDP/TCP checksums. */
static void build_frame(struct frame *f, const struct fspec *s)
{
	size_t alen = s->family == 4 ? 4 : 16, ext = s->v6ext ? 16 : 0;
	size_t l3 = s->family == 4 ? 20 : 40 + ext, l4 = s->proto == 6 ? 20 : 8;
	size_t l2 = s->vlan ? 18 : 14, seglen = l4 + s->plen;
	__u8 *p = f->buf, *ip = p + l2, *seg = ip + l3;
	__u32 sum;

	if (l2 + l3 + seglen > sizeof(f->buf))
		die("frame too long");
	memset(p, 0, sizeof(f->buf));
	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	if (s->vlan) {
		put16(p + 12, 0x8100);
		put16(p + 14, 100);            /* VID 100 */
	}
	put16(p + l2 - 2, s->family == 4 ? 0x0800 : 0x86dd);

	if (s->family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + seglen));
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000);         /* DF */
		ip[8] = 64;
		ip[9] = (__u8)s->proto;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(ext + seglen));
		ip[6] = s->v6ext ? 0 : (__u8)s->proto;   /* 0: Hop-by-Hop */
		ip[7] = 64;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		if (s->v6ext) {
			__u8 *hbh = ip + 40, *dst = hbh + 8;

			hbh[0] = 60;           /* next: Destination Options */
			hbh[2] = 1;            /* PadN, 4 octets */
			hbh[3] = 4;
			dst[0] = (__u8)s->proto;
			dst[2] = 1;
			dst[3] = 4;
		}
	}

	put16(seg, s->sport);
	put16(seg + 2, s->dport);
	if (s->proto == 6) {
		put16(seg + 4, 0x1000);        /* seq */
		seg[12] = 5 << 4;              /* data offset */
		seg[13] = 0x02;                /* SYN */
		put16(seg + 14, 64240);        /* window */
		memcpy(seg + 20, s->payload, s->plen);
	} else {
		put16(seg + 4, (unsigned)seglen);
		memcpy(seg + 8, s->payload, s->plen);
	}
	sum = csum_add(0, s->saddr, alen);
	sum = csum_add(sum, s->daddr, alen);
	sum += (__u32)s->proto + (__u32)seglen;
	sum = csum_fold(csum_add(sum, seg, seglen));
	if (s->proto == 6)
		put16(seg + 16, sum);
	else
		put16(seg + 6, sum ? sum : 0xffff);
	f->len = (__u32)(l2 + l3 + seglen);
}

enum {
	F_UDP4, F_TCP4, F_M3_4, F_M7_4, F_M7_MGMT4, F_M7_RESP4, F_M7_6EXT,
	F_M7_VLAN4, F_M7_6, F_M7_MGMT6, NFRAMES
};
static struct frame frames[NFRAMES];

static void build_frames(void)
{
	/* MON_GETLIST_1 request, bare 8-octet header (the CVE-2013-5211 probe) */
	static const __u8 monlist[8] = { 0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0 };
	static __u8 client[48] = { 0x23, 0x00, 0x06, 0xe0 }, dns[64], resp[440];
	const struct fspec m7 = { 4, 17, 0, 0, v4_client, v4_server, CLIENT_PORT, 123,
				  monlist, sizeof(monlist) };
	struct fspec s;

	for (size_t i = 0; i < sizeof(dns); i++)
		dns[i] = (__u8)i;
	/* monlist response: R=1, impl 3, code 42, 6 items of 72 octets */
	resp[0] = 0x97;
	resp[2] = 0x03;
	resp[3] = 0x2a;
	resp[5] = 6;
	resp[7] = 72;
	for (size_t i = 8; i < sizeof(resp); i++)
		resp[i] = (__u8)(i * 7);

	s = m7; s.dport = 53; s.payload = dns; s.plen = sizeof(dns);
	build_frame(&frames[F_UDP4], &s);
	s = m7; s.proto = 6; s.dport = 443; s.plen = 0;
	build_frame(&frames[F_TCP4], &s);
	s = m7; s.payload = client; s.plen = sizeof(client);
	build_frame(&frames[F_M3_4], &s);
	build_frame(&frames[F_M7_4], &m7);
	s = m7; s.saddr = v4_mgmt;
	build_frame(&frames[F_M7_MGMT4], &s);
	s = m7; s.saddr = v4_server; s.daddr = v4_client; s.sport = 123;
	s.dport = CLIENT_PORT; s.payload = resp; s.plen = sizeof(resp);
	build_frame(&frames[F_M7_RESP4], &s);
	s = m7; s.family = 6; s.saddr = v6_client; s.daddr = v6_server; s.v6ext = 1;
	build_frame(&frames[F_M7_6EXT], &s);
	s = m7; s.vlan = 1;
	build_frame(&frames[F_M7_VLAN4], &s);
	s = m7; s.family = 6; s.saddr = v6_client; s.daddr = v6_server;
	build_frame(&frames[F_M7_6], &s);
	s.saddr = v6_mgmt;
	build_frame(&frames[F_M7_MGMT6], &s);
}

/* ---- ntpguard instances ---------------------------------------------------- */

enum pol_kind { POL_FRESH, POL_DEFAULT, POL_RC_PASS, POL_RC_DROP, POL_NOREFL };

struct nginst {
	const char *id, *desc;
	enum pol_kind pol;
	__u32 allow;         /* allow-list prefixes (half IPv4, half IPv6) */
	__u32 sources;       /* rate-table entries filled in */
	int prog_fd[2][MAX_COPIES];  /* [0] --ntpguard object, [1] --compare object */
	struct bpf_object *obj[2][MAX_COPIES];
	size_t memlock[2];
	int used;
	int copies;          /* loads of each object (1 for scale-only instances) */
};

enum { NI_DEFAULT, NI_ALLOW10, NI_RC_PASS, NI_RC_DROP, NI_NOREFL,
       NI_AL10K, NI_AL100K, NI_SRC1K, NI_SRC1M, NNI };

static struct nginst insts[NNI] = {
	[NI_DEFAULT] = { "default", "as `ntpguard load` leaves it: compiled-in policy, empty allow-list",
			 POL_FRESH, 0, 0 },
	[NI_ALLOW10] = { "allow10", "default policy, allow-list of 10 prefixes", POL_DEFAULT, 10, 0 },
	[NI_RC_PASS] = { "ratecap", "mode7_request=ratecap, budget never exhausted (both buckets taken)",
			 POL_RC_PASS, 0, 0 },
	[NI_RC_DROP] = { "ratecap-over", "mode7_request=ratecap 1/s burst 1, source over budget",
			 POL_RC_DROP, 0, 0 },
	[NI_NOREFL]  = { "reflectors-off", "default policy, reflectors=off: no reflector records",
			 POL_NOREFL, 0, 0 },
	[NI_AL10K]   = { "allow10k", "allow-list of 10,000 prefixes", POL_DEFAULT, 10000, 0 },
	[NI_AL100K]  = { "allow100k", "allow-list of 100,000 prefixes", POL_DEFAULT, 100000, 0 },
	[NI_SRC1K]   = { "sources1k", "ratecap, rate table holding 1,000 sources", POL_RC_PASS, 0, 1000 },
	[NI_SRC1M]   = { "sources1m", "ratecap, rate table holding 1,000,000 sources", POL_RC_PASS,
			 0, 1000000 },
};

/* ---- rows ------------------------------------------------------------------ */

enum { C_EMPTY, C_MIN, C_XF_UDP, C_XF_ALL, C_NG, C_NG2, NCOL };
static const char *const col_id[NCOL] = {
	"empty", "minimal", "xdp-filter-udp", "xdp-filter-all", "ntpguard", "ntpguard-compare"
};
static const char *const col_short[NCOL] = {
	"empty", "minimal", "xf-udp", "xf-all", "ntpguard", "compare"
};

#define D XDP_DROP
#define P XDP_PASS
#define SKIP -1

enum section { S_PACKET, S_SCALE };

struct row {
	const char *id, *desc;
	enum section sec;
	int frame, inst;
	int expect[NCOL - 1];  /* empty, minimal, xf-udp, xf-all, ntpguard; SKIP: not run */
	int reason;            /* ntpguard counter reason, -1: uncounted */
	int xf_hit;            /* xdp-filter's port rule matches (= it drops) */
	int target;            /* ntpguard / empty target x100 (125, 150), 0 none */
};

static const struct row rows[] = {
	{ "udp-v4", "non-NTP UDP (DNS query, 64 octets)", S_PACKET, F_UDP4, NI_DEFAULT,
	  { D, P, P, P, P }, -1, 0, 125 },
	{ "tcp-v4", "TCP SYN to port 443", S_PACKET, F_TCP4, NI_DEFAULT,
	  { D, P, P, P, P }, -1, 0, 125 },
	{ "m3-v4", "mode 3 client request, 48 octets", S_PACKET, F_M3_4, NI_DEFAULT,
	  { D, P, D, D, P }, NG_R_NTP_PASSED, 1, 125 },
	{ "m7-v4", "mode 7 monlist request, dropped", S_PACKET, F_M7_4, NI_DEFAULT,
	  { D, D, D, D, D }, NG_R_MODE7_REQUEST_DROPPED, 1, 150 },
	{ "m7-allowed-v4", "mode 7 request from an allow-listed host (10 prefixes)", S_PACKET,
	  F_M7_MGMT4, NI_ALLOW10, { D, D, D, D, P }, NG_R_MODE7_REQUEST_ALLOWED, 1, 0 },
	{ "m7-resp-v4", "oversized mode 7 response (440 octets), dropped, its reflector recorded",
	  S_PACKET, F_M7_RESP4,
	  NI_DEFAULT, { D, P, P, P, D }, NG_R_MODE7_RESPONSE_OVERSIZED, 0, 150 },
	{ "m7-resp-norefl-v4", "oversized mode 7 response, dropped, reflectors=off (no record)",
	  S_PACKET, F_M7_RESP4, NI_NOREFL, { D, P, P, P, D }, NG_R_MODE7_RESPONSE_OVERSIZED, 0, 150 },
	{ "m7-ratecap-v4", "mode 7 request, rate-capped policy, within budget: passed", S_PACKET,
	  F_M7_4, NI_RC_PASS, { D, D, D, D, P }, NG_R_MODE7_REQUEST_PASSED, 1, 0 },
	{ "m7-ratecap-over-v4", "mode 7 request, rate-capped policy, over budget: dropped",
	  S_PACKET, F_M7_4, NI_RC_DROP, { D, D, D, D, D }, NG_R_MODE7_REQUEST_RATECAPPED, 1, 0 },
	{ "m7-v6-ext", "IPv6 + Hop-by-Hop + Destination Options, mode 7 request, dropped",
	  S_PACKET, F_M7_6EXT, NI_DEFAULT, { D, P, D, D, D }, NG_R_MODE7_REQUEST_DROPPED, 1, 150 },
	{ "m7-vlan-v4", "802.1Q-tagged mode 7 request, dropped", S_PACKET, F_M7_VLAN4, NI_DEFAULT,
	  { D, P, D, D, D }, NG_R_MODE7_REQUEST_DROPPED, 1, 150 },
	{ "m7-v6", "IPv6 mode 7 request, dropped", S_PACKET, F_M7_6, NI_DEFAULT,
	  { D, P, D, D, D }, NG_R_MODE7_REQUEST_DROPPED, 1, 150 },

	/* scale: empty and ntpguard only */
	{ "al10-miss-v4", "10 prefixes: mode 7 from a host not listed (dropped)", S_SCALE,
	  F_M7_4, NI_ALLOW10, { D, SKIP, SKIP, SKIP, D }, NG_R_MODE7_REQUEST_DROPPED, 0, 0 },
	{ "al10-hit-v6", "10 prefixes: mode 7 from a listed IPv6 host (passed)", S_SCALE,
	  F_M7_MGMT6, NI_ALLOW10, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_ALLOWED, 0, 0 },
	{ "al10k-miss-v4", "10,000 prefixes: IPv4 host not listed (dropped)", S_SCALE, F_M7_4,
	  NI_AL10K, { D, SKIP, SKIP, SKIP, D }, NG_R_MODE7_REQUEST_DROPPED, 0, 0 },
	{ "al10k-hit-v4", "10,000 prefixes: IPv4 host listed (passed)", S_SCALE, F_M7_MGMT4,
	  NI_AL10K, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_ALLOWED, 0, 0 },
	{ "al10k-miss-v6", "10,000 prefixes: IPv6 host not listed (dropped)", S_SCALE, F_M7_6,
	  NI_AL10K, { D, SKIP, SKIP, SKIP, D }, NG_R_MODE7_REQUEST_DROPPED, 0, 0 },
	{ "al10k-hit-v6", "10,000 prefixes: IPv6 host listed (passed)", S_SCALE, F_M7_MGMT6,
	  NI_AL10K, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_ALLOWED, 0, 0 },
	{ "al100k-miss-v4", "100,000 prefixes: IPv4 host not listed (dropped)", S_SCALE, F_M7_4,
	  NI_AL100K, { D, SKIP, SKIP, SKIP, D }, NG_R_MODE7_REQUEST_DROPPED, 0, 0 },
	{ "al100k-hit-v4", "100,000 prefixes: IPv4 host listed (passed)", S_SCALE, F_M7_MGMT4,
	  NI_AL100K, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_ALLOWED, 0, 0 },
	{ "al100k-miss-v6", "100,000 prefixes: IPv6 host not listed (dropped)", S_SCALE, F_M7_6,
	  NI_AL100K, { D, SKIP, SKIP, SKIP, D }, NG_R_MODE7_REQUEST_DROPPED, 0, 0 },
	{ "al100k-hit-v6", "100,000 prefixes: IPv6 host listed (passed)", S_SCALE, F_M7_MGMT6,
	  NI_AL100K, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_ALLOWED, 0, 0 },
	{ "src0-v4", "rate table empty but for the measured source (ratecap, passed)", S_SCALE,
	  F_M7_4, NI_RC_PASS, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_PASSED, 0, 0 },
	{ "src1k-v4", "rate table of 1,000 sources (ratecap, passed)", S_SCALE, F_M7_4,
	  NI_SRC1K, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_PASSED, 0, 0 },
	{ "src1m-v4", "rate table of 1,000,000 sources (ratecap, passed)", S_SCALE, F_M7_4,
	  NI_SRC1M, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_PASSED, 0, 0 },
	{ "src1m-v6", "rate table of 1,000,000 sources, IPv6 /64 key (ratecap, passed)", S_SCALE,
	  F_M7_6, NI_SRC1M, { D, SKIP, SKIP, SKIP, P }, NG_R_MODE7_REQUEST_PASSED, 0, 0 },
};
#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

#undef D
#undef P

/* ---- programs ---------------------------------------------------------------- */

struct peer {
	int fd[MAX_COPIES];       /* program, one per copy */
	int ports_fd[MAX_COPIES]; /* xdp-filter: filter_ports */
	__u32 xlated, jited, verified;
};
static struct peer peers[C_XF_ALL + 1];
static int have_compare;

static void prog_info(int fd, __u32 *xlated, __u32 *jited, __u32 *verified)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("prog info: %s", strerror(errno));
	*xlated = info.xlated_prog_len;
	*jited = info.jited_prog_len;
	*verified = info.verified_insns;
}

/* Open an object with every pin path cleared: its maps are private. */
static struct bpf_object *open_private(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *map;

	if (!obj)
		die("opening %s: %s", path, strerror(errno));
	bpf_object__for_each_map(map, obj) {
		int err = bpf_map__set_pin_path(map, NULL);

		if (err)
			die("%s: clearing the pin path of %s: %s", path, bpf_map__name(map),
			    strerror(-err));
	}
	return obj;
}

static int prog_fd_by_name(struct bpf_object *obj, const char *path, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog)
		die("%s has no program %s", path, name);
	return bpf_program__fd(prog);
}

static int map_fd_by_name(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		die("no map %s", name);
	return bpf_map__fd(map);
}

static void load_baselines(const char *path, int copy)
{
	struct bpf_object *obj = open_private(path);
	int err = bpf_object__load(obj);

	if (err)
		die("loading %s: %s", path, strerror(-err));
	peers[C_EMPTY].fd[copy] = prog_fd_by_name(obj, path, "xdp_drop_empty");
	peers[C_MIN].fd[copy] = prog_fd_by_name(obj, path, "xdp_m7_minimal");
}

/* xdp-filter: the object's one program, and `port 123 -p udp` in its map. */
static void load_xdp_filter(int col, const char *dir, const char *file, int copy)
{
	char path[512];
	struct bpf_object *obj;
	struct bpf_program *prog;
	int ncpu = libbpf_num_possible_cpus(), err;
	__u32 key = htons(123);
	__u64 *vals;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (access(path, R_OK))
		die("%s: %s (Debian package xdp-tools; --xdp-filter-dir DIR)", path,
		    strerror(errno));
	obj = open_private(path);
	err = bpf_object__load(obj);
	if (err)
		die("loading %s: %s", path, strerror(-err));
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		die("%s: no program", path);
	peers[col].fd[copy] = bpf_program__fd(prog);
	peers[col].ports_fd[copy] = map_fd_by_name(obj, XF_PORTS_MAP);

	if (ncpu <= 0)
		die("cannot count possible CPUs");
	vals = xcalloc((size_t)ncpu, sizeof(*vals));
	for (int c = 0; c < ncpu; c++)
		vals[c] = XF_FLAG_DST | XF_FLAG_UDP;
	if (bpf_map_update_elem(peers[col].ports_fd[copy], &key, vals, BPF_ANY))
		die("%s: writing the port rule: %s", path, strerror(errno));
	free(vals);
}

/* Hits of xdp-filter's port-123 rule, summed over CPUs. */
static __u64 xf_hits(int col)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals = xcalloc((size_t)ncpu, sizeof(*vals)), n = 0;
	__u32 key = htons(123);

	if (bpf_map_lookup_elem(peers[col].ports_fd[cur_copy], &key, vals))
		die("reading xdp-filter's filter_ports: %s", strerror(errno));
	for (int c = 0; c < ncpu; c++) {
		if ((vals[c] & ((1u << XF_COUNTER_SHIFT) - 1)) != (XF_FLAG_DST | XF_FLAG_UDP))
			die("xdp-filter's port rule lost its flags on CPU %d: %#llx", c,
			    (unsigned long long)vals[c]);
		n += vals[c] >> XF_COUNTER_SHIFT;
	}
	free(vals);
	return n;
}

/* ---- ntpguard instances: policy, allow-list, rate table ------------------- */

static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static __u64 rng(void)
{
	/* xorshift64*: fixed seed, so every run builds the same lists */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void mask_prefix(__u8 *a, int alen, __u32 plen)
{
	for (int i = 0; i < alen; i++) {
		int keep = (int)plen - i * 8;

		a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (__u8)(0xff << (8 - keep));
	}
}

/* Does prefix a/plen contain address x? */
static int covers(const __u8 *a, __u32 plen, const __u8 *x, int alen)
{
	__u8 t[16];

	memcpy(t, x, (size_t)alen);
	mask_prefix(t, alen, plen);
	return !memcmp(t, a, (size_t)alen);
}

static void set_used(int used_fd, __u32 fam)
{
	__u32 one = 1;

	if (bpf_map_update_elem(used_fd, &fam, &one, BPF_ANY))
		die("writing %s: %s", NG_STR(NG_MAP_ALLOW_USED), strerror(errno));
}

/*
 * n prefixes, half IPv4 (lengths /16../32), half IPv6 (/32../64 and /128),
 * pseudo-random but fixed; they are map keys only, never on the wire.
 * 198.51.100.0/24 and 2001:db8:100::/48 are always in (the "mgmt" hosts);
 * nothing generated covers the "client" addresses.
 */
static void fill_allow(struct bpf_object *obj, __u32 n)
{
	int v4 = map_fd_by_name(obj, NG_STR(NG_MAP_ALLOW_V4));
	int v6 = map_fd_by_name(obj, NG_STR(NG_MAP_ALLOW_V6));
	int used = map_fd_by_name(obj, NG_STR(NG_MAP_ALLOW_USED));
	const ng_allow_val zero = 0;
	struct ng_lpm_v4 k4 = { .prefixlen = 24, .addr = { 198, 51, 100, 0 } };
	struct ng_lpm_v6 k6 = { .prefixlen = 48,
				.addr = { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00 } };
	__u32 done = 2;

	set_used(used, 0);
	set_used(used, 1);
	if (bpf_map_update_elem(v4, &k4, &zero, BPF_NOEXIST) ||
	    bpf_map_update_elem(v6, &k6, &zero, BPF_NOEXIST))
		die("allow-list: %s", strerror(errno));
	rng_state = 0x9e3779b97f4a7c15ull;
	while (done < n) {
		__u64 r = rng(), r2 = rng();
		int fam6 = done & 1, fd = fam6 ? v6 : v4;
		void *key;

		if (!fam6) {
			k4.prefixlen = 16 + (__u32)(r % 17);
			memcpy(k4.addr, &r2, 4);
			mask_prefix(k4.addr, 4, k4.prefixlen);
			if (covers(k4.addr, k4.prefixlen, v4_client, 4) ||
			    covers(k4.addr, k4.prefixlen, v4_server, 4) ||
			    covers(k4.addr, k4.prefixlen, v4_mgmt, 4))
				continue;
			key = &k4;
		} else {
			__u64 r3 = rng();

			k6.prefixlen = r % 8 == 0 ? 128 : 32 + (__u32)(r % 33);
			k6.addr[0] = 0x20 | (__u8)(r2 & 0x1f);  /* 2000::/3 */
			memcpy(k6.addr + 1, (__u8 *)&r2 + 1, 7);
			memcpy(k6.addr + 8, &r3, 8);
			mask_prefix(k6.addr, 16, k6.prefixlen);
			if (covers(k6.addr, k6.prefixlen, v6_client, 16) ||
			    covers(k6.addr, k6.prefixlen, v6_server, 16) ||
			    covers(k6.addr, k6.prefixlen, v6_mgmt, 16))
				continue;
			key = &k6;
		}
		if (bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST)) {
			if (errno == EEXIST)
				continue;
			die("allow-list entry %u: %s", done, strerror(errno));
		}
		done++;
	}
}

/*
 * n rate-table entries: the first up to 65,536 IPv4 sources from
 * 198.18.0.0/15 (RFC 2544's benchmark range), the rest IPv6 /64s of
 * 2001:db8::/32. Map keys only, never on the wire. Written in batches.
 */
static void fill_sources(struct bpf_object *obj, __u32 n)
{
	enum { BATCH = 4096 };
	int fd = map_fd_by_name(obj, NG_STR(NG_MAP_BUCKETS));
	struct ng_bkey *keys = xcalloc(BATCH, sizeof(*keys));
	struct ng_bucket *vals = xcalloc(BATCH, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, bo);

	for (__u32 i = 0; i < n;) {
		__u32 cnt = 0;

		for (; cnt < BATCH && i < n; cnt++, i++) {
			struct ng_bkey *k = &keys[cnt];

			memset(k, 0, sizeof(*k));
			k->pclass = NG_PC_M7_REQUEST;
			if (i < 65536) {
				__u32 a = 0xc6120000u + i;

				k->family = 4;
				k->addr[0] = (__u8)(a >> 24);
				k->addr[1] = (__u8)(a >> 16);
				k->addr[2] = (__u8)(a >> 8);
				k->addr[3] = (__u8)a;
			} else {
				k->family = 6;
				k->addr[0] = 0x20;
				k->addr[1] = 0x01;
				k->addr[2] = 0x0d;
				k->addr[3] = 0xb8;
				k->addr[4] = 0x80 | (__u8)(i >> 24);
				k->addr[5] = (__u8)(i >> 16);
				k->addr[6] = (__u8)(i >> 8);
				k->addr[7] = (__u8)i;
			}
			vals[cnt].tokens = NG_NSEC;
			vals[cnt].last_ns = 1;
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &bo))
			die("filling the rate table at %u: %s", i, strerror(errno));
	}
	free(keys);
	free(vals);
}

static void write_policy(struct bpf_object *obj, enum pol_kind kind)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct ng_class_policy *cp = &pol.cls[NG_PC_M7_REQUEST];
	__u32 zero = 0;

	if (kind == POL_FRESH)
		return;
	if (kind == POL_RC_PASS) {
		cp->action = NG_ACT_RATECAP;
		cp->rate = cp->global_rate = 10000000;
		cp->burst = cp->global_burst = 10000000;
	} else if (kind == POL_RC_DROP) {
		cp->action = NG_ACT_RATECAP;
		cp->rate = cp->burst = 1;
	} else if (kind == POL_NOREFL) {
		pol.no_reflectors = 1;
	}
	if (bpf_map_update_elem(map_fd_by_name(obj, NG_STR(NG_MAP_POLICY)), &zero, &pol, BPF_ANY) ||
	    bpf_map_update_elem(map_fd_by_name(obj, NG_STR(NG_MAP_POLICY_SEL)), &zero, &zero,
				BPF_ANY))
		die("writing the policy: %s", strerror(errno));
}

/* Kernel-accounted memory of a map (fdinfo "memlock"), bytes. */
static size_t map_memlock(int fd)
{
	char path[64], line[256];
	size_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %zu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static size_t obj_memlock(struct bpf_object *obj)
{
	struct bpf_map *map;
	size_t sum = 0;

	bpf_object__for_each_map(map, obj)
		sum += map_memlock(bpf_map__fd(map));
	return sum;
}

static void load_inst(struct nginst *in, int which, const char *path, int copy)
{
	struct bpf_object *obj = open_private(path);
	struct bpf_map *buckets = bpf_object__find_map_by_name(obj, NG_STR(NG_MAP_BUCKETS));
	int err;

	if (!buckets)
		die("%s: no map %s", path, NG_STR(NG_MAP_BUCKETS));
	if (in->sources)
		bpf_map__set_max_entries(buckets, in->sources + in->sources / 8 + 1024);
	err = bpf_object__load(obj);
	if (err)
		die("loading %s (%s): %s", path, in->id, strerror(-err));
	in->obj[which][copy] = obj;
	in->prog_fd[which][copy] = prog_fd_by_name(obj, path, NG_STR(NG_PROG_XDP));
	write_policy(obj, in->pol);
	if (in->allow)
		fill_allow(obj, in->allow);
	if (in->sources)
		fill_sources(obj, in->sources);
	if (!copy)
		in->memlock[which] = obj_memlock(obj);
}

/* Sum of an ntpguard instance's per-CPU counters, slot 0, every reason. */
static void read_counters(struct bpf_object *obj, __u64 *pkts)
{
	int fd = map_fd_by_name(obj, NG_STR(NG_MAP_COUNTERS));
	int ncpu = libbpf_num_possible_cpus();
	struct ng_counter *vals = xcalloc((size_t)ncpu, sizeof(*vals));

	for (__u32 r = 0; r < NG_REASON_SLOTS; r++) {
		__u32 key = NG_COUNTER_KEY(0, r);

		pkts[r] = 0;
		if (bpf_map_lookup_elem(fd, &key, vals))
			die("reading %s: %s", NG_STR(NG_MAP_COUNTERS), strerror(errno));
		for (int c = 0; c < ncpu; c++)
			pkts[r] += vals[c].packets;
	}
	free(vals);
}

/* ---- running ------------------------------------------------------------------ */

static const char *verdict_name(int v)
{
	switch (v) {
	case XDP_ABORTED:  return "ABORTED";
	case XDP_DROP:     return "DROP";
	case XDP_PASS:     return "PASS";
	case XDP_TX:       return "TX";
	case XDP_REDIRECT: return "REDIRECT";
	}
	return "?";
}

static int row_fd(const struct row *rw, int col)
{
	const struct nginst *in = &insts[rw->inst];

	if (col == C_NG)
		return in->prog_fd[0][cur_copy % in->copies];
	if (col == C_NG2)
		return in->prog_fd[1][cur_copy % in->copies];
	return peers[col].fd[cur_copy];
}

static int row_expect(const struct row *rw, int col)
{
	return rw->expect[col == C_NG2 ? C_NG : col];
}

static int row_runs(const struct row *rw, int col)
{
	if ((col == C_NG2 && !have_compare) || !row_selected(rw->id))
		return 0;
	return row_expect(rw, col) != SKIP;
}

static double thread_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

struct sample {
	double cpu;     /* thread CPU ns per run */
	__u32 kns;      /* kernel-reported ns per run (truncated) */
};

static struct sample run_once(const struct row *rw, int col, int repeat)
{
	const struct frame *f = &frames[rw->frame];
	struct bpf_test_run_opts o;
	struct sample s;
	double t0, t1;
	int err, tries = 0;

	/* spelled out rather than LIBBPF_OPTS(), which cppcheck cannot parse */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = f->buf;
	o.data_size_in = f->len;
	o.repeat = repeat;
	do {
		o.retval = 0;
		o.duration = 0;
		t0 = thread_ns();
		err = bpf_prog_test_run_opts(row_fd(rw, col), &o);
		t1 = thread_ns();
	} while (err && errno == EINTR && ++tries < 10);
	if (err)
		die("BPF_PROG_TEST_RUN %s on %s: %s", col_id[col], rw->id, strerror(errno));
	if ((int)o.retval != row_expect(rw, col) && !(col == C_NG2 && lax_compare))
		die("WRONG VERDICT: %s on %s (%s) returned %s (%u), expected %s", col_id[col],
		    rw->id, rw->desc, verdict_name((int)o.retval), o.retval,
		    verdict_name(row_expect(rw, col)));
	s.cpu = (t1 - t0) / repeat;
	s.kns = o.duration;
	return s;
}

/*
 * One run of every row through every program it measures, checking the
 * verdicts, ntpguard's counters (exactly one packet, under the row's
 * reason) and xdp-filter's rule hits. Doubles as the warm-up.
 */
static void check_rows_copy(int sections)
{
	__u64 before[NG_REASON_SLOTS], after[NG_REASON_SLOTS];
	const struct nginst *rc = &insts[NI_RC_DROP];

	/* Spend the one-token burst of the over-budget instance first. */
	for (int w = 0; w < 1 + have_compare; w++) {
		struct bpf_test_run_opts o;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.data_in = frames[F_M7_4].buf;
		o.data_size_in = frames[F_M7_4].len;
		o.repeat = 1;
		if (bpf_prog_test_run_opts(rc->prog_fd[w][cur_copy % rc->copies], &o) ||
		    (o.retval != XDP_PASS && !(w && lax_compare)))
			die("ratecap-over: the first request should pass (burst 1)");
	}
	for (int i = 0; i < NROWS; i++) {
		const struct row *rw = &rows[i];

		if (!((sections >> rw->sec) & 1) || !row_selected(rw->id))
			continue;
		for (int col = 0; col < NCOL; col++) {
			struct bpf_object *obj;
			__u64 h0 = 0;

			if (!row_runs(rw, col))
				continue;
			if (col == C_XF_UDP || col == C_XF_ALL)
				h0 = xf_hits(col);
			obj = col == C_NG ?
			      insts[rw->inst].obj[0][cur_copy % insts[rw->inst].copies] : NULL;
			if (obj)
				read_counters(obj, before);
			run_once(rw, col, 1);
			if ((col == C_XF_UDP || col == C_XF_ALL) &&
			    xf_hits(col) - h0 != (__u64)rw->xf_hit)
				die("%s on %s: port rule hits moved by %llu, expected %d",
				    col_id[col], rw->id, (unsigned long long)(xf_hits(col) - h0),
				    rw->xf_hit);
			if (!obj)
				continue;
			read_counters(obj, after);
			for (int r = 0; r < NG_REASON_SLOTS; r++) {
				__u64 want = r == rw->reason ? 1 : 0;

				if (after[r] - before[r] != want)
					die("WRONG REASON: ntpguard on %s: reason %d (%s) counted %llu, expected %llu (the row's reason: %s)",
					    rw->id, r, r < NG_R__COUNT ? ng_reason_name(r) : "?",
					    (unsigned long long)(after[r] - before[r]),
					    (unsigned long long)want,
					    rw->reason >= 0 ? ng_reason_name(rw->reason) : "uncounted");
			}
		}
	}
}

/* ---- building blocks: single steps on top of the empty program ------------------ */

static const struct block {
	const char *prog, *desc;
} blocks[] = {
	{ "blk_global_read",  "read one global variable" },
	{ "blk_lookup1",      "one array map lookup (inlined by the verifier)" },
	{ "blk_lookup2",      "two array map lookups" },
	{ "blk_lookup4",      "four array map lookups" },
	{ "blk_counter",      "per-CPU counter update (lookup, packets++, bytes +=)" },
	{ "blk_jiffies",      "bpf_jiffies64()" },
	{ "blk_ktime_coarse", "bpf_ktime_get_coarse_ns()" },
	{ "blk_ktime",        "bpf_ktime_get_ns()" },
};
#define NBLOCKS ((int)(sizeof(blocks) / sizeof(blocks[0])))
static int blk_fd[NBLOCKS];
static double blk_ns[NBLOCKS][MAX_ROUNDS], blk_empty[NBLOCKS][MAX_ROUNDS];
static double blk_ratio[NBLOCKS][MAX_ROUNDS];

static void load_blocks(const char *path)
{
	struct bpf_object *obj = open_private(path);
	int err = bpf_object__load(obj);

	if (err)
		die("loading %s: %s", path, strerror(-err));
	for (int b = 0; b < NBLOCKS; b++)
		blk_fd[b] = prog_fd_by_name(obj, path, blocks[b].prog);
}

static double run_block(int fd, int repeat)
{
	struct bpf_test_run_opts o;
	double t0;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = frames[F_UDP4].buf;
	o.data_size_in = frames[F_UDP4].len;
	o.repeat = repeat;
	t0 = thread_ns();
	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN (building block): %s", strerror(errno));
	if (o.retval != XDP_DROP)
		die("building block returned %s", o.retval == XDP_PASS ? "PASS" : "?");
	return (thread_ns() - t0) / repeat;
}

/* Each block next to the empty program, in interleaved rounds. */
static void measure_blocks(int rounds, int repeat)
{
	for (int r = 0; r < rounds; r++)
		for (int b = 0; b < NBLOCKS; b++) {
			int bb = (b + r) % NBLOCKS;

			if (r & 1) {
				blk_ns[bb][r] = run_block(blk_fd[bb], repeat);
				blk_empty[bb][r] = run_block(peers[C_EMPTY].fd[0], repeat);
			} else {
				blk_empty[bb][r] = run_block(peers[C_EMPTY].fd[0], repeat);
				blk_ns[bb][r] = run_block(blk_fd[bb], repeat);
			}
			blk_ratio[bb][r] = blk_ns[bb][r] / blk_empty[bb][r];
		}
}

/*
 * CPU time of one BPF_PROG_TEST_RUN call with repeat 2 of the empty program:
 * the per-call overhead every measured call also pays. A few us when the
 * program is held in the dispatcher; 0.2-0.5 ms when it is not (the
 * kernel's dispatcher had no free slot: other XDP programs on this host).
 */
static double call_overhead_us(void)
{
	struct bpf_test_run_opts o;
	double best = 1e18;

	for (int i = 0; i < 5; i++) {
		double t0;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.data_in = frames[F_UDP4].buf;
		o.data_size_in = frames[F_UDP4].len;
		o.repeat = 2;
		t0 = thread_ns();
		if (bpf_prog_test_run_opts(peers[C_EMPTY].fd[0], &o))
			die("BPF_PROG_TEST_RUN: %s", strerror(errno));
		if (thread_ns() - t0 < best)
			best = thread_ns() - t0;
	}
	return best / 1000;
}

/* Is the oversized response's source recorded as a reflector (slot 0)? */
static int has_reflector(struct bpf_object *obj)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ng_refl *v = xcalloc((size_t)ncpu, sizeof(*v));
	struct ng_rkey key;
	int found;

	memset(&key, 0, sizeof(key));
	key.family = 4;
	memcpy(key.addr, v4_server, 4);
	found = !bpf_map_lookup_elem(map_fd_by_name(obj, NG_STR(NG_MAP_REFLECTORS)), &key, v);
	free(v);
	return found;
}

static void check_rows(int sections)
{
	for (cur_copy = 0; cur_copy < ncopies; cur_copy++)
		check_rows_copy(sections);
	cur_copy = 0;
	/* the default records the reflector of a dropped oversized response,
	 * reflectors=off does not */
	if ((sections & (1 << S_PACKET)) && row_selected("m7-resp-v4") &&
	    !has_reflector(insts[NI_DEFAULT].obj[0][0]))
		die("the default instance did not record the oversized response's reflector");
	if ((sections & (1 << S_PACKET)) && row_selected("m7-resp-norefl-v4") &&
	    has_reflector(insts[NI_NOREFL].obj[0][0]))
		die("reflectors=off recorded a reflector");
}

/*
 * Hold every program in the kernel's XDP dispatcher (see the header):
 * a private network namespace, veth pairs that stay down, generic XDP.
 */
static void hold_in_dispatcher(void)
{
	int fds[(2 * NNI + NCOL) * MAX_COPIES + NBLOCKS], n = 0;

	for (int c = 0; c <= C_XF_ALL; c++)
		for (int k = 0; k < ncopies; k++)
			fds[n++] = peers[c].fd[k];
	for (int b = 0; b < NBLOCKS; b++)
		fds[n++] = blk_fd[b];
	for (int i = 0; i < NNI; i++)
		for (int w = 0; w < 1 + have_compare; w++)
			for (int k = 0; insts[i].used && k < insts[i].copies; k++)
				fds[n++] = insts[i].prog_fd[w][k];
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s", strerror(errno));
	for (int i = 0; i < (n + 1) / 2; i++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd),
			 "ip link add ngbh%da type veth peer name ngbh%db", i, i);
		if (system(cmd))
			die("'%s' failed (in the bench's private namespace)", cmd);
	}
	for (int i = 0; i < n; i++) {
		char ifname[IF_NAMESIZE];
		unsigned idx;

		snprintf(ifname, sizeof(ifname), "ngbh%d%c", i / 2, i % 2 ? 'b' : 'a');
		idx = if_nametoindex(ifname);
		if (!idx || bpf_xdp_attach((int)idx, fds[i], XDP_FLAGS_SKB_MODE, NULL))
			die("attaching program %d to %s (generic, down): %s", i, ifname,
			    strerror(errno));
	}
}

/* ---- statistics ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stat3 { double med, lo, hi; };

static struct stat3 stats(const double *v, int n)
{
	double s[MAX_ROUNDS];
	struct stat3 r;

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	r.lo = s[0];
	r.hi = s[n - 1];
	return r;
}

/* per row, column, round */
static double cpu[NROWS][NCOL][MAX_ROUNDS];
static double kns[NROWS][NCOL][MAX_ROUNDS];
static double ratio[NROWS][NCOL][MAX_ROUNDS];      /* / empty, same round */
static double vs_xf[NROWS][2][MAX_ROUNDS];         /* ntpguard / xf-udp, / xf-all */
static double vs_before[NROWS][MAX_ROUNDS];        /* ntpguard / compare */
static struct pathlen plen[NROWS][NCOL];            /* executed instructions */

/* Instructions each program executes on each row's frame (bench/pathlen.c);
 * kept only where the interpreter reached the kernel's verdict. */
static void count_paths(int sections)
{
	for (int i = 0; i < NROWS; i++) {
		const struct row *rw = &rows[i];

		if (!((sections >> rw->sec) & 1) || !row_selected(rw->id))
			continue;
		for (int col = 0; col < NCOL; col++) {
			struct pathlen *pl = &plen[i][col];

			/* map contents are not modelled: only the fresh instance */
			if (!row_runs(rw, col) ||
			    ((col == C_NG || col == C_NG2) && rw->inst != NI_DEFAULT))
				continue;
			if (pathlen_run(row_fd(rw, col), frames[rw->frame].buf,
					frames[rw->frame].len, pl) || !pl->ok ||
			    pl->ret != row_expect(rw, col))
				pl->ok = 0;
		}
	}
}

static void put_insns(const struct pathlen *pl)
{
	if (pl->ok)
		printf(" %5u", pl->insns);
	else
		printf(" %5s", "-");
}

static void measure(int rounds, int repeat, int sections)
{
	for (int r = 0; r < rounds; r++) {
		cur_copy = r % ncopies;
		for (int i = 0; i < NROWS; i++) {
			const struct row *rw = &rows[i];

			if (!((sections >> rw->sec) & 1) || !row_selected(rw->id))
				continue;
			for (int k = 0; k < NCOL; k++) {
				int col = (k + r) % NCOL;   /* rotate who goes first */
				struct sample s;

				if (!row_runs(rw, col))
					continue;
				s = run_once(rw, col, repeat);
				cpu[i][col][r] = s.cpu;
				kns[i][col][r] = s.kns;
			}
			for (int col = 0; col < NCOL; col++)
				ratio[i][col][r] = cpu[i][col][r] / cpu[i][C_EMPTY][r];
			if (rw->sec == S_PACKET) {
				vs_xf[i][0][r] = cpu[i][C_NG][r] / cpu[i][C_XF_UDP][r];
				vs_xf[i][1][r] = cpu[i][C_NG][r] / cpu[i][C_XF_ALL][r];
			}
			if (have_compare)
				vs_before[i][r] = cpu[i][C_NG][r] / cpu[i][C_NG2][r];
		}
	}
}

/* ---- output ------------------------------------------------------------------------ */

static void print_text(int rounds, int repeat, int sections, const char *machine)
{
	printf("ntpguard bench %s, %s\n%d interleaved rounds x BPF_PROG_TEST_RUN repeat %d.\n"
	       "ns: this thread's CPU ns per run, median over rounds (the kernel's own\n"
	       "figure, whole ns truncated, is in the JSON as kernel_ns). x empty: median of\n"
	       "the per-round ratio to xdp_drop_empty (the floor: test-run loop + call).\n",
	       NG_VERSION, machine, rounds, repeat);

	if (sections & (1 << S_PACKET)) {
		printf("\n== per packet ==\n\n%-19s", "row");
		for (int col = 0; col < NCOL; col++)
			if (col != C_NG2 || have_compare)
				printf(" | %-22s", col_short[col]);
		printf(" | ng/xf-udp ng/xf-all%s\n", have_compare ? "  ng/compare" : "");
		for (int i = 0; i < NROWS; i++) {
			const struct row *rw = &rows[i];

			if (rw->sec != S_PACKET || !row_selected(rw->id))
				continue;
			printf("%-19s", rw->id);
			for (int col = 0; col < NCOL; col++) {
				struct stat3 c, x;

				if (col == C_NG2 && !have_compare)
					continue;
				c = stats(cpu[i][col], rounds);
				x = stats(ratio[i][col], rounds);
				if (col == C_EMPTY)
					printf(" | %-4s %5.2f %-11s", verdict_name(row_expect(rw, col)),
					       c.med, "");
				else
					printf(" | %-4s %5.2f x%.2f %-4s",
					       verdict_name(row_expect(rw, col)), c.med, x.med,
					       col == C_NG && rw->target ?
					       (x.med <= rw->target / 100.0 ? "ok" : "MISS") : "");
			}
			printf(" | %9.2f %9.2f", stats(vs_xf[i][0], rounds).med,
			       stats(vs_xf[i][1], rounds).med);
			if (have_compare)
				printf(" %11.2f", stats(vs_before[i], rounds).med);
			printf("\n");
		}
		printf("\nspread over rounds (ns min-max; x empty min-max):\n");
		for (int i = 0; i < NROWS; i++) {
			if (rows[i].sec != S_PACKET || !row_selected(rows[i].id))
				continue;
			printf("  %-19s", rows[i].id);
			for (int col = 0; col < NCOL; col++) {
				struct stat3 c, x;

				if (!row_runs(&rows[i], col))
					continue;
				c = stats(cpu[i][col], rounds);
				x = stats(ratio[i][col], rounds);
				printf(" %s %.2f-%.2f", col_short[col], c.lo, c.hi);
				if (col != C_EMPTY)
					printf(" (x%.2f-%.2f)", x.lo, x.hi);
			}
			printf("\n");
		}
		printf("\nBPF instructions executed per frame (bench/pathlen.c, an interpreter of\n"
		       "the verified program; '-': not counted: the path depends on map contents\n"
		       "(allow-lists, a written policy, rate tables, xdp-filter's rule) or helpers):\n"
		       "  %-19s", "row");
		for (int col = 0; col < NCOL; col++)
			if (col != C_NG2 || have_compare)
				printf(" %8s", col_short[col]);
		printf("\n");
		for (int i = 0; i < NROWS; i++) {
			if (rows[i].sec != S_PACKET || !row_selected(rows[i].id))
				continue;
			printf("  %-19s", rows[i].id);
			for (int col = 0; col < NCOL; col++) {
				if (col == C_NG2 && !have_compare)
					continue;
				printf("   ");
				put_insns(&plen[i][col]);
			}
			printf("\n");
		}
		printf("\nrows:\n");
		for (int i = 0; i < NROWS; i++)
			if (rows[i].sec == S_PACKET && row_selected(rows[i].id))
				printf("  %-19s %s; ntpguard instance: %s\n", rows[i].id, rows[i].desc,
				       insts[rows[i].inst].id);
		printf("targets: x empty <= 1.25 for non-NTP and mode 3, <= 1.50 for mode 7 drops\n"
		       "(ok/MISS after ntpguard's ratio); never slower than xdp-filter: ng/xf <= 1.\n");
	}

	if (sections & (1 << S_SCALE)) {
		printf("\n== scale ==\n\n%-15s | %-8s | %-26s | %-9s %s\n", "row", "empty",
		       "ntpguard ns [min-max]", "x empty", have_compare ? "ng/compare" : "");
		for (int i = 0; i < NROWS; i++) {
			struct stat3 e, c, x;

			if (rows[i].sec != S_SCALE || !row_selected(rows[i].id))
				continue;
			e = stats(cpu[i][C_EMPTY], rounds);
			c = stats(cpu[i][C_NG], rounds);
			x = stats(ratio[i][C_NG], rounds);
			printf("%-15s | %8.2f | %-4s %6.2f [%6.2f-%6.2f] | x%-8.2f", rows[i].id,
			       e.med, verdict_name(rows[i].expect[C_NG]), c.med, c.lo, c.hi, x.med);
			if (have_compare)
				printf(" %.2f", stats(vs_before[i], rounds).med);
			printf("  %s\n", rows[i].desc);
		}
	}

	if (sections & (1 << S_PACKET)) {
		printf("\n== building blocks: one step alone, on top of the empty program ==\n\n"
		       "%-18s %8s %8s %-19s %s\n", "program", "ns", "+ns", "x empty [min-max]",
		       "step");
		for (int b = 0; b < NBLOCKS; b++) {
			struct stat3 x = stats(blk_ratio[b], rounds);
			double d[MAX_ROUNDS] = { 0 };

			for (int r = 0; r < rounds; r++)
				d[r] = blk_ns[b][r] - blk_empty[b][r];
			printf("%-18s %8.2f %8.2f x%.2f [%.2f-%.2f]   %s\n", blocks[b].prog,
			       stats(blk_ns[b], rounds).med, stats(d, rounds).med, x.med, x.lo, x.hi,
			       blocks[b].desc);
		}
	}

	printf("\n== programs ==\n\n%-22s %9s %9s %9s %12s\n", "program", "xlated", "jited",
	       "verified", "map memory");
	for (int c = 0; c <= C_XF_ALL; c++) {
		printf("%-22s %8uB %8uB %9u %12s\n", col_id[c], peers[c].xlated, peers[c].jited,
		       peers[c].verified, "");
	}
	for (int i = 0; i < NNI; i++) {
		for (int w = 0; w < 1 + have_compare; w++) {
			char name[64];
			__u32 x, j, v;

			if (!insts[i].used)
				continue;
			prog_info(insts[i].prog_fd[w][0], &x, &j, &v);
			snprintf(name, sizeof(name), "%s:%s", w ? "compare" : "ntpguard",
				 insts[i].id);
			printf("%-22s %8uB %8uB %9u %10.1f MB  %s\n", name, x, j, v,
			       (double)insts[i].memlock[w] / 1e6, w ? "" : insts[i].desc);
		}
	}
}

static void json_stat(FILE *o, const char *key, const double *v, int n, const char *sep)
{
	struct stat3 s = stats(v, n);

	fprintf(o, "\"%s\": {\"median\": %.4f, \"min\": %.4f, \"max\": %.4f}%s", key, s.med, s.lo,
		s.hi, sep);
}

static void write_json(const char *path, int rounds, int repeat, int sections,
		       const char *kernel, const char *ngobj, const char *cmpobj)
{
	FILE *o = fopen(path, "w");
	int first = 1;

	if (!o)
		die("%s: %s", path, strerror(errno));
	fprintf(o, "{\n  \"version\": \"%s\",\n  \"kernel\": \"%s\",\n  \"possible_cpus\": %d,\n"
		"  \"rounds\": %d,\n  \"repeat\": %d,\n  \"ntpguard_object\": \"%s\",\n"
		"  \"compare_object\": \"%s\",\n  \"rows\": [\n", NG_VERSION, kernel,
		libbpf_num_possible_cpus(), rounds, repeat, ngobj, cmpobj ? cmpobj : "");
	for (int i = 0; i < NROWS; i++) {
		const struct row *rw = &rows[i];

		if (!((sections >> rw->sec) & 1) || !row_selected(rw->id))
			continue;
		fprintf(o, "%s    {\"id\": \"%s\", \"section\": \"%s\", \"desc\": \"%s\", "
			"\"instance\": \"%s\", \"target\": %.2f,\n", first ? "" : ",\n", rw->id,
			rw->sec == S_PACKET ? "packet" : "scale", rw->desc, insts[rw->inst].id,
			rw->target / 100.0);
		first = 0;
		for (int col = 0; col < NCOL; col++) {
			if (!row_runs(rw, col))
				continue;
			fprintf(o, "      \"%s\": {\"verdict\": \"%s\", ", col_id[col],
				verdict_name(row_expect(rw, col)));
			json_stat(o, "ns", cpu[i][col], rounds, ", ");
			json_stat(o, "kernel_ns", kns[i][col], rounds, ", ");
			json_stat(o, "x_empty", ratio[i][col], rounds, "");
			if (plen[i][col].ok)
				fprintf(o, ", \"insns\": %u", plen[i][col].insns);
			fprintf(o, "},\n");
		}
		if (rw->sec == S_PACKET) {
			fprintf(o, "      ");
			json_stat(o, "ntpguard_over_xdp_filter_udp", vs_xf[i][0], rounds, ", ");
			json_stat(o, "ntpguard_over_xdp_filter_all", vs_xf[i][1], rounds,
				  have_compare ? ", " : "");
		} else {
			fprintf(o, "      \"scale\": true%s", have_compare ? ", " : "");
		}
		if (have_compare)
			json_stat(o, "ntpguard_over_compare", vs_before[i], rounds, "");
		fprintf(o, "}");
	}
	fprintf(o, "\n  ],\n  \"building_blocks\": {");
	for (int b = 0; (sections & (1 << S_PACKET)) && b < NBLOCKS; b++) {
		fprintf(o, "%s\n    \"%s\": {", b ? "," : "", blocks[b].prog);
		json_stat(o, "ns", blk_ns[b], rounds, ", ");
		json_stat(o, "x_empty", blk_ratio[b], rounds, "}");
	}
	fprintf(o, "\n  },\n  \"programs\": {");
	for (int c = 0; c <= C_XF_ALL; c++)
		fprintf(o, "%s\n    \"%s\": {\"xlated\": %u, \"jited\": %u, \"verified_insns\": %u}",
			c ? "," : "", col_id[c], peers[c].xlated, peers[c].jited,
			peers[c].verified);
	for (int i = 0; i < NNI; i++)
		for (int w = 0; w < 1 + have_compare; w++) {
			__u32 x, j, v;

			if (!insts[i].used)
				continue;
			prog_info(insts[i].prog_fd[w][0], &x, &j, &v);
			fprintf(o, ",\n    \"%s:%s\": {\"xlated\": %u, \"jited\": %u, "
				"\"verified_insns\": %u, \"map_memlock_bytes\": %zu}",
				w ? "compare" : "ntpguard", insts[i].id, x, j, v, insts[i].memlock[w]);
		}
	fprintf(o, "\n  }\n}\n");
	fclose(o);
}

/* Each row's frame as DIR/ROW.bin, for other tools. */
static void write_frames(const char *dir)
{
	for (int i = 0; i < NROWS; i++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.bin", dir, rows[i].id);
		f = fopen(path, "wb");
		if (!f || fwrite(frames[rows[i].frame].buf, 1, frames[rows[i].frame].len, f) !=
		    frames[rows[i].frame].len || fclose(f))
			die("%s: %s", path, strerror(errno));
	}
}

/* ---- main ---------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench [--rounds N] [--repeat N] [--only packet|scale] [--cpu N]\n"
		"             [--json FILE] [--ntpguard OBJ] [--compare OBJ [--lax-compare]]\n"
		"             [--baseline OBJ] [--xdp-filter-dir DIR] [--rows ID,...]\n"
		"             [--copies K] [--write-frames DIR] [-v]\n"
		"\n"
		"Per-packet cost of ntpguard against an empty XDP_DROP program, a minimal\n"
		"mode 7 dropper and xdp-filter's own objects, and with large allow-lists\n"
		"and rate tables, via BPF_PROG_TEST_RUN. Needs root; attaches nothing\n"
		"outside a private network namespace of its own.\n"
		"\n"
		"  --rounds N          interleaved rounds (default %d)\n"
		"  --repeat N          runs per BPF_PROG_TEST_RUN call (default %d)\n"
		"  --only SECTION      packet: the peer comparison; scale: allow-list and\n"
		"                      rate-table sizes (default both)\n"
		"  --cpu N             pin this process to CPU N first\n"
		"  --json FILE         also write the results as JSON\n"
		"  --ntpguard OBJ      ntpguard BPF object (default %s)\n"
		"  --compare OBJ       a second ntpguard object measured alongside (before/after)\n"
		"  --lax-compare       do not check the compare object's verdicts (experiments\n"
		"                      that cut a step on purpose)\n"
		"  --baseline OBJ      bench/bpf/baseline.bpf.c object (default %s)\n"
		"  --xdp-filter-dir D  where xdpfilt_alw_{udp,all}.o are (default %s)\n"
		"  --rows ID,...       measure only these rows (e.g. m7-v4,m3-v4)\n"
		"  --copies K          load each packet-row program K times, rounds take\n"
		"                      them in turn (default %d, at most %d)\n"
		"  --write-frames DIR  only write each row's frame to DIR/ROW.bin and exit\n"
		"  -v                  libbpf messages (twice: debug)\n"
		"\n"
		"Fails only on load errors and wrong verdicts or counts, never on timing.\n",
		DEFAULT_ROUNDS, DEFAULT_REPEAT, DEFAULT_NTPGUARD, DEFAULT_BASELINE,
		XDP_FILTER_DIR, DEFAULT_COPIES, MAX_COPIES);
}

static long parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < lo || v > hi) {
		fprintf(stderr, "bench: %s wants an integer in [%ld, %ld], got '%s'\n", opt, lo, hi,
			s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rounds",         required_argument, 0, 'r' },
		{ "repeat",         required_argument, 0, 'n' },
		{ "only",           required_argument, 0, 'o' },
		{ "cpu",            required_argument, 0, 'c' },
		{ "json",           required_argument, 0, 'j' },
		{ "ntpguard",       required_argument, 0, 'g' },
		{ "compare",        required_argument, 0, 'C' },
		{ "lax-compare",    no_argument,       0, 'L' },
		{ "write-frames",   required_argument, 0, 'W' },
		{ "rows",           required_argument, 0, 'w' },
		{ "copies",         required_argument, 0, 'k' },
		{ "baseline",       required_argument, 0, 'b' },
		{ "xdp-filter-dir", required_argument, 0, 'x' },
		{ "verbose",        no_argument,       0, 'v' },
		{ "help",           no_argument,       0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *baseline = DEFAULT_BASELINE, *ngobj = DEFAULT_NTPGUARD, *cmpobj = NULL;
	const char *xfdir = XDP_FILTER_DIR, *json = NULL, *frames_dir = NULL;
	int repeat = DEFAULT_REPEAT, rounds = DEFAULT_ROUNDS, cpu_pin = -1, opt;
	int sections = (1 << S_PACKET) | (1 << S_SCALE);
	struct utsname uts;
	char machine[512];
	double overhead_us;

	while ((opt = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r': rounds = (int)parse_num("--rounds", optarg, 1, MAX_ROUNDS); break;
		case 'n': repeat = (int)parse_num("--repeat", optarg, 1, 1000000000); break;
		case 'c': cpu_pin = (int)parse_num("--cpu", optarg, 0, CPU_SETSIZE - 1); break;
		case 'j': json = optarg; break;
		case 'g': ngobj = optarg; break;
		case 'C': cmpobj = optarg; break;
		case 'L': lax_compare = 1; break;
		case 'W': frames_dir = optarg; break;
		case 'w': only_rows = optarg; break;
		case 'k': ncopies = (int)parse_num("--copies", optarg, 1, MAX_COPIES); break;
		case 'b': baseline = optarg; break;
		case 'x': xfdir = optarg; break;
		case 'o':
			if (!strcmp(optarg, "packet"))
				sections = 1 << S_PACKET;
			else if (!strcmp(optarg, "scale"))
				sections = 1 << S_SCALE;
			else {
				fprintf(stderr, "bench: --only wants packet or scale, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default:  usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (frames_dir) {
		build_frames();
		write_frames(frames_dir);
		return 0;
	}
	if (geteuid())
		die("needs root (BPF_PROG_TEST_RUN, a private network namespace)");
	libbpf_set_print(libbpf_print);
	if (uname(&uts))
		die("uname: %s", strerror(errno));
	snprintf(machine, sizeof(machine), "kernel %s %s, %d possible CPUs", uts.release,
		 uts.machine, libbpf_num_possible_cpus());

	if (cpu_pin >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu_pin, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("pinning to CPU %d: %s", cpu_pin, strerror(errno));
	}

	have_compare = cmpobj != NULL;
	build_frames();
	load_blocks(baseline);
	for (int k = 0; k < ncopies; k++) {
		load_baselines(baseline, k);
		load_xdp_filter(C_XF_UDP, xfdir, "xdpfilt_alw_udp.o", k);
		load_xdp_filter(C_XF_ALL, xfdir, "xdpfilt_alw_all.o", k);
	}
	for (int c = 0; c <= C_XF_ALL; c++)
		prog_info(peers[c].fd[0], &peers[c].xlated, &peers[c].jited, &peers[c].verified);
	for (int i = 0; i < NNI; i++)
		insts[i].copies = 1;
	for (int i = 0; i < NROWS; i++) {
		if (!((sections >> rows[i].sec) & 1))
			continue;
		insts[rows[i].inst].used = 1;
		if (rows[i].sec == S_PACKET)
			insts[rows[i].inst].copies = ncopies;
	}
	insts[NI_RC_DROP].used = 1;  /* check_rows() spends its burst */
	insts[NI_RC_DROP].copies = ncopies;
	for (int i = 0; i < NNI; i++) {
		for (int k = 0; insts[i].used && k < insts[i].copies; k++) {
			load_inst(&insts[i], 0, ngobj, k);
			if (have_compare)
				load_inst(&insts[i], 1, cmpobj, k);
		}
	}
	hold_in_dispatcher();
	overhead_us = call_overhead_us();
	if (overhead_us > 50)
		fprintf(stderr, "bench: WARNING: %.0f us of CPU per call: the programs are not held in the XDP dispatcher (no free slot?); figures include that overhead\n",
			overhead_us);
	check_rows(sections);
	count_paths(sections);
	measure(rounds, repeat, sections);
	if (sections & (1 << S_PACKET))
		measure_blocks(rounds, repeat);

	snprintf(machine + strlen(machine), sizeof(machine) - strlen(machine),
		 "; %d cop%s of each program; %.1f us CPU per test-run call",
		 ncopies, ncopies == 1 ? "y" : "ies", overhead_us);
	print_text(rounds, repeat, sections, machine);
	if (json)
		write_json(json, rounds, repeat, sections, uts.release, ngobj, cmpobj);
	return 0;
}

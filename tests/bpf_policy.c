// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_policy - unit tests of ntpguard's policy step in the kernel, through
 * BPF_PROG_TEST_RUN: rate caps (token buckets per source, per victim and
 * per class), the allow-list bypass, monitor mode and live policy changes.
 *
 *   build/tests/bpf_policy
 *
 * Frames are built here in C (Ethernet + IPv4/IPv6 + UDP + an NTP mode 3,
 * 6 or 7 payload). The program is loaded by tests/bpf_loader.c (shared with
 * bpf_unit) with every pin path cleared, so nothing under any bpffs is
 * created, reused or modified, and it is never attached to an interface;
 * the process runs on one CPU (see bpf_loader.c: the rate table's LRU
 * keeps per-CPU free lists). Policies are written by the CLI's own code
 * (ng_policy_commit, user/lib/policy.c); every test starts from
 * NG_DEFAULT_POLICY.
 *
 * Every single-packet step checks the XDP verdict AND the counters of this
 * runner's slot: exactly one row (a real row, or in monitor mode a
 * would-drop row) moves, by +1 packet and +frame length bytes.
 *
 * Time: the buckets of these policies run on the coarse clock
 * (CLOCK_MONOTONIC_COARSE: ng_coarse_clock_ok() holds for every rate and
 * burst used here but t_clock_choice's second), so the timed checks use real
 * time, read from that same clock (T.tick is its resolution), and never depend
 * on how long the machine has been up: a bucket state the test writes has
 * a last_ns relative to the clock's current reading, and where the kernel's
 * own reading matters the expectation is computed from the last_ns the
 * data plane wrote back. Expectations are exact; the only slack is an
 * extra token that the *measured* elapsed time (plus one tick of clock
 * granularity) makes possible, i.e. when this process was stalled for a
 * whole token period (333 ms at rate 3). Such a pass says so in its "ok"
 * line. Tests whose exact counts assume that no token period (1 s at rate
 * 1) passes while they run measure the time they took; if it was that
 * long, a failure cannot be told from a stall and the test runs again (at
 * most three times, each said in the output).
 * Overflow at idle times beyond the refill clamp (about 30 minutes) cannot
 * be produced in the kernel on a machine up for less than that, so the
 * arithmetic of ng_ratelimit.h is also run in userspace with times the
 * test sets, against hand-computed results.
 *
 * Output: "ok N - name" / "not ok N - name: why", then "N passed, N failed,
 * N skipped". Exit status 0 only when nothing failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ntpguard.h"
#include "ng_ratelimit.h"
#include "bpf_loader.h"

#define TEST_SLOT 5u            /* ng_slot of the program under test */
#define LRU_SIZE 1024u          /* ng_buckets max_entries for this runner */
#define BIG 10000000u           /* RATE_MAX of `ntpguard set` */

/* ---- the test being run ------------------------------------------------ */

static struct {
	int ok;
	char why[768];
	char note[256];
	/* CLOCK_MONOTONIC around the first and the last test run since begin() */
	__u64 span_t0, span_t1;
	__u64 period_ns;        /* begin_timed(): shortest token period in use */
	int attempt;
} R;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (!R.ok)              /* keep the first reason */
		return;
	R.ok = 0;
	va_start(ap, fmt);
	vsnprintf(R.why, sizeof(R.why), fmt, ap);
	va_end(ap);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	size_t off = strlen(R.note);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(R.note + off, sizeof(R.note) - off, fmt, ap);
	va_end(ap);
}

#define EXPECT(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
#define EXPECT_EQ(what, want, got) do {                                      \
	unsigned long long w_ = (unsigned long long)(want);                  \
	unsigned long long g_ = (unsigned long long)(got);                   \
	if (w_ != g_)                                                        \
		fail("%s: expected %llu, got %llu", (what), w_, g_);         \
} while (0)

static void begin(void)
{
	R.ok = 1;
	R.why[0] = 0;
	R.note[0] = 0;
	R.span_t0 = R.span_t1 = 0;
	R.period_ns = 0;
}

/*
 * For a test whose exact counts hold only while no bucket earns a token:
 * period_ns is the shortest token period of the buckets it uses (1 s at
 * rate 1). end_timed() then tells a failure from a stall.
 */
static void begin_timed(__u64 period_ns)
{
	begin();
	R.period_ns = period_ns;
}

static void end(const char *name)
{
	ngt_result(R.ok, name, "%s", R.ok ? R.note : R.why);
}

#define MAX_ATTEMPTS 3

/*
 * Returns 1 when the result is recorded, 0 when the test must run again:
 * it failed, and its test runs spanned a whole token period, so a refill
 * the test did not plan for may explain the failure.
 */
static int end_timed(const char *name)
{
	__u64 span = R.span_t1 - R.span_t0 + T.tick;

	if (!R.ok && R.period_ns && span >= R.period_ns) {
		R.attempt++;
		printf("# %s: took %.3f s, at least one token period (%.3f s): the "
		       "process was stalled; %s\n", name, (double)span / 1e9,
		       (double)R.period_ns / 1e9,
		       R.attempt < MAX_ATTEMPTS ? "running it again" : "giving up");
		if (R.attempt < MAX_ATTEMPTS)
			return 0;
		snprintf(R.why + strlen(R.why), sizeof(R.why) - strlen(R.why),
			 " (stalled for a token period in each of %d attempts)", MAX_ATTEMPTS);
	}
	if (R.ok && R.attempt)
		note("passed at attempt %d (the earlier ones were stalled)", R.attempt + 1);
	R.attempt = 0;
	end(name);
	return 1;
}

/* Run test function fn until end_timed() records its result. */
#define TIMED(fn) do { } while (!fn())

/* The data plane's clock: bpf_ktime_get_coarse_ns() reads the same. */
static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * NG_NSEC + (__u64)ts.tv_nsec;
}

static void sleep_ns(__u64 ns)
{
	struct timespec ts = { (time_t)(ns / NG_NSEC), (long)(ns % NG_NSEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/*
 * The clock's reading, once it reads at least min_ns since boot: a bucket
 * set "min_ns ago" then has a valid last_ns on a machine booted a moment
 * ago too (the wait happens only there).
 */
static __u64 clock_at_least(__u64 min_ns)
{
	__u64 now = now_ns();

	if (now < min_ns + NG_NSEC / 10) {
		sleep_ns(min_ns + NG_NSEC / 10 - now);
		now = now_ns();
	}
	return now;
}

/*
 * Extra tokens a bucket of `rate` can have earned in `elapsed_ns` beyond
 * what the test counts on: 0 unless this process was stalled for a whole
 * token period. Used only to widen an exact expectation, never to narrow.
 */
static __u64 stall_tokens(__u32 rate, __u64 elapsed_ns)
{
	return (__u64)rate * (elapsed_ns + T.tick) / NG_NSEC;
}

/* ---- frames -------------------------------------------------------------- */

struct frame {
	__u8 b[1600];
	__u32 len;
	int family;
	__u8 src[16], dst[16];
};

enum payload {
	P_M7_REQ,        /* 8 octets: VN 2 mode 7 R=0, impl 3, MON_GETLIST_1 */
	P_M7_RESP_BIG,   /* 440 octets: VN 2 mode 7 R=1 (a monlist data packet) */
	P_M7_RESP_ERR,   /* 8 octets: an error reply */
	P_M6_REQ,        /* 12 octets: VN 2 mode 6 READSTAT */
	P_M3,            /* 48 octets: client query */
	P_TINY_FRAG,     /* IPv4 first fragment, 4 NTP octets of a mode 7 request */
};

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __u32 csum_add(__u32 sum, const __u8 *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (__u32)(p[n - 1] << 8);
	return sum;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static void parse_addr(int family, const char *s, __u8 *out)
{
	memset(out, 0, 16);
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, s, out) != 1) {
		fprintf(stderr, "bpf_policy: bad address %s\n", s);
		exit(2);
	}
}

/* Build one frame; addresses are text (IPv4 or IPv6, by `family`). */
static struct frame mk(int family, const char *src, const char *dst,
		       __u16 sport, __u16 dport, enum payload pl)
{
	static const __u8 mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	struct frame f;
	__u8 ntp[440] = { 0 }, *ip, *udp;
	size_t nlen, iphl = family == 4 ? 20 : 40, ulen_claim, carried;
	__u32 sum;

	memset(&f, 0, sizeof(f));
	f.family = family;
	parse_addr(family, src, f.src);
	parse_addr(family, dst, f.dst);
	switch (pl) {
	case P_M7_REQ:
	case P_TINY_FRAG:
		nlen = 8;
		ntp[0] = 0x17; ntp[2] = 3; ntp[3] = 42;
		break;
	case P_M7_RESP_BIG:
		nlen = 440;
		ntp[0] = 0x97; ntp[2] = 3; ntp[3] = 42;
		ntp[4] = 0x00; ntp[5] = 6;  /* 6 items of 72 octets */
		ntp[7] = 72;
		for (size_t i = 8; i < nlen; i++)
			ntp[i] = (__u8)i;
		break;
	case P_M7_RESP_ERR:
		nlen = 8;
		ntp[0] = 0x97; ntp[2] = 3; ntp[3] = 42; ntp[4] = 0x10;
		break;
	case P_M6_REQ:
		nlen = 12;
		ntp[0] = 0x16; ntp[1] = 0x01; ntp[3] = 1;
		break;
	default:
		nlen = 48;
		ntp[0] = 0x23;
		break;
	}
	ulen_claim = 8 + nlen;
	carried = pl == P_TINY_FRAG ? 4 : nlen;   /* NTP octets in this frame */

	memcpy(f.b, mac, 12);
	put16(f.b + 12, family == 4 ? 0x0800 : 0x86dd);
	ip = f.b + 14;
	udp = ip + iphl;
	if (family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (__u16)(20 + 8 + carried));
		put16(ip + 4, 0x1234);
		put16(ip + 6, pl == P_TINY_FRAG ? 0x2000 : 0x4000); /* MF / DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, f.src, 4);
		memcpy(ip + 16, f.dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (__u16)(8 + carried));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, f.src, 16);
		memcpy(ip + 24, f.dst, 16);
	}
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (__u16)ulen_claim);
	memcpy(udp + 8, ntp, carried);
	/* UDP checksum over the pseudo header (not checked by ntpguard). */
	if (pl != P_TINY_FRAG) {
		sum = csum_add(0, ip + (family == 4 ? 12 : 8), family == 4 ? 8 : 32);
		sum += 17 + (__u32)ulen_claim;
		sum = csum_add(sum, udp, ulen_claim);
		put16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
	}
	f.len = (__u32)(14 + iphl + 8 + carried);
	return f;
}

/* The common cases. */
static struct frame m7req(int fam, const char *src)
{
	return mk(fam, src, fam == 4 ? "192.0.2.123" : "2001:db8::123", 40000, 123, P_M7_REQ);
}

static struct frame m6req(int fam, const char *src)
{
	return mk(fam, src, fam == 4 ? "192.0.2.123" : "2001:db8::123", 40001, 123, P_M6_REQ);
}

/* An oversized monlist reply from reflector `src` to victim `dst`. */
static struct frame m7resp(int fam, const char *src, const char *dst)
{
	return mk(fam, src, dst, 123, 40000, P_M7_RESP_BIG);
}

/* ---- maps ------------------------------------------------------------------ */

static void die_map(const char *what)
{
	ngt_die(what);
}

/* One counter row summed over the possible CPUs. */
static struct ng_counter row(__u32 key)
{
	return ngt_counter(key);
}

/* All NG_SLOT_STRIDE rows of the test slot: [0,32) real, [32,64) would. */
static void snap(struct ng_counter *s)
{
	for (__u32 i = 0; i < NG_SLOT_STRIDE; i++)
		s[i] = row(TEST_SLOT * NG_SLOT_STRIDE + i);
}

static void policy_write(const struct ng_policy *p)
{
	ngt_policy_write(p);
}

static struct ng_policy defaults(void)
{
	struct ng_policy p = NG_DEFAULT_POLICY;

	return p;
}

/* A class in ratecap with the given per-key and global budgets. */
static void ratecap(struct ng_policy *p, int pc, __u32 rate, __u32 burst,
		    __u32 grate, __u32 gburst)
{
	p->cls[pc].action = NG_ACT_RATECAP;
	p->cls[pc].rate = rate;
	p->cls[pc].burst = burst;
	p->cls[pc].global_rate = grate;
	p->cls[pc].global_burst = gburst;
}

static long count_entries(int fd, size_t ksz)
{
	return ngt_count_entries(fd, ksz);
}

/* Fresh state: defaults, empty allow-lists and buckets, zeroed globals. */
static void reset(void)
{
	ngt_reset();
}

static void allow(int family, const char *addr, __u32 plen)
{
	ng_allow_val v = 0;
	__u32 fam = family == 4 ? 0 : 1, yes = 1;
	__u8 a[16];
	int err;

	/* What `ntpguard allow` keeps: the data plane skips an unused trie. */
	if (bpf_map_update_elem(T.used_fd, &fam, &yes, BPF_ANY))
		die_map("allow-list used flag");
	parse_addr(family, addr, a);
	if (family == 4) {
		struct ng_lpm_v4 k = { .prefixlen = plen };

		memcpy(k.addr, a, 4);
		err = bpf_map_update_elem(T.allow4_fd, &k, &v, BPF_ANY);
	} else {
		struct ng_lpm_v6 k = { .prefixlen = plen };

		memcpy(k.addr, a, 16);
		err = bpf_map_update_elem(T.allow6_fd, &k, &v, BPF_ANY);
	}
	if (err)
		die_map("allow-list update");
}

/* The bucket key the data plane uses: IPv4 /32, IPv6 /64. */
static struct ng_bkey bkey(int pc, int family, const char *addr)
{
	struct ng_bkey k;
	__u8 a[16];

	memset(&k, 0, sizeof(k));
	parse_addr(family, addr, a);
	k.pclass = (__u8)pc;
	k.family = (__u8)family;
	memcpy(k.addr, a, family == 4 ? 4 : 8);
	return k;
}

/* 0 when found. */
static int bucket_get(int pc, int family, const char *addr, struct ng_bucket *b)
{
	struct ng_bkey k = bkey(pc, family, addr);

	return bpf_map_lookup_elem(T.buckets_fd, &k, b);
}

static void bucket_put(int pc, int family, const char *addr, const struct ng_bucket *b)
{
	struct ng_bkey k = bkey(pc, family, addr);

	if (bpf_map_update_elem(T.buckets_fd, &k, b, BPF_ANY))
		die_map("bucket write");
}

static struct ng_gbucket global_get(int pc)
{
	struct ng_gbucket g;
	__u32 k = (__u32)pc;

	if (bpf_map_lookup_elem(T.global_fd, &k, &g))
		die_map("global bucket lookup");
	return g;
}

/* An ng_events counter, summed over CPUs. */
static __u64 event_count(__u32 ev)
{
	__u64 *v = calloc((size_t)T.ncpus, sizeof(__u64)), sum = 0;

	if (!v || bpf_map_lookup_elem(T.events_fd, &ev, v))
		die_map("events lookup");
	for (int c = 0; c < T.ncpus; c++)
		sum += v[c];
	free(v);
	return sum;
}

/* ---- running frames -------------------------------------------------------- */

/* One test run; the span of the current test's runs is kept in R. */
static int run_raw(const struct frame *f)
{
	__u64 t0 = now_ns();
	int v = ngt_run(f->b, f->len);

	if (!R.span_t0)
		R.span_t0 = t0;
	R.span_t1 = now_ns();
	return v;
}

static const char *vname(int v)
{
	return v == XDP_PASS ? "PASS" : v == XDP_DROP ? "DROP" : "?";
}

/* Name of counter row i of a slot: "reason" or "would:reason". */
static const char *rowname(int i)
{
	static char buf[4][64];
	static int n;
	char *b = buf[n++ % 4];
	int r = i % NG_REASON_SLOTS;

	snprintf(b, 64, "%s%s", i >= NG_REASON_SLOTS ? "would:" : "",
		 ng_reason_name(r) ? ng_reason_name(r) : "slot?");
	return b;
}

/* OUT_* of one run: which row moved (row index), or -1 none, -2 several/odd. */
static int moved_row(const struct ng_counter *a, const struct ng_counter *b, __u32 len)
{
	int found = -1;

	for (int i = 0; i < NG_SLOT_STRIDE; i++) {
		__u64 dp = b[i].packets - a[i].packets, db = b[i].bytes - a[i].bytes;

		if (!dp && !db)
			continue;
		if (found != -1 || dp != 1 || db != len)
			return -2;
		found = i;
	}
	return found;
}

#define WOULD(r) (NG_REASON_SLOTS + (r))

/*
 * Run f once; sets *verdict and returns the counter row that moved (see
 * moved_row). Snapshots before and after.
 */
static int run1(const struct frame *f, int *verdict)
{
	struct ng_counter a[NG_SLOT_STRIDE], b[NG_SLOT_STRIDE];

	snap(a);
	*verdict = run_raw(f);
	snap(b);
	return moved_row(a, b, f->len);
}

/* Run f once and require verdict `v` and exactly row `want` +1/+len. */
static int expect1(const char *step, const struct frame *f, int v, int want)
{
	int verdict, got = run1(f, &verdict);

	if (verdict == v && got == want)
		return 1;
	fail("%s: expected %s/%s, got %s/%s", step, vname(v), rowname(want),
	     vname(verdict), got == -1 ? "no counter moved" :
	     got == -2 ? "several counters / wrong delta" : rowname(got));
	return 0;
}

#define PASS_AS(step, f, r)  expect1(step, f, XDP_PASS, (int)(r))
#define DROP_AS(step, f, r)  expect1(step, f, XDP_DROP, (int)(r))
#define WOULD_AS(step, f, r) expect1(step, f, XDP_PASS, WOULD(r))

/*
 * Send f until it is refused (at most max times): returns how many passed
 * as `pass_r` before the first `cap_r` (DROP, or PASS+would row in monitor
 * mode). Any other outcome fails the test and returns -1.
 */
static int passes_until_capped(const char *step, const struct frame *f, int max,
			       int pass_r, int cap_r, int monitor)
{
	for (int n = 0; n < max; n++) {
		int v, got = run1(f, &v);

		if (v == XDP_PASS && got == pass_r)
			continue;
		if (!monitor && v == XDP_DROP && got == cap_r)
			return n;
		if (monitor && v == XDP_PASS && got == WOULD(cap_r))
			return n;
		fail("%s: packet %d: got %s/%s", step, n + 1, vname(v),
		     got < 0 ? "no single counter moved" : rowname(got));
		return -1;
	}
	fail("%s: still passing after %d packets", step, max);
	return -1;
}

/* ---- the tests --------------------------------------------------------------- */

static void t_defaults(void)
{
	struct frame r4 = m7req(4, "203.0.113.66"), r6 = m7req(6, "2001:db8:3::66");
	struct frame big = m7resp(4, "192.0.2.123", "203.0.113.66");
	struct frame m3 = mk(4, "192.0.2.10", "192.0.2.123", 40002, 123, P_M3);

	begin();
	reset();
	DROP_AS("v4 mode 7 request", &r4, NG_R_MODE7_REQUEST_DROPPED);
	DROP_AS("v6 mode 7 request", &r6, NG_R_MODE7_REQUEST_DROPPED);
	DROP_AS("oversized response", &big, NG_R_MODE7_RESPONSE_OVERSIZED);
	PASS_AS("mode 3", &m3, NG_R_NTP_PASSED);
	EXPECT_EQ("bucket entries after drop-only traffic", 0,
		  count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	EXPECT_EQ("global m7 bucket untouched (last_ns)", 0,
		  global_get(NG_PC_M7_REQUEST).b.last_ns);
	end("default policy: mode 7 requests and oversized responses dropped, no bucket used");
}

static void t_default_m6(void)
{
	struct frame f = m6req(4, "198.51.100.7");
	__u64 t0;
	int n, slack;

	begin();
	reset();
	t0 = now_ns();
	n = passes_until_capped("default mode6 ratecap", &f, 40,
				NG_R_MODE6_REQUEST_PASSED, NG_R_MODE6_REQUEST_RATECAPPED, 0);
	slack = (int)stall_tokens(5, now_ns() - t0);
	EXPECT(n >= 20 && n <= 20 + slack,
	       "default mode 6 burst: %d passed before the first ratecap, expected 20", n);
	if (slack && n > 20)
		note("%d passed: process stalled, %d token(s) refilled", n, slack);
	end("default policy: mode 6 requests ratecapped at burst 20 per source");
}

/* Burst, then a refill after 1.0 s idle; returns in the state after it. */
static void t_burst_and_refill(void)
{
	struct ng_policy p = defaults();
	struct frame f = m7req(4, "203.0.113.66");
	struct ng_bucket b = { .tokens = 0 };
	__u64 t0, t6, t_end;
	int n, slack, v, r, sixth_passed = 0;

	begin();
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 3, 5, BIG, BIG);
	policy_write(&p);
	t0 = now_ns();
	for (int i = 1; i <= 5; i++) {
		char step[32];

		snprintf(step, sizeof(step), "burst packet %d", i);
		PASS_AS(step, &f, NG_R_MODE7_REQUEST_PASSED);
	}
	r = run1(&f, &v);
	slack = (int)stall_tokens(3, now_ns() - t0);
	if (v == XDP_PASS && r == NG_R_MODE7_REQUEST_PASSED && slack) {
		/* a token earned while stalled: what the measured time allows */
		sixth_passed = 1;
		note("packet 6 passed: %.3f s since the first (stall)",
		     (double)(now_ns() - t0) / 1e9);
	} else if (v != XDP_DROP || r != NG_R_MODE7_REQUEST_RATECAPPED) {
		fail("packet 6 (burst of 5 spent): expected DROP/%s, got %s/%s",
		     rowname(NG_R_MODE7_REQUEST_RATECAPPED), vname(v),
		     r < 0 ? "no single counter moved" : rowname(r));
	}
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &b), "no bucket for 203.0.113.66/32");
	EXPECT(b.tokens < NG_NSEC, "after the burst the bucket still holds %llu nano-tokens",
	       (unsigned long long)b.tokens);
	EXPECT_EQ("bucket passed", 5 + sixth_passed, b.passed);
	EXPECT_EQ("bucket dropped", 1 - sixth_passed, b.dropped);
	end("ratecap rate 3 burst 5: 5 pass, the 6th is mode7_request_ratecapped at once");

	/*
	 * Refill: 1.0 s at 3/s is 3 tokens (plus the fraction left above).
	 * The sleep is 1.0 s plus 5 ticks: on the jiffies clock of the data
	 * plane 1.0 s of real time can read as 1 s - 1 tick (2.988 tokens).
	 */
	begin();
	t6 = b.last_ns;
	sleep_ns(NG_NSEC + 5 * T.tick);
	n = passes_until_capped("after 1.0 s idle", &f, 10, NG_R_MODE7_REQUEST_PASSED,
				NG_R_MODE7_REQUEST_RATECAPPED, 0);
	t_end = now_ns();
	/*
	 * Exactly 3: the bucket held b.tokens < 1 token at t6 and earns
	 * 3 tokens/s. A 4th needs b.tokens + 3 x (t - t6) >= 4 tokens, i.e.
	 * the last packet 333 ms later than planned; allowed only if that
	 * much time really passed.
	 */
	{
		__u64 max = (b.tokens + 3 * (t_end - t6)) / NG_NSEC;

		EXPECT(n >= 3 && (__u64)n <= (max > 3 ? max : 3),
		       "after 1.0 s idle at rate 3: %d passed, expected 3", n);
		if (n > 3)
			note("%d passed: %.3f s elapsed since the burst (stall)", n,
			     (double)(t_end - t6) / 1e9);
	}
	end("ratecap refill: after 1.0 s (+5 ticks) idle at rate 3 exactly 3 more pass");

	/*
	 * Long idle: full again, never more than burst. 2 s at 3/s is 6
	 * tokens, one more than the burst: the clamp decides. The bucket's
	 * last_ns is set 2 s before the clock's reading (never an absolute
	 * time, so the machine's uptime does not matter).
	 */
	begin();
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &b), "bucket vanished");
	b.last_ns = clock_at_least(2 * NG_NSEC) - 2 * NG_NSEC;
	b.tokens = 0;
	bucket_put(NG_PC_M7_REQUEST, 4, "203.0.113.66", &b);
	t0 = now_ns();
	n = passes_until_capped("after 2 s idle", &f, 20, NG_R_MODE7_REQUEST_PASSED,
				NG_R_MODE7_REQUEST_RATECAPPED, 0);
	slack = (int)stall_tokens(3, now_ns() - t0);
	EXPECT(n >= 5 && n <= 5 + slack, "after 2 s idle: %d passed, expected the burst (5)", n);
	end("ratecap refill after 2 s idle at rate 3 (6 tokens): the bucket is full (burst 5), not more");
}

/*
 * What ng_bucket_take() must leave in a bucket, written apart from it:
 * 128-bit arithmetic, so nothing can wrap, and the two documented limits
 * (rates above NG_RATE_MAX refill at NG_RATE_MAX; idle time counts up to
 * NG_REFILL_MAX_NS). Returns 1 if the packet takes a token.
 */
static int ref_take(__u64 tokens, __u64 last, __u64 now, __u32 rate, __u32 burst,
		    __u64 *left)
{
	unsigned __int128 cap = (unsigned __int128)burst * NG_NSEC, t = tokens;
	__u64 idle = now > last ? now - last : 0;

	if (idle > NG_REFILL_MAX_NS)
		idle = NG_REFILL_MAX_NS;
	t += (unsigned __int128)idle * (rate < NG_RATE_MAX ? rate : NG_RATE_MAX);
	if (t > cap)
		t = cap;
	if (t >= NG_NSEC) {
		*left = (__u64)(t - NG_NSEC);
		return 1;
	}
	*left = (__u64)t;
	return 0;
}

/*
 * Write a bucket state (tokens, last_ns = idle_ns before the clock's
 * reading), run one mode 7 request, read the state back; the expected
 * tokens come from ref_take() with the time the data plane wrote back as
 * its last_ns. Returns the bucket as read back.
 */
static struct ng_bucket after_idle(const char *step, const struct frame *f, __u32 rate,
				   __u32 burst, __u64 tokens, __u64 idle_ns)
{
	struct ng_bucket b, out;
	__u64 want;

	memset(&b, 0, sizeof(b));
	b.tokens = tokens;
	b.last_ns = clock_at_least(idle_ns) - idle_ns;
	bucket_put(NG_PC_M7_REQUEST, 4, "203.0.113.66", &b);
	PASS_AS(step, f, NG_R_MODE7_REQUEST_PASSED);
	if (bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &out)) {
		fail("%s: bucket vanished", step);
		memset(&out, 0, sizeof(out));
		return out;
	}
	/* The coarse clock may still read the same tick when nothing was idle. */
	EXPECT(out.last_ns > b.last_ns || (!idle_ns && out.last_ns == b.last_ns),
	       "%s: last_ns not moved forward", step);
	ref_take(tokens, b.last_ns, out.last_ns, rate, burst, &want);
	if (want != out.tokens)
		fail("%s: %llu nano-tokens left, expected %llu (%.9f s idle in the "
		     "kernel's clock)", step, (unsigned long long)out.tokens,
		     (unsigned long long)want, (double)(out.last_ns - b.last_ns) / 1e9);
	return out;
}

/*
 * The clock that stamps the buckets: the coarse one only while one tick's
 * tokens fit in the bucket (ng_coarse_clock_ok, rate <= 100 x burst; at
 * 4,000/s burst 10, the README's clipped example, the precise one). A coarse
 * stamp is never later than CLOCK_MONOTONIC_COARSE read after the packet;
 * a precise stamp is later, unless a tick went by in between: of 20 packets
 * at least one shows it, however slow the machine (a tick is 1-10 ms).
 */
static void t_clock_choice(void)
{
	static const struct { __u32 rate, burst; int precise; } c[] = {
		{ 3, 5, 0 }, { 4000, 10, 1 },
	};
	struct frame f = m7req(4, "203.0.113.66");

	begin();
	EXPECT(ng_coarse_clock_ok(100, 1) && !ng_coarse_clock_ok(101, 1) &&
	       ng_coarse_clock_ok(1, 5) && ng_coarse_clock_ok(UINT32_MAX, UINT32_MAX) &&
	       !ng_coarse_clock_ok(4000, 10), "ng_coarse_clock_ok: rate <= 100 x burst");
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct ng_policy p = defaults();
		struct ng_bucket b;
		int later = 0, v;

		reset();
		ratecap(&p, NG_PC_M7_REQUEST, c[k].rate, c[k].burst, BIG, BIG);
		policy_write(&p);
		for (int i = 0; i < 20; i++) {
			__u64 after;

			run1(&f, &v);
			after = now_ns();   /* CLOCK_MONOTONIC_COARSE */
			if (bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &b)) {
				fail("rate %u burst %u: no bucket", c[k].rate, c[k].burst);
				break;
			}
			if (b.last_ns > after)
				later++;
		}
		if (c[k].precise)
			EXPECT(later > 0, "rate %u burst %u: no bucket stamp of 20 later than the coarse clock read after it: not the precise clock",
			       c[k].rate, c[k].burst);
		else
			EXPECT(later == 0, "rate %u burst %u: %d bucket stamps of 20 later than the coarse clock read after them: not the coarse clock",
			       c[k].rate, c[k].burst, later);
	}
	end("buckets run on the coarse clock while rate <= 100 x burst, else on the precise one");
}

static void t_no_overflow(void)
{
	struct ng_policy p = defaults();
	struct frame f = m7req(4, "203.0.113.66");
	const __u64 cap = (__u64)BIG * NG_NSEC, cap_max = (__u64)UINT32_MAX * NG_NSEC;
	struct ng_bucket b;
	struct ng_gbucket g;
	__u32 k = NG_PC_M7_REQUEST;

	begin();
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, BIG, BIG, BIG, BIG);
	policy_write(&p);
	b = after_idle("empty bucket, 1 s idle", &f, BIG, BIG, 0, NG_NSEC);
	EXPECT_EQ("tokens after 1 s idle (rate=burst=10^7)", cap - NG_NSEC, b.tokens);
	EXPECT_EQ("bucket passed", 1, b.passed);
	b = after_idle("half a token, 1 s idle", &f, BIG, BIG, NG_NSEC / 2, NG_NSEC);
	EXPECT_EQ("tokens (half a token + 1 s, rate=burst=10^7)", cap - NG_NSEC, b.tokens);
	b = after_idle("nearly full, 1 s idle", &f, BIG, BIG, cap - NG_NSEC, NG_NSEC);
	EXPECT_EQ("tokens (nearly full + 1 s, rate=burst=10^7)", cap - NG_NSEC, b.tokens);
	/* The global bucket runs the same arithmetic. */
	memset(&g, 0, sizeof(g));
	g.b.tokens = NG_NSEC / 2;
	g.b.last_ns = clock_at_least(NG_NSEC) - NG_NSEC;
	if (bpf_map_update_elem(T.global_fd, &k, &g, BPF_ANY))
		die_map("global bucket write");
	after_idle("global bucket: half a token, 1 s idle", &f, BIG, BIG, cap, 0);
	g = global_get(NG_PC_M7_REQUEST);
	EXPECT_EQ("global tokens (half a token + 1 s, 10^7)", cap - NG_NSEC, g.b.tokens);
	end("no overflow: rate=burst=10^7, 1 s idle (10^7 tokens) -> exactly burst - 1, "
	    "per-key and global bucket");

	/* The data plane takes any u32 (the CLI stops at 10^7): the extremes. */
	begin();
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX);
	policy_write(&p);
	/* 1 s at the clamped rate of 10^7/s: 10^7 tokens, far below the burst. */
	b = after_idle("u32 max, empty, 1 s idle", &f, UINT32_MAX, UINT32_MAX, 0, NG_NSEC);
	EXPECT(b.tokens >= (__u64)BIG * NG_NSEC - NG_NSEC && b.tokens < cap_max / 2,
	       "tokens (rate=burst=2^32-1, 1 s idle): %llu", (unsigned long long)b.tokens);
	b = after_idle("u32 max, nearly full, 0.9 s idle", &f, UINT32_MAX, UINT32_MAX,
		       cap_max - NG_NSEC, 900000000ull);
	EXPECT_EQ("tokens (nearly full + 0.9 s)", cap_max - NG_NSEC, b.tokens);
	b = after_idle("u32 max, 3 tokens short, 1 s idle", &f, UINT32_MAX, UINT32_MAX,
		       cap_max - 3 * NG_NSEC, NG_NSEC);
	EXPECT_EQ("tokens (3 short + 1 s)", cap_max - NG_NSEC, b.tokens);
	end("no overflow at rate=burst=2^32-1 written to the map: rate clamped, tokens clamped to burst, exact");
}

/*
 * ng_ratelimit.h is plain arithmetic, compiled here for userspace, so idle
 * times the kernel's clock cannot produce on a young machine (beyond the
 * 30-minute refill clamp, up to 2^64 - 1 ns) are run with times set by the
 * test. The results are worked out by hand in the comments.
 */
static void t_ratelimit_arithmetic(void)
{
	static const struct {
		const char *what;
		__u64 tokens, last, now;
		__u32 rate, burst;
		int ok;
		__u64 left;
	} c[] = {
		/* 1 h idle at 10^7/s: clamped to 1844.67 s x 10^7 = 1.8e19 nano-tokens
		 * added to half a token: saturates at burst 10^7 tokens, one taken */
		{ "half a token, 1 h idle, rate=burst=10^7", 500000000ull, 5000000000ull,
		  5000000000ull + 3600000000000ull, 10000000, 10000000, 1, 9999999000000000ull },
		/* nearly full, idle from 0 to 2^64-1 ns: the clamp keeps elapsed x rate
		 * at 18446744073700000000 < 2^64; the room left is smaller: full */
		{ "nearly full, idle 0 .. 2^64-1 ns, rate=burst=10^7", 9999999000000000ull, 0,
		  UINT64_MAX, 10000000, 10000000, 1, 9999999000000000ull },
		/* burst 2^32-1 tokens = 4294967295 x 10^9 nano-tokens; 1 h idle at a rate
		 * above the maximum: 1.8e19 added to 0, more than the burst: full */
		{ "empty, 1 h idle, rate=burst=2^32-1", 0, 1000, 1000 + 3600000000000ull,
		  UINT32_MAX, UINT32_MAX, 1, 4294967294000000000ull },
		/* the same nearly full: tokens + 1.8e19 would pass 2^64; saturates */
		{ "nearly full, 1 h idle, rate=burst=2^32-1", 4294967294000000000ull, 1000,
		  1000 + 3600000000000ull, UINT32_MAX, UINT32_MAX, 1, 4294967294000000000ull },
		/* 1 s at the clamped rate 10^7: 10^16 nano-tokens, one taken */
		{ "empty, 1 s idle, rate 2^32-1 (refills at 10^7/s)", 0, 7, 7 + 1000000000ull,
		  UINT32_MAX, UINT32_MAX, 1, 9999999000000000ull },
		/* last_ns ahead of now (written on another CPU a moment later): no
		 * refill, half a token is not enough */
		{ "last_ns after now", 500000000ull, 2000000000ull, 1999999999ull, 3, 5, 0,
		  500000000ull },
		/* 1/3 s + 1 ns at 3/s: 1000000002 nano-tokens, one taken, 2 left */
		{ "empty, 333333334 ns idle, rate 3", 0, 10, 10 + 333333334ull, 3, 5, 1, 2 },
		/* the same 1 ns shorter: 999999999 nano-tokens, not a token */
		{ "empty, 333333333 ns idle, rate 3", 0, 10, 10 + 333333333ull, 3, 5, 0,
		  999999999ull },
		/* more tokens than a lowered burst of 2: clamped to 2, one taken */
		{ "10 tokens, burst lowered to 2, no idle", 10000000000ull, 50, 50, 1, 2, 1,
		  1000000000ull },
	};

	begin();
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ng_bucket b = { .tokens = c[i].tokens, .last_ns = c[i].last };
		int ok = ng_bucket_take(&b, c[i].now, c[i].rate, c[i].burst);

		if (ok != c[i].ok || b.tokens != c[i].left || b.last_ns != c[i].now)
			fail("%s: took %d, %llu left, last_ns %llu; expected %d, %llu, %llu",
			     c[i].what, ok, (unsigned long long)b.tokens,
			     (unsigned long long)b.last_ns, c[i].ok,
			     (unsigned long long)c[i].left, (unsigned long long)c[i].now);
	}
	end("ng_ratelimit.h arithmetic at times set by the test (userspace build): "
	    "no wrap up to 2^64-1 ns idle, rate and burst clamps exact");
}

static int t_v4_keys(void)
{
	struct ng_policy p = defaults();
	struct frame a = m7req(4, "203.0.113.66"), b4 = m7req(4, "203.0.113.67");
	struct frame a6 = m7req(6, "c000:201::1");
	struct frame b = m7req(4, "192.0.2.1");
	struct ng_bucket bk;
	struct ng_bkey k;

	begin_timed(NG_NSEC);
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 1, 2, BIG, BIG);
	policy_write(&p);
	PASS_AS("A 1", &a, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("A 2", &a, NG_R_MODE7_REQUEST_PASSED);
	DROP_AS("A 3", &a, NG_R_MODE7_REQUEST_RATECAPPED);
	PASS_AS("B (next address) 1", &b4, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("B (next address) 2", &b4, NG_R_MODE7_REQUEST_PASSED);
	DROP_AS("B (next address) 3", &b4, NG_R_MODE7_REQUEST_RATECAPPED);
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &bk), "no /32 bucket for A");
	EXPECT_EQ("A bucket passed", 2, bk.passed);
	EXPECT_EQ("A bucket dropped", 1, bk.dropped);
	/* The key is exactly class + family + 4 octets, the rest zero. */
	k = bkey(NG_PC_M7_REQUEST, 4, "203.0.113.66");
	k.addr[4] = 1;
	EXPECT(bpf_map_lookup_elem(T.buckets_fd, &k, &bk), "a key with octet 5 set exists");
	/* 192.0.2.1 = c0.00.02.01 and c000:201:: share the first 4 octets. */
	PASS_AS("v4 192.0.2.1", &b, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("v4 192.0.2.1", &b, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("v6 c000:201::1 (other family)", &a6, NG_R_MODE7_REQUEST_PASSED);
	EXPECT_EQ("bucket entries (A, B, 192.0.2.1, c000:201::/64)", 4,
		  count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	return end_timed("IPv4 keys: one bucket per /32, family is part of the key");
}

static int t_v6_64(void)
{
	struct ng_policy p = defaults();
	struct frame a1 = m7req(6, "2001:db8:1:2::1");
	struct frame a2 = m7req(6, "2001:db8:1:2:ffff:ffff:ffff:fffe");
	struct frame b = m7req(6, "2001:db8:1:3::1");
	struct frame c = m7req(6, "2001:db8:1:2::1:0:0"); /* also in 2001:db8:1:2::/64 */
	struct ng_bucket bk;

	begin_timed(NG_NSEC);
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 1, 3, BIG, BIG);
	policy_write(&p);
	PASS_AS("A1 (2001:db8:1:2::1)", &a1, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("A2 (same /64)", &a2, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("A1 again", &a1, NG_R_MODE7_REQUEST_PASSED);
	DROP_AS("A2: the /64's burst of 3 is spent", &a2, NG_R_MODE7_REQUEST_RATECAPPED);
	DROP_AS("a third host in the /64", &c, NG_R_MODE7_REQUEST_RATECAPPED);
	PASS_AS("B (2001:db8:1:3::1, next /64)", &b, NG_R_MODE7_REQUEST_PASSED);
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 6, "2001:db8:1:2::", &bk),
	       "no bucket keyed 2001:db8:1:2::/64");
	EXPECT_EQ("shared /64 bucket passed", 3, bk.passed);
	EXPECT_EQ("shared /64 bucket dropped", 2, bk.dropped);
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 6, "2001:db8:1:3::", &bk),
	       "no bucket keyed 2001:db8:1:3::/64");
	EXPECT_EQ("B bucket passed", 1, bk.passed);
	EXPECT_EQ("bucket entries (two /64s)", 2,
		  count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	return end_timed("IPv6 keys: sources in one /64 share a bucket, another /64 does not");
}

static int t_classes_separate(void)
{
	struct ng_policy p = defaults();
	struct frame m7 = m7req(4, "203.0.113.66"), m6 = m6req(4, "203.0.113.66");

	begin_timed(NG_NSEC);
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 1, 1, BIG, BIG);
	ratecap(&p, NG_PC_M6_REQUEST, 1, 1, BIG, BIG);
	policy_write(&p);
	PASS_AS("mode 7", &m7, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("mode 6 (own bucket)", &m6, NG_R_MODE6_REQUEST_PASSED);
	DROP_AS("mode 7 again", &m7, NG_R_MODE7_REQUEST_RATECAPPED);
	DROP_AS("mode 6 again", &m6, NG_R_MODE6_REQUEST_RATECAPPED);
	EXPECT_EQ("global m7 passed", 1, global_get(NG_PC_M7_REQUEST).b.passed);
	EXPECT_EQ("global m6 passed", 1, global_get(NG_PC_M6_REQUEST).b.passed);
	return end_timed("mode 7 and mode 6 buckets of one source are separate");
}

static int t_mode6_actions(void)
{
	struct ng_policy p = defaults();
	struct frame f = m6req(6, "2001:db8:5::6");

	begin_timed(NG_NSEC);
	reset();
	p.cls[NG_PC_M6_REQUEST].action = NG_ACT_DROP;
	policy_write(&p);
	DROP_AS("mode6_request=drop", &f, NG_R_MODE6_REQUEST_DROPPED);
	p.cls[NG_PC_M6_REQUEST].action = NG_ACT_PASS;
	policy_write(&p);
	for (int i = 0; i < 30; i++)
		PASS_AS("mode6_request=pass", &f, NG_R_MODE6_REQUEST_PASSED);
	EXPECT_EQ("bucket entries with pass", 0,
		  count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	ratecap(&p, NG_PC_M6_REQUEST, 1, 2, BIG, BIG);
	policy_write(&p);
	PASS_AS("ratecap 1", &f, NG_R_MODE6_REQUEST_PASSED);
	PASS_AS("ratecap 2", &f, NG_R_MODE6_REQUEST_PASSED);
	DROP_AS("ratecap 3", &f, NG_R_MODE6_REQUEST_RATECAPPED);
	return end_timed("mode6_request: drop, pass, ratecap");
}

static int t_response_by_destination(void)
{
	struct ng_policy p = defaults();
	struct frame ra = m7resp(4, "192.0.2.1", "203.0.113.9");
	struct frame rb = m7resp(4, "192.0.2.2", "203.0.113.9");
	struct frame rw = m7resp(4, "192.0.2.1", "203.0.113.10");
	struct frame small = mk(4, "192.0.2.1", "203.0.113.9", 123, 40000, P_M7_RESP_ERR);
	struct frame r6a = m7resp(6, "2001:db8::1", "2001:db8:9::1");
	struct frame r6b = m7resp(6, "2001:db8::2", "2001:db8:9::2");
	struct ng_bucket bk;

	begin_timed(NG_NSEC);
	reset();
	ratecap(&p, NG_PC_M7_RESPONSE, 1, 2, BIG, BIG);
	policy_write(&p);
	PASS_AS("reflector A -> victim", &ra, NG_R_MODE7_RESPONSE_PASSED);
	PASS_AS("reflector B -> same victim", &rb, NG_R_MODE7_RESPONSE_PASSED);
	DROP_AS("reflector A -> victim (burst 2 spent)", &ra, NG_R_MODE7_RESPONSE_RATECAPPED);
	DROP_AS("reflector B -> victim", &rb, NG_R_MODE7_RESPONSE_RATECAPPED);
	PASS_AS("8-octet error reply to the victim (not policed)", &small,
		NG_R_MODE7_RESPONSE_PASSED);
	PASS_AS("reflector A -> another victim", &rw, NG_R_MODE7_RESPONSE_PASSED);
	EXPECT(!bucket_get(NG_PC_M7_RESPONSE, 4, "203.0.113.9", &bk),
	       "no response bucket keyed by the victim 203.0.113.9");
	EXPECT_EQ("victim bucket passed", 2, bk.passed);
	EXPECT_EQ("victim bucket dropped", 2, bk.dropped);
	EXPECT_EQ("victim bucket dropped_bytes", 2 * ra.len, bk.dropped_bytes);
	EXPECT(bucket_get(NG_PC_M7_RESPONSE, 4, "192.0.2.1", &bk) &&
	       bucket_get(NG_PC_M7_REQUEST, 4, "192.0.2.1", &bk),
	       "a bucket keyed by the reflector (source) exists");
	PASS_AS("v6 reflector A -> victim /64", &r6a, NG_R_MODE7_RESPONSE_PASSED);
	PASS_AS("v6 reflector B -> other host, same victim /64", &r6b,
		NG_R_MODE7_RESPONSE_PASSED);
	DROP_AS("v6 reflector A -> victim /64 (spent)", &r6a, NG_R_MODE7_RESPONSE_RATECAPPED);
	EXPECT(!bucket_get(NG_PC_M7_RESPONSE, 6, "2001:db8:9::", &bk),
	       "no response bucket keyed 2001:db8:9::/64");
	return end_timed("oversized response ratecap is keyed by destination (victim /32, /64)");
}

static void t_response_threshold(void)
{
	struct ng_policy p = defaults();
	struct frame big = m7resp(4, "192.0.2.1", "203.0.113.9");   /* 440 octets */

	begin();
	reset();
	DROP_AS("440 > 200", &big, NG_R_MODE7_RESPONSE_OVERSIZED);
	p.mode7_response_max_bytes = 440;
	policy_write(&p);
	PASS_AS("440 > 440 is false", &big, NG_R_MODE7_RESPONSE_PASSED);
	p.mode7_response_max_bytes = 439;
	policy_write(&p);
	DROP_AS("440 > 439", &big, NG_R_MODE7_RESPONSE_OVERSIZED);
	p.cls[NG_PC_M7_RESPONSE].action = NG_ACT_PASS;
	policy_write(&p);
	PASS_AS("mode7_response=pass", &big, NG_R_MODE7_RESPONSE_PASSED);
	end("mode7_response_max_bytes and mode7_response=pass apply at once");
}

static int t_allow_bypass(void)
{
	struct ng_policy p = defaults();
	struct frame a4 = m7req(4, "192.0.2.50"), a6 = m7req(6, "2001:db8:aa:1::5");
	struct frame m6a = m6req(4, "192.0.2.50"), m6a6 = m6req(6, "2001:db8:aa:ffff::1");
	struct frame resp = m7resp(4, "203.0.113.1", "192.0.2.50");
	struct frame resp6 = m7resp(6, "2001:db8::1", "2001:db8:aa::9");
	struct frame other = m7req(4, "192.0.2.51"), other6 = m7req(6, "2001:db8:ab::1");

	begin_timed(NG_NSEC);
	reset();
	allow(4, "192.0.2.50", 32);
	allow(6, "2001:db8:aa::", 48);
	/* Every class ratecapped to one packet per key and one host-wide. */
	ratecap(&p, NG_PC_M7_REQUEST, 1, 1, 1, 1);
	ratecap(&p, NG_PC_M7_RESPONSE, 1, 1, 1, 1);
	ratecap(&p, NG_PC_M6_REQUEST, 1, 1, 1, 1);
	policy_write(&p);
	for (int i = 0; i < 10; i++) {
		PASS_AS("allowed v4 mode 7", &a4, NG_R_MODE7_REQUEST_ALLOWED);
		PASS_AS("allowed v6 mode 7", &a6, NG_R_MODE7_REQUEST_ALLOWED);
		PASS_AS("allowed v4 mode 6", &m6a, NG_R_MODE6_REQUEST_ALLOWED);
		PASS_AS("allowed v6 mode 6", &m6a6, NG_R_MODE6_REQUEST_ALLOWED);
		PASS_AS("response to allowed v4", &resp, NG_R_MODE7_RESPONSE_PASSED);
		PASS_AS("response to allowed v6", &resp6, NG_R_MODE7_RESPONSE_PASSED);
	}
	EXPECT_EQ("bucket entries after allow-listed traffic", 0,
		  count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	for (int pc = 0; pc < NG_PC__COUNT; pc++)
		EXPECT(!global_get(pc).b.last_ns && !global_get(pc).b.passed,
		       "global bucket %d consumed by allow-listed traffic", pc);
	/* The caps are live for everyone else. */
	PASS_AS("not allowed 192.0.2.51", &other, NG_R_MODE7_REQUEST_PASSED);
	DROP_AS("not allowed 192.0.2.51 again", &other, NG_R_MODE7_REQUEST_RATECAPPED);
	DROP_AS("not allowed 2001:db8:ab::1 (global burst 1 spent)", &other6,
		NG_R_MODE7_REQUEST_RATECAPPED);
	PASS_AS("allowed after the global cap is spent", &a4, NG_R_MODE7_REQUEST_ALLOWED);
	/* drop and monitor too */
	p.cls[NG_PC_M7_REQUEST].action = NG_ACT_DROP;
	p.monitor = 1;
	policy_write(&p);
	PASS_AS("allowed, drop policy, monitor", &a4, NG_R_MODE7_REQUEST_ALLOWED);
	p.monitor = 0;
	policy_write(&p);
	PASS_AS("allowed, drop policy", &a4, NG_R_MODE7_REQUEST_ALLOWED);
	DROP_AS("not allowed, drop policy", &other, NG_R_MODE7_REQUEST_DROPPED);
	return end_timed("allow-listed hosts bypass every cap (per-key and global, all classes)");
}

static struct ng_policy monitor_policy(void)
{
	struct ng_policy p = defaults();

	p.monitor = 1;
	p.cls[NG_PC_M6_REQUEST].action = NG_ACT_DROP;
	return p;
}

static void t_monitor(void)
{
	struct ng_policy p = monitor_policy();
	struct frame r4 = m7req(4, "203.0.113.66"), r6 = m7req(6, "2001:db8:3::66");
	struct frame big = m7resp(4, "192.0.2.123", "203.0.113.66");
	struct frame tiny = mk(4, "203.0.113.66", "192.0.2.123", 40000, 123, P_TINY_FRAG);
	struct frame m6 = m6req(4, "203.0.113.66"), m3 = mk(4, "192.0.2.10",
							    "192.0.2.123", 40002, 123, P_M3);

	begin();
	reset();
	policy_write(&p);
	for (int i = 0; i < 5; i++) {
		WOULD_AS("v4 mode 7 request (drop)", &r4, NG_R_MODE7_REQUEST_DROPPED);
		WOULD_AS("v6 mode 7 request (drop)", &r6, NG_R_MODE7_REQUEST_DROPPED);
		WOULD_AS("oversized response", &big, NG_R_MODE7_RESPONSE_OVERSIZED);
		WOULD_AS("tiny first fragment", &tiny, NG_R_FRAGMENT_DROPPED);
		WOULD_AS("mode 6 (drop)", &m6, NG_R_MODE6_REQUEST_DROPPED);
		PASS_AS("mode 3", &m3, NG_R_NTP_PASSED);
	}
	end("monitor mode, drop actions: all pass, each counted once in its would-drop row");
}

static int t_monitor_ratecap(void)
{
	struct ng_policy p = monitor_policy();
	struct frame r4 = m7req(4, "203.0.113.66");
	struct frame big = m7resp(4, "192.0.2.123", "203.0.113.66");
	struct frame m6 = m6req(4, "203.0.113.66");
	int n;

	begin_timed(NG_NSEC);
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 1, 3, BIG, BIG);
	ratecap(&p, NG_PC_M6_REQUEST, 1, 2, BIG, BIG);
	ratecap(&p, NG_PC_M7_RESPONSE, 1, 1, BIG, BIG);
	policy_write(&p);
	n = passes_until_capped("monitor, m7 ratecap", &r4, 10, NG_R_MODE7_REQUEST_PASSED,
				NG_R_MODE7_REQUEST_RATECAPPED, 1);
	EXPECT_EQ("monitor: mode 7 passes before the first would-ratecap", 3, n);
	WOULD_AS("monitor: over budget again", &r4, NG_R_MODE7_REQUEST_RATECAPPED);
	n = passes_until_capped("monitor, m6 ratecap", &m6, 10, NG_R_MODE6_REQUEST_PASSED,
				NG_R_MODE6_REQUEST_RATECAPPED, 1);
	EXPECT_EQ("monitor: mode 6 passes before the first would-ratecap", 2, n);
	PASS_AS("monitor: response 1", &big, NG_R_MODE7_RESPONSE_PASSED);
	WOULD_AS("monitor: response 2", &big, NG_R_MODE7_RESPONSE_RATECAPPED);
	return end_timed("monitor mode, ratecap: within budget counted as passed, over budget as would-drop");
}

/* Global cap in monitor mode, and a mixed flood: never XDP_DROP. */
static void t_monitor_global(void)
{
	struct ng_policy p = monitor_policy();
	struct frame r4 = m7req(4, "203.0.113.66");
	struct frame big = m7resp(4, "192.0.2.123", "203.0.113.66");
	struct frame tiny = mk(4, "203.0.113.66", "192.0.2.123", 40000, 123, P_TINY_FRAG);
	struct frame m6 = m6req(4, "203.0.113.66");
	struct frame many[64];
	struct ng_gbucket g;
	int drops = 0, slack;
	__u64 t0;

	begin();
	reset();
	ratecap(&p, NG_PC_M6_REQUEST, 1, 2, BIG, BIG);
	ratecap(&p, NG_PC_M7_RESPONSE, 1, 1, BIG, BIG);
	ratecap(&p, NG_PC_M7_REQUEST, BIG, BIG, 1, 4);
	policy_write(&p);
	for (int i = 0; i < 64; i++) {
		char a[48];

		snprintf(a, sizeof(a), "2001:db8:77:%x::1", i);
		many[i] = m7req(6, a);
	}
	t0 = now_ns();
	for (int i = 0; i < 64; i++) {
		drops += run_raw(&many[i]) == XDP_DROP;
		drops += run_raw(&r4) == XDP_DROP;
		drops += run_raw(&big) == XDP_DROP;
		drops += run_raw(&tiny) == XDP_DROP;
		drops += run_raw(&m6) == XDP_DROP;
	}
	slack = (int)stall_tokens(1, now_ns() - t0);
	EXPECT_EQ("XDP_DROP verdicts in monitor mode", 0, drops);
	g = global_get(NG_PC_M7_REQUEST);
	EXPECT(g.b.passed >= 4 && g.b.passed <= 4 + (__u64)slack,
	       "global m7 passed (global burst 4, monitor): %llu",
	       (unsigned long long)g.b.passed);
	EXPECT_EQ("global m7 passed + dropped (128 mode 7 requests)", 128,
		  g.b.passed + g.b.dropped);
	/* Monitor off: the very same frames drop again. */
	p.monitor = 0;
	policy_write(&p);
	DROP_AS("monitor off: mode 7 over the global cap", &many[0],
		NG_R_MODE7_REQUEST_RATECAPPED);
	DROP_AS("monitor off: tiny fragment", &tiny, NG_R_FRAGMENT_DROPPED);
	end("monitor mode never returns XDP_DROP (320 mixed packets, global cap spent)");
}

static int t_policy_switch(void)
{
	struct ng_policy p = defaults(), q;
	struct frame f = m7req(4, "203.0.113.66");
	__u32 zero = 0, sel, inactive;

	begin_timed(NG_NSEC);
	reset();
	DROP_AS("drop", &f, NG_R_MODE7_REQUEST_DROPPED);
	p.cls[NG_PC_M7_REQUEST].action = NG_ACT_PASS;
	policy_write(&p);
	PASS_AS("pass", &f, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("pass", &f, NG_R_MODE7_REQUEST_PASSED);
	ratecap(&p, NG_PC_M7_REQUEST, 1, 10, BIG, BIG);
	policy_write(&p);
	PASS_AS("ratecap burst 10: 1", &f, NG_R_MODE7_REQUEST_PASSED);
	/* Lower the burst: the existing bucket (9 tokens) is clamped at once. */
	p.cls[NG_PC_M7_REQUEST].burst = 2;
	policy_write(&p);
	PASS_AS("burst lowered to 2: 1", &f, NG_R_MODE7_REQUEST_PASSED);
	PASS_AS("burst lowered to 2: 2", &f, NG_R_MODE7_REQUEST_PASSED);
	DROP_AS("burst lowered to 2: 3", &f, NG_R_MODE7_REQUEST_RATECAPPED);
	p.cls[NG_PC_M7_REQUEST].action = NG_ACT_DROP;
	policy_write(&p);
	DROP_AS("back to drop", &f, NG_R_MODE7_REQUEST_DROPPED);

	/* Only the selector makes a slot live (double buffering). */
	if (bpf_map_lookup_elem(T.sel_fd, &zero, &sel))
		die_map("selector lookup");
	inactive = (sel + 1) % NG_POLICY_SLOTS;
	q = p;
	q.cls[NG_PC_M7_REQUEST].action = NG_ACT_PASS;
	if (bpf_map_update_elem(T.policy_fd, &inactive, &q, BPF_ANY))
		die_map("policy write");
	DROP_AS("inactive slot says pass, not flipped", &f, NG_R_MODE7_REQUEST_DROPPED);
	if (bpf_map_update_elem(T.sel_fd, &zero, &inactive, BPF_ANY))
		die_map("selector write");
	PASS_AS("flipped", &f, NG_R_MODE7_REQUEST_PASSED);
	/* A slot without the magic means the compiled-in defaults. */
	q.magic = 0;
	if (bpf_map_update_elem(T.policy_fd, &inactive, &q, BPF_ANY))
		die_map("policy write");
	DROP_AS("live slot without magic: defaults", &f, NG_R_MODE7_REQUEST_DROPPED);
	return end_timed("policy switches between runs: drop -> pass -> ratecap -> smaller burst -> drop, selector flip");
}

static void t_global_cap(void)
{
	struct ng_policy p = defaults();
	struct ng_gbucket g;
	int passed = 0, capped = 0, other = 0, slack;
	__u64 t0;

	begin();
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, BIG, BIG, 1, 10);
	policy_write(&p);
	t0 = now_ns();
	for (int i = 0; i < 40; i++) {
		char src[32];
		struct frame f;
		int v, r;

		snprintf(src, sizeof(src), "198.51.100.%d", 10 + i);
		f = m7req(4, src);
		r = run1(&f, &v);
		if (v == XDP_PASS && r == NG_R_MODE7_REQUEST_PASSED)
			passed++;
		else if (v == XDP_DROP && r == NG_R_MODE7_REQUEST_RATECAPPED)
			capped++;
		else
			other++;
	}
	for (int i = 0; i < 20; i++) {
		char src[48];
		struct frame f;
		int v, r;

		snprintf(src, sizeof(src), "2001:db8:5:%x::1", i);
		f = m7req(6, src);
		r = run1(&f, &v);
		if (v == XDP_DROP && r == NG_R_MODE7_REQUEST_RATECAPPED)
			capped++;
		else if (v == XDP_PASS && r == NG_R_MODE7_REQUEST_PASSED)
			passed++;
		else
			other++;
	}
	slack = (int)stall_tokens(1, now_ns() - t0);
	EXPECT(passed >= 10 && passed <= 10 + slack && !other,
	       "60 sources, 1 packet each, global burst 10: %d passed, %d capped, %d odd",
	       passed, capped, other);
	g = global_get(NG_PC_M7_REQUEST);
	EXPECT_EQ("ng_global[m7].passed", (__u64)passed, g.b.passed);
	EXPECT_EQ("ng_global[m7].dropped", (__u64)(60 - passed), g.b.dropped);
	EXPECT(g.b.tokens < NG_NSEC, "ng_global[m7] still holds %llu nano-tokens",
	       (unsigned long long)g.b.tokens);
	EXPECT(g.b.last_ns >= t0, "ng_global[m7].last_ns not set by this run");
	EXPECT(!global_get(NG_PC_M6_REQUEST).b.last_ns &&
	       !global_get(NG_PC_M7_RESPONSE).b.last_ns, "other classes' global buckets moved");
	EXPECT_EQ("per-source buckets", 60, count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	end("global cap: 60 distinct sources (v4 and v6), global burst 10 -> 10 pass");

}

/*
 * LRU churn: the table holds LRU_SIZE buckets; 4096 distinct /64s, twice.
 * Evicted sources come back with a full bucket, so far more than 4096
 * packets clear the per-key stage, but the global bucket holds: global
 * burst 100 passes in total. On one CPU (bpf_loader.c) the table never
 * holds fewer than LRU_SIZE - 128 keys once full (LOCAL_FREE_TARGET of
 * kernel/bpf/bpf_lru_list.c: at most one batch of free nodes on the CPU's
 * local list).
 */
static void t_lru_churn(void)
{
	struct ng_policy p = defaults();
	struct ng_counter a[NG_SLOT_STRIDE], b[NG_SLOT_STRIDE];
	static struct frame fl[4096];
	struct ng_gbucket g;
	int drops = 0, passed, capped, slack;
	long entries;
	__u64 ev0, ev, t0;

	begin();
	reset();
	ratecap(&p, NG_PC_M7_REQUEST, 1, 1, 1, 100);
	policy_write(&p);
	ev0 = event_count(NG_EV_KEYS_INSERTED);
	for (int i = 0; i < 4096; i++) {
		char src[48];

		snprintf(src, sizeof(src), "2001:db8:%x:%x::7", 0x100 + i / 256, i % 256);
		fl[i] = m7req(6, src);
	}
	snap(a);
	t0 = now_ns();
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 4096; i++)
			drops += run_raw(&fl[i]) == XDP_DROP;
	slack = (int)stall_tokens(1, now_ns() - t0);
	snap(b);
	ev = event_count(NG_EV_KEYS_INSERTED) - ev0;
	g = global_get(NG_PC_M7_REQUEST);
	passed = (int)(b[NG_R_MODE7_REQUEST_PASSED].packets -
		       a[NG_R_MODE7_REQUEST_PASSED].packets);
	capped = (int)(b[NG_R_MODE7_REQUEST_RATECAPPED].packets -
		       a[NG_R_MODE7_REQUEST_RATECAPPED].packets);
	entries = count_entries(T.buckets_fd, sizeof(struct ng_bkey));
	EXPECT(passed >= 100 && passed <= 100 + slack,
	       "8192 packets from 4096 sources: %d passed, expected 100 (global burst)",
	       passed);
	EXPECT_EQ("ratecapped + passed", 8192, (__u64)(passed + capped));
	EXPECT_EQ("XDP_DROP verdicts", (__u64)capped, drops);
	EXPECT_EQ("ng_global[m7].passed", (__u64)passed, g.b.passed);
	EXPECT(g.b.passed + g.b.dropped > 4096,
	       "only %llu packets reached the global bucket: no LRU eviction seen "
	       "(table of %u)", (unsigned long long)(g.b.passed + g.b.dropped), LRU_SIZE);
	EXPECT(entries <= LRU_SIZE && entries >= LRU_SIZE - 128,
	       "%ld buckets in a table of %u after the churn, expected %u..%u", entries,
	       LRU_SIZE, LRU_SIZE - 128, LRU_SIZE);
	EXPECT(ev > 4096, "ng_events keys inserted: %llu, expected > 4096 "
	       "(evicted keys come back)", (unsigned long long)ev);
	note("%llu of 8192 packets got a per-source token (evicted buckets come back "
	     "full), %d passed, %ld keys in the table", (unsigned long long)(g.b.passed + g.b.dropped),
	     passed, entries);
	end("global cap holds under LRU churn (4096 /64s twice, table of 1024)");
}

static void t_track(void)
{
	struct ng_policy p = defaults();
	struct frame d = m7req(4, "203.0.113.66"), a = m7req(4, "192.0.2.50");
	struct frame m6 = m6req(6, "2001:db8:3::66");
	struct ng_bucket bk;
	__u64 ev0;

	begin();
	reset();
	allow(4, "192.0.2.50", 32);
	p.track = 1;
	p.cls[NG_PC_M6_REQUEST].action = NG_ACT_PASS;
	policy_write(&p);
	ev0 = event_count(NG_EV_KEYS_INSERTED);
	for (int i = 0; i < 7; i++) {
		DROP_AS("track, drop", &d, NG_R_MODE7_REQUEST_DROPPED);
		PASS_AS("track, pass", &m6, NG_R_MODE6_REQUEST_PASSED);
		PASS_AS("track, allowed", &a, NG_R_MODE7_REQUEST_ALLOWED);
	}
	EXPECT(!bucket_get(NG_PC_M7_REQUEST, 4, "203.0.113.66", &bk), "no entry for the dropped source");
	EXPECT_EQ("dropped", 7, bk.dropped);
	EXPECT_EQ("dropped_bytes", 7 * d.len, bk.dropped_bytes);
	EXPECT_EQ("tokens untouched by drop (full burst 5)", 5 * NG_NSEC, bk.tokens);
	EXPECT(!bucket_get(NG_PC_M6_REQUEST, 6, "2001:db8:3::", &bk), "no entry for the passed /64");
	EXPECT_EQ("passed", 7, bk.passed);
	EXPECT(bucket_get(NG_PC_M7_REQUEST, 4, "192.0.2.50", &bk), "an allow-listed source got an entry");
	EXPECT_EQ("ng_events keys inserted", 2, event_count(NG_EV_KEYS_INSERTED) - ev0);
	EXPECT(!global_get(NG_PC_M7_REQUEST).b.last_ns, "global bucket used without ratecap");
	p.track = 0;
	policy_write(&p);
	ngt_clear_map(T.buckets_fd);
	DROP_AS("track off, drop", &d, NG_R_MODE7_REQUEST_DROPPED);
	EXPECT_EQ("entries with track off", 0, count_entries(T.buckets_fd, sizeof(struct ng_bkey)));
	end("track=on: per-key counters for drop/pass classes, no tokens taken, allow-list untracked");
}

/* Nothing outside this runner's slot moved; would rows only on drop reasons. */
static void t_counter_map(void)
{
	int bad = 0;

	begin();
	for (__u32 key = 0; key < NG_MAX_IFSLOTS * NG_SLOT_STRIDE && !bad; key++) {
		__u32 slot = key / NG_SLOT_STRIDE, i = key % NG_SLOT_STRIDE;
		struct ng_counter c = row(key);
		int may = slot == TEST_SLOT &&
			  (i < NG_R__COUNT ||
			   (i >= NG_REASON_SLOTS && i < NG_REASON_SLOTS + NG_R__COUNT &&
			    ng_reason_drops((int)(i - NG_REASON_SLOTS))));

		if ((c.packets || c.bytes) && !may) {
			fail("slot %u row %u (%s) holds %llu packets", slot, i, rowname((int)i),
			     (unsigned long long)c.packets);
			bad = 1;
		}
	}
	end("counter map: only this runner's slot moved, would-drop rows only for drop reasons");
}

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: %s\n\nRate caps, allow-list bypass, monitor mode and live "
		       "policy of the ntpguard XDP program, through BPF_PROG_TEST_RUN.\n",
		       argv[0]);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}
	ngt_load("bpf_policy", TEST_SLOT, LRU_SIZE);

	t_defaults();
	t_default_m6();
	t_burst_and_refill();
	t_no_overflow();
	t_clock_choice();
	t_ratelimit_arithmetic();
	TIMED(t_v4_keys);
	TIMED(t_v6_64);
	TIMED(t_classes_separate);
	TIMED(t_mode6_actions);
	TIMED(t_response_by_destination);
	t_response_threshold();
	TIMED(t_allow_bypass);
	t_monitor();
	TIMED(t_monitor_ratecap);
	t_monitor_global();
	TIMED(t_policy_switch);
	t_global_cap();
	t_lru_churn();
	t_track();
	t_counter_map();

	ngt_close();
	return ngt_summary();
}

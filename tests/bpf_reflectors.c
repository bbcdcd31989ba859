// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_reflectors - the reflector records of the data plane (ng_reflectors)
 * and the probe flows of a running `check` (ng_probes) through
 * BPF_PROG_TEST_RUN, and the victim estimator's error against known counts.
 *
 *   build/tests/bpf_reflectors
 *
 * The program is loaded from the skeleton with every pin path cleared
 * (nothing under any bpffs is created or touched), never attached, and this
 * process is pinned to one CPU: with BPF_PROG_TEST_RUN the program runs on
 * the caller's CPU, so exactly one per-CPU copy of a record moves, and the
 * LRU's per-CPU free lists behave the same on any machine (a table of N
 * entries holds N keys before the first eviction).
 *
 * What a record must say comes from the frames this file builds: which
 * source, how many packets and octets, which destinations. Times: the data
 * plane stamps records with bpf_ktime_get_coarse_ns(), which is
 * CLOCK_MONOTONIC_COARSE; the test reads that clock before and after a run
 * and the stamp must lie between (no tolerance needed).
 *
 * The estimator (headers/ng_reflect.h) is checked against its own theory:
 * for n distinct victims drawn at random, linear counting's estimate has
 * standard error sqrt(m (e^t - t - 1)) with t = n / m; every trial must fall
 * within 4 standard errors plus 2 (at small n the error is whole
 * collisions: two victims sharing a bit read as one), a "more than" figure
 * must lie below the true count, and the mean relative error per n is
 * printed (README quotes it). The inputs are fixed (a seeded generator), so
 * the outcome does not vary between runs.
 *
 * Output: "ok N - name" / "not ok N - name: why", then "N passed, N failed,
 * 0 skipped" (nothing here is skipped).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ntpguard.skel.h"
#include "ntpguard.h"
#include "ng_reflect.h"
#include "bpf_loader.h"      /* ngt_init: libbpf output, one CPU */

#define TEST_SLOT 7u
#define SMALL_TABLE 256u        /* ng_reflectors max_entries of the overflow test */

static struct {
	struct ntpguard_bpf *skel;
	int prog_fd, refl_fd, events_fd, policy_fd, sel_fd, allow4_fd, used_fd, counters_fd;
	int probes_fd;
	struct ng_refl *percpu;
	int test_no, passed, failed;
	int ok;
	char why[512];
} R;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (!R.ok)
		return;
	R.ok = 0;
	va_start(ap, fmt);
	vsnprintf(R.why, sizeof(R.why), fmt, ap);
	va_end(ap);
}

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
}

static void end(const char *name)
{
	R.test_no++;
	if (R.ok) {
		R.passed++;
		printf("ok %d - %s\n", R.test_no, name);
	} else {
		R.failed++;
		printf("not ok %d - %s: %s\n", R.test_no, name, R.why);
	}
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "bpf_reflectors: %s: %s\n", what, strerror(errno));
	printf("%d passed, %d failed, 0 skipped\n", R.passed, R.failed + 1);
	exit(1);
}

/* ---- loading --------------------------------------------------------------- */

static void unload(void)
{
	ntpguard_bpf__destroy(R.skel);
	R.skel = NULL;
}

/* A private instance with a reflector table of `size` entries (0: default). */
static void load(__u32 size)
{
	struct bpf_map *map;
	int err;

	if (R.skel)
		unload();
	R.skel = ntpguard_bpf__open();
	if (!R.skel)
		die("opening the skeleton");
	bpf_object__for_each_map(map, R.skel->obj)
		if (bpf_map__set_pin_path(map, NULL))
			die("clearing a pin path");
	R.skel->rodata->ng_slot = TEST_SLOT;
	if (size)
		bpf_map__set_max_entries(R.skel->maps.ng_reflectors, size);
	err = ntpguard_bpf__load(R.skel);
	if (err) {
		errno = -err;
		die("loading the program");
	}
	R.prog_fd = bpf_program__fd(R.skel->progs.ntpguard_xdp);
	R.refl_fd = bpf_map__fd(R.skel->maps.ng_reflectors);
	R.events_fd = bpf_map__fd(R.skel->maps.ng_events);
	R.policy_fd = bpf_map__fd(R.skel->maps.ng_policy);
	R.sel_fd = bpf_map__fd(R.skel->maps.ng_policy_sel);
	R.allow4_fd = bpf_map__fd(R.skel->maps.ng_allow_v4);
	R.used_fd = bpf_map__fd(R.skel->maps.ng_allow_used);
	R.counters_fd = bpf_map__fd(R.skel->maps.ng_counters);
	R.probes_fd = bpf_map__fd(R.skel->maps.ng_probes);
}

/* ---- frames ------------------------------------------------------------------ */

struct frame {
	__u8 b[600];
	__u32 len;
};

static void put16(__u8 *p, unsigned v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* The address into out (size bytes, at least the family's 4 or 16), zero-filled. */
static void addr(int family, const char *s, __u8 *out, size_t size)
{
	memset(out, 0, size);
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, s, out) != 1) {
		fprintf(stderr, "bpf_reflectors: bad address %s\n", s);
		exit(2);
	}
}

static struct frame udp_frame(int family, const __u8 *src, const __u8 *dst, unsigned sport,
			      unsigned dport, __u8 b0, unsigned ntp_len, int vlans);

/*
 * A mode 7 response (R=1, VN 2, impl 3, code 42) of `ntp_len` octets from
 * src:sport to dst:40000, behind `vlans` 802.1Q tags. Checksums are left 0:
 * the classifier does not read them.
 */
static struct frame resp_raw(int family, const __u8 *src, const __u8 *dst, unsigned sport,
			     unsigned ntp_len, int vlans)
{
	return udp_frame(family, src, dst, sport, 40000, 0x97, ntp_len, vlans);
}

/* The NTP octets: first octet b0, then impl 3, code 42 (monlist). */
static struct frame udp_frame(int family, const __u8 *src, const __u8 *dst, unsigned sport,
			      unsigned dport, __u8 b0, unsigned ntp_len, int vlans)
{
	struct frame f;
	__u8 *p = f.b + 12, *ip, *udp;
	unsigned iphl = family == 4 ? 20 : 40;

	memset(&f, 0, sizeof(f));
	f.b[0] = 2;
	f.b[6] = 2;
	for (int i = 0; i < vlans; i++, p += 4) {
		put16(p, 0x8100);
		put16(p + 2, 100 + i);
	}
	put16(p, family == 4 ? 0x0800 : 0x86dd);
	ip = p + 2;
	udp = ip + iphl;
	if (family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + ntp_len);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, 8 + ntp_len);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, 8 + ntp_len);
	udp[8] = b0;            /* 0x97: R=1, VN 2, mode 7; 0x17 a request */
	udp[10] = 3;
	udp[11] = 42;
	f.len = (__u32)(udp + 8 + ntp_len - f.b);
	return f;
}

static struct frame resp(int family, const char *src, const char *dst, unsigned ntp_len)
{
	__u8 s[16], d[16];

	addr(family, src, s, sizeof(s));
	addr(family, dst, d, sizeof(d));
	return resp_raw(family, s, d, 123, ntp_len, 0);
}

static int run(const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len, .repeat = 1);

	if (bpf_prog_test_run_opts(R.prog_fd, &o))
		die("BPF_PROG_TEST_RUN");
	return (int)o.retval;
}

/* ---- maps --------------------------------------------------------------------- */

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * NG_NSEC + (__u64)ts.tv_nsec;
}

static void policy(const struct ng_policy *p)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(R.policy_fd, &zero, p, BPF_ANY) ||
	    bpf_map_update_elem(R.sel_fd, &zero, &zero, BPF_ANY))
		die("writing the policy");
}

static void reset(void)
{
	struct ng_policy def = NG_DEFAULT_POLICY;
	struct ng_rkey k, next;
	__u32 fam = 0, zero = 0;

	while (bpf_map_get_next_key(R.refl_fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(R.refl_fd, &k))
			die("emptying ng_reflectors");
	(void)next;
	policy(&def);
	bpf_map_update_elem(R.used_fd, &fam, &zero, BPF_ANY);
}

static __u64 events(void)
{
	__u64 v[T.ncpus], sum = 0;
	__u32 key = NG_EV_REFLECTORS_INSERTED;

	if (bpf_map_lookup_elem(R.events_fd, &key, v))
		die("reading ng_events");
	for (int c = 0; c < T.ncpus; c++)
		sum += v[c];
	return sum;
}

static long entries(void)
{
	struct ng_rkey k, next;
	long n = 0;
	int err = bpf_map_get_next_key(R.refl_fd, NULL, &k);

	while (!err) {
		n++;
		err = bpf_map_get_next_key(R.refl_fd, &k, &next);
		k = next;
	}
	return n;
}

static struct ng_rkey rkey(int family, const char *src)
{
	struct ng_rkey k;

	memset(&k, 0, sizeof(k));
	k.slot = TEST_SLOT;
	k.family = (__u8)family;
	addr(family, src, k.addr, sizeof(k.addr));
	return k;
}

/*
 * The record of (this slot, src), merged over CPUs; 0 if absent. Also
 * checks that only this process's CPU holds counts.
 */
static int record(int family, const char *src, struct ng_refl *out)
{
	struct ng_rkey k = rkey(family, src);

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(R.refl_fd, &k, R.percpu))
		return 0;
	for (int c = 0; c < T.ncpus; c++) {
		if (c != T.cpu && R.percpu[c].packets)
			fail("CPU %d's copy counts %llu packets; only CPU %d ran the program",
			     c, (unsigned long long)R.percpu[c].packets, T.cpu);
		ng_refl_merge(out, &R.percpu[c]);
	}
	return 1;
}

static __u64 victims(const struct ng_refl *r, int *lower)
{
	return ng_refl_victims(r->victims, lower);
}

/* The sketch bit of an address, from its octets (the data plane's input). */
static unsigned victim_bit(int family, const __u8 *a)
{
	__u64 k = 0;

	memcpy(&k, a, family == 4 ? 4 : 8);
	return ng_refl_victim_bit(k, (__u8)family);
}

/* ---- tests ------------------------------------------------------------------------ */

static void t_ipv4_record(void)
{
	struct frame f = resp(4, "192.0.2.123", "198.51.100.7", 440);
	struct ng_refl r;
	__u64 ev0 = events(), t0, t1, t2;
	int lower;

	begin();
	reset();
	t0 = coarse_now();
	EXPECT_EQ("verdict (XDP_DROP)", XDP_DROP, run(&f));
	t1 = coarse_now();
	if (!record(4, "192.0.2.123", &r))
		fail("no record for 192.0.2.123 in slot %u", TEST_SLOT);
	EXPECT_EQ("packets", 1, r.packets);
	EXPECT_EQ("bytes (the whole frame)", f.len, r.bytes);
	if (r.first_ns < t0 || r.first_ns > t1 || r.last_ns != r.first_ns)
		fail("first/last seen %llu/%llu not within [%llu, %llu]",
		     (unsigned long long)r.first_ns, (unsigned long long)r.last_ns,
		     (unsigned long long)t0, (unsigned long long)t1);
	EXPECT_EQ("victims", 1, victims(&r, &lower));
	EXPECT_EQ("events: records inserted", 1, events() - ev0);
	EXPECT_EQ("records in the table", 1, entries());
	/* A second packet moves last_ns, not first_ns, and inserts nothing. */
	while (coarse_now() == t1)
		;
	EXPECT_EQ("verdict (XDP_DROP)", XDP_DROP, run(&f));
	t2 = coarse_now();
	record(4, "192.0.2.123", &r);
	EXPECT_EQ("packets after a second", 2, r.packets);
	EXPECT_EQ("bytes after a second", 2 * f.len, r.bytes);
	if (r.first_ns > t1 || r.last_ns <= t1 || r.last_ns > t2)
		fail("after a second packet: first %llu (<= %llu), last %llu (in (%llu, %llu])",
		     (unsigned long long)r.first_ns, (unsigned long long)t1,
		     (unsigned long long)r.last_ns, (unsigned long long)t1,
		     (unsigned long long)t2);
	EXPECT_EQ("events after a second packet", 1, events() - ev0);
	end("IPv4: one record per reflector, packets, frame octets, first/last seen, 1 victim");
}

/* Victims whose sketch bits differ: the estimate must be exact. */
static void t_victims_small(void)
{
	struct ng_refl r;
	__u64 seen[NG_REFL_VICTIM_WORDS] = { 0 };
	char dst[32];
	int n = 0, lower, sent = 0;
	__u32 bytes = 0;

	begin();
	reset();
	for (int i = 1; n < 12 && i < 250; i++) {
		__u8 d[16];
		unsigned b;

		snprintf(dst, sizeof(dst), "198.51.100.%d", i);
		addr(4, dst, d, sizeof(d));
		b = victim_bit(4, d);
		if (seen[b / 64] & (1ull << (b % 64)))
			continue;       /* a collision: not this test's subject */
		seen[b / 64] |= 1ull << (b % 64);
		n++;
		/* each victim gets i % 3 + 1 replies: repeats add no victim */
		for (int k = 0; k <= i % 3; k++) {
			struct frame f = resp(4, "192.0.2.124", dst, 200 + (unsigned)i);

			EXPECT_EQ("verdict", XDP_DROP, run(&f));
			sent++;
			bytes += f.len;
		}
	}
	record(4, "192.0.2.124", &r);
	EXPECT_EQ("packets", sent, r.packets);
	EXPECT_EQ("bytes", bytes, r.bytes);
	for (int w = 0; w < NG_REFL_VICTIM_WORDS; w++)
		if (r.victims[w] != seen[w])
			fail("bitmap word %d: %016llx, expected %016llx", w,
			     (unsigned long long)r.victims[w], (unsigned long long)seen[w]);
	EXPECT_EQ("victims", n, victims(&r, &lower));
	EXPECT_EQ("lower bound flag", 0, lower);
	end("12 victims with distinct bits, repeated replies: counted exactly, repeats add none");
}

static void t_ipv6_keys(void)
{
	struct ng_refl a, b;
	int lower;

	begin();
	reset();
	/* two servers in one /64: two records (a reflector is one server) */
	struct frame f1 = resp(6, "2001:db8:1::123", "2001:db8:77::1", 440);
	struct frame f2 = resp(6, "2001:db8:1::124", "2001:db8:77::1", 440);
	/* victims: two addresses in one /64 are one victim; another /64 another */
	struct frame f3 = resp(6, "2001:db8:1::123", "2001:db8:77::2", 440);
	struct frame f4 = resp(6, "2001:db8:1::123", "2001:db8:78::1", 440);

	EXPECT_EQ("verdict", XDP_DROP, run(&f1));
	EXPECT_EQ("verdict", XDP_DROP, run(&f2));
	EXPECT_EQ("verdict", XDP_DROP, run(&f3));
	EXPECT_EQ("verdict", XDP_DROP, run(&f4));
	EXPECT_EQ("records", 2, entries());
	if (!record(6, "2001:db8:1::123", &a) || !record(6, "2001:db8:1::124", &b))
		fail("no record for 2001:db8:1::123 or ::124 (keys are /128)");
	EXPECT_EQ("::123 packets", 3, a.packets);
	EXPECT_EQ("::124 packets", 1, b.packets);
	EXPECT_EQ("::123 bytes", f1.len + f3.len + f4.len, a.bytes);
	{
		__u8 d1[16], d2[16];

		addr(6, "2001:db8:77::1", d1, sizeof(d1));
		addr(6, "2001:db8:78::1", d2, sizeof(d2));
		EXPECT_EQ("::123 victims (2 /64s)",
			  victim_bit(6, d1) == victim_bit(6, d2) ? 1 : 2, victims(&a, &lower));
	}
	EXPECT_EQ("::124 victims", 1, victims(&b, &lower));
	end("IPv6: a record per /128 source; victims counted per /64");
}

static void t_vlan(void)
{
	__u8 s[16], d[16];
	struct ng_refl r;

	begin();
	reset();
	addr(4, "192.0.2.125", s, sizeof(s));
	addr(4, "198.51.100.9", d, sizeof(d));
	for (int v = 0; v <= 3; v++) {
		struct frame f = resp_raw(4, s, d, 123, 440, v);

		EXPECT_EQ("verdict", XDP_DROP, run(&f));
	}
	addr(6, "2001:db8:2::5", s, sizeof(s));
	addr(6, "2001:db8:99::9", d, sizeof(d));
	{
		struct frame f = resp_raw(6, s, d, 123, 440, 3);

		EXPECT_EQ("verdict", XDP_DROP, run(&f));
	}
	EXPECT_EQ("records", 2, entries());
	if (!record(4, "192.0.2.125", &r))
		fail("no record for the IPv4 source behind 0-3 VLAN tags");
	EXPECT_EQ("IPv4 packets (0, 1, 2, 3 tags)", 4, r.packets);
	if (!record(6, "2001:db8:2::5", &r))
		fail("no record for the IPv6 source behind 3 VLAN tags");
	EXPECT_EQ("IPv6 packets", 1, r.packets);
	end("behind 0-3 VLAN tags the record names the IP source");
}

/* What is not a reflector's drop leaves the table alone. */
static void t_not_recorded(void)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct ng_lpm_v4 k = { .prefixlen = 32 };
	__u32 fam = 0, one = 1;
	__u64 ev0;
	__u8 s[16], d[16];

	begin();
	reset();
	ev0 = events();
	{
		struct frame small = resp(4, "192.0.2.126", "198.51.100.7", 200);
		struct frame err = resp(4, "192.0.2.126", "198.51.100.7", 8);

		EXPECT_EQ("200-octet reply passes", XDP_PASS, run(&small));
		EXPECT_EQ("8-octet error reply passes", XDP_PASS, run(&err));
	}
	addr(4, "192.0.2.126", s, sizeof(s));
	addr(4, "198.51.100.7", d, sizeof(d));
	{
		struct frame notntp = resp_raw(4, s, d, 4123, 440, 0);

		EXPECT_EQ("oversized, not from port 123: passes", XDP_PASS, run(&notntp));
	}
	/* an allow-listed destination (a management host running ntpdc) */
	addr(4, "198.51.100.20", k.addr, sizeof(k.addr));
	if (bpf_map_update_elem(R.allow4_fd, &k, &fam, BPF_ANY) ||
	    bpf_map_update_elem(R.used_fd, &fam, &one, BPF_ANY))
		die("allow-listing");
	{
		struct frame mgmt = resp(4, "192.0.2.126", "198.51.100.20", 440);

		EXPECT_EQ("to an allow-listed host: passes", XDP_PASS, run(&mgmt));
	}
	bpf_map_delete_elem(R.allow4_fd, &k);
	/* policy mode7_response=pass */
	pol.cls[NG_PC_M7_RESPONSE].action = NG_ACT_PASS;
	policy(&pol);
	{
		struct frame f = resp(4, "192.0.2.126", "198.51.100.7", 440);

		EXPECT_EQ("mode7_response=pass: passes", XDP_PASS, run(&f));
	}
	EXPECT_EQ("records", 0, entries());
	EXPECT_EQ("events", 0, events() - ev0);
	end("small and error replies, not from port 123, allow-listed victim, policy pass: no record");
}

static void t_switch_off(void)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct frame f = resp(4, "192.0.2.127", "198.51.100.7", 440);
	struct ng_refl r;

	begin();
	reset();
	pol.no_reflectors = 1;
	policy(&pol);
	EXPECT_EQ("reflectors=off: still dropped", XDP_DROP, run(&f));
	EXPECT_EQ("reflectors=off: records", 0, entries());
	pol.no_reflectors = 0;
	policy(&pol);
	EXPECT_EQ("reflectors=on: dropped", XDP_DROP, run(&f));
	record(4, "192.0.2.127", &r);
	EXPECT_EQ("reflectors=on again: packets", 1, r.packets);
	end("policy reflectors=off records nothing and drops the same; on again records");
}

static void t_monitor_and_ratecap(void)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct frame f = resp(4, "192.0.2.128", "198.51.100.7", 440);
	struct ng_refl r;

	begin();
	reset();
	pol.monitor = 1;
	policy(&pol);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ("monitor: passes", XDP_PASS, run(&f));
	record(4, "192.0.2.128", &r);
	EXPECT_EQ("monitor: would-drops recorded", 3, r.packets);
	EXPECT_EQ("monitor: bytes", 3 * f.len, r.bytes);

	/* ratecap, burst 2, a rate too low to refill during the test: two
	 * pass (not recorded), the rest are rate-capped drops (recorded) */
	reset();
	pol = (struct ng_policy)NG_DEFAULT_POLICY;
	pol.cls[NG_PC_M7_RESPONSE].action = NG_ACT_RATECAP;
	pol.cls[NG_PC_M7_RESPONSE].rate = 1;
	pol.cls[NG_PC_M7_RESPONSE].burst = 2;
	policy(&pol);
	{
		struct frame g = resp(4, "192.0.2.129", "198.51.100.8", 440);
		int dropped = 0;

		for (int i = 0; i < 6; i++)
			dropped += run(&g) == XDP_DROP;
		record(4, "192.0.2.129", &r);
		if (dropped < 3)
			fail("ratecap burst 2: only %d of 6 dropped", dropped);
		EXPECT_EQ("ratecap: recorded = rate-capped drops", dropped, r.packets);
	}
	end("monitor mode records would-drops; ratecap records the capped drops only");
}

static void t_overflow(void)
{
	__u64 ev0;
	struct ng_refl r;
	char src[32];
	int n = 300;

	begin();
	load(SMALL_TABLE);
	reset();
	ev0 = events();
	for (int i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "203.0.%d.%d", 113 + i / 250, 1 + i % 250);
		struct frame f = resp(4, src, "198.51.100.7", 440);

		EXPECT_EQ("verdict", XDP_DROP, run(&f));
	}
	EXPECT_EQ("events: records inserted", n, events() - ev0);
	{
		long e = entries();

		if (e > SMALL_TABLE || e < (long)SMALL_TABLE - 128)
			fail("%ld records in a table of %u after %d sources", e, SMALL_TABLE, n);
	}
	snprintf(src, sizeof(src), "203.0.%d.%d", 113 + (n - 1) / 250, 1 + (n - 1) % 250);
	if (!record(4, src, &r) || r.packets != 1)
		fail("the latest reflector %s is not in the table", src);
	if (record(4, "203.0.113.1", &r))
		fail("the least recent reflector 203.0.113.1 is still there after %d inserts "
		     "into %u entries", n, SMALL_TABLE);
	load(0);
	end("table overflow: LRU keeps the latest, events count every insertion");
}

static void t_bitmap_1000(void)
{
	struct ng_refl r;
	int lower;
	__u64 est;
	char dst[48];
	const int n = 1000;
	double se, t = (double)n / NG_REFL_VICTIM_BITS;

	begin();
	reset();
	for (int i = 0; i < n; i++) {
		snprintf(dst, sizeof(dst), "2001:db8:%x:%x::1", i / 256, i % 256);
		struct frame f = resp(6, "2001:db8::123", dst, 440);

		EXPECT_EQ("verdict", XDP_DROP, run(&f));
	}
	record(6, "2001:db8::123", &r);
	est = victims(&r, &lower);
	se = sqrt(NG_REFL_VICTIM_BITS * (exp(t) - t - 1));
	if (fabs((double)est - n) > 4 * se)
		fail("1000 victims estimated as %llu (standard error %.1f)",
		     (unsigned long long)est, se);
	printf("# 1000 IPv6 victims through the data plane: estimate %llu\n",
	       (unsigned long long)est);
	end("1000 victims through the data plane: estimate within 4 standard errors");
}

/* ---- probe flows ------------------------------------------------------------- */

static void set_used(__u32 fam, __u32 bits)
{
	if (bpf_map_update_elem(R.used_fd, &fam, &bits, BPF_ANY))
		die("writing ng_allow_used");
}

static struct ng_probe_key flow_key(int family, const char *local, unsigned lport,
				    const char *remote)
{
	struct ng_probe_key k;

	memset(&k, 0, sizeof(k));
	k.family = (__u8)family;
	k.lport = (__u16)lport;
	addr(family, local, k.local, sizeof(k.local));
	addr(family, remote, k.remote, sizeof(k.remote));
	return k;
}

static void add_flow(int family, const char *local, unsigned lport, const char *remote,
		     __u64 expires)
{
	struct ng_probe_key k = flow_key(family, local, lport, remote);
	struct ng_probe v = { .expires_ns = expires };

	if (bpf_map_update_elem(R.probes_fd, &k, &v, BPF_ANY))
		die("adding a probe flow");
}

static struct ng_probe flow_counts(int family, const char *local, unsigned lport,
				   const char *remote)
{
	struct ng_probe_key k = flow_key(family, local, lport, remote);
	struct ng_probe v;

	memset(&v, 0, sizeof(v));
	bpf_map_lookup_elem(R.probes_fd, &k, &v);
	return v;
}

static void clear_flows(void)
{
	struct ng_probe_key k;

	while (bpf_map_get_next_key(R.probes_fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(R.probes_fd, &k))
			die("emptying ng_probes");
}

static struct ng_counter counter(int reason)
{
	struct ng_counter v[T.ncpus], s = { 0, 0 };
	__u32 key = NG_COUNTER_KEY(TEST_SLOT, (__u32)reason);

	if (bpf_map_lookup_elem(R.counters_fd, &key, v))
		die("reading ng_counters");
	for (int c = 0; c < T.ncpus; c++) {
		s.packets += v[c].packets;
		s.bytes += v[c].bytes;
	}
	return s;
}

static struct frame m7(int family, const char *src, unsigned sport, const char *dst,
		       unsigned dport, int response)
{
	__u8 s[16], d[16];

	addr(family, src, s, sizeof(s));
	addr(family, dst, d, sizeof(d));
	return udp_frame(family, s, d, sport, dport, response ? 0x97 : 0x17,
			 response ? 440 : 8, 0);
}

/*
 * The prober 192.0.2.1:45000 checks 192.0.2.123. Its monlist request and
 * the replies on that flow pass; nothing else does: not another local port,
 * not another server, not after the flow's expiry, not with the "probes"
 * bit of ng_allow_used down.
 */
static void t_probe_flows(int family)
{
	const char *local = family == 4 ? "192.0.2.1" : "2001:db8::1";
	const char *server = family == 4 ? "192.0.2.123" : "2001:db8::123";
	const char *other = family == 4 ? "192.0.2.124" : "2001:db8::124";
	__u32 fam = family == 4 ? 0 : 1;
	struct frame req = m7(family, local, 45000, server, 123, 0);
	struct frame rep = m7(family, server, 123, local, 45000, 1);
	struct frame rep_port = m7(family, server, 123, local, 45001, 1);
	struct frame rep_other = m7(family, other, 123, local, 45000, 1);
	struct frame req_other = m7(family, local, 45000, other, 123, 0);
	struct ng_counter passed0, allowed0, over0;
	struct ng_probe fc;
	struct ng_refl r;

	begin();
	reset();
	clear_flows();
	add_flow(family, local, 45000, server, coarse_now() + 60 * NG_NSEC);
	/* the bit is down: the map is not even looked at */
	EXPECT_EQ("bit down: request dropped", XDP_DROP, run(&req));
	EXPECT_EQ("bit down: reply dropped", XDP_DROP, run(&rep));
	set_used(fam, NG_USED_PROBES);
	passed0 = counter(NG_R_MODE7_RESPONSE_PASSED);
	allowed0 = counter(NG_R_MODE7_REQUEST_ALLOWED);
	over0 = counter(NG_R_MODE7_RESPONSE_OVERSIZED);
	EXPECT_EQ("the probe's request passes", XDP_PASS, run(&req));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ("the probe's replies pass", XDP_PASS, run(&rep));
	EXPECT_EQ("reply to another local port: dropped", XDP_DROP, run(&rep_port));
	EXPECT_EQ("reply from another server: dropped", XDP_DROP, run(&rep_other));
	EXPECT_EQ("request to another server: dropped", XDP_DROP, run(&req_other));
	EXPECT_EQ("mode7_request_allowed", 1, counter(NG_R_MODE7_REQUEST_ALLOWED).packets -
		  allowed0.packets);
	EXPECT_EQ("mode7_response_passed", 3, counter(NG_R_MODE7_RESPONSE_PASSED).packets -
		  passed0.packets);
	EXPECT_EQ("mode7_response_oversized (the two others)", 2,
		  counter(NG_R_MODE7_RESPONSE_OVERSIZED).packets - over0.packets);
	fc = flow_counts(family, local, 45000, server);
	EXPECT_EQ("flow packets (request + 3 replies)", 4, fc.packets);
	EXPECT_EQ("flow bytes", req.len + 3 * rep.len, fc.bytes);
	/* the probe's replies are no reflector's drops: the probed server's
	 * record holds the two it dropped (bit down, other port) */
	record(family, server, &r);
	EXPECT_EQ("probed server's record: the two dropped replies only", 2, r.packets);
	if (!record(family, other, &r) || r.packets != 1)
		fail("the other server's dropped reply is not recorded");
	/* expired: the data plane ignores the flow */
	add_flow(family, local, 45000, server, coarse_now() - NG_NSEC);
	EXPECT_EQ("expired flow: reply dropped", XDP_DROP, run(&rep));
	EXPECT_EQ("expired flow: request dropped", XDP_DROP, run(&req));
	clear_flows();
	set_used(fam, 0);
	end(family == 4 ? "IPv4 probe flow: the check's request and replies pass, nothing else, "
			  "not after expiry" :
			  "IPv6 probe flow: the same");
}

/* The allow-list keeps working with the probes bit up, and the other way. */
static void t_probe_and_allow_bits(void)
{
	struct ng_lpm_v4 k = { .prefixlen = 32 };
	ng_allow_val zero = 0;
	struct frame mgmt = m7(4, "192.0.2.123", 123, "198.51.100.20", 40000, 1);
	struct frame rep = m7(4, "192.0.2.123", 123, "192.0.2.1", 45000, 1);

	begin();
	reset();
	clear_flows();
	addr(4, "198.51.100.20", k.addr, sizeof(k.addr));
	if (bpf_map_update_elem(R.allow4_fd, &k, &zero, BPF_ANY))
		die("allow-listing");
	add_flow(4, "192.0.2.1", 45000, "192.0.2.123", coarse_now() + 60 * NG_NSEC);
	set_used(0, NG_USED_ALLOW | NG_USED_PROBES);
	EXPECT_EQ("both bits: allow-listed destination passes", XDP_PASS, run(&mgmt));
	EXPECT_EQ("both bits: probe flow passes", XDP_PASS, run(&rep));
	set_used(0, NG_USED_ALLOW);
	EXPECT_EQ("allow bit only: allow-listed destination passes", XDP_PASS, run(&mgmt));
	EXPECT_EQ("allow bit only: probe flow dropped", XDP_DROP, run(&rep));
	set_used(0, NG_USED_PROBES);
	EXPECT_EQ("probes bit only: allow-list not consulted", XDP_DROP, run(&mgmt));
	EXPECT_EQ("probes bit only: probe flow passes", XDP_PASS, run(&rep));
	bpf_map_delete_elem(R.allow4_fd, &k);
	clear_flows();
	set_used(0, 0);
	end("ng_allow_used bits: the allow-list and the probe flows are consulted independently");
}

/* splitmix64: the seeded generator of the estimator trials. */
static __u64 rng_state = 0x6e7470677561726dull;
static __u64 rng(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void t_estimator(void)
{
	static const int ns[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1500, 2000, 3000,
				  10000 };
	const int trials = 200;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		int n = ns[i], exact = 0, lowers = 0, worst_n = 0;
		double t = (double)n / NG_REFL_VICTIM_BITS, sum_rel = 0, worst = 0;
		double se = sqrt(NG_REFL_VICTIM_BITS * (exp(t) - t - 1));
		char name[128];

		begin();
		for (int tr = 0; tr < trials; tr++) {
			__u64 w[NG_REFL_VICTIM_WORDS] = { 0 };
			int lower;
			__u64 est;

			/* n distinct IPv4 addresses: a random start, then a
			 * stride coprime to 2^32 */
			__u32 a = (__u32)rng(), step = (__u32)rng() | 1;

			for (int k = 0; k < n; k++, a += step) {
				__u8 o[4] = { (__u8)(a >> 24), (__u8)(a >> 16), (__u8)(a >> 8),
					      (__u8)a };
				unsigned b = victim_bit(4, o);

				w[b / 64] |= 1ull << (b % 64);
			}
			est = ng_refl_victims(w, &lower);
			lowers += lower;
			exact += est == (__u64)n;
			double err = fabs((double)est - n);

			if (!lower)
				sum_rel += err / n;
			if (!lower && err > worst) {
				worst = err;
				worst_n = (int)est;
			}
			if (lower && est >= (__u64)n)
				fail("n=%d: 'more than %llu' is not below the true count", n,
				     (unsigned long long)est);
			if (!lower && err > 4 * se + 2)
				fail("n=%d: estimate %llu, more than 4 standard errors (%.2f) + 2 off",
				     n, (unsigned long long)est, se);
		}
		if (lowers < trials)
			printf("# n=%d: mean relative error %.2f %%, worst estimate %d, exact in %d "
			       "of %d, 'more than %d' in %d; theory: standard error %.2f (%.2f %%)\n",
			       n, 100 * sum_rel / (trials - lowers), worst ? worst_n : n, exact,
			       trials, NG_REFL_VICTIMS_FLOOR, lowers, se, 100 * se / n);
		else
			printf("# n=%d: 'more than %d' in all %d trials\n", n,
			       NG_REFL_VICTIMS_FLOOR, trials);
		snprintf(name, sizeof(name), "estimator, %d distinct victims, %d trials", n, trials);
		end(name);
	}
}

int main(void)
{
	ngt_init("bpf_reflectors");
	R.percpu = calloc((size_t)T.ncpus, sizeof(*R.percpu));
	if (!R.percpu)
		die("calloc");
	load(0);

	t_ipv4_record();
	t_victims_small();
	t_ipv6_keys();
	t_vlan();
	t_not_recorded();
	t_switch_off();
	t_monitor_and_ratecap();
	t_overflow();
	t_probe_flows(4);
	t_probe_flows(6);
	t_probe_and_allow_bits();
	t_bitmap_1000();
	t_estimator();

	unload();
	printf("%d passed, %d failed, 0 skipped\n", R.passed, R.failed);
	return R.failed ? 1 : 0;
}

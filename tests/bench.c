// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - per-packet cost of ntpguard against two baselines, measured
 * with BPF_PROG_TEST_RUN (nothing is attached to any interface).
 *
 *   empty     xdp_drop_empty   (tests/bpf/baseline.bpf.c): return XDP_DROP
 *   minimal   xdp_m7_minimal   (tests/bpf/baseline.bpf.c): hand-written
 *             IPv4-only mode 7 request dropper with a per-CPU counter
 *   ntpguard  ntpguard_xdp     (build/ntpguard.skel.h), compiled-in policy,
 *             empty allow-lists, ng_slot 0
 *
 * Each frame is run through each program `--repeat` times per call; the
 * kernel reports the mean ns per run. Calls are interleaved in `--rounds`
 * rounds (the program order rotates every round) so that noise on a busy
 * VM hits all programs alike, and the median over rounds is reported,
 * together with the ratio to the empty program measured in the same round
 * (the ratios are the numbers to compare across machines).
 *
 * Why the kernel's `duration` and not a userspace clock: for XDP each
 * BPF_PROG_TEST_RUN call also swaps the program into the XDP dispatcher
 * and back, which waits for RCU grace periods; measured from userspace a
 * call takes 3-8x the loop it runs. The kernel times only the loop (and
 * stops the clock while it reschedules), at 1 ns resolution: the floor of
 * the mean per run. That floor is why the empty program is measured too:
 * it is the cost of the test-run loop itself (~6 ns here), which every
 * number includes. "+ns" columns subtract it, per round.
 *
 * This is a benchmark, not a test: it never fails on timing. It fails
 * (exit 1) only when a program cannot be loaded or returns a verdict other
 * than the expected one, or ntpguard counts a frame under the wrong reason.
 *
 * The ntpguard maps are created private to this process: every pin path is
 * cleared before load, so a live install's pinned maps are never touched.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ntpguard.h"
#include "ntpguard.skel.h"

#include "version.h"

#define DEFAULT_BASELINE "build/tests/baseline.bpf.o"
#define DEFAULT_REPEAT   1000000
#define DEFAULT_ROUNDS   7
#define MAX_ROUNDS       1001
#define FRAME_MAX        1514

/* ---- programs ----------------------------------------------------------- */

enum { P_EMPTY, P_MIN, P_NG, NPROG };

static const char *const prog_key[NPROG] = { "empty", "minimal", "ntpguard" };

struct prog {
	const char *name;  /* BPF program name */
	int fd;
	__u32 xlated_len;
	__u32 jited_len;
};

static struct prog progs[NPROG] = {
	[P_EMPTY] = { .name = "xdp_drop_empty" },
	[P_MIN]   = { .name = "xdp_m7_minimal" },
	[P_NG]    = { .name = NG_STR(NG_PROG_XDP) },
};

/* ---- frames -------------------------------------------------------------- */

struct frame {
	const char *id;      /* short, stable: JSON key and table row */
	const char *desc;
	__u8 buf[FRAME_MAX];
	__u32 len;
	int expect[NPROG];   /* XDP verdict per program */
	int reason;          /* ntpguard counter reason, -1: not counted */
};

#define NFRAMES 5
static struct frame frames[NFRAMES];

static const __u8 mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const __u8 mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 v4_client[4] = { 192, 0, 2, 10 };
static const __u8 v4_server[4] = { 192, 0, 2, 123 };
static const __u8 v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const __u8 v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x01, [15] = 0x23 };
#define CLIENT_PORT 40001

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

/*
 * One Ethernet + IPv4/IPv6 + UDP frame with correct IP and UDP checksums.
 * `family` 4 or 6; addresses point at 4 or 16 octets.
 */
static void build_udp(struct frame *f, int family, const __u8 *saddr,
		      const __u8 *daddr, unsigned sport, unsigned dport,
		      const __u8 *payload, size_t plen)
{
	size_t l3 = family == 4 ? 20 : 40, alen = family == 4 ? 4 : 16;
	size_t ulen = 8 + plen;
	__u8 *p = f->buf, *ip = p + 14, *udp = ip + l3;
	__u32 sum;

	if (14 + l3 + ulen > sizeof(f->buf)) {
		fprintf(stderr, "bench: frame %s too long\n", f->id);
		exit(1);
	}
	memset(p, 0, sizeof(f->buf));
	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	put16(p + 12, family == 4 ? 0x0800 : 0x86dd);

	if (family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + ulen));
		put16(ip + 4, 0x1234);         /* id */
		put16(ip + 6, 0x4000);         /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, saddr, 4);
		memcpy(ip + 16, daddr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)ulen);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, saddr, 16);
		memcpy(ip + 24, daddr, 16);
	}

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (unsigned)ulen);
	memcpy(udp + 8, payload, plen);

	/* pseudo-header + UDP header + payload */
	sum = csum_add(0, saddr, alen);
	sum = csum_add(sum, daddr, alen);
	sum += 17 + (__u32)ulen;
	sum = csum_add(sum, udp, ulen);
	sum = csum_fold(sum);
	put16(udp + 6, sum ? sum : 0xffff);

	f->len = (__u32)(14 + l3 + ulen);
}

static void build_frames(void)
{
	/* MON_GETLIST_1 request, bare 8-octet header (the CVE-2013-5211 probe) */
	static const __u8 monlist[8] = { 0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0 };
	__u8 client[48] = { 0x23, 0x00, 0x06, 0xe0 }, dns[64], resp[440];
	struct frame *f = frames;

	f->id = "m7-req-v4";
	f->desc = "IPv4 mode 7 monlist request, 8 octets";
	build_udp(f, 4, v4_client, v4_server, CLIENT_PORT, 123, monlist, sizeof(monlist));
	f->expect[P_EMPTY] = XDP_DROP;
	f->expect[P_MIN] = XDP_DROP;
	f->expect[P_NG] = XDP_DROP;
	f->reason = NG_R_MODE7_REQUEST_DROPPED;
	f++;

	f->id = "m3-req-v4";
	f->desc = "IPv4 mode 3 client request, 48 octets";
	build_udp(f, 4, v4_client, v4_server, CLIENT_PORT, 123, client, sizeof(client));
	f->expect[P_EMPTY] = XDP_DROP;
	f->expect[P_MIN] = XDP_PASS;
	f->expect[P_NG] = XDP_PASS;
	f->reason = NG_R_NTP_PASSED;
	f++;

	for (size_t i = 0; i < sizeof(dns); i++)
		dns[i] = (__u8)i;
	f->id = "dns-v4";
	f->desc = "IPv4 UDP to port 53, 64 octets (not NTP)";
	build_udp(f, 4, v4_client, v4_server, CLIENT_PORT, 53, dns, sizeof(dns));
	f->expect[P_EMPTY] = XDP_DROP;
	f->expect[P_MIN] = XDP_PASS;
	f->expect[P_NG] = XDP_PASS;
	f->reason = -1;
	f++;

	/* monlist response: R=1, impl 3, code 42, 6 items of 72 octets */
	memset(resp, 0, sizeof(resp));
	resp[0] = 0x97;
	resp[2] = 0x03;
	resp[3] = 0x2a;
	resp[5] = 6;
	resp[7] = 72;
	for (size_t i = 8; i < sizeof(resp); i++)
		resp[i] = (__u8)(i * 7);
	f->id = "m7-resp-v4";
	f->desc = "IPv4 mode 7 response from port 123, 440 octets";
	build_udp(f, 4, v4_server, v4_client, 123, CLIENT_PORT, resp, sizeof(resp));
	f->expect[P_EMPTY] = XDP_DROP;
	f->expect[P_MIN] = XDP_PASS;  /* not a request: out of its scope */
	f->expect[P_NG] = XDP_DROP;
	f->reason = NG_R_MODE7_RESPONSE_OVERSIZED;
	f++;

	f->id = "m7-req-v6";
	f->desc = "IPv6 mode 7 monlist request, 8 octets";
	build_udp(f, 6, v6_client, v6_server, CLIENT_PORT, 123, monlist, sizeof(monlist));
	f->expect[P_EMPTY] = XDP_DROP;
	f->expect[P_MIN] = XDP_PASS;  /* IPv4 only */
	f->expect[P_NG] = XDP_DROP;
	f->reason = NG_R_MODE7_REQUEST_DROPPED;
}

/* ---- helpers ------------------------------------------------------------- */

static int verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void minmax(const double *v, int n, double *lo, double *hi)
{
	*lo = *hi = v[0];
	for (int i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/*
 * One BPF_PROG_TEST_RUN call. Returns the kernel's mean ns per run and
 * checks the verdict; exits on error or on a wrong verdict.
 */
static __u32 run_once(int p, const struct frame *f, int repeat)
{
	struct bpf_test_run_opts o;
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
		err = bpf_prog_test_run_opts(progs[p].fd, &o);
	} while (err && errno == EINTR && ++tries < 10);
	if (err) {
		fprintf(stderr, "bench: BPF_PROG_TEST_RUN %s on %s: %s\n",
			progs[p].name, f->id, strerror(errno));
		exit(1);
	}
	if ((int)o.retval != f->expect[p]) {
		fprintf(stderr, "bench: WRONG VERDICT: %s on %s (%s) returned %s (%u), expected %s\n",
			progs[p].name, f->id, f->desc, verdict_name((int)o.retval),
			o.retval, verdict_name(f->expect[p]));
		exit(1);
	}
	return o.duration;
}

/* Sum of ntpguard's per-CPU packet counters, slot 0, every reason. */
static void read_counters(int map_fd, int ncpu, __u64 *pkts)
{
	struct ng_counter *vals = calloc((size_t)ncpu, sizeof(*vals));

	if (!vals) {
		perror("bench: calloc");
		exit(1);
	}
	for (__u32 r = 0; r < NG_REASON_SLOTS; r++) {
		__u32 key = NG_COUNTER_KEY(0, r);

		pkts[r] = 0;
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			fprintf(stderr, "bench: reading ng_counters: %s\n", strerror(errno));
			exit(1);
		}
		for (int c = 0; c < ncpu; c++)
			pkts[r] += vals[c].packets;
	}
	free(vals);
}

/*
 * Run each frame once through each program: verdicts, and for ntpguard
 * that it counts the frame under the expected reason and nothing else.
 * Doubles as the warm-up.
 */
static void check_frames(int counters_fd)
{
	__u64 before[NG_REASON_SLOTS], after[NG_REASON_SLOTS];
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0) {
		fprintf(stderr, "bench: cannot count possible CPUs\n");
		exit(1);
	}
	for (int i = 0; i < NFRAMES; i++) {
		const struct frame *f = &frames[i];

		run_once(P_EMPTY, f, 1);
		run_once(P_MIN, f, 1);
		read_counters(counters_fd, ncpu, before);
		run_once(P_NG, f, 1);
		read_counters(counters_fd, ncpu, after);
		for (int r = 0; r < NG_REASON_SLOTS; r++) {
			__u64 want = r == f->reason ? 1 : 0;

			if (after[r] - before[r] != want) {
				fprintf(stderr, "bench: WRONG REASON: %s on %s: reason %d (%s) counted %llu, expected %llu; the frame's expected reason is %s\n",
					progs[P_NG].name, f->id, r,
					r < NG_R__COUNT ? ng_reason_name(r) : "?",
					(unsigned long long)(after[r] - before[r]),
					(unsigned long long)want,
					f->reason >= 0 ? ng_reason_name(f->reason) : "none (uncounted)");
				exit(1);
			}
		}
	}
}

static void prog_sizes(int p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(progs[p].fd, &info, &len)) {
		fprintf(stderr, "bench: prog info %s: %s\n", progs[p].name, strerror(errno));
		exit(1);
	}
	progs[p].xlated_len = info.xlated_prog_len;
	progs[p].jited_len = info.jited_prog_len;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench [--baseline FILE] [--repeat N] [--rounds N] [--cpu N] [--json] [-v]\n"
		"\n"
		"Per-packet cost of ntpguard_xdp vs an empty XDP_DROP and a minimal\n"
		"mode 7 dropper, via BPF_PROG_TEST_RUN (needs root, attaches nothing).\n"
		"\n"
		"  --baseline FILE  tests/bpf/baseline.bpf.c object (default %s)\n"
		"  --repeat N       runs per BPF_PROG_TEST_RUN call (default %d)\n"
		"  --rounds N       interleaved rounds, median reported (default %d)\n"
		"  --cpu N          pin this process to CPU N first\n"
		"  --json           machine-readable results on stdout\n"
		"  --ratecap N      instead: the rate-capped path with an empty rate\n"
		"                   table and with one holding N sources\n"
		"  -v               libbpf messages (twice: debug)\n"
		"\n"
		"Fails only on load errors and wrong verdicts, never on timing.\n",
		DEFAULT_BASELINE, DEFAULT_REPEAT, DEFAULT_ROUNDS);
}

static long parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < lo || v > hi) {
		fprintf(stderr, "bench: %s wants an integer in [%ld, %ld], got '%s'\n",
			opt, lo, hi, s);
		exit(2);
	}
	return v;
}

/* results[frame][prog][round] in ns, and per-round ratios */
static double ns[NFRAMES][NPROG][MAX_ROUNDS];
static double ratio[NFRAMES][NPROG][MAX_ROUNDS];   /* prog / empty */
static double net[NFRAMES][NPROG][MAX_ROUNDS];     /* prog - empty, ns */
static double ngmin[NFRAMES][MAX_ROUNDS];          /* ntpguard / minimal */

static double safe_div(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void print_table(int repeat, int rounds, const char *kernel, int cpu)
{
	printf("ntpguard bench %s, kernel %s, %d x BPF_PROG_TEST_RUN repeat %d",
	       NG_VERSION, kernel, rounds, repeat);
	if (cpu >= 0)
		printf(", pinned to CPU %d", cpu);
	printf("\nns: kernel-reported ns/packet (1 ns resolution), median over rounds;\n"
	       "x empty, +ns: median of per-round ratio to / difference from xdp_drop_empty\n"
	       "(the test-run loop's own cost) measured in the same round.\n\n");

	printf("%-16s %8s %8s\n", "program", "xlated", "jited");
	for (int p = 0; p < NPROG; p++)
		printf("%-16s %7uB %7uB\n", progs[p].name, progs[p].xlated_len,
		       progs[p].jited_len);
	printf("\n");

	printf("%-11s %5s | %-11s | %-26s | %-26s | %s\n", "", "",
	       "empty", "minimal", "ntpguard", "ntpguard");
	printf("%-11s %5s | %-4s %6s | %-4s %5s %7s %6s | %-4s %5s %7s %6s | %s\n",
	       "frame", "bytes", "", "ns", "", "ns", "x empty", "+ns",
	       "", "ns", "x empty", "+ns", "/ minimal");
	for (int i = 0; i < NFRAMES; i++) {
		const struct frame *f = &frames[i];

		printf("%-11s %5u | %-4s %6.1f | %-4s %5.1f %7.2f %6.1f | %-4s %5.1f %7.2f %6.1f | %9.2f\n",
		       f->id, f->len,
		       verdict_name(f->expect[P_EMPTY]), median(ns[i][P_EMPTY], rounds),
		       verdict_name(f->expect[P_MIN]), median(ns[i][P_MIN], rounds),
		       median(ratio[i][P_MIN], rounds), median(net[i][P_MIN], rounds),
		       verdict_name(f->expect[P_NG]), median(ns[i][P_NG], rounds),
		       median(ratio[i][P_NG], rounds), median(net[i][P_NG], rounds),
		       median(ngmin[i], rounds));
	}
	printf("\n");
	for (int i = 0; i < NFRAMES; i++)
		printf("  %-11s %s\n", frames[i].id, frames[i].desc);
	printf("\nspread (min..max ns over rounds):\n");
	for (int i = 0; i < NFRAMES; i++) {
		printf("  %-11s", frames[i].id);
		for (int p = 0; p < NPROG; p++) {
			double lo, hi;

			minmax(ns[i][p], rounds, &lo, &hi);
			printf("  %s %.0f..%.0f", prog_key[p], lo, hi);
		}
		printf("\n");
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(int repeat, int rounds, const char *kernel, int cpu)
{
	printf("{\n  \"tool\": \"ntpguard-bench\",\n  \"format\": 1,\n  \"version\": ");
	json_str(NG_VERSION);
	printf(",\n  \"kernel\": ");
	json_str(kernel);
	printf(",\n  \"repeat\": %d,\n  \"rounds\": %d,\n  \"cpu\": %d,\n", repeat, rounds, cpu);
	printf("  \"unit\": \"ns_per_packet\",\n  \"programs\": {\n");
	for (int p = 0; p < NPROG; p++)
		printf("    \"%s\": { \"name\": \"%s\", \"xlated_bytes\": %u, \"jited_bytes\": %u }%s\n",
		       prog_key[p], progs[p].name, progs[p].xlated_len,
		       progs[p].jited_len, p + 1 < NPROG ? "," : "");
	printf("  },\n  \"frames\": [\n");
	for (int i = 0; i < NFRAMES; i++) {
		const struct frame *f = &frames[i];

		printf("    {\n      \"id\": ");
		json_str(f->id);
		printf(",\n      \"desc\": ");
		json_str(f->desc);
		printf(",\n      \"bytes\": %u,\n      \"results\": {\n", f->len);
		for (int p = 0; p < NPROG; p++) {
			double lo, hi;

			minmax(ns[i][p], rounds, &lo, &hi);
			printf("        \"%s\": { \"verdict\": \"XDP_%s\", \"ns_median\": %.1f, "
			       "\"ns_min\": %.0f, \"ns_max\": %.0f, \"ratio_to_empty\": %.3f, "
			       "\"ns_over_empty\": %.1f, \"ns_rounds\": [",
			       prog_key[p], verdict_name(f->expect[p]), median(ns[i][p], rounds),
			       lo, hi, median(ratio[i][p], rounds), median(net[i][p], rounds));
			for (int r = 0; r < rounds; r++)
				printf("%s%.0f", r ? ", " : "", ns[i][p][r]);
			printf("] }%s\n", p + 1 < NPROG ? "," : "");
		}
		printf("      },\n      \"ntpguard_over_minimal\": %.3f\n    }%s\n",
		       median(ngmin[i], rounds), i + 1 < NFRAMES ? "," : "");
	}
	printf("  ]\n}\n");
}

/* ---- rate-capped path: empty table vs a table holding N sources ---------- */

/* Load a private ntpguard instance whose rate table holds `cap` keys, with a
 * policy that rate-caps mode 7 requests (budgets far above the repeat count,
 * so the measured packets pass through both buckets). */
static struct ntpguard_bpf *load_ratecap(__u32 cap)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct ntpguard_bpf *skel = ntpguard_bpf__open();
	struct ng_class_policy *cp = &pol.cls[NG_PC_M7_REQUEST];
	__u32 zero = 0;
	struct bpf_map *map;

	if (!skel) {
		fprintf(stderr, "bench: opening the ntpguard skeleton: %s\n", strerror(errno));
		exit(1);
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	bpf_map__set_max_entries(skel->maps.NG_MAP_BUCKETS, cap);
	if (ntpguard_bpf__load(skel)) {
		fprintf(stderr, "bench: loading ntpguard (rate table %u): %s\n", cap,
			strerror(errno));
		exit(1);
	}
	cp->action = NG_ACT_RATECAP;
	cp->rate = cp->global_rate = 10000000;
	cp->burst = cp->global_burst = 10000000;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.NG_MAP_POLICY), &zero, &pol, BPF_ANY)) {
		fprintf(stderr, "bench: writing the policy: %s\n", strerror(errno));
		exit(1);
	}
	return skel;
}

/* Fill the rate table with n distinct IPv4 sources. */
static void fill_table(struct ntpguard_bpf *skel, __u32 n)
{
	int fd = bpf_map__fd(skel->maps.NG_MAP_BUCKETS);
	struct ng_bucket b = { .tokens = NG_NSEC, .last_ns = 1 };

	for (__u32 i = 0; i < n; i++) {
		/* 198.18.0.0 + i: map keys only, never on the wire */
		__u32 a = 0xc6120000u + i;
		struct ng_bkey k = { .pclass = NG_PC_M7_REQUEST, .family = 4,
				     .addr = { (__u8)(a >> 24), (__u8)(a >> 16),
					       (__u8)(a >> 8), (__u8)a } };

		if (bpf_map_update_elem(fd, &k, &b, BPF_ANY)) {
			fprintf(stderr, "bench: filling the rate table at %u: %s\n", i,
				strerror(errno));
			exit(1);
		}
	}
}

static long count_entries(struct ntpguard_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.NG_MAP_BUCKETS);
	struct ng_bkey cur, next;
	long n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		cur = next;
		prev = &cur;
		n++;
	}
	return n;
}

static int bench_ratecap(int repeat, int rounds, __u32 fill, int json)
{
	enum { EMPTY_T, FULL_T, NT };
	static const char *const tname[NT] = { "empty table", "full table" };
	struct ntpguard_bpf *skel[NT];
	double t_ns[NT][MAX_ROUNDS], t_empty[NT][MAX_ROUNDS], t_ratio[NT][MAX_ROUNDS];
	struct frame *f = &frames[0];      /* m7-req-v4 */
	long entries[NT];
	__u32 cap = fill + fill / 8 + 1024;

	for (int t = 0; t < NT; t++) {
		skel[t] = load_ratecap(cap);
		if (t == FULL_T)
			fill_table(skel[t], fill);
	}
	/* Verdict and reason check: within budget, so passed. */
	progs[P_NG].fd = bpf_program__fd(skel[EMPTY_T]->progs.NG_PROG_XDP);
	f->expect[P_NG] = XDP_PASS;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < NT; k++) {
			int t = (k + r) % NT;

			progs[P_NG].fd = bpf_program__fd(skel[t]->progs.NG_PROG_XDP);
			t_empty[t][r] = run_once(P_EMPTY, f, repeat);
			t_ns[t][r] = run_once(P_NG, f, repeat);
			t_ratio[t][r] = safe_div(t_ns[t][r], t_empty[t][r]);
		}
	}
	for (int t = 0; t < NT; t++)
		entries[t] = count_entries(skel[t]);

	if (json) {
		printf("{\"ratecap\": {\"repeat\": %d, \"rounds\": %d, \"capacity\": %u", repeat,
		       rounds, cap);
		for (int t = 0; t < NT; t++)
			printf(", \"%s\": {\"entries\": %ld, \"ns\": %.1f, \"empty_ns\": %.1f, "
			       "\"x_empty\": %.2f}", t == EMPTY_T ? "empty_table" : "full_table",
			       entries[t], median(t_ns[t], rounds), median(t_empty[t], rounds),
			       median(t_ratio[t], rounds));
		printf("}}\n");
	} else {
		printf("\nrate-capped path (mode7_request=ratecap, within budget: per-source LRU\n"
		       "bucket + spin-locked global bucket), m7-req-v4, %d x repeat %d,\n"
		       "table capacity %u:\n\n", rounds, repeat, cap);
		printf("  %-12s %10s %10s %12s %10s\n", "", "entries", "ns/pkt",
		       "empty XDP_DROP", "x empty");
		for (int t = 0; t < NT; t++)
			printf("  %-12s %10ld %10.1f %12.1f %10.2f\n", tname[t], entries[t],
			       median(t_ns[t], rounds), median(t_empty[t], rounds),
			       median(t_ratio[t], rounds));
		printf("  full / empty table: %.2f\n",
		       safe_div(median(t_ns[FULL_T], rounds), median(t_ns[EMPTY_T], rounds)));
	}
	for (int t = 0; t < NT; t++)
		ntpguard_bpf__destroy(skel[t]);
	return 0;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Mean CPU ns per run of one test-run call (the syscall's own cost,
 * a few us, is < 0.5 % at the default repeat). */
static double run_cpu(int p, const struct frame *f, int repeat)
{
	double t0 = cpu_now();

	run_once(p, f, repeat);
	return (cpu_now() - t0) / repeat;
}

/*
 * Reflector records on the drop path of an oversized response: the
 * default instance (reflectors=on) against one with reflectors=off, and
 * the empty program, in the same rounds on m7-resp-v4. Also checks that
 * the one records the reflector and the other does not.
 */
static void bench_reflectors(struct ntpguard_bpf *on, int repeat, int rounds, int json)
{
	enum { T_EMPTY, T_ON, T_OFF, NT };
	static const char *const tkey[NT] = { "empty", "reflectors_on", "reflectors_off" };
	struct ng_policy pol = NG_DEFAULT_POLICY;
	struct ntpguard_bpf *off = ntpguard_bpf__open();
	struct frame *f = &frames[3];      /* m7-resp-v4 */
	double t[NT][MAX_ROUNDS], k[NT][MAX_ROUNDS];
	int fd[NT], prog[NT] = { P_EMPTY, P_NG, P_NG };
	struct ng_rkey key = { .family = 4 };
	__u32 zero = 0;
	struct bpf_map *map;
	int ncpu = libbpf_num_possible_cpus();
	struct ng_refl *v = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*v));

	if (!off || !v) {
		fprintf(stderr, "bench: reflectors: out of memory\n");
		exit(1);
	}
	bpf_object__for_each_map(map, off->obj)
		bpf_map__set_pin_path(map, NULL);
	if (ntpguard_bpf__load(off)) {
		fprintf(stderr, "bench: loading ntpguard (reflectors=off): %s\n", strerror(errno));
		exit(1);
	}
	pol.no_reflectors = 1;
	if (bpf_map_update_elem(bpf_map__fd(off->maps.NG_MAP_POLICY), &zero, &pol, BPF_ANY)) {
		fprintf(stderr, "bench: writing the policy: %s\n", strerror(errno));
		exit(1);
	}
	fd[T_EMPTY] = progs[P_EMPTY].fd;
	fd[T_ON] = bpf_program__fd(on->progs.NG_PROG_XDP);
	fd[T_OFF] = bpf_program__fd(off->progs.NG_PROG_XDP);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < NT; i++) {
			int x = (i + r) % NT;

			progs[prog[x]].fd = fd[x];
			t[x][r] = run_cpu(prog[x], f, repeat);
			k[x][r] = run_once(prog[x], f, repeat);
		}
	progs[P_NG].fd = fd[T_ON];
	memcpy(key.addr, v4_server, 4);
	if (bpf_map_lookup_elem(bpf_map__fd(on->maps.NG_MAP_REFLECTORS), &key, v) ||
	    !bpf_map_lookup_elem(bpf_map__fd(off->maps.NG_MAP_REFLECTORS), &key, v)) {
		fprintf(stderr, "bench: reflectors: the record is missing with reflectors=on "
			"or present with reflectors=off\n");
		exit(1);
	}
	if (json) {
		printf("{\"reflectors\": {\"frame\": \"%s\", \"repeat\": %d, \"rounds\": %d",
		       f->id, repeat, rounds);
		for (int x = 0; x < NT; x++)
			printf(", \"%s\": {\"cpu_ns\": %.2f, \"kernel_ns\": %.0f}", tkey[x],
			       median(t[x], rounds), median(k[x], rounds));
		printf("}}\n");
	} else {
		double e = median(t[T_EMPTY], rounds), a = median(t[T_ON], rounds),
		       b = median(t[T_OFF], rounds);

		printf("\nreflector records on the oversized-response drop path (%s, %d x repeat %d,\n"
		       "CPU-clock ns per run, median; kernel-reported in brackets):\n\n", f->id,
		       rounds, repeat);
		printf("  %-16s %8s %8s %10s\n", "", "ns", "x empty", "");
		printf("  %-16s %8.2f %8.2f   [%.0f]\n", "empty XDP_DROP", e, 1.0,
		       median(k[T_EMPTY], rounds));
		printf("  %-16s %8.2f %8.2f   [%.0f]\n", "reflectors=off", b, safe_div(b, e),
		       median(k[T_OFF], rounds));
		printf("  %-16s %8.2f %8.2f   [%.0f]\n", "reflectors=on", a, safe_div(a, e),
		       median(k[T_ON], rounds));
		printf("  recording costs %+.2f ns per dropped response (%.2fx the path without)\n",
		       a - b, safe_div(a, b));
	}
	free(v);
	ntpguard_bpf__destroy(off);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "baseline", required_argument, 0, 'b' },
		{ "repeat",   required_argument, 0, 'n' },
		{ "rounds",   required_argument, 0, 'r' },
		{ "cpu",      required_argument, 0, 'c' },
		{ "json",     no_argument,       0, 'j' },
		{ "ratecap",  required_argument, 0, 'R' },
		{ "verbose",  no_argument,       0, 'v' },
		{ "help",     no_argument,       0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *baseline = DEFAULT_BASELINE;
	int repeat = DEFAULT_REPEAT, rounds = DEFAULT_ROUNDS, cpu = -1, json = 0;
	long ratecap_fill = -1;
	struct ntpguard_bpf *skel;
	struct bpf_object *base;
	struct bpf_program *prog;
	struct bpf_map *map;
	struct utsname uts;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'b': baseline = optarg; break;
		case 'n': repeat = (int)parse_num("--repeat", optarg, 1, 1000000000); break;
		case 'r': rounds = (int)parse_num("--rounds", optarg, 1, MAX_ROUNDS); break;
		case 'c': cpu = (int)parse_num("--cpu", optarg, 0, CPU_SETSIZE - 1); break;
		case 'j': json = 1; break;
		case 'R': ratecap_fill = parse_num("--ratecap", optarg, 0, 4000000); break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default:  usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	libbpf_set_print(libbpf_print);
	if (uname(&uts))
		strcpy(uts.release, "unknown");

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "bench: pinning to CPU %d: %s\n", cpu, strerror(errno));
			return 1;
		}
	}

	/* ntpguard, with private (unpinned) maps */
	skel = ntpguard_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench: opening the ntpguard skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err) {
			fprintf(stderr, "bench: clearing pin path of %s: %s\n",
				bpf_map__name(map), strerror(-err));
			return 1;
		}
	}
	skel->rodata->ng_slot = 0;
	err = ntpguard_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bench: loading ntpguard: %s\n", strerror(-err));
		return 1;
	}
	progs[P_NG].fd = bpf_program__fd(skel->progs.NG_PROG_XDP);

	/* baselines */
	base = bpf_object__open_file(baseline, NULL);
	if (!base) {
		fprintf(stderr, "bench: opening %s: %s\n", baseline, strerror(errno));
		return 1;
	}
	err = bpf_object__load(base);
	if (err) {
		fprintf(stderr, "bench: loading %s: %s\n", baseline, strerror(-err));
		return 1;
	}
	for (int p = P_EMPTY; p <= P_MIN; p++) {
		prog = bpf_object__find_program_by_name(base, progs[p].name);
		if (!prog) {
			fprintf(stderr, "bench: %s has no program %s\n", baseline, progs[p].name);
			return 1;
		}
		progs[p].fd = bpf_program__fd(prog);
	}
	for (int p = 0; p < NPROG; p++)
		prog_sizes(p);

	build_frames();
	check_frames(bpf_map__fd(skel->maps.NG_MAP_COUNTERS));
	if (ratecap_fill >= 0) {
		bench_ratecap(repeat, rounds, (__u32)ratecap_fill, json);
		bpf_object__close(base);
		ntpguard_bpf__destroy(skel);
		return 0;
	}

	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < NFRAMES; i++) {
			for (int k = 0; k < NPROG; k++) {
				int p = (k + r) % NPROG;  /* rotate who goes first */

				ns[i][p][r] = run_once(p, &frames[i], repeat);
			}
			for (int p = 0; p < NPROG; p++) {
				ratio[i][p][r] = safe_div(ns[i][p][r], ns[i][P_EMPTY][r]);
				net[i][p][r] = ns[i][p][r] - ns[i][P_EMPTY][r];
			}
			ngmin[i][r] = safe_div(ns[i][P_NG][r], ns[i][P_MIN][r]);
		}
	}

	if (json)
		print_json(repeat, rounds, uts.release, cpu);
	else
		print_table(repeat, rounds, uts.release, cpu);
	if (!json)      /* one JSON document per run: the table's */
		bench_reflectors(skel, repeat, rounds, 0);

	bpf_object__close(base);
	ntpguard_bpf__destroy(skel);
	return 0;
}

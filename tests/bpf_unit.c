// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_unit - Katran-style unit tests of the ntpguard XDP program, run in
 * the kernel through BPF_PROG_TEST_RUN, with a differential check against
 * the userspace build of the same classifier (headers/ntp_classify.h).
 *
 *   build/tests/bpf_unit [FIXTURE_FILE]     (stdin when no file is given)
 *
 * Fixtures come from tests/fixtures.py, one per line, tab-separated:
 *
 *   name  verdict  reason  allow_spec  policy  frame_hex
 *
 * (see tests/fixtures.py for the fields). For every fixture the runner
 *   1. starts from an empty rate table and zeroed global buckets (so no
 *      fixture depends on the ones before it), loads the allow-lists with
 *      exactly allow_spec and sets the live policy (the defaults, or the
 *      defaults with the given limit and possibly a bad magic), written the
 *      way `ntpguard set` writes it;
 *   2. snapshots the counters of its slot (all NG_REASON_SLOTS reasons,
 *      summed over the possible CPUs);
 *   3. runs the program once on the frame;
 *   4. requires the expected XDP verdict and a counter delta of exactly
 *      +1 packet / +frame length bytes on the expected reason and nothing
 *      anywhere else (for "none": no change at all);
 *   5. runs ng_classify() + ng_reason_of() in userspace on the same bytes,
 *      with the allow-list answers computed here from allow_spec, and
 *      requires the same verdict and reason.
 * After the fixtures it checks the whole counter map: only this runner's
 * slot moved, and by exactly what the fixtures expected.
 *
 * The program is loaded by tests/bpf_loader.c (shared with bpf_policy):
 * every pin path cleared, so nothing under any bpffs is created, reused or
 * modified, and it is never attached to an interface.
 *
 * Output: "ok N - name" or "not ok N - name: ..." per test, then exactly
 * "N passed, N failed, N skipped". Exit status 0 only when nothing failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ntpguard.h"
#include "bpf_loader.h"
/* ntp_classify.h carries clang's "#pragma unroll" for the BPF build. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "ntp_classify.h"
#pragma GCC diagnostic pop

#define TEST_SLOT 3u           /* ng_slot given to the program under test */
#define MAX_CIDRS 32


struct cidr {
	int family;            /* 4 or 6 */
	unsigned int len;
	__u8 addr[16];
};

struct fixture {
	char *name;
	int verdict;           /* XDP_PASS / XDP_DROP */
	int reason;            /* enum ng_reason, or -1 for "none" */
	char *allow_text;
	struct cidr allow[MAX_CIDRS];
	int n_allow;
	int policy_set;        /* 0: selector 0; 1: slot 1 written, selector 1 */
	int policy_magic_ok;
	__u32 policy_max;
	__u8 *frame;
	size_t len;
};

/* What the fixtures moved, per counter row of the test slot. */
static struct ng_counter expect_total[NG_SLOT_STRIDE];

/* ---- small helpers --------------------------------------------------- */

static const char *verdict_name(int v)
{
	return v == XDP_PASS ? "PASS" : v == XDP_DROP ? "DROP" : "?";
}

static const char *reason_name(int r)
{
	if (r == -1)
		return "none";
	return ng_reason_name(r) ? ng_reason_name(r) : "?";
}

static int parse_reason(const char *s)
{
	if (!strcmp(s, "none"))
		return -1;
	for (int r = 0; r < NG_R__COUNT; r++)
		if (!strcmp(s, ng_reason_name(r)))
			return r;
	return -2;
}

static int verdict_of_reason(int r)
{
	if (r < 0)
		return XDP_PASS;
	return (NG_DROP_MASK >> r) & 1 ? XDP_DROP : XDP_PASS;
}

static int parse_hex(const char *s, __u8 **out, size_t *outlen)
{
	size_t n = strlen(s);
	__u8 *buf;

	if (n % 2)
		return -1;
	buf = malloc(n / 2 ? n / 2 : 1);
	if (!buf)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1])) {
			free(buf);
			return -1;
		}
		buf[i] = (__u8)v;
	}
	*out = buf;
	*outlen = n / 2;
	return 0;
}

static int parse_cidr(const char *s, struct cidr *c)
{
	char tmp[64], *slash, *endp;
	unsigned long len;
	unsigned int max;

	if (strlen(s) >= sizeof(tmp))
		return -1;
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, tmp, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, tmp, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		return -1;
	}
	len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &endp, 10);
		if (errno || endp == slash + 1 || *endp || len > max)
			return -1;
	}
	c->len = (unsigned int)len;
	/* Clear host bits: the LPM key holds the prefix only. */
	for (unsigned int bit = c->len; bit < max; bit++)
		c->addr[bit / 8] &= (__u8)~(0x80u >> (bit % 8));
	return 0;
}

static int prefix_match(const __u8 *addr, const struct cidr *c)
{
	unsigned int full = c->len / 8, rest = c->len % 8;

	if (memcmp(addr, c->addr, full))
		return 0;
	if (rest) {
		__u8 mask = (__u8)(0xff00u >> rest);

		if ((addr[full] & mask) != (c->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int allowed(const struct fixture *f, int family, const __u8 *addr)
{
	for (int i = 0; i < f->n_allow; i++)
		if (f->allow[i].family == family && prefix_match(addr, &f->allow[i]))
			return 1;
	return 0;
}

static void free_fixture(struct fixture *f)
{
	free(f->name);
	free(f->allow_text);
	free(f->frame);
	memset(f, 0, sizeof(*f));
}

/* Parse one line into *f. Returns 0, or -1 with *err set. */
static int parse_fixture(char *line, struct fixture *f, const char **err)
{
	char *field[6], *save = NULL, *tok;
	int n = 0;

	memset(f, 0, sizeof(*f));
	for (tok = strtok_r(line, "\t", &save); tok && n < 6;
	     tok = strtok_r(NULL, "\t", &save))
		field[n++] = tok;
	if (n != 6 || tok) {
		*err = "expected 6 tab-separated fields";
		return -1;
	}
	f->name = strdup(field[0]);
	f->allow_text = strdup(field[3]);
	if (!f->name || !f->allow_text) {
		*err = "out of memory";
		return -1;
	}

	if (!strcmp(field[1], "PASS"))
		f->verdict = XDP_PASS;
	else if (!strcmp(field[1], "DROP"))
		f->verdict = XDP_DROP;
	else {
		*err = "verdict is not PASS or DROP";
		return -1;
	}

	f->reason = parse_reason(field[2]);
	if (f->reason == -2) {
		*err = "unknown reason";
		return -1;
	}

	if (strcmp(field[3], "-")) {
		char *list = strdup(field[3]), *s2 = NULL;

		if (!list) {
			*err = "out of memory";
			return -1;
		}
		for (tok = strtok_r(list, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2)) {
			if (f->n_allow == MAX_CIDRS || parse_cidr(tok, &f->allow[f->n_allow])) {
				free(list);
				*err = "bad allow_spec";
				return -1;
			}
			f->n_allow++;
		}
		free(list);
	}

	if (!strcmp(field[4], "-")) {
		f->policy_set = 0;
	} else {
		const char *num = field[4];
		char *endp;
		unsigned long v;

		f->policy_set = 1;
		f->policy_magic_ok = 1;
		if (!strncmp(num, "bad:", 4)) {
			f->policy_magic_ok = 0;
			num += 4;
		}
		errno = 0;
		v = strtoul(num, &endp, 10);
		if (errno || endp == num || *endp || v > UINT32_MAX) {
			*err = "bad policy field";
			return -1;
		}
		f->policy_max = (__u32)v;
	}

	if (parse_hex(field[5], &f->frame, &f->len)) {
		*err = "bad frame hex";
		return -1;
	}
	return 0;
}

/* ---- map plumbing ----------------------------------------------------- */

static int load_allow(const struct fixture *f)
{
	ng_allow_val zero = 0;

	ngt_clear_map(T.allow4_fd);
	ngt_clear_map(T.allow6_fd);
	for (int i = 0; i < f->n_allow; i++) {
		const struct cidr *c = &f->allow[i];
		int err;

		if (c->family == 4) {
			struct ng_lpm_v4 k = { .prefixlen = c->len };

			memcpy(k.addr, c->addr, 4);
			err = bpf_map_update_elem(T.allow4_fd, &k, &zero, BPF_ANY);
		} else {
			struct ng_lpm_v6 k = { .prefixlen = c->len };

			memcpy(k.addr, c->addr, 16);
			err = bpf_map_update_elem(T.allow6_fd, &k, &zero, BPF_ANY);
		}
		if (err)
			return -1;
	}
	/* What `ntpguard allow` keeps: the data plane skips an unused trie. */
	for (__u32 fam = 0; fam < 2; fam++) {
		__u32 used = 0;

		for (int i = 0; i < f->n_allow; i++)
			used |= (__u32)(f->allow[i].family == (fam ? 6 : 4));
		if (bpf_map_update_elem(T.used_fd, &fam, &used, BPF_ANY))
			return -1;
	}
	return 0;
}

static void set_policy(const struct fixture *f)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;

	if (f->policy_set) {
		pol.magic = f->policy_magic_ok ? NG_POLICY_MAGIC : NG_POLICY_MAGIC ^ 0x01000000u;
		pol.mode7_response_max_bytes = f->policy_max;
	}
	ngt_policy_write(&pol);
}

static void snapshot(struct ng_counter *snap)
{
	for (__u32 r = 0; r < NG_REASON_SLOTS; r++)
		snap[r] = ngt_counter(NG_COUNTER_KEY(TEST_SLOT, r));
}

/* ---- one fixture ------------------------------------------------------ */

/*
 * The policy step of the data plane, in userspace, for the default policy
 * with the given oversized threshold. Rate caps never run out here (the
 * fixtures stay far below every default burst); tests/bpf_policy.c covers
 * the buckets.
 */
static int userspace_policy(const struct ng_pkt *pkt, int src_ok, int dst_ok,
			    __u32 max)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	int pc = ng_pclass_of(pkt, max);

	if (pc < 0)
		return ng_fixed_reason(pkt);
	return ng_policed_reason(pc, ng_outcome_of(ng_pclass_by_dst(pc) ? dst_ok : src_ok,
						   def.cls[pc].action, 1));
}

/* Userspace classifier on the same bytes: returns the reason (or -1). */
static int userspace_reason(const struct fixture *f, struct ng_pkt *pkt)
{
	__u32 max = NG_DEFAULT_M7_RESPONSE_MAX;
	int src_ok = 0, dst_ok = 0;
	__u8 *copy;

	/* Exact-size heap copy, so an over-read shows up under ASan/valgrind. */
	copy = malloc(f->len ? f->len : 1);
	if (!copy)
		return -3;
	memcpy(copy, f->frame, f->len);
	memset(pkt, 0, sizeof(*pkt));
	ng_classify(copy, copy + f->len, pkt);
	if (pkt->family == 4 || pkt->family == 6) {
		src_ok = allowed(f, pkt->family, pkt->saddr);
		dst_ok = allowed(f, pkt->family, pkt->daddr);
	}
	if (f->policy_set && f->policy_magic_ok)
		max = f->policy_max;
	free(copy);
	return userspace_policy(pkt, src_ok, dst_ok, max);
}

static void format_deltas(char *buf, size_t sz, const struct ng_counter *before,
			  const struct ng_counter *after)
{
	size_t off = 0;
	int any = 0;

	buf[0] = '\0';
	for (int r = 0; r < NG_REASON_SLOTS; r++) {
		long long dp = (long long)(after[r].packets - before[r].packets);
		long long db = (long long)(after[r].bytes - before[r].bytes);

		if (!dp && !db)
			continue;
		off += (size_t)snprintf(buf + off, off < sz ? sz - off : 0, "%s%s %+lldp/%+lldB",
					any ? ", " : "", r < NG_R__COUNT ? ng_reason_name(r) : "slot?",
					dp, db);
		any = 1;
		if (off >= sz)
			break;
	}
	if (!any)
		snprintf(buf, sz, "no counter change");
}

/*
 * Which reason did the counters say? -1: nothing moved. -2: something other
 * than exactly one reason moving by exactly one packet and len bytes.
 */
static int observed_reason(const struct ng_counter *before, const struct ng_counter *after,
			   size_t len)
{
	int found = -1;

	for (int r = 0; r < NG_REASON_SLOTS; r++) {
		__u64 dp = after[r].packets - before[r].packets;
		__u64 db = after[r].bytes - before[r].bytes;

		if (!dp && !db)
			continue;
		if (found != -1 || dp != 1 || db != len || r >= NG_R__COUNT)
			return -2;
		found = r;
	}
	return found;
}

static void run_fixture(struct fixture *f)
{
	struct ng_counter before[NG_REASON_SLOTS], after[NG_REASON_SLOTS];
	char deltas[512];
	struct ng_pkt pkt;
	int err, bpf_verdict = -1, bpf_reason, u_reason, u_verdict;
	int ok_bpf, ok_user;

	/* Every fixture starts from the same state: no fixture's buckets
	 * (mode 6 is rate-capped by default) carry over into the next. */
	ngt_reset_buckets();
	if (load_allow(f)) {
		ngt_result(0, f->name, "cannot set up the allow-lists: %s", strerror(errno));
		return;
	}
	set_policy(f);
	snapshot(before);

	u_reason = userspace_reason(f, &pkt);
	u_verdict = verdict_of_reason(u_reason);

	err = ngt_try_run(f->frame, (__u32)f->len, &bpf_verdict);
	if (err) {
		int e = -err;

		/*
		 * The kernel refuses test runs of frames shorter than an
		 * Ethernet header (and no driver hands XDP such a runt), so
		 * below 14 octets only the userspace classifier is checked.
		 */
		if (f->len < NG_ETH_HLEN && e == EINVAL) {
			ok_user = u_reason == f->reason && u_verdict == f->verdict;
			snapshot(after);
			if (observed_reason(before, after, f->len) != -1)
				ngt_result(0, f->name, "counters moved on a rejected test run");
			else if (ok_user)
				ngt_result(1, f->name, "userspace classifier only: the kernel "
					   "rejects test runs of frames < %d octets", NG_ETH_HLEN);
			else
				ngt_result(0, f->name, "expected %s/%s, userspace classifier says "
					   "%s/%s (kernel rejects frames < %d octets)",
					   verdict_name(f->verdict), reason_name(f->reason),
					   verdict_name(u_verdict), reason_name(u_reason), NG_ETH_HLEN);
			return;
		}
		ngt_result(0, f->name, "BPF_PROG_TEST_RUN failed: %s", strerror(e));
		return;
	}
	snapshot(after);

	bpf_reason = observed_reason(before, after, f->len);
	format_deltas(deltas, sizeof(deltas), before, after);

	/* The program's verdict must also be the one its counter implies. */
	ok_bpf = bpf_verdict == f->verdict && bpf_reason == f->reason;
	ok_user = u_reason == f->reason && u_verdict == f->verdict;

	if (ok_bpf && f->reason >= 0) {
		expect_total[f->reason].packets += 1;
		expect_total[f->reason].bytes += f->len;
	}

	if (ok_bpf && ok_user) {
		ngt_result(1, f->name, NULL);
	} else if (!ok_bpf) {
		ngt_result(0, f->name, "expected %s/%s, got %s/%s (deltas: %s; %zu-octet frame)%s%s%s%s",
		       verdict_name(f->verdict), reason_name(f->reason),
		       bpf_verdict == XDP_PASS || bpf_verdict == XDP_DROP ?
				verdict_name(bpf_verdict) : "retval?",
		       bpf_reason == -2 ? "inconsistent-counters" : reason_name(bpf_reason),
		       deltas, f->len,
		       ok_user ? "" : "; userspace classifier: ",
		       ok_user ? "" : verdict_name(u_verdict),
		       ok_user ? "" : "/",
		       ok_user ? "" : reason_name(u_reason));
	} else {
		ngt_result(0, f->name, "differential mismatch: BPF %s/%s as expected, userspace "
			   "classifier %s/%s (class %d)",
		       verdict_name(bpf_verdict), reason_name(bpf_reason),
		       verdict_name(u_verdict), reason_name(u_reason), pkt.cls);
	}
	/* Keep the runner's own expectations in step with the kernel. */
	if (!ok_bpf)
		for (int r = 0; r < NG_R__COUNT; r++) {
			expect_total[r].packets += after[r].packets - before[r].packets;
			expect_total[r].bytes += after[r].bytes - before[r].bytes;
		}
}

/*
 * Whole counter map: only TEST_SLOT may have moved (the ng_slot rodata is
 * honoured), and it must hold exactly the sum of what the fixtures moved.
 */
static void check_all_counters(void)
{
	char where[160] = "";
	int bad = 0;

	for (__u32 key = 0; key < NG_MAX_IFSLOTS * NG_SLOT_STRIDE; key++) {
		__u32 slot = key / NG_SLOT_STRIDE, r = key % NG_SLOT_STRIDE;
		struct ng_counter c = ngt_counter(key), want = { 0, 0 };

		if (slot == TEST_SLOT)
			want = expect_total[r];
		if (c.packets != want.packets || c.bytes != want.bytes) {
			snprintf(where, sizeof(where), "slot %u reason %u (%s) holds %llu/%llu, "
				 "expected %llu/%llu", slot, r, reason_name((int)r),
				 (unsigned long long)c.packets, (unsigned long long)c.bytes,
				 (unsigned long long)want.packets, (unsigned long long)want.bytes);
			bad = 1;
			break;
		}
	}
	ngt_result(!bad, "counter_map_only_test_slot_moved", bad ? "%s" : NULL, where);
}

int main(int argc, char **argv)
{
	FILE *in = stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, fixtures = 0;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fprintf(stderr, "usage: %s [FIXTURE_FILE]\n", argv[0]);
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "-")) {
		in = fopen(argv[1], "r");
		if (!in) {
			fprintf(stderr, "bpf_unit: %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
	}

	ngt_load("bpf_unit", TEST_SLOT, 0);

	while ((n = getline(&line, &cap, in)) >= 0) {
		struct fixture f;
		const char *err = NULL;
		char label[64];

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		fixtures++;
		if (parse_fixture(line, &f, &err)) {
			snprintf(label, sizeof(label), "fixture_line_%d", lineno);
			ngt_result(0, f.name ? f.name : label, "unparsable fixture (line %d): %s",
				   lineno, err);
			free_fixture(&f);
			continue;
		}
		run_fixture(&f);
		free_fixture(&f);
	}
	free(line);
	if (in != stdin)
		fclose(in);

	if (!fixtures)
		ngt_result(0, "fixtures_present", "no fixtures read");
	else
		check_all_counters();

	ngt_close();
	return ngt_summary();
}

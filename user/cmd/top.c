// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top: who a provider must contact during an incident. From the per-key
 * table (ng_buckets, LRU, bounded by load --max-sources), the sources with
 * the most dropped mode 7 / mode 6 requests and the destinations (victims)
 * with the most dropped oversized mode 7 responses.
 *
 * The data plane keeps a key for a class when the class is rate-capped, or
 * for every policed class with `ntpguard set track=on`. Keys are IPv4 /32
 * or IPv6 /64. `dropped` counts drop verdicts, and would-drops in monitor
 * mode; last_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "attach.h"
#include "policy.h"
#include "params.h"
#include "cmds.h"
#include "prom.h"

struct entry {
	struct ng_bkey k;
	struct ng_bucket v;
};

static int by_dropped(const void *a, const void *b)
{
	const struct ng_bucket *x = &((const struct entry *)a)->v;
	const struct ng_bucket *y = &((const struct entry *)b)->v;

	if (x->dropped != y->dropped)
		return x->dropped < y->dropped ? 1 : -1;
	if (x->dropped_bytes != y->dropped_bytes)
		return x->dropped_bytes < y->dropped_bytes ? 1 : -1;
	if (x->last_ns != y->last_ns)
		return x->last_ns < y->last_ns ? 1 : -1;
	return 0;
}

/* "203.0.113.66" or "2001:db8:3::/64". */
static void key_addr(const struct ng_bkey *k, char *buf, size_t len)
{
	unsigned char a[16] = {};

	if (k->family == 4) {
		inet_ntop(AF_INET, k->addr, buf, (socklen_t)len);
		return;
	}
	memcpy(a, k->addr, 8);
	inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	strncat(buf, "/64", len - strlen(buf) - 1);
}

static double ago(__u64 now, __u64 last)
{
	return now > last ? (double)(now - last) / 1e9 : 0;
}

static void print_list_text(const char *title, const char *col, const struct entry *e,
			    int n, int shown, __u64 now)
{
	char addr[64];

	printf("\n%s", title);
	if (!n) {
		printf(": none\n");
		return;
	}
	printf(" (top %d of %d):\n", shown, n);
	printf("  %-24s %-15s %12s %14s %10s %10s\n", col, "CLASS", "DROPPED PKTS",
	       "DROPPED BYTES", "PASSED", "LAST SEEN");
	for (int i = 0; i < shown; i++) {
		char seen[32];

		key_addr(&e[i].k, addr, sizeof(addr));
		snprintf(seen, sizeof(seen), "%.1fs ago", ago(now, e[i].v.last_ns));
		printf("  %-24s %-15s %12" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10s\n",
		       addr, ng_pclass_name(e[i].k.pclass), (uint64_t)e[i].v.dropped,
		       (uint64_t)e[i].v.dropped_bytes, (uint64_t)e[i].v.passed, seen);
	}
}

static void print_list_json(const struct entry *e, int shown, __u64 now)
{
	char addr[64];

	printf("[");
	for (int i = 0; i < shown; i++) {
		key_addr(&e[i].k, addr, sizeof(addr));
		printf("%s{\"address\": ", i ? ", " : "");
		ng_json_str(stdout, addr);
		printf(", \"family\": \"ipv%d\", \"prefix_len\": %d, \"class\": \"%s\", "
		       "\"dropped_packets\": %" PRIu64 ", \"dropped_bytes\": %" PRIu64
		       ", \"passed_packets\": %" PRIu64 ", \"last_seen_seconds_ago\": %.1f}",
		       e[i].k.family == 4 ? 4 : 6, e[i].k.family == 4 ? 32 : 64,
		       ng_pclass_name(e[i].k.pclass), (uint64_t)e[i].v.dropped,
		       (uint64_t)e[i].v.dropped_bytes, (uint64_t)e[i].v.passed,
		       ago(now, e[i].v.last_ns));
	}
	printf("]");
}

struct top_cfg {
	__u32 n;
	bool json;
};

static const struct ng_opt top_opts[] = {
	NG_OPT(NG_OPT_UINT, struct top_cfg, n, NULL, 'n', .metavar = "N",
	       .min = 1, .max = 1000000, .help = "show N keys per list (default 10)"),
	NG_OPT(NG_OPT_FLAG, struct top_cfg, json, "json", 'j',
	       .help = "machine-readable output"),
	NG_OPT_END
};

static int cmd_top(int argc, char **argv)
{
	struct top_cfg cfg = { .n = 10 };
	struct entry *src = NULL, *dst = NULL;
	struct ng_bkey *keys = NULL;
	struct ng_bucket *vals = NULL;
	struct ng_policy pol;
	struct ng_paths paths = { 0 };
	struct bpf_map_info info = {};
	struct timespec ts;
	__u32 ilen = sizeof(info);
	char err[256] = "", tracked[128] = "", note[512] = "";
	long n;
	int first, nsrc = 0, ndst = 0, quiet = 0, bfd = -1, pfd = -1, sfd = -1;
	int ret = NG_EXIT_FAIL;
	bool overflowed;
	__u64 inserted, now;

	long top;

	ret = ng_parse(&top_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	ret = NG_EXIT_FAIL;
	top = cfg.n;

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	bfd = ng_map_open(&paths, NG_STR(NG_MAP_BUCKETS));
	pfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY));
	sfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY_SEL));
	if (bfd < 0 || pfd < 0 || sfd < 0 || ng_policy_read(pfd, sfd, &pol, NULL))
		goto out;
	if (bpf_obj_get_info_by_fd(bfd, &info, &ilen)) {
		ng_err("cannot inspect the per-key table: %s", strerror(errno));
		goto out;
	}
	n = ng_buckets_read(bfd, &keys, &vals, err, sizeof(err));
	if (n < 0) {
		ng_err("%s", err);
		goto out;
	}
	inserted = ng_keys_inserted(&paths);
	clock_gettime(CLOCK_MONOTONIC, &ts);   /* bpf_ktime_get_ns() */
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	/* Only evictions remove keys, so more insertions than room means some. */
	overflowed = inserted > info.max_entries;

	src = calloc((size_t)n + 1, sizeof(*src));
	dst = calloc((size_t)n + 1, sizeof(*dst));
	if (!src || !dst) {
		ng_err("out of memory");
		goto out;
	}
	for (long i = 0; i < n; i++) {
		struct entry e = { keys[i], vals[i] };

		if (!e.v.dropped) {
			quiet++;
			continue;
		}
		if (e.k.pclass == NG_PC_M7_RESPONSE)
			dst[ndst++] = e;
		else
			src[nsrc++] = e;
	}
	qsort(src, (size_t)nsrc, sizeof(*src), by_dropped);
	qsort(dst, (size_t)ndst, sizeof(*dst), by_dropped);

	for (int k = 0; k < NG_PC__COUNT; k++)
		if (pol.track || pol.cls[k].action == NG_ACT_RATECAP)
			snprintf(tracked + strlen(tracked), sizeof(tracked) - strlen(tracked),
				 "%s%s", tracked[0] ? ", " : "", ng_pclass_name(k));
	if (!tracked[0])
		snprintf(note, sizeof(note), "per-key counters are off: tracking is off and "
			 "no class is rate-capped, so no source or victim is being "
			 "recorded; enable with: ntpguard set track=on");
	else if (!pol.track)
		snprintf(note, sizeof(note), "tracking is off: only rate-capped classes (%s) "
			 "are recorded; `ntpguard set track=on` records dropped mode 7 "
			 "requests and oversized responses too", tracked);

	if (cfg.json) {
		printf("{\"tracked_keys\": %ld, \"capacity\": %u, \"keys_inserted\": %" PRIu64
		       ", \"overflowed\": %s, \"tracking\": %s, \"monitor\": %s, "
		       "\"tracked_classes\": [", n, info.max_entries, (uint64_t)inserted,
		       overflowed ? "true" : "false", pol.track ? "true" : "false",
		       pol.monitor ? "true" : "false");
		for (int k = 0, first = 1; k < NG_PC__COUNT; k++)
			if (pol.track || pol.cls[k].action == NG_ACT_RATECAP) {
				printf("%s\"%s\"", first ? "" : ", ", ng_pclass_name(k));
				first = 0;
			}
		printf("], \"note\": ");
		if (note[0])
			ng_json_str(stdout, note);
		else
			printf("null");
		printf(", \"keys_without_drops\": %d, \"sources\": ", quiet);
		print_list_json(src, nsrc < top ? nsrc : (int)top, now);
		printf(", \"destinations\": ");
		print_list_json(dst, ndst < top ? ndst : (int)top, now);
		printf("}\n");
	} else {
		printf("tracked keys: %ld of %u; table overflowed: %s (%" PRIu64
		       " keys inserted)\n", n, info.max_entries, overflowed ? "yes" : "no",
		       (uint64_t)inserted);
		if (overflowed)
			printf("  (the least recently seen keys were evicted: a spoofed flood "
			       "with more sources than the table, or a small --max-sources)\n");
		printf("tracking: %s; recorded classes: %s%s\n", pol.track ? "on" : "off",
		       tracked[0] ? tracked : "none",
		       pol.monitor ? "; MONITOR MODE: dropped = would have been dropped" : "");
		if (note[0])
			printf("note: %s\n", note);
		print_list_text("sources sending the most dropped mode 7 / mode 6 requests",
				"SOURCE", src, nsrc, nsrc < top ? nsrc : (int)top, now);
		print_list_text("victims: destinations receiving the most dropped oversized "
				"mode 7 responses", "DESTINATION", dst, ndst,
				ndst < top ? ndst : (int)top, now);
		if (quiet)
			printf("\n%d more tracked key(s) with nothing dropped\n", quiet);
	}
	ret = NG_EXIT_OK;
out:
	for (int *f = (int[]){ bfd, pfd, sfd }, k = 0; k < 3; k++)
		if (f[k] >= 0)
			close(f[k]);
	free(keys);
	free(vals);
	free(src);
	free(dst);
	return ret;
}

const struct ng_cmd top_cmd = {
	.name = "top",
	.summary = "sources and victims with the most dropped packets",
	.doc = "Who to contact during an incident: the sources sending the\n"
	       "most dropped mode 7 and mode 6 requests (IPv4 address or\n"
	       "IPv6 /64), and the destinations receiving the most dropped\n"
	       "oversized mode 7 responses (the victims of a reflector\n"
	       "behind this host, or in it), sorted by dropped packets,\n"
	       "with dropped bytes, passed packets and when last seen.\n\n"
	       "The counters are kept per key in the data plane, in the\n"
	       "rate-cap table (LRU, load --max-sources entries): for\n"
	       "rate-capped classes always, for every class with\n"
	       "`ntpguard set track=on` (off by default: it costs a table\n"
	       "update per dropped packet). When the table is full the least\n"
	       "recently seen keys are evicted; the output says so.\n"
	       "In monitor mode, dropped counts would-drops.\n",
	.opts = top_opts,
	.run = cmd_top,
};

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The printers of status, stats and top (see show.h): a snapshot in, text
 * or JSON out. Nothing here reads the kernel.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "layout.h"
#include "policy.h"
#include "show.h"

/* The records of the interface at s->ifs[i]: its ingress and egress (either
 * may be NULL); returns the index of the next interface. */
static int iface_at(const struct ng_snapshot *s, int i, const struct ng_snap_if **in,
		    const struct ng_snap_if **eg)
{
	*in = *eg = NULL;
	for (int g = s->ifs[i].group; i < s->n_if && s->ifs[i].group == g; i++) {
		if (s->ifs[i].rec.direction == NG_DIR_EGRESS)
			*eg = &s->ifs[i];
		else
			*in = &s->ifs[i];
	}
	return i;
}

/* JSON: "NAME": {INGRESS..., "egress": {EGRESS...}} for every interface. */
static void json_ifaces(FILE *f, const struct ng_snapshot *s,
			void (*one)(FILE *f, const struct ng_snap_if *x))
{
	const struct ng_snap_if *in, *eg;

	for (int i = 0, next; i < s->n_if; i = next) {
		next = iface_at(s, i, &in, &eg);
		fprintf(f, "%s", i ? ", " : "");
		ng_json_str(f, s->ifs[i].rec.ifname);   /* the first of the group */
		fprintf(f, ": {");
		if (in)
			one(f, in);
		if (eg) {
			fprintf(f, "%s\"egress\": {", in ? ", " : "");
			one(f, eg);
			fprintf(f, "}");
		}
		fprintf(f, "}");
	}
}

/* ---- status ---------------------------------------------------------------- */

static void status_rec_json(FILE *f, const struct ng_snap_if *x)
{
	const struct ng_ifrec *r = &x->rec;

	fprintf(f, "\"ifindex\": %u, \"state\": \"%s\", \"mode\": \"%s\", "
		"\"attach\": \"%s\", \"direction\": \"%s\", \"prog_id\": %u, "
		"\"build\": \"%016llx\", \"outdated\": %s",
		r->ifindex, x->state, ng_mode_name(r->mode), ng_path_name(r->path),
		ng_dir_name(r->direction), r->prog_id, (unsigned long long)r->build,
		x->outdated ? "true" : "false");
}

static void status_json(FILE *f, const struct ng_snapshot *s, const char *pin_dir)
{
	fprintf(f, "{\"loaded\": %s, \"pin_dir\": ", s->loaded ? "true" : "false");
	ng_json_str(f, pin_dir);
	fprintf(f, ", \"interfaces\": {");
	json_ifaces(f, s, status_rec_json);
	fprintf(f, "}, \"allow\": {\"ipv4\": %ld, \"ipv6\": %ld}", s->allow_v4, s->allow_v6);
	if (!s->loaded) {
		fprintf(f, "}\n");
		return;
	}
	fprintf(f, ", \"rate_table\": {\"entries\": %ld, \"capacity\": %u}, "
		"\"layout\": %u, \"build\": \"%016llx\", \"policy\": ",
		s->rate_entries, s->rate_capacity, s->layout,
		(unsigned long long)ng_build_id());
	ng_policy_print(f, &s->policy, true);
	fprintf(f, "}\n");
}

static void status_text(FILE *f, const struct ng_snapshot *s, const char *pin_dir)
{
	if (!s->loaded) {
		fprintf(f, "ntpguard is not loaded (no pins in %s)\n", pin_dir);
		return;
	}
	fprintf(f, "ntpguard: pins in %s (layout %u), this binary's program build %016llx\n",
		pin_dir, s->layout, (unsigned long long)ng_build_id());
	fprintf(f, "%-16s %-9s %-7s %-10s %-8s %-8s %s\n", "INTERFACE", "STATE", "MODE",
		"ATTACH", "DIR", "PROG ID", "BUILD");
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_ifrec *r = &s->ifs[i].rec;

		fprintf(f, "%-16s %-9s %-7s %-10s %-8s %-8u %s\n", r->ifname, s->ifs[i].state,
			ng_mode_name(r->mode), ng_path_name(r->path),
			ng_dir_name(r->direction), r->prog_id,
			!s->ifs[i].live ? "-" : s->ifs[i].outdated ?
			"older (`ntpguard apply` or `load` replaces it)" : "this binary's");
	}
	fprintf(f, "allow-list: %ld IPv4 prefix(es), %ld IPv6 prefix(es)\n",
		s->allow_v4, s->allow_v6);
	fprintf(f, "rate-cap table: %ld of %u sources tracked\n", s->rate_entries,
		s->rate_capacity);
	fprintf(f, "policy%s:\n", s->policy.monitor ? " (MONITOR MODE: nothing is dropped)" : "");
	ng_policy_print(f, &s->policy, false);
}

void ng_show_status(FILE *f, const struct ng_snapshot *s, const char *pin_dir, bool json)
{
	if (json)
		status_json(f, s, pin_dir);
	else
		status_text(f, s, pin_dir);
}

/* ---- stats ------------------------------------------------------------------ */

static void stats_rec_text(FILE *f, const struct ng_snap_if *x)
{
	const struct ng_ifrec *r = &x->rec;

	fprintf(f, "%s (%s, %s mode, %s attach, %s)\n", r->ifname, x->state,
		ng_mode_name(r->mode), ng_path_name(r->path), ng_dir_name(r->direction));
	for (int i = 0; i < NG_R__COUNT; i++) {
		fprintf(f, "  %-26s %-5s %14" PRIu64 " pkts %16" PRIu64 " bytes",
			ng_reason_name(i), ng_reason_drops(i) ? "drop" : "pass",
			(uint64_t)x->real[i].packets, (uint64_t)x->real[i].bytes);
		if (x->would[i].packets)
			fprintf(f, "   (+%" PRIu64 " would-drop in monitor mode)",
				(uint64_t)x->would[i].packets);
		fprintf(f, "\n");
	}
}

static void stats_rec_json(FILE *f, const struct ng_snap_if *x)
{
	const struct ng_ifrec *r = &x->rec;

	fprintf(f, "\"mode\": \"%s\", \"attach\": \"%s\", \"state\": \"%s\", "
		"\"direction\": \"%s\", \"reasons\": {", ng_mode_name(r->mode),
		ng_path_name(r->path), x->state, ng_dir_name(r->direction));
	for (int i = 0; i < NG_R__COUNT; i++) {
		fprintf(f, "%s\"%s\": {\"action\": \"%s\", \"packets\": %" PRIu64
			", \"bytes\": %" PRIu64, i ? ", " : "", ng_reason_name(i),
			ng_reason_drops(i) ? "drop" : "pass", (uint64_t)x->real[i].packets,
			(uint64_t)x->real[i].bytes);
		if (ng_reason_drops(i))
			fprintf(f, ", \"would_drop_packets\": %" PRIu64
				", \"would_drop_bytes\": %" PRIu64,
				(uint64_t)x->would[i].packets, (uint64_t)x->would[i].bytes);
		fprintf(f, "}");
	}
	fprintf(f, "}");
}

void ng_show_stats(FILE *f, const struct ng_snapshot *s, bool json)
{
	if (json) {
		fprintf(f, "{\"interfaces\": {");
		json_ifaces(f, s, stats_rec_json);
		fprintf(f, "}}\n");
		return;
	}
	for (int i = 0; i < s->n_if; i++)
		stats_rec_text(f, &s->ifs[i]);
	if (!s->n_if)
		fprintf(f, "no interfaces in this network namespace\n");
}

/* ---- top -------------------------------------------------------------------- */

struct entry {
	struct ng_bkey k;
	struct ng_bucket v;
};

/* What top shows, ranked. */
struct top {
	struct entry *src, *dst;        /* sources, destinations with drops */
	int nsrc, ndst, quiet;          /* quiet: keys with nothing dropped */
	unsigned tracked;               /* bit per class recorded */
	char tracked_text[128], note[512];
	bool overflowed;
	__u64 now;                      /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
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

/* Which classes the data plane records, and what to say about it. */
static void top_tracking(const struct ng_policy *pol, struct top *t)
{
	char *b = t->tracked_text;

	for (int k = 0; k < NG_PC__COUNT; k++)
		if (pol->track || pol->cls[k].action == NG_ACT_RATECAP) {
			t->tracked |= 1u << k;
			snprintf(b + strlen(b), sizeof(t->tracked_text) - strlen(b), "%s%s",
				 b[0] ? ", " : "", ng_pclass_name(k));
		}
	if (!t->tracked)
		snprintf(t->note, sizeof(t->note), "per-key counters are off: tracking is "
			 "off and no class is rate-capped, so no source or victim is being "
			 "recorded; enable with: ntpguard set track=on");
	else if (!pol->track)
		snprintf(t->note, sizeof(t->note), "tracking is off: only rate-capped "
			 "classes (%s) are recorded; `ntpguard set track=on` records dropped "
			 "mode 7 requests and oversized responses too", b);
}

static int top_rank(const struct ng_snapshot *s, struct top *t)
{
	struct timespec ts;

	memset(t, 0, sizeof(*t));
	t->src = calloc((size_t)s->rate_entries + 1, sizeof(*t->src));
	t->dst = calloc((size_t)s->rate_entries + 1, sizeof(*t->dst));
	if (!t->src || !t->dst)
		return -1;
	for (long i = 0; i < s->rate_entries; i++) {
		struct entry e = { s->keys[i], s->vals[i] };

		if (!e.v.dropped)
			t->quiet++;
		else if (e.k.pclass == NG_PC_M7_RESPONSE)
			t->dst[t->ndst++] = e;
		else
			t->src[t->nsrc++] = e;
	}
	qsort(t->src, (size_t)t->nsrc, sizeof(*t->src), by_dropped);
	qsort(t->dst, (size_t)t->ndst, sizeof(*t->dst), by_dropped);
	top_tracking(&s->policy, t);
	/* Only evictions remove keys, so more insertions than room means some. */
	t->overflowed = s->keys_inserted > s->rate_capacity;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
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

static void top_list_text(FILE *f, const char *title, const char *col, const struct entry *e,
			  int n, int shown, __u64 now)
{
	char addr[64], seen[32];

	fprintf(f, "\n%s", title);
	if (!n) {
		fprintf(f, ": none\n");
		return;
	}
	fprintf(f, " (top %d of %d):\n", shown, n);
	fprintf(f, "  %-24s %-15s %12s %14s %10s %10s\n", col, "CLASS", "DROPPED PKTS",
		"DROPPED BYTES", "PASSED", "LAST SEEN");
	for (int i = 0; i < shown; i++) {
		key_addr(&e[i].k, addr, sizeof(addr));
		snprintf(seen, sizeof(seen), "%.1fs ago", ago(now, e[i].v.last_ns));
		fprintf(f, "  %-24s %-15s %12" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10s\n",
			addr, ng_pclass_name(e[i].k.pclass), (uint64_t)e[i].v.dropped,
			(uint64_t)e[i].v.dropped_bytes, (uint64_t)e[i].v.passed, seen);
	}
}

static void top_list_json(FILE *f, const struct entry *e, int shown, __u64 now)
{
	char addr[64];

	fprintf(f, "[");
	for (int i = 0; i < shown; i++) {
		key_addr(&e[i].k, addr, sizeof(addr));
		fprintf(f, "%s{\"address\": ", i ? ", " : "");
		ng_json_str(f, addr);
		fprintf(f, ", \"family\": \"ipv%d\", \"prefix_len\": %d, \"class\": \"%s\", "
			"\"dropped_packets\": %" PRIu64 ", \"dropped_bytes\": %" PRIu64
			", \"passed_packets\": %" PRIu64 ", \"last_seen_seconds_ago\": %.1f}",
			e[i].k.family == 4 ? 4 : 6, e[i].k.family == 4 ? 32 : 64,
			ng_pclass_name(e[i].k.pclass), (uint64_t)e[i].v.dropped,
			(uint64_t)e[i].v.dropped_bytes, (uint64_t)e[i].v.passed,
			ago(now, e[i].v.last_ns));
	}
	fprintf(f, "]");
}

static int at_most(int n, unsigned top)
{
	return (unsigned)n < top ? n : (int)top;
}

static void top_json(FILE *f, const struct ng_snapshot *s, const struct top *t, unsigned n)
{
	fprintf(f, "{\"tracked_keys\": %ld, \"capacity\": %u, \"keys_inserted\": %" PRIu64
		", \"overflowed\": %s, \"tracking\": %s, \"monitor\": %s, "
		"\"tracked_classes\": [", s->rate_entries, s->rate_capacity,
		(uint64_t)s->keys_inserted, t->overflowed ? "true" : "false",
		s->policy.track ? "true" : "false", s->policy.monitor ? "true" : "false");
	for (int k = 0, first = 1; k < NG_PC__COUNT; k++)
		if (t->tracked & (1u << k)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", ng_pclass_name(k));
			first = 0;
		}
	fprintf(f, "], \"note\": ");
	if (t->note[0])
		ng_json_str(f, t->note);
	else
		fprintf(f, "null");
	fprintf(f, ", \"keys_without_drops\": %d, \"sources\": ", t->quiet);
	top_list_json(f, t->src, at_most(t->nsrc, n), t->now);
	fprintf(f, ", \"destinations\": ");
	top_list_json(f, t->dst, at_most(t->ndst, n), t->now);
	fprintf(f, "}\n");
}

static void top_text(FILE *f, const struct ng_snapshot *s, const struct top *t, unsigned n)
{
	fprintf(f, "tracked keys: %ld of %u; table overflowed: %s (%" PRIu64
		" keys inserted)\n", s->rate_entries, s->rate_capacity,
		t->overflowed ? "yes" : "no", (uint64_t)s->keys_inserted);
	if (t->overflowed)
		fprintf(f, "  (the least recently seen keys were evicted: a spoofed flood "
			"with more sources than the table, or a small --max-sources)\n");
	fprintf(f, "tracking: %s; recorded classes: %s%s\n", s->policy.track ? "on" : "off",
		t->tracked_text[0] ? t->tracked_text : "none",
		s->policy.monitor ? "; MONITOR MODE: dropped = would have been dropped" : "");
	if (t->note[0])
		fprintf(f, "note: %s\n", t->note);
	top_list_text(f, "sources sending the most dropped mode 7 / mode 6 requests",
		      "SOURCE", t->src, t->nsrc, at_most(t->nsrc, n), t->now);
	top_list_text(f, "victims: destinations receiving the most dropped oversized "
		      "mode 7 responses", "DESTINATION", t->dst, t->ndst,
		      at_most(t->ndst, n), t->now);
	if (t->quiet)
		fprintf(f, "\n%d more tracked key(s) with nothing dropped\n", t->quiet);
}

int ng_show_top(FILE *f, const struct ng_snapshot *s, unsigned n, bool json)
{
	struct top t;
	int ret = top_rank(s, &t);

	if (!ret && json)
		top_json(f, s, &t, n);
	else if (!ret)
		top_text(f, s, &t, n);
	free(t.src);
	free(t.dst);
	return ret;
}

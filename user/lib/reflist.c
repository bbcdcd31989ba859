// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The abuse desk's list of reflectors (see reflist.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ng_reflect.h"
#include "reflist.h"

void ng_utc_text(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "?");
}

static void iso_text(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

static int by_bytes(const void *a, const void *b)
{
	const struct ng_refl_entry *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	return strcmp(x->addr, y->addr);
}

/* CLOCK_MONOTONIC ns of the data plane -> Unix time, by the snapshot's pair. */
static double wall(const struct ng_snapshot *s, __u64 ns)
{
	return s->real_s - ((double)s->mono_ns - (double)ns) / 1e9;
}

int ng_reflist_build(const struct ng_snapshot *s, double since, bool where,
		     struct ng_reflist *l)
{
	memset(l, 0, sizeof(*l));
	l->since = since;
	l->available = s->refl_available;
	l->recording = !s->policy.no_reflectors;
	l->monitor = s->policy.monitor;
	l->entries = s->refl_entries;
	l->capacity = s->refl_capacity;
	l->inserted = s->refl_inserted;
	/* Only evictions remove records (and forgetting an interface), so
	 * more insertions than room means some were evicted. */
	l->overflowed = s->refl_inserted > s->refl_capacity;
	l->e = calloc((size_t)s->refl_entries + 1, sizeof(*l->e));
	if (!l->e)
		return -1;
	for (long i = 0; i < s->refl_entries; i++) {
		const struct ng_rkey *k = &s->rkeys[i];
		const struct ng_refl *v = &s->rvals[i];
		const struct ng_snap_if *x = ng_snapshot_slot(s, k->slot);
		struct ng_refl_entry *e;
		int lower;

		if (!x) {
			l->other_ns++;
			continue;
		}
		if (!v->packets)
			continue;
		if (since > 0 && (double)(s->mono_ns - v->last_ns) / 1e9 > since) {
			l->older++;
			continue;
		}
		e = &l->e[l->n++];
		e->family = k->family == 4 ? 4 : 6;
		inet_ntop(e->family == 4 ? AF_INET : AF_INET6, k->addr, e->addr, sizeof(e->addr));
		memcpy(e->ifname, x->rec.ifname, sizeof(e->ifname) - 1);
		e->direction = ng_dir_name(x->rec.direction);
		e->packets = v->packets;
		e->bytes = v->bytes;
		e->victims = ng_refl_victims(v->victims, &lower);
		e->victims_more = lower;
		e->first_s = wall(s, v->first_ns);
		e->last_s = wall(s, v->last_ns);
		e->ago_s = s->mono_ns > v->last_ns ? (double)(s->mono_ns - v->last_ns) / 1e9 : 0;
	}
	qsort(l->e, (size_t)l->n, sizeof(*l->e), by_bytes);
	/* What is behind an interface: looked up once per interface. */
	for (int i = 0; where && i < l->n; i++) {
		int j;

		for (j = 0; j < i && strcmp(l->e[j].ifname, l->e[i].ifname); j++)
			;
		if (j < i)
			l->e[i].where = l->e[j].where;
		else
			ng_where(l->e[i].ifname, &l->e[i].where);
		ng_where_text(&l->e[i].where, l->e[i].where_text, sizeof(l->e[i].where_text));
	}
	return 0;
}

void ng_reflist_free(struct ng_reflist *l)
{
	free(l->e);
	l->e = NULL;
	l->n = 0;
}

static void victims_text(const struct ng_refl_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s%" PRIu64, e->victims_more ? ">" : "", (uint64_t)e->victims);
}

void ng_reflist_text(FILE *f, const struct ng_reflist *l)
{
	char first[40], last[40], vic[24];

	fprintf(f, "reflectors: servers whose oversized mode 7 (monlist) responses ntpguard %s\n",
		l->monitor ? "would have dropped (MONITOR MODE: nothing is dropped)" : "dropped");
	fprintf(f, "records: %ld of %u; table overflowed: %s (%" PRIu64 " records inserted); "
		"recording: %s\n", l->entries, l->capacity, l->overflowed ? "yes" : "no",
		(uint64_t)l->inserted, l->recording ? "on" : "off (ntpguard set reflectors=on)");
	if (l->overflowed)
		fprintf(f, "  (the least recently seen records were evicted: more reflectors, "
			"or forged responses from more sources, than load --max-reflectors)\n");
	if (l->since > 0)
		fprintf(f, "seen in the last %.0f s; %d older record(s) not shown\n", l->since,
			l->older);
	if (!l->n) {
		fprintf(f, "\nno reflector recorded%s\n", l->since > 0 ? " in that time" : "");
		return;
	}
	fprintf(f, "\n%-39s %-16s %-7s %10s %12s %7s  %-23s  %-23s  %s\n", "SERVER", "INTERFACE",
		"DIR", "PACKETS", "BYTES", "VICTIMS", "FIRST SEEN", "LAST SEEN", "BEHIND THE INTERFACE");
	for (int i = 0; i < l->n; i++) {
		const struct ng_refl_entry *e = &l->e[i];

		ng_utc_text(e->first_s, first, sizeof(first));
		ng_utc_text(e->last_s, last, sizeof(last));
		victims_text(e, vic, sizeof(vic));
		fprintf(f, "%-39s %-16s %-7s %10" PRIu64 " %12" PRIu64 " %7s  %-23s  %-23s  %s\n",
			e->addr, e->ifname, e->direction, (uint64_t)e->packets,
			(uint64_t)e->bytes, vic, first, last,
			e->where_text[0] ? e->where_text : "-");
	}
	if (l->other_ns)
		fprintf(f, "\n%d record(s) of interfaces in other network namespaces not shown\n",
			l->other_ns);
	fprintf(f, "\nVICTIMS: distinct destinations (IPv4 address, IPv6 /64), estimated: "
		"exact to about 1 below 20, within ~5 %% to 1,500 (\">\" beyond).\n"
		"Confirm with: ntpguard check --from-reflectors; notices: ntpguard reflectors "
		"--notice\n");
}

static void json_str_or_null(FILE *f, const char *s)
{
	if (s && s[0])
		ng_json_str(f, s);
	else
		fprintf(f, "null");
}

void ng_reflist_json(FILE *f, const struct ng_reflist *l)
{
	char first[32], last[32];

	fprintf(f, "{\"recording\": %s, \"monitor\": %s, \"table\": {\"records\": %ld, "
		"\"capacity\": %u, \"inserted\": %" PRIu64 ", \"overflowed\": %s}, "
		"\"since_seconds\": ", l->recording ? "true" : "false",
		l->monitor ? "true" : "false", l->entries, l->capacity, (uint64_t)l->inserted,
		l->overflowed ? "true" : "false");
	if (l->since > 0)
		fprintf(f, "%.0f", l->since);
	else
		fprintf(f, "null");
	fprintf(f, ", \"not_shown\": {\"older\": %d, \"other_namespaces\": %d}, \"reflectors\": [",
		l->older, l->other_ns);
	for (int i = 0; i < l->n; i++) {
		const struct ng_refl_entry *e = &l->e[i];

		iso_text(e->first_s, first, sizeof(first));
		iso_text(e->last_s, last, sizeof(last));
		fprintf(f, "%s\n  {\"address\": \"%s\", \"family\": \"ipv%d\", \"interface\": ",
			i ? "," : "", e->addr, e->family);
		ng_json_str(f, e->ifname);
		fprintf(f, ", \"direction\": \"%s\", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"victims\": %" PRIu64 ", \"victims_lower_bound\": %s, "
			"\"first_seen\": \"%s\", \"last_seen\": \"%s\", \"first_seen_unix\": %.3f, "
			"\"last_seen_unix\": %.3f, \"last_seen_seconds_ago\": %.1f, "
			"\"behind\": {\"kind\": ", e->direction, (uint64_t)e->packets,
			(uint64_t)e->bytes, (uint64_t)e->victims, e->victims_more ? "true" : "false",
			first, last, e->first_s, e->last_s, e->ago_s);
		json_str_or_null(f, e->where.kind);
		fprintf(f, ", \"master\": ");
		json_str_or_null(f, e->where.master);
		fprintf(f, ", \"libvirt_domain\": ");
		json_str_or_null(f, e->where.domain);
		fprintf(f, ", \"tap_holder\": ");
		json_str_or_null(f, e->where.holder);
		fprintf(f, ", \"peer\": ");
		json_str_or_null(f, e->where.peer);
		fprintf(f, ", \"peer_netns\": ");
		json_str_or_null(f, e->where.peer_netns);
		fprintf(f, ", \"text\": ");
		json_str_or_null(f, e->where_text);
		fprintf(f, "}}");
	}
	fprintf(f, "%s]}\n", l->n ? "\n" : "");
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Snapshots of ntpguard's state and their Prometheus text exposition,
 * shared by `stats --prom`, `stats --watch`, `export` and `top`.
 *
 * Metric families (README "Observability" documents them):
 *   ntpguard_loaded, ntpguard_build_info{version},
 *   ntpguard_attached{interface,direction,mode,dispatcher},
 *   ntpguard_packets_total / ntpguard_bytes_total
 *       {interface,direction,reason,action="drop|pass|would_drop"},
 *   ntpguard_allow_entries{family}, ntpguard_rate_table_entries,
 *   ntpguard_rate_table_capacity, ntpguard_rate_table_keys_inserted_total,
 *   ntpguard_monitor_mode, ntpguard_tracking_enabled,
 *   and from the exporter only ntpguard_export_failures_total and
 *   ntpguard_export_last_success_timestamp_seconds.
 * No per-address labels: per-key data is `ntpguard top`'s.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "attach.h"
#include "prom.h"

#include "version.h"

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Open a pin without printing anything; -errno on failure. */
static int pin_open(const struct ng_paths *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->pin_dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

const char *ng_pclass_name(int pclass)
{
	switch (pclass) {
	case NG_PC_M7_REQUEST: return "mode7_request";
	case NG_PC_M7_RESPONSE: return "mode7_response";
	case NG_PC_M6_REQUEST: return "mode6_request";
	default: return "unknown";
	}
}

__u64 ng_keys_inserted(const struct ng_paths *p)
{
	int fd = pin_open(p, NG_STR(NG_MAP_EVENTS));
	int n = libbpf_num_possible_cpus();
	__u32 key = NG_EV_KEYS_INSERTED;
	__u64 *v, sum = 0;

	if (fd < 0)
		return 0;
	v = n > 0 ? calloc((size_t)n, sizeof(*v)) : NULL;
	if (v && !bpf_map_lookup_elem(fd, &key, v))
		for (int c = 0; c < n; c++)
			sum += v[c];
	free(v);
	close(fd);
	return sum;
}

/*
 * Batch reads walk the hash table bucket by bucket, so entries that LRU
 * eviction removes meanwhile cannot send the walk back to the start (as
 * get_next_key would on a vanished key). Kernels without batch ops get a
 * get_next_key walk bounded by the table's capacity.
 */
long ng_buckets_read(int fd, struct ng_bkey **keys_out, struct ng_bucket **vals_out,
		     char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info), chunk = 1024, count;
	struct ng_bkey *keys = NULL, *nk;
	struct ng_bucket *vals = NULL, *nv;
	size_t cap, n = 0;
	__u64 token = 0;
	bool first = true;
	int r;

	*keys_out = NULL;
	*vals_out = NULL;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
		seterr(err, errlen, "cannot inspect the per-key table: %s", strerror(errno));
		return -1;
	}
	cap = (size_t)info.max_entries + chunk;
	keys = calloc(cap, sizeof(*keys));
	vals = calloc(cap, sizeof(*vals));
	if (!keys || !vals) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	for (;;) {
		count = chunk;
		r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					 keys + n, vals + n, &count, NULL);
		if (r && errno == ENOSPC && chunk < (1u << 20)) {
			/* one hash bucket holds more than chunk entries */
			n += count;
			chunk *= 4;
			cap = n + chunk + (size_t)info.max_entries;
			nk = realloc(keys, cap * sizeof(*keys));
			if (nk)
				keys = nk;
			nv = realloc(vals, cap * sizeof(*vals));
			if (nv)
				vals = nv;
			if (!nk || !nv) {
				seterr(err, errlen, "out of memory");
				goto fail;
			}
			continue;
		}
		/* 524: the kernel's ENOTSUPP, no batch ops for this map */
		if (r && first && (errno == EINVAL || errno == 524 || errno == EOPNOTSUPP))
			goto walk;
		first = false;
		n += count;
		if (r && errno == ENOENT)
			break;      /* end of the table */
		if (r) {
			seterr(err, errlen, "cannot read the per-key table: %s",
			       strerror(errno));
			goto fail;
		}
		if (n + chunk > cap)
			break;      /* more than it can hold: churned while reading */
	}
	goto done;
walk:
	{
		struct ng_bkey cur, next;
		void *prev = NULL;

		n = 0;
		while (n < info.max_entries && !bpf_map_get_next_key(fd, prev, &next)) {
			cur = next;
			prev = &cur;
			if (bpf_map_lookup_elem(fd, &cur, &vals[n]))
				continue;   /* evicted meanwhile */
			keys[n++] = cur;
		}
	}
done:
	*keys_out = keys;
	*vals_out = vals;
	return (long)n;
fail:
	free(keys);
	free(vals);
	return -1;
}

void ng_snapshot_free(struct ng_snapshot *s)
{
	free(s->ifs);
	s->ifs = NULL;
	s->n_if = 0;
}

int ng_snapshot_take(const struct ng_paths *p, struct ng_snapshot *s,
		     unsigned flags, char *err, size_t errlen)
{
	struct ng_iface_slots *grp = NULL;
	struct ng_ifrec *recs = NULL;
	int fd = -1, cfd = -1, pfd = -1, sfd = -1, ret = -1, n;

	memset(s, 0, sizeof(*s));
	if (!ng_is_bpffs(p->bpffs) || !ng_pins_exist(p))
		return 0;
	fd = pin_open(p, NG_STR(NG_MAP_IFACES));
	if (fd == -ENOENT)
		return 0;   /* unloaded between the two looks */
	s->loaded = true;
	cfd = pin_open(p, NG_STR(NG_MAP_COUNTERS));
	pfd = pin_open(p, NG_STR(NG_MAP_POLICY));
	sfd = pin_open(p, NG_STR(NG_MAP_POLICY_SEL));
	if (fd < 0 || cfd < 0 || pfd < 0 || sfd < 0) {
		seterr(err, errlen, "cannot open ntpguard's pinned maps in %s: %s",
		       p->pin_dir, strerror(-(fd < 0 ? fd : cfd < 0 ? cfd :
						pfd < 0 ? pfd : sfd)));
		goto out;
	}
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	grp = calloc(NG_MAX_IFSLOTS, sizeof(*grp));
	s->ifs = calloc(NG_MAX_IFSLOTS, sizeof(*s->ifs));
	if (!recs || !grp || !s->ifs) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	for (__u32 i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &recs[i])) {
			seterr(err, errlen, "cannot read attachment record %u: %s", i,
			       strerror(errno));
			goto out;
		}
	}
	{
		static const struct ng_policy def = NG_DEFAULT_POLICY;
		__u32 zero = 0, sel = 0;

		if (bpf_map_lookup_elem(sfd, &zero, &sel) || sel >= NG_POLICY_SLOTS ||
		    bpf_map_lookup_elem(pfd, &sel, &s->policy)) {
			seterr(err, errlen, "cannot read the policy: %s",
			       strerror(errno ? errno : EINVAL));
			goto out;
		}
		if (s->policy.magic != NG_POLICY_MAGIC)
			s->policy = def;
	}
	n = ng_group_ifaces(recs, grp);
	for (int i = 0; i < n; i++) {
		const int slots[2] = { grp[i].ingress, grp[i].egress };

		for (int d = 0; d < 2; d++) {
			struct ng_snap_if *x;

			if (slots[d] < 0)
				continue;
			x = &s->ifs[s->n_if++];
			x->rec = recs[slots[d]];
			x->slot = slots[d];
			x->state = ng_live_state(&x->rec);
			x->live = !strcmp(x->state, "attached");
			if (ng_counters_read(cfd, (__u32)slots[d], x->real, x->would)) {
				seterr(err, errlen, "cannot read the counters of %s",
				       x->rec.ifname);
				goto out;
			}
		}
	}
	if (flags & NG_SNAP_FULL) {
		int fd4 = pin_open(p, NG_STR(NG_MAP_ALLOW_V4));
		int fd6 = pin_open(p, NG_STR(NG_MAP_ALLOW_V6));
		int bfd = pin_open(p, NG_STR(NG_MAP_BUCKETS));
		struct bpf_map_info info = {};
		__u32 ilen = sizeof(info);
		struct ng_bkey *k = NULL;
		struct ng_bucket *v = NULL;

		if (fd4 >= 0 && fd6 >= 0 && bfd >= 0 &&
		    !bpf_obj_get_info_by_fd(bfd, &info, &ilen)) {
			s->allow_v4 = ng_count_keys(fd4, sizeof(struct ng_lpm_v4));
			s->allow_v6 = ng_count_keys(fd6, sizeof(struct ng_lpm_v6));
			s->rate_capacity = info.max_entries;
			s->rate_entries = ng_buckets_read(bfd, &k, &v, err, errlen);
			s->keys_inserted = ng_keys_inserted(p);
			s->full = s->rate_entries >= 0;
			free(k);
			free(v);
		} else {
			seterr(err, errlen, "cannot open the allow-list or per-key table pins in %s",
			       p->pin_dir);
		}
		for (int *f = (int[]){ fd4, fd6, bfd }, j = 0; j < 3; j++)
			if (f[j] >= 0)
				close(f[j]);
		if (!s->full)
			goto out;
	}
	ret = 0;
out:
	for (int *f = (int[]){ fd, cfd, pfd, sfd }, j = 0; j < 4; j++)
		if (f[j] >= 0)
			close(f[j]);
	free(recs);
	free(grp);
	if (ret)
		ng_snapshot_free(s);
	return ret;
}

void ng_prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* interface="..",direction=".." (ifname as a C string, NUL-bounded) */
static void if_labels(FILE *f, const struct ng_ifrec *r)
{
	char name[sizeof(r->ifname) + 1];

	memcpy(name, r->ifname, sizeof(r->ifname));
	name[sizeof(r->ifname)] = 0;
	fputs("interface=", f);
	ng_prom_label(f, name);
	fprintf(f, ",direction=\"%s\"", ng_dir_name(r->direction));
}

static void traffic(FILE *f, const struct ng_snapshot *s, bool bytes)
{
	for (int i = 0; i < s->n_if; i++) {
		const struct ng_snap_if *x = &s->ifs[i];

		for (int r = 0; r < NG_R__COUNT; r++) {
			const char *name = bytes ? "ntpguard_bytes_total" :
						   "ntpguard_packets_total";

			fprintf(f, "%s{", name);
			if_labels(f, &x->rec);
			fprintf(f, ",reason=\"%s\",action=\"%s\"} %" PRIu64 "\n",
				ng_reason_name(r), ng_reason_drops(r) ? "drop" : "pass",
				(uint64_t)(bytes ? x->real[r].bytes : x->real[r].packets));
			if (!ng_reason_drops(r))
				continue;
			fprintf(f, "%s{", name);
			if_labels(f, &x->rec);
			fprintf(f, ",reason=\"%s\",action=\"would_drop\"} %" PRIu64 "\n",
				ng_reason_name(r),
				(uint64_t)(bytes ? x->would[r].bytes : x->would[r].packets));
		}
	}
}

int ng_prom_write(FILE *f, const struct ng_snapshot *s, const struct ng_prom_export *x)
{
	family(f, "ntpguard_loaded", "gauge",
	       "1 if ntpguard's maps are pinned (the filter is loaded), 0 if not.");
	fprintf(f, "ntpguard_loaded %d\n", s->loaded ? 1 : 0);
	family(f, "ntpguard_build_info", "gauge",
	       "Version of the ntpguard binary that produced these metrics.");
	fputs("ntpguard_build_info{version=", f);
	ng_prom_label(f, NG_VERSION);
	fputs("} 1\n", f);

	if (s->n_if) {
		family(f, "ntpguard_attached", "gauge",
		       "1 while the filter is attached to the interface in this direction, "
		       "0 if it was detached or vanished (interface or program gone).");
		for (int i = 0; i < s->n_if; i++) {
			const struct ng_ifrec *r = &s->ifs[i].rec;

			fputs("ntpguard_attached{", f);
			if_labels(f, r);
			fprintf(f, ",mode=\"%s\",dispatcher=\"%s\"} %d\n",
				ng_mode_name(r->mode),
				r->path == NG_PATH_DISPATCHER ? "true" : "false",
				s->ifs[i].live ? 1 : 0);
		}
		family(f, "ntpguard_packets_total", "counter",
		       "NTP packets seen by ntpguard, by reason; action is drop or pass, "
		       "or would_drop for drops that monitor mode let pass.");
		traffic(f, s, false);
		family(f, "ntpguard_bytes_total", "counter",
		       "Octets of those packets (whole frames), by reason and action.");
		traffic(f, s, true);
	}
	if (s->loaded) {
		family(f, "ntpguard_monitor_mode", "gauge",
		       "1 if monitor mode is on: drop verdicts are counted as would_drop "
		       "and nothing is dropped.");
		fprintf(f, "ntpguard_monitor_mode %d\n", s->policy.monitor ? 1 : 0);
		family(f, "ntpguard_tracking_enabled", "gauge",
		       "1 if per-key counters (ntpguard top) are kept for every policed "
		       "class (policy track=on), 0 if only for rate-capped classes.");
		fprintf(f, "ntpguard_tracking_enabled %d\n", s->policy.track ? 1 : 0);
	}
	if (s->loaded && s->full) {
		family(f, "ntpguard_allow_entries", "gauge",
		       "Prefixes on the allow-list, by address family.");
		fprintf(f, "ntpguard_allow_entries{family=\"ipv4\"} %ld\n", s->allow_v4);
		fprintf(f, "ntpguard_allow_entries{family=\"ipv6\"} %ld\n", s->allow_v6);
		family(f, "ntpguard_rate_table_entries", "gauge",
		       "Keys (source or victim address and class) in the per-key rate-cap "
		       "and top table.");
		fprintf(f, "ntpguard_rate_table_entries %ld\n", s->rate_entries);
		family(f, "ntpguard_rate_table_capacity", "gauge",
		       "Capacity of the per-key table (load --max-sources).");
		fprintf(f, "ntpguard_rate_table_capacity %u\n", s->rate_capacity);
		family(f, "ntpguard_rate_table_keys_inserted_total", "counter",
		       "Keys ever inserted into the per-key table; above its capacity, "
		       "least recently used keys were evicted.");
		fprintf(f, "ntpguard_rate_table_keys_inserted_total %" PRIu64 "\n",
			(uint64_t)s->keys_inserted);
	}
	if (x) {
		family(f, "ntpguard_export_failures_total", "counter",
		       "Export attempts that failed (state unreadable or file not written) since the exporter started.");
		fprintf(f, "ntpguard_export_failures_total %llu\n", x->failures);
		family(f, "ntpguard_export_last_success_timestamp_seconds", "gauge",
		       "Unix time at which this file's content was produced; the file is "
		       "only replaced by complete writes, so this is the last successful export.");
		fprintf(f, "ntpguard_export_last_success_timestamp_seconds %.3f\n",
			x->timestamp);
	}
	fflush(f);
	return ferror(f) ? -1 : 0;
}

int ng_parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ' || *s == '\t' || *s == '+' || *s == '-')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min && v <= max))   /* also rejects nan */
		return -1;
	*out = v;
	return 0;
}

void ng_periodic_begin(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigprocmask(SIG_BLOCK, set, old);
}

double ng_mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ng_periodic_wait(const sigset_t *set, double start, double interval)
{
	double wait = interval - (ng_mono_now() - start);
	struct timespec ts;
	int sig;

	if (wait < 0.01)
		wait = 0.01;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	sig = sigtimedwait(set, NULL, &ts);
	return sig == SIGINT || sig == SIGTERM ? sig : 0;
}

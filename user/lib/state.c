// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ntpguard's pinned maps (see state.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "layout.h"
#include "ng_reflect.h"
#include "policy.h"
#include "state.h"

/* The maps by NG_MAPS_* bit: pin name and where its fd goes. */
/* since: the first layout that has the map (older pins may lack it: its
 * fd stays -1, and the next load creates it, layout.c) */
static const struct {
	unsigned bit;
	const char *name;
	size_t off;
	bool optional;          /* absent pin: fd -1, no error */
	unsigned since;         /* absent from pins of an older layout: fd -1 */
} maps[] = {
	{ NG_MAPS_IFACES, NG_STR(NG_MAP_IFACES), offsetof(struct ng_state, ifaces), false, 1 },
	{ NG_MAPS_COUNTERS, NG_STR(NG_MAP_COUNTERS), offsetof(struct ng_state, counters), false, 1 },
	{ NG_MAPS_POLICY, NG_STR(NG_MAP_POLICY), offsetof(struct ng_state, policy), false, 1 },
	{ NG_MAPS_POLICY, NG_STR(NG_MAP_POLICY_SEL), offsetof(struct ng_state, policy_sel), false, 1 },
	{ NG_MAPS_ALLOW, NG_STR(NG_MAP_ALLOW_V4), offsetof(struct ng_state, allow_v4), false, 1 },
	{ NG_MAPS_ALLOW, NG_STR(NG_MAP_ALLOW_V6), offsetof(struct ng_state, allow_v6), false, 1 },
	{ NG_MAPS_ALLOW, NG_STR(NG_MAP_ALLOW_USED), offsetof(struct ng_state, allow_used), false, 2 },
	{ NG_MAPS_BUCKETS, NG_STR(NG_MAP_BUCKETS), offsetof(struct ng_state, buckets), false, 1 },
	{ NG_MAPS_EVENTS, NG_STR(NG_MAP_EVENTS), offsetof(struct ng_state, events), false, 1 },
	{ NG_MAPS_REFLECTORS, NG_STR(NG_MAP_REFLECTORS), offsetof(struct ng_state, reflectors), true, 1 },
	{ NG_MAPS_PROBES, NG_STR(NG_MAP_PROBES), offsetof(struct ng_state, probes), true, 1 },
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

static int *fd_of(struct ng_state *st, size_t i)
{
	return (int *)((char *)st + maps[i].off);
}

static int fail(struct ng_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ng_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	if (!st->quiet)
		ng_err("%s", st->err);
	return -1;
}

int ng_state_open(struct ng_state *st, const struct ng_paths *p, unsigned which,
		  bool quiet)
{
	char path[PATH_MAX];
	struct ng_layout l;

	memset(st, 0, sizeof(*st));
	st->quiet = quiet;
	for (size_t i = 0; i < NMAPS; i++)
		*fd_of(st, i) = -1;
	/* Never read pins of a layout this binary does not know. */
	if (ng_layout_read(p, &l) || !l.usable) {
		fail(st, "%s", l.why);
		return -EPROTO;
	}
	st->layout = l.version;
	for (size_t i = 0; i < NMAPS; i++) {
		int fd, err;

		if (!(which & maps[i].bit))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->pin_dir, maps[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT &&
		    (maps[i].optional || st->layout < maps[i].since))
			continue;       /* optional, or older pins without it */
		if (fd < 0) {
			err = errno;
			fail(st, "cannot open pinned map %s: %s", path, strerror(err));
			ng_state_close(st);
			return -err;
		}
		*fd_of(st, i) = fd;
	}
	return 0;
}

void ng_state_close(struct ng_state *st)
{
	for (size_t i = 0; i < NMAPS; i++) {
		int *fd = fd_of(st, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

/* ---- records and counters ------------------------------------------------ */

int ng_state_records(struct ng_state *st, struct ng_ifrec recs[NG_MAX_IFSLOTS])
{
	for (__u32 i = 0; i < NG_MAX_IFSLOTS; i++)
		if (bpf_map_lookup_elem(st->ifaces, &i, &recs[i]))
			return fail(st, "cannot read attachment record %u: %s", i,
				    strerror(errno));
	return 0;
}

int ng_state_record_write(struct ng_state *st, __u32 slot, const struct ng_ifrec *r)
{
	if (bpf_map_update_elem(st->ifaces, &slot, r, BPF_ANY))
		return fail(st, "cannot write attachment record %u: %s", slot,
			    strerror(errno));
	return 0;
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

/* Sum of a per-CPU counter; -1 if unreadable. */
static int percpu_sum(int fd, __u32 key, struct ng_counter *v, struct ng_counter *out)
{
	out->packets = out->bytes = 0;
	if (bpf_map_lookup_elem(fd, &key, v))
		return -1;
	for (int c = 0; c < ncpus(); c++) {
		out->packets += v[c].packets;
		out->bytes += v[c].bytes;
	}
	return 0;
}

int ng_state_counters(struct ng_state *st, __u32 slot, struct ng_counter real[NG_R__COUNT],
		      struct ng_counter would[NG_R__COUNT])
{
	struct ng_counter *v = ncpus() > 0 ? calloc((size_t)ncpus(), sizeof(*v)) : NULL;
	int ret = 0;

	if (!v)
		return fail(st, "cannot read counters: out of memory");
	for (__u32 r = 0; r < NG_R__COUNT && !ret; r++)
		ret = percpu_sum(st->counters, NG_COUNTER_KEY(slot, r), v, &real[r]) ||
		      percpu_sum(st->counters, NG_COUNTER_WOULD_KEY(slot, r), v, &would[r]);
	free(v);
	return ret ? fail(st, "cannot read counters: %s", strerror(errno)) : 0;
}

static int reflectors_clear(struct ng_state *st, __u32 slot);

int ng_state_counters_clear(struct ng_state *st, __u32 slot)
{
	struct ng_counter *v = ncpus() > 0 ? calloc((size_t)ncpus(), sizeof(*v)) : NULL;
	int ret = 0;

	if (!v)
		return fail(st, "cannot clear counters: out of memory");
	for (__u32 i = 0; i < NG_SLOT_STRIDE && !ret; i++) {
		__u32 key = slot * NG_SLOT_STRIDE + i;

		ret = bpf_map_update_elem(st->counters, &key, v, BPF_ANY);
	}
	free(v);
	if (ret)
		return fail(st, "cannot clear counters: %s", strerror(errno));
	return reflectors_clear(st, slot);
}

/* ---- policy ----------------------------------------------------------------- */

int ng_state_policy(struct ng_state *st, struct ng_policy *p, __u32 *live)
{
	int err = ng_policy_read(st->policy, st->policy_sel, p, live);

	return err ? fail(st, "cannot read the policy: %s", strerror(-err)) : 0;
}

int ng_state_policy_commit(struct ng_state *st, __u32 live, const struct ng_policy *p)
{
	int err = ng_policy_commit(st->policy, st->policy_sel, live, p);

	return err ? fail(st, "cannot write the policy: %s (nothing changed)",
			  strerror(-err)) : 0;
}

/* ---- allow-list sizes, the per-key table, events ---------------------------- */

/* Keys of a map that only userspace changes (the allow-lists). Bounded:
 * get_next_key restarts from the start when its key vanishes, which on a
 * table the data plane churns (the per-key LRU) could go on for ever; that
 * one is read in batches (ng_state_buckets). */
long ng_state_allow_count(struct ng_state *st, int fam)
{
	unsigned char cur[sizeof(struct ng_lpm_v6)], next[sizeof(struct ng_lpm_v6)];
	size_t ksz = fam ? sizeof(struct ng_lpm_v6) : sizeof(struct ng_lpm_v4);
	int fd = fam ? st->allow_v6 : st->allow_v4;
	void *prev = NULL;
	long n = 0;

	while (n < (1L << 26) && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, ksz);
		prev = cur;
		n++;
	}
	return n;
}

__u32 ng_state_map_capacity(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

__u32 ng_state_capacity(struct ng_state *st)
{
	return ng_state_map_capacity(st->buckets);
}

__u64 ng_state_event(struct ng_state *st, __u32 ev)
{
	int n = ncpus();
	__u64 *v = n > 0 ? calloc((size_t)n, sizeof(*v)) : NULL, sum = 0;

	if (v && !bpf_map_lookup_elem(st->events, &ev, v))
		for (int c = 0; c < n; c++)
			sum += v[c];
	free(v);
	return sum;
}

__u64 ng_state_keys_inserted(struct ng_state *st)
{
	return ng_state_event(st, NG_EV_KEYS_INSERTED);
}

/* A hash map read whole: keys and values (per-CPU maps: a value per
 * possible CPU, each rounded to 8 octets, as the kernel hands them out). */
struct table {
	char *keys, *vals;
	size_t ksz, vsz;
	size_t n, cap;
};

static int table_grow(struct table *t, size_t cap)
{
	char *k = realloc(t->keys, cap * t->ksz);
	char *v;

	if (k)
		t->keys = k;
	v = realloc(t->vals, cap * t->vsz);
	if (v)
		t->vals = v;
	if (!k || !v)
		return -1;
	t->cap = cap;
	return 0;
}

/* Kernels without batch ops: a get_next_key walk bounded by the capacity. */
static void table_walk(int fd, struct table *t, __u32 max)
{
	char cur[64], next[64];
	void *prev = NULL;

	t->n = 0;
	while (t->n < max && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, t->ksz);
		prev = cur;
		if (bpf_map_lookup_elem(fd, cur, t->vals + t->n * t->vsz))
			continue;       /* evicted meanwhile */
		memcpy(t->keys + t->n++ * t->ksz, cur, t->ksz);
	}
}

/*
 * Batch reads walk the hash table bucket by bucket, so entries that LRU
 * eviction removes meanwhile cannot send the walk back to the start (as
 * get_next_key would on a vanished key). 0, or -1 with errno; 1: no batch
 * ops on this kernel.
 */
static int table_batch(int fd, struct table *t, __u32 max)
{
	__u32 chunk = 1024, count;
	__u64 token = 0;
	bool first = true;
	int r;

	for (;;) {
		count = chunk;
		r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					 t->keys + t->n * t->ksz, t->vals + t->n * t->vsz,
					 &count, NULL);
		if (!r || errno == ENOENT || errno == ENOSPC) {
			int e = errno;

			/* valgrind: "unhandled eBPF command 24" */
			NG_KERNEL_FILLED(t->keys + t->n * t->ksz, (size_t)count * t->ksz);
			NG_KERNEL_FILLED(t->vals + t->n * t->vsz, (size_t)count * t->vsz);
			NG_KERNEL_FILLED(&token, sizeof(token));
			errno = e;
		}
		if (r && errno == ENOSPC && chunk < (1u << 20)) {
			/* one hash bucket holds more than chunk entries */
			t->n += count;
			chunk *= 4;
			if (table_grow(t, t->n + chunk + max)) {
				errno = ENOMEM;
				return -1;
			}
			continue;
		}
		/* 524: the kernel's ENOTSUPP, no batch ops for this map */
		if (r && first && (errno == EINVAL || errno == 524 || errno == EOPNOTSUPP))
			return 1;
		first = false;
		t->n += count;
		if (r)
			return errno == ENOENT ? 0 : -1;        /* ENOENT: the end */
		if (t->n + chunk > t->cap)
			return 0;       /* more than it can hold: churned while reading */
	}
}

/* Every entry of the hash map fd into t (ksz, vsz set); -1 with errno. */
static long table_read(int fd, struct table *t)
{
	__u32 max = ng_state_map_capacity(fd);
	int r;

	if (!max)
		return -1;
	if (table_grow(t, (size_t)max + 1024)) {
		errno = ENOMEM;
		return -1;
	}
	r = table_batch(fd, t, max);
	if (r == 1)
		table_walk(fd, t, max);
	return r < 0 ? -1 : (long)t->n;
}

long ng_state_buckets(struct ng_state *st, struct ng_bkey **keys, struct ng_bucket **vals)
{
	struct table t = { .ksz = sizeof(**keys), .vsz = sizeof(**vals) };

	*keys = NULL;
	*vals = NULL;
	if (table_read(st->buckets, &t) < 0) {
		free(t.keys);
		free(t.vals);
		return fail(st, "cannot read the per-key table: %s", strerror(errno));
	}
	*keys = (struct ng_bkey *)t.keys;
	*vals = (struct ng_bucket *)t.vals;
	return (long)t.n;
}

long ng_state_reflectors(struct ng_state *st, struct ng_rkey **keys, struct ng_refl **vals)
{
	size_t vsz = (sizeof(struct ng_refl) + 7) / 8 * 8;
	struct table t = { .ksz = sizeof(**keys), .vsz = vsz * (size_t)ncpus() };
	struct ng_refl *merged;

	*keys = NULL;
	*vals = NULL;
	if (st->reflectors < 0)
		return fail(st, "no reflector table: the pins were made by an older ntpguard; "
			    "unload every interface and load again");
	if (ncpus() <= 0 || table_read(st->reflectors, &t) < 0) {
		free(t.keys);
		free(t.vals);
		return fail(st, "cannot read the reflector table: %s", strerror(errno));
	}
	merged = calloc(t.n + 1, sizeof(*merged));
	if (!merged) {
		free(t.keys);
		free(t.vals);
		return fail(st, "out of memory");
	}
	for (size_t i = 0; i < t.n; i++)
		for (int c = 0; c < ncpus(); c++)
			ng_refl_merge(&merged[i], (const struct ng_refl *)(t.vals + i * t.vsz +
									   (size_t)c * vsz));
	free(t.vals);
	*keys = (struct ng_rkey *)t.keys;
	*vals = merged;
	return (long)t.n;
}

/* Delete the reflector records of a slot (its interface is forgotten or
 * its slot recycled): they must not be shown under the next interface. */
static int reflectors_clear(struct ng_state *st, __u32 slot)
{
	struct ng_rkey *keys;
	struct ng_refl *vals;
	long n;

	if (st->reflectors < 0)
		return 0;
	n = ng_state_reflectors(st, &keys, &vals);
	if (n < 0)
		return -1;
	for (long i = 0; i < n; i++)
		if (keys[i].slot == slot)
			bpf_map_delete_elem(st->reflectors, &keys[i]);
	free(keys);
	free(vals);
	return 0;
}

/* ---- probe flows ---------------------------------------------------------------- */

int ng_state_probe_add(struct ng_state *st, const struct ng_probe_key *k, __u64 expires_ns)
{
	struct ng_probe v = { .expires_ns = expires_ns };

	if (st->probes < 0)
		return fail(st, "no probe flow table: the pins were made by an older ntpguard");
	if (bpf_map_update_elem(st->probes, k, &v, BPF_ANY))
		return fail(st, "cannot add a probe flow: %s", strerror(errno));
	return 0;
}

int ng_state_probe_del(struct ng_state *st, const struct ng_probe_key *k,
		       struct ng_probe *last)
{
	memset(last, 0, sizeof(*last));
	if (st->probes < 0)
		return 0;
	bpf_map_lookup_elem(st->probes, k, last);
	if (bpf_map_delete_elem(st->probes, k) && errno != ENOENT)
		return fail(st, "cannot delete a probe flow: %s", strerror(errno));
	return 0;
}

int ng_state_used_bits(struct ng_state *st, int fam, __u32 set, __u32 clear)
{
	__u32 key = (__u32)fam, v = 0;

	if (bpf_map_lookup_elem(st->allow_used, &key, &v))
		v = 0;
	v = (v & ~clear) | set;
	if (bpf_map_update_elem(st->allow_used, &key, &v, BPF_ANY))
		return fail(st, "cannot update %s: %s", NG_STR(NG_MAP_ALLOW_USED),
			    strerror(errno));
	return 0;
}

/* The info of pinned map `name`; zeroed if it cannot be read. */
static struct bpf_map_info pinned_map_info(const struct ng_paths *paths, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", paths->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return info;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		memset(&info, 0, sizeof(info));
	close(fd);
	return info;
}

__u32 ng_pinned_max_entries(const struct ng_paths *paths, const char *name)
{
	return pinned_map_info(paths, name).max_entries;
}

__u32 ng_pinned_map_id(const struct ng_paths *paths, const char *name)
{
	return pinned_map_info(paths, name).id;
}

/* ---- attachment records (pure) ---------------------------------------------- */

int ng_ifrec_find(const struct ng_ifrec *recs, __u64 ns, const char *ifname, __u8 dir)
{
	for (int i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (recs[i].state != NG_IF_FREE && recs[i].netns_ino == ns &&
		    recs[i].direction == dir &&
		    strncmp(recs[i].ifname, ifname, sizeof(recs[i].ifname)) == 0)
			return i;
	}
	return -1;
}

int ng_group_ifaces(const struct ng_ifrec *recs, struct ng_iface_slots *out)
{
	__u64 ns = ng_netns_ino();
	int n = 0;

	for (int s = 0; s < NG_MAX_IFSLOTS; s++) {
		const struct ng_ifrec *r = &recs[s];
		int other, k;

		if (r->state == NG_IF_FREE || r->netns_ino != ns)
			continue;
		other = ng_ifrec_find(recs, ns, r->ifname,
				      r->direction == NG_DIR_EGRESS ? NG_DIR_INGRESS :
								      NG_DIR_EGRESS);
		/* One entry per name: at the first of its records. */
		if (other >= 0 && other < s)
			continue;
		k = n++;
		out[k].ingress = r->direction == NG_DIR_INGRESS ? s : other;
		out[k].egress = r->direction == NG_DIR_EGRESS ? s : other;
	}
	return n;
}

const char *ng_mode_name(__u8 mode)
{
	return mode == NG_MODE_NATIVE ? "native" : mode == NG_MODE_SKB ? "skb" :
	       mode == NG_MODE_TC ? "tc" : "none";
}

const char *ng_path_name(__u8 path)
{
	return path == NG_PATH_DISPATCHER ? "dispatcher" :
	       path == NG_PATH_LEGACY ? "legacy" : path == NG_PATH_TC ? "tc" : "none";
}

const char *ng_state_name(__u8 state)
{
	return state == NG_IF_ATTACHED ? "attached" :
	       state == NG_IF_DETACHED ? "detached" : "free";
}

const char *ng_dir_name(__u8 dir)
{
	return dir == NG_DIR_EGRESS ? "egress" : "ingress";
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

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One read of ntpguard's state (see snapshot.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "hook.h"
#include "layout.h"
#include "snapshot.h"

void ng_snapshot_free(struct ng_snapshot *s)
{
	free(s->ifs);
	free(s->keys);
	free(s->vals);
	free(s->rkeys);
	free(s->rvals);
	s->ifs = NULL;
	s->keys = NULL;
	s->vals = NULL;
	s->rkeys = NULL;
	s->rvals = NULL;
	s->n_if = 0;
}

static int add_if(struct ng_state *st, struct ng_snapshot *s, const struct ng_ifrec *recs,
		  int slot, int group)
{
	struct ng_snap_if *x = &s->ifs[s->n_if++];

	x->rec = recs[slot];
	x->slot = slot;
	x->group = group;
	x->state = ng_live_state(&x->rec);
	x->live = !strcmp(x->state, "attached");
	x->outdated = x->live && x->rec.build != ng_build_id();
	if (!(s->what & NG_SNAP_COUNTERS))
		return 0;
	return ng_state_counters(st, (__u32)slot, x->real, x->would);
}

/* The records of this namespace, an interface's ingress before its egress. */
static int read_ifaces(struct ng_state *st, struct ng_snapshot *s)
{
	struct ng_ifrec *recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	struct ng_iface_slots *grp = calloc(NG_MAX_IFSLOTS, sizeof(*grp));
	int n, ret = -1;

	s->ifs = calloc(NG_MAX_IFSLOTS, sizeof(*s->ifs));
	if (!recs || !grp || !s->ifs) {
		snprintf(st->err, sizeof(st->err), "out of memory");
		goto out;
	}
	if (ng_state_records(st, recs))
		goto out;
	n = ng_group_ifaces(recs, grp);
	for (int i = 0; i < n; i++)
		if ((grp[i].ingress >= 0 && add_if(st, s, recs, grp[i].ingress, i)) ||
		    (grp[i].egress >= 0 && add_if(st, s, recs, grp[i].egress, i)))
			goto out;
	ret = 0;
out:
	free(recs);
	free(grp);
	return ret;
}

static int read_rate(struct ng_state *st, struct ng_snapshot *s)
{
	s->rate_capacity = ng_state_capacity(st);
	s->keys_inserted = ng_state_keys_inserted(st);
	s->rate_entries = ng_state_buckets(st, &s->keys, &s->vals);
	if (s->rate_entries < 0)
		return -1;
	if (!(s->what & NG_SNAP_KEYS)) {
		free(s->keys);
		free(s->vals);
		s->keys = NULL;
		s->vals = NULL;
	}
	return 0;
}

static int read_refl(struct ng_state *st, struct ng_snapshot *s)
{
	s->refl_available = st->reflectors >= 0;
	if (!s->refl_available)
		return 0;
	s->refl_capacity = ng_state_map_capacity(st->reflectors);
	s->refl_inserted = ng_state_event(st, NG_EV_REFLECTORS_INSERTED);
	s->refl_entries = ng_state_reflectors(st, &s->rkeys, &s->rvals);
	return s->refl_entries < 0 ? -1 : 0;
}

const struct ng_snap_if *ng_snapshot_slot(const struct ng_snapshot *s, int slot)
{
	for (int i = 0; i < s->n_if; i++)
		if (s->ifs[i].slot == slot)
			return &s->ifs[i];
	return NULL;
}

static unsigned maps_for(unsigned what)
{
	return NG_MAPS_POLICY | (what & NG_SNAP_REFL ? NG_MAPS_REFLECTORS | NG_MAPS_EVENTS : 0) |
	       (what & NG_SNAP_IFACES ? NG_MAPS_IFACES : 0) |
	       (what & NG_SNAP_COUNTERS ? NG_MAPS_COUNTERS : 0) |
	       (what & NG_SNAP_ALLOW ? NG_MAPS_ALLOW : 0) |
	       (what & NG_SNAP_RATE ? NG_MAPS_BUCKETS | NG_MAPS_EVENTS : 0);
}

int ng_snapshot_take(const struct ng_paths *p, struct ng_snapshot *s, unsigned what,
		     char *err, size_t errlen)
{
	struct ng_state st;
	int ret = -1, e;

	memset(s, 0, sizeof(*s));
	what |= what & NG_SNAP_COUNTERS ? NG_SNAP_IFACES : 0;
	what |= what & NG_SNAP_KEYS ? NG_SNAP_RATE : 0;
	what |= what & NG_SNAP_REFL ? NG_SNAP_IFACES : 0;
	s->what = what;
	if (!ng_is_bpffs(p->bpffs) || !ng_pins_exist(p))
		return 0;
	ng_hook_init();         /* the liveness checks ask libxdp */
	e = ng_state_open(&st, p, maps_for(what), true);
	if (e == -ENOENT && !ng_pins_exist(p))
		return 0;       /* unloaded between the two looks */
	s->loaded = true;
	if (e)
		goto out;
	s->layout = st.layout;
	if (ng_state_policy(&st, &s->policy, NULL) ||
	    ((what & NG_SNAP_IFACES) && read_ifaces(&st, s)) ||
	    ((what & NG_SNAP_RATE) && read_rate(&st, s)) ||
	    ((what & NG_SNAP_REFL) && read_refl(&st, s)))
		goto out;
	{
		struct timespec m, r;

		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r);
		s->mono_ns = (__u64)m.tv_sec * 1000000000ull + (__u64)m.tv_nsec;
		s->real_s = (double)r.tv_sec + r.tv_nsec / 1e9;
	}
	if (what & NG_SNAP_ALLOW) {
		s->allow_v4 = ng_state_allow_count(&st, 0);
		s->allow_v6 = ng_state_allow_count(&st, 1);
	}
	ret = 0;
out:
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", st.err);
	ng_state_close(&st);
	if (ret)
		ng_snapshot_free(s);
	return ret;
}

int ng_snapshot_read(const struct ng_paths *p, struct ng_snapshot *s, unsigned what)
{
	char err[1024];

	if (ng_snapshot_take(p, s, what, err, sizeof(err))) {
		ng_err("%s", err);
		return -1;
	}
	if (!(what & NG_SNAP_LOADED) || s->loaded)
		return 0;
	if (!ng_require_loaded(p))      /* says why, unless it is back */
		ng_err("ntpguard was unloaded while its state was read");
	ng_snapshot_free(s);
	return -1;
}

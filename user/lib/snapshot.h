/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * snapshot.h - one read of what a command shows: the pins opened once,
 * everything it asked for read, the pins closed. Printers take a snapshot
 * (show.h: status, stats, top as text or JSON; prom.h: Prometheus), so a
 * command gathers, then prints. No process state: a long-running reader
 * (export, stats --watch) never keeps a map alive between two snapshots.
 */
#ifndef NG_SNAPSHOT_H
#define NG_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

/* What to read besides the policy (always read) */
#define NG_SNAP_IFACES   0x01   /* attachment records of this namespace */
#define NG_SNAP_COUNTERS 0x02   /* and their counters (implies IFACES) */
#define NG_SNAP_ALLOW    0x04   /* allow-list sizes */
#define NG_SNAP_RATE     0x08   /* per-key table: entries, capacity, keys inserted */
#define NG_SNAP_KEYS     0x10   /* and every entry (implies RATE) */
#define NG_SNAP_REFL     0x20   /* reflector records (implies IFACES) */
#define NG_SNAP_PROM     (NG_SNAP_COUNTERS | NG_SNAP_ALLOW | NG_SNAP_RATE | NG_SNAP_REFL)
#define NG_SNAP_LOADED   0x100  /* ng_snapshot_read: not loaded is an error */

/* One attachment record of this network namespace, with its counters. */
struct ng_snap_if {
	struct ng_ifrec rec;
	int slot;
	int group;              /* one per interface: its ingress and egress share it */
	bool live;              /* attached and still in the kernel */
	bool outdated;          /* live, but not this binary's build (layout.h) */
	const char *state;      /* "attached", "detached" or "gone" */
	struct ng_counter real[NG_R__COUNT];
	struct ng_counter would[NG_R__COUNT];
};

struct ng_snapshot {
	unsigned what;          /* NG_SNAP_* that was read */
	bool loaded;            /* pins exist */
	unsigned layout;        /* their layout version (layout.h) */
	struct ng_policy policy;
	int n_if;
	struct ng_snap_if *ifs; /* by interface, ingress before egress */
	long allow_v4, allow_v6;
	long rate_entries;
	__u32 rate_capacity;
	__u64 keys_inserted;
	struct ng_bkey *keys;   /* NG_SNAP_KEYS: rate_entries of each */
	struct ng_bucket *vals;
	/* NG_SNAP_REFL: the reflector records (per-CPU copies merged) */
	bool refl_available;    /* false: pins older than the reflector table */
	long refl_entries;
	__u32 refl_capacity;
	__u64 refl_inserted;
	struct ng_rkey *rkeys;
	struct ng_refl *rvals;
	__u64 mono_ns;          /* CLOCK_MONOTONIC when read: the records' clock */
	double real_s;          /* CLOCK_REALTIME at the same moment */
};

/* The snapshot's interface of a reflector record's slot, or NULL when the
 * slot is another network namespace's. */
const struct ng_snap_if *ng_snapshot_slot(const struct ng_snapshot *s, int slot);

/*
 * Read a snapshot. Not loaded (no bpffs or no pins) is not an error:
 * s->loaded = false. On error returns -1 with a one-line reason in err
 * (nothing printed, so a daemon decides how loud to be).
 */
int ng_snapshot_take(const struct ng_paths *p, struct ng_snapshot *s, unsigned what,
		     char *err, size_t errlen);
/* The same for a command: the reason printed ("ntpguard: ..."). */
int ng_snapshot_read(const struct ng_paths *p, struct ng_snapshot *s, unsigned what);
void ng_snapshot_free(struct ng_snapshot *s);

#endif

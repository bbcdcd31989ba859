/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prom.h - one read of everything ntpguard exposes (a snapshot), its
 * Prometheus text exposition (stats --prom, export), and the per-key table
 * read (top, export). No process state: every call opens and closes the
 * pins it needs, so a long-running reader never keeps maps alive.
 */
#ifndef NG_PROM_H
#define NG_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* One attachment record of this network namespace, with its counters. */
struct ng_snap_if {
	struct ng_ifrec rec;
	int slot;
	bool live;              /* attached and still in the kernel */
	const char *state;      /* "attached", "detached" or "gone" */
	struct ng_counter real[NG_R__COUNT];
	struct ng_counter would[NG_R__COUNT];
};

struct ng_snapshot {
	bool loaded;            /* pins exist */
	int n_if;
	struct ng_snap_if *ifs; /* ingress before egress of each interface */
	struct ng_policy policy;
	/* Only with NG_SNAP_FULL: */
	bool full;
	long allow_v4, allow_v6;
	long rate_entries;
	__u32 rate_capacity;
	__u64 keys_inserted;    /* NG_EV_KEYS_INSERTED summed over CPUs */
};

#define NG_SNAP_FULL 1u         /* also allow-list sizes and the rate table */

/*
 * Read a snapshot. Not loaded (no bpffs or no pins) is not an error:
 * s->loaded = false. On error returns -1 with a one-line reason in err
 * (nothing printed, so a daemon decides how loud to be).
 */
int ng_snapshot_take(const struct ng_paths *p, struct ng_snapshot *s,
		     unsigned flags, char *err, size_t errlen);
void ng_snapshot_free(struct ng_snapshot *s);

/* What only the exporter knows; NULL from `stats --prom`. */
struct ng_prom_export {
	double timestamp;       /* Unix seconds this content is produced at */
	unsigned long long failures;
};

/* The text exposition of s; returns 0, or -1 if f reports an error. */
int ng_prom_write(FILE *f, const struct ng_snapshot *s,
		  const struct ng_prom_export *x);

/* Prometheus label value: backslash, double quote and newline escaped. */
void ng_prom_label(FILE *f, const char *s);

/* Every entry of the per-key table, in arrays the caller frees.
 * Returns the number of entries, or -1 with err set. */
long ng_buckets_read(int fd, struct ng_bkey **keys, struct ng_bucket **vals,
		     char *err, size_t errlen);

/* NG_EV_KEYS_INSERTED summed over CPUs; 0 if unreadable. */
__u64 ng_keys_inserted(const struct ng_paths *p);

/* Class name of a per-key entry: mode7_request, mode7_response, mode6_request. */
const char *ng_pclass_name(int pclass);

/* A number of seconds in [min, max] (decimals allowed); -1 if not. */
int ng_parse_seconds(const char *s, double min, double max, double *out);

/*
 * Periodic loops (export, stats --watch): SIGINT and SIGTERM are blocked
 * and taken only between two rounds, so a round is never cut short.
 */
#include <signal.h>
void ng_periodic_begin(sigset_t *set, sigset_t *old);
double ng_mono_now(void);
/* Wait until `interval` s after `start` (ng_mono_now()); the signal that
 * ended the wait (SIGINT or SIGTERM), or 0 when the time came. */
int ng_periodic_wait(const sigset_t *set, double start, double interval);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * reflist.h - the abuse desk's list: the reflector records of a snapshot
 * (NG_SNAP_REFL) for this network namespace's interfaces, optionally only
 * those seen within the last `since` seconds, sorted by bytes dropped, each
 * with its interface, what is behind it (ifwhere.h), its victim estimate
 * and wall-clock times. Printed as text or JSON here; notices are
 * notice.h's; `check --from-reflectors` takes the addresses.
 */
#ifndef NG_REFLIST_H
#define NG_REFLIST_H

#include <stdbool.h>
#include <stdio.h>

#include "ifwhere.h"
#include "snapshot.h"

struct ng_refl_entry {
	char addr[64];          /* "192.0.2.123", "2001:db8::123" */
	int family;             /* 4 or 6 */
	char ifname[IF_NAMESIZE];
	const char *direction;  /* "ingress" or "egress" */
	struct ng_where where;
	char where_text[320];
	__u64 packets, bytes;
	__u64 victims;
	bool victims_more;      /* the estimate is a lower bound ("more than") */
	double first_s, last_s; /* Unix time */
	double ago_s;           /* seconds since last seen */
};

struct ng_reflist {
	struct ng_refl_entry *e;
	int n;
	int other_ns;           /* records of other namespaces' interfaces (not listed) */
	int older;              /* records not seen within `since` (not listed) */
	double since;           /* 0: all */
	bool recording, monitor, available;
	long entries;
	__u32 capacity;
	__u64 inserted;
	bool overflowed;
};

/* Build the list; `where`: look up what is behind each interface. -1: out
 * of memory. */
int ng_reflist_build(const struct ng_snapshot *s, double since, bool where,
		     struct ng_reflist *l);
void ng_reflist_free(struct ng_reflist *l);

void ng_reflist_text(FILE *f, const struct ng_reflist *l);
void ng_reflist_json(FILE *f, const struct ng_reflist *l);

/* "2026-12-07 10:15:03 UTC" */
void ng_utc_text(double t, char *buf, size_t len);

#endif

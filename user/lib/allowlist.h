/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * allowlist.h - the allow-lists (NG_MAPS_ALLOW of an open state): hosts
 * that may send mode 7 requests and receive large mode 7 responses.
 */
#ifndef NG_ALLOWLIST_H
#define NG_ALLOWLIST_H

#include <stdbool.h>

#include "parse.h"
#include "state.h"

/* One family's list (0: IPv4, 1: IPv6), sorted, in an array the caller
 * frees; NULL if out of memory. */
struct ng_cidr *ng_allow_list(struct ng_state *st, int fam, int *count);

/*
 * Add (none may be listed yet) or delete (all must be listed) c[0..n), all
 * or nothing: what the kernel refuses is said, and the entries already
 * changed are changed back. 0, or -1 ("nothing was changed" said).
 */
int ng_allow_change(struct ng_state *st, const struct ng_cidr *c, int n, bool add);

#endif

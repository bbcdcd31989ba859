/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the live policy's keys (one table: name, type, range, help),
 * their parsing and printing; the double-buffered policy maps.
 */
#ifndef NG_POLICY_H
#define NG_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "common.h"

/* Parse "KEY=VALUE" into *p; print why not and return -1. */
int ng_policy_assign(const char *arg, struct ng_policy *p);
/* The live policy (defaults if none written); live_idx may be NULL. */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx);
/* Write p to the inactive slot, then flip the selector. */
int ng_policy_commit(int pol_fd, int sel_fd, __u32 live, const struct ng_policy *p);
void ng_policy_print(FILE *f, const struct ng_policy *p, bool json);
/* The keys with their defaults (set --help). */
void ng_policy_help(FILE *f);

#endif

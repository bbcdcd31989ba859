/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the live policy's keys (one table: name, type, range, help),
 * their parsing and printing; the double-buffered policy maps.
 */
#ifndef NG_POLICY_H
#define NG_POLICY_H

#include <stdbool.h>
#include <stdio.h>

#include "ntpguard.h"

/* Parse "KEY=VALUE" into *p; print why not and return -1. */
int ng_policy_assign(const char *arg, struct ng_policy *p);
/* KEY and VALUE into *p; -1 with why not in err (nothing printed). */
int ng_policy_set(struct ng_policy *p, const char *key, const char *val, char *err,
		  size_t len);
/* The keys, in table order: name, the value in p as `set` takes it, help,
 * the words a value may be ("drop ratecap pass", "on off"; NULL: an
 * integer). */
size_t ng_policy_nkeys(void);
const char *ng_policy_key(size_t i);
bool ng_policy_is_key(const char *name);
void ng_policy_value(const struct ng_policy *p, size_t i, char *buf, size_t len);
const char *ng_policy_key_help(size_t i);
const char *ng_policy_key_values(size_t i);
/*
 * The double-buffered policy maps, by fd; silent, 0 or -errno (state.h
 * wraps them for the commands). Read: the live policy (defaults if none
 * was written), live_idx may be NULL. Commit: p to the inactive slot, then
 * the selector flipped in one 4-byte store.
 */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx);
int ng_policy_commit(int pol_fd, int sel_fd, __u32 live, const struct ng_policy *p);
void ng_policy_print(FILE *f, const struct ng_policy *p, bool json);
/* The keys with their defaults (set --help). */
void ng_policy_help(FILE *f);

#endif

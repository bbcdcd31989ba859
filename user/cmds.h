/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NG_CMDS_H
#define NG_CMDS_H

#include <stdbool.h>
#include <stdio.h>
#include "ntpguard.h"

/* Each command parses its own options; returns an NG_EXIT_* code. */
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_set(int argc, char **argv);

/* "attached", "detached" or "gone", checked against the kernel. */
const char *ng_live_state(const struct ng_ifrec *r);

/* The live policy (defaults if none written); live_idx may be NULL. */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx);
void ng_policy_print(FILE *f, const struct ng_policy *p, bool json);

#endif

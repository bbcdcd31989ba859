/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hook.h - what is attached where, read from the kernel: XDP programs
 * through libxdp (dispatcher or legacy attach), ntpguard's TC egress filter,
 * and whether an attachment record still holds.
 */
#ifndef NG_HOOK_H
#define NG_HOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "ntpguard.h"

/* libxdp's messages are kept (and shown with -v), not printed. */
void ng_hook_init(void);
void ng_hook_log_reset(void);
/* Since the reset: did libxdp say it could not use its dispatcher? */
bool ng_hook_dispatcher_refused(void);
const char *ng_hook_errstr(int err);

/* Is XDP program id attached to ifindex; how (NG_MODE_*, NG_PATH_*)? */
bool ng_xdp_find(int ifindex, __u32 id, __u8 *mode, __u8 *path);
/* A program attached without libxdp's dispatcher, which we do not replace. */
bool ng_xdp_foreign_legacy(int ifindex, char *name, size_t len, __u32 *id);
/* Program id of ntpguard's TC egress filter on ifindex, 0 if none. */
__u32 ng_tc_prog(int ifindex);
/* TC filters on ifindex's clsact qdisc (both hooks); -1 if unknown. */
int ng_tc_filter_count(int ifindex);

/* Is the program of record r attached where r says? */
bool ng_rec_live(const struct ng_ifrec *r);
/* "attached", "detached" or "gone" (attached records of another network
 * namespace cannot be checked from here: "attached"). */
const char *ng_live_state(const struct ng_ifrec *r);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* check_targets.h - `ntpguard check`'s arguments to the hosts of a scan. */
#ifndef NG_CHECK_TARGETS_H
#define NG_CHECK_TARGETS_H

#include "check_scan.h"

/* Add the hosts of one TARGET: 0, -1 runtime error (name resolution, out
 * of memory), -2 bad argument; the message is printed. budget: how many
 * more hosts --max-hosts allows. */
int check_add_target(struct scan *s, const char *arg, unsigned long long *budget);
/* Drop hosts named twice (overlapping targets), keeping argument order. */
int check_dedupe(struct scan *s);

#endif

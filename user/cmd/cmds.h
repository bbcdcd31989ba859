/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cmds.h - the commands, one file each in user/cmd/, named after it. Each
 * declares its options as a table (params.h); main.c dispatches.
 * Every command returns an NG_EXIT_* code; check and audit add their own.
 */
#ifndef NG_CMDS_H
#define NG_CMDS_H

#include "params.h"

/* Every command, in the order `ntpguard --help` lists them; NULL ends it
 * (main.c). */
extern const struct ng_cmd *const ng_cmds[];
void ng_usage(FILE *f);

extern const struct ng_cmd apply_cmd, load_cmd, unload_cmd, status_cmd, allow_cmd,
	stats_cmd, top_cmd, export_cmd, set_cmd, watch_cmd, check_cmd, audit_cmd,
	reflectors_cmd, help_cmd;

/* stats --watch (stats_watch.c) */
int ng_stats_watch(double interval);

#endif

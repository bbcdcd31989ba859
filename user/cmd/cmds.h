/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cmds.h - the commands, one file each in user/cmd/, named after it. Each
 * declares its options as a table (params.h); main.c dispatches.
 * Every command returns an NG_EXIT_* code; check and audit add their own.
 */
#ifndef NG_CMDS_H
#define NG_CMDS_H

#include "params.h"

extern const struct ng_cmd load_cmd, unload_cmd, status_cmd, allow_cmd, stats_cmd,
	top_cmd, export_cmd, set_cmd, watch_cmd, check_cmd, audit_cmd, reflectors_cmd;

/* audit.c: the lines `audit` would add to a configuration held in memory,
 * for a daemon `version` ("4.2.6p5", "ntpsec-1.2.2", "chrony"), joined by
 * newlines into out; how many. The notices of `reflectors` use them. */
int audit_fix_lines(const char *buf, size_t len, const char *version, char *out,
		    size_t outlen);

/* stats --watch (stats_watch.c) */
int ng_stats_watch(double interval);

#endif

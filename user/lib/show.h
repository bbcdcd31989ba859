/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * show.h - what status, stats and top print, as text or JSON, from a
 * snapshot (snapshot.h). The Prometheus text of a snapshot is prom.h's.
 */
#ifndef NG_SHOW_H
#define NG_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "snapshot.h"

/* NG_SNAP_IFACES | NG_SNAP_ALLOW | NG_SNAP_RATE; also when not loaded. */
void ng_show_status(FILE *f, const struct ng_snapshot *s, const char *pin_dir, bool json);
/* NG_SNAP_COUNTERS */
void ng_show_stats(FILE *f, const struct ng_snapshot *s, bool json);
/* NG_SNAP_KEYS: the n keys with the most drops per list; -1: out of memory. */
int ng_show_top(FILE *f, const struct ng_snapshot *s, unsigned n, bool json);

#endif

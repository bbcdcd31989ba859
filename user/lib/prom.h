/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prom.h - the Prometheus text exposition of a snapshot (NG_SNAP_PROM):
 * `stats --prom` prints it, `export` writes it for node_exporter.
 */
#ifndef NG_PROM_H
#define NG_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "snapshot.h"

/* What only the exporter knows; NULL from `stats --prom`. */
struct ng_prom_export {
	double timestamp;       /* Unix seconds this content is produced at */
	unsigned long long failures;
	double interval;        /* export --interval: the reflector gauge's window */
};

/* ntpguard_reflectors counts servers seen within this many seconds when
 * there is no exporter interval (stats --prom). */
#define NG_PROM_REFL_WINDOW 60

/* The text exposition of s; returns 0, or -1 if f reports an error. */
int ng_prom_write(FILE *f, const struct ng_snapshot *s,
		  const struct ng_prom_export *x);

/* Prometheus label value: backslash, double quote and newline escaped. */
void ng_prom_label(FILE *f, const char *s);

#endif

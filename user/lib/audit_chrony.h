/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_chrony.h - chrony.conf: what chronyd serves and to whom (it never
 * answers NTP mode 6 or 7), and telling a chrony.conf from an ntp.conf.
 */
#ifndef NG_AUDIT_CHRONY_H
#define NG_AUDIT_CHRONY_H

#include "audit_model.h"

/* Only in chrony.conf(5), never in ntp.conf: decides the file type. */
extern const char *const chrony_only[];

/* ntp or chrony? by name, then by which directives the file uses */
bool audit_looks_chrony(const char *path);

/* Read path (an include at depth > 0, named on from:from_line) into r. */
void audit_read_chrony(struct report *r, const char *path, int depth, const char *from,
		       int from_line);
/* One line of a chrony.conf (an audit_line_fn). */
void audit_chrony_line(struct report *r, const char *file, int lineno, char *line,
		       int depth, char **stack);
/* The verdict and findings of a chrony.conf read into r. */
void audit_analyse_chrony(struct report *r);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_ntp.h - the ntpd / ntpsec configuration parser: reads ntp.conf and
 * its includes into a report (restrict lines, interface/nic rules, enable/
 * disable, 'end'), with a finding for every line ntpd would not take.
 */
#ifndef NG_AUDIT_NTP_H
#define NG_AUDIT_NTP_H

#include "audit_model.h"

/* Read path (an include at depth > 0, named on from:from_line) into r.
 * stack: the real paths of the files being read (include loops). */
void audit_read_ntp(struct report *r, const char *path, int depth, const char *from,
		    int from_line, char **stack);

/* One line of an ntp.conf (an audit_line_fn). */
void audit_ntp_line(struct report *r, const char *file, int lineno, char *line,
		    int depth, char **stack);

#endif

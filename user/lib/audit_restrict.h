/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_restrict.h - one restrict / unrestrict line of an ntp.conf: what
 * each possible daemon kind makes of it (struct rline in audit_model.h).
 */
#ifndef NG_AUDIT_RESTRICT_H
#define NG_AUDIT_RESTRICT_H

#include "audit_model.h"

/* restrict / unrestrict [-4|-6] ADDRESS [mask M] [flag...]: the tokens of
 * the line (audit_ntp_scan.h), text as written; appended to r->r. */
void audit_parse_restrict(struct report *r, const char *file, int lineno, char **tok,
			  const char *tk, int n, const char *text);

/* An address line for 127/8 or ::1. */
bool audit_rline_loopback(const struct rline *l);

#endif

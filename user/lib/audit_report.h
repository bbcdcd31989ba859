/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* audit_report.h - an audit report as text, or as one JSON object. */
#ifndef NG_AUDIT_REPORT_H
#define NG_AUDIT_REPORT_H

#include <stdio.h>

#include "audit_model.h"

void audit_print_text(const struct report *r, FILE *out);
void audit_print_json(const struct report *r, FILE *out);

/* "safe", "at-risk", "unknown": a verdict's JSON name. */
const char *audit_verdict_name(int verdict);

#endif

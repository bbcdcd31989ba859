/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* check_report.h - a finished scan as text, or JSON with s->o.json. */
#ifndef NG_CHECK_REPORT_H
#define NG_CHECK_REPORT_H

#include <stdio.h>

#include "check_scan.h"

void check_report(FILE *f, const struct scan *s, double elapsed);

#endif

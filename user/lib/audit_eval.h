/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_eval.h - what an ntp.conf read into a report means: for each
 * address family, whether other hosts get mode 6/7 answers (the default
 * restrict entries, per possible daemon kind, and the sockets they can
 * reach); the verdict, the findings that explain it and the lines to add.
 */
#ifndef NG_AUDIT_EVAL_H
#define NG_AUDIT_EVAL_H

#include "audit_model.h"

void audit_analyse_ntp(struct report *r);

#endif

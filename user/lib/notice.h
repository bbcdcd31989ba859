/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * notice.h - `ntpguard reflectors --notice`: a message for the owner of each
 * reflecting server, from a template (data/reflector-notice.txt, built in;
 * NG_NOTICE_ETC_PATH or --template override it, so a provider can
 * translate it). Before writing, the servers are probed the way `check`
 * does (its engine, its limits, the local ntpguard's flows let through):
 * only a server that answers monlist with data gets a notice, with the
 * amplification measured.
 *
 * Template: '#' lines are comments; {{name}} a value; {{#name}}..{{/name}}
 * kept when the value is known, {{^name}}..{{/name}} when it is not.
 */
#ifndef NG_NOTICE_H
#define NG_NOTICE_H

#include <stdbool.h>
#include <stdio.h>

#include "reflist.h"

#define NG_NOTICE_ETC_PATH "/etc/ntpguard/reflector-notice.txt"

struct ng_notice_opts {
	bool confirm;                   /* probe first; notices for confirmed servers only */
	bool json;                      /* [{"address", "subject", "body", ...}] */
	const char *template_path;      /* NULL: NG_NOTICE_ETC_PATH if present, else built in */
	double timeout, rate;           /* check's, for the probes */
	/* The lines to fix an ntpd of `version` (NULL: unknown), indented. */
	void (*ntpd_fix)(const char *version, char *out, size_t len);
};

/* Print the notices; an NG_EXIT_* code. */
int ng_notices(FILE *f, const struct ng_reflist *l, const struct ng_notice_opts *o);

/* Render one template with values (NULL-terminated name/value pairs). */
char *ng_notice_render(const char *tmpl, const char *const *vars);

#endif

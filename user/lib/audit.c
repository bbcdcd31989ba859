// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit.c - the entry points (see audit.h): parser, evaluation and printer
 * run over one file or over one buffer.
 */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "audit.h"
#include "audit_chrony.h"
#include "audit_eval.h"
#include "audit_ntp.h"
#include "audit_report.h"

const char *audit_type_name(unsigned kinds)
{
	return !(kinds & K_NTPSEC) ? "ntpd" : !(kinds & K_CLASSIC) ? "ntpsec" : "ntpd or ntpsec";
}

static void ntp_setup(struct report *r, const struct audit_version *ver, unsigned kinds,
		      const char *vernote)
{
	r->chrony = false;
	r->ver = *ver;
	r->kinds = kinds;
	r->type = audit_strdup(audit_type_name(kinds));
	snprintf(r->vernote, sizeof(r->vernote), "%s", vernote);
}

void audit_ntp_file(struct report *r, const struct audit_version *ver, unsigned kinds,
		    const char *vernote)
{
	char *stack[AUDIT_MAX_INCLUDE_DEPTH + 2] = { 0 };

	ntp_setup(r, ver, kinds, vernote);
	audit_read_ntp(r, r->path, 0, r->path, 0, stack);
	audit_analyse_ntp(r);
}

void audit_chrony_file(struct report *r)
{
	r->chrony = true;
	r->type = audit_strdup("chrony");
	audit_read_chrony(r, r->path, 0, r->path, 0);
	audit_analyse_chrony(r);
}

/* audit_buffer()'s daemon: the version given, or unknown; or chrony. */
static void buffer_setup(struct report *r, const char *version)
{
	struct audit_version ver = { 0 };
	char note[sizeof(r->vernote)];
	struct ktext kt;

	if (version && !strcmp(version, "chrony")) {
		r->chrony = true;
		r->type = audit_strdup("chrony");
		return;
	}
	if (version && !audit_version_parse(version, &ver, false)) {
		snprintf(ver.text, sizeof(ver.text), "%s", version);
		snprintf(ver.how, sizeof(ver.how), "given");
		snprintf(note, sizeof(note), "%s (given)", version);
	} else {
		memset(&ver, 0, sizeof(ver));
		snprintf(note, sizeof(note), "version unknown; assuming any of: %s",
			 audit_kinds_text(K_ALL, &kt));
	}
	ntp_setup(r, &ver, audit_version_kinds(&ver), note);
}

/* Evaluate a configuration held in memory (never the file system). */
static void audit_mem(struct report *r, const char *buf, size_t len, const char *version)
{
	char *stack[AUDIT_MAX_INCLUDE_DEPTH + 2] = { 0 };
	FILE *f = NULL;

	r->path = "(buffer)";
	r->no_fs = true;
	buffer_setup(r, version);
	if (len)
		f = fmemopen((void *)buf, len, "r");
	if (len && !f) {
		ng_err("fmemopen: %s", strerror(errno));
		r->unreadable = true;
	}
	if (f) {
		audit_read_stream(r, f, audit_keep_file(r, r->path),
				  r->chrony ? audit_chrony_line : audit_ntp_line, 0, stack);
		fclose(f);
	}
	if (r->chrony)
		audit_analyse_chrony(r);
	else
		audit_analyse_ntp(r);
}

int audit_buffer(const char *buf, size_t len, const char *version, bool json, FILE *out)
{
	struct report r = { 0 };
	int verdict;

	audit_mem(&r, buf, len, version);
	if (json)
		audit_print_json(&r, out);
	else
		audit_print_text(&r, out);
	verdict = r.verdict;
	audit_report_free(&r);
	return verdict;
}

int audit_fix_lines(const char *buf, size_t len, const char *version, char *out,
		    size_t outlen)
{
	struct report r = { 0 };
	size_t n = 0;
	int count;

	audit_mem(&r, buf, len, version);
	out[0] = 0;
	for (size_t i = 0; i < r.nadd && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? "\n" : "", r.add[i]);
	count = (int)r.nadd;
	audit_report_free(&r);
	return count;
}

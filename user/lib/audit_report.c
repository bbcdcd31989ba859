// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_report.c - an audit report (see audit_report.h): the per-family
 * answer, the findings by severity, file and line, the verdict and the
 * fix, as text or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "audit_model.h"
#include "audit_report.h"

static const char *const sev_name[] = { "risk", "error", "warning", "info" };

const char *audit_verdict_name(int v)
{
	return v == NG_EXIT_OK ? "safe" : v == AUDIT_EXIT_RISK ? "at-risk" : "unknown";
}

static const char *tri_json(enum tri t)
{
	return t == T_YES ? "true" : t == T_NO ? "false" : "null";
}

static const struct report *sort_r;

/* severity, then files in the order read, then line; stable */
static int finding_cmp(const void *pa, const void *pb)
{
	const struct finding *a = *(const struct finding *const *)pa;
	const struct finding *b = *(const struct finding *const *)pb;
	int fa = -1, fb = -1;

	if (a->sev != b->sev)
		return (int)a->sev - (int)b->sev;
	for (size_t i = 0; i < sort_r->nfiles; i++) {
		if (a->file && !strcmp(a->file, sort_r->files[i]) && fa < 0)
			fa = (int)i;
		if (b->file && !strcmp(b->file, sort_r->files[i]) && fb < 0)
			fb = (int)i;
	}
	if (fa != fb)
		return fa - fb;
	if (a->line != b->line)
		return a->line - b->line;
	return a < b ? -1 : a > b;
}

/* Findings in printing order (caller frees). */
static const struct finding **sorted_findings(const struct report *r)
{
	const struct finding **v = calloc(r->nf + 1, sizeof(*v));

	if (!v) {
		ng_err("out of memory");
		exit(NG_EXIT_FAIL);
	}
	for (size_t i = 0; i < r->nf; i++)
		v[i] = &r->f[i];
	sort_r = r;
	qsort(v, r->nf, sizeof(*v), finding_cmp);
	return v;
}

static void text_findings(const struct report *r, FILE *out)
{
	const struct finding **sf = sorted_findings(r);
	static const char *const tag[] = { "RISK", "ERROR", "warning", "info" };

	for (size_t i = 0; i < r->nf; i++) {
		const struct finding *f = sf[i];

		fprintf(out, "  %-7s ", tag[f->sev]);
		if (f->line && f->file && strcmp(f->file, r->path))
			fprintf(out, "%s line %d: ", f->file, f->line);
		else if (f->line)
			fprintf(out, "line %d: ", f->line);
		fprintf(out, "%s\n", f->msg);
	}
	free(sf);
}

void audit_print_text(const struct report *r, FILE *out)
{
	fprintf(out, "%s: %s configuration\n", r->path, r->type);
	if (!r->chrony && !r->unreadable)
		fprintf(out, "  ntpd: %s\n", r->vernote);
	if (!r->chrony && !r->unreadable)
		for (int f = 0; f < 2; f++)
			fprintf(out, "  IPv%d: mode 6/7 queries from other hosts %s\n", f ? 6 : 4,
				r->reach[f] == T_NO ? "not answered (no socket they can reach)" :
				r->refused[f] == T_YES ? "refused" :
				r->refused[f] == T_NO ? "ANSWERED" : "maybe answered");
	text_findings(r, out);
	fprintf(out, "  verdict: %s\n", r->verdict == NG_EXIT_OK ? (r->chrony ?
		"SAFE (chronyd answers no mode 6/7)" : "SAFE (mode 6/7 refused to other hosts)") :
		r->verdict == AUDIT_EXIT_RISK ? "AT RISK (other hosts can send mode 6/7 queries)" :
		"COULD NOT TELL");
	if (r->nadd) {
		fprintf(out, "  fix: add at the end of %s, then restart %s:\n", r->path,
			r->kinds & K_CLASSIC ? "ntpd" : "ntpsec");
		for (size_t i = 0; i < r->nadd; i++)
			fprintf(out, "    %s\n", r->add[i]);
	}
	for (size_t i = 0; i < r->nrm; i++)
		fprintf(out, "  %s %s%sline %d: %s\n", r->nadd ? "and remove" : "fix: remove",
			strcmp(r->rm[i].file, r->path) ? r->rm[i].file : "",
			strcmp(r->rm[i].file, r->path) ? " " : "", r->rm[i].line, r->rm[i].text);
}

/* A JSON array of strings. */
static void json_strs(FILE *out, char *const *v, size_t n)
{
	fprintf(out, "[");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s", i ? ", " : "");
		ng_json_str(out, v[i]);
	}
	fprintf(out, "]");
}

static void json_findings(const struct report *r, FILE *out)
{
	const struct finding **sf = sorted_findings(r);

	fprintf(out, "[");
	for (size_t i = 0; i < r->nf; i++) {
		fprintf(out, "%s{\"severity\": \"%s\", \"file\": ", i ? ", " : "",
			sev_name[sf[i]->sev]);
		ng_json_str(out, sf[i]->file ? sf[i]->file : r->path);
		if (sf[i]->line)
			fprintf(out, ", \"line\": %d", sf[i]->line);
		else
			fprintf(out, ", \"line\": null");
		fprintf(out, ", \"message\": ");
		ng_json_str(out, sf[i]->msg);
		fprintf(out, "}");
	}
	fprintf(out, "]");
	free(sf);
}

static void json_fix(const struct report *r, FILE *out)
{
	fprintf(out, "{\"add\": ");
	json_strs(out, r->add, r->nadd);
	fprintf(out, ", \"remove\": [");
	for (size_t i = 0; i < r->nrm; i++) {
		fprintf(out, "%s{\"file\": ", i ? ", " : "");
		ng_json_str(out, r->rm[i].file);
		fprintf(out, ", \"line\": %d, \"text\": ", r->rm[i].line);
		ng_json_str(out, r->rm[i].text);
		fprintf(out, "}");
	}
	fprintf(out, "]}");
}

void audit_print_json(const struct report *r, FILE *out)
{
	struct ktext kt;

	fprintf(out, "{\"path\": ");
	ng_json_str(out, r->path);
	fprintf(out, ", \"type\": ");
	ng_json_str(out, r->type);
	fprintf(out, ", \"verdict\": \"%s\", \"ntpd_version\": ", audit_verdict_name(r->verdict));
	if (r->ver.known && !r->chrony)
		ng_json_str(out, r->ver.text);
	else
		fprintf(out, "null");
	fprintf(out, ", \"daemons\": ");
	ng_json_str(out, r->chrony ? "chrony" : audit_kinds_text(r->kinds, &kt));
	fprintf(out, ", \"queries_refused\": {\"ipv4\": %s, \"ipv6\": %s}",
		tri_json(r->refused[0]), tri_json(r->refused[1]));
	fprintf(out, ", \"reachable\": {\"ipv4\": %s, \"ipv6\": %s}",
		r->chrony || r->unreadable ? "null" : tri_json(r->reach[0]),
		r->chrony || r->unreadable ? "null" : tri_json(r->reach[1]));
	fprintf(out, ", \"files_read\": ");
	json_strs(out, r->files, r->nfiles);
	fprintf(out, ", \"findings\": ");
	json_findings(r, out);
	fprintf(out, ", \"fix\": ");
	json_fix(r, out);
	fprintf(out, "}");
}

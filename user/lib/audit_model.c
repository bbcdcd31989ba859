// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_model.c - the report (see audit_model.h): findings, lines to add
 * or remove, the files read, and the line reader both parsers use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "audit_model.h"

static void __attribute__((noreturn)) out_of_memory(void)
{
	ng_err("out of memory");
	exit(NG_EXIT_FAIL);
}

void *audit_grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	q = realloc(p, *cap * sz);
	if (!q)
		out_of_memory();
	return q;
}

char *audit_strdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		out_of_memory();
	return d;
}

void audit_str_append(char **dst, const char *s)
{
	size_t a = *dst ? strlen(*dst) : 0;
	char *n = realloc(*dst, a + strlen(s) + 3);

	if (!n)
		out_of_memory();
	if (a)
		strcpy(n + a, ", ");
	strcpy(n + a + (a ? 2 : 0), s);
	*dst = n;
}

bool audit_in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(w, *list))
			return true;
	return false;
}

void audit_finding(struct report *r, enum sev sev, const char *file, int line,
		   const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->f = audit_grow(r->f, &r->capf, r->nf, sizeof(*r->f));
	r->f[r->nf].sev = sev;
	r->f[r->nf].file = file;
	r->f[r->nf].line = line;
	r->f[r->nf].msg = audit_strdup(buf);
	r->nf++;
}

void audit_fix(struct report *r, const char *fmt, ...)
{
	char buf[512];
	size_t cap = r->nadd;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->nadd; i++)
		if (!strcmp(r->add[i], buf))
			return;
	r->add = audit_grow(r->add, &cap, r->nadd, sizeof(*r->add));
	r->add[r->nadd++] = audit_strdup(buf);
}

void audit_removal(struct report *r, const char *file, int line, const char *text)
{
	size_t cap = r->nrm;

	r->rm = audit_grow(r->rm, &cap, r->nrm, sizeof(*r->rm));
	r->rm[r->nrm].file = file;
	r->rm[r->nrm].line = line;
	r->rm[r->nrm].text = audit_strdup(text);
	r->nrm++;
}

const char *audit_keep_file(struct report *r, const char *path)
{
	size_t cap = r->nfiles;

	r->files = audit_grow(r->files, &cap, r->nfiles, sizeof(*r->files));
	r->files[r->nfiles] = audit_strdup(path);
	return r->files[r->nfiles++];
}

void audit_read_stream(struct report *r, FILE *f, const char *name, audit_line_fn *fn,
		       int depth, char **stack)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (lineno > AUDIT_MAX_LINES) {
			audit_finding(r, S_ERROR, name, lineno, "more than %d lines: the rest is "
				      "not read", AUDIT_MAX_LINES);
			r->include_unknown = true;
			break;
		}
		if ((size_t)len != strlen(line)) {
			audit_finding(r, S_ERROR, name, lineno, "NUL byte: this is not a text file");
			r->include_unknown = true;
			break;
		}
		if (len >= AUDIT_MAX_LINE) {
			/* not read: what ntpd makes of it is not known */
			audit_finding(r, S_ERROR, name, lineno, "line longer than %d characters: "
				      "not read", AUDIT_MAX_LINE - 1);
			r->include_unknown = true;
			continue;
		}
		fn(r, name, lineno, line, depth, stack);
	}
	free(line);
}

int audit_read_lines(struct report *r, const char *path, audit_line_fn *fn, int depth,
		     char **stack, int *err)
{
	FILE *f = fopen(path, "re");
	struct stat st;

	if (!f || fstat(fileno(f), &st) || S_ISDIR(st.st_mode)) {
		*err = !f ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno;
		if (f)
			fclose(f);
		return -1;
	}
	audit_read_stream(r, f, audit_keep_file(r, path), fn, depth, stack);
	fclose(f);
	return 0;
}

void audit_report_free(struct report *r)
{
	for (size_t i = 0; i < r->nf; i++)
		free(r->f[i].msg);
	free(r->f);
	free(r->r);
	free(r->nic);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	for (size_t i = 0; i < r->nadd; i++)
		free(r->add[i]);
	free(r->add);
	for (size_t i = 0; i < r->nrm; i++)
		free(r->rm[i].text);
	free(r->rm);
	free(r->allow);
	free(r->cmdallow);
	free(r->bindcmd);
	free(r->enable_mode7_text);
	free(r->type);
}

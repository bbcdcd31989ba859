// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Notices to the owners of reflecting servers (see notice.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "check_local.h"
#include "check_scan.h"
#include "check_targets.h"
#include "notice.h"

#include "notice_template.h"

/* ---- the template ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static const char *value(const char *const *vars, const char *name, size_t len)
{
	for (; vars[0]; vars += 2)
		if (strlen(vars[0]) == len && !strncmp(vars[0], name, len))
			return vars[1] ? vars[1] : "";
	return NULL;
}

char *ng_notice_render(const char *tmpl, const char *const *vars)
{
	struct buf out = { 0 };
	const char *p = tmpl;
	bool skip = false;      /* inside a section that is not shown */

	put(&out, "", 0);
	while (*p) {
		const char *open, *close, *v;
		bool bol = p == tmpl || p[-1] == '\n';

		/* comment lines */
		if (bol && *p == '#') {
			p += strcspn(p, "\n");
			p += *p == '\n';
			continue;
		}
		open = strstr(p, "{{");
		close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			if (!skip)
				put(&out, p, strlen(p));
			break;
		}
		/* text up to the tag, but never past a line end (comments) */
		if (memchr(p, '\n', (size_t)(open - p))) {
			const char *nl = memchr(p, '\n', (size_t)(open - p));

			if (!skip)
				put(&out, p, (size_t)(nl + 1 - p));
			p = nl + 1;
			continue;
		}
		if (!skip)
			put(&out, p, (size_t)(open - p));
		if (open[2] == '#' || open[2] == '^' || open[2] == '/') {
			v = value(vars, open + 3, (size_t)(close - open - 3));
			if (open[2] == '/')
				skip = false;
			else
				skip = (open[2] == '#') != (v && v[0]);
			p = close + 2;
			/* a tag alone on its line leaves no empty line */
			if (open == p - (close + 2 - open) && (open == tmpl || open[-1] == '\n') &&
			    *p == '\n')
				p++;
			continue;
		}
		v = value(vars, open + 2, (size_t)(close - open - 2));
		if (!skip) {
			if (v)
				put(&out, v, strlen(v));
			else    /* unknown names stay as written: a visible typo */
				put(&out, open, (size_t)(close + 2 - open));
		}
		p = close + 2;
	}
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	return out.p;
}

static char *load_template(const char *path, bool must)
{
	FILE *f = fopen(path, "re");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		if (must || errno != ENOENT)
			ng_err("cannot read the notice template %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		char *t;
		size_t r;

		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 16384;
			t = cap > (1u << 20) ? NULL : realloc(b, cap + 1);
			if (!t) {
				ng_err("notice template %s: too large", path);
				free(b);
				fclose(f);
				return NULL;
			}
			b = t;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (!r)
			break;
	}
	fclose(f);
	b[n] = 0;
	return b;
}

/* ---- confirming ------------------------------------------------------------------- */

/* Probe every listed address with check's engine; NULL-free s on failure. */
static int confirm(const struct ng_reflist *l, const struct ng_notice_opts *o,
		   struct scan *s, struct check_local *local)
{
	unsigned long long budget = CHECK_MAX_MAX_HOSTS;

	memset(s, 0, sizeof(*s));
	s->o.timeout = o->timeout;
	s->o.rate = o->rate;
	s->o.max_hosts = CHECK_MAX_MAX_HOSTS;
	s->o.want4 = s->o.want6 = true;
	s->o.progress = 0;
	for (int i = 0; i < l->n; i++)
		if (check_add_target(s, l->e[i].addr, &budget))
			return -1;
	if (check_dedupe(s)) {
		ng_err("out of memory");
		return -1;
	}
	check_local_begin(local, s);
	if (check_scan_run(s)) {
		check_local_end(local);
		return -1;
	}
	check_local_end(local);
	return 0;
}

static const struct host *host_of(const struct scan *s, const char *addr)
{
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; s && i < s->n; i++) {
		inet_ntop(s->h[i].family, &s->h[i].a, a, sizeof(a));
		if (!strcmp(a, addr))
			return &s->h[i];
	}
	return NULL;
}

/* The probe that got the most bytes (of mode 7 first), or -1. */
static int worst(const struct host *h)
{
	int w = -1;

	for (int i = 0; i < PR__COUNT; i++)
		if (h->s[i].outcome == PO_DATA && probe_defs[i].mode == 7 &&
		    (w < 0 || h->s[i].bytes > h->s[w].bytes))
			w = i;
	return w;
}

/* ---- the notices ------------------------------------------------------------------ */

static void json_notice(FILE *f, bool first, const struct ng_refl_entry *e, const char *text,
			const char *verdict)
{
	const char *body = text;
	char subject[512] = "";

	if (!strncmp(text, "Subject: ", 9)) {
		size_t n = strcspn(text + 9, "\n");

		snprintf(subject, sizeof(subject), "%.*s", (int)n, text + 9);
		body = text + 9 + n;
		body += strspn(body, "\n");
	}
	fprintf(f, "%s\n  {\"address\": \"%s\", \"interface\": ", first ? "" : ",", e->addr);
	ng_json_str(f, e->ifname);
	fprintf(f, ", \"check_verdict\": ");
	if (verdict)
		ng_json_str(f, verdict);
	else
		fprintf(f, "null");
	fprintf(f, ", \"subject\": ");
	ng_json_str(f, subject);
	fprintf(f, ", \"body\": ");
	ng_json_str(f, body);
	fprintf(f, "}");
}

/* One notice: the template filled in for entry e (h: its probe, or NULL). */
static char *render_one(const struct ng_refl_entry *e, const struct host *h,
			const struct ng_notice_opts *o, const char *tmpl)
{
	char first[40], last[40], pk[24], by[24], vic[40], cpk[24], cby[24], baf[24],
	     ipf[24], req[16], fix[2048];
	const char *probe = "", *version = "", *confirmed = "";
	int w;

	ng_utc_text(e->first_s, first, sizeof(first));
	ng_utc_text(e->last_s, last, sizeof(last));
	snprintf(pk, sizeof(pk), "%" PRIu64, (uint64_t)e->packets);
	snprintf(by, sizeof(by), "%" PRIu64, (uint64_t)e->bytes);
	snprintf(vic, sizeof(vic), "%s%" PRIu64, e->victims_more ? "more than " : "",
		 (uint64_t)e->victims);
	cpk[0] = cby[0] = baf[0] = ipf[0] = req[0] = 0;
	if (h && (w = worst(h)) >= 0) {
		unsigned hl = h->family == AF_INET ? 28 : 48;

		confirmed = "yes";
		probe = probe_defs[w].key;
		snprintf(req, sizeof(req), "%u", probe_defs[w].req_len);
		snprintf(cpk, sizeof(cpk), "%u", h->s[w].pkts);
		snprintf(cby, sizeof(cby), "%lu", h->s[w].bytes);
		snprintf(baf, sizeof(baf), "%.1f", (double)h->s[w].bytes / probe_defs[w].req_len);
		snprintf(ipf, sizeof(ipf), "%.1f", ((double)h->s[w].bytes +
			 (double)h->s[w].pkts * hl) / (probe_defs[w].req_len + hl));
		version = h->version ? h->version : "";
	}
	o->ntpd_fix(version[0] ? version : NULL, fix, sizeof(fix));
	{
		const char *const vars[] = {
			"address", e->addr, "interface", e->ifname,
			"direction", e->direction, "behind", e->where_text,
			"first_seen", first, "last_seen", last, "packets", pk,
			"bytes", by, "victims", vic, "confirmed", confirmed,
			"check_probe", probe, "check_request", req,
			"check_packets", cpk, "check_bytes", cby, "check_baf", baf,
			"check_ip_factor", ipf, "version", version, "ntpd_fix", fix,
			NULL, NULL,
		};

		return ng_notice_render(tmpl ? tmpl : ng_notice_builtin, vars);
	}
}

/* After the notices: the JSON's closing fields, or what the text run says. */
static void notices_end(FILE *f, const struct ng_reflist *l, const struct ng_notice_opts *o,
			const struct check_local *local, bool scanned, int written, int skipped)
{
	if (o->json)
		fprintf(f, "%s], \"skipped\": %d, \"local_ntpguard\": ", written ? "\n" : "",
			skipped);
	if (o->json && scanned)
		check_local_json(f, local);
	else if (o->json)
		fprintf(f, "null");
	if (o->json)
		fprintf(f, "}\n");
	if (!o->json && scanned && local->state != CL_NOT_LOADED)
		check_local_text(stderr, local);
	if (!written && !o->json)
		fprintf(stderr, "ntpguard: no notice written (%d server%s listed, %d not "
			"confirmed)\n", l->n, l->n == 1 ? "" : "s", skipped);
}

int ng_notices(FILE *f, const struct ng_reflist *l, const struct ng_notice_opts *o)
{
	static const char *const vkey[V__COUNT] = {
		[V_VULNERABLE] = "vulnerable", [V_M7_NODATA] = "mode7-no-data",
		[V_M6_ONLY] = "mode6-only", [V_SILENT] = "not-answering", [V_ERROR] = "error",
	};
	struct check_local local = { 0 };
	struct scan s = { 0 };
	char *tmpl = NULL;
	int written = 0, skipped = 0, ret = NG_EXIT_OK;
	bool scanned = false;

	if (o->template_path) {
		tmpl = load_template(o->template_path, true);
		if (!tmpl)
			return NG_EXIT_FAIL;
	} else {
		tmpl = load_template(NG_NOTICE_ETC_PATH, false);
	}
	if (o->confirm && l->n) {
		if (confirm(l, o, &s, &local)) {
			ret = NG_EXIT_FAIL;
			goto out;
		}
		scanned = true;
	}
	if (o->json)
		fprintf(f, "{\"confirmed_by_probe\": %s, \"notices\": [", o->confirm ? "true" : "false");
	for (int i = 0; i < l->n; i++) {
		const struct ng_refl_entry *e = &l->e[i];
		const struct host *h = scanned ? host_of(&s, e->addr) : NULL;
		char *text;
		bool dup = false;

		/* one notice per address, even when seen on two interfaces */
		for (int j = 0; j < i; j++)
			dup |= !strcmp(l->e[j].addr, e->addr);
		if (dup)
			continue;
		if (scanned && (!h || h->v != V_VULNERABLE)) {
			fprintf(stderr, "ntpguard: %s: no notice: not confirmed (check: %s)%s\n",
				e->addr, h ? vkey[h->v] : "not probed",
				h && h->v != V_VULNERABLE ? "; it no longer answers monlist with data" :
				"");
			skipped++;
			continue;
		}
		text = render_one(e, h, o, tmpl);
		if (!text) {
			ng_err("out of memory");
			ret = NG_EXIT_FAIL;
			goto out;
		}
		if (o->json)
			json_notice(f, !written, e, text, h ? vkey[h->v] : NULL);
		else
			fprintf(f, "%s%s", written ? "\n-----8<-----\n\n" : "", text);
		free(text);
		written++;
	}
	notices_end(f, l, o, &local, scanned, written, skipped);
out:
	if (scanned || s.h)
		check_free(&s);
	free(tmpl);
	return ret;
}

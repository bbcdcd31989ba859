// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Option tables: the parser and the --help text made from them (see
 * params.h). getopt_long does the scanning; this file turns a table into
 * its arguments, stores each value through the typed parsers of parse.c
 * and reports every error in one style.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "params.h"

#define MAX_OPTS   32           /* per command, --help included */
#define LONG_VAL   256          /* getopt value of long-only option i: LONG_VAL + i */
#define HELP_VAL   'h'

static size_t count_opts(const struct ng_opt *o)
{
	size_t n = 0;

	if (!o)
		return 0;
	while (o[n].type != NG_OPT_NONE)
		n++;
	return n;
}

static int opt_val(const struct ng_opt *o, size_t i)
{
	return o->short_opt ? o->short_opt : LONG_VAL + (int)i;
}

static bool takes_value(const struct ng_opt *o)
{
	return o->type != NG_OPT_FLAG && o->type != NG_OPT_SET;
}

/* "--mode", or "-n" for a short-only option. */
static const char *opt_name(const struct ng_opt *o, char *buf, size_t len)
{
	if (o->name)
		snprintf(buf, len, "--%s", o->name);
	else
		snprintf(buf, len, "-%c", o->short_opt);
	return buf;
}

/* A table is code: a wrong type for the config member is a bug, found on
 * the first run of the command. */
static void check_size(const struct ng_opt *o)
{
	size_t want = 0;
	char n[64];

	switch (o->type) {
	case NG_OPT_FLAG: want = sizeof(bool); break;
	case NG_OPT_SET:
	case NG_OPT_ENUM: want = sizeof(int); break;
	case NG_OPT_STR: want = sizeof(const char *); break;
	case NG_OPT_LIST: want = sizeof(struct ng_strv); break;
	case NG_OPT_NUM: want = sizeof(double); break;
	case NG_OPT_UINT:
		want = o->size == sizeof(uint32_t) ? sizeof(uint32_t) :
						     sizeof(unsigned long long);
		break;
	default: break;
	}
	if (o->size != want) {
		fprintf(stderr, "ntpguard: internal error: option %s has the wrong type\n",
			opt_name(o, n, sizeof(n)));
		abort();
	}
}

/* getopt_long's arguments for a table, --help added. */
static void getopt_args(const struct ng_cmd *c, struct option *lo, char *so)
{
	const struct ng_opt *opts = c->opts;
	size_t n = count_opts(opts), l = 0, s = 0;

	if (n + 2 > MAX_OPTS)
		abort();
	if (c->flags & NG_CMD_IN_ORDER)
		so[s++] = '+';
	for (size_t i = 0; i < n; i++) {
		const struct ng_opt *o = &opts[i];
		int has = !takes_value(o) ? no_argument :
			  o->flags & NG_OPT_OPTIONAL ? optional_argument : required_argument;

		check_size(o);
		if (o->name)
			lo[l++] = (struct option){ o->name, has, NULL, opt_val(o, i) };
		if (o->short_opt) {
			so[s++] = (char)o->short_opt;
			if (has != no_argument)
				so[s++] = ':';
			if (has == optional_argument)
				so[s++] = ':';
		}
	}
	lo[l++] = (struct option){ "help", no_argument, NULL, HELP_VAL };
	lo[l] = (struct option){ 0 };
	so[s++] = HELP_VAL;
	so[s] = 0;
}

int ng_cmd_usage_err(const struct ng_cmd *c, const char *fmt, ...)
{
	char syn[512];
	va_list ap;

	va_start(ap, fmt);
	fputs("ntpguard: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	ng_cmd_synopsis(c, syn, sizeof(syn));
	fprintf(stderr, "usage: %s\n(see --help)\n", syn);
	return NG_EXIT_USAGE;
}

/* Does WORD ("--mode", "--mo", "--json=1") name the long option of val? */
static bool word_names(const struct ng_opt *opts, const char *word, int val)
{
	size_t n = strcspn(word + 2, "=");

	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++)
		if (opt_val(&opts[i], i) == val && opts[i].name &&
		    !strncmp(opts[i].name, word + 2, n))
			return true;
	return false;
}

/* The word getopt refused: a long option as written, or the short option
 * (whose word may still be in use, in a bundle like -xj). */
static int bad_option(const struct ng_cmd *c, char **argv)
{
	const char *w = optind > 0 ? argv[optind - 1] : "?";
	char buf[4] = "-?";
	bool is_long = !strncmp(w, "--", 2) && w[2] &&
		       (!optopt || word_names(c->opts, w, optopt));

	if (!is_long) {
		buf[1] = (char)optopt;
		w = buf;
	}
	return ng_cmd_usage_err(c, "unknown option, or option without its value: '%s'", w);
}

static int value_err(const struct ng_cmd *c, const struct ng_opt *o, const char *v)
{
	char n[64], what[160];

	switch (o->type) {
	case NG_OPT_UINT:
		snprintf(what, sizeof(what), "an integer in %llu..%llu", o->min, o->max);
		break;
	case NG_OPT_NUM:
		snprintf(what, sizeof(what), "%s in %g..%g", o->what ? o->what : "a number",
			 o->dmin, o->dmax);
		break;
	case NG_OPT_ENUM:
		ng_enum_list(o->vals, NULL, what, sizeof(what));
		break;
	default:
		snprintf(what, sizeof(what), "a usable value");
		break;
	}
	return ng_cmd_usage_err(c, "%s: '%s' is not %s", opt_name(o, n, sizeof(n)), v, what);
}

static int store(const struct ng_cmd *c, const struct ng_opt *o, void *cfg,
		 const char *v, int argc)
{
	char *p = (char *)cfg + o->off;
	unsigned long long u;
	uint32_t u32;
	double d;
	bool yes = true;
	int e;

	switch (o->type) {
	case NG_OPT_FLAG:
		memcpy(p, &yes, sizeof(yes));
		return 0;
	case NG_OPT_SET:
		memcpy(p, &o->set, sizeof(o->set));
		return 0;
	case NG_OPT_STR:
		memcpy(p, &v, sizeof(v));
		return 0;
	case NG_OPT_LIST: {
		struct ng_strv sv;

		memcpy(&sv, p, sizeof(sv));
		if (!sv.v && !(sv.v = calloc((size_t)argc, sizeof(*sv.v))))
			return ng_cmd_usage_err(c, "out of memory");
		sv.v[sv.n++] = v;       /* at most one value per word of argv */
		memcpy(p, &sv, sizeof(sv));
		return 0;
	}
	case NG_OPT_UINT:
		if (ng_parse_uint(v, o->min, o->max, &u))
			return value_err(c, o, v);
		u32 = (uint32_t)u;
		if (o->size == sizeof(u32))
			memcpy(p, &u32, sizeof(u32));
		else
			memcpy(p, &u, sizeof(u));
		return 0;
	case NG_OPT_NUM:
		if (ng_parse_decimal(v, o->dmin, o->dmax, &d))
			return value_err(c, o, v);
		memcpy(p, &d, sizeof(d));
		return 0;
	case NG_OPT_ENUM:
		if (ng_parse_enum(v, o->vals, &e))
			return value_err(c, o, v);
		memcpy(p, &e, sizeof(e));
		return 0;
	default:
		return value_err(c, o, v);
	}
}

/* After the scan: exclusive groups and required options. */
static int check_given(const struct ng_cmd *c, const bool *given)
{
	const struct ng_opt *opts = c->opts;
	size_t n = count_opts(opts);
	char msg[256], name[64];

	for (int g = 1; g <= 8; g++) {
		size_t set = 0, len = 0, k = 0, in = 0;

		for (size_t i = 0; i < n; i++) {
			in += opts[i].group == g;
			set += opts[i].group == g && given[i];
		}
		if (set < 2)
			continue;
		/* "--json, --prom and --watch" */
		for (size_t i = 0; i < n; i++) {
			if (opts[i].group != g)
				continue;
			k++;
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
						k == 1 ? "" : k == in ? " and " : ", ",
						opt_name(&opts[i], name, sizeof(name)));
		}
		return ng_cmd_usage_err(c, "%s exclude each other", msg);
	}
	for (size_t i = 0; i < n; i++)
		if ((opts[i].flags & NG_OPT_REQUIRED) && !given[i])
			return ng_cmd_usage_err(c, "%s: no %s %s given", c->name,
						opt_name(&opts[i], name, sizeof(name)),
						opts[i].metavar ? opts[i].metavar : "");
	return NG_CONTINUE;
}

static const struct ng_opt *find_opt(const struct ng_opt *opts, int val, size_t *idx)
{
	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++)
		if (opt_val(&opts[i], i) == val) {
			*idx = i;
			return &opts[i];
		}
	return NULL;
}

int ng_parse(const struct ng_cmd *c, void *cfg, int argc, char **argv, int *first)
{
	struct option lo[MAX_OPTS];
	char so[3 * MAX_OPTS + 2];
	bool given[MAX_OPTS] = { false };
	int ch;

	getopt_args(c, lo, so);
	opterr = 0;             /* the messages are ours */
	optind = 0;             /* a fresh scan */
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		const struct ng_opt *o;
		const char *v = optarg;
		size_t i;

		if (ch == HELP_VAL) {
			ng_cmd_help(c, stdout);
			return NG_EXIT_OK;
		}
		o = find_opt(c->opts, ch, &i);
		if (!o)
			return bad_option(c, argv);
		/* "--watch 2" as well as "--watch=2" */
		if ((o->flags & NG_OPT_OPTIONAL) && !v && optind < argc &&
		    argv[optind][0] != '-')
			v = argv[optind++];
		if ((o->flags & NG_OPT_OPTIONAL) && !v)
			v = o->dflt;    /* given without its value */
		if (store(c, o, cfg, v, argc))
			return NG_EXIT_USAGE;
		given[i] = true;
	}
	ch = check_given(c, given);
	if (ch != NG_CONTINUE)
		return ch;
	if (!c->args && optind < argc)
		return ng_cmd_usage_err(c, "%s: unexpected argument '%s'%s%s%s", c->name,
					argv[optind], c->hint ? " (" : "",
					c->hint ? c->hint : "", c->hint ? ")" : "");
	*first = optind;
	return NG_CONTINUE;
}

/* ---- usage line and --help ------------------------------------------------ */

struct buf {
	char *s;
	size_t len, used;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n;
}

/* "--mode native|skb", "--watch [SECONDS]", "-n N", "--json" */
static void syn_opt(struct buf *b, const struct ng_opt *o)
{
	char vals[128];

	if (o->name)
		put(b, "--%s", o->name);
	else
		put(b, "-%c", o->short_opt);
	if (!takes_value(o))
		return;
	if (o->type == NG_OPT_ENUM)
		ng_enum_list(o->vals, "|", vals, sizeof(vals));
	else
		snprintf(vals, sizeof(vals), "%s", o->metavar ? o->metavar : "VALUE");
	put(b, (o->flags & NG_OPT_OPTIONAL) ? " [%s]" : " %s", vals);
}

static bool short_only_flags(const struct ng_opt *opts, int g)
{
	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++)
		if (opts[i].group == g && (opts[i].name || takes_value(&opts[i])))
			return false;
	return true;
}

/* An exclusive group once, at its first member: "[-4|-6]", "[--a | --b N]". */
static void syn_group(struct buf *b, const struct ng_opt *opts, size_t first)
{
	int g = opts[first].group;
	const char *sep = short_only_flags(opts, g) ? "|" : " | ";

	put(b, " [");
	for (size_t i = first, k = 0; opts[i].type != NG_OPT_NONE; i++) {
		if (opts[i].group != g)
			continue;
		put(b, "%s", k++ ? sep : "");
		syn_opt(b, &opts[i]);
		put(b, "%s", opts[i].type == NG_OPT_LIST ? "..." : "");
	}
	put(b, "]");
}

void ng_cmd_synopsis(const struct ng_cmd *c, char *s, size_t len)
{
	const struct ng_opt *opts = c->opts;
	struct buf b = { s, len, 0 };
	unsigned groups_done = 0;

	s[0] = 0;
	put(&b, "ntpguard %s", c->name);
	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++) {
		const struct ng_opt *o = &opts[i];
		bool req = o->flags & NG_OPT_REQUIRED, list = o->type == NG_OPT_LIST;

		if (o->flags & NG_OPT_NOSYN)
			continue;
		if (o->group) {
			if (!(groups_done & (1u << o->group)))
				syn_group(&b, opts, i);
			groups_done |= 1u << o->group;
			continue;
		}
		put(&b, req ? " " : " [");
		syn_opt(&b, o);
		put(&b, req ? "" : "]");
		if (list && req) {
			put(&b, " [");
			syn_opt(&b, o);
			put(&b, "]");
		}
		put(&b, list ? "..." : "");
	}
	if (c->args)
		put(&b, " %s", c->args);
}

/* "  -m, --mode MODE", "      --match PATTERN", "  -n N" */
static void help_left(const struct ng_opt *o, char *s, size_t len)
{
	struct buf b = { s, len, 0 };

	s[0] = 0;
	if (o->short_opt && o->name)
		put(&b, "  -%c, --%s", o->short_opt, o->name);
	else if (o->name)
		put(&b, "      --%s", o->name);
	else
		put(&b, "  -%c", o->short_opt);
	if (takes_value(o))
		put(&b, (o->flags & NG_OPT_OPTIONAL) ? " [%s]" : " %s",
		    o->metavar ? o->metavar : "VALUE");
}

static void help_line(FILE *f, const char *left, int width, const char *help)
{
	const char *l = help;

	fprintf(f, "%-*s", width, left);
	while (l && *l) {
		const char *nl = strchr(l, '\n');
		int n = nl ? (int)(nl - l) : (int)strlen(l);

		fprintf(f, "%.*s\n", n, l);
		l = nl ? nl + 1 : NULL;
		if (l && *l)
			fprintf(f, "%-*s", width, "");
	}
	if (!help || !*help)
		fputc('\n', f);
}

void ng_cmd_help(const struct ng_cmd *c, FILE *f)
{
	const struct ng_opt *opts = c->opts;
	char syn[512], left[96];
	int width = (int)strlen("  -h, --help");

	ng_cmd_synopsis(c, syn, sizeof(syn));
	fprintf(f, "usage: %s\n\n%s\n", syn, c->doc ? c->doc : "");
	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++) {
		help_left(&opts[i], left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	width += 3;
	for (size_t i = 0; opts[i].type != NG_OPT_NONE; i++) {
		help_left(&opts[i], left, sizeof(left));
		help_line(f, left, width, opts[i].help);
	}
	help_line(f, "  -h, --help", width, "this help");
	if (c->help_more)
		c->help_more(f);
	if (c->epilog)
		fprintf(f, "\n%s", c->epilog);
}

/* ---- JSON (ntpguard help --json) -------------------------------------------- */

static const char *type_name(enum ng_opt_type t)
{
	switch (t) {
	case NG_OPT_FLAG:
	case NG_OPT_SET: return "flag";
	case NG_OPT_STR: return "string";
	case NG_OPT_LIST: return "list";
	case NG_OPT_UINT: return "integer";
	case NG_OPT_NUM: return "number";
	case NG_OPT_ENUM: return "enum";
	default: return "none";
	}
}

static const char *trim_left(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

static void json_kv(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "%s\"%s\": ", comma ? ", " : "", key);
	if (val)
		ng_json_str(f, val);
	else
		fputs("null", f);
}

void ng_cmd_json(const struct ng_cmd *c, FILE *f)
{
	char syn[512], left[96], *more = NULL;
	size_t more_len = 0;
	FILE *m;

	ng_cmd_synopsis(c, syn, sizeof(syn));
	if (c->help_more && (m = open_memstream(&more, &more_len))) {
		c->help_more(m);
		fclose(m);
	}
	fputc('{', f);
	json_kv(f, "name", c->name, false);
	json_kv(f, "summary", c->summary, true);
	json_kv(f, "synopsis", syn, true);
	json_kv(f, "args", c->args, true);
	json_kv(f, "doc", c->doc, true);
	json_kv(f, "more", more, true);
	json_kv(f, "epilog", c->epilog, true);
	free(more);
	fprintf(f, ", \"options\": [");
	for (size_t i = 0; c->opts[i].type != NG_OPT_NONE; i++) {
		const struct ng_opt *o = &c->opts[i];
		char sh[3] = { '-', (char)o->short_opt, 0 };

		help_left(o, left, sizeof(left));
		fprintf(f, "%s{", i ? ", " : "");
		json_kv(f, "long", o->name, false);
		json_kv(f, "short", o->short_opt ? sh : NULL, true);
		json_kv(f, "metavar", takes_value(o) ? (o->metavar ? o->metavar : "VALUE") :
			NULL, true);
		json_kv(f, "type", type_name(o->type), true);
		json_kv(f, "left", trim_left(left), true);
		json_kv(f, "help", o->help, true);
		fprintf(f, ", \"values\": [");
		for (size_t k = 0; o->type == NG_OPT_ENUM && o->vals[k].name; k++) {
			fprintf(f, "%s", k ? ", " : "");
			ng_json_str(f, o->vals[k].name);
		}
		fprintf(f, "], \"required\": %s, \"optional_value\": %s, \"group\": %d}",
			o->flags & NG_OPT_REQUIRED ? "true" : "false",
			o->flags & NG_OPT_OPTIONAL ? "true" : "false", o->group);
	}
	fprintf(f, "]}");
}

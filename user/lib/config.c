// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The configuration file (see config.h and ntpguard.conf(5)).
 *
 * Line-oriented: "[section ARG...]" headers, "key = value" lines, bare
 * prefixes in [allow]. Every error is reported with its file and line and
 * the loader goes on to the end, so one run shows every mistake; the
 * result is only used when there was none.
 */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <libgen.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "attach.h"
#include "policy.h"
#include "config.h"
#include "version.h"

#define MAX_SHOWN_ERRORS 30
#define LINE_MAX_LEN     4096

const char *ng_conf_default_path(void)
{
	return NG_CONFIG_PATH;
}

/* ---- bookkeeping ------------------------------------------------------------ */

enum section { S_NONE, S_POLICY, S_ALLOW, S_INTERFACE, S_WATCH, S_EXPORT, S_MAPS };

struct loader {
	struct ng_conf *c;
	struct ng_conf_at at;
	enum section sec;
	int sec_first, sec_count;       /* the [interface]/[watch] entries of sec */
	struct ng_conf_at seen[S_MAPS + 1];     /* singleton sections */
	/* keys set in the current section, for "set twice" */
	struct { char key[40]; int line; } keys[64];
	int n_keys;
	bool skip;                      /* lines of a bad section header */
};

static void conf_err(struct loader *L, const struct ng_conf_at *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void conf_err(struct loader *L, const struct ng_conf_at *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	L->c->errors++;
	if (L->c->errors > MAX_SHOWN_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at->line)
		ng_err("%s:%d: %s", at->file, at->line, msg);
	else
		ng_err("%s: %s", at->file, msg);
}

static const char *keep_file(struct ng_conf *c, const char *path)
{
	char **f = realloc(c->files, (size_t)(c->n_files + 1) * sizeof(*f));

	if (!f)
		return path;
	c->files = f;
	f[c->n_files] = strdup(path);
	return f[c->n_files] ? f[c->n_files++] : path;
}

static void *grow(void *p, int n, size_t size)
{
	/* capacity doubles at powers of two */
	if (n && (n & (n - 1)))
		return p;
	return realloc(p, (size_t)(n ? 2 * n : 8) * size);
}

/* ---- words ----------------------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* A '#' at the start or after a blank begins a comment. */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = 0;
			return;
		}
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A name the kernel would take for an interface. */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t')
			return false;
	return true;
}

static const struct ng_enum dir_words[] = {
	{ "ingress", NG_WANT_INGRESS }, { "egress", NG_WANT_EGRESS },
	{ "both", NG_WANT_BOTH }, { NULL },
};
static const struct ng_enum mode_words[] = {
	{ "auto", XDP_MODE_UNSPEC }, { "native", XDP_MODE_NATIVE }, { "skb", XDP_MODE_SKB },
	{ NULL },
};

const char *ng_conf_dirs_name(unsigned dirs)
{
	const char *n = ng_enum_name(dir_words, (int)dirs);

	return n ? n : "none";
}

const char *ng_conf_mode_name(int mode)
{
	const char *n = ng_enum_name(mode_words, mode);

	return n ? n : "auto";
}

/* ---- sections ---------------------------------------------------------------- */

static void add_entry(struct loader *L, const char *name, bool watch)
{
	struct ng_conf *c = L->c;
	struct ng_conf_if **arr = watch ? &c->watch : &c->ifs, *e;
	int *n = watch ? &c->n_watch : &c->n_ifs;

	for (int i = 0; i < *n; i++)
		if (!strcmp((*arr)[i].name, name)) {
			conf_err(L, &L->at, "[%s %s] was already given at line %d",
				 watch ? "watch" : "interface", name, (*arr)[i].at.line);
			return;
		}
	e = grow(*arr, *n, sizeof(**arr));
	if (!e) {
		conf_err(L, &L->at, "out of memory");
		return;
	}
	*arr = e;
	e = &(*arr)[(*n)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->dirs = NG_WANT_INGRESS;
	e->mode = XDP_MODE_UNSPEC;
	e->at = L->at;
	L->sec_count++;
}

static void section(struct loader *L, char *line)
{
	static const struct { const char *name; enum section s; bool arg; } secs[] = {
		{ "policy", S_POLICY, false }, { "allow", S_ALLOW, false },
		{ "interface", S_INTERFACE, true }, { "watch", S_WATCH, true },
		{ "export", S_EXPORT, false }, { "maps", S_MAPS, false },
	};
	char *end = strchr(line, ']'), *name, *arg, *save = NULL;
	size_t i;

	L->sec = S_NONE;
	L->skip = true;         /* until this header is found good */
	L->n_keys = 0;
	if (!end || trim(end + 1)[0]) {
		conf_err(L, &L->at, "a section header is [NAME] or [NAME ARGUMENT] alone on "
			 "its line");
		return;
	}
	*end = 0;
	name = trim(line + 1);
	arg = strpbrk(name, " \t");
	if (arg) {
		*arg++ = 0;
		arg = trim(arg);
	}
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (!strcmp(name, secs[i].name))
			break;
	if (i == sizeof(secs) / sizeof(secs[0])) {
		conf_err(L, &L->at, "unknown section [%s] (sections: policy, allow, interface "
			 "NAME, watch PATTERN, export, maps)", name);
		return;
	}
	if (!secs[i].arg && arg && *arg) {
		conf_err(L, &L->at, "[%s] takes no argument", name);
		return;
	}
	if (secs[i].arg && (!arg || !*arg)) {
		conf_err(L, &L->at, "[%s] needs %s", name,
			 secs[i].s == S_WATCH ? "one or more patterns: [watch vnet* tap*]" :
			 "an interface name: [interface eth0]");
		return;
	}
	if (!secs[i].arg) {
		if (L->seen[secs[i].s].line) {
			conf_err(L, &L->at, "[%s] was already given at line %d", name,
				 L->seen[secs[i].s].line);
			return;
		}
		L->seen[secs[i].s] = L->at;
	}
	L->sec = secs[i].s;
	L->skip = false;
	L->sec_count = 0;
	if (L->sec == S_INTERFACE) {
		L->sec_first = L->c->n_ifs;
		if (has_glob(arg))
			conf_err(L, &L->at, "[interface %s]: a pattern; interfaces that come and "
				 "go are a [watch %s] section", arg, arg);
		else if (strpbrk(arg, " \t"))
			conf_err(L, &L->at, "[interface ...] names one interface; give each "
				 "its own section");
		else if (!ifname_ok(arg))
			conf_err(L, &L->at, "'%s' is not an interface name (1 to %d characters, "
				 "no '/', ':' or blanks)", arg, IF_NAMESIZE - 1);
		else
			add_entry(L, arg, false);
	} else if (L->sec == S_WATCH) {
		L->sec_first = L->c->n_watch;
		save = NULL;
		for (char *p = strtok_r(arg, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
			if (strlen(p) >= NG_CONF_NAME_MAX || strchr(p, '/'))
				conf_err(L, &L->at, "'%s' is not an interface name pattern", p);
			else
				add_entry(L, p, true);
		}
	}
}

/* "set twice" within a section */
static bool key_again(struct loader *L, const char *key)
{
	for (int i = 0; i < L->n_keys; i++)
		if (!strcmp(L->keys[i].key, key)) {
			conf_err(L, &L->at, "%s was already set at line %d", key,
				 L->keys[i].line);
			return true;
		}
	if (L->n_keys < (int)(sizeof(L->keys) / sizeof(L->keys[0]))) {
		snprintf(L->keys[L->n_keys].key, sizeof(L->keys[0].key), "%s", key);
		L->keys[L->n_keys++].line = L->at.line;
	}
	return false;
}

/* ---- [allow] --------------------------------------------------------------------- */

static void add_prefix(struct loader *L, const char *word)
{
	struct ng_conf *c = L->c;
	struct ng_conf_prefix *p;
	struct ng_cidr cidr;
	char fixed[64];

	switch (ng_parse_cidr(word, &cidr)) {
	case NG_CIDR_OK:
		break;
	case NG_CIDR_BAD_LEN:
		conf_err(L, &L->at, "'%s': prefix length must be 0..%u", word,
			 ng_cidr_bits(&cidr));
		return;
	case NG_CIDR_HOST_BITS:
		ng_cidr_format(&cidr, fixed, sizeof(fixed));
		conf_err(L, &L->at, "'%s' has host bits set (did you mean %s?)", word, fixed);
		return;
	default:
		conf_err(L, &L->at, "'%s' is not an IPv4 or IPv6 address or prefix", word);
		return;
	}
	p = grow(c->allow, c->n_allow, sizeof(*p));
	if (!p) {
		conf_err(L, &L->at, "out of memory");
		return;
	}
	c->allow = p;
	c->allow[c->n_allow] = (struct ng_conf_prefix){ .cidr = cidr, .at = L->at,
						       .seq = c->n_allow };
	c->n_allow++;
}

/* A file of prefixes: one per line, '#' comments, blank lines. */
static void read_prefix_file(struct loader *L, const char *path)
{
	struct ng_conf_at saved = L->at;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		conf_err(L, &L->at, "cannot read prefix file %s: %s", path, strerror(errno));
		return;
	}
	L->c->n_allow_files++;
	L->at.file = keep_file(L->c, path);
	L->at.line = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *w, *rest;

		L->at.line++;
		cut_comment(line);
		w = trim(line);
		if (!*w)
			continue;
		rest = strpbrk(w, " \t");
		if (rest && *trim(rest)) {
			conf_err(L, &L->at, "one prefix per line ('%s')", w);
			continue;
		}
		if (rest)
			*rest = 0;
		add_prefix(L, w);
	}
	if (ferror(f))
		conf_err(L, &L->at, "error reading %s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	L->at = saved;
}

/* file = PATH: relative to the configuration's directory; a glob may match
 * nothing, a plain path must exist. */
static void prefix_files(struct loader *L, const char *value)
{
	char path[PATH_MAX], dir[PATH_MAX];
	glob_t g;
	int r;

	snprintf(dir, sizeof(dir), "%s", L->c->path);
	if (value[0] == '/')
		snprintf(path, sizeof(path), "%s", value);
	else if (snprintf(path, sizeof(path), "%s/%s", dirname(dir), value) >= (int)sizeof(path)) {
		conf_err(L, &L->at, "path too long: %s", value);
		return;
	}
	if (!has_glob(value)) {
		read_prefix_file(L, path);
		return;
	}
	r = glob(path, GLOB_ERR, NULL, &g);
	if (r == GLOB_NOMATCH)
		return;
	if (r) {
		conf_err(L, &L->at, "cannot expand %s: %s", path, strerror(errno));
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		read_prefix_file(L, g.gl_pathv[i]);
	globfree(&g);
}

/* ---- key = value --------------------------------------------------------------- */

static void iface_key(struct loader *L, const char *key, const char *val)
{
	struct ng_conf_if *arr = L->sec == S_WATCH ? L->c->watch : L->c->ifs;
	const char *what = L->sec == S_WATCH ? "[watch]" : "[interface]";
	int v;

	if (!strcmp(key, "direction")) {
		if (ng_parse_enum(val, dir_words, &v)) {
			conf_err(L, &L->at, "direction: '%s' is not ingress, egress or both", val);
			return;
		}
		for (int i = L->sec_first; i < L->sec_first + L->sec_count; i++)
			arr[i].dirs = (unsigned)v;
	} else if (!strcmp(key, "mode")) {
		if (ng_parse_enum(val, mode_words, &v)) {
			conf_err(L, &L->at, "mode: '%s' is not auto, native or skb", val);
			return;
		}
		for (int i = L->sec_first; i < L->sec_first + L->sec_count; i++)
			arr[i].mode = v;
	} else if (ng_policy_is_key(key) || !strcmp(key, "allow") || !strcmp(key, "file")) {
		conf_err(L, &L->at, "%s: per-interface %s is not supported yet; set it for "
			 "every interface in [%s]", what, !strcmp(key, "allow") ||
			 !strcmp(key, "file") ? "allow-list" : "policy",
			 ng_policy_is_key(key) ? "policy" : "allow");
	} else {
		conf_err(L, &L->at, "%s: unknown key '%s' (keys: direction, mode)", what, key);
	}
}

static void key_value(struct loader *L, char *line, char *eq)
{
	struct ng_conf *c = L->c;
	unsigned long long u;
	char *key, *val, err[256];
	double d;

	*eq = 0;
	key = trim(line);
	val = trim(eq + 1);
	if (!*key || !*val) {
		conf_err(L, &L->at, "expected KEY = VALUE");
		return;
	}
	if (L->sec != S_ALLOW && key_again(L, key))
		return;
	switch (L->sec) {
	case S_POLICY:
		if (ng_policy_set(&c->policy, key, val, err, sizeof(err)))
			conf_err(L, &L->at, "%s", err);
		else
			c->n_policy_keys++;
		break;
	case S_ALLOW:
		if (strcmp(key, "file"))
			conf_err(L, &L->at, "[allow]: unknown key '%s' (a prefix per line, or "
				 "file = PATH)", key);
		else
			prefix_files(L, val);
		break;
	case S_INTERFACE:
	case S_WATCH:
		iface_key(L, key, val);
		break;
	case S_EXPORT:
		if (!strcmp(key, "dir")) {
			if (val[0] != '/' || strlen(val) > PATH_MAX - 64)
				conf_err(L, &L->at, "dir: '%s' is not an absolute directory name",
					 val);
			else
				snprintf(c->export_dir, sizeof(c->export_dir), "%s", val);
		} else if (!strcmp(key, "interval")) {
			if (ng_parse_decimal(val, 0.1, 86400, &d))
				conf_err(L, &L->at, "interval: '%s' is not a number of seconds "
					 "in 0.1..86400", val);
			else
				c->export_interval = d;
		} else {
			conf_err(L, &L->at, "[export]: unknown key '%s' (keys: dir, interval)",
				 key);
		}
		break;
	case S_MAPS:
		if (!strcmp(key, "max_sources")) {
			if (ng_parse_uint(val, 16, 1u << 24, &u))
				conf_err(L, &L->at, "max_sources: '%s' is not an integer in "
					 "16..%u", val, 1u << 24);
			else
				c->max_sources = (__u32)u;
		} else if (!strcmp(key, "max_reflectors")) {
			if (ng_parse_uint(val, 16, 1u << 20, &u))
				conf_err(L, &L->at, "max_reflectors: '%s' is not an integer in "
					 "16..%u", val, 1u << 20);
			else
				c->max_reflectors = (__u32)u;
		} else {
			conf_err(L, &L->at, "[maps]: unknown key '%s' (keys: max_sources, "
				 "max_reflectors)", key);
		}
		break;
	default:
		break;
	}
}

static void config_line(struct loader *L, char *raw)
{
	char *line, *eq;

	cut_comment(raw);
	line = trim(raw);
	if (!*line)
		return;
	if (line[0] == '[') {
		section(L, line);
		return;
	}
	eq = strchr(line, '=');
	if (L->skip)
		return;         /* the rest of a bad section */
	if (L->sec == S_NONE) {
		if (!L->seen[S_NONE].line)      /* said once */
			conf_err(L, &L->at, "'%s' is outside any section (start with "
				 "[policy], [allow], [interface NAME], ...)", line);
		L->seen[S_NONE] = L->at;
		return;
	}
	if (L->sec == S_ALLOW && !eq) {
		char *rest = strpbrk(line, " \t");

		if (rest && *trim(rest)) {
			conf_err(L, &L->at, "one prefix per line ('%s')", line);
			return;
		}
		if (rest)
			*rest = 0;
		add_prefix(L, line);
		return;
	}
	if (!eq) {
		conf_err(L, &L->at, "expected KEY = VALUE, not '%s'", line);
		return;
	}
	key_value(L, line, eq);
}

/* ---- the whole file ----------------------------------------------------------- */

static int cmp_prefix(const void *a, const void *b)
{
	const struct ng_conf_prefix *x = a, *y = b;
	int r = ng_cidr_cmp(&x->cidr, &y->cidr);

	/* equal prefixes: the one read first ahead, the later one is the repeat */
	return r ? r : x->seq - y->seq;
}

/* Sort, and keep each prefix once (a warning names both places). */
static void dedupe(struct ng_conf *c)
{
	int n = 0, warned = 0;

	if (!c->n_allow)
		return;
	qsort(c->allow, (size_t)c->n_allow, sizeof(*c->allow), cmp_prefix);
	for (int i = 0; i < c->n_allow; i++) {
		if (n && ng_cidr_eq(&c->allow[n - 1].cidr, &c->allow[i].cidr)) {
			char txt[64];

			if (warned++ < 10) {
				ng_cidr_format(&c->allow[i].cidr, txt, sizeof(txt));
				fprintf(stderr, "ntpguard: warning: %s:%d: %s is also at %s:%d; "
					"listed once\n", c->allow[i].at.file, c->allow[i].at.line,
					txt, c->allow[n - 1].at.file, c->allow[n - 1].at.line);
			}
			continue;
		}
		c->allow[n++] = c->allow[i];
	}
	if (warned > 10)
		fprintf(stderr, "ntpguard: warning: %d more duplicated prefixes, each "
			"listed once\n", warned - 10);
	c->n_allow = n;
}

int ng_conf_load(const char *path, struct ng_conf *c)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct loader L = { .c = c };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->policy = def;
	c->export_interval = 15;
	snprintf(c->export_dir, sizeof(c->export_dir), "%s", NG_EXPORT_DIR);
	if (strlen(path) >= sizeof(c->path)) {
		ng_err("%s: path too long", path);
		return ++c->errors;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	L.at.file = keep_file(c, path);
	f = fopen(path, "re");
	if (!f) {
		conf_err(&L, &L.at, "cannot read the configuration: %s", strerror(errno));
		return c->errors;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		L.at.line++;
		if (n > LINE_MAX_LEN) {
			conf_err(&L, &L.at, "line longer than %d characters", LINE_MAX_LEN);
			continue;
		}
		if (memchr(line, 0, (size_t)n)) {
			conf_err(&L, &L.at, "a NUL character: not a text file");
			break;
		}
		config_line(&L, line);
	}
	if (ferror(f))
		conf_err(&L, &L.at, "error reading: %s", strerror(errno));
	free(line);
	fclose(f);
	if (c->errors > MAX_SHOWN_ERRORS)
		ng_err("%s: %d more errors not shown", path, c->errors - MAX_SHOWN_ERRORS);
	if (!c->errors)
		dedupe(c);
	return c->errors;
}

void ng_conf_free(struct ng_conf *c)
{
	for (int i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->ifs);
	free(c->watch);
	free(c->allow);
	memset(c, 0, sizeof(*c));
}

const struct ng_conf_if *ng_conf_match(const struct ng_conf *c, const char *ifname)
{
	for (int i = 0; i < c->n_ifs; i++)
		if (!strcmp(c->ifs[i].name, ifname))
			return &c->ifs[i];
	for (int i = 0; i < c->n_watch; i++)
		if (!fnmatch(c->watch[i].name, ifname, 0))
			return &c->watch[i];
	return NULL;
}

bool ng_conf_is_watch(const struct ng_conf *c, const struct ng_conf_if *e)
{
	for (int i = 0; i < c->n_watch; i++)
		if (e == &c->watch[i])
			return true;
	return false;
}

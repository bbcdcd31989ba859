// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check: probe NTP servers the way ntpdc and nmap do, and report which ones
 * a reflection attacker could use (monlist, CVE-2013-5211). The targets,
 * the probe engine and the report are lib/check_*.c; the requests and the
 * reply parser lib/probe.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "pins.h"
#include "reflist.h"
#include "check_local.h"
#include "check_scan.h"
#include "check_targets.h"
#include "check_report.h"
#include "params.h"
#include "cmds.h"

#define CHECK_EXIT_VULNERABLE 3

static const struct ng_opt check_opts[] = {
	NG_OPT(NG_OPT_NUM, struct check_opts, timeout, "timeout", 't', .metavar = "S",
	       .dmin = 0.05, .dmax = 60, .what = "a number of seconds",
	       .help = "wait S seconds for each probe's replies (default "
		       NG_STR(CHECK_DEF_TIMEOUT) ")"),
	NG_OPT(NG_OPT_NUM, struct check_opts, rate, "rate", 'r', .metavar = "N",
	       .dmin = 0.1, .dmax = 10000,
	       .help = "send at most N requests per second, strictly\n"
		       "spaced (default " NG_STR(CHECK_DEF_RATE) ", at most 10000)"),
	NG_OPT(NG_OPT_UINT, struct check_opts, max_hosts, "max-hosts", 0, .metavar = "N",
	       .min = 1, .max = CHECK_MAX_MAX_HOSTS,
	       .help = "refuse to scan more than N hosts in total (default\n"
		       NG_STR(CHECK_DEF_MAX_HOSTS) ": a /22 or /118; at most "
		       NG_STR(CHECK_MAX_MAX_HOSTS) ")"),
	NG_OPT(NG_OPT_FLAG, struct check_opts, only4, NULL, '4', .group = 1,
	       .help = "IPv4 addresses only"),
	NG_OPT(NG_OPT_FLAG, struct check_opts, only6, NULL, '6', .group = 1,
	       .help = "IPv6 addresses only"),
	NG_OPT(NG_OPT_FLAG, struct check_opts, all, "all", 'a', .flags = NG_OPT_NOSYN,
	       .help = "also list every host that did not answer"),
	NG_OPT(NG_OPT_SET, struct check_opts, progress, "progress", 0, .set = 1,
	       .flags = NG_OPT_NOSYN,
	       .help = "progress on stderr (default: when stdout and stderr\n"
		       "are terminals, without --json, for more than one host)"),
	NG_OPT(NG_OPT_SET, struct check_opts, progress, "no-progress", 0, .set = 0,
	       .flags = NG_OPT_NOSYN, .help = "no progress on stderr"),
	NG_OPT(NG_OPT_FLAG, struct check_opts, json, "json", 'j',
	       .help = "machine-readable output on stdout"),
	NG_OPT(NG_OPT_FLAG, struct check_opts, from_reflectors, "from-reflectors", 'R',
	       .help = "also probe every server in ntpguard's reflector\n"
		       "table (`ntpguard reflectors`; needs root)"),
	NG_OPT(NG_OPT_STR, struct check_opts, since, "since", 0, .metavar = "DURATION",
	       .flags = NG_OPT_NOSYN,
	       .help = "with --from-reflectors: only those seen within\n"
		       "DURATION (90s, 15m, 2h, 7d)"),
	NG_OPT(NG_OPT_LIST, struct check_opts, files, "from-file", 'f', .metavar = "FILE",
	       .help = "also probe the targets in FILE (- for stdin): one\n"
		       "per line (# comments), or the JSON of `ntpguard\n"
		       "reflectors --json` or `check --json` (every\n"
		       "\"address\"); repeatable"),
	NG_OPT_END
};

/* A growing list of target strings that outlive the scan (hosts point at them). */
struct strs {
	char **v;
	size_t n, cap;
};

static int strs_add(struct strs *l, const char *s, size_t len)
{
	char **v;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
	}
	l->v[l->n] = strndup(s, len);
	if (!l->v[l->n])
		return -1;
	l->n++;
	return 0;
}

static void strs_free(struct strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static char *read_all(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t n = 0, cap = 0;
	char *b = NULL, *t;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			t = realloc(b, cap + 1);
			if (!t) {
				free(b);
				b = NULL;
				errno = ENOMEM;
				break;
			}
			b = t;
		}
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
	}
	if (b)
		b[n] = 0;
	if (f != stdin)
		fclose(f);
	return b;
}

/* The targets of a file: JSON (every "address" value) or lines. */
static int file_targets(const char *path, struct strs *out)
{
	char *b = read_all(path), *p;
	int ret = 0;

	if (!b) {
		ng_err("--from-file: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	p = b + strspn(b, " \t\r\n");
	if (*p == '{' || *p == '[') {
		const char *key = "\"address\":";

		for (p = strstr(p, key); p && !ret; p = strstr(p, key)) {
			char *v = p + strlen(key), *end;

			v += strspn(v, " \t");
			p = v;
			if (*v != '"' || !(end = strchr(v + 1, '"')))
				continue;
			ret = strs_add(out, v + 1, (size_t)(end - v - 1));
			p = end;
		}
	} else {
		for (char *save = NULL, *line = strtok_r(b, "\n", &save); line && !ret;
		     line = strtok_r(NULL, "\n", &save)) {
			line[strcspn(line, "#")] = 0;
			line += strspn(line, " \t\r");
			if (*line)
				ret = strs_add(out, line, strcspn(line, " \t\r"));
		}
	}
	free(b);
	if (ret)
		ng_err("out of memory");
	return ret;
}

/* The addresses of ntpguard's reflector table (this namespace's interfaces). */
static int reflector_targets(double since, struct strs *out)
{
	struct ng_paths paths = { 0 };
	struct ng_snapshot snap;
	struct ng_reflist l;
	int ret = -1;

	ng_paths_init(&paths);
	if (ng_require_privs(false) ||
	    ng_snapshot_read(&paths, &snap, NG_SNAP_REFL | NG_SNAP_LOADED))
		return -1;
	if (!snap.refl_available)
		ng_err("--from-reflectors: no reflector table (pins made by an older ntpguard)");
	else if (ng_reflist_build(&snap, since, false, &l))
		ng_err("out of memory");
	else {
		ret = 0;
		for (int i = 0; i < l.n && !ret; i++)
			ret = strs_add(out, l.e[i].addr, strlen(l.e[i].addr));
		if (!l.n)
			ng_info("--from-reflectors: the reflector table lists no server%s",
				since > 0 ? " seen in that time" : "");
		ng_reflist_free(&l);
	}
	ng_snapshot_free(&snap);
	return ret;
}

/* Every target resolved and counted before anything is sent. */
static int add_targets(struct scan *s, char **args, int n)
{
	unsigned long long budget = s->o.max_hosts;

	for (int i = 0; i < n; i++) {
		int rc = check_add_target(s, args[i], &budget);

		if (rc)
			return rc == -2 ? NG_EXIT_USAGE : NG_EXIT_FAIL;
	}
	if (check_dedupe(s)) {
		ng_err("out of memory");
		return NG_EXIT_FAIL;
	}
	return NG_CONTINUE;
}

static int cmd_check(int argc, char **argv)
{
	struct scan s = { .o = { .timeout = CHECK_DEF_TIMEOUT, .rate = CHECK_DEF_RATE,
				 .max_hosts = CHECK_DEF_MAX_HOSTS, .progress = -1 } };
	unsigned long errors = 0;
	struct check_local local = { 0 };
	struct strs extra = { 0 };
	double since = 0;
	int first, ret;

	ret = ng_parse(&check_cmd, &s.o, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	s.o.want4 = !s.o.only6;
	s.o.want6 = !s.o.only4;
	if (s.o.since && (!s.o.from_reflectors ||
			  ng_parse_duration(s.o.since, 1, 1e9, &since)))
		return ng_cmd_usage_err(&check_cmd, s.o.from_reflectors ?
					"--since: '%s' is not a duration (90s, 15m, 2h, 7d)" :
					"--since goes with --from-reflectors ('%s')", s.o.since);
	if (first >= argc && !s.o.from_reflectors && !s.o.files.n)
		return ng_cmd_usage_err(&check_cmd, "check: no TARGET given");
	for (int i = 0; i < s.o.files.n; i++)
		if (file_targets(s.o.files.v[i], &extra))
			goto out_strs;
	if (s.o.from_reflectors && reflector_targets(since, &extra))
		goto out_strs;
	ret = add_targets(&s, argv + first, argc - first);
	if (ret == NG_CONTINUE)
		ret = add_targets(&s, extra.v, (int)extra.n);
	if (ret != NG_CONTINUE)
		goto out;
	if (!s.n) {
		ng_info("nothing to check");
		ret = NG_EXIT_OK;
		goto out;
	}
	check_local_begin(&local, &s);
	s.progress = s.o.progress == 1 ||
		     (s.o.progress < 0 && !s.o.json && s.n > 1 &&
		      isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
	ret = NG_EXIT_FAIL;
	if (check_scan_run(&s)) {
		check_local_end(&local);
		goto out;
	}
	check_local_end(&local);
	check_report(stdout, &s, ng_mono_now() - s.t0);
	fflush(stdout);
	for (size_t i = 0; i < s.n; i++)
		errors += s.h[i].v == V_ERROR;
	ret = s.vuln ? CHECK_EXIT_VULNERABLE : errors ? NG_EXIT_FAIL : NG_EXIT_OK;
	if (!s.vuln && errors)
		ng_err("%lu host%s could not be probed", errors, errors == 1 ? "" : "s");
out:
	check_free(&s);
out_strs:
	strs_free(&extra);
	return ret == NG_CONTINUE ? NG_EXIT_FAIL : ret;
}

NG_COMMAND(check,
	.summary = "probe NTP servers for monlist (mode 7) and mode 6 exposure",
	.args = "TARGET...",
	.doc = "Probes NTP servers the way ntpdc and nmap do and reports which ones\n"
	       "an attacker could use for monlist reflection (CVE-2013-5211). Needs\n"
	       "no privileges; sends only to the targets named, to UDP port 123.\n\n"
	       "TARGET is a host name (every address it resolves to), an IPv4 or\n"
	       "IPv6 address, or a CIDR prefix (IPv4: without network and broadcast\n"
	       "address up to /30).\n\n"
	       "Per host: mode 7 monlist (code 42, implementation 3; implementation 2\n"
	       "if 3 gave no data), code 20, PEER_LIST (0), PEER_LIST_SUM (1), mode 6\n"
	       "READVAR, and a mode 3 time request. Replies are collected until the\n"
	       "last packet (M bit clear) or the timeout. Verdicts:\n"
	       "  vulnerable      a mode 7 request was answered with data\n"
	       "  mode7-no-data   mode 7 answered with error replies only\n"
	       "  mode6-only      no mode 7 reply, mode 6 answered\n"
	       "  not-answering   no mode 6/7 reply (see serves_time for mode 3)\n"
	       "  error           could not be probed (local error)\n"
	       "BAF = reply UDP payload / request UDP payload (mode 7 requests are 48\n"
	       "bytes, mode 6 12, mode 3 48); the IP-level factor adds 28 (IPv4) or\n"
	       "48 (IPv6) header bytes per packet.\n",
	.epilog = "The run takes at most (requests / rate) + timeout seconds; up to 7\n"
		  "requests per host.\n"
		  "Exit: 0 no host vulnerable, 3 at least one host vulnerable, 1 runtime\n"
		  "error (name resolution, sockets; also when no host was vulnerable but\n"
		  "some could not be probed), 2 bad arguments.\n");

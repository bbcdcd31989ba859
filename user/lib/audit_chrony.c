// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_chrony.c - chrony.conf (see audit_chrony.h). chronyd drops NTP mode
 * 6 and 7 requests without a reply whatever its configuration, so a
 * chrony.conf is always safe; what is reported is whom it serves time to
 * and where chronyc's command port listens.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "audit_model.h"
#include "audit_chrony.h"
#include "audit_ntp_scan.h"

const char *const chrony_only[] = {
	"allow", "deny", "cmdallow", "cmddeny", "bindcmdaddress", "bindaddress",
	"bindacqaddress", "cmdport", "makestep", "rtcsync", "maxupdateskew", "keyfile",
	"logdir", "leapsectz", "local", "confdir", "sourcedir", "include", "hwtimestamp",
	"ntsdumpdir", "initstepslew", "dumpdir", "rtcfile", "maxdistance", "ratelimit",
	"user", "sched_priority", "lock_all", "log", "smoothtime", "maxslewrate", NULL
};

/* chrony 4.3 directives (chrony.conf(5)). */
static const char *const chrony_directives[] = {
	"acquisitionport", "allow", "authselectmode", "bindacqaddress", "bindacqdevice",
	"bindaddress", "binddevice", "bindcmdaddress", "bindcmddevice", "broadcast",
	"clientloglimit", "clockprecision", "cmdallow", "cmddeny", "cmdport",
	"cmdratelimit", "combinelimit", "confdir", "corrtimeratio", "deny", "dscp",
	"driftfile", "dumpdir", "fallbackdrift", "hwclockfile", "hwtimestamp",
	"hwtsinterval", "include", "initstepslew", "keyfile", "leapsecmode", "leapsectz",
	"local", "lock_all", "log", "logbanner", "logchange", "logdir", "mailonchange",
	"makestep", "manual", "maxchange", "maxclockerror", "maxdistance", "maxdrift",
	"maxjitter", "maxntsconnections", "maxsamples", "maxslewrate", "maxupdateskew",
	"minsamples", "minsources", "nocerttimecheck", "noclientlog", "ntpsigndsocket",
	"ntsaeads", "ntscachedir", "ntsdumpdir", "ntsntpserver", "ntsport",
	"ntsprocesses", "ntsratelimit", "ntsrefresh", "ntsrotate", "ntsservercert",
	"ntsserverkey", "ntstrustedcerts", "peer", "pidfile", "pool", "port", "ptpport",
	"ratelimit", "refclock", "refresh", "reselectdist", "rtcautotrim", "rtcdevice",
	"rtcfile", "rtconutc", "rtcsync", "sched_priority", "server", "smoothtime",
	"sourcedir", "stratumweight", "tempcomp", "user", NULL
};

/* Split a line: whitespace, "quoted strings", comment from cmt on. */
static int tokenize(char *s, char **tok, int max, const char *cmt)
{
	int n = 0;

	while (*s) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || strchr(cmt, *s))
			break;
		if (n == max)
			return -1;
		if (*s == '"') {
			char *e = strchr(s + 1, '"');

			if (!e)
				return -2;
			tok[n++] = s + 1;
			*e = 0;
			s = e + 1;
			continue;
		}
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s) && !strchr(cmt, *s))
			s++;
		if (*s && strchr(cmt, *s)) {
			*s = 0;
			break;
		}
		if (*s)
			*s++ = 0;
	}
	return n;
}

bool audit_looks_chrony(const char *path)
{
	const char *base = strrchr(path, '/');
	FILE *f;
	char line[AUDIT_MAX_LINE];
	int c = 0, n = 0;

	base = base ? base + 1 : path;
	if (strstr(base, "chrony") || strstr(path, "/chrony/"))
		return true;
	if (strstr(base, "ntp"))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *tok[2];
		int k = tokenize(line, tok, 1, "#!;%");

		if (k == 1 && audit_in_list(tok[0], chrony_only))
			c++;
		else if (k == 1 && audit_in_list(tok[0], ntp_only))
			n++;
	}
	fclose(f);
	return c > 0 && n == 0;
}

/* Every file the pattern names, as an include of file:lineno. */
static void chrony_glob(struct report *r, const char *pattern, int depth, const char *file,
			int lineno)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			audit_read_chrony(r, g.gl_pathv[i], depth + 1, file, lineno);
		globfree(&g);
	}
}

/* The arguments tok[1..n), space-separated, as many as fit. */
static void join_args(char **tok, int n, char *arg, size_t len)
{
	arg[0] = 0;
	for (int i = 1; i < n; i++) {
		if (strlen(arg) + strlen(tok[i]) + 2 >= len)
			break;
		if (i > 1)
			strcat(arg, " ");
		strcat(arg, tok[i]);
	}
}

void audit_chrony_line(struct report *r, const char *file, int lineno, char *line,
		       int depth, char **stack)
{
	char *tok[AUDIT_MAX_TOKENS], arg[512];
	int n;

	(void)stack;
	/* chrony: comment lines start with ! ; # or % */
	for (char *p = line; *p && isspace((unsigned char)*p); p++)
		line = p + 1;
	if (strchr("!;#%", line[0]))
		return;
	n = tokenize(line, tok, AUDIT_MAX_TOKENS, "");
	if (n <= 0)
		return;
	join_args(tok, n, arg, sizeof(arg));
	if (!strcmp(tok[0], "allow")) {
		audit_str_append(&r->allow, n > 1 ? arg : "all (no subnet given)");
	} else if (!strcmp(tok[0], "deny")) {
		r->has_deny = true;
	} else if (!strcmp(tok[0], "cmdallow")) {
		audit_str_append(&r->cmdallow, n > 1 ? arg : "all (no subnet given)");
	} else if (!strcmp(tok[0], "bindcmdaddress")) {
		if (n > 1)
			audit_str_append(&r->bindcmd, arg);
	} else if (!strcmp(tok[0], "cmdport")) {
		r->cmdport0 = n > 1 && !strcmp(tok[1], "0");
	} else if (!strcmp(tok[0], "port")) {
		r->ntpport0 = n > 1 && !strcmp(tok[1], "0");
	} else if (!strcmp(tok[0], "include")) {
		if (n < 2) {
			audit_finding(r, S_ERROR, file, lineno, "include needs a file pattern");
			return;
		}
		if (!r->no_fs)
			chrony_glob(r, tok[1], depth, file, lineno);
	} else if (!strcmp(tok[0], "confdir")) {
		for (int i = 1; i < n && !r->no_fs; i++) {
			char pat[PATH_MAX];

			snprintf(pat, sizeof(pat), "%s/*.conf", tok[i]);
			chrony_glob(r, pat, depth, file, lineno);
		}
	} else if (!audit_in_list(tok[0], chrony_directives)) {
		audit_finding(r, S_ERROR, file, lineno, "unknown directive '%s' (chronyd stops "
			      "with \"Invalid directive\")%s", tok[0],
			      audit_in_list(tok[0], ntp_only) ? "; it is an ntpd directive" : "");
	}
}

void audit_read_chrony(struct report *r, const char *path, int depth, const char *from,
		       int from_line)
{
	int err = 0;

	if (depth > 10) {
		audit_finding(r, S_ERROR, from, from_line, "include nested too deep: %s not read",
			      path);
		return;
	}
	if (audit_read_lines(r, path, audit_chrony_line, depth, NULL, &err)) {
		if (depth == 0) {
			r->unreadable = true;
			r->read_err = err;
			audit_finding(r, S_ERROR, path, 0, "cannot read %s: %s", path,
				      strerror(err));
		} else {
			audit_finding(r, S_WARN, from, from_line, "cannot read %s: %s", path,
				      strerror(err));
		}
	}
}

/* chronyc's command port: where it listens and who may use it. */
static void chrony_cmdport(struct report *r)
{
	bool remote = false;

	if (r->bindcmd) {
		char tmp[1024], *save = NULL;

		snprintf(tmp, sizeof(tmp), "%s", r->bindcmd);
		for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			if (strcmp(t, "127.0.0.1") && strcmp(t, "::1") && t[0] != '/')
				remote = true;
	}
	audit_finding(r, S_INFO, r->path, 0, "chronyc monitoring (UDP 323) listens on %s",
		      r->bindcmd ? r->bindcmd : "127.0.0.1 and ::1 (the default)");
	if (r->cmdallow && remote)
		audit_finding(r, S_WARN, r->path, 0, "chronyc monitoring is open to %s: not "
			      "an amplifier (chrony pads requests to the reply size since "
			      "protocol version 6), but limit it to management hosts",
			      r->cmdallow);
	else if (r->cmdallow)
		audit_finding(r, S_INFO, r->path, 0, "cmdallow %s has no effect while the "
			      "command port is bound to loopback", r->cmdallow);
}

void audit_analyse_chrony(struct report *r)
{
	r->verdict = r->unreadable ? AUDIT_EXIT_UNKNOWN : NG_EXIT_OK;
	r->refused[0] = r->refused[1] = r->unreadable ? T_MAYBE : T_YES;
	if (r->unreadable)
		return;
	audit_finding(r, S_INFO, r->path, 0, "chronyd answers no NTP mode 6 (ntpq) or mode 7 "
		      "(ntpdc, monlist) request: it drops them without a reply, whatever the "
		      "configuration; CVE-2013-5211 does not apply");
	if (r->ntpport0)
		audit_finding(r, S_INFO, r->path, 0, "port 0: no NTP server port at all");
	else if (r->allow)
		audit_finding(r, S_INFO, r->path, 0, "serves time (NTP mode 3/4) to: %s%s",
			      r->allow, r->has_deny ? " (minus the deny lines)" : "");
	else
		audit_finding(r, S_INFO, r->path, 0, "no 'allow' line: serves time to no one "
			      "(client only)");
	if (r->cmdport0)
		audit_finding(r, S_INFO, r->path, 0, "cmdport 0: no chronyc UDP port");
	else
		chrony_cmdport(r);
}

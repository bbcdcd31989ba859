// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_ntp.c - the ntp.conf parser (see audit_ntp.h): each line tokenized
 * as ntpd's scanner does (audit_ntp_scan.c), then by directive: restrict
 * and unrestrict (audit_restrict.c), enable/disable, includefile,
 * interface/nic and end. Every other directive ntpd knows is skipped; one
 * it does not know is a finding.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "audit_model.h"
#include "audit_chrony.h"
#include "audit_ntp.h"
#include "audit_ntp_scan.h"
#include "audit_restrict.h"

static void parse_enable(struct report *r, const char *file, int lineno, char **tok,
			 int n, const char *text)
{
	static const char *const known[] = {
		"auth", "bclient", "calibrate", "kernel", "monitor", "mode7", "ntp", "stats",
		"peer_clear_digest_early", "unpeer_crypto_early", "unpeer_crypto_nak_early",
		"unpeer_digest_early", NULL
	};
	bool en = !strcmp(tok[0], "enable");

	for (int i = 1; i < n; i++) {
		if (!audit_in_list(tok[i], known)) {
			audit_finding(r, S_ERROR, file, lineno, "unknown %s flag '%s': ntpd "
				      "rejects the line (syntax error)", tok[0], tok[i]);
			return;
		}
	}
	for (int i = 1; i < n; i++) {
		if (!strcmp(tok[i], "monitor")) {
			if (en) {
				r->enable_monitor = lineno;
			} else {
				r->disable_monitor = lineno;
				r->disable_monitor_file = file;
			}
		} else if (!strcmp(tok[i], "mode7") && en) {
			r->enable_mode7 = lineno;
			r->enable_mode7_file = file;
			free(r->enable_mode7_text);
			r->enable_mode7_text = audit_strdup(text);
		}
	}
}

static void resolve_rel(const char *base, const char *p, char *out, size_t len)
{
	const char *slash;

	if (p[0] == '/' || !(slash = strrchr(base, '/'))) {
		snprintf(out, len, "%s", p);
		return;
	}
	snprintf(out, len, "%.*s/%s", (int)(slash - base), base, p);
}

/* The action word of an interface/nic line, or 0. */
static enum nact nic_action(const char *w, char k)
{
	if (ntp_is_word(w, k, "listen"))
		return NA_LISTEN;
	if (ntp_is_word(w, k, "ignore"))
		return NA_IGNORE;
	if (ntp_is_word(w, k, "drop"))
		return NA_DROP;
	return 0;
}

/* all, ipv4, ipv6, wildcard: the class keyword, or -1. */
static int nic_class(const char *w, char k)
{
	static const struct {
		const char *w;
		enum nmatch m;
	} classes[] = {
		{ "all", NM_ALL }, { "ipv4", NM_IPV4 }, { "ipv6", NM_IPV6 },
		{ "wildcard", NM_WILDCARD },
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (ntp_is_word(w, k, classes[i].w))
			return (int)classes[i].m;
	return -1;
}

/* The T_String of a rule: an address[/LEN], or an interface name. */
static void nic_address(struct nicline *c, const char *w)
{
	char a[160], *slash, *pct;

	snprintf(a, sizeof(a), "%s", w);
	slash = strchr(a, '/');
	if (slash)
		*slash = 0;
	/* is_ip_address(): IPv4, or IPv6 with [brackets] and %scope */
	{
		char b[160], *h = a[0] == '[' ? a + 1 : a;

		snprintf(b, sizeof(b), "%s", h);
		if (a[0] == '[' && strchr(b, ']'))
			*strchr(b, ']') = 0;
		pct = strchr(b, '%');
		if (pct)
			*pct = 0;
		if (inet_pton(AF_INET, a, c->addr) == 1)
			c->afam = AF_INET;
		else if (inet_pton(AF_INET6, b, c->addr) == 1)
			c->afam = AF_INET6;
	}
	if (!c->afam) {
		c->match = NM_IFNAME;
		snprintf(c->name, sizeof(c->name), "%s", w);
		return;
	}
	c->match = NM_IFADDR;
	if (slash) {
		int p;

		if (sscanf(slash + 1, "%d", &p) == 1) {
			int bits = c->afam == AF_INET ? 32 : 128;

			c->plen = p < -1 ? -1 : p > bits ? bits : p;
		}
	}
}

/*
 * interface|nic listen|ignore|drop all|ipv4|ipv6|wildcard|NAME|ADDRESS[/LEN]
 *
 * ntp_parser.y interface_command (4.2.6, 4.2.8, ntpsec 1.2.2 alike): the
 * third word is a class keyword or a T_String; anything else (a missing
 * word, a number, another keyword) is a syntax error and the line is lost.
 * Words after a complete rule are a syntax error too, but the rule was
 * reduced (and queued in cfgt.nic_rules) before bison saw them: it stays.
 * config_nic_rules() (ntp_config.c) then tells an address from a name with
 * is_ip_address() after cutting at '/', and reads the prefix length with
 * sscanf("%d"), clamped to -1..32/128 (-1: the address itself). ntpd 4.2.4
 * has no interface/nic keyword (ntp_config.c keywords[]): it ignores them.
 */
static void parse_nic(struct report *r, const char *file, int lineno, char **tok,
		      const char *tk, int n)
{
	struct nicline *c;
	int m;

	r->nic = audit_grow(r->nic, &r->capnic, r->nnic, sizeof(*r->nic));
	c = &r->nic[r->nnic++];
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->line = lineno;
	c->plen = -1;
	c->after_end = r->end_line != 0;
	if (n < 3) {
		audit_finding(r, S_ERROR, file, lineno, "%s needs an action (listen, ignore, "
			      "drop) and what it applies to: a syntax error, ntpd ignores the "
			      "line", tok[0]);
		return;
	}
	c->action = nic_action(tok[1], tk[1]);
	if (!c->action) {
		audit_finding(r, S_ERROR, file, lineno, "'%s': the action must be listen, "
			      "ignore or drop: a syntax error, ntpd ignores the line", tok[1]);
		return;
	}
	m = nic_class(tok[2], tk[2]);
	if (m >= 0) {
		c->match = (enum nmatch)m;
	} else if (!ntp_is_string_tok(tok[2], tk[2])) {
		audit_finding(r, S_ERROR, file, lineno, "'%s' is neither all, ipv4, ipv6, "
			      "wildcard nor an interface name or address: a syntax error, ntpd "
			      "ignores the line", tok[2]);
		return;
	} else {
		nic_address(c, tok[2]);
	}
	c->ok = true;
	if (n > 3)
		audit_finding(r, S_WARN, file, lineno, "'%s' after the rule is a syntax error; "
			      "ntpd keeps the rule (ntp_parser.y reduces interface_command "
			      "first)", tok[3]);
	if (c->after_end)
		audit_finding(r, S_WARN, file, lineno, "after 'end' (%s line %d): ntpd 4.2.6 "
			      "and later and ntpsec do not read this rule", r->end_file,
			      r->end_line);
}

static void ntp_include(struct report *r, const char *file, int lineno, char **tok, int n,
			int depth, char **stack)
{
	char p[PATH_MAX];

	if (n != 2) {
		audit_finding(r, S_ERROR, file, lineno, "includefile needs exactly one file name");
		return;
	}
	if (r->no_fs) {
		r->include_unknown = true;
		audit_finding(r, S_ERROR, file, lineno, "includefile %s: not read (audit of a "
			      "buffer)", tok[1]);
		return;
	}
	resolve_rel(file, tok[1], p, sizeof(p));
	audit_read_ntp(r, p, depth + 1, file, lineno, stack);
}

/* The line as written, without comment and surrounding blanks (in place). */
static void as_written(char *text)
{
	char *h = strchr(text, '#'), *e;

	if (h)
		*h = 0;
	for (e = text + strlen(text); e > text && isspace((unsigned char)e[-1]); e--)
		;
	*e = 0;
	for (e = text; isspace((unsigned char)*e); e++)
		;
	memmove(text, e, strlen(e) + 1);
}

void audit_ntp_line(struct report *r, const char *file, int lineno, char *line,
		    int depth, char **stack)
{
	char text[AUDIT_MAX_LINE], buf[2 * AUDIT_MAX_LINE];
	char *tok[AUDIT_MAX_TOKENS], tk[AUDIT_MAX_TOKENS];
	bool open_quote;
	int n;

	snprintf(text, sizeof(text), "%s", line);
	n = ntp_tokenize(line, buf, sizeof(buf), tok, tk, AUDIT_MAX_TOKENS, &open_quote);
	if (n == 0)
		return;
	as_written(text);
	if (n < 0) {
		/* more words than this reads: what ntpd makes of it is not known */
		audit_finding(r, S_ERROR, file, lineno, "too many words on one line: not read");
		r->include_unknown = true;
		return;
	}
	if (open_quote)
		audit_finding(r, S_WARN, file, lineno, "unterminated quoted string: ntpd assumes "
			      "the closing quote at the end of the line (ntp_scanner.c yylex())");
	if (tk[0] != 'w') {
		audit_finding(r, S_ERROR, file, lineno, "'%s' is not a directive: a syntax "
			      "error, ntpd ignores the line", tok[0]);
	} else if (!strcmp(tok[0], "restrict") || !strcmp(tok[0], "unrestrict")) {
		audit_parse_restrict(r, file, lineno, tok, tk, n, text);
	} else if (!strcmp(tok[0], "enable") || !strcmp(tok[0], "disable")) {
		parse_enable(r, file, lineno, tok, n, text);
	} else if (!strcmp(tok[0], "includefile")) {
		ntp_include(r, file, lineno, tok, n, depth, stack);
	} else if (!strcmp(tok[0], "interface") || !strcmp(tok[0], "nic")) {
		parse_nic(r, file, lineno, tok, tk, n);
	} else if (!strcmp(tok[0], "end")) {
		/* ntp_parser.y: T_End closes every open file (4.2.6:
		 * FCLOSE loop; 4.2.8, ntpsec: lex_flush_stack()) */
		if (!r->end_line) {
			r->end_line = lineno;
			r->end_file = file;
		}
	} else if (!audit_in_list(tok[0], ntp_directives)) {
		audit_finding(r, S_ERROR, file, lineno, "unknown directive '%s': ntpd rejects "
			      "the line (syntax error)%s", tok[0],
			      audit_in_list(tok[0], chrony_only) ? "; it is a chrony directive" : "");
	}
}

/* Why an include (or the file itself, depth 0) could not be read. */
static void read_failed(struct report *r, const char *path, int depth, const char *from,
			int from_line, int err)
{
	if (depth == 0) {
		r->unreadable = true;
		r->read_err = err;
		audit_finding(r, S_ERROR, path, 0, "cannot read %s: %s", path, strerror(err));
	} else if (err == ENOENT) {
		audit_finding(r, S_WARN, from, from_line, "includefile %s: no such file "
			      "(ntpd skips it too)", path);
	} else {
		r->include_unknown = true;
		audit_finding(r, S_ERROR, from, from_line, "includefile %s: cannot read it: "
			      "%s (ntpd, running as root, may)", path, strerror(err));
	}
}

void audit_read_ntp(struct report *r, const char *path, int depth, const char *from,
		    int from_line, char **stack)
{
	char real[PATH_MAX];
	int err = 0;

	if (depth > AUDIT_MAX_INCLUDE_DEPTH) {
		audit_finding(r, S_ERROR, from, from_line, "includefile nested deeper than %d "
			      "levels: ntpd does not read %s", AUDIT_MAX_INCLUDE_DEPTH, path);
		return;
	}
	if (realpath(path, real)) {
		for (int i = 0; i < depth; i++)
			if (stack[i] && !strcmp(stack[i], real)) {
				audit_finding(r, S_ERROR, from, from_line, "includefile loop: %s "
					      "includes itself", path);
				return;
			}
		stack[depth] = audit_strdup(real);
	}
	if (audit_read_lines(r, path, audit_ntp_line, depth, stack, &err))
		read_failed(r, path, depth, from, from_line, err);
	free(stack[depth]);
	stack[depth] = NULL;
}

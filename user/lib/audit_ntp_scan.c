// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_ntp_scan.c - ntp.conf's tokens and keywords (see audit_ntp_scan.h),
 * after ntpd's scanner (ntp_scanner.c) and keyword table.
 */
#include <ctype.h>
#include <string.h>

#include "audit_model.h"
#include "audit_ntp_scan.h"

/*
 * Split an ntp.conf line the way ntpd's scanner does (ntpsec 1.2.2
 * ntpd/ntp_scanner.c yylex(); the same scanner since ntpd 4.2.6): blanks
 * separate words, '#' starts a comment even inside a word, a '"' starts a
 * string that runs to the next '"' or to the end of the line (ntpd assumes
 * the missing quote), and each of {}(),;|= is a token of its own. A quoted
 * word is always a string to ntpd, never a keyword: kind[i] is 'w' (word),
 * 's' (string) or 'x' (special character). Tokens are copied into buf.
 * Returns the count, or -1 if there are more than max; *open_quote is set
 * when a string ran to the end of the line.
 */
int ntp_tokenize(const char *s, char *buf, size_t buflen, char **tok, char *kind,
		 int max, bool *open_quote)
{
	static const char special[] = "{}(),;|=";
	size_t o = 0;
	int n = 0;

	*open_quote = false;
	for (;;) {
		bool str = false;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == max || o + 2 > buflen)
			return -1;
		tok[n] = buf + o;
		if (strchr(special, *s)) {
			buf[o++] = *s++;
			buf[o++] = 0;
			kind[n++] = 'x';
			continue;
		}
		while (*s && !isspace((unsigned char)*s) && *s != '#' && *s != '"' &&
		       !strchr(special, *s) && o + 1 < buflen)
			buf[o++] = *s++;
		if (*s == '"') {
			str = true;
			for (s++; *s && *s != '"' && *s != '\n' && o + 1 < buflen; s++)
				buf[o++] = *s;
			if (*s == '"')
				s++;
			else
				*open_quote = true;
		}
		if (o + 1 >= buflen)
			return -1;
		buf[o++] = 0;
		kind[n++] = str ? 's' : 'w';
	}
}

/* ntpd's scanner: T_Integer / T_U_int (ntp_scanner.c is_integer, is_u_int) */
bool ntp_is_int_word(const char *w)
{
	const char *p = w + (w[0] == '-');

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && w[2])
		return strspn(w + 2, "0123456789abcdefABCDEF") == strlen(w + 2);
	return *p && strspn(p, "0123456789") == strlen(p);
}

/* T_Double: [+-]digits[.digits][e[+-]digits] (ntp_scanner.c is_double) */
bool ntp_is_double_word(const char *w)
{
	const char *p = w + (*w == '+' || *w == '-');
	size_t d = strspn(p, "0123456789");

	p += d;
	if (*p == '.') {
		size_t e = strspn(p + 1, "0123456789");

		d += e;
		p += 1 + e;
	}
	if (!d)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		p += (*p == '+' || *p == '-');
		p += strspn(p, "0123456789");
	}
	return !*p;
}

/* Directives of ntpd 4.2.x and ntpsec (ntp.conf(5)); first word of a line. */
const char *const ntp_directives[] = {
	"automax", "authenticate", "broadcast", "broadcastclient", "broadcastdelay",
	"calldelay", "controlkey", "crypto", "device", "disable", "discard", "driftfile",
	"dscp", "enable", "end", "filegen", "fudge", "ident", "includefile", "interface",
	"keys", "keysdir", "leapfile", "leapsmearinterval", "logconfig", "logfile",
	"manycastclient", "manycastserver", "monitor", "mru", "multicastclient", "nic",
	"nts", "peer", "phone", "pidfile", "pool", "qos", "refclock", "requestkey",
	"reset", "restrict", "revoke", "rlimit", "saveconfigdir", "server", "setvar",
	"statistics", "statsdir", "tinker", "tos", "trap", "trustedkey", "ttl",
	"unconfig", "unpeer", "unrestrict", NULL
};

const char *const ntp_only[] = {
	"restrict", "unrestrict", "includefile", "enable", "disable", "statsdir", "filegen",
	"statistics", "tinker", "tos", "fudge", "interface", "discard", "keys",
	"trustedkey", "controlkey", "requestkey", "leapfile", "mru", "setvar", "logfile",
	NULL
};

/*
 * restrict flags: which daemons know them (yes), and where that was not
 * checked (maybe). Sources: ntpd 4.2.4 ntp_config.c res_keywords[]; ntpd
 * 4.2.6 ntpd/ntp_parser.y access_control_flag (flake, mssntp, lowpriotrap
 * are there, nomrulist is not); ntpd 4.2.8p11 ntp_parser.y (epeer, noepeer,
 * nomrulist; ippeerlimit N only before the flags, rule res_ippeerlimit);
 * ntp-dev (serverresponse fuzz); ntpsec 1.2.2 ntpd/ntp_parser.y
 * access_control_flag (no lowpriotrap, epeer, noepeer, ippeerlimit,
 * serverresponse; nopeer and notrap accepted and ignored, ntp_config.c).
 */
const struct rflag rflags[] = {
	{ "ignore",         K_ALL,                0,                RF_IGNORE,  false },
	{ "noquery",        K_ALL,                0,                RF_NOQUERY, false },
	{ "limited",        K_ALL,                0,                RF_LIMITED, false },
	{ "ntpport",        K_ALL,                0,                RF_NTPPORT, false },
	{ "kod",            K_ALL,                0,                0, false },
	{ "nomodify",       K_ALL,                0,                0, false },
	{ "nopeer",         K_ALL,                0,                0, false },
	{ "noserve",        K_ALL,                0,                0, false },
	{ "notrap",         K_ALL,                0,                0, false },
	{ "notrust",        K_ALL,                0,                0, false },
	{ "version",        K_CLASSIC,            K_NTPSEC,         0, false },
	{ "lowpriotrap",    K_CLASSIC,            K_SECOLD,         0, false },
	{ "mssntp",         K_BISON,              0,                0, false },
	{ "flake",          K_BISON,              0,                0, false },
	{ "nomrulist",      K_NEW | K_NTPSEC,     K_OLD,            0, false },
	{ "epeer",          0,                    K_NEW,            0, false },
	{ "noepeer",        0,                    K_NEW,            0, false },
	{ "ippeerlimit",    0,                    K_NEW,            0, true },
	{ "serverresponse", 0,                    K_NEW,            0, true },
	{ .name = NULL },
};

int rflag_find(const char *w)
{
	for (int i = 0; rflags[i].name; i++)
		if (!strcmp(w, rflags[i].name))
			return i;
	return -1;
}

bool ntp_is_keyword(const char *w)
{
	static const char *const more[] = {
		"default", "source", "mask", "-4", "-6", "all", "ipv4", "ipv6", "wildcard",
		"listen", "drop", "ignore", "ippeerlimit", "serverresponse", "fuzz", NULL
	};

	return audit_in_list(w, more) || rflag_find(w) >= 0 ||
	       audit_in_list(w, ntp_directives);
}

bool ntp_is_string_tok(const char *t, char kind)
{
	if (kind == 's')
		return true;
	return kind == 'w' && !ntp_is_keyword(t) && !ntp_is_int_word(t) &&
	       !ntp_is_double_word(t);
}

bool ntp_is_word(const char *t, char kind, const char *w)
{
	return kind == 'w' && !strcmp(t, w);
}

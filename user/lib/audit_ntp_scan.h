/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_ntp_scan.h - ntp.conf as ntpd's scanner sees it: a line split into
 * tokens, the keyword tables (directives, restrict flags and which daemons
 * know them) and the word classes the grammar tells apart.
 */
#ifndef NG_AUDIT_NTP_SCAN_H
#define NG_AUDIT_NTP_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Split an ntp.conf line into buf (tok[i] point there); kind[i] is 'w'
 * (word), 's' (quoted string) or 'x' (one of {}(),;|=). Returns the count,
 * or -1 if there are more than max; *open_quote is set when a string ran
 * to the end of the line.
 */
int ntp_tokenize(const char *s, char *buf, size_t buflen, char **tok, char *kind,
		 int max, bool *open_quote);

/* Directives of ntpd 4.2.x and ntpsec (ntp.conf(5)); first word of a line. */
extern const char *const ntp_directives[];
/* Only in ntp.conf, never in chrony.conf(5): decides the file type. */
extern const char *const ntp_only[];

/* A restrict flag: which daemon kinds (audit_version.h) know it. */
struct rflag {
	const char *name;
	unsigned yes, maybe;    /* daemons that accept it / might */
	unsigned flag;          /* RF_* it sets */
	bool arg;               /* takes one argument */
};
extern const struct rflag rflags[];
/* Index in rflags[] of the flag w, or -1. */
int rflag_find(const char *w);

/* ntpd's scanner: T_Integer / T_U_int, T_Double */
bool ntp_is_int_word(const char *w);
bool ntp_is_double_word(const char *w);
/* Words ntpd's keyword table knows in the places audit looks at. */
bool ntp_is_keyword(const char *w);
/* What ntpd's grammar accepts where it wants a T_String (an address, a name). */
bool ntp_is_string_tok(const char *t, char kind);
/* The unquoted word w. */
bool ntp_is_word(const char *t, char kind, const char *w);

#endif

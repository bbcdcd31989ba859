/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_model.h - the report every audit module fills: what the parsers
 * read (restrict lines, interface/nic rules, monitor and mode 7 switches,
 * chrony's allow lines), what the evaluation concludes (per family, the
 * verdict), the findings and the lines to add or remove; and the line
 * reader both parsers use. See audit.h for the rules and the modules.
 */
#ifndef NG_AUDIT_MODEL_H
#define NG_AUDIT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "audit_version.h"

/* Exit codes (and verdicts) besides NG_EXIT_OK, safe. */
#define AUDIT_EXIT_RISK    3
#define AUDIT_EXIT_UNKNOWN 4

#define AUDIT_MAX_INCLUDE_DEPTH 5       /* ntpd's MAXINCLUDELEVEL */
#define AUDIT_MAX_LINE          4096
#define AUDIT_MAX_TOKENS        64
#define AUDIT_MAX_LINES         100000

enum tri { T_NO, T_YES, T_MAYBE };

enum sev { S_RISK, S_ERROR, S_WARN, S_INFO };

struct finding {
	enum sev sev;
	const char *file;
	int line;
	char *msg;
};

struct removal {
	const char *file;
	int line;
	char *text;
};

/* One restrict / unrestrict line. */
enum akind { A_DEFAULT, A_SOURCE, A_ADDR, A_NAME };

#define RF_IGNORE   0x01
#define RF_NOQUERY  0x02
#define RF_LIMITED  0x04
#define RF_NTPPORT  0x08

struct rline {
	const char *file;
	int line;
	bool unrestrict;
	unsigned rej, rej_maybe; /* kinds that drop the line whatever its flags / might */
	int fam;                /* 0 (neither -4 nor -6), 4, 6 */
	enum akind kind;
	int afam;               /* AF_INET / AF_INET6 for A_ADDR */
	__u8 addr[16];
	int plen;               /* -1: a mask that is not a prefix */
	char name[256];         /* A_NAME: as written */
	unsigned flags;
	char words[256];        /* accepted flag words, for the suggested line */
	enum tri acc;           /* does the daemon apply this line? */
	char why[600];          /* when not T_YES */
	/* what each kind does with the line: [kind][0 worst, 1 best case] */
	bool kapply[NKIND][2];
	unsigned kflags[NKIND][2];
	unsigned eff_any;       /* RF_* applied by some kind */
	bool open_any;          /* some kind applies it without noquery/ignore/ntpport */
	bool syntax_sure;       /* a syntax error for every possible kind */
	char text[AUDIT_MAX_LINE];
};

/* One interface / nic line (ntp_io.c's nic rules). */
enum nact { NA_LISTEN = 1, NA_IGNORE = 2, NA_DROP = 4 };
enum nmatch { NM_ALL, NM_IPV4, NM_IPV6, NM_WILDCARD, NM_IFNAME, NM_IFADDR };

struct nicline {
	const char *file;
	int line;
	bool ok;                /* parsed: ntpd (4.2.6 and later) adds the rule */
	bool after_end;         /* after an 'end' line: not read */
	enum nact action;
	enum nmatch match;
	int afam;               /* NM_IFADDR */
	__u8 addr[16];
	int plen;               /* -1: the address itself */
	char name[128];         /* NM_IFNAME: as written */
};

struct report {
	const char *path;
	char *type;             /* "ntpd", "ntpsec", "ntpd or ntpsec", "chrony" */
	bool chrony;
	unsigned kinds;
	struct audit_version ver;
	char vernote[128 + PATH_MAX + 32 + 16];

	struct finding *f;
	size_t nf, capf;
	struct rline *r;
	size_t nr, capr;
	char **files;           /* every file read (owned) */
	size_t nfiles;
	bool unreadable;        /* the main file */
	int read_err;
	bool include_unknown;   /* an include we could not read */
	int disable_monitor, enable_monitor, enable_mode7; /* line numbers, 0 none */
	const char *disable_monitor_file, *enable_mode7_file;
	char *enable_mode7_text;
	struct nicline *nic;
	size_t nnic, capnic;
	int end_line;           /* an 'end' line: nothing after it is read */
	const char *end_file;
	bool no_fs;             /* audit_buffer(): never touch the file system */

	/* chrony */
	char *allow, *cmdallow, *bindcmd;
	bool cmdport0, ntpport0, has_deny;

	/* results */
	enum tri refused[2];    /* [0] IPv4, [1] IPv6: other hosts get no answer */
	enum tri reach[2];      /* a socket other hosts can reach */
	int verdict;            /* 0 safe, 3 at risk, 4 could not tell */
	char **add;
	size_t nadd;
	struct removal *rm;
	size_t nrm;
};

/* ---- filling the report */

/* Room for n + 1 elements of sz in p (capacity *cap); exits when out of memory. */
void *audit_grow(void *p, size_t *cap, size_t n, size_t sz);
char *audit_strdup(const char *s);
/* *dst = "*dst, s" (or s) */
void audit_str_append(char **dst, const char *s);
bool audit_in_list(const char *w, const char *const *list);

void audit_finding(struct report *r, enum sev sev, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A line to add (once). */
void audit_fix(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line to remove. */
void audit_removal(struct report *r, const char *file, int line, const char *text);
/* Record a file read; the copy the findings cite. */
const char *audit_keep_file(struct report *r, const char *path);

/* A parser's handler for one line of a file (depth: include level). */
typedef void audit_line_fn(struct report *, const char *, int, char *, int, char **);
/* Feed the lines of an open stream to fn; name is how findings cite it. */
void audit_read_stream(struct report *r, FILE *f, const char *name, audit_line_fn *fn,
		       int depth, char **stack);
/* Read one file line by line; fn for each line. -1 if unreadable (*err). */
int audit_read_lines(struct report *r, const char *path, audit_line_fn *fn, int depth,
		     char **stack, int *err);

/* Free what the report holds (not r itself). */
void audit_report_free(struct report *r);

#endif

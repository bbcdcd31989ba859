// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit: read an ntpd / ntpsec / chrony configuration and say whether remote
 * hosts can send it NTP mode 6 and mode 7 queries (monlist reflection,
 * CVE-2013-5211), why, and which lines to add.
 *
 * The question answered is the one the original advisories ask: do the
 * *default* restrict entries of both address families carry noquery or
 * ignore? (ntpd applies the most specific matching entry; the default
 * entries are what every stranger, and every spoofed victim address,
 * gets.) Per-address exceptions are reported, not judged.
 *
 * What ntpd does with a line depends on the daemon and its version, so the
 * configuration is evaluated for every daemon it could be (classic ntpd
 * before 4.2.6, 4.2.6/4.2.7, 4.2.8 and later, ntpsec before and since
 * 1.1.9) that the detected or given version leaves possible:
 *  - `restrict default` without -4/-6 covers IPv4 only before ntpd 4.2.6
 *    (4.2.4's parser: "Assume default means an IPv4 address"), both
 *    families from 4.2.6 on and in ntpsec;
 *  - ntpsec >= 1.1.9 starts the default entries with noquery and limited;
 *  - flags on an existing entry are OR-ed (hack_restrict RESTRICT_FLAGS),
 *    ntpsec's `unrestrict` clears them;
 *  - a word in a restrict line that is not a flag (a typo, a flag of a later
 *    release, a quoted word): ntpd 4.2.4 drops the whole line; ntpd 4.2.6
 *    and later and ntpsec read the line only up to it and keep it with the
 *    flags before it (bison's default reduction, see restrict_walk()); CIDR
 *    prefixes are an error in classic ntpd; nothing after 'end' is read;
 *  - interface/nic lines decide which sockets other hosts can reach at all
 *    (ntp_io.c interface_action(), see nic_actions()): a family with none
 *    is not at risk whatever the restrict lines say.
 * If every possible daemon refuses the queries on both families (or binds
 * no socket other hosts reach): safe. If none does: at risk. Otherwise:
 * could not tell, with the reason.
 *
 * Facts: shared/docs/ntp-protocol.md sections 1.2, 1.5 and 4; the sources
 * of ntpd 4.2.4 (ntp_config.c), 4.2.6 (NetBSD's 2009 import: ntp_parser.y,
 * ntp_config.c, ntp_io.c), 4.2.8p11 (ntp_parser.y) and ntpsec 1.2.2 (Debian
 * 12's source package), cited where each rule is modelled; ntpsec's
 * behaviour was checked against ntpsec 1.2.2 itself (tests/audit.sh).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "params.h"
#include "cmds.h"

/* the parser alone, on a buffer: see the end of this file */
int audit_buffer(const char *buf, size_t len, const char *version, bool json, FILE *out);
int audit_fix_lines(const char *buf, size_t len, const char *version, char *out,
		    size_t outlen);

#define AUDIT_EXIT_RISK    3
#define AUDIT_EXIT_UNKNOWN 4

#define MAX_INCLUDE_DEPTH  5     /* ntpd's MAXINCLUDELEVEL */
#define MAX_LINE           4096
#define MAX_TOKENS         64
#define MAX_LINES          100000

/* ------------------------------------------------------ daemon kinds */

/* Which daemon (and version range) reads the file. */
enum kind {
	K_ANCIENT = 1 << 0,     /* classic ntpd < 4.2.6 */
	K_OLD     = 1 << 1,     /* classic ntpd 4.2.6 .. 4.2.7pN */
	K_NEW     = 1 << 2,     /* classic ntpd >= 4.2.8 */
	K_SECOLD  = 1 << 3,     /* ntpsec < 1.1.9 */
	K_SEC     = 1 << 4,     /* ntpsec >= 1.1.9 */
};
#define K_CLASSIC (K_ANCIENT | K_OLD | K_NEW)
#define K_NTPSEC  (K_SECOLD | K_SEC)
#define K_ALL     (K_CLASSIC | K_NTPSEC)
#define NKIND     5             /* kind k is the bit 1 << k */
/* ntpd 4.2.6 and later and ntpsec read ntp.conf with a bison parser */
#define K_BISON   (K_ALL & ~K_ANCIENT)

enum tri { T_NO, T_YES, T_MAYBE };

/* A property that holds for the kinds in mask: over the possible kinds. */
static enum tri tri_of(unsigned possible, unsigned mask)
{
	if (!(possible & ~mask))
		return T_YES;
	if (!(possible & mask))
		return T_NO;
	return T_MAYBE;
}

struct version {
	bool known, ntpsec;
	int v[4];               /* 4.2.6p5 -> 4 2 6 5 */
	char text[128];         /* as reported */
	char how[PATH_MAX + 32];
};

static int vcmp(const struct version *v, int a, int b, int c, int p)
{
	const int w[4] = { a, b, c, p };

	for (int i = 0; i < 4; i++)
		if (v->v[i] != w[i])
			return v->v[i] < w[i] ? -1 : 1;
	return 0;
}

/*
 * "ntpd 4.2.6p5@1.2349-o ..." or "ntpd ntpsec-1.2.2": 0, or -1. From a
 * binary (strict) the text must name ntpd and a 4.x version; given by the
 * user, "4.2.6p5" or "ntpsec-1.2.2" is enough.
 */
static int version_parse(const char *s, struct version *v, bool strict)
{
	const char *p = strstr(s, "ntpsec-");
	int n = 0;

	memset(v->v, 0, sizeof(v->v));
	v->ntpsec = p != NULL;
	if (!p) {
		const char *from = strict ? strstr(s, "ntpd") : s;

		if (!from)
			return -1;
		for (p = from; *p && !(isdigit((unsigned char)*p) && p[1] == '.'); p++)
			;
		if (strict && (p[0] != '4' || p[1] != '.'))
			return -1;
	} else {
		p += 7;
	}
	if (!*p || !isdigit((unsigned char)*p))
		return -1;
	for (int i = 0; i < 3; i++) {
		char *end;
		long x = strtol(p, &end, 10);

		if (end == p || x < 0 || x > 9999)
			break;
		v->v[i] = (int)x;
		n++;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	if (n < 2)
		return -1;
	if (!v->ntpsec && *p == 'p' && isdigit((unsigned char)p[1]))
		v->v[3] = (int)strtol(p + 1, NULL, 10);
	v->known = true;
	return 0;
}

static unsigned version_kinds(const struct version *v)
{
	if (!v->known)
		return K_ALL;
	if (v->ntpsec)
		return vcmp(v, 1, 1, 9, 0) < 0 ? K_SECOLD : K_SEC;
	if (vcmp(v, 4, 2, 6, 0) < 0)
		return K_ANCIENT;
	return vcmp(v, 4, 2, 8, 0) < 0 ? K_OLD : K_NEW;
}

/* Run "NTPD --version" (no shell, 3 s at most); 0 if a version came back. */
static int version_exec(const char *path, struct version *v)
{
	char buf[512];
	size_t got = 0;
	int fds[2], status;
	pid_t pid;
	struct timespec t0, t;

	if (access(path, X_OK) || pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execl(path, path, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		long ms;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = 3000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0)
			break;
		n = read(fds[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= sizeof(buf) - 1)
			break;
	}
	close(fds[0]);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);     /* our own child, and only it */
		waitpid(pid, &status, 0);
	}
	buf[got] = 0;
	for (char *nl = buf; *nl; nl++)
		if (*nl == '\n' || *nl == '\r') {
			*nl = 0;
			break;
		}
	if (version_parse(buf, v, true))
		return -1;
	snprintf(v->text, sizeof(v->text), "%.127s", buf);
	snprintf(v->how, sizeof(v->how), "%s --version", path);
	return 0;
}

/* ------------------------------------------------------------ findings */

enum sev { S_RISK, S_ERROR, S_WARN, S_INFO };
static const char *const sev_name[] = { "risk", "error", "warning", "info" };

struct finding {
	enum sev sev;
	const char *file;
	int line;
	char *msg;
};

struct fixline {
	char *text;
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
	char text[MAX_LINE];
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
	struct version ver;
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

static void *grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	q = realloc(p, *cap * sz);
	if (!q) {
		ng_err("out of memory");
		exit(NG_EXIT_FAIL);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		ng_err("out of memory");
		exit(NG_EXIT_FAIL);
	}
	return d;
}

static void add_finding(struct report *r, enum sev sev, const char *file, int line,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_finding(struct report *r, enum sev sev, const char *file, int line,
			const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->f = grow(r->f, &r->capf, r->nf, sizeof(*r->f));
	r->f[r->nf].sev = sev;
	r->f[r->nf].file = file;
	r->f[r->nf].line = line;
	r->f[r->nf].msg = xstrdup(buf);
	r->nf++;
}

static void add_fix(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_fix(struct report *r, const char *fmt, ...)
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
	r->add = grow(r->add, &cap, r->nadd, sizeof(*r->add));
	r->add[r->nadd++] = xstrdup(buf);
}

static void add_removal(struct report *r, const char *file, int line, const char *text)
{
	size_t cap = r->nrm;

	r->rm = grow(r->rm, &cap, r->nrm, sizeof(*r->rm));
	r->rm[r->nrm].file = file;
	r->rm[r->nrm].line = line;
	r->rm[r->nrm].text = xstrdup(text);
	r->nrm++;
}

/* ------------------------------------------------------------ reading */

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
static int ntp_tokenize(const char *s, char *buf, size_t buflen, char **tok, char *kind,
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
static bool is_int_word(const char *w)
{
	const char *p = w + (w[0] == '-');

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && w[2])
		return strspn(w + 2, "0123456789abcdefABCDEF") == strlen(w + 2);
	return *p && strspn(p, "0123456789") == strlen(p);
}

/* T_Double: [+-]digits[.digits][e[+-]digits] (ntp_scanner.c is_double) */
static bool is_double_word(const char *w)
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

static bool in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(w, *list))
			return true;
	return false;
}

/* Directives of ntpd 4.2.x and ntpsec (ntp.conf(5)); first word of a line. */
static const char *const ntp_directives[] = {
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

/* Only in chrony.conf(5), never in ntp.conf: decides the file type. */
static const char *const chrony_only[] = {
	"allow", "deny", "cmdallow", "cmddeny", "bindcmdaddress", "bindaddress",
	"bindacqaddress", "cmdport", "makestep", "rtcsync", "maxupdateskew", "keyfile",
	"logdir", "leapsectz", "local", "confdir", "sourcedir", "include", "hwtimestamp",
	"ntsdumpdir", "initstepslew", "dumpdir", "rtcfile", "maxdistance", "ratelimit",
	"user", "sched_priority", "lock_all", "log", "smoothtime", "maxslewrate", NULL
};
static const char *const ntp_only[] = {
	"restrict", "unrestrict", "includefile", "enable", "disable", "statsdir", "filegen",
	"statistics", "tinker", "tos", "fudge", "interface", "discard", "keys",
	"trustedkey", "controlkey", "requestkey", "leapfile", "mru", "setvar", "logfile",
	NULL
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
static const struct {
	const char *name;
	unsigned yes, maybe;    /* daemons that accept it / might */
	unsigned flag;          /* RF_* it sets */
	bool arg;               /* takes one argument */
} rflags[] = {
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
};

static int rflag_find(const char *w)
{
	for (size_t i = 0; i < sizeof(rflags) / sizeof(rflags[0]); i++)
		if (!strcmp(w, rflags[i].name))
			return (int)i;
	return -1;
}

/* Words ntpd's keyword table knows in the places this file looks at. */
static bool is_keyword(const char *w)
{
	static const char *const more[] = {
		"default", "source", "mask", "-4", "-6", "all", "ipv4", "ipv6", "wildcard",
		"listen", "drop", "ignore", "ippeerlimit", "serverresponse", "fuzz", NULL
	};

	return in_list(w, more) || rflag_find(w) >= 0 || in_list(w, ntp_directives);
}

/* What ntpd's grammar accepts where it wants a T_String (an address, a name). */
static bool is_string_tok(const char *t, char kind)
{
	if (kind == 's')
		return true;
	return kind == 'w' && !is_keyword(t) && !is_int_word(t) && !is_double_word(t);
}

static bool is_word(const char *t, char kind, const char *w)
{
	return kind == 'w' && !strcmp(t, w);
}

struct ktext {
	char s[160];
};

static const char *kinds_text(unsigned k, struct ktext *b)
{
	b->s[0] = 0;
	if (k & K_ANCIENT) strcat(b->s, ", ntpd < 4.2.6");
	if (k & K_OLD) strcat(b->s, ", ntpd 4.2.6/4.2.7");
	if (k & K_NEW) strcat(b->s, ", ntpd >= 4.2.8");
	if (k & K_SECOLD) strcat(b->s, ", ntpsec < 1.1.9");
	if (k & K_SEC) strcat(b->s, ", ntpsec >= 1.1.9");
	return b->s[0] ? b->s + 2 : "none";
}

/* mask "255.255.255.0" / "ffff::" -> prefix length, or -1 */
static int mask_plen(int af, const char *s)
{
	__u8 m[16];
	int n = af == AF_INET ? 4 : 16, plen = 0, i;

	if (inet_pton(af, s, m) != 1)
		return -2;
	for (i = 0; i < n && m[i] == 0xff; i++)
		plen += 8;
	if (i < n) {
		__u8 b = m[i];

		while (b & 0x80) {
			plen++;
			b = (__u8)(b << 1);
		}
		if (b)
			return -1;
		for (i++; i < n; i++)
			if (m[i])
				return -1;
	}
	return plen;
}

/*
 * The line is dropped, whatever its flags, by the kinds in no (and maybe by
 * those in maybe); the first reason given is the one shown.
 */
static void rline_reject(struct rline *l, unsigned no, unsigned maybe, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void rline_reject(struct rline *l, unsigned no, unsigned maybe, const char *fmt, ...)
{
	va_list ap;

	maybe &= ~no;
	if (!no && !maybe)
		return;
	if (!(l->rej & K_ALL) && (no || !l->rej_maybe)) {
		va_start(ap, fmt);
		vsnprintf(l->why, sizeof(l->why), fmt, ap);
		va_end(ap);
	}
	l->rej |= no;
	l->rej_maybe = (l->rej_maybe | maybe) & ~l->rej;
}

static bool addr_is_loopback(const struct rline *l)
{
	static const __u8 lo6[16] = { [15] = 1 };

	if (l->afam == AF_INET)
		return l->addr[0] == 127;
	return !memcmp(l->addr, lo6, 16);
}

/* 0 unknown, 1 known, 2 not known whether (rflags[], refined by version) */
static int rflag_state(const struct report *r, int f, int k)
{
	unsigned kb = 1u << k;
	const char *w = rflags[f].name;

	if (rflags[f].yes & kb)
		return 1;
	if (!(rflags[f].maybe & kb))
		return 0;
	/* ntpd 4.2.8p11's ntp_parser.y has ippeerlimit, epeer and noepeer */
	if (r->ver.known && !r->ver.ntpsec && vcmp(&r->ver, 4, 2, 8, 11) >= 0 &&
	    (!strcmp(w, "ippeerlimit") || !strcmp(w, "epeer") || !strcmp(w, "noepeer")))
		return 1;
	/* ntpsec 1.2.2's access_control_flag has version, not lowpriotrap */
	if (r->ver.known && r->ver.ntpsec && !vcmp(&r->ver, 1, 2, 2, 0))
		return !strcmp(w, "version");
	return 2;
}

struct rwalk {
	bool apply;             /* the daemon adds the line */
	unsigned flags;         /* with these RF_* flags */
	int stop;               /* token where it stopped reading, or -1 */
};

/*
 * What kind k does with the words of a restrict line from index i on (after
 * the address), taking the flags in doubt as known (maybe) or not.
 *
 * ntpd 4.2.4 (ntp_config.c getconfig(), CONFIG_RESTRICT) reads the words
 * one by one: "mask M" anywhere, and any word it does not know sets errflg,
 * so the whole line is ignored.
 *
 * ntpd 4.2.6 and later and ntpsec parse ntp.conf with bison (ntp_parser.y,
 * access_control_command: restrict address [mask M] ac_flag_list, where
 * ac_flag_list is any number of access_control_flag). A word that is not a
 * flag is a syntax error, but bison detects it only after the state that
 * expects "another flag or the end of the line" has taken its default
 * reduction: access_control_command is reduced first, and its action
 * appends the restrict node with the flags read so far to the config tree
 * (cfgt.restrict_opts). Error recovery (command_list: error T_EOC) then
 * skips the rest of the line, and the config tree is applied as usual
 * (4.2.6 getconfig() -> save_and_apply_config_tree(); ntpsec counts the
 * error in parsing_errors and goes on). So the address, -4/-6 and the mask
 * stay, the flags before the word stay, the flags after it are lost; a
 * word before any flag leaves the address with no flags at all. An error in
 * the middle of a construct (mask without its address, ippeerlimit without
 * its number) comes before any reduction: the whole line is lost.
 */
static void restrict_walk(const struct report *r, const struct rline *l, char **tok,
			  const char *tk, int n, int i, int k, bool maybe, struct rwalk *w)
{
	unsigned kb = 1u << k;
	bool bison = kb & K_BISON;

	w->apply = !(l->rej & kb) && (maybe || !(l->rej_maybe & kb));
	w->flags = 0;
	w->stop = -1;
	if (!w->apply)
		return;
	if (i < n && is_word(tok[i], tk[i], "mask")) {
		/* 4.2.6 and ntpsec: restrict ip_address T_Mask ip_address, so
		 * not after -4/-6; 4.2.8: restrict address T_Mask ip_address */
		if (bison && l->fam && k != 2) {
			w->stop = i;
			return;
		}
		if (i + 1 >= n || (bison && !is_string_tok(tok[i + 1], tk[i + 1]))) {
			w->apply = false;
			return;
		}
		i += 2;
	}
	/* 4.2.8p11: restrict address [mask M] [ippeerlimit N] flags */
	if (k == 2 && i < n && is_word(tok[i], tk[i], "ippeerlimit")) {
		int s = rflag_state(r, rflag_find("ippeerlimit"), k);

		if (s == 0 || (s == 2 && !maybe)) {
			w->stop = i;
			return;
		}
		if (i + 1 >= n || tk[i + 1] != 'w' || !is_int_word(tok[i + 1])) {
			w->apply = false;
			return;
		}
		i += 2;
	}
	for (; i < n; i++) {
		int f = tk[i] == 'w' ? rflag_find(tok[i]) : -1;
		int s = f < 0 ? 0 : rflag_state(r, f, k);

		if (!bison && is_word(tok[i], tk[i], "mask")) {
			if (++i >= n) {
				w->apply = false;
				return;
			}
			continue;
		}
		/* ippeerlimit is known only before the flags */
		if (f >= 0 && bison && !strcmp(rflags[f].name, "ippeerlimit"))
			s = 0;
		if (s == 0 || (s == 2 && !maybe)) {
			w->stop = i;
			if (!bison)
				w->apply = false;
			return;
		}
		w->flags |= rflags[f].flag;
		if (rflags[f].arg) {
			/* ntp-dev: ac_flag_list T_Serverresponse T_Fuzz */
			if (i + 1 >= n || !is_word(tok[i + 1], tk[i + 1], "fuzz")) {
				w->apply = false;
				return;
			}
			i++;
		}
	}
}

/* How much of the refusal the line adds (restrict) or keeps (unrestrict). */
static int rwalk_score(const struct rline *l, const struct rwalk *w)
{
	bool q = w->apply && (w->flags & (RF_NOQUERY | RF_IGNORE));

	if (l->unrestrict)
		return !q;
	return q && !(w->flags & RF_NTPPORT);
}

/* The flag words of tok[from..to) that kind k accepted, for a message. */
static void words_between(char **tok, const char *tk, int from, int to, char *out, size_t len)
{
	out[0] = 0;
	for (int j = from; j < to; j++) {
		if (tk[j] != 'w' || rflag_find(tok[j]) < 0)
			continue;
		if (strlen(out) + strlen(tok[j]) + 2 < len) {
			if (out[0])
				strcat(out, " ");
			strcat(out, tok[j]);
		}
	}
}

/* Per kind and case: what the line does; then acc, why and the summaries. */
static void restrict_kinds(const struct report *r, struct rline *l, char **tok, const char *tk,
			   int n, int first)
{
	struct ktext kt1, kt2;
	unsigned stopped = 0, dropped = 0, full = 0, sure = K_ALL;
	int stop = -1;

	for (int k = 0; k < NKIND; k++) {
		struct rwalk v[2];
		int s0, s1;

		if (!(r->kinds & (1u << k)))
			continue;
		restrict_walk(r, l, tok, tk, n, first, k, true, &v[0]);
		restrict_walk(r, l, tok, tk, n, first, k, false, &v[1]);
		s0 = rwalk_score(l, &v[0]);
		s1 = rwalk_score(l, &v[1]);
		/* [1] best: the reading under which more is refused */
		l->kapply[k][1] = s0 >= s1 ? v[0].apply : v[1].apply;
		l->kflags[k][1] = s0 >= s1 ? v[0].flags : v[1].flags;
		l->kapply[k][0] = s0 >= s1 ? v[1].apply : v[0].apply;
		l->kflags[k][0] = s0 >= s1 ? v[1].flags : v[0].flags;
		for (int m = 0; m < 2; m++) {
			if (v[m].stop >= 0 && (stop < 0 || v[m].stop < stop))
				stop = v[m].stop;
			if (!v[m].apply) {
				dropped |= 1u << k;
			} else if (v[m].stop >= 0) {
				stopped |= 1u << k;
			} else {
				full |= 1u << k;
			}
			if (v[m].apply) {
				l->eff_any |= v[m].flags;
				if (!(v[m].flags & (RF_NOQUERY | RF_IGNORE | RF_NTPPORT)))
					l->open_any = true;
			}
		}
		if (full & (1u << k))
			sure &= ~(1u << k);
	}
	l->acc = !(dropped | stopped) ? T_YES : !(full | stopped) ? T_NO : T_MAYBE;
	l->syntax_sure = (sure & r->kinds) == r->kinds;
	if (l->acc == T_YES || l->why[0] || stop < 0)
		return;
	{
		char kept[200];
		unsigned bis = stopped & K_BISON;

		words_between(tok, tk, first, stop, kept, sizeof(kept));
		snprintf(l->why, sizeof(l->why), "'%s' %s: %s%s%s%s%s%s%s%s%s", tok[stop],
			 tk[stop] == 's' ? "is quoted, so ntpd reads it as a string, not a flag" :
			 rflag_find(tok[stop]) >= 0 ? "is not a restrict flag there for every daemon" :
			 "is not a restrict flag",
			 bis ? "for " : "", bis ? kinds_text(bis, &kt1) : "",
			 bis ? " it ends the line (a syntax error), which is still added with "
			       "what came before: " : "",
			 bis ? (kept[0] ? kept : "no flags at all") : "",
			 bis ? (kept[0] ? " (bison reduces the rule before it sees the error, "
					  "ntp_parser.y)" : " (ntp_parser.y)") : "",
			 (stopped | dropped) & K_ANCIENT ? (bis ? "; " : "") : "",
			 (stopped | dropped) & K_ANCIENT ? "ntpd < 4.2.6 ignores the whole line" : "",
			 full ? "; read in full by " : "", full ? kinds_text(full, &kt2) : "");
	}
}

/*
 * 4.2.6's ntp_parser.y gave "restrict -4 default" the mask 255.255.255.255
 * (and "-6 default" an all-ones one): a host entry for 0.0.0.0 or ::, not
 * the default (Bug 1535, fixed in 4.2.6p2 and 4.2.7p26). Known versions only.
 */
static bool bug1535(const struct version *v)
{
	return v->known && !v->ntpsec &&
	       ((vcmp(v, 4, 2, 6, 0) >= 0 && vcmp(v, 4, 2, 6, 2) < 0) ||
		(vcmp(v, 4, 2, 7, 0) >= 0 && vcmp(v, 4, 2, 7, 26) < 0));
}

/* restrict / unrestrict [-4|-6] ADDRESS [mask M] [flag...] */
static void parse_restrict(struct report *r, const char *file, int lineno, char **tok,
			   const char *tk, int n, const char *text)
{
	struct rline *l;
	int i = 1;
	char *slash;

	r->r = grow(r->r, &r->capr, r->nr, sizeof(*r->r));
	l = &r->r[r->nr++];
	memset(l, 0, sizeof(*l));
	l->file = file;
	l->line = lineno;
	l->unrestrict = !strcmp(tok[0], "unrestrict");
	l->acc = T_YES;
	l->plen = 0;
	snprintf(l->text, sizeof(l->text), "%s", text);
	if (r->end_line)
		rline_reject(l, K_BISON, 0, "after 'end' (%s line %d): ntpd 4.2.6 and later and "
			     "ntpsec read nothing after it", r->end_file, r->end_line);
	if (l->unrestrict)
		rline_reject(l, K_CLASSIC, 0, "'unrestrict' exists only in ntpsec");
	if (i < n && (is_word(tok[i], tk[i], "-4") || is_word(tok[i], tk[i], "-6"))) {
		l->fam = tok[i][1] - '0';
		i++;
	}
	if (i >= n || tk[i] == 'x') {
		rline_reject(l, K_ALL, 0, "%s needs an address", tok[0]);
		goto done;
	}
	if (is_word(tok[i], tk[i], "default")) {
		l->kind = A_DEFAULT;
		if (l->fam && bug1535(&r->ver))
			rline_reject(l, K_OLD, 0, "ntpd %s reads 'restrict -%d default' as the "
				     "address %s alone, not the default entry (Bug 1535, fixed "
				     "in 4.2.6p2): use 'restrict default'", r->ver.text, l->fam,
				     l->fam == 4 ? "0.0.0.0" : "::");
	} else if (is_word(tok[i], tk[i], "source")) {
		l->kind = A_SOURCE;
		if (l->fam)
			rline_reject(l, K_ALL, 0, "'restrict source' takes no -4/-6");
		/* 4.2.6's grammar has no T_Source: "source" is a host name there */
		rline_reject(l, K_ANCIENT, K_OLD, "'restrict source' is known to ntpd >= 4.2.8 "
			     "and ntpsec, maybe to 4.2.7, not to older ntpd");
	} else {
		char a[INET6_ADDRSTRLEN + 8];

		snprintf(a, sizeof(a), "%s", tok[i]);
		slash = strchr(a, '/');
		if (slash)
			*slash = 0;
		if (inet_pton(AF_INET, a, l->addr) == 1) {
			l->afam = AF_INET;
			l->plen = 32;
		} else if (inet_pton(AF_INET6, a, l->addr) == 1) {
			l->afam = AF_INET6;
			l->plen = 128;
		}
		if (tk[i] == 'w' && (is_keyword(tok[i]) || is_int_word(tok[i]) ||
				     is_double_word(tok[i])) && !l->afam) {
			rline_reject(l, K_BISON, 0, "'%s' is not an address: a syntax error, "
				     "ntpd ignores the line", tok[i]);
			if (!l->afam && strspn(tok[i], "0123456789.") == strlen(tok[i]))
				rline_reject(l, K_ALL, 0, "'%s' is not a valid address", tok[i]);
			l->kind = A_NAME;
			snprintf(l->name, sizeof(l->name), "%s", tok[i]);
		} else if (l->afam) {
			l->kind = A_ADDR;
			if ((l->fam == 4 && l->afam != AF_INET) ||
			    (l->fam == 6 && l->afam != AF_INET6))
				rline_reject(l, K_ALL, 0, "-%d with an IPv%d address: ntpd ignores the line",
					     l->fam, l->afam == AF_INET ? 4 : 6);
			if (slash) {
				char *end;
				long p = strtol(slash + 1, &end, 10);

				if (!slash[1] || *end || p < 0 || p > l->plen)
					rline_reject(l, K_ALL, 0, "bad prefix length in '%s'", tok[i]);
				else
					l->plen = (int)p;
				rline_reject(l, K_CLASSIC, 0, "classic ntpd does not accept CIDR "
					     "notation (write 'restrict %s mask ...')", a);
			}
		} else if (strspn(tok[i], "0123456789.") == strlen(tok[i]) ||
			   strchr(tok[i], ':') || slash) {
			rline_reject(l, K_ALL, 0, "'%s' is not a valid address", tok[i]);
			l->kind = A_NAME;
			snprintf(l->name, sizeof(l->name), "%s", tok[i]);
		} else {
			l->kind = A_NAME;
			snprintf(l->name, sizeof(l->name), "%s", tok[i]);
		}
	}
	i++;
	/* the mask right after the address: its value, for the report */
	if (i < n && is_word(tok[i], tk[i], "mask")) {
		int p;

		if (i + 1 >= n) {
			rline_reject(l, K_ALL, 0, "'mask' needs an argument");
		} else if (l->kind == A_SOURCE || l->kind == A_DEFAULT) {
			rline_reject(l, K_ALL, 0, "'restrict %s' takes no mask", tok[i - 1]);
		} else {
			p = mask_plen(l->afam ? l->afam : (strchr(tok[i + 1], ':') ? AF_INET6 : AF_INET),
				      tok[i + 1]);
			if (p == -2)
				rline_reject(l, K_ALL, 0, "bad mask '%s'", tok[i + 1]);
			else if (l->kind == A_ADDR)
				l->plen = p;
		}
	}
	/* the flag words, for the suggested lines */
	for (int j = i; j < n; j++) {
		int f = tk[j] == 'w' ? rflag_find(tok[j]) : -1;

		if (f < 0)
			continue;
		l->flags |= rflags[f].flag;
		if (strlen(l->words) + strlen(tok[j]) + 2 < sizeof(l->words)) {
			if (l->words[0])
				strcat(l->words, " ");
			strcat(l->words, tok[j]);
		}
	}
	/* "restrict 0.0.0.0 mask 0.0.0.0" is the default entry itself */
	if (l->kind == A_ADDR && l->plen == 0) {
		l->kind = A_DEFAULT;
		l->fam = l->afam == AF_INET ? 4 : 6;
	}
done:
	restrict_kinds(r, l, tok, tk, n, i);
}

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
		if (!in_list(tok[i], known)) {
			add_finding(r, S_ERROR, file, lineno, "unknown %s flag '%s': ntpd rejects "
				    "the line (syntax error)", tok[0], tok[i]);
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
			r->enable_mode7_text = xstrdup(text);
		}
	}
}

static const char *keep_file(struct report *r, const char *path)
{
	size_t cap = r->nfiles;

	r->files = grow(r->files, &cap, r->nfiles, sizeof(*r->files));
	r->files[r->nfiles] = xstrdup(path);
	return r->files[r->nfiles++];
}

static int read_ntp(struct report *r, const char *path, int depth, const char *from,
		    int from_line, char **stack);

static void resolve_rel(const char *base, const char *p, char *out, size_t len)
{
	const char *slash;

	if (p[0] == '/' || !(slash = strrchr(base, '/'))) {
		snprintf(out, len, "%s", p);
		return;
	}
	snprintf(out, len, "%.*s/%s", (int)(slash - base), base, p);
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
	char a[160], *slash, *pct;

	r->nic = grow(r->nic, &r->capnic, r->nnic, sizeof(*r->nic));
	c = &r->nic[r->nnic++];
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->line = lineno;
	c->plen = -1;
	c->after_end = r->end_line != 0;
	if (n < 3) {
		add_finding(r, S_ERROR, file, lineno, "%s needs an action (listen, ignore, drop) "
			    "and what it applies to: a syntax error, ntpd ignores the line", tok[0]);
		return;
	}
	if (is_word(tok[1], tk[1], "listen"))
		c->action = NA_LISTEN;
	else if (is_word(tok[1], tk[1], "ignore"))
		c->action = NA_IGNORE;
	else if (is_word(tok[1], tk[1], "drop"))
		c->action = NA_DROP;
	else {
		add_finding(r, S_ERROR, file, lineno, "'%s': the action must be listen, ignore "
			    "or drop: a syntax error, ntpd ignores the line", tok[1]);
		return;
	}
	if (is_word(tok[2], tk[2], "all"))
		c->match = NM_ALL;
	else if (is_word(tok[2], tk[2], "ipv4"))
		c->match = NM_IPV4;
	else if (is_word(tok[2], tk[2], "ipv6"))
		c->match = NM_IPV6;
	else if (is_word(tok[2], tk[2], "wildcard"))
		c->match = NM_WILDCARD;
	else if (!is_string_tok(tok[2], tk[2])) {
		add_finding(r, S_ERROR, file, lineno, "'%s' is neither all, ipv4, ipv6, wildcard "
			    "nor an interface name or address: a syntax error, ntpd ignores the "
			    "line", tok[2]);
		return;
	} else {
		snprintf(a, sizeof(a), "%s", tok[2]);
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
		if (c->afam) {
			c->match = NM_IFADDR;
			if (slash) {
				int p;

				if (sscanf(slash + 1, "%d", &p) == 1) {
					int bits = c->afam == AF_INET ? 32 : 128;

					c->plen = p < -1 ? -1 : p > bits ? bits : p;
				}
			}
		} else {
			c->match = NM_IFNAME;
			snprintf(c->name, sizeof(c->name), "%s", tok[2]);
		}
	}
	c->ok = true;
	if (n > 3)
		add_finding(r, S_WARN, file, lineno, "'%s' after the rule is a syntax error; ntpd "
			    "keeps the rule (ntp_parser.y reduces interface_command first)", tok[3]);
	if (c->after_end)
		add_finding(r, S_WARN, file, lineno, "after 'end' (%s line %d): ntpd 4.2.6 and "
			    "later and ntpsec do not read this rule", r->end_file, r->end_line);
}

static void ntp_line(struct report *r, const char *file, int lineno, char *line,
		     int depth, char **stack)
{
	char text[MAX_LINE], buf[2 * MAX_LINE], *tok[MAX_TOKENS], tk[MAX_TOKENS];
	bool open_quote;
	int n;

	snprintf(text, sizeof(text), "%s", line);
	n = ntp_tokenize(line, buf, sizeof(buf), tok, tk, MAX_TOKENS, &open_quote);
	if (n == 0)
		return;
	/* the line as written, without comment and surrounding blanks */
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
	if (n < 0) {
		/* more words than this reads: what ntpd makes of it is not known */
		add_finding(r, S_ERROR, file, lineno, "too many words on one line: not read");
		r->include_unknown = true;
		return;
	}
	if (open_quote)
		add_finding(r, S_WARN, file, lineno, "unterminated quoted string: ntpd assumes the "
			    "closing quote at the end of the line (ntp_scanner.c yylex())");
	if (tk[0] != 'w') {
		add_finding(r, S_ERROR, file, lineno, "'%s' is not a directive: a syntax error, "
			    "ntpd ignores the line", tok[0]);
	} else if (!strcmp(tok[0], "restrict") || !strcmp(tok[0], "unrestrict")) {
		parse_restrict(r, file, lineno, tok, tk, n, text);
	} else if (!strcmp(tok[0], "enable") || !strcmp(tok[0], "disable")) {
		parse_enable(r, file, lineno, tok, n, text);
	} else if (!strcmp(tok[0], "includefile")) {
		char p[PATH_MAX];

		if (n != 2) {
			add_finding(r, S_ERROR, file, lineno, "includefile needs exactly one file name");
			return;
		}
		if (r->no_fs) {
			r->include_unknown = true;
			add_finding(r, S_ERROR, file, lineno, "includefile %s: not read (audit of a "
				    "buffer)", tok[1]);
			return;
		}
		resolve_rel(file, tok[1], p, sizeof(p));
		read_ntp(r, p, depth + 1, file, lineno, stack);
	} else if (!strcmp(tok[0], "interface") || !strcmp(tok[0], "nic")) {
		parse_nic(r, file, lineno, tok, tk, n);
	} else if (!strcmp(tok[0], "end")) {
		/* ntp_parser.y: T_End closes every open file (4.2.6:
		 * FCLOSE loop; 4.2.8, ntpsec: lex_flush_stack()) */
		if (!r->end_line) {
			r->end_line = lineno;
			r->end_file = file;
		}
	} else if (!in_list(tok[0], ntp_directives)) {
		add_finding(r, S_ERROR, file, lineno, "unknown directive '%s': ntpd rejects the "
			    "line (syntax error)%s", tok[0],
			    in_list(tok[0], chrony_only) ? "; it is a chrony directive" : "");
	}
}

typedef void line_fn(struct report *, const char *, int, char *, int, char **);

/* Feed the lines of an open stream to fn; name is how findings cite it. */
static void read_stream(struct report *r, FILE *f, const char *name, line_fn *fn, int depth,
			char **stack)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (lineno > MAX_LINES) {
			add_finding(r, S_ERROR, name, lineno, "more than %d lines: the rest is not "
				    "read", MAX_LINES);
			r->include_unknown = true;
			break;
		}
		if ((size_t)len != strlen(line)) {
			add_finding(r, S_ERROR, name, lineno, "NUL byte: this is not a text file");
			r->include_unknown = true;
			break;
		}
		if (len >= MAX_LINE) {
			/* not read: what ntpd makes of it is not known */
			add_finding(r, S_ERROR, name, lineno, "line longer than %d characters: "
				    "not read", MAX_LINE - 1);
			r->include_unknown = true;
			continue;
		}
		fn(r, name, lineno, line, depth, stack);
	}
	free(line);
}

/* Read one file line by line; fn for each line. -1 if unreadable. */
static int read_lines(struct report *r, const char *path, line_fn *fn, int depth, char **stack,
		      int *err)
{
	FILE *f = fopen(path, "re");
	struct stat st;

	if (!f || fstat(fileno(f), &st) || S_ISDIR(st.st_mode)) {
		*err = !f ? errno : S_ISDIR(st.st_mode) ? EISDIR : errno;
		if (f)
			fclose(f);
		return -1;
	}
	read_stream(r, f, keep_file(r, path), fn, depth, stack);
	fclose(f);
	return 0;
}

static int read_ntp(struct report *r, const char *path, int depth, const char *from,
		    int from_line, char **stack)
{
	char real[PATH_MAX];
	int err = 0;

	if (depth > MAX_INCLUDE_DEPTH) {
		add_finding(r, S_ERROR, from, from_line, "includefile nested deeper than %d "
			    "levels: ntpd does not read %s", MAX_INCLUDE_DEPTH, path);
		return 0;
	}
	if (realpath(path, real)) {
		for (int i = 0; i < depth; i++)
			if (stack[i] && !strcmp(stack[i], real)) {
				add_finding(r, S_ERROR, from, from_line, "includefile loop: %s "
					    "includes itself", path);
				return 0;
			}
		stack[depth] = xstrdup(real);
	}
	if (read_lines(r, path, ntp_line, depth, stack, &err)) {
		if (depth == 0) {
			r->unreadable = true;
			r->read_err = err;
			add_finding(r, S_ERROR, path, 0, "cannot read %s: %s", path, strerror(err));
		} else if (err == ENOENT) {
			add_finding(r, S_WARN, from, from_line, "includefile %s: no such file "
				    "(ntpd skips it too)", path);
		} else {
			r->include_unknown = true;
			add_finding(r, S_ERROR, from, from_line, "includefile %s: cannot read it: "
				    "%s (ntpd, running as root, may)", path, strerror(err));
		}
	}
	free(stack[depth]);
	stack[depth] = NULL;
	return 0;
}

/* ------------------------------------------------------------- chrony */

static void str_append(char **dst, const char *s)
{
	size_t a = *dst ? strlen(*dst) : 0;
	char *n = realloc(*dst, a + strlen(s) + 3);

	if (!n) {
		ng_err("out of memory");
		exit(NG_EXIT_FAIL);
	}
	if (a)
		strcpy(n + a, ", ");
	strcpy(n + a + (a ? 2 : 0), s);
	*dst = n;
}

static void read_chrony(struct report *r, const char *path, int depth, const char *from,
			int from_line);

static void chrony_line(struct report *r, const char *file, int lineno, char *line,
			int depth, char **stack)
{
	char *tok[MAX_TOKENS], arg[512];
	int n;

	(void)stack;
	/* chrony: comment lines start with ! ; # or % */
	for (char *p = line; *p && isspace((unsigned char)*p); p++)
		line = p + 1;
	if (strchr("!;#%", line[0]))
		return;
	n = tokenize(line, tok, MAX_TOKENS, "");
	if (n <= 0)
		return;
	arg[0] = 0;
	for (int i = 1; i < n; i++) {
		if (strlen(arg) + strlen(tok[i]) + 2 >= sizeof(arg))
			break;
		if (i > 1)
			strcat(arg, " ");
		strcat(arg, tok[i]);
	}
	if (!strcmp(tok[0], "allow")) {
		str_append(&r->allow, n > 1 ? arg : "all (no subnet given)");
	} else if (!strcmp(tok[0], "deny")) {
		r->has_deny = true;
	} else if (!strcmp(tok[0], "cmdallow")) {
		str_append(&r->cmdallow, n > 1 ? arg : "all (no subnet given)");
	} else if (!strcmp(tok[0], "bindcmdaddress")) {
		if (n > 1)
			str_append(&r->bindcmd, arg);
	} else if (!strcmp(tok[0], "cmdport")) {
		r->cmdport0 = n > 1 && !strcmp(tok[1], "0");
	} else if (!strcmp(tok[0], "port")) {
		r->ntpport0 = n > 1 && !strcmp(tok[1], "0");
	} else if (!strcmp(tok[0], "include")) {
		glob_t g;

		if (n < 2) {
			add_finding(r, S_ERROR, file, lineno, "include needs a file pattern");
			return;
		}
		if (!r->no_fs && glob(tok[1], 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				read_chrony(r, g.gl_pathv[i], depth + 1, file, lineno);
			globfree(&g);
		}
	} else if (!strcmp(tok[0], "confdir")) {
		for (int i = 1; i < n && !r->no_fs; i++) {
			char pat[PATH_MAX];
			glob_t g;

			snprintf(pat, sizeof(pat), "%s/*.conf", tok[i]);
			if (glob(pat, 0, NULL, &g) == 0) {
				for (size_t k = 0; k < g.gl_pathc; k++)
					read_chrony(r, g.gl_pathv[k], depth + 1, file, lineno);
				globfree(&g);
			}
		}
	} else if (!in_list(tok[0], chrony_directives)) {
		add_finding(r, S_ERROR, file, lineno, "unknown directive '%s' (chronyd stops "
			    "with \"Invalid directive\")%s", tok[0],
			    in_list(tok[0], ntp_only) ? "; it is an ntpd directive" : "");
	}
}

static void read_chrony(struct report *r, const char *path, int depth, const char *from,
			int from_line)
{
	int err = 0;

	if (depth > 10) {
		add_finding(r, S_ERROR, from, from_line, "include nested too deep: %s not read",
			    path);
		return;
	}
	if (read_lines(r, path, chrony_line, depth, NULL, &err)) {
		if (depth == 0) {
			r->unreadable = true;
			r->read_err = err;
			add_finding(r, S_ERROR, path, 0, "cannot read %s: %s", path, strerror(err));
		} else {
			add_finding(r, S_WARN, from, from_line, "cannot read %s: %s", path,
				    strerror(err));
		}
	}
}

/* ----------------------------------------------------------- analysis */

struct eval {
	unsigned flags[2];      /* effective default flags, IPv4 / IPv6 */
	int line[2];            /* last default line that applied */
	const char *file[2];
};

static bool refused(unsigned flags)
{
	return flags & (RF_NOQUERY | RF_IGNORE);
}

/*
 * The default entries of daemon kind k after the file: best (the flags in
 * doubt read the refusing way) or worst. ntpsec >= 1.1.9 starts them with
 * noquery and limited; "restrict default" covers IPv6 from 4.2.6 on; flags
 * are OR-ed into the entry (hack_restrict RESTRICT_FLAGS), ntpsec's
 * unrestrict clears them (RESTRICT_UNFLAG); ntpport lines do not apply to
 * ntpq/ntpdc.
 */
static void evaluate_kind(const struct report *r, int k, bool best, struct eval *e)
{
	unsigned kb = 1u << k;

	memset(e, 0, sizeof(*e));
	if (kb & K_SEC)
		e->flags[0] = e->flags[1] = RF_NOQUERY | RF_LIMITED;
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];
		unsigned fl = l->kflags[k][best];

		if (l->kind != A_DEFAULT || !l->kapply[k][best] || (fl & RF_NTPPORT))
			continue;
		for (int f = 0; f < 2; f++) {
			bool covers = l->fam ? l->fam == (f ? 6 : 4) : (f == 0 || !(kb & K_ANCIENT));

			if (!covers)
				continue;
			if (l->unrestrict)
				e->flags[f] &= ~fl;
			else
				e->flags[f] |= fl;
			e->line[f] = l->line;
			e->file[f] = l->file;
		}
	}
	if (r->include_unknown) {
		/* an unreadable include may hold anything */
		for (int f = 0; f < 2; f++) {
			if (best)
				e->flags[f] |= RF_NOQUERY;
			else if (kb & K_NTPSEC)
				e->flags[f] &= ~(unsigned)(RF_NOQUERY | RF_IGNORE);
		}
	}
}

/* Over the possible kinds: best is the most refusing, worst the least. */
static void evaluate(const struct report *r, bool best, struct eval *e)
{
	bool first = true;

	memset(e, 0, sizeof(*e));
	for (int k = 0; k < NKIND; k++) {
		struct eval ek;

		if (!(r->kinds & (1u << k)))
			continue;
		evaluate_kind(r, k, best, &ek);
		for (int f = 0; f < 2; f++)
			if (first || (best ? refused(ek.flags[f]) && !refused(e->flags[f]) :
				      !refused(ek.flags[f]) && refused(e->flags[f]))) {
				e->flags[f] = ek.flags[f];
				e->line[f] = ek.line[f];
				e->file[f] = ek.file[f];
			}
		first = false;
	}
}

/* ------------------------------------------------- interface/nic rules */

static bool zero_prefix(const __u8 *a, int bits)
{
	for (int i = 0; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* An address rule that can only match loopback addresses (127/8, ::1). */
static bool nic_loopback_only(const struct nicline *c)
{
	static const __u8 lo6[16] = { [15] = 1 };

	if (c->afam == AF_INET)
		return c->addr[0] == 127 && (c->plen < 0 || c->plen >= 8);
	return !memcmp(c->addr, lo6, 16) && (c->plen < 0 || c->plen == 128);
}

/* A name rule: 1 matches every interface, 0 only lo, 2 some. */
static int nic_name_scope(const struct nicline *c, bool glob)
{
	if (glob && strspn(c->name, "*") == strlen(c->name))
		return 1;
	if (!strcasecmp(c->name, "lo"))
		return 0;
	return 2;
}

/*
 * What ntpd does with its sockets of family f (0 IPv4, 1 IPv6) under the
 * interface/nic rules, for daemon kind k: NA_* for the wildcard socket
 * (*wild) and the set of NA_* the host's non-loopback addresses can get
 * (returned). Source: ntp_io.c interface_action() (4.2.6, 4.2.8, ntpsec
 * 1.2.2 alike): config_nic_rules() adds each rule at the head of the list
 * (add_nic_rule(): LINK_SLIST), so the last matching line wins; "all"
 * matches neither loopback nor wildcard; then loopback addresses listen,
 * the wildcard drops (it is bound, create_wildcards(), but ignore_packets
 * is set), and any other address is ignored (not bound) as soon as there
 * is any rule at all ("implicit ignore"), listened on only when there is
 * none. Names are compared with strcasecmp() in 4.2.6, fnmatch() in 4.2.8
 * and ntpsec. v6_as_v4: ntpd 4.2.6 before 4.2.6p3 looked the IPv6
 * wildcard up as the IPv4 one (create_wildcards() fills wnaddr with
 * isc_netaddr_fromin() from sa4 for both; Bug 1683 in 4.2.6p3 reworked it).
 *
 * Assumed: the host has non-loopback addresses of both families, on
 * interfaces and addresses the rules name and on others; the loopback
 * interface carries only 127.0.0.0/8 and ::1; ntpd runs without -I/-L
 * (with them it exits on interface/nic lines, config_nic_rules()).
 */
static unsigned nic_actions(const struct report *r, int k, int f, bool v6_as_v4,
			    enum nact *wild, bool *any, bool *dflt)
{
	int af = f ? AF_INET6 : AF_INET;
	int waf = f && !v6_as_v4 ? AF_INET6 : AF_INET;
	bool glob = (1u << k) & (K_NEW | K_NTPSEC);
	unsigned out = 0;
	bool decided = false;

	*wild = 0;
	*any = false;
	for (size_t i = r->nnic; i-- > 0;) {
		const struct nicline *c = &r->nic[i];

		if (!c->ok || c->after_end)
			continue;
		*any = true;
		/* the wildcard socket: no name, address 0.0.0.0 / :: */
		if (!*wild && (c->match == NM_WILDCARD ||
			       (c->match == NM_IPV4 && waf == AF_INET) ||
			       (c->match == NM_IPV6 && waf == AF_INET6) ||
			       (c->match == NM_IFADDR && c->afam == waf &&
				zero_prefix(c->addr, c->plen < 0 ? (waf == AF_INET ? 32 : 128) :
					    c->plen))))
			*wild = c->action;
		if (decided)
			continue;
		switch (c->match) {
		case NM_ALL:
			out |= c->action;
			decided = true;
			break;
		case NM_IPV4:
		case NM_IPV6:
			if ((c->match == NM_IPV4) == (f == 0)) {
				out |= c->action;
				decided = true;
			}
			break;
		case NM_WILDCARD:
			break;
		case NM_IFADDR:
			if (c->afam != af || nic_loopback_only(c) ||
			    (c->plen < 0 && zero_prefix(c->addr, f ? 128 : 32)))
				break;
			out |= c->action;
			decided = c->plen == 0;
			break;
		case NM_IFNAME:
			switch (nic_name_scope(c, glob)) {
			case 1:
				out |= c->action;
				decided = true;
				break;
			case 2:
				out |= c->action;
				break;
			}
			break;
		}
	}
	if (!*wild)
		*wild = NA_DROP;        /* "default wildcard drop" */
	*dflt = !decided;
	if (!decided)
		out |= *any ? NA_IGNORE : NA_LISTEN;
	if (!*any)
		*wild = NA_DROP;
	return out;
}

/* Can other hosts reach a listening socket of family f (kind k)? */
static enum tri nic_reach1(const struct report *r, int k, int f, bool v6_as_v4)
{
	enum nact wild;
	bool any, dflt;
	unsigned a = nic_actions(r, k, f, v6_as_v4, &wild, &any, &dflt);

	/* an ignored address has no socket: its packets go to the wildcard */
	return (a & NA_LISTEN) || ((a & NA_IGNORE) && wild == NA_LISTEN) ? T_YES : T_NO;
}

static enum tri nic_reach(const struct report *r, int k, int f)
{
	enum tri t;

	if ((1u << k) & K_ANCIENT)
		return T_YES;           /* ntpd 4.2.4 ignores interface/nic lines */
	t = nic_reach1(r, k, f, false);
	/* ntpd 4.2.6 before p3 (and 4.2.7 before p80): the IPv6 wildcard bug */
	if (f && ((1u << k) & K_OLD)) {
		const struct version *v = &r->ver;
		bool buggy = v->known && !v->ntpsec && (vcmp(v, 4, 2, 6, 3) < 0 ||
			     (vcmp(v, 4, 2, 7, 0) >= 0 && vcmp(v, 4, 2, 7, 80) < 0));
		bool fixed = v->known && !v->ntpsec && !buggy;
		enum tri b = nic_reach1(r, k, f, true);

		if (buggy)
			t = b;
		else if (!fixed && b != t)
			t = T_MAYBE;
	}
	if (r->include_unknown && t == T_NO)
		t = T_MAYBE;            /* an unreadable include may add rules */
	return t;
}

/* Flag words of the default lines covering family f, plus noquery. */
static void suggest_default(struct report *r, int f, bool ntpsec_only)
{
	char words[512] = "";
	bool any = false;

	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];
		char w[256], *save = NULL, *t;

		if (l->kind != A_DEFAULT || l->unrestrict || l->acc == T_NO ||
		    (l->flags & RF_NTPPORT))
			continue;
		if (l->fam && l->fam != (f ? 6 : 4))
			continue;
		any = true;
		snprintf(w, sizeof(w), "%s", l->words);
		for (t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			char pad[300];
			int k = rflag_find(t);

			if (k < 0 || !strcmp(t, "noquery") || !strcmp(t, "ignore") ||
			    (r->kinds & ~rflags[k].yes))
				continue;       /* only words every possible daemon accepts */
			if (rflags[k].arg)
				continue;
			snprintf(pad, sizeof(pad), " %s ", t);
			{
				char cur[520];

				snprintf(cur, sizeof(cur), " %s ", words);
				if (strstr(cur, pad))
					continue;
			}
			if (strlen(words) + strlen(t) + 2 < sizeof(words)) {
				if (words[0])
					strcat(words, " ");
				strcat(words, t);
			}
		}
	}
	if (!any || !words[0])
		snprintf(words, sizeof(words), "%s", ntpsec_only ? "kod nomodify nopeer limited" :
			 "kod notrap nomodify nopeer");
	if (ntpsec_only || bug1535(&r->ver))
		add_fix(r, "restrict default %s noquery", words);
	else
		add_fix(r, "restrict -%d default %s noquery", f ? 6 : 4, words);
}

static const struct rline *find_line(const struct report *r, enum akind k, int afam,
				     bool loopback)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];

		if (l->kind == k && !l->unrestrict && l->acc != T_NO &&
		    (k != A_ADDR || (l->afam == afam && (!loopback || addr_is_loopback(l)))))
			return l;
	}
	return NULL;
}

/* Why family f has no socket other hosts can reach (daemon kind k). */
static void reach_finding(struct report *r, int k, int f)
{
	const struct version *v = &r->ver;
	bool v6_as_v4 = f && ((1u << k) & K_OLD) && v->known && !v->ntpsec &&
			vcmp(v, 4, 2, 6, 3) < 0;
	enum nact wild;
	bool any, dflt;
	unsigned a = nic_actions(r, k, f, v6_as_v4, &wild, &any, &dflt);
	const struct nicline *last = NULL;
	char lines[64] = "";
	struct ktext kt;
	const char *fam = f ? "IPv6" : "IPv4";

	for (size_t i = 0; i < r->nnic; i++) {
		const struct nicline *c = &r->nic[i];
		char one[16];

		if (!c->ok || c->after_end)
			continue;
		last = c;
		snprintf(one, sizeof(one), "%s%d", lines[0] ? ", " : "", c->line);
		if (strlen(lines) + strlen(one) + 5 < sizeof(lines))
			strcat(lines, one);
		else if (!strstr(lines, "..."))
			strcat(lines, ", ...");
	}
	add_finding(r, S_INFO, last ? last->file : r->path, last ? last->line : 0,
		    "%s: %s binds no socket other hosts can reach (interface/nic lines %s): "
		    "its %s addresses %s%s, the %s wildcard socket %s (ntp_io.c "
		    "interface_action(), create_wildcards())", fam,
		    (r->kinds & ~(1u << k) & ~K_ANCIENT) ? kinds_text(1u << k, &kt) : "ntpd",
		    lines, fam,
		    a == NA_IGNORE ? "are not bound" : a == NA_DROP ?
		    "are bound but drop what they receive" : "are not bound or drop what they receive",
		    dflt && (a & NA_IGNORE) ? " (once there is any interface/nic rule, an "
		    "address no rule names is ignored)" : "", fam,
		    wild == NA_IGNORE ? "is not opened" : "drops what it receives");
}

static void analyse_ntp(struct report *r)
{
	struct ktext kt;
	struct eval best, worst;
	bool by_version;
	bool ntpsec_only = !(r->kinds & K_CLASSIC);
	bool classic_possible = r->kinds & K_CLASSIC;
	bool any_fix = false;
	int limited_line = 0;
	const char *limited_file = NULL;
	bool queries_open;
	bool rest_all[2];               /* the default entries refuse, every kind */
	int unreach_kind[2] = { -1, -1 }; /* a kind with no reachable socket */

	evaluate(r, true, &best);
	evaluate(r, false, &worst);
	if (r->include_unknown) {
		/* would the file decide without the unreadable include? */
		struct report tmp = *r;
		struct eval b2, w2;

		tmp.include_unknown = false;
		evaluate(&tmp, true, &b2);
		evaluate(&tmp, false, &w2);
		by_version = refused(b2.flags[0]) != refused(w2.flags[0]) ||
			     refused(b2.flags[1]) != refused(w2.flags[1]);
	} else {
		by_version = true;
	}
	/*
	 * Per daemon kind: answered when a socket other hosts can reach is
	 * bound and the default entry lets them query; the answer is certain
	 * only when every possible kind agrees.
	 */
	for (int f = 0; f < 2; f++) {
		bool all_noans = true, all_ans = true, reach_yes = true, reach_no = true;

		rest_all[f] = true;
		for (int k = 0; k < NKIND; k++) {
			struct eval eb, ew;
			enum tri re;

			if (!(r->kinds & (1u << k)))
				continue;
			evaluate_kind(r, k, true, &eb);
			evaluate_kind(r, k, false, &ew);
			re = nic_reach(r, k, f);
			if (!(re == T_NO || refused(ew.flags[f])))
				all_noans = false;
			if (!(re == T_YES && !refused(eb.flags[f])))
				all_ans = false;
			if (!refused(ew.flags[f]))
				rest_all[f] = false;
			if (re != T_YES)
				reach_yes = false;
			if (re != T_NO)
				reach_no = false;
			if (re == T_NO && unreach_kind[f] < 0)
				unreach_kind[f] = k;
		}
		r->refused[f] = all_noans ? T_YES : all_ans ? T_NO : T_MAYBE;
		r->reach[f] = reach_yes ? T_YES : reach_no ? T_NO : T_MAYBE;
	}
	if (r->refused[0] == T_YES && r->refused[1] == T_YES)
		r->verdict = NG_EXIT_OK;
	else if (r->refused[0] == T_NO || r->refused[1] == T_NO)
		r->verdict = AUDIT_EXIT_RISK;
	else
		r->verdict = AUDIT_EXIT_UNKNOWN;
	if (r->unreadable) {
		r->verdict = AUDIT_EXIT_UNKNOWN;
		r->refused[0] = r->refused[1] = T_MAYBE;
		return;
	}
	queries_open = r->verdict != NG_EXIT_OK;

	/* why, family by family */
	for (int f = 0; f < 2 && !r->unreadable; f++) {
		const char *fam = f ? "IPv6" : "IPv4";
		bool explicit_line = false, plain = false;

		for (size_t i = 0; i < r->nr; i++) {
			const struct rline *l = &r->r[i];

			if (l->kind != A_DEFAULT || l->unrestrict || (l->flags & RF_NTPPORT))
				continue;
			if (l->fam == (f ? 6 : 4))
				explicit_line = true;
			if (!l->fam)
				plain = true;
		}
		if (r->refused[f] == T_YES) {
			if (unreach_kind[f] >= 0)
				reach_finding(r, unreach_kind[f], f);
			if (!rest_all[f])
				continue;
			if (worst.line[f])
				add_finding(r, S_INFO, worst.file[f], worst.line[f],
					    "%s: mode 6/7 queries from other hosts are refused "
					    "(%s on the default entry)", fam,
					    worst.flags[f] & RF_IGNORE ? "ignore" : "noquery");
			else
				add_finding(r, S_INFO, r->path, 0, "%s: mode 6/7 queries from other "
					    "hosts are refused (ntpsec >= 1.1.9 starts the default "
					    "entries with noquery)", fam);
			continue;
		}
		if (r->refused[f] == T_NO) {
			if (!worst.line[f] && (explicit_line || (plain && f == 0)))
				add_finding(r, S_RISK, r->path, 0, "%s: ntpd rejects every default "
					    "line for %s (see the errors): every %s host may send "
					    "mode 6/7 queries", fam, fam, fam);
			else if (!worst.line[f] && plain)
				add_finding(r, S_RISK, r->path, 0, "%s: no default line applies "
					    "to %s (see 'restrict default' below): every %s host "
					    "may send mode 6/7 queries", fam, fam, fam);
			else if (!worst.line[f])
				add_finding(r, S_RISK, r->path, 0, "%s: no 'restrict %sdefault' "
					    "line: every %s host may send mode 6/7 queries", fam,
					    f ? "-6 " : "", fam);
			else
				add_finding(r, S_RISK, worst.file[f] ? worst.file[f] : r->path,
					    worst.line[f], "%s: the default entry has neither "
					    "noquery nor ignore: every %s host may send mode 6/7 "
					    "queries", fam, fam);
		} else {
			add_finding(r, S_WARN, best.file[f] ? best.file[f] : r->path,
				    best.line[f], "%s: whether mode 6/7 queries are refused "
				    "depends on %s (see below)", fam, by_version ?
				    "the daemon and version" : "the include that cannot be read");
			if (unreach_kind[f] >= 0)
				reach_finding(r, unreach_kind[f], f);
		}
		if (f == 1 && plain && !explicit_line &&
		    tri_of(r->kinds, K_OLD | K_NEW | K_NTPSEC) != T_YES)
			add_finding(r, r->kinds & K_ANCIENT && !(r->kinds & ~K_ANCIENT) ?
				    S_RISK : S_WARN, r->path, 0,
				    "'restrict default' without -4/-6 covers IPv6 only in ntpd "
				    ">= 4.2.6 and ntpsec; ntpd 4.2.4 and older apply it to IPv4 "
				    "only: add an explicit 'restrict -6 default' line");
		if (classic_possible || f == 0 || !ntpsec_only)
			suggest_default(r, f, ntpsec_only);
		any_fix = true;
	}

	/* lines that may or may not be applied */
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];

		if (l->acc == T_NO || (l->acc == T_MAYBE && l->syntax_sure))
			add_finding(r, S_ERROR, l->file, l->line, "'%s': %s", l->text, l->why);
		else if (l->acc == T_MAYBE)
			add_finding(r, S_WARN, l->file, l->line, "'%s': %s", l->text, l->why);
		if (l->kind == A_DEFAULT && l->unrestrict &&
		    (l->eff_any & (RF_NOQUERY | RF_IGNORE))) {
			add_finding(r, queries_open ? S_RISK : S_INFO, l->file, l->line,
				    "'%s' removes noquery from the default entry%s", l->text,
				    queries_open ? "" : " (a later line puts it back)");
			if (queries_open)
				add_removal(r, l->file, l->line, l->text);
		}
		if (l->kind == A_DEFAULT && (l->eff_any & RF_NTPPORT) && !l->unrestrict)
			add_finding(r, S_INFO, l->file, l->line, "'%s' applies only to packets "
				    "from source port 123, not to ntpq/ntpdc queries", l->text);
		if ((l->eff_any & RF_LIMITED) && !l->unrestrict && !limited_line) {
			limited_line = l->line;
			limited_file = l->file;
		}
	}

	/* per-address exceptions: who may still query */
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];
		char a[INET6_ADDRSTRLEN];

		if (l->unrestrict || !l->open_any)
			continue;
		if (l->kind == A_SOURCE) {
			add_finding(r, S_WARN, l->file, l->line, "'restrict source' has no noquery: "
				    "the addresses of your servers and pool peers may send mode "
				    "6/7 queries (and can be spoofed to be sent the replies)");
			add_fix(r, "restrict source %s%snoquery", l->words, l->words[0] ? " " : "");
			any_fix = true;
		} else if (l->kind == A_NAME) {
			add_finding(r, S_INFO, l->file, l->line, "%s (resolved when ntpd starts) "
				    "may send mode 6/7 queries", l->name);
		} else if (l->kind == A_ADDR && !addr_is_loopback(l)) {
			inet_ntop(l->afam, l->addr, a, sizeof(a));
			if (l->plen < 0)
				add_finding(r, S_WARN, l->file, l->line, "%s with a non-contiguous "
					    "mask may send mode 6/7 queries", a);
			else
				add_finding(r, (l->afam == AF_INET && l->plen < 32) ||
					    (l->afam == AF_INET6 && l->plen < 128) ? S_WARN : S_INFO,
					    l->file, l->line, "%s/%d may send mode 6/7 queries "
					    "(a spoofed request from %s makes ntpd reply there)", a,
					    l->plen, l->plen == (l->afam == AF_INET ? 32 : 128) ?
					    "it" : "one of them");
		}
	}

	/* monitor list and mode 7 (classic ntpd) */
	if (classic_possible) {
		enum sev open_sev = r->verdict == AUDIT_EXIT_RISK ? S_RISK : S_WARN;
		bool old_possible = r->kinds & (K_ANCIENT | K_OLD);

		if (r->disable_monitor && limited_line && old_possible)
			add_finding(r, open_sev, r->disable_monitor_file,
				    r->disable_monitor, "'disable monitor' is not enough: "
				    "'limited' (%s%sline %d) turns the monitor list back on in ntpd "
				    "4.2.6 (inc_res_limited() calls mon_start(MON_RES); 'disable "
				    "monitor' clears only MON_ON), so monlist still returns up to "
				    "600 client addresses; noquery is what refuses it",
				    strcmp(limited_file, r->disable_monitor_file) ? limited_file : "",
				    strcmp(limited_file, r->disable_monitor_file) ? " " : "",
				    limited_line);
		else if (r->disable_monitor && old_possible)
			add_finding(r, S_INFO, r->disable_monitor_file, r->disable_monitor,
				    "'disable monitor': the monitor list is off, ntpd <= 4.2.6 "
				    "answers monlist without data%s", queries_open ?
				    "; other mode 7 requests (peer lists) and mode 6 are still "
				    "answered, so this alone is not a fix" : "");
		else if (!r->disable_monitor && old_possible && queries_open)
			add_finding(r, open_sev, r->path, 0, "the monitor list is on (the default "
				    "up to ntpd 4.2.6): monlist returns up to 600 client addresses, "
				    "100 packets of 440 bytes for one request%s",
				    r->ver.known && vcmp(&r->ver, 4, 2, 7, 26) >= 0 ?
				    "" : " (ntpd < 4.2.7p26)");
		if (r->enable_mode7) {
			add_finding(r, queries_open ? open_sev : S_WARN, r->enable_mode7_file,
				    r->enable_mode7, "'enable mode7' turns ntpdc's mode 7 back on "
				    "(off by default since ntpd 4.2.7p230 / 4.2.8)%s",
				    queries_open ? "" : "; noquery on the defaults still refuses "
				    "it to other hosts");
			add_removal(r, r->enable_mode7_file, r->enable_mode7,
				    r->enable_mode7_text ? r->enable_mode7_text : "enable mode7");
		}
		if (r->ver.known && !r->ver.ntpsec && vcmp(&r->ver, 4, 2, 7, 26) < 0)
			add_finding(r, queries_open ? open_sev : S_INFO, r->path, 0,
				    "ntpd %s still has monlist (CVE-2013-5211, removed in 4.2.7p26)%s; "
				    "upgrade to 4.2.8 or later, or to ntpsec", r->ver.text,
				    !queries_open ? ": noquery keeps it from other hosts" :
				    r->disable_monitor && !limited_line ? ", empty while the "
				    "monitor is disabled" : " and answers it to every host the "
				    "restrict lines let query");
	}
	if (r->nnic && (r->kinds & K_ANCIENT))
		add_finding(r, S_INFO, r->path, 0, "ntpd 4.2.4 and older have no interface/nic "
			    "directive: they ignore those lines (ntp_config.c keywords[])");
	if (unreach_kind[0] >= 0 || unreach_kind[1] >= 0)
		add_finding(r, S_INFO, r->path, 0, "interface/nic: this assumes the loopback "
			    "interface has only 127.0.0.0/8 and ::1 (ntpd listens on any other "
			    "address there unless a rule names it) and that ntpd runs without "
			    "-I/-L (with them it exits on interface/nic lines)");
	if (r->verdict == AUDIT_EXIT_UNKNOWN && !r->unreadable && !by_version)
		add_finding(r, S_WARN, r->path, 0, "could not tell: an include that cannot be "
			    "read may hold anything; add the lines below, which settle it");
	else if (r->verdict == AUDIT_EXIT_UNKNOWN && !r->unreadable)
		add_finding(r, S_WARN, r->path, 0, "could not tell: the answer differs between "
			    "the daemons this file may be read by (%s); give the version with "
			    "--ntpd-version, or add the lines below, which are refused by all "
			    "of them", kinds_text(r->kinds, &kt));

	/* keep ntpq/ntpdc usable from the host itself */
	if (any_fix) {
		if (!find_line(r, A_ADDR, AF_INET, true))
			add_fix(r, "restrict 127.0.0.1");
		if (!find_line(r, A_ADDR, AF_INET6, true))
			add_fix(r, "restrict ::1");
	}
}

static void analyse_chrony(struct report *r)
{
	r->verdict = r->unreadable ? AUDIT_EXIT_UNKNOWN : NG_EXIT_OK;
	r->refused[0] = r->refused[1] = r->unreadable ? T_MAYBE : T_YES;
	if (r->unreadable)
		return;
	add_finding(r, S_INFO, r->path, 0, "chronyd answers no NTP mode 6 (ntpq) or mode 7 "
		    "(ntpdc, monlist) request: it drops them without a reply, whatever the "
		    "configuration; CVE-2013-5211 does not apply");
	if (r->ntpport0)
		add_finding(r, S_INFO, r->path, 0, "port 0: no NTP server port at all");
	else if (r->allow)
		add_finding(r, S_INFO, r->path, 0, "serves time (NTP mode 3/4) to: %s%s",
			    r->allow, r->has_deny ? " (minus the deny lines)" : "");
	else
		add_finding(r, S_INFO, r->path, 0, "no 'allow' line: serves time to no one "
			    "(client only)");
	if (r->cmdport0) {
		add_finding(r, S_INFO, r->path, 0, "cmdport 0: no chronyc UDP port");
	} else {
		bool remote = false;

		if (r->bindcmd) {
			char tmp[1024], *save = NULL;

			snprintf(tmp, sizeof(tmp), "%s", r->bindcmd);
			for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
				if (strcmp(t, "127.0.0.1") && strcmp(t, "::1") && t[0] != '/')
					remote = true;
		}
		add_finding(r, S_INFO, r->path, 0, "chronyc monitoring (UDP 323) listens on %s",
			    r->bindcmd ? r->bindcmd : "127.0.0.1 and ::1 (the default)");
		if (r->cmdallow && remote)
			add_finding(r, S_WARN, r->path, 0, "chronyc monitoring is open to %s: not "
				    "an amplifier (chrony pads requests to the reply size since "
				    "protocol version 6), but limit it to management hosts",
				    r->cmdallow);
		else if (r->cmdallow)
			add_finding(r, S_INFO, r->path, 0, "cmdallow %s has no effect while the "
				    "command port is bound to loopback", r->cmdallow);
	}
}

/* ------------------------------------------------------------- output */

static const char *verdict_name(int v)
{
	return v == NG_EXIT_OK ? "safe" : v == AUDIT_EXIT_RISK ? "at-risk" : "unknown";
}

static const char *tri_json(enum tri t)
{
	return t == T_YES ? "true" : t == T_NO ? "false" : "null";
}

static const struct report *sort_r;

/* severity, then files in the order read, then line; stable */
static int finding_cmp(const void *pa, const void *pb)
{
	const struct finding *a = *(const struct finding *const *)pa;
	const struct finding *b = *(const struct finding *const *)pb;
	int fa = -1, fb = -1;

	if (a->sev != b->sev)
		return (int)a->sev - (int)b->sev;
	for (size_t i = 0; i < sort_r->nfiles; i++) {
		if (a->file && !strcmp(a->file, sort_r->files[i]) && fa < 0)
			fa = (int)i;
		if (b->file && !strcmp(b->file, sort_r->files[i]) && fb < 0)
			fb = (int)i;
	}
	if (fa != fb)
		return fa - fb;
	if (a->line != b->line)
		return a->line - b->line;
	return a < b ? -1 : a > b;
}

/* Findings in printing order (caller frees). */
static const struct finding **sorted_findings(const struct report *r)
{
	const struct finding **v = calloc(r->nf + 1, sizeof(*v));

	if (!v) {
		ng_err("out of memory");
		exit(NG_EXIT_FAIL);
	}
	for (size_t i = 0; i < r->nf; i++)
		v[i] = &r->f[i];
	sort_r = r;
	qsort(v, r->nf, sizeof(*v), finding_cmp);
	return v;
}

static void print_text(const struct report *r, FILE *out)
{
	const struct finding **sf = sorted_findings(r);
	static const char *const tag[] = { "RISK", "ERROR", "warning", "info" };

	fprintf(out, "%s: %s configuration\n", r->path, r->type);
	if (!r->chrony && !r->unreadable)
		fprintf(out, "  ntpd: %s\n", r->vernote);
	if (!r->chrony && !r->unreadable)
		for (int f = 0; f < 2; f++)
			fprintf(out, "  IPv%d: mode 6/7 queries from other hosts %s\n", f ? 6 : 4,
			       r->reach[f] == T_NO ? "not answered (no socket they can reach)" :
			       r->refused[f] == T_YES ? "refused" :
			       r->refused[f] == T_NO ? "ANSWERED" : "maybe answered");
	for (size_t i = 0; i < r->nf; i++) {
		const struct finding *f = sf[i];

		fprintf(out, "  %-7s ", tag[f->sev]);
		if (f->line && f->file && strcmp(f->file, r->path))
			fprintf(out, "%s line %d: ", f->file, f->line);
		else if (f->line)
			fprintf(out, "line %d: ", f->line);
		fprintf(out, "%s\n", f->msg);
	}
	free(sf);
	fprintf(out, "  verdict: %s\n", r->verdict == NG_EXIT_OK ? (r->chrony ?
	       "SAFE (chronyd answers no mode 6/7)" : "SAFE (mode 6/7 refused to other hosts)") :
	       r->verdict == AUDIT_EXIT_RISK ? "AT RISK (other hosts can send mode 6/7 queries)" :
	       "COULD NOT TELL");
	if (r->nadd) {
		fprintf(out, "  fix: add at the end of %s, then restart %s:\n", r->path,
		       r->kinds & K_CLASSIC ? "ntpd" : "ntpsec");
		for (size_t i = 0; i < r->nadd; i++)
			fprintf(out, "    %s\n", r->add[i]);
	}
	for (size_t i = 0; i < r->nrm; i++)
		fprintf(out, "  %s %s%sline %d: %s\n", r->nadd ? "and remove" : "fix: remove",
		       strcmp(r->rm[i].file, r->path) ? r->rm[i].file : "",
		       strcmp(r->rm[i].file, r->path) ? " " : "", r->rm[i].line, r->rm[i].text);
}

static void print_json(const struct report *r, FILE *out)
{
	const struct finding **sf;
	struct ktext kt;

	fprintf(out, "{\"path\": ");
	ng_json_str(out, r->path);
	fprintf(out, ", \"type\": ");
	ng_json_str(out, r->type);
	fprintf(out, ", \"verdict\": \"%s\", \"ntpd_version\": ", verdict_name(r->verdict));
	if (r->ver.known && !r->chrony)
		ng_json_str(out, r->ver.text);
	else
		fprintf(out, "null");
	fprintf(out, ", \"daemons\": ");
	ng_json_str(out, r->chrony ? "chrony" : kinds_text(r->kinds, &kt));
	fprintf(out, ", \"queries_refused\": {\"ipv4\": %s, \"ipv6\": %s}",
	       tri_json(r->refused[0]), tri_json(r->refused[1]));
	fprintf(out, ", \"reachable\": {\"ipv4\": %s, \"ipv6\": %s}",
	       r->chrony || r->unreadable ? "null" : tri_json(r->reach[0]),
	       r->chrony || r->unreadable ? "null" : tri_json(r->reach[1]));
	fprintf(out, ", \"files_read\": [");
	for (size_t i = 0; i < r->nfiles; i++) {
		fprintf(out, "%s", i ? ", " : "");
		ng_json_str(out, r->files[i]);
	}
	fprintf(out, "], \"findings\": [");
	sf = sorted_findings(r);
	for (size_t i = 0; i < r->nf; i++) {
		fprintf(out, "%s{\"severity\": \"%s\", \"file\": ", i ? ", " : "", sev_name[sf[i]->sev]);
		ng_json_str(out, sf[i]->file ? sf[i]->file : r->path);
		if (sf[i]->line)
			fprintf(out, ", \"line\": %d", sf[i]->line);
		else
			fprintf(out, ", \"line\": null");
		fprintf(out, ", \"message\": ");
		ng_json_str(out, sf[i]->msg);
		fprintf(out, "}");
	}
	free(sf);
	fprintf(out, "], \"fix\": {\"add\": [");
	for (size_t i = 0; i < r->nadd; i++) {
		fprintf(out, "%s", i ? ", " : "");
		ng_json_str(out, r->add[i]);
	}
	fprintf(out, "], \"remove\": [");
	for (size_t i = 0; i < r->nrm; i++) {
		fprintf(out, "%s{\"file\": ", i ? ", " : "");
		ng_json_str(out, r->rm[i].file);
		fprintf(out, ", \"line\": %d, \"text\": ", r->rm[i].line);
		ng_json_str(out, r->rm[i].text);
		fprintf(out, "}");
	}
	fprintf(out, "]}}");
}

static void report_free(struct report *r)
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

/* ---------------------------------------------------------------- main */

enum ftype { FT_AUTO, FT_NTPD, FT_NTPSEC, FT_CHRONY };

/* ntp or chrony? by name, then by which directives the file uses */
static bool looks_chrony(const char *path)
{
	const char *base = strrchr(path, '/');
	FILE *f;
	char line[MAX_LINE];
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

		if (k == 1 && in_list(tok[0], chrony_only))
			c++;
		else if (k == 1 && in_list(tok[0], ntp_only))
			n++;
	}
	fclose(f);
	return c > 0 && n == 0;
}

struct audit_cfg {
	const char *ntpd, *given;       /* --ntpd, --ntpd-version */
	int type;                       /* enum ftype */
	bool json;
};

static const struct ng_enum ftypes[] = {
	{ "ntpd", FT_NTPD }, { "ntpsec", FT_NTPSEC }, { "chrony", FT_CHRONY }, { NULL },
};

static const struct ng_opt audit_opts[] = {
	NG_OPT(NG_OPT_STR, struct audit_cfg, ntpd, "ntpd", 0, .metavar = "PATH", .group = 1,
	       .help = "ask this ntpd binary for its version"),
	NG_OPT(NG_OPT_STR, struct audit_cfg, given, "ntpd-version", 0, .metavar = "VER",
	       .group = 1, .help = "run nothing: the daemon is VER (4.2.6p5,\n"
				   "4.2.8p15, ntpsec-1.2.2, ...)"),
	NG_OPT(NG_OPT_ENUM, struct audit_cfg, type, "type", 0, .metavar = "T", .vals = ftypes,
	       .help = "ntpd, ntpsec or chrony (default: from the file)"),
	NG_OPT(NG_OPT_FLAG, struct audit_cfg, json, "json", 'j',
	       .help = "machine-readable output"),
	NG_OPT_END
};

static int cmd_audit(int argc, char **argv)
{
	static const char *const defaults[] = {
		"/etc/ntp.conf", "/etc/ntpsec/ntp.conf", "/etc/chrony/chrony.conf",
		"/etc/chrony.conf", NULL
	};
	static const char *const bins[] = {
		"/usr/sbin/ntpd", "/usr/local/sbin/ntpd", "/usr/bin/ntpd", "/sbin/ntpd", NULL
	};
	struct audit_cfg cfg = { .type = FT_AUTO };
	const char *ntpd, *given, *files[64];
	struct ktext kt;
	struct version ver = { 0 };
	enum ftype type;
	bool json, ver_tried = false;
	int first, nfiles = 0, worst;

	worst = ng_parse(&audit_cmd, &cfg, argc, argv, &first);
	if (worst != NG_CONTINUE)
		return worst;
	worst = NG_EXIT_OK;
	ntpd = cfg.ntpd;
	given = cfg.given;
	type = (enum ftype)cfg.type;
	json = cfg.json;
	if (given) {
		if (version_parse(given, &ver, false))
			return ng_cmd_usage_err(&audit_cmd, "--ntpd-version: '%s' is not a version "
					    "like 4.2.6p5 or ntpsec-1.2.2", given);
		snprintf(ver.text, sizeof(ver.text), "%s", given);
		snprintf(ver.how, sizeof(ver.how), "--ntpd-version");
	}
	if (argc - first > (int)(sizeof(files) / sizeof(files[0])))
		return ng_cmd_usage_err(&audit_cmd, "at most %zu files",
				    sizeof(files) / sizeof(files[0]));
	for (int i = first; i < argc; i++)
		files[nfiles++] = argv[i];
	if (!nfiles) {
		for (int i = 0; defaults[i]; i++)
			if (access(defaults[i], F_OK) == 0)
				files[nfiles++] = defaults[i];
		if (!nfiles) {
			ng_err("no NTP configuration found (looked for /etc/ntp.conf, "
			       "/etc/ntpsec/ntp.conf, /etc/chrony/chrony.conf, /etc/chrony.conf)");
			if (json)
				printf("{\"files\": [], \"verdict\": \"unknown\"}\n");
			return AUDIT_EXIT_UNKNOWN;
		}
	}

	if (json)
		printf("{\"files\": [");
	for (int i = 0; i < nfiles; i++) {
		struct report r = { .path = files[i] };
		char *stack[MAX_INCLUDE_DEPTH + 2] = { 0 };
		bool chrony = type == FT_CHRONY || (type == FT_AUTO && looks_chrony(files[i]));

		r.chrony = chrony;
		if (chrony) {
			r.type = xstrdup("chrony");
			read_chrony(&r, files[i], 0, files[i], 0);
			analyse_chrony(&r);
		} else {
			if (!ver.known && !ver_tried) {
				ver_tried = true;
				if (ntpd) {
					if (version_exec(ntpd, &ver))
						ng_err("%s --version gave no version; the version is "
						       "treated as unknown", ntpd);
				} else {
					for (int b = 0; bins[b] && version_exec(bins[b], &ver); b++)
						;
				}
			}
			r.ver = ver;
			r.kinds = version_kinds(&ver);
			if (type == FT_NTPSEC || (type == FT_AUTO && !ver.known &&
						  (strstr(files[i], "/ntpsec/") ||
						   strstr(strrchr(files[i], '/') ?
							  strrchr(files[i], '/') : files[i], "ntpsec"))))
				r.kinds &= K_NTPSEC;
			else if (type == FT_NTPD)
				r.kinds &= K_CLASSIC;
			if (!r.kinds) {
				ng_err("%s: --type %s contradicts the ntpd version %s", files[i],
				       type == FT_NTPSEC ? "ntpsec" : "ntpd", ver.text);
				return NG_EXIT_USAGE;
			}
			r.type = xstrdup(!(r.kinds & K_NTPSEC) ? "ntpd" :
					 !(r.kinds & K_CLASSIC) ? "ntpsec" : "ntpd or ntpsec");
			if (ver.known)
				snprintf(r.vernote, sizeof(r.vernote), "%s (%s)", ver.text, ver.how);
			else
				snprintf(r.vernote, sizeof(r.vernote), "version unknown (%s); "
					 "assuming any of: %s", ntpd ? "no answer to --version" :
					 "no ntpd binary found", kinds_text(r.kinds, &kt));
			read_ntp(&r, files[i], 0, files[i], 0, stack);
			analyse_ntp(&r);
		}
		if (r.unreadable)
			ng_err("cannot read %s: %s", files[i], strerror(r.read_err));
		if (json) {
			printf("%s", i ? ", " : "");
			print_json(&r, stdout);
		} else {
			printf("%s", i ? "\n" : "");
			print_text(&r, stdout);
		}
		if (r.verdict == AUDIT_EXIT_RISK ||
		    (r.verdict == AUDIT_EXIT_UNKNOWN && worst == NG_EXIT_OK))
			worst = r.verdict;
		report_free(&r);
	}
	if (json)
		printf("], \"verdict\": \"%s\"}\n", verdict_name(worst));
	return worst;
}

/*
 * The parser's pure entry point, for tests/fuzz/fuzz_audit.c: audit a
 * configuration held in memory as the daemon named by version reads it
 * ("4.2.6p5", "ntpsec-1.2.2"; NULL: unknown; "chrony": a chrony.conf) and
 * print the report to out (text or JSON). Nothing is opened (an includefile
 * line counts as an include that cannot be read, chrony's include and
 * confdir are skipped) and nothing is run. Returns the verdict: 0, 3 or 4.
 */
/* Evaluate a configuration held in memory (never the file system). */
static void audit_mem(struct report *r, const char *buf, size_t len, const char *version)
{
	char *stack[MAX_INCLUDE_DEPTH + 2] = { 0 };
	struct ktext kt;
	FILE *f = NULL;

	r->path = "(buffer)";
	r->no_fs = true;
	r->chrony = version && !strcmp(version, "chrony");
	if (!r->chrony) {
		if (version && !version_parse(version, &r->ver, false)) {
			snprintf(r->ver.text, sizeof(r->ver.text), "%s", version);
			snprintf(r->ver.how, sizeof(r->ver.how), "given");
			snprintf(r->vernote, sizeof(r->vernote), "%s (given)", version);
		} else {
			memset(&r->ver, 0, sizeof(r->ver));
			snprintf(r->vernote, sizeof(r->vernote), "version unknown; assuming any "
				 "of: %s", kinds_text(K_ALL, &kt));
		}
		r->kinds = version_kinds(&r->ver);
	}
	r->type = xstrdup(r->chrony ? "chrony" : !(r->kinds & K_NTPSEC) ? "ntpd" :
			  !(r->kinds & K_CLASSIC) ? "ntpsec" : "ntpd or ntpsec");
	if (len)
		f = fmemopen((void *)buf, len, "r");
	if (len && !f) {
		ng_err("fmemopen: %s", strerror(errno));
		r->unreadable = true;
	}
	if (f) {
		read_stream(r, f, keep_file(r, r->path), r->chrony ? chrony_line : ntp_line, 0,
			    stack);
		fclose(f);
	}
	if (r->chrony)
		analyse_chrony(r);
	else
		analyse_ntp(r);
}

int audit_buffer(const char *buf, size_t len, const char *version, bool json, FILE *out)
{
	struct report r = { 0 };
	int verdict;

	audit_mem(&r, buf, len, version);
	if (json)
		print_json(&r, out);
	else
		print_text(&r, out);
	verdict = r.verdict;
	report_free(&r);
	return verdict;
}

int audit_fix_lines(const char *buf, size_t len, const char *version, char *out,
		    size_t outlen)
{
	struct report r = { 0 };
	size_t n = 0;
	int count;

	audit_mem(&r, buf, len, version);
	out[0] = 0;
	for (size_t i = 0; i < r.nadd && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? "\n" : "", r.add[i]);
	count = (int)r.nadd;
	report_free(&r);
	return count;
}

NG_COMMAND(audit,
	.summary = "audit an ntpd/ntpsec/chrony config for mode 6/7 exposure",
	.args = "[FILE...]",
	.doc = "Reads an ntpd, ntpsec or chrony configuration (includes too) and says\n"
	       "whether other hosts can send the daemon NTP mode 6 (ntpq) and mode 7\n"
	       "(ntpdc, monlist: CVE-2013-5211) queries, why, and which lines to add.\n"
	       "Without FILE: /etc/ntp.conf, /etc/ntpsec/ntp.conf, /etc/chrony/chrony.conf\n"
	       "and /etc/chrony.conf, those that exist.\n\n"
	       "Safe means: the default restrict entries of IPv4 and IPv6 carry noquery\n"
	       "or ignore. Also reported: 'disable monitor' (and that 'limited' turns\n"
	       "the monitor list back on in ntpd 4.2.6, so it is not enough alone),\n"
	       "'enable mode7', 'restrict source', per-address exceptions, malformed\n"
	       "lines (with their line number), and chrony's allow/cmdallow/\n"
	       "bindcmdaddress (chrony never answers mode 6/7).\n\n"
	       "The answer depends on the daemon and version ('restrict default' covers\n"
	       "IPv6 only from ntpd 4.2.6 on; ntpsec >= 1.1.9 starts with noquery): the\n"
	       "version comes from running 'ntpd --version' (the first of /usr/sbin/ntpd,\n"
	       "/usr/local/sbin/ntpd, /usr/bin/ntpd, /sbin/ntpd) unless given.\n",
	.epilog = "Exit: 0 safe, 3 at risk, 4 could not tell (unreadable file, or the\n"
		  "answer depends on an unknown version), 1 runtime error, 2 bad arguments.\n"
		  "With several files: 3 if any is at risk, else 4 if any could not tell.\n");

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_version.h - which daemon reads an ntp.conf: the daemon kinds audit
 * tells apart, an ntpd / ntpsec version (given, or learnt by running the
 * binary with --version) and the kinds it leaves possible.
 */
#ifndef NG_AUDIT_VERSION_H
#define NG_AUDIT_VERSION_H

#include <limits.h>
#include <stdbool.h>

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

struct audit_version {
	bool known, ntpsec;
	int v[4];               /* 4.2.6p5 -> 4 2 6 5 */
	char text[128];         /* as reported */
	char how[PATH_MAX + 32];
};

/* Compare a known version with a.b.c(pP): <0, 0, >0. */
int audit_vcmp(const struct audit_version *v, int a, int b, int c, int p);

/*
 * "ntpd 4.2.6p5@1.2349-o ..." or "ntpd ntpsec-1.2.2": 0, or -1. From a
 * binary (strict) the text must name ntpd and a 4.x version; given by the
 * user, "4.2.6p5" or "ntpsec-1.2.2" is enough.
 */
int audit_version_parse(const char *s, struct audit_version *v, bool strict);

/* The kinds a version leaves possible (all of them when unknown). */
unsigned audit_version_kinds(const struct audit_version *v);

/* Run "NTPD --version" (no shell, 3 s at most); 0 if a version came back. */
int audit_version_exec(const char *path, struct audit_version *v);

/* ntpd 4.2.6 before p2, 4.2.7 before p26 (Bug 1535; see the .c file). */
bool audit_bug1535(const struct audit_version *v);

/* "ntpd < 4.2.6, ntpsec >= 1.1.9": the kinds in k, for messages. */
struct ktext {
	char s[160];
};
const char *audit_kinds_text(unsigned k, struct ktext *b);

#endif

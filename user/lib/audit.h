/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit.h - `ntpguard audit`: read an ntpd / ntpsec / chrony configuration
 * and say whether remote hosts can send it NTP mode 6 and mode 7 queries
 * (monlist reflection, CVE-2013-5211), why, and which lines to add.
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
 *    flags before it (bison's default reduction, see audit_restrict.c);
 *    CIDR prefixes are an error in classic ntpd; nothing after 'end' is read;
 *  - interface/nic lines decide which sockets other hosts can reach at all
 *    (ntp_io.c interface_action(), see audit_reach.c): a family with none
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
 *
 * The modules, each with its header:
 *   audit.c          the entry points: one file, a buffer, the fix lines
 *                    alone (this header)
 *   audit_model.c    the report they fill: findings, fixes, files read;
 *                    the line reader
 *   audit_version.c  daemon kinds, versions, running "ntpd --version"
 *   audit_ntp_scan.c ntp.conf's tokenizer and keyword tables
 *   audit_ntp.c      the ntpd/ntpsec parser: directives, includefile,
 *                    enable/disable, interface/nic
 *   audit_restrict.c restrict/unrestrict lines, per daemon kind
 *   audit_chrony.c   chrony.conf, and telling the two kinds of file apart
 *   audit_reach.c    interface/nic rules: which sockets other hosts reach
 *   audit_eval.c     the default entries per family, verdict, findings, fix
 *   audit_report.c   text and JSON
 */
#ifndef NG_AUDIT_H
#define NG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "audit_model.h"

/* "ntpd", "ntpsec" or "ntpd or ntpsec": who the kinds are (r->type). */
const char *audit_type_name(unsigned kinds);

/* Audit one ntp.conf as the daemons in kinds read it (version ver, how the
 * report names it: vernote), or one chrony.conf; r->path names the file.
 * The report is filled: print it (audit_report.h) and free it. */
void audit_ntp_file(struct report *r, const struct audit_version *ver, unsigned kinds,
		    const char *vernote);
void audit_chrony_file(struct report *r);

/*
 * The parser's pure entry point, for tests/fuzz/fuzz_audit.c: audit a
 * configuration held in memory as the daemon named by version reads it
 * ("4.2.6p5", "ntpsec-1.2.2"; NULL: unknown; "chrony": a chrony.conf) and
 * print the report to out (text or JSON). Nothing is opened (an includefile
 * line counts as an include that cannot be read, chrony's include and
 * confdir are skipped) and nothing is run. Returns the verdict: 0, 3 or 4.
 */
int audit_buffer(const char *buf, size_t len, const char *version, bool json, FILE *out);

/* The lines audit would add to a configuration held in memory (read as
 * audit_buffer() does), joined by newlines into out; how many. The notices
 * of `reflectors` use them. */
int audit_fix_lines(const char *buf, size_t len, const char *version, char *out,
		    size_t outlen);

#endif

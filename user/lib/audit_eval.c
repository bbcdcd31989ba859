// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_eval.c - an ntp.conf's verdict (see audit_eval.h and, for the
 * rules, audit.h): the default entries each possible daemon kind ends up
 * with, the sockets other hosts can reach (audit_reach.c), then one finding
 * per reason and the lines that settle it.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "common.h"
#include "audit_model.h"
#include "audit_eval.h"
#include "audit_ntp_scan.h"
#include "audit_reach.h"
#include "audit_restrict.h"

/* A property that holds for the kinds in mask: over the possible kinds. */
static enum tri tri_of(unsigned possible, unsigned mask)
{
	if (!(possible & ~mask))
		return T_YES;
	if (!(possible & mask))
		return T_NO;
	return T_MAYBE;
}

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

/* Is flag word t worth copying into a suggested default line? Only words
 * every possible daemon accepts, and neither noquery nor ignore. */
static bool suggestable(const struct report *r, const char *t)
{
	int k = rflag_find(t);

	return k >= 0 && strcmp(t, "noquery") && strcmp(t, "ignore") &&
	       !(r->kinds & ~rflags[k].yes) && !rflags[k].arg;
}

/* Add word t to the space-separated words (len), unless it is there. */
static void add_word(char *words, size_t len, const char *t)
{
	char pad[300], cur[520];

	snprintf(pad, sizeof(pad), " %s ", t);
	snprintf(cur, sizeof(cur), " %s ", words);
	if (strstr(cur, pad))
		return;
	if (strlen(words) + strlen(t) + 2 < len) {
		if (words[0])
			strcat(words, " ");
		strcat(words, t);
	}
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
		for (t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save))
			if (suggestable(r, t))
				add_word(words, sizeof(words), t);
	}
	if (!any || !words[0])
		snprintf(words, sizeof(words), "%s", ntpsec_only ? "kod nomodify nopeer limited" :
			 "kod notrap nomodify nopeer");
	if (ntpsec_only || audit_bug1535(&r->ver))
		audit_fix(r, "restrict default %s noquery", words);
	else
		audit_fix(r, "restrict -%d default %s noquery", f ? 6 : 4, words);
}

static const struct rline *find_line(const struct report *r, enum akind k, int afam,
				     bool loopback)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];

		if (l->kind == k && !l->unrestrict && l->acc != T_NO &&
		    (k != A_ADDR || (l->afam == afam && (!loopback || audit_rline_loopback(l)))))
			return l;
	}
	return NULL;
}

/* What the evaluation found, for the findings that explain it. */
struct analysis {
	struct eval best, worst;        /* over the possible kinds */
	bool by_version;                /* the answer depends on the daemon, not
					 * (only) on an include that cannot be read */
	bool queries_open;              /* not safe */
	bool any_fix;
	int limited_line;               /* the first line with 'limited' */
	const char *limited_file;
	bool rest_all[2];               /* the default entries refuse, every kind */
	int unreach_kind[2];            /* a kind with no reachable socket, or -1 */
};

/* With an include that cannot be read: would the file decide without it? */
static bool decided_by_version(const struct report *r)
{
	struct report tmp = *r;
	struct eval b2, w2;

	if (!r->include_unknown)
		return true;
	tmp.include_unknown = false;
	evaluate(&tmp, true, &b2);
	evaluate(&tmp, false, &w2);
	return refused(b2.flags[0]) != refused(w2.flags[0]) ||
	       refused(b2.flags[1]) != refused(w2.flags[1]);
}

/*
 * Per daemon kind: answered when a socket other hosts can reach is bound
 * and the default entry lets them query; the answer is certain only when
 * every possible kind agrees.
 */
static void judge_family(struct report *r, int f, struct analysis *a)
{
	bool all_noans = true, all_ans = true, reach_yes = true, reach_no = true;

	a->rest_all[f] = true;
	for (int k = 0; k < NKIND; k++) {
		struct eval eb, ew;
		enum tri re;

		if (!(r->kinds & (1u << k)))
			continue;
		evaluate_kind(r, k, true, &eb);
		evaluate_kind(r, k, false, &ew);
		re = audit_nic_reach(r, k, f);
		if (!(re == T_NO || refused(ew.flags[f])))
			all_noans = false;
		if (!(re == T_YES && !refused(eb.flags[f])))
			all_ans = false;
		if (!refused(ew.flags[f]))
			a->rest_all[f] = false;
		if (re != T_YES)
			reach_yes = false;
		if (re != T_NO)
			reach_no = false;
		if (re == T_NO && a->unreach_kind[f] < 0)
			a->unreach_kind[f] = k;
	}
	r->refused[f] = all_noans ? T_YES : all_ans ? T_NO : T_MAYBE;
	r->reach[f] = reach_yes ? T_YES : reach_no ? T_NO : T_MAYBE;
}

/* Family f refuses every possible daemon's queries: say why. */
static void explain_refused(struct report *r, int f, const struct analysis *a)
{
	const char *fam = f ? "IPv6" : "IPv4";

	if (a->unreach_kind[f] >= 0)
		audit_reach_finding(r, a->unreach_kind[f], f);
	if (!a->rest_all[f])
		return;
	if (a->worst.line[f])
		audit_finding(r, S_INFO, a->worst.file[f], a->worst.line[f],
			      "%s: mode 6/7 queries from other hosts are refused "
			      "(%s on the default entry)", fam,
			      a->worst.flags[f] & RF_IGNORE ? "ignore" : "noquery");
	else
		audit_finding(r, S_INFO, r->path, 0, "%s: mode 6/7 queries from other "
			      "hosts are refused (ntpsec >= 1.1.9 starts the default "
			      "entries with noquery)", fam);
}

/* Family f answers every possible daemon's queries: say why. explicit_line:
 * a default line with -4/-6 for f; plain: one without. */
static void explain_answered(struct report *r, int f, const struct analysis *a,
			     bool explicit_line, bool plain)
{
	const char *fam = f ? "IPv6" : "IPv4";

	if (!a->worst.line[f] && (explicit_line || (plain && f == 0)))
		audit_finding(r, S_RISK, r->path, 0, "%s: ntpd rejects every default "
			      "line for %s (see the errors): every %s host may send "
			      "mode 6/7 queries", fam, fam, fam);
	else if (!a->worst.line[f] && plain)
		audit_finding(r, S_RISK, r->path, 0, "%s: no default line applies "
			      "to %s (see 'restrict default' below): every %s host "
			      "may send mode 6/7 queries", fam, fam, fam);
	else if (!a->worst.line[f])
		audit_finding(r, S_RISK, r->path, 0, "%s: no 'restrict %sdefault' "
			      "line: every %s host may send mode 6/7 queries", fam,
			      f ? "-6 " : "", fam);
	else
		audit_finding(r, S_RISK, a->worst.file[f] ? a->worst.file[f] : r->path,
			      a->worst.line[f], "%s: the default entry has neither "
			      "noquery nor ignore: every %s host may send mode 6/7 "
			      "queries", fam, fam);
}

/* Why family f is (not, maybe) answered, and the default line to add. */
static void explain_family(struct report *r, int f, struct analysis *a)
{
	const char *fam = f ? "IPv6" : "IPv4";
	bool explicit_line = false, plain = false;
	bool ntpsec_only = !(r->kinds & K_CLASSIC);

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
		explain_refused(r, f, a);
		return;
	}
	if (r->refused[f] == T_NO) {
		explain_answered(r, f, a, explicit_line, plain);
	} else {
		audit_finding(r, S_WARN, a->best.file[f] ? a->best.file[f] : r->path,
			      a->best.line[f], "%s: whether mode 6/7 queries are refused "
			      "depends on %s (see below)", fam, a->by_version ?
			      "the daemon and version" : "the include that cannot be read");
		if (a->unreach_kind[f] >= 0)
			audit_reach_finding(r, a->unreach_kind[f], f);
	}
	if (f == 1 && plain && !explicit_line &&
	    tri_of(r->kinds, K_OLD | K_NEW | K_NTPSEC) != T_YES)
		audit_finding(r, r->kinds & K_ANCIENT && !(r->kinds & ~K_ANCIENT) ?
			      S_RISK : S_WARN, r->path, 0,
			      "'restrict default' without -4/-6 covers IPv6 only in ntpd "
			      ">= 4.2.6 and ntpsec; ntpd 4.2.4 and older apply it to IPv4 "
			      "only: add an explicit 'restrict -6 default' line");
	if ((r->kinds & K_CLASSIC) || f == 0 || !ntpsec_only)
		suggest_default(r, f, ntpsec_only);
	a->any_fix = true;
}

/* Lines that may or may not be applied, unrestrict and ntpport on the
 * defaults; the first 'limited'. */
static void line_findings(struct report *r, struct analysis *a)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];

		if (l->acc == T_NO || (l->acc == T_MAYBE && l->syntax_sure))
			audit_finding(r, S_ERROR, l->file, l->line, "'%s': %s", l->text, l->why);
		else if (l->acc == T_MAYBE)
			audit_finding(r, S_WARN, l->file, l->line, "'%s': %s", l->text, l->why);
		if (l->kind == A_DEFAULT && l->unrestrict &&
		    (l->eff_any & (RF_NOQUERY | RF_IGNORE))) {
			audit_finding(r, a->queries_open ? S_RISK : S_INFO, l->file, l->line,
				      "'%s' removes noquery from the default entry%s", l->text,
				      a->queries_open ? "" : " (a later line puts it back)");
			if (a->queries_open)
				audit_removal(r, l->file, l->line, l->text);
		}
		if (l->kind == A_DEFAULT && (l->eff_any & RF_NTPPORT) && !l->unrestrict)
			audit_finding(r, S_INFO, l->file, l->line, "'%s' applies only to "
				      "packets from source port 123, not to ntpq/ntpdc queries",
				      l->text);
		if ((l->eff_any & RF_LIMITED) && !l->unrestrict && !a->limited_line) {
			a->limited_line = l->line;
			a->limited_file = l->file;
		}
	}
}

/* An address line without noquery: who it lets query. */
static void address_finding(struct report *r, const struct rline *l)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(l->afam, l->addr, a, sizeof(a));
	if (l->plen < 0)
		audit_finding(r, S_WARN, l->file, l->line, "%s with a non-contiguous "
			      "mask may send mode 6/7 queries", a);
	else
		audit_finding(r, (l->afam == AF_INET && l->plen < 32) ||
			      (l->afam == AF_INET6 && l->plen < 128) ? S_WARN : S_INFO,
			      l->file, l->line, "%s/%d may send mode 6/7 queries "
			      "(a spoofed request from %s makes ntpd reply there)", a,
			      l->plen, l->plen == (l->afam == AF_INET ? 32 : 128) ?
			      "it" : "one of them");
}

/* Per-address exceptions: who may still query. */
static void exception_findings(struct report *r, struct analysis *a)
{
	for (size_t i = 0; i < r->nr; i++) {
		const struct rline *l = &r->r[i];

		if (l->unrestrict || !l->open_any)
			continue;
		if (l->kind == A_SOURCE) {
			audit_finding(r, S_WARN, l->file, l->line, "'restrict source' has no "
				      "noquery: the addresses of your servers and pool peers may "
				      "send mode 6/7 queries (and can be spoofed to be sent the "
				      "replies)");
			audit_fix(r, "restrict source %s%snoquery", l->words, l->words[0] ? " " : "");
			a->any_fix = true;
		} else if (l->kind == A_NAME) {
			audit_finding(r, S_INFO, l->file, l->line, "%s (resolved when ntpd "
				      "starts) may send mode 6/7 queries", l->name);
		} else if (l->kind == A_ADDR && !audit_rline_loopback(l)) {
			address_finding(r, l);
		}
	}
}

/* The monitor list (classic ntpd up to 4.2.6): disable monitor, limited. */
static void monitor_findings(struct report *r, const struct analysis *a, enum sev open_sev)
{
	bool old_possible = r->kinds & (K_ANCIENT | K_OLD);
	const char *lf = a->limited_file;

	if (r->disable_monitor && a->limited_line && old_possible)
		audit_finding(r, open_sev, r->disable_monitor_file,
			      r->disable_monitor, "'disable monitor' is not enough: "
			      "'limited' (%s%sline %d) turns the monitor list back on in ntpd "
			      "4.2.6 (inc_res_limited() calls mon_start(MON_RES); 'disable "
			      "monitor' clears only MON_ON), so monlist still returns up to "
			      "600 client addresses; noquery is what refuses it",
			      strcmp(lf, r->disable_monitor_file) ? lf : "",
			      strcmp(lf, r->disable_monitor_file) ? " " : "",
			      a->limited_line);
	else if (r->disable_monitor && old_possible)
		audit_finding(r, S_INFO, r->disable_monitor_file, r->disable_monitor,
			      "'disable monitor': the monitor list is off, ntpd <= 4.2.6 "
			      "answers monlist without data%s", a->queries_open ?
			      "; other mode 7 requests (peer lists) and mode 6 are still "
			      "answered, so this alone is not a fix" : "");
	else if (!r->disable_monitor && old_possible && a->queries_open)
		audit_finding(r, open_sev, r->path, 0, "the monitor list is on (the default "
			      "up to ntpd 4.2.6): monlist returns up to 600 client addresses, "
			      "100 packets of 440 bytes for one request%s",
			      r->ver.known && audit_vcmp(&r->ver, 4, 2, 7, 26) >= 0 ?
			      "" : " (ntpd < 4.2.7p26)");
}

/* Monitor list and mode 7 (classic ntpd). */
static void mode7_findings(struct report *r, const struct analysis *a)
{
	enum sev open_sev = r->verdict == AUDIT_EXIT_RISK ? S_RISK : S_WARN;
	bool open = a->queries_open;

	monitor_findings(r, a, open_sev);
	if (r->enable_mode7) {
		audit_finding(r, open ? open_sev : S_WARN, r->enable_mode7_file,
			      r->enable_mode7, "'enable mode7' turns ntpdc's mode 7 back on "
			      "(off by default since ntpd 4.2.7p230 / 4.2.8)%s",
			      open ? "" : "; noquery on the defaults still refuses "
			      "it to other hosts");
		audit_removal(r, r->enable_mode7_file, r->enable_mode7,
			      r->enable_mode7_text ? r->enable_mode7_text : "enable mode7");
	}
	if (r->ver.known && !r->ver.ntpsec && audit_vcmp(&r->ver, 4, 2, 7, 26) < 0)
		audit_finding(r, open ? open_sev : S_INFO, r->path, 0,
			      "ntpd %s still has monlist (CVE-2013-5211, removed in 4.2.7p26)%s; "
			      "upgrade to 4.2.8 or later, or to ntpsec", r->ver.text,
			      !open ? ": noquery keeps it from other hosts" :
			      r->disable_monitor && !a->limited_line ? ", empty while the "
			      "monitor is disabled" : " and answers it to every host the "
			      "restrict lines let query");
}

/* What the answer assumes, and why it could not tell. */
static void closing_findings(struct report *r, const struct analysis *a)
{
	struct ktext kt;

	if (r->nnic && (r->kinds & K_ANCIENT))
		audit_finding(r, S_INFO, r->path, 0, "ntpd 4.2.4 and older have no "
			      "interface/nic directive: they ignore those lines (ntp_config.c "
			      "keywords[])");
	if (a->unreach_kind[0] >= 0 || a->unreach_kind[1] >= 0)
		audit_finding(r, S_INFO, r->path, 0, "interface/nic: this assumes the loopback "
			      "interface has only 127.0.0.0/8 and ::1 (ntpd listens on any other "
			      "address there unless a rule names it) and that ntpd runs without "
			      "-I/-L (with them it exits on interface/nic lines)");
	if (r->verdict == AUDIT_EXIT_UNKNOWN && !r->unreadable && !a->by_version)
		audit_finding(r, S_WARN, r->path, 0, "could not tell: an include that cannot be "
			      "read may hold anything; add the lines below, which settle it");
	else if (r->verdict == AUDIT_EXIT_UNKNOWN && !r->unreadable)
		audit_finding(r, S_WARN, r->path, 0, "could not tell: the answer differs between "
			      "the daemons this file may be read by (%s); give the version with "
			      "--ntpd-version, or add the lines below, which are refused by all "
			      "of them", audit_kinds_text(r->kinds, &kt));
}

void audit_analyse_ntp(struct report *r)
{
	struct analysis a = { .unreach_kind = { -1, -1 } };

	evaluate(r, true, &a.best);
	evaluate(r, false, &a.worst);
	a.by_version = decided_by_version(r);
	for (int f = 0; f < 2; f++)
		judge_family(r, f, &a);
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
	a.queries_open = r->verdict != NG_EXIT_OK;
	for (int f = 0; f < 2; f++)
		explain_family(r, f, &a);
	line_findings(r, &a);
	exception_findings(r, &a);
	if (r->kinds & K_CLASSIC)
		mode7_findings(r, &a);
	closing_findings(r, &a);
	/* keep ntpq/ntpdc usable from the host itself */
	if (a.any_fix) {
		if (!find_line(r, A_ADDR, AF_INET, true))
			audit_fix(r, "restrict 127.0.0.1");
		if (!find_line(r, A_ADDR, AF_INET6, true))
			audit_fix(r, "restrict ::1");
	}
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_restrict.c - restrict and unrestrict lines (see audit_restrict.h):
 * the address, mask and flags as written, and for every possible daemon
 * kind whether it adds the line and with which flags, read the way that
 * daemon's parser reads it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "audit_model.h"
#include "audit_ntp_scan.h"
#include "audit_restrict.h"

/* mask "255.255.255.0" / "ffff::" -> prefix length, or -1; -2 not a mask */
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

bool audit_rline_loopback(const struct rline *l)
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
	if (r->ver.known && !r->ver.ntpsec && audit_vcmp(&r->ver, 4, 2, 8, 11) >= 0 &&
	    (!strcmp(w, "ippeerlimit") || !strcmp(w, "epeer") || !strcmp(w, "noepeer")))
		return 1;
	/* ntpsec 1.2.2's access_control_flag has version, not lowpriotrap */
	if (r->ver.known && r->ver.ntpsec && !audit_vcmp(&r->ver, 1, 2, 2, 0))
		return !strcmp(w, "version");
	return 2;
}

struct rwalk {
	bool apply;             /* the daemon adds the line */
	unsigned flags;         /* with these RF_* flags */
	int stop;               /* token where it stopped reading, or -1 */
};

/* The tokens of one line. */
struct rtoks {
	char **tok;
	const char *tk;         /* kinds: 'w', 's', 'x' */
	int n;
};

/*
 * The words between the address and the flags: [mask M] and, in ntpd
 * 4.2.8p11, [ippeerlimit N]. The index of the first flag, or -1 when the
 * walk ends there (w says how).
 */
static int walk_head(const struct report *r, const struct rline *l, const struct rtoks *t,
		     int i, int k, bool maybe, struct rwalk *w)
{
	bool bison = (1u << k) & K_BISON;
	char **tok = t->tok;
	const char *tk = t->tk;

	if (i < t->n && ntp_is_word(tok[i], tk[i], "mask")) {
		/* 4.2.6 and ntpsec: restrict ip_address T_Mask ip_address, so
		 * not after -4/-6; 4.2.8: restrict address T_Mask ip_address */
		if (bison && l->fam && k != 2) {
			w->stop = i;
			return -1;
		}
		if (i + 1 >= t->n || (bison && !ntp_is_string_tok(tok[i + 1], tk[i + 1]))) {
			w->apply = false;
			return -1;
		}
		i += 2;
	}
	/* 4.2.8p11: restrict address [mask M] [ippeerlimit N] flags */
	if (k == 2 && i < t->n && ntp_is_word(tok[i], tk[i], "ippeerlimit")) {
		int s = rflag_state(r, rflag_find("ippeerlimit"), k);

		if (s == 0 || (s == 2 && !maybe)) {
			w->stop = i;
			return -1;
		}
		if (i + 1 >= t->n || tk[i + 1] != 'w' || !ntp_is_int_word(tok[i + 1])) {
			w->apply = false;
			return -1;
		}
		i += 2;
	}
	return i;
}

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
static void restrict_walk(const struct report *r, const struct rline *l,
			  const struct rtoks *t, int i, int k, bool maybe, struct rwalk *w)
{
	unsigned kb = 1u << k;
	bool bison = kb & K_BISON;
	char **tok = t->tok;
	const char *tk = t->tk;

	w->apply = !(l->rej & kb) && (maybe || !(l->rej_maybe & kb));
	w->flags = 0;
	w->stop = -1;
	if (!w->apply || (i = walk_head(r, l, t, i, k, maybe, w)) < 0)
		return;
	for (; i < t->n; i++) {
		int f = tk[i] == 'w' ? rflag_find(tok[i]) : -1;
		int s = f < 0 ? 0 : rflag_state(r, f, k);

		if (!bison && ntp_is_word(tok[i], tk[i], "mask")) {
			if (++i >= t->n) {
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
			if (i + 1 >= t->n || !ntp_is_word(tok[i + 1], tk[i + 1], "fuzz")) {
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

/* The flag words of tok[from..to) (all flags: to = n), space-separated,
 * as many as fit in out. */
static void flag_words(const struct rtoks *t, int from, int to, char *out, size_t len)
{
	out[0] = 0;
	for (int j = from; j < to; j++) {
		if (t->tk[j] != 'w' || rflag_find(t->tok[j]) < 0)
			continue;
		if (strlen(out) + strlen(t->tok[j]) + 2 < len) {
			if (out[0])
				strcat(out, " ");
			strcat(out, t->tok[j]);
		}
	}
}

/* What the kinds that ended the line at word stop (stopped), dropped it
 * or read it in full (full) make of it: l->why. */
static void restrict_why(struct rline *l, const struct rtoks *t, int first, int stop,
			 unsigned stopped, unsigned dropped, unsigned full)
{
	struct ktext kt1, kt2;
	char kept[200];
	unsigned bis = stopped & K_BISON;
	char **tok = t->tok;

	flag_words(t, first, stop, kept, sizeof(kept));
	snprintf(l->why, sizeof(l->why), "'%s' %s: %s%s%s%s%s%s%s%s%s", tok[stop],
		 t->tk[stop] == 's' ? "is quoted, so ntpd reads it as a string, not a flag" :
		 rflag_find(tok[stop]) >= 0 ? "is not a restrict flag there for every daemon" :
		 "is not a restrict flag",
		 bis ? "for " : "", bis ? audit_kinds_text(bis, &kt1) : "",
		 bis ? " it ends the line (a syntax error), which is still added with "
		       "what came before: " : "",
		 bis ? (kept[0] ? kept : "no flags at all") : "",
		 bis ? (kept[0] ? " (bison reduces the rule before it sees the error, "
				  "ntp_parser.y)" : " (ntp_parser.y)") : "",
		 (stopped | dropped) & K_ANCIENT ? (bis ? "; " : "") : "",
		 (stopped | dropped) & K_ANCIENT ? "ntpd < 4.2.6 ignores the whole line" : "",
		 full ? "; read in full by " : "", full ? audit_kinds_text(full, &kt2) : "");
}

/* Per kind and case: what the line does; then acc, why and the summaries. */
static void restrict_kinds(const struct report *r, struct rline *l, const struct rtoks *t,
			   int first)
{
	unsigned stopped = 0, dropped = 0, full = 0, sure = K_ALL;
	int stop = -1;

	for (int k = 0; k < NKIND; k++) {
		struct rwalk v[2];
		int s0, s1;

		if (!(r->kinds & (1u << k)))
			continue;
		restrict_walk(r, l, t, first, k, true, &v[0]);
		restrict_walk(r, l, t, first, k, false, &v[1]);
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
	restrict_why(l, t, first, stop, stopped, dropped, full);
}

/* A new line in r->r, with what its place and first word decide. */
static struct rline *rline_new(struct report *r, const char *file, int lineno,
			       const char *word, const char *text)
{
	struct rline *l;

	r->r = audit_grow(r->r, &r->capr, r->nr, sizeof(*r->r));
	l = &r->r[r->nr++];
	memset(l, 0, sizeof(*l));
	l->file = file;
	l->line = lineno;
	l->unrestrict = !strcmp(word, "unrestrict");
	l->acc = T_YES;
	l->plen = 0;
	snprintf(l->text, sizeof(l->text), "%s", text);
	if (r->end_line)
		rline_reject(l, K_BISON, 0, "after 'end' (%s line %d): ntpd 4.2.6 and later and "
			     "ntpsec read nothing after it", r->end_file, r->end_line);
	if (l->unrestrict)
		rline_reject(l, K_CLASSIC, 0, "'unrestrict' exists only in ntpsec");
	return l;
}

static void set_name(struct rline *l, const char *w)
{
	l->kind = A_NAME;
	snprintf(l->name, sizeof(l->name), "%s", w);
}

/* An address with -4/-6 and /LEN checked: a is the word w cut at the '/',
 * slash where it was (in a), or NULL. */
static void restrict_cidr(struct rline *l, const char *w, const char *a, const char *slash)
{
	l->kind = A_ADDR;
	if ((l->fam == 4 && l->afam != AF_INET) || (l->fam == 6 && l->afam != AF_INET6))
		rline_reject(l, K_ALL, 0, "-%d with an IPv%d address: ntpd ignores the line",
			     l->fam, l->afam == AF_INET ? 4 : 6);
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);

		if (!slash[1] || *end || p < 0 || p > l->plen)
			rline_reject(l, K_ALL, 0, "bad prefix length in '%s'", w);
		else
			l->plen = (int)p;
		rline_reject(l, K_CLASSIC, 0, "classic ntpd does not accept CIDR "
			     "notation (write 'restrict %s mask ...')", a);
	}
}

/* The address word w (kind k), neither default nor source. */
static void restrict_address(struct rline *l, const char *w, char k)
{
	char a[INET6_ADDRSTRLEN + 8], *slash;

	snprintf(a, sizeof(a), "%s", w);
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
	if (k == 'w' && (ntp_is_keyword(w) || ntp_is_int_word(w) || ntp_is_double_word(w)) &&
	    !l->afam) {
		rline_reject(l, K_BISON, 0, "'%s' is not an address: a syntax error, "
			     "ntpd ignores the line", w);
		if (!l->afam && strspn(w, "0123456789.") == strlen(w))
			rline_reject(l, K_ALL, 0, "'%s' is not a valid address", w);
		set_name(l, w);
	} else if (l->afam) {
		restrict_cidr(l, w, a, slash);
	} else if (strspn(w, "0123456789.") == strlen(w) || strchr(w, ':') || slash) {
		rline_reject(l, K_ALL, 0, "'%s' is not a valid address", w);
		set_name(l, w);
	} else {
		set_name(l, w);
	}
}

/* The address of the line (tok[i]): default, source, an address or a name. */
static void restrict_target(const struct report *r, struct rline *l, const char *w, char k)
{
	if (ntp_is_word(w, k, "default")) {
		l->kind = A_DEFAULT;
		if (l->fam && audit_bug1535(&r->ver))
			rline_reject(l, K_OLD, 0, "ntpd %s reads 'restrict -%d default' as the "
				     "address %s alone, not the default entry (Bug 1535, fixed "
				     "in 4.2.6p2): use 'restrict default'", r->ver.text, l->fam,
				     l->fam == 4 ? "0.0.0.0" : "::");
	} else if (ntp_is_word(w, k, "source")) {
		l->kind = A_SOURCE;
		if (l->fam)
			rline_reject(l, K_ALL, 0, "'restrict source' takes no -4/-6");
		/* 4.2.6's grammar has no T_Source: "source" is a host name there */
		rline_reject(l, K_ANCIENT, K_OLD, "'restrict source' is known to ntpd >= 4.2.8 "
			     "and ntpsec, maybe to 4.2.7, not to older ntpd");
	} else {
		restrict_address(l, w, k);
	}
}

/* The mask right after the address (tok[i]): its value, for the report. */
static void restrict_mask(struct rline *l, const struct rtoks *t, int i)
{
	char **tok = t->tok;
	int p;

	if (i >= t->n || !ntp_is_word(tok[i], t->tk[i], "mask"))
		return;
	if (i + 1 >= t->n) {
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

void audit_parse_restrict(struct report *r, const char *file, int lineno, char **tok,
			  const char *tk, int n, const char *text)
{
	const struct rtoks t = { tok, tk, n };
	struct rline *l = rline_new(r, file, lineno, tok[0], text);
	int i = 1;

	if (i < n && (ntp_is_word(tok[i], tk[i], "-4") || ntp_is_word(tok[i], tk[i], "-6"))) {
		l->fam = tok[i][1] - '0';
		i++;
	}
	if (i >= n || tk[i] == 'x') {
		rline_reject(l, K_ALL, 0, "%s needs an address", tok[0]);
		restrict_kinds(r, l, &t, i);
		return;
	}
	restrict_target(r, l, tok[i], tk[i]);
	i++;
	restrict_mask(l, &t, i);
	/* the flag words, for the suggested lines */
	for (int j = i; j < n; j++) {
		int f = tk[j] == 'w' ? rflag_find(tok[j]) : -1;

		if (f >= 0)
			l->flags |= rflags[f].flag;
	}
	flag_words(&t, i, n, l->words, sizeof(l->words));
	/* "restrict 0.0.0.0 mask 0.0.0.0" is the default entry itself */
	if (l->kind == A_ADDR && l->plen == 0) {
		l->kind = A_DEFAULT;
		l->fam = l->afam == AF_INET ? 4 : 6;
	}
	restrict_kinds(r, l, &t, i);
}

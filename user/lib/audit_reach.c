// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit_reach.c - the interface/nic rules (see audit_reach.h), evaluated
 * the way ntpd's ntp_io.c applies them to the host's addresses and to its
 * wildcard sockets.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "audit_model.h"
#include "audit_reach.h"

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

/* Does rule c match the wildcard socket of family waf: no name, address
 * 0.0.0.0 / :: ? */
static bool nic_is_wild(const struct nicline *c, int waf)
{
	return c->match == NM_WILDCARD ||
	       (c->match == NM_IPV4 && waf == AF_INET) ||
	       (c->match == NM_IPV6 && waf == AF_INET6) ||
	       (c->match == NM_IFADDR && c->afam == waf &&
		zero_prefix(c->addr, c->plen < 0 ? (waf == AF_INET ? 32 : 128) : c->plen));
}

/*
 * Rule c on the host's non-loopback addresses of family f: the action it
 * gives some of them is added to *out; true when it decides for all of
 * them (no earlier rule is looked at).
 */
static bool nic_rule(const struct nicline *c, int f, bool glob, unsigned *out)
{
	switch (c->match) {
	case NM_ALL:
		*out |= c->action;
		return true;
	case NM_IPV4:
	case NM_IPV6:
		if ((c->match == NM_IPV4) != (f == 0))
			return false;
		*out |= c->action;
		return true;
	case NM_WILDCARD:
		return false;
	case NM_IFADDR:
		if (c->afam != (f ? AF_INET6 : AF_INET) || nic_loopback_only(c) ||
		    (c->plen < 0 && zero_prefix(c->addr, f ? 128 : 32)))
			return false;
		*out |= c->action;
		return c->plen == 0;
	case NM_IFNAME:
		switch (nic_name_scope(c, glob)) {
		case 1:
			*out |= c->action;
			return true;
		case 2:
			*out |= c->action;
			return false;
		}
		return false;
	}
	return false;
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
		if (!*wild && nic_is_wild(c, waf))
			*wild = c->action;
		if (!decided)
			decided = nic_rule(c, f, glob, &out);
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

enum tri audit_nic_reach(const struct report *r, int k, int f)
{
	enum tri t;

	if ((1u << k) & K_ANCIENT)
		return T_YES;           /* ntpd 4.2.4 ignores interface/nic lines */
	t = nic_reach1(r, k, f, false);
	/* ntpd 4.2.6 before p3 (and 4.2.7 before p80): the IPv6 wildcard bug */
	if (f && ((1u << k) & K_OLD)) {
		const struct audit_version *v = &r->ver;
		bool buggy = v->known && !v->ntpsec && (audit_vcmp(v, 4, 2, 6, 3) < 0 ||
			     (audit_vcmp(v, 4, 2, 7, 0) >= 0 && audit_vcmp(v, 4, 2, 7, 80) < 0));
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

void audit_reach_finding(struct report *r, int k, int f)
{
	const struct audit_version *v = &r->ver;
	bool v6_as_v4 = f && ((1u << k) & K_OLD) && v->known && !v->ntpsec &&
			audit_vcmp(v, 4, 2, 6, 3) < 0;
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
	audit_finding(r, S_INFO, last ? last->file : r->path, last ? last->line : 0,
		      "%s: %s binds no socket other hosts can reach (interface/nic lines %s): "
		      "its %s addresses %s%s, the %s wildcard socket %s (ntp_io.c "
		      "interface_action(), create_wildcards())", fam,
		      (r->kinds & ~(1u << k) & ~K_ANCIENT) ? audit_kinds_text(1u << k, &kt) : "ntpd",
		      lines, fam,
		      a == NA_IGNORE ? "are not bound" : a == NA_DROP ?
		      "are bound but drop what they receive" :
		      "are not bound or drop what they receive",
		      dflt && (a & NA_IGNORE) ? " (once there is any interface/nic rule, an "
		      "address no rule names is ignored)" : "", fam,
		      wild == NA_IGNORE ? "is not opened" : "drops what it receives");
}

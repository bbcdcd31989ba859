// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check's targets (see check_targets.h): a host name (every address it resolves
 * to), an address, or a CIDR prefix (every host; IPv4 without network and
 * broadcast address up to /30). Every target is resolved and counted
 * against --max-hosts before anything is sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "parse.h"
#include "check_targets.h"

static struct host *host_add(struct scan *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct host *t = realloc(s->h, cap * sizeof(*t));

		if (!t)
			return NULL;
		s->h = t;
		s->cap = cap;
	}
	memset(&s->h[s->n], 0, sizeof(s->h[0]));
	return &s->h[s->n++];
}

/* Hosts in a prefix: IPv4 without network and broadcast up to /30. */
static unsigned long long prefix_hosts(int family, unsigned plen)
{
	unsigned bits = (family == AF_INET ? 32 : 128) - plen;

	if (bits > 40)
		return ~0ULL;
	if (family == AF_INET && bits >= 2)
		return (1ULL << bits) - 2;
	return 1ULL << bits;
}

static int add_cidr(struct scan *s, const char *arg, int family, const __u8 *addr,
		    unsigned plen, unsigned long long *budget)
{
	unsigned long long n = prefix_hosts(family, plen), first = 0;
	unsigned alen = family == AF_INET ? 4 : 16;

	if (n > *budget) {
		char nb[32];

		if (n == ~0ULL)
			snprintf(nb, sizeof(nb), "more than 2^40");
		else
			snprintf(nb, sizeof(nb), "%llu", n);
		ng_err("%s is %s hosts, more than the %u that --max-hosts allows in "
		       "total (default %u: a /22 or /118); raise --max-hosts (at most %u) "
		       "to scan it", arg, nb, s->o.max_hosts, CHECK_DEF_MAX_HOSTS,
		       CHECK_MAX_MAX_HOSTS);
		return -1;
	}
	*budget -= n;
	if (family == AF_INET && plen <= 30)
		first = 1;      /* skip the network address */
	for (unsigned long long i = 0; i < n; i++) {
		struct host *h = host_add(s);
		unsigned long long v = first + i;
		__u8 *b;

		if (!h) {
			ng_err("out of memory");
			return -1;
		}
		h->family = family;
		b = (__u8 *)&h->a;
		memcpy(b, addr, alen);
		/* add v to the address (host bits are zero) */
		for (int k = (int)alen - 1; k >= 0 && v; k--) {
			unsigned sum = b[k] + (unsigned)(v & 0xff);

			b[k] = (__u8)sum;
			v = (v >> 8) + (sum >> 8);
		}
		h->target = arg;
	}
	return 0;
}

/* 0 ok, -1 runtime error (message printed), -2 bad argument (printed). */
/* ADDR/LEN: every host of the prefix. */
static int add_prefix(struct scan *s, const char *arg, unsigned long long *budget)
{
	struct ng_cidr c;
	char fixed[64];

	switch (ng_parse_cidr(arg, &c)) {
	case NG_CIDR_OK:
		break;
	case NG_CIDR_BAD_LEN:
		ng_err("'%s': prefix length must be 0..%u", arg, ng_cidr_bits(&c));
		return -2;
	case NG_CIDR_HOST_BITS:
		ng_cidr_format(&c, fixed, sizeof(fixed));
		ng_err("'%s' has host bits set (did you mean %s?)", arg, fixed);
		return -2;
	default:
		ng_err("'%s' is not an IPv4 or IPv6 prefix", arg);
		return -2;
	}
	if ((c.family == AF_INET && !s->o.want4) || (c.family == AF_INET6 && !s->o.want6)) {
		ng_err("'%s' is an %s prefix, excluded by -%c", arg,
		       c.family == AF_INET ? "IPv4" : "IPv6", s->o.want4 ? '4' : '6');
		return -2;
	}
	return add_cidr(s, arg, c.family, c.addr, c.prefixlen, budget) ? -2 : 0;
}

/* No host name looks like this: an address (IPv6 may carry %scope), or a
 * typo in one. Dotted quads only (no inet_aton shorthand like 192.0.2).
 * 1: a valid address, 0: a host name, -2: bad (said). */
static int check_literal(const char *arg)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res = NULL;
	bool v6 = strchr(arg, ':');
	__u8 addr[16];

	if (!v6 && strspn(arg, "0123456789.") != strlen(arg))
		return 0;               /* a host name */
	if ((!v6 && inet_pton(AF_INET, arg, addr) != 1) ||
	    getaddrinfo(arg, "123", &hints, &res)) {
		ng_err("'%s' is not a valid %s address", arg, v6 ? "IPv6" : "IPv4");
		return -2;
	}
	freeaddrinfo(res);
	return 1;
}

/* Is ai's address among the hosts added since `from`? */
static bool known(const struct scan *s, size_t from, const struct addrinfo *ai)
{
	for (size_t i = from; i < s->n; i++) {
		const struct host *o = &s->h[i];

		if (o->family != ai->ai_family)
			continue;
		if (o->family == AF_INET &&
		    !memcmp(&o->a.v4, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4))
			return true;
		if (o->family == AF_INET6 &&
		    !memcmp(&o->a.v6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16))
			return true;
	}
	return false;
}

/* The addresses of a resolved name (or literal), each once. */
static int add_resolved(struct scan *s, const char *arg, const struct addrinfo *res,
			unsigned long long *budget)
{
	size_t before = s->n;

	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct host *h;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    known(s, before, ai))
			continue;
		if (!*budget) {
			ng_err("'%s': more than the %u hosts --max-hosts allows", arg,
			       s->o.max_hosts);
			return -2;
		}
		h = host_add(s);
		if (!h) {
			ng_err("out of memory");
			return -1;
		}
		(*budget)--;
		h->family = ai->ai_family;
		if (h->family == AF_INET) {
			h->a.v4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		} else {
			h->a.v6 = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
			h->scope = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_scope_id;
		}
		h->target = arg;
	}
	if (s->n == before) {
		ng_err("'%s' has no %s address", arg, s->o.want4 ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

int check_add_target(struct scan *s, const char *arg, unsigned long long *budget)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP };
	struct addrinfo *res = NULL;
	int rc;

	if (!*arg || strlen(arg) > 253) {
		ng_err("'%s' is not a host name, address or CIDR", arg);
		return -2;
	}
	if (strchr(arg, '/'))
		return add_prefix(s, arg, budget);
	rc = check_literal(arg);
	if (rc < 0)
		return rc;
	hints.ai_flags = rc ? AI_NUMERICHOST : 0;
	hints.ai_family = s->o.want4 && s->o.want6 ? AF_UNSPEC :
			  s->o.want4 ? AF_INET : AF_INET6;
	rc = getaddrinfo(arg, "123", &hints, &res);
	if (rc) {
		ng_err("cannot resolve '%s': %s", arg,
		       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	rc = add_resolved(s, arg, res, budget);
	freeaddrinfo(res);
	return rc;
}

static int host_cmp(const void *pa, const void *pb)
{
	const struct host *const *a = pa, *const *b = pb;
	int r;

	if ((*a)->family != (*b)->family)
		return (*a)->family - (*b)->family;
	r = memcmp(&(*a)->a, &(*b)->a, (*a)->family == AF_INET ? 4 : 16);
	if (!r)
		r = (int)(*a)->scope - (int)(*b)->scope;
	if (!r)
		r = *a < *b ? -1 : *a > *b;     /* keep the first one named */
	return r;
}

int check_dedupe(struct scan *s)
{
	struct host **idx;
	bool *drop;
	size_t w = 0;

	if (s->n < 2)
		return 0;
	idx = calloc(s->n, sizeof(*idx));
	drop = calloc(s->n, sizeof(*drop));
	if (!idx || !drop) {
		free(idx);
		free(drop);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		idx[i] = &s->h[i];
	qsort(idx, s->n, sizeof(*idx), host_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (idx[i]->family == idx[i - 1]->family && idx[i]->scope == idx[i - 1]->scope &&
		    !memcmp(&idx[i]->a, &idx[i - 1]->a, idx[i]->family == AF_INET ? 4 : 16))
			drop[idx[i] - s->h] = true;
	for (size_t i = 0; i < s->n; i++)
		if (!drop[i])
			s->h[w++] = s->h[i];
	s->n = w;
	free(idx);
	free(drop);
	return 0;
}

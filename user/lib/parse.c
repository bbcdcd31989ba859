// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The typed value parsers (see parse.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int ng_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		  unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (!is_digit(*s) || v > (~0ULL - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ng_parse_decimal(const char *s, double min, double max, double *out)
{
	size_t digits = 0, dots = 0;
	double v;

	if (!s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (is_digit(*p))
			digits++;
		else if (*p == '.')
			dots++;
		else
			return -1;
	}
	if (!digits || dots > 1)
		return -1;
	errno = 0;
	v = strtod(s, NULL);        /* the syntax above is a subset of strtod's */
	if (errno || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

int ng_parse_duration(const char *s, double min, double max, double *out)
{
	static const struct { char unit; double mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[64];
	size_t n = s ? strlen(s) : 0;
	double mult = 1, v;

	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (num[n - 1] == units[i].unit) {
			mult = units[i].mult;
			num[--n] = 0;
			break;
		}
	if (ng_parse_decimal(num, 0, 1e12, &v))
		return -1;
	v *= mult;
	if (!(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

int ng_parse_enum(const char *s, const struct ng_enum *vals, int *out)
{
	for (; vals->name; vals++)
		if (s && !strcmp(s, vals->name)) {
			*out = vals->value;
			return 0;
		}
	return -1;
}

const char *ng_enum_name(const struct ng_enum *vals, int value)
{
	for (; vals->name; vals++)
		if (vals->value == value)
			return vals->name;
	return "?";
}

void ng_enum_list(const struct ng_enum *vals, const char *sep, char *buf, size_t len)
{
	size_t n = 0, o = 0;

	while (vals[n].name)
		n++;
	buf[0] = 0;
	for (size_t i = 0; i < n && o < len; i++) {
		const char *s = !i ? "" : sep ? sep : i + 1 == n ? " or " : ", ";

		o += (size_t)snprintf(buf + o, len - o, "%s%s", s, vals[i].name);
	}
}

unsigned ng_cidr_bits(const struct ng_cidr *c)
{
	return c->family == AF_INET ? 32 : 128;
}

bool ng_cidr_eq(const struct ng_cidr *a, const struct ng_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, ng_cidr_bits(a) / 8);
}

int ng_cidr_cmp(const struct ng_cidr *a, const struct ng_cidr *b)
{
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	r = memcmp(a->addr, b->addr, ng_cidr_bits(a) / 8);
	return r ? r : (int)a->prefixlen - (int)b->prefixlen;
}

void ng_cidr_format(const struct ng_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
}

/* Clear the bits past prefixlen; were any set? */
static bool clear_host_bits(struct ng_cidr *c)
{
	bool any = false;

	for (unsigned i = 0; i < ng_cidr_bits(c) / 8; i++) {
		int keep = (int)c->prefixlen - (int)i * 8;
		__u8 mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (__u8)(0xff << (8 - keep));

		any |= (c->addr[i] & ~mask) != 0;
		c->addr[i] &= mask;
	}
	return any;
}

enum ng_cidr_err ng_parse_cidr(const char *s, struct ng_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long long plen;

	memset(c, 0, sizeof(*c));
	if (alen >= sizeof(buf))
		return NG_CIDR_BAD_ADDR;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		return NG_CIDR_BAD_ADDR;
	c->prefixlen = ng_cidr_bits(c);
	if (!slash)
		return NG_CIDR_OK;
	if (ng_parse_uint(slash + 1, 0, ng_cidr_bits(c), &plen))
		return NG_CIDR_BAD_LEN;
	c->prefixlen = (unsigned)plen;
	return clear_host_bits(c) ? NG_CIDR_HOST_BITS : NG_CIDR_OK;
}

int ng_parse_ifname(const char *s, unsigned *ifindex)
{
	unsigned i = strlen(s) < IF_NAMESIZE ? if_nametoindex(s) : 0;

	if (!i)
		return -ENODEV;
	*ifindex = i;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - the typed value parsers, one of each, for every command line
 * value: option values (params.c), policy keys (`set`), allow-list entries
 * and `check` targets.
 *
 * All are strict and silent: a value is taken whole or refused, and the
 * caller says what is wrong, in one style:  NAME: 'VALUE' is not WHAT.
 * Strict means: no leading or trailing blanks, no sign, no base prefix, no
 * exponent, no overflow; "010" is ten.
 */
#ifndef NG_PARSE_H
#define NG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* A decimal integer in [min, max]: digits only. */
int ng_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		  unsigned long long *out);

/* A decimal number in [min, max]: digits with at most one '.', at least
 * one digit ("0.5", ".5", "2", "2."). */
int ng_parse_decimal(const char *s, double min, double max, double *out);

/* A duration: a decimal number with an optional unit s, m, h or d
 * ("90", "90s", "15m", "1.5h", "7d"), in seconds within [min, max]. */
int ng_parse_duration(const char *s, double min, double max, double *out);

/* One word out of a table that ends with { NULL }. */
struct ng_enum {
	const char *name;
	int value;
};

int ng_parse_enum(const char *s, const struct ng_enum *vals, int *out);
const char *ng_enum_name(const struct ng_enum *vals, int value);
/* The words joined: "a, b or c" (sep NULL), or "a|b|c" (sep "|"). */
void ng_enum_list(const struct ng_enum *vals, const char *sep, char *buf, size_t len);

/* An IPv4 or IPv6 address, or a prefix "ADDR/LEN". */
struct ng_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned prefixlen;     /* the address's length when no /LEN was given */
	__u8 addr[16];
};

enum ng_cidr_err {
	NG_CIDR_OK,
	NG_CIDR_BAD_ADDR,       /* not an address (or far too long) */
	NG_CIDR_BAD_LEN,        /* /LEN missing, not an integer or too long */
	NG_CIDR_HOST_BITS,      /* bits set past /LEN; c holds them cleared */
};

enum ng_cidr_err ng_parse_cidr(const char *s, struct ng_cidr *c);
/* "198.51.100.0/24", "2001:db8::/48" */
void ng_cidr_format(const struct ng_cidr *c, char *buf, size_t len);
unsigned ng_cidr_bits(const struct ng_cidr *c);     /* 32 or 128 */
bool ng_cidr_eq(const struct ng_cidr *a, const struct ng_cidr *b);
/* Order: IPv4 before IPv6, then by address, then by length. */
int ng_cidr_cmp(const struct ng_cidr *a, const struct ng_cidr *b);

/* An interface name of this namespace: 0 and its ifindex, or -ENODEV
 * (no such interface, also for a name longer than the kernel allows). */
int ng_parse_ifname(const char *s, unsigned *ifindex);

#endif

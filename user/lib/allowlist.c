// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The allow-lists (see allowlist.h): one LPM trie per family, and the
 * "used" flag per family that lets the data plane skip an empty trie.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "allowlist.h"

static int trie(const struct ng_state *st, int fam)
{
	return fam ? st->allow_v6 : st->allow_v4;
}

/* c as a trie key; its family (0: IPv4, 1: IPv6). */
static int cidr_key(const struct ng_cidr *c, void *key)
{
	if (c->family == AF_INET) {
		struct ng_lpm_v4 *k = key;

		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 4);
	} else {
		struct ng_lpm_v6 *k = key;

		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 16);
	}
	return c->family == AF_INET ? 0 : 1;
}

/*
 * NG_MAP_ALLOW_USED's NG_USED_ALLOW bit tells the data plane whether a
 * family's trie may hold entries. It is raised before the first insert and
 * lowered only after the trie was seen empty, so it is never 0 while an
 * entry exists. The NG_USED_PROBES bit (a running check) is kept. Pins of
 * layout 1 may not have the map: the next load creates it from the tries.
 */
static int set_used(struct ng_state *st, __u32 fam, __u32 val)
{
	if (st->allow_used < 0)
		return 0;       /* layout 1 pins: their programs do not read it */
	return ng_state_used_bits(st, (int)fam, val ? NG_USED_ALLOW : 0,
				  val ? 0 : NG_USED_ALLOW);
}

static void lower_used_if_empty(struct ng_state *st)
{
	char next[sizeof(struct ng_lpm_v6)];

	for (__u32 f = 0; f < 2; f++)
		if (bpf_map_get_next_key(trie(st, (int)f), NULL, next) && errno == ENOENT)
			set_used(st, f, 0);
}

/* Why the kernel refused c (errno err). */
static void refused(const struct ng_cidr *c, bool add, int err)
{
	char txt[64];

	ng_cidr_format(c, txt, sizeof(txt));
	if (add && err == EEXIST)
		ng_err("%s is already on the allow-list", txt);
	else if (!add && err == ENOENT)
		ng_err("%s is not on the allow-list", txt);
	else if (add && err == ENOSPC)
		ng_err("allow-list is full (%d entries per family)", NG_ALLOW_MAX);
	else
		ng_err("cannot %s %s: %s", add ? "add" : "delete", txt, strerror(err));
}

int ng_allow_change(struct ng_state *st, const struct ng_cidr *c, int n, bool add)
{
	const ng_allow_val zero = 0;
	char key[sizeof(struct ng_lpm_v6)];
	int i, err = 0;

	for (i = 0; add && i < n; i++)
		if (set_used(st, (__u32)cidr_key(&c[i], key), 1))
			return -1;
	for (i = 0; i < n && !err; i++) {
		int fd = trie(st, cidr_key(&c[i], key));

		err = add ? bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST) :
			    bpf_map_delete_elem(fd, key);
		if (err)
			refused(&c[i], add, errno);
	}
	if (!err) {
		if (!add)
			lower_used_if_empty(st);
		return 0;
	}
	/* Undo what this command already changed (c[i - 1] failed). */
	for (i -= 2; i >= 0; i--) {
		int fd = trie(st, cidr_key(&c[i], key));

		if (add)
			bpf_map_delete_elem(fd, key);
		else
			bpf_map_update_elem(fd, key, &zero, BPF_NOEXIST);
	}
	ng_err("nothing was changed");
	return -1;
}

static int cmp_cidr(const void *a, const void *b)
{
	return ng_cidr_cmp(a, b);
}

struct ng_cidr *ng_allow_list(struct ng_state *st, int fam, int *count)
{
	int fd = trie(st, fam), family = fam ? AF_INET6 : AF_INET;
	char cur[sizeof(struct ng_lpm_v6)], next[sizeof(struct ng_lpm_v6)];
	size_t ksz = family == AF_INET ? sizeof(struct ng_lpm_v4) : sizeof(struct ng_lpm_v6);
	struct ng_cidr *list = NULL, *tmp;
	int n = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(list, (size_t)cap * sizeof(*list));
			if (!tmp) {
				free(list);
				return NULL;
			}
			list = tmp;
		}
		memset(&list[n], 0, sizeof(list[n]));
		list[n].family = family;
		memcpy(&list[n].prefixlen, next, 4);
		memcpy(list[n].addr, next + 4, ksz - 4);
		n++;
		memcpy(cur, next, ksz);
		prev = cur;
	}
	if (n)
		qsort(list, (size_t)n, sizeof(*list), cmp_cidr);
	*count = n;
	return list ? list : calloc(1, sizeof(*list));
}

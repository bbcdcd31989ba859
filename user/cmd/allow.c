// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * allow add|del|list: the LPM allow-lists. A listed prefix may send mode 7
 * requests (its source) and receive large mode 7 responses (its
 * destination): the management hosts that run ntpdc/ntpq.
 *
 * Every command is all-or-nothing: all arguments are validated first, then
 * applied; if the kernel refuses one, the ones already applied are rolled
 * back. The bpffs lock serialises concurrent ntpguard commands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "attach.h"
#include "params.h"
#include "cmds.h"

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Parse "ADDR" or "ADDR/LEN"; on error print why and return -1. */
static int cidr_parse(const char *arg, struct ng_cidr *c)
{
	char fixed[64];

	switch (ng_parse_cidr(arg, c)) {
	case NG_CIDR_OK:
		return 0;
	case NG_CIDR_BAD_LEN:
		ng_err("'%s': prefix length must be 0..%u", arg, ng_cidr_bits(c));
		return -1;
	case NG_CIDR_HOST_BITS:
		ng_cidr_format(c, fixed, sizeof(fixed));
		ng_err("'%s' has host bits set (did you mean %s?)", arg, fixed);
		return -1;
	default:
		ng_err("'%s' is not an IPv4 or IPv6 address or prefix", arg);
		return -1;
	}
}

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

static bool cidr_eq(const struct ng_cidr *a, const struct ng_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, (size_t)addr_len(a->family));
}

/*
 * NG_MAP_ALLOW_USED tells the data plane whether a family's trie may hold
 * entries. It is raised before the first insert and lowered only after the
 * trie was seen empty, so it is never 0 while an entry exists.
 */
static int set_used(int used_fd, __u32 fam, __u32 val)
{
	if (bpf_map_update_elem(used_fd, &fam, &val, BPF_ANY)) {
		ng_err("cannot update %s: %s", NG_STR(NG_MAP_ALLOW_USED), strerror(errno));
		return -1;
	}
	return 0;
}

static void lower_used_if_empty(int fds[2], int used_fd)
{
	char next[sizeof(struct ng_lpm_v6)];

	for (__u32 f = 0; f < 2; f++)
		if (bpf_map_get_next_key(fds[f], NULL, next) && errno == ENOENT)
			set_used(used_fd, f, 0);
}

/* Apply add (BPF_NOEXIST) or del to c[0..n); roll back on failure. */
static int apply(int fds[2], int used_fd, struct ng_cidr *c, int n, bool add)
{
	const ng_allow_val zero = 0;
	char key[sizeof(struct ng_lpm_v6)], txt[64];
	int i, err = 0;

	for (i = 0; add && i < n; i++)
		if (set_used(used_fd, (__u32)cidr_key(&c[i], key), 1))
			return -1;
	for (i = 0; i < n; i++) {
		int f = cidr_key(&c[i], key);

		err = add ? bpf_map_update_elem(fds[f], key, &zero, BPF_NOEXIST) :
			    bpf_map_delete_elem(fds[f], key);
		if (err) {
			err = errno;
			ng_cidr_format(&c[i], txt, sizeof(txt));
			if (add && err == EEXIST)
				ng_err("%s is already on the allow-list", txt);
			else if (!add && err == ENOENT)
				ng_err("%s is not on the allow-list", txt);
			else if (add && err == ENOSPC)
				ng_err("allow-list is full (%d entries per family)", NG_ALLOW_MAX);
			else
				ng_err("cannot %s %s: %s", add ? "add" : "delete", txt,
				       strerror(err));
			break;
		}
	}
	if (!err) {
		if (!add)
			lower_used_if_empty(fds, used_fd);
		return 0;
	}
	/* Undo what this command already changed. */
	while (--i >= 0) {
		int f = cidr_key(&c[i], key);

		if (add)
			bpf_map_delete_elem(fds[f], key);
		else
			bpf_map_update_elem(fds[f], key, &zero, BPF_NOEXIST);
	}
	ng_err("nothing was changed");
	return -1;
}

static int cmp_cidr(const void *pa, const void *pb)
{
	const struct ng_cidr *a = pa, *b = pb;
	int r = memcmp(a->addr, b->addr, (size_t)addr_len(a->family));

	return r ? r : (int)a->prefixlen - (int)b->prefixlen;
}

/* Read one family's list, sorted. */
static struct ng_cidr *read_list(int fd, int family, int *count)
{
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

static int do_list(int fds[2], bool json)
{
	struct ng_cidr *l[2];
	int n[2];
	char txt[64];

	l[0] = read_list(fds[0], AF_INET, &n[0]);
	l[1] = read_list(fds[1], AF_INET6, &n[1]);
	if (!l[0] || !l[1]) {
		free(l[0]);
		free(l[1]);
		ng_err("cannot read the allow-list");
		return NG_EXIT_FAIL;
	}
	if (json)
		printf("{");
	for (int f = 0; f < 2; f++) {
		if (json)
			printf("%s\"%s\": [", f ? ", " : "", f ? "ipv6" : "ipv4");
		for (int i = 0; i < n[f]; i++) {
			ng_cidr_format(&l[f][i], txt, sizeof(txt));
			if (json)
				printf("%s\"%s\"", i ? ", " : "", txt);
			else
				printf("%s\n", txt);
		}
		if (json)
			printf("]");
	}
	if (json)
		printf("}\n");
	else if (!n[0] && !n[1])
		fprintf(stderr, "allow-list is empty\n");
	free(l[0]);
	free(l[1]);
	return NG_EXIT_OK;
}

struct allow_cfg {
	bool json;
};

static const struct ng_opt allow_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct allow_cfg, json, "json", 'j', .flags = NG_OPT_NOSYN,
	       .help = "(list) machine-readable output"),
	NG_OPT_END
};

static int cmd_allow(int argc, char **argv)
{
	struct allow_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	struct ng_cidr *c = NULL;
	const char *sub;
	int first, n = 0, fds[2] = { -1, -1 }, used_fd = -1, lock = -1, ret;

	ret = ng_parse(&allow_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (first >= argc)
		return ng_cmd_usage_err(&allow_cmd, "allow: missing subcommand (add, del or list)");
	ret = NG_EXIT_FAIL;
	sub = argv[first++];
	if (strcmp(sub, "add") && strcmp(sub, "del") && strcmp(sub, "list"))
		return ng_cmd_usage_err(&allow_cmd, "allow: unknown subcommand '%s'", sub);
	if (!strcmp(sub, "list") && first < argc)
		return ng_cmd_usage_err(&allow_cmd, "allow list: unexpected argument '%s'",
				    argv[first]);
	if (strcmp(sub, "list") && first >= argc)
		return ng_cmd_usage_err(&allow_cmd, "allow %s: no CIDR given", sub);
	if (strcmp(sub, "list") && cfg.json)
		return ng_cmd_usage_err(&allow_cmd, "allow %s: --json is for list", sub);

	/* Validate everything before touching any map. */
	n = argc > first ? argc - first : 0;
	c = calloc((size_t)n + 1, sizeof(*c));
	if (!c)
		return NG_EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		if (cidr_parse(argv[first + i], &c[i])) {
			ret = NG_EXIT_USAGE;
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (cidr_eq(&c[i], &c[j])) {
				ng_err("'%s' is given twice", argv[first + i]);
				ret = NG_EXIT_USAGE;
				goto out;
			}
	}

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		goto out;
	lock = ng_lock(&paths);
	if (lock < 0)
		goto out;
	fds[0] = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V4));
	fds[1] = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V6));
	used_fd = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_USED));
	if (fds[0] < 0 || fds[1] < 0 || used_fd < 0)
		goto out;

	if (!strcmp(sub, "list")) {
		ret = do_list(fds, cfg.json);
	} else if (!apply(fds, used_fd, c, n, !strcmp(sub, "add"))) {
		char txt[64];

		for (int i = 0; i < n; i++) {
			ng_cidr_format(&c[i], txt, sizeof(txt));
			printf("%s %s\n", strcmp(sub, "add") ? "removed" : "allowed", txt);
		}
		ret = NG_EXIT_OK;
	}
out:
	for (int f = 0; f < 2; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	if (used_fd >= 0)
		close(used_fd);
	ng_unlock(lock);
	free(c);
	return ret;
}

const struct ng_cmd allow_cmd = {
	.name = "allow",
	.summary = "manage the allow-list (hosts that may use ntpdc/ntpq)",
	.args = "add CIDR... | allow del CIDR... | allow list [--json]",
	.doc = "Hosts on the allow-list may send NTP mode 7 requests (as source)\n"
	       "and receive large mode 7 responses (as destination): the\n"
	       "management hosts that legitimately run ntpdc/ntpq. Changes apply\n"
	       "to the running filter at once.\n\n"
	       "CIDR is an IPv4 or IPv6 prefix (198.51.100.0/24, 2001:db8::/48) or a\n"
	       "single address. A prefix with host bits set, a duplicate, or\n"
	       "deleting an absent entry is an error, and then nothing is changed.\n",
	.opts = allow_opts,
	.run = cmd_allow,
};

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
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "attach.h"
#include "cmds.h"

struct cidr {
	int family;            /* AF_INET or AF_INET6 */
	__u32 prefixlen;
	__u8 addr[16];
	const char *arg;       /* as the user wrote it */
};

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
}

/* Parse "ADDR" or "ADDR/LEN"; on error print why and return -1. */
static int cidr_parse(const char *arg, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;
	int bits, nbytes;
	bool host_bits = false;

	memset(c, 0, sizeof(*c));
	c->arg = arg;
	if (strlen(arg) >= sizeof(buf)) {
		ng_err("'%s' is not an IPv4 or IPv6 address or prefix", arg);
		return -1;
	}
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else {
		ng_err("'%s' is not an IPv4 or IPv6 address or prefix", arg);
		return -1;
	}
	nbytes = addr_len(c->family);
	bits = nbytes * 8;
	if (!slash) {
		c->prefixlen = (__u32)bits;
		return 0;
	}
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || slash[1] == '-' || slash[1] == '+' ||
	    len > (unsigned long)bits) {
		ng_err("'%s': prefix length must be 0..%d", arg, bits);
		return -1;
	}
	c->prefixlen = (__u32)len;
	for (int i = 0; i < nbytes; i++) {
		int keep = (int)len - i * 8;
		__u8 mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (__u8)(0xff << (8 - keep));

		if (c->addr[i] & ~mask) {
			host_bits = true;
			c->addr[i] &= mask;
		}
	}
	if (host_bits) {
		char fixed[64];

		cidr_format(c, fixed, sizeof(fixed));
		ng_err("'%s' has host bits set (did you mean %s?)", arg, fixed);
		return -1;
	}
	return 0;
}

static int cidr_key(const struct cidr *c, void *key)
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

static bool cidr_eq(const struct cidr *a, const struct cidr *b)
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
static int apply(int fds[2], int used_fd, struct cidr *c, int n, bool add)
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
			cidr_format(&c[i], txt, sizeof(txt));
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
	const struct cidr *a = pa, *b = pb;
	int r = memcmp(a->addr, b->addr, (size_t)addr_len(a->family));

	return r ? r : (int)a->prefixlen - (int)b->prefixlen;
}

/* Read one family's list, sorted. */
static struct cidr *read_list(int fd, int family, int *count)
{
	char cur[sizeof(struct ng_lpm_v6)], next[sizeof(struct ng_lpm_v6)];
	size_t ksz = family == AF_INET ? sizeof(struct ng_lpm_v4) : sizeof(struct ng_lpm_v6);
	struct cidr *list = NULL, *tmp;
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
	struct cidr *l[2];
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
			cidr_format(&l[f][i], txt, sizeof(txt));
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

static const char allow_usage[] =
	"ntpguard allow add CIDR... | allow del CIDR... | allow list [--json]";

static void allow_help(void)
{
	printf("usage: %s\n\n"
	       "Hosts on the allow-list may send NTP mode 7 requests (as source)\n"
	       "and receive large mode 7 responses (as destination): the\n"
	       "management hosts that legitimately run ntpdc/ntpq. Changes apply\n"
	       "to the running filter at once.\n\n"
	       "CIDR is an IPv4 or IPv6 prefix (198.51.100.0/24, 2001:db8::/48) or a\n"
	       "single address. A prefix with host bits set, a duplicate, or\n"
	       "deleting an absent entry is an error, and then nothing is changed.\n\n"
	       "  -j, --json   (list) machine-readable output\n"
	       "  -h, --help   this help\n", allow_usage);
}

int cmd_allow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ng_paths paths;
	struct cidr *c = NULL;
	const char *sub;
	bool json = false;
	int ch, n = 0, fds[2] = { -1, -1 }, used_fd = -1, lock = -1, ret = NG_EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'h': allow_help(); return NG_EXIT_OK;
		default: return ng_bad_option(allow_usage, argv);
		}
	}
	if (optind >= argc)
		return ng_usage_err(allow_usage, "allow: missing subcommand (add, del or list)");
	sub = argv[optind++];
	if (strcmp(sub, "add") && strcmp(sub, "del") && strcmp(sub, "list"))
		return ng_usage_err(allow_usage, "allow: unknown subcommand '%s'", sub);
	if (!strcmp(sub, "list") && optind < argc)
		return ng_usage_err(allow_usage, "allow list: unexpected argument '%s'",
				    argv[optind]);
	if (strcmp(sub, "list") && optind >= argc)
		return ng_usage_err(allow_usage, "allow %s: no CIDR given", sub);
	if (strcmp(sub, "list") && json)
		return ng_usage_err(allow_usage, "allow %s: --json is for list", sub);

	/* Validate everything before touching any map. */
	n = argc > optind ? argc - optind : 0;
	c = calloc((size_t)n + 1, sizeof(*c));
	if (!c)
		return NG_EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		if (cidr_parse(argv[optind + i], &c[i])) {
			ret = NG_EXIT_USAGE;
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (cidr_eq(&c[i], &c[j])) {
				ng_err("'%s' is given twice", c[i].arg);
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
		ret = do_list(fds, json);
	} else if (!apply(fds, used_fd, c, n, !strcmp(sub, "add"))) {
		char txt[64];

		for (int i = 0; i < n; i++) {
			cidr_format(&c[i], txt, sizeof(txt));
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

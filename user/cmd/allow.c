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

#include "common.h"
#include "allowlist.h"
#include "pins.h"
#include "params.h"
#include "cmds.h"

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

static int do_list(struct ng_state *st, bool json)
{
	struct ng_cidr *l[2];
	int n[2];
	char txt[64];

	l[0] = ng_allow_list(st, 0, &n[0]);
	l[1] = ng_allow_list(st, 1, &n[1]);
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

static int do_change(struct ng_state *st, const struct ng_cidr *c, int n, bool add)
{
	char txt[64];

	if (ng_allow_change(st, c, n, add))
		return NG_EXIT_FAIL;
	for (int i = 0; i < n; i++) {
		ng_cidr_format(&c[i], txt, sizeof(txt));
		printf("%s %s\n", add ? "allowed" : "removed", txt);
	}
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

/* The subcommand and its operands; NG_CONTINUE if they fit together. */
static int check_args(const struct allow_cfg *cfg, int argc, char **argv, int first)
{
	const char *sub = first < argc ? argv[first] : NULL;
	bool list = sub && !strcmp(sub, "list");

	if (!sub)
		return ng_cmd_usage_err(&allow_cmd, "allow: missing subcommand (add, del or list)");
	if (strcmp(sub, "add") && strcmp(sub, "del") && !list)
		return ng_cmd_usage_err(&allow_cmd, "allow: unknown subcommand '%s'", sub);
	if (list && first + 1 < argc)
		return ng_cmd_usage_err(&allow_cmd, "allow list: unexpected argument '%s'",
					argv[first + 1]);
	if (!list && first + 1 >= argc)
		return ng_cmd_usage_err(&allow_cmd, "allow %s: no CIDR given", sub);
	if (!list && cfg->json)
		return ng_cmd_usage_err(&allow_cmd, "allow %s: --json is for list", sub);
	return NG_CONTINUE;
}

/* Indices into the prefixes c, by prefix, then by position: equal prefixes
 * end up next to each other, the one given first ahead. */
static int cmp_index(const void *a, const void *b, void *c)
{
	const struct ng_cidr *base = c;
	int i = *(const int *)a, j = *(const int *)b;
	int r = ng_cidr_cmp(&base[i], &base[j]);

	return r ? r : i - j;
}

/* The position of the first argument among c[0..n) that repeats an earlier
 * one, or -1. Sorted, not compared pairwise: `allow add` takes 100,000
 * prefixes in one command. */
static int first_repeat(const struct ng_cidr *c, int n)
{
	int *idx = malloc((size_t)(n ? n : 1) * sizeof(*idx)), rep = -1;

	if (!idx)
		return -2;
	for (int i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, (size_t)n, sizeof(*idx), cmp_index, (void *)c);
	for (int k = 1; k < n; k++)
		if (ng_cidr_eq(&c[idx[k]], &c[idx[k - 1]]) && (rep < 0 || idx[k] < rep))
			rep = idx[k];
	free(idx);
	return rep;
}

/* Every CIDR of args, validated before any map is touched; NULL: said why.
 * The first argument that is wrong is reported: one that is not a prefix,
 * or one that repeats an earlier argument. */
static struct ng_cidr *parse_cidrs(char **args, int n)
{
	struct ng_cidr *c = calloc((size_t)n + 1, sizeof(*c));
	int bad = 0, rep;

	if (!c) {
		ng_err("out of memory");
		return NULL;
	}
	while (bad < n && ng_parse_cidr(args[bad], &c[bad]) == NG_CIDR_OK)
		bad++;
	rep = first_repeat(c, bad);
	if (rep == -2) {
		ng_err("out of memory");
	} else if (rep >= 0) {
		ng_err("'%s' is given twice", args[rep]);
	} else if (bad < n) {
		cidr_parse(args[bad], &c[bad]);
	} else {
		return c;
	}
	free(c);
	return NULL;
}

static int cmd_allow(int argc, char **argv)
{
	struct allow_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	struct ng_state st;
	struct ng_cidr *c = NULL;
	const char *sub;
	int first, n, lock, ret;

	ret = ng_parse(&allow_cmd, &cfg, argc, argv, &first);
	if (ret == NG_CONTINUE)
		ret = check_args(&cfg, argc, argv, first);
	if (ret != NG_CONTINUE)
		return ret;
	sub = argv[first++];
	n = argc - first;
	c = parse_cidrs(argv + first, n);
	if (!c)
		return NG_EXIT_USAGE;

	ret = NG_EXIT_FAIL;
	lock = ng_lock_loaded(&paths, false);
	if (lock >= 0 && !ng_state_open(&st, &paths, NG_MAPS_ALLOW, false)) {
		ret = !strcmp(sub, "list") ? do_list(&st, cfg.json) :
					     do_change(&st, c, n, !strcmp(sub, "add"));
		ng_state_close(&st);
	}
	ng_unlock(lock);
	free(c);
	return ret;
}

NG_COMMAND(allow,
	.summary = "manage the allow-list (hosts that may use ntpdc/ntpq)",
	.args = "add CIDR... | allow del CIDR... | allow list [--json]",
	.doc = "Hosts on the allow-list may send NTP mode 7 requests (as source)\n"
	       "and receive large mode 7 responses (as destination): the\n"
	       "management hosts that legitimately run ntpdc/ntpq. Changes apply\n"
	       "to the running filter at once.\n\n"
	       "CIDR is an IPv4 or IPv6 prefix (198.51.100.0/24, 2001:db8::/48) or a\n"
	       "single address. A prefix with host bits set, a duplicate, or\n"
	       "deleting an absent entry is an error, and then nothing is changed.\n");

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * set: change the live policy, all-or-nothing and atomically (the keys and
 * their parsing are lib/policy.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "policy.h"
#include "cmds.h"

static const char set_usage[] = "ntpguard set KEY=VALUE... | set --defaults";

static void set_help(void)
{
	printf("usage: %s\n\n"
	       "Change the live policy on every loaded interface at once, without\n"
	       "reloading: all KEY=VALUE pairs are validated, then applied in one\n"
	       "atomic step (or, on any error, not at all). Allow-listed hosts\n"
	       "bypass every cap.\n\n"
	       "  --defaults   go back to the built-in defaults\n"
	       "  -h, --help   this help\n", set_usage);
	ng_policy_help(stdout);
}

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "defaults", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct ng_policy p;
	struct ng_paths paths;
	bool defaults = false;
	int c, lock = -1, pol_fd = -1, sel_fd = -1, ret = NG_EXIT_FAIL;
	__u32 live;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': defaults = true; break;
		case 'h': set_help(); return NG_EXIT_OK;
		default: return ng_bad_option(set_usage, argv);
		}
	}
	if (defaults == (optind < argc))
		return ng_usage_err(set_usage, defaults ?
			"set: --defaults takes no KEY=VALUE" : "set: no KEY=VALUE given");

	/* Syntax first, against a scratch policy: bad input changes nothing. */
	p = def;
	for (int i = optind; i < argc; i++)
		if (ng_policy_assign(argv[i], &p))
			return NG_EXIT_USAGE;

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	lock = ng_lock(&paths);
	if (lock < 0)
		return NG_EXIT_FAIL;
	pol_fd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY));
	sel_fd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY_SEL));
	if (pol_fd < 0 || sel_fd < 0 || ng_policy_read(pol_fd, sel_fd, &p, &live))
		goto out;
	if (defaults)
		p = def;
	for (int i = optind; i < argc; i++)
		ng_policy_assign(argv[i], &p);      /* validated above */
	if (ng_policy_commit(pol_fd, sel_fd, live, &p))
		goto out;
	if (defaults)
		printf("policy reset to the defaults\n");
	for (int i = optind; i < argc; i++)
		printf("set %s\n", argv[i]);
	if (p.monitor)
		printf("note: monitor=on: nothing is dropped, would-drops are counted\n");
	ret = NG_EXIT_OK;
out:
	if (pol_fd >= 0)
		close(pol_fd);
	if (sel_fd >= 0)
		close(sel_fd);
	ng_unlock(lock);
	return ret;
}

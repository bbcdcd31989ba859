// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * set: change the live policy, all-or-nothing and atomically (the keys and
 * their parsing are lib/policy.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "policy.h"
#include "params.h"
#include "cmds.h"

struct set_cfg {
	bool defaults;
};

static const struct ng_opt set_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct set_cfg, defaults, "defaults", 0, .flags = NG_OPT_NOSYN,
	       .help = "go back to the built-in defaults"),
	NG_OPT_END
};

static int cmd_set(int argc, char **argv)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct set_cfg cfg = { 0 };
	struct ng_policy p;
	struct ng_paths paths = { 0 };
	int first, lock = -1, pol_fd = -1, sel_fd = -1, ret;
	__u32 live;

	ret = ng_parse(&set_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.defaults == (first < argc))
		return ng_cmd_usage_err(&set_cmd, cfg.defaults ?
			"set: --defaults takes no KEY=VALUE" : "set: no KEY=VALUE given");

	ret = NG_EXIT_FAIL;
	/* Syntax first, against a scratch policy: bad input changes nothing. */
	p = def;
	for (int i = first; i < argc; i++)
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
	if (cfg.defaults)
		p = def;
	for (int i = first; i < argc; i++)
		ng_policy_assign(argv[i], &p);      /* validated above */
	if (ng_policy_commit(pol_fd, sel_fd, live, &p))
		goto out;
	if (cfg.defaults)
		printf("policy reset to the defaults\n");
	for (int i = first; i < argc; i++)
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

const struct ng_cmd set_cmd = {
	.name = "set",
	.summary = "change the live policy (drop/ratecap/pass, monitor mode)",
	.args = "KEY=VALUE... | set --defaults",
	.doc = "Change the live policy on every loaded interface at once, without\n"
	       "reloading: all KEY=VALUE pairs are validated, then applied in one\n"
	       "atomic step (or, on any error, not at all). Allow-listed hosts\n"
	       "bypass every cap.\n",
	.opts = set_opts,
	.help_more = ng_policy_help,
	.run = cmd_set,
	.flags = NG_CMD_IN_ORDER,       /* KEY=VALUE words are data */
};

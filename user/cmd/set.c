// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * set: change the live policy, all-or-nothing and atomically (the keys and
 * their parsing are lib/policy.c).
 */
#include <stdio.h>

#include "common.h"
#include "pins.h"
#include "policy.h"
#include "state.h"
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

/* Read, change and commit the live policy; the lock is held. */
static int apply(const struct ng_paths *paths, const struct set_cfg *cfg, char **assign,
		 int n)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct ng_policy p;
	struct ng_state st;
	int ret = NG_EXIT_FAIL;
	__u32 live;

	if (ng_state_open(&st, paths, NG_MAPS_POLICY, false))
		return NG_EXIT_FAIL;
	if (ng_state_policy(&st, &p, &live))
		goto out;
	if (cfg->defaults)
		p = def;
	for (int i = 0; i < n; i++)
		ng_policy_assign(assign[i], &p);        /* validated before */
	if (ng_state_policy_commit(&st, live, &p))
		goto out;
	if (cfg->defaults)
		printf("policy reset to the defaults\n");
	for (int i = 0; i < n; i++)
		printf("set %s\n", assign[i]);
	if (p.monitor)
		printf("note: monitor=on: nothing is dropped, would-drops are counted\n");
	ret = NG_EXIT_OK;
out:
	ng_state_close(&st);
	return ret;
}

static int cmd_set(int argc, char **argv)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;
	struct set_cfg cfg = { 0 };
	struct ng_policy scratch = def;
	struct ng_paths paths = { 0 };
	int first, lock, ret;

	ret = ng_parse(&set_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.defaults == (first < argc))
		return ng_cmd_usage_err(&set_cmd, cfg.defaults ?
			"set: --defaults takes no KEY=VALUE" : "set: no KEY=VALUE given");
	/* Syntax first, against a scratch policy: bad input changes nothing. */
	for (int i = first; i < argc; i++)
		if (ng_policy_assign(argv[i], &scratch))
			return NG_EXIT_USAGE;

	lock = ng_lock_loaded(&paths, false);
	if (lock < 0)
		return NG_EXIT_FAIL;
	ret = apply(&paths, &cfg, argv + first, argc - first);
	ng_unlock(lock);
	return ret;
}

NG_COMMAND(set,
	.summary = "change the live policy (drop/ratecap/pass, monitor mode)",
	.args = "KEY=VALUE... | set --defaults",
	.doc = "Change the live policy on every loaded interface at once, without\n"
	       "reloading: all KEY=VALUE pairs are validated, then applied in one\n"
	       "atomic step (or, on any error, not at all). Allow-listed hosts\n"
	       "bypass every cap.\n",
	.help_more = ng_policy_help,
	.flags = NG_CMD_IN_ORDER);      /* KEY=VALUE words are data */

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* unload: detach the filter from interfaces of this network namespace. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
#include "state.h"
#include "params.h"
#include "cmds.h"

struct unload_cfg {
	bool all, keep_maps;
};

static const struct ng_opt unload_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct unload_cfg, all, "all", 'a', .flags = NG_OPT_NOSYN,
	       .help = "every interface of this namespace"),
	NG_OPT(NG_OPT_FLAG, struct unload_cfg, keep_maps, "keep-maps", 'k',
	       .help = "keep the pins (allow-list, policy, counters)"),
	NG_OPT_END
};

/* Is every name attached by ntpguard in this namespace? Nothing is
 * changed on a bad argument. */
static int check_names(const struct ng_paths *paths, char **names, int n)
{
	struct ng_ifrec *recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	__u64 ns = ng_netns_ino();
	struct ng_state st;
	int ret = -1;

	if (!recs || ng_state_open(&st, paths, NG_MAPS_IFACES, false))
		goto out;
	if (!ng_state_records(&st, recs))
		ret = 0;
	ng_state_close(&st);
	for (int i = 0; i < n && !ret; i++)
		if (ng_ifrec_find(recs, ns, names[i], NG_DIR_INGRESS) < 0 &&
		    ng_ifrec_find(recs, ns, names[i], NG_DIR_EGRESS) < 0) {
			ng_err("%s: not attached by ntpguard", names[i]);
			ret = -1;
		}
out:
	free(recs);
	return ret;
}

static int cmd_unload(int argc, char **argv)
{
	struct unload_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	int first, lock, ret;

	ret = ng_parse(&unload_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.all == (first < argc))
		return ng_cmd_usage_err(&unload_cmd, cfg.all ?
			"unload: give interfaces or --all, not both" :
			"unload: no interface given (or use --all)");

	ng_attach_init();
	if (cfg.all) {
		ng_paths_init(&paths);
		if (ng_require_privs(true))
			return NG_EXIT_FAIL;
		ret = ng_unload_partial_pins(&paths);
		if (ret >= 0)
			return ret;
	}
	lock = ng_lock_loaded(&paths, true);
	if (lock < 0)
		return NG_EXIT_FAIL;
	ng_adopt_unrecorded(&paths, cfg.all ? NULL : argv + first, argc - first);
	ret = NG_EXIT_FAIL;
	if (check_names(&paths, argv + first, argc - first))
		goto out;
	ret = NG_EXIT_OK;
	if (cfg.all && ng_unload_iface(&paths, NULL, NG_WANT_BOTH))
		ret = NG_EXIT_FAIL;
	for (int i = first; i < argc; i++)
		if (ng_unload_iface(&paths, argv[i], NG_WANT_BOTH))
			ret = NG_EXIT_FAIL;
	if (!cfg.keep_maps)
		ng_remove_pins_if_unused(&paths);
out:
	ng_unlock(lock);
	return ret;
}

NG_COMMAND(unload,
	.summary = "detach it",
	.args = "IFACE... | --all",
	.doc = "Detach ntpguard (ingress and egress) from interfaces of this\n"
	       "network namespace. Only programs ntpguard attached are\n"
	       "touched. Counters of an unloaded interface are kept while\n"
	       "ntpguard stays loaded elsewhere (and continue if it is\n"
	       "loaded again); unloading an interface that is already\n"
	       "detached (or vanished) forgets it and its counters. When\n"
	       "nothing is attached any more, the pins are removed.\n");

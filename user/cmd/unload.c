// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* unload: detach the filter from interfaces of this network namespace. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
#include "cmds.h"

static const char unload_usage[] = "ntpguard unload [--keep-maps] IFACE... | --all";

int cmd_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "keep-maps", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool all = false, keep = false;
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths;
	int c, lock = -1, fd = -1, ret = NG_EXIT_FAIL;
	__u64 ns = ng_netns_ino();

	while ((c = getopt_long(argc, argv, "akh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'k': keep = true; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Detach ntpguard (ingress and egress) from interfaces of this\n"
			       "network namespace. Only programs ntpguard attached are\n"
			       "touched. Counters of an unloaded interface are kept while\n"
			       "ntpguard stays loaded elsewhere (and continue if it is\n"
			       "loaded again); unloading an interface that is already\n"
			       "detached (or vanished) forgets it and its counters. When\n"
			       "nothing is attached any more, the pins are removed.\n\n"
			       "  -a, --all         every interface of this namespace\n"
			       "  -k, --keep-maps   keep the pins (allow-list, policy, counters)\n"
			       "  -h, --help        this help\n", unload_usage);
			return NG_EXIT_OK;
		default:
			return ng_bad_option(unload_usage, argv);
		}
	}
	if (all == (optind < argc))
		return ng_usage_err(unload_usage, all ?
			"unload: give interfaces or --all, not both" :
			"unload: no interface given (or use --all)");

	ng_paths_init(&paths);
	if (ng_require_privs(true) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	ng_attach_init();
	lock = ng_lock(&paths);
	if (lock < 0)
		return NG_EXIT_FAIL;
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	if (!recs || fd < 0 || ng_ifrec_read_all(fd, recs))
		goto out;
	close(fd);
	fd = -1;

	/* Validate every name first: nothing is changed on a bad argument. */
	for (int i = optind; i < argc; i++) {
		int si = ng_ifrec_find(recs, ns, argv[i], NG_DIR_INGRESS);
		int se = ng_ifrec_find(recs, ns, argv[i], NG_DIR_EGRESS);

		if (si < 0 && se < 0) {
			ng_err("%s: not attached by ntpguard", argv[i]);
			goto out;
		}
	}
	ret = NG_EXIT_OK;
	if (all) {
		if (ng_unload_iface(&paths, NULL))
			ret = NG_EXIT_FAIL;
	} else {
		for (int i = optind; i < argc; i++)
			if (ng_unload_iface(&paths, argv[i]))
				ret = NG_EXIT_FAIL;
	}
	if (!keep)
		ng_remove_pins_if_unused(&paths);
out:
	if (fd >= 0)
		close(fd);
	free(recs);
	ng_unlock(lock);
	return ret;
}

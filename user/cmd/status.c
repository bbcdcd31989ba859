// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: where ntpguard is attached, how, the allow-list and the policy. */
#include "common.h"
#include "pins.h"
#include "show.h"
#include "params.h"
#include "cmds.h"

struct status_cfg {
	bool json;
};

static const struct ng_opt status_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct status_cfg, json, "json", 'j',
	       .help = "machine-readable output"),
	NG_OPT_END
};

static int cmd_status(int argc, char **argv)
{
	struct status_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	struct ng_snapshot s;
	int first, ret;

	ret = ng_parse(&status_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_bpffs(&paths))
		return NG_EXIT_FAIL;
	if (ng_snapshot_read(&paths, &s, NG_SNAP_IFACES | NG_SNAP_ALLOW | NG_SNAP_RATE))
		return NG_EXIT_FAIL;
	ng_show_status(stdout, &s, paths.pin_dir, cfg.json);
	ng_snapshot_free(&s);
	return NG_EXIT_OK;
}

NG_COMMAND(status,
	.summary = "where it is attached, how, allow-list size",
	.doc = "Show where ntpguard is attached in this network namespace\n"
	       "(direction, mode, dispatcher or legacy attach, program id),\n"
	       "the allow-list size, the rate-cap table and the policy.\n");

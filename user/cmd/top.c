// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top: who a provider must contact during an incident. From the per-key
 * table (ng_buckets, LRU, bounded by load --max-sources), the sources with
 * the most dropped mode 7 / mode 6 requests and the destinations (victims)
 * with the most dropped oversized mode 7 responses.
 *
 * The data plane keeps a key for a class when the class is rate-capped, or
 * for every policed class with `ntpguard set track=on`. Keys are IPv4 /32
 * or IPv6 /64. `dropped` counts drop verdicts, and would-drops in monitor
 * mode; last_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns).
 */
#include "common.h"
#include "pins.h"
#include "show.h"
#include "params.h"
#include "cmds.h"

struct top_cfg {
	__u32 n;
	bool json;
};

static const struct ng_opt top_opts[] = {
	NG_OPT(NG_OPT_UINT, struct top_cfg, n, NULL, 'n', .metavar = "N",
	       .min = 1, .max = 1000000, .help = "show N keys per list (default 10)"),
	NG_OPT(NG_OPT_FLAG, struct top_cfg, json, "json", 'j',
	       .help = "machine-readable output"),
	NG_OPT_END
};

static int cmd_top(int argc, char **argv)
{
	struct top_cfg cfg = { .n = 10 };
	struct ng_paths paths = { 0 };
	struct ng_snapshot s;
	int first, ret;

	ret = ng_parse(&top_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	ng_paths_init(&paths);
	if (ng_require_privs(false) ||
	    ng_snapshot_read(&paths, &s, NG_SNAP_KEYS | NG_SNAP_LOADED))
		return NG_EXIT_FAIL;
	ret = NG_EXIT_OK;
	if (ng_show_top(stdout, &s, cfg.n, cfg.json)) {
		ng_err("out of memory");
		ret = NG_EXIT_FAIL;
	}
	ng_snapshot_free(&s);
	return ret;
}

NG_COMMAND(top,
	.summary = "sources and victims with the most dropped packets",
	.doc = "Who to contact during an incident: the sources sending the\n"
	       "most dropped mode 7 and mode 6 requests (IPv4 address or\n"
	       "IPv6 /64), and the destinations receiving the most dropped\n"
	       "oversized mode 7 responses (the victims of a reflector\n"
	       "behind this host, or in it), sorted by dropped packets,\n"
	       "with dropped bytes, passed packets and when last seen.\n\n"
	       "The counters are kept per key in the data plane, in the\n"
	       "rate-cap table (LRU, load --max-sources entries): for\n"
	       "rate-capped classes always, for every class with\n"
	       "`ntpguard set track=on` (off by default: it costs a table\n"
	       "update per dropped packet). When the table is full the least\n"
	       "recently seen keys are evicted; the output says so.\n"
	       "In monitor mode, dropped counts would-drops.\n");

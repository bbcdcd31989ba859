// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: per-interface, per-reason counters, summed over CPUs (and
 * --prom, the same in Prometheus' text format; --watch is stats_watch.c). */
#include <errno.h>
#include <string.h>

#include "common.h"
#include "pins.h"
#include "prom.h"
#include "show.h"
#include "params.h"
#include "cmds.h"

struct stats_cfg {
	bool json, prom;
	double watch;           /* seconds; 0: no --watch */
};

static const struct ng_opt stats_opts[] = {
	NG_OPT(NG_OPT_FLAG, struct stats_cfg, json, "json", 'j', .group = 1,
	       .help = "machine-readable output:\n"
		       "  {\"interfaces\": {\"IF\": {\"mode\": \"native|skb\",\n"
		       "    \"reasons\": {\"REASON\": {\"packets\": N, \"bytes\": N}}}}}"),
	NG_OPT(NG_OPT_FLAG, struct stats_cfg, prom, "prom", 'p', .group = 1,
	       .help = "Prometheus text format, the metrics `ntpguard export`\n"
		       "writes (without the exporter's own); prints\n"
		       "ntpguard_loaded 0 when ntpguard is not loaded"),
	NG_OPT(NG_OPT_NUM, struct stats_cfg, watch, "watch", 'w', .group = 1,
	       .metavar = "SECONDS", .flags = NG_OPT_OPTIONAL, .dflt = "1",
	       .dmin = 0.1, .dmax = 3600, .what = "a number of seconds",
	       .help = "incident view: packets/s and bytes/s per interface\n"
		       "and reason since the last refresh, every SECONDS\n"
		       "(default 1, 0.1..3600); redrawn in place on a\n"
		       "terminal, plain lines otherwise; Ctrl-C quits"),
	NG_OPT_END
};

static int cmd_stats(int argc, char **argv)
{
	struct stats_cfg cfg = { 0 };
	struct ng_paths paths = { 0 };
	struct ng_snapshot s;
	int first, ret;

	ret = ng_parse(&stats_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.watch > 0)
		return ng_stats_watch(cfg.watch);
	ng_paths_init(&paths);
	/* --prom says ntpguard_loaded 0 rather than failing */
	if (ng_require_privs(false) ||
	    ng_snapshot_read(&paths, &s, cfg.prom ? NG_SNAP_PROM :
					 NG_SNAP_COUNTERS | NG_SNAP_LOADED))
		return NG_EXIT_FAIL;
	ret = NG_EXIT_OK;
	if (!cfg.prom) {
		ng_show_stats(stdout, &s, cfg.json);
	} else if (ng_prom_write(stdout, &s, NULL)) {
		ng_err("cannot write to stdout: %s", strerror(errno));
		ret = NG_EXIT_FAIL;
	}
	ng_snapshot_free(&s);
	return ret;
}

NG_COMMAND(stats,
	.summary = "per-interface, per-reason packet and byte counters",
	.doc = "Packets and bytes per interface and per reason (every\n"
	       "reason, zeros included), summed over CPUs. Interfaces that\n"
	       "were unloaded keep their counters while ntpguard stays\n"
	       "loaded elsewhere.\n");

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: per-interface, per-reason counters, summed over CPUs. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
#include "params.h"
#include "cmds.h"
#include "prom.h"

static int stats_prom(void)
{
	struct ng_paths paths = { 0 };
	struct ng_snapshot s;
	char err[256] = "";
	int rc;

	ng_paths_init(&paths);
	if (ng_require_privs(false))
		return NG_EXIT_FAIL;
	ng_attach_init();
	if (ng_snapshot_take(&paths, &s, NG_SNAP_FULL, err, sizeof(err))) {
		ng_err("%s", err);
		return NG_EXIT_FAIL;
	}
	rc = ng_prom_write(stdout, &s, NULL);
	ng_snapshot_free(&s);
	if (rc) {
		ng_err("cannot write to stdout: %s", strerror(errno));
		return NG_EXIT_FAIL;
	}
	return NG_EXIT_OK;
}

static void print_text(const struct ng_ifrec *r, const struct ng_counter *c,
		       const struct ng_counter *w)
{
	printf("%s (%s, %s mode, %s attach, %s)\n", r->ifname, ng_live_state(r),
	       ng_mode_name(r->mode), ng_path_name(r->path), ng_dir_name(r->direction));
	for (int i = 0; i < NG_R__COUNT; i++) {
		printf("  %-26s %-5s %14" PRIu64 " pkts %16" PRIu64 " bytes",
		       ng_reason_name(i), ng_reason_drops(i) ? "drop" : "pass",
		       (uint64_t)c[i].packets, (uint64_t)c[i].bytes);
		if (w[i].packets)
			printf("   (+%" PRIu64 " would-drop in monitor mode)",
			       (uint64_t)w[i].packets);
		printf("\n");
	}
}

static void print_json(const struct ng_ifrec *r, const struct ng_counter *c,
		       const struct ng_counter *w)
{
	printf("\"mode\": \"%s\", \"attach\": \"%s\", \"state\": \"%s\", "
	       "\"direction\": \"%s\", \"reasons\": {",
	       ng_mode_name(r->mode), ng_path_name(r->path), ng_live_state(r),
	       ng_dir_name(r->direction));
	for (int i = 0; i < NG_R__COUNT; i++) {
		printf("%s\"%s\": {\"action\": \"%s\", \"packets\": %" PRIu64
		       ", \"bytes\": %" PRIu64, i ? ", " : "", ng_reason_name(i),
		       ng_reason_drops(i) ? "drop" : "pass", (uint64_t)c[i].packets,
		       (uint64_t)c[i].bytes);
		if (ng_reason_drops(i))
			printf(", \"would_drop_packets\": %" PRIu64
			       ", \"would_drop_bytes\": %" PRIu64,
			       (uint64_t)w[i].packets, (uint64_t)w[i].bytes);
		printf("}");
	}
	printf("}");
}

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
	struct ng_counter cnt[NG_R__COUNT], would[NG_R__COUNT];
	struct ng_iface_slots *grp = NULL;
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths = { 0 };
	int first, n, fd = -1, cfd = -1, ret;

	ret = ng_parse(&stats_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (cfg.prom)
		return stats_prom();
	if (cfg.watch > 0)
		return ng_stats_watch(cfg.watch);

	ret = NG_EXIT_FAIL;
	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	ng_attach_init();
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	grp = calloc(NG_MAX_IFSLOTS, sizeof(*grp));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	cfd = ng_map_open(&paths, NG_STR(NG_MAP_COUNTERS));
	if (!recs || !grp || fd < 0 || cfd < 0 || ng_ifrec_read_all(fd, recs))
		goto out;

	n = ng_group_ifaces(recs, grp);
	if (cfg.json)
		printf("{\"interfaces\": {");
	for (int i = 0; i < n; i++) {
		const int slots[2] = { grp[i].ingress, grp[i].egress };
		bool open = false;

		for (int d = 0; d < 2; d++) {
			const struct ng_ifrec *r;

			if (slots[d] < 0)
				continue;
			r = &recs[slots[d]];
			if (ng_counters_read(cfd, (__u32)slots[d], cnt, would))
				goto out;
			if (!cfg.json) {
				print_text(r, cnt, would);
				continue;
			}
			if (!open) {
				printf("%s", i ? ", " : "");
				ng_json_str(stdout, r->ifname);
				printf(": {");
				open = true;
			} else {
				printf(", ");
			}
			/* egress nests inside its interface's object */
			if (d == 1)
				printf("\"egress\": {");
			print_json(r, cnt, would);
			if (d == 1)
				printf("}");
		}
		if (cfg.json)
			printf("}");
	}
	if (cfg.json)
		printf("}}\n");
	else if (!n)
		printf("no interfaces in this network namespace\n");
	ret = NG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (cfd >= 0)
		close(cfd);
	free(recs);
	free(grp);
	return ret;
}

const struct ng_cmd stats_cmd = {
	.name = "stats",
	.summary = "per-interface, per-reason packet and byte counters",
	.doc = "Packets and bytes per interface and per reason (every\n"
	       "reason, zeros included), summed over CPUs. Interfaces that\n"
	       "were unloaded keep their counters while ntpguard stays\n"
	       "loaded elsewhere.\n",
	.opts = stats_opts,
	.run = cmd_stats,
};

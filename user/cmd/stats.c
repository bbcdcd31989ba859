// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: per-interface, per-reason counters, summed over CPUs. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
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

static const char stats_usage[] = "ntpguard stats [--json | --prom | --watch [SECONDS]]";

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

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prom", no_argument, NULL, 'p' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *watch_arg = NULL;
	bool prom = false, watch = false;
	double interval = 1;
	struct ng_counter cnt[NG_R__COUNT], would[NG_R__COUNT];
	struct ng_iface_slots *grp = NULL;
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths;
	bool json = false;
	int c, n, fd = -1, cfd = -1, ret = NG_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "+jpw::h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'p': prom = true; break;
		case 'w':
			watch = true;
			watch_arg = optarg;
			/* "--watch 2" as well as "--watch=2" */
			if (!watch_arg && optind < argc && argv[optind][0] != '-')
				watch_arg = argv[optind++];
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "Packets and bytes per interface and per reason (every\n"
			       "reason, zeros included), summed over CPUs. Interfaces that\n"
			       "were unloaded keep their counters while ntpguard stays\n"
			       "loaded elsewhere.\n\n"
			       "  -j, --json   machine-readable output:\n"
			       "    {\"interfaces\": {\"IF\": {\"mode\": \"native|skb\",\n"
			       "      \"reasons\": {\"REASON\": {\"packets\": N, \"bytes\": N}}}}}\n"
			       "  -p, --prom   Prometheus text format, the metrics `ntpguard export`\n"
			       "               writes (without the exporter's own); prints\n"
			       "               ntpguard_loaded 0 when ntpguard is not loaded\n"
			       "  -w, --watch [SECONDS]\n"
			       "               incident view: packets/s and bytes/s per interface\n"
			       "               and reason since the last refresh, every SECONDS\n"
			       "               (default 1, 0.1..3600); redrawn in place on a\n"
			       "               terminal, plain lines otherwise; Ctrl-C quits\n"
			       "  -h, --help   this help\n", stats_usage);
			return NG_EXIT_OK;
		default:
			return ng_bad_option(stats_usage, argv);
		}
	}
	if (optind < argc)
		return ng_usage_err(stats_usage, "stats: unexpected argument '%s'", argv[optind]);
	if (json + prom + watch > 1)
		return ng_usage_err(stats_usage, "stats: --json, --prom and --watch "
				    "exclude each other");
	if (watch_arg && ng_parse_seconds(watch_arg, 0.1, 3600, &interval))
		return ng_usage_err(stats_usage, "stats: --watch: '%s' is not a number "
				    "of seconds in 0.1..3600", watch_arg);
	if (prom)
		return stats_prom();
	if (watch)
		return ng_stats_watch(interval);

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
	if (json)
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
			if (!json) {
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
		if (json)
			printf("}");
	}
	if (json)
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

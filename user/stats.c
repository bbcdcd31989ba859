// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* stats: per-interface, per-reason counters, summed over CPUs. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "cmds.h"

static const char stats_usage[] = "ntpguard stats [--json]";

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
	ng_json_str(stdout, r->ifname);
	printf(": {\"mode\": \"%s\", \"attach\": \"%s\", \"state\": \"%s\", "
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
	printf("}}");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ng_counter cnt[NG_R__COUNT], would[NG_R__COUNT];
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths;
	bool json = false, first = true;
	int c, fd = -1, cfd = -1, ret = NG_EXIT_FAIL;
	__u64 ns = ng_netns_ino();

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Packets and bytes per interface and per reason (every\n"
			       "reason, zeros included), summed over CPUs. Interfaces that\n"
			       "were unloaded keep their counters while ntpguard stays\n"
			       "loaded elsewhere.\n\n"
			       "  -j, --json   machine-readable output:\n"
			       "    {\"interfaces\": {\"IF\": {\"mode\": \"native|skb\",\n"
			       "      \"reasons\": {\"REASON\": {\"packets\": N, \"bytes\": N}}}}}\n"
			       "  -h, --help   this help\n", stats_usage);
			return NG_EXIT_OK;
		default:
			return ng_usage_err(stats_usage, "bad option");
		}
	}
	if (optind < argc)
		return ng_usage_err(stats_usage, "stats: unexpected argument '%s'", argv[optind]);

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	cfd = ng_map_open(&paths, NG_STR(NG_MAP_COUNTERS));
	if (!recs || fd < 0 || cfd < 0 || ng_ifrec_read_all(fd, recs))
		goto out;

	if (json)
		printf("{\"interfaces\": {");
	for (int s = 0; s < NG_MAX_IFSLOTS; s++) {
		const struct ng_ifrec *r = &recs[s];

		if (r->state == NG_IF_FREE || r->netns_ino != ns)
			continue;
		if (ng_counters_read(cfd, (__u32)s, cnt, would))
			goto out;
		if (json) {
			printf("%s", first ? "" : ", ");
			print_json(r, cnt, would);
		} else {
			print_text(r, cnt, would);
		}
		first = false;
	}
	if (json)
		printf("}}\n");
	else if (first)
		printf("no interfaces in this network namespace\n");
	ret = NG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (cfd >= 0)
		close(cfd);
	free(recs);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* status: where ntpguard is attached, how, the allow-list and the policy. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "attach.h"
#include "policy.h"
#include "params.h"
#include "cmds.h"
#include "prom.h"

static void rec_json(const struct ng_ifrec *r)
{
	printf("\"ifindex\": %u, \"state\": \"%s\", \"mode\": \"%s\", "
	       "\"attach\": \"%s\", \"direction\": \"%s\", \"prog_id\": %u",
	       r->ifindex, ng_live_state(r), ng_mode_name(r->mode),
	       ng_path_name(r->path), ng_dir_name(r->direction), r->prog_id);
}

static void rec_text(const struct ng_ifrec *r)
{
	printf("%-16s %-9s %-7s %-10s %-8s %u\n", r->ifname, ng_live_state(r),
	       ng_mode_name(r->mode), ng_path_name(r->path),
	       ng_dir_name(r->direction), r->prog_id);
}

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
	struct ng_iface_slots *grp = NULL;
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths = { 0 };
	struct ng_policy pol;
	long n4, n6, nb;
	int first, n, fd = -1, fd4 = -1, fd6 = -1, pfd = -1, sfd = -1, bfd = -1;
	int ret = NG_EXIT_FAIL;

	ret = ng_parse(&status_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	ret = NG_EXIT_FAIL;

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_bpffs(&paths))
		return NG_EXIT_FAIL;
	ng_attach_init();
	if (!ng_pins_exist(&paths)) {
		if (cfg.json) {
			printf("{\"loaded\": false, \"pin_dir\": ");
			ng_json_str(stdout, paths.pin_dir);
			printf(", \"interfaces\": {}, \"allow\": {\"ipv4\": 0, \"ipv6\": 0}}\n");
		} else {
			printf("ntpguard is not loaded (no pins in %s)\n", paths.pin_dir);
		}
		return NG_EXIT_OK;
	}
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	grp = calloc(NG_MAX_IFSLOTS, sizeof(*grp));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	fd4 = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V4));
	fd6 = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V6));
	pfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY));
	sfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY_SEL));
	bfd = ng_map_open(&paths, NG_STR(NG_MAP_BUCKETS));
	if (!recs || !grp || fd < 0 || fd4 < 0 || fd6 < 0 || pfd < 0 || sfd < 0 ||
	    bfd < 0 || ng_ifrec_read_all(fd, recs) || ng_policy_read(pfd, sfd, &pol, NULL))
		goto out;
	n4 = ng_count_keys(fd4, sizeof(struct ng_lpm_v4));
	n6 = ng_count_keys(fd6, sizeof(struct ng_lpm_v6));
	{
		struct ng_bkey *k = NULL;
		struct ng_bucket *v = NULL;
		char why[128];

		nb = ng_buckets_read(bfd, &k, &v, why, sizeof(why));
		free(k);
		free(v);
		if (nb < 0) {
			ng_err("%s", why);
			goto out;
		}
	}
	n = ng_group_ifaces(recs, grp);

	if (cfg.json) {
		printf("{\"loaded\": true, \"pin_dir\": ");
		ng_json_str(stdout, paths.pin_dir);
		printf(", \"interfaces\": {");
		for (int i = 0; i < n; i++) {
			const struct ng_ifrec *in = grp[i].ingress >= 0 ? &recs[grp[i].ingress] : NULL;
			const struct ng_ifrec *eg = grp[i].egress >= 0 ? &recs[grp[i].egress] : NULL;

			printf("%s", i ? ", " : "");
			ng_json_str(stdout, (in ? in : eg)->ifname);
			printf(": {");
			if (in)
				rec_json(in);
			if (eg) {
				printf("%s\"egress\": {", in ? ", " : "");
				rec_json(eg);
				printf("}");
			}
			printf("}");
		}
		printf("}, \"allow\": {\"ipv4\": %ld, \"ipv6\": %ld}, "
		       "\"rate_table\": {\"entries\": %ld, \"capacity\": %u}, \"policy\": ",
		       n4, n6, nb, ng_pinned_max_entries(&paths, NG_STR(NG_MAP_BUCKETS)));
		ng_policy_print(stdout, &pol, true);
		printf("}\n");
	} else {
		printf("ntpguard: pins in %s\n", paths.pin_dir);
		printf("%-16s %-9s %-7s %-10s %-8s %s\n", "INTERFACE", "STATE",
		       "MODE", "ATTACH", "DIR", "PROG ID");
		for (int i = 0; i < n; i++) {
			if (grp[i].ingress >= 0)
				rec_text(&recs[grp[i].ingress]);
			if (grp[i].egress >= 0)
				rec_text(&recs[grp[i].egress]);
		}
		printf("allow-list: %ld IPv4 prefix(es), %ld IPv6 prefix(es)\n", n4, n6);
		printf("rate-cap table: %ld of %u sources tracked\n", nb,
		       ng_pinned_max_entries(&paths, NG_STR(NG_MAP_BUCKETS)));
		printf("policy%s:\n", pol.monitor ? " (MONITOR MODE: nothing is dropped)" : "");
		ng_policy_print(stdout, &pol, false);
	}
	ret = NG_EXIT_OK;
out:
	for (int *f = (int[]){ fd, fd4, fd6, pfd, sfd, bfd }, k = 0; k < 6; k++)
		if (f[k] >= 0)
			close(f[k]);
	free(recs);
	free(grp);
	return ret;
}

const struct ng_cmd status_cmd = {
	.name = "status",
	.summary = "where it is attached, how, allow-list size",
	.doc = "Show where ntpguard is attached in this network namespace\n"
	       "(direction, mode, dispatcher or legacy attach, program id),\n"
	       "the allow-list size, the rate-cap table and the policy.\n",
	.opts = status_opts,
	.run = cmd_status,
};

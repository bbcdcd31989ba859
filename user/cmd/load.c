// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* load: attach the filter to interfaces (the mechanics are lib/attach.c). */
#include "common.h"
#include "attach.h"
#include "params.h"
#include "cmds.h"

struct load_cfg {
	int mode;               /* enum xdp_attach_mode */
	bool egress;
	__u32 max_sources;      /* 0: keep the pinned table's, or the default */
	__u32 max_reflectors;   /* the same for the reflector table */
};

static const struct ng_opt load_opts[] = {
	NG_OPT(NG_OPT_ENUM, struct load_cfg, mode, "mode", 'm', .metavar = "MODE",
	       .vals = ng_xdp_modes,
	       .help = "native or skb; default: native, falling back to skb"),
	NG_OPT(NG_OPT_FLAG, struct load_cfg, egress, "egress", 'e',
	       .help = "also attach the TC egress program (replies of\n"
		       "this host's own ntpd leaving the interface)"),
	NG_OPT(NG_OPT_UINT, struct load_cfg, max_sources, "max-sources", 's',
	       .metavar = "N", .min = 16, .max = 1u << 24,
	       .help = "size of the rate-cap table (LRU, default "
		       NG_STR(NG_DEFAULT_MAX_SOURCES) ");\n"
		       "fixed while any interface stays loaded"),
	NG_OPT(NG_OPT_UINT, struct load_cfg, max_reflectors, "max-reflectors", 'r',
	       .metavar = "N", .min = 16, .max = 1u << 20,
	       .help = "size of the reflector table (LRU, default "
		       NG_STR(NG_DEFAULT_MAX_REFLECTORS) ";\n"
		       "112 octets a record per CPU); fixed while any\n"
		       "interface stays loaded"),
	NG_OPT_END
};

static int cmd_load(int argc, char **argv)
{
	struct load_cfg cfg = { .mode = XDP_MODE_UNSPEC };
	struct ng_paths paths = { 0 };
	int first, lock, ret = NG_EXIT_OK;
	unsigned ifindex;

	ret = ng_parse(&load_cmd, &cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	if (first >= argc)
		return ng_cmd_usage_err(&load_cmd, "load: no interface given");

	ng_paths_init(&paths);
	if (ng_require_privs(true))
		return NG_EXIT_FAIL;
	for (int i = first; i < argc; i++)
		if (ng_parse_ifname(argv[i], &ifindex)) {
			ng_err("no such interface: %s", argv[i]);
			return NG_EXIT_FAIL;
		}
	lock = ng_attach_prepare(&paths, cfg.max_sources);
	if (lock < 0)
		return NG_EXIT_FAIL;
	if (ng_attach_max_reflectors(&paths, cfg.max_reflectors)) {
		ng_unlock(lock);
		return NG_EXIT_FAIL;
	}
	ret = NG_EXIT_OK;
	for (int i = first; i < argc; i++)
		if (ng_load_iface(&paths, argv[i], (enum xdp_attach_mode)cfg.mode,
				  NG_WANT_INGRESS | (cfg.egress ? NG_WANT_EGRESS : 0), true))
			ret = NG_EXIT_FAIL;
	ng_unlock(lock);
	return ret;
}

NG_COMMAND(load,
	.summary = "attach the filter to interfaces",
	.args = "IFACE...",
	.doc = "Attach the ntpguard XDP filter to each interface's ingress.\n"
	       "Uses libxdp's dispatcher (priority " NG_STR(NG_RUN_PRIO) ", continues on "
	       "XDP_PASS) where\n"
	       "the kernel allows it, otherwise a legacy single-program attach, and\n"
	       "says which. Maps are pinned under $NTPGUARD_BPFFS/ntpguard\n"
	       "(default /sys/fs/bpf/ntpguard). Loading an interface that this\n"
	       "build already protects changes nothing; a program of another\n"
	       "build (an older ntpguard) is replaced atomically, keeping the\n"
	       "allow-list, the policy and the counters.\n");

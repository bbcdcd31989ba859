// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* load: attach the filter to interfaces (the mechanics are lib/attach.c). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>

#include "common.h"
#include "attach.h"
#include "cmds.h"

static const char load_usage[] =
	"ntpguard load [--mode native|skb] [--egress] [--max-sources N] IFACE...";

static void load_help(void)
{
	printf("usage: %s\n\n"
	       "Attach the ntpguard XDP filter to each interface's ingress.\n"
	       "Uses libxdp's dispatcher (priority %d, continues on XDP_PASS) where\n"
	       "the kernel allows it, otherwise a legacy single-program attach, and\n"
	       "says which. Maps are pinned under $NTPGUARD_BPFFS/ntpguard\n"
	       "(default /sys/fs/bpf/ntpguard). Loading an interface that is already\n"
	       "protected changes nothing.\n\n"
	       "  -m, --mode MODE       native or skb; default: native, falling back to skb\n"
	       "  -e, --egress          also attach the TC egress program (replies of\n"
	       "                        this host's own ntpd leaving the interface)\n"
	       "  -s, --max-sources N   size of the rate-cap table (LRU, default %d);\n"
	       "                        fixed while any interface stays loaded\n"
	       "  -h, --help            this help\n", load_usage, NG_RUN_PRIO,
	       NG_DEFAULT_MAX_SOURCES);
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "egress", no_argument, NULL, 'e' },
		{ "max-sources", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	struct ng_paths paths;
	unsigned long long max_src = 0;
	bool egress = false;
	char *end;
	int c, lock, ret = NG_EXIT_OK;

	while ((c = getopt_long(argc, argv, "m:es:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (ng_parse_mode(optarg, &mode))
				return ng_usage_err(load_usage,
					"unknown mode '%s' (use native or skb)", optarg);
			break;
		case 'e':
			egress = true;
			break;
		case 's':
			errno = 0;
			max_src = strtoull(optarg, &end, 10);
			if (!isdigit((unsigned char)optarg[0]) || *end || errno ||
			    max_src < 16 || max_src > (1u << 24))
				return ng_usage_err(load_usage,
					"--max-sources: '%s' is not an integer in 16..%u",
					optarg, 1u << 24);
			break;
		case 'h':
			load_help();
			return NG_EXIT_OK;
		default:
			return ng_bad_option(load_usage, argv);
		}
	}
	if (optind >= argc)
		return ng_usage_err(load_usage, "load: no interface given");

	ng_paths_init(&paths);
	if (ng_require_privs(true))
		return NG_EXIT_FAIL;
	for (int i = optind; i < argc; i++)
		if (!if_nametoindex(argv[i])) {
			ng_err("no such interface: %s", argv[i]);
			return NG_EXIT_FAIL;
		}
	lock = ng_attach_prepare(&paths, (__u32)max_src);
	if (lock < 0)
		return NG_EXIT_FAIL;
	for (int i = optind; i < argc; i++)
		if (ng_load_iface(&paths, argv[i], mode, egress))
			ret = NG_EXIT_FAIL;
	ng_unlock(lock);
	return ret;
}

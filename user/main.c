// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ntpguard: command dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "cmd/cmds.h"

#include "version.h"

const struct ng_cmd *const ng_cmds[] = {
	&apply_cmd, &load_cmd, &unload_cmd, &status_cmd, &allow_cmd, &stats_cmd, &top_cmd,
	&export_cmd, &set_cmd, &watch_cmd, &check_cmd, &audit_cmd, &reflectors_cmd, &help_cmd,
	NULL,
};

void ng_usage(FILE *f)
{
	fprintf(f, "usage: ntpguard [-v] COMMAND [ARGS]\n\n"
		"XDP filter against NTP mode 7 (monlist) reflection, CVE-2013-5211.\n\n"
		"Commands:\n");
	for (size_t i = 0; ng_cmds[i]; i++)
		fprintf(f, "  %-8s %s\n", ng_cmds[i]->name, ng_cmds[i]->summary);
	fprintf(f, "\n'ntpguard COMMAND --help' for a command's options.\n"
		"  -v, --verbose   show libbpf/libxdp diagnostics\n"
		"  -V, --version   print the version\n"
		"Environment: NTPGUARD_BPFFS (default /sys/fs/bpf) is the bpffs whose\n"
		"ntpguard/ directory holds the pinned maps.\n");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Failures become our own one-line messages; details with -v. */
	(void)level;
	if (!ng_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			ng_verbose = 1;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("ntpguard %s\n", NG_VERSION);
			return NG_EXIT_OK;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			ng_usage(stdout);
			return NG_EXIT_OK;
		} else {
			ng_err("unknown option '%s'", argv[i]);
			ng_usage(stderr);
			return NG_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		ng_err("no command given");
		ng_usage(stderr);
		return NG_EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);
	for (size_t c = 0; ng_cmds[c]; c++)
		if (!strcmp(argv[i], ng_cmds[c]->name))
			return ng_cmds[c]->run(argc - i, argv + i);
	ng_err("unknown command '%s'", argv[i]);
	ng_usage(stderr);
	return NG_EXIT_USAGE;
}

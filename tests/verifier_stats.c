// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verifier_stats - what the running kernel's verifier makes of ntpguard's
 * programs: instructions processed, and the translated (xlated) and JIT
 * sizes of each program.
 *
 *   build/tests/verifier_stats [--precise-clock]
 *
 * --precise-clock loads the variant `load` makes on kernels before 5.11
 * (no bpf_ktime_get_coarse_ns(): the read-only ng_coarse_clock cleared, so
 * the verifier prunes every call of it).
 *
 * Loads the embedded object (both programs, never attached, no pins: every
 * pin path is cleared) with the verifier's statistics log, and prints
 *
 *   # kernel RELEASE
 *   PROGRAM processed_insns N xlated_bytes N jited_bytes N
 *
 * for ntpguard_xdp and ntpguard_tc. tests/verifier.sh compares these with
 * tests/verifier/SERIES.txt. Exit 1 when the kernel rejects a program (the
 * verifier's log goes to stderr), 0 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ntpguard.skel.h"

#define LOG_SIZE (1u << 20)

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* The expected note about libxdp's .xdp_run_config section, and
	 * libbpf's echo of a failed load (printed below from our buffer). */
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_program *progs[2];
	struct ntpguard_bpf *skel;
	struct bpf_map *map;
	struct utsname u;
	char *logs[2];
	int err, ret = 0;

	libbpf_set_print(quiet_libbpf);
	uname(&u);
	skel = ntpguard_bpf__open();
	if (!skel) {
		fprintf(stderr, "verifier_stats: cannot open the object: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (argc > 1 && !strcmp(argv[1], "--precise-clock")) {
		skel->rodata->ng_coarse_clock = 0;
	} else if (argc > 1) {
		fprintf(stderr, "usage: verifier_stats [--precise-clock]\n");
		return 2;
	}
	progs[0] = skel->progs.ntpguard_xdp;
	progs[1] = skel->progs.ntpguard_tc;
	for (int i = 0; i < 2; i++) {
		logs[i] = calloc(1, LOG_SIZE);
		if (!logs[i])
			return 1;
		/* level 1 would print the whole walk; 4 (BPF_LOG_STATS) is
		 * the closing statistics only, and the error when rejected. */
		bpf_program__set_log_buf(progs[i], logs[i], LOG_SIZE);
		bpf_program__set_log_level(progs[i], 4);
	}
	err = ntpguard_bpf__load(skel);
	printf("# kernel %s\n", u.release);
	for (int i = 0; i < 2; i++) {
		const char *name = bpf_program__name(progs[i]);
		const char *p = strstr(logs[i], "processed ");
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (err || fd < 0 || !p || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			fprintf(stderr, "verifier_stats: %s: not loaded (%s); verifier log:\n%s\n",
				name, strerror(err ? -err : EINVAL), logs[i]);
			ret = 1;
			continue;
		}
		printf("%s processed_insns %lu xlated_bytes %u jited_bytes %u\n", name,
		       strtoul(p + strlen("processed "), NULL, 10),
		       info.xlated_prog_len, info.jited_prog_len);
	}
	ntpguard_bpf__destroy(skel);
	for (int i = 0; i < 2; i++)
		free(logs[i]);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diff_run - run frames through the loaded ntpguard XDP program
 * (BPF_PROG_TEST_RUN) and compare verdict and reason with what the
 * reference classifier (tests/diff/reference.py) expects.
 *
 *   diff_run [--pass-unjudgeable] [--show N] FRAMES
 *   diff_run --verifier-stats [--obj FILE]
 *
 * FRAMES: records of u16 length (big endian), u8 expected reason (the
 * NG_REASONS index; 255: no counter may move), the frame (tests/diff/gen.py).
 *
 * The program is loaded from the skeleton with every pin path cleared (no
 * pins are created, reused or touched) and never attached. The policy is
 * the default one, except that the rate caps get a budget no run can
 * exhaust (rate and burst NG_RATE_MAX), so bucket timing cannot change a
 * verdict, and pass_unjudgeable when asked. For each frame it reads the
 * slot's counter row, runs the program once, reads the row again: exactly
 * one reason must move by one packet and the frame's length in bytes (or
 * nothing, for 255), and the XDP verdict must be the one that reason
 * implies. The would-drop row must stay empty (monitor is off).
 *
 * --verifier-stats loads the object (default: the embedded skeleton; --obj
 * an ntpguard.bpf.o file, e.g. an older build) and prints, per program, the
 * instructions the verifier processed and the program's size.
 *
 * Output: one "mismatch" line per differing frame (the first --show N, 20
 * by default, in full hex), then "frames N mismatches M" and exit status 0
 * only when M is 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ntpguard.skel.h"
#include "ntpguard.h"
#include "ng_ratelimit.h"

#define SLOT 5u
#define NONE 255

struct runner {
	struct ntpguard_bpf *skel;
	int prog, counters, ncpus;
	struct ng_counter *percpu;
};

static int read_row(struct runner *r, __u32 base, struct ng_counter *row)
{
	for (__u32 i = 0; i < NG_REASON_SLOTS; i++) {
		__u32 key = base + i;

		if (bpf_map_lookup_elem(r->counters, &key, r->percpu))
			return -1;
		row[i].packets = row[i].bytes = 0;
		for (int c = 0; c < r->ncpus; c++) {
			row[i].packets += r->percpu[c].packets;
			row[i].bytes += r->percpu[c].bytes;
		}
	}
	return 0;
}

static int setup(struct runner *r, int pass_unjudgeable)
{
	struct ng_policy pol = NG_DEFAULT_POLICY;
	__u32 zero = 0, one = 1;
	struct bpf_map *m;

	r->skel = ntpguard_bpf__open();
	if (!r->skel)
		return -1;
	bpf_object__for_each_map(m, r->skel->obj)
		if (bpf_map__set_pin_path(m, NULL))
			return -1;
	r->skel->rodata->ng_slot = SLOT;
	if (ntpguard_bpf__load(r->skel))
		return -1;
	r->prog = bpf_program__fd(r->skel->progs.ntpguard_xdp);
	r->counters = bpf_map__fd(r->skel->maps.ng_counters);
	for (int c = 0; c < NG_PC__COUNT; c++) {
		pol.cls[c].rate = pol.cls[c].burst = NG_RATE_MAX;
		pol.cls[c].global_rate = pol.cls[c].global_burst = NG_RATE_MAX;
	}
	pol.pass_unjudgeable = (__u32)pass_unjudgeable;
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.ng_policy), &one, &pol, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(r->skel->maps.ng_policy_sel), &zero, &one, BPF_ANY))
		return -1;
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return -1;
	r->percpu = calloc((size_t)r->ncpus, sizeof(*r->percpu));
	return r->percpu ? 0 : -1;
}

static const char *rname(int r)
{
	if (r == NONE || r == -1)
		return "none";
	return r >= 0 && ng_reason_name(r) ? ng_reason_name(r) : "?";
}

static void hexdump(const __u8 *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", f[i]);
	putchar('\n');
}

static int run(const char *path, int pass_unjudgeable, long show)
{
	struct ng_counter before[NG_REASON_SLOTS], after[NG_REASON_SLOTS];
	struct ng_counter would[NG_REASON_SLOTS];
	struct runner r = { 0 };
	long frames = 0, bad = 0;
	__u8 hdr[3], frame[65536];
	FILE *in = fopen(path, "rb");

	if (!in) {
		fprintf(stderr, "diff_run: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (setup(&r, pass_unjudgeable)) {
		fprintf(stderr, "diff_run: cannot load the program: %s\n", strerror(errno));
		fclose(in);
		return 1;
	}
	if (read_row(&r, NG_COUNTER_KEY(SLOT, 0), before))
		goto io;
	while (fread(hdr, 1, 3, in) == 3) {
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		int want = hdr[2], got = -1, verdict_ok, ok;
		struct bpf_test_run_opts opts;

		if (fread(frame, 1, len, in) != len) {
			fprintf(stderr, "diff_run: %s: truncated record\n", path);
			break;
		}
		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.data_in = frame;
		opts.data_size_in = (__u32)len;
		opts.repeat = 1;
		if (bpf_prog_test_run_opts(r.prog, &opts)) {
			printf("mismatch %ld: test run failed: %s\n", frames, strerror(errno));
			bad++;
			frames++;
			continue;
		}
		if (read_row(&r, NG_COUNTER_KEY(SLOT, 0), after))
			goto io;
		ok = 1;
		for (int i = 0; i < NG_REASON_SLOTS; i++) {
			__u64 dp = after[i].packets - before[i].packets;
			__u64 db = after[i].bytes - before[i].bytes;

			if (!dp && !db)
				continue;
			if (got != -1 || dp != 1 || db != len)
				ok = 0;
			got = i;
		}
		if (want == NONE)
			verdict_ok = opts.retval == XDP_PASS;
		else
			verdict_ok = opts.retval == (ng_reason_drops(want) ? XDP_DROP : XDP_PASS);
		if (!ok || !verdict_ok || (want == NONE ? got != -1 : got != want)) {
			if (bad < show) {
				printf("mismatch %ld: expected %s, BPF %s%s (%s), %zu octets: ", frames,
				       rname(want), rname(got), ok ? "" : " (counters inconsistent)",
				       opts.retval == XDP_DROP ? "XDP_DROP" : "XDP_PASS", len);
				hexdump(frame, len);
			}
			bad++;
		}
		memcpy(before, after, sizeof(before));
		frames++;
	}
	if (read_row(&r, NG_COUNTER_WOULD_KEY(SLOT, 0), would))
		goto io;
	for (int i = 0; i < NG_REASON_SLOTS; i++)
		if (would[i].packets) {
			printf("mismatch: would-drop counter %s moved\n", rname(i));
			bad++;
		}
	printf("frames %ld mismatches %ld\n", frames, bad);
	fclose(in);
	ntpguard_bpf__destroy(r.skel);
	free(r.percpu);
	return bad || !frames ? 1 : 0;
io:
	fprintf(stderr, "diff_run: cannot read the counters: %s\n", strerror(errno));
	fclose(in);
	return 1;
}

/* ---- verifier statistics ------------------------------------------------ */
static int verifier_stats(const char *obj_path)
{
	struct ntpguard_bpf *skel = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	int err;

	if (obj_path) {
		obj = bpf_object__open_file(obj_path, NULL);
	} else {
		skel = ntpguard_bpf__open();
		obj = skel ? skel->obj : NULL;
	}
	if (!obj) {
		fprintf(stderr, "diff_run: cannot open %s\n", obj_path ? obj_path : "the skeleton");
		return 1;
	}
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "diff_run: load failed: %s\n", strerror(-err));
		return 1;
	}
	/* verified_insns: the verifier's "processed N insns" (kernel >= 5.16). */
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 ilen = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &ilen))
			return 1;
		printf("%s: verifier processed %u insns; %u insns xlated, %u bytes jited\n",
		       bpf_program__name(p), info.verified_insns,
		       info.xlated_prog_len / 8, info.jited_prog_len);
	}
	if (skel)
		ntpguard_bpf__destroy(skel);
	else
		bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	const char *obj = NULL, *path = NULL;
	int pass_unj = 0, stats = 0;
	long show = 20;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pass-unjudgeable"))
			pass_unj = 1;
		else if (!strcmp(argv[i], "--verifier-stats"))
			stats = 1;
		else if (!strcmp(argv[i], "--obj") && i + 1 < argc)
			obj = argv[++i];
		else if (!strcmp(argv[i], "--show") && i + 1 < argc)
			show = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr, "usage: diff_run [--pass-unjudgeable] [--show N] FRAMES\n"
					"       diff_run --verifier-stats [--obj FILE]\n");
			return 2;
		}
	}
	libbpf_set_print(NULL);
	if (stats)
		return verifier_stats(obj);
	if (!path) {
		fprintf(stderr, "diff_run: no FRAMES file\n");
		return 2;
	}
	return run(path, pass_unj, show);
}

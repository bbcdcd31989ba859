// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_loader.c - the test loader shared by bpf_unit and bpf_policy, and
 * the setup bpf_reflectors shares with them (see bpf_loader.h).
 *
 * One CPU: the rate table is an LRU hash (BPF_MAP_TYPE_LRU_HASH, common
 * LRU). In kernel/bpf/bpf_lru_list.c every CPU that inserts takes free
 * nodes from the global free list in batches of LOCAL_FREE_TARGET (128)
 * into its own local free list; when the global list runs short, the next
 * CPU to pull evicts live entries even though other CPUs' local lists still
 * hold free nodes. With BPF_PROG_TEST_RUN the program runs on the calling
 * CPU, so a test that migrates between CPUs can lose entries long before
 * the table is full, and how many depends on the CPU count. Pinned to one
 * CPU, only one local list is ever used: a table of N entries holds N keys
 * before the first eviction, and after it at least N - 128, on any machine.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ntpguard.skel.h"
#include "ntpguard.h"
#include "policy.h"          /* ng_policy_read, ng_policy_commit (user/lib/policy.c) */
#include "bpf_loader.h"

struct ngt T;
static const char *prog_name = "bpf_test";

void ngt_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog_name, what, strerror(errno));
	printf("%d passed, %d failed, %d skipped\n", T.passed, T.failed + 1, T.skipped);
	exit(1);
}

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	printf("0 passed, 1 failed, 0 skipped\n");
	exit(1);
}

/* libbpf's warnings, minus the notice about libxdp's run-config section. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !getenv("NG_VERBOSE")) ||
	    strstr(fmt, "skipping unrecognized data section"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void pin_one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		fatal("sched_getaffinity: %s", strerror(errno));
	for (T.cpu = 0; T.cpu < CPU_SETSIZE && !CPU_ISSET(T.cpu, &set); T.cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(T.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fatal("sched_setaffinity: %s", strerror(errno));
}

void ngt_init(const char *prog)
{
	prog_name = prog;
	libbpf_set_print(libbpf_print);
	pin_one_cpu();
	T.ncpus = libbpf_num_possible_cpus();
	if (T.ncpus <= 0)
		fatal("cannot count possible CPUs: %s", strerror(-T.ncpus));
}

void ngt_load(const char *prog, __u32 slot, __u32 lru_size)
{
	struct bpf_map *map;
	struct timespec res;
	int err;

	ngt_init(prog);
	T.skel = ntpguard_bpf__open();
	if (!T.skel)
		fatal("cannot open the skeleton: %s", strerror(errno));
	/* Never reuse or create pins: a live install must stay untouched. */
	bpf_object__for_each_map(map, T.skel->obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			fatal("cannot clear the pin path of %s: %s", bpf_map__name(map), strerror(-err));
	}
	T.skel->rodata->ng_slot = slot;
	if (lru_size)
		bpf_map__set_max_entries(T.skel->maps.ng_buckets, lru_size);
	err = ntpguard_bpf__load(T.skel);
	if (err)
		fatal("cannot load the program: %s", strerror(-err));
	bpf_object__for_each_map(map, T.skel->obj)
		if (bpf_map__is_pinned(map))
			fatal("map %s got pinned", bpf_map__name(map));
	T.prog_fd = bpf_program__fd(T.skel->progs.ntpguard_xdp);
	T.counters_fd = bpf_map__fd(T.skel->maps.ng_counters);
	T.allow4_fd = bpf_map__fd(T.skel->maps.ng_allow_v4);
	T.allow6_fd = bpf_map__fd(T.skel->maps.ng_allow_v6);
	T.used_fd = bpf_map__fd(T.skel->maps.ng_allow_used);
	T.policy_fd = bpf_map__fd(T.skel->maps.ng_policy);
	T.sel_fd = bpf_map__fd(T.skel->maps.ng_policy_sel);
	T.buckets_fd = bpf_map__fd(T.skel->maps.ng_buckets);
	T.global_fd = bpf_map__fd(T.skel->maps.ng_global);
	T.events_fd = bpf_map__fd(T.skel->maps.ng_events);
	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	T.tick = (__u64)res.tv_sec * NG_NSEC + (__u64)res.tv_nsec;
	/* Per-CPU values are 8-byte aligned; struct ng_counter already is. */
	_Static_assert(sizeof(struct ng_counter) % 8 == 0, "per-CPU value stride");
	T.percpu = calloc((size_t)T.ncpus, sizeof(struct ng_counter));
	if (!T.percpu)
		fatal("out of memory");
}

void ngt_close(void)
{
	free(T.percpu);
	T.percpu = NULL;
	ntpguard_bpf__destroy(T.skel);
	T.skel = NULL;
}

int ngt_try_run(const void *frame, __u32 len, int *verdict)
{
	struct bpf_test_run_opts o;

	/* What LIBBPF_OPTS() does, spelled out (cppcheck cannot parse it). */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = frame;
	o.data_size_in = len;
	o.repeat = 1;
	if (bpf_prog_test_run_opts(T.prog_fd, &o))
		return -errno;
	*verdict = (int)o.retval;
	return 0;
}

int ngt_run(const void *frame, __u32 len)
{
	int v, err = ngt_try_run(frame, len, &v);

	if (err) {
		errno = -err;
		ngt_die("BPF_PROG_TEST_RUN");
	}
	return v;
}

struct ng_counter ngt_counter(__u32 key)
{
	struct ng_counter s = { 0, 0 };

	if (bpf_map_lookup_elem(T.counters_fd, &key, T.percpu))
		ngt_die("counter lookup");
	for (int c = 0; c < T.ncpus; c++) {
		s.packets += T.percpu[c].packets;
		s.bytes += T.percpu[c].bytes;
	}
	return s;
}

void ngt_policy_write(const struct ng_policy *p)
{
	struct ng_policy cur;
	__u32 live;
	int err = ng_policy_read(T.policy_fd, T.sel_fd, &cur, &live);

	if (!err)
		err = ng_policy_commit(T.policy_fd, T.sel_fd, live, p);
	if (err) {
		errno = -err;
		ngt_die("policy write");
	}
}

void ngt_clear_map(int fd)
{
	__u8 key[64];

	/* Always restart from the first key: deleting invalidates the walk. */
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			ngt_die("map delete");
	if (errno != ENOENT)
		ngt_die("map walk");
}

long ngt_count_entries(int fd, size_t key_size)
{
	__u8 a[64], b[64];
	void *prev = NULL;
	long n = 0;

	if (key_size > sizeof(a))
		ngt_die("key too large");
	while (!bpf_map_get_next_key(fd, prev, a)) {
		memcpy(b, a, key_size);
		prev = b;
		n++;
	}
	return n;
}

void ngt_reset_buckets(void)
{
	struct ng_gbucket zero;

	memset(&zero, 0, sizeof(zero));
	ngt_clear_map(T.buckets_fd);
	for (__u32 i = 0; i < NG_PC__COUNT; i++)
		if (bpf_map_update_elem(T.global_fd, &i, &zero, BPF_ANY))
			ngt_die("global bucket reset");
}

void ngt_reset(void)
{
	static const struct ng_policy def = NG_DEFAULT_POLICY;

	ngt_policy_write(&def);
	ngt_clear_map(T.allow4_fd);
	ngt_clear_map(T.allow6_fd);
	for (__u32 fam = 0, no = 0; fam < 2; fam++)
		if (bpf_map_update_elem(T.used_fd, &fam, &no, BPF_ANY))
			ngt_die("allow-list used flag reset");
	ngt_reset_buckets();
}

static void vresult(const char *status, int ok, const char *name, const char *fmt,
		    va_list ap)
{
	char text[1024] = "";

	if (fmt)
		vsnprintf(text, sizeof(text), fmt, ap);
	T.test_no++;
	printf("%s %d - %s%s%s\n", status, T.test_no, name,
	       text[0] ? (ok ? " # " : ": ") : "", text);
	fflush(stdout);
}

void ngt_result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		T.passed++;
	else
		T.failed++;
	va_start(ap, fmt);
	vresult(ok ? "ok" : "not ok", ok, name, fmt, ap);
	va_end(ap);
}

void ngt_skip(const char *name, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	T.skipped++;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	T.test_no++;
	printf("ok %d - %s # SKIP %s\n", T.test_no, name, why);
	fflush(stdout);
}

int ngt_summary(void)
{
	printf("%d passed, %d failed, %d skipped\n", T.passed, T.failed, T.skipped);
	return T.failed ? 1 : 0;
}

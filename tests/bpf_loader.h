/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpf_loader.h - what tests/bpf_unit.c and tests/bpf_policy.c share: the
 * ntpguard program loaded from the skeleton for BPF_PROG_TEST_RUN (never
 * pinned, never attached), its maps, a state reset between test cases, and
 * the "ok N - name" / "N passed, N failed, N skipped" reporting.
 * tests/bpf_reflectors.c loads its own instance (other map sizes) and uses
 * only ngt_init().
 */
#ifndef NG_BPF_LOADER_H
#define NG_BPF_LOADER_H

#include <stdarg.h>
#include <stddef.h>
#include <linux/types.h>

#include "ntpguard.h"

struct ntpguard_bpf;

struct ngt {
	struct ntpguard_bpf *skel;
	int prog_fd;
	int counters_fd, allow4_fd, allow6_fd, used_fd, policy_fd, sel_fd;
	int buckets_fd, global_fd, events_fd;
	int ncpus;                 /* possible CPUs: per-CPU value count */
	int cpu;                   /* the one CPU this process runs on */
	__u64 tick;                /* resolution of CLOCK_MONOTONIC_COARSE, the buckets' clock */
	struct ng_counter *percpu; /* lookup buffer, ncpus values */
	int test_no, passed, failed, skipped;
};

extern struct ngt T;

/*
 * libbpf's warnings without its debug/info chatter (NG_VERBOSE=1 shows
 * info), this process pinned to one CPU (T.cpu), T.ncpus possible CPUs.
 * Called by ngt_load; exits with "0 passed, 1 failed, 0 skipped" on error.
 */
void ngt_init(const char *prog);

/*
 * Load the program with ng_slot = slot and a rate table of lru_size
 * entries (0: the object's default), and pin this process to one CPU.
 * On failure prints why and "0 passed, 1 failed, 0 skipped", exits 1.
 */
void ngt_load(const char *prog, __u32 slot, __u32 lru_size);
void ngt_close(void);

/* BPF_PROG_TEST_RUN of one frame; the XDP verdict (exits on a syscall error). */
int ngt_run(const void *frame, __u32 len);
/* The same, returning -errno instead of exiting. */
int ngt_try_run(const void *frame, __u32 len, int *verdict);

/* One counter row summed over the possible CPUs (exits on error). */
struct ng_counter ngt_counter(__u32 key);

/* The live policy, written the way `ntpguard set` writes it (user/policy.c). */
void ngt_policy_write(const struct ng_policy *p);

/* Empty allow-lists (and their used flags), an empty rate table, zeroed
 * global buckets and the default policy. */
void ngt_reset(void);
/* Only the rate-cap state: the rate table and the global buckets. */
void ngt_reset_buckets(void);
/* Delete every key of a hash/LPM map (key size up to 64 octets). */
void ngt_clear_map(int fd);
long ngt_count_entries(int fd, size_t key_size);

/* Print "ok N - name[ # note]" or "not ok N - name: why" and count it. */
void ngt_result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "ok N - name # SKIP why" and count it as skipped (never passed). */
void ngt_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The closing line; returns the exit status (1 when anything failed). */
int ngt_summary(void);

__attribute__((noreturn)) void ngt_die(const char *what);

#endif

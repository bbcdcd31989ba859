/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * common.h - what every part of the CLI uses: exit codes, messages (one
 * style: "ntpguard: ..." on stderr), privilege checks, JSON strings, and
 * the wait of periodic loops.
 */
#ifndef NG_COMMON_H
#define NG_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "ntpguard.h"

/* Exit codes, for every command. */
#define NG_EXIT_OK    0
#define NG_EXIT_FAIL  1   /* runtime error, one "ntpguard: ..." line */
#define NG_EXIT_USAGE 2   /* bad arguments */

extern int ng_verbose;

void ng_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ng_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ng_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Preconditions, each printing one clear line on failure. */
int ng_require_privs(bool need_net_admin);
int ng_require_btf(void);

/* ARPHRD_* link type of an interface of this namespace, -1 if unknown. */
int ng_link_type(const char *ifname);

/* Tell systemd (Type=notify: $NOTIFY_SOCKET) a state such as "READY=1";
 * nothing without a service manager. */
void ng_notify(const char *state);

/* Inode of this process's network namespace (attachment records carry it). */
__u64 ng_netns_ino(void);

/*
 * A JSON string (quoted, escaped), valid JSON whatever the bytes: each
 * ill-formed UTF-8 sequence (its maximal subpart, as Unicode recommends and
 * Python's errors="replace" does) becomes U+FFFD. JSON has no way to carry
 * a raw byte; \u00XX would turn it into another character.
 */
/* Write the character at s (>= 0x80) as it is if it is UTF-8, else `bad`
 * (U+FFFD in the caller's notation) for its ill-formed part; what follows. */
const unsigned char *ng_put_utf8(FILE *f, const unsigned char *s, const char *bad);
void ng_json_str(FILE *f, const char *s);

/*
 * Periodic loops (export, stats --watch): SIGINT and SIGTERM are blocked
 * and taken only between two rounds, so a round is never cut short.
 */
void ng_periodic_begin(sigset_t *set, sigset_t *old);
double ng_mono_now(void);
/* Wait until `interval` s after `start` (ng_mono_now()); the signal that
 * ended the wait (SIGINT or SIGTERM), or 0 when the time came. */
int ng_periodic_wait(const sigset_t *set, double start, double interval);

/*
 * Memory the kernel filled through a bpf() command that valgrind does not
 * model, marked defined for memcheck (tests/sanitize.sh valgrind); a no-op
 * outside valgrind. Used for BPF_MAP_LOOKUP_BATCH results (state.c) and a
 * rejected program's verifier log (attach.c).
 */
#ifdef NG_HAVE_VALGRIND
#include <valgrind/memcheck.h>
#define NG_KERNEL_FILLED(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
#define NG_KERNEL_FILLED(p, n) ((void)(p), (void)(n))
#endif

#endif

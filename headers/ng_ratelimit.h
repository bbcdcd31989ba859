/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ng_ratelimit.h - token bucket with lazy refill (the model is Cilium's
 * bpf/lib/ratelimit.h). Pure arithmetic: compiles for BPF and userspace.
 *
 * Tokens are counted in nano-tokens (1 token = NG_NSEC), so refilling is
 * elapsed_ns * rate, with no division on the hot path. The bucket holds at
 * most burst tokens. Overflow: elapsed is clamped to NG_REFILL_MAX_NS, so
 * elapsed * rate <= 2^64 / NG_RATE_MAX * NG_RATE_MAX, and tokens <= burst *
 * NG_NSEC <= 10^16 leaves room for the sum. A bucket idle longer than the
 * clamp (30 minutes) is full unless burst / rate exceeds 30 minutes, where
 * it gains 30 minutes' worth per refill: a settings corner, not a risk.
 */
#ifndef NG_RATELIMIT_H
#define NG_RATELIMIT_H

#include "ntpguard.h"

/* Largest rate and burst a policy may hold (ntpguard set checks). */
#define NG_RATE_MAX 10000000u
/* 2^64 / NG_RATE_MAX, rounded down: about 30 minutes. */
#define NG_REFILL_MAX_NS 1844674407370ull

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* A new bucket starts full. */
static __always_inline void ng_bucket_init(struct ng_bucket *b, __u64 now,
					   __u32 burst)
{
	b->tokens = (__u64)burst * NG_NSEC;
	b->last_ns = now;
	b->dropped = 0;
	b->passed = 0;
	b->dropped_bytes = 0;
}

/* Refill for the time since the last call, then take one token.
 * Returns 1 if the packet is within budget, 0 if it is over. */
static __always_inline int ng_bucket_take(struct ng_bucket *b, __u64 now,
					  __u32 rate, __u32 burst)
{
	__u64 cap = (__u64)burst * NG_NSEC;
	__u64 elapsed = now > b->last_ns ? now - b->last_ns : 0;

	if (elapsed > NG_REFILL_MAX_NS)
		elapsed = NG_REFILL_MAX_NS;
	b->tokens += elapsed * (rate <= NG_RATE_MAX ? rate : NG_RATE_MAX);
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ns = now;
	if (b->tokens >= NG_NSEC) {
		b->tokens -= NG_NSEC;
		return 1;
	}
	return 0;
}

#endif /* NG_RATELIMIT_H */

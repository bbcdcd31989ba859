/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ng_ratelimit.h - token bucket with lazy refill (the model is Cilium's
 * bpf/lib/ratelimit.h). Pure arithmetic: compiles for BPF and userspace.
 *
 * Tokens are counted in nano-tokens (1 token = NG_NSEC), so refilling is
 * elapsed_ns * rate with no division on the hot path. The bucket holds at
 * most burst tokens; after a long idle it is simply full, and the clamp
 * below keeps elapsed_ns * rate from overflowing (burst <= 2^32,
 * so the cap is < 2^62).
 */
#ifndef NG_RATELIMIT_H
#define NG_RATELIMIT_H

#include "ntpguard.h"

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
}

/* Refill for the time since the last call, then take one token.
 * Returns 1 if the packet is within budget, 0 if it is over. */
static __always_inline int ng_bucket_take(struct ng_bucket *b, __u64 now,
					  __u32 rate, __u32 burst)
{
	__u64 cap = (__u64)burst * NG_NSEC;
	__u64 elapsed = now > b->last_ns ? now - b->last_ns : 0;

	if (rate && elapsed >= cap / rate)       /* idle long enough: full */
		b->tokens = cap;
	else if (rate)
		b->tokens += elapsed * rate;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ns = now;
	if (b->tokens >= NG_NSEC) {
		b->tokens -= NG_NSEC;
		b->passed++;
		return 1;
	}
	b->dropped++;
	return 0;
}

#endif /* NG_RATELIMIT_H */

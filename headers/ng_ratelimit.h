/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ng_ratelimit.h - token bucket with lazy refill (the model is Cilium's
 * bpf/lib/ratelimit.h). Pure arithmetic: compiles for BPF and userspace.
 *
 * Tokens are counted in nano-tokens (1 token = NG_NSEC), so refilling is
 * elapsed_ns * rate, with no division on the hot path. The bucket holds at
 * most burst tokens. Overflow: elapsed is clamped to NG_REFILL_MAX_NS, so
 * elapsed * rate <= 2^64 / NG_RATE_MAX * NG_RATE_MAX fits in 64 bits; the
 * sum with the tokens left does not always (only ~0.01 token of room after
 * a 30-minute idle at NG_RATE_MAX), so the refill saturates at the burst
 * instead of adding. A bucket idle longer than the
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

/*
 * Which clock a bucket may run on. The coarse clock (CLOCK_MONOTONIC_COARSE,
 * bpf_ktime_get_coarse_ns) costs a few ns where bpf_ktime_get_ns costs
 * 25-30 (make bench: the rate-capped rows), but it moves in ticks, so a
 * bucket refilled from it receives a whole tick's tokens at once. That is
 * exact while one tick's tokens fit in the bucket; beyond, the refill is
 * clipped at the burst every tick and the bucket passes less than its rate
 * (README: 2,500/s instead of 4,000/s at burst 10 with 4 ms ticks). So the
 * coarse clock serves only rate x tick <= burst for the longest tick Linux
 * has (HZ=100: 10 ms), i.e. rate <= 100 x burst: every default, and any cap
 * with a burst of at least a hundredth of a second's tokens.
 */
#define NG_TICK_MAX_NS 10000000ull

static __always_inline int ng_coarse_clock_ok(__u32 rate, __u32 burst)
{
	return (__u64)rate * NG_TICK_MAX_NS <= (__u64)burst * NG_NSEC;
}

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
	__u64 add;

	if (elapsed > NG_REFILL_MAX_NS)
		elapsed = NG_REFILL_MAX_NS;
	add = elapsed * (rate <= NG_RATE_MAX ? rate : NG_RATE_MAX);
	/* tokens + add can pass 2^64: compare against the room left instead
	 * (tokens > cap after a policy lowered the burst: clamp). */
	if (b->tokens > cap || add >= cap - b->tokens)
		b->tokens = cap;
	else
		b->tokens += add;
	b->last_ns = now;
	if (b->tokens >= NG_NSEC) {
		b->tokens -= NG_NSEC;
		return 1;
	}
	return 0;
}

#endif /* NG_RATELIMIT_H */

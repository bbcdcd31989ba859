/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ng_reflect.h - the victim sketch of a reflector record (struct ng_refl):
 * which bit a destination sets (BPF and userspace), and how many distinct
 * destinations a bitmap stands for (userspace).
 *
 * The sketch is a linear-counting bitmap (Whang, Vander-Zanden, Taylor,
 * "A linear-time probabilistic counting algorithm for database
 * applications", 1990): each destination sets one of NG_REFL_VICTIM_BITS
 * bits chosen by a hash; with z bits still zero the estimate is
 * m * ln(m / z). It costs one hash and one OR per packet, no division, no
 * branch on the count, and bitmaps merge exactly by OR (the per-CPU copies
 * of one record, or one reflector seen on several interfaces).
 *
 * Exactness (m = 512): the standard error is sqrt(m (e^t - t - 1)) / n with
 * t = n / m, about 3 % up to a few hundred victims, 4.6 % at 1,000, 7.6 %
 * at 2,000. Below ~20 victims the figure is exact unless two victims share
 * a bit (probability n^2 / 1,024), which reads one low.
 * tests/bpf_reflectors.c measures all this against known counts. With
 * fewer than NG_REFL_VICTIM_MIN_ZERO bits zero the bitmap is too full to
 * estimate: the figure is then NG_REFL_VICTIMS_FLOOR, "more than": fewer
 * than 8 zero bits after 1,567 victims (m ln(m / 24)) has probability
 * 5e-5 (zero bits are nearly Poisson with mean m e^-t).
 *
 * Victims are counted per IPv4 address and per IPv6 /64 (the unit the rate
 * caps and `top` use for a spoofed address: one subscriber).
 */
#ifndef NG_REFLECT_H
#define NG_REFLECT_H

#include "ntpguard.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define NG_REFL_VICTIM_SHIFT (64 - 9)   /* log2(NG_REFL_VICTIM_BITS) = 9 */
#define NG_REFL_VICTIM_MIN_ZERO 8       /* fewer zero bits: a lower bound */
#define NG_REFL_VICTIMS_FLOOR 1500      /* ... and the bound reported */
_Static_assert(NG_REFL_VICTIM_BITS == 1u << (64 - NG_REFL_VICTIM_SHIFT),
	       "victim bitmap size and hash shift disagree");

/* murmur3's 64-bit finaliser: every input bit moves every output bit. */
static __always_inline __u64 ng_mix64(__u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/*
 * The bit of a destination: `dst` holds the address's octets as they lie
 * in the packet, copied into a zeroed u64 (IPv4: 4 octets; IPv6: the 8 of
 * the /64); `family` keeps 192.0.2.1 apart from an IPv6 prefix that starts
 * with the same octets.
 */
static __always_inline __u32 ng_refl_victim_bit(__u64 dst, __u8 family)
{
	return (__u32)(ng_mix64(dst ^ (__u64)family << 56) >> NG_REFL_VICTIM_SHIFT);
}

#ifndef __bpf__
#include <math.h>

/* Set bits of a victim bitmap. */
static inline unsigned ng_refl_victim_bits_set(const __u64 *w)
{
	unsigned n = 0, i;

	for (i = 0; i < NG_REFL_VICTIM_WORDS; i++)
		n += (unsigned)__builtin_popcountll(w[i]);
	return n;
}

/*
 * One record out of its per-CPU copies: counters summed, the earliest
 * first_ns and the latest last_ns of the copies that saw the reflector,
 * victim bitmaps OR-ed (exact: a union of sets). Also merges records of
 * one address from several attachments.
 */
static inline void ng_refl_merge(struct ng_refl *into, const struct ng_refl *r)
{
	unsigned i;

	if (!r->packets)
		return;
	if (!into->packets || r->first_ns < into->first_ns)
		into->first_ns = r->first_ns;
	if (r->last_ns > into->last_ns)
		into->last_ns = r->last_ns;
	into->packets += r->packets;
	into->bytes += r->bytes;
	for (i = 0; i < NG_REFL_VICTIM_WORDS; i++)
		into->victims[i] |= r->victims[i];
}

/*
 * Distinct victims a bitmap stands for, rounded to the nearest integer.
 * When the bitmap is too full to tell, *lower_bound is set and the figure
 * is NG_REFL_VICTIMS_FLOOR: "more than".
 */
static inline __u64 ng_refl_victims(const __u64 *w, int *lower_bound)
{
	double m = NG_REFL_VICTIM_BITS;
	unsigned zero = NG_REFL_VICTIM_BITS - ng_refl_victim_bits_set(w);

	*lower_bound = zero < NG_REFL_VICTIM_MIN_ZERO;
	if (*lower_bound)
		return NG_REFL_VICTIMS_FLOOR;
	return (__u64)(m * log(m / zero) + 0.5);
}
#endif

#endif /* NG_REFLECT_H */

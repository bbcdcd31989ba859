// SPDX-License-Identifier: GPL-2.0
/*
 * ntpguard XDP program: drop NTP mode 7 requests and oversized mode 7
 * responses (CVE-2013-5211 reflection) before the kernel allocates an skb.
 *
 * Parsing and classification live in headers/ntp_classify.h (shared with
 * userspace); this file only adds what needs maps: the allow-list, the
 * live policy and the per-CPU counters.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "ntpguard.h"
#include "ntp_classify.h"
#include "ng_ratelimit.h"
#include "ng_reflect.h"
#include "version.h"

/* Set by the loader before load: which attachment record this instance is. */
const volatile __u32 ng_slot = 0;
/* 1: the kernel has bpf_ktime_get_coarse_ns() (5.11); the loader clears it
 * on older kernels, and the verifier then never sees the call. */
const volatile __u32 ng_coarse_clock = 1;
/* The ntpguard version this object was built with: every release's program
 * differs from the last one's, so `apply` replaces it (ng_ifrec.build). */
const volatile char ng_version[32] = NG_VERSION;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NG_MAX_IFSLOTS * NG_SLOT_STRIDE);
	__type(key, __u32);
	__type(value, struct ng_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_COUNTERS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NG_ALLOW_MAX);
	__type(key, struct ng_lpm_v4);
	__type(value, ng_allow_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_ALLOW_V4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NG_ALLOW_MAX);
	__type(key, struct ng_lpm_v6);
	__type(value, ng_allow_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_ALLOW_V6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NG_ALLOW_FAMILIES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_ALLOW_USED SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NG_POLICY_SLOTS);
	__type(key, __u32);
	__type(value, struct ng_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_POLICY SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_POLICY_SEL SEC(".maps");

/* Per-key token buckets; max_entries set by the loader (--max-sources). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NG_DEFAULT_MAX_SOURCES);
	__type(key, struct ng_bkey);
	__type(value, struct ng_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_BUCKETS SEC(".maps");

/* One global bucket per policed class, behind a spin lock. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NG_PC__COUNT);
	__type(key, __u32);
	__type(value, struct ng_gbucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_GLOBAL SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NG_EV_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_EVENTS SEC(".maps");

/* Flows of a running `ntpguard check` (ntpguard.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NG_PROBES_MAX);
	__type(key, struct ng_probe_key);
	__type(value, struct ng_probe);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_PROBES SEC(".maps");

/* Reflectors (ntpguard.h); max_entries set by the loader (--max-reflectors). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, NG_DEFAULT_MAX_REFLECTORS);
	__type(key, struct ng_rkey);
	__type(value, struct ng_refl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_REFLECTORS SEC(".maps");

/* Layout version of the pins: written and read by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ng_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_META SEC(".maps");

/* Attachment records: written and read by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NG_MAX_IFSLOTS);
	__type(key, __u32);
	__type(value, struct ng_ifrec);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_IFACES SEC(".maps");

static const struct ng_policy ng_default_policy = NG_DEFAULT_POLICY;

static __always_inline const struct ng_policy *ng_live_policy(void)
{
	const struct ng_policy *pol;
	__u32 zero = 0, *sel;

	sel = bpf_map_lookup_elem(&NG_MAP_POLICY_SEL, &zero);
	if (!sel)
		return &ng_default_policy;
	pol = bpf_map_lookup_elem(&NG_MAP_POLICY, sel);
	if (!pol || pol->magic != NG_POLICY_MAGIC)
		return &ng_default_policy;
	return pol;
}

/* The per-key state of a policed packet (IPv4 /32, IPv6 /64 of its source,
 * or of its destination for responses), created with a full bucket. */
static __always_inline struct ng_bucket *ng_key_state(const struct ng_pkt *pkt,
						      const __u8 *end, int pclass,
						      const struct ng_class_policy *cp,
						      __u64 now)
{
	struct ng_bkey key = { .pclass = (__u8)pclass, .family = pkt->family };
	const __u8 *ip = pkt->l3;
	struct ng_bucket *b, fresh;
	__u32 ev = NG_EV_KEYS_INSERTED;
	__u64 *n;

	if (pkt->family == 4) {
		if (ip + NG_IP4_HLEN > end)
			return 0;
		__builtin_memcpy(key.addr, ip + (ng_pclass_by_dst(pclass) ?
				 NG_IP4_DADDR_OFF : NG_IP4_SADDR_OFF), NG_IP4_ADDR_LEN);
	} else {
		if (ip + NG_IP6_HLEN > end)
			return 0;
		__builtin_memcpy(key.addr, ip + (ng_pclass_by_dst(pclass) ?
				 NG_IP6_DADDR_OFF : NG_IP6_SADDR_OFF), NG_IP6_KEY_LEN);
	}
	b = bpf_map_lookup_elem(&NG_MAP_BUCKETS, &key);
	if (b)
		return b;
	ng_bucket_init(&fresh, now, cp->burst);
	if (bpf_map_update_elem(&NG_MAP_BUCKETS, &key, &fresh, BPF_NOEXIST) == 0) {
		n = bpf_map_lookup_elem(&NG_MAP_EVENTS, &ev);
		if (n)
			(*n)++;
	}
	return bpf_map_lookup_elem(&NG_MAP_BUCKETS, &key);
}

/* Rate cap: the per-key bucket, then the class's global bucket. */
static __always_inline int ng_within_budget(struct ng_bucket *b, int pclass,
					    const struct ng_class_policy *cp,
					    __u64 now)
{
	struct ng_gbucket *g;
	__u32 idx = (__u32)pclass;
	int ok;

	/* Racy across CPUs like Cilium's: a source spread over several
	 * queues may get a token more now and then (README). */
	if (!b || !ng_bucket_take(b, now, cp->rate, cp->burst))
		return 0;
	g = bpf_map_lookup_elem(&NG_MAP_GLOBAL, &idx);
	if (!g)
		return 0;
	bpf_spin_lock(&g->lock);
	if (!g->b.last_ns)
		ng_bucket_init(&g->b, now, cp->global_burst);
	ok = ng_bucket_take(&g->b, now, cp->global_rate, cp->global_burst);
	if (ok)
		g->b.passed++;
	else
		g->b.dropped++;
	bpf_spin_unlock(&g->lock);
	/* Refused by the host-wide cap: give the source its token back, so a
	 * flood from others does not spend a legitimate source's budget. */
	if (!ok)
		b->tokens += NG_NSEC;
	return ok;
}

/*
 * What runs for a few frames only lives in one global function per
 * context type (ng_slow_xdp, ng_slow_tc): the allow-list and probe-flow
 * lookups, taken only while `ntpguard allow` or a running `check` has put
 * something there, and the reflector records, taken only for dropped
 * oversized responses. A global function is verified once, on its own.
 * Inlined, or fed a packet pointer or offset from the decision, this code
 * cost the program a third more instructions processed: whatever stays
 * live from the parse to the verdict keeps the verifier from merging the
 * parse paths' states. So the decision passes the context and a scalar,
 * and the function finds the addresses again in a frame the classifier has
 * just walked: past up to NG_VLAN_MAX tags, like ng_classify_wire().
 *
 * ng_addrs: the source and destination addresses (16 octets each, IPv4 in
 * the first 4, the rest zero) and the family; 0 if the frame is not IP or
 * too short (which a classified frame is not). Addresses are read as
 * 32-bit words, as Katran and Cilium read iphdr/ipv6hdr fields: the
 * verifier allows unaligned packet loads where the CPU does (x86, arm64).
 */
static __always_inline __u8 ng_addrs(const __u8 *data, const __u8 *end,
				     __u32 *src, __u32 *dst)
{
	const __u8 *ip = data + NG_ETH_HLEN;
	__u16 proto;

	if (ip > end)
		return 0;
	proto = ng_be16(data + NG_ETH_TYPE_OFF);
#pragma unroll
	for (int i = 0; i < NG_VLAN_MAX; i++) {
		if (!ng_is_vlan(proto))
			break;
		if (ip + NG_VLAN_HLEN > end)
			return 0;
		proto = ng_be16(ip + NG_VLAN_TYPE_OFF);
		ip += NG_VLAN_HLEN;
	}
	if (proto == NG_ETH_P_IP) {
		if (ip + NG_IP4_HLEN > end)
			return 0;
		src[0] = *(const __u32 *)(ip + NG_IP4_SADDR_OFF);
		dst[0] = *(const __u32 *)(ip + NG_IP4_DADDR_OFF);
		return 4;
	}
	if (proto == NG_ETH_P_IPV6) {
		const __u32 *a;

		if (ip + NG_IP6_HLEN > end)
			return 0;
		a = (const __u32 *)(ip + NG_IP6_SADDR_OFF);
		src[0] = a[0];
		src[1] = a[1];
		src[2] = a[2];
		src[3] = a[3];
		dst[0] = a[4];
		dst[1] = a[5];
		dst[2] = a[6];
		dst[3] = a[7];
		return 6;
	}
	return 0;
}

static __always_inline __u64 ng_now_coarse(void)
{
	return ng_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
}

/*
 * Reflectors: an oversized mode 7 response with a drop verdict is counted
 * against its source (the reflecting server) on this attachment, and its
 * destination sets a bit in the victim sketch (IPv4 address or IPv6 /64).
 * The clock is the coarse one: first/last seen need no better than a jiffy.
 */
static __always_inline void ng_note_reflector(const __u32 *src, const __u32 *dst,
					      __u8 family, __u32 len)
{
	struct ng_rkey key = { .slot = (__u16)ng_slot, .family = family };
	__u32 ev = NG_EV_REFLECTORS_INSERTED, bit;
	struct ng_refl *r;
	__u64 now, *n, d64 = 0;

	__builtin_memcpy(key.addr, src, sizeof(key.addr));
	__builtin_memcpy(&d64, dst, NG_IP6_KEY_LEN);
	bit = ng_refl_victim_bit(d64, family);
	now = ng_now_coarse();

	r = bpf_map_lookup_elem(&NG_MAP_REFLECTORS, &key);
	if (!r) {
		struct ng_refl fresh = { .first_ns = now };

		if (bpf_map_update_elem(&NG_MAP_REFLECTORS, &key, &fresh,
					BPF_NOEXIST) == 0) {
			n = bpf_map_lookup_elem(&NG_MAP_EVENTS, &ev);
			if (n)
				(*n)++;
		}
		r = bpf_map_lookup_elem(&NG_MAP_REFLECTORS, &key);
		if (!r)
			return;
	}
	/* Another CPU may have made the record: this CPU's copy starts at 0. */
	if (!r->first_ns)
		r->first_ns = now;
	r->last_ns = now;
	r->packets++;
	r->bytes += len;
	r->victims[(bit >> 6) & (NG_REFL_VICTIM_WORDS - 1)] |= 1ull << (bit & 63);
}

/*
 * Is this frame on a flow of a running check (NG_MAP_PROBES)? The local
 * end is the source of a request, the destination of a response.
 */
static __always_inline int ng_on_probe_flow(const __u32 *src, const __u32 *dst,
					    __u8 family, __u16 lport, int to_local,
					    __u32 len)
{
	struct ng_probe_key key = { .family = family, .lport = lport };
	struct ng_probe *p;

	__builtin_memcpy(key.local, to_local ? dst : src, sizeof(key.local));
	__builtin_memcpy(key.remote, to_local ? src : dst, sizeof(key.remote));
	p = bpf_map_lookup_elem(&NG_MAP_PROBES, &key);
	if (!p || p->expires_ns < ng_now_coarse())
		return 0;
	__sync_fetch_and_add(&p->packets, 1);
	__sync_fetch_and_add(&p->bytes, len);
	return 1;
}

/* ng_slow's argument */
#define NG_SLOW_REFLECTOR  (1u << 0)   /* note the reflector; returns 0 */
#define NG_SLOW_ALLOW      (1u << 1)   /* NG_USED_ALLOW: consult the allow-list */
#define NG_SLOW_PROBES     (1u << 2)   /* NG_USED_PROBES: consult the probe flows */
#define NG_SLOW_BY_DST     (1u << 3)   /* the class is judged by its destination */
#define NG_SLOW_PORT_SHIFT 16          /* the local UDP port, for probe flows */

/* Allowed (1) or not (0) by the allow-list or a probe flow; or the record. */
static __always_inline int ng_slow(const __u8 *data, const __u8 *end, __u32 len, __u32 arg)
{
	__u32 src[4] = {}, dst[4] = {};
	__u8 family = ng_addrs(data, end, src, dst);
	int by_dst = !!(arg & NG_SLOW_BY_DST);

	if (!family)
		return 0;
	if (arg & NG_SLOW_REFLECTOR) {
		ng_note_reflector(src, dst, family, len);
		return 0;
	}
	if (arg & NG_SLOW_ALLOW) {
		if (family == 4) {
			struct ng_lpm_v4 k = { .prefixlen = NG_IP4_PREFIX_MAX };

			__builtin_memcpy(k.addr, by_dst ? dst : src, NG_IP4_ADDR_LEN);
			if (bpf_map_lookup_elem(&NG_MAP_ALLOW_V4, &k))
				return 1;
		} else {
			struct ng_lpm_v6 k = { .prefixlen = NG_IP6_PREFIX_MAX };

			__builtin_memcpy(k.addr, by_dst ? dst : src, NG_IP6_ADDR_LEN);
			if (bpf_map_lookup_elem(&NG_MAP_ALLOW_V6, &k))
				return 1;
		}
	}
	if (arg & NG_SLOW_PROBES)
		return ng_on_probe_flow(src, dst, family, (__u16)(arg >> NG_SLOW_PORT_SHIFT),
					by_dst, len);
	return 0;
}

__attribute__((noinline)) int ng_slow_xdp(struct xdp_md *ctx, __u32 arg)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;

	return ng_slow(data, end, (__u32)(end - data), arg);
}

__attribute__((noinline)) int ng_slow_tc(struct __sk_buff *skb, __u32 arg)
{
	return ng_slow((const __u8 *)(long)skb->data, (const __u8 *)(long)skb->data_end,
		       skb->len, arg);
}

/*
 * Is the source (by_dst=0) or destination (by_dst=1) allow-listed, or the
 * frame on a running check's flow? Most hosts allow-list nobody and run no
 * check: one array lookup says so, and nothing else is read.
 */
static __always_inline int ng_allowed(const struct ng_pkt *pkt, int by_dst, void *ctx, int tc)
{
	__u32 fam = pkt->family == 4 ? 0 : 1, *used, arg;

	used = bpf_map_lookup_elem(&NG_MAP_ALLOW_USED, &fam);
	if (!used || !*used)
		return 0;
	arg = (*used & NG_USED_ALLOW ? NG_SLOW_ALLOW : 0) |
	      (*used & NG_USED_PROBES ? NG_SLOW_PROBES : 0) |
	      (by_dst ? NG_SLOW_BY_DST : 0) |
	      (__u32)(by_dst ? pkt->dport : pkt->sport) << NG_SLOW_PORT_SHIFT;
	return tc ? ng_slow_tc(ctx, arg) : ng_slow_xdp(ctx, arg);
}

static __always_inline void ng_count(__u32 key, __u64 bytes)
{
	struct ng_counter *c = bpf_map_lookup_elem(&NG_MAP_COUNTERS, &key);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/*
 * A policed packet that needs more than its class's action: the allow-list
 * and probe flows (when the family has any), the per-key state (ratecap or
 * track) and the buckets. Returns the reason. (Inlined: as a BPF
 * subprogram it made every path longer, the caller's values spilled
 * around the call.)
 */
static __always_inline int ng_police(const struct ng_pkt *pkt, const __u8 *end, __u64 len,
				     int pclass, const struct ng_policy *pol, void *ctx, int tc)
{
	const struct ng_class_policy *cp;
	struct ng_bucket *st = 0;
	int reason, allowed, ok = 0;
	__u64 now = 0;

	if (pclass < 0 || pclass >= NG_PC__COUNT)
		return -1;
	cp = &pol->cls[pclass];
	allowed = ng_allowed(pkt, ng_pclass_by_dst(pclass), ctx, tc);
	if (!allowed && (cp->action == NG_ACT_RATECAP || pol->track)) {
		/* The coarse clock where its ticks cannot clip a refill
		 * (ng_ratelimit.h) and the kernel has it; a tracked class
		 * only stamps last_ns. */
		if (ng_coarse_clock &&
		    (cp->action != NG_ACT_RATECAP ||
		     (ng_coarse_clock_ok(cp->rate, cp->burst) &&
		      ng_coarse_clock_ok(cp->global_rate, cp->global_burst))))
			now = bpf_ktime_get_coarse_ns();
		else
			now = bpf_ktime_get_ns();
		st = ng_key_state(pkt, end, pclass, cp, now);
	}
	if (!allowed && cp->action == NG_ACT_RATECAP)
		ok = ng_within_budget(st, pclass, cp, now);
	reason = ng_policed_reason(pclass, ng_outcome_of(allowed, cp->action, ok));
	if (st) {
		st->last_ns = now;
		if ((NG_DROP_MASK >> reason) & 1) {
			st->dropped++;
			st->dropped_bytes += len;
		} else {
			st->passed++;
		}
	}
	return reason;
}

/* Does the family have allow-list entries or probe flows? (Most hosts
 * have neither: then nothing else needs to be read.) */
static __always_inline int ng_allow_in_use(const struct ng_pkt *pkt)
{
	__u32 fam = pkt->family == 4 ? 0 : 1, *used;

	used = bpf_map_lookup_elem(&NG_MAP_ALLOW_USED, &fam);
	return used && *used;
}

/*
 * The verdict for one classified frame of `len` octets: 1 drop, 0 pass.
 * Shared by the XDP (ingress) and TC (egress) entry points; `ctx` is the
 * entry point's context, `tc` a constant.
 */
static __always_inline int ng_decide(const struct ng_pkt *pkt, const __u8 *end,
				     __u64 len, void *ctx, int tc)
{
	const struct ng_policy *pol;
	int reason, pclass, drop;
	__u32 key;

	if (pkt->cls == NG_CLS_OTHER)
		return 0;
	if (pkt->cls == NG_CLS_NTP) {
		/* Time service (modes 0-5): never dropped, no policy needed. */
		ng_count(NG_COUNTER_KEY(ng_slot, NG_R_NTP_PASSED), len);
		return 0;
	}
	if (pkt->cls == NG_CLS_MALFORMED || pkt->cls == NG_CLS_FRAG_NONFIRST) {
		ng_count(NG_COUNTER_KEY(ng_slot, (__u32)ng_fixed_reason(pkt)), len);
		return 0;
	}

	pol = ng_live_policy();
	if (pkt->cls == NG_CLS_M7_REQUEST &&
	    pol->cls[NG_PC_M7_REQUEST].action == NG_ACT_DROP && !pol->track &&
	    !pol->monitor && !ng_allow_in_use(pkt)) {
		/* The flood itself: straight to its counter, constants only. */
		ng_count(NG_COUNTER_KEY(ng_slot, NG_R_MODE7_REQUEST_DROPPED), len);
		return 1;
	}
	pclass = ng_pclass_of(pkt, pol->mode7_response_max_bytes);
	if (pclass < 0) {
		reason = ng_fixed_reason(pkt);
		if (reason == NG_R_UNJUDGEABLE_DROPPED && pol->pass_unjudgeable)
			reason = NG_R_UNJUDGEABLE_PASSED;
	} else if (pclass < NG_PC__COUNT && pol->cls[pclass].action == NG_ACT_DROP &&
		   !pol->track && !ng_allow_in_use(pkt)) {
		/* The common policed case: dropped, nothing more to look up. */
		reason = ng_policed_reason(pclass, NG_OUT_DROPPED);
	} else {
		reason = ng_police(pkt, end, len, pclass, pol, ctx, tc);
	}
	if (reason < 0 || reason >= NG_R__COUNT)
		return 0;

	drop = (NG_DROP_MASK >> reason) & 1;
	key = NG_COUNTER_KEY(ng_slot, (__u32)reason);
	if (drop && pclass == NG_PC_M7_RESPONSE && !pol->no_reflectors) {
		if (tc)
			ng_slow_tc(ctx, NG_SLOW_REFLECTOR);
		else
			ng_slow_xdp(ctx, NG_SLOW_REFLECTOR);
	}
	if (drop && pol->monitor) {
		/* Trial mode: count what would have been dropped, pass it. */
		key = NG_COUNTER_WOULD_KEY(ng_slot, (__u32)reason);
		drop = 0;
	}
	ng_count(key, len);
	return drop;
}

/* Ingress: XDP, before the kernel allocates an skb. */
SEC("xdp")
int NG_PROG_XDP(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct ng_pkt pkt;

	ng_classify(data, end, &pkt);
	return ng_decide(&pkt, end, (__u64)(end - data), ctx, 0) ? XDP_DROP : XDP_PASS;
}

/* Make the first `want` octets of the skb linear (at most its length). */
static __always_inline void ng_tc_pull(struct __sk_buff *skb, __u32 want)
{
	bpf_skb_pull_data(skb, skb->len < want ? skb->len : want);
}

/*
 * Egress: TC clsact. Sees what XDP cannot: replies of the host's own ntpd
 * leaving through the uplink. Ethernet devices only, like the XDP side.
 * The classifier judges lengths by skb->len and reads only the linear part;
 * headers beyond NG_TC_PULL octets are pulled in a second pass, so only
 * frames that need it pay for the copy.
 */
SEC("tc")
int NG_PROG_TC(struct __sk_buff *skb)
{
	const __u8 *data = (const __u8 *)(long)skb->data;
	const __u8 *end = (const __u8 *)(long)skb->data_end;
	struct ng_pkt pkt;

	if (end - data < NG_TC_PULL && skb->len > (__u32)(end - data)) {
		ng_tc_pull(skb, NG_TC_PULL);
		data = (const __u8 *)(long)skb->data;
		end = (const __u8 *)(long)skb->data_end;
	}
	ng_classify_wire(data, end, skb->len, &pkt);
	if (pkt.cls == NG_CLS_UNJUDGEABLE && pkt.short_view &&
	    skb->len > (__u32)(end - data)) {
		ng_tc_pull(skb, NG_TC_PULL_MAX);
		data = (const __u8 *)(long)skb->data;
		end = (const __u8 *)(long)skb->data_end;
		ng_classify_wire(data, end, skb->len, &pkt);
	}
	return ng_decide(&pkt, end, skb->len, skb, 1) ? TC_ACT_SHOT : TC_ACT_OK;
}

/* libxdp: run early in the dispatcher chain, continue on XDP_PASS. */
struct {
	__uint(priority, NG_RUN_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(NG_PROG_XDP);

char _license[] SEC("license") = "GPL";

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
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "ntpguard.h"
#include "ntp_classify.h"

/* Set by the loader before load: which attachment record this instance is. */
const volatile __u32 ng_slot = 0;

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

/* Attachment records: written and read by userspace only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NG_MAX_IFSLOTS);
	__type(key, __u32);
	__type(value, struct ng_ifrec);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NG_MAP_IFACES SEC(".maps");

static __always_inline const struct ng_policy *ng_live_policy(void)
{
	const struct ng_policy *pol;
	__u32 zero = 0, *sel;

	sel = bpf_map_lookup_elem(&NG_MAP_POLICY_SEL, &zero);
	if (!sel)
		return 0;
	pol = bpf_map_lookup_elem(&NG_MAP_POLICY, sel);
	if (!pol || pol->magic != NG_POLICY_MAGIC)
		return 0;
	return pol;
}

/* Is the source (dst=0) or destination (dst=1) address allow-listed? */
static __always_inline int ng_allowed(const struct ng_pkt *pkt, const __u8 *end,
				      int dst)
{
	const __u8 *ip = pkt->l3;

	if (pkt->family == 4) {
		struct ng_lpm_v4 k = { .prefixlen = 32 };

		if (ip + 20 > end)
			return 0;
		__builtin_memcpy(k.addr, ip + (dst ? 16 : 12), 4);
		return bpf_map_lookup_elem(&NG_MAP_ALLOW_V4, &k) != 0;
	} else {
		struct ng_lpm_v6 k = { .prefixlen = 128 };

		if (ip + 40 > end)
			return 0;
		__builtin_memcpy(k.addr, ip + (dst ? 24 : 8), 16);
		return bpf_map_lookup_elem(&NG_MAP_ALLOW_V6, &k) != 0;
	}
}

SEC("xdp")
int NG_PROG_XDP(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	const struct ng_policy *pol;
	struct ng_counter *c;
	struct ng_pkt pkt;
	__u32 max = NG_DEFAULT_M7_RESPONSE_MAX, key;
	int src_ok = 0, dst_ok = 0, reason;

	if (ng_classify(data, end, &pkt) == NG_CLS_OTHER)
		return XDP_PASS;

	if (pkt.cls == NG_CLS_M7_RESPONSE) {
		pol = ng_live_policy();
		if (pol)
			max = pol->mode7_response_max_bytes;
	}
	if (ng_needs_src_lookup(&pkt))
		src_ok = ng_allowed(&pkt, end, 0);
	else if (ng_needs_dst_lookup(&pkt, max))
		dst_ok = ng_allowed(&pkt, end, 1);

	reason = ng_reason_of(&pkt, src_ok, dst_ok, max);
	if (reason < 0)
		return XDP_PASS;

	key = NG_COUNTER_KEY(ng_slot, (__u32)reason);
	c = bpf_map_lookup_elem(&NG_MAP_COUNTERS, &key);
	if (c) {
		c->packets++;
		c->bytes += (__u64)(end - data);
	}
	return (NG_DROP_MASK >> reason) & 1 ? XDP_DROP : XDP_PASS;
}

/* libxdp: run early in the dispatcher chain, continue on XDP_PASS. */
struct {
	__uint(priority, NG_RUN_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(NG_PROG_XDP);

char _license[] SEC("license") = "GPL";

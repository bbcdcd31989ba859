// SPDX-License-Identifier: GPL-2.0
/*
 * baseline.bpf.c - reference points for bench/bench.c.
 *
 *   xdp_drop_empty   the cheapest XDP program there is: the floor of what
 *                    BPF_PROG_TEST_RUN measures (its loop, the dispatch).
 *   xdp_m7_minimal   a hand-written, minimal mode 7 request dropper:
 *                    plain Ethernet (no VLAN), IPv4 honouring IHL, UDP to
 *                    port 123, first payload octet mode 7 with R clear
 *                    -> XDP_DROP, anything else -> XDP_PASS.
 *
 * The minimal program counts its drops in a per-CPU counter, the same
 * { packets, bytes } update ntpguard does for every packet it counts, so
 * "ntpguard / minimal" measures what the rest of ntpguard (VLANs, IPv6,
 * fragments, the allow-list, the policy, UDP length checks) costs, not
 * the price of counting.
 *
 * It deliberately skips everything ntpguard handles: VLAN tags, IPv6,
 * fragments, the UDP length field, allow-lists and responses. It is a
 * yardstick, not a filter.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ntpguard.h"   /* struct ng_counter */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ng_counter);
} m7_min_drops SEC(".maps");

SEC("xdp")
int xdp_drop_empty(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int xdp_m7_minimal(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	const __u8 *ip = data + 14, *udp;
	struct ng_counter *c;
	__u32 ihl, zero = 0;

	if (ip + 20 > end)
		return XDP_PASS;
	if (data[12] != 0x08 || data[13] != 0x00)   /* ETH_P_IP */
		return XDP_PASS;
	if (ip[9] != 17)                            /* IPPROTO_UDP */
		return XDP_PASS;
	ihl = (__u32)(ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return XDP_PASS;
	udp = ip + ihl;
	if (udp + 8 + 1 > end)                      /* UDP header + 1 octet */
		return XDP_PASS;
	if (udp[2] != 0 || udp[3] != 123)           /* dst port 123 */
		return XDP_PASS;
	if ((udp[8] & 0x87) != 0x07)                /* R clear, mode 7 */
		return XDP_PASS;

	c = bpf_map_lookup_elem(&m7_min_drops, &zero);
	if (c) {
		c->packets++;
		c->bytes += (__u64)(end - data);
	}
	return XDP_DROP;
}


/*
 * Building blocks, each alone on top of the empty program: what a single
 * step of a filter costs (bench: "building blocks"). Each returns
 * XDP_DROP whatever it finds, so the verdict check stays simple.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} blk_array SEC(".maps");

__u32 blk_global;

static __always_inline __u32 blk_lookup(__u32 k)
{
	__u32 *v = bpf_map_lookup_elem(&blk_array, &k);

	return v ? *v : 1;
}

SEC("xdp")
int blk_lookup1(struct xdp_md *ctx)
{
	(void)ctx;
	return blk_lookup(0) == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_lookup2(struct xdp_md *ctx)
{
	(void)ctx;
	return (blk_lookup(0) | blk_lookup(1)) == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_lookup4(struct xdp_md *ctx)
{
	(void)ctx;
	return (blk_lookup(0) | blk_lookup(1) | blk_lookup(2) | blk_lookup(3)) == 7 ?
	       XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_global_read(struct xdp_md *ctx)
{
	(void)ctx;
	return blk_global == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_counter(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	__u32 zero = 0;
	struct ng_counter *c = bpf_map_lookup_elem(&m7_min_drops, &zero);

	if (c) {
		c->packets++;
		c->bytes += (__u64)(end - data);
	}
	return XDP_DROP;
}

SEC("xdp")
int blk_ktime(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_ktime_get_ns() == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_ktime_coarse(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_ktime_get_coarse_ns() == 7 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int blk_jiffies(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_jiffies64() == 7 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";

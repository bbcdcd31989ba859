// SPDX-License-Identifier: GPL-2.0
/*
 * flood.bpf.c - the in-kernel side of bench/floodgen --xdp-live: run with
 * BPF_PROG_TEST_RUN in live-frames mode, it sends each frame out of the
 * interface `tx_ifindex` (XDP_REDIRECT), so a veth peer receives it as an
 * XDP frame, the way a NIC driver hands frames to XDP (no skb, no copy).
 *
 * Each frame gets the next of `nsrc` spoofed source addresses (counting up
 * from the template's), with the IPv4 header checksum fixed incrementally
 * (RFC 1624); the template's UDP checksum is 0 (none, legal for IPv4).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 tx_ifindex = 0;
const volatile __u32 nsrc = 1;

__u32 seq = 0;

static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

SEC("xdp")
int flood_tx(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u8 *ip = data + 14;
	__u16 old, new, *csum;
	__u32 n;

	if (ip + 20 > end)
		return XDP_ABORTED;
	/* the last octet of the source address: template's + n */
	n = seq++ % nsrc;
	old = (__u16)(ip[14] << 8 | ip[15]);
	new = (__u16)(ip[14] << 8 | (__u8)(ip[15] + n));
	ip[15] = (__u8)(ip[15] + n);
	csum = (__u16 *)(ip + 10);
	/* HC' = ~(~HC + ~m + m'), in network order on both sides */
	*csum = (__u16)~csum_fold((__u16)~*csum + (__u32)(__u16)~__builtin_bswap16(old) +
				  (__u32)__builtin_bswap16(new));
	return bpf_redirect(tx_ifindex, 0);
}

char _license[] SEC("license") = "GPL";

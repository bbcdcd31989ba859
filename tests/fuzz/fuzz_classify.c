// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_classify - libFuzzer target over the classifier's userspace build
 * (headers/ntp_classify.h), the same code the BPF program runs.
 *
 * The input is one Ethernet frame. ASan and UBSan catch any read outside it
 * (libFuzzer hands over an exactly sized buffer) and any undefined
 * arithmetic; on top, each input must keep these properties, or the target
 * aborts:
 *
 *   - the class is one of enum ng_class, and its fixed reason is a reason
 *     (or -1 exactly for the uncounted and the policed classes);
 *   - what the classifier reports lies inside the frame: ntp_len fits in a
 *     UDP length, the IP header pointer is inside [data, end);
 *   - a partial view (TC: the linear part, never less than NG_TC_PULL
 *     octets) gives the same answer as the whole frame, or asks for more
 *     (unjudgeable with short_view set) - never a different verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "ntp_classify.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_pkt whole, part, gen;
	size_t view;
	int r;

	if (size > 0xffff)
		return 0;
	memset(&whole, 0, sizeof(whole));
	ng_classify(data, data + size, &whole);
	require(whole.cls <= NG_CLS_UNJUDGEABLE);
	require(!whole.short_view);
	r = ng_fixed_reason(&whole);
	require(r >= -1 && r < NG_R__COUNT);
	require((r == -1) == (whole.cls == NG_CLS_OTHER || whole.cls == NG_CLS_M7_REQUEST ||
			      whole.cls == NG_CLS_M6_REQUEST));
	require(whole.ntp_len <= 0xffff - NG_UDP_HLEN);
	if (whole.family)
		require(whole.l3 >= data && whole.l3 < data + size);

	/* ng_classify's fast path must give the general parser's answer. */
	memset(&gen, 0, sizeof(gen));
	ng_classify_wire(data, data + size, (__u32)size, &gen);
	require(gen.cls == whole.cls && gen.family == whole.family && gen.l3 == whole.l3 &&
		gen.ntp_len == whole.ntp_len && gen.sport == whole.sport &&
		gen.dport == whole.dport && gen.first_frag == whole.first_frag &&
		gen.ntp_byte0 == whole.ntp_byte0);

	/* The TC program's view: the linear part, at least NG_TC_PULL octets
	 * (the last input octet picks how many more). */
	if (size <= NG_TC_PULL)
		return 0;
	view = NG_TC_PULL + data[size - 1] % (size - NG_TC_PULL);
	memset(&part, 0, sizeof(part));
	ng_classify_wire(data, data + view, (__u32)size, &part);
	if (part.cls == NG_CLS_UNJUDGEABLE && part.short_view)
		return 0;
	require(part.cls == whole.cls);
	require(part.ntp_len == whole.ntp_len && part.sport == whole.sport &&
		part.dport == whole.dport && part.first_frag == whole.first_frag);
	return 0;
}

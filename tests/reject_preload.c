// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reject_preload.so - TEST-ONLY LD_PRELOAD shim that makes the running
 * kernel's verifier reject one BPF program, so tests can watch how ntpguard
 * reports a rejected program on any kernel (tests/verifier.sh).
 *
 *   LD_PRELOAD=build/tests/reject_preload.so NG_REJECT_PROG=ntpguard_xdp \
 *       build/ntpguard load IFACE
 *
 * libbpf issues bpf(2) through libc's syscall(); this wraps it. For
 * BPF_PROG_LOAD of the program named NG_REJECT_PROG (default ntpguard_xdp)
 * it loads a copy whose first two instructions read a packet byte without
 * a bounds check:
 *
 *   r0 = *(u32 *)(r1 + 0)     (xdp_md->data)
 *   r0 = *(u8 *)(r0 + 0)      -> "invalid access to packet"
 *
 * Everything else, including libbpf's feature probes and libxdp's
 * dispatcher, goes to the kernel unchanged. The rejection and its log are
 * the kernel's own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

typedef long (*syscall_fn)(long, ...);

long syscall(long nr, ...)
{
	static syscall_fn real;
	const char *want = getenv("NG_REJECT_PROG");
	struct bpf_insn *copy = NULL;
	long a[6], ret;
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	if (!want || !*want)
		want = "ntpguard_xdp";

	if (nr == SYS_bpf && a[0] == BPF_PROG_LOAD && a[1]) {
		union bpf_attr *attr = (union bpf_attr *)a[1];
		__u64 orig = attr->insns;

		if (!strncmp(attr->prog_name, want, sizeof(attr->prog_name)) &&
		    attr->insn_cnt >= 2 &&
		    (copy = malloc(attr->insn_cnt * sizeof(*copy)))) {
			memcpy(copy, (void *)(unsigned long)orig,
			       attr->insn_cnt * sizeof(*copy));
			copy[0] = (struct bpf_insn){
				.code = BPF_LDX | BPF_MEM | BPF_W,
				.dst_reg = BPF_REG_0, .src_reg = BPF_REG_1 };
			copy[1] = (struct bpf_insn){
				.code = BPF_LDX | BPF_MEM | BPF_B,
				.dst_reg = BPF_REG_0, .src_reg = BPF_REG_0 };
			attr->insns = (__u64)(unsigned long)copy;
			ret = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
			attr->insns = orig;
			free(copy);
			return ret;
		}
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * pathlen.c - how many BPF instructions a program executes on one frame.
 *
 * Timing on a shared VM is noisy; the number of instructions a frame takes
 * through the program is not, and the JIT turns each into one or two
 * machine instructions, so it is the figure to optimise against. This is a
 * small interpreter of the program as the kernel holds it (the "xlated"
 * instructions: after the verifier inlined array and per-CPU array
 * lookups), run on a copy of the frame:
 *
 * - the context holds data and data_end (struct xdp_buff's first fields,
 *   which is what the rewritten context loads read);
 * - map memory reads as zero, except a read-only map's value (ntpguard's
 *   .rodata: the compiled-in policy), which is read from the kernel;
 *   an array lookup therefore finds a zeroed value (e.g. no live policy,
 *   an empty allow-list flag), a per-CPU counter a zeroed counter;
 * - a helper call counts as one instruction and returns 0 (a lookup that
 *   finds nothing), so paths through helpers (trie, LRU, clock) are counted
 *   only up to their calls: the caller says so.
 *
 * The verdict the interpreter reaches is returned too; the bench prints the
 * count only where it matches the verdict the kernel returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>

#include "pathlen.h"

#define MAX_INSNS   65536
#define STEP_LIMIT  100000
#define NREGION     32
#define MAP_SPAN    (1u << 20)  /* zeroed bytes behind every map pointer */

#ifndef BPF_ADDR_PERCPU
#define BPF_ADDR_PERCPU (-1)
#endif

struct region {
	__u64 base, size;
	__u8 *mem;
};

struct vm {
	struct region r[NREGION];
	int nr;
	__u64 next;
};

static struct region *region_new(struct vm *vm, __u64 size)
{
	struct region *g;

	if (vm->nr == NREGION)
		return NULL;
	g = &vm->r[vm->nr];
	g->mem = calloc(1, size);
	if (!g->mem)
		return NULL;
	g->base = vm->next;
	g->size = size;
	vm->next += (size + 0xffffff) & ~0xffffffull;
	vm->nr++;
	return g;
}

static __u8 *addr(struct vm *vm, __u64 a, int n)
{
	for (int i = 0; i < vm->nr; i++)
		if (a >= vm->r[i].base && a + (__u64)n <= vm->r[i].base + vm->r[i].size)
			return vm->r[i].mem + (a - vm->r[i].base);
	return NULL;
}

static void vm_free(struct vm *vm)
{
	for (int i = 0; i < vm->nr; i++)
		free(vm->r[i].mem);
}

/* A map pointer (map id) or a direct pointer into a map's value. */
static __u64 map_pointer(struct vm *vm, __u32 id, int value, __u32 off)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info), zero = 0;
	struct region *g;
	int fd;

	g = region_new(vm, MAP_SPAN);
	if (!g)
		return 0;
	if (!value)
		return g->base;
	/* a direct value: the map's one value (read-only data, the policy) */
	fd = bpf_map_get_fd_by_id(id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size <= MAP_SPAN &&
		    info.max_entries == 1)
			bpf_map_lookup_elem(fd, &zero, g->mem);
		close(fd);
	}
	return g->base + off;
}

static __u64 alu(int op, __u64 a, __u64 b, int is64, int *err)
{
	int sh = is64 ? 63 : 31;

	if (!is64) {
		a = (__u32)a;
		b = (__u32)b;
	}
	switch (op) {
	case BPF_ADD: a += b; break;
	case BPF_SUB: a -= b; break;
	case BPF_MUL: a *= b; break;
	case BPF_DIV: a = b ? a / b : 0; break;
	case BPF_MOD: a = b ? a % b : a; break;
	case BPF_OR:  a |= b; break;
	case BPF_AND: a &= b; break;
	case BPF_XOR: a ^= b; break;
	case BPF_LSH: a <<= (b & (__u64)sh); break;
	case BPF_RSH: a >>= (b & (__u64)sh); break;
	case BPF_ARSH:
		a = is64 ? (__u64)((__s64)a >> (b & 63)) : (__u32)((__s32)a >> (b & 31));
		break;
	case BPF_NEG: a = -a; break;
	case BPF_MOV: a = b; break;
	default: *err = 1;
	}
	return is64 ? a : (__u32)a;
}

static int cond(int op, __u64 a, __u64 b, int is64, int *err)
{
	__s64 sa = is64 ? (__s64)a : (__s32)a, sb = is64 ? (__s64)b : (__s32)b;

	if (!is64) {
		a = (__u32)a;
		b = (__u32)b;
	}
	switch (op) {
	case BPF_JEQ:  return a == b;
	case BPF_JNE:  return a != b;
	case BPF_JGT:  return a > b;
	case BPF_JGE:  return a >= b;
	case BPF_JLT:  return a < b;
	case BPF_JLE:  return a <= b;
	case BPF_JSET: return (a & b) != 0;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	}
	*err = 1;
	return 0;
}

static __u64 bswap(__u64 v, int bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((__u16)v);
	case 32: return __builtin_bswap32((__u32)v);
	default: return __builtin_bswap64(v);
	}
}

int pathlen_run(int prog_fd, const void *frame, __u32 len, struct pathlen *out)
{
	struct bpf_prog_info info;
	struct bpf_insn *ins;
	__u32 ilen = sizeof(info);
	struct vm vm = { .next = 0x100000000ull };
	struct region *pkt, *stk, *ctx, *pcpu;
	__u64 r[11] = { 0 };
	int n, pc = 0, err = 0;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen))
		return -errno;
	n = (int)(info.xlated_prog_len / sizeof(*ins));
	if (n <= 0 || n > MAX_INSNS)
		return -E2BIG;
	ins = calloc((size_t)n, sizeof(*ins));
	if (!ins)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = (__u32)(n * (int)sizeof(*ins));
	info.xlated_prog_insns = (__u64)(unsigned long)ins;
	ilen = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen)) {
		free(ins);
		return -errno;
	}

	pkt = region_new(&vm, len + 256);
	stk = region_new(&vm, 512);
	ctx = region_new(&vm, 64);
	pcpu = region_new(&vm, MAP_SPAN);
	if (!pkt || !stk || !ctx || !pcpu) {
		vm_free(&vm);
		free(ins);
		return -ENOMEM;
	}
	memcpy(pkt->mem, frame, len);
	((__u64 *)ctx->mem)[0] = pkt->base;         /* data */
	((__u64 *)ctx->mem)[1] = pkt->base + len;   /* data_end */
	r[1] = ctx->base;
	r[10] = stk->base + 512;

	for (int steps = 0; steps < STEP_LIMIT; steps++) {
		const struct bpf_insn *in = &ins[pc];
		int cls = BPF_CLASS(in->code), op = BPF_OP(in->code), is64;
		__u64 src = BPF_SRC(in->code) == BPF_X ? r[in->src_reg] : (__u64)(__s64)in->imm;
		__u8 *p;
		int sz;

		if (pc < 0 || pc >= n || in->dst_reg > 10 || in->src_reg > 10)
			break;
		out->insns++;
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			is64 = cls == BPF_ALU64;
			if (op == BPF_END) {
				/* BPF_TO_BE: swap (little-endian host); BPF_TO_LE: truncate */
				r[in->dst_reg] = BPF_SRC(in->code) == BPF_TO_BE ?
					bswap(r[in->dst_reg], in->imm) :
					in->imm == 64 ? r[in->dst_reg] :
					r[in->dst_reg] & ((1ull << in->imm) - 1);
			} else if (op == BPF_MOV && is64 && BPF_SRC(in->code) == BPF_X &&
				   in->off == BPF_ADDR_PERCPU) {
				/* this CPU's copy of a per-CPU value: scratch memory */
				r[in->dst_reg] = pcpu->base + (r[in->dst_reg] & 0xfff0);
			} else {
				r[in->dst_reg] = alu(op, r[in->dst_reg], src, is64, &err);
			}
			pc++;
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_EXIT) {
				out->ret = (int)r[0];
				out->ok = 1;
				goto done;
			}
			if (op == BPF_CALL) {
				out->calls++;
				r[0] = 0;
				pc++;
				break;
			}
			if (op == BPF_JA) {
				pc += 1 + in->off;
				break;
			}
			pc += 1 + (cond(op, r[in->dst_reg], src, cls == BPF_JMP, &err) ? in->off : 0);
			break;
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || pc + 1 >= n) {
				err = 1;
				break;
			}
			if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE)
				r[in->dst_reg] = map_pointer(&vm, (__u32)in->imm,
							     in->src_reg == BPF_PSEUDO_MAP_VALUE,
							     (__u32)in[1].imm);
			else
				r[in->dst_reg] = (__u32)in->imm | (__u64)(__u32)in[1].imm << 32;
			pc += 2;
			break;
		case BPF_LDX:
		case BPF_STX:
		case BPF_ST:
			sz = BPF_SIZE(in->code) == BPF_B ? 1 : BPF_SIZE(in->code) == BPF_H ? 2 :
			     BPF_SIZE(in->code) == BPF_W ? 4 : 8;
			if (BPF_MODE(in->code) != BPF_MEM) {
				err = 1;
				break;
			}
			if (cls == BPF_LDX) {
				__u64 v = 0;

				p = addr(&vm, r[in->src_reg] + (__u64)(__s64)in->off, sz);
				if (p)  /* unknown memory (a pointer a helper would give) reads 0 */
					memcpy(&v, p, (size_t)sz);
				r[in->dst_reg] = v;
			} else {
				__u64 v = cls == BPF_STX ? r[in->src_reg] : (__u64)(__s64)in->imm;

				p = addr(&vm, r[in->dst_reg] + (__u64)(__s64)in->off, sz);
				if (p)
					memcpy(p, &v, (size_t)sz);
			}
			pc++;
			break;
		default:
			err = 1;
		}
		if (err)
			break;
	}
done:
	vm_free(&vm);
	free(ins);
	return err ? -EINVAL : 0;
}

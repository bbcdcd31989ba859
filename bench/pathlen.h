/* SPDX-License-Identifier: GPL-2.0 */
#ifndef BENCH_PATHLEN_H
#define BENCH_PATHLEN_H

#include <linux/types.h>

struct pathlen {
	int ok;          /* the program reached its exit */
	int ret;         /* its return value there */
	__u32 insns;     /* instructions executed, helper calls counted as one */
	__u32 calls;     /* helper calls on the way */
};

/* Run the loaded program prog_fd's xlated instructions on the frame. */
int pathlen_run(int prog_fd, const void *frame, __u32 len, struct pathlen *out);

#endif

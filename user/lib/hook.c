// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kernel's hooks as ntpguard sees them (see hook.h): which XDP program
 * is attached to an interface and how (libxdp), ntpguard's TC egress filter
 * (bpf_tc_*, an RTM_GETTFILTER dump), and whether an attachment record is
 * still true. Read-only: attaching and detaching is attach.c's.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "state.h"
#include "hook.h"

/* ---- libxdp log capture ----------------------------------------------- */
static char xdp_log[2048];

static int capture_xdp_log(enum libxdp_print_level level, const char *fmt,
			   va_list ap)
{
	size_t len = strlen(xdp_log);
	va_list cp;

	if (ng_verbose) {
		va_copy(cp, ap);
		fputs("libxdp: ", stderr);
		vfprintf(stderr, fmt, cp);
		va_end(cp);
	}
	if (level <= LIBXDP_INFO && len < sizeof(xdp_log) - 1)
		vsnprintf(xdp_log + len, sizeof(xdp_log) - len, fmt, ap);
	return 0;
}

void ng_hook_init(void)
{
	libxdp_set_print(capture_xdp_log);
}

void ng_hook_log_reset(void)
{
	xdp_log[0] = 0;
}

bool ng_hook_dispatcher_refused(void)
{
	return strstr(xdp_log, "Falling back") || strstr(xdp_log, "dispatcher");
}

const char *ng_hook_errstr(int err)
{
	static char buf[128];

	libxdp_strerror(err, buf, sizeof(buf));
	return buf;
}

/* ---- XDP: what is attached -------------------------------------------- */

/* Is XDP program `id` attached to `ifindex`, and how? */
bool ng_xdp_find(int ifindex, __u32 id, __u8 *mode, __u8 *path)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;
	bool found = false;

	if (libxdp_get_error(mp))
		return false;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		found = p && xdp_program__id(p) == id;
		if (path)
			*path = NG_PATH_LEGACY;
	} else {
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (xdp_program__id(p) == id) {
				found = true;
				break;
			}
		if (path)
			*path = NG_PATH_DISPATCHER;
	}
	if (mode)
		*mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ?
			NG_MODE_SKB : NG_MODE_NATIVE;
	xdp_multiprog__close(mp);
	return found;
}

/* A program attached without libxdp's dispatcher: we will not replace it. */
bool ng_xdp_foreign_legacy(int ifindex, char *name, size_t len, __u32 *id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	bool ret = false;

	if (libxdp_get_error(mp))
		return false;
	if (xdp_multiprog__is_legacy(mp) && (p = xdp_multiprog__main_prog(mp))) {
		snprintf(name, len, "%s", xdp_program__name(p));
		*id = xdp_program__id(p);
		ret = true;
	}
	xdp_multiprog__close(mp);
	return ret;
}

/* ---- TC egress --------------------------------------------------------- */

/* Program id of ntpguard's egress filter on ifindex, 0 if none. */
__u32 ng_tc_prog(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NG_TC_HANDLE,
			    .priority = NG_TC_PRIO);

	if (bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

/* Number of TC filters on the clsact qdisc of ifindex (both hooks), via an
 * RTM_GETTFILTER dump; -1 if it cannot be told. */
int ng_tc_filter_count(int ifindex)
{
	static const __u32 parents[] = {
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
		TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int count = 0;

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < 2 && count >= 0; i++) {
		struct {
			struct nlmsghdr n;
			struct tcmsg t;
		} req = {
			.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			       .nlmsg_type = RTM_GETTFILTER,
			       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			       .nlmsg_seq = (__u32)i + 1 },
			.t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
			       .tcm_parent = parents[i] },
		};
		char buf[16384];
		bool done = false;

		if (send(fd, &req, req.n.nlmsg_len, 0) < 0) {
			count = -1;
			break;
		}
		while (!done) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *h = (struct nlmsghdr *)buf;

			if (n <= 0) {
				count = -1;
				break;
			}
			for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
				if (h->nlmsg_type == NLMSG_DONE) {
					done = true;
					break;
				}
				if (h->nlmsg_type == NLMSG_ERROR) {
					done = true;   /* e.g. no clsact qdisc: none */
					break;
				}
				if (h->nlmsg_type == RTM_NEWTFILTER)
					count++;
			}
		}
	}
	close(fd);
	return count;
}

/* Is the program of record r attached where r says? */
bool ng_rec_live(const struct ng_ifrec *r)
{
	int ifindex = (int)if_nametoindex(r->ifname);

	if (r->state != NG_IF_ATTACHED || !ifindex || (__u32)ifindex != r->ifindex)
		return false;
	if (r->direction == NG_DIR_EGRESS)
		return ng_tc_prog(ifindex) == r->prog_id;
	return ng_xdp_find(ifindex, r->prog_id, NULL, NULL);
}

const char *ng_live_state(const struct ng_ifrec *r)
{
	if (r->state != NG_IF_ATTACHED)
		return ng_state_name(r->state);
	if (r->netns_ino != ng_netns_ino())
		return "attached";
	return ng_rec_live(r) ? "attached" : "gone";
}

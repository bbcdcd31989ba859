// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching and detaching, and the load / unload commands.
 *
 * Ingress: the XDP program, through libxdp. libxdp first tries its
 * multi-program dispatcher (so ntpguard coexists with other XDP programs:
 * priority NG_RUN_PRIO, chain on XDP_PASS). Where the kernel refuses
 * freplace programs it falls back to a legacy single-program attach; we
 * detect which one happened and always say so.
 *
 * Egress (--egress): the TC program on the clsact egress hook, through
 * libbpf's bpf_tc_* API, with ntpguard's own handle and priority, so unload
 * removes exactly that filter (and the clsact qdisc only if ntpguard created
 * it and no other filter uses it).
 *
 * Each attachment is one instance of the BPF object whose rodata ng_slot
 * names its counter rows; its record (struct ng_ifrec) lives in the pinned
 * NG_MAP_IFACES map, so no daemon is needed.
 */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "attach.h"
#include "ntpguard.skel.h"

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

void ng_attach_init(void)
{
	libxdp_set_print(capture_xdp_log);
}

static bool dispatcher_refused(void)
{
	return strstr(xdp_log, "Falling back") || strstr(xdp_log, "dispatcher");
}

static const char *errstr(int err)
{
	static char buf[128];

	libxdp_strerror(err, buf, sizeof(buf));
	return buf;
}

/* ---- XDP: what is attached -------------------------------------------- */

/* Is XDP program `id` attached to `ifindex`, and how? */
static bool xdp_find(int ifindex, __u32 id, __u8 *mode, __u8 *path)
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
static bool xdp_foreign_legacy(int ifindex, char *name, size_t len, __u32 *id)
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
static __u32 tc_our_prog(int ifindex)
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
static int tc_filter_count(int ifindex)
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

/* ---- instances of the BPF object -------------------------------------- */

/* Size of the rate-cap table, fixed when the maps are first created. */
static __u32 g_max_sources = NG_DEFAULT_MAX_SOURCES;

/* max_entries of a pinned map, 0 if it cannot be read. */
__u32 ng_pinned_max_entries(const struct ng_paths *paths, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", paths->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* Open an instance for `slot`, sharing the pinned maps; only the program
 * for `dir` will be loaded. */
static struct ntpguard_bpf *open_instance(const struct ng_paths *paths,
					  __u32 slot, __u8 dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = paths->pin_dir);
	struct ntpguard_bpf *skel = ntpguard_bpf__open_opts(&oopts);

	if (!skel)
		return NULL;
	skel->rodata->ng_slot = slot;
	bpf_map__set_max_entries(skel->maps.NG_MAP_BUCKETS, g_max_sources);
	bpf_program__set_autoload(skel->progs.NG_PROG_XDP, dir == NG_DIR_INGRESS);
	bpf_program__set_autoload(skel->progs.NG_PROG_TC, dir == NG_DIR_EGRESS);
	return skel;
}

struct attach_result {
	__u32 prog_id;
	__u32 flags;
	__u8 mode;
	__u8 path;
};

static int xdp_attach_once(const struct ng_paths *paths, int ifindex, __u32 slot,
			   enum xdp_attach_mode mode, struct attach_result *res)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	struct ntpguard_bpf *skel = open_instance(paths, slot, NG_DIR_INGRESS);
	struct xdp_program *prog;
	int err;

	if (!skel)
		return -errno;
	xopts.obj = skel->obj;
	xopts.prog_name = NG_STR(NG_PROG_XDP);
	prog = xdp_program__create(&xopts);
	err = libxdp_get_error(prog);
	if (err) {
		ntpguard_bpf__destroy(skel);
		return err;
	}
	err = xdp_program__attach(prog, ifindex, mode, 0);
	if (!err) {
		res->prog_id = xdp_program__id(prog);
		if (!xdp_find(ifindex, res->prog_id, &res->mode, &res->path))
			err = -ENOENT;
	}
	xdp_program__close(prog);
	ntpguard_bpf__destroy(skel);
	return err;
}

static int tc_attach(const struct ng_paths *paths, int ifindex, __u32 slot,
		     struct attach_result *res)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NG_TC_HANDLE,
			    .priority = NG_TC_PRIO);
	struct ntpguard_bpf *skel = open_instance(paths, slot, NG_DIR_EGRESS);
	bool created = false;
	int err;

	if (!skel)
		return -errno;
	err = ntpguard_bpf__load(skel);
	if (err)
		goto out;
	err = bpf_tc_hook_create(&hook);
	if (!err)
		created = true;
	else if (err != -EEXIST)
		goto out;
	opts.prog_fd = bpf_program__fd(skel->progs.NG_PROG_TC);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (created && tc_filter_count(ifindex) == 0) {
			/* both hooks: the qdisc itself (EGRESS alone would
			 * only flush the egress filters) */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		goto out;
	}
	res->prog_id = opts.prog_id;
	res->mode = NG_MODE_TC;
	res->path = NG_PATH_TC;
	res->flags = created ? NG_IFF_CREATED_QDISC : 0;
out:
	ntpguard_bpf__destroy(skel);
	return err;
}

/* Is the program of record r attached where r says? */
bool ng_rec_live(const struct ng_ifrec *r)
{
	int ifindex = (int)if_nametoindex(r->ifname);

	if (r->state != NG_IF_ATTACHED || !ifindex || (__u32)ifindex != r->ifindex)
		return false;
	if (r->direction == NG_DIR_EGRESS)
		return tc_our_prog(ifindex) == r->prog_id;
	return xdp_find(ifindex, r->prog_id, NULL, NULL);
}

const char *ng_live_state(const struct ng_ifrec *r)
{
	if (r->state != NG_IF_ATTACHED)
		return ng_state_name(r->state);
	if (r->netns_ino != ng_netns_ino())
		return "attached";
	return ng_rec_live(r) ? "attached" : "gone";
}

/* ---- records ------------------------------------------------------------ */

struct ng_records {
	int ifaces_fd, counters_fd;
	struct ng_ifrec recs[NG_MAX_IFSLOTS];
};

static int records_open(const struct ng_paths *paths, struct ng_records *r)
{
	r->ifaces_fd = ng_map_open(paths, NG_STR(NG_MAP_IFACES));
	r->counters_fd = ng_map_open(paths, NG_STR(NG_MAP_COUNTERS));
	if (r->ifaces_fd < 0 || r->counters_fd < 0)
		return -1;
	return ng_ifrec_read_all(r->ifaces_fd, r->recs);
}

static void records_close(struct ng_records *r)
{
	if (r->ifaces_fd >= 0)
		close(r->ifaces_fd);
	if (r->counters_fd >= 0)
		close(r->counters_fd);
	r->ifaces_fd = r->counters_fd = -1;
}

static int record_write(struct ng_records *r, __u32 slot)
{
	if (bpf_map_update_elem(r->ifaces_fd, &slot, &r->recs[slot], BPF_ANY)) {
		ng_err("cannot write attachment record %u: %s", slot, strerror(errno));
		return -1;
	}
	return 0;
}

/* A slot for (ns, ifname, dir): its own record if there is one (so its
 * counters continue), else a free one, else the oldest detached one. */
static int pick_slot(struct ng_records *r, __u64 ns, const char *ifname, __u8 dir)
{
	int slot = ng_ifrec_find(r->recs, ns, ifname, dir);
	int oldest = -1;

	if (slot >= 0)
		return slot;
	for (int i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (r->recs[i].state == NG_IF_FREE)
			return i;
		if (r->recs[i].state == NG_IF_DETACHED &&
		    (oldest < 0 || r->recs[i].attached_at < r->recs[oldest].attached_at))
			oldest = i;
	}
	if (oldest < 0) {
		ng_err("all %d attachment slots are in use; unload an interface first",
		       NG_MAX_IFSLOTS);
		return -1;
	}
	/* Recycle the oldest detached record: its counters start over. */
	if (ng_counters_clear(r->counters_fd, (__u32)oldest))
		return -1;
	return oldest;
}

/* ---- load ---------------------------------------------------------------- */

static int attach_dir(const struct ng_paths *paths, const char *ifname, int ifindex,
		      __u8 dir, enum xdp_attach_mode want)
{
	struct ng_records *r = calloc(1, sizeof(*r));
	struct attach_result res = {};
	__u64 ns = ng_netns_ino();
	const char *what = dir == NG_DIR_EGRESS ? " egress" : "";
	int slot, err, ret = -1;
	char other[64];
	__u32 other_id;

	if (!r)
		return -1;
	r->ifaces_fd = r->counters_fd = -1;
	if (ng_pins_exist(paths)) {
		if (records_open(paths, r))
			goto out;
		slot = ng_ifrec_find(r->recs, ns, ifname, dir);
		if (slot >= 0 && ng_rec_live(&r->recs[slot])) {
			const struct ng_ifrec *x = &r->recs[slot];

			ng_info("%s%s: already protected (%s mode, %s attach), prog id %u",
				ifname, what, ng_mode_name(x->mode), ng_path_name(x->path),
				x->prog_id);
			ret = 0;
			goto out;
		}
		slot = pick_slot(r, ns, ifname, dir);
		if (slot < 0)
			goto out;
	} else {
		slot = 0;        /* first attachment creates the maps */
	}

	if (dir == NG_DIR_INGRESS &&
	    xdp_foreign_legacy(ifindex, other, sizeof(other), &other_id)) {
		ng_err("%s: another XDP program (%s, id %u) is attached without "
		       "libxdp's dispatcher; ntpguard will not replace it "
		       "(detach it, or load it through libxdp)", ifname, other, other_id);
		goto out;
	}
	xdp_log[0] = 0;
	if (dir == NG_DIR_EGRESS) {
		err = tc_attach(paths, ifindex, (__u32)slot, &res);
		if (err == -EEXIST) {
			ng_err("%s: another TC filter holds ntpguard's handle/priority "
			       "(0x%x/0x%x) on egress", ifname, NG_TC_HANDLE, NG_TC_PRIO);
			goto out;
		}
	} else if (want == XDP_MODE_UNSPEC) {
		err = xdp_attach_once(paths, ifindex, (__u32)slot, XDP_MODE_NATIVE, &res);
		if (err == -EOPNOTSUPP || err == -EINVAL) {
			ng_debug("%s: native XDP failed (%s), trying skb mode",
				 ifname, errstr(err));
			err = xdp_attach_once(paths, ifindex, (__u32)slot, XDP_MODE_SKB, &res);
		}
	} else {
		err = xdp_attach_once(paths, ifindex, (__u32)slot, want, &res);
	}
	if (err) {
		if (dir == NG_DIR_INGRESS && want == XDP_MODE_NATIVE &&
		    (err == -EOPNOTSUPP || err == -EINVAL))
			ng_err("%s: the driver has no native XDP support; use "
			       "--mode skb (or omit --mode to fall back automatically)",
			       ifname);
		else if (dir == NG_DIR_INGRESS && (err == -EEXIST || err == -EBUSY))
			ng_err("%s: another XDP program is attached and cannot be "
			       "combined with ntpguard (%s)", ifname, errstr(err));
		else
			ng_err("%s%s: attach failed: %s", ifname, what, errstr(err));
		goto out;
	}

	/* The maps exist now (pinned by libbpf during load). */
	if (r->ifaces_fd < 0 && records_open(paths, r))
		goto out;
	r->recs[slot] = (struct ng_ifrec){
		.netns_ino = ns, .attached_at = (__u64)time(NULL),
		.ifindex = (__u32)ifindex, .prog_id = res.prog_id,
		.state = NG_IF_ATTACHED, .mode = res.mode, .path = res.path,
		.direction = dir, .flags = res.flags,
	};
	snprintf(r->recs[slot].ifname, sizeof(r->recs[slot].ifname), "%s", ifname);
	if (record_write(r, (__u32)slot))
		goto out;

	if (dir == NG_DIR_EGRESS)
		ng_info("%s egress: attached (TC clsact egress), prog id %u",
			ifname, res.prog_id);
	else if (res.path == NG_PATH_DISPATCHER)
		ng_info("%s: attached (%s mode, libxdp dispatcher), prog id %u",
			ifname, ng_mode_name(res.mode), res.prog_id);
	else
		ng_info("%s: attached (%s mode, legacy attach: libxdp dispatcher %s), prog id %u",
			ifname, ng_mode_name(res.mode),
			dispatcher_refused() ? "unavailable on this kernel" : "not used",
			res.prog_id);
	ret = 0;
out:
	records_close(r);
	free(r);
	return ret;
}

static void remove_pins_if_unused(const struct ng_paths *paths, bool quiet);

int ng_load_iface(const struct ng_paths *paths, const char *ifname,
		  enum xdp_attach_mode mode, bool egress)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex) {
		ng_err("no such interface: %s", ifname);
		return -1;
	}
	if (strlen(ifname) >= IF_NAMESIZE) {
		ng_err("interface name too long: %s", ifname);
		return -1;
	}
	bool existed = ng_pins_exist(paths);
	int ret = 0;

	if (attach_dir(paths, ifname, ifindex, NG_DIR_INGRESS, mode) ||
	    (egress && attach_dir(paths, ifname, ifindex, NG_DIR_EGRESS, mode)))
		ret = -1;
	/* A refused first load leaves no pins behind; but if one direction
	 * got attached, its records and maps must stay, or it could never be
	 * unloaded. */
	if (ret && !existed && ng_pins_exist(paths))
		remove_pins_if_unused(paths, true);
	return ret;
}

/* Common preparation of commands that attach: privileges, BTF, bpffs,
 * table size; returns the lock fd or -1. */
int ng_attach_prepare(const struct ng_paths *paths, __u32 max_sources)
{
	__u32 pinned;
	int lock;

	if (ng_require_privs(true) || ng_require_btf())
		return -1;
	if (!ng_is_bpffs(paths->bpffs) && ng_mount_bpffs(paths->bpffs))
		return -1;
	/* libxdp keeps its dispatcher pins on the same bpffs. */
	setenv("LIBXDP_BPFFS", paths->bpffs, 0);
	ng_attach_init();
	lock = ng_lock(paths);
	if (lock < 0)
		return -1;
	/* Pinned maps are reused only if they match: keep the table's size. */
	pinned = ng_pinned_max_entries(paths, NG_STR(NG_MAP_BUCKETS));
	if (pinned && max_sources && pinned != max_sources) {
		ng_err("the rate-cap table already holds up to %u sources; unload "
		       "every interface to resize it", pinned);
		ng_unlock(lock);
		return -1;
	}
	g_max_sources = pinned ? pinned : max_sources ? max_sources : NG_DEFAULT_MAX_SOURCES;
	return lock;
}

const struct ng_enum ng_xdp_modes[] = {
	{ "native", XDP_MODE_NATIVE },
	{ "skb", XDP_MODE_SKB },
	{ NULL },
};

/* ---- unload ---------------------------------------------------------------- */

static int tc_detach_rec(const struct ng_ifrec *r, int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NG_TC_HANDLE,
			    .priority = NG_TC_PRIO);
	int err;

	if (tc_our_prog(ifindex) != r->prog_id) {
		ng_info("%s egress: ntpguard's filter was no longer attached", r->ifname);
		return 0;
	}
	err = bpf_tc_detach(&hook, &opts);
	if (err) {
		ng_err("%s egress: detach failed: %s", r->ifname, strerror(-err));
		return -1;
	}
	if ((r->flags & NG_IFF_CREATED_QDISC) && tc_filter_count(ifindex) == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
		ng_info("%s egress: detached (prog id %u), clsact qdisc removed",
			r->ifname, r->prog_id);
	} else {
		ng_info("%s egress: detached (prog id %u)", r->ifname, r->prog_id);
	}
	return 0;
}

static int xdp_detach_rec(const struct ng_ifrec *r, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;
	int err = 0;

	if (libxdp_get_error(mp)) {
		ng_info("%s: nothing attached any more", r->ifname);
		return 0;
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && xdp_program__id(p) == r->prog_id)
			err = xdp_multiprog__detach(mp);
		else
			p = NULL;
	} else {
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (xdp_program__id(p) == r->prog_id) {
				err = xdp_program__detach(p, ifindex,
					xdp_multiprog__attach_mode(mp), 0);
				break;
			}
	}
	xdp_multiprog__close(mp);
	if (err) {
		ng_err("%s: detach failed: %s", r->ifname, errstr(err));
		return -1;
	}
	if (p)
		ng_info("%s: detached (prog id %u)", r->ifname, r->prog_id);
	else
		ng_info("%s: ntpguard's program was no longer attached", r->ifname);
	return 0;
}

static int detach_rec(const struct ng_ifrec *r)
{
	char now[IF_NAMESIZE];

	/* By ifindex, not by name: a renamed interface still carries our
	 * program. (A reused ifindex is safe: only our prog id is detached.) */
	if (!if_indextoname(r->ifindex, now)) {
		ng_info("%s%s: interface is gone; forgetting it", r->ifname,
			r->direction == NG_DIR_EGRESS ? " egress" : "");
		libxdp_clean_references((int)r->ifindex);
		return 0;
	}
	if (strcmp(now, r->ifname))
		ng_info("%s%s: now named %s", r->ifname,
			r->direction == NG_DIR_EGRESS ? " egress" : "", now);
	return r->direction == NG_DIR_EGRESS ? tc_detach_rec(r, (int)r->ifindex) :
					       xdp_detach_rec(r, (int)r->ifindex);
}

/* Remove every pin in our directory (only ours live there), then it. */
static void remove_pins(const struct ng_paths *paths, bool quiet)
{
	DIR *d = opendir(paths->pin_dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", paths->pin_dir, e->d_name);
		if (unlink(path))
			ng_err("cannot remove %s: %s", path, strerror(errno));
	}
	if (d)
		closedir(d);
	if (rmdir(paths->pin_dir) && errno != ENOENT)
		ng_err("cannot remove %s: %s", paths->pin_dir, strerror(errno));
	else if (!quiet)
		ng_info("removed pins in %s (nothing attached any more)", paths->pin_dir);
}

/* When no record is attached any more, remove the pins. Caller holds the lock. */
void ng_remove_pins_if_unused(const struct ng_paths *paths)
{
	remove_pins_if_unused(paths, false);
}

static void remove_pins_if_unused(const struct ng_paths *paths, bool quiet)
{
	struct ng_records *r = calloc(1, sizeof(*r));
	bool any_attached = false;

	if (!r)
		return;
	r->ifaces_fd = r->counters_fd = -1;
	if (!records_open(paths, r)) {
		for (int s = 0; s < NG_MAX_IFSLOTS; s++)
			any_attached |= r->recs[s].state == NG_IF_ATTACHED;
		records_close(r);
		if (!any_attached)
			remove_pins(paths, quiet);
	}
	records_close(r);
	free(r);
}

/*
 * Detach every record of this namespace matching `pick` (an interface name,
 * or NULL for all); keeps their counters. Caller holds the lock.
 */
int ng_unload_iface(const struct ng_paths *paths, const char *pick)
{
	struct ng_records *r = calloc(1, sizeof(*r));
	__u64 ns = ng_netns_ino();
	int ret = 0;

	if (!r)
		return -1;
	r->ifaces_fd = r->counters_fd = -1;
	if (records_open(paths, r)) {
		ret = -1;
		goto out;
	}
	for (__u32 s = 0; s < NG_MAX_IFSLOTS; s++) {
		struct ng_ifrec *x = &r->recs[s];

		if (x->state == NG_IF_FREE || x->netns_ino != ns ||
		    (pick && strncmp(x->ifname, pick, sizeof(x->ifname))))
			continue;
		if (x->state == NG_IF_DETACHED) {
			/* Unloading what is already detached (by an earlier
			 * unload, or because the interface vanished) forgets
			 * it: record and counters. */
			if (ng_counters_clear(r->counters_fd, s))
				ret = -1;
			ng_info("%s%s: forgotten (it was detached; record and counters "
				"removed)", x->ifname,
				x->direction == NG_DIR_EGRESS ? " egress" : "");
			memset(x, 0, sizeof(*x));
			if (record_write(r, s))
				ret = -1;
			continue;
		}
		if (detach_rec(x)) {
			ret = -1;
			continue;
		}
		x->state = NG_IF_DETACHED;
		x->prog_id = 0;
		if (record_write(r, s))
			ret = -1;
	}
out:
	records_close(r);
	free(r);
	return ret;
}

/*
 * Records of interfaces that no longer exist in this namespace (deleted, or
 * moved away) took their programs with them: mark them detached, so status
 * says so and their slots can be recycled; their counters stay readable.
 * (A moved device's program keeps running and counting in its new
 * namespace; it cannot be managed from here either way.)
 * ifindex 0: every such record, else only that ifindex's. Cleans libxdp's
 * dispatcher pins of the vanished ifindex. Caller holds the lock. Returns
 * the number of records changed, -1 on error.
 */
int ng_forget_vanished(const struct ng_paths *paths, __u32 ifindex)
{
	struct ng_records *r = calloc(1, sizeof(*r));
	__u64 ns = ng_netns_ino();
	char name[IF_NAMESIZE];
	int n = 0;

	if (!r)
		return -1;
	r->ifaces_fd = r->counters_fd = -1;
	if (records_open(paths, r)) {
		n = -1;
		goto out;
	}
	for (__u32 s = 0; s < NG_MAX_IFSLOTS; s++) {
		struct ng_ifrec *x = &r->recs[s];

		if (x->state != NG_IF_ATTACHED || x->netns_ino != ns ||
		    (ifindex && x->ifindex != ifindex) || if_indextoname(x->ifindex, name))
			continue;
		x->state = NG_IF_DETACHED;
		x->prog_id = 0;
		if (record_write(r, s)) {
			n = -1;
			break;
		}
		n++;
		ng_info("%s%s: interface no longer here (ifindex %u); record "
			"kept as detached", x->ifname,
			x->direction == NG_DIR_EGRESS ? " egress" : "", x->ifindex);
		if (x->direction == NG_DIR_INGRESS)
			libxdp_clean_references((int)x->ifindex);
	}
out:
	records_close(r);
	free(r);
	return n;
}

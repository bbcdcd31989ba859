// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * load / unload / status: attach the XDP program through libxdp and keep
 * one attachment record per (network namespace, interface, direction) in
 * the pinned NG_MAP_IFACES map, so no daemon is needed.
 *
 * libxdp first tries its multi-program dispatcher (so ntpguard coexists with
 * other XDP programs: priority NG_RUN_PRIO, chain on XDP_PASS). Where the
 * kernel refuses freplace programs it falls back to a legacy single-program
 * attach; we detect which one happened and always say so.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "cmds.h"
#include "ntpguard.skel.h"

/* ---- libxdp/libbpf log capture ---------------------------------------- */
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

static bool dispatcher_refused(void)
{
	return strstr(xdp_log, "Falling back") || strstr(xdp_log, "dispatcher");
}

/* ---- inspecting what is attached -------------------------------------- */

/* Is program `id` attached to `ifindex`, and how? Returns true if found. */
static bool find_attached(int ifindex, __u32 id, __u8 *mode, __u8 *path)
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
	if (mode) {
		enum xdp_attach_mode m = xdp_multiprog__attach_mode(mp);

		*mode = m == XDP_MODE_SKB ? NG_MODE_SKB : NG_MODE_NATIVE;
	}
	xdp_multiprog__close(mp);
	return found;
}

/* A non-libxdp program attached directly: we will not replace it. */
static int foreign_legacy_prog(int ifindex, char *name, size_t len, __u32 *id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int ret = 0;

	if (libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp) && (p = xdp_multiprog__main_prog(mp))) {
		snprintf(name, len, "%s", xdp_program__name(p));
		*id = xdp_program__id(p);
		ret = 1;
	}
	xdp_multiprog__close(mp);
	return ret;
}

/* ---- load ------------------------------------------------------------- */

struct attach_result {
	__u32 prog_id;
	__u8 mode;
	__u8 path;
};

/* Size of the rate-cap table, fixed when the maps are first created. */
static __u32 g_max_sources = NG_DEFAULT_MAX_SOURCES;

/* max_entries of a pinned map, 0 if it cannot be read. */
static __u32 pinned_max_entries(const struct ng_paths *paths, const char *name)
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

static int attach_once(const struct ng_paths *paths, int ifindex, __u32 slot,
		       enum xdp_attach_mode mode, struct attach_result *res)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .pin_root_path = paths->pin_dir);
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	struct ntpguard_bpf *skel;
	struct xdp_program *prog;
	int err;

	skel = ntpguard_bpf__open_opts(&oopts);
	if (!skel)
		return -errno;
	skel->rodata->ng_slot = slot;
	bpf_map__set_max_entries(skel->maps.NG_MAP_BUCKETS, g_max_sources);

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
		if (!find_attached(ifindex, res->prog_id, &res->mode, &res->path))
			err = -ENOENT;
	}
	xdp_program__close(prog);
	ntpguard_bpf__destroy(skel);
	return err;
}

static int pick_slot(int ifaces_fd, const struct ng_ifrec *recs, __u64 ns,
		     const char *ifname, int counters_fd)
{
	int slot = ng_ifrec_find(recs, ns, ifname, NG_DIR_INGRESS);
	int oldest = -1;

	if (slot >= 0)
		return slot;       /* same interface again: keep its counters */
	for (int i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (recs[i].state == NG_IF_FREE)
			return i;
		if (recs[i].state == NG_IF_DETACHED &&
		    (oldest < 0 || recs[i].attached_at < recs[oldest].attached_at))
			oldest = i;
	}
	if (oldest < 0) {
		ng_err("all %d attachment slots are in use; unload an interface first",
		       NG_MAX_IFSLOTS);
		return -1;
	}
	/* Recycle the oldest detached record: its counters start over. */
	if (ng_counters_clear(counters_fd, (__u32)oldest))
		return -1;
	(void)ifaces_fd;
	return oldest;
}

static const char *errstr(int err)
{
	static char buf[128];

	libxdp_strerror(err, buf, sizeof(buf));
	return buf;
}

static int load_one(const struct ng_paths *paths, const char *ifname,
		    enum xdp_attach_mode want)
{
	struct ng_ifrec *recs = NULL, rec = {};
	struct attach_result res = {};
	int ifindex, slot, err, ret = -1;
	int ifaces_fd = -1, counters_fd = -1;
	__u64 ns = ng_netns_ino();
	bool fresh = !ng_pins_exist(paths);
	char other[64];
	__u32 other_id;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		ng_err("no such interface: %s", ifname);
		return -1;
	}
	if (strlen(ifname) >= sizeof(rec.ifname)) {
		ng_err("interface name too long: %s", ifname);
		return -1;
	}

	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	if (!recs)
		return -1;
	if (!fresh) {
		ifaces_fd = ng_map_open(paths, NG_STR(NG_MAP_IFACES));
		counters_fd = ng_map_open(paths, NG_STR(NG_MAP_COUNTERS));
		if (ifaces_fd < 0 || counters_fd < 0 ||
		    ng_ifrec_read_all(ifaces_fd, recs))
			goto out;
		slot = ng_ifrec_find(recs, ns, ifname, NG_DIR_INGRESS);
		if (slot >= 0 && recs[slot].state == NG_IF_ATTACHED &&
		    recs[slot].ifindex == (__u32)ifindex &&
		    find_attached(ifindex, recs[slot].prog_id, NULL, NULL)) {
			ng_info("%s: already protected (%s mode, %s attach), prog id %u",
				ifname, ng_mode_name(recs[slot].mode),
				ng_path_name(recs[slot].path), recs[slot].prog_id);
			ret = 0;
			goto out;
		}
	}

	if (foreign_legacy_prog(ifindex, other, sizeof(other), &other_id)) {
		ng_err("%s: another XDP program (%s, id %u) is attached without "
		       "libxdp's dispatcher; ntpguard will not replace it "
		       "(detach it, or load it through libxdp)", ifname, other, other_id);
		goto out;
	}

	if (fresh) {
		slot = 0;
	} else {
		slot = pick_slot(ifaces_fd, recs, ns, ifname, counters_fd);
		if (slot < 0)
			goto out;
	}

	xdp_log[0] = 0;
	if (want == XDP_MODE_UNSPEC) {
		err = attach_once(paths, ifindex, (__u32)slot, XDP_MODE_NATIVE, &res);
		if (err == -EOPNOTSUPP || err == -EINVAL) {
			ng_debug("%s: native XDP failed (%s), trying skb mode",
				 ifname, errstr(err));
			err = attach_once(paths, ifindex, (__u32)slot, XDP_MODE_SKB, &res);
		}
	} else {
		err = attach_once(paths, ifindex, (__u32)slot, want, &res);
	}
	if (err) {
		if (want == XDP_MODE_NATIVE && (err == -EOPNOTSUPP || err == -EINVAL))
			ng_err("%s: the driver has no native XDP support; use "
			       "--mode skb (or omit --mode to fall back automatically)",
			       ifname);
		else if (err == -EEXIST || err == -EBUSY)
			ng_err("%s: another XDP program is attached and cannot be "
			       "combined with ntpguard (%s)", ifname, errstr(err));
		else
			ng_err("%s: attach failed: %s", ifname, errstr(err));
		goto out;
	}

	/* The maps exist now (pinned by libbpf during load). */
	if (ifaces_fd < 0)
		ifaces_fd = ng_map_open(paths, NG_STR(NG_MAP_IFACES));
	if (ifaces_fd < 0)
		goto out;
	snprintf(rec.ifname, sizeof(rec.ifname), "%s", ifname);
	rec.netns_ino = ns;
	rec.attached_at = (__u64)time(NULL);
	rec.ifindex = (__u32)ifindex;
	rec.prog_id = res.prog_id;
	rec.state = NG_IF_ATTACHED;
	rec.mode = res.mode;
	rec.path = res.path;
	rec.direction = NG_DIR_INGRESS;
	{
		__u32 key = (__u32)slot;

		if (bpf_map_update_elem(ifaces_fd, &key, &rec, BPF_ANY)) {
			ng_err("%s: cannot record attachment: %s", ifname, strerror(errno));
			goto out;
		}
	}
	if (res.path == NG_PATH_DISPATCHER)
		ng_info("%s: attached (%s mode, libxdp dispatcher), prog id %u",
			ifname, ng_mode_name(res.mode), res.prog_id);
	else
		ng_info("%s: attached (%s mode, legacy attach: libxdp dispatcher %s), prog id %u",
			ifname, ng_mode_name(res.mode),
			dispatcher_refused() ? "unavailable on this kernel" : "not used",
			res.prog_id);
	ret = 0;
out:
	if (ifaces_fd >= 0)
		close(ifaces_fd);
	if (counters_fd >= 0)
		close(counters_fd);
	free(recs);
	return ret;
}

static const char load_usage[] =
	"ntpguard load [--mode native|skb] [--max-sources N] IFACE...";

static void load_help(void)
{
	printf("usage: %s\n\n"
	       "Attach the ntpguard XDP filter to each interface's ingress.\n"
	       "Uses libxdp's dispatcher (priority %d, continues on XDP_PASS) where\n"
	       "the kernel allows it, otherwise a legacy single-program attach, and\n"
	       "says which. Maps are pinned under $NTPGUARD_BPFFS/ntpguard\n"
	       "(default /sys/fs/bpf/ntpguard). Loading an interface that is already\n"
	       "protected changes nothing.\n\n"
	       "  -m, --mode MODE       native or skb; default: native, falling back to skb\n"
	       "  -s, --max-sources N   size of the rate-cap table (LRU, default %d);\n"
	       "                        fixed while any interface stays loaded\n"
	       "  -h, --help            this help\n", load_usage, NG_RUN_PRIO,
	       NG_DEFAULT_MAX_SOURCES);
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "max-sources", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	struct ng_paths paths;
	unsigned long long max_src = 0;
	__u32 pinned;
	char *end;
	int c, lock, ret = NG_EXIT_OK;

	while ((c = getopt_long(argc, argv, "+m:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			errno = 0;
			max_src = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || optarg[0] == '-' ||
			    max_src < 16 || max_src > (1u << 24))
				return ng_usage_err(load_usage,
					"--max-sources: '%s' is not an integer in 16..%u",
					optarg, 1u << 24);
			break;
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb"))
				mode = XDP_MODE_SKB;
			else
				return ng_usage_err(load_usage,
					"unknown mode '%s' (use native or skb)", optarg);
			break;
		case 'h':
			load_help();
			return NG_EXIT_OK;
		default:
			return ng_usage_err(load_usage, "bad option");
		}
	}
	if (optind >= argc)
		return ng_usage_err(load_usage, "load: no interface given");

	ng_paths_init(&paths);
	if (ng_require_privs(true) || ng_require_btf())
		return NG_EXIT_FAIL;
	for (int i = optind; i < argc; i++)
		if (!if_nametoindex(argv[i])) {
			ng_err("no such interface: %s", argv[i]);
			return NG_EXIT_FAIL;
		}
	if (!ng_is_bpffs(paths.bpffs) && ng_mount_bpffs(paths.bpffs))
		return NG_EXIT_FAIL;
	/* libxdp keeps its dispatcher pins on the same bpffs. */
	setenv("LIBXDP_BPFFS", paths.bpffs, 0);
	libxdp_set_print(capture_xdp_log);

	lock = ng_lock(&paths);
	if (lock < 0)
		return NG_EXIT_FAIL;
	/* Pinned maps are reused only if they match: keep the table's size. */
	pinned = pinned_max_entries(&paths, NG_STR(NG_MAP_BUCKETS));
	if (pinned && max_src && pinned != max_src) {
		ng_err("the rate-cap table already holds up to %u sources; unload "
		       "every interface to resize it", pinned);
		ng_unlock(lock);
		return NG_EXIT_FAIL;
	}
	g_max_sources = pinned ? pinned : max_src ? (__u32)max_src : NG_DEFAULT_MAX_SOURCES;
	for (int i = optind; i < argc; i++)
		if (load_one(&paths, argv[i], mode))
			ret = NG_EXIT_FAIL;
	ng_unlock(lock);
	return ret;
}

/* ---- unload ----------------------------------------------------------- */

static int detach_rec(const struct ng_ifrec *r)
{
	int ifindex = (int)if_nametoindex(r->ifname);
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;
	int err = 0;

	if (!ifindex || (__u32)ifindex != r->ifindex) {
		ng_info("%s: interface is gone; forgetting it", r->ifname);
		return 0;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
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

/* Remove every pin in our directory (only ours live there), then it. */
static void remove_pins(const struct ng_paths *paths)
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
	else
		ng_info("removed pins in %s (nothing attached any more)", paths->pin_dir);
}

static const char unload_usage[] = "ntpguard unload [--keep-maps] IFACE... | --all";

int cmd_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "keep-maps", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool all = false, keep = false, any_attached = false;
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths;
	int c, lock = -1, fd = -1, ret = NG_EXIT_FAIL;
	__u64 ns = ng_netns_ino();

	while ((c = getopt_long(argc, argv, "+akh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'k': keep = true; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Detach ntpguard from interfaces of this network namespace.\n"
			       "Only programs ntpguard attached are touched. Counters of an\n"
			       "unloaded interface are kept while ntpguard stays loaded\n"
			       "elsewhere (and continue if it is loaded again); when nothing\n"
			       "is attached any more, the pins are removed.\n\n"
			       "  -a, --all         every interface of this namespace\n"
			       "  -k, --keep-maps   keep the pins (allow-list, counters)\n"
			       "  -h, --help        this help\n", unload_usage);
			return NG_EXIT_OK;
		default:
			return ng_usage_err(unload_usage, "bad option");
		}
	}
	if (all == (optind < argc))
		return ng_usage_err(unload_usage, all ?
			"unload: give interfaces or --all, not both" :
			"unload: no interface given (or use --all)");

	ng_paths_init(&paths);
	if (ng_require_privs(true) || ng_require_loaded(&paths))
		return NG_EXIT_FAIL;
	libxdp_set_print(capture_xdp_log);
	lock = ng_lock(&paths);
	if (lock < 0)
		return NG_EXIT_FAIL;
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	if (!recs || fd < 0 || ng_ifrec_read_all(fd, recs))
		goto out;

	/* Validate every name first: nothing is changed on a bad argument. */
	for (int i = optind; i < argc; i++) {
		int s = ng_ifrec_find(recs, ns, argv[i], NG_DIR_INGRESS);

		if (s < 0 || recs[s].state != NG_IF_ATTACHED) {
			ng_err("%s: not attached by ntpguard", argv[i]);
			goto out;
		}
	}
	ret = NG_EXIT_OK;
	for (__u32 s = 0; s < NG_MAX_IFSLOTS; s++) {
		struct ng_ifrec *r = &recs[s];
		bool pick = false;

		if (r->state == NG_IF_FREE || r->netns_ino != ns)
			continue;
		if (all)
			pick = true;
		for (int i = optind; i < argc && !pick; i++)
			pick = !strncmp(r->ifname, argv[i], sizeof(r->ifname));
		if (!pick || r->state != NG_IF_ATTACHED)
			continue;
		if (detach_rec(r)) {
			ret = NG_EXIT_FAIL;
			continue;
		}
		r->state = NG_IF_DETACHED;
		r->prog_id = 0;
		if (bpf_map_update_elem(fd, &s, r, BPF_ANY))
			ret = NG_EXIT_FAIL;
	}
	for (int s = 0; s < NG_MAX_IFSLOTS; s++)
		any_attached |= recs[s].state == NG_IF_ATTACHED;
	if (!any_attached && !keep) {
		close(fd);
		fd = -1;
		remove_pins(&paths);
	}
out:
	if (fd >= 0)
		close(fd);
	free(recs);
	ng_unlock(lock);
	return ret;
}

/* ---- status ----------------------------------------------------------- */

static long count_keys(int fd, size_t key_size)
{
	unsigned char cur[64], next[64];
	long n = 0;
	void *prev = NULL;

	if (key_size > sizeof(cur))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, key_size);
		prev = cur;
		n++;
	}
	return n;
}

/* Live state of a record: "attached", "detached", or "gone" (interface
 * vanished or program detached behind ntpguard's back). */
const char *ng_live_state(const struct ng_ifrec *r)
{
	int ifindex;

	if (r->state != NG_IF_ATTACHED)
		return ng_state_name(r->state);
	if (r->netns_ino != ng_netns_ino())
		return "attached";
	ifindex = (int)if_nametoindex(r->ifname);
	if (!ifindex || (__u32)ifindex != r->ifindex ||
	    !find_attached(ifindex, r->prog_id, NULL, NULL))
		return "gone";
	return "attached";
}

static const char status_usage[] = "ntpguard status [--json]";

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ng_ifrec *recs = NULL;
	struct ng_paths paths;
	bool json = false, first = true;
	long n4 = 0, n6 = 0, nb = 0;
	int c, fd = -1, fd4 = -1, fd6 = -1, pfd = -1, sfd = -1, bfd = -1;
	int ret = NG_EXIT_FAIL;
	struct ng_policy pol;
	__u64 ns = ng_netns_ino();

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h':
			printf("usage: %s\n\n"
			       "Show where ntpguard is attached in this network namespace\n"
			       "(mode, dispatcher or legacy attach, program id) and the\n"
			       "allow-list size.\n\n"
			       "  -j, --json   machine-readable output\n"
			       "  -h, --help   this help\n", status_usage);
			return NG_EXIT_OK;
		default:
			return ng_usage_err(status_usage, "bad option");
		}
	}
	if (optind < argc)
		return ng_usage_err(status_usage, "status: unexpected argument '%s'", argv[optind]);

	ng_paths_init(&paths);
	if (ng_require_privs(false) || ng_require_bpffs(&paths))
		return NG_EXIT_FAIL;
	libxdp_set_print(capture_xdp_log);
	if (!ng_pins_exist(&paths)) {
		if (json)
			printf("{\"loaded\": false, \"pin_dir\": \"%s\", \"interfaces\": {}, "
			       "\"allow\": {\"ipv4\": 0, \"ipv6\": 0}}\n", paths.pin_dir);
		else
			printf("ntpguard is not loaded (no pins in %s)\n", paths.pin_dir);
		return NG_EXIT_OK;
	}
	recs = calloc(NG_MAX_IFSLOTS, sizeof(*recs));
	fd = ng_map_open(&paths, NG_STR(NG_MAP_IFACES));
	fd4 = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V4));
	fd6 = ng_map_open(&paths, NG_STR(NG_MAP_ALLOW_V6));
	pfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY));
	sfd = ng_map_open(&paths, NG_STR(NG_MAP_POLICY_SEL));
	bfd = ng_map_open(&paths, NG_STR(NG_MAP_BUCKETS));
	if (!recs || fd < 0 || fd4 < 0 || fd6 < 0 || pfd < 0 || sfd < 0 || bfd < 0 ||
	    ng_ifrec_read_all(fd, recs))
		goto out;
	n4 = count_keys(fd4, sizeof(struct ng_lpm_v4));
	n6 = count_keys(fd6, sizeof(struct ng_lpm_v6));

	if (json) {
		printf("{\"loaded\": true, \"pin_dir\": ");
		ng_json_str(stdout, paths.pin_dir);
		printf(", \"interfaces\": {");
	} else {
		printf("ntpguard: pins in %s\n", paths.pin_dir);
		printf("%-16s %-9s %-7s %-10s %-8s %s\n", "INTERFACE", "STATE",
		       "MODE", "ATTACH", "DIR", "PROG ID");
	}
	for (int s = 0; s < NG_MAX_IFSLOTS; s++) {
		const struct ng_ifrec *r = &recs[s];

		if (r->state == NG_IF_FREE || r->netns_ino != ns)
			continue;
		if (json) {
			printf("%s", first ? "" : ", ");
			ng_json_str(stdout, r->ifname);
			printf(": {\"ifindex\": %u, \"state\": \"%s\", \"mode\": \"%s\", "
			       "\"attach\": \"%s\", \"direction\": \"%s\", \"prog_id\": %u}",
			       r->ifindex, ng_live_state(r), ng_mode_name(r->mode),
			       ng_path_name(r->path), ng_dir_name(r->direction), r->prog_id);
		} else {
			printf("%-16s %-9s %-7s %-10s %-8s %u\n", r->ifname,
			       ng_live_state(r), ng_mode_name(r->mode),
			       ng_path_name(r->path), ng_dir_name(r->direction), r->prog_id);
		}
		first = false;
	}
	if (ng_policy_read(pfd, sfd, &pol, NULL))
		goto out;
	nb = count_keys(bfd, sizeof(struct ng_bkey));
	if (json) {
		printf("}, \"allow\": {\"ipv4\": %ld, \"ipv6\": %ld}, "
		       "\"rate_table\": {\"entries\": %ld, \"capacity\": %u}, \"policy\": ",
		       n4, n6, nb, pinned_max_entries(&paths, NG_STR(NG_MAP_BUCKETS)));
		ng_policy_print(stdout, &pol, true);
		printf("}\n");
	} else {
		printf("allow-list: %ld IPv4 prefix(es), %ld IPv6 prefix(es)\n", n4, n6);
		printf("rate-cap table: %ld of %u sources tracked\n", nb,
		       pinned_max_entries(&paths, NG_STR(NG_MAP_BUCKETS)));
		printf("policy%s:\n", pol.monitor ? " (MONITOR MODE: nothing is dropped)" : "");
		ng_policy_print(stdout, &pol, false);
	}
	ret = NG_EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	if (pfd >= 0)
		close(pfd);
	if (sfd >= 0)
		close(sfd);
	if (bfd >= 0)
		close(bfd);
	free(recs);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching and detaching (load, unload, watch).
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
#include <errno.h>
#include <dirent.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "hook.h"
#include "layout.h"
#include "state.h"
#include "attach.h"
#include "ntpguard.skel.h"

/* ---- the verifier's verdict on a rejected program ------------------------ */

/* libbpf prints a rejected program's verifier log as one warning,
 * "prog 'NAME': -- BEGIN PROG LOAD LOG --\n...-- END PROG LOAD LOG --";
 * the last one is kept here (reset before each attach). */
static char *verifier_log;
static libbpf_print_fn_t next_libbpf_print;

/* next_libbpf_print with arguments instead of a va_list */
static int print_next(enum libbpf_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int print_next(enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = next_libbpf_print(level, fmt, ap);
	va_end(ap);
	return n;
}

static int capture_libbpf_log(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	va_list cp;
	char *msg;
	int n;

	if (strstr(fmt, "BEGIN PROG LOAD LOG")) {
		va_copy(cp, ap);
		n = vasprintf(&msg, fmt, cp);
		va_end(cp);
		if (n >= 0) {
			/* The log is what the kernel wrote into libbpf's buffer
			 * during a BPF_PROG_LOAD that failed; valgrind marks that
			 * buffer written only when the command succeeds. */
			NG_KERNEL_FILLED(msg, (size_t)n + 1);
			free(verifier_log);
			verifier_log = msg;
			return next_libbpf_print ? print_next(level, "%s", msg) : 0;
		}
	}
	return next_libbpf_print ? next_libbpf_print(level, fmt, ap) : 0;
}

/*
 * If the kernel's verifier refused the program, say so in one line: the
 * kernel release, the program, the log's last meaningful line (the error;
 * statistics lines skipped) and where the whole log is. Returns false when
 * no verifier log was captured (the failure was something else).
 */
static bool report_rejected(const char *ifname, const char *what)
{
	static const char *const stats[] = { "processed ", "verification time",
					     "stack depth", "-- END PROG LOAD LOG" };
	char prog[64] = "the program", last[512] = "", path[] = "/tmp/ntpguard-verifier.XXXXXX";
	const char *body, *l, *nl;
	struct utsname u;
	bool saved = false;
	int fd;

	if (!verifier_log || !(body = strstr(verifier_log, "-- BEGIN PROG LOAD LOG --\n")))
		return false;
	if ((l = strstr(verifier_log, "prog '")))
		sscanf(l, "prog '%63[^']'", prog);
	body += strlen("-- BEGIN PROG LOAD LOG --\n");
	for (l = body; *l; l = nl + 1) {
		bool skip = false;
		size_t len;

		nl = strchrnul(l, '\n');
		len = (size_t)(nl - l);
		for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
			skip |= !strncmp(l, stats[i], strlen(stats[i]));
		if (len && !skip)
			snprintf(last, sizeof(last), "%.*s", (int)len, l);
		if (!*nl)
			break;
	}
	fd = mkstemp(path);
	if (fd >= 0) {
		size_t n = strlen(body);

		saved = write(fd, body, n) == (ssize_t)n;
		close(fd);
		if (!saved)
			unlink(path);
	}
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	ng_err("%s%s: the kernel's verifier (Linux %s) rejected %s: %s (whole log: %s%s'ntpguard -v load %s')",
	       ifname, what, u.release, prog, last[0] ? last : "(no message)",
	       saved ? path : "", saved ? ", or " : "", ifname);
	return true;
}

void ng_attach_init(void)
{
	static bool done;

	ng_hook_init();
	if (!done)
		next_libbpf_print = libbpf_set_print(capture_libbpf_log);
	done = true;
}

/* ---- instances of the BPF object -------------------------------------- */

/* Size of the rate-cap and reflector tables, fixed when the maps are
 * first created. */
static __u32 g_max_sources = NG_DEFAULT_MAX_SOURCES;
static __u32 g_max_reflectors = NG_DEFAULT_MAX_REFLECTORS;

/* bpf_ktime_get_coarse_ns() came with Linux 5.11; before, the program's
 * reflector stamps use bpf_ktime_get_ns() (ng_coarse_clock = 0, so the
 * verifier never sees the unknown helper). */
static bool have_coarse_clock(void)
{
	static int have = -1;

	if (have < 0)
		have = libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_ktime_get_coarse_ns,
					       NULL) == 1;
	return have;
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
	skel->rodata->ng_coarse_clock = have_coarse_clock();
	bpf_map__set_max_entries(skel->maps.NG_MAP_BUCKETS, g_max_sources);
	bpf_map__set_max_entries(skel->maps.NG_MAP_REFLECTORS, g_max_reflectors);
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
		if (!ng_xdp_find(ifindex, res->prog_id, &res->mode, &res->path))
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
		if (created && ng_tc_filter_count(ifindex) == 0) {
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

/* ---- records ------------------------------------------------------------ */

/* The attachment records, read once; the maps they need stay open. */
struct ng_records {
	struct ng_state st;
	struct ng_ifrec recs[NG_MAX_IFSLOTS];
};

static void records_free(struct ng_records *r)
{
	if (r)
		ng_state_close(&r->st);
	free(r);
}

/* NULL: said why. */
static struct ng_records *records_load(const struct ng_paths *paths)
{
	struct ng_records *r = calloc(1, sizeof(*r));

	if (!r) {
		ng_err("out of memory");
		return NULL;
	}
	if (ng_state_open(&r->st, paths, NG_MAPS_IFACES | NG_MAPS_COUNTERS | NG_MAPS_REFLECTORS,
			  false) ||
	    ng_state_records(&r->st, r->recs)) {
		records_free(r);
		return NULL;
	}
	return r;
}

static int record_write(struct ng_records *r, __u32 slot)
{
	return ng_state_record_write(&r->st, slot, &r->recs[slot]);
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
	if (ng_state_counters_clear(&r->st, (__u32)oldest))
		return -1;
	return oldest;
}

/* ---- programs an interrupted load left unrecorded ------------------------ */

/* Does program `id` use map `map_id`? */
static bool prog_uses_map(__u32 id, __u32 map_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[32] = { 0 };
	bool found = false;
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return false;
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)ids;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (__u32 i = 0; i < info.nr_map_ids && i < 32; i++)
			found |= ids[i] == map_id;
	close(fd);
	return found;
}

/*
 * A load killed between attaching its program and writing the attachment
 * record leaves ntpguard's program attached with nothing pointing at it:
 * find such a program on ifindex (dir), known by the pinned maps it uses
 * (legacy XDP, a dispatcher's component, or the TC filter at ntpguard's
 * handle). Its id, 0 if there is none.
 */
static __u32 find_unrecorded(const struct ng_paths *paths, int ifindex, __u8 dir)
{
	__u32 counters = ng_pinned_map_id(paths, NG_STR(NG_MAP_COUNTERS)), id = 0;
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;

	if (!counters)
		return 0;
	if (dir == NG_DIR_EGRESS) {
		id = ng_tc_prog(ifindex);
		return id && prog_uses_map(id, counters) ? id : 0;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && prog_uses_map(xdp_program__id(p), counters))
			id = xdp_program__id(p);
	} else {
		while (!id && (p = xdp_multiprog__next_prog(p, mp)))
			if (prog_uses_map(xdp_program__id(p), counters))
				id = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return id;
}

static int record_attach(const struct ng_paths *paths, struct ng_records **rp, int slot,
			 const char *ifname, int ifindex, __u8 dir,
			 const struct attach_result *res);

/* Record such a program in slot, and say so; 1 if there was one. */
static int adopt_unrecorded(const struct ng_paths *paths, struct ng_records **rp,
			    const char *ifname, int ifindex, __u8 dir, int slot)
{
	struct attach_result res = { .prog_id = find_unrecorded(paths, ifindex, dir) };

	if (!res.prog_id)
		return 0;
	if (dir == NG_DIR_EGRESS) {
		res.mode = NG_MODE_TC;
		res.path = NG_PATH_TC;
		/* whether that load created the clsact qdisc is not known:
		 * unload keeps it */
	} else if (!ng_xdp_find(ifindex, res.prog_id, &res.mode, &res.path)) {
		return 0;
	}
	if (record_attach(paths, rp, slot, ifname, ifindex, dir, &res))
		return 0;
	ng_info("%s%s: found ntpguard's program (prog id %u) attached without its "
		"record, left by an interrupted load: recorded it", ifname,
		dir == NG_DIR_EGRESS ? " egress" : "", res.prog_id);
	return 1;
}

void ng_adopt_unrecorded(const struct ng_paths *paths, char **names, int n)
{
	struct if_nameindex *all = names ? NULL : if_nameindex();
	struct ng_records *r = records_load(paths);
	__u64 ns = ng_netns_ino();

	if (!r || (!names && !all))
		goto out;
	for (int i = 0; names ? i < n : all[i].if_index != 0; i++) {
		const char *ifname = names ? names[i] : all[i].if_name;
		int ifindex = (int)if_nametoindex(ifname);

		for (__u8 dir = NG_DIR_INGRESS; ifindex && dir <= NG_DIR_EGRESS; dir++) {
			int slot = ng_ifrec_find(r->recs, ns, ifname, dir);

			if (slot >= 0 && ng_rec_live(&r->recs[slot]))
				continue;
			if (!find_unrecorded(paths, ifindex, dir))
				continue;
			slot = pick_slot(r, ns, ifname, dir);
			if (slot >= 0)
				adopt_unrecorded(paths, &r, ifname, ifindex, dir, slot);
		}
	}
out:
	if (all)
		if_freenameindex(all);
	records_free(r);
}

/* ---- load ---------------------------------------------------------------- */

static const char *dir_text(__u8 dir)
{
	return dir == NG_DIR_EGRESS ? " egress" : "";
}

/* The slot of (ifname, dir), with the records read into *rp (none before
 * the first attachment creates the maps); *live if our program is attached
 * there now; -1 on error (said). */
static int find_slot(const struct ng_paths *paths, struct ng_records **rp,
		     const char *ifname, __u8 dir, bool *live)
{
	__u64 ns = ng_netns_ino();
	int slot;

	*rp = NULL;
	*live = false;
	if (!ng_pins_exist(paths))
		return 0;
	*rp = records_load(paths);
	if (!*rp)
		return -1;
	slot = ng_ifrec_find((*rp)->recs, ns, ifname, dir);
	if (slot < 0 || !ng_rec_live(&(*rp)->recs[slot]))
		return pick_slot(*rp, ns, ifname, dir);
	*live = true;
	return slot;
}

/* Load and attach the program for dir; 0 or a negative error. */
static int attach_prog(const struct ng_paths *paths, const char *ifname, int ifindex,
		       __u32 slot, __u8 dir, enum xdp_attach_mode want,
		       struct attach_result *res)
{
	int err;

	if (dir == NG_DIR_EGRESS)
		return tc_attach(paths, ifindex, slot, res);
	if (want != XDP_MODE_UNSPEC)
		return xdp_attach_once(paths, ifindex, slot, want, res);
	err = xdp_attach_once(paths, ifindex, slot, XDP_MODE_NATIVE, res);
	if (err == -EOPNOTSUPP || err == -EINVAL) {
		ng_debug("%s: native XDP failed (%s), trying skb mode", ifname,
			 ng_hook_errstr(err));
		err = xdp_attach_once(paths, ifindex, slot, XDP_MODE_SKB, res);
	}
	return err;
}

static void attach_failed(const char *ifname, __u8 dir, enum xdp_attach_mode want, int err)
{
	if (report_rejected(ifname, dir_text(dir)))
		return;
	if (dir == NG_DIR_EGRESS && err == -EEXIST)
		ng_err("%s: another TC filter holds ntpguard's handle/priority "
		       "(0x%x/0x%x) on egress", ifname, NG_TC_HANDLE, NG_TC_PRIO);
	else if (dir == NG_DIR_INGRESS && want == XDP_MODE_NATIVE &&
		 (err == -EOPNOTSUPP || err == -EINVAL))
		ng_err("%s: the driver has no native XDP support; use "
		       "--mode skb (or omit --mode to fall back automatically)", ifname);
	else if (dir == NG_DIR_INGRESS && (err == -EEXIST || err == -EBUSY))
		ng_err("%s: another XDP program is attached and cannot be "
		       "combined with ntpguard (%s)", ifname, ng_hook_errstr(err));
	else
		ng_err("%s%s: attach failed: %s", ifname, dir_text(dir), ng_hook_errstr(err));
}

/* Attach to the hook, or say why not; 0 or -1. */
static int attach_hook(const struct ng_paths *paths, const char *ifname, int ifindex,
		       __u32 slot, __u8 dir, enum xdp_attach_mode want,
		       struct attach_result *res)
{
	char other[64];
	__u32 other_id;
	int err;

	if (dir == NG_DIR_INGRESS &&
	    ng_xdp_foreign_legacy(ifindex, other, sizeof(other), &other_id)) {
		ng_err("%s: another XDP program (%s, id %u) is attached without "
		       "libxdp's dispatcher; ntpguard will not replace it "
		       "(detach it, or load it through libxdp)", ifname, other, other_id);
		return -1;
	}
	ng_hook_log_reset();
	free(verifier_log);
	verifier_log = NULL;
	err = attach_prog(paths, ifname, ifindex, slot, dir, want, res);
	if (err)
		attach_failed(ifname, dir, want, err);
	return err ? -1 : 0;
}

/* Record what was attached in slot (the maps exist now: libbpf pinned
 * them during the load). */
static int record_attach(const struct ng_paths *paths, struct ng_records **rp, int slot,
			 const char *ifname, int ifindex, __u8 dir,
			 const struct attach_result *res)
{
	struct ng_ifrec *x;

	if (!*rp && !(*rp = records_load(paths)))
		return -1;
	x = &(*rp)->recs[slot];
	*x = (struct ng_ifrec){
		.netns_ino = ng_netns_ino(), .attached_at = (__u64)time(NULL),
		.ifindex = (__u32)ifindex, .prog_id = res->prog_id,
		.state = NG_IF_ATTACHED, .mode = res->mode, .path = res->path,
		.direction = dir, .flags = res->flags, .build = ng_build_id(),
	};
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	if (ng_layout_stamp(paths))     /* the first load created the maps */
		return -1;
	return record_write(*rp, (__u32)slot);
}

static void say_attached(const char *ifname, __u8 dir, const struct attach_result *res)
{
	if (dir == NG_DIR_EGRESS)
		ng_info("%s egress: attached (TC clsact egress), prog id %u",
			ifname, res->prog_id);
	else if (res->path == NG_PATH_DISPATCHER)
		ng_info("%s: attached (%s mode, libxdp dispatcher), prog id %u",
			ifname, ng_mode_name(res->mode), res->prog_id);
	else
		ng_info("%s: attached (%s mode, legacy attach: libxdp dispatcher %s), prog id %u",
			ifname, ng_mode_name(res->mode),
			ng_hook_dispatcher_refused() ? "unavailable on this kernel" : "not used",
			res->prog_id);
}

/* ---- replacing an older build ------------------------------------------- */

/* Load this build's program for slot/dir; its fd (owned by *skelp). */
static int load_instance(const struct ng_paths *paths, __u32 slot, __u8 dir,
			 struct ntpguard_bpf **skelp)
{
	struct ntpguard_bpf *skel = open_instance(paths, slot, dir);
	int err;

	*skelp = skel;
	if (!skel)
		return -errno;
	err = ntpguard_bpf__load(skel);
	if (err)
		return err;
	return bpf_program__fd(dir == NG_DIR_EGRESS ? skel->progs.NG_PROG_TC :
						       skel->progs.NG_PROG_XDP);
}

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* TC: the filter on our handle/priority gets the new program in place. */
static int tc_replace(const struct ng_paths *paths, const struct ng_ifrec *x, __u32 slot,
		      struct attach_result *res)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)x->ifindex,
			    .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NG_TC_HANDLE,
			    .priority = NG_TC_PRIO, .flags = BPF_TC_F_REPLACE);
	struct ntpguard_bpf *skel;
	int fd = load_instance(paths, slot, NG_DIR_EGRESS, &skel), err = fd;

	if (fd >= 0) {
		opts.prog_fd = fd;
		err = bpf_tc_attach(&hook, &opts);
		res->prog_id = opts.prog_id;
	}
	ntpguard_bpf__destroy(skel);
	return err;
}

/* Legacy XDP: the kernel swaps the program if the old one is still there. */
static int xdp_legacy_replace(const struct ng_paths *paths, const struct ng_ifrec *x,
			      __u32 slot, struct attach_result *res)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct ntpguard_bpf *skel;
	int fd = load_instance(paths, slot, NG_DIR_INGRESS, &skel), err = fd, old;
	__u32 flags = XDP_FLAGS_REPLACE |
		      (x->mode == NG_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	if (fd >= 0) {
		old = bpf_prog_get_fd_by_id(x->prog_id);
		err = old < 0 ? -errno : 0;
		if (!err) {
			opts.old_prog_fd = old;
			err = bpf_xdp_attach((int)x->ifindex, fd, flags, &opts);
			close(old);
		}
		res->prog_id = prog_id_of(fd);
	}
	ntpguard_bpf__destroy(skel);
	return err;
}

/* libxdp's dispatcher: add this build, then remove the old program. Both
 * steps replace the dispatcher atomically; in between both run (the old
 * one first: same priority and name, loaded first), so a frame passed by
 * both is counted twice for those few milliseconds, and none is unjudged. */
static int xdp_dispatcher_replace(const struct ng_paths *paths, const struct ng_ifrec *x,
				  __u32 slot, struct attach_result *res)
{
	enum xdp_attach_mode mode = x->mode == NG_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	struct xdp_program *p = NULL;
	struct xdp_multiprog *mp;
	int err = xdp_attach_once(paths, (int)x->ifindex, slot, mode, res);

	if (err)
		return err;
	if (res->path != NG_PATH_DISPATCHER)
		return -EXDEV;  /* cannot happen: the old one was in a dispatcher */
	mp = xdp_multiprog__get_from_ifindex((int)x->ifindex);
	err = libxdp_get_error(mp);
	if (!err) {
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (xdp_program__id(p) == x->prog_id)
				break;
		if (p)
			err = xdp_program__detach(p, (int)x->ifindex,
						  xdp_multiprog__attach_mode(mp), 0);
		xdp_multiprog__close(mp);
	}
	if (err)
		ng_err("%s: this build was added to the dispatcher (prog id %u), but the older "
		       "program (prog id %u) could not be removed: %s; both filter until "
		       "`ntpguard apply` or `load` runs again", x->ifname, res->prog_id,
		       x->prog_id, ng_hook_errstr(err));
	return 0;       /* the new one is attached and recorded either way */
}

static const char *replace_how(const struct ng_ifrec *x)
{
	return x->direction == NG_DIR_EGRESS ? "TC filter replaced in place" :
	       x->path == NG_PATH_DISPATCHER ? "libxdp dispatcher: added, older one removed" :
					       "kernel XDP replace";
}

/* Replace the live program of record slot by this build, atomically. */
static int upgrade_rec(const struct ng_paths *paths, struct ng_records *r, int slot)
{
	struct ng_ifrec *x = &r->recs[slot];
	struct attach_result res = { .mode = x->mode, .path = x->path };
	__u32 old = x->prog_id;
	int err;

	ng_hook_log_reset();
	if (x->direction == NG_DIR_EGRESS)
		err = tc_replace(paths, x, (__u32)slot, &res);
	else if (x->path == NG_PATH_DISPATCHER)
		err = xdp_dispatcher_replace(paths, x, (__u32)slot, &res);
	else
		err = xdp_legacy_replace(paths, x, (__u32)slot, &res);
	if (!err && !res.prog_id)
		err = -ENOENT;
	if (err) {
		ng_err("%s%s: cannot replace the program (prog id %u) by this build: %s; "
		       "the older one stays attached", x->ifname, dir_text(x->direction),
		       old, ng_hook_errstr(err));
		return -1;
	}
	x->prog_id = res.prog_id;
	x->build = ng_build_id();
	if (record_write(r, (__u32)slot))
		return -1;
	ng_info("%s%s: program replaced by this build (%s), prog id %u -> %u",
		x->ifname, dir_text(x->direction), replace_how(x), old, x->prog_id);
	return 0;
}

static int attach_dir(const struct ng_paths *paths, const char *ifname, int ifindex,
		      __u8 dir, enum xdp_attach_mode want, bool replace)
{
	struct attach_result res = {};
	struct ng_records *r;
	bool live;
	int slot = find_slot(paths, &r, ifname, dir, &live), ret = -1;
	const struct ng_ifrec *x = slot >= 0 && r ? &r->recs[slot] : NULL;

	if (slot >= 0 && live && (x->build == ng_build_id() || !replace)) {
		ng_info("%s%s: already protected (%s mode, %s attach), prog id %u%s", ifname,
			dir_text(dir), ng_mode_name(x->mode), ng_path_name(x->path),
			x->prog_id, x->build == ng_build_id() ? "" : ", another build");
		ret = 0;
	} else if (slot >= 0 && live) {
		ret = upgrade_rec(paths, r, slot);
	} else if (slot >= 0 && r && adopt_unrecorded(paths, &r, ifname, ifindex, dir, slot)) {
		/* Our own program, attached by a load that was killed before
		 * it recorded it: recorded now (and said) instead of refused
		 * as foreign or attached a second time. */
		ret = 0;
	} else if (slot >= 0 &&
		   !attach_hook(paths, ifname, ifindex, (__u32)slot, dir, want, &res) &&
		   !record_attach(paths, &r, slot, ifname, ifindex, dir, &res)) {
		say_attached(ifname, dir, &res);
		ret = 0;
	}
	records_free(r);
	return ret;
}

static void remove_pins_if_unused(const struct ng_paths *paths, bool quiet);

int ng_load_iface(const struct ng_paths *paths, const char *ifname,
		  enum xdp_attach_mode mode, unsigned dirs, bool replace)
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
	bool dir_existed = access(paths->pin_dir, F_OK) == 0;
	int ret = 0;

	if (((dirs & NG_WANT_INGRESS) &&
	     attach_dir(paths, ifname, ifindex, NG_DIR_INGRESS, mode, replace)) ||
	    ((dirs & NG_WANT_EGRESS) &&
	     attach_dir(paths, ifname, ifindex, NG_DIR_EGRESS, mode, replace)))
		ret = -1;
	/* A refused first load leaves no pins behind; but if one direction
	 * got attached, its records and maps must stay, or it could never be
	 * unloaded. */
	if (ret && !existed && ng_pins_exist(paths))
		remove_pins_if_unused(paths, true);
	/* libbpf created the pin directory for maps it unpinned again. */
	if (ret && !dir_existed)
		rmdir(paths->pin_dir);
	return ret;
}

/* Common preparation of commands that attach: privileges, BTF, bpffs,
 * table size; returns the lock fd or -1. */
int ng_attach_prepare(const struct ng_paths *paths, __u32 max_sources)
{
	struct ng_layout layout;
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
	/* Pins of a layout this binary cannot use are left alone; an older
	 * one it knows is brought up to date before anything else. */
	if (ng_layout_read(paths, &layout) || !layout.usable) {
		ng_err("%s", layout.why);
		ng_unlock(lock);
		return -1;
	}
	if (ng_layout_migrate(paths, &layout)) {
		ng_unlock(lock);
		return -1;
	}
	/* Pinned maps are reused only if they match: keep the table's size. */
	pinned = ng_pinned_max_entries(paths, NG_STR(NG_MAP_BUCKETS));
	if (pinned && max_sources && pinned != max_sources) {
		ng_err("the rate-cap table already holds up to %u sources; unload "
		       "every interface to resize it", pinned);
		ng_unlock(lock);
		return -1;
	}
	g_max_sources = pinned ? pinned : max_sources ? max_sources : NG_DEFAULT_MAX_SOURCES;
	pinned = ng_pinned_max_entries(paths, NG_STR(NG_MAP_REFLECTORS));
	g_max_reflectors = pinned ? pinned : NG_DEFAULT_MAX_REFLECTORS;
	return lock;
}

int ng_attach_max_reflectors(const struct ng_paths *paths, __u32 n)
{
	__u32 pinned = ng_pinned_max_entries(paths, NG_STR(NG_MAP_REFLECTORS));

	if (pinned && n && pinned != n) {
		ng_err("the reflector table already holds up to %u records; unload "
		       "every interface to resize it", pinned);
		return -1;
	}
	if (n)
		g_max_reflectors = n;
	return 0;
}

int ng_create_maps(const struct ng_paths *paths)
{
	struct ntpguard_bpf *skel;
	int err;

	if (ng_pins_exist(paths))
		return 0;
	skel = open_instance(paths, 0, NG_DIR_INGRESS);
	if (!skel) {
		ng_err("cannot open ntpguard's BPF object: %s", strerror(errno));
		return -1;
	}
	bpf_program__set_autoload(skel->progs.NG_PROG_XDP, false);
	bpf_program__set_autoload(skel->progs.NG_PROG_TC, false);
	err = ntpguard_bpf__load(skel);       /* creates and pins the maps */
	ntpguard_bpf__destroy(skel);
	if (err) {
		ng_err("cannot create ntpguard's maps in %s: %s", paths->pin_dir,
		       strerror(-err));
		return -1;
	}
	if (ng_layout_stamp(paths))
		return -1;
	ng_info("created ntpguard's maps in %s (no interface attached yet)", paths->pin_dir);
	return 0;
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

	if (ng_tc_prog(ifindex) != r->prog_id) {
		ng_info("%s egress: ntpguard's filter was no longer attached", r->ifname);
		return 0;
	}
	err = bpf_tc_detach(&hook, &opts);
	if (err) {
		ng_err("%s egress: detach failed: %s", r->ifname, strerror(-err));
		return -1;
	}
	if ((r->flags & NG_IFF_CREATED_QDISC) && ng_tc_filter_count(ifindex) == 0) {
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
		ng_err("%s: detach failed: %s", r->ifname, ng_hook_errstr(err));
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

int ng_unload_partial_pins(const struct ng_paths *paths)
{
	int lock, n = 0;
	DIR *d;
	struct dirent *e;

	if (ng_pins_exist(paths) || !ng_is_bpffs(paths->bpffs) ||
	    access(paths->pin_dir, F_OK))
		return -1;
	lock = ng_lock(paths);
	if (lock < 0)
		return NG_EXIT_FAIL;
	if (ng_pins_exist(paths)) {     /* a load finished meanwhile */
		ng_unlock(lock);
		return -1;
	}
	d = opendir(paths->pin_dir);
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	remove_pins(paths, true);
	ng_info("removed %d pins left in %s by an interrupted load (no interface was "
		"attached)", n, paths->pin_dir);
	ng_unlock(lock);
	return NG_EXIT_OK;
}

/* When no record is attached any more, remove the pins. Caller holds the lock. */
void ng_remove_pins_if_unused(const struct ng_paths *paths)
{
	remove_pins_if_unused(paths, false);
}

static void remove_pins_if_unused(const struct ng_paths *paths, bool quiet)
{
	struct ng_records *r = records_load(paths);
	bool any_attached = false;

	if (!r)
		return;
	for (int s = 0; s < NG_MAX_IFSLOTS; s++)
		any_attached |= r->recs[s].state == NG_IF_ATTACHED;
	records_free(r);        /* closed before the pins go */
	if (!any_attached)
		remove_pins(paths, quiet);
}

/*
 * Detach every record of this namespace matching `pick` (an interface name,
 * or NULL for all) in the directions of `dirs`; keeps their counters.
 * Caller holds the lock.
 */
int ng_unload_iface(const struct ng_paths *paths, const char *pick, unsigned dirs)
{
	struct ng_records *r = records_load(paths);
	__u64 ns = ng_netns_ino();
	int ret = 0;

	if (!r)
		return -1;
	for (__u32 s = 0; s < NG_MAX_IFSLOTS; s++) {
		struct ng_ifrec *x = &r->recs[s];

		if (x->state == NG_IF_FREE || x->netns_ino != ns ||
		    !(dirs & (1u << x->direction)) ||
		    (pick && strncmp(x->ifname, pick, sizeof(x->ifname))))
			continue;
		if (x->state == NG_IF_DETACHED) {
			/* Unloading what is already detached (by an earlier
			 * unload, or because the interface vanished) forgets
			 * it: record and counters. */
			if (ng_state_counters_clear(&r->st, s))
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
	records_free(r);
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
	struct ng_records *r = records_load(paths);
	__u64 ns = ng_netns_ino();
	char name[IF_NAMESIZE];
	int n = 0;

	if (!r)
		return -1;
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
	records_free(r);
	return n;
}

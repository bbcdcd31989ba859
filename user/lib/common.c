// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared userspace plumbing: messages, paths, privileges, locking, maps. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int ng_verbose;

static void vmsg(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void ng_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stderr, "ntpguard: ", fmt, ap);
	va_end(ap);
}

void ng_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(stdout, "", fmt, ap);
	va_end(ap);
}

void ng_debug(const char *fmt, ...)
{
	va_list ap;

	if (!ng_verbose)
		return;
	va_start(ap, fmt);
	vmsg(stderr, "ntpguard: debug: ", fmt, ap);
	va_end(ap);
}



void ng_paths_init(struct ng_paths *p)
{
	const char *root = getenv("NTPGUARD_BPFFS");

	if (!root || !*root)
		root = "/sys/fs/bpf";
	snprintf(p->bpffs, sizeof(p->bpffs), "%s", root);
	snprintf(p->pin_dir, sizeof(p->pin_dir), "%s/%s", root, NG_PIN_SUBDIR);
}

bool ng_is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int ng_mount_bpffs(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		ng_err("cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	if (mount("bpf", path, "bpf", 0, "mode=0700")) {
		ng_err("bpffs is not mounted at %s and mounting it failed: %s "
		       "(try: mount -t bpf bpf %s)", path, strerror(errno), path);
		return -errno;
	}
	ng_info("mounted bpffs at %s (it was not mounted)", path);
	return 0;
}

bool ng_pins_exist(const struct ng_paths *p)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", p->pin_dir, NG_STR(NG_MAP_IFACES));
	return access(path, F_OK) == 0;
}

static bool have_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap >> 5].effective & (1u << (cap & 31));
}

int ng_require_privs(bool need_net_admin)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	bool bpf_ok, net_ok;

	if (syscall(SYS_capget, &h, d)) {
		ng_err("cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	bpf_ok = have_cap(d, CAP_SYS_ADMIN) || have_cap(d, CAP_BPF);
	net_ok = have_cap(d, CAP_NET_ADMIN);
	if (bpf_ok && (net_ok || !need_net_admin))
		return 0;
	ng_err("permission denied: run as root (needs CAP_BPF or CAP_SYS_ADMIN%s)",
	       need_net_admin ? ", and CAP_NET_ADMIN" : "");
	return -1;
}

int ng_require_bpffs(const struct ng_paths *p)
{
	if (ng_is_bpffs(p->bpffs))
		return 0;
	ng_err("bpffs is not mounted at %s, so ntpguard cannot be loaded there "
	       "(`ntpguard load` mounts it; or: mount -t bpf bpf %s)",
	       p->bpffs, p->bpffs);
	return -1;
}

int ng_require_loaded(const struct ng_paths *p)
{
	if (ng_require_bpffs(p))
		return -1;
	if (ng_pins_exist(p))
		return 0;
	ng_err("ntpguard is not loaded (no pins in %s); run `ntpguard load IFACE` first",
	       p->pin_dir);
	return -1;
}

int ng_require_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	ng_err("kernel without BTF (/sys/kernel/btf/vmlinux is missing): "
	       "ntpguard needs a kernel built with CONFIG_DEBUG_INFO_BTF=y "
	       "(Debian's kernels are)");
	return -1;
}

int ng_lock(const struct ng_paths *p)
{
	int fd = open(p->bpffs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		ng_err("cannot open %s: %s", p->bpffs, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX)) {
		ng_err("cannot lock %s: %s", p->bpffs, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void ng_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

int ng_map_open(const struct ng_paths *p, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		ng_err("cannot open pinned map %s: %s", path, strerror(errno));
	}
	return fd;
}

__u64 ng_netns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

int ng_ifrec_read_all(int fd, struct ng_ifrec *recs)
{
	for (__u32 i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &recs[i])) {
			ng_err("cannot read attachment record %u: %s", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int ng_ifrec_find(const struct ng_ifrec *recs, __u64 ns, const char *ifname,
		  __u8 dir)
{
	for (int i = 0; i < NG_MAX_IFSLOTS; i++) {
		if (recs[i].state != NG_IF_FREE && recs[i].netns_ino == ns &&
		    recs[i].direction == dir &&
		    strncmp(recs[i].ifname, ifname, sizeof(recs[i].ifname)) == 0)
			return i;
	}
	return -1;
}

const char *ng_mode_name(__u8 mode)
{
	return mode == NG_MODE_NATIVE ? "native" : mode == NG_MODE_SKB ? "skb" :
	       mode == NG_MODE_TC ? "tc" : "none";
}

const char *ng_path_name(__u8 path)
{
	return path == NG_PATH_DISPATCHER ? "dispatcher" :
	       path == NG_PATH_LEGACY ? "legacy" : path == NG_PATH_TC ? "tc" : "none";
}

const char *ng_state_name(__u8 state)
{
	return state == NG_IF_ATTACHED ? "attached" :
	       state == NG_IF_DETACHED ? "detached" : "free";
}

const char *ng_dir_name(__u8 dir)
{
	return dir == NG_DIR_EGRESS ? "egress" : "ingress";
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int ng_counters_read(int fd, __u32 slot, struct ng_counter real[NG_R__COUNT],
		     struct ng_counter would[NG_R__COUNT])
{
	int n = ncpus();
	struct ng_counter *v;

	if (n <= 0)
		return -1;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return -1;
	for (__u32 i = 0; i < 2 * NG_R__COUNT; i++) {
		__u32 r = i % NG_R__COUNT;
		struct ng_counter *out = i < NG_R__COUNT ? &real[r] : &would[r];
		__u32 key = i < NG_R__COUNT ? NG_COUNTER_KEY(slot, r) :
					      NG_COUNTER_WOULD_KEY(slot, r);

		out->packets = out->bytes = 0;
		if (bpf_map_lookup_elem(fd, &key, v)) {
			ng_err("cannot read counters: %s", strerror(errno));
			free(v);
			return -1;
		}
		for (int c = 0; c < n; c++) {
			out->packets += v[c].packets;
			out->bytes += v[c].bytes;
		}
	}
	free(v);
	return 0;
}

int ng_counters_clear(int fd, __u32 slot)
{
	int n = ncpus();
	struct ng_counter *v;
	int ret = 0;

	if (n <= 0)
		return -1;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return -1;
	for (__u32 i = 0; i < NG_SLOT_STRIDE && !ret; i++) {
		__u32 key = slot * NG_SLOT_STRIDE + i;

		ret = bpf_map_update_elem(fd, &key, v, BPF_ANY);
	}
	free(v);
	return ret;
}

void ng_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int ng_group_ifaces(const struct ng_ifrec *recs, struct ng_iface_slots *out)
{
	__u64 ns = ng_netns_ino();
	int n = 0;

	for (int s = 0; s < NG_MAX_IFSLOTS; s++) {
		const struct ng_ifrec *r = &recs[s];
		int other, k;

		if (r->state == NG_IF_FREE || r->netns_ino != ns)
			continue;
		other = ng_ifrec_find(recs, ns, r->ifname,
				      r->direction == NG_DIR_EGRESS ? NG_DIR_INGRESS :
								      NG_DIR_EGRESS);
		/* One entry per name: at the first of its records. */
		if (other >= 0 && other < s)
			continue;
		k = n++;
		out[k].ingress = r->direction == NG_DIR_INGRESS ? s : other;
		out[k].egress = r->direction == NG_DIR_EGRESS ? s : other;
	}
	return n;
}

/* Keys of a map that only userspace changes (the allow-lists). Bounded:
 * get_next_key restarts from the start when its key vanishes, which on a
 * table the data plane churns (the per-key LRU) could go on for ever; that
 * one is read with ng_buckets_read() instead. */
long ng_count_keys(int fd, size_t key_size)
{
	unsigned char cur[64], next[64];
	long n = 0;
	void *prev = NULL;

	if (key_size > sizeof(cur))
		return -1;
	while (n < (1L << 26) && !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, key_size);
		prev = cur;
		n++;
	}
	return n;
}

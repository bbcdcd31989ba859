// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where ntpguard's pins live (see pins.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common.h"
#include "pins.h"

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

int ng_lock_loaded(struct ng_paths *p, bool net_admin)
{
	ng_paths_init(p);
	if (ng_require_privs(net_admin) || ng_require_loaded(p))
		return -1;
	return ng_lock(p);
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pins.h - where ntpguard's state lives: the bpffs ($NTPGUARD_BPFFS,
 * default /sys/fs/bpf) and its ntpguard/ directory of pinned maps; the
 * preconditions commands check there, and the lock that serialises the
 * commands that change it.
 */
#ifndef NG_PINS_H
#define NG_PINS_H

#include <limits.h>
#include <stdbool.h>

struct ng_paths {
	char bpffs[PATH_MAX / 2];
	char pin_dir[PATH_MAX / 2 + 32];
};

void ng_paths_init(struct ng_paths *p);
bool ng_is_bpffs(const char *path);
int ng_mount_bpffs(const char *path);
bool ng_pins_exist(const struct ng_paths *p);

/* Preconditions, each printing one clear line on failure. */
int ng_require_bpffs(const struct ng_paths *p);
int ng_require_loaded(const struct ng_paths *p);

/* Serialise mutating commands: flock on the bpffs root. */
int ng_lock(const struct ng_paths *p);
void ng_unlock(int fd);

/* A command about to change the loaded state: paths, privileges (and
 * CAP_NET_ADMIN), loaded, the lock. Its fd, or -1 (said why). */
int ng_lock_loaded(struct ng_paths *p, bool net_admin);

#endif

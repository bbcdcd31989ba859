/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NG_COMMON_H
#define NG_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <limits.h>

#include "ntpguard.h"

/* Exit codes, for every command. */
#define NG_EXIT_OK    0
#define NG_EXIT_FAIL  1   /* runtime error, one "ntpguard: ..." line */
#define NG_EXIT_USAGE 2   /* bad arguments */

extern int ng_verbose;

void ng_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ng_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ng_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Where pins live: $NTPGUARD_BPFFS (default /sys/fs/bpf) + "/ntpguard". */
struct ng_paths {
	char bpffs[PATH_MAX / 2];
	char pin_dir[PATH_MAX / 2 + 32];
};

void ng_paths_init(struct ng_paths *p);
bool ng_is_bpffs(const char *path);
int ng_mount_bpffs(const char *path);
bool ng_pins_exist(const struct ng_paths *p);

/* Preconditions, each printing one clear line on failure. */
int ng_require_privs(bool need_net_admin);
int ng_require_bpffs(const struct ng_paths *p);
int ng_require_loaded(const struct ng_paths *p);
int ng_require_btf(void);

/* Serialise mutating commands: flock on the bpffs root. */
int ng_lock(const struct ng_paths *p);
void ng_unlock(int fd);

/* Open a pinned map of ours by name; -errno on failure. */
int ng_map_open(const struct ng_paths *p, const char *name);

__u64 ng_netns_ino(void);

/* Attachment records. */
int ng_ifrec_read_all(int fd, struct ng_ifrec *recs /* [NG_MAX_IFSLOTS] */);
int ng_ifrec_find(const struct ng_ifrec *recs, __u64 ns, const char *ifname,
		  __u8 dir);
const char *ng_mode_name(__u8 mode);
const char *ng_path_name(__u8 path);
const char *ng_state_name(__u8 state);
const char *ng_dir_name(__u8 dir);

/* Counters of one slot, summed over CPUs: what happened (real) and the
 * drops monitor mode turned into passes (would). */
int ng_counters_read(int fd, __u32 slot, struct ng_counter real[NG_R__COUNT],
		     struct ng_counter would[NG_R__COUNT]);
int ng_counters_clear(int fd, __u32 slot);

/* For each interface of this namespace, in slot order: the slot of its
 * ingress and egress records (-1 if none). Returns the number of entries. */
struct ng_iface_slots {
	int ingress, egress;
};
int ng_group_ifaces(const struct ng_ifrec *recs, struct ng_iface_slots *out);

/* Keys of a map that only userspace changes (the allow-lists), bounded. */
long ng_count_keys(int fd, size_t key_size);

/* JSON string (quoted, escaped). */
void ng_json_str(FILE *f, const char *s);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NG_CMDS_H
#define NG_CMDS_H

#include <stdbool.h>
#include <stdio.h>
#include "ntpguard.h"

/* Each command parses its own options; returns an NG_EXIT_* code. */
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);  /* daemon unless --once */
int cmd_set(int argc, char **argv);
int cmd_watch(int argc, char **argv);   /* daemon: runs until SIGTERM */
int cmd_check(int argc, char **argv);   /* exit 3: a host is vulnerable */
int cmd_audit(int argc, char **argv);   /* exit 3: at risk, 4: could not tell */

int cmd_status(int argc, char **argv);

/* attach.c: the mechanics, shared with `watch`. */
#include <xdp/libxdp.h>
struct ng_paths;
void ng_attach_init(void);
int ng_attach_prepare(const struct ng_paths *paths, __u32 max_sources); /* lock fd */
int ng_parse_mode(const char *s, enum xdp_attach_mode *mode);
int ng_load_iface(const struct ng_paths *paths, const char *ifname,
		  enum xdp_attach_mode mode, bool egress);
int ng_unload_iface(const struct ng_paths *paths, const char *ifname /* NULL: all */);
void ng_remove_pins_if_unused(const struct ng_paths *paths);
/* Records of this namespace whose interface no longer exists (ifindex, or 0:
 * any): mark them detached, counters kept. Returns how many; caller locks. */
int ng_forget_vanished(const struct ng_paths *paths, __u32 ifindex);
__u32 ng_pinned_max_entries(const struct ng_paths *paths, const char *name);
bool ng_rec_live(const struct ng_ifrec *r);
/* "attached", "detached" or "gone", checked against the kernel. */
const char *ng_live_state(const struct ng_ifrec *r);

/* For each interface of this namespace, in slot order: the slot of its
 * ingress and egress records (-1 if none). Returns the number of entries. */
struct ng_iface_slots {
	int ingress, egress;
};
int ng_group_ifaces(const struct ng_ifrec *recs, struct ng_iface_slots *out);

/* The live policy (defaults if none written); live_idx may be NULL. */
int ng_policy_read(int pol_fd, int sel_fd, struct ng_policy *p, __u32 *live_idx);
void ng_policy_print(FILE *f, const struct ng_policy *p, bool json);

#endif

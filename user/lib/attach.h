/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attach.h - attaching and detaching: one instance of the BPF object per
 * interface and direction (XDP ingress through libxdp, TC egress through
 * bpf_tc_*), its record in the pinned NG_MAP_IFACES. Shared by `load`,
 * `unload` and `watch`.
 */
#ifndef NG_ATTACH_H
#define NG_ATTACH_H

#include <stdbool.h>
#include <xdp/libxdp.h>

#include "parse.h"
#include "pins.h"

/* libxdp's messages kept, not printed (shown with -v) */
void ng_attach_init(void);
/* Privileges, BTF, bpffs, table size; returns the lock fd or -1. */
int ng_attach_prepare(const struct ng_paths *paths, __u32 max_sources);
/* After ng_attach_prepare: the reflector table's size for maps created now
 * (0: keep the pinned one, or the default); -1 if pinned with another. */
int ng_attach_max_reflectors(const struct ng_paths *paths, __u32 n);
/* --mode: native or skb (an enum xdp_attach_mode) */
extern const struct ng_enum ng_xdp_modes[];
int ng_load_iface(const struct ng_paths *paths, const char *ifname,
		  enum xdp_attach_mode mode, bool egress);
int ng_unload_iface(const struct ng_paths *paths, const char *ifname /* NULL: all */);
/* A load killed between attaching and recording leaves ntpguard's program
 * attached without a record: find those on the named interfaces (NULL:
 * every interface of this namespace), record them and say so, so that
 * unload detaches them. Caller holds the lock. */
void ng_adopt_unrecorded(const struct ng_paths *paths, char **names, int n);
/* unload --all with a pin directory but no records (a first load killed
 * while it created the maps): remove those pins, say so; NG_EXIT_OK or
 * NG_EXIT_FAIL, or -1 when that is not the case (loaded, or nothing). */
int ng_unload_partial_pins(const struct ng_paths *paths);
void ng_remove_pins_if_unused(const struct ng_paths *paths);
/* Records of this namespace whose interface no longer exists (ifindex, or 0:
 * any): mark them detached, counters kept. Returns how many; caller locks. */
int ng_forget_vanished(const struct ng_paths *paths, __u32 ifindex);

#endif

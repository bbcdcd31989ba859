/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attach.h - attaching and detaching: one instance of the BPF object per
 * interface and direction (XDP ingress through libxdp, TC egress through
 * bpf_tc_*), its record in the pinned NG_MAP_IFACES. Shared by `load`,
 * `unload`, `watch` and `apply`.
 *
 * An interface already protected by an older build of the program (its
 * record's build is not ng_build_id()) gets this build instead, swapped
 * atomically where it is attached, with no moment without a filter:
 *   legacy XDP   the kernel's replace (XDP_FLAGS_REPLACE, expected old fd)
 *   dispatcher   libxdp adds the new program, then removes the old one;
 *                each step is one atomic replace of the dispatcher
 *   TC egress    bpf_tc_attach with BPF_TC_F_REPLACE on ntpguard's own
 *                handle and priority
 * The new program reuses the pinned maps: policy, allow-list, counters and
 * rate-cap state carry over.
 */
#ifndef NG_ATTACH_H
#define NG_ATTACH_H

#include <stdbool.h>
#include <xdp/libxdp.h>

#include "parse.h"
#include "pins.h"

/* libxdp's messages kept, not printed (shown with -v) */
void ng_attach_init(void);
/* Privileges, BTF, bpffs, the pins' layout (refused if unusable, migrated
 * if older), table size; returns the lock fd or -1. */
int ng_attach_prepare(const struct ng_paths *paths, __u32 max_sources);
/* After ng_attach_prepare: the reflector table's size for maps created now
 * (0: keep the pinned one, or the default); -1 if pinned with another. */
int ng_attach_max_reflectors(const struct ng_paths *paths, __u32 n);
/* --mode: native or skb (an enum xdp_attach_mode) */
extern const struct ng_enum ng_xdp_modes[];

/* Directions, as a mask */
#define NG_WANT_INGRESS (1u << NG_DIR_INGRESS)
#define NG_WANT_EGRESS  (1u << NG_DIR_EGRESS)
#define NG_WANT_BOTH    (NG_WANT_INGRESS | NG_WANT_EGRESS)

/* Protect ifname in the directions of `dirs`: attach where nothing of ours
 * is, leave this build alone, and replace another build atomically if
 * `replace` (watch does not: a daemon left running by a package upgrade
 * must not put its older program back). 0 or -1. */
int ng_load_iface(const struct ng_paths *paths, const char *ifname,
		  enum xdp_attach_mode mode, unsigned dirs, bool replace);
/* Detach the directions `dirs` of ifname (NULL: every interface of this
 * namespace). */
int ng_unload_iface(const struct ng_paths *paths, const char *ifname, unsigned dirs);
/* A load killed between attaching and recording leaves ntpguard's program
 * attached without a record: find those on the named interfaces (NULL:
 * every interface of this namespace), record them and say so, so that
 * unload detaches them. Caller holds the lock. */
void ng_adopt_unrecorded(const struct ng_paths *paths, char **names, int n);
/* unload --all with a pin directory but no records (a first load killed
 * while it created the maps): remove those pins, say so; NG_EXIT_OK or
 * NG_EXIT_FAIL, or -1 when that is not the case (loaded, or nothing). */
int ng_unload_partial_pins(const struct ng_paths *paths);
/* The maps without any program: what `apply` needs for a policy and an
 * allow-list before any interface exists. Caller holds the lock. 0 or -1. */
int ng_create_maps(const struct ng_paths *paths);
void ng_remove_pins_if_unused(const struct ng_paths *paths);
/* Records of this namespace whose interface no longer exists (ifindex, or 0:
 * any): mark them detached, counters kept. Returns how many; caller locks. */
int ng_forget_vanished(const struct ng_paths *paths, __u32 ifindex);

#endif

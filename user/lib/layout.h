/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * layout.h - the layout version of ntpguard's pins (NG_MAP_META) and this
 * binary's build of the BPF program.
 *
 * Every command that opens the pins first reads their layout (state.c
 * does, in ng_state_open): pins this binary cannot read exactly as they
 * are (a newer layout, maps of another shape, an unknown meta record) are
 * refused with one line saying what they are and what to do, and nothing
 * is read or changed. An older layout that this binary knows is read as
 * it is (every older layout it accepts has the same map shapes) and
 * migrated by the commands that load programs (load, apply, watch), under
 * the bpffs lock, before anything else changes.
 */
#ifndef NG_LAYOUT_H
#define NG_LAYOUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "ntpguard.h"
#include "pins.h"

struct ng_layout {
	bool pinned;            /* pins exist (NG_MAP_IFACES) */
	unsigned version;       /* their layout; 0 when not pinned */
	bool usable;            /* this binary reads and writes them as they are */
	bool migrate;           /* usable, older: ng_layout_migrate() updates them */
	struct ng_meta meta;    /* version >= 2: the record (version[] terminated) */
	char why[PATH_MAX + 768]; /* !usable: what is wrong and what to do */
};

/* Read the layout of the pins at p (no lock needed); 0, or -1 when the
 * pins cannot be inspected (l->why says why). Unusable pins are not an
 * error here: l->usable tells. */
int ng_layout_read(const struct ng_paths *p, struct ng_layout *l);

/*
 * Bring usable pins of an older layout to NG_LAYOUT_VERSION; the caller
 * holds the bpffs lock. Prints one line saying what was done. 0 or -1
 * (said). Nothing to do for the current layout.
 */
int ng_layout_migrate(const struct ng_paths *p, const struct ng_layout *l);

/* Freshly created pins (the first load made them): record the layout if
 * the meta record is still empty. Caller holds the lock. 0 or -1. */
int ng_layout_stamp(const struct ng_paths *p);

/* "layout 1 (before layout versions)" / "layout 2 (written by ntpguard X)" */
void ng_layout_describe(const struct ng_layout *l, char *buf, size_t len);

/* This binary's build of the BPF program: a 64-bit hash (FNV-1a) of the
 * embedded object, never 0; and the version it was built with. */
__u64 ng_build_id(void);
const char *ng_build_version(void);

#endif

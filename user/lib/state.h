/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * state.h - ntpguard's pinned maps: opened once (a struct of fds), read and
 * written here, closed. The only place that opens pins and makes map
 * syscalls, besides the allow-list edits (allowlist.c, through this
 * struct) and the policy's double buffer (policy.c, by fd).
 *
 * Errors are one line: in st->err, and also printed (ng_err) unless the
 * state was opened quiet, for daemons that decide themselves how loud to
 * be. A command's whole read is a snapshot (snapshot.h).
 */
#ifndef NG_STATE_H
#define NG_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "ntpguard.h"
#include "pins.h"

/* Which maps to open */
#define NG_MAPS_IFACES    0x01  /* attachment records */
#define NG_MAPS_COUNTERS  0x02
#define NG_MAPS_POLICY    0x04  /* the policy and its selector */
#define NG_MAPS_ALLOW     0x08  /* both tries and their "used" flags */
#define NG_MAPS_BUCKETS   0x10  /* the per-key table */
#define NG_MAPS_EVENTS    0x20
/* Maps added after the first release: pins made by an older ntpguard lack
 * them until every interface is unloaded and loaded again. Their fd stays
 * -1 if absent, without an error. */
#define NG_MAPS_REFLECTORS 0x40 /* reflector records */
#define NG_MAPS_PROBES    0x80  /* probe flows of a running check */

struct ng_state {
	/* -1: not open */
	int ifaces, counters, policy, policy_sel, allow_v4, allow_v6, allow_used,
	    buckets, events, reflectors, probes;
	bool quiet;
	unsigned layout;        /* of the pins opened (layout.h) */
	char err[1024];
};

/* Open the maps in `maps` (NG_MAPS_*): all, or none and -errno of the
 * first that failed (-ENOENT: not pinned; -EPROTO: pins of a layout this
 * binary does not read, layout.h). */
int ng_state_open(struct ng_state *st, const struct ng_paths *p, unsigned maps,
		  bool quiet);
void ng_state_close(struct ng_state *st);

/* Attachment records: all slots, or one written back. */
int ng_state_records(struct ng_state *st, struct ng_ifrec recs[NG_MAX_IFSLOTS]);
int ng_state_record_write(struct ng_state *st, __u32 slot, const struct ng_ifrec *r);

/* Counters of one slot, summed over CPUs: what happened (real) and the
 * drops monitor mode turned into passes (would); clear: all zero, and the
 * slot's reflector records deleted (when that map is open). */
int ng_state_counters(struct ng_state *st, __u32 slot, struct ng_counter real[NG_R__COUNT],
		      struct ng_counter would[NG_R__COUNT]);
int ng_state_counters_clear(struct ng_state *st, __u32 slot);

/* The live policy (defaults if none was written); live may be NULL. */
int ng_state_policy(struct ng_state *st, struct ng_policy *p, __u32 *live);
int ng_state_policy_commit(struct ng_state *st, __u32 live, const struct ng_policy *p);

/* Prefixes on the allow-list of a family (0: IPv4, 1: IPv6). */
long ng_state_allow_count(struct ng_state *st, int fam);

/* Every entry of the per-key table, in arrays the caller frees; the
 * number of entries, or -1. */
long ng_state_buckets(struct ng_state *st, struct ng_bkey **keys, struct ng_bucket **vals);
/* Its capacity (load --max-sources); 0 if unknown. */
__u32 ng_state_capacity(struct ng_state *st);
/* NG_EV_KEYS_INSERTED summed over CPUs; 0 if unreadable. */
__u64 ng_state_keys_inserted(struct ng_state *st);
/* An ng_events slot summed over CPUs; 0 if unreadable. */
__u64 ng_state_event(struct ng_state *st, __u32 ev);

/* Every reflector record, its per-CPU copies merged (ng_refl_merge), in
 * arrays the caller frees; the number of records, or -1. */
long ng_state_reflectors(struct ng_state *st, struct ng_rkey **keys, struct ng_refl **vals);
/* max_entries of an open map; 0 if unknown. */
__u32 ng_state_map_capacity(int fd);

/* Probe flows (NG_MAP_PROBES) and the NG_USED_PROBES bits: add or delete
 * one flow; raise or lower the bit of a family (0 IPv4, 1 IPv6), keeping
 * the allow-list's bit. Callers hold the lock. */
int ng_state_probe_add(struct ng_state *st, const struct ng_probe_key *k, __u64 expires_ns);
int ng_state_probe_del(struct ng_state *st, const struct ng_probe_key *k,
		       struct ng_probe *last);
int ng_state_used_bits(struct ng_state *st, int fam, __u32 set, __u32 clear);

/* max_entries of a pinned map, 0 if there is none. */
__u32 ng_pinned_max_entries(const struct ng_paths *paths, const char *name);
/* The kernel's id of pinned map `name`, 0 if it cannot be read. */
__u32 ng_pinned_map_id(const struct ng_paths *paths, const char *name);

/* ---- attachment records (pure) --------------------------------------- */

/* The slot of (ns, ifname, dir), or -1. */
int ng_ifrec_find(const struct ng_ifrec *recs, __u64 ns, const char *ifname, __u8 dir);

/* For each interface of this namespace, in slot order: the slot of its
 * ingress and egress records (-1 if none). Returns the number of entries. */
struct ng_iface_slots {
	int ingress, egress;
};
int ng_group_ifaces(const struct ng_ifrec *recs, struct ng_iface_slots *out);

const char *ng_mode_name(__u8 mode);
const char *ng_path_name(__u8 path);
const char *ng_state_name(__u8 state);
const char *ng_dir_name(__u8 dir);
/* Class of a per-key entry: mode7_request, mode7_response, mode6_request. */
const char *ng_pclass_name(int pclass);

#endif

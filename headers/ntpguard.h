/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ntpguard.h - everything the BPF program and userspace share:
 * map names, map sizes, value layouts, the reason enum and its names.
 *
 * Layouts here are an ABI: they live in maps pinned under
 * /sys/fs/bpf/ntpguard/ that outlive any one ntpguard binary. Grow structs
 * only into their reserved fields, append reasons only at the end. Any
 * other change to the pinned maps (a map added, removed or reshaped, a
 * field given a new meaning) bumps NG_LAYOUT_VERSION and teaches
 * user/lib/layout.c how to migrate from the previous layout.
 */
#ifndef NTPGUARD_H
#define NTPGUARD_H

#include <linux/types.h>
#include <linux/bpf.h>

#define NG_STR_(x) #x
#define NG_STR(x) NG_STR_(x)

/* Pins live in <bpffs>/NG_PIN_SUBDIR/<map name>. */
#define NG_PIN_SUBDIR "ntpguard"

/* Map names: the BPF variable names, which libbpf also uses as pin names. */
#define NG_MAP_COUNTERS   ng_counters    /* per-CPU array: slot x reason */
#define NG_MAP_ALLOW_V4   ng_allow_v4    /* LPM trie, IPv4 prefixes */
#define NG_MAP_ALLOW_V6   ng_allow_v6    /* LPM trie, IPv6 prefixes */
#define NG_MAP_ALLOW_USED ng_allow_used  /* array[2] (0 IPv4, 1 IPv6): NG_USED_*
					    bits; 0 lets the data plane skip both
					    lookups */
#define NG_MAP_POLICY     ng_policy      /* array[2]: double-buffered policy */
#define NG_MAP_POLICY_SEL ng_policy_sel  /* array[1]: index of the live policy */
#define NG_MAP_IFACES     ng_ifaces      /* array: attachment records (userspace only) */
#define NG_MAP_META       ng_meta        /* array[1]: layout version of the pins
					    (userspace only) */

#define NG_PROG_XDP ntpguard_xdp
#define NG_PROG_TC  ntpguard_tc

/* TC egress filter: our handle and priority on the clsact egress hook. */
#define NG_TC_HANDLE 0x4e47
#define NG_TC_PRIO   0x4e47

#define NG_MAX_IFSLOTS   512       /* attachments (interface x direction) */
#define NG_REASON_SLOTS  32        /* counter slots per attachment (room to grow) */
#define NG_ALLOW_MAX     262144    /* LPM entries per family (allocated lazily) */
#define NG_POLICY_SLOTS  2
#define NG_ALLOW_FAMILIES 2        /* NG_MAP_ALLOW_USED: 0 IPv4, 1 IPv6 */

/* ---- reasons -------------------------------------------------------- */
/*
 * X(enum suffix, name in stats/JSON/Prometheus, drops?)
 * Order is ABI (counter index): append only.
 */
#define NG_REASONS(X)                                  \
	X(NTP_PASSED,               "ntp_passed", 0)               \
	X(MODE7_REQUEST_DROPPED,    "mode7_request_dropped", 1)    \
	X(MODE7_REQUEST_ALLOWED,    "mode7_request_allowed", 0)    \
	X(MODE7_RESPONSE_OVERSIZED, "mode7_response_oversized", 1) \
	X(MODE7_RESPONSE_PASSED,    "mode7_response_passed", 0)    \
	X(FRAGMENT_DROPPED,         "fragment_dropped", 1)         \
	X(FRAGMENT_PASSED,          "fragment_passed", 0)          \
	X(MALFORMED,                "malformed", 0)                \
	X(MODE7_REQUEST_RATECAPPED, "mode7_request_ratecapped", 1) \
	X(MODE7_REQUEST_PASSED,     "mode7_request_passed", 0)     \
	X(MODE7_RESPONSE_RATECAPPED, "mode7_response_ratecapped", 1) \
	X(MODE6_REQUEST_RATECAPPED, "mode6_request_ratecapped", 1) \
	X(MODE6_REQUEST_PASSED,     "mode6_request_passed", 0)     \
	X(MODE6_REQUEST_DROPPED,    "mode6_request_dropped", 1)    \
	X(MODE6_REQUEST_ALLOWED,    "mode6_request_allowed", 0)    \
	X(UNJUDGEABLE_DROPPED,      "unjudgeable_dropped", 1)      \
	X(UNJUDGEABLE_PASSED,       "unjudgeable_passed", 0)

enum ng_reason {
#define NG_X_ENUM(e, name, drop) NG_R_##e,
	NG_REASONS(NG_X_ENUM)
#undef NG_X_ENUM
	NG_R__COUNT
};

/* Bit r set: reason r is a drop verdict (the X-macro's drop column). */
#define NG_X_DROPBIT(e, name, drop) | ((drop) ? 1u << NG_R_##e : 0u)
#define NG_DROP_MASK (0u NG_REASONS(NG_X_DROPBIT))

_Static_assert(NG_R__COUNT <= NG_REASON_SLOTS, "too many reasons");

/*
 * Counter rows: each attachment slot owns NG_SLOT_STRIDE entries; the first
 * NG_REASON_SLOTS count what happened, the next NG_REASON_SLOTS count
 * would-drops (drop verdicts turned into passes by monitor mode).
 */
#define NG_SLOT_STRIDE (2 * NG_REASON_SLOTS)
#define NG_COUNTER_KEY(slot, reason) ((slot) * NG_SLOT_STRIDE + (reason))
#define NG_COUNTER_WOULD_KEY(slot, reason) \
	((slot) * NG_SLOT_STRIDE + NG_REASON_SLOTS + (reason))

#ifndef __bpf__
/* Name of a reason as used in stats, JSON and Prometheus; NULL if unknown. */
static inline const char *ng_reason_name(int r)
{
	static const char *const names[NG_R__COUNT] = {
#define NG_X_NAME(e, name, drop) [NG_R_##e] = name,
		NG_REASONS(NG_X_NAME)
#undef NG_X_NAME
	};

	return r >= 0 && r < NG_R__COUNT ? names[r] : 0;
}

static inline int ng_reason_drops(int r)
{
	return r >= 0 && r < NG_R__COUNT && ((NG_DROP_MASK >> r) & 1);
}
#endif

struct ng_counter {
	__u64 packets;
	__u64 bytes;
};

/* ---- allow-list keys (struct bpf_lpm_trie_key layout) ---------------- */
struct ng_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ng_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Allow-list value: reserved for flags; 0 today. */
typedef __u32 ng_allow_val;

/* NG_MAP_ALLOW_USED bits per family (read-modify-write under the lock). */
#define NG_USED_ALLOW  1u  /* the family's trie may hold entries */
#define NG_USED_PROBES 2u  /* NG_MAP_PROBES may hold flows of this family */

/* ---- probe flows: a running `ntpguard check` on this host ------------- */
/*
 * `check` probes NTP servers from this host; where ntpguard filters the
 * same path, it would drop check's own monlist requests (egress) and the
 * oversized replies (ingress), and check would understate what a server
 * reflects. For the run, check puts each of its sockets' flows here: a
 * mode 6/7 request from local:lport to remote:123, or a mode 7 response
 * from remote:123 to local:lport, on a listed flow counts as allow-listed
 * until expires_ns, which the data plane itself enforces, so a check killed
 * with SIGKILL leaves nothing open. Nothing else is let through: not other
 * ports of this host, not other servers' replies.
 */
#define NG_MAP_PROBES ng_probes
#define NG_PROBES_MAX 65536        /* check --max-hosts' limit */

struct ng_probe_key {
	__u8 family;            /* 4 or 6 */
	__u8 pad;
	__u16 lport;            /* the local UDP port, host order */
	__u8 local[16];         /* this host's address (IPv4: first 4 octets) */
	__u8 remote[16];        /* the server probed */
};
_Static_assert(sizeof(struct ng_probe_key) == 36, "probe key ABI");

struct ng_probe {
	__u64 expires_ns;       /* CLOCK_MONOTONIC (coarse) */
	__u64 packets;          /* let through on this flow */
	__u64 bytes;
	__u64 reserved;
};

/* ---- policy: runtime knobs, double-buffered --------------------------- */
/*
 * Userspace writes the inactive slot of NG_MAP_POLICY, then flips
 * NG_MAP_POLICY_SEL with one 4-byte store, so the data plane never reads a
 * half-written policy. A slot whose magic is not NG_POLICY_MAGIC (e.g. a
 * freshly created, zeroed map) means "compiled-in defaults" (ng_default_policy).
 */
#define NG_POLICY_MAGIC 0x4e475032u /* "NGP2" */

/* Policed traffic classes. */
enum ng_pclass {
	NG_PC_M7_REQUEST = 0,   /* mode 7 requests, bucket per source */
	NG_PC_M7_RESPONSE = 1,  /* oversized mode 7 responses, bucket per destination */
	NG_PC_M6_REQUEST = 2,   /* mode 6 requests, bucket per source */
	NG_PC__COUNT
};

/* What a policy does with a class (0 in a zeroed policy = invalid). */
enum ng_action { NG_ACT_DROP = 1, NG_ACT_RATECAP = 2, NG_ACT_PASS = 3 };

struct ng_class_policy {
	__u8 action;            /* enum ng_action */
	__u8 pad[3];
	__u32 rate;             /* per key: tokens per second (ratecap) */
	__u32 burst;            /* per key: bucket depth */
	__u32 global_rate;      /* whole host, this class: caps passed packets */
	__u32 global_burst;
};

struct ng_policy {
	__u32 magic;
	__u32 mode7_response_max_bytes; /* oversized: UDP payload > this */
	__u32 monitor;                  /* 1: count would-drops, drop nothing */
	__u32 track;                    /* 1: per-key counters for `top` even for
					   drop/pass classes (costs an LRU
					   update per policed packet; off by
					   default to keep drops at line rate) */
	struct ng_class_policy cls[NG_PC__COUNT];
	__u32 pass_unjudgeable;         /* 1: pass frames the parser cannot judge
					   (`unjudgeable_passed`); 0, also in a
					   policy written before this key existed:
					   drop them (`unjudgeable_dropped`) */
	__u32 no_reflectors;            /* 1: do not record reflectors (policy
					   `reflectors=off`); 0, the default and
					   in a policy written before this key
					   existed: record them in NG_MAP_REFLECTORS */
	__u32 reserved[11];
};
_Static_assert(sizeof(struct ng_policy) == 128, "policy ABI");

/*
 * Defaults (README explains them, from ntp-protocol.md):
 * - mode 7 requests: dropped. Nobody outside the allow-list needs ntpdc.
 *   With ratecap: 1/s, burst 5 per source (an admin's ntpdc session).
 * - oversized mode 7 responses (> 200 octets: every monlist/peer-list data
 *   packet, 440-488 octets; error replies are 8): dropped. With ratecap:
 *   10/s, burst 20 per victim.
 * - mode 6 requests: rate-capped at 5/s, burst 20 per source: ntpq -p asks
 *   once per association, check_ntp_peer 2-3 times per check; a capped
 *   source reflects at most ~5 x 480 octets/s (READVAR is ~20-80x).
 * - global caps (whole host, per class) bound what spoofed floods with
 *   millions of sources can get through after churning the LRU table.
 */
#define NG_DEFAULT_M7_RESPONSE_MAX 200
#define NG_DEFAULT_POLICY {                                               \
	.magic = NG_POLICY_MAGIC,                                         \
	.mode7_response_max_bytes = NG_DEFAULT_M7_RESPONSE_MAX,           \
	.monitor = 0,                                                     \
	.track = 0,                                                       \
	.pass_unjudgeable = 0,                                            \
	.no_reflectors = 0,                                               \
	.cls = {                                                          \
		[NG_PC_M7_REQUEST] = { NG_ACT_DROP, {0}, 1, 5, 20, 40 },  \
		[NG_PC_M7_RESPONSE] = { NG_ACT_DROP, {0}, 10, 20, 200, 400 }, \
		[NG_PC_M6_REQUEST] = { NG_ACT_RATECAP, {0}, 5, 20, 500, 1000 }, \
	},                                                                \
}

/* ---- per-key state: rate-cap buckets and `top` counters ------------------ */
#define NG_MAP_BUCKETS ng_buckets   /* LRU hash: per-key bucket + counters */
#define NG_MAP_GLOBAL  ng_global    /* array[NG_PC__COUNT]: global buckets */
#define NG_MAP_EVENTS  ng_events    /* per-CPU array[NG_EV_SLOTS] of __u64 */

enum ng_event {
	NG_EV_KEYS_INSERTED = 0,    /* new keys put in NG_MAP_BUCKETS; more than
				       its capacity means keys were evicted */
	NG_EV_REFLECTORS_INSERTED = 1, /* new records put in NG_MAP_REFLECTORS */
	NG_EV__COUNT
};
#define NG_EV_SLOTS 16
#define NG_DEFAULT_MAX_SOURCES 65536

/* Key: class + IPv4 /32 or IPv6 /64 (remaining octets zero). */
struct ng_bkey {
	__u8 pclass;
	__u8 family;            /* 4 or 6 */
	__u8 pad[2];
	__u8 addr[8];
};

/*
 * Per-key state. A key gets an entry when its class is rate-capped or when
 * tracking is on (policy `track`); dropped counts drop verdicts (and
 * would-drops in monitor mode), passed counts the rest.
 * Tokens are kept in nano-tokens: 1 token = NG_NSEC.
 */
#define NG_NSEC 1000000000ull
struct ng_bucket {
	__u64 tokens;
	__u64 last_ns;          /* CLOCK_MONOTONIC ns of the last packet */
	__u64 dropped;
	__u64 passed;
	__u64 dropped_bytes;
};

/* Global bucket of a class: shared by all CPUs, updated under its lock. */
struct ng_gbucket {
	struct bpf_spin_lock lock;
	__u32 pad;
	struct ng_bucket b;
};

/* ---- reflectors: who sends the oversized mode 7 responses -------------- */
/*
 * One record per (attachment slot, source address) for every oversized
 * mode 7 response with a drop verdict (or a would-drop in monitor mode):
 * the reflecting server, as seen on that interface and direction. IPv6
 * sources are kept whole (/128): a reflector is one server, and the record
 * must name the one to notify (a /64 is one subscriber's unit for rate caps,
 * but on a shared hosting segment it holds many customers' servers).
 *
 * LRU_PERCPU_HASH: each CPU counts in its own copy, so a flood spread over
 * RX queues needs no atomics and bounces no cache line; userspace sums the
 * counters, takes the earliest first_ns and latest last_ns, and ORs the
 * victim bitmaps (ng_reflect.h). Capacity set at load (--max-reflectors),
 * insertions counted in NG_EV_REFLECTORS_INSERTED.
 */
#define NG_MAP_REFLECTORS ng_reflectors
#define NG_DEFAULT_MAX_REFLECTORS 4096
#define NG_REFL_VICTIM_BITS  512
#define NG_REFL_VICTIM_WORDS (NG_REFL_VICTIM_BITS / 64)

struct ng_rkey {
	__u16 slot;             /* attachment record (NG_MAP_IFACES index) */
	__u8 family;            /* 4 or 6 */
	__u8 pad;
	__u8 addr[16];          /* IPv4: first 4 octets, rest zero */
};
_Static_assert(sizeof(struct ng_rkey) == 20, "reflector key ABI");

struct ng_refl {
	__u64 packets;          /* dropped (or would-drop) responses */
	__u64 bytes;            /* their frame octets */
	__u64 first_ns;         /* CLOCK_MONOTONIC ns (coarse: a jiffy) */
	__u64 last_ns;
	__u64 victims[NG_REFL_VICTIM_WORDS]; /* linear-counting bitmap of
						destinations (ng_reflect.h) */
	__u64 reserved[2];
};
_Static_assert(sizeof(struct ng_refl) == 112, "reflector record ABI");

/* ---- attachment records (written by userspace only) ------------------- */
enum ng_if_state { NG_IF_FREE = 0, NG_IF_ATTACHED = 1, NG_IF_DETACHED = 2 };
enum ng_if_mode { NG_MODE_NONE = 0, NG_MODE_NATIVE = 1, NG_MODE_SKB = 2, NG_MODE_TC = 3 };
enum ng_if_path { NG_PATH_NONE = 0, NG_PATH_DISPATCHER = 1, NG_PATH_LEGACY = 2,
		  NG_PATH_TC = 3 };
#define NG_IFF_CREATED_QDISC 1u  /* egress: ntpguard created the clsact qdisc */
enum ng_if_dir { NG_DIR_INGRESS = 0, NG_DIR_EGRESS = 1 };

struct ng_ifrec {
	char ifname[16];
	__u64 netns_ino;   /* /proc/self/ns/net inode of the loader */
	__u64 attached_at; /* CLOCK_REALTIME seconds */
	__u32 ifindex;
	__u32 prog_id;
	__u8 state;        /* enum ng_if_state */
	__u8 mode;         /* enum ng_if_mode */
	__u8 path;         /* enum ng_if_path */
	__u8 direction;    /* enum ng_if_dir */
	__u32 flags;       /* NG_IFF_* */
	__u64 build;       /* build id of the attached program (ng_build_id():
			      a hash of the BPF object); 0: attached by an
			      ntpguard of layout 1, which did not record it */
	__u32 reserved[4];
};
_Static_assert(sizeof(struct ng_ifrec) == 72, "ifrec ABI");

/* ---- layout of the pins (written by userspace only) -------------------- */
/*
 * Layout versions (user/lib/layout.c knows each and migrates forward):
 *   1  before layout versions: no NG_MAP_META, ng_ifrec.build always 0;
 *      the maps added over time (NG_MAP_ALLOW_USED, NG_MAP_PROBES,
 *      NG_MAP_REFLECTORS) may be missing: the next load creates them
 *   2  NG_MAP_META; ng_ifrec.build records the attached program's build
 */
#define NG_LAYOUT_VERSION 2u
#define NG_META_MAGIC 0x4e474d31u  /* "NGM1" */

struct ng_meta {
	__u32 magic;       /* NG_META_MAGIC once written */
	__u32 layout;      /* NG_LAYOUT_VERSION of every pinned map */
	__u64 created_at;  /* CLOCK_REALTIME seconds: this layout was written */
	char version[32];  /* the ntpguard that wrote it (created or migrated) */
	__u32 from_layout; /* migrated from this layout; 0: created as is */
	__u32 reserved[7];
};
_Static_assert(sizeof(struct ng_meta) == 80, "meta ABI");

/* libxdp run config: run early, hand XDP_PASS on to the next program. */
#define NG_RUN_PRIO 10

#endif /* NTPGUARD_H */

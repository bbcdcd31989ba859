/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ntpguard.h - everything the BPF program and userspace share:
 * map names, map sizes, value layouts, the reason enum and its names.
 *
 * Layouts here are an ABI: they live in maps pinned under
 * /sys/fs/bpf/ntpguard/ that outlive any one ntpguard binary. Grow structs
 * only into their reserved fields, append reasons only at the end.
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
#define NG_MAP_POLICY     ng_policy      /* array[2]: double-buffered policy */
#define NG_MAP_POLICY_SEL ng_policy_sel  /* array[1]: index of the live policy */
#define NG_MAP_IFACES     ng_ifaces      /* array: attachment records (userspace only) */

#define NG_PROG_XDP ntpguard_xdp

#define NG_MAX_IFSLOTS   512       /* attachments (interface x direction) */
#define NG_REASON_SLOTS  32        /* counter slots per attachment (room to grow) */
#define NG_ALLOW_MAX     262144    /* LPM entries per family (allocated lazily) */
#define NG_POLICY_SLOTS  2

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
	X(MALFORMED,                "malformed", 0)

enum ng_reason {
#define NG_X_ENUM(e, name, drop) NG_R_##e,
	NG_REASONS(NG_X_ENUM)
#undef NG_X_ENUM
	NG_R__COUNT
};

/* Bit r set: reason r is a drop verdict. */
#define NG_DROP_MASK (0u                                   \
	| (1u << NG_R_MODE7_REQUEST_DROPPED)               \
	| (1u << NG_R_MODE7_RESPONSE_OVERSIZED)            \
	| (1u << NG_R_FRAGMENT_DROPPED))

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

/* ---- policy: runtime knobs, double-buffered --------------------------- */
/*
 * Userspace writes the inactive slot of NG_MAP_POLICY, then flips
 * NG_MAP_POLICY_SEL with one 4-byte store, so the data plane never reads a
 * half-written policy. A slot whose magic is not NG_POLICY_MAGIC (e.g. a
 * freshly created, zeroed map) means "compiled-in defaults".
 */
#define NG_POLICY_MAGIC 0x4e475031u /* "NGP1" */
#define NG_DEFAULT_M7_RESPONSE_MAX 200

struct ng_policy {
	__u32 magic;
	__u32 mode7_response_max_bytes; /* oversized: UDP payload > this */
	__u32 reserved[14];             /* issue 3 knobs grow here */
};
_Static_assert(sizeof(struct ng_policy) == 64, "policy ABI");

/* ---- attachment records (written by userspace only) ------------------- */
enum ng_if_state { NG_IF_FREE = 0, NG_IF_ATTACHED = 1, NG_IF_DETACHED = 2 };
enum ng_if_mode { NG_MODE_NONE = 0, NG_MODE_NATIVE = 1, NG_MODE_SKB = 2 };
enum ng_if_path { NG_PATH_NONE = 0, NG_PATH_DISPATCHER = 1, NG_PATH_LEGACY = 2 };
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
	__u32 reserved[7];
};
_Static_assert(sizeof(struct ng_ifrec) == 72, "ifrec ABI");

/* libxdp run config: run early, hand XDP_PASS on to the next program. */
#define NG_RUN_PRIO 10

#endif /* NTPGUARD_H */

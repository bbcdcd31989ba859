/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * probe.h - the NTP probes of `ntpguard check`: what is sent, and how the
 * replies of one host are matched, bounded and accounted. No sockets here:
 * check_scan.c owns the network, this file only builds requests and judges
 * datagrams (probe_reply), so a hostile server can only ever reach the
 * bounds-checked code below.
 *
 * Doc: shared/docs/ntp-protocol.md sections 1 (mode 7), 3 (mode 6) and 5
 * (what ntpdc and nmap send).
 */
#ifndef NG_PROBE_H
#define NG_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

enum probe_id {
	PR_MONLIST,        /* mode 7 code 42 impl 3 (ntpdc, nmap, attack tools) */
	PR_MONLIST_I2,     /* mode 7 code 42 impl 2: only if impl 3 gave no data */
	PR_GETLIST,        /* mode 7 code 20 */
	PR_PEER_LIST,      /* mode 7 code 0 */
	PR_PEER_SUM,       /* mode 7 code 1 */
	PR_READVAR,        /* mode 6 READVAR, system variables */
	PR_TIME,           /* mode 3 client request: does it serve time at all? */
	PR__COUNT
};

struct probe_def {
	const char *key;        /* JSON name */
	const char *label;      /* human name */
	__u8 mode;              /* 7, 6 or 3 */
	__u8 impl, code;        /* mode 7 */
	unsigned req_len;       /* UDP payload octets we send */
};

extern const struct probe_def probe_defs[PR__COUNT];

/* Mode 7 requests are nmap's 48 octets: header + 40 zero octets (V1). */
#define PROBE_M7_LEN     48u
#define PROBE_M6_LEN     12u
#define PROBE_M3_LEN     48u
#define PROBE_REQ_MAX    48

/* Bounds for what one probe collects from one server. */
#define PROBE_M6_TEXT_MAX  16384   /* reassembled mode 6 text */
#define PROBE_M6_FRAGS     64      /* mode 6 fragments remembered */
#define PROBE_VERSION_MAX  128

enum probe_state {
	PS_PENDING,     /* not sent yet */
	PS_SENT,        /* waiting for (more) replies */
	PS_DONE,        /* complete, or its deadline passed */
	PS_SKIPPED,     /* never sent (see skip) */
};

/* What a finished probe got. */
enum probe_outcome {
	PO_NONE,        /* no reply */
	PO_DATA,        /* mode 7 items / mode 6 text / mode 4 time */
	PO_ERROR,       /* mode 7 error reply (8 octets) / mode 6 error bit */
	PO_UNREACH,     /* ICMP error on the host's socket */
	PO_SKIPPED,
};

struct m6_frag {
	__u16 off, cnt;
};

struct probe {
	enum probe_state state;
	const char *skip;               /* why not sent (PS_SKIPPED) */
	__u8 req[PROBE_REQ_MAX];
	unsigned req_len;
	__u16 m6_seq;                   /* mode 6: sequence we sent */

	/* everything received for this probe, valid or not */
	unsigned pkts;
	unsigned long bytes;            /* UDP payload octets */
	/* judged */
	unsigned items;                 /* mode 7: sum of nitems of good packets */
	unsigned bad;                   /* malformed replies (counted, not trusted) */
	unsigned dups;                  /* repeated mode 7 sequence numbers */
	int err;                        /* mode 7 err nibble / mode 6 error code; -1 none */
	bool got_data;
	bool ended;                     /* an error reply ended the exchange */
	/*
	 * ended, or the end is known and nothing before it is missing; from
	 * what was kept, whatever the order it came in (with several "last"
	 * markers, the furthest counts)
	 */
	bool complete;

	/* mode 7: sequence numbers seen, furthest last (M=0) sequence */
	__u8 seen[16];
	int last_seq;

	/* mode 6: reassembly of the text, bounded */
	char *text;                     /* PROBE_M6_TEXT_MAX + 1, allocated on use */
	struct m6_frag frags[PROBE_M6_FRAGS];
	unsigned nfrags;
	int m6_end;                     /* furthest end of an M=0 fragment; -1 unknown */
	char version[PROBE_VERSION_MAX];

	/* mode 3: our transmit timestamp (a nonce) */
	__u8 xmt[8];
};

/* Fill p->req for probe id; nonce is random material for mode 6/3. */
void probe_init(struct probe *p, enum probe_id id, const __u8 nonce[8]);

/*
 * The reply parser: one datagram the target sent (buf[0..len), what fitted
 * of it), judged against the probes of one host as they were sent (p[],
 * each PS_SENT or PS_DONE counts). Returns the probe it answers, with the
 * datagram accounted there (packets, octets, items or text, errors,
 * completeness), or -1 if it answers none (the caller counts it as
 * "other"). Pure and bounds-checked against hostile input: it reads only
 * buf[0..len) and changes only p[] (a mode 6 probe allocates its bounded
 * text buffer on first use; probe_free() releases it). No sockets, no
 * clock: the entry point of the reply parser's fuzz target.
 */
int probe_reply(const uint8_t *buf, size_t len, struct probe p[PR__COUNT]);

/* Finish a probe (complete or timed out): extract the version string. */
void probe_finish(struct probe *p, enum probe_id id);
void probe_free(struct probe *p);

enum probe_outcome probe_outcome(const struct probe *p, bool unreachable);
const char *probe_outcome_name(enum probe_outcome o);
const char *m7_err_name(int err);

/* Find version="..." in mode 6 text: copied, printable ASCII only. */
bool probe_find_version(const char *text, size_t len, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * check_scan.h - `ntpguard check` is three parts around one model, a scan
 * of hosts, each with what its probes got (declared here):
 *   check_targets.h  arguments to hosts: names, addresses, CIDRs, bounded
 *   check_scan.h     the probe engine: sockets, pacing, deadlines; replies
 *                    are judged by probe.h's pure parser
 *   check_report.h   verdicts as text or JSON
 */
#ifndef NG_CHECK_SCAN_H
#define NG_CHECK_SCAN_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "params.h"
#include "probe.h"

#define CHECK_DEF_TIMEOUT    2          /* seconds */
#define CHECK_DEF_RATE       20         /* requests per second */
#define CHECK_DEF_MAX_HOSTS  1024       /* a /22 or a /118 */
#define CHECK_MAX_MAX_HOSTS  65536      /* a /16 or a /112 */
#define CHECK_MAX_ACTIVE     128        /* hosts in flight */

enum verdict {
	V_VULNERABLE,   /* mode 7 answered with data */
	V_M7_NODATA,    /* mode 7 answered, errors only */
	V_M6_ONLY,      /* no mode 7 reply, mode 6 answered */
	V_SILENT,       /* nothing answered */
	V_ERROR,        /* we could not probe it (local error) */
	V__COUNT
};

/* What stays of a probe once it is finished. */
struct probe_sum {
	__u8 outcome;           /* enum probe_outcome */
	bool sent, complete;
	short err;
	unsigned pkts, items, bad, dups;
	unsigned long bytes;
	const char *skip;
};

struct host {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	__u32 scope;
	const char *target;     /* the argument it came from */
	enum verdict v;
	bool unreachable;
	int uerr, lerr;         /* ICMP / local errno */
	const char *lerr_what;
	unsigned other_pkts;
	unsigned long other_bytes;
	char *version;
	struct probe_sum s[PR__COUNT];
	/* what the local ntpguard let through on this host's flow (check_local.h) */
	bool local_flow;
	unsigned long local_pkts, local_bytes;
};

/* The command line (cmd/check.c fills it from its option table). */
struct check_opts {
	double timeout, rate;
	__u32 max_hosts;
	bool json, all, only4, only6, want4, want6;
	int progress;           /* -1 auto, 0 off, 1 on */
	bool from_reflectors;   /* targets: ntpguard's reflector table */
	const char *since;      /* ... seen within this duration */
	struct ng_strv files;   /* targets: files of addresses or JSON */
};

struct live;                    /* a host being probed (check_scan.c) */
struct check_local;             /* the local ntpguard (check_local.h) */

struct scan {
	struct check_opts o;
	struct host *h;
	size_t n, cap;
	size_t done, next;
	unsigned long sent, vuln;
	struct live *act[CHECK_MAX_ACTIVE];
	int nact;
	double t0, last_progress;
	bool progress;
	/* optional: told each host's connected socket, and when it closes
	 * (check_local_begin sets them: what the local ntpguard sees) */
	struct check_local *local;
	void (*local_open)(struct check_local *cl, const struct scan *s,
			   struct host *h, int fd);
	void (*local_close)(struct check_local *cl, struct host *h);
};


/* Probe every host; 0, or -1 (printed) on a local error that ends it. */
int check_scan_run(struct scan *s);
/* Everything a scan holds: hosts in flight, hosts. */
void check_free(struct scan *s);


#endif

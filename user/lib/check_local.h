/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * check_local.h - `check` on a host where ntpguard itself filters. Its
 * monlist requests (TC egress) and the oversized replies (XDP ingress)
 * would be dropped like an attack's, and check would understate what a
 * server reflects. So for the run, each host's flow (this host's address
 * and UDP port, the server) goes into ng_probes, which the data plane
 * treats as allow-listed for that flow only, with an expiry it enforces
 * itself: nothing else passes (not other ports of this host, not other
 * servers' replies, not a forged request naming this host), and a check
 * killed with SIGKILL leaves nothing open for longer than its run.
 * SIGINT and SIGTERM remove the flows at once.
 *
 * Where that cannot be done (ntpguard's pins unreadable without root, or
 * made by an older ntpguard), check reads the drop counters before and
 * after the run and says plainly when the local ntpguard dropped mode 6/7
 * packets meanwhile: the figures may then be incomplete.
 */
#ifndef NG_CHECK_LOCAL_H
#define NG_CHECK_LOCAL_H

#include <stdbool.h>
#include <stdio.h>

#include "check_scan.h"
#include "pins.h"
#include "state.h"

enum check_local_state {
	CL_NOT_LOADED,          /* no ntpguard here: nothing to do */
	CL_UNREADABLE,          /* pins exist (or may) but cannot be read */
	CL_COUNTING,            /* readable, flows not possible: counters only */
	CL_EXEMPT,              /* flows let through */
};

struct check_local {
	enum check_local_state state;
	char why[300];          /* why not CL_EXEMPT */
	struct ng_paths paths;
	struct ng_state st;
	double span;            /* seconds a flow stays open */
	const struct host *base;        /* the scan's hosts */
	struct ng_probe_key *keys;      /* one per host of the scan */
	bool *open;
	size_t nkeys;
	bool raised[2];
	unsigned long flows, flow_errors, passed_pkts, passed_bytes;
	__u64 drops_before, drops;      /* mode 6/7 drops on every attachment */
	bool ended;
};

/* Before the run (s->n hosts, s->o set); sets s->local when ntpguard is
 * loaded here. Never fails the check: what it cannot do, it says. */
void check_local_begin(struct check_local *cl, struct scan *s);
/* The scan engine: a host's socket is connected / closes. */
void check_local_open(struct check_local *cl, const struct scan *s, struct host *h, int fd);
void check_local_close(struct check_local *cl, struct host *h);
/* After the run: flows removed, the data plane's bit lowered, counters read. */
void check_local_end(struct check_local *cl);

/* The figures may be incomplete: ntpguard dropped mode 6/7 packets while
 * it could not let check's flows through. */
bool check_local_incomplete(const struct check_local *cl);
void check_local_text(FILE *f, const struct check_local *cl);
void check_local_json(FILE *f, const struct check_local *cl);

#endif

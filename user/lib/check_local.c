// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* check on a host where ntpguard filters (see check_local.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "check_local.h"

/* The one check_local of this process, for the signal handler. */
static struct check_local *g_cl;

static __u64 mono_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Drops of the policed classes on every attachment (any namespace). */
static __u64 drops_now(struct check_local *cl)
{
	static const int reasons[] = {
		NG_R_MODE7_REQUEST_DROPPED, NG_R_MODE7_REQUEST_RATECAPPED,
		NG_R_MODE7_RESPONSE_OVERSIZED, NG_R_MODE7_RESPONSE_RATECAPPED,
		NG_R_MODE6_REQUEST_DROPPED, NG_R_MODE6_REQUEST_RATECAPPED,
	};
	struct ng_counter real[NG_R__COUNT], would[NG_R__COUNT];
	struct ng_ifrec r;
	__u64 sum = 0;

	for (__u32 slot = 0; slot < NG_MAX_IFSLOTS; slot++) {
		if (bpf_map_lookup_elem(cl->st.ifaces, &slot, &r) || r.state == NG_IF_FREE)
			continue;
		if (ng_state_counters(&cl->st, slot, real, would))
			continue;
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			sum += real[reasons[i]].packets;
	}
	return sum;
}

/*
 * Remove every flow still open and lower the data plane's bit of a family
 * when no other check's flows are left. Only syscalls: also run from the
 * signal handler.
 */
static void withdraw(struct check_local *cl)
{
	struct ng_probe_key any;
	int lock = ng_lock(&cl->paths);

	for (size_t i = 0; i < cl->nkeys; i++)
		if (cl->open[i]) {
			bpf_map_delete_elem(cl->st.probes, &cl->keys[i]);
			cl->open[i] = false;
		}
	for (int f = 0; f < 2; f++) {
		__u32 key = (__u32)f, v = 0;
		bool others = false;

		if (!cl->raised[f])
			continue;
		/* another check's flows (of any family) keep the bits up */
		if (!bpf_map_get_next_key(cl->st.probes, NULL, &any))
			others = true;
		if (!others && !bpf_map_lookup_elem(cl->st.allow_used, &key, &v)) {
			v &= ~NG_USED_PROBES;
			bpf_map_update_elem(cl->st.allow_used, &key, &v, BPF_ANY);
		}
		cl->raised[f] = false;
	}
	if (lock >= 0)
		ng_unlock(lock);
}

static void on_signal(int sig)
{
	if (g_cl && g_cl->state == CL_EXEMPT)
		withdraw(g_cl);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The scan tells us of each connected socket and its closing. */
static void scan_attach(struct scan *s, struct check_local *cl)
{
	s->local = cl;
	s->local_open = check_local_open;
	s->local_close = check_local_close;
}

void check_local_begin(struct check_local *cl, struct scan *s)
{
	struct stat st;
	double run;

	memset(cl, 0, sizeof(*cl));
	ng_paths_init(&cl->paths);
	if (stat(cl->paths.pin_dir, &st)) {
		if (errno == ENOENT)
			return;         /* CL_NOT_LOADED */
		scan_attach(s, cl);
		cl->state = CL_UNREADABLE;
		snprintf(cl->why, sizeof(cl->why), "%.200s: %s", cl->paths.pin_dir, strerror(errno));
		return;
	}
	if (ng_state_open(&cl->st, &cl->paths, NG_MAPS_IFACES | NG_MAPS_COUNTERS |
			  NG_MAPS_ALLOW | NG_MAPS_PROBES, true)) {
		scan_attach(s, cl);
		cl->state = CL_UNREADABLE;
		snprintf(cl->why, sizeof(cl->why), "%.250s", cl->st.err);
		return;
	}
	scan_attach(s, cl);
	cl->state = CL_COUNTING;
	cl->drops_before = drops_now(cl);
	if (cl->st.probes < 0) {
		snprintf(cl->why, sizeof(cl->why), "its pins were made by an older ntpguard "
			 "(no %s map)", NG_STR(NG_MAP_PROBES));
		return;
	}
	cl->keys = calloc(s->n + 1, sizeof(*cl->keys));
	cl->open = calloc(s->n + 1, sizeof(*cl->open));
	if (!cl->keys || !cl->open) {
		snprintf(cl->why, sizeof(cl->why), "out of memory");
		return;
	}
	cl->nkeys = s->n;
	cl->base = s->h;
	/*
	 * A flow stays open while its host can be in flight: its requests
	 * share the rate with up to CHECK_MAX_ACTIVE hosts, then the timeout;
	 * never longer than the whole run.
	 */
	run = (double)s->n * PR__COUNT / s->o.rate + s->o.timeout;
	cl->span = (double)CHECK_MAX_ACTIVE * PR__COUNT / s->o.rate + s->o.timeout;
	cl->span = (cl->span < run ? cl->span : run) + 2;
	cl->state = CL_EXEMPT;
	g_cl = cl;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

void check_local_open(struct check_local *cl, const struct scan *s, struct host *h, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t i = (size_t)(h - s->h);
	struct ng_probe_key *k;
	int fam, lock;

	if (cl->state != CL_EXEMPT || i >= cl->nkeys)
		return;
	k = &cl->keys[i];
	memset(k, 0, sizeof(*k));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		cl->flow_errors++;
		return;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		k->family = 4;
		k->lport = ntohs(a->sin_port);
		memcpy(k->local, &a->sin_addr, 4);
		memcpy(k->remote, &h->a.v4, 4);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		k->family = 6;
		k->lport = ntohs(a->sin6_port);
		memcpy(k->local, &a->sin6_addr, 16);
		memcpy(k->remote, &h->a.v6, 16);
	}
	fam = k->family == 4 ? 0 : 1;
	lock = cl->raised[fam] ? -1 : ng_lock(&cl->paths);
	if (ng_state_probe_add(&cl->st, k, mono_coarse_ns() + (__u64)(cl->span * 1e9)) ||
	    (!cl->raised[fam] && ng_state_used_bits(&cl->st, fam, NG_USED_PROBES, 0))) {
		cl->flow_errors++;
	} else {
		cl->open[i] = true;
		cl->raised[fam] = true;
		h->local_flow = true;
		cl->flows++;
	}
	if (lock >= 0)
		ng_unlock(lock);
}

void check_local_close(struct check_local *cl, struct host *h)
{
	size_t i = (size_t)(h - cl->base);
	struct ng_probe last;

	if (cl->state != CL_EXEMPT || !h->local_flow || i >= cl->nkeys || !cl->open[i])
		return;
	/* Replies still in flight after the socket closes have no socket to
	 * go to: the kernel answers them with port unreachable either way. */
	if (!ng_state_probe_del(&cl->st, &cl->keys[i], &last)) {
		h->local_pkts = last.packets;
		h->local_bytes = last.bytes;
		cl->passed_pkts += last.packets;
		cl->passed_bytes += last.bytes;
	}
	cl->open[i] = false;
}

void check_local_end(struct check_local *cl)
{
	if (cl->ended || cl->state == CL_NOT_LOADED || cl->state == CL_UNREADABLE)
		return;
	cl->ended = true;
	if (cl->state == CL_EXEMPT) {
		withdraw(cl);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		g_cl = NULL;
	}
	cl->drops = drops_now(cl) - cl->drops_before;
	ng_state_close(&cl->st);
	free(cl->keys);
	free(cl->open);
	cl->keys = NULL;
	cl->open = NULL;
}

bool check_local_incomplete(const struct check_local *cl)
{
	return (cl->state == CL_COUNTING && cl->drops) ||
	       (cl->state == CL_EXEMPT && (cl->flow_errors && cl->drops));
}

static const char *const state_key[] = {
	[CL_NOT_LOADED] = "not-loaded", [CL_UNREADABLE] = "unreadable",
	[CL_COUNTING] = "not-exempted", [CL_EXEMPT] = "exempted",
};

void check_local_text(FILE *f, const struct check_local *cl)
{
	switch (cl->state) {
	case CL_NOT_LOADED:
		return;
	case CL_UNREADABLE:
		fprintf(f, "note: ntpguard's state on this host is not readable (%s): if it "
			"filters the path to these servers, it drops check's monlist requests "
			"or replies and the figures above are incomplete; run check as root\n",
			cl->why);
		return;
	case CL_COUNTING:
		if (cl->drops)
			fprintf(f, "WARNING: FIGURES INCOMPLETE: the local ntpguard dropped %llu "
				"mode 6/7 packets while check ran and could not let check's own "
				"flows through (%s); replies may be missing and amplification "
				"understated\n", (unsigned long long)cl->drops, cl->why);
		else
			fprintf(f, "local ntpguard: dropped no mode 6/7 packet while check ran "
				"(it could not let check's flows through: %s)\n", cl->why);
		return;
	case CL_EXEMPT:
		fprintf(f, "local ntpguard: let this check's %lu flow%s through (%lu packets "
			"on them); it dropped %llu other mode 6/7 packets meanwhile\n", cl->flows,
			cl->flows == 1 ? "" : "s", cl->passed_pkts, (unsigned long long)cl->drops);
		if (cl->flow_errors)
			fprintf(f, "%s%lu flow%s could not be opened%s\n",
				cl->drops ? "WARNING: FIGURES MAY BE INCOMPLETE: " : "",
				cl->flow_errors, cl->flow_errors == 1 ? "" : "s",
				cl->drops ? ", and ntpguard dropped packets meanwhile" : "");
		return;
	}
}

void check_local_json(FILE *f, const struct check_local *cl)
{
	fprintf(f, "{\"state\": \"%s\", \"reason\": ", state_key[cl->state]);
	if (cl->why[0])
		ng_json_str(f, cl->why);
	else
		fprintf(f, "null");
	fprintf(f, ", \"flows\": %lu, \"flow_errors\": %lu, \"passed_packets\": %lu, "
		"\"passed_bytes\": %lu, \"dropped_during_run\": ", cl->flows, cl->flow_errors,
		cl->passed_pkts, cl->passed_bytes);
	if (cl->state == CL_COUNTING || cl->state == CL_EXEMPT)
		fprintf(f, "%llu", (unsigned long long)cl->drops);
	else
		fprintf(f, "null");
	fprintf(f, ", \"complete\": %s}", cl->state == CL_UNREADABLE ? "null" :
		check_local_incomplete(cl) ? "false" : "true");
}

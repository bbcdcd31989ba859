// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check's probe engine (see check_scan.h). Per host, in this order, paced by
 * one global rate limit: mode 7 monlist (code 42) impl 3, then impl 2 if
 * impl 3 gave no data, mode 7 code 20, PEER_LIST (0), PEER_LIST_SUM (1),
 * mode 6 READVAR and a mode 3 time request.
 *
 * Safety: packets go only to the hosts of the targets, port 123, from an
 * ordinary unprivileged UDP socket per host, connected to that host: the
 * kernel delivers only datagrams from HOST:123, and ICMP errors (closed
 * port) come back as socket errors. Nothing is spoofed. All requests share
 * one rate limit (--rate per second, strictly spaced), and every probe has
 * an absolute deadline (--timeout after it was sent), so the run ends
 * after at most requests/rate + timeout seconds, whatever the servers do.
 * Replies are judged by probe_reply() (probe.c), bounds-checked; at most
 * CHECK_MAX_ACTIVE hosts are in flight.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common.h"
#include "ntp_wire.h"
#include "check_scan.h"

#define RX_BUF 2048

/* A host being probed. */
struct live {
	struct host *h;
	int fd;
	struct probe p[PR__COUNT];
	double deadline[PR__COUNT];
};

static void progress(struct scan *s, bool final)
{
	double t = ng_mono_now(), el = t - s->t0;

	if (!s->progress)
		return;
	if (final) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		return;
	}
	if (t - s->last_progress < 0.2)
		return;
	s->last_progress = t;
	fprintf(stderr, "\r\033[Kcheck: %zu/%zu hosts done, %lu vulnerable, %.1f requests/s",
		s->done, s->n, s->vuln, el > 0 ? (double)s->sent / el : 0.0);
	fflush(stderr);
}

static bool is_unreach_errno(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
	       e == EHOSTDOWN || e == ENETDOWN || e == EADDRNOTAVAIL || e == ETIMEDOUT;
}

static void host_verdict(struct host *h)
{
	bool m7_data = false, m7_any = false, m6_any = false;

	for (int i = 0; i < PR__COUNT; i++) {
		const struct probe_sum *ps = &h->s[i];

		if (probe_defs[i].mode == NTP_MODE_PRIVATE) {
			m7_data |= ps->outcome == PO_DATA;
			m7_any |= ps->pkts > 0;
		} else if (probe_defs[i].mode == NTP_MODE_CONTROL) {
			m6_any |= ps->pkts > 0;
		}
	}
	h->v = m7_data ? V_VULNERABLE : m7_any ? V_M7_NODATA : m6_any ? V_M6_ONLY :
	       h->lerr ? V_ERROR : V_SILENT;
}

/* Mark every unsent probe skipped; SENT ones without replies done. */
static void live_unreachable(struct live *l, int err)
{
	l->h->unreachable = true;
	l->h->uerr = err;
	for (int i = 0; i < PR__COUNT; i++) {
		struct probe *p = &l->p[i];

		if (p->state == PS_PENDING) {
			p->state = PS_SKIPPED;
			p->skip = err == ECONNREFUSED ? "port unreachable" : "host unreachable";
		} else if (p->state == PS_SENT && !p->pkts) {
			probe_finish(p, (enum probe_id)i);
		}
	}
}

static void live_local_error(struct live *l, int err, const char *what)
{
	if (!l->h->lerr) {
		l->h->lerr = err;
		l->h->lerr_what = what;
	}
	for (int i = 0; i < PR__COUNT; i++) {
		if (l->p[i].state == PS_PENDING) {
			l->p[i].state = PS_SKIPPED;
			l->p[i].skip = "local error";
		}
	}
}

/* Probe i just finished: settle what depends on it. */
static void finished(struct live *l, int i)
{
	probe_finish(&l->p[i], (enum probe_id)i);
	if (i == PR_MONLIST && l->p[PR_MONLIST_I2].state == PS_PENDING &&
	    l->p[PR_MONLIST].got_data) {
		l->p[PR_MONLIST_I2].state = PS_SKIPPED;
		l->p[PR_MONLIST_I2].skip = "impl 3 answered with data";
	}
}

static bool ready(const struct live *l, int i)
{
	if (l->p[i].state != PS_PENDING)
		return false;
	if (i == PR_MONLIST_I2)
		return l->p[PR_MONLIST].state == PS_DONE || l->p[PR_MONLIST].state == PS_SKIPPED;
	return true;
}

static socklen_t host_sockaddr(const struct host *h, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (h->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(NTP_PORT);
		s->sin_addr = h->a.v4;
		return sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(NTP_PORT);
		s->sin6_addr = h->a.v6;
		s->sin6_scope_id = h->scope;
		return sizeof(*s);
	}
}

static struct live *live_open(struct scan *s, struct host *h)
{
	struct sockaddr_storage ss;
	socklen_t sl = host_sockaddr(h, &ss);
	struct live *l = calloc(1, sizeof(*l));
	int big = 1 << 20;
	__u8 nonce[8 * PR__COUNT];

	if (!l)
		return NULL;
	l->h = h;
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
		/* never fatal: the nonces only pair replies with requests */
		for (size_t i = 0; i < sizeof(nonce); i++)
			nonce[i] = (__u8)random();
	}
	for (int i = 0; i < PR__COUNT; i++)
		probe_init(&l->p[i], (enum probe_id)i, nonce + 8 * i);
	l->fd = socket(h->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (l->fd < 0) {
		live_local_error(l, errno, "socket");
		return l;
	}
	/* room for a whole monlist burst (100 x 440 octets) and more */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (connect(l->fd, (struct sockaddr *)&ss, sl)) {
		if (is_unreach_errno(errno))
			live_unreachable(l, errno);
		else
			live_local_error(l, errno, "connect");
	} else if (s->local_open) {
		s->local_open(s->local, s, h, l->fd);
	}
	return l;
}

static void live_close(struct scan *s, struct live *l)
{
	struct host *h = l->h;

	for (int i = 0; i < PR__COUNT; i++) {
		struct probe *p = &l->p[i];
		struct probe_sum *ps = &h->s[i];

		if (p->state == PS_SENT)
			finished(l, i);
		if (p->state == PS_PENDING) {
			p->state = PS_SKIPPED;
			p->skip = "not sent";
		}
		ps->outcome = (__u8)probe_outcome(p, h->unreachable);
		ps->sent = p->state != PS_SKIPPED;
		ps->complete = p->complete;
		ps->err = (short)p->err;
		ps->pkts = p->pkts;
		ps->items = p->items;
		ps->bad = p->bad;
		ps->dups = p->dups;
		ps->bytes = p->bytes;
		ps->skip = p->skip;
		if (p->version[0] && !h->version)
			h->version = strdup(p->version);
		probe_free(p);
	}
	if (l->fd >= 0) {
		if (s->local_close)
			s->local_close(s->local, h);
		close(l->fd);
	}
	host_verdict(h);
	if (h->v == V_VULNERABLE)
		s->vuln++;
	s->done++;
	free(l);
}

static void rx(struct live *l)
{
	static __u8 buf[RX_BUF];

	for (;;) {
		ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		size_t len;
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (is_unreach_errno(errno)) {
				live_unreachable(l, errno);
				continue;       /* the error is consumed; drain the rest */
			}
			live_local_error(l, errno, "recv");
			return;
		}
		/* MSG_TRUNC: n is the datagram's real length; parse what fits */
		len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf);
		i = probe_reply(buf, len, l->p);
		if (i < 0) {
			l->h->other_pkts++;
			l->h->other_bytes += (unsigned long)n;
			continue;
		}
		/* bytes beyond our buffer still count as received */
		l->p[i].bytes += (size_t)n - len;
		if (l->p[i].state == PS_SENT && l->p[i].complete)
			finished(l, i);
	}
}

static void send_probe(struct scan *s, struct live *l, int i, double t)
{
	struct probe *p = &l->p[i];
	ssize_t n;

	do {
		n = send(l->fd, p->req, p->req_len, 0);
	} while (n < 0 && errno == EINTR);
	s->sent++;
	if (n == (ssize_t)p->req_len) {
		p->state = PS_SENT;
		l->deadline[i] = t + s->o.timeout;
		return;
	}
	p->state = PS_SKIPPED;
	if (n >= 0 || !is_unreach_errno(errno)) {
		p->skip = "send failed";
		live_local_error(l, n < 0 ? errno : EIO, "send");
	} else {
		p->skip = errno == ECONNREFUSED ? "port unreachable" : "host unreachable";
		live_unreachable(l, errno);
	}
}

static bool live_finished(const struct live *l)
{
	for (int i = 0; i < PR__COUNT; i++)
		if (l->p[i].state == PS_PENDING || l->p[i].state == PS_SENT)
			return false;
	return true;
}

/* Probes past their deadline are done; finished hosts leave. */
static void reap(struct scan *s, double t)
{
	for (int k = 0; k < s->nact; k++) {
		struct live *l = s->act[k];

		for (int i = 0; i < PR__COUNT; i++)
			if (l->p[i].state == PS_SENT && l->deadline[i] <= t)
				finished(l, i);
		if (live_finished(l)) {
			live_close(s, l);
			s->nact--;
			s->act[k] = s->act[s->nact];
			k--;
			progress(s, false);
		}
	}
}

static int first_ready(const struct live *l)
{
	for (int i = 0; i < PR__COUNT; i++)
		if (ready(l, i))
			return i;
	return -1;
}

/* The next request: in-flight hosts first, then a new host. *pi < 0 if
 * there is none; -1 when out of memory. */
static int pick(struct scan *s, struct live **pl, int *pi)
{
	*pi = -1;
	for (int k = 0; k < s->nact && *pi < 0; k++) {
		*pl = s->act[k];
		*pi = first_ready(*pl);
	}
	while (*pi < 0 && s->nact < CHECK_MAX_ACTIVE && s->next < s->n) {
		*pl = live_open(s, &s->h[s->next++]);
		if (!*pl) {
			ng_err("out of memory");
			return -1;
		}
		s->act[s->nact++] = *pl;
		*pi = first_ready(*pl);
		if (*pi < 0)
			break;  /* it failed at once; closed by the next reap */
	}
	return 0;
}

/* Sleep until the next send, deadline or reply; read the replies. */
static int wait_events(struct scan *s, double t, double next_send)
{
	struct pollfd pfd[CHECK_MAX_ACTIVE];
	double wake = t + 3600;
	int np = 0, ms;

	for (int k = 0; k < s->nact; k++) {
		struct live *l = s->act[k];

		for (int i = 0; i < PR__COUNT; i++)
			if (l->p[i].state == PS_SENT && l->deadline[i] < wake)
				wake = l->deadline[i];
		if (live_finished(l))
			wake = t;
		if (first_ready(l) >= 0 && next_send < wake)
			wake = next_send;
		pfd[np++] = (struct pollfd){ .fd = l->fd, .events = POLLIN };
	}
	if (s->next < s->n && s->nact < CHECK_MAX_ACTIVE && next_send < wake)
		wake = next_send;
	ms = wake <= t ? 0 : (int)((wake - t) * 1000) + 1;
	if (s->progress && ms > 250)
		ms = 250;
	if (poll(pfd, (nfds_t)np, ms) < 0 && errno != EINTR) {
		ng_err("poll: %s", strerror(errno));
		return -1;
	}
	for (int k = 0; k < np; k++)
		if (pfd[k].revents && s->act[k]->fd >= 0)
			rx(s->act[k]);
	return 0;
}

int check_scan_run(struct scan *s)
{
	const double interval = 1.0 / s->o.rate;
	double next_send = ng_mono_now();
	struct live *l;
	int i;

	s->t0 = next_send;
	while (s->done < s->n) {
		double t = ng_mono_now();

		reap(s, t);
		if (s->done >= s->n)
			break;
		/* one request, when the rate allows */
		if (t >= next_send) {
			if (pick(s, &l, &i))
				return -1;
			if (i >= 0) {
				send_probe(s, l, i, t);
				next_send = t + interval;
				progress(s, false);
			}
		}
		if (wait_events(s, t, next_send))
			return -1;
	}
	progress(s, true);
	return 0;
}

void check_free(struct scan *s)
{
	for (int k = 0; k < s->nact; k++) {
		if (s->act[k]->fd >= 0) {
			if (s->local_close)
				s->local_close(s->local, s->act[k]->h);
			close(s->act[k]->fd);
		}
		for (int i = 0; i < PR__COUNT; i++)
			probe_free(&s->act[k]->p[i]);
		free(s->act[k]);
	}
	s->nact = 0;
	for (size_t i = 0; i < s->n; i++)
		free(s->h[i].version);
	free(s->h);
	s->h = NULL;
	s->n = 0;
}

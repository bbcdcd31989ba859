// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check: probe NTP servers the way ntpdc and nmap do, and report which ones
 * a reflection attacker could use (monlist, CVE-2013-5211).
 *
 * Per host, in this order, paced by one global rate limit:
 *   mode 7 monlist (code 42) impl 3, then impl 2 if impl 3 gave no data,
 *   mode 7 code 20, PEER_LIST (0), PEER_LIST_SUM (1), mode 6 READVAR and a
 *   mode 3 time request. Requests: 48 octets (mode 7, nmap's form), 12
 *   (mode 6), 48 (mode 3).
 *
 * Safety:
 *  - Packets go only to the addresses the user named (a host name's
 *    addresses, every host of a CIDR), port 123, from an ordinary
 *    unprivileged UDP socket per host, connected to that host: the kernel
 *    delivers only datagrams from HOST:123, and ICMP errors (closed port)
 *    come back as socket errors. Nothing is spoofed.
 *  - A CIDR larger than --max-hosts (default 1024, a /22 or /118) is
 *    refused before anything is sent.
 *  - All requests share one rate limit (--rate per second, default 20,
 *    strictly spaced), and every probe has an absolute deadline
 *    (--timeout after it was sent), so the run ends after at most
 *    requests/rate + timeout seconds, whatever the servers do.
 *  - Replies are parsed with bounds checks (probe.c); at most 128 hosts are
 *    in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "attach.h"
#include "params.h"
#include "cmds.h"
#include "ntp_wire.h"
#include "probe.h"

#define CHECK_EXIT_VULNERABLE 3

#define DEF_TIMEOUT    2               /* seconds */
#define DEF_RATE       20              /* requests per second */
#define DEF_MAX_HOSTS  1024            /* a /22 or a /118 */
#define MAX_MAX_HOSTS  65536           /* a /16 or a /112 */
#define MAX_ACTIVE     128
#define RX_BUF         2048
#define SHOW_SILENT    32              /* list silent hosts up to this many */

enum verdict {
	V_VULNERABLE,   /* mode 7 answered with data */
	V_M7_NODATA,    /* mode 7 answered, errors only */
	V_M6_ONLY,      /* no mode 7 reply, mode 6 answered */
	V_SILENT,       /* nothing answered */
	V_ERROR,        /* we could not probe it (local error) */
	V__COUNT
};

static const char *const verdict_key[V__COUNT] = {
	"vulnerable", "mode7-no-data", "mode6-only", "not-answering", "error",
};
static const char *const verdict_text[V__COUNT] = {
	"VULNERABLE", "answers mode 7 without data", "mode 6 only",
	"not answering", "not probed",
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
};

/* A host being probed. */
struct live {
	struct host *h;
	int fd;
	struct probe p[PR__COUNT];
	double deadline[PR__COUNT];
};

struct opts {
	double timeout, rate;
	__u32 max_hosts;
	bool json, all, only4, only6, want4, want6;
	int progress;           /* -1 auto, 0 off, 1 on */
};

struct scan {
	struct opts o;
	struct host *h;
	size_t n, cap;
	size_t done, next;
	unsigned long sent, vuln;
	struct live *act[MAX_ACTIVE];
	int nact;
	double t0, last_progress;
	bool progress;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void host_fmt(const struct host *h, char *buf, size_t len)
{
	if (!inet_ntop(h->family, &h->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	if (h->family == AF_INET6 && h->scope) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%%%u", h->scope);
	}
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

/* IP + UDP header octets per packet. */
static unsigned hdr_len(int family)
{
	return family == AF_INET6 ? 40 + 8 : 20 + 8;
}

/* ------------------------------------------------------------ targets */

static struct host *host_add(struct scan *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct host *t = realloc(s->h, cap * sizeof(*t));

		if (!t)
			return NULL;
		s->h = t;
		s->cap = cap;
	}
	memset(&s->h[s->n], 0, sizeof(s->h[0]));
	return &s->h[s->n++];
}

/* Hosts in a prefix: IPv4 without network and broadcast up to /30. */
static unsigned long long prefix_hosts(int family, unsigned plen)
{
	unsigned bits = (family == AF_INET ? 32 : 128) - plen;

	if (bits > 40)
		return ~0ULL;
	if (family == AF_INET && bits >= 2)
		return (1ULL << bits) - 2;
	return 1ULL << bits;
}

static int add_cidr(struct scan *s, const char *arg, int family, const __u8 *addr,
		    unsigned plen, unsigned long long *budget)
{
	unsigned long long n = prefix_hosts(family, plen), first = 0;
	unsigned alen = family == AF_INET ? 4 : 16;

	if (n > *budget) {
		char nb[32];

		if (n == ~0ULL)
			snprintf(nb, sizeof(nb), "more than 2^40");
		else
			snprintf(nb, sizeof(nb), "%llu", n);
		ng_err("%s is %s hosts, more than the %u that --max-hosts allows in "
		       "total (default %u: a /22 or /118); raise --max-hosts (at most %u) "
		       "to scan it", arg, nb, s->o.max_hosts, DEF_MAX_HOSTS, MAX_MAX_HOSTS);
		return -1;
	}
	*budget -= n;
	if (family == AF_INET && plen <= 30)
		first = 1;      /* skip the network address */
	for (unsigned long long i = 0; i < n; i++) {
		struct host *h = host_add(s);
		unsigned long long v = first + i;
		__u8 *b;

		if (!h) {
			ng_err("out of memory");
			return -1;
		}
		h->family = family;
		b = (__u8 *)&h->a;
		memcpy(b, addr, alen);
		/* add v to the address (host bits are zero) */
		for (int k = (int)alen - 1; k >= 0 && v; k--) {
			unsigned sum = b[k] + (unsigned)(v & 0xff);

			b[k] = (__u8)sum;
			v = (v >> 8) + (sum >> 8);
		}
		h->target = arg;
	}
	return 0;
}

/* 0 ok, -1 runtime error (message printed), -2 bad argument (printed). */
static int add_target(struct scan *s, const char *arg, unsigned long long *budget)
{
	__u8 addr[16];
	struct addrinfo hints, *res = NULL, *ai;
	int rc;
	size_t before = s->n;

	if (!*arg || strlen(arg) > 253) {
		ng_err("'%s' is not a host name, address or CIDR", arg);
		return -2;
	}
	if (strchr(arg, '/')) {
		struct ng_cidr c;
		char fixed[64];

		switch (ng_parse_cidr(arg, &c)) {
		case NG_CIDR_OK:
			break;
		case NG_CIDR_BAD_LEN:
			ng_err("'%s': prefix length must be 0..%u", arg, ng_cidr_bits(&c));
			return -2;
		case NG_CIDR_HOST_BITS:
			ng_cidr_format(&c, fixed, sizeof(fixed));
			ng_err("'%s' has host bits set (did you mean %s?)", arg, fixed);
			return -2;
		default:
			ng_err("'%s' is not an IPv4 or IPv6 prefix", arg);
			return -2;
		}
		if ((c.family == AF_INET && !s->o.want4) || (c.family == AF_INET6 && !s->o.want6)) {
			ng_err("'%s' is an %s prefix, excluded by -%c", arg,
			       c.family == AF_INET ? "IPv4" : "IPv6", s->o.want4 ? '4' : '6');
			return -2;
		}
		return add_cidr(s, arg, c.family, c.addr, c.prefixlen, budget) ? -2 : 0;
	}

	/* an address literal (IPv6 may carry %scope), or a host name */
	memset(&hints, 0, sizeof(hints));
	if (strchr(arg, ':') || strspn(arg, "0123456789.") == strlen(arg)) {
		/* no host name looks like this: an address, or a typo in one;
		 * dotted quads only (no inet_aton shorthand like 192.0.2) */
		hints.ai_flags = AI_NUMERICHOST;
		if ((!strchr(arg, ':') && inet_pton(AF_INET, arg, addr) != 1) ||
		    getaddrinfo(arg, "123", &hints, &res)) {
			ng_err("'%s' is not a valid %s address", arg,
			       strchr(arg, ':') ? "IPv6" : "IPv4");
			return -2;
		}
		freeaddrinfo(res);
		res = NULL;
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_family = s->o.want4 && s->o.want6 ? AF_UNSPEC :
			  s->o.want4 ? AF_INET : AF_INET6;
	rc = getaddrinfo(arg, "123", &hints, &res);
	if (rc) {
		ng_err("cannot resolve '%s': %s", arg,
		       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct host *h;
		bool dup = false;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		/* one name, several identical answers: keep one */
		for (size_t i = before; i < s->n && !dup; i++) {
			const struct host *o = &s->h[i];

			if (o->family != ai->ai_family)
				continue;
			if (o->family == AF_INET)
				dup = !memcmp(&o->a.v4, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			else
				dup = !memcmp(&o->a.v6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		}
		if (dup)
			continue;
		if (!*budget) {
			ng_err("'%s': more than the %u hosts --max-hosts allows", arg,
			       s->o.max_hosts);
			freeaddrinfo(res);
			return -2;
		}
		h = host_add(s);
		if (!h) {
			freeaddrinfo(res);
			ng_err("out of memory");
			return -1;
		}
		(*budget)--;
		h->family = ai->ai_family;
		if (h->family == AF_INET) {
			h->a.v4 = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		} else {
			h->a.v6 = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
			h->scope = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_scope_id;
		}
		h->target = arg;
	}
	freeaddrinfo(res);
	if (s->n == before) {
		ng_err("'%s' has no %s address", arg, s->o.want4 ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

static int host_cmp(const void *pa, const void *pb)
{
	const struct host *const *a = pa, *const *b = pb;
	int r;

	if ((*a)->family != (*b)->family)
		return (*a)->family - (*b)->family;
	r = memcmp(&(*a)->a, &(*b)->a, (*a)->family == AF_INET ? 4 : 16);
	if (!r)
		r = (int)(*a)->scope - (int)(*b)->scope;
	if (!r)
		r = *a < *b ? -1 : *a > *b;     /* keep the first one named */
	return r;
}

/* Drop hosts named twice (overlapping targets), keeping argument order. */
static int dedupe(struct scan *s)
{
	struct host **idx;
	bool *drop;
	size_t w = 0;

	if (s->n < 2)
		return 0;
	idx = calloc(s->n, sizeof(*idx));
	drop = calloc(s->n, sizeof(*drop));
	if (!idx || !drop) {
		free(idx);
		free(drop);
		return -1;
	}
	for (size_t i = 0; i < s->n; i++)
		idx[i] = &s->h[i];
	qsort(idx, s->n, sizeof(*idx), host_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (idx[i]->family == idx[i - 1]->family && idx[i]->scope == idx[i - 1]->scope &&
		    !memcmp(&idx[i]->a, &idx[i - 1]->a, idx[i]->family == AF_INET ? 4 : 16))
			drop[idx[i] - s->h] = true;
	for (size_t i = 0; i < s->n; i++)
		if (!drop[i])
			s->h[w++] = s->h[i];
	s->n = w;
	free(idx);
	free(drop);
	return 0;
}

/* ------------------------------------------------------------- probing */

static void progress(struct scan *s, bool final)
{
	double t = now_s(), el = t - s->t0;

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
	}
	(void)s;
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
	if (l->fd >= 0)
		close(l->fd);
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
		for (i = 0; i < PR__COUNT; i++) {
			struct probe *p = &l->p[i];

			if (p->state != PS_SENT && p->state != PS_DONE)
				continue;
			if (!probe_matches(p, (enum probe_id)i, buf, len))
				continue;
			probe_account(p, (enum probe_id)i, buf, len);
			/* bytes beyond our buffer still count as received */
			p->bytes += (size_t)n - len;
			if (p->state == PS_SENT && p->complete)
				finished(l, i);
			break;
		}
		if (i == PR__COUNT) {
			l->h->other_pkts++;
			l->h->other_bytes += (unsigned long)n;
		}
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

static int scan_run(struct scan *s)
{
	const double interval = 1.0 / s->o.rate;
	double next_send = now_s();
	struct pollfd pfd[MAX_ACTIVE];

	s->t0 = next_send;
	while (s->done < s->n) {
		double t = now_s(), wake = t + 3600;
		int k, np = 0, ms;

		/* deadlines, and hosts that are finished */
		for (k = 0; k < s->nact; k++) {
			struct live *l = s->act[k];

			for (int i = 0; i < PR__COUNT; i++)
				if (l->p[i].state == PS_SENT && l->deadline[i] <= t)
					finished(l, i);
			if (live_finished(l)) {
				live_close(s, l);
				s->act[k] = s->act[--s->nact];
				k--;
				progress(s, false);
			}
		}
		if (s->done >= s->n)
			break;

		/* one request, when the rate allows: in-flight hosts first */
		if (t >= next_send) {
			struct live *pick = NULL;
			int pi = -1;

			for (k = 0; k < s->nact && !pick; k++)
				for (int i = 0; i < PR__COUNT && !pick; i++)
					if (ready(s->act[k], i)) {
						pick = s->act[k];
						pi = i;
					}
			while (!pick && s->nact < MAX_ACTIVE && s->next < s->n) {
				struct live *l = live_open(s, &s->h[s->next++]);

				if (!l) {
					ng_err("out of memory");
					return -1;
				}
				s->act[s->nact++] = l;
				for (int i = 0; i < PR__COUNT && !pick; i++)
					if (ready(l, i)) {
						pick = l;
						pi = i;
					}
				if (!pick)
					break;  /* it failed at once; closed above next round */
			}
			if (pick) {
				send_probe(s, pick, pi, t);
				next_send = t + interval;
				progress(s, false);
			}
		}

		/* sleep until the next send, deadline or reply */
		for (k = 0; k < s->nact; k++) {
			struct live *l = s->act[k];
			bool can_send = false;

			for (int i = 0; i < PR__COUNT; i++) {
				if (l->p[i].state == PS_SENT && l->deadline[i] < wake)
					wake = l->deadline[i];
				can_send |= ready(l, i);
			}
			if (live_finished(l))
				wake = t;
			if (can_send && next_send < wake)
				wake = next_send;
			pfd[np].fd = l->fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
		}
		if (s->next < s->n && s->nact < MAX_ACTIVE && next_send < wake)
			wake = next_send;
		ms = wake <= t ? 0 : (int)((wake - t) * 1000) + 1;
		if (s->progress && ms > 250)
			ms = 250;
		if (poll(pfd, (nfds_t)np, ms) < 0 && errno != EINTR) {
			ng_err("poll: %s", strerror(errno));
			return -1;
		}
		for (k = 0; k < np; k++)
			if (pfd[k].revents && s->act[k]->fd >= 0)
				rx(s->act[k]);
	}
	progress(s, true);
	return 0;
}

/* ------------------------------------------------------------- output */

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void sum_host(const struct host *h, unsigned *tx_pkts, unsigned long *tx_bytes,
		     unsigned *rx_pkts, unsigned long *rx_bytes)
{
	*tx_pkts = 0;
	*tx_bytes = 0;
	*rx_pkts = h->other_pkts;
	*rx_bytes = h->other_bytes;
	for (int i = 0; i < PR__COUNT; i++) {
		if (h->s[i].sent) {
			(*tx_pkts)++;
			*tx_bytes += probe_defs[i].req_len;
		}
		*rx_pkts += h->s[i].pkts;
		*rx_bytes += h->s[i].bytes;
	}
}

/* The probe with the largest amplification (mode 7/6 only), or -1. */
static int worst_probe(const struct host *h)
{
	int w = -1;
	double best = 0;

	for (int i = 0; i < PR__COUNT; i++) {
		double b = ratio((double)h->s[i].bytes, probe_defs[i].req_len);

		if (probe_defs[i].mode == NTP_MODE_CLIENT || !h->s[i].pkts)
			continue;
		if (b > best) {
			best = b;
			w = i;
		}
	}
	return w;
}

static const char *reply_detail(const struct probe_sum *ps, int mode, char *buf, size_t len)
{
	buf[0] = 0;
	if (ps->outcome == PO_SKIPPED)
		snprintf(buf, len, "%s", ps->skip ? ps->skip : "");
	else if (mode == NTP_MODE_PRIVATE && ps->err > 0)
		snprintf(buf, len, "%s", m7_err_name(ps->err));
	else if (mode == NTP_MODE_CONTROL && ps->err >= 0)
		snprintf(buf, len, "mode 6 error %d", ps->err);
	else if (mode == NTP_MODE_PRIVATE && ps->items)
		snprintf(buf, len, "%u items%s", ps->items, ps->complete ? "" : ", incomplete");
	if (ps->bad || ps->dups) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%s%u malformed, %u duplicate", l ? "; " : "",
			 ps->bad, ps->dups);
	}
	return buf;
}

static void print_host_text(const struct host *h, const struct opts *o)
{
	char addr[INET6_ADDRSTRLEN + 16], det[96];
	unsigned hl = hdr_len(h->family), txp, rxp;
	unsigned long txb, rxb;
	int w = worst_probe(h);

	host_fmt(h, addr, sizeof(addr));
	sum_host(h, &txp, &txb, &rxp, &rxb);
	printf("%s: %s", addr, verdict_text[h->v]);
	if (h->v == V_VULNERABLE || h->v == V_M7_NODATA || h->v == V_M6_ONLY) {
		if (w >= 0)
			printf(" (worst: %s, %u packet%s, %lu bytes, %.1fx)", probe_defs[w].key,
			       h->s[w].pkts, h->s[w].pkts == 1 ? "" : "s", h->s[w].bytes,
			       ratio((double)h->s[w].bytes, probe_defs[w].req_len));
	} else if (h->v == V_ERROR) {
		printf(" (%s: %s)", h->lerr_what, strerror(h->lerr));
	} else if (h->unreachable) {
		printf(" (%s)", h->uerr == ECONNREFUSED ? "port unreachable (ICMP)" :
		       strerror(h->uerr));
	} else {
		printf(" (no reply within %.1f s)", o->timeout);
	}
	if (h->target && strcmp(h->target, addr))
		printf(" [%s]", h->target);
	printf("\n");
	if (h->v == V_SILENT || h->v == V_ERROR)
		return;
	printf("  %-26s %-11s %5s %7s %9s %9s\n", "probe", "reply", "pkts", "bytes",
	       "BAF", "IP-level");
	for (int i = 0; i < PR__COUNT; i++) {
		const struct probe_sum *ps = &h->s[i];
		const struct probe_def *d = &probe_defs[i];

		reply_detail(ps, d->mode, det, sizeof(det));
		if (!ps->sent)
			printf("  %-26s %-11s %5s %7s %9s %9s", d->label, "-", "-", "-", "-", "-");
		else
			printf("  %-26s %-11s %5u %7lu %9.1f %9.1f", d->label,
			       probe_outcome_name((enum probe_outcome)ps->outcome), ps->pkts,
			       ps->bytes, ratio((double)ps->bytes, d->req_len),
			       ratio((double)ps->bytes + (double)ps->pkts * hl, d->req_len + hl));
		printf("%s%s\n", det[0] ? "  " : "", det);
	}
	if (h->other_pkts)
		printf("  other replies: %u packets, %lu bytes (matched no probe)\n",
		       h->other_pkts, h->other_bytes);
	printf("  total: sent %u requests, %lu bytes; received %u packets, %lu bytes "
	       "(%.1fx; IP-level %.1fx)\n", txp, txb, rxp, rxb, ratio((double)rxb, (double)txb),
	       ratio((double)rxb + (double)rxp * hl, (double)txb + (double)txp * hl));
	printf("  ntpd version: %s\n", h->version ? h->version :
	       h->s[PR_READVAR].outcome == PO_DATA ? "(not in the mode 6 reply)" :
	       "unknown (mode 6 not answered)");
}

static void print_text(const struct scan *s, double elapsed)
{
	unsigned long cnt[V__COUNT] = { 0 };
	bool any = false;

	for (size_t i = 0; i < s->n; i++)
		cnt[s->h[i].v]++;
	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->h[i];

		if (h->v == V_SILENT && !s->o.all && s->n > SHOW_SILENT)
			continue;
		print_host_text(h, &s->o);
		any |= h->v != V_SILENT && h->v != V_ERROR;
	}
	if (s->n > SHOW_SILENT && !s->o.all && cnt[V_SILENT])
		printf("%lu hosts not answering (--all lists them)\n", cnt[V_SILENT]);
	if (any)
		printf("\nBAF: reply UDP payload / request UDP payload (requests: mode 7 %u, "
		       "mode 6 %u, mode 3 %u bytes);\nIP-level: the same with IP and UDP "
		       "headers (28 bytes IPv4, 48 IPv6 per packet).\n",
		       PROBE_M7_LEN, PROBE_M6_LEN, PROBE_M3_LEN);
	printf("%s%zu host%s checked in %.1f s: %lu vulnerable, %lu answer mode 7 without data, "
	       "%lu mode 6 only, %lu not answering", any ? "" : "\n", s->n,
	       s->n == 1 ? "" : "s", elapsed, cnt[V_VULNERABLE], cnt[V_M7_NODATA],
	       cnt[V_M6_ONLY], cnt[V_SILENT]);
	if (cnt[V_ERROR])
		printf(", %lu not probed (local error)", cnt[V_ERROR]);
	printf("\n");
}

static void json_num(double v)
{
	printf("%.2f", isfinite(v) ? v : 0);
}

static void print_host_json(const struct host *h)
{
	char addr[INET6_ADDRSTRLEN + 16];
	unsigned hl = hdr_len(h->family), txp, rxp;
	unsigned long txb, rxb;
	int w = worst_probe(h);

	host_fmt(h, addr, sizeof(addr));
	sum_host(h, &txp, &txb, &rxp, &rxb);
	printf("{\"address\": ");
	ng_json_str(stdout, addr);
	printf(", \"family\": \"%s\", \"target\": ", h->family == AF_INET ? "ipv4" : "ipv6");
	ng_json_str(stdout, h->target ? h->target : addr);
	printf(", \"verdict\": \"%s\", \"ntpd_version\": ", verdict_key[h->v]);
	if (h->version)
		ng_json_str(stdout, h->version);
	else
		printf("null");
	printf(", \"serves_time\": %s, \"unreachable\": ",
	       h->s[PR_TIME].outcome == PO_DATA ? "true" : "false");
	if (h->unreachable)
		ng_json_str(stdout, h->uerr == ECONNREFUSED ? "port unreachable" : strerror(h->uerr));
	else
		printf("null");
	printf(", \"error\": ");
	if (h->lerr) {
		char e[160];

		snprintf(e, sizeof(e), "%s: %s", h->lerr_what, strerror(h->lerr));
		ng_json_str(stdout, e);
	} else {
		printf("null");
	}
	printf(", \"tx_packets\": %u, \"tx_bytes\": %lu, \"rx_packets\": %u, \"rx_bytes\": %lu"
	       ", \"rx_ip_bytes\": %lu, \"other_packets\": %u, \"other_bytes\": %lu"
	       ", \"max_baf\": ", txp, txb, rxp, rxb, rxb + (unsigned long)rxp * hl,
	       h->other_pkts, h->other_bytes);
	if (w >= 0) {
		json_num(ratio((double)h->s[w].bytes, probe_defs[w].req_len));
		printf(", \"max_baf_probe\": \"%s\"", probe_defs[w].key);
	} else {
		printf("0, \"max_baf_probe\": null");
	}
	printf(", \"probes\": {");
	for (int i = 0; i < PR__COUNT; i++) {
		const struct probe_sum *ps = &h->s[i];
		const struct probe_def *d = &probe_defs[i];
		unsigned long ipb = ps->bytes + (unsigned long)ps->pkts * hl;

		printf("%s\"%s\": {\"mode\": %u", i ? ", " : "", d->key, d->mode);
		if (d->mode == NTP_MODE_PRIVATE)
			printf(", \"impl\": %u, \"code\": %u", d->impl, d->code);
		else if (d->mode == NTP_MODE_CONTROL)
			printf(", \"opcode\": %u", d->code);
		printf(", \"sent\": %s, \"answered\": %s, \"reply\": \"%s\"",
		       ps->sent ? "true" : "false", ps->pkts ? "true" : "false",
		       probe_outcome_name((enum probe_outcome)ps->outcome));
		printf(", \"skipped_because\": ");
		if (!ps->sent && ps->skip)
			ng_json_str(stdout, ps->skip);
		else
			printf("null");
		printf(", \"error\": ");
		if (ps->err >= 0 && d->mode == NTP_MODE_PRIVATE)
			printf("\"%s\"", m7_err_name(ps->err));
		else if (ps->err >= 0)
			printf("%d", ps->err);
		else
			printf("null");
		printf(", \"packets\": %u, \"bytes\": %lu, \"ip_bytes\": %lu", ps->pkts, ps->bytes,
		       ipb);
		printf(", \"request_bytes\": %u, \"request_ip_bytes\": %u", ps->sent ? d->req_len : 0,
		       ps->sent ? d->req_len + hl : 0);
		printf(", \"baf\": ");
		if (ps->sent)
			json_num(ratio((double)ps->bytes, d->req_len));
		else
			printf("null");
		printf(", \"ip_factor\": ");
		if (ps->sent)
			json_num(ratio((double)ipb, d->req_len + hl));
		else
			printf("null");
		printf(", \"complete\": %s, \"malformed\": %u, \"duplicates\": %u",
		       ps->complete ? "true" : "false", ps->bad, ps->dups);
		if (d->mode == NTP_MODE_PRIVATE)
			printf(", \"items\": %u", ps->items);
		if (d->mode == NTP_MODE_CONTROL) {
			printf(", \"version\": ");
			if (h->version)
				ng_json_str(stdout, h->version);
			else
				printf("null");
		}
		printf("}");
	}
	printf("}}");
}

static void print_json(const struct scan *s, double elapsed)
{
	unsigned long cnt[V__COUNT] = { 0 };

	printf("{\"timeout\": ");
	json_num(s->o.timeout);
	printf(", \"rate\": ");
	json_num(s->o.rate);
	printf(", \"request_bytes\": {\"mode7\": %u, \"mode6\": %u, \"mode3\": %u}, \"hosts\": [",
	       PROBE_M7_LEN, PROBE_M6_LEN, PROBE_M3_LEN);
	for (size_t i = 0; i < s->n; i++) {
		cnt[s->h[i].v]++;
		printf("%s", i ? ", " : "");
		print_host_json(&s->h[i]);
	}
	printf("], \"summary\": {\"hosts\": %zu", s->n);
	for (int v = 0; v < V__COUNT; v++)
		printf(", \"%s\": %lu", verdict_key[v], cnt[v]);
	printf(", \"requests_sent\": %lu, \"elapsed_s\": ", s->sent);
	json_num(elapsed);
	printf("}}\n");
}

/* ---------------------------------------------------------------- main */

static const struct ng_opt check_opts[] = {
	NG_OPT(NG_OPT_NUM, struct opts, timeout, "timeout", 't', .metavar = "S",
	       .dmin = 0.05, .dmax = 60, .what = "a number of seconds",
	       .help = "wait S seconds for each probe's replies (default "
		       NG_STR(DEF_TIMEOUT) ")"),
	NG_OPT(NG_OPT_NUM, struct opts, rate, "rate", 'r', .metavar = "N",
	       .dmin = 0.1, .dmax = 10000,
	       .help = "send at most N requests per second, strictly\n"
		       "spaced (default " NG_STR(DEF_RATE) ", at most 10000)"),
	NG_OPT(NG_OPT_UINT, struct opts, max_hosts, "max-hosts", 0, .metavar = "N",
	       .min = 1, .max = MAX_MAX_HOSTS,
	       .help = "refuse to scan more than N hosts in total (default\n"
		       NG_STR(DEF_MAX_HOSTS) ": a /22 or /118; at most "
		       NG_STR(MAX_MAX_HOSTS) ")"),
	NG_OPT(NG_OPT_FLAG, struct opts, only4, NULL, '4', .group = 1,
	       .help = "IPv4 addresses only"),
	NG_OPT(NG_OPT_FLAG, struct opts, only6, NULL, '6', .group = 1,
	       .help = "IPv6 addresses only"),
	NG_OPT(NG_OPT_FLAG, struct opts, all, "all", 'a', .flags = NG_OPT_NOSYN,
	       .help = "also list every host that did not answer"),
	NG_OPT(NG_OPT_SET, struct opts, progress, "progress", 0, .set = 1,
	       .flags = NG_OPT_NOSYN,
	       .help = "progress on stderr (default: when stdout and stderr\n"
		       "are terminals, without --json, for more than one host)"),
	NG_OPT(NG_OPT_SET, struct opts, progress, "no-progress", 0, .set = 0,
	       .flags = NG_OPT_NOSYN, .help = "no progress on stderr"),
	NG_OPT(NG_OPT_FLAG, struct opts, json, "json", 'j',
	       .help = "machine-readable output on stdout"),
	NG_OPT_END
};

static int cmd_check(int argc, char **argv)
{
	struct scan s = { .o = { .timeout = DEF_TIMEOUT, .rate = DEF_RATE,
				 .max_hosts = DEF_MAX_HOSTS, .progress = -1 } };
	unsigned long long budget;
	unsigned long errors = 0;
	double elapsed;
	int first, rc, ret;

	ret = ng_parse(&check_cmd, &s.o, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	ret = NG_EXIT_FAIL;
	s.o.want4 = !s.o.only6;
	s.o.want6 = !s.o.only4;
	if (first >= argc)
		return ng_cmd_usage_err(&check_cmd, "check: no TARGET given");

	/* every target is resolved and counted before anything is sent */
	budget = s.o.max_hosts;
	for (int i = first; i < argc; i++) {
		rc = add_target(&s, argv[i], &budget);
		if (rc) {
			ret = rc == -2 ? NG_EXIT_USAGE : NG_EXIT_FAIL;
			goto out;
		}
	}
	if (dedupe(&s)) {
		ng_err("out of memory");
		goto out;
	}
	s.progress = s.o.progress == 1 ||
		     (s.o.progress < 0 && !s.o.json && s.n > 1 &&
		      isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
	if (scan_run(&s))
		goto out;
	elapsed = now_s() - s.t0;
	if (s.o.json)
		print_json(&s, elapsed);
	else
		print_text(&s, elapsed);
	fflush(stdout);
	for (size_t i = 0; i < s.n; i++)
		errors += s.h[i].v == V_ERROR;
	ret = s.vuln ? CHECK_EXIT_VULNERABLE : errors ? NG_EXIT_FAIL : NG_EXIT_OK;
	if (!s.vuln && errors)
		ng_err("%lu host%s could not be probed", errors, errors == 1 ? "" : "s");
out:
	for (int k = 0; k < s.nact; k++) {
		if (s.act[k]->fd >= 0)
			close(s.act[k]->fd);
		for (int i = 0; i < PR__COUNT; i++)
			probe_free(&s.act[k]->p[i]);
		free(s.act[k]);
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.h[i].version);
	free(s.h);
	return ret;
}

const struct ng_cmd check_cmd = {
	.name = "check",
	.summary = "probe NTP servers for monlist (mode 7) and mode 6 exposure",
	.args = "TARGET...",
	.doc = "Probes NTP servers the way ntpdc and nmap do and reports which ones\n"
	       "an attacker could use for monlist reflection (CVE-2013-5211). Needs\n"
	       "no privileges; sends only to the targets named, to UDP port 123.\n\n"
	       "TARGET is a host name (every address it resolves to), an IPv4 or\n"
	       "IPv6 address, or a CIDR prefix (IPv4: without network and broadcast\n"
	       "address up to /30).\n\n"
	       "Per host: mode 7 monlist (code 42, implementation 3; implementation 2\n"
	       "if 3 gave no data), code 20, PEER_LIST (0), PEER_LIST_SUM (1), mode 6\n"
	       "READVAR, and a mode 3 time request. Replies are collected until the\n"
	       "last packet (M bit clear) or the timeout. Verdicts:\n"
	       "  vulnerable      a mode 7 request was answered with data\n"
	       "  mode7-no-data   mode 7 answered with error replies only\n"
	       "  mode6-only      no mode 7 reply, mode 6 answered\n"
	       "  not-answering   no mode 6/7 reply (see serves_time for mode 3)\n"
	       "  error           could not be probed (local error)\n"
	       "BAF = reply UDP payload / request UDP payload (mode 7 requests are 48\n"
	       "bytes, mode 6 12, mode 3 48); the IP-level factor adds 28 (IPv4) or\n"
	       "48 (IPv6) header bytes per packet.\n",
	.epilog = "The run takes at most (requests / rate) + timeout seconds; up to 7\n"
		  "requests per host.\n"
		  "Exit: 0 no host vulnerable, 3 at least one host vulnerable, 1 runtime\n"
		  "error (name resolution, sockets; also when no host was vulnerable but\n"
		  "some could not be probed), 2 bad arguments.\n",
	.opts = check_opts,
	.run = cmd_check,
};

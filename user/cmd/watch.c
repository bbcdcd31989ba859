// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * watch: a small daemon that protects every interface whose name matches a
 * pattern (vnet*, tap*, veth*...), the existing ones at start and each new
 * one as the kernel announces it (rtnetlink RTM_NEWLINK / RTM_DELLINK on
 * RTMGRP_LINK). Hypervisors and container hosts create these devices when a
 * guest starts and delete them when it stops.
 *
 * Each attach or detach is one `ntpguard load`/`unload` worth of work under
 * the bpffs lock (ng_attach_prepare .. ng_unlock); the lock is never held
 * while idle, so the CLI keeps working next to the daemon. Attachment state
 * stays in the pinned records as always: the daemon's own table only
 * remembers which ifindex it has already handled, so repeated NEWLINKs
 * (carrier changes, up/down flaps, bridge enslavement) cost nothing.
 *
 * When an interface is deleted the kernel has already removed its XDP and TC
 * programs; its records are marked detached (counters stay readable until
 * `ntpguard unload` removes the pins) and libxdp's dispatcher pins for that
 * ifindex are cleaned. A re-created interface with the same name gets a new
 * ifindex and is attached again, continuing its counters.
 *
 * Lost events (ENOBUFS, a truncated message) and SIGHUP trigger a resync: a
 * full rescan. SIGTERM/SIGINT: exit 0, attachments stay in place (unless
 * --unload-on-exit).
 *
 * With --config the patterns are the configuration file's [watch] sections
 * and the names of its [interface] sections (an interface missing when
 * `apply` ran is attached when it appears), each with its own direction
 * and mode; SIGHUP reads the file again (a file with errors is logged and
 * the previous one kept). Detaching what the file no longer names is
 * apply's job: watch only attaches.
 */
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "common.h"
#include "attach.h"
#include "config.h"
#include "params.h"
#include "cmds.h"

#define WATCH_RCVBUF_DEFAULT 1048576   /* 1 MiB */
#define WATCH_TEXT 2048   /* one log line */

enum wstate {
	WS_OK,        /* protected (attached now, or found already protected) */
	WS_FAILED,    /* attach failed: retried on the next NEWLINK */
	WS_SKIPPED,   /* matches, but not an Ethernet device */
};

struct watched {
	int ifindex;
	char name[IF_NAMESIZE];
	enum wstate state;
	bool seen;   /* resync bookkeeping */
};

struct watch_cfg {
	struct ng_strv match;   /* fnmatch patterns */
	const char *config;     /* or the configuration file's */
	bool egress, unload_on_exit;
	int mode;               /* enum xdp_attach_mode */
	__u32 rcvbuf;
};

/* What to attach to a matching interface */
struct rule {
	unsigned dirs;          /* NG_WANT_* */
	int mode;               /* enum xdp_attach_mode */
	bool explicit;          /* named by an [interface] section, not a pattern */
};

static struct {
	struct watch_cfg cfg;
	struct ng_conf conf;    /* --config */
	struct ng_paths paths;
	struct watched *w;
	size_t n, cap;
} g;

/* ---- log: one line per event, timestamped -------------------------------- */

static void wlog(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(FILE *f, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03ldZ ", buf, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

/*
 * The attach code reports through ng_info (stdout) and ng_err (stderr), one
 * line per direction. While it runs for one event we collect those lines and
 * log them as one line: "a; b; c".
 */
struct capture {
	FILE *out, *err, *mem_out, *mem_err;
	char *buf_out, *buf_err;
	size_t len_out, len_err;
	char text[WATCH_TEXT];
	bool failed;   /* anything on stderr */
};

static void capture_begin(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	fflush(stdout);
	fflush(stderr);
	c->out = stdout;
	c->err = stderr;
	c->mem_out = open_memstream(&c->buf_out, &c->len_out);
	c->mem_err = open_memstream(&c->buf_err, &c->len_err);
	if (c->mem_out && c->mem_err) {
		stdout = c->mem_out;
		stderr = c->mem_err;
	}
}

static void join_lines(char *dst, size_t size, const char *src)
{
	size_t len = strlen(dst);

	for (const char *l = src; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (!strncmp(l, "ntpguard: ", 10)) {
			l += 10;
			n -= 10;
		}
		if (n && len < size - 1)
			len += (size_t)snprintf(dst + len, size - len, "%s%.*s",
						len ? "; " : "", (int)n, l);
		l = nl ? nl + 1 : NULL;
	}
}

/* Restores stdout/stderr; returns the collected lines joined by "; ". */
static const char *capture_end(struct capture *c)
{
	if (stdout == c->mem_out) {
		stdout = c->out;
		stderr = c->err;
	}
	if (c->mem_out)
		fclose(c->mem_out);
	if (c->mem_err)
		fclose(c->mem_err);
	c->failed = c->len_err > 0;
	join_lines(c->text, sizeof(c->text), c->buf_out);
	join_lines(c->text, sizeof(c->text), c->buf_err);
	free(c->buf_out);
	free(c->buf_err);
	if (!c->text[0])
		snprintf(c->text, sizeof(c->text), "%s", c->failed ? "failed" : "nothing to do");
	return c->text;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- the table of interfaces handled so far ------------------------------ */

static bool match_rule(const char *name, struct rule *r)
{
	const struct ng_conf_if *e;

	if (g.cfg.config) {
		e = ng_conf_match(&g.conf, name);
		if (e)
			*r = (struct rule){ e->dirs, e->mode, !ng_conf_is_watch(&g.conf, e) };
		return e != NULL;
	}
	for (int i = 0; i < g.cfg.match.n; i++)
		if (!fnmatch(g.cfg.match.v[i], name, 0)) {
			*r = (struct rule){ NG_WANT_INGRESS |
					    (g.cfg.egress ? NG_WANT_EGRESS : 0),
					    g.cfg.mode, false };
			return true;
		}
	return false;
}

static bool matches(const char *name)
{
	struct rule r;

	return match_rule(name, &r);
}

static struct watched *find_index(int ifindex)
{
	for (size_t i = 0; i < g.n; i++)
		if (g.w[i].ifindex == ifindex)
			return &g.w[i];
	return NULL;
}

static struct watched *find_name(const char *name)
{
	for (size_t i = 0; i < g.n; i++)
		if (!strcmp(g.w[i].name, name))
			return &g.w[i];
	return NULL;
}

static struct watched *track(int ifindex, const char *name, enum wstate st)
{
	struct watched *w = find_index(ifindex);

	if (!w) {
		if (g.n == g.cap) {
			size_t cap = g.cap ? 2 * g.cap : 64;
			struct watched *nw = realloc(g.w, cap * sizeof(*nw));

			if (!nw)
				return NULL;
			g.w = nw;
			g.cap = cap;
		}
		w = &g.w[g.n++];
		w->ifindex = ifindex;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->state = st;
	w->seen = true;
	return w;
}

static void untrack(struct watched *w)
{
	if (w)
		*w = g.w[--g.n];
}

/* ---- actions, each under the lock ---------------------------------------- */

/* Attach to ifindex/name (idempotent: "already protected" if it is). */
static void protect(int ifindex, const char *name, int type, const char *why)
{
	struct timespec t0;
	struct capture c;
	const char *text;
	int lock, rc = -1;
	struct rule rule;

	if (!match_rule(name, &rule))
		return;
	if (type != ARPHRD_ETHER && !rule.explicit) {
		struct watched *w = find_index(ifindex);

		if (!w || w->state != WS_SKIPPED || strcmp(w->name, name))
			wlog(stdout, "%s %s (ifindex %d): not an Ethernet device "
			     "(link type %d), not protected", why, name, ifindex, type);
		track(ifindex, name, WS_SKIPPED);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	capture_begin(&c);
	lock = ng_attach_prepare(&g.paths, 0);
	if (lock >= 0) {
		rc = ng_load_iface(&g.paths, name, (enum xdp_attach_mode)rule.mode, rule.dirs,
				   false);
		ng_unlock(lock);
	}
	text = capture_end(&c);
	wlog(rc ? stderr : stdout, "%s %s (ifindex %d): %s%s [%.0f ms]", why, name,
	     ifindex, rc ? "FAILED: " : "", text, ms_since(&t0));
	track(ifindex, name, rc ? WS_FAILED : WS_OK);
}

/*
 * Records of interfaces that no longer exist (ifindex, or 0: all of this
 * namespace): mark them detached. Returns how many changed; the lines the
 * attach code printed are in *text.
 */
static int forget(__u32 ifindex, char *text, size_t size)
{
	struct capture c;
	int lock, n = 0;

	text[0] = 0;
	if (!ng_pins_exist(&g.paths))
		return 0;
	capture_begin(&c);
	lock = ng_attach_prepare(&g.paths, 0);
	if (lock >= 0) {
		n = ng_forget_vanished(&g.paths, ifindex);
		ng_unlock(lock);
	}
	snprintf(text, size, "%s", capture_end(&c));
	if (c.failed && n == 0)
		n = -1;
	return n;
}

/* Detach what ntpguard has on name (a renamed or no longer wanted device). */
static void unprotect(const char *name, const char *why)
{
	struct timespec t0;
	struct capture c;
	const char *text;
	int lock, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	capture_begin(&c);
	lock = ng_attach_prepare(&g.paths, 0);
	if (lock >= 0) {
		rc = ng_unload_iface(&g.paths, name, NG_WANT_BOTH);
		ng_unlock(lock);
	}
	text = capture_end(&c);
	wlog(rc ? stderr : stdout, "%s: %s%s [%.0f ms]", why, rc ? "FAILED: " : "",
	     text, ms_since(&t0));
}

/* ---- events ------------------------------------------------------------------ */

static void on_newlink(int ifindex, const char *name, int type)
{
	struct watched *w = find_index(ifindex), *old;
	const char *why = w ? "retry" : "new";
	char text[WATCH_TEXT], msg[64];

	if (w && !strcmp(w->name, name) && w->state != WS_FAILED)
		return;              /* flap, carrier, master...: already handled */
	if (w && strcmp(w->name, name)) {
		/* Renamed. Records are per name: the old name's attachment
		 * goes, the new name is protected if it matches. */
		if (w->state == WS_OK) {
			snprintf(msg, sizeof(msg), "renamed %s -> %s (ifindex %d)",
				 w->name, name, ifindex);
			unprotect(w->name, msg);
		}
		untrack(w);
		why = "renamed";
	}
	if (!matches(name))
		return;
	/* The same name on another ifindex: the old device went while we were
	 * not listening (lost events); forget it first. */
	old = find_name(name);
	if (old && old->ifindex != ifindex) {
		int n = forget((__u32)old->ifindex, text, sizeof(text));

		if (n)
			wlog(stdout, "gone %s (ifindex %d): %s", name, old->ifindex, text);
		untrack(old);
	}
	/* Gone or renamed again since the message was queued: a later event
	 * will tell. */
	if (if_nametoindex(name) != (unsigned int)ifindex)
		return;
	protect(ifindex, name, type, why);
}

/* moved_nsid >= 0: the device moved to that network namespace (its
 * programs went with it and keep running there) rather than being deleted. */
static void on_dellink(int ifindex, const char *name, int moved_nsid)
{
	struct watched *w = find_index(ifindex);
	char text[WATCH_TEXT], buf[IF_NAMESIZE];
	int n;

	if (if_indextoname((unsigned int)ifindex, buf))
		return;              /* still there (not a deletion) */
	/* Either way it cannot be managed from here any more: its records
	 * say so, and its counters stay readable. */
	n = forget((__u32)ifindex, text, sizeof(text));
	if (moved_nsid >= 0 && (w || n))
		wlog(stderr, "moved %s (ifindex %d) to another network namespace "
		     "(nsid %d): %s%s", name, ifindex, moved_nsid,
		     n > 0 ? "ntpguard's programs went with it and keep filtering "
		     "there; " : "", n ? text : "no ntpguard attachment");
	else if (w || n)
		wlog(n < 0 ? stderr : stdout, "gone %s (ifindex %d): %s", name, ifindex,
		     n ? text : "no ntpguard attachment");
	untrack(w);
}

/* Full rescan: at start, after lost events, on SIGHUP. */
static void resync(const char *why)
{
	struct if_nameindex *ifs, *i;
	char text[WATCH_TEXT];
	int n;

	n = forget(0, text, sizeof(text));
	if (n)
		wlog(n < 0 ? stderr : stdout, "%s: records of vanished interfaces: %s",
		     why, text);
	for (size_t k = 0; k < g.n; k++)
		g.w[k].seen = false;
	ifs = if_nameindex();
	if (!ifs) {
		wlog(stderr, "%s: cannot list interfaces: %s", why, strerror(errno));
		return;
	}
	for (i = ifs; i->if_index; i++) {
		struct watched *w = find_index((int)i->if_index);

		if (w && strcmp(w->name, i->if_name)) {
			on_newlink((int)i->if_index, i->if_name, ng_link_type(i->if_name));
			w = find_index((int)i->if_index);
		} else if (matches(i->if_name)) {
			/* idempotent: verifies what is attached */
			protect((int)i->if_index, i->if_name, ng_link_type(i->if_name), why);
			w = find_index((int)i->if_index);
		}
		if (w)
			w->seen = true;
	}
	if_freenameindex(ifs);
	for (size_t k = 0; k < g.n;) {
		if (!g.w[k].seen) {
			wlog(stdout, "%s: %s (ifindex %d) is gone", why, g.w[k].name,
			     g.w[k].ifindex);
			untrack(&g.w[k]);
		} else {
			k++;
		}
	}
}

/* ---- netlink ------------------------------------------------------------------- */

static int nl_open(int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0) {
		ng_err("watch: cannot open a netlink socket: %s", strerror(errno));
		return -1;
	}
	/* FORCE (root) may exceed net.core.rmem_max; fall back if refused. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ng_err("watch: cannot subscribe to link notifications: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void nl_message(const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	char name[IF_NAMESIZE] = "";
	int len, nsid = -1;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	/* AF_BRIDGE messages are about bridge ports (a DELLINK there means
	 * "left the bridge"), not about the device itself. */
	if (ifi->ifi_family != AF_UNSPEC)
		return;
	len = (int)IFLA_PAYLOAD(h);
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME) {
			size_t n = RTA_PAYLOAD(a);

			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, RTA_DATA(a), n);
			name[n] = 0;
		} else if (a->rta_type == IFLA_NEW_NETNSID &&
			   RTA_PAYLOAD(a) >= sizeof(__s32)) {
			nsid = *(const __s32 *)RTA_DATA(a);
		}
	}
	if (!name[0] || ifi->ifi_index <= 0)
		return;
	if (h->nlmsg_type == RTM_NEWLINK)
		on_newlink(ifi->ifi_index, name, ifi->ifi_type);
	else
		on_dellink(ifi->ifi_index, name, nsid);
}

/* Drain the socket; returns -1 on a fatal error. */
static int nl_drain(int fd)
{
	static char buf[65536] __attribute__((aligned(8)));
	bool lost = false;

	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {   /* the kernel dropped events */
				lost = true;
				continue;
			}
			wlog(stderr, "netlink: %s", strerror(errno));
			return -1;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			lost = true;
			continue;
		}
		if (from.nl_pid != 0)     /* only the kernel speaks here */
			continue;
		int len = (int)n;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			nl_message(h);
	}
	if (lost) {
		wlog(stderr, "netlink: link events were lost (receive buffer overrun); "
		     "resyncing");
		resync("resync");
	}
	return 0;
}

/* ---- the command ----------------------------------------------------------------- */

/* One line per interface, then one about the pins. */
static void unload_on_exit(void)
{
	struct capture c;
	const char *text;
	int lock, rc;

	capture_begin(&c);
	lock = ng_attach_prepare(&g.paths, 0);
	text = capture_end(&c);
	if (lock < 0) {
		wlog(stderr, "unload on exit: FAILED: %s", text);
		return;
	}
	for (size_t i = 0; i < g.n; i++) {
		if (g.w[i].state != WS_OK)
			continue;
		capture_begin(&c);
		rc = ng_unload_iface(&g.paths, g.w[i].name, NG_WANT_BOTH);
		text = capture_end(&c);
		wlog(rc ? stderr : stdout, "unload %s (ifindex %d): %s%s", g.w[i].name,
		     g.w[i].ifindex, rc ? "FAILED: " : "", text);
	}
	capture_begin(&c);
	ng_remove_pins_if_unused(&g.paths);
	text = capture_end(&c);
	if (!strcmp(text, "nothing to do"))
		text = "pins kept (ntpguard is still attached elsewhere)";
	wlog(c.failed ? stderr : stdout, "unload on exit: %s", text);
	ng_unlock(lock);
}

static const struct ng_opt watch_opts[] = {
	NG_OPT(NG_OPT_LIST, struct watch_cfg, match, "match", 0, .metavar = "PATTERN",
	       .group = 1, .help = "interface name pattern (fnmatch); repeatable"),
	NG_OPT(NG_OPT_STR, struct watch_cfg, config, "config", 'c', .metavar = "FILE",
	       .group = 1,
	       .help = "the patterns, directions and modes of FILE's [watch]\n"
		       "sections, and its [interface] names (ntpguard.conf(5))"),
	NG_OPT(NG_OPT_FLAG, struct watch_cfg, egress, "egress", 'e',
	       .help = "also attach the TC egress program"),
	NG_OPT(NG_OPT_ENUM, struct watch_cfg, mode, "mode", 0, .metavar = "MODE",
	       .vals = ng_xdp_modes,
	       .help = "native or skb; default: native, falling back to skb"),
	NG_OPT(NG_OPT_FLAG, struct watch_cfg, unload_on_exit, "unload-on-exit", 'u',
	       .help = "detach what is watched when exiting"),
	NG_OPT(NG_OPT_UINT, struct watch_cfg, rcvbuf, "rcvbuf", 0, .metavar = "BYTES",
	       .min = 1024, .max = 1u << 30,
	       .help = "netlink receive buffer (default " NG_STR(WATCH_RCVBUF_DEFAULT) ")"),
	NG_OPT_END
};

/* --config: read the file (errors on stderr); 0 or -1. */
static int read_config(struct ng_conf *c)
{
	if (!ng_conf_load(g.cfg.config, c))
		return 0;
	ng_err("%s: %d error%s", g.cfg.config, c->errors, c->errors == 1 ? "" : "s");
	ng_conf_free(c);
	return -1;
}

static void reload_config(void)
{
	struct ng_conf c;
	struct capture cap;
	const char *text;
	int rc;

	capture_begin(&cap);
	rc = read_config(&c);
	text = capture_end(&cap);
	if (rc) {
		wlog(stderr, "SIGHUP: %s has errors, keeping the previous configuration: %s",
		     g.cfg.config, text);
		return;
	}
	ng_conf_free(&g.conf);
	g.conf = c;
	wlog(stdout, "SIGHUP: %s read again", g.cfg.config);
}

/* A signal arrived: SIGHUP rescans; 1 when it is time to exit. */
static int on_signal(int sfd)
{
	struct signalfd_siginfo si;
	size_t n = 0;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP) {
		ng_notify("RELOADING=1");
		if (g.cfg.config)
			reload_config();
		wlog(stdout, "SIGHUP: rescanning");
		resync("rescan");
		ng_notify("READY=1");
		return 0;
	}
	for (size_t i = 0; i < g.n; i++)
		n += g.w[i].state == WS_OK;
	wlog(stdout, "SIG%s: exiting; %zu interface(s) %s", sigabbrev_np((int)si.ssi_signo),
	     n, g.cfg.unload_on_exit ? "to unload" :
	     "stay protected (attachments left in place)");
	if (g.cfg.unload_on_exit)
		unload_on_exit();
	return 1;
}

/* Link events and signals until SIGTERM/SIGINT (0) or a fatal error (-1). */
static int event_loop(int nl, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = nl, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			wlog(stderr, "poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[1].revents && on_signal(sfd))
			return 0;
		if (pfd[0].revents && nl_drain(nl))
			return -1;
	}
}

/* SIGTERM, SIGINT and SIGHUP as a file descriptor; -1 (said) on error. */
static int signals_open(void)
{
	sigset_t sigs;
	int sfd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) ||
	    (sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		ng_err("watch: cannot set up signal handling: %s", strerror(errno));
		return -1;
	}
	return sfd;
}

static void log_start(void)
{
	char pats[1024] = "";
	size_t len = 0;

	if (g.cfg.config) {
		for (int i = 0; i < g.conf.n_ifs + g.conf.n_watch && len < sizeof(pats) - 1; i++) {
			const struct ng_conf_if *e = i < g.conf.n_ifs ? &g.conf.ifs[i] :
					&g.conf.watch[i - g.conf.n_ifs];

			len += (size_t)snprintf(pats + len, sizeof(pats) - len, "%s%s (%s, %s)",
						i ? ", " : "", e->name, ng_conf_dirs_name(e->dirs),
						ng_conf_mode_name(e->mode));
		}
		wlog(stdout, "watching interfaces of %s: %s (pins in %s)", g.cfg.config,
		     len ? pats : "none named", g.paths.pin_dir);
		return;
	}
	for (int i = 0; i < g.cfg.match.n && len < sizeof(pats) - 1; i++)
		len += (size_t)snprintf(pats + len, sizeof(pats) - len, "%s%s",
					i ? " " : "", g.cfg.match.v[i]);
	wlog(stdout, "watching interfaces matching %s (ingress XDP%s, pins in %s)",
	     pats, g.cfg.egress ? " + TC egress" : "", g.paths.pin_dir);
}

static int cmd_watch(int argc, char **argv)
{
	int first, nl = -1, sfd = -1, lock, ret;

	g.cfg = (struct watch_cfg){ .mode = XDP_MODE_UNSPEC, .rcvbuf = WATCH_RCVBUF_DEFAULT };
	ret = ng_parse(&watch_cmd, &g.cfg, argc, argv, &first);
	if (ret != NG_CONTINUE)
		return ret;
	for (int i = 0; i < g.cfg.match.n; i++)
		if (!*g.cfg.match.v[i])
			return ng_cmd_usage_err(&watch_cmd, "--match: empty pattern");
	if (!g.cfg.config && !g.cfg.match.n)
		return ng_cmd_usage_err(&watch_cmd, "watch: no --match PATTERN or --config "
					"FILE given");
	if (g.cfg.config && (g.cfg.egress || g.cfg.mode != XDP_MODE_UNSPEC))
		return ng_cmd_usage_err(&watch_cmd, "--egress and --mode come from the "
					"configuration file with --config");
	if (g.cfg.config && read_config(&g.conf))
		return NG_EXIT_USAGE;

	ng_paths_init(&g.paths);
	/* Fail early (and once) on what would make every attach fail. */
	lock = ng_attach_prepare(&g.paths, 0);
	if (lock < 0)
		return NG_EXIT_FAIL;
	ng_unlock(lock);

	ret = NG_EXIT_FAIL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sfd = signals_open();
	/* Subscribe before scanning: nothing created meanwhile is missed. */
	if (sfd >= 0)
		nl = nl_open((int)g.cfg.rcvbuf);
	if (nl >= 0) {
		log_start();
		resync("present");
		ng_notify("READY=1");   /* Type=notify: scanned, and listening */
		if (!event_loop(nl, sfd))
			ret = NG_EXIT_OK;
	}
	if (nl >= 0)
		close(nl);
	if (sfd >= 0)
		close(sfd);
	free(g.w);
	free(g.cfg.match.v);
	ng_conf_free(&g.conf);
	return ret;
}

NG_COMMAND(watch,
	.summary = "attach to matching interfaces as they appear (daemon)",
	.hint = "patterns go after --match",
	.doc = "Protect every interface whose name matches a PATTERN (shell glob,\n"
	       "e.g. 'vnet*', 'tap*', 'veth*'): the existing ones at start, and each\n"
	       "new one as soon as the kernel announces it (rtnetlink link\n"
	       "notifications). Runs in the foreground, logs one timestamped line\n"
	       "per event; ntpguard-watch.service runs it under systemd.\n\n"
	       "With --config FILE the patterns are FILE's [watch] sections and the\n"
	       "names of its [interface] sections (so an interface missing when\n"
	       "`apply` ran is attached when it appears), each with its direction\n"
	       "and mode; SIGHUP reads FILE again. Watch only attaches: detaching\n"
	       "what FILE no longer names is `apply`'s work.\n\n"
	       "When a device disappears the kernel has already removed ntpguard's\n"
	       "programs from it; its records stay as 'detached' and its counters\n"
	       "stay readable (status, stats) until `ntpguard unload` removes the\n"
	       "pins. A device re-created with the same name is attached again and\n"
	       "continues its counters. Only Ethernet devices are attached.\n\n"
	       "SIGTERM/SIGINT: exit 0, leaving the attachments in place (the\n"
	       "interfaces stay protected; `ntpguard unload --all` removes them).\n"
	       "SIGHUP: rescan every interface.\n");

// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What is behind an interface (see ifwhere.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "ifwhere.h"

/* ---- rtnetlink: one request, one answer ------------------------------------ */

struct nlreq {
	struct nlmsghdr h;
	union {
		struct ifinfomsg ifi;
		struct rtgenmsg g;
	};
	char attrs[64];
};

static void add_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send r, receive the answer into buf; its length, or -1. */
static int nl_ask(struct nlreq *r, char *buf, size_t len)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->h.nlmsg_flags |= NLM_F_REQUEST;
	if (send(fd, r, r->h.nlmsg_len, 0) == (ssize_t)r->h.nlmsg_len)
		n = recv(fd, buf, len, 0);
	close(fd);
	if (n < (ssize_t)NLMSG_HDRLEN || ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
		return -1;
	return (int)n;
}

struct link {
	char name[IF_NAMESIZE];
	char kind[16];
	int master, link, link_nsid;
};

/* RTM_GETLINK of ifindex (in the namespace with id nsid, or ours: -1). */
static int get_link(int ifindex, int nsid, struct link *l)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
				  .nlmsg_type = RTM_GETLINK } };
	char buf[16384];
	int n, len;
	struct rtattr *a;

	memset(l, 0, sizeof(*l));
	l->link_nsid = -1;
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = ifindex;
	if (nsid >= 0)
		add_attr(&r, IFLA_TARGET_NETNSID, &nsid, sizeof(nsid));
	n = nl_ask(&r, buf, sizeof(buf));
	if (n < 0 || ((struct nlmsghdr *)buf)->nlmsg_type != RTM_NEWLINK)
		return -1;
	len = (int)IFLA_PAYLOAD((struct nlmsghdr *)buf);
	for (a = IFLA_RTA((struct ifinfomsg *)NLMSG_DATA(buf)); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		size_t pl = RTA_PAYLOAD(a);

		if (a->rta_type == IFLA_IFNAME && pl <= sizeof(l->name))
			memcpy(l->name, RTA_DATA(a), pl);
		else if (a->rta_type == IFLA_MASTER && pl >= 4)
			l->master = *(int *)RTA_DATA(a);
		else if (a->rta_type == IFLA_LINK && pl >= 4)
			l->link = *(int *)RTA_DATA(a);
		else if (a->rta_type == IFLA_LINK_NETNSID && pl >= 4)
			l->link_nsid = *(int *)RTA_DATA(a);
		else if (a->rta_type == IFLA_LINKINFO) {
			int ilen = (int)pl;

			for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, ilen); b = RTA_NEXT(b, ilen))
				if (b->rta_type == IFLA_INFO_KIND &&
				    RTA_PAYLOAD(b) < sizeof(l->kind))
					memcpy(l->kind, RTA_DATA(b), RTA_PAYLOAD(b));
		}
	}
	l->name[sizeof(l->name) - 1] = 0;
	return 0;
}

/* Our id for the namespace of fd; -1 if none. */
static int nsid_of(int nsfd)
{
	struct nlreq r = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
				  .nlmsg_type = RTM_GETNSID } };
	char buf[1024];
	struct rtattr *a;
	int n, len;

	r.g.rtgen_family = AF_UNSPEC;
	add_attr(&r, NETNSA_FD, &nsfd, sizeof(nsfd));
	n = nl_ask(&r, buf, sizeof(buf));
	if (n < 0 || ((struct nlmsghdr *)buf)->nlmsg_type != RTM_NEWNSID)
		return -1;
	len = (int)(((struct nlmsghdr *)buf)->nlmsg_len - NLMSG_LENGTH(sizeof(struct rtgenmsg)));
	for (a = (struct rtattr *)((char *)NLMSG_DATA(buf) + NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NETNSA_NSID && RTA_PAYLOAD(a) >= 4)
			return *(int *)RTA_DATA(a);
	return -1;
}

/* The /run/netns name of our namespace id nsid, or "nsid N". */
static void netns_name(int nsid, char *buf, size_t len)
{
	DIR *d = opendir("/run/netns");
	struct dirent *e;

	snprintf(buf, len, "nsid %d", nsid);
	while (d && (e = readdir(d))) {
		char path[300];
		int fd, id;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		id = nsid_of(fd);
		close(fd);
		if (id == nsid) {
			snprintf(buf, len, "%.100s", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
}

/* ---- libvirt: the domain whose <target dev='IFNAME'/> it is ----------------- */

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *b = f ? malloc(max + 1) : NULL;
	size_t n;

	if (!b) {
		if (f)
			fclose(f);
		return NULL;
	}
	n = fread(b, 1, max, f);
	fclose(f);
	b[n] = 0;
	return b;
}

static int libvirt_domain(const char *dir, const char *ifname, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char pat1[64], pat2[64];
	int found = 0;

	snprintf(pat1, sizeof(pat1), "<target dev='%s'", ifname);
	snprintf(pat2, sizeof(pat2), "<target dev=\"%s\"", ifname);
	while (d && !found && (e = readdir(d))) {
		char path[512], *x, *n, *end;
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		x = slurp(path, 1 << 20);
		if (x && (strstr(x, pat1) || strstr(x, pat2)) && (n = strstr(x, "<name>")) &&
		    (end = strstr(n + 6, "</name>"))) {
			snprintf(out, len, "%.*s", (int)(end - n - 6), n + 6);
			found = 1;
		}
		free(x);
	}
	if (d)
		closedir(d);
	return found;
}

/* ---- taps: the process holding the tun file ----------------------------------- */

static void tap_holder(const char *ifname, char *out, size_t len)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	char want[32];

	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	while (proc && !out[0] && (p = readdir(proc))) {
		char path[300], comm[64] = "", name[96] = "";
		struct dirent *f;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", p->d_name);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			char fpath[600], *x;
			int hit;

			if (f->d_name[0] == '.')
				continue;
			snprintf(fpath, sizeof(fpath), "%s/%s", path, f->d_name);
			x = slurp(fpath, 4096);
			hit = x && strstr(x, want);
			free(x);
			if (!hit)
				continue;
			snprintf(fpath, sizeof(fpath), "/proc/%s/comm", p->d_name);
			x = slurp(fpath, sizeof(comm) - 1);
			if (x) {
				snprintf(comm, sizeof(comm), "%s", x);
				comm[strcspn(comm, "\n")] = 0;
				free(x);
			}
			/* qemu: "-name guest=NAME,..." or "-name NAME" */
			snprintf(fpath, sizeof(fpath), "/proc/%s/cmdline", p->d_name);
			x = slurp(fpath, 65536);
			for (char *a = x; a && *a; a += strlen(a) + 1)
				if (!strcmp(a, "-name") && a[strlen(a) + 1]) {
					char *v = a + strlen(a) + 1;

					if (!strncmp(v, "guest=", 6))
						v += 6;
					snprintf(name, sizeof(name), " -name %.*s",
						 (int)strcspn(v, ","), v);
					break;
				}
			free(x);
			snprintf(out, len, "pid %.12s %.40s%.96s", p->d_name, comm, name);
			break;
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* ---- together ------------------------------------------------------------------- */

void ng_where(const char *ifname, struct ng_where *w)
{
	unsigned ifindex = if_nametoindex(ifname);
	const char *run = getenv("NTPGUARD_LIBVIRT_RUN");   /* tests: a stand-in */
	char qemu[256], lxc[256];
	struct link l, peer;

	memset(w, 0, sizeof(*w));
	if (!ifindex || get_link((int)ifindex, -1, &l))
		return;
	snprintf(w->kind, sizeof(w->kind), "%s", l.kind);
	if (l.master)
		if_indextoname((unsigned)l.master, w->master);
	snprintf(qemu, sizeof(qemu), "%.200s/qemu", run ? run : "/run/libvirt");
	snprintf(lxc, sizeof(lxc), "%.200s/lxc", run ? run : "/run/libvirt");
	if (!libvirt_domain(qemu, ifname, w->domain, sizeof(w->domain)))
		libvirt_domain(lxc, ifname, w->domain, sizeof(w->domain));
	if (!strcmp(l.kind, "tun"))
		snprintf(w->kind, sizeof(w->kind), "tap");
	if (!strcmp(w->kind, "tap") && !w->domain[0])
		tap_holder(ifname, w->holder, sizeof(w->holder));
	if (!strcmp(l.kind, "veth") && l.link) {
		if (l.link_nsid >= 0) {
			netns_name(l.link_nsid, w->peer_netns, sizeof(w->peer_netns));
			if (!get_link(l.link, l.link_nsid, &peer))
				snprintf(w->peer, sizeof(w->peer), "%s", peer.name);
		} else if (if_indextoname((unsigned)l.link, w->peer)) {
			snprintf(w->peer_netns, sizeof(w->peer_netns), "this namespace");
		}
	}
}

void ng_where_text(const struct ng_where *w, char *buf, size_t len)
{
	size_t n = 0;

#define ADD(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	buf[0] = 0;
	if (w->domain[0])
		ADD("libvirt domain %s", w->domain);
	if (w->holder[0])
		ADD("%s%s held by %s", n ? ", " : "", w->kind, w->holder);
	if (w->peer[0] || w->peer_netns[0])
		ADD("%sveth peer %s in netns %s", n ? ", " : "", w->peer[0] ? w->peer : "?",
		    w->peer_netns[0] ? w->peer_netns : "?");
	if (!n && w->kind[0])
		ADD("%s", w->kind);
	if (w->master[0])
		ADD("%sport of %s", n ? ", " : "", w->master);
#undef ADD
}

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ifwhere.h - what is behind an interface of this host, so the abuse desk
 * can find the machine a reflector runs on: for a VM's tap (libvirt's
 * vnetN, or any tap) the libvirt domain or the process holding the tap;
 * for a veth (a container) the other end and its network namespace; for
 * any bridge port, the bridge. Best effort and read-only: what cannot be
 * found stays empty.
 *
 * Sources: rtnetlink (RTM_GETLINK: kind, master, veth peer and its
 * namespace id; RTM_GETNSID: which /run/netns name that id is), libvirt's
 * runtime state (/run/libvirt/qemu/DOMAIN.xml and lxc/: <target dev=.../>
 * and <name>; $NTPGUARD_LIBVIRT_RUN replaces /run/libvirt, for tests), and
 * for taps /proc/PID/fdinfo ("iff:" of a tun file).
 */
#ifndef NG_IFWHERE_H
#define NG_IFWHERE_H

#include <net/if.h>
#include <stddef.h>

struct ng_where {
	char kind[16];                  /* "tap", "veth", "bridge", ...; "" unknown */
	char master[IF_NAMESIZE];       /* the bridge (or bond) it is a port of */
	char domain[128];               /* libvirt domain whose <target dev> it is */
	char peer[IF_NAMESIZE];         /* veth: the other end's name */
	char peer_netns[128];           /* ... and its namespace (/run/netns name, or "nsid N") */
	char holder[160];               /* tap: "pid N comm [name]" of the process holding it */
};

/* Fill *w for interface `ifname` of this network namespace. */
void ng_where(const char *ifname, struct ng_where *w);

/* One line: "libvirt domain cust42, tap on br0", "veth peer eth0 in netns
 * web1", ... ("" when nothing is known). */
void ng_where_text(const struct ng_where *w, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit_reach.h - which sockets other hosts can reach, from the
 * interface/nic rules of an ntp.conf (struct nicline in audit_model.h).
 */
#ifndef NG_AUDIT_REACH_H
#define NG_AUDIT_REACH_H

#include "audit_model.h"

/* Can other hosts reach a listening socket of family f (0 IPv4, 1 IPv6)
 * of daemon kind k? T_MAYBE when the version leaves it open. */
enum tri audit_nic_reach(const struct report *r, int k, int f);

/* The finding that says why family f has no socket other hosts can reach
 * (daemon kind k). */
void audit_reach_finding(struct report *r, int k, int f);

#endif

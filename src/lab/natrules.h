/* The nftables ruleset of one NAT gateway, generated from its mapping × filtering pair (RFC 4787)
 * as one text that libnftables applies in one transaction. Pure functions: no kernel access.
 *
 * How each behaviour is made (docs/nat-in-nftables.md has the verified facts behind it):
 *   mapping   EI   a reverse map (inside endpoint -> external port) consulted before SNAT keeps
 *                  one external port per inside endpoint; a new endpoint keeps its port unless
 *                  another endpoint already holds it (then a random one);
 *             AD   the reverse map is keyed on the remote address too; new remote address ->
 *                  fresh random port;
 *             APD  fully-random SNAT: a new port for every remote endpoint (conntrack).
 *   filtering EI   a "cone" map (external port -> inside endpoint) learned after SNAT and a
 *                  prerouting DNAT through it;
 *             AD   the cone map is keyed on the remote address too;
 *             APD  conntrack alone: only replies of the exact flow come in.
 * The maps learn in a filter chain at postrouting priority srcnat + 1, where SNAT has happened,
 * from what the inside sends in both directions of its flows (RFC 4787 REQ-6). */
#pragma once
#include <stddef.h>

#include "lab/topology.h"

#define NAT_TABLE "hako_nat"

/* The whole "table ip hako_nat { ... }" for nat, for the NAT's new namespace: lab up makes every
 * namespace afresh (an existing lab is taken down first), so nothing is there to replace, and
 * the "add table; delete table" that made a re-run safe cost libnftables a table cache fetch and
 * a table of its own (four 128 KiB hash tables to clear) per NAT: 8% of lab up's CPU time at 100
 * nodes (issue 21). *ret is malloc'd. */
int nat_ruleset(const struct lab_topology *t, const struct lab_nat *nat, char **ret);

/* Sysctls a NAT's namespace needs (path below /proc/sys, value), up to max of them. */
struct nat_sysctl {
	const char *path;
	char value[16];
};
/* ip_forward, two UDP timeouts and the conntrack floors: room for all of them. */
#define NAT_SYSCTLS_MAX 8
size_t nat_sysctls(const struct lab_nat *nat, struct nat_sysctl *out, size_t max);

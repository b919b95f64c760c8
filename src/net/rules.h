/* The nftables rules of hako's networks, as ruleset texts for nft_run(): each text is one atomic
 * transaction. Everything lives in one table, `table inet hako`, whose base chains dispatch
 * through maps, so adding or removing a network or a container's port forwards only adds or
 * removes map elements and the network's own chains, never touching another's rules:
 *
 *   ports4 / ports6   inet_proto . port : container address . port   DNAT (prerouting and output)
 *   bridges  every hako bridge      (localhost-originated DNAT is masqueraded towards them)
 *   fwd_in / fwd_out   bridge : jump in_NET / out_NET        isolation, established, DNAT'ed
 *   masq4 / masq6      subnet : jump masq_NET / masq6_NET    masquerade, NAT66
 *
 * nftables runs every base chain of a hook: a drop in the user's own table still drops, whatever
 * hako accepts. hako's chains therefore never drop anything but isolated traffic; a user table
 * with policy drop must accept what the containers need (see docs/man/hako-network.md). */
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "net/netconfig.h"
#include "net/network.h"

/* The table with its maps and base chains, made or brought up to date (the base chains' rules
 * rewritten; maps, sets and their elements kept): applied by every network's up. */
char *rules_base(void);
/* A ruleset text written by w into memory; NULL: out of memory. */
char *rules_text(void (*w)(FILE *f, const void *arg), const void *arg);
char *rules_network_add(const struct network_def *d);
char *rules_network_del(const struct network_def *d);
/* One transaction: create (fails with EEXIST if a host port is taken) or delete a container's
 * port forwards, in ports4 if addr4 is given and in ports6 if addr6 is (the container's
 * addresses; delete looks only at their family). */
char *rules_ports(const struct port_spec *ports, unsigned n, const struct inet_addr *addr4,
		  const struct inet_addr *addr6, bool add);
/* Adds ifname to (or deletes it from) the bridges set: a host link towards containers that
 * forwards from 127.0.0.1 use (route_localnet on), whose guard and masquerade it then gets. */
char *rules_bridge(const char *ifname, bool add);
/* Whether p is in fc00::/7 (unique local): NAT66 applies only to those. */
bool ipv6_is_ula(const struct inet_prefix *p);

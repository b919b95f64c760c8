/* Managed networks across hosts: `hako network create NAME --peer=A --peer=B ...` run with the
 * same options on every listed host. Nothing is negotiated: each host finds itself in the list
 * (or is told with --local=), and derives the rest from the list and the name.
 *
 * - One VXLAN segment: a vxlan link hx-NAME on the bridge, with learning off and an all-zero FDB
 *   entry to every other peer (head-end replication), its MTU and the bridge's lowered by the
 *   encapsulation.
 * - The same gateway address on every host, each host's own: a bridge-family nftables chain keeps
 *   ARP (and IPv6 ND and RA) for the gateway from crossing the vxlan link, so a container always
 *   resolves the gateway to its own host's bridge and leaves through its own host's NAT.
 * - Addresses never collide, by construction: hako's static pool is cut into one slice per peer,
 *   by its index in the list; dnsmasq's dynamic range (DHCP host only) is a separate part.
 * - One dnsmasq, on the --dhcp-host= peer (default: the first), which also answers DNS at the
 *   subnet's last host address, an address no other host has. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/network.h"

/* Setters of the options and keys (target: the network_def). */
int peers_set_peer(void *target, const char *value, const char **why);
int peers_set_local(void *target, const char *value, const char **why);
int peers_set_vni(void *target, const char *value, const char **why);
int peers_set_port(void *target, const char *value, const char **why);
int peers_set_dhcp_host(void *target, const char *value, const char **why);

/* Checks the peer options of d (family, duplicates, --dhcp-host= among them, the subnet large
 * enough for a slice each), finds this host among the peers unless --local= said, and fills the
 * defaults (VNI, port, MTU, DHCP host). Logs one line naming what is wrong. No-op without peers. */
int peers_finish(struct network_def *d);
/* "Peer=...\nLocal=...\n..." for the definition file; "" without peers. NULL: out of memory. */
char *peers_text(const struct network_def *d);

/* Whether this host runs the network's dnsmasq: DHCP on, and, across hosts, this is the DHCP host. */
bool network_runs_dnsmasq(const struct network_def *d);
/* Across hosts with DHCP the DNS server has an address of its own (the subnet's last host
 * address, on the DHCP host's bridge only); else the gateway answers DNS. */
bool network_has_dns_addr(const struct network_def *d);
void network_dns_addr(const struct network_def *d, struct inet_addr *ret);
/* Peer number peer's slice (this host's: d->local_peer) of hako's static pool [*first, *last]
 * (offsets in the subnet). */
void peers_slice(const struct network_def *d, unsigned peer, uint64_t *first, uint64_t *last);

/* hx-NAME */
void peers_vxlan_name(const struct network_def *d, char name[IFNAMSIZ]);
/* The vxlan link on bridge (ifindex), up, with the FDB entries. Logs. */
int peers_up(const struct network_def *d, int bridge);
/* The nftables transactions adding and removing the gateway's filter in `table bridge hako`. */
char *peers_rules_add(const struct network_def *d);
char *peers_rules_del(const struct network_def *d);
#define PEERS_TABLE "bridge hako"

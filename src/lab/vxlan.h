/* A lab network whose members sit on several hosts is one VXLAN segment: a vxlan link on that
 * network's bridge on every host that holds some of them, flooding to the others through
 * all-zero FDB entries (head-end replication), with no learning and no controller. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/topology.h"
#include "net/vxlan.h"

#define LAB_MTU_DEFAULT VXLAN_UNDERLAY_MTU

/* The network's VNI: Vni=, else 24 bits of an FNV-1a hash of "LAB/NETWORK" (never 0), the same
 * on every host that reads the same file. */
uint32_t lab_network_vni(const struct lab_topology *t, size_t network);
/* Which hosts network spans (hosts[] of t->n_hosts): those with a member on it, and the first
 * host for a network of the internet (it holds the nat-check responder). Returns how many. */
size_t lab_network_hosts(const struct lab_topology *t, size_t network, bool *hosts);
/* The MTU of the network's member links: Mtu=, else, across hosts, 1500 less the overhead;
 * 0 (the kernel's default) for a network on one host without Mtu=. */
unsigned lab_network_mtu(const struct lab_topology *t, size_t network);
/* Every segment of this host fits in its underlay (t->underlay_mtu, when known): else logs
 * "FILE:LINE: network 'N': MTU ... does not fit ...: set Mtu=M or less", -EMSGSIZE. The default
 * stays 1500 less the headers whatever this host's underlay: every host computes the same MTU,
 * or a bigger frame from a jumbo host would be lost on the way to a host without jumbo frames. */
int lab_vxlan_check_mtu(const struct lab_topology *t);
/* Makes the vxlan links of this host (t->local_host) in the switch namespace, each on its
 * network's bridge (bridges[network] ifindexes there), with one FDB entry per other host of the
 * segment. Their UDP sockets are in the current namespace, the underlay's. Logs. */
int lab_vxlan_up(const struct lab_topology *t, int switch_fd, const int *bridges);

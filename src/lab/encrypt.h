/* [Lab] Encrypt=wireguard: the VXLAN segments between a lab's hosts run inside one WireGuard link
 * per host, for hosts across a network that is not trusted (docs/multihost.md). The link, "wg",
 * is made from the underlay's namespace (where its UDP socket stays) straight into the lab's
 * switch namespace, with the host's tunnel address from EncryptSubnet=; the vxlan links there
 * send to the other hosts' tunnel addresses, so the underlay carries only WireGuard. Each host's
 * private key is made on that host by `hako lab keys` and never leaves it: the file holds only
 * the public keys ([Host] PublicKey=). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "lab/topology.h"
#include "net/wireguard.h"

#define LAB_WG_LINK "wg"

/* Does this lab send its segments through WireGuard (Encrypt=wireguard and hosts)? */
static inline bool lab_encrypted(const struct lab_topology *t)
{
	return t->encrypt && t->n_hosts;
}
/* Host i's tunnel address: the i+1th of EncryptSubnet=. */
uint32_t lab_tunnel_addr(const struct lab_topology *t, size_t host);
/* What WireGuard adds under the VXLAN: 60 bytes over an IPv4 underlay, 80 over IPv6, 0 without. */
unsigned lab_encrypt_overhead(const struct lab_topology *t);

/* `lab keys`: this host's (t->local_host's) key pair for the lab, made the first time (the
 * private key alone, in a 0600 file of hako's state directory); its public key into out. Logs. */
int lab_keys(const struct lab_topology *t, char out[static WG_KEY_B64_SIZE]);
/* Before lab up, nothing made yet: every host has PublicKey=; if here, this kernel has
 * WireGuard (-EOPNOTSUPP if not) and this host's private key is there, 0600, and matches its
 * PublicKey=. Logs one line. */
int lab_encrypt_check(const struct lab_topology *t, bool here);
/* The WireGuard link of this host in the switch namespace (switch_fd), made over under (the
 * underlay's rtnetlink) and addressed over sw (the switch's), with every other host a peer.
 * Logs. */
struct rtnl;
int lab_encrypt_up(const struct lab_topology *t, struct rtnl *under, struct rtnl *sw, int switch_fd);

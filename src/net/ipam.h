/* Address management of managed networks: each machine name keeps its address, persisted in
 * $HAKO_STATE_DIR/networks/NET/leases ("MACHINE ADDRESS" lines). Callers hold net_lock().
 * A container's lease goes when it ends, unless an image of its name (a defined machine) keeps
 * its address stable, as a DHCP server would for a known client; the leases of containers that
 * died without giving theirs back are collected when the pool runs out. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "net/cidr.h"
#include "net/network.h"

/* Host offsets hako hands out statically: [2, end]; with DHCP the upper half of the subnet is
 * left to dnsmasq's dynamic range. The gateway's offset is skipped. Across hosts, each peer's
 * part of that (peers_slice), and the last host address is the DNS server's. */
struct ipam_pool {
	struct inet_prefix subnet;
	struct inet_addr gateway;
	uint64_t first, last;
};
void ipam_pool_of(const struct network_def *d, struct ipam_pool *ret);
/* Across hosts, that of peer number peer (ipam_pool_of: this host's). */
void ipam_peer_pool(const struct network_def *d, unsigned peer, struct ipam_pool *ret);
/* dnsmasq's dynamic range: the offsets after the pool's last, up to the broadcast address. */
void ipam_dynamic_range(const struct network_def *d, struct inet_addr *from, struct inet_addr *to);

/* Pure part, on the lease file's text: machine's address if it has one (*is_new false), else the
 * lowest free one of the pool (*is_new true). -ENOSPC when the pool is full, -EINVAL on a
 * malformed line. */
int ipam_pick(const struct ipam_pool *pool, const char *leases, const char *machine, struct inet_addr *ret,
	      bool *is_new);

/* The lease file's text without the lines of the machines drop() returns true for (how many:
 * *dropped). -EINVAL on a malformed line. */
int ipam_filter(const char *leases, bool (*drop)(const char *machine, void *userdata), void *userdata,
		char **ret, size_t *dropped);
/* An image of that name exists: a defined machine, whose address stays. */
bool ipam_defined(const char *machine);
/* Gives the machine's lease back. */
int ipam_release(const struct network_def *d, const char *machine);
/* Drops the leases of containers no longer on the network that no image keeps. */
int ipam_collect(const struct network_def *d, size_t *dropped);
/* Reads, picks (collecting stale leases when the pool is full), and appends the new lease. */
int ipam_acquire(const struct network_def *d, const char *machine, struct inet_addr *ret);
/* The machine's IPv6 address: the network's prefix with the IPv4 address's host offset. */
void ipam_ipv6_of(const struct network_def *d, const struct inet_addr *v4, struct inet_addr *ret);
/* A locally administered MAC derived from a name: a machine's (DHCP sees the same client each
 * run) or a bridge's (its gateway keeps its MAC while ports come and go). */
void mac_from_name(const char *name, uint8_t mac[6]);
/* The lease file's text (NULL if none yet). */
int ipam_read(const struct network_def *d, char **ret);

/* Names in DNS for the containers of a managed network across hosts that run on a host other than
 * the DHCP host. Such a host's hako gives out addresses of its own slice of the pool
 * (src/net/ipam.h), which the DHCP host's dnsmasq, the network's one DNS server, cannot know. So
 * for each container hako asks that dnsmasq, from the container's namespace before the command
 * starts, for a lease of the container's address under the container's name: a DHCPREQUEST in
 * the INIT-REBOOT state (RFC 2131 4.3.2), with a user class for which dnsmasq's config sets the
 * other hosts' slices aside (src/net/dnsmasq.c). As the container ends hako gives the lease back
 * (DHCPRELEASE), unless an image keeps the address, as on the DHCP host. dnsmasq answers NAME
 * and NAME.hako for a lease as for its own host's containers.
 *
 * The lease is infinite, so nothing renews it. Its client id is the address: a container given
 * the address of one that ended without giving it back (its hako killed, its host down) takes
 * that lease over, and its name replaces the old one. IPv4 only: such a container has no AAAA
 * record. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "net/cidr.h"

/* The user class of hako's requests, and the tag dnsmasq's config gives them. */
#define DHCPNAME_USER_CLASS "hako-peer"

struct dhcpname {
	bool held;
	struct in_addr server; /* the server identifier of the ACK, which a release names */
};

/* In the network namespace netns_fd, whose host0 has addr: asks for the lease of addr under name.
 * 0 on an ACK (*ret filled); -EADDRINUSE on a NAK (why: dnsmasq's reason); -ETIMEDOUT when no
 * answer came within a second; another negative errno if it could not ask. */
int dhcpname_claim(int netns_fd, const char *name, const uint8_t mac[6], const struct inet_addr *addr,
		   struct dhcpname *ret, char why[256]);
/* Gives the lease back, from the same namespace. No answer comes to wait for. */
int dhcpname_release(int netns_fd, const uint8_t mac[6], const struct inet_addr *addr,
		     const struct dhcpname *held);

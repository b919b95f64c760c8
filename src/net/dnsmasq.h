/* One dnsmasq per --dhcp network, run the way libvirt and LXD run theirs: its own config file in
 * hako's runtime directory, bound to the bridge only, leases in the state directory, a pid file
 * hako tracks. It serves DHCPv4 (the dynamic half of the subnet plus a static lease per known
 * machine), router advertisements with stateless DHCPv6 for the IPv6 prefix, and DNS for machine
 * names (NAME and NAME.hako), forwarding the rest to the host's resolvers. */
#pragma once
#include <sys/types.h>

#include "net/cidr.h"

#include "net/network.h"

/* -ENOENT with a message naming the package if dnsmasq is not installed. */
int dnsmasq_start(const struct network_def *d);
/* Stops it (SIGTERM, then waits for it to go); nothing if it is not running. */
void dnsmasq_stop(const struct network_def *d);
/* A machine's name and DHCP reservation: its own file in each of the directories dnsmasq
 * watches, read without a signal; a cost that does not grow with the machines on the network.
 * A dnsmasq that died is restarted (dnsmasq_check), reading every lease's files. */
int dnsmasq_add(const struct network_def *d, const char *name, const struct inet_addr *addr);
/* Its files removed, and a SIGHUP for dnsmasq to drop its DHCP reservation. */
int dnsmasq_remove(const struct network_def *d, const char *name);
/* For an up --dhcp network: whether its dnsmasq still runs (the pid file's process is dnsmasq
 * with the network's config); if not, starts it again with the same config and lease file.
 * 0: running (or no --dhcp), 1: restarted; *ret_pid its pid (0 if none). Caller holds net_lock(). */
int dnsmasq_check(const struct network_def *d, pid_t *ret_pid);
/* The DHCP host's dnsmasq runs this (its dhcp-script, through `hako network lease-event`) as a
 * lease is made ("add"), found at its start or renamed ("old"), or ends ("del"). On a dual-stack
 * network across hosts a lease of addr in another host's slice is a container there
 * (src/net/dhcpname.h): its AAAA record, at the IPv6 address that host derived from addr, goes
 * into a hosts file of its own, or goes. Any other lease is not hako's to act on: 0. */
int dnsmasq_lease_event(const struct network_def *d, const char *action, const char *addr,
			const char *hostname);

/* hako-managed networks: a bridge with the gateway address, forwarding, NAT (masquerade, NAT66
 * for ULA prefixes), isolation, and optionally a dnsmasq for DHCP/RA/DNS.
 *
 * Definitions: $HAKO_CONFIG_DIR/networks/NAME.network (INI, [Network] section, keys of
 * network_options' settings column). Runtime: $HAKO_RUNTIME_DIR/networks/NAME/ exists while the
 * network is up and holds dnsmasq's config, pid file, hosts files and one file per member
 * container. State: $HAKO_STATE_DIR/networks/NAME/ keeps address leases and dnsmasq's leases.
 *
 * Every change to networks, their members, zones and port forwards happens under one lock
 * (net_lock), so concurrent hako processes see each other's claims. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "base/opts.h"
#include "net/cidr.h"

#define NETWORK_NAME_MAX (IFNAMSIZ - 1 - 3) /* "hk-NAME" must be an interface name */
#define NETWORK_TABLE "inet hako"
#define NETWORK_PEERS_MAX 64

struct network_def {
	char *name;
	char bridge[IFNAMSIZ];     /* hk-NAME */
	struct inet_prefix subnet; /* IPv4 */
	struct inet_addr gateway;  /* the bridge's address; default: the first host */
	bool has_gateway;
	bool nat; /* masquerade leaving the subnet (default yes) */
	bool has_ipv6;
	struct inet_prefix ipv6; /* /64 (ULA: NAT66); gateway ::1 */
	bool ipv6_auto;          /* --ipv6=auto: pick a random fd00::/8 /64 at create */
	bool dhcp;
	bool isolated;
	char *external; /* masquerade only out of this interface */
	unsigned mtu;   /* bridge, veths and host0; 0: the kernel's default */
	/* Across hosts (src/net/peers.h): the bridge of every peer joins one VXLAN segment. */
	struct inet_addr peers[NETWORK_PEERS_MAX]; /* --peer=: every host, this one included */
	size_t n_peers;
	struct inet_addr local; /* --local=, else the peer address found here at create */
	bool has_local;
	int local_peer;             /* local's index in peers (network_def_finish) */
	uint32_t vni;               /* --vni=, else derived from the name */
	uint16_t vx_port;           /* --vxlan-port=, else 4789 */
	struct inet_addr dhcp_host; /* --dhcp-host=: the one peer that runs dnsmasq */
	bool has_dhcp_host;
};

/* --mtu= range: IPv4's minimum; a network with IPv6 needs IPv6's (1280). */
#define NETWORK_MTU_MIN 68
#define NETWORK_MTU_MIN6 1280
#define NETWORK_MTU_MAX 65535

extern const struct opt network_options[];
extern const size_t network_options_n;

void network_def_done(struct network_def *d);
/* Checks a definition on its own (CIDR family, gateway inside, name) and fills defaults. Logs. */
int network_def_finish(struct network_def *d);
bool network_name_valid(const char *name);
/* Parses a definition's text into d (name and defaults set by the caller) and finishes it. */
int network_parse(const char *text, const char *file, struct network_def *d);
int network_load(const char *name, struct network_def *ret);
int network_save(const struct network_def *d);
bool network_exists(const char *name);
/* Names of the defined networks, sorted. */
int network_list_names(char ***ret);

/* The IPv6 gateway (PREFIX::1). */
void network_gateway6(const struct network_def *d, struct inet_addr *ret);

/* Exclusive lock over all of hako's network state; returns an fd to close. */
int net_lock(void);
/* Removes the port forwards and zone bridges of containers whose hako died. */
void network_collect_stale(void);
static inline void net_unlockp(const int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_unlock_ __attribute__((cleanup(net_unlockp), unused))

bool network_is_up(const char *name);
/* Brings d up (bridge, addresses, sysctls, nft rules, dnsmasq); undoes what it did on failure. */
int network_up(const struct network_def *d);
/* Takes d down: everything network_up made, and hako's table when no network is left. */
int network_down(const struct network_def *d);
/* Removes a network whose definition cannot be loaded (edited by hand, or left broken by an
 * older hako): whatever runs under its name (dnsmasq, bridge, rules), its definition, its state.
 * -ENOENT when there is no such definition. */
int network_remove_broken(const char *name);
/* Takes down the networks that run with no definition (a create killed before it saved it). */
void network_collect_orphans(void);

/* Member containers, one file each under the network's (or zone's) runtime directory holding
 * hako's pid; files of dead processes do not count. */
int members_add(const char *dir, const char *machine);
void members_remove(const char *dir, const char *machine);
int members_count_live(const char *dir);
bool members_alive(const char *dir, const char *machine);

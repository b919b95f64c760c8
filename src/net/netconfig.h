/* Per-container network options (issue: networks). Owned by src/net/: the option table is
 * run_net_options (src/net/options.c), the start-up hooks are in src/net/container_net.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct port_spec {
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port;
	uint16_t container_port;
};

struct net_config {
	bool private_network;    /* --private-network, implied by every option below */
	char *namespace_path;    /* --network-namespace-path= */
	bool veth;               /* -n/--network-veth: ve-NAME on the host, host0 inside */
	char *bridge;            /* --network-bridge=BR: vb-NAME joins BR */
	char *zone;              /* --network-zone=Z: vb-NAME joins vz-Z, made on demand */
	char *network;           /* --network=NET: a hako-managed network, fully configured */
	char **interfaces;       /* --network-interface=IF: moved in, given back at exit */
	char **macvlan;          /* --network-macvlan=IF: mv-IF inside */
	char **ipvlan;           /* --network-ipvlan=IF: iv-IF inside */
	char **veth_extra;       /* --network-veth-extra=: host end, container end, host end, ... */
	struct port_spec *ports; /* -p/--port= */
	unsigned n_ports;
};

void net_config_free(struct net_config *n);

/* "[tcp:|udp:]HOSTPORT[:CONTAINERPORT]" (nspawn's -p); ports 1..65535, the container port
 * defaults to the host port. -EINVAL with *why set on bad input. */
int port_spec_parse(const char *s, struct port_spec *ret, const char **why);

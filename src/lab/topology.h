/* A lab topology: networks, NAT gateways, routers and nodes read from one systemd-style INI file
 * (see docs/man/hako-lab.5.md). topology_parse_*() reads and validates; every error names
 * FILE:LINE and nothing is created by hako before a topology has passed. Addresses a file leaves
 * out are allocated deterministically, so the same file always gives the same lab. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/names.h"
#include "net/cidr.h"

/* RFC 4787 behaviours, used for both mapping and filtering. */
enum nat_behaviour {
	NAT_EI,  /* endpoint-independent */
	NAT_AD,  /* address-dependent */
	NAT_APD, /* address-and-port-dependent */
	_NAT_BEHAVIOUR_MAX,
};

const char *nat_behaviour_name(enum nat_behaviour b); /* "endpoint-independent" ... */
/* The classic name of a mapping × filtering pair ("full-cone"), or NULL if it has none. */
const char *nat_type_name(enum nat_behaviour mapping, enum nat_behaviour filtering);

#define LAB_NAME_MAX 32
#define LAB_VXLAN_PORT 4789 /* IANA's VXLAN port */
#define LAB_WG_PORT 51820   /* WireGuard's usual port */

/* An IPv4 address with its prefix length; addresses in host byte order. */
struct lab_cidr {
	uint32_t addr;
	uint8_t prefix;
};

struct lab_network {
	char *name; /* also the interface name on every member: fits IFNAMSIZ */
	struct lab_cidr subnet;
	unsigned line;
	int inside_of;         /* index of the NAT whose Inside= this is, or -1 */
	uint32_t responder[2]; /* two addresses for the nat-check responder (top-level networks) */
	uint32_t gateway;      /* the address members use as default route, 0 if none */
	uint32_t vni;          /* Vni=, else derived from the lab's and the network's names */
	unsigned vni_line;     /* of Vni=, 0 if derived */
	unsigned mtu;          /* Mtu=, 0: the default less the encapsulation across hosts */
	unsigned mtu_line;     /* of Mtu=, 0 without one */
};

/* [Host NAME]: a machine that holds part of a lab, reached by the others at Address=. */
struct lab_host {
	char *name;
	unsigned line;
	struct inet_addr addr; /* family 0 until Address= */
	unsigned addr_line;
	char *interface;        /* Interface=: the underlay link, or NULL */
	char *ssh;              /* Ssh=: where lab up --all reaches it (user@name), NULL: Address= */
	uint8_t public_key[32]; /* PublicKey= of its WireGuard link ([Lab] Encrypt=wireguard) */
	bool has_public_key;
};

enum { PROTO_TCP = 1 << 0, PROTO_UDP = 1 << 1 };

struct lab_forward {
	unsigned protos; /* PROTO_TCP | PROTO_UDP */
	uint16_t port;   /* on the NAT's outside address */
	char *node;
	uint16_t to_port;
	uint32_t to_addr; /* resolved after allocation */
	unsigned line;
};

struct lab_route {
	struct lab_cidr dest;
	uint32_t via;
	unsigned line;
};

/* Route= lines of a router or NAT: static routes beyond the default one. */
struct lab_routes {
	struct lab_route *items;
	size_t n;
};

struct lab_nat {
	char *name;
	unsigned line;
	char *inside_name, *outside_name;
	int inside, outside; /* network indexes after validation */
	enum nat_behaviour mapping, filtering;
	bool type_set, pair_set;
	bool hairpin;
	bool inbound_refresh;   /* packets from outside refresh mappings too (RFC 4787 REQ-6 MAY) */
	uint32_t udp_timeout_s; /* 0: the kernel's defaults */
	uint32_t inside_addr, outside_addr;
	uint32_t outside_gateway; /* next hop towards the internet, 0 if the outside is top-level */
	struct lab_forward *forwards;
	size_t n_forwards;
	struct lab_routes routes; /* back to networks behind routers on the inside */
	char *host_name;          /* Host= */
	int host;                 /* index into hosts; 0 without Host= */
};

struct lab_router {
	char *name;
	unsigned line;
	char **network_names;
	int *networks;   /* indexes, one per name */
	uint32_t *addrs; /* one per network */
	size_t n_networks;
	struct lab_routes routes;
	char *host_name;
	int host;
};

struct lab_link {
	uint64_t delay_us, jitter_us;
	uint32_t loss_ppm; /* parts per million */
	uint64_t rate_bps; /* bytes per second, 0 = unlimited */
	bool set;
	unsigned line;
};

struct lab_node {
	char *name;
	unsigned line;
	char *network_name;
	int network;
	uint32_t addr; /* 0 until allocated */
	unsigned addr_line;
	unsigned addr_prefix; /* Address=A/N: N, which must be the network's; 0 without one */
	char *directory, *image;
	bool ephemeral, boot;
	char *exec;
	struct lab_link link;
	char *host_name;
	int host;
};

struct lab_topology {
	char *file;
	char *name;
	bool name_from_file; /* no [Lab] Name=: the name is the file's */
	struct lab_network *networks;
	size_t n_networks;
	struct lab_nat *nats;
	size_t n_nats;
	struct lab_router *routers;
	size_t n_routers;
	struct lab_node *nodes;
	size_t n_nodes;
	struct lab_host *hosts; /* none: a lab on one host */
	size_t n_hosts;
	uint16_t vxlan_port; /* [Lab] VxlanPort=, 4789 by default */
	bool encrypt;        /* [Lab] Encrypt=wireguard: the VXLAN between hosts inside WireGuard */
	unsigned encrypt_line;
	struct lab_cidr encrypt_subnet; /* EncryptSubnet=: the hosts' tunnel addresses */
	unsigned encrypt_subnet_line;   /* 0: the default, derived from the lab's name */
	uint16_t encrypt_port;          /* EncryptPort=, 51820 by default */
	int local_host;                 /* the host this is (lab up picks it), -1: every member is here */
	char underlay[16];              /* lab up: this host's underlay link (Interface=, else the one with
				    its Address=), "" when unknown */
	unsigned underlay_mtu;          /* its MTU, 0 when unknown */
};

/* Parse + validate + allocate. On error logs one line (FILE:LINE: ...) and returns -EINVAL. */
int topology_parse_string(const char *text, const char *file, struct lab_topology **ret);
int topology_parse_file(const char *path, struct lab_topology **ret);
void topology_free(struct lab_topology *t);
static inline void topology_freep(struct lab_topology **t)
{
	topology_free(*t);
}
#define _cleanup_topology_ __attribute__((cleanup(topology_freep)))

/* "a.b.c.d" / "a.b.c.d/n" parsing and printing (buf of at least 19 bytes). */
int cidr_parse(const char *s, struct lab_cidr *ret, bool need_prefix);
const char *ip_str(uint32_t addr, char buf[static 16]);

int topology_find_network(const struct lab_topology *t, const char *name);
int topology_find_node(const struct lab_topology *t, const char *name);
int topology_find_nat(const struct lab_topology *t, const char *name);
int topology_find_router(const struct lab_topology *t, const char *name);
int topology_find_host(const struct lab_topology *t, const char *name);
/* Is name a node, NAT or router (each has a namespace)? */
static inline bool topology_has_member(const struct lab_topology *t, const char *name)
{
	return topology_find_node(t, name) >= 0 || topology_find_nat(t, name) >= 0 ||
	       topology_find_router(t, name) >= 0;
}
/* A node with a root tree runs as a container in its namespace. */
static inline bool node_is_container(const struct lab_node *n)
{
	return n->directory || n->image;
}
/* Is the network "internet" (no NAT has it as Inside=)? */
static inline bool network_is_top(const struct lab_network *n)
{
	return n->inside_of < 0;
}

/* Shared between the topology parser (topology.c) and its validation (validate.c). */
#pragma once
#include "lab/topology.h"

static inline uint32_t cidr_mask(uint8_t prefix)
{
	return prefix ? ~(uint32_t)0 << (32 - prefix) : 0;
}

static inline bool cidr_contains(const struct lab_cidr *c, uint32_t addr)
{
	return (addr & cidr_mask(c->prefix)) == c->addr;
}

enum section_kind { SEC_LAB, SEC_NETWORK, SEC_NAT, SEC_ROUTER, SEC_NODE, SEC_LINK, SEC_HOST };

/* [Link NODE] sections, resolved to their node once every node is known. */
struct topo_link_section {
	char *node;
	unsigned line;
	struct lab_link link;
};

struct topo_parse {
	struct lab_topology *t;
	const char *file;
	unsigned line;      /* of the entry being parsed */
	unsigned name_line; /* of [Lab] Name=, 0 if none: the lab's name is then the file's */
	int kind;           /* enum section_kind of the current section */
	void *obj;          /* the current section's struct */
	struct topo_link_section *links;
	size_t n_links;
};

/* Logs "FILE:LINE: what" and returns -EINVAL. */
int topology_bad(const struct topo_parse *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Checks names and cross-references, allocates addresses; logs "FILE:LINE: ..." on error. */
int topology_validate(struct topo_parse *p);

/* Setters of the keys for labs across hosts (hosts.c), as topology.c's own: 0, or -EINVAL with
 * *why saying what is wrong. */
int set_host_address(struct topo_parse *p, void *field, const char *v, const char **why);
int set_host_interface(struct topo_parse *p, void *field, const char *v, const char **why);
int set_host_ssh(struct topo_parse *p, void *field, const char *v, const char **why);
/* [Network] Subnet= (topology.c), for EncryptSubnet= too. */
int set_subnet(struct topo_parse *p, void *field, const char *v, const char **why);
int set_vni(struct topo_parse *p, void *field, const char *v, const char **why);
int set_mtu(struct topo_parse *p, void *field, const char *v, const char **why);
int set_udp_port(struct topo_parse *p, void *field, const char *v, const char **why);
/* [Lab] Encrypt=, EncryptSubnet= and [Host] PublicKey= (encrypt.c). */
int set_encrypt(struct topo_parse *p, void *field, const char *v, const char **why);
int set_encrypt_subnet(struct topo_parse *p, void *field, const char *v, const char **why);
int set_public_key(struct topo_parse *p, void *field, const char *v, const char **why);
/* The tunnel subnet: its default, and room for every host; logs "FILE:LINE: ...". */
int topology_check_encrypt(struct topo_parse *p);
/* Host= references, addresses of the hosts, VNIs and MTUs; logs "FILE:LINE: ...". */
int topology_check_hosts(struct topo_parse *p);

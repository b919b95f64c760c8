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

/* [Link NODE] sections, resolved to their node once every node is known. */
struct topo_link_section {
	char *node;
	unsigned line;
	struct lab_link link;
};

struct topo_parse {
	struct lab_topology *t;
	const char *file;
	unsigned line;       /* of the entry being parsed */
	unsigned name_line;  /* of [Lab] Name=, 0 if none: the lab's name is then the file's */
	int kind;            /* enum section_kind of the current section */
	void *obj;           /* the current section's struct */
	struct topo_link_section *links;
	size_t n_links;
};

/* Checks names and cross-references, allocates addresses; logs "FILE:LINE: ..." on error. */
int topology_validate(struct topo_parse *p);

/* [Link NODE] impairments as tc qdiscs through rtnetlink (link.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/topology.h"

struct rtnl;

/* One qdisc to add: its kind, handle, parent and TCA_OPTIONS payload (opts points into buf: use
 * it where link_qdiscs filled it, do not copy the struct). */
struct qdisc_spec {
	const char *kind;
	uint32_t handle, parent;
	const void *opts;
	size_t len;
	char buf[256] __attribute__((aligned(4)));
};

/* Does l need netem (Delay=, Jitter=, Loss=)? Rate= alone is tbf. */
bool link_needs_netem(const struct lab_link *l);
/* The qdiscs for l, root first (netem, then tbf under it; or one of them): how many. Pure. */
size_t link_qdiscs(const struct lab_link *l, struct qdisc_spec out[static 2]);
/* "delay 20ms jitter 5ms loss 1.5% rate 10mbit" (the parts that are set) into buf. */
void link_describe(const struct lab_link *l, char *buf, size_t size);
/* Queues l's qdiscs on ifindex in r's batch. */
int link_add_qdiscs(struct rtnl *r, int ifindex, const struct lab_link *l);
/* Tries every kind of impairment t uses in a scratch namespace; logs "this kernel has no
 * sch_netem" and the like. Run before lab up makes anything. */
int link_probe(const struct lab_topology *t);

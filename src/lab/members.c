/* The namespaces of a lab and their interfaces, derived from the topology: one list that lab up,
 * status and graph all walk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "lab/lab.h"
#include "net/ipam.h"

const char *member_kind_name(enum member_kind k)
{
	static const char *const names[] = {
		[MEMBER_NAT] = "nat", [MEMBER_ROUTER] = "router", [MEMBER_NODE] = "node"
	};
	return names[k];
}

static int add_iface(struct lab_member *m, int network, uint32_t addr)
{
	struct member_iface *a = realloc(m->ifaces, (m->n_ifaces + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	m->ifaces = a;
	a[m->n_ifaces++] = (struct member_iface){ network, addr };
	return 0;
}

/* A router's default route: the gateway of its first network that has one other than itself. */
static uint32_t router_gateway(const struct lab_topology *t, const struct lab_router *r)
{
	for (size_t i = 0; i < r->n_networks; i++) {
		uint32_t gw = t->networks[r->networks[i]].gateway;
		if (gw && gw != r->addrs[i])
			return gw;
	}
	return 0;
}

static int fill_nat(const struct lab_topology *t, size_t i, struct lab_member *m)
{
	const struct lab_nat *n = &t->nats[i];
	*m = (struct lab_member){ n->name, MEMBER_NAT, i, .gateway = n->outside_gateway,
				  .routes = &n->routes };
	int r = add_iface(m, n->inside, n->inside_addr);
	if (r < 0)
		return r;
	return add_iface(m, n->outside, n->outside_addr);
}

static int fill_router(const struct lab_topology *t, size_t i, struct lab_member *m)
{
	const struct lab_router *ro = &t->routers[i];
	*m = (struct lab_member){ ro->name, MEMBER_ROUTER, i, .gateway = router_gateway(t, ro),
				  .routes = &ro->routes };
	for (size_t j = 0; j < ro->n_networks; j++) {
		int r = add_iface(m, ro->networks[j], ro->addrs[j]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int fill_node(const struct lab_topology *t, size_t i, struct lab_member *m)
{
	const struct lab_node *n = &t->nodes[i];
	uint32_t gw = t->networks[n->network].gateway;
	*m = (struct lab_member){ n->name, MEMBER_NODE, i, .gateway = gw != n->addr ? gw : 0 };
	return add_iface(m, n->network, n->addr);
}

/* The members in the order lab up makes them: NATs, routers, nodes. */
static int fill(const struct lab_topology *t, struct lab_member *m)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n_nats; i++) {
		int r = fill_nat(t, i, &m[k++]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_routers; i++) {
		int r = fill_router(t, i, &m[k++]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		int r = fill_node(t, i, &m[k++]);
		if (r < 0)
			return r;
	}
	return 0;
}

int lab_members(const struct lab_topology *t, struct lab_member **ret, size_t *ret_n)
{
	size_t n = t->n_nats + t->n_routers + t->n_nodes;
	struct lab_member *m = calloc(n + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int r = fill(t, m);
	if (r < 0) {
		lab_members_free(m, n);
		return r;
	}
	*ret = m;
	*ret_n = n;
	return 0;
}

void lab_members_free(struct lab_member *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++)
		free(m[i].ifaces);
	free(m);
}

void lab_member_mac(const struct lab_topology *t, const char *member, int network, uint8_t mac[6])
{
	/* Names hold no '/': the seed is one lab's member's network, and no other's. */
	char seed[3 * 256];
	snprintf(seed, sizeof(seed), "lab/%s/%s/%s", t->name ? t->name : "", member,
		 t->networks[network].name);
	mac_from_name(seed, mac);
}

/* Validation of a parsed topology, then address allocation. Everything that can be wrong with a
 * file is found here, before hako creates anything; each error names the line it is about. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/topology-internal.h"

int topology_bad(const struct topo_parse *p, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%u: %s", p->file, line, msg);
	return -EINVAL;
}

/* The lab's name: Name=, else the file's name without directory and extension. */
static int lab_name(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	if (!t->name) {
		const char *base = strrchr(p->file, '/') ? strrchr(p->file, '/') + 1 : p->file;
		size_t n = strcspn(base, ".");
		if (!(t->name = strndup(base, n)))
			return log_errno(-ENOMEM, "out of memory");
		t->name_from_file = true;
	}
	if (!machine_name_valid(t->name) || strlen(t->name) > LAB_NAME_MAX)
		return topology_bad(p, p->name_line ? p->name_line : 1,
				    "lab name '%s' is not valid (letters, digits, '-', '_', '.', at most %d)",
				    t->name, LAB_NAME_MAX);
	return 0;
}

static int check_networks(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_networks; i++) {
		struct lab_network *n = &t->networks[i];
		if (strlen(n->name) >= IFNAMSIZ)
			return topology_bad(
				p, n->line,
				"network name '%s' is too long for an interface name (%d characters at most)",
				n->name, IFNAMSIZ - 1);
		if (!ifname_valid(n->name) || !machine_name_valid(n->name))
			return topology_bad(p, n->line, "network name '%s' is not valid", n->name);
		if (n->subnet.prefix == 0)
			return topology_bad(p, n->line, "[Network %s] needs Subnet=", n->name);
		for (size_t j = 0; j < i; j++) {
			const struct lab_network *o = &t->networks[j];
			uint8_t pre =
				o->subnet.prefix < n->subnet.prefix ? o->subnet.prefix : n->subnet.prefix;
			if (streq(o->name, n->name))
				return topology_bad(p, n->line, "duplicate network '%s' (also on line %u)",
						    n->name, o->line);
			if ((o->subnet.addr & cidr_mask(pre)) == (n->subnet.addr & cidr_mask(pre)))
				return topology_bad(p, n->line, "subnet of '%s' overlaps '%s' (line %u)",
						    n->name, o->name, o->line);
		}
	}
	return 0;
}

/* Nodes, NATs and routers are all network namespaces named after them: one name space. */
struct named {
	const char *name;
	unsigned line;
};

static int check_names(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	size_t n = 0, total = t->n_nodes + t->n_nats + t->n_routers;
	_cleanup_free_ struct named *all = calloc(total + 1, sizeof(*all));
	if (!all)
		return log_errno(-ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_nats; i++)
		all[n++] = (struct named){ t->nats[i].name, t->nats[i].line };
	for (size_t i = 0; i < t->n_routers; i++)
		all[n++] = (struct named){ t->routers[i].name, t->routers[i].line };
	for (size_t i = 0; i < t->n_nodes; i++)
		all[n++] = (struct named){ t->nodes[i].name, t->nodes[i].line };
	for (size_t i = 0; i < n; i++) {
		if (!machine_name_valid(all[i].name))
			return topology_bad(p, all[i].line,
					    "name '%s' is not valid (letters, digits, '-', '_', '.')",
					    all[i].name);
		for (size_t j = 0; j < i; j++)
			if (streq(all[i].name, all[j].name)) {
				/* Name the later of the two: the one a reader of the file sees as the repeat. */
				bool later = all[i].line > all[j].line;
				return topology_bad(p, later ? all[i].line : all[j].line,
						    "duplicate name '%s' (also on line %u)", all[i].name,
						    later ? all[j].line : all[i].line);
			}
	}
	return 0;
}

static int network_ref(struct topo_parse *p, unsigned line, const char *what, const char *name, int *ret)
{
	if (!name)
		return topology_bad(p, line, "%s= is missing", what);
	int i = topology_find_network(p->t, name);
	if (i < 0)
		return topology_bad(p, line, "%s=%s: no [Network %s] in this file", what, name, name);
	*ret = i;
	return 0;
}

static int check_nats(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		struct lab_nat *n = &t->nats[i];
		int r = network_ref(p, n->line, "Inside", n->inside_name, &n->inside);
		if (r < 0)
			return r;
		r = network_ref(p, n->line, "Outside", n->outside_name, &n->outside);
		if (r < 0)
			return r;
		if (n->inside == n->outside)
			return topology_bad(p, n->line, "[Nat %s] Inside= and Outside= are the same network",
					    n->name);
		struct lab_network *in = &t->networks[n->inside];
		if (in->inside_of >= 0)
			return topology_bad(p, n->line, "network '%s' is already inside NAT '%s'", in->name,
					    t->nats[in->inside_of].name);
		in->inside_of = (int)i;
	}
	/* Walking outwards from any NAT must reach a top-level network: no NAT loops. */
	for (size_t i = 0; i < t->n_nats; i++) {
		int net = t->nats[i].outside;
		for (size_t steps = 0; t->networks[net].inside_of >= 0; steps++) {
			if (steps > t->n_nats)
				return topology_bad(p, t->nats[i].line, "NATs form a loop through '%s'",
						    t->nats[i].name);
			net = t->nats[t->networks[net].inside_of].outside;
		}
	}
	return 0;
}

static int check_routers(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_routers; i++) {
		struct lab_router *r = &t->routers[i];
		r->n_networks = strv_length(r->network_names);
		if (r->n_networks == 0)
			return topology_bad(p, r->line, "[Router %s] needs Networks=", r->name);
		r->networks = calloc(r->n_networks, sizeof(int));
		r->addrs = calloc(r->n_networks, sizeof(uint32_t));
		if (!r->networks || !r->addrs)
			return log_errno(-ENOMEM, "out of memory");
		for (size_t j = 0; j < r->n_networks; j++) {
			int k = network_ref(p, r->line, "Networks", r->network_names[j], &r->networks[j]);
			if (k < 0)
				return k;
			for (size_t l = 0; l < j; l++)
				if (r->networks[l] == r->networks[j])
					return topology_bad(p, r->line,
							    "[Router %s] lists network '%s' twice", r->name,
							    r->network_names[j]);
		}
	}
	return 0;
}

static int check_nodes(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct lab_node *n = &t->nodes[i];
		int r = network_ref(p, n->line, "Network", n->network_name, &n->network);
		if (r < 0)
			return r;
		if (n->directory && n->image)
			return topology_bad(p, n->line, "[Node %s] has both Directory= and Image=", n->name);
		if ((n->ephemeral || n->boot) && !n->directory && !n->image)
			return topology_bad(p, n->line,
					    "[Node %s] Ephemeral=/Boot= need Directory= or Image=", n->name);
		if (n->directory && n->directory[0] != '/')
			return topology_bad(p, n->line, "[Node %s] Directory= is not an absolute path",
					    n->name);
		if (n->image && !machine_name_valid(n->image))
			return topology_bad(p, n->line, "[Node %s] Image=%s is not a valid image name",
					    n->name, n->image);
		if (n->boot && n->exec)
			return topology_bad(
				p, n->line,
				"[Node %s] Exec= and Boot= exclude each other (a booted container's init runs)",
				n->name);
		/* The node's machine is LAB.NODE. */
		if (node_is_container(n) && strlen(t->name) + 1 + strlen(n->name) > MACHINE_NAME_MAX)
			return topology_bad(p, n->line,
					    "[Node %s] the machine name %s.%s is longer than %d characters",
					    n->name, t->name, n->name, MACHINE_NAME_MAX);
	}
	for (size_t i = 0; i < p->n_links; i++) {
		struct topo_link_section *l = &p->links[i];
		int k = topology_find_node(t, l->node);
		if (k < 0)
			return topology_bad(p, l->line, "[Link %s]: no [Node %s] in this file", l->node,
					    l->node);
		if (t->nodes[k].link.set)
			return topology_bad(p, l->line, "duplicate [Link %s] (also on line %u)", l->node,
					    t->nodes[k].link.line);
		if (!l->link.delay_us && !l->link.jitter_us && !l->link.loss_ppm && !l->link.rate_bps)
			return topology_bad(p, l->line,
					    "[Link %s] sets none of Delay=, Jitter=, Loss=, Rate=", l->node);
		if (l->link.jitter_us && !l->link.delay_us)
			return topology_bad(p, l->line, "[Link %s] Jitter= needs Delay=", l->node);
		t->nodes[k].link = l->link;
		t->nodes[k].link.set = true;
		t->nodes[k].link.line = l->line;
	}
	return 0;
}

static int check_forwards(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		struct lab_nat *n = &t->nats[i];
		for (size_t j = 0; j < n->n_forwards; j++) {
			struct lab_forward *f = &n->forwards[j];
			int k = topology_find_node(t, f->node);
			if (k < 0)
				return topology_bad(p, f->line, "PortForward=: no [Node %s] in this file",
						    f->node);
			if (t->nodes[k].network != n->inside)
				return topology_bad(
					p, f->line,
					"PortForward=: node '%s' is not on %s, the inside of '%s'", f->node,
					n->inside_name, n->name);
			for (size_t l = 0; l < j; l++)
				if (n->forwards[l].port == f->port && (n->forwards[l].protos & f->protos))
					return topology_bad(p, f->line,
							    "PortForward=: port %u is forwarded twice",
							    f->port);
		}
	}
	return 0;
}

/* ---- address allocation ---- */

struct pinned {
	uint32_t addr;
	int network;
	unsigned line;
};

struct alloc {
	struct topo_parse *p;
	struct pinned *pinned; /* explicit addresses and the ones already handed out */
	size_t n_pinned;
	uint32_t *next; /* per network: the next host number to try */
};

static bool taken(const struct alloc *a, uint32_t addr)
{
	for (size_t i = 0; i < a->n_pinned; i++)
		if (a->pinned[i].addr == addr)
			return true;
	return false;
}

static int pin(struct alloc *a, uint32_t addr, int network, unsigned line)
{
	const struct lab_network *n = &a->p->t->networks[network];
	uint32_t host = addr & ~cidr_mask(n->subnet.prefix);
	if (!cidr_contains(&n->subnet, addr))
		return topology_bad(a->p, line, "address is outside %s's subnet", n->name);
	if (host == 0 || host == ~cidr_mask(n->subnet.prefix))
		return topology_bad(a->p, line, "address is %s's network or broadcast address", n->name);
	for (size_t i = 0; i < a->n_pinned; i++)
		if (a->pinned[i].addr == addr)
			return topology_bad(a->p, line, "address is already used (line %u)",
					    a->pinned[i].line);
	a->pinned[a->n_pinned++] = (struct pinned){ addr, network, line };
	return 0;
}

/* A node's Address=, whose prefix, if it gives one, must be its network's. */
static int pin_node(struct alloc *a, const struct lab_node *node)
{
	const struct lab_network *n = &a->p->t->networks[node->network];
	if (node->addr_prefix && node->addr_prefix != n->subnet.prefix)
		return topology_bad(a->p, node->addr_line, "prefix /%u does not match network %s's /%u",
				    node->addr_prefix, n->name, n->subnet.prefix);
	return pin(a, node->addr, node->network, node->addr_line);
}

/* Next free host address from the bottom of the subnet (from the top with from_top). */
static int allocate(struct alloc *a, int network, unsigned line, bool from_top, uint32_t *ret)
{
	const struct lab_network *n = &a->p->t->networks[network];
	uint32_t hosts = ~cidr_mask(n->subnet.prefix);
	for (uint32_t h = from_top ? hosts - 1 : a->next[network]; h > 0 && h < hosts; from_top ? h-- : h++) {
		uint32_t addr = n->subnet.addr | h;
		if (taken(a, addr))
			continue;
		if (!from_top)
			a->next[network] = h + 1;
		*ret = addr;
		return pin(a, addr, network, line);
	}
	return topology_bad(a->p, line, "network '%s' has no free address left", n->name);
}

/* An explicit address, or a new one. */
static int assign(struct alloc *a, uint32_t *addr, int network, unsigned line)
{
	return *addr ? 0 : allocate(a, network, line, false, addr);
}

static int pin_nats(struct alloc *a)
{
	struct lab_topology *t = a->p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		struct lab_nat *n = &t->nats[i];
		int r = n->inside_addr ? pin(a, n->inside_addr, n->inside, n->line) : 0;
		if (r < 0)
			return r;
		r = n->outside_addr ? pin(a, n->outside_addr, n->outside, n->line) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

static int pin_nodes(struct alloc *a)
{
	struct lab_topology *t = a->p->t;
	for (size_t i = 0; i < t->n_nodes; i++) {
		int r = t->nodes[i].addr ? pin_node(a, &t->nodes[i]) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* The nat-check responder's two addresses, at the top of every top-level network. */
static int pin_responders(struct alloc *a)
{
	struct lab_topology *t = a->p->t;
	for (size_t i = 0; i < t->n_networks; i++) {
		struct lab_network *n = &t->networks[i];
		for (int k = 0; k < 2 && network_is_top(n); k++) {
			int r = allocate(a, (int)i, n->line, true, &n->responder[k]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Gateways first, so they get the low addresses (.1) people expect. */
static int assign_gateways(struct alloc *a)
{
	struct lab_topology *t = a->p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		int r = assign(a, &t->nats[i].inside_addr, t->nats[i].inside, t->nats[i].line);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_routers; i++)
		for (size_t j = 0; j < t->routers[i].n_networks; j++) {
			int r = assign(a, &t->routers[i].addrs[j], t->routers[i].networks[j],
				       t->routers[i].line);
			if (r < 0)
				return r;
		}
	return 0;
}

static int assign_others(struct alloc *a)
{
	struct lab_topology *t = a->p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		int r = assign(a, &t->nats[i].outside_addr, t->nats[i].outside, t->nats[i].line);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		int r = assign(a, &t->nodes[i].addr, t->nodes[i].network, t->nodes[i].line);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Explicit addresses are pinned before any is handed out, in this order. */
static int allocate_all(struct alloc *a)
{
	static int (*const steps[])(struct alloc *) = {
		pin_nats, pin_nodes, pin_responders, assign_gateways, assign_others,
	};
	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		int r = steps[i](a);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Default routes: a NAT's inside network goes out through the NAT, other networks through their
 * first router. */
static void resolve_gateways(struct lab_topology *t)
{
	for (size_t i = 0; i < t->n_networks; i++) {
		struct lab_network *n = &t->networks[i];
		n->gateway = n->inside_of >= 0 ? t->nats[n->inside_of].inside_addr : 0;
		for (size_t j = 0; !n->gateway && j < t->n_routers; j++)
			for (size_t k = 0; k < t->routers[j].n_networks; k++)
				if (t->routers[j].networks[k] == (int)i && !n->gateway)
					n->gateway = t->routers[j].addrs[k];
	}
	for (size_t i = 0; i < t->n_nats; i++)
		t->nats[i].outside_gateway = t->networks[t->nats[i].outside].gateway;
	for (size_t i = 0; i < t->n_nats; i++)
		for (size_t j = 0; j < t->nats[i].n_forwards; j++)
			t->nats[i].forwards[j].to_addr =
				t->nodes[topology_find_node(t, t->nats[i].forwards[j].node)].addr;
}

/* Every Route= gateway must be on one of the member's networks. */
static int check_route_list(struct topo_parse *p, const char *name, const struct lab_routes *routes,
			    const int *networks, size_t n_networks)
{
	for (size_t j = 0; j < routes->n; j++) {
		bool direct = false;
		for (size_t k = 0; k < n_networks; k++)
			direct |= cidr_contains(&p->t->networks[networks[k]].subnet, routes->items[j].via);
		if (!direct)
			return topology_bad(p, routes->items[j].line,
					    "Route=: gateway is on none of %s's networks", name);
	}
	return 0;
}

static int check_routes(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_routers; i++) {
		const struct lab_router *ro = &t->routers[i];
		int r = check_route_list(p, ro->name, &ro->routes, ro->networks, ro->n_networks);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_nats; i++) {
		const struct lab_nat *n = &t->nats[i];
		int r = check_route_list(p, n->name, &n->routes, (int[]){ n->inside, n->outside }, 2);
		if (r < 0)
			return r;
	}
	return 0;
}

int topology_validate(struct topo_parse *p)
{
	// clang-format off
	int (*const checks[])(struct topo_parse *) = {
		lab_name, check_networks, check_names, check_nats, check_routers, check_nodes,
		check_forwards, topology_check_hosts,
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		int r = checks[i](p);
		if (r < 0)
			return r;
	}
	struct lab_topology *t = p->t;
	size_t max = 2 * t->n_networks + 2 * t->n_nats + t->n_nodes;
	for (size_t i = 0; i < t->n_routers; i++)
		max += t->routers[i].n_networks;
	_cleanup_free_ struct pinned *pinned = calloc(max + 1, sizeof(*pinned));
	_cleanup_free_ uint32_t *next = calloc(t->n_networks + 1, sizeof(*next));
	if (!pinned || !next)
		return log_errno(-ENOMEM, "out of memory");
	for (size_t i = 0; i < t->n_networks; i++)
		next[i] = 1;
	struct alloc a = { p, pinned, 0, next };
	int r = allocate_all(&a);
	if (r < 0)
		return r;
	resolve_gateways(t);
	return check_routes(p);
}

/* Reading a topology file: sections and keys are data tables; each key has a setter that parses
 * its value into the section's struct. Cross-references are checked afterwards in validate.c. */
#include "lab/topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/topology-internal.h"
#include "settings/ini.h"

static const char *const behaviour_names[_NAT_BEHAVIOUR_MAX] = {
	[NAT_EI] = "endpoint-independent",
	[NAT_AD] = "address-dependent",
	[NAT_APD] = "address-and-port-dependent",
};

/* Classic names: mapping × filtering. */
// clang-format off
static const struct { const char *name; enum nat_behaviour mapping, filtering; } nat_types[] = {
	{ "full-cone", NAT_EI, NAT_EI },
	{ "restricted-cone", NAT_EI, NAT_AD },
	{ "port-restricted-cone", NAT_EI, NAT_APD },
	{ "symmetric", NAT_APD, NAT_APD },
};
// clang-format on

const char *nat_behaviour_name(enum nat_behaviour b)
{
	return b < _NAT_BEHAVIOUR_MAX ? behaviour_names[b] : "?";
}

const char *nat_type_name(enum nat_behaviour mapping, enum nat_behaviour filtering)
{
	for (size_t i = 0; i < ELEMENTSOF(nat_types); i++)
		if (nat_types[i].mapping == mapping && nat_types[i].filtering == filtering)
			return nat_types[i].name;
	return NULL;
}

const char *ip_str(uint32_t addr, char buf[static 16])
{
	struct in_addr a = { htonl(addr) };
	return inet_ntop(AF_INET, &a, buf, 16);
}

int cidr_parse(const char *s, struct lab_cidr *ret, bool need_prefix)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf) || (need_prefix && !slash))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	uint32_t prefix = 32;
	if (slash && (parse_u32(slash + 1, &prefix) < 0 || prefix > 32 || !slash[1]))
		return -EINVAL;
	ret->addr = ntohl(a.s_addr);
	ret->prefix = (uint8_t)prefix;
	return 0;
}

/* ---- setters: (parse state, the section's object, value) -> 0 or -EINVAL with *why ---- */

static int set_string(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	(void)why;
	char **s = field;
	free(*s);
	return (*s = strdup(v)) ? 0 : -ENOMEM;
}

static int set_lab_name(struct topo_parse *p, void *field, const char *v, const char **why)
{
	p->name_line = p->line;
	return set_string(p, field, v, why);
}

static int set_bool(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	int b = parse_boolean(v);
	if (b < 0) {
		*why = "not a boolean";
		return -EINVAL;
	}
	*(bool *)field = b;
	return 0;
}

int set_subnet(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	struct lab_cidr *c = field;
	if (cidr_parse(v, c, true) < 0) {
		*why = "not an IPv4 subnet ADDRESS/PREFIX";
		return -EINVAL;
	}
	if (c->prefix < 8 || c->prefix > 30) {
		*why = "prefix must be between /8 and /30";
		return -EINVAL;
	}
	if (c->addr & ~cidr_mask(c->prefix)) {
		*why = "host bits set (not a subnet address)";
		return -EINVAL;
	}
	return 0;
}

static int set_address(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_cidr c;
	if (cidr_parse(v, &c, false) < 0 || c.prefix != 32 || c.addr == 0) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	(void)p;
	*(uint32_t *)field = c.addr;
	return 0;
}

/* A node remembers where its Address= stood, for the conflicts found after parsing. It may carry
 * its network's prefix, as `ip addr add 100.64.0.10/16` is written (checked once the network is
 * known). */
static int set_node_address(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_node *node = field;
	struct lab_cidr c;
	if (cidr_parse(v, &c, false) < 0 || c.addr == 0 || (c.prefix != 32 && c.prefix < 8)) {
		*why = "not an IPv4 address (ADDRESS or ADDRESS/PREFIX)";
		return -EINVAL;
	}
	node->addr = c.addr;
	node->addr_prefix = strchr(v, '/') ? c.prefix : 0;
	node->addr_line = p->line;
	return 0;
}

static int parse_behaviour(const char *v, enum nat_behaviour *ret)
{
	for (int b = 0; b < _NAT_BEHAVIOUR_MAX; b++)
		if (streq(v, behaviour_names[b])) {
			*ret = b;
			return 0;
		}
	return -EINVAL;
}

static int set_mapping_or_filtering(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_nat *nat = &p->t->nats[p->t->n_nats - 1];
	if (nat->type_set) {
		*why = "Type= is already set (use either Type= or Mapping=/Filtering=)";
		return -EINVAL;
	}
	if (parse_behaviour(v, field) < 0) {
		*why = "not endpoint-independent, address-dependent or address-and-port-dependent";
		return -EINVAL;
	}
	nat->pair_set = true;
	return 0;
}

static int set_type(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_nat *nat = field;
	if (nat->pair_set) {
		*why = "Mapping=/Filtering= is already set (use either Type= or Mapping=/Filtering=)";
		return -EINVAL;
	}
	(void)p;
	for (size_t i = 0; i < ELEMENTSOF(nat_types); i++)
		if (streq(v, nat_types[i].name)) {
			nat->mapping = nat_types[i].mapping;
			nat->filtering = nat_types[i].filtering;
			nat->type_set = true;
			return 0;
		}
	*why = "not full-cone, restricted-cone, port-restricted-cone or symmetric";
	return -EINVAL;
}

static int set_seconds(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	uint64_t us;
	if (parse_duration_us(v, &us) < 0 || us < 1000000 || us > 86400ULL * 1000000) {
		*why = "not a duration between 1s and 24h";
		return -EINVAL;
	}
	*(uint32_t *)field = (uint32_t)(us / 1000000);
	return 0;
}

static int set_duration(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	uint64_t us;
	if (parse_duration_us(v, &us) < 0 || us > 60ULL * 1000000) {
		*why = "not a duration up to 60s (e.g. 20ms)";
		return -EINVAL;
	}
	*(uint64_t *)field = us;
	return 0;
}

/* "1.5%" or "0.3" (percent) into parts per million. */
static int set_loss(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || (*end && !streq(end, "%")) || d < 0 || d > 100) {
		*why = "not a percentage between 0 and 100";
		return -EINVAL;
	}
	*(uint32_t *)field = (uint32_t)(d * 10000 + 0.5);
	return 0;
}

/* "10mbit", "512kbit", "1gbit", "100000" (bits per second) into bytes per second. */
static int set_rate(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	// clang-format off
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "", 1 }, { "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 },
	};
	// clang-format on
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	for (size_t i = 0; !errno && end != v && i < ELEMENTSOF(units); i++)
		if (streq(end, units[i].suffix) && n > 0 && n <= 100000000000ULL / units[i].mult) {
			*(uint64_t *)field = n * units[i].mult / 8;
			return 0;
		}
	*why = "not a rate such as 10mbit, 512kbit or 1gbit (1kbit..100gbit)";
	return -EINVAL;
}

static int set_words(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	(void)why;
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (strv_push(field, w) < 0)
			return -ENOMEM;
	return 0;
}

/* DEST/PREFIX [via] GATEWAY */
static int route_parse(const char *v, struct lab_route *route)
{
	char dest[40], w2[40], w3[40];
	int n = sscanf(v, "%39s %39s %39s", dest, w2, w3);
	const char *gw = n == 3 && streq(w2, "via") ? w3 : n == 2 ? w2 : NULL;
	if (!gw)
		return -EINVAL;
	if (cidr_parse(dest, &route->dest, true) < 0)
		return -EINVAL;
	struct lab_cidr g;
	if (cidr_parse(gw, &g, false) < 0)
		return -EINVAL;
	if (g.prefix != 32)
		return -EINVAL;
	route->dest.addr &= cidr_mask(route->dest.prefix);
	route->via = g.addr;
	return 0;
}

/* Route=DEST/PREFIX [via] GATEWAY */
static int add_route(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_routes *r = field;
	struct lab_route route = { .line = p->line };
	if (route_parse(v, &route) < 0) {
		*why = "not DEST/PREFIX [via] GATEWAY";
		return -EINVAL;
	}
	struct lab_route *a = realloc(r->items, (r->n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	r->items = a;
	a[r->n++] = route;
	return 0;
}

static int parse_port(const char *s, uint16_t *ret)
{
	uint32_t v;
	if (parse_u32(s, &v) < 0 || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* The n ':'-separated fields of [tcp:|udp:]PORT:NODE:PORT; fw->node NULL: out of memory. */
static int forward_parse(char **f, size_t n, struct lab_forward *fw)
{
	if (n != 3 && n != 4)
		return -EINVAL;
	size_t o = n == 4;
	fw->protos = PROTO_TCP | PROTO_UDP;
	if (n == 4)
		fw->protos = streq(f[0], "tcp") ? PROTO_TCP : streq(f[0], "udp") ? PROTO_UDP : 0;
	if (!fw->protos)
		return -EINVAL;
	if (parse_port(f[o], &fw->port) < 0)
		return -EINVAL;
	if (parse_port(f[o + 2], &fw->to_port) < 0)
		return -EINVAL;
	if (!machine_name_valid(f[o + 1]))
		return -EINVAL;
	fw->node = strdup(f[o + 1]);
	return 0;
}

/* PortForward=[tcp:|udp:]PORT:NODE:PORT */
static int add_forward(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_nat *nat = field;
	_cleanup_free_ char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	char *f[5];
	size_t n = 0;
	for (char *s = copy, *c; n < 5; s = c + 1) {
		f[n++] = s;
		if (!(c = strchr(s, ':')))
			break;
		*c = 0;
	}
	struct lab_forward fw = { .line = p->line };
	if (forward_parse(f, n, &fw) < 0) {
		*why = "not [tcp:|udp:]PORT:NODE:PORT";
		return -EINVAL;
	}
	if (!fw.node)
		return -ENOMEM;
	struct lab_forward *a = realloc(nat->forwards, (nat->n_forwards + 1) * sizeof(*a));
	if (!a) {
		free(fw.node);
		return -ENOMEM;
	}
	nat->forwards = a;
	a[nat->n_forwards++] = fw;
	return 0;
}

/* ---- sections ---- */

struct key {
	enum section_kind section;
	const char *key;
	int (*set)(struct topo_parse *p, void *field, const char *value, const char **why);
	size_t offset; /* into the section's struct */
};

// clang-format off
#define K(sec, name, fn, type, field) { sec, name, fn, offsetof(type, field) }
#define WHOLE(sec, name, fn) { sec, name, fn, 0 }
// clang-format on
static const struct key keys[] = {
	K(SEC_LAB, "Name", set_lab_name, struct lab_topology, name),
	K(SEC_LAB, "VxlanPort", set_udp_port, struct lab_topology, vxlan_port),
	WHOLE(SEC_LAB, "Encrypt", set_encrypt),
	WHOLE(SEC_LAB, "EncryptSubnet", set_encrypt_subnet),
	K(SEC_LAB, "EncryptPort", set_udp_port, struct lab_topology, encrypt_port),
	K(SEC_NETWORK, "Subnet", set_subnet, struct lab_network, subnet),
	WHOLE(SEC_NETWORK, "Vni", set_vni),
	WHOLE(SEC_NETWORK, "Mtu", set_mtu),
	K(SEC_NAT, "Inside", set_string, struct lab_nat, inside_name),
	K(SEC_NAT, "Outside", set_string, struct lab_nat, outside_name),
	WHOLE(SEC_NAT, "Type", set_type),
	K(SEC_NAT, "Mapping", set_mapping_or_filtering, struct lab_nat, mapping),
	K(SEC_NAT, "Filtering", set_mapping_or_filtering, struct lab_nat, filtering),
	WHOLE(SEC_NAT, "PortForward", add_forward),
	K(SEC_NAT, "UdpTimeout", set_seconds, struct lab_nat, udp_timeout_s),
	K(SEC_NAT, "Hairpin", set_bool, struct lab_nat, hairpin),
	K(SEC_NAT, "InboundRefresh", set_bool, struct lab_nat, inbound_refresh),
	K(SEC_NAT, "InsideAddress", set_address, struct lab_nat, inside_addr),
	K(SEC_NAT, "OutsideAddress", set_address, struct lab_nat, outside_addr),
	K(SEC_NAT, "Route", add_route, struct lab_nat, routes),
	K(SEC_NAT, "Host", set_string, struct lab_nat, host_name),
	K(SEC_ROUTER, "Networks", set_words, struct lab_router, network_names),
	K(SEC_ROUTER, "Route", add_route, struct lab_router, routes),
	K(SEC_ROUTER, "Host", set_string, struct lab_router, host_name),
	K(SEC_NODE, "Network", set_string, struct lab_node, network_name),
	WHOLE(SEC_NODE, "Address", set_node_address),
	K(SEC_NODE, "Directory", set_string, struct lab_node, directory),
	K(SEC_NODE, "Image", set_string, struct lab_node, image),
	K(SEC_NODE, "Ephemeral", set_bool, struct lab_node, ephemeral),
	K(SEC_NODE, "Boot", set_bool, struct lab_node, boot),
	K(SEC_NODE, "Exec", set_string, struct lab_node, exec),
	K(SEC_NODE, "Host", set_string, struct lab_node, host_name),
	WHOLE(SEC_HOST, "Address", set_host_address),
	K(SEC_HOST, "Interface", set_host_interface, struct lab_host, interface),
	K(SEC_HOST, "Ssh", set_host_ssh, struct lab_host, ssh),
	WHOLE(SEC_HOST, "PublicKey", set_public_key),
	K(SEC_LINK, "Delay", set_duration, struct lab_link, delay_us),
	K(SEC_LINK, "Jitter", set_duration, struct lab_link, jitter_us),
	K(SEC_LINK, "Loss", set_loss, struct lab_link, loss_ppm),
	K(SEC_LINK, "Rate", set_rate, struct lab_link, rate_bps),
};

/* Grows an array by one zeroed element; returns it or NULL. */
static void *grow(void *arrayp, size_t *n, size_t size)
{
	void **array = arrayp;
	char *a = realloc(*array, (*n + 1) * size);
	if (!a)
		return NULL;
	*array = a;
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

/* Each section's object, created when the section header is read. */
static void *new_network(struct topo_parse *p)
{
	struct lab_network *n = grow(&p->t->networks, &p->t->n_networks, sizeof(*n));
	if (n)
		n->inside_of = -1;
	return n;
}
// clang-format off
static void *new_nat(struct topo_parse *p) { return grow(&p->t->nats, &p->t->n_nats, sizeof(struct lab_nat)); }
static void *new_router(struct topo_parse *p) { return grow(&p->t->routers, &p->t->n_routers, sizeof(struct lab_router)); }
static void *new_node(struct topo_parse *p) { return grow(&p->t->nodes, &p->t->n_nodes, sizeof(struct lab_node)); }
static void *new_link(struct topo_parse *p) { return grow(&p->links, &p->n_links, sizeof(struct topo_link_section)); }
static void *new_host(struct topo_parse *p) { return grow(&p->t->hosts, &p->t->n_hosts, sizeof(struct lab_host)); }
static void *the_lab(struct topo_parse *p) { return p->t; }
// clang-format on

// clang-format off
static const struct {
	const char *name;
	enum section_kind kind;
	bool named;           /* "[Network NAME]" */
	void *(*create)(struct topo_parse *p);
	size_t name_offset;   /* where NAME goes */
	size_t line_offset;   /* where the section's line goes */
} sections[] = {
	{ "Lab", SEC_LAB, false, the_lab, 0, 0 },
	{ "Network", SEC_NETWORK, true, new_network, offsetof(struct lab_network, name), offsetof(struct lab_network, line) },
	{ "Nat", SEC_NAT, true, new_nat, offsetof(struct lab_nat, name), offsetof(struct lab_nat, line) },
	{ "Router", SEC_ROUTER, true, new_router, offsetof(struct lab_router, name), offsetof(struct lab_router, line) },
	{ "Node", SEC_NODE, true, new_node, offsetof(struct lab_node, name), offsetof(struct lab_node, line) },
	{ "Link", SEC_LINK, true, new_link, offsetof(struct topo_link_section, node), offsetof(struct topo_link_section, line) },
	{ "Host", SEC_HOST, true, new_host, offsetof(struct lab_host, name), offsetof(struct lab_host, line) },
};
// clang-format on

static int on_section(void *userdata, const struct ini_pos *pos, const char *name, const char *arg)
{
	struct topo_parse *p = userdata;
	p->line = pos->line;
	for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
		if (!streq(name, sections[i].name))
			continue;
		if (sections[i].named != !!arg) {
			log_error("%s:%u: [%s] %s", pos->file, pos->line, name,
				  arg ? "takes no name" : "needs a name: [Section NAME]");
			return -EINVAL;
		}
		if (!(p->obj = sections[i].create(p)))
			return log_errno(-ENOMEM, "out of memory");
		p->kind = sections[i].kind;
		if (arg) {
			if (!(*(char **)((char *)p->obj + sections[i].name_offset) = strdup(arg)))
				return log_errno(-ENOMEM, "out of memory");
			*(unsigned *)((char *)p->obj + sections[i].line_offset) = pos->line;
		}
		return 0;
	}
	log_error("%s:%u: unknown section [%s]", pos->file, pos->line, name);
	return -EINVAL;
}

static int on_entry(void *userdata, const struct ini_pos *pos, const char *section, const char *arg,
		    const char *key, const char *value)
{
	struct topo_parse *p = userdata;
	(void)arg;
	p->line = pos->line;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		if ((int)keys[i].section != p->kind || !streq(keys[i].key, key))
			continue;
		const char *why = "invalid value";
		void *obj =
			p->kind == SEC_LINK ? (void *)&((struct topo_link_section *)p->obj)->link : p->obj;
		int r = keys[i].set(p, (char *)obj + keys[i].offset, value, &why);
		if (r == -ENOMEM)
			return log_errno(r, "out of memory");
		if (r < 0) {
			log_error("%s:%u: %s=%s: %s", pos->file, pos->line, key, value, why);
			return r;
		}
		return 0;
	}
	log_error("%s:%u: unknown key %s= in [%s]", pos->file, pos->line, key, section);
	return -EINVAL;
}

void topology_free(struct lab_topology *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_networks; i++)
		free(t->networks[i].name);
	for (size_t i = 0; i < t->n_nats; i++) {
		struct lab_nat *n = &t->nats[i];
		free(n->name), free(n->inside_name), free(n->outside_name);
		for (size_t j = 0; j < n->n_forwards; j++)
			free(n->forwards[j].node);
		free(n->forwards);
		free(n->routes.items);
		free(n->host_name);
	}
	for (size_t i = 0; i < t->n_routers; i++) {
		struct lab_router *r = &t->routers[i];
		free(r->name), strv_free(r->network_names), free(r->networks), free(r->addrs),
			free(r->routes.items);
		free(r->host_name);
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct lab_node *n = &t->nodes[i];
		free(n->name), free(n->network_name), free(n->directory), free(n->image), free(n->exec);
		free(n->host_name);
	}
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i].name), free(t->hosts[i].interface), free(t->hosts[i].ssh);
	free(t->networks), free(t->nats), free(t->routers), free(t->nodes), free(t->hosts);
	free(t->file), free(t->name);
	free(t);
}

static void parse_state_done(struct topo_parse *p)
{
	for (size_t i = 0; i < p->n_links; i++)
		free(p->links[i].node);
	free(p->links);
}

/* text NULL: read the file itself. */
static int parse(const char *text, const char *file, struct lab_topology **ret)
{
	static const struct ini_handler handler = { on_section, on_entry };
	_cleanup_topology_ struct lab_topology *t = calloc(1, sizeof(*t));
	if (!t)
		return log_errno(-ENOMEM, "out of memory");
	t->vxlan_port = LAB_VXLAN_PORT;
	t->encrypt_port = LAB_WG_PORT;
	t->local_host = -1;
	t->file = strdup(file);
	if (!t->file)
		return log_errno(-ENOMEM, "out of memory");
	_cleanup_(parse_state_done) struct topo_parse p = { .t = t, .file = file };
	int r = text ? ini_parse_string(text, file, &handler, &p) : ini_parse_file(file, &handler, &p);
	if (r < 0)
		return r;
	r = topology_validate(&p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int topology_parse_string(const char *text, const char *file, struct lab_topology **ret)
{
	return parse(text, file, ret);
}

int topology_parse_file(const char *path, struct lab_topology **ret)
{
	return parse(NULL, path, ret);
}

// clang-format off
#define FIND(array, n, key)                                 \
	for (size_t i = 0; i < (n); i++)                     \
		if ((array)[i].name && streq((array)[i].name, key)) \
			return (int)i;                       \
	return -1

int topology_find_network(const struct lab_topology *t, const char *name) { FIND(t->networks, t->n_networks, name); }
int topology_find_node(const struct lab_topology *t, const char *name) { FIND(t->nodes, t->n_nodes, name); }
int topology_find_nat(const struct lab_topology *t, const char *name) { FIND(t->nats, t->n_nats, name); }
int topology_find_router(const struct lab_topology *t, const char *name) { FIND(t->routers, t->n_routers, name); }
int topology_find_host(const struct lab_topology *t, const char *name) { FIND(t->hosts, t->n_hosts, name); }
// clang-format on

/* hako run's networking options, nspawn's names; each row also serves the .nspawn [Network] key
 * of the same meaning. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"
#include "base/util.h"
#include "container/config.h"
#include "container/options.h"

void net_config_free(struct net_config *n)
{
	free(n->namespace_path);
	free(n->bridge);
	free(n->zone);
	free(n->network);
	strv_free(n->interfaces);
	strv_free(n->macvlan);
	strv_free(n->ipvlan);
	strv_free(n->veth_extra);
	free(n->ports);
	*n = (struct net_config){ 0 };
}

static int parse_port(const char *s, size_t len, uint16_t *ret)
{
	char buf[8];
	uint32_t v;
	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (parse_u32(buf, &v) < 0 || v == 0 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int port_spec_parse(const char *s, struct port_spec *ret, const char **why)
{
	struct port_spec p = { .proto = IPPROTO_TCP };
	const char *rest;
	if ((rest = startswith(s, "tcp:")))
		s = rest;
	else if ((rest = startswith(s, "udp:"))) {
		p.proto = IPPROTO_UDP;
		s = rest;
	}
	const char *colon = strchr(s, ':');
	size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
	if (parse_port(s, hlen, &p.host_port) < 0 ||
	    (colon && parse_port(colon + 1, strlen(colon + 1), &p.container_port) < 0)) {
		*why = "expected [tcp:|udp:]HOSTPORT[:CONTAINERPORT] with ports 1-65535";
		return -EINVAL;
	}
	if (!colon)
		p.container_port = p.host_port;
	*ret = p;
	return 0;
}

/* Every way of giving a container its own interfaces means its own namespace too. */
static struct net_config *private_net(void *target)
{
	struct net_config *n = target;
	n->private_network = true;
	return n;
}

static int set_veth(void *target, const char *value, const char **why)
{
	struct net_config *n = target;
	int r = opt_set_flag(&n->veth, value, why);
	if (r < 0)
		return r;
	if (n->veth)
		private_net(n);
	return r;
}

static int set_name(char **field, const char *value, const char **why, bool (*valid)(const char *))
{
	if (!valid(value)) {
		*why = "not a valid name";
		return -EINVAL;
	}
	free(*field);
	return (*field = strdup(value)) ? 0 : -ENOMEM;
}

static int set_bridge(void *target, const char *value, const char **why)
{
	return set_name(&private_net(target)->bridge, value, why, ifname_valid);
}

/* vz-ZONE must fit an interface name. */
static bool zone_valid(const char *z)
{
	return machine_name_valid(z) && strlen(z) <= IFNAMSIZ - 1 - 3;
}

static int set_zone(void *target, const char *value, const char **why)
{
	int r = set_name(&private_net(target)->zone, value, why, zone_valid);
	if (r == -EINVAL)
		*why = "not a valid zone name (letters, digits, -_. and at most 12 bytes)";
	return r;
}

static int set_network(void *target, const char *value, const char **why)
{
	return set_name(&private_net(target)->network, value, why, machine_name_valid);
}

static int push_ifname(char ***strv, const char *value, const char **why)
{
	if (!ifname_valid(value)) {
		*why = "not a valid interface name";
		return -EINVAL;
	}
	return strv_contains(*strv, value) ? 0 : strv_push(strv, value);
}

static int set_interface(void *target, const char *value, const char **why)
{
	return push_ifname(&private_net(target)->interfaces, value, why);
}

static int set_macvlan(void *target, const char *value, const char **why)
{
	return push_ifname(&private_net(target)->macvlan, value, why);
}

static int set_ipvlan(void *target, const char *value, const char **why)
{
	return push_ifname(&private_net(target)->ipvlan, value, why);
}

/* HOSTIF[:CONTAINERIF], the container's end named as the host's by default, as in nspawn. */
static int set_veth_extra(void *target, const char *value, const char **why)
{
	struct net_config *n = private_net(target);
	const char *colon = strchr(value, ':');
	_cleanup_free_ char *host = strndup(value, colon ? (size_t)(colon - value) : strlen(value));
	if (!host)
		return -ENOMEM;
	const char *inside = colon ? colon + 1 : host;
	if (!ifname_valid(host) || !ifname_valid(inside)) {
		*why = "expected HOSTIF[:CONTAINERIF] with valid interface names";
		return -EINVAL;
	}
	for (char **l = n->veth_extra; l && *l; l += 2)
		if (streq(l[0], host) || streq(l[1], inside)) {
			*why = "an interface of this name is asked for already";
			return -EINVAL;
		}
	int r = strv_push(&n->veth_extra, host);
	if (r < 0)
		return r;
	return strv_push(&n->veth_extra, inside);
}

static int set_port(void *target, const char *value, const char **why)
{
	struct net_config *n = target;
	struct port_spec p;
	int r = port_spec_parse(value, &p, why);
	if (r < 0)
		return r;
	struct port_spec *a = realloc(n->ports, (n->n_ports + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	a[n->n_ports++] = p;
	n->ports = a;
	return 0;
}

static int set_namespace_path(void *target, const char *value, const char **why)
{
	if (value[0] != '/') {
		*why = "not an absolute path";
		return -EINVAL;
	}
	return opt_set_string(target, value, why);
}

#define NET offsetof(struct run_config, net)
#define NETF(field) (NET + offsetof(struct net_config, field))

// clang-format off
const struct opt run_net_options[] = {
	{ "private-network", 0, OPT_NONE, NULL, "Own network namespace with only lo (up)", opt_set_flag, NETF(private_network), "Network.Private" },
	{ "network-namespace-path", 0, OPT_REQUIRED, "PATH", "Join this network namespace (e.g. /run/netns/NAME)", set_namespace_path, NETF(namespace_path), NULL },
	{ "network-veth", 'n', OPT_NONE, NULL, "A veth pair: ve-NAME on the host, host0 inside", set_veth, NET, "Network.VirtualEthernet" },
	{ "network-bridge", 0, OPT_REQUIRED, "BR", "A veth pair whose host end vb-NAME joins bridge BR", set_bridge, NET, "Network.Bridge" },
	{ "network-zone", 0, OPT_REQUIRED, "ZONE", "Join bridge vz-ZONE, made on demand, gone with its last container", set_zone, NET, "Network.Zone" },
	{ "network", 0, OPT_REQUIRED, "NET", "Join the hako network NET (hako network create): address, route, DNS", set_network, NET, "Network.Network" },
	{ "network-interface", 0, OPT_REQUIRED, "IF", "Move host interface IF in, give it back at exit", set_interface, NET, "Network.Interface" },
	{ "network-macvlan", 0, OPT_REQUIRED, "IF", "A macvlan mv-IF on host interface IF", set_macvlan, NET, "Network.MACVLAN" },
	{ "network-ipvlan", 0, OPT_REQUIRED, "IF", "An ipvlan iv-IF on host interface IF", set_ipvlan, NET, "Network.IPVLAN" },
	{ "network-veth-extra", 0, OPT_REQUIRED, "HOSTIF[:CONTIF]", "An extra veth pair: HOSTIF on the host, CONTIF (default HOSTIF) inside", set_veth_extra, NET, "Network.VirtualEthernetExtra" },
	{ "port", 'p', OPT_REQUIRED, "[PROTO:]HOST[:CONT]", "Forward host port HOST to the container (needs a private network)", set_port, NET, "Network.Port" },
};
// clang-format on
const size_t run_net_options_n = ELEMENTSOF(run_net_options);

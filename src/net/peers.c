#include "net/peers.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "net/ipam.h"
#include "net/rtnl.h"
#include "net/rules.h"
#include "net/vxlan.h"

/* ---- options ---- */

static int parse_host(const char *value, struct inet_addr *ret, const char **why)
{
	if (inet_addr_parse(value, ret) < 0) {
		*why = "expected an IPv4 or IPv6 address";
		return -EINVAL;
	}
	return 0;
}

/* One address, or several separated by commas. */
int peers_set_peer(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	_cleanup_free_ char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (d->n_peers == NETWORK_PEERS_MAX) {
			*why = "too many peers (at most 64)";
			return -E2BIG;
		}
		int r = parse_host(a, &d->peers[d->n_peers], why);
		if (r < 0)
			return r;
		d->n_peers++;
	}
	return 0;
}

int peers_set_local(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	int r = parse_host(value, &d->local, why);
	if (r < 0)
		return r;
	d->has_local = true;
	return 0;
}

int peers_set_dhcp_host(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	int r = parse_host(value, &d->dhcp_host, why);
	if (r < 0)
		return r;
	d->has_dhcp_host = true;
	return 0;
}

int peers_set_vni(void *target, const char *value, const char **why)
{
	uint32_t v;
	if (parse_u32(value, &v) < 0 || v == 0 || v > VXLAN_VNI_MAX) {
		*why = "expected a VNI from 1 to 16777215";
		return -EINVAL;
	}
	((struct network_def *)target)->vni = v;
	return 0;
}

int peers_set_port(void *target, const char *value, const char **why)
{
	uint32_t v;
	if (parse_u32(value, &v) < 0 || v == 0 || v > 65535) {
		*why = "expected a UDP port from 1 to 65535";
		return -EINVAL;
	}
	((struct network_def *)target)->vx_port = (uint16_t)v;
	return 0;
}

/* ---- checks and defaults ---- */

static int peer_index(const struct network_def *d, const struct inet_addr *a)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (inet_addr_equal(&d->peers[i], a))
			return (int)i;
	return -1;
}

static void ifaddrs_freep(struct ifaddrs **p)
{
	if (*p)
		freeifaddrs(*p);
}

static bool ifaddr_is(const struct ifaddrs *i, const struct inet_addr *a)
{
	if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
		return false;
	const void *b = a->family == AF_INET
				? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
	return memcmp(b, a->bytes, inet_addr_size(a->family)) == 0;
}

/* The one peer address that is on an interface here. */
static int find_local(struct network_def *d)
{
	_cleanup_(ifaddrs_freep) struct ifaddrs *list = NULL;
	char a[INET_PREFIX_STRLEN], b[INET_PREFIX_STRLEN];
	if (getifaddrs(&list) < 0)
		return log_errno(-errno, "cannot list this host's addresses");
	int found = -1;
	for (const struct ifaddrs *i = list; i; i = i->ifa_next)
		for (size_t p = 0; p < d->n_peers; p++) {
			if (!ifaddr_is(i, &d->peers[p]) || found == (int)p)
				continue;
			if (found >= 0) {
				log_error(
					"network %s: --peer=%s and --peer=%s are both on this host: say which with --local=",
					d->name, inet_addr_str(&d->peers[found], a),
					inet_addr_str(&d->peers[p], b));
				return -EINVAL;
			}
			found = (int)p;
		}
	if (found < 0) {
		log_error("network %s: no --peer= address is on this host: give this host's with --local=",
			  d->name);
		return -EINVAL;
	}
	d->local = d->peers[found];
	d->has_local = true;
	return 0;
}

/* One family, each address once: the FDB would send a frame twice to a repeated one. */
static int check_list(const struct network_def *d)
{
	char a[INET_PREFIX_STRLEN];
	if (d->n_peers < 2) {
		log_error("network %s: --peer= needs every host's address, at least two", d->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < d->n_peers; i++) {
		if (d->peers[i].family != d->peers[0].family) {
			log_error("network %s: --peer=%s is not of the first peer's address family", d->name,
				  inet_addr_str(&d->peers[i], a));
			return -EINVAL;
		}
		if (peer_index(d, &d->peers[i]) != (int)i) {
			log_error("network %s: --peer=%s is listed twice", d->name,
				  inet_addr_str(&d->peers[i], a));
			return -EINVAL;
		}
	}
	return 0;
}

/* Each peer needs a slice of at least one address. */
static int check_room(const struct network_def *d)
{
	struct ipam_pool pool;
	char s[INET_PREFIX_STRLEN], g[INET_PREFIX_STRLEN];
	ipam_pool_of(d, &pool);
	if (pool.last < pool.first) {
		log_error(
			"network %s: subnet %s is too small for %zu peers: each needs a slice of its addresses",
			d->name, inet_prefix_str(&d->subnet, s), d->n_peers);
		return -EINVAL;
	}
	struct inet_addr dns;
	network_dns_addr(d, &dns);
	if (network_has_dns_addr(d) && inet_addr_equal(&dns, &d->gateway)) {
		log_error("network %s: gateway %s is the DNS server's address on the DHCP host: pick another",
			  d->name, inet_addr_str(&d->gateway, g));
		return -EINVAL;
	}
	return 0;
}

static int check_members(const struct network_def *d)
{
	char a[INET_PREFIX_STRLEN];
	if (peer_index(d, &d->local) < 0) {
		log_error("network %s: --local=%s is not one of the --peer= addresses", d->name,
			  inet_addr_str(&d->local, a));
		return -EINVAL;
	}
	if (d->has_dhcp_host && peer_index(d, &d->dhcp_host) < 0) {
		log_error("network %s: --dhcp-host=%s is not one of the --peer= addresses", d->name,
			  inet_addr_str(&d->dhcp_host, a));
		return -EINVAL;
	}
	return 0;
}

static void defaults(struct network_def *d)
{
	const char *parts[] = { "network/", d->name };
	if (!d->vni)
		d->vni = vxlan_vni_of(parts, ELEMENTSOF(parts));
	if (!d->vx_port)
		d->vx_port = VXLAN_PORT_DEFAULT;
	if (!d->mtu)
		d->mtu = VXLAN_UNDERLAY_MTU -
			 (d->peers[0].family == AF_INET ? VXLAN_OVERHEAD_IPV4 : VXLAN_OVERHEAD_IPV6);
	/* --dhcp-host= implies --dhcp; --dhcp alone puts the server on the first peer. */
	d->dhcp = d->dhcp || d->has_dhcp_host;
	if (d->dhcp && !d->has_dhcp_host)
		d->dhcp_host = d->peers[0];
	d->has_dhcp_host = d->dhcp;
}

int peers_finish(struct network_def *d)
{
	if (!d->n_peers) {
		if (!d->has_local && !d->vni && !d->vx_port && !d->has_dhcp_host)
			return 0;
		log_error("network %s: --local=, --vni=, --vxlan-port= and --dhcp-host= need --peer=",
			  d->name);
		return -EINVAL;
	}
	int r = check_list(d);
	if (r < 0)
		return r;
	r = d->has_local ? 0 : find_local(d);
	if (r < 0)
		return r;
	r = check_members(d);
	if (r < 0)
		return r;
	d->local_peer = peer_index(d, &d->local);
	defaults(d);
	return check_room(d);
}

static void write_text(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	char a[INET_PREFIX_STRLEN];
	for (size_t i = 0; i < d->n_peers; i++)
		fprintf(f, "Peer=%s\n", inet_addr_str(&d->peers[i], a));
	fprintf(f, "Local=%s\nVNI=%u\nVXLANPort=%u\n", inet_addr_str(&d->local, a), d->vni, d->vx_port);
	if (d->has_dhcp_host)
		fprintf(f, "DHCPHost=%s\n", inet_addr_str(&d->dhcp_host, a));
}

char *peers_text(const struct network_def *d)
{
	return d->n_peers ? rules_text(write_text, d) : strdup("");
}

/* ---- what the rest of the network asks ---- */

bool network_runs_dnsmasq(const struct network_def *d)
{
	return d->dhcp && (!d->n_peers || inet_addr_equal(&d->dhcp_host, &d->local));
}

bool network_has_dns_addr(const struct network_def *d)
{
	return d->n_peers && d->dhcp;
}

void network_dns_addr(const struct network_def *d, struct inet_addr *ret)
{
	*ret = d->gateway;
	if (network_has_dns_addr(d))
		inet_prefix_nth(&d->subnet, inet_prefix_size(&d->subnet) - 2, ret);
}

void peers_slice(const struct network_def *d, unsigned peer, uint64_t *first, uint64_t *last)
{
	if (!d->n_peers || *last < *first)
		return;
	uint64_t each = (*last - *first + 1) / d->n_peers;
	*first += each * (uint64_t)peer;
	*last = *first + each - 1; /* below *first when each is 0: an empty pool */
}

/* ---- the segment ---- */

void peers_vxlan_name(const struct network_def *d, char name[IFNAMSIZ])
{
	snprintf(name, IFNAMSIZ, "hx-%s", d->name);
}

static int failed(struct rtnl *r, int err, const struct network_def *d, const char *what)
{
	const char *msg = rtnl_error_message(r);
	log_error("network %s: %s: %s%s%s", d->name, what, strerror(-err), *msg ? ": " : "", msg);
	return err;
}

int peers_up(const struct network_def *d, int bridge)
{
	_cleanup_rtnl_ struct rtnl *r = NULL;
	char name[IFNAMSIZ];
	peers_vxlan_name(d, name);
	int err = rtnl_open(-1, &r);
	if (err < 0)
		return log_errno(err, "cannot open rtnetlink");
	struct rtnl_vxlan v = {
		.name = name, .vni = d->vni, .local = &d->local, .port = d->vx_port, .mtu = d->mtu
	};
	err = rtnl_vxlan_add(r, &v);
	if (err < 0)
		return failed(r, err, d, "cannot create its vxlan link");
	int ifindex = rtnl_ifindex(r, name);
	if (ifindex < 0)
		return failed(r, ifindex, d, "its vxlan link is gone");
	rtnl_begin(r);
	rtnl_link_change(r, &(struct rtnl_link){ .name = name, .master = bridge, .up = true });
	for (size_t i = 0; i < d->n_peers; i++)
		if ((int)i != d->local_peer)
			rtnl_fdb_append(r, ifindex, NULL, &d->peers[i]);
	err = rtnl_commit(r);
	if (err < 0)
		return failed(r, err, d, "cannot join its vxlan link to the other peers");
	return 0;
}

/* What may not cross the vxlan link, in either direction (%s: the gateway's address, then the
 * solicited-node address of the IPv6 gateway's): a container that got its gateway's ARP or ND
 * answer from another host, or that host's router advertisement, would leave through that host's
 * NAT, and its connections would break when the other host went. */
// clang-format off
static const char *const gateway_v4[] = { "arp saddr ip %s", "arp daddr ip %s" };
static const char *const gateway_v6[] = {
	"ip6 saddr %s", "ip6 daddr %s", "icmpv6 type nd-neighbor-solicit ip6 daddr %s",
	"icmpv6 type { nd-router-advert, nd-router-solicit }",
};
// clang-format on

static void put_filter(FILE *f, const char *chain, const char *dir, const char *vx, const char *match)
{
	fprintf(f, "add rule " PEERS_TABLE " %s %s \"%s\" %s drop\n", chain, dir, vx, match);
}

static void put_filters(FILE *f, const struct network_def *d, const char *chain, const char *dir)
{
	char vx[IFNAMSIZ], gw[INET_PREFIX_STRLEN], m[256];
	peers_vxlan_name(d, vx);
	inet_addr_str(&d->gateway, gw);
	for (size_t i = 0; i < ELEMENTSOF(gateway_v4); i++) {
		snprintf(m, sizeof(m), gateway_v4[i], gw);
		put_filter(f, chain, dir, vx, m);
	}
	if (!d->has_ipv6)
		return;
	struct inet_addr gw6, sn = { .family = AF_INET6 };
	network_gateway6(d, &gw6);
	/* ff02::1:ffXX:XXXX, RFC 4291 2.7.1 */
	sn.bytes[0] = 0xff, sn.bytes[1] = 0x02, sn.bytes[11] = 0x01, sn.bytes[12] = 0xff;
	memcpy(sn.bytes + 13, gw6.bytes + 13, 3);
	char a6[INET_PREFIX_STRLEN], s6[INET_PREFIX_STRLEN];
	const char *arg[] = { inet_addr_str(&gw6, a6), a6, inet_addr_str(&sn, s6), "" };
	for (size_t i = 0; i < ELEMENTSOF(gateway_v6); i++) {
		snprintf(m, sizeof(m), gateway_v6[i], arg[i]);
		put_filter(f, chain, dir, vx, m);
	}
}

/* Forwarded frames (containers') both ways; the host's own (its ARP for a remote container
 * carries the gateway's address as sender) on the way out. */
static void write_rules_add(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	const char *n = d->name;
	fprintf(f, "add table " PEERS_TABLE "\n");
	fprintf(f,
		"add chain " PEERS_TABLE
		" vx_%s { type filter hook forward priority filter; policy accept; }\n",
		n);
	fprintf(f,
		"add chain " PEERS_TABLE
		" vxo_%s { type filter hook output priority filter; policy accept; }\n",
		n);
	char chain[64];
	snprintf(chain, sizeof(chain), "vx_%s", n);
	put_filters(f, d, chain, "iifname");
	put_filters(f, d, chain, "oifname");
	snprintf(chain, sizeof(chain), "vxo_%s", n);
	put_filters(f, d, chain, "oifname");
}

char *peers_rules_add(const struct network_def *d)
{
	return rules_text(write_rules_add, d);
}

char *peers_rules_del(const struct network_def *d)
{
	return xasprintf("delete chain " PEERS_TABLE " vx_%s\ndelete chain " PEERS_TABLE " vxo_%s\n", d->name,
			 d->name);
}

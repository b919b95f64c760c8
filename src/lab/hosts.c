/* Labs across hosts: [Host NAME] sections and Host= on members, checked with the rest of the
 * file (every error names FILE:LINE); then, at lab up, which host this is and what it holds. */
#include "lab/hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/topology-internal.h"
#include "lab/vxlan.h"

#define VNI_MAX 0xffffffU /* 24 bits */
#define MTU_MIN 576       /* what every IPv4 host must take (RFC 791) */
#define MTU_MAX (65535 - VXLAN_OVERHEAD_IPV6)

/* ---- setters ---- */

int set_host_address(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_host *h = field;
	if (inet_addr_parse(v, &h->addr) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	h->addr_line = p->line;
	return 0;
}

int set_host_interface(struct topo_parse *p, void *field, const char *v, const char **why)
{
	if (!ifname_valid(v)) {
		*why = "not an interface name";
		return -EINVAL;
	}
	char **s = field;
	free(*s);
	(void)p;
	*s = strdup(v);
	return *s ? 0 : -ENOMEM;
}

/* An ssh destination ([user@]host) goes on ssh's command line before hako's: one that starts with
 * '-' would be read as an option (-oProxyCommand=... runs a command: CVE-2017-1000117 in git), and
 * shell metacharacters reach a shell through a ProxyCommand's %h or %r (CVE-2023-51385). */
int set_host_ssh(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	if (!*v || *v == '-' || strpbrk(v, " \t\\'\"`$;&|<>()*?[]{}~#!")) {
		*why = "not an ssh destination ([USER@]HOST, not starting with '-')";
		return -EINVAL;
	}
	char **s = field;
	free(*s);
	*s = strdup(v);
	return *s ? 0 : -ENOMEM;
}

static int set_u32_range(const char *v, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint32_t n;
	if (parse_u32(v, &n) < 0 || n < min || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

int set_vni(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_network *n = field;
	if (set_u32_range(v, 1, VNI_MAX, &n->vni) < 0) {
		*why = "not a VXLAN network identifier (1..16777215)";
		return -EINVAL;
	}
	n->vni_line = p->line;
	return 0;
}

int set_mtu(struct topo_parse *p, void *field, const char *v, const char **why)
{
	struct lab_network *n = field;
	if (set_u32_range(v, MTU_MIN, MTU_MAX, &n->mtu) < 0) {
		*why = "not an MTU between 576 and 65465";
		return -EINVAL;
	}
	n->mtu_line = p->line;
	return 0;
}

int set_udp_port(struct topo_parse *p, void *field, const char *v, const char **why)
{
	(void)p;
	uint32_t port;
	if (set_u32_range(v, 1, 65535, &port) < 0) {
		*why = "not a UDP port (1..65535)";
		return -EINVAL;
	}
	*(uint16_t *)field = (uint16_t)port;
	return 0;
}

/* ---- checks ---- */

static int check_host(struct topo_parse *p, size_t i)
{
	const struct lab_topology *t = p->t;
	const struct lab_host *h = &t->hosts[i];
	char a[INET6_ADDRSTRLEN];
	if (!machine_name_valid(h->name))
		return topology_bad(p, h->line,
				    "host name '%s' is not valid (letters, digits, '-', '_', '.')", h->name);
	if (!h->addr.family)
		return topology_bad(p, h->line, "[Host %s] needs Address= (where the other hosts reach it)",
				    h->name);
	for (size_t j = 0; j < i; j++) {
		const struct lab_host *o = &t->hosts[j];
		if (streq(o->name, h->name))
			return topology_bad(p, h->line, "duplicate host '%s' (also on line %u)", h->name,
					    o->line);
		if (inet_addr_equal(&o->addr, &h->addr))
			return topology_bad(p, h->addr_line, "Address=%s is also host '%s''s (line %u)",
					    inet_ntop(h->addr.family, h->addr.bytes, a, sizeof(a)), o->name,
					    o->addr_line);
		if (o->addr.family != h->addr.family)
			return topology_bad(
				p, h->addr_line,
				"[Host %s] Address= is not of the family of host '%s''s (line %u): one VXLAN underlay is IPv4 or IPv6",
				h->name, o->name, o->addr_line);
	}
	return 0;
}

/* Host=NAME of a member -> *host (0, the first host, without Host=). */
static int host_ref(struct topo_parse *p, const char *section, const char *name, unsigned line,
		    const char *host_name, int *host)
{
	*host = 0;
	if (!host_name)
		return 0;
	int i = topology_find_host(p->t, host_name);
	if (i < 0)
		return topology_bad(p, line, "[%s %s] Host=%s: no [Host %s] in this file", section, name,
				    host_name, host_name);
	*host = i;
	return 0;
}

static int check_member_hosts(struct topo_parse *p)
{
	struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_nats; i++) {
		struct lab_nat *n = &t->nats[i];
		int r = host_ref(p, "Nat", n->name, n->line, n->host_name, &n->host);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_routers; i++) {
		struct lab_router *n = &t->routers[i];
		int r = host_ref(p, "Router", n->name, n->line, n->host_name, &n->host);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct lab_node *n = &t->nodes[i];
		int r = host_ref(p, "Node", n->name, n->line, n->host_name, &n->host);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Two segments of one lab with one VNI would be one segment. */
static int check_vnis(struct topo_parse *p)
{
	const struct lab_topology *t = p->t;
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct lab_network *n = &t->networks[i];
		uint32_t vni = lab_network_vni(t, i);
		for (size_t j = 0; j < i; j++) {
			if (lab_network_vni(t, j) != vni)
				continue;
			return topology_bad(
				p, n->vni_line ? n->vni_line : n->line,
				"network '%s' has VNI %u, as network '%s' (line %u): set another Vni=",
				n->name, vni, t->networks[j].name, t->networks[j].line);
		}
	}
	return 0;
}

int topology_check_hosts(struct topo_parse *p)
{
	for (size_t i = 0; i < p->t->n_hosts; i++) {
		int r = check_host(p, i);
		if (r < 0)
			return r;
	}
	int r = check_member_hosts(p);
	if (r < 0)
		return r;
	r = topology_check_encrypt(p);
	if (r < 0)
		return r;
	return p->t->n_hosts ? check_vnis(p) : 0;
}

/* ---- which host holds what ---- */

int lab_member_host(const struct lab_topology *t, const struct lab_member *m)
{
	if (!t->n_hosts)
		return -1;
	switch (m->kind) {
	case MEMBER_NAT:
		return t->nats[m->index].host;
	case MEMBER_ROUTER:
		return t->routers[m->index].host;
	case MEMBER_NODE:
		return t->nodes[m->index].host;
	}
	return -1;
}

int lab_name_host(const struct lab_topology *t, const char *name)
{
	int i = topology_find_nat(t, name);
	if (i >= 0 && t->n_hosts)
		return t->nats[i].host;
	i = topology_find_router(t, name);
	if (i >= 0 && t->n_hosts)
		return t->routers[i].host;
	i = topology_find_node(t, name);
	if (i >= 0 && t->n_hosts)
		return t->nodes[i].host;
	return -1;
}

bool lab_node_is_local(const struct lab_topology *t, size_t i)
{
	return t->local_host < 0 || t->nodes[i].host == t->local_host;
}

void lab_members_keep_local(const struct lab_topology *t, struct lab_member *m, size_t *n)
{
	size_t k = 0;
	if (t->local_host < 0)
		return;
	for (size_t i = 0; i < *n; i++) {
		if (lab_member_host(t, &m[i]) == t->local_host)
			m[k++] = m[i];
		else
			free(m[i].ifaces);
	}
	*n = k;
}

bool lab_holds_responder(const struct lab_topology *t)
{
	return t->local_host <= 0;
}

/* Is a the address of entry i? */
static bool addr_match(const struct ifaddrs *i, const struct inet_addr *a)
{
	if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
		return false;
	const void *b = a->family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
					     : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
	return memcmp(b, a->bytes, inet_addr_size(a->family)) == 0;
}

/* Is a an address of an interface of the current network namespace? */
static bool addr_is_local(const struct ifaddrs *list, const struct inet_addr *a)
{
	for (const struct ifaddrs *i = list; i; i = i->ifa_next)
		if (addr_match(i, a))
			return true;
	return false;
}

static void ifaddrs_freep(struct ifaddrs **p)
{
	if (*p)
		freeifaddrs(*p);
}

/* The one host whose Address= is here: *found, -1 for none. */
static int find_local(const struct lab_topology *t, int *found)
{
	_cleanup_(ifaddrs_freep) struct ifaddrs *list = NULL;
	if (getifaddrs(&list) < 0)
		return log_errno(-errno, "cannot list this host's addresses");
	*found = -1;
	for (size_t i = 0; i < t->n_hosts; i++) {
		if (!addr_is_local(list, &t->hosts[i].addr))
			continue;
		if (*found >= 0) {
			log_error(
				"%s: hosts '%s' and '%s' both have their Address= here: say which this is with --host=",
				t->file, t->hosts[*found].name, t->hosts[i].name);
			return -EINVAL;
		}
		*found = (int)i;
	}
	return 0;
}

static int pick_local(struct lab_topology *t, bool need)
{
	int found = -1;
	int r = find_local(t, &found);
	if (r < 0)
		return r;
	if (found < 0 && need) {
		log_error("%s: no [Host] has an Address= of this host: say which this is with --host=",
			  t->file);
		return -EINVAL;
	}
	t->local_host = found;
	return 0;
}

/* The link that holds address a here, "" for none. */
static void link_of(const struct ifaddrs *list, const struct inet_addr *a, char name[static IFNAMSIZ])
{
	*name = 0;
	for (const struct ifaddrs *i = list; i; i = i->ifa_next)
		if (addr_match(i, a) && i->ifa_name) {
			snprintf(name, IFNAMSIZ, "%s", i->ifa_name);
			return;
		}
}

/* This host's underlay link and its MTU, which the VXLAN segments must fit in. SIOCGIFMTU is
 * one read of one value: no rtnetlink dump for it. Unknown (no check) when not found. */
static void find_underlay(struct lab_topology *t)
{
	const struct lab_host *self = &t->hosts[t->local_host];
	_cleanup_(ifaddrs_freep) struct ifaddrs *list = NULL;
	if (self->interface)
		snprintf(t->underlay, sizeof(t->underlay), "%s", self->interface);
	else if (getifaddrs(&list) == 0)
		link_of(list, &self->addr, t->underlay);
	if (!*t->underlay)
		return;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->underlay);
	if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		t->underlay_mtu = (unsigned)ifr.ifr_mtu;
}

static int pick(struct lab_topology *t, const char *forced, bool need)
{
	if (forced && !t->n_hosts) {
		log_error("%s: --host=%s: the lab has no [Host] sections (it is on one host)", t->file,
			  forced);
		return -EINVAL;
	}
	if (!t->n_hosts)
		return 0;
	if (!forced)
		return pick_local(t, need);
	int i = topology_find_host(t, forced);
	if (i < 0) {
		log_error("%s: --host=%s: no [Host %s] in this file", t->file, forced, forced);
		return -EINVAL;
	}
	t->local_host = i;
	return 0;
}

int lab_host_pick(struct lab_topology *t, const char *forced)
{
	int r = pick(t, forced, true);
	if (r < 0 || t->local_host < 0)
		return r;
	find_underlay(t);
	return lab_vxlan_check_mtu(t);
}

int lab_host_find(struct lab_topology *t, const char *forced)
{
	return pick(t, forced, true);
}

int lab_host_find_any(struct lab_topology *t, const char *forced, bool *here)
{
	int r = pick(t, forced, false);
	*here = t->local_host >= 0;
	return r;
}

int lab_host_pick_any(struct lab_topology *t, const char *forced, bool *here)
{
	int r = pick(t, forced, false);
	if (r < 0)
		return r;
	*here = !t->n_hosts || t->local_host >= 0;
	if (t->local_host < 0)
		return 0;
	find_underlay(t);
	return lab_vxlan_check_mtu(t);
}

int lab_host_save(const struct lab_topology *t)
{
	if (t->local_host < 0)
		return 0;
	_cleanup_free_ char *p = lab_path(t->name, "host");
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	int r = write_file(p, t->hosts[t->local_host].name, O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s", p);
	return 0;
}

int lab_host_load(struct lab_topology *t)
{
	_cleanup_free_ char *p = lab_path(t->name, "host"), *name = NULL;
	size_t len;
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	int r = read_file(p, &name, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_errno(r, "cannot read %s", p);
	t->local_host = topology_find_host(t, name);
	if (t->local_host < 0) {
		log_error("%s: host '%s' is not in the lab's topology", p, name);
		return -EINVAL;
	}
	return 0;
}

int lab_check_local(const struct lab_topology *t, const char *name)
{
	int host = lab_name_host(t, name);
	if (host < 0 || t->local_host < 0 || host == t->local_host)
		return 0;
	log_error("lab %s: %s is on host %s, this is host %s: run it there", t->name, name,
		  t->hosts[host].name, t->hosts[t->local_host].name);
	return -EREMOTE;
}

int lab_check_responder(const struct lab_topology *t)
{
	if (lab_holds_responder(t))
		return 0;
	log_error(
		"lab %s: the nat-check responder is on host %s (the lab's first), this is host %s: run it there",
		t->name, t->hosts[0].name, t->hosts[t->local_host].name);
	return -EREMOTE;
}

const char *lab_member_where(const struct lab_topology *t, const struct lab_member *m, char *buf, size_t size)
{
	int host = lab_member_host(t, m);
	*buf = 0;
	if (host < 0)
		return buf;
	bool remote = t->local_host >= 0 && host != t->local_host;
	snprintf(buf, size, "%shost %s", remote ? "remote, on " : "", t->hosts[host].name);
	return buf;
}

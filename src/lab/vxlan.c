/* One VXLAN segment per lab network that spans hosts. The vxlan link is created from the
 * underlay's namespace (where lab up runs, so its UDP socket binds there) straight into the
 * lab's switch namespace, where it joins the network's bridge. Learning is off, and nothing is
 * learnt or negotiated: every member's MAC is derived from the file (lab_member_mac), so each
 * host gives its vxlan link an FDB entry per member of the segment on another host, and unicast
 * goes to that host alone; broadcast, multicast and any other MAC go to every other host of the
 * segment through the all-zero entries. */
#include "lab/vxlan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "lab/encrypt.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "net/rtnl.h"

uint32_t lab_network_vni(const struct lab_topology *t, size_t network)
{
	const struct lab_network *n = &t->networks[network];
	if (n->vni)
		return n->vni;
	const char *parts[] = { t->name ? t->name : "", "/", n->name };
	return vxlan_vni_of(parts, ELEMENTSOF(parts));
}

static void mark(bool *hosts, size_t *n, int host)
{
	if (!hosts[host])
		(*n)++;
	hosts[host] = true;
}

size_t lab_network_hosts(const struct lab_topology *t, size_t network, bool *hosts)
{
	size_t n = 0;
	int net = (int)network;
	memset(hosts, 0, t->n_hosts * sizeof(*hosts));
	if (!t->n_hosts)
		return 0;
	if (network_is_top(&t->networks[network]))
		mark(hosts, &n, 0);
	for (size_t i = 0; i < t->n_nats; i++)
		if (t->nats[i].inside == net || t->nats[i].outside == net)
			mark(hosts, &n, t->nats[i].host);
	for (size_t i = 0; i < t->n_routers; i++)
		for (size_t j = 0; j < t->routers[i].n_networks; j++)
			if (t->routers[i].networks[j] == net)
				mark(hosts, &n, t->routers[i].host);
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].network == net)
			mark(hosts, &n, t->nodes[i].host);
	return n;
}

/* Encrypted, the VXLAN runs over the IPv4 tunnel addresses, inside WireGuard's own headers. */
static unsigned overhead(const struct lab_topology *t)
{
	if (lab_encrypted(t))
		return VXLAN_OVERHEAD_IPV4 + lab_encrypt_overhead(t);
	return t->hosts[0].addr.family == AF_INET ? VXLAN_OVERHEAD_IPV4 : VXLAN_OVERHEAD_IPV6;
}

unsigned lab_network_mtu(const struct lab_topology *t, size_t network)
{
	if (t->networks[network].mtu || !t->n_hosts)
		return t->networks[network].mtu;
	bool hosts[t->n_hosts];
	if (lab_network_hosts(t, network, hosts) < 2)
		return 0;
	return LAB_MTU_DEFAULT - overhead(t);
}

/* Frames bigger than the underlay takes less the headers would be dropped, silently: the
 * kernel does not fragment VXLAN's outer packets with DF, and ICMP does not cross the bridge. */
int lab_vxlan_check_mtu(const struct lab_topology *t)
{
	bool hosts[t->n_hosts];
	if (!t->underlay_mtu)
		return 0;
	unsigned room = t->underlay_mtu > overhead(t) ? t->underlay_mtu - overhead(t) : 0;
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct lab_network *n = &t->networks[i];
		if (lab_network_hosts(t, i, hosts) < 2 || !hosts[t->local_host])
			continue;
		unsigned mtu = lab_network_mtu(t, i);
		if (mtu <= room)
			continue;
		log_error(
			"%s:%u: network '%s': MTU %u%s does not fit in VXLAN over %s%s (MTU %u less %u bytes of headers): set Mtu=%u or less",
			t->file, n->mtu_line ? n->mtu_line : n->line, n->name, mtu,
			n->mtu ? "" : " (the default)", lab_encrypted(t) ? "WireGuard over " : "",
			t->underlay, t->underlay_mtu, overhead(t), room);
		return -EMSGSIZE;
	}
	return 0;
}

static int failed(struct rtnl *r, int err, const struct lab_topology *t, size_t network, const char *what)
{
	const char *msg = rtnl_error_message(r);
	log_error("lab %s: network %s: %s: %s%s%s", t->name, t->networks[network].name, what, strerror(-err),
		  *msg ? ": " : "", msg);
	return err;
}

struct segment {
	const struct lab_topology *t;
	struct rtnl *under, *sw; /* sockets in the underlay's and the switch's namespaces */
	int switch_fd;
	int link;                         /* Interface='s ifindex in the underlay, 0 without one */
	struct inet_addr *addrs;          /* each host's VXLAN address: Address=, or its tunnel address */
	const struct lab_member *members; /* all of the lab's, on every host */
	size_t n_members;
};

/* Where each host's VXLAN ends: its underlay address, or, encrypted, its tunnel address. */
static void segment_addrs(const struct lab_topology *t, struct inet_addr *addrs)
{
	for (size_t h = 0; h < t->n_hosts; h++) {
		addrs[h] = t->hosts[h].addr;
		if (!lab_encrypted(t))
			continue;
		addrs[h] = (struct inet_addr){ .family = AF_INET };
		addrs[h].v4.s_addr = htonl(lab_tunnel_addr(t, h));
	}
}

/* A lab brought down a moment ago may still hold its vxlan links: lab down only lets go of its
 * namespaces, and the kernel frees their devices a little later, refusing until then a new link
 * of the same VNI and port (EEXIST). Up waits for them to go, bounded: a link that stays is
 * another lab's, and the error says so. */
#define VXLAN_FREED_WAIT_MS 5000
#define VXLAN_FREED_POLL_MS 20

static int vxlan_add_once_freed(struct rtnl *r, const struct rtnl_vxlan *v)
{
	const struct timespec poll = { 0, VXLAN_FREED_POLL_MS * 1000000L };
	for (unsigned waited = 0;; waited += VXLAN_FREED_POLL_MS) {
		int err = rtnl_vxlan_add(r, v);
		if (err != -EEXIST || waited >= VXLAN_FREED_WAIT_MS)
			return err;
		nanosleep(&poll, NULL);
	}
}

/* An FDB entry per interface on network of a member on another host: to that host. */
static void member_entries(const struct segment *s, size_t network, int ifindex)
{
	const struct lab_topology *t = s->t;
	for (size_t i = 0; i < s->n_members; i++) {
		const struct lab_member *m = &s->members[i];
		int host = lab_member_host(t, m);
		for (size_t j = 0; host != t->local_host && j < m->n_ifaces; j++) {
			if (m->ifaces[j].network != (int)network)
				continue;
			uint8_t mac[6];
			lab_member_mac(t, m->name, m->ifaces[j].network, mac);
			rtnl_fdb_append(s->sw, ifindex, mac, &s->addrs[host]);
		}
	}
}

/* The vxlan link of network, on its bridge, with the all-zero FDB entry per other host in hosts
 * and an entry per member there. */
static int make_segment(const struct segment *s, size_t network, const bool *hosts, int bridge)
{
	const struct lab_topology *t = s->t;
	char name[24]; /* "vxN": a lab has far fewer than IFNAMSIZ digits of networks */
	snprintf(name, sizeof(name), "vx%u", (unsigned)network);
	/* Encrypted, the vxlan link and its socket are both in the switch namespace, beside the
	 * WireGuard link its tunnel addresses are on. */
	bool enc = lab_encrypted(t);
	struct rtnl_vxlan v = { .name = name,
				.vni = lab_network_vni(t, network),
				.local = &s->addrs[t->local_host],
				.port = t->vxlan_port,
				.link = enc ? 0 : s->link,
				.mtu = lab_network_mtu(t, network),
				.netns_fd = enc ? NULL : &s->switch_fd };
	int r = vxlan_add_once_freed(enc ? s->sw : s->under, &v);
	if (r < 0)
		return failed(s->under, r, t, network, "cannot create its vxlan link");
	int ifindex = rtnl_ifindex(s->sw, name);
	if (ifindex < 0)
		return failed(s->sw, ifindex, t, network, "its vxlan link is gone");
	rtnl_begin(s->sw);
	rtnl_link_change(s->sw, &(struct rtnl_link){ .name = name, .master = bridge, .up = true });
	for (size_t h = 0; h < t->n_hosts; h++)
		if (hosts[h] && (int)h != t->local_host)
			rtnl_fdb_append(s->sw, ifindex, NULL, &s->addrs[h]);
	member_entries(s, network, ifindex);
	r = rtnl_commit(s->sw);
	if (r < 0)
		return failed(s->sw, r, t, network, "cannot join its vxlan link to the other hosts");
	return 0;
}

static int underlay_link(const struct lab_topology *t, struct rtnl *under, int *ret)
{
	const struct lab_host *self = &t->hosts[t->local_host];
	*ret = 0;
	if (!self->interface)
		return 0;
	*ret = rtnl_ifindex(under, self->interface);
	if (*ret < 0)
		return log_errno(*ret, "lab %s: host %s: Interface=%s", t->name, self->name, self->interface);
	return 0;
}

/* Every segment this host is on. */
static int make_segments(struct segment *s, const int *bridges)
{
	const struct lab_topology *t = s->t;
	struct lab_member *members = NULL;
	int r = lab_members(t, &members, &s->n_members);
	if (r < 0)
		return log_errno(r, "out of memory");
	s->members = members;
	bool hosts[t->n_hosts];
	for (size_t i = 0; r >= 0 && i < t->n_networks; i++) {
		if (lab_network_hosts(t, i, hosts) < 2 || !hosts[t->local_host])
			continue;
		r = make_segment(s, i, hosts, bridges[i]);
	}
	lab_members_free(members, s->n_members);
	return r;
}

int lab_vxlan_up(const struct lab_topology *t, int switch_fd, const int *bridges)
{
	if (t->local_host < 0)
		return 0;
	_cleanup_rtnl_ struct rtnl *under = NULL, *sw = NULL;
	int r = rtnl_open(-1, &under);
	if (r < 0)
		return log_errno(r, "lab %s: cannot talk to rtnetlink", t->name);
	r = rtnl_open(switch_fd, &sw);
	if (r < 0)
		return log_errno(r, "lab %s: cannot talk to rtnetlink in the switch namespace", t->name);
	struct inet_addr addrs[t->n_hosts];
	segment_addrs(t, addrs);
	struct segment s = { t, under, sw, switch_fd, 0, addrs, NULL, 0 };
	r = underlay_link(t, under, &s.link);
	if (r < 0)
		return r;
	if (lab_encrypted(t)) {
		r = lab_encrypt_up(t, under, sw, switch_fd);
		if (r < 0)
			return r;
	}
	return make_segments(&s, bridges);
}

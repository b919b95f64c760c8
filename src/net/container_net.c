/* Network hooks of the start-up sequence (src/container/container.h): the host's network by
 * default (like nspawn), --private-network (a new namespace with lo up),
 * --network-namespace-path= (join one), and the interfaces hako gives a private namespace:
 * a veth (plain, on a bridge, on a zone's bridge or on a managed network, which hako also
 * configures inside), host interfaces moved in, macvlan/ipvlan links, and port forwards. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "container/container.h"
#include "net/dhcpname.h"
#include "net/dnsmasq.h"
#include "net/ipam.h"
#include "net/peers.h"
#include "net/netns.h"
#include "net/network.h"
#include "net/nft.h"
#include "net/portwatch.h"
#include "net/relay.h"
#include "net/rtnl.h"
#include "net/rules.h"

struct net_state {
	int netns_fd;           /* --network-namespace-path=, validated and opened before clone */
	int child_ns, host_ns;  /* the container's namespace (kept: interfaces go back) and ours */
	struct rtnl *rtnl;      /* ours from network_prepare on; the container's for host0 */
	char host_if[IFNAMSIZ]; /* ve-NAME / vb-NAME: the veth's host end, "" if none */
	char host_if_full[3 + MACHINE_NAME_MAX + 1]; /* its altname when host_if is shortened, or "" */
	int host_ifindex;                            /* and its ifindex once made, for machined */
	int master;                                  /* ifindex of the bridge the host end joins, 0 if none */
	char *zone_dir; /* $RUNTIME/zones/Z/members, once this container is one */
	char zone_bridge[IFNAMSIZ];
	bool on_network;
	bool leased; /* holds a lease on the network, given back at the end */
	struct network_def def;
	char *member_dir;       /* $RUNTIME/networks/NET/members */
	struct inet_addr addr;  /* the container's address on the network */
	struct inet_addr addr6; /* and its IPv6 address, if the network has IPv6 */
	uint8_t mac[6];
	struct dhcpname dns_name; /* across hosts, off the DHCP host: its lease there (src/net/dhcpname.h) */
	bool ports_added;
	pid_t relay;                /* the [::1] port relay (src/net/relay.h), 0 if none */
	pid_t watcher;              /* off a managed network: the address watcher (src/net/portwatch.h) */
	char localnet_if[IFNAMSIZ]; /* the host link put in hako's bridges set for it, or "" */
	char **port_claims;         /* $RUNTIME/ports/PROTO-PORT files this container holds */
	int *port_holds;            /* sockets bound to 0.0.0.0:HOSTPORT, one a forward */
	unsigned n_port_holds;
	char **moved;          /* --network-interface= links moved in */
	char *resolv_conf;     /* the network's DNS, for /etc/resolv.conf */
	uint64_t prepare_usec; /* time spent in network_prepare, for HAKO_DEBUG's report */
};

unsigned long network_clone_flags(const struct run_config *cfg)
{
	return cfg->net.private_network ? CLONE_NEWNET : 0;
}

static bool wants_veth(const struct net_config *n)
{
	return n->veth || n->bridge || n->zone || n->network;
}

static int check_options(const struct net_config *n)
{
	if (n->namespace_path && n->private_network) {
		log_error("--network-namespace-path= cannot be combined with --private-network or "
			  "options that make interfaces");
		return -EINVAL;
	}
	if (!!n->bridge + !!n->zone + !!n->network > 1) {
		log_error("--network-bridge=, --network-zone= and --network= exclude each other");
		return -EINVAL;
	}
	return 0;
}

/* A veth goes with its container's network namespace, which the kernel destroys in the
 * background after the container ended: a machine started again at once may still find its old
 * host end. Waits (up to 2 s) for it to go; one that stays belongs to a running machine. */
static bool link_gone_soon(struct rtnl *r, const char *name)
{
	/* Polled every ms: the namespace is usually gone within a few. */
	for (int i = 0; i < 2000; i++) {
		if (rtnl_ifindex(r, name) < 0)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	return false;
}

static void name_host_if(struct net_state *s, const char *prefix, const char *machine)
{
	ifname_from(s->host_if, prefix, machine);
	if (ifname_shortened(prefix, machine))
		snprintf(s->host_if_full, sizeof(s->host_if_full), "%s%s", prefix, machine);
}

/* The veth's host end is free, or the old one of this very machine is going. A shortened name
 * another machine holds is a collision of hash and head: its altname names that machine. */
static int check_host_if_free(const struct container *c)
{
	const struct net_state *s = c->net;
	char owner[RTNL_ALTNAME_SIZE];
	if (s->host_if_full[0] && rtnl_link_altname(s->rtnl, s->host_if, owner, sizeof(owner)) == 0 &&
	    !streq(owner, s->host_if_full)) {
		log_error(
			"interface %s exists already: it is %s, whose shortened name is the same; rename one machine",
			s->host_if, owner);
		return -EEXIST;
	}
	if (link_gone_soon(s->rtnl, s->host_if))
		return 0;
	log_error("interface %s exists already (is another machine named %s running?)", s->host_if, c->name);
	return -EEXIST;
}

/* The host links named by options must exist now, so a typo is bad input, not a failed set-up. */
static int check_links(const struct container *c)
{
	const struct net_config *n = &c->cfg->net;
	int err = rtnl_open(-1, &c->net->rtnl);
	if (err < 0)
		return log_errno(err, "cannot open rtnetlink");
	struct rtnl *r = c->net->rtnl;
	char *const *lists[] = { n->interfaces, n->macvlan, n->ipvlan };
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		for (char *const *l = lists[i]; l && *l; l++)
			if (rtnl_ifindex(r, *l) < 0) {
				log_error("network interface %s does not exist", *l);
				return -ENODEV;
			}
	for (char *const *l = n->veth_extra; l && *l; l += 2)
		if (!link_gone_soon(r, *l)) {
			log_error("interface %s exists already", *l);
			return -EEXIST;
		}
	if (n->bridge && (c->net->master = rtnl_ifindex(r, n->bridge)) < 0) {
		log_error("bridge %s does not exist", n->bridge);
		return -ENODEV;
	}
	return c->net->host_if[0] ? check_host_if_free(c) : 0;
}

/* A claim left by a container whose hako died (SIGKILL of a supervisor) may have left its map
 * element behind: remove it, or the new forward could not be made. Errors are fine: the
 * element is usually gone with its claim's owner, or was never made. */
static void drop_stale_forward(const char *dir, const char *name, const struct port_spec *p)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	if (!path || access(path, F_OK) < 0)
		return;
	portwatch_forget(p, 1);
}

/* What containers whose hako died left behind (a supervisor killed with SIGKILL): their port
 * forwards and the bridges of zones nobody is in any more. Their veths went with their network
 * namespaces. Called by the next hako command that looks at machines. */
void network_collect_stale(void)
{
	_cleanup_unlock_ int lock = net_lock();
	if (lock < 0)
		return;
	_cleanup_free_ char *ports = hako_path(HAKO_DIR_RUNTIME, "ports");
	_cleanup_closedir_ DIR *d = ports ? opendir(ports) : NULL;
	for (struct dirent *de; d && (de = readdir(d));) {
		char proto[4];
		unsigned port;
		if (sscanf(de->d_name, "%3[a-z]-%u", proto, &port) != 2 || port > UINT16_MAX ||
		    members_alive(ports, de->d_name))
			continue;
		struct port_spec p = { .proto = streq(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP,
				       .host_port = (uint16_t)port };
		drop_stale_forward(ports, de->d_name, &p);
		members_remove(ports, de->d_name);
	}
	_cleanup_free_ char *zones = hako_path(HAKO_DIR_RUNTIME, "zones");
	_cleanup_closedir_ DIR *z = zones ? opendir(zones) : NULL;
	for (struct dirent *de; z && (de = readdir(z));) {
		_cleanup_free_ char *dir =
			de->d_name[0] != '.' ? xasprintf("%s/%s", zones, de->d_name) : NULL;
		if (!dir || members_count_live(dir) > 0)
			continue;
		_cleanup_free_ char *bridge = xasprintf("vz-%s", de->d_name);
		_cleanup_rtnl_ struct rtnl *r = NULL;
		if (!bridge || strlen(bridge) >= IFNAMSIZ)
			continue;
		if (rtnl_open(-1, &r) >= 0)
			(void)rtnl_link_del(r, bridge);
		rm_rf(dir);
	}
}

/* A forward's DNAT takes the host port from whatever listens on it, without a word; so, as
 * Docker's proxy does, hako binds 0.0.0.0:PORT itself for as long as the forward lives (never
 * listening: the traffic is DNAT'ed before it could reach a socket). A host service already on
 * the port, on any IPv4 address or on [::] for both families, makes the bind fail; one that
 * comes later finds the port taken. [::1] is bound by the relay (src/net/relay.h). */
static int hold_host_port(struct net_state *s, const struct port_spec *p)
{
	bool tcp = p->proto != IPPROTO_UDP;
	_cleanup_close_ int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	if (fd < 0)
		return log_errno(-errno, "cannot hold host port %u: socket", p->host_port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = -errno;
		log_error("host port %u (%s) is in use on the host: cannot bind 0.0.0.0:%u: %s", p->host_port,
			  tcp ? "tcp" : "udp", p->host_port, strerror(-err));
		return err;
	}
	int *more = realloc(s->port_holds, (s->n_port_holds + 1) * sizeof(*more));
	if (!more)
		return log_errno(-ENOMEM, "out of memory");
	more[s->n_port_holds++] = TAKE_FD(fd);
	s->port_holds = more;
	return 0;
}

/* Host ports are claimed by files under the network lock, each holding the claiming hako's pid;
 * a claim whose holder is dead is stale and taken over. */
static int claim_ports(struct container *c)
{
	const struct net_config *n = &c->cfg->net;
	if (!n->n_ports)
		return 0;
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "ports");
	int r = dir ? mkdir_p(dir, 0755) : -ENOMEM;
	if (r < 0)
		return log_errno(r, "cannot create the directory of port claims");
	for (unsigned i = 0; i < n->n_ports; i++) {
		const struct port_spec *p = &n->ports[i];
		const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";
		_cleanup_free_ char *name = xasprintf("%s-%u", proto, p->host_port);
		if (!name)
			return log_errno(-ENOMEM, "out of memory");
		if (members_alive(dir, name) || strv_contains(c->net->port_claims, name)) {
			log_error("host port %s:%u is already forwarded", proto, p->host_port);
			return -EADDRINUSE;
		}
		drop_stale_forward(dir, name, p);
		r = hold_host_port(c->net, p);
		if (r < 0)
			return r;
		r = members_add(dir, name);
		if (r < 0)
			return log_errno(r, "cannot claim host port %s:%u", proto, p->host_port);
		r = strv_push(&c->net->port_claims, name);
		if (r < 0)
			return log_errno(r, "cannot claim host port %s:%u", proto, p->host_port);
	}
	return 0;
}

static int claim_ports_locked(struct container *c)
{
	_cleanup_unlock_ int lock = net_lock();
	if (lock < 0)
		return log_errno(lock, "cannot take hako's network lock");
	return claim_ports(c);
}

static int join_network_prepare(struct container *c)
{
	struct net_state *s = c->net;
	const char *net = c->cfg->net.network;
	_cleanup_unlock_ int lock = net_lock();
	if (lock < 0)
		return log_errno(lock, "cannot take hako's network lock");
	int r = network_load(net, &s->def);
	if (r < 0)
		return r;
	s->on_network = true;
	if (!network_is_up(net)) {
		log_error("network %s is not up (hako network up %s)", net, net);
		return -ENETDOWN;
	}
	r = claim_ports(c);
	if (r < 0)
		return r;
	r = ipam_acquire(&s->def, c->name, &s->addr);
	if (r == -ENOSPC) {
		char subnet[INET_PREFIX_STRLEN];
		log_error(
			"no free address left on network %s (%s: every address is leased to a running container or a defined machine)",
			net, inet_prefix_str(&s->def.subnet, subnet));
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot allocate an address on network %s", net);
	s->leased = true;
	if (s->def.has_ipv6)
		ipam_ipv6_of(&s->def, &s->addr, &s->addr6);
	mac_from_name(c->name, s->mac);
	s->member_dir = hako_path(HAKO_DIR_RUNTIME, "networks/%s/members", net);
	if (!s->member_dir)
		return log_errno(-ENOMEM, "cannot register on network %s", net);
	r = members_add(s->member_dir, c->name);
	if (r < 0)
		return log_errno(r, "cannot register on network %s", net);
	if (s->def.dhcp) {
		char gw[INET_PREFIX_STRLEN];
		struct inet_addr dns;
		network_dns_addr(&s->def, &dns);
		s->resolv_conf = xasprintf("# hako network %s\nnameserver %s\nsearch hako\n", net,
					   inet_addr_str(&dns, gw));
		r = network_runs_dnsmasq(&s->def) ? dnsmasq_add(&s->def, c->name, &s->addr) : 0;
		if (r < 0)
			log_warning("cannot update the DNS names of network %s: %s", net, strerror(-r));
	}
	return 0;
}

int network_prepare(struct container *c)
{
	const struct net_config *n = &c->cfg->net;
	if (n->n_ports && !n->private_network) {
		/* nspawn refuses it too: on the host's network there is nothing to forward to. */
		log_error(
			"-p/--port needs a private network: --network-veth, --network-bridge=, --network-zone= or --network=");
		return -EINVAL;
	}
	if (!n->namespace_path && !n->private_network)
		return 0;
	int r = check_options(n);
	if (r < 0)
		return r;
	c->net = calloc(1, sizeof(*c->net));
	if (!c->net)
		return log_errno(-ENOMEM, "out of memory");
	c->net->netns_fd = c->net->child_ns = c->net->host_ns = -1;
	if (n->namespace_path) {
		c->net->netns_fd = netns_open(n->namespace_path);
		if (c->net->netns_fd == -EINVAL)
			log_error("%s is not a network namespace", n->namespace_path);
		else if (c->net->netns_fd < 0)
			log_errno(c->net->netns_fd, "cannot open network namespace %s", n->namespace_path);
		return c->net->netns_fd < 0 ? c->net->netns_fd : 0;
	}
	uint64_t t0 = now_usec();
	if (wants_veth(n))
		name_host_if(c->net, n->veth && !n->bridge && !n->zone && !n->network ? "ve-" : "vb-",
			     c->name);
	r = check_links(c);
	if (r < 0)
		return r;
	r = n->network ? join_network_prepare(c) : claim_ports_locked(c);
	if (r < 0)
		return r;
	c->net->prepare_usec = now_usec() - t0;
	return 0;
}

/* In a fresh namespace lo is down; a container expects 127.0.0.1 to work. */
static int loopback_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int network_enter_child(struct container *c)
{
	if (c->net && c->net->netns_fd >= 0 && setns(c->net->netns_fd, CLONE_NEWNET) < 0)
		return log_errno(-errno, "cannot join network namespace %s", c->cfg->net.namespace_path);
	/* On a managed network hako brings lo up with host0 (configure_host0). */
	if (c->cfg->net.private_network && !(c->net && c->net->on_network)) {
		int r = loopback_up();
		if (r < 0)
			return log_errno(r, "cannot bring up lo");
	}
	return 0;
}

/* vz-ZONE exists while a container is in the zone; the lock orders us against a leaving last
 * member deleting it. */
static int zone_join(struct container *c, struct rtnl *r)
{
	struct net_state *s = c->net;
	const char *zone = c->cfg->net.zone;
	_cleanup_unlock_ int lock = net_lock();
	if (lock < 0)
		return log_errno(lock, "cannot take hako's network lock");
	snprintf(s->zone_bridge, sizeof(s->zone_bridge), "vz-%s", zone);
	s->zone_dir = hako_path(HAKO_DIR_RUNTIME, "zones/%s", zone);
	int err = s->zone_dir ? members_add(s->zone_dir, c->name) : -ENOMEM;
	if (err < 0)
		return log_errno(err, "cannot register in zone %s", zone);
	uint8_t mac[6]; /* stable while members come and go, as network_bridge_mac's */
	mac_from_name(s->zone_bridge, mac);
	err = rtnl_link_add(r, &(struct rtnl_link){
				       .name = s->zone_bridge, .kind = "bridge", .up = true, .mac = mac });
	if (err < 0 && err != -EEXIST)
		return log_errno(err, "cannot create bridge %s", s->zone_bridge);
	s->master = rtnl_ifindex(r, s->zone_bridge);
	return s->master < 0 ? log_errno(s->master, "cannot find bridge %s", s->zone_bridge) : 0;
}

static void zone_leave(struct container *c)
{
	struct net_state *s = c->net;
	_cleanup_unlock_ int lock = net_lock();
	members_remove(s->zone_dir, c->name);
	if (members_count_live(s->zone_dir) > 0)
		return;
	_cleanup_rtnl_ struct rtnl *r = NULL;
	if (rtnl_open(-1, &r) >= 0)
		(void)rtnl_link_del(r, s->zone_bridge);
	rm_rf(s->zone_dir);
}

/* One batch: the veth (host end up, on its bridge; host0 made directly in the container's
 * namespace), macvlan/ipvlan links made there, host links moved there. */
static int make_links(struct container *c, struct rtnl *r)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	char name[IFNAMSIZ];
	rtnl_begin(r);
	if (s->host_if[0]) {
		/* A bridge port needs no IPv6 link-local address: set that before it goes up. */
		rtnl_link_add(r, &(struct rtnl_link){ .name = s->host_if,
						      .kind = "veth",
						      .up = !s->master,
						      .master = s->master,
						      .peer = "host0",
						      .peer_netns_fd = &s->child_ns,
						      .peer_mac = s->on_network ? s->mac : NULL,
						      .mtu = s->def.mtu });
		if (s->master)
			rtnl_link_change(r, &(struct rtnl_link){
						    .name = s->host_if, .no_ipv6_ll = true, .up = true });
	}
	// clang-format off
	const struct { char **list; const char *prefix, *kind; } lowers[] = {
		{ n->macvlan, "mv-", "macvlan" }, { n->ipvlan, "iv-", "ipvlan" },
	};
	// clang-format on
	for (size_t i = 0; i < ELEMENTSOF(lowers); i++)
		for (char **l = lowers[i].list; l && *l; l++) {
			ifname_from(name, lowers[i].prefix, *l);
			rtnl_link_add(r, &(struct rtnl_link){ .name = name,
							      .kind = lowers[i].kind,
							      .parent = rtnl_ifindex(r, *l),
							      .netns_fd = &s->child_ns });
		}
	/* --network-veth-extra=: left down at both ends and unconfigured, as nspawn leaves them. */
	for (char **l = n->veth_extra; l && *l; l += 2)
		rtnl_link_add(r, &(struct rtnl_link){ .name = l[0],
						      .kind = "veth",
						      .peer = l[1],
						      .peer_netns_fd = &s->child_ns });
	for (char **l = n->interfaces; l && *l; l++) {
		rtnl_link_change(r, &(struct rtnl_link){ .name = *l, .netns_fd = &s->child_ns });
		/* Remembered to be moved back at the end. */
		if (strv_push(&s->moved, *l) < 0)
			return log_errno(-ENOMEM, "out of memory");
	}
	int err = rtnl_commit(r);
	if (err < 0)
		return log_errno(err, "cannot create the container's network interfaces%s%s",
				 *rtnl_error_message(r) ? ": " : "", rtnl_error_message(r));
	if (!s->host_if[0])
		return 0;
	/* As nspawn does: `ip link show ve-LONGNAME` finds it. The name is ours (checked above). */
	if (s->host_if_full[0] && (err = rtnl_link_altname_add(r, s->host_if, s->host_if_full)) < 0)
		log_debug("cannot give %s the altname %s: %s", s->host_if, s->host_if_full, strerror(-err));
	s->host_ifindex = rtnl_ifindex(r, s->host_if);
	return s->host_ifindex < 0 ? log_errno(s->host_ifindex, "cannot find %s", s->host_if) : 0;
}

/* Inside: lo and host0 up, host0 with the network's addresses and default routes. Our socket
 * moves into the container's namespace for it: nothing here needs the host's any more. */
static int configure_host0(struct container *c)
{
	struct net_state *s = c->net;
	struct rtnl *r = s->rtnl;
	int err = rtnl_reopen(r, s->child_ns);
	int idx = err < 0 ? err : rtnl_ifindex(r, "host0");
	if (idx < 0)
		return log_errno(idx, "cannot reach host0 in the container");
	struct inet_prefix a4 = { .addr = s->addr, .len = s->def.subnet.len };
	struct inet_prefix a6 = { .addr = s->addr6, .len = 64 };
	struct inet_addr gw6;
	rtnl_begin(r);
	rtnl_link_change(r, &(struct rtnl_link){ .name = "lo", .up = true });
	rtnl_link_change(r, &(struct rtnl_link){ .name = "host0", .up = true });
	rtnl_addr_add(r, idx, &a4);
	rtnl_route_add(r, NULL, &s->def.gateway, idx);
	if (s->def.has_ipv6) {
		network_gateway6(&s->def, &gw6);
		rtnl_addr_add(r, idx, &a6);
		rtnl_route_add(r, &(struct inet_prefix){ .addr = { .family = AF_INET6 } }, &gw6, idx);
	}
	err = rtnl_commit(r);
	if (err < 0)
		return log_errno(err, "cannot configure host0 on network %s%s%s", s->def.name,
				 *rtnl_error_message(r) ? ": " : "", rtnl_error_message(r));
	return 0;
}

/* Across hosts, a container off the DHCP host has its name in the DHCP host's dnsmasq
 * (src/net/dhcpname.h). Without it the container still runs: only its name is missing. */
static void claim_dns_name(struct container *c)
{
	struct net_state *s = c->net;
	const struct network_def *d = &s->def;
	if (!d->n_peers || !d->dhcp || network_runs_dnsmasq(d))
		return;
	char why[256], host[INET_PREFIX_STRLEN];
	inet_addr_str(&d->dhcp_host, host);
	int r = dhcpname_claim(s->child_ns, c->name, s->mac, &s->addr, &s->dns_name, why);
	if (r == -EADDRINUSE)
		log_warning("network %s: the DHCP host %s refused the name %s: %s", d->name, host, c->name,
			    why);
	else if (r == -ETIMEDOUT)
		log_warning("network %s: the DHCP host %s did not answer: %s has no name in DNS", d->name,
			    host, c->name);
	else if (r < 0)
		log_warning("network %s: cannot give %s a name in DNS: %s", d->name, c->name, strerror(-r));
}

static void release_dns_name(struct container *c)
{
	struct net_state *s = c->net;
	if (!s->dns_name.held)
		return;
	int r = dhcpname_release(s->child_ns, s->mac, &s->addr, &s->dns_name);
	if (r < 0)
		log_warning("network %s: cannot give the name %s back to the DHCP host: %s", s->def.name,
			    c->name, strerror(-r));
}

static const struct inet_addr *addr6_of(const struct net_state *s)
{
	return s->def.has_ipv6 ? &s->addr6 : NULL;
}

/* Applies and frees the ruleset text (NULL: out of memory); a failure is logged as "cannot WHAT
 * of NAME". */
static int apply_rules(char *text, const char *what, const char *name)
{
	_cleanup_free_ char *t = text, *err = NULL;
	if (!t)
		return log_errno(-ENOMEM, "out of memory");
	int r = nft_run(t, &err);
	if (r < 0)
		log_error("cannot %s of %s: %s", what, name, err ? err : "nftables failed");
	return r;
}

/* Both families' DNAT in one transaction; with IPv6, [::1] is relayed (src/net/relay.h). */
static int add_ports(struct container *c)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	int r = apply_rules(rules_ports(n->ports, n->n_ports, &s->addr, addr6_of(s), true),
			    "forward the ports", c->name);
	if (r < 0)
		return r;
	s->ports_added = true;
	return s->def.has_ipv6 ? relay_start(n->ports, n->n_ports, &s->addr, &s->relay) : 0;
}

/* The host link towards the container: the bridge its veth joins, or the veth's host end. */
static const char *host_link(const struct container *c)
{
	const struct net_state *s = c->net;
	if (c->cfg->net.bridge)
		return c->cfg->net.bridge;
	if (s->zone_bridge[0])
		return s->zone_bridge;
	return s->host_if[0] ? s->host_if : NULL;
}

/* 127.0.0.1:PORT is DNAT'ed out of the host link as out of a managed network's bridge: the link
 * joins the bridges set first, whose rules masquerade the loopback source and guard against
 * CVE-2020-8558 (src/net/rules.c), and only then gets route_localnet. */
static int localnet_up(struct container *c, const char *link)
{
	_cleanup_unlock_ int lock = net_lock();
	if (lock < 0)
		return log_errno(lock, "cannot take hako's network lock");
	_cleanup_free_ char *base = rules_base(), *add = rules_bridge(link, true);
	int r = apply_rules(base && add ? xasprintf("%s%s", base, add) : NULL,
			    "add the port forwarding rules", c->name);
	if (r < 0)
		return r;
	/* A bridge stays in the set: other containers may use it, and its route_localnet stays. */
	if (streq(link, c->net->host_if))
		snprintf(c->net->localnet_if, sizeof(c->net->localnet_if), "%s", link);
	_cleanup_free_ char *key = xasprintf("net/ipv4/conf/%s/route_localnet", link);
	r = key ? sysctl_write(-1, key, "1") : -ENOMEM;
	if (r < 0)
		return log_errno(r, "cannot enable route_localnet on %s", link);
	/* For clients on other hosts, as a managed network's up does. */
	r = sysctl_write(-1, "net/ipv4/ip_forward", "1");
	return r < 0 ? log_errno(r, "cannot enable IPv4 forwarding") : 0;
}

/* [::1]:HOSTPORT is relayed to 127.0.0.1:HOSTPORT, which the output chain DNATs to wherever the
 * watcher points it now. */
static int relay_to_localhost(struct container *c)
{
	const struct net_config *n = &c->cfg->net;
	_cleanup_free_ struct port_spec *p = calloc(n->n_ports, sizeof(*p));
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	for (unsigned i = 0; i < n->n_ports; i++)
		p[i] = (struct port_spec){ n->ports[i].proto, n->ports[i].host_port, n->ports[i].host_port };
	struct inet_addr lo = { .family = AF_INET, .v4 = { htonl(INADDR_LOOPBACK) } };
	return relay_start(p, n->n_ports, &lo, &c->net->relay);
}

/* Off a managed network the container configures its own addresses: the forwards follow them
 * (src/net/portwatch.h). */
static int expose_ports(struct container *c)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	const char *link = host_link(c);
	int r = link ? localnet_up(c, link) : 0;
	if (r < 0)
		return r;
	r = portwatch_start(n->ports, n->n_ports, s->child_ns, &s->watcher);
	if (r < 0)
		return log_errno(r, "cannot watch the addresses of %s for its port forwards", c->name);
	return relay_to_localhost(c);
}

/* The container's namespace and (with --network-interface=) ours, as fds. */
static int open_namespaces(struct net_state *s, const char *path, bool ours)
{
	if (!path)
		return -ENOMEM;
	s->child_ns = netns_open(path);
	if (s->child_ns < 0)
		return s->child_ns;
	if (!ours)
		return 0;
	s->host_ns = netns_open("/proc/thread-self/ns/net");
	return s->host_ns < 0 ? s->host_ns : 0;
}

int network_setup(struct container *c)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	if (!s || s->netns_fd >= 0)
		return 0;
	uint64_t t0 = now_usec();
	_cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int)c->pid);
	/* Ours is needed only to give moved interfaces back. */
	int err = open_namespaces(s, path, n->interfaces);
	if (err < 0)
		return log_errno(err, "cannot open the container's network namespace");
	struct rtnl *r = s->rtnl;
	if (s->on_network) {
		s->master = rtnl_ifindex(r, s->def.bridge);
		if (s->master < 0)
			return log_errno(s->master, "bridge %s of network %s is gone", s->def.bridge,
					 s->def.name);
	}
	uint64_t t1 = now_usec();
	err = n->zone ? zone_join(c, r) : 0;
	if (err < 0)
		return err;
	err = make_links(c, r);
	if (err < 0)
		return err;
	uint64_t t2 = now_usec();
	err = s->on_network ? configure_host0(c) : 0;
	if (err < 0)
		return err;
	if (s->on_network)
		claim_dns_name(c);
	uint64_t t3 = now_usec();
	err = !n->n_ports ? 0 : s->on_network ? add_ports(c) : expose_ports(c);
	if (err < 0)
		return err;
	uint64_t t4 = now_usec();
	/* bench/network reads this line: the total first, then where it went. */
	log_debug("network set-up of %s: %.3f ms (prepare %.3f, namespaces and bridge %.3f, links %.3f, "
		  "host0 %.3f, ports %.3f)",
		  c->name, (double)(s->prepare_usec + t4 - t0) / 1000, (double)s->prepare_usec / 1000,
		  (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000, (double)(t3 - t2) / 1000,
		  (double)(t4 - t3) / 1000);
	return 0;
}

int network_host_ifindex(const struct container *c)
{
	return c->net ? c->net->host_ifindex : 0;
}

const char *network_resolv_conf(const struct container *c)
{
	return c->net ? c->net->resolv_conf : NULL;
}

static void give_back_interfaces(struct net_state *s)
{
	_cleanup_rtnl_ struct rtnl *r = NULL;
	if (!s->moved || s->child_ns < 0 || rtnl_open(s->child_ns, &r) < 0)
		return;
	rtnl_begin(r);
	for (char **l = s->moved; *l; l++)
		rtnl_link_change(r, &(struct rtnl_link){ .name = *l, .netns_fd = &s->host_ns, .down = true });
	int err = rtnl_commit(r);
	if (err < 0)
		log_errno(err, "cannot give network interfaces back to the host");
}

/* Called with the network lock held. */
static void release_claims(struct net_state *s)
{
	_cleanup_free_ char *ports = hako_path(HAKO_DIR_RUNTIME, "ports");
	for (char **p = s->port_claims; ports && p && *p; p++)
		members_remove(ports, *p);
}

/* What expose_ports() made. */
static void unexpose_ports(struct container *c)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	if (!n->n_ports)
		return;
	relay_stop(s->relay);
	portwatch_stop(s->watcher, n->ports, n->n_ports);
	_cleanup_unlock_ int lock = net_lock();
	_cleanup_free_ char *text = s->localnet_if[0] ? rules_bridge(s->localnet_if, false) : NULL,
			    *err = NULL;
	if (text && nft_run(text, &err) < 0)
		log_warning("cannot remove %s from hako's rules: %s", s->localnet_if, err);
	release_claims(s);
}

static void leave_network(struct container *c)
{
	struct net_state *s = c->net;
	const struct net_config *n = &c->cfg->net;
	relay_stop(s->relay);
	if (s->ports_added) {
		_cleanup_free_ char *text = rules_ports(n->ports, n->n_ports, &s->addr, addr6_of(s), false),
				    *err = NULL;
		if (text && nft_run(text, &err) < 0)
			log_warning("cannot remove the port forwards of %s: %s", c->name, err);
	}
	_cleanup_unlock_ int lock = net_lock();
	release_claims(s);
	if (s->member_dir)
		members_remove(s->member_dir, c->name);
	if (!s->leased || ipam_defined(c->name))
		return;
	int r = ipam_release(&s->def, c->name);
	if (r < 0) {
		log_warning("cannot give back the address of %s on network %s: %s", c->name, s->def.name,
			    strerror(-r));
		return;
	}
	release_dns_name(c);
	if (!network_runs_dnsmasq(&s->def))
		return;
	r = dnsmasq_remove(&s->def, c->name);
	if (r < 0)
		log_warning("cannot update the DNS names of network %s: %s", s->def.name, strerror(-r));
}

void network_cleanup(struct container *c)
{
	struct net_state *s = c->net;
	if (!s)
		return;
	give_back_interfaces(s);
	/* The veth is not deleted: it goes with the container's namespace once the last fd of it
	 * (child_ns, below) is closed, in the kernel's background clean-up (1-5 ms later here),
	 * which deletes the devices of many namespaces at once. A RTM_DELLINK here waits for RCU
	 * grace periods under the rtnl lock: about 16 ms of every container's exit. */
	if (s->zone_dir)
		zone_leave(c);
	if (s->on_network)
		leave_network(c);
	else
		unexpose_ports(c);
	const int fds[] = { s->netns_fd, s->child_ns, s->host_ns };
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (s->rtnl)
		rtnl_close(s->rtnl);
	network_def_done(&s->def);
	free(s->zone_dir);
	free(s->member_dir);
	strv_free(s->port_claims);
	for (unsigned i = 0; i < s->n_port_holds; i++)
		close(s->port_holds[i]);
	free(s->port_holds);
	strv_free(s->moved);
	free(s->resolv_conf);
	free(s);
	c->net = NULL;
}

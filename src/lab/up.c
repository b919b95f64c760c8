/* lab up: namespaces, then every link in one rtnetlink batch from the switch namespace (each
 * veth is born with its ends in their namespaces: nothing is moved), then per member one batch
 * for addresses and routes and one nftables transaction for a NAT. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/link.h"
#include "lab/natrules.h"
#include "lab/programs.h"
#include "lab/vxlan.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/rtnl.h"

struct build {
	const struct lab_topology *t;
	const char *lab;
	struct lab_member *members;
	size_t n;
	int *fds;     /* one per member */
	int *sysdirs; /* /proc/sys/net of each NAT and router (sysctl_net_open), -1 for nodes */
	int switch_fd;
	int *bridges; /* ifindex per network, in the switch namespace */
	int home;     /* the namespace lab up runs in, open once: not one /proc open per entry */
	struct sysctl_opener sysctls;
};

/* Into a lab namespace and back: each member's sockets, rules and sysctls are made inside it
 * in one visit (entering for each of them cost a /proc open, two setns and a close). */
static int enter(int ns)
{
	if (setns(ns, CLONE_NEWNET) < 0)
		return -errno;
	return 0;
}

static void go_home(const struct build *b)
{
	/* Failing to return would leave the rest of lab up in a lab namespace. */
	if (setns(b->home, CLONE_NEWNET) < 0)
		abort();
}

static void build_done(struct build *b)
{
	for (size_t i = 0; b->fds && i < b->n; i++)
		if (b->fds[i] >= 0)
			close(b->fds[i]);
	for (size_t i = 0; b->sysdirs && i < b->n; i++)
		if (b->sysdirs[i] >= 0)
			close(b->sysdirs[i]);
	free(b->fds);
	free(b->sysdirs);
	free(b->bridges);
	if (b->switch_fd >= 0)
		close(b->switch_fd);
	if (b->home >= 0)
		close(b->home);
	lab_members_free(b->members, b->n);
	sysctl_opener_done(&b->sysctls);
	nft_release();
}

/* The namespace fds go above FD_SETSIZE when the limit allows: a 1000-node lab keeps 1500 of
 * them open, and libnftables waits on its socket with select(), which aborts the process on an
 * fd past FD_SETSIZE (issue 21). The soft limit is raised only while they are made (fds above
 * it stay open), so that nothing lab up starts inherits a limit past what select() can take. */
static int fd_high(int fd)
{
	if (fd < 0)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);
	if (high < 0)
		return fd; /* at the limit: a low fd still works for a smaller lab */
	close(fd);
	return high;
}

/* "default" only: every link of a lab namespace is made after it, and each /proc/sys path walk
 * costs more with every namespace on the host (proc_sys_compare skips the same-named entries of
 * all the others): "all" too cost 0.1 ms a namespace at 1500 (issue 21). */
static const char *const no_ipv6[] = {
	"net/ipv6/conf/default/disable_ipv6",
};

/* Binds the current namespace at p, without IPv6, and returns an fd of it; *ret_sysdir (if not
 * NULL) gets one of its /proc/sys/net, for the sysctls set later from inside it: /proc/sys/net is
 * looked up once per namespace (that lookup walks every namespace's "net", issue 21). */
static int ns_pin_here(struct build *b, const char *p, int *ret_sysdir)
{
	if (mount("/proc/thread-self/ns/net", p, NULL, MS_BIND, NULL) < 0)
		return -errno;
	_cleanup_close_ int sysdir = sysctl_net_open_fresh(&b->sysctls);
	if (sysdir < 0)
		return sysdir;
	/* Labs are IPv4: without IPv6 on their links the kernel skips link-local addresses, DAD
	 * and MLD reports for every veth, a good part of the cost of bringing links up. */
	for (size_t i = 0; i < ELEMENTSOF(no_ipv6); i++) {
		int r = sysctl_write_at(sysdir, no_ipv6[i], "1");
		if (r < 0)
			return r;
	}
	if (ret_sysdir)
		*ret_sysdir = fd_high(TAKE_FD(sysdir));
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

/* A new network namespace bound at labs/LAB/ns/NAME. The file is made first: that is the record
 * lab down goes by. Returns an fd of the namespace; *ret_sysdir as ns_pin_here(). */
static int ns_create(struct build *b, const char *name, int *ret_sysdir)
{
	_cleanup_free_ char *p = lab_path(b->lab, "ns/%s", name);
	if (!p)
		return -ENOMEM;
	_cleanup_close_ int f = open(p, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0444);
	if (f < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	int fd = ns_pin_here(b, p, ret_sysdir);
	go_home(b);
	return fd;
}

/* The namespace files live on a tmpfs of their own: making 150 files on the runtime directory's
 * filesystem (ext4 here) costs more than making the namespaces, and lab down then detaches the
 * whole directory, every namespace with it, in one umount. */
static int mount_ns_dir(const char *lab)
{
	_cleanup_free_ char *d = lab_path(lab, "ns");
	if (!d)
		return log_errno(-ENOMEM, "out of memory");
	if (mount("hako-lab", d, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m") < 0)
		return log_errno(-errno, "lab %s: cannot mount a tmpfs on %s", lab, d);
	return 0;
}

static void raise_nofile(size_t need, struct rlimit *saved)
{
	if (getrlimit(RLIMIT_NOFILE, saved) < 0)
		return;
	struct rlimit l = *saved;
	rlim_t want = FD_SETSIZE + need + 16;
	l.rlim_cur = want < l.rlim_max ? want : l.rlim_max;
	if (l.rlim_cur > saved->rlim_cur)
		setrlimit(RLIMIT_NOFILE, &l);
}

static int make_all(struct build *b)
{
	b->switch_fd = fd_high(ns_create(b, LAB_SWITCH, NULL));
	if (b->switch_fd < 0)
		return log_errno(b->switch_fd, "lab %s: cannot create the switch namespace", b->lab);
	for (size_t i = 0; i < b->n; i++) {
		bool sysctls = b->members[i].kind != MEMBER_NODE;
		b->fds[i] = fd_high(ns_create(b, b->members[i].name, sysctls ? &b->sysdirs[i] : NULL));
		if (b->fds[i] < 0)
			return log_errno(b->fds[i], "lab %s: cannot create the namespace of %s", b->lab,
					 b->members[i].name);
	}
	return 0;
}

static int make_namespaces(struct build *b)
{
	int r = mount_ns_dir(b->lab);
	if (r < 0)
		return r;
	struct rlimit saved = { 0 };
	raise_nofile(2 * b->n + 1, &saved);
	r = make_all(b);
	sysctl_opener_done(&b->sysctls);
	if (saved.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &saved);
	return r;
}

static struct inet_prefix prefix4(uint32_t addr, unsigned len)
{
	struct inet_prefix p = { .addr.family = AF_INET, .len = len };
	p.addr.v4.s_addr = htonl(addr);
	return p;
}

static int rtnl_failed(struct rtnl *r, int err, const char *lab, const char *what)
{
	const char *msg = rtnl_error_message(r);
	if (msg && *msg)
		log_error("lab %s: %s: %s (%s)", lab, what, strerror(-err), msg);
	else
		log_errno(err, "lab %s: %s", lab, what);
	return err;
}

/* The switch's end of an impaired node's link: what the node receives ([Link NODE]). Ports are
 * numbered in member order, one per interface, as make_switch made them. */
static int impair_ports(struct build *b, struct rtnl *r)
{
	unsigned port = 0;
	/* No batch: few links are impaired, and rtnl_ifindex asks the kernel in between. */
	for (size_t i = 0; i < b->n; i++) {
		unsigned first = port;
		port += (unsigned)b->members[i].n_ifaces;
		if (b->members[i].kind != MEMBER_NODE || !b->t->nodes[b->members[i].index].link.set)
			continue;
		char pname[IFNAMSIZ];
		snprintf(pname, sizeof(pname), "p%u", first);
		int ifindex = rtnl_ifindex(r, pname);
		if (ifindex < 0)
			return log_errno(ifindex, "lab %s: switch port %s", b->lab, pname);
		int k = link_add_qdiscs(r, ifindex, &b->t->nodes[b->members[i].index].link);
		if (k < 0)
			return rtnl_failed(r, k, b->lab, "cannot set the link impairments");
	}
	return 0;
}

/* The switch: a bridge per network, a veth per member interface (port "pN" on the bridge, the
 * other end named after the network in the member's namespace), responder addresses on the
 * bridges of top-level networks. */
static int make_switch(struct build *b)
{
	_cleanup_rtnl_ struct rtnl *r = NULL;
	int k = rtnl_open(b->switch_fd, &r);
	if (k < 0)
		return log_errno(k, "lab %s: cannot talk to rtnetlink", b->lab);
	const struct lab_topology *t = b->t;
	rtnl_begin(r);
	rtnl_link_change(r, &(struct rtnl_link){ .name = "lo", .up = true });
	for (size_t i = 0; i < t->n_networks; i++)
		rtnl_link_add(r, &(struct rtnl_link){
					 .name = t->networks[i].name, .kind = "bridge", .up = true });
	k = rtnl_commit(r);
	if (k < 0)
		return rtnl_failed(r, k, b->lab, "cannot create the bridges");
	for (size_t i = 0; i < t->n_networks; i++) {
		b->bridges[i] = rtnl_ifindex(r, t->networks[i].name);
		if (b->bridges[i] < 0)
			return log_errno(b->bridges[i], "lab %s: bridge %s", b->lab, t->networks[i].name);
	}
	rtnl_begin(r);
	unsigned port = 0;
	for (size_t i = 0; i < b->n; i++)
		for (size_t j = 0; j < b->members[i].n_ifaces; j++) {
			char pname[IFNAMSIZ];
			uint8_t mac[6]; /* copied into the request at once */
			snprintf(pname, sizeof(pname), "p%u", port++);
			int net = b->members[i].ifaces[j].network;
			lab_member_mac(t, b->members[i].name, net, mac);
			rtnl_link_add(r, &(struct rtnl_link){ .name = pname,
							      .kind = "veth",
							      .master = b->bridges[net],
							      .up = true,
							      .mtu = lab_network_mtu(t, (size_t)net),
							      .peer = t->networks[net].name,
							      .peer_netns_fd = &b->fds[i],
							      .peer_mac = mac });
		}
	for (size_t i = 0; lab_holds_responder(t) && i < t->n_networks; i++)
		for (int j = 0; j < 2 && t->networks[i].responder[j]; j++) {
			struct inet_prefix p =
				prefix4(t->networks[i].responder[j], t->networks[i].subnet.prefix);
			rtnl_addr_add(r, b->bridges[i], &p);
		}
	k = rtnl_commit(r);
	if (k < 0)
		return rtnl_failed(r, k, b->lab, "cannot create the links");
	k = lab_vxlan_up(t, b->switch_fd, b->bridges);
	if (k < 0)
		return k;
	return impair_ports(b, r);
}

static void add_routes(struct rtnl *r, const struct lab_member *m)
{
	if (m->gateway) {
		struct inet_addr gw = prefix4(m->gateway, 32).addr;
		rtnl_route_add(r, NULL, &gw, 0);
	}
	for (size_t i = 0; m->routes && i < m->routes->n; i++) {
		const struct lab_route *rt = &m->routes->items[i];
		struct inet_prefix dst = prefix4(rt->dest.addr, rt->dest.prefix);
		struct inet_addr gw = prefix4(rt->via, 32).addr;
		rtnl_route_add(r, &dst, &gw, 0);
	}
}

/* lo up, addresses, routes: one batch, from inside the member's namespace. */
static int configure_member(struct build *b, size_t i)
{
	const struct lab_member *m = &b->members[i];
	_cleanup_rtnl_ struct rtnl *r = NULL;
	int k = rtnl_open(-1, &r);
	if (k < 0)
		return log_errno(k, "lab %s: %s: cannot talk to rtnetlink", b->lab, m->name);
	int ifindex[m->n_ifaces];
	for (size_t j = 0; j < m->n_ifaces; j++) {
		const char *name = b->t->networks[m->ifaces[j].network].name;
		ifindex[j] = rtnl_ifindex(r, name);
		if (ifindex[j] < 0)
			return log_errno(ifindex[j], "lab %s: %s: interface %s", b->lab, m->name, name);
	}
	rtnl_begin(r);
	rtnl_link_change(r, &(struct rtnl_link){ .name = "lo", .up = true });
	/* The veth ends come up here: the kernel refuses IFF_UP on a peer it is still creating. */
	for (size_t j = 0; j < m->n_ifaces; j++)
		rtnl_link_change(r, &(struct rtnl_link){ .name = b->t->networks[m->ifaces[j].network].name,
							 .up = true });
	for (size_t j = 0; j < m->n_ifaces; j++) {
		struct inet_prefix p =
			prefix4(m->ifaces[j].addr, b->t->networks[m->ifaces[j].network].subnet.prefix);
		rtnl_addr_add(r, ifindex[j], &p);
	}
	add_routes(r, m);
	if (m->kind == MEMBER_NODE)
		link_add_qdiscs(r, ifindex[0], &b->t->nodes[m->index].link);
	k = rtnl_commit(r);
	if (k < 0) {
		_cleanup_free_ char *what =
			xasprintf("%s: cannot set addresses, routes and link impairments", m->name);
		return rtnl_failed(r, k, b->lab, what ? what : m->name);
	}
	return 0;
}

/* After the rules: they load nf_conntrack, whose timeouts are among the sysctls. */
static int nat_sysctls_write(struct build *b, size_t i)
{
	const struct lab_member *m = &b->members[i];
	struct nat_sysctl s[NAT_SYSCTLS_MAX];
	size_t n = nat_sysctls(&b->t->nats[m->index], s, ELEMENTSOF(s));
	for (size_t j = 0; j < n; j++) {
		int r = sysctl_write_at(b->sysdirs[i], s[j].path, s[j].value);
		if (r < 0)
			return log_errno(r, "lab %s: %s: cannot set %s", b->lab, m->name, s[j].path);
	}
	return 0;
}

static int configure_nat(struct build *b, size_t i)
{
	const struct lab_member *m = &b->members[i];
	_cleanup_free_ char *rules = NULL, *err = NULL;
	int r = nat_ruleset(b->t, &b->t->nats[m->index], &rules);
	if (r < 0)
		return log_errno(r, "out of memory");
	r = nft_run(rules, &err);
	if (r < 0 && err) {
		log_error("lab %s: %s: nftables: %s", b->lab, m->name, err);
		return r;
	}
	if (r < 0)
		return log_errno(r, "lab %s: %s: cannot apply the NAT rules", b->lab, m->name);
	return nat_sysctls_write(b, i);
}

static int configure_router(struct build *b, size_t i)
{
	int r = sysctl_write_at(b->sysdirs[i], "net/ipv4/ip_forward", "1");
	if (r < 0)
		return log_errno(r, "lab %s: %s: cannot enable forwarding", b->lab, b->members[i].name);
	return 0;
}

/* For the tests only: HAKO_TEST_LAB_KILL_AFTER=MEMBER makes lab up die by SIGKILL once MEMBER is
 * configured, the others not yet, as a kill -9 half way would, but at a point it reaches for sure
 * (tests/integration/lab.bats checks that down cleans up after it). */
static void test_kill_point(const char *member)
{
	const char *at = getenv("HAKO_TEST_LAB_KILL_AFTER");
	if (at && streq(at, member))
		raise(SIGKILL);
}

/* One member, inside its namespace (the caller returns home). */
static int configure_inside(struct build *b, size_t i, uint64_t *t_nat)
{
	int r = configure_member(b, i);
	if (r < 0)
		return r;
	uint64_t t1 = now_usec();
	if (b->members[i].kind == MEMBER_NAT)
		r = configure_nat(b, i);
	*t_nat += now_usec() - t1;
	if (b->members[i].kind == MEMBER_ROUTER)
		r = configure_router(b, i);
	return r;
}

/* Addresses and routes of every member, the NAT rules of the NATs, forwarding on the routers. */
static int configure_members(struct build *b)
{
	uint64_t t0 = now_usec(), t_nat = 0;
	for (size_t i = 0; i < b->n; i++) {
		int r = enter(b->fds[i]);
		if (r < 0)
			return log_errno(r, "lab %s: cannot enter the namespace of %s", b->lab,
					 b->members[i].name);
		r = configure_inside(b, i, &t_nat);
		go_home(b);
		if (r < 0)
			return r;
		test_kill_point(b->members[i].name);
	}
	log_debug("lab %s: members configured in %.1f ms (NAT rules and sysctls %.1f ms)", b->lab,
		  (double)(now_usec() - t0) / 1000, (double)t_nat / 1000);
	return 0;
}

/* The Exec= of every node without a container (a container node's Exec= is its container's
 * command), recorded in progs for lab_programs_check. */
static int start_programs(struct build *b, struct lab_program *progs, size_t *n_progs)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->members[i].kind != MEMBER_NODE)
			continue;
		const struct lab_node *node = &b->t->nodes[b->members[i].index];
		if (!node->exec || node_is_container(node))
			continue;
		progs[*n_progs].node = node;
		int r = lab_program_start(b->lab, node, b->fds[i], &progs[*n_progs].pid);
		if (r < 0)
			return r;
		(*n_progs)++;
	}
	return 0;
}

static int configure(struct build *b)
{
	uint64_t t0 = now_usec();
	/* Every NAT's nftables socket is closed at the end, in build_done(): one grace period for
	 * the lab instead of one per NAT. */
	nft_hold();
	int r = make_switch(b);
	if (r < 0)
		return r;
	log_debug("lab %s: switch in %.1f ms", b->lab, (double)(now_usec() - t0) / 1000);
	r = configure_members(b);
	if (r < 0)
		return r;
	_cleanup_free_ struct lab_program *progs = calloc(b->n + 1, sizeof(*progs));
	if (!progs)
		return log_errno(-ENOMEM, "out of memory");
	size_t n_progs = 0;
	r = start_programs(b, progs, &n_progs);
	if (r < 0)
		return r;
	t0 = now_usec();
	r = lab_start_containers(b->t);
	if (r < 0)
		return r;
	log_debug("lab %s: containers started in %.1f ms", b->lab, (double)(now_usec() - t0) / 1000);
	return lab_programs_check(b->t, progs, n_progs);
}

static int build(const struct lab_topology *t)
{
	struct build b = {
		.t = t, .lab = t->name, .switch_fd = -1, .home = -1, .sysctls = SYSCTL_OPENER_INIT
	};
	int r = lab_members(t, &b.members, &b.n);
	if (r < 0)
		return log_errno(r, "out of memory");
	lab_members_keep_local(t, b.members, &b.n);
	b.home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (b.home < 0) {
		r = -errno;
		build_done(&b);
		return log_errno(r, "cannot open this network namespace");
	}
	b.fds = malloc((b.n + 1) * sizeof(int));
	b.sysdirs = malloc((b.n + 1) * sizeof(int));
	b.bridges = calloc(t->n_networks + 1, sizeof(int));
	if (!b.fds || !b.sysdirs || !b.bridges) {
		build_done(&b);
		return log_errno(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < b.n; i++)
		b.fds[i] = b.sysdirs[i] = -1;
	uint64_t t0 = now_usec();
	r = make_namespaces(&b);
	if (r >= 0) {
		log_debug("lab %s: %zu namespaces in %.1f ms", t->name, b.n + 1,
			  (double)(now_usec() - t0) / 1000);
		r = configure(&b);
	}
	build_done(&b);
	return r;
}

/* An existing lab of that name: the same topology and up -> nothing to do (1); another
 * topology -> -EEXIST; half made -> removed (0). */
static int check_existing(const struct lab_topology *t, const char *text)
{
	_cleanup_free_ char *p = lab_path(t->name, "topology");
	_cleanup_free_ char *old = NULL;
	size_t len;
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	int r = read_file(p, &old, &len);
	if (r == -ENOENT && !lab_is_up(t->name)) {
		r = lab_down(t->name);
		return r == -ENOENT ? 0 : r;
	}
	if (r < 0)
		return log_errno(r, "cannot read %s", p);
	bool same = streq(old, text);
	if (same && lab_is_up(t->name))
		return 1;
	if (!same && lab_is_up(t->name)) {
		log_error("lab %s is up with another topology (hako lab down %s first)", t->name, t->name);
		return -EEXIST;
	}
	r = lab_down(t->name);
	return r == -ENOENT ? 0 : r;
}

/* The lab's directory and what it records, its namespaces and members, "up" last. Whatever it
 * made is left for lab_down on failure. */
static int make_lab(const struct lab_topology *t, const char *text)
{
	static const char *const dirs[] = { "ns", "pids", "logs", "machines" };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *d = lab_path(t->name, "%s", dirs[i]);
		if (!d)
			return log_errno(-ENOMEM, "out of memory");
		int r = mkdir_p(d, 0755);
		if (r < 0)
			return log_errno(r, "lab %s: cannot create its directory", t->name);
	}
	_cleanup_free_ char *p = lab_path(t->name, "topology"), *up = lab_path(t->name, "up");
	if (!p || !up)
		return log_errno(-ENOMEM, "out of memory");
	int r = write_file(p, text, O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s", p);
	r = lab_host_save(t);
	if (r < 0)
		return r;
	r = build(t);
	if (r < 0)
		return r;
	r = write_file(up, "", O_CREAT | O_TRUNC, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s", up);
	return 0;
}

int lab_up(const struct lab_topology *t, const char *text)
{
	/* Before anything is made or removed: the kernel must have every qdisc [Link] needs. */
	int r = link_probe(t);
	if (r < 0)
		return r;
	r = check_existing(t, text);
	if (r != 0)
		return r < 0 ? r : 0;
	r = make_lab(t, text);
	if (r < 0)
		lab_down(t->name);
	return r;
}

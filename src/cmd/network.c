/* hako network: managed networks (create, list, show, rm, up). See src/net/network.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "net/dnsmasq.h"
#include "net/ipam.h"
#include "net/network.h"
#include "net/peers.h"

static const char create_usage[] =
	"Usage: hako network create NAME --subnet=CIDR [OPTIONS]\n\n"
	"Defines network NAME and brings it up: a bridge hk-NAME with the gateway address, forwarding,\n"
	"NAT, port forwards of containers started with --network=NAME, optionally DHCP/DNS (dnsmasq).";

static void network_def_donep(struct network_def *d)
{
	network_def_done(d);
}

static int lock_or_fail(void)
{
	int fd = net_lock();
	if (fd < 0)
		log_errno(fd, "cannot take hako's network lock");
	return fd;
}

/* Another defined network whose addresses overlap d's. */
static int check_overlaps(const struct network_def *d)
{
	_cleanup_strv_free_ char **names = NULL;
	int r = network_list_names(&names);
	if (r < 0)
		return log_errno(r, "cannot list networks");
	char a[INET_PREFIX_STRLEN], b[INET_PREFIX_STRLEN];
	for (char **n = names; n && *n; n++) {
		_cleanup_(network_def_donep) struct network_def o = { 0 };
		if (streq(*n, d->name) || network_load(*n, &o) < 0)
			continue;
		const struct inet_prefix *mine = &d->subnet, *theirs = &o.subnet;
		if (!inet_prefix_overlaps(mine, theirs) && d->has_ipv6 && o.has_ipv6 &&
		    inet_prefix_overlaps(&d->ipv6, &o.ipv6))
			mine = &d->ipv6, theirs = &o.ipv6;
		if (inet_prefix_overlaps(mine, theirs)) {
			log_error("subnet %s overlaps %s of network %s", inet_prefix_str(mine, a),
				  inet_prefix_str(theirs, b), o.name);
			return -EEXIST;
		}
	}
	return 0;
}

static int do_create(int argc, char **argv)
{
	const struct opt_group g[] = { { NULL, network_options, network_options_n } };
	_cleanup_(network_def_donep) struct network_def d = { .nat = true };
	int i = opts_parse(g, 1, argc, argv, &d, 0, create_usage, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0)
		return EXIT_HAKO_USAGE;
	if (i != argc - 1) {
		log_error("network create takes one NAME");
		return EXIT_HAKO_USAGE;
	}
	if (!(d.name = strdup(argv[i])))
		return EXIT_HAKO_FAILED;
	_cleanup_unlock_ int lock = lock_or_fail();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	if (network_def_finish(&d) < 0)
		return EXIT_HAKO_USAGE;
	if (check_overlaps(&d) < 0)
		return EXIT_HAKO_USAGE;
	/* A typo here would masquerade nothing, silently. */
	if (d.external && if_nametoindex(d.external) == 0) {
		log_error("invalid --external=%s: no such interface", d.external);
		return EXIT_HAKO_USAGE;
	}
	if (network_exists(d.name)) {
		log_error("network %s already exists", d.name);
		return EXIT_HAKO_USAGE;
	}
	/* All or nothing, as every later command sees it (issue 18.2): the definition is saved
	 * last, once the network is up; what a killed create made is taken down here. */
	network_collect_orphans();
	if (network_up(&d) < 0)
		return EXIT_HAKO_FAILED;
	int r = network_save(&d);
	if (r < 0) {
		log_errno(r, "cannot save network %s", d.name);
		network_down(&d);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

/* What a create killed before it saved the definition left: taken down (issue 18.2). */
static int collect_orphans(void)
{
	_cleanup_unlock_ int lock = lock_or_fail();
	if (lock < 0)
		return lock;
	network_collect_orphans();
	return 0;
}

static int members_of(const char *name)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "networks/%s/members", name);
	return dir ? members_count_live(dir) : -ENOMEM;
}

/* network_load said why the definition is broken; rm still removes it (issue 18.6). */
static int remove_broken(const char *name)
{
	int r = network_remove_broken(name);
	if (r < 0) {
		log_errno(r, "cannot remove network %s", name);
		return EXIT_HAKO_FAILED;
	}
	log_warning("removed network %s despite its broken definition", name);
	return 0;
}

static int do_rm(int argc, char **argv)
{
	if (argc != 2) {
		log_error("network rm takes one NAME");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_unlock_ int lock = lock_or_fail();
	_cleanup_(network_def_donep) struct network_def d = { 0 };
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	int r = network_load(argv[1], &d);
	if (r == -EINVAL && network_name_valid(argv[1]))
		return remove_broken(argv[1]);
	if (r < 0)
		return EXIT_HAKO_USAGE;
	int n = members_of(d.name);
	if (n > 0) {
		log_error("network %s is in use by %d container(s)", d.name, n);
		return EXIT_HAKO_USAGE;
	}
	network_down(&d);
	_cleanup_free_ char *def = hako_path(HAKO_DIR_CONFIG, "networks/%s.network", d.name);
	_cleanup_free_ char *state = hako_path(HAKO_DIR_STATE, "networks/%s", d.name);
	if (!def || !state) {
		log_errno(-ENOMEM, "cannot remove network %s", d.name);
		return EXIT_HAKO_FAILED;
	}
	if (unlink(def) < 0) {
		log_errno(-errno, "cannot remove network %s", d.name);
		return EXIT_HAKO_FAILED;
	}
	r = rm_rf(state);
	if (r < 0) {
		log_errno(r, "cannot remove network %s", d.name);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

static int up_one(const char *name)
{
	_cleanup_(network_def_donep) struct network_def d = { 0 };
	if (network_load(name, &d) < 0)
		return EXIT_HAKO_USAGE;
	return network_up(&d) < 0 ? EXIT_HAKO_FAILED : 0;
}

static int do_up(int argc, char **argv)
{
	_cleanup_strv_free_ char **all = NULL;
	bool want_all = argc == 2 && streq(argv[1], "--all");
	if (argc < 2 || (want_all && network_list_names(&all) < 0)) {
		log_error("network up takes NAME... or --all");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_unlock_ int lock = lock_or_fail();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	int status = 0;
	network_collect_orphans();
	for (char **n = want_all ? all : argv + 1; n && *n; n++) {
		int r = up_one(*n);
		status = status ? status : r;
	}
	return status;
}

/* The state of an up --dhcp network's dnsmasq, restarting one that died; NULL without --dhcp. */
static const char *dnsmasq_state(const struct network_def *d, pid_t *pid)
{
	*pid = 0;
	if (!network_runs_dnsmasq(d) || !network_is_up(d->name))
		return NULL;
	_cleanup_unlock_ int lock = lock_or_fail();
	int r = lock < 0 ? lock : dnsmasq_check(d, pid);
	return r < 0 ? "failed" : r > 0 ? "restarted" : "running";
}

static void print_network(const struct network_def *d, bool json)
{
	char s[INET_PREFIX_STRLEN], g[INET_PREFIX_STRLEN], v6[INET_PREFIX_STRLEN] = "";
	inet_prefix_str(&d->subnet, s);
	inet_addr_str(&d->gateway, g);
	if (d->has_ipv6)
		inet_prefix_str(&d->ipv6, v6);
	const char *state = network_is_up(d->name) ? "up" : "down";
	pid_t pid;
	const char *dns = dnsmasq_state(d, &pid);
	if (!json) {
		printf("%-12s %-5s %-18s %-15s %-24s %s%s%s\n", d->name, state, s, g, d->has_ipv6 ? v6 : "-",
		       d->nat ? "nat" : "routed", d->dhcp ? ",dhcp" : "", d->isolated ? ",isolated" : "");
		return;
	}
	printf("{\"name\":");
	json_string(stdout, d->name);
	json_member(stdout, "state", state);
	json_member(stdout, "bridge", d->bridge);
	json_member(stdout, "subnet", s);
	json_member(stdout, "gateway", g);
	if (d->has_ipv6)
		json_member(stdout, "ipv6", v6);
	if (d->external)
		json_member(stdout, "external", d->external);
	if (dns)
		json_member(stdout, "dnsmasq", dns);
	if (d->mtu)
		printf(",\"mtu\":%u", d->mtu);
	printf(",\"nat\":%s,\"dhcp\":%s,\"isolated\":%s,\"containers\":%d}", d->nat ? "true" : "false",
	       d->dhcp ? "true" : "false", d->isolated ? "true" : "false", members_of(d->name));
}

static int do_list(int argc, char **argv)
{
	bool json = argc == 2 && streq(argv[1], "--json");
	if (argc > 2 || (argc == 2 && !json)) {
		log_error("network list takes only --json");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_strv_free_ char **names = NULL;
	if (collect_orphans() < 0)
		return EXIT_HAKO_FAILED;
	if (network_list_names(&names) < 0)
		return EXIT_HAKO_FAILED;
	if (json)
		printf("[");
	else
		printf("%-12s %-5s %-18s %-15s %-24s %s\n", "NAME", "STATE", "SUBNET", "GATEWAY", "IPV6",
		       "MODE");
	for (char **n = names; n && *n; n++) {
		_cleanup_(network_def_donep) struct network_def d = { 0 };
		if (network_load(*n, &d) < 0)
			continue;
		if (json && n != names)
			printf(",");
		print_network(&d, json);
	}
	if (json)
		printf("]\n");
	return 0;
}

/* Across hosts: the segment, who runs DHCP/DNS, and this host's part of the addresses. */
static void show_peers(const struct network_def *d)
{
	char a[INET_PREFIX_STRLEN], vx[IFNAMSIZ];
	if (!d->n_peers)
		return;
	for (size_t i = 0; i < d->n_peers; i++)
		printf("Peer: %s%s\n", inet_addr_str(&d->peers[i], a),
		       (int)i == d->local_peer ? " (this host)" : "");
	peers_vxlan_name(d, vx);
	printf("VXLAN: %s VNI %u port %u\n", vx, d->vni, d->vx_port);
	if (d->dhcp)
		printf("DHCP host: %s\n", inet_addr_str(&d->dhcp_host, a));
	struct inet_addr dns;
	network_dns_addr(d, &dns);
	if (d->dhcp)
		printf("DNS: %s\n", inet_addr_str(&dns, a));
	struct ipam_pool pool;
	ipam_pool_of(d, &pool);
	struct inet_addr from, to;
	char f[INET_PREFIX_STRLEN], t[INET_PREFIX_STRLEN];
	inet_prefix_nth(&d->subnet, pool.first, &from);
	inet_prefix_nth(&d->subnet, pool.last, &to);
	printf("Addresses here: %s-%s\n", inet_addr_str(&from, f), inet_addr_str(&to, t));
}

static int do_show(int argc, char **argv)
{
	_cleanup_(network_def_donep) struct network_def d = { 0 };
	if (argc != 2) {
		log_error("network show takes one NAME");
		return EXIT_HAKO_USAGE;
	}
	if (network_load(argv[1], &d) < 0)
		return EXIT_HAKO_USAGE;
	char s[INET_PREFIX_STRLEN], g[INET_PREFIX_STRLEN];
	printf("Name: %s\nState: %s\nBridge: %s\nSubnet: %s\nGateway: %s\n", d.name,
	       network_is_up(d.name) ? "up" : "down", d.bridge, inet_prefix_str(&d.subnet, s),
	       inet_addr_str(&d.gateway, g));
	if (d.has_ipv6)
		printf("IPv6: %s\n", inet_prefix_str(&d.ipv6, s));
	printf("NAT: %s\nDHCP: %s\nIsolated: %s\n", d.nat ? "yes" : "no", d.dhcp ? "yes" : "no",
	       d.isolated ? "yes" : "no");
	if (d.external)
		printf("External: %s\n", d.external);
	if (d.mtu)
		printf("MTU: %u\n", d.mtu);
	show_peers(&d);
	pid_t pid;
	const char *dns = dnsmasq_state(&d, &pid);
	if (dns && pid > 0)
		printf("Dnsmasq: %s (pid %d)\n", dns, (int)pid);
	else if (dns)
		printf("Dnsmasq: %s\n", dns);
	printf("Containers: %d\n", members_of(d.name));
	_cleanup_free_ char *leases = NULL;
	if (ipam_read(&d, &leases) >= 0 && leases) {
		char *save = NULL;
		for (char *l = strtok_r(leases, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("Lease: %s\n", l);
	}
	return 0;
}

/* dnsmasq's dhcp-script on the DHCP host of a network across hosts: ACTION MAC ADDR [HOSTNAME],
 * as dnsmasq(8) passes them (no lock: each address is a file of its own, and dnsmasq runs one
 * script at a time). */
static int do_lease_event(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		log_error(
			"network lease-event takes NAME ACTION MAC ADDRESS [HOSTNAME] (dnsmasq's dhcp-script)");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_(network_def_donep) struct network_def d = { 0 };
	if (network_load(argv[1], &d) < 0)
		return EXIT_HAKO_USAGE;
	int r = dnsmasq_lease_event(&d, argv[2], argv[4], argc == 6 ? argv[5] : NULL);
	if (r < 0) {
		log_errno(r, "network %s: cannot update the name of the lease of %s", d.name, argv[4]);
		return EXIT_HAKO_FAILED;
	}
	return 0;
}

static const struct command subcommands[] = {
	{ "create", do_create, "Define a network and bring it up", "NAME --subnet=CIDR [OPTIONS]" },
	{ "list", do_list, "List networks", "[--json]" },
	{ "show", do_show, "Show a network's settings and leases", "NAME" },
	{ "rm", do_rm, "Take a network down and remove it", "NAME" },
	{ "up", do_up, "Bring defined networks up (after a reboot: up --all)", "NAME...|--all" },
	{ "lease-event", do_lease_event, NULL, NULL }, /* dnsmasq's dhcp-script (hako-network(1)) */
};

static void create_options_help(FILE *f)
{
	const struct opt_group g[] = { { "Options of create:", network_options, network_options_n } };
	opts_help(f, NULL, g, 1);
}

int cmd_network(int argc, char **argv)
{
	static const struct command_family network = {
		.name = "network",
		.about =
			"Managed networks: a bridge hk-NAME with the gateway address, forwarding, NAT, port\n"
			"forwards of containers started with --network=NAME, optionally DHCP/DNS (dnsmasq).",
		.commands = subcommands,
		.n_commands = ELEMENTSOF(subcommands),
		.more_help = create_options_help,
	};
	return cmd_dispatch(&network, argc, argv);
}

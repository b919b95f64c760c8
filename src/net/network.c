#include "net/network.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/log.h"
#include "base/names.h"
#include "base/util.h"
#include "net/dnsmasq.h"
#include "net/ipam.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/peers.h"
#include "net/rtnl.h"
#include "net/rules.h"
#include "settings/ini.h"

/* ---- definitions: options of `hako network create`, keys of NAME.network ---- */

/* Address ranges no network may use: packets to them never reach a bridge as unicast
 * (RFC 6890's special-purpose registries). */
static const struct reserved_range {
	const char *prefix;
	const char *why;
	// clang-format off
} reserved[] = {
	{ "0.0.0.0/8", "overlaps 0.0.0.0/8 (\"this network\", RFC 1122)" },
	{ "127.0.0.0/8", "overlaps the loopback range 127.0.0.0/8" },
	{ "169.254.0.0/16", "overlaps the link-local range 169.254.0.0/16" },
	{ "224.0.0.0/4", "overlaps the multicast range 224.0.0.0/4" },
	{ "240.0.0.0/4", "overlaps the reserved range 240.0.0.0/4 (and the broadcast address)" },
	{ "::/8", "overlaps ::/8 (the unspecified and loopback addresses, IPv4-mapped addresses)" },
	{ "fe80::/10", "overlaps the link-local range fe80::/10" },
	{ "ff00::/8", "overlaps the multicast range ff00::/8" },
};
// clang-format on

/* The reason p may not be a network's, NULL if it may. */
static const char *reserved_why(const struct inet_prefix *p)
{
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
		struct inet_prefix r;
		if (inet_prefix_parse(reserved[i].prefix, true, &r) == 0 && inet_prefix_overlaps(p, &r))
			return reserved[i].why;
	}
	return NULL;
}

static int set_subnet(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	int r = inet_prefix_parse(value, true, &d->subnet);
	if (r == -EADDRNOTAVAIL)
		*why = "host bits are set (give the network address, e.g. 10.88.0.0/24)";
	else if (r < 0 || d->subnet.addr.family != AF_INET)
		*why = "expected an IPv4 subnet in CIDR form (e.g. 10.88.0.0/24)";
	else if (d->subnet.len < 8 || d->subnet.len > 29)
		*why = "the prefix length must be between 8 and 29";
	else if (!(*why = reserved_why(&d->subnet)))
		return 0;
	d->subnet = (struct inet_prefix){ 0 };
	return -EINVAL;
}

static int set_gateway(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	if (inet_addr_parse(value, &d->gateway) < 0 || d->gateway.family != AF_INET) {
		*why = "expected an IPv4 address";
		return -EINVAL;
	}
	d->has_gateway = true;
	return 0;
}

static int set_no_nat(void *target, const char *value, const char **why)
{
	(void)value;
	(void)why;
	((struct network_def *)target)->nat = false;
	return 0;
}

static int set_ipv6(void *target, const char *value, const char **why)
{
	struct network_def *d = target;
	d->has_ipv6 = true;
	if (streq(value, "auto")) {
		d->ipv6_auto = true;
		return 0;
	}
	int r = inet_prefix_parse(value, true, &d->ipv6);
	if (r < 0 || d->ipv6.addr.family != AF_INET6 || d->ipv6.len != 64) {
		*why = "expected auto or an IPv6 /64 prefix (e.g. fd42:1:2:3::/64)";
		return -EINVAL;
	}
	*why = reserved_why(&d->ipv6);
	return *why ? -EINVAL : 0;
}

static int set_external(void *target, const char *value, const char **why)
{
	if (!ifname_valid(value)) {
		*why = "not a valid interface name";
		return -EINVAL;
	}
	return opt_set_string(target, value, why);
}

static int set_mtu(void *target, const char *value, const char **why)
{
	uint32_t mtu;
	if (parse_u32(value, &mtu) < 0 || mtu < NETWORK_MTU_MIN || mtu > NETWORK_MTU_MAX) {
		*why = "expected a number from 68 to 65535";
		return -EINVAL;
	}
	((struct network_def *)target)->mtu = mtu;
	return 0;
}

#define DEF(field) offsetof(struct network_def, field)

// clang-format off
const struct opt network_options[] = {
	{ "subnet", 0, OPT_REQUIRED, "CIDR", "IPv4 subnet of the network (required)", set_subnet, 0, "Network.Subnet" },
	{ "gateway", 0, OPT_REQUIRED, "IP", "The bridge's address (default: the subnet's first)", set_gateway, 0, "Network.Gateway" },
	{ "nat", 0, OPT_NONE, NULL, "Masquerade traffic leaving the network (default)", opt_set_flag, DEF(nat), "Network.NAT" },
	{ "no-nat", 0, OPT_NONE, NULL, "Route only, no masquerade", set_no_nat, 0, NULL },
	{ "ipv6", 0, OPT_REQUIRED, "PREFIX|auto", "IPv6 /64 (auto: a random ULA, with NAT66)", set_ipv6, 0, "Network.IPv6" },
	{ "dhcp", 0, OPT_NONE, NULL, "Run dnsmasq: DHCP, router advertisements, DNS for machine names", opt_set_flag, DEF(dhcp), "Network.DHCP" },
	{ "isolated", 0, OPT_NONE, NULL, "No traffic to or from other hako networks", opt_set_flag, DEF(isolated), "Network.Isolated" },
	{ "external", 0, OPT_REQUIRED, "IFACE", "Masquerade only out of IFACE", set_external, DEF(external), "Network.External" },
	{ "mtu", 0, OPT_REQUIRED, "N", "MTU of the bridge, the veths and host0 (68-65535; across hosts: 1500 less VXLAN's headers)", set_mtu, 0, "Network.MTU" },
	{ "peer", 0, OPT_REQUIRED, "ADDR", "Span the hosts at these addresses (this one included; one each, or A,B,...) over VXLAN", peers_set_peer, 0, "Network.Peer" },
	{ "local", 0, OPT_REQUIRED, "ADDR", "Which --peer= is this host (default: the one found on it)", peers_set_local, 0, "Network.Local" },
	{ "vni", 0, OPT_REQUIRED, "N", "VXLAN network identifier, 1-16777215 (default: derived from NAME)", peers_set_vni, 0, "Network.VNI" },
	{ "vxlan-port", 0, OPT_REQUIRED, "PORT", "VXLAN's UDP port (default 4789)", peers_set_port, 0, "Network.VXLANPort" },
	{ "dhcp-host", 0, OPT_REQUIRED, "ADDR", "The --peer= that runs DHCP/DNS for all (implies --dhcp; default: the first)", peers_set_dhcp_host, 0, "Network.DHCPHost" },
};
// clang-format on
const size_t network_options_n = ELEMENTSOF(network_options);

void network_def_done(struct network_def *d)
{
	free(d->name);
	free(d->external);
	*d = (struct network_def){ 0 };
}

bool network_name_valid(const char *name)
{
	return machine_name_valid(name) && strlen(name) <= NETWORK_NAME_MAX && !strchr(name, '.');
}

/* A random fdXX:XXXX:XXXX:XXXX::/64, as RFC 4193 asks for ULA prefixes. */
static int random_ula(struct inet_prefix *p)
{
	char hex[15];
	int r = random_hex(hex, 7);
	if (r < 0)
		return r;
	char s[48];
	snprintf(s, sizeof(s), "fd%.2s:%.4s:%.4s:%.4s::/64", hex, hex + 2, hex + 6, hex + 10);
	return inet_prefix_parse(s, true, p);
}

int network_def_finish(struct network_def *d)
{
	char a[INET_PREFIX_STRLEN], b[INET_PREFIX_STRLEN];
	if (!network_name_valid(d->name)) {
		log_error("invalid network name '%s': letters, digits, - and _, at most %d bytes "
			  "(its bridge hk-NAME must fit an interface name)",
			  d->name, NETWORK_NAME_MAX);
		return -EINVAL;
	}
	snprintf(d->bridge, sizeof(d->bridge), "hk-%s", d->name);
	if (d->subnet.addr.family != AF_INET) {
		log_error("network %s: --subnet= is required", d->name);
		return -EINVAL;
	}
	uint64_t off, size = inet_prefix_size(&d->subnet);
	if (!d->has_gateway)
		inet_prefix_nth(&d->subnet, 1, &d->gateway);
	if (inet_prefix_offset(&d->subnet, &d->gateway, &off) < 0 || off == 0 || off == size - 1) {
		log_error("network %s: gateway %s is not a host address of subnet %s", d->name,
			  inet_addr_str(&d->gateway, a), inet_prefix_str(&d->subnet, b));
		return -EINVAL;
	}
	if (d->has_ipv6 && d->mtu && d->mtu < NETWORK_MTU_MIN6) {
		log_error("network %s: MTU %u is below IPv6's minimum of %d", d->name, d->mtu,
			  NETWORK_MTU_MIN6);
		return -EINVAL;
	}
	if (d->ipv6_auto) {
		int r = random_ula(&d->ipv6);
		if (r < 0)
			return log_errno(r, "cannot pick an IPv6 prefix");
		d->ipv6_auto = false;
	}
	return peers_finish(d);
}

void network_gateway6(const struct network_def *d, struct inet_addr *ret)
{
	inet_prefix_nth(&d->ipv6, 1, ret);
}

/* A bridge without an address of its own takes its lowest port's, so the gateway's MAC would
 * change whenever a container with a lower one joins or the owner of the current one leaves, and
 * every container's ARP entry for it would point at a MAC no longer answered. Docker and
 * systemd-networkd set one for the same reason. Derived from the name, so a network brought down
 * and up keeps it; across hosts, each host's differs (the gateway's frames never cross, but two
 * bridges on one segment with one MAC would see their own address arrive). */
static void network_bridge_mac(const struct network_def *d, uint8_t mac[6])
{
	char seed[IFNAMSIZ + INET_PREFIX_STRLEN + 2], peer[INET_PREFIX_STRLEN] = "";
	if (d->n_peers > 0)
		inet_addr_str(&d->peers[d->local_peer], peer);
	snprintf(seed, sizeof(seed), "%s@%s", d->bridge, peer);
	mac_from_name(seed, mac);
}

static char *definition_path(const char *name)
{
	return hako_path(HAKO_DIR_CONFIG, "networks/%s.network", name);
}

static int def_entry(void *userdata, const struct ini_pos *pos, const char *section, const char *section_arg,
		     const char *key, const char *value)
{
	(void)section_arg;
	const struct opt_group g[] = { { NULL, network_options, network_options_n } };
	const struct opt *o;
	const char *why = "invalid value";
	if (opts_find_setting(g, 1, section, key, &o) < 0) {
		log_warning("%s:%u: unknown key %s.%s, ignored", pos->file, pos->line, section, key);
		return 0;
	}
	if (o->set((char *)userdata + o->offset, value, &why) < 0) {
		log_error("%s:%u: invalid %s=%s: %s", pos->file, pos->line, key, value, why);
		return -EINVAL;
	}
	return 0;
}

int network_parse(const char *text, const char *file, struct network_def *d)
{
	static const struct ini_handler h = { .entry = def_entry };
	int r = ini_parse_string(text, file, &h, d);
	return r < 0 ? r : network_def_finish(d);
}

int network_load(const char *name, struct network_def *ret)
{
	struct network_def d = { .nat = true };
	if (!network_name_valid(name)) {
		log_error("invalid network name '%s'", name);
		return -EINVAL;
	}
	_cleanup_free_ char *path = definition_path(name);
	if (!path || !(d.name = strdup(name)))
		return log_errno(-ENOMEM, "out of memory");
	if (access(path, F_OK) < 0) {
		log_error("no network named %s (hako network create %s --subnet=...)", name, name);
		network_def_done(&d);
		return -ENOENT;
	}
	_cleanup_free_ char *text = NULL;
	int r = read_file(path, &text, NULL);
	if (r < 0)
		log_errno(r, "cannot read %s", path);
	else
		r = network_parse(text, path, &d);
	if (r < 0) {
		network_def_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}

bool network_exists(const char *name)
{
	_cleanup_free_ char *path = definition_path(name);
	return path && access(path, F_OK) == 0;
}

/* A definition as its file holds it. */
static char *network_text(const struct network_def *d)
{
	char s[INET_PREFIX_STRLEN], g[INET_PREFIX_STRLEN], v6[INET_PREFIX_STRLEN + 8] = "";
	if (d->has_ipv6)
		snprintf(v6, sizeof(v6), "IPv6=%s\n", inet_prefix_str(&d->ipv6, g));
	_cleanup_free_ char *ext = d->external ? xasprintf("External=%s\n", d->external) : strdup("");
	_cleanup_free_ char *mtu = d->mtu ? xasprintf("MTU=%u\n", d->mtu) : strdup("");
	_cleanup_free_ char *peers = peers_text(d);
	if (!ext || !mtu || !peers)
		return NULL;
	return xasprintf(
		"# hako network %s\n[Network]\nSubnet=%s\nGateway=%s\nNAT=%s\n%sDHCP=%s\nIsolated=%s\n%s%s%s",
		d->name, inet_prefix_str(&d->subnet, s), inet_addr_str(&d->gateway, g), d->nat ? "yes" : "no",
		v6, d->dhcp ? "yes" : "no", d->isolated ? "yes" : "no", ext, mtu, peers);
}

int network_save(const struct network_def *d)
{
	_cleanup_free_ char *text = network_text(d), *path = definition_path(d->name);
	if (!text || !path)
		return -ENOMEM;
	int r = hako_mkdir(HAKO_DIR_CONFIG, "networks");
	/* Whole or not at all: an empty definition left by a full disk could not be removed. */
	return r < 0 ? r : write_file_atomic(path, text, 0644, true);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int network_list_names(char ***ret)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_CONFIG, "networks");
	_cleanup_strv_free_ char **names = NULL;
	if (!dir)
		return -ENOMEM;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d && errno != ENOENT)
		return -errno;
	for (struct dirent *de; d && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (n <= 8 || !endswith(de->d_name, ".network"))
			continue;
		_cleanup_free_ char *name = strndup(de->d_name, n - 8);
		if (!name || strv_push(&names, name) < 0)
			return -ENOMEM;
	}
	if (names)
		qsort(names, strv_length(names), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(names);
	return 0;
}

/* ---- lock and members ---- */

int net_lock(void)
{
	_cleanup_free_ char *path = hako_path(HAKO_DIR_RUNTIME, "net.lock");
	if (!path)
		return -ENOMEM;
	const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
	/* The directory exists but on the first call: no mkdir walk on every container start. */
	_cleanup_close_ int fd = open(path, flags, 0600);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd < 0) {
		int r = hako_mkdir(HAKO_DIR_RUNTIME, "");
		if (r < 0)
			return r;
		fd = open(path, flags, 0600);
		if (fd < 0)
			return -errno;
	}
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return TAKE_FD(fd);
}

int members_add(const char *dir, const char *machine)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, machine);
	_cleanup_free_ char *pid = xasprintf("%d\n", (int)getpid());
	if (!path || !pid)
		return -ENOMEM;
	int r = write_file(path, pid, O_CREAT | O_TRUNC, 0644);
	if (r != -ENOENT)
		return r;
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	return write_file(path, pid, O_CREAT | O_TRUNC, 0644);
}

void members_remove(const char *dir, const char *machine)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, machine);
	if (path)
		(void)unlink(path);
}

static bool pid_file_alive(int dirfd, const char *name)
{
	char buf[32] = "";
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		return false;
	int pid = atoi(buf);
	return pid_alive(pid);
}

bool members_alive(const char *dir, const char *machine)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 && pid_file_alive(fd, machine);
}

int members_count_live(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int n = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.' && pid_file_alive(dirfd(d), de->d_name))
			n++;
	return n;
}

/* ---- up and down ---- */

/* The runtime directory of a network holds "up" once all its parts are (issue 18.2): a
 * command killed half way leaves a network that is down, never one listed up without its
 * rules, and network_up completes it. */
bool network_is_up(const char *name)
{
	_cleanup_free_ char *up = hako_path(HAKO_DIR_RUNTIME, "networks/%s/up", name);
	return up && access(up, F_OK) == 0;
}

static int bridge_up(const struct network_def *d)
{
	uint8_t mac[6];
	network_bridge_mac(d, mac);
	_cleanup_rtnl_ struct rtnl *r = NULL;
	int err = rtnl_open(-1, &r);
	if (err < 0)
		return log_errno(err, "cannot open rtnetlink");
	err = rtnl_link_add(r, &(struct rtnl_link){ .name = d->bridge,
						    .kind = "bridge",
						    .up = true,
						    .mtu = d->mtu,
						    .mac = mac });
	if (err < 0)
		return log_errno(err, "cannot create bridge %s", d->bridge);
	int idx = rtnl_ifindex(r, d->bridge);
	struct inet_prefix gw = { .addr = d->gateway, .len = d->subnet.len };
	struct inet_prefix gw6 = { .len = 64 };
	network_gateway6(d, &gw6.addr);
	struct inet_prefix dns = { .len = d->subnet.len };
	network_dns_addr(d, &dns.addr);
	rtnl_begin(r);
	rtnl_addr_add(r, idx, &gw);
	if (d->has_ipv6)
		rtnl_addr_add(r, idx, &gw6);
	if (network_has_dns_addr(d) && network_runs_dnsmasq(d))
		rtnl_addr_add(r, idx, &dns);
	err = idx < 0 ? idx : rtnl_commit(r);
	if (err < 0)
		return log_errno(err, "cannot set the addresses of bridge %s%s%s", d->bridge,
				 *rtnl_error_message(r) ? ": " : "", rtnl_error_message(r));
	return 0;
}

/* Forwarding for the host, and route_localnet on the bridge so 127.0.0.1:PORT can be DNAT'ed
 * into the network (the source is then masqueraded to the bridge's address). */
static int sysctls_up(const struct network_def *d)
{
	char key[128];
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", d->bridge);
	const char *const on[] = { "net/ipv4/ip_forward", key,
				   d->has_ipv6 ? "net/ipv6/conf/all/forwarding" : NULL };
	for (size_t i = 0; i < ELEMENTSOF(on); i++) {
		int r = on[i] ? sysctl_write(-1, on[i], "1") : 0;
		if (r < 0)
			return log_errno(r, "cannot enable forwarding for network %s", d->name);
	}
	return 0;
}

static int apply(const char *what, const struct network_def *d, char *text)
{
	_cleanup_free_ char *t = text, *err = NULL;
	if (!t)
		return log_errno(-ENOMEM, "out of memory");
	int r = nft_run(t, &err);
	if (r < 0)
		log_error("cannot %s of network %s: %s", what, d->name, err ? err : "nftables failed");
	return r;
}

/* The network's own rules: its chains and elements, and across hosts the VXLAN's gateway
 * filter with them, so that no part of them is ever in place without the rest. */
static char *network_rules_text(const struct network_def *d)
{
	_cleanup_free_ char *own = rules_network_add(d);
	if (!own || !d->n_peers)
		return TAKE_PTR(own);
	_cleanup_free_ char *filter = peers_rules_add(d);
	return filter ? xasprintf("%s%s", own, filter) : NULL;
}

/* Two transactions, not one: the kernel refuses (ENOENT) an element of an interval map (masq4)
 * that jumps to a chain made in the same transaction as the map. A failure in the second is
 * undone by network_down(), which deletes the table with the last network. */
static int rules_up(const struct network_def *d)
{
	int r = apply("bring hako's nftables table up to date for the rules", d, rules_base());
	if (r < 0)
		return r;
	return apply("add the nftables rules", d, network_rules_text(d));
}

/* Across hosts, the vxlan link joins the bridge once the gateway filter is in place. */
static int segment_up(const struct network_def *d)
{
	if (!d->n_peers)
		return 0;
	int bridge = if_nametoindex(d->bridge);
	if (bridge == 0)
		return log_errno(-errno, "network %s: its bridge %s is gone", d->name, d->bridge);
	return peers_up(d, bridge);
}

/* The table goes with the last network: nothing of hako's stays in nftables. */
static void rules_down(const struct network_def *d)
{
	_cleanup_free_ char *text = rules_network_del(d), *err = NULL;
	if (text && nft_run(text, &err) < 0)
		log_debug("removing rules of %s: %s", d->name, err);
	/* A transaction of its own, unlike up's one for both: a half-made network may lack either
	 * part, and a delete of what is missing would fail the whole transaction. */
	_cleanup_free_ char *vx = d->n_peers ? peers_rules_del(d) : NULL, *err_vx = NULL;
	if (vx && nft_run(vx, &err_vx) < 0)
		log_debug("removing the VXLAN filter of %s: %s", d->name, err_vx);
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "networks");
	_cleanup_closedir_ DIR *dd = dir ? opendir(dir) : NULL;
	for (struct dirent *de; dd && (de = readdir(dd));)
		if (de->d_name[0] != '.' && !streq(de->d_name, d->name))
			return;
	_cleanup_free_ char *err2 = NULL, *err3 = NULL;
	(void)nft_run("delete table " NETWORK_TABLE "\n", &err2);
	(void)nft_run("delete table " PEERS_TABLE "\n", &err3);
}

static void bridge_down(const struct network_def *d)
{
	_cleanup_rtnl_ struct rtnl *r = NULL;
	char vx[IFNAMSIZ];
	peers_vxlan_name(d, vx);
	if (rtnl_open(-1, &r) < 0)
		return;
	/* The vxlan link (its FDB goes with it) of a network across hosts, or of one whose
	 * definition is broken or gone (down_by_name's, which has no subnet): it may have had one. */
	bool definition_known = d->subnet.addr.family == AF_INET;
	if (d->n_peers > 0 || !definition_known)
		(void)rtnl_link_del(r, vx);
	(void)rtnl_link_del(r, d->bridge);
}

int network_down(const struct network_def *d)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "networks/%s", d->name);
	_cleanup_free_ char *up = hako_path(HAKO_DIR_RUNTIME, "networks/%s/up", d->name);
	if (!dir || !up)
		return -ENOMEM;
	/* Down from the first step: a down killed half way leaves it for up to complete. */
	if (unlink(up) < 0 && errno != ENOENT)
		return -errno;
	dnsmasq_stop(d);
	rules_down(d);
	bridge_down(d);
	return rm_rf(dir);
}

/* The definition a network was brought up with, kept in its runtime directory: what was made
 * can be taken down even when its definition is gone (a create killed before it saved it) or
 * broken. */
static int load_made(const char *name, struct network_def *ret)
{
	_cleanup_free_ char *path = hako_path(HAKO_DIR_RUNTIME, "networks/%s/network", name);
	_cleanup_free_ char *text = NULL;
	struct network_def d = { .nat = true, .name = strdup(name) };
	int r = path && d.name ? read_file(path, &text, NULL) : -ENOMEM;
	if (r < 0) {
		network_def_done(&d);
		return r;
	}
	r = network_parse(text, path, &d);
	if (r < 0) {
		network_def_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}

/* Takes down what runs under a name: as made, if its runtime directory tells; else all that
 * the name alone tells (the bridge hk-NAME, a dnsmasq by its pid file). */
static void down_by_name(const char *name)
{
	struct network_def d = { 0 };
	if (load_made(name, &d) == 0) {
		(void)network_down(&d);
		network_def_done(&d);
		return;
	}
	d = (struct network_def){ .name = (char *)name, .dhcp = true };
	snprintf(d.bridge, sizeof(d.bridge), "hk-%s", name);
	(void)network_down(&d);
}

void network_collect_orphans(void)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "networks");
	_cleanup_closedir_ DIR *dd = dir ? opendir(dir) : NULL;
	for (struct dirent *de; dd && (de = readdir(dd));) {
		_cleanup_free_ char *def = definition_path(de->d_name);
		if (de->d_name[0] != '.' && network_name_valid(de->d_name) && def && access(def, F_OK) < 0)
			down_by_name(de->d_name);
	}
}

int network_remove_broken(const char *name)
{
	_cleanup_free_ char *def = definition_path(name);
	_cleanup_free_ char *state = hako_path(HAKO_DIR_STATE, "networks/%s", name);
	if (!def || !state)
		return -ENOMEM;
	if (access(def, F_OK) < 0)
		return -errno;
	down_by_name(name);
	if (unlink(def) < 0)
		return -errno;
	return rm_rf(state);
}

/* What network_up makes, in order; each step is undone by network_down. */
static int made_record(const struct network_def *d)
{
	_cleanup_free_ char *text = network_text(d);
	_cleanup_free_ char *path = hako_path(HAKO_DIR_RUNTIME, "networks/%s/network", d->name);
	return text && path ? write_file(path, text, O_CREAT | O_TRUNC, 0644) : -ENOMEM;
}

static int mark_up(const struct network_def *d)
{
	_cleanup_free_ char *up = hako_path(HAKO_DIR_RUNTIME, "networks/%s/up", d->name);
	return up ? write_file(up, "", O_CREAT | O_TRUNC, 0644) : -ENOMEM;
}

/* The parts in order, "up" last. */
static int make_parts(const struct network_def *d)
{
	int r = bridge_up(d);
	if (r < 0)
		return r;
	r = sysctls_up(d);
	if (r < 0)
		return r;
	r = rules_up(d);
	if (r < 0)
		return r;
	r = segment_up(d);
	if (r < 0)
		return r;
	r = network_runs_dnsmasq(d) ? dnsmasq_start(d) : 0;
	if (r < 0)
		return r;
	r = mark_up(d);
	if (r < 0)
		return log_errno(r, "cannot mark network %s up", d->name);
	return 0;
}

int network_up(const struct network_def *d)
{
	if (network_is_up(d->name))
		return 0;
	_cleanup_free_ char *sub = xasprintf("networks/%s", d->name);
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "networks/%s", d->name);
	if (!sub || !dir)
		return log_errno(-ENOMEM, "out of memory");
	/* Parts a killed command left, perhaps made from another definition: none is trusted. */
	if (access(dir, F_OK) == 0)
		down_by_name(d->name);
	int r = hako_mkdir(HAKO_DIR_RUNTIME, sub);
	if (r < 0)
		return log_errno(r, "cannot create the runtime directory of network %s", d->name);
	r = made_record(d);
	if (r < 0)
		return log_errno(r, "cannot create the runtime directory of network %s", d->name);
	r = make_parts(d);
	if (r < 0)
		network_down(d);
	return r;
}

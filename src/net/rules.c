#include "net/rules.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

/* hako's maps and sets. "add" leaves one that exists as it is, with its elements. */
// clang-format off
static const struct { const char *kind, *name, *spec; } base_objects[] = {
	{ "map", "ports4", "type inet_proto . inet_service : ipv4_addr . inet_service;" },
	{ "map", "ports6", "type inet_proto . inet_service : ipv6_addr . inet_service;" },
	{ "set", "bridges", "type ifname;" },
	{ "map", "fwd_in", "type ifname : verdict;" },
	{ "map", "fwd_out", "type ifname : verdict;" },
	{ "map", "masq4", "type ipv4_addr : verdict; flags interval;" },
	{ "map", "masq6", "type ipv6_addr : verdict; flags interval;" },
};
// clang-format on

/* The base chains hold only these rules, which dispatch through the maps: they are flushed and
 * written again each time, so a table made by an older hako gets the current ones. */
// clang-format off
static const struct { const char *name, *hook, *rules[4]; } base_chains[] = {
	/* Host ports: from outside (prerouting) and from the host itself (output). */
	{ "prerouting", "type nat hook prerouting priority dstnat; policy accept;", {
		"meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @ports4",
		"meta nfproto ipv6 fib daddr type local dnat ip6 to meta l4proto . th dport map @ports6" } },
	/* Not [::1]: IPv6 has no route_localnet, the reply (de-NATed to ::1 on arrival from the
	 * bridge) fails the input route lookup. hako relays [::1]:PORT in user space. */
	{ "output", "type nat hook output priority -100; policy accept;", {
		"meta nfproto ipv4 fib daddr type local dnat ip to meta l4proto . th dport map @ports4",
		"meta nfproto ipv6 ip6 daddr != ::1 fib daddr type local dnat ip6 to meta l4proto . th dport map @ports6" } },
	/* 127.0.0.1:PORT DNAT'ed out of a bridge (route_localnet=1 lets it route) must not keep
	 * the loopback source, which the container could never answer. */
	{ "postrouting", "type nat hook postrouting priority srcnat; policy accept;", {
		"ip saddr 127.0.0.0/8 oifname @bridges masquerade",
		"ip saddr vmap @masq4",
		"ip6 saddr vmap @masq6" } },
	/* CVE-2020-8558 (kube-proxy's fix): route_localnet on the bridges lets a container send a
	 * frame to the gateway's MAC with destination 127.0.0.1 and reach the host's loopback-only
	 * services. From a bridge, 127.0.0.0/8 may only be a port forward's own traffic: the replies
	 * of connections the output chain DNAT'ed. */
	{ "input", "type filter hook input priority filter; policy accept;", {
		"iifname @bridges ip daddr 127.0.0.0/8 ct status & dnat == 0 drop" } },
	{ "forward", "type filter hook forward priority filter; policy accept;", {
		"iifname vmap @fwd_in",
		"oifname vmap @fwd_out",
		"iifname @bridges accept" } },
};
// clang-format on

static void write_base(FILE *f, const void *arg)
{
	(void)arg;
	fprintf(f, "add table " NETWORK_TABLE "\n");
	for (size_t i = 0; i < ELEMENTSOF(base_objects); i++)
		fprintf(f, "add %s " NETWORK_TABLE " %s { %s }\n", base_objects[i].kind, base_objects[i].name,
			base_objects[i].spec);
	for (size_t i = 0; i < ELEMENTSOF(base_chains); i++) {
		const char *name = base_chains[i].name;
		fprintf(f, "add chain " NETWORK_TABLE " %s { %s }\nflush chain " NETWORK_TABLE " %s\n", name,
			base_chains[i].hook, name);
		for (const char *const *rule = base_chains[i].rules; *rule; rule++)
			fprintf(f, "add rule " NETWORK_TABLE " %s %s\n", name, *rule);
	}
}

bool ipv6_is_ula(const struct inet_prefix *p)
{
	return p->addr.family == AF_INET6 && (p->addr.bytes[0] & 0xfe) == 0xfc && p->len >= 7;
}

/* Masquerade out of any interface but the network's own bridge, or only out of --external. */
static void put_masq(FILE *f, const struct network_def *d, const char *chain, const char *map,
		     const struct inet_prefix *p)
{
	char buf[INET_PREFIX_STRLEN];
	fprintf(f, "add chain " NETWORK_TABLE " %s_%s\n", chain, d->name);
	if (d->external)
		fprintf(f, "add rule " NETWORK_TABLE " %s_%s oifname \"%s\" masquerade\n", chain, d->name,
			d->external);
	else
		fprintf(f, "add rule " NETWORK_TABLE " %s_%s oifname != \"%s\" masquerade\n", chain, d->name,
			d->bridge);
	fprintf(f, "add element " NETWORK_TABLE " %s { %s : jump %s_%s }\n", map, inet_prefix_str(p, buf),
		chain, d->name);
}

char *rules_text(void (*w)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	w(f, arg);
	/* open_memstream() sets buf only at fclose(). */
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *rules_base(void)
{
	return rules_text(write_base, NULL);
}

static void write_network_add(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	const char *n = d->name, *br = d->bridge;
	fprintf(f, "add chain " NETWORK_TABLE " in_%s\nadd chain " NETWORK_TABLE " out_%s\n", n, n);
	if (d->isolated) {
		fprintf(f, "add rule " NETWORK_TABLE " in_%s oifname != \"%s\" oifname @bridges drop\n", n,
			br);
		fprintf(f, "add rule " NETWORK_TABLE " out_%s iifname != \"%s\" iifname @bridges drop\n", n,
			br);
	}
	fprintf(f, "add rule " NETWORK_TABLE " out_%s ct state established,related accept\n", n);
	fprintf(f, "add rule " NETWORK_TABLE " out_%s ct status dnat accept\n", n);
	fprintf(f, "add element " NETWORK_TABLE " bridges { \"%s\" }\n", br);
	fprintf(f, "add element " NETWORK_TABLE " fwd_in { \"%s\" : jump in_%s }\n", br, n);
	fprintf(f, "add element " NETWORK_TABLE " fwd_out { \"%s\" : jump out_%s }\n", br, n);
	if (d->nat)
		put_masq(f, d, "masq", "masq4", &d->subnet);
	if (d->nat && d->has_ipv6 && ipv6_is_ula(&d->ipv6))
		put_masq(f, d, "masq6", "masq6", &d->ipv6);
}

char *rules_network_add(const struct network_def *d)
{
	return rules_text(write_network_add, d);
}

static void write_network_del(FILE *f, const void *arg)
{
	const struct network_def *d = arg;
	const char *n = d->name, *br = d->bridge;
	char p[INET_PREFIX_STRLEN];
	/* Elements first: they hold the references that keep the chains from being deleted. */
	fprintf(f, "delete element " NETWORK_TABLE " bridges { \"%s\" }\n", br);
	fprintf(f, "delete element " NETWORK_TABLE " fwd_in { \"%s\" }\n", br);
	fprintf(f, "delete element " NETWORK_TABLE " fwd_out { \"%s\" }\n", br);
	if (d->nat)
		fprintf(f, "delete element " NETWORK_TABLE " masq4 { %s }\n", inet_prefix_str(&d->subnet, p));
	if (d->nat && d->has_ipv6 && ipv6_is_ula(&d->ipv6))
		fprintf(f, "delete element " NETWORK_TABLE " masq6 { %s }\n", inet_prefix_str(&d->ipv6, p));
	fprintf(f, "delete chain " NETWORK_TABLE " in_%s\ndelete chain " NETWORK_TABLE " out_%s\n", n, n);
	if (d->nat)
		fprintf(f, "delete chain " NETWORK_TABLE " masq_%s\n", n);
	if (d->nat && d->has_ipv6 && ipv6_is_ula(&d->ipv6))
		fprintf(f, "delete chain " NETWORK_TABLE " masq6_%s\n", n);
}

char *rules_network_del(const struct network_def *d)
{
	return rules_text(write_network_del, d);
}

struct ports_args {
	const struct port_spec *ports;
	unsigned n;
	const struct inet_addr *addr;
	bool add;
};

static void write_ports(FILE *f, const void *arg)
{
	const struct ports_args *a = arg;
	char addr[INET_PREFIX_STRLEN];
	fprintf(f, "%s element " NETWORK_TABLE " ports%c { ", a->add ? "create" : "delete",
		a->addr->family == AF_INET6 ? '6' : '4');
	for (unsigned i = 0; i < a->n; i++) {
		const char *proto = a->ports[i].proto == IPPROTO_UDP ? "udp" : "tcp";
		fprintf(f, "%s%s . %u", i ? ", " : "", proto, a->ports[i].host_port);
		if (a->add)
			fprintf(f, " : %s . %u", inet_addr_str(a->addr, addr), a->ports[i].container_port);
	}
	fprintf(f, " }\n");
}

char *rules_ports(const struct port_spec *ports, unsigned n, const struct inet_addr *addr4,
		  const struct inet_addr *addr6, bool add)
{
	_cleanup_free_ char *v4 =
		addr4 ? rules_text(write_ports, &(struct ports_args){ ports, n, addr4, add }) : strdup("");
	_cleanup_free_ char *v6 =
		addr6 ? rules_text(write_ports, &(struct ports_args){ ports, n, addr6, add }) : strdup("");
	return v4 && v6 ? xasprintf("%s%s", v4, v6) : NULL;
}

char *rules_bridge(const char *ifname, bool add)
{
	return xasprintf("%s element " NETWORK_TABLE " bridges { \"%s\" }\n", add ? "add" : "delete", ifname);
}

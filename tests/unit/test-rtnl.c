/* rtnetlink and nftables against the kernel, inside private network namespaces this test makes
 * (unshare): nothing of the machine's own network is touched. Skipped when not root. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "net/netns.h"
#include "net/nft.h"
#include "net/rtnl.h"
#include "net/rules.h"
#include "tap.h"

static int ns_a = -1, ns_b = -1; /* two fresh namespaces; the test thread sits in ns_a */

static int if_in(int ns, const char *name)
{
	struct rtnl *r;
	if (rtnl_open(ns, &r) < 0)
		return -1;
	int idx = rtnl_ifindex(r, name);
	rtnl_close(r);
	return idx;
}

static void test_links_batched(void)
{
	struct rtnl *r;
	CHECK(rtnl_open(-1, &r) == 0);
	rtnl_begin(r);
	rtnl_link_add(r, &(struct rtnl_link){ .name = "br-t", .kind = "bridge", .up = true });
	rtnl_link_add(r, &(struct rtnl_link){ .name = "d0", .kind = "bridge", .mtu = 1400 });
	for (int i = 0; i < 100; i++) {
		char host[IFNAMSIZ], peer[IFNAMSIZ];
		snprintf(host, sizeof(host), "vh%d", i);
		snprintf(peer, sizeof(peer), "vp%d", i);
		rtnl_link_add(r, &(struct rtnl_link){ .name = host,
						      .kind = "veth",
						      .peer = peer,
						      .peer_netns_fd = &ns_b,
						      .up = true });
	}
	CHECK(rtnl_commit(r) == 0);
	int br = rtnl_ifindex(r, "br-t");
	CHECK(br > 0);
	CHECK(rtnl_link_change(r, &(struct rtnl_link){ .name = "vh7", .master = br }) == 0);
	CHECK(rtnl_ifindex(r, "vh99") > 0);
	CHECK(rtnl_ifindex(r, "vp99") == -ENODEV); /* the peer lives in ns_b */
	CHECK(if_in(ns_b, "vp99") > 0);
	/* A failure in the middle of a batch is reported, the rest still applies. */
	rtnl_begin(r);
	rtnl_link_add(r, &(struct rtnl_link){ .name = "d0", .kind = "bridge" });
	rtnl_link_add(r, &(struct rtnl_link){ .name = "d1", .kind = "veth", .peer = "d1p" });
	CHECK(rtnl_commit(r) == -EEXIST);
	CHECK(rtnl_ifindex(r, "d1") > 0);
	CHECK(rtnl_link_change(r, &(struct rtnl_link){ .name = "d1", .new_name = "d2", .up = true }) == 0);
	CHECK(rtnl_ifindex(r, "d2") > 0 && rtnl_ifindex(r, "d1") == -ENODEV);
	CHECK(rtnl_link_change(r, &(struct rtnl_link){ .name = "d2", .netns_fd = &ns_b }) == 0);
	CHECK(if_in(ns_b, "d2") > 0 && rtnl_ifindex(r, "d2") == -ENODEV);
	rtnl_begin(r);
	for (int i = 0; i < 100; i++) {
		char host[IFNAMSIZ];
		snprintf(host, sizeof(host), "vh%d", i);
		rtnl_link_del(r, host);
	}
	CHECK(rtnl_commit(r) == 0);
	CHECK(if_in(ns_b, "vp5") == -ENODEV); /* deleting one end of a veth deletes both */
	CHECK(rtnl_link_del(r, "nonexistent") == -ENODEV);
	rtnl_close(r);
}

static void test_addr_route(void)
{
	struct rtnl *r;
	CHECK(rtnl_open(ns_b, &r) == 0);
	CHECK(rtnl_link_add(r, &(struct rtnl_link){ .name = "d9", .kind = "bridge", .up = true }) == 0);
	int idx = rtnl_ifindex(r, "d9");
	struct inet_prefix p4, p6, net;
	struct inet_addr gw;
	inet_prefix_parse("10.9.0.2/24", false, &p4);
	inet_prefix_parse("fd09::2/64", false, &p6);
	inet_prefix_parse("10.77.0.0/16", true, &net);
	inet_addr_parse("10.9.0.1", &gw);
	rtnl_begin(r);
	rtnl_addr_add(r, idx, &p4);
	rtnl_addr_add(r, idx, &p6);
	rtnl_route_add(r, NULL, &gw, idx);
	rtnl_route_add(r, &net, &gw, 0);
	CHECK(rtnl_commit(r) == 0);
	/* The kernel's reason is kept for a failure. */
	inet_addr_parse("192.168.50.1", &gw);
	CHECK(rtnl_route_add(r, &net, &gw, idx) < 0);
	CHECK(rtnl_error_message(r)[0] != 0);
	rtnl_close(r);
	/* What the routes resolve to is the kernel's business; reading it back checks they exist. */
	int saved;
	CHECK(netns_enter(ns_b, &saved) == 0);
	_cleanup_free_ char *out = NULL;
	CHECK(read_file("/proc/net/route", &out, NULL) == 0);
	CHECK(out && strstr(out, "d9\t00000000\t0100090A") != NULL); /* default via 10.9.0.1 */
	CHECK(out && strstr(out, "d9\t00004D0A\t0100090A") != NULL); /* 10.77/16 via 10.9.0.1 */
	netns_leave(saved);
	CHECK(sysctl_write(ns_b, "net/ipv4/ip_forward", "1") == 0);
	_cleanup_free_ char *fwd = NULL;
	CHECK(read_line_file("/proc/sys/net/ipv4/ip_forward", &fwd) == 0 && streq(fwd, "0"));
	CHECK(netns_enter(ns_b, &saved) == 0);
	free(fwd);
	fwd = NULL;
	CHECK(read_line_file("/proc/sys/net/ipv4/ip_forward", &fwd) == 0 && streq(fwd, "1"));
	netns_leave(saved);
}

static void test_nft(void)
{
	char *err = NULL, *out = NULL;
	int r = nft_run("table inet t1 {\n chain c { type filter hook input priority 0; }\n}\n"
			"add rule inet t1 c tcp dport 22 accept\n",
			&err);
	CHECK(r == 0);
	/* One transaction: the bad second half undoes the good first half. */
	CHECK(nft_run("add table inet t2\nadd rule inet t2 nochain accept\n", &err) == -EINVAL);
	CHECK(err && strstr(err, "Error") != NULL);
	free(err);
	err = NULL;
	CHECK(nft_query("list tables", &out, &err) == 0);
	CHECK(out && strstr(out, "t1") && !strstr(out, "t2"));
	free(out);
	out = NULL;
	CHECK(nft_run_in(ns_b, "add table ip t3\n", &err) == 0);
	CHECK(nft_query("list tables", &out, &err) == 0);
	CHECK(out && !strstr(out, "t3"));
	free(out);
}

/* hako's ruleset texts are accepted by nftables, and removing a network removes exactly what
 * adding it made. */
static void test_rules_apply(void)
{
	struct network_def a = { .nat = true, .name = strdup("ra") },
			   b = { .nat = true, .name = strdup("rb") };
	CHECK(network_parse("[Network]\nSubnet=10.7.0.0/24\nIPv6=fd07::/64\nIsolated=yes\n", "ra", &a) == 0);
	CHECK(network_parse("[Network]\nSubnet=10.8.0.0/24\nExternal=eth0\n", "rb", &b) == 0);
	char *err = NULL, *before = NULL, *after = NULL;
	char *base = rules_base(), *add_a = rules_network_add(&a), *add_b = rules_network_add(&b);
	char *del_a = rules_network_del(&a);
	struct port_spec p = { IPPROTO_TCP, 8080, 80 };
	struct inet_addr a6;
	network_gateway6(&a, &a6);
	char *fwd = rules_ports(&p, 1, &a.gateway, &a6, true);
	CHECK(nft_run(base, &err) == 0);
	CHECK(nft_run(add_b, &err) == 0);
	CHECK(nft_query("list table inet hako", &before, &err) == 0);
	CHECK(nft_run(add_a, &err) == 0);
	CHECK(nft_run(fwd, &err) == 0);
	CHECK(nft_run(fwd, &err) == -EINVAL); /* the host port is taken */
	free(err);
	err = NULL;
	free(fwd);
	fwd = rules_ports(&p, 1, &a.gateway, &a6, false);
	CHECK(nft_run(fwd, &err) == 0);
	CHECK(nft_run(del_a, &err) == 0);
	CHECK(nft_query("list table inet hako", &after, &err) == 0);
	CHECK_STREQ(before, after);
	CHECK(nft_run("delete table inet hako\n", &err) == 0);
	const char *texts[] = { base, add_a, add_b, del_a, fwd, before, after, err };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free((char *)texts[i]);
	network_def_done(&a);
	network_def_done(&b);
}

/* rules_base() again changes nothing; on the table of an older hako (a map missing, a base
 * chain with a rule since changed) it writes today's base chains and keeps the elements. */
static void test_rules_base_upgrade(void)
{
	char *err = NULL, *fresh = NULL, *again = NULL, *upgraded = NULL, *base = rules_base();
	const char *forward = "add element inet hako ports4 { tcp . 8080 : 10.9.0.2 . 80 }\n";
	CHECK(nft_run(base, &err) == 0);
	CHECK(nft_run(forward, &err) == 0);
	CHECK(nft_query("list table inet hako", &fresh, &err) == 0);
	CHECK(nft_run(base, &err) == 0);
	CHECK(nft_query("list table inet hako", &again, &err) == 0);
	CHECK_STREQ(fresh, again);
	CHECK(nft_run("delete table inet hako\n"
		      "table inet hako {\n"
		      "\tmap ports4 { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
		      "\tchain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
		      "\t\tfib daddr type local dnat ip to meta l4proto . th dport map @ports4\n\t}\n"
		      "}\n",
		      &err) == 0);
	CHECK(nft_run(forward, &err) == 0);
	CHECK(nft_run(base, &err) == 0);
	CHECK(nft_query("list table inet hako", &upgraded, &err) == 0);
	CHECK_STREQ(fresh, upgraded);
	CHECK(nft_run("delete table inet hako\n", &err) == 0);
	const char *texts[] = { base, fresh, again, upgraded, err };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free((char *)texts[i]);
}

/* rtnl_reopen() moves a handle to another namespace: it then sees that namespace's links. */
static void test_reopen(void)
{
	struct rtnl *r;
	CHECK(rtnl_open(-1, &r) == 0);
	CHECK(rtnl_link_add(r, &(struct rtnl_link){ .name = "only-a", .kind = "bridge" }) == 0);
	CHECK(rtnl_reopen(r, ns_b) == 0);
	CHECK(rtnl_ifindex(r, "only-a") == -ENODEV);
	CHECK(rtnl_link_add(r, &(struct rtnl_link){ .name = "only-b", .kind = "bridge" }) == 0);
	CHECK(rtnl_ifindex(r, "only-b") > 0);
	CHECK(rtnl_link_del(r, "only-b") == 0);
	CHECK(rtnl_reopen(r, -1) == 0);
	CHECK(rtnl_ifindex(r, "only-a") > 0);
	CHECK(rtnl_link_del(r, "only-a") == 0);
	CHECK(if_in(ns_b, "only-b") == -ENODEV);
	rtnl_close(r);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	ns_b = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	ns_a = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	RUN(test_links_batched);
	RUN(test_addr_route);
	RUN(test_nft);
	RUN(test_rules_apply);
	RUN(test_rules_base_upgrade);
	RUN(test_reopen);
	TAP_END();
}

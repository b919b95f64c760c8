/* Managed networks across hosts: the peer keys of a definition, each host's slice of the pool,
 * dnsmasq's range and DNS address, and the gateway filter's rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipam.h"
#include "net/network.h"
#include "net/peers.h"
#include "tap.h"

static struct network_def def(const char *text)
{
	struct network_def d = { .nat = true, .name = strdup("lan") };
	if (network_parse(text, "lan.network", &d) < 0)
		d.subnet.len = 0;
	return d;
}

static const char *nth(const struct network_def *d, uint64_t n)
{
	static char buf[4][INET_PREFIX_STRLEN];
	static int i;
	struct inet_addr a;
	inet_prefix_nth(&d->subnet, n, &a);
	return inet_addr_str(&a, buf[i++ % 4]);
}

#define PEERS "[Network]\nSubnet=10.70.0.0/24\nPeer=192.0.2.1\nPeer=192.0.2.2,192.0.2.3\n"

static void test_slices(void)
{
	struct ipam_pool p;
	/* Without DHCP the whole pool [2, 254] in three: 84 each, the rest unused. */
	struct network_def d = def(PEERS "Local=192.0.2.2\n");
	CHECK(d.subnet.len == 24 && d.n_peers == 3 && d.local_peer == 1);
	ipam_pool_of(&d, &p);
	CHECK_STREQ(nth(&d, p.first), "10.70.0.86");
	CHECK_STREQ(nth(&d, p.last), "10.70.0.169");
	CHECK(d.mtu == 1450 && d.vx_port == 4789 && d.vni >= 1 && d.vni <= 0xffffff);
	CHECK(!network_runs_dnsmasq(&d) && !network_has_dns_addr(&d));
	network_def_done(&d);
	/* With DHCP: the lower half [2, 127] in three; the dynamic range the upper half less .254,
	 * the DNS server's, which only the DHCP host (the first peer by default) runs. */
	d = def(PEERS "Local=192.0.2.3\nDHCP=yes\n");
	ipam_pool_of(&d, &p);
	CHECK_STREQ(nth(&d, p.first), "10.70.0.86");
	CHECK_STREQ(nth(&d, p.last), "10.70.0.127");
	struct inet_addr from, to, dns;
	char a[INET_PREFIX_STRLEN], b[INET_PREFIX_STRLEN];
	ipam_dynamic_range(&d, &from, &to);
	CHECK_STREQ(inet_addr_str(&from, a), "10.70.0.128");
	CHECK_STREQ(inet_addr_str(&to, b), "10.70.0.253");
	network_dns_addr(&d, &dns);
	CHECK_STREQ(inet_addr_str(&dns, a), "10.70.0.254");
	CHECK(!network_runs_dnsmasq(&d));
	network_def_done(&d);
	d = def(PEERS "Local=192.0.2.2\nDHCPHost=192.0.2.2\nVNI=77\nVXLANPort=4790\nMTU=9000\n");
	CHECK(network_runs_dnsmasq(&d) && d.vni == 77 && d.vx_port == 4790 && d.mtu == 9000);
	network_def_done(&d);
}

/* What is saved is what is read back. */
static void test_text(void)
{
	struct network_def d = def(PEERS "Local=192.0.2.2\nDHCPHost=192.0.2.3\n");
	char *t = peers_text(&d);
	char *want = NULL;
	CHECK(asprintf(&want,
		       "Peer=192.0.2.1\nPeer=192.0.2.2\nPeer=192.0.2.3\nLocal=192.0.2.2\nVNI=%u\n"
		       "VXLANPort=4789\nDHCPHost=192.0.2.3\n",
		       d.vni) > 0);
	CHECK_STREQ(t, want);
	free(t);
	free(want);
	network_def_done(&d);
}

static void test_bad(void)
{
	/* Each refused with one line, nothing filled. */
	static const char *const bad[] = {
		PEERS "Local=192.0.2.9\n",
		PEERS "Local=192.0.2.1\nDHCPHost=192.0.2.9\n",
		"[Network]\nSubnet=10.70.0.0/24\nPeer=192.0.2.1\nLocal=192.0.2.1\n",
		"[Network]\nSubnet=10.70.0.0/24\nPeer=192.0.2.1,192.0.2.1\nLocal=192.0.2.1\n",
		"[Network]\nSubnet=10.70.0.0/24\nPeer=192.0.2.1,2001:db8::1\nLocal=192.0.2.1\n",
		"[Network]\nSubnet=10.70.0.0/24\nVNI=5\n",
		PEERS "Local=192.0.2.1\nVNI=16777216\n",
		PEERS "Local=192.0.2.1\nVXLANPort=0\n",
		"[Network]\nSubnet=10.70.0.0/30\nPeer=192.0.2.1,192.0.2.2,192.0.2.3\nLocal=192.0.2.1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct network_def d = def(bad[i]);
		CHECK(d.subnet.len == 0);
		network_def_done(&d);
	}
}

static void test_rules(void)
{
	struct network_def d = def(PEERS "Local=192.0.2.1\nIPv6=fd42::/64\n");
	char *t = peers_rules_add(&d);
	CHECK(t && strstr(t, "add chain bridge hako vx_lan { type filter hook forward"));
	CHECK(t && strstr(t, "add rule bridge hako vx_lan iifname \"hx-lan\" arp daddr ip 10.70.0.1 drop\n"));
	CHECK(t &&
	      strstr(t, "add rule bridge hako vxo_lan oifname \"hx-lan\" arp saddr ip 10.70.0.1 drop\n"));
	CHECK(t && strstr(t, "icmpv6 type nd-neighbor-solicit ip6 daddr ff02::1:ff00:1 drop\n"));
	free(t);
	network_def_done(&d);
}

int main(void)
{
	RUN(test_slices);
	RUN(test_text);
	RUN(test_bad);
	RUN(test_rules);
	TAP_END();
}

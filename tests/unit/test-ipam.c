#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipam.h"
#include "net/network.h"
#include "net/rules.h"
#include "tap.h"

static struct network_def def(const char *text)
{
	struct network_def d = { .nat = true, .name = strdup("t1") };
	if (network_parse(text, "t1.network", &d) < 0)
		d.subnet.len = 0;
	return d;
}

static const char *pick(const struct network_def *d, const char *leases, const char *m, bool *is_new)
{
	static char buf[INET_PREFIX_STRLEN];
	struct ipam_pool pool;
	struct inet_addr a;
	ipam_pool_of(d, &pool);
	int r = ipam_pick(&pool, leases, m, &a, is_new);
	return r == -ENOSPC ? "full" : r < 0 ? "error" : inet_addr_str(&a, buf);
}

static void test_pick(void)
{
	struct network_def d = def("[Network]\nSubnet=10.0.0.0/29\nGateway=10.0.0.3\n");
	bool is_new;
	CHECK_STREQ(pick(&d, NULL, "a", &is_new), "10.0.0.2");
	CHECK(is_new);
	/* The gateway's address is skipped. */
	CHECK_STREQ(pick(&d, "a 10.0.0.2\n", "b", &is_new), "10.0.0.4");
	CHECK_STREQ(pick(&d, "a 10.0.0.2\nb 10.0.0.4\n", "b", &is_new), "10.0.0.4");
	CHECK(!is_new);
	CHECK_STREQ(pick(&d, "a 10.0.0.2\nb 10.0.0.4\nc 10.0.0.5\nd 10.0.0.6\n", "e", &is_new), "full");
	/* A freed address in the middle is reused first. */
	CHECK_STREQ(pick(&d, "a 10.0.0.2\nc 10.0.0.5\n", "e", &is_new), "10.0.0.4");
	CHECK_STREQ(pick(&d, "garbage\n", "e", &is_new), "error");
	network_def_done(&d);
	/* With DHCP the upper half is dnsmasq's. */
	d = def("[Network]\nSubnet=10.1.0.0/24\nDHCP=yes\n");
	struct inet_addr from, to;
	char a[INET_PREFIX_STRLEN], b[INET_PREFIX_STRLEN];
	ipam_dynamic_range(&d, &from, &to);
	CHECK_STREQ(inet_addr_str(&from, a), "10.1.0.128");
	CHECK_STREQ(inet_addr_str(&to, b), "10.1.0.254");
	network_def_done(&d);
}

static void test_definitions(void)
{
	struct network_def d =
		def("[Network]\nSubnet=10.2.0.0/24\nIPv6=fd00:1:2:3::/64\nIsolated=yes\nNAT=no\n");
	char buf[INET_PREFIX_STRLEN];
	CHECK(d.subnet.len == 24 && d.isolated && !d.nat && d.has_ipv6);
	CHECK_STREQ(inet_addr_str(&d.gateway, buf), "10.2.0.1");
	CHECK_STREQ(d.bridge, "hk-t1");
	struct inet_addr v4, v6;
	inet_addr_parse("10.2.0.7", &v4);
	ipam_ipv6_of(&d, &v4, &v6);
	CHECK_STREQ(inet_addr_str(&v6, buf), "fd00:1:2:3::7");
	network_def_done(&d);
	d = def("[Network]\nSubnet=10.2.0.0/24\nMTU=1279\n");
	CHECK(d.mtu == 1279);
	network_def_done(&d);
	const char *bad[] = { "[Network]\nSubnet=10.2.0.1/24\n",
			      "[Network]\nSubnet=fd00::/64\n",
			      "[Network]\nSubnet=10.2.0.0/24\nGateway=10.3.0.1\n",
			      "[Network]\nSubnet=10.2.0.0/24\nGateway=10.2.0.255\n",
			      "[Network]\nSubnet=10.2.0.0/24\nIPv6=fd00::/48\n",
			      "[Network]\n",
			      "[Network]\nSubnet=10.2.0.0/24\nMTU=67\n",
			      "[Network]\nSubnet=10.2.0.0/24\nMTU=65536\n",
			      "[Network]\nSubnet=10.2.0.0/24\nMTU=1279\nIPv6=fd00::/64\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = def(bad[i]);
		CHECK(d.subnet.len == 0);
		network_def_done(&d);
	}
	CHECK(!network_name_valid("thirteen-char"));
	CHECK(network_name_valid("twelve-chars"));
}

static void test_mac_and_rules(void)
{
	uint8_t a[6], b[6], c[6];
	mac_from_name("box", a);
	mac_from_name("box", b);
	mac_from_name("box2", c);
	CHECK(memcmp(a, b, 6) == 0 && memcmp(a, c, 6) != 0);
	CHECK((a[0] & 0x03) == 0x02);
	struct network_def d = def("[Network]\nSubnet=10.3.0.0/24\nIPv6=fd00:9::/64\nExternal=eth7\n");
	char *add = rules_network_add(&d), *del = rules_network_del(&d);
	CHECK(add && strstr(add, "add rule inet hako masq_t1 oifname \"eth7\" masquerade\n"));
	CHECK(add && strstr(add, "masq6 { fd00:9::/64 : jump masq6_t1 }"));
	CHECK(del && strstr(del, "delete chain inet hako masq6_t1\n"));
	free(add);
	free(del);
	struct port_spec ports[] = { { IPPROTO_TCP, 8080, 80 }, { IPPROTO_UDP, 53, 5353 } };
	struct inet_addr ip, ip6;
	inet_addr_parse("10.3.0.2", &ip);
	inet_addr_parse("fd00:9::2", &ip6);
	char *p = rules_ports(ports, 2, &ip, NULL, true), *q = rules_ports(ports, 2, &ip, &ip6, false);
	CHECK_STREQ(
		p,
		"create element inet hako ports4 { tcp . 8080 : 10.3.0.2 . 80, udp . 53 : 10.3.0.2 . 5353 }\n");
	CHECK_STREQ(q, "delete element inet hako ports4 { tcp . 8080, udp . 53 }\n"
		       "delete element inet hako ports6 { tcp . 8080, udp . 53 }\n");
	free(p);
	p = rules_ports(ports, 1, NULL, &ip6, true);
	CHECK_STREQ(p, "create element inet hako ports6 { tcp . 8080 : fd00:9::2 . 80 }\n");
	free(p);
	free(q);
	struct inet_prefix ula, gua;
	inet_prefix_parse("fd12::/64", true, &ula);
	inet_prefix_parse("2001:db8::/64", true, &gua);
	CHECK(ipv6_is_ula(&ula) && !ipv6_is_ula(&gua));
	network_def_done(&d);
}

static bool starts_with_x(const char *machine, void *userdata)
{
	(void)userdata;
	return machine[0] == 'x';
}

/* Leases of ended containers are dropped line by line; the rest stays as it was. */
static void test_filter(void)
{
	char *out = NULL;
	size_t dropped = 9;
	CHECK(ipam_filter("a 10.0.0.2\nx1 10.0.0.3\nb 10.0.0.4\nx2 10.0.0.5\n", starts_with_x, NULL, &out,
			  &dropped) == 0);
	CHECK(dropped == 2 && !strcmp(out, "a 10.0.0.2\nb 10.0.0.4\n"));
	free(out);
	CHECK(ipam_filter(NULL, starts_with_x, NULL, &out, &dropped) == 0);
	CHECK(dropped == 0 && !strcmp(out, ""));
	free(out);
	CHECK(ipam_filter("broken-line\n", starts_with_x, NULL, &out, &dropped) == -EINVAL);
}

int main(void)
{
	RUN(test_pick);
	RUN(test_filter);
	RUN(test_definitions);
	RUN(test_mac_and_rules);
	TAP_END();
}

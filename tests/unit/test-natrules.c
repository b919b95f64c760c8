/* NAT rulesets for all nine mapping × filtering pairs, hairpin, PortForward= and UdpTimeout=:
 * each pair must carry exactly the pieces that make its behaviour (see src/lab/natrules.h).
 * With HAKO_DUMP_RULES=DIR the rulesets are also written there, for checking with `nft -c -f`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/natrules.h"
#include "tap.h"

static struct lab_topology *lab(const char *nat_keys)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "[Network inet]\nSubnet=100.64.0.0/16\n[Network lan0]\nSubnet=10.0.1.0/24\n"
		 "[Node c0]\nNetwork=lan0\n[Nat gw]\nInside=lan0\nOutside=inet\n%s\n",
		 nat_keys);
	struct lab_topology *t = NULL;
	if (topology_parse_string(text, "t.lab", &t) < 0)
		return NULL;
	return t;
}

static const char *const names[] = { "endpoint-independent", "address-dependent",
				     "address-and-port-dependent" };

static void dump(const char *name, const char *text)
{
	const char *dir = getenv("HAKO_DUMP_RULES");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.nft", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_matrix(void)
{
	for (int m = 0; m < 3; m++)
		for (int f = 0; f < 3; f++) {
			char keys[256], name[16];
			snprintf(keys, sizeof(keys), "Mapping=%s\nFiltering=%s\n", names[m], names[f]);
			struct lab_topology *t = lab(keys);
			char *rules = NULL;
			CHECK(t && nat_ruleset(t, &t->nats[0], &rules) == 0);
			if (!rules) {
				topology_free(t);
				continue;
			}
			snprintf(name, sizeof(name), "m%d-f%d", m, f);
			dump(name, rules);
			/* Mapping: a reverse map for EI/AD, keyed on the remote address for AD. */
			CHECK((strstr(rules, "map @rev") != NULL) == (m != NAT_APD));
			CHECK((strstr(rules, "th sport . ip daddr map @rev") != NULL) == (m == NAT_AD));
			CHECK((strstr(rules, "set used") != NULL) == (m == NAT_EI));
			CHECK((strstr(rules,
				      "{ tcp, udp } snat ip to 100.64.0.1 : 1024-65535 fully-random\n") !=
			       NULL) == (m != NAT_EI));
			/* Filtering: a cone map for EI/AD, keyed on the remote address for AD. */
			CHECK((strstr(rules, "map @cone") != NULL) == (f != NAT_APD));
			CHECK((strstr(rules, "th dport . ip saddr map @cone") != NULL) == (f == NAT_AD));
			CHECK((strstr(rules, "update @cone { meta l4proto . th sport . ip daddr") != NULL) ==
			      (f == NAT_AD));
			/* RFC 4787 REQ-6 (issue 16.1): the inside's answers refresh its mapping too. */
			CHECK((strstr(rules,
				      "ct direction reply meta l4proto udp update @cone { meta l4proto . th sport") !=
			       NULL) == (f != NAT_APD));
			CHECK((strstr(rules,
				      "ct direction reply meta l4proto udp update @rev { meta l4proto . ct reply ip saddr . ct reply proto-src") !=
			       NULL) == (m != NAT_APD));
			CHECK(strstr(rules, "chain learn_in") ==
			      NULL); /* InboundRefresh= is off by default */
			/* Every NAT drops what came from outside unasked. */
			CHECK(strstr(rules, "iifname \"inet\" oifname \"lan0\" drop") != NULL);
			CHECK(strncmp(rules, "table ip hako_nat {\n", 19) == 0); /* for a new namespace */
			CHECK(strstr(rules, "timeout 300s") != NULL || f == NAT_APD);
			free(rules);
			topology_free(t);
		}
}

static void test_extras(void)
{
	struct lab_topology *t = lab(
		"Type=full-cone\nHairpin=yes\nUdpTimeout=5\nInboundRefresh=yes\nPortForward=udp:54321:c0:12345\n"
		"Route=10.9.0.0/16 via 10.0.1.7\n");
	char *rules = NULL;
	CHECK(t && nat_ruleset(t, &t->nats[0], &rules) == 0);
	if (rules) {
		dump("extras", rules);
		CHECK(strstr(rules,
			     "iifname { \"inet\", \"lan0\" } ip daddr 100.64.0.1 udp dport 54321 dnat ip to 10.0.1.2:12345\n") !=
		      NULL);
		CHECK(strstr(rules, "tcp dport 54321") == NULL);
		CHECK(strstr(rules,
			     "oifname \"lan0\" ct status dnat ip saddr @inside snat ip to 100.64.0.1\n") !=
		      NULL);
		CHECK(strstr(rules, "elements = { 10.0.1.0/24, 10.9.0.0/16 }") != NULL);
		CHECK(strstr(rules,
			     "meta l4proto udp update @cone { meta l4proto . th sport timeout 5s : ct original ip saddr") !=
		      NULL);
		CHECK(strstr(rules,
			     "meta l4proto tcp update @cone { meta l4proto . th sport timeout 7440s") !=
		      NULL);
		/* InboundRefresh=yes: packets from outside that passed the filter refresh the mapping,
		 * whose external port is the one they were sent to. */
		CHECK(strstr(rules, "chain learn_in {\n\t\ttype filter hook forward priority filter + 1;") !=
		      NULL);
		CHECK(strstr(rules,
			     "iifname \"inet\" ct direction original meta l4proto udp update @cone { meta l4proto . ct original proto-dst timeout 5s : ip daddr . th dport }") !=
		      NULL);
		CHECK(strstr(rules,
			     "iifname \"inet\" ct direction reply meta l4proto udp update @rev { meta l4proto . ip daddr . th dport timeout 5s : ct reply proto-dst }") !=
		      NULL);
		/* Endpoint-independent filtering hairpins through the cone map itself. */
		CHECK(strstr(rules, "@hairpin") == NULL);
		CHECK(strstr(rules,
			     "snat ip to 100.64.0.1 : meta l4proto . ip saddr . th sport map @rev\n") !=
		      NULL);
	}
	struct nat_sysctl s[NAT_SYSCTLS_MAX];
	CHECK(t && nat_sysctls(&t->nats[0], s, NAT_SYSCTLS_MAX) == 8);
	if (t) {
		CHECK_STREQ(s[0].path, "net/ipv4/ip_forward");
		CHECK_STREQ(s[2].path, "net/netfilter/nf_conntrack_udp_timeout_stream");
		CHECK_STREQ(s[2].value, "5");
		/* RFC 5508 REQ-2 and RFC 5382 REQ-5's floors (docs/nat-conformance.md). */
		CHECK_STREQ(s[3].path, "net/netfilter/nf_conntrack_icmp_timeout");
		CHECK_STREQ(s[3].value, "60");
		CHECK_STREQ(s[7].path, "net/netfilter/nf_conntrack_tcp_timeout_close_wait");
		CHECK_STREQ(s[7].value, "240");
	}
	/* The table is cut where the caller's room ends. */
	CHECK(t && nat_sysctls(&t->nats[0], s, 2) == 2);
	free(rules);
	topology_free(t);
	/* Without UdpTimeout= bindings and conntrack entries last 300 s (RFC 4787 REQ-5c). A
	 * symmetric NAT hairpins through a map of its own, keyed on the external port alone. */
	t = lab("Type=symmetric\nHairpin=yes\n");
	CHECK(t && nat_sysctls(&t->nats[0], s, NAT_SYSCTLS_MAX) == 8);
	CHECK(t && strcmp(s[1].value, "300") == 0);
	rules = NULL;
	CHECK(t && nat_ruleset(t, &t->nats[0], &rules) == 0);
	if (rules) {
		dump("symmetric-hairpin", rules);
		CHECK(strstr(rules,
			     "iifname \"lan0\" ip daddr 100.64.0.1 meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @hairpin\n") !=
		      NULL);
		CHECK(strstr(rules,
			     "meta l4proto udp update @hairpin { meta l4proto . th sport timeout 300s : ct original ip saddr") !=
		      NULL);
		CHECK(strstr(rules, "map @rev") == NULL);
	}
	free(rules);
	topology_free(t);
}

int main(void)
{
	RUN(test_matrix);
	RUN(test_extras);
	TAP_END();
}

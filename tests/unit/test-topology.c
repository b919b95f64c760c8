/* Topology files: the example lab, address allocation, and one error per kind of bad
 * file, each naming FILE:LINE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/topology.h"
#include "lab/encrypt.h"
#include "lab/vxlan.h"
#include "tap.h"

static const char natlab[] =
	"[Lab]\nName=natlab\n\n"
	"[Network inet]\nSubnet=100.64.0.0/16\n\n"
	"[Network lan0]\nSubnet=10.0.1.0/24\n\n"
	"[Network lan1]\nSubnet=10.0.2.0/24\n\n"
	"[Nat c0-nat]\nInside=lan0\nOutside=inet\nType=full-cone\nPortForward=udp:54321:c0:12345\n\n"
	"[Nat c1-nat]\nInside=lan1\nOutside=inet\nType=restricted-cone\nUdpTimeout=5s\n\n"
	"[Node c0]\nNetwork=lan0\n\n"
	"[Node c1]\nNetwork=lan1\nDirectory=/var/lib/machines/noble\nEphemeral=yes\n";

static char *ip(uint32_t a)
{
	static char buf[4][16];
	static int i;
	return (char *)ip_str(a, buf[i++ % 4]);
}

static void test_natlab(void)
{
	struct lab_topology *t = NULL;
	CHECK(topology_parse_string(natlab, "natlab.lab", &t) == 0);
	if (!t)
		return;
	CHECK_STREQ(t->name, "natlab");
	CHECK(t->n_networks == 3 && t->n_nats == 2 && t->n_nodes == 2);
	CHECK(t->nats[0].mapping == NAT_EI && t->nats[0].filtering == NAT_EI);
	CHECK(t->nats[1].mapping == NAT_EI && t->nats[1].filtering == NAT_AD);
	CHECK_STREQ(nat_type_name(t->nats[1].mapping, t->nats[1].filtering), "restricted-cone");
	CHECK(t->nats[1].udp_timeout_s == 5);
	/* Gateways take .1, outside addresses follow in file order, nodes after the gateway. */
	CHECK_STREQ(ip(t->nats[0].inside_addr), "10.0.1.1");
	CHECK_STREQ(ip(t->nats[0].outside_addr), "100.64.0.1");
	CHECK_STREQ(ip(t->nats[1].outside_addr), "100.64.0.2");
	CHECK_STREQ(ip(t->nodes[0].addr), "10.0.1.2");
	CHECK_STREQ(ip(t->nodes[1].addr), "10.0.2.2");
	CHECK_STREQ(ip(t->networks[0].responder[0]), "100.64.255.254");
	CHECK_STREQ(ip(t->networks[0].responder[1]), "100.64.255.253");
	CHECK(t->networks[1].responder[0] == 0);
	CHECK_STREQ(ip(t->networks[1].gateway), "10.0.1.1");
	CHECK(t->nats[0].outside_gateway == 0);
	CHECK(t->nats[0].n_forwards == 1 && t->nats[0].forwards[0].protos == PROTO_UDP);
	CHECK_STREQ(ip(t->nats[0].forwards[0].to_addr), "10.0.1.2");
	CHECK(t->nodes[1].ephemeral && t->nodes[1].directory);
	topology_free(t);
}

static void test_nested_and_router(void)
{
	const char *text =
		"[Network inet]\nSubnet=100.64.0.0/16\n[Network cgn]\nSubnet=100.100.0.0/24\n"
		"[Network home]\nSubnet=192.168.1.0/24\n"
		"[Nat isp]\nInside=cgn\nOutside=inet\nMapping=address-dependent\nFiltering=endpoint-independent\n"
		"[Nat homegw]\nInside=home\nOutside=cgn\nType=symmetric\n"
		"[Node pc]\nNetwork=home\nAddress=192.168.1.50\n"
		"[Network dmz]\nSubnet=172.16.0.0/24\n[Router r1]\nNetworks=inet dmz\nRoute=10.9.0.0/16 via 100.64.0.9\n"
		"[Node web]\nNetwork=dmz\nAddress=172.16.0.7/24\n";
	struct lab_topology *t = NULL;
	CHECK(topology_parse_string(text, "/x/home.lab", &t) == 0);
	if (!t)
		return;
	CHECK_STREQ(t->name, "home");
	CHECK(t->nats[0].mapping == NAT_AD && t->nats[0].filtering == NAT_EI);
	CHECK(nat_type_name(NAT_AD, NAT_EI) == NULL);
	CHECK_STREQ(ip(t->nats[1].outside_gateway), ip(t->nats[0].inside_addr));
	CHECK_STREQ(ip(t->nodes[0].addr), "192.168.1.50");
	CHECK_STREQ(ip(t->nodes[1].addr), "172.16.0.7"); /* with its network's prefix, as ip writes it */
	CHECK_STREQ(ip(t->networks[3].gateway), ip(t->routers[0].addrs[1]));
	CHECK(t->routers[0].routes.n == 1 && t->routers[0].routes.items[0].dest.prefix == 16);
	CHECK(t->networks[1].responder[0] == 0 && t->networks[0].responder[0] != 0);
	topology_free(t);
}

/* Parses text expecting failure; returns the one error line it logged. */
static const char *error_of(const char *text)
{
	static char line[512];
	fflush(stderr);
	int saved = dup(2);
	FILE *f = tmpfile();
	dup2(fileno(f), 2);
	struct lab_topology *t = NULL;
	int r = topology_parse_string(text, "bad.lab", &t);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	line[0] = 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	if (r >= 0) {
		topology_free(t);
		return "(accepted)";
	}
	return line;
}

static void test_errors(void)
{
	// clang-format off
	static const struct { const char *text, *error; } cases[] = {
		{ "[Lab]\nName=x\n[Bogus]\n", "hako: bad.lab:3: unknown section [Bogus]" },
		{ "[Network a]\nSubnet=10.0.0.0/24\nColour=red\n", "hako: bad.lab:3: unknown key Colour= in [Network]" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=b\n", "hako: bad.lab:3: Network=b: no [Network b] in this file" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Network a]\nSubnet=10.0.1.0/24\n", "hako: bad.lab:3: duplicate network 'a' (also on line 1)" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\n[Node n]\nNetwork=a\n", "hako: bad.lab:5: duplicate name 'n' (also on line 3)" },
		{ "[Network a]\nSubnet=10.0.0.0/16\n[Network b]\nSubnet=10.0.5.0/24\n", "hako: bad.lab:3: subnet of 'b' overlaps 'a' (line 1)" },
		{ "[Network averyveryverylongname]\nSubnet=10.0.0.0/24\n", "hako: bad.lab:1: network name 'averyveryverylongname' is too long for an interface name (15 characters at most)" },
		{ "[Network a]\nSubnet=10.0.0.300/24\n", "hako: bad.lab:2: Subnet=10.0.0.300/24: not an IPv4 subnet ADDRESS/PREFIX" },
		{ "[Network a]\nSubnet=10.0.0.1/24\n", "hako: bad.lab:2: Subnet=10.0.0.1/24: host bits set (not a subnet address)" },
		{ "[Network a]\n", "hako: bad.lab:1: [Network a] needs Subnet=" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Nat g]\nInside=a\nOutside=a\n", "hako: bad.lab:3: [Nat g] Inside= and Outside= are the same network" },
		{ "[Nat g]\nType=full-cone\nMapping=endpoint-independent\n", "hako: bad.lab:3: Mapping=endpoint-independent: Type= is already set (use either Type= or Mapping=/Filtering=)" },
		{ "[Nat g]\nType=half-cone\n", "hako: bad.lab:2: Type=half-cone: not full-cone, restricted-cone, port-restricted-cone or symmetric" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Network b]\nSubnet=10.0.1.0/24\n[Nat x]\nInside=a\nOutside=b\n[Nat y]\nInside=b\nOutside=a\n", "hako: bad.lab:5: NATs form a loop through 'x'" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\nAddress=10.0.1.5\n", "hako: bad.lab:5: address is outside a's subnet" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\nAddress=10.0.0.5/16\n", "hako: bad.lab:5: prefix /16 does not match network a's /24" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\nAddress=10.0.0.5\n[Node m]\nNetwork=a\nAddress=10.0.0.5\n", "hako: bad.lab:8: address is already used (line 5)" },
		{ "[Network a]\nSubnet=10.0.0.0/30\n[Node n]\nNetwork=a\n", "hako: bad.lab:3: network 'a' has no free address left" },
		{ "[Link ghost]\nDelay=5ms\n", "hako: bad.lab:1: [Link ghost]: no [Node ghost] in this file" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\n[Link n]\nDelay=20ms\n[Link n]\nRate=10mbit\n", "hako: bad.lab:7: duplicate [Link n] (also on line 5)" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\n[Link n]\nJitter=3ms\n", "hako: bad.lab:5: [Link n] Jitter= needs Delay=" },
		{ "[Link n]\nRate=10furlongs\n", "hako: bad.lab:2: Rate=10furlongs: not a rate such as 10mbit, 512kbit or 1gbit (1kbit..100gbit)" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\n[Link n]\nLoss=200%\n", "hako: bad.lab:6: Loss=200%: not a percentage between 0 and 100" },
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Nat g]\nInside=a\nOutside=b\n", "hako: bad.lab:3: Outside=b: no [Network b] in this file" },
		{ "[Nat g]\nPortForward=80:web\n", "hako: bad.lab:2: PortForward=80:web: not [tcp:|udp:]PORT:NODE:PORT" },
		{ "[Node]\n", "hako: bad.lab:1: [Node] needs a name: [Section NAME]" },
		{ "[Lab]\nName=bad/name\n", "hako: bad.lab:2: lab name 'bad/name' is not valid (letters, digits, '-', '_', '.', at most 32)" },
		/* Issue 18.13: at the line of Name=, not line 1. */
		{ "# a lab\n\n[Lab]\nName=\n", "hako: bad.lab:4: lab name '' is not valid (letters, digits, '-', '_', '.', at most 32)" },
		/* Labs across hosts (issue 17). */
		{ "[Network a]\nSubnet=10.0.0.0/24\n[Node n]\nNetwork=a\nHost=h\n", "hako: bad.lab:3: [Node n] Host=h: no [Host h] in this file" },
		{ "[Host h]\nAddress=10.0.0.1\n[Host h]\nAddress=10.0.0.2\n", "hako: bad.lab:3: duplicate host 'h' (also on line 1)" },
		{ "[Host h]\nAddress=fd00::1\n[Host g]\nAddress=fd00::1\n", "hako: bad.lab:4: Address=fd00::1 is also host 'h''s (line 2)" },
		{ "[Host h]\nAddress=host.example\n", "hako: bad.lab:2: Address=host.example: not an IPv4 or IPv6 address" },
		{ "[Host h]\nAddress=10.0.0.1\nInterface=a/b\n", "hako: bad.lab:3: Interface=a/b: not an interface name" },
		{ "[Host h/1]\nAddress=10.0.0.1\n", "hako: bad.lab:1: host name 'h/1' is not valid (letters, digits, '-', '_', '.')" },
		{ "[Lab]\nVxlanPort=0\n", "hako: bad.lab:2: VxlanPort=0: not a UDP port (1..65535)" },
		{ "[Network a]\nSubnet=10.0.0.0/24\nMtu=100\n", "hako: bad.lab:3: Mtu=100: not an MTU between 576 and 65465" },
		/* Encrypt=wireguard (issue 17). */
		{ "[Lab]\nEncrypt=ipsec\n", "hako: bad.lab:2: Encrypt=ipsec: not wireguard or none" },
		{ "[Host h]\nAddress=10.0.0.1\nPublicKey=abc\n", "hako: bad.lab:3: PublicKey=abc: not a WireGuard key (44 characters of base64, as hako lab keys prints it)" },
		{ "[Host h]\nAddress=10.0.0.1\nSsh=-oProxyCommand=x\n", "hako: bad.lab:3: Ssh=-oProxyCommand=x: not an ssh destination ([USER@]HOST, not starting with '-')" },
		{ "[Host h]\nAddress=10.0.0.1\nSsh=a$(id)\n", "hako: bad.lab:3: Ssh=a$(id): not an ssh destination ([USER@]HOST, not starting with '-')" },
		{ "[Lab]\nEncrypt=wireguard\nEncryptSubnet=10.1.0.0/30\n[Host a]\nAddress=10.0.0.1\n[Host b]\nAddress=10.0.0.2\n[Host c]\nAddress=10.0.0.3\n",
		  "hako: bad.lab:3: EncryptSubnet=10.1.0.0/30 has room for 2 hosts, the lab has 3" },
		{ "[Lab]\nEncrypt=wireguard\n[Host a]\nAddress=10.0.0.1\n[Network n]\nSubnet=172.31.0.0/16\n",
		  "hako: bad.lab:2: EncryptSubnet=172.31.255.0/24 (the default) overlaps network 'n' (line 5): set another" },
	};
	// clang-format on
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STREQ(error_of(cases[i].text), cases[i].error);
}

/* Which host holds what, the VNIs and MTUs every host derives alike from the file. */
static void test_hosts(void)
{
	const char *text =
		"[Lab]\nName=split\nVxlanPort=8472\n[Host a]\nAddress=192.0.2.1\n[Host b]\nAddress=192.0.2.2\n"
		"[Network inet]\nSubnet=100.64.0.0/16\n[Network lan]\nSubnet=10.0.1.0/24\nVni=42\n"
		"[Network solo]\nSubnet=10.0.2.0/24\nMtu=9000\n"
		"[Nat gw]\nHost=b\nInside=lan\nOutside=inet\n[Node pc]\nNetwork=lan\n[Node q]\nNetwork=solo\n";
	struct lab_topology *t = NULL;
	CHECK(topology_parse_string(text, "split.lab", &t) == 0);
	if (!t)
		return;
	CHECK(t->n_hosts == 2 && t->vxlan_port == 8472 && t->local_host == -1);
	CHECK(t->nats[0].host == 1 && t->nodes[0].host == 0 && t->nodes[1].host == 0);
	bool hosts[2];
	/* inet: the NAT on b, the responder on a (the first host). */
	CHECK(lab_network_hosts(t, 0, hosts) == 2 && hosts[0] && hosts[1]);
	CHECK(lab_network_hosts(t, 1, hosts) == 2);
	CHECK(lab_network_hosts(t, 2, hosts) == 1 && hosts[0] && !hosts[1]);
	CHECK(lab_network_vni(t, 1) == 42);
	CHECK(lab_network_vni(t, 0) == lab_network_vni(t, 0) &&
	      lab_network_vni(t, 0) != lab_network_vni(t, 2));
	CHECK(lab_network_vni(t, 0) >= 1 && lab_network_vni(t, 0) <= 0xffffff);
	CHECK(lab_network_mtu(t, 0) == 1450 && lab_network_mtu(t, 2) == 9000);
	topology_free(t);
	/* Encrypted: VXLAN over IPv4 tunnel addresses inside WireGuard over the IPv4 underlay. */
	const char *enc =
		"[Lab]\nEncrypt=wireguard\nEncryptSubnet=10.200.0.0/29\nEncryptPort=51000\n"
		"[Host a]\nAddress=192.0.2.1\n[Host b]\nAddress=192.0.2.2\nSsh=root@b.example\n"
		"[Network n]\nSubnet=10.0.1.0/24\n[Node x]\nNetwork=n\n[Node y]\nNetwork=n\nHost=b\n";
	CHECK(topology_parse_string(enc, "enc.lab", &t) == 0);
	if (t) {
		CHECK(lab_encrypted(t) && t->encrypt_port == 51000 && lab_encrypt_overhead(t) == 60);
		CHECK(lab_tunnel_addr(t, 0) == 0x0ac80001 && lab_tunnel_addr(t, 1) == 0x0ac80002);
		CHECK(lab_network_mtu(t, 0) == 1500 - 50 - 60);
		CHECK_STREQ(t->hosts[1].ssh, "root@b.example");
		CHECK(t->hosts[0].ssh == NULL);
	}
	topology_free(t);
	/* Without [Host]: one host, nothing changes. */
	CHECK(topology_parse_string(natlab, "natlab.lab", &t) == 0);
	if (t)
		CHECK(t->n_hosts == 0 && lab_network_mtu(t, 0) == 0);
	topology_free(t);
}

static void test_cidr(void)
{
	struct lab_cidr c;
	CHECK(cidr_parse("10.1.2.3/8", &c, true) == 0 && c.addr == 0x0a010203 && c.prefix == 8);
	CHECK(cidr_parse("10.1.2.3", &c, true) == -EINVAL);
	CHECK(cidr_parse("10.1.2.3", &c, false) == 0 && c.prefix == 32);
	CHECK(cidr_parse("10.1.2.3/33", &c, true) == -EINVAL);
	CHECK(cidr_parse("10.1.2.3/", &c, true) == -EINVAL);
	CHECK(cidr_parse("fe80::1/64", &c, true) == -EINVAL);
}

int main(void)
{
	RUN(test_natlab);
	RUN(test_nested_and_router);
	RUN(test_errors);
	RUN(test_cidr);
	RUN(test_hosts);
	TAP_END();
}

/* nftables text for a NAT gateway; see natrules.h for the mechanism of each behaviour. */
#include "lab/natrules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <net/if.h>

#include "base/cleanup.h"
#include "base/util.h"

/* TCP bindings live as long as an established TCP connection may idle (RFC 5382: 2h4m). */
#define TCP_BINDING_S 7440
/* Without UdpTimeout=, UDP bindings last 5 minutes, as RFC 4787 REQ-5c recommends. */
#define UDP_BINDING_DEFAULT_S 300

static unsigned udp_binding_s(const struct lab_nat *nat)
{
	return nat->udp_timeout_s ? nat->udp_timeout_s : UDP_BINDING_DEFAULT_S;
}

struct gen {
	FILE *f;
	const struct lab_nat *nat;
	const char *in, *out; /* interface names: the inside and outside networks' names */
	char ext[16];         /* the external address */
	unsigned udp_s;
};

/* Hairpinned packets find their inside endpoint by external port alone, whatever the filtering
 * (as RFC 5780's hairpin test expects): endpoint-independent filtering's cone map is keyed that
 * way already; the others get a map of their own, learned like it. */
static bool hairpin_map(const struct lab_nat *nat)
{
	return nat->hairpin && nat->filtering != NAT_EI;
}

static void map_decl(struct gen *g, const char *name, const char *type)
{
	fprintf(g->f, "\tmap %s {\n\t\ttype %s\n\t\tflags dynamic,timeout\n\t}\n", name, type);
}

static void declare(struct gen *g)
{
	static const char *const rev_types[] = {
		[NAT_EI] = "inet_proto . ipv4_addr . inet_service : inet_service",
		[NAT_AD] = "inet_proto . ipv4_addr . inet_service . ipv4_addr : inet_service",
	};
	static const char *const cone_types[] = {
		[NAT_EI] = "inet_proto . inet_service : ipv4_addr . inet_service",
		[NAT_AD] = "inet_proto . inet_service . ipv4_addr : ipv4_addr . inet_service",
	};
	if (g->nat->mapping != NAT_APD)
		map_decl(g, "rev", rev_types[g->nat->mapping]);
	if (g->nat->mapping == NAT_EI)
		fprintf(g->f,
			"\tset used {\n\t\ttype inet_proto . inet_service\n\t\tflags dynamic,timeout\n\t}\n");
	if (g->nat->filtering != NAT_APD)
		map_decl(g, "cone", cone_types[g->nat->filtering]);
	if (hairpin_map(g->nat))
		map_decl(g, "hairpin", cone_types[NAT_EI]);
}

static void forwards(struct gen *g, const char *iifs)
{
	// clang-format off
	static const struct { unsigned bit; const char *name; } protos[] = {
		{ PROTO_TCP, "tcp" }, { PROTO_UDP, "udp" },
	};
	// clang-format on
	char to[16];
	for (size_t i = 0; i < g->nat->n_forwards; i++) {
		const struct lab_forward *fw = &g->nat->forwards[i];
		for (size_t p = 0; p < ELEMENTSOF(protos); p++)
			if (fw->protos & protos[p].bit)
				fprintf(g->f, "\t\tiifname %s ip daddr %s %s dport %u dnat ip to %s:%u\n",
					iifs, g->ext, protos[p].name, fw->port, ip_str(fw->to_addr, to),
					fw->to_port);
	}
}

static void chain_dnat(struct gen *g)
{
	static const char *const keys[] = {
		[NAT_EI] = "meta l4proto . th dport",
		[NAT_AD] = "meta l4proto . th dport . ip saddr",
	};
	char out_only[IFNAMSIZ + 2], both[2 * IFNAMSIZ + 8];
	snprintf(out_only, sizeof(out_only), "\"%s\"", g->out);
	snprintf(both, sizeof(both), "{ \"%s\", \"%s\" }", g->out, g->in);
	const char *iifs = g->nat->hairpin ? both : out_only;
	fprintf(g->f, "\tchain dnat_in {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	forwards(g, iifs);
	if (g->nat->filtering != NAT_APD)
		/* Hairpinning through the cone map needs a key without the remote address. */
		fprintf(g->f,
			"\t\tiifname %s ip daddr %s meta l4proto { tcp, udp } dnat ip to %s map @cone\n",
			g->nat->filtering == NAT_EI ? iifs : out_only, g->ext, keys[g->nat->filtering]);
	if (hairpin_map(g->nat))
		fprintf(g->f,
			"\t\tiifname \"%s\" ip daddr %s meta l4proto { tcp, udp } dnat ip to %s map @hairpin\n",
			g->in, g->ext, keys[NAT_EI]);
	fprintf(g->f, "\t}\n");
}

static void chain_snat(struct gen *g)
{
	const char *o = g->out;
	fprintf(g->f, "\tchain snat_out {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	if (g->nat->hairpin && g->nat->mapping == NAT_EI)
		/* The sender's own mapping when it has one (RFC 4787 REQ-9: hairpinned packets carry
		 * the external address and port). */
		fprintf(g->f,
			"\t\toifname \"%s\" ct status dnat ip saddr @inside meta l4proto { tcp, udp } snat ip to %s : meta l4proto . ip saddr . th sport map @rev\n",
			g->in, g->ext);
	if (g->nat->hairpin)
		/* Hairpinned packets leave through the inside; the reply must come back through here. */
		fprintf(g->f, "\t\toifname \"%s\" ct status dnat ip saddr %s snat ip to %s\n", g->in,
			"@inside", g->ext);
	switch (g->nat->mapping) {
	case NAT_EI:
		fprintf(g->f,
			"\t\toifname \"%s\" meta l4proto { tcp, udp } snat ip to %s : meta l4proto . ip saddr . th sport map @rev\n",
			o, g->ext);
		fprintf(g->f,
			"\t\toifname \"%s\" meta l4proto { tcp, udp } meta l4proto . th sport @used snat ip to %s : 1024-65535 fully-random\n",
			o, g->ext);
		break;
	case NAT_AD:
		fprintf(g->f,
			"\t\toifname \"%s\" meta l4proto { tcp, udp } snat ip to %s : meta l4proto . ip saddr . th sport . ip daddr map @rev\n",
			o, g->ext);
		/* a new remote address gets a fresh random port */
		__attribute__((fallthrough));
	case NAT_APD:
	default:
		fprintf(g->f,
			"\t\toifname \"%s\" meta l4proto { tcp, udp } snat ip to %s : 1024-65535 fully-random\n",
			o, g->ext);
		break;
	}
	fprintf(g->f, "\t\toifname \"%s\" snat ip to %s\n\t}\n", o, g->ext);
}

/* Which packets learn and refresh mappings, and where the parts of a mapping are for them. A
 * flow the inside started leaves in the original direction; the inside's answers to a flow an
 * outside host started through a mapping leave in the reply direction. Both refresh it (RFC 4787
 * REQ-6: outbound refresh MUST be true): before, a mapping only answered through expired while
 * in use, and a new peer could no longer reach it (issue 16.1). Outbound, the learning runs after
 * SNAT: the packet's source port is the external port. Inbound refresh (InboundRefresh=, REQ-6's
 * MAY) sees packets that passed the filter, after DNAT: the external port is in the conntrack
 * tuple the packet was addressed to. */
struct learner {
	bool inbound;
	const char *direction;
	const char *inside;   /* the inside endpoint */
	const char *ext_port; /* the mapping's external port */
	const char *remote;   /* the outside host's address */
};

static const struct learner learners[] = {
	{ false, "original", "ct original ip saddr . ct original proto-src", "th sport", "ip daddr" },
	{ false, "reply", "ct reply ip saddr . ct reply proto-src", "th sport", "ip daddr" },
	{ true, "original", "ip daddr . th dport", "ct original proto-dst", "ip saddr" },
	{ true, "reply", "ip daddr . th dport", "ct reply proto-dst", "ip saddr" },
};

/* One update per protocol, so UDP and TCP bindings get their own lifetimes. */
static void learn(struct gen *g, const struct learner *l, const char *what, const char *key,
		  const char *value)
{
	static const struct {
		const char *proto;
		unsigned fixed_s;
	} protos[] = { { "udp", 0 }, { "tcp", TCP_BINDING_S } };
	for (size_t i = 0; i < ELEMENTSOF(protos); i++)
		fprintf(g->f,
			"\t\t%s \"%s\" ct direction %s meta l4proto %s update @%s { %s timeout %us%s%s }\n",
			l->inbound ? "iifname" : "oifname", g->out, l->direction, protos[i].proto, what, key,
			protos[i].fixed_s ? protos[i].fixed_s : g->udp_s, value ? " : " : "",
			value ? value : "");
}

static void learn_all(struct gen *g, const struct learner *l)
{
	char ep[96], ep_remote[128], port[64], port_remote[96];
	snprintf(ep, sizeof(ep), "meta l4proto . %s", l->inside);
	snprintf(ep_remote, sizeof(ep_remote), "meta l4proto . %s . %s", l->inside, l->remote);
	snprintf(port, sizeof(port), "meta l4proto . %s", l->ext_port);
	snprintf(port_remote, sizeof(port_remote), "meta l4proto . %s . %s", l->ext_port, l->remote);
	if (g->nat->mapping == NAT_EI) {
		learn(g, l, "rev", ep, l->ext_port);
		learn(g, l, "used", port, NULL);
	} else if (g->nat->mapping == NAT_AD) {
		learn(g, l, "rev", ep_remote, l->ext_port);
	}
	if (g->nat->filtering == NAT_EI)
		learn(g, l, "cone", port, l->inside);
	else if (g->nat->filtering == NAT_AD)
		learn(g, l, "cone", port_remote, l->inside);
	if (hairpin_map(g->nat))
		learn(g, l, "hairpin", port, l->inside);
}

static void chain_learn(struct gen *g)
{
	fprintf(g->f,
		"\tchain learn {\n\t\ttype filter hook postrouting priority srcnat + 1; policy accept;\n");
	for (size_t i = 0; i < ELEMENTSOF(learners); i++)
		if (!learners[i].inbound)
			learn_all(g, &learners[i]);
	fprintf(g->f, "\t}\n");
	if (!g->nat->inbound_refresh)
		return;
	/* After filter_in: a packet it drops refreshes nothing. */
	fprintf(g->f,
		"\tchain learn_in {\n\t\ttype filter hook forward priority filter + 1; policy accept;\n");
	for (size_t i = 0; i < ELEMENTSOF(learners); i++)
		if (learners[i].inbound)
			learn_all(g, &learners[i]);
	fprintf(g->f, "\t}\n");
}

/* Unsolicited packets from outside reach the inside only through a DNAT (cone map or
 * PortForward=); everything else from outside must belong to a flow the inside started. */
static void chain_filter(struct gen *g)
{
	fprintf(g->f,
		"\tchain filter_in {\n\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tiifname \"%s\" oifname \"%s\" ct state established,related accept\n"
		"\t\tiifname \"%s\" oifname \"%s\" ct status dnat accept\n"
		"\t\tiifname \"%s\" oifname \"%s\" drop\n\t}\n",
		g->out, g->in, g->out, g->in, g->out, g->in);
	/* Unsolicited datagrams to the NAT itself are dropped before conntrack confirms them: a
	 * confirmed entry would hold the external port and push a later mapping onto another. */
	fprintf(g->f,
		"\tchain filter_local {\n\t\ttype filter hook input priority filter; policy accept;\n"
		"\t\tiifname \"%s\" ct state new meta l4proto { tcp, udp } drop\n\t}\n",
		g->out);
}

int nat_ruleset(const struct lab_topology *t, const struct lab_nat *nat, char **ret)
{
	char *text = NULL, inside[20];
	size_t len = 0;
	struct gen g = {
		.nat = nat,
		.in = t->networks[nat->inside].name,
		.out = t->networks[nat->outside].name,
		.udp_s = udp_binding_s(nat),
	};
	ip_str(nat->outside_addr, g.ext);
	const struct lab_cidr *sub = &t->networks[nat->inside].subnet;
	snprintf(inside, sizeof(inside), "%s/%u", ip_str(sub->addr, (char[16]){ 0 }), sub->prefix);
	if (!(g.f = open_memstream(&text, &len)))
		return -ENOMEM;
	fprintf(g.f, "table ip " NAT_TABLE " {\n");
	/* The inside: its network and the ones behind routers there (Route=), overlaps merged. */
	fprintf(g.f,
		"\tset inside {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tauto-merge\n\t\telements = { %s",
		inside);
	for (size_t i = 0; i < nat->routes.n; i++)
		fprintf(g.f, ", %s/%u", ip_str(nat->routes.items[i].dest.addr, (char[16]){ 0 }),
			nat->routes.items[i].dest.prefix);
	fprintf(g.f, " }\n\t}\n");
	declare(&g);
	chain_dnat(&g);
	chain_snat(&g);
	chain_learn(&g);
	chain_filter(&g);
	fprintf(g.f, "}\n");
	if (fclose(g.f) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}

/* The kernel's conntrack timeouts that RFC 4787, 5382 and 5508 set floors for; the NAT's own
 * namespace gets them, so the host's conntrack is untouched. docs/nat-conformance.md measures
 * each one. */
static const struct nat_sysctl conntrack_floors[] = {
	/* RFC 5508 REQ-2: an ICMP query session lasts at least 60 s (the kernel's default is 30). */
	{ "net/netfilter/nf_conntrack_icmp_timeout", "60" },
	/* RFC 5382 REQ-5: a half-open or half-closed TCP connection idles 4 min at least (the
	 * kernel's defaults are 120 s for SYN_SENT and FIN_WAIT, 60 s for SYN_RECV, CLOSE_WAIT). */
	{ "net/netfilter/nf_conntrack_tcp_timeout_syn_sent", "240" },
	{ "net/netfilter/nf_conntrack_tcp_timeout_syn_recv", "240" },
	{ "net/netfilter/nf_conntrack_tcp_timeout_fin_wait", "240" },
	{ "net/netfilter/nf_conntrack_tcp_timeout_close_wait", "240" },
};

size_t nat_sysctls(const struct lab_nat *nat, struct nat_sysctl *out, size_t max)
{
	size_t n = 0;
	if (n < max)
		out[n++] = (struct nat_sysctl){ "net/ipv4/ip_forward", "1" };
	/* The conntrack entry must not outlive the binding, nor die before it: an unanswered flow
	 * (udp_timeout, 30 s by default) is a binding too (RFC 4787 REQ-5). */
	static const char *const udp[] = { "net/netfilter/nf_conntrack_udp_timeout",
					   "net/netfilter/nf_conntrack_udp_timeout_stream" };
	for (size_t i = 0; i < ELEMENTSOF(udp) && n < max; i++) {
		out[n] = (struct nat_sysctl){ udp[i], "" };
		snprintf(out[n++].value, sizeof(out[0].value), "%u", udp_binding_s(nat));
	}
	for (size_t i = 0; i < ELEMENTSOF(conntrack_floors) && n < max; i++)
		out[n++] = conntrack_floors[i];
	return n;
}

/* hako lab status: the members of a lab with their addresses, routes and NAT behaviour, as a
 * table or as JSON. Names in a topology are validated ([A-Za-z0-9._-]), so JSON needs no escaping. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/json.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "lab/allhosts.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/link.h"
#include "lab/labcmd.h"

struct status_cfg {
	bool json, all, check;
	unsigned timeout;
};

static int set_timeout(void *target, const char *value, const char **why)
{
	uint32_t n;
	if (parse_u32(value, &n) < 0 || n < 1 || n > 600) {
		*why = "not a number of seconds (1..600)";
		return -EINVAL;
	}
	*(unsigned *)target = n;
	return 0;
}

// clang-format off
static const struct opt status_options[] = {
	{ "json", 0, OPT_NONE, NULL, "print JSON", opt_set_flag, offsetof(struct status_cfg, json), NULL },
	{ "all", 0, OPT_NONE, NULL, "Also ask every other host over ssh ($HAKO_SSH): one line per host",
	  opt_set_flag, offsetof(struct status_cfg, all), NULL },
	{ "check", 0, OPT_NONE, NULL, "With --all, exit 1 when a host is unreachable or its part is not up",
	  opt_set_flag, offsetof(struct status_cfg, check), NULL },
	{ "timeout", 0, OPT_REQUIRED, "SECONDS", "With --all, ssh's connect timeout (default 5; a host gets twice that)",
	  set_timeout, offsetof(struct status_cfg, timeout), NULL },
};
// clang-format on

#define STATUS_USAGE "usage: hako lab status LAB|FILE [--json] [--all [--check] [--timeout=SECONDS]]"

/* "mapping endpoint-independent, filtering address-dependent (restricted-cone)" */
static void nat_details(const struct lab_nat *n, char *buf, size_t size)
{
	const char *type = nat_type_name(n->mapping, n->filtering);
	snprintf(buf, size, "mapping %s, filtering %s%s%s%s", nat_behaviour_name(n->mapping),
		 nat_behaviour_name(n->filtering), type ? " (" : "", type ? type : "", type ? ")" : "");
}

static void print_table(const struct lab_topology *t, const struct lab_member *m, size_t n)
{
	char a[16], b[16], c[16], details[160];
	printf("lab %s: %s\n", t->name, lab_is_up(t->name) ? "up" : "incomplete");
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct lab_network *net = &t->networks[i];
		printf("network %-12s %s/%u", net->name, ip_str(net->subnet.addr, a), net->subnet.prefix);
		if (network_is_top(net))
			printf("  internet, nat-check responder %s %s", ip_str(net->responder[0], b),
			       ip_str(net->responder[1], c));
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++) {
		printf("%-6s %-16s", member_kind_name(m[i].kind), m[i].name);
		for (size_t j = 0; j < m[i].n_ifaces; j++)
			printf(" %s=%s", t->networks[m[i].ifaces[j].network].name,
			       ip_str(m[i].ifaces[j].addr, a));
		if (m[i].gateway)
			printf(" via %s", ip_str(m[i].gateway, a));
		if (m[i].kind == MEMBER_NAT) {
			nat_details(&t->nats[m[i].index], details, sizeof(details));
			printf("  %s", details);
		}
		if (m[i].kind == MEMBER_NODE && t->nodes[m[i].index].link.set) {
			link_describe(&t->nodes[m[i].index].link, details, sizeof(details));
			printf("  link %s", details);
		}
		if (m[i].kind == MEMBER_NODE && node_is_container(&t->nodes[m[i].index]))
			printf("  container %s.%s", t->name, m[i].name);
		if (*lab_member_where(t, &m[i], details, sizeof(details)))
			printf("  %s", details);
		putchar('\n');
	}
}

/* ,"key":"a.b.c.d/p" */
static void json_prefix(const char *key, uint32_t addr, unsigned prefix)
{
	char a[16], text[20];
	snprintf(text, sizeof(text), "%s/%u", ip_str(addr, a), prefix);
	json_member(stdout, key, text);
}

static void print_json_member(const struct lab_topology *t, const struct lab_member *m)
{
	char a[16];
	printf("{\"name\":");
	json_string(stdout, m->name);
	json_member(stdout, "kind", member_kind_name(m->kind));
	printf(",\"interfaces\":[");
	for (size_t j = 0; j < m->n_ifaces; j++) {
		const struct lab_network *net = &t->networks[m->ifaces[j].network];
		printf("%s{\"network\":", j ? "," : "");
		json_string(stdout, net->name);
		json_prefix("address", m->ifaces[j].addr, net->subnet.prefix);
		printf("}");
	}
	printf("]");
	json_member(stdout, "gateway", m->gateway ? ip_str(m->gateway, a) : NULL);
	if (m->kind == MEMBER_NAT) {
		const struct lab_nat *n = &t->nats[m->index];
		json_member(stdout, "mapping", nat_behaviour_name(n->mapping));
		json_member(stdout, "filtering", nat_behaviour_name(n->filtering));
		json_member(stdout, "type", nat_type_name(n->mapping, n->filtering));
		printf(",\"hairpin\":%s", n->hairpin ? "true" : "false");
	}
	if (m->kind == MEMBER_NODE && node_is_container(&t->nodes[m->index])) {
		_cleanup_free_ char *machine = lab_machine_name(t->name, m->name);
		json_member(stdout, "machine", machine);
	}
	int host = lab_member_host(t, m);
	if (host >= 0) {
		json_member(stdout, "host", t->hosts[host].name);
		printf(",\"remote\":%s", t->local_host >= 0 && host != t->local_host ? "true" : "false");
	}
	printf("}");
}

static void print_json(const struct lab_topology *t, const struct lab_member *m, size_t n)
{
	printf("{\"name\":");
	json_string(stdout, t->name);
	printf(",\"up\":%s,\"networks\":[", lab_is_up(t->name) ? "true" : "false");
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct lab_network *net = &t->networks[i];
		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, net->name);
		json_prefix("subnet", net->subnet.addr, net->subnet.prefix);
		printf(",\"internet\":%s}", network_is_top(net) ? "true" : "false");
	}
	printf("],\"members\":[");
	for (size_t i = 0; i < n; i++) {
		printf(i ? "," : "");
		print_json_member(t, &m[i]);
	}
	printf("]}\n");
}

static int print_members(const struct lab_topology *t, bool json)
{
	struct lab_member *m = NULL;
	size_t n = 0;
	if (lab_members(t, &m, &n) < 0)
		return log_errno(-ENOMEM, "out of memory");
	(json ? print_json : print_table)(t, m, n);
	lab_members_free(m, n);
	return 0;
}

/* The lab to show, named or by its FILE, as it is up here. With --all and a FILE also a lab not up
 * here: the file's, for the other hosts alone (*here_up false: no table of this host's part). */
static int status_topology(const char *arg, bool all, struct lab_topology **t, bool *here_up)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_topology_ struct lab_topology *file = NULL;
	bool here;
	*here_up = true;
	int r = lab_resolve(arg, &name, &file);
	if (r < 0)
		return r;
	bool other_hosts = all && file;
	r = other_hosts ? lab_load(name, t) : lab_load_or_fail(name, t);
	if (r != -ENOENT || !other_hosts)
		return r;
	*here_up = false;
	r = lab_host_find_any(file, NULL, &here);
	if (r < 0)
		return r;
	*t = TAKE_PTR(file);
	return 0;
}

int lab_cmd_status(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, status_options) };
	struct status_cfg cfg = { .timeout = 5 };
	int i = opts_parse(groups, 1, argc, argv, &cfg, 0,
			   "Usage: hako lab status LAB|FILE [--json] [--all [--check] [--timeout=SECONDS]]",
			   NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0 || argc - i != 1 || (cfg.json && cfg.all)) {
		if (i >= 0)
			log_error(cfg.json && cfg.all ? "lab status: --all has no --json form"
						      : STATUS_USAGE);
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	bool here_up;
	if (status_topology(argv[i], cfg.all, &t, &here_up) < 0)
		return EXIT_HAKO_USAGE;
	if (here_up && print_members(t, cfg.json) < 0)
		return EXIT_HAKO_FAILED;
	if (!cfg.all)
		return 0;
	fflush(stdout);
	int bad = lab_status_hosts(t, cfg.timeout);
	if (bad < 0)
		return EXIT_HAKO_FAILED;
	return cfg.check && bad ? 1 : 0;
}

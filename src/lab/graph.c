/* hako lab graph: the topology in Graphviz's DOT language (networks as ellipses, members as
 * boxes, one edge per interface labelled with its address); --format=svg runs it through dot. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "lab/graph.h"
#include "lab/lab.h"
#include "lab/link.h"
#include "lab/labcmd.h"

/* Short forms for labels. */
static const char *const behaviour_short[] = { [NAT_EI] = "EI", [NAT_AD] = "AD", [NAT_APD] = "APD" };

// clang-format off
static const struct { enum member_kind kind; const char *style; } member_styles[] = {
	{ MEMBER_NAT, "shape=box, style=\"rounded,filled\", fillcolor=\"#ffd9a8\"" },
	{ MEMBER_ROUTER, "shape=box, style=\"rounded,filled\", fillcolor=\"#c8f0c8\"" },
	{ MEMBER_NODE, "shape=box, style=filled, fillcolor=\"#f0f0f0\"" },
};
// clang-format on

static void member_label(FILE *f, const struct lab_topology *t, const struct lab_member *m)
{
	fprintf(f, "%s\\n%s", m->name, member_kind_name(m->kind));
	if (m->kind == MEMBER_NAT) {
		const struct lab_nat *n = &t->nats[m->index];
		const char *type = nat_type_name(n->mapping, n->filtering);
		fprintf(f, " %s\\nmapping %s, filtering %s%s", type ? type : "", behaviour_short[n->mapping],
			behaviour_short[n->filtering], n->hairpin ? ", hairpin" : "");
	}
	const struct lab_node *node = m->kind == MEMBER_NODE ? &t->nodes[m->index] : NULL;
	if (node && node_is_container(node))
		fprintf(f, "\\ncontainer %s%s%s", node->directory ? node->directory : node->image,
			node->ephemeral ? ", ephemeral" : "", node->boot ? ", boot" : "");
}

int lab_graph_dot(FILE *f, const struct lab_topology *t)
{
	struct lab_member *m = NULL;
	size_t n = 0;
	char a[16];
	if (lab_members(t, &m, &n) < 0)
		return -ENOMEM;
	fprintf(f,
		"graph \"%s\" {\n\tgraph [label=\"lab %s\", labelloc=t, fontname=\"sans-serif\"];\n"
		"\tnode [fontname=\"sans-serif\", fontsize=10];\n\tedge [fontname=\"sans-serif\", fontsize=9];\n",
		t->name, t->name);
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct lab_network *net = &t->networks[i];
		fprintf(f,
			"\t\"net:%s\" [shape=ellipse, style=filled, fillcolor=\"%s\", label=\"%s\\n%s/%u%s\"];\n",
			net->name, network_is_top(net) ? "#b8d4ff" : "#e4eeff", net->name,
			ip_str(net->subnet.addr, a), net->subnet.prefix,
			network_is_top(net) ? "\\ninternet" : "");
	}
	for (size_t i = 0; i < n; i++) {
		const char *style = "";
		for (size_t k = 0; k < ELEMENTSOF(member_styles); k++)
			if (member_styles[k].kind == m[i].kind)
				style = member_styles[k].style;
		fprintf(f, "\t\"%s:%s\" [%s, label=\"", member_kind_name(m[i].kind), m[i].name, style);
		member_label(f, t, &m[i]);
		fprintf(f, "\"];\n");
		char impaired[96] = "";
		if (m[i].kind == MEMBER_NODE && t->nodes[m[i].index].link.set)
			link_describe(&t->nodes[m[i].index].link, impaired, sizeof(impaired));
		for (size_t j = 0; j < m[i].n_ifaces; j++)
			fprintf(f, "\t\"%s:%s\" -- \"net:%s\" [label=\"%s%s%s\"%s];\n",
				member_kind_name(m[i].kind), m[i].name,
				t->networks[m[i].ifaces[j].network].name, ip_str(m[i].ifaces[j].addr, a),
				*impaired ? "\\n" : "", impaired, *impaired ? ", style=dashed" : "");
	}
	fprintf(f, "}\n");
	lab_members_free(m, n);
	return 0;
}

struct graph_cfg {
	char *format;
};

static const struct opt graph_options[] = {
	{ "format", 0, OPT_REQUIRED, "FORMAT", "dot (default) or svg", opt_set_string,
	  offsetof(struct graph_cfg, format), NULL },
};

/* svg: the DOT text through `dot -Tsvg` (Graphviz), to stdout. */
static int to_svg(const struct lab_topology *t)
{
	fflush(stdout);
	FILE *p = popen("dot -Tsvg", "we");
	if (!p)
		return log_errno(-errno, "cannot run dot (Graphviz)");
	lab_graph_dot(p, t);
	int status = pclose(p);
	if (status != 0) {
		log_error("dot -Tsvg failed (is Graphviz installed?)");
		return -EIO;
	}
	return 0;
}

int lab_cmd_graph(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, graph_options) };
	struct graph_cfg cfg = { 0 };
	static const char use[] = "Usage: hako lab graph LAB|FILE [--format=dot|svg]";
	int i = opts_parse(groups, 1, argc, argv, &cfg, 0, use, NULL);
	_cleanup_free_ char *format = cfg.format, *name = NULL;
	if (i == -ECANCELED)
		return 0;
	if (i < 0)
		return EXIT_HAKO_USAGE;
	bool known = !format || streq(format, "dot") || streq(format, "svg");
	if (argc - i != 1 || !known) {
		log_error("usage: hako lab graph LAB|FILE [--format=dot|svg]");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	if (lab_resolve(argv[i], &name, &t) < 0)
		return EXIT_HAKO_USAGE;
	/* Not a file: a lab of that name. */
	if (!t && lab_load_or_fail(name, &t) < 0)
		return EXIT_HAKO_USAGE;
	int r = format && streq(format, "svg") ? to_svg(t) : lab_graph_dot(stdout, t);
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

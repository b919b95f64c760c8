/* hako lab: multi-network topologies with NAT gateways, from one file. One table row per
 * subcommand; the work is done in src/lab/. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/opts.h"
#include "base/util.h"
#include "cmd/cmd.h"
#include "lab/lab.h"
#include "lab/labcmd.h"

static const char usage[] =
	"Usage: hako lab COMMAND ...\n\n"
	"Commands:\n"
	"  up FILE                     build the lab FILE describes (again: no change)\n"
	"  down LAB|FILE               remove everything of a lab\n"
	"  list                        the labs on this host\n"
	"  status LAB [--json]         nodes, addresses, NAT gateways and their behaviour\n"
	"  exec LAB NODE COMMAND...    run COMMAND in a node's namespace (or container)\n"
	"  graph LAB|FILE [--format=dot|svg]  the topology as a Graphviz picture\n"
	"  conntrack LAB NODE [--follow]      the node's conntrack table, or its events\n"
	"  nat-check LAB NODE [--proto=udp|tcp|both]  measure the NAT behaviour (UDP and TCP)";

/* A lab named by a topology file (a path: it has a '/' or names an existing regular file) or by
 * name. *ret_t gets the parsed file when it was one. */
int lab_resolve(const char *arg, char **ret_name, struct lab_topology **ret_t)
{
	struct stat st;
	if (strchr(arg, '/') || (stat(arg, &st) == 0 && S_ISREG(st.st_mode))) {
		struct lab_topology *t = NULL;
		int r = topology_parse_file(arg, &t);
		if (r < 0)
			return r;
		if (!(*ret_name = strdup(t->name))) {
			topology_free(t);
			return log_errno(-ENOMEM, "out of memory");
		}
		if (ret_t)
			*ret_t = t;
		else
			topology_free(t);
		return 0;
	}
	if (!machine_name_valid(arg)) {
		log_error("'%s' is neither a lab name nor a topology file", arg);
		return -EINVAL;
	}
	return (*ret_name = strdup(arg)) ? 0 : log_errno(-ENOMEM, "out of memory");
}

int lab_load_or_fail(const char *name, struct lab_topology **ret)
{
	int r = lab_load(name, ret);
	if (r == -ENOENT)
		log_error("no lab '%s' (see hako lab list)", name);
	return r;
}

static int lab_cmd_up(int argc, char **argv)
{
	if (argc != 2) {
		log_error("usage: hako lab up FILE");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file(argv[1], &text, &len);
	if (r < 0) {
		log_errno(r, "cannot read %s", argv[1]);
		return EXIT_HAKO_USAGE;
	}
	/* Bad input, like a bad file: refused before anything is made. */
	if (topology_parse_file(argv[1], &t) < 0 || lab_check_trees(t) < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_close_ int lock = lab_lock();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	return lab_up(t, text) < 0 ? EXIT_HAKO_FAILED : 0;
}

static int lab_cmd_down(int argc, char **argv)
{
	_cleanup_free_ char *name = NULL;
	if (argc != 2) {
		log_error("usage: hako lab down LAB|FILE");
		return EXIT_HAKO_USAGE;
	}
	if (lab_resolve(argv[1], &name, NULL) < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_close_ int lock = lab_lock();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	int r = lab_down(name);
	if (r == -ENOENT) {
		log_error("no lab '%s' (see hako lab list)", name);
		return EXIT_HAKO_USAGE;
	}
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

static int lab_cmd_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		log_error("usage: hako lab list");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_strv_free_ char **names = NULL;
	if (lab_list(&names) < 0)
		return EXIT_HAKO_FAILED;
	for (char **n = names; n && *n; n++) {
		_cleanup_topology_ struct lab_topology *t = NULL;
		if (lab_load(*n, &t) < 0) {
			printf("%-20s %s\n", *n, "incomplete");
			continue;
		}
		printf("%-20s %-10s %zu nodes, %zu NATs, %zu routers, %zu networks\n", *n,
		       lab_is_up(*n) ? "up" : "incomplete", t->n_nodes, t->n_nats, t->n_routers, t->n_networks);
	}
	return 0;
}

/* exec: a container node's command runs in its container (a pty when on a terminal); others join
 * the node's network namespace and exec the command (the terminal is inherited). */
static int lab_cmd_exec(int argc, char **argv)
{
	if (argc < 4) {
		log_error("usage: hako lab exec LAB NODE COMMAND...");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	if (lab_load_or_fail(argv[1], &t) < 0)
		return EXIT_HAKO_USAGE;
	if (!topology_has_member(t, argv[2])) {
		log_error("lab %s has no node '%s'", argv[1], argv[2]);
		return EXIT_HAKO_USAGE;
	}
	int node = topology_find_node(t, argv[2]);
	if (node >= 0 && node_is_container(&t->nodes[node]))
		return lab_container_exec(argv[1], argv[2], argv + 3);
	_cleanup_close_ int fd = lab_ns_open(argv[1], argv[2]);
	if (fd < 0)
		return EXIT_HAKO_FAILED;
	if (setns(fd, CLONE_NEWNET) < 0) {
		log_errno(-errno, "cannot join the namespace of %s", argv[2]);
		return EXIT_HAKO_FAILED;
	}
	execvp(argv[3], argv + 3);
	log_errno(-errno, "cannot execute %s", argv[3]);
	return errno == ENOENT ? EXIT_HAKO_NOTFOUND : EXIT_HAKO_FAILED;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "up", lab_cmd_up },
	{ "down", lab_cmd_down },
	{ "list", lab_cmd_list },
	{ "status", lab_cmd_status },
	{ "exec", lab_cmd_exec },
	{ "graph", lab_cmd_graph },
	{ "conntrack", lab_cmd_conntrack },
	{ "nat-check", lab_cmd_nat_check },
};

int cmd_lab(int argc, char **argv)
{
	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s\n", usage);
		return argc < 2 ? EXIT_HAKO_USAGE : 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(subcommands); i++)
		if (streq(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	log_error("unknown lab command '%s' (see hako lab --help)", argv[1]);
	return EXIT_HAKO_USAGE;
}

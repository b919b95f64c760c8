/* hako lab: multi-network topologies with NAT gateways, from one file. One table row per
 * subcommand; the work is done in src/lab/. */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
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
#include "lab/allhosts.h"
#include "lab/encrypt.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/labcmd.h"
#include "settings/ini.h"

struct up_cfg {
	char *host;
	bool all;
};

static void up_cfg_done(struct up_cfg *c)
{
	free(c->host);
}

// clang-format off
static const struct opt up_options[] = {
	{ "host", 0, OPT_REQUIRED, "HOST", "Build the members of [Host HOST] (default: the host whose Address= is here)",
	  opt_set_string, offsetof(struct up_cfg, host), NULL },
	{ "all", 0, OPT_NONE, NULL, "Also build every other host's part, over ssh ($HAKO_SSH)", opt_set_flag,
	  offsetof(struct up_cfg, all), NULL },
};
// clang-format on

#define UP_USAGE "Usage: hako lab up FILE|- [--host=HOST] [--all]"

/* A lab file on stdin: far above any real lab (a 1000-node lab is about 60 KiB), and what stops
 * a stream that never ends from filling memory. */
#define LAB_STDIN_MAX (1u << 20)

/* The topology file's text; "-" is stdin (lab up --all hands the file on over ssh). */
static int read_topology(const char *path, char **ret)
{
	size_t len;
	if (!streq(path, "-"))
		return ini_read_file(path, ret);
	_cleanup_free_ char *text = NULL;
	int r = read_fd_max(STDIN_FILENO, LAB_STDIN_MAX, &text, &len);
	if (r == -EFBIG) {
		log_error("-: the lab's file on stdin is larger than 1 MiB");
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read the lab's file from stdin");
	if (memchr(text, 0, len)) {
		log_error("-: not a text file (contains a NUL byte)");
		return -EINVAL;
	}
	*ret = TAKE_PTR(text);
	return 0;
}

/* The topology file FILE or "-" (text: as read, for lab up to keep and hand on), parsed. Bad
 * input, like a bad file: refused before anything is made; the file is read once. */
static int read_and_parse(const char *arg, char **text, struct lab_topology **t)
{
	int r = read_topology(arg, text);
	if (r < 0)
		return r;
	return topology_parse_string(*text, arg, t);
}

static int lab_cmd_up(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, up_options) };
	_cleanup_(up_cfg_done) struct up_cfg cfg = { 0 };
	int i = opts_parse(groups, 1, argc, argv, &cfg, 0, UP_USAGE, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0 || argc - i != 1) {
		if (i >= 0)
			log_error("usage: hako lab up FILE|- [--host=HOST] [--all]");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	_cleanup_free_ char *text = NULL;
	bool here = true;
	if (read_and_parse(argv[i], &text, &t) < 0)
		return EXIT_HAKO_USAGE;
	if (cfg.all && lab_all_check(t) < 0)
		return EXIT_HAKO_USAGE;
	int r = cfg.all ? lab_host_pick_any(t, cfg.host, &here) : lab_host_pick(t, cfg.host);
	if (r < 0)
		return EXIT_HAKO_USAGE;
	if (here && lab_check_trees(t) < 0)
		return EXIT_HAKO_USAGE;
	r = lab_encrypt_check(t, here);
	if (r < 0)
		return r == -EOPNOTSUPP ? EXIT_HAKO_FAILED : EXIT_HAKO_USAGE;
	_cleanup_close_ int lock = lab_lock();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	r = cfg.all ? lab_up_all(t, text, here) : lab_up(t, text);
	return r < 0 ? EXIT_HAKO_FAILED : 0;
}

// clang-format off
static const struct opt keys_options[] = {
	{ "host", 0, OPT_REQUIRED, "HOST", "This is [Host HOST] (default: the host whose Address= is here)",
	  opt_set_string, offsetof(struct up_cfg, host), NULL },
	{ "all", 0, OPT_NONE, NULL, "Make every host's key on that host, over ssh ($HAKO_SSH), and print them all",
	  opt_set_flag, offsetof(struct up_cfg, all), NULL },
};
// clang-format on

#define KEYS_USAGE "Usage: hako lab keys FILE|- [--host=HOST] [--all]"

/* keys: this host's WireGuard key pair for an Encrypt=wireguard lab, made here the first time;
 * prints the PublicKey= line to paste into its [Host] section. The private key stays here, as
 * each host's does with --all. */
static int lab_cmd_keys(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, keys_options) };
	_cleanup_(up_cfg_done) struct up_cfg cfg = { 0 };
	int i = opts_parse(groups, 1, argc, argv, &cfg, 0, KEYS_USAGE, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0 || argc - i != 1) {
		if (i >= 0)
			log_error("usage: hako lab keys FILE|- [--host=HOST] [--all]");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_topology_ struct lab_topology *t = NULL;
	_cleanup_free_ char *text = NULL;
	bool here = true;
	if (read_and_parse(argv[i], &text, &t) < 0)
		return EXIT_HAKO_USAGE;
	if (!t->n_hosts) {
		log_error("%s: the lab has no [Host] sections: it needs no keys", argv[i]);
		return EXIT_HAKO_USAGE;
	}
	if (cfg.all && lab_all_check(t) < 0)
		return EXIT_HAKO_USAGE;
	int r = cfg.all ? lab_host_find_any(t, cfg.host, &here) : lab_host_find(t, cfg.host);
	if (r < 0)
		return EXIT_HAKO_USAGE;
	if (cfg.all)
		return lab_keys_all(t, text, here) < 0 ? EXIT_HAKO_FAILED : 0;
	char key[WG_KEY_B64_SIZE];
	if (lab_keys(t, key) < 0)
		return EXIT_HAKO_FAILED;
	printf("PublicKey=%s\n", key);
	return 0;
}

// clang-format off
static const struct opt down_options[] = {
	{ "all", 0, OPT_NONE, NULL, "Also remove every other host's part, over ssh ($HAKO_SSH)", opt_set_flag, 0, NULL },
};
// clang-format on

/* The lab's topology for down --all: FILE's, else the one it was brought up with here. */
static int down_topology(const char *arg, char **name, struct lab_topology **t, bool *here)
{
	int r = lab_resolve(arg, name, t);
	if (r < 0)
		return r;
	if (*t)
		return lab_host_pick_any(*t, NULL, here);
	r = lab_load_or_fail(*name, t);
	*here = true;
	return r;
}

static int lab_cmd_down(int argc, char **argv)
{
	const struct opt_group groups[] = { OPT_GROUP(NULL, down_options) };
	bool all = false, here = true;
	int i = opts_parse(groups, 1, argc, argv, &all, 0, "Usage: hako lab down LAB|FILE [--all]", NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0 || argc - i != 1) {
		if (i >= 0)
			log_error("usage: hako lab down LAB|FILE [--all]");
		return EXIT_HAKO_USAGE;
	}
	_cleanup_free_ char *name = NULL;
	_cleanup_topology_ struct lab_topology *t = NULL;
	int r = all ? down_topology(argv[i], &name, &t, &here) : lab_resolve(argv[i], &name, NULL);
	if (r < 0)
		return EXIT_HAKO_USAGE;
	_cleanup_close_ int lock = lab_lock();
	if (lock < 0)
		return EXIT_HAKO_FAILED;
	if (all)
		return lab_down_all(t, here) < 0 ? EXIT_HAKO_FAILED : 0;
	r = lab_down(name);
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
		       lab_is_up(*n) ? "up" : "incomplete", t->n_nodes, t->n_nats, t->n_routers,
		       t->n_networks);
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
	if (lab_check_local(t, argv[2]) < 0)
		return EXIT_HAKO_USAGE;
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

// clang-format off
static const struct command subcommands[] = {
	{ "up", lab_cmd_up, "Build the lab FILE describes (again: no change)", "FILE|- [--host=HOST] [--all]" },
	{ "down", lab_cmd_down, "Remove everything of a lab", "LAB|FILE [--all]" },
	{ "keys", lab_cmd_keys, "Make this host's WireGuard key for an encrypted lab, print its PublicKey=", "FILE|- [--host=HOST] [--all]" },
	{ "list", lab_cmd_list, "List the labs on this host" },
	{ "status", lab_cmd_status, "Show nodes, addresses, NAT gateways and their behaviour", "LAB|FILE [--json] [--all [--check] [--timeout=SECONDS]]" },
	{ "exec", lab_cmd_exec, "Run COMMAND in a node's namespace (or container)", "LAB NODE COMMAND..." },
	{ "graph", lab_cmd_graph, "Draw the topology as a Graphviz picture", "LAB|FILE [--format=dot|svg]" },
	{ "conntrack", lab_cmd_conntrack, "Show the node's conntrack table, or follow its events", "LAB NODE [--follow]" },
	{ "nat-check", lab_cmd_nat_check, "Measure the NAT behaviour (UDP and TCP)", "LAB NODE [OPTIONS]" },
};
// clang-format on

int cmd_lab(int argc, char **argv)
{
	static const struct command_family lab = {
		.name = "lab",
		.about = "Multi-network topologies with NAT gateways, from one file (see hako-lab(1)).",
		.commands = subcommands,
		.n_commands = ELEMENTSOF(subcommands),
	};
	return cmd_dispatch(&lab, argc, argv);
}

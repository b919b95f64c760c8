/* Container nodes: a [Node] with Directory= or Image= is a machine (src/machine/) whose network
 * namespace is the node's, started by lab up under its own supervisor once the node's addresses
 * and routes are set. The machine is named LAB.NODE (hostname NODE) and recorded in
 * labs/LAB/machines/NODE before it starts, so lab down stops it even after a crashed lab up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/util.h"
#include "container/config.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "machine/control.h"
#include "machine/machine.h"
#include "machine/shell.h"
#include "machine/supervisor.h"

/* A machine asked to terminate is SIGKILLed at once; its supervisor then only cleans up. */
#define STOP_TIMEOUT_USEC (10 * 1000000ULL)

char *lab_machine_name(const char *lab, const char *node)
{
	return xasprintf("%s.%s", lab, node);
}

/* The tree of a container node: Directory=, or Image= in the image directory. */
static char *node_tree(const struct lab_node *n)
{
	return n->directory ? strdup(n->directory) : hako_path(HAKO_DIR_IMAGES, "%s", n->image);
}

int lab_check_trees(const struct lab_topology *t)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct lab_node *n = &t->nodes[i];
		if (!node_is_container(n) || !lab_node_is_local(t, i))
			continue;
		_cleanup_free_ char *tree = node_tree(n);
		struct stat st;
		if (!tree)
			return log_errno(-ENOMEM, "out of memory");
		if (stat(tree, &st) < 0 || !S_ISDIR(st.st_mode)) {
			log_error("%s:%u: [Node %s] %s: %s", t->file, n->line, n->name,
				  n->directory ? "no such directory" : "no such image", tree);
			return -ENOENT;
		}
	}
	return 0;
}

static int node_config(const char *lab, const struct lab_node *n, struct run_config *cfg)
{
	cfg->directory = node_tree(n);
	cfg->machine = lab_machine_name(lab, n->name);
	cfg->hostname = strdup(n->name);
	cfg->net.namespace_path = lab_path(lab, "ns/%s", n->name);
	if (!cfg->directory || !cfg->machine || !cfg->hostname || !cfg->net.namespace_path)
		return -ENOMEM;
	cfg->boot = n->boot;
	cfg->ephemeral = n->ephemeral;
	/* The node's namespace belongs to the host's user namespace: a container in a user
	 * namespace of its own could neither join it nor configure it. */
	cfg->iso.userns.mode = USERNS_NO;
	cfg->iso.userns.mode_set = true;
	/* Without Boot= PID 1 is Exec=, or the tree's shell idling on the passive console. */
	if (!n->exec)
		return 0;
	const char *const argv[] = { "/bin/sh", "-c", n->exec };
	for (size_t i = 0; i < ELEMENTSOF(argv); i++) {
		int r = strv_push(&cfg->command, argv[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int record(const char *lab, const char *node, const char *machine)
{
	_cleanup_free_ char *p = lab_path(lab, "machines/%s", node);
	return p ? write_file(p, machine, O_CREAT | O_TRUNC, 0644) : -ENOMEM;
}

static int start_one(const char *lab, const struct lab_node *n)
{
	_cleanup_(run_config_free) struct run_config cfg = { 0 };
	int r = node_config(lab, n, &cfg);
	if (r < 0)
		return log_errno(r, "lab %s: %s: cannot prepare its container", lab, n->name);
	r = record(lab, n->name, cfg.machine);
	if (r < 0)
		return log_errno(r, "lab %s: %s: cannot record its machine", lab, n->name);
	int lock = machine_lock(cfg.machine);
	if (lock == -EBUSY) {
		log_error("lab %s: %s: machine %s is already running", lab, n->name, cfg.machine);
		return -EBUSY;
	}
	if (lock < 0)
		return log_errno(lock, "lab %s: %s: cannot lock machine %s", lab, n->name, cfg.machine);
	int code = supervisor_start(&cfg, lock);
	close(lock);
	if (code != 0) {
		log_error("lab %s: %s: its container did not start (see above)", lab, n->name);
		return -ECHILD;
	}
	return 0;
}

int lab_start_containers(const struct lab_topology *t)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (node_is_container(&t->nodes[i]) && lab_node_is_local(t, i)) {
			int r = start_one(t->name, &t->nodes[i]);
			if (r < 0)
				return r;
		}
	return 0;
}

/* Asks a running machine's supervisor to kill it, and waits until the supervisor has cleaned up. */
static int terminate(const char *machine)
{
	_cleanup_close_ int fd = control_connect(machine);
	if (fd < 0)
		return fd;
	struct control_request req = { CTL_TERMINATE, 0 };
	int r = control_call(fd, machine, &req, NULL);
	if (r < 0)
		return r;
	return control_wait_closed(fd, STOP_TIMEOUT_USEC);
}

/* machine_get collects a machine whose supervisor is gone (its directory with it); a machine
 * still starting (a lab up killed just now left its supervisor starting it) is waited for. */
static int stop_machine(const char *machine)
{
	_cleanup_free_ char *dir = machine_path(machine, NULL);
	if (!dir)
		return -ENOMEM;
	for (uint64_t deadline = now_usec() + STOP_TIMEOUT_USEC;;) {
		struct machine_state st;
		int r = machine_get(machine, &st);
		if (r < 0)
			return r;
		if (r > 0) {
			machine_state_done(&st);
			if (terminate(machine) >= 0)
				return 0;
		} else if (access(dir, F_OK) < 0)
			return 0;
		if (now_usec() > deadline)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
}

/* The machine a lab's record names, or NULL (and 0) for a record that is gone or not a name. */
static int recorded_machine(const char *dir, const char *entry, char **ret)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, entry);
	if (!p)
		return -ENOMEM;
	_cleanup_free_ char *machine = NULL;
	int r = read_line_file(p, &machine);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !machine_name_valid(machine))
		return 0;
	*ret = TAKE_PTR(machine);
	return 0;
}

int lab_stop_containers(const char *lab)
{
	_cleanup_free_ char *dir = lab_path(lab, "machines");
	if (!dir)
		return log_errno(-ENOMEM, "out of memory");
	/* No directory: the lab never started a container. */
	_cleanup_closedir_ DIR *d = opendir(dir);
	int ret = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *machine = NULL;
		int r = recorded_machine(dir, e->d_name, &machine);
		if (r < 0) {
			/* Stops the others all the same: a teardown goes as far as it can. */
			log_errno(r, "lab %s: cannot read the record of %s", lab, e->d_name);
			ret = r;
			continue;
		}
		if (!machine)
			continue;
		r = stop_machine(machine);
		if (r < 0) {
			log_errno(r, "lab %s: cannot stop machine %s", lab, machine);
			ret = r;
		}
	}
	return ret;
}

int lab_container_exec(const char *lab, const char *node, char **argv)
{
	_cleanup_free_ char *machine = lab_machine_name(lab, node);
	if (!machine)
		return log_errno(-ENOMEM, "out of memory"), EXIT_HAKO_FAILED;
	struct machine_state st;
	int r = machine_get(machine, &st);
	if (r < 0)
		return log_errno(r, "cannot read the state of machine %s", machine), EXIT_HAKO_FAILED;
	if (r == 0) {
		log_error("lab %s: the container of %s is not running", lab, node);
		return EXIT_HAKO_FAILED;
	}
	struct shell_request req = { .command = argv };
	int code = machine_shell(&st, &req);
	machine_state_done(&st);
	return code;
}

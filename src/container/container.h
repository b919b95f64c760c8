/* A running (or starting) container, and the phases of its start-up. src/container/spawn.c owns
 * the sequence; isolation (src/container/) and networking (src/net/) plug into it through the
 * hooks below, each keeping its own state in its own struct. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "container/binduser.h"
#include "container/config.h"
#include "container/user.h"

struct isolation_state; /* src/container/isolation.c */
struct net_state;       /* src/net/container_net.c */

struct container {
	const struct run_config *cfg;
	char *name;    /* machine name (with the random suffix for --ephemeral) */
	char uuid[37]; /* container_uuid= */
	pid_t pid;     /* the container's PID 1, as seen from the host */
	struct isolation_state *iso;
	struct net_state *net;

	/* Private to src/container (spawn.c, mounts.c, console.c). */
	char *root; /* the tree, canonical absolute path */
	char *hostname;
	int root_fd; /* the tree, also flock()ed against a second writer */
	/* --pivot-root=: the OS tree in the tree that becomes the root, and its path for messages
	 * (-1 and NULL without: the tree itself; container_os_fd and container_os_path tell). */
	int os_fd;
	char *os_path;
	int sync_fd; /* parent's end of the start-up socket */
	int pty_master, pty_slave;
	char *pty_path; /* the slave's path on the host, bound to /dev/console */
	enum console_mode console;
	uint64_t caps;                         /* bounding set the container keeps */
	struct rlimit rlimits[RLIMIT_NLIMITS]; /* the payload's, by RLIMIT_* number */
	char *exec_path;                       /* resolved in the tree */
	char **argv, **envp;
	int journal_tree;               /* --link-journal: the host's journal directory's mount, or -1 */
	char *journal_dir;              /* --link-journal: /var/log/journal/ID to make in the tree, or NULL */
	struct bound_users bound_users; /* --bind-user= */
	bool have_user;
	struct tree_user user;
	bool reaped;
	int status;      /* exit status once reaped: code, or 128+signal */
	int term_signal; /* the signal that ended it, 0 if it exited */
};

/* The directory that becomes the container's root: the tree, or --pivot-root='s NEW in it. What
 * is looked up in the guest before it starts (its init, command, users, machine-id) is looked up
 * there. */
static inline int container_os_fd(const struct container *c)
{
	return c->os_fd >= 0 ? c->os_fd : c->root_fd;
}
static inline const char *container_os_path(const struct container *c)
{
	return c->os_path ? c->os_path : c->root;
}

/* Starting and stopping a container: the library behind `hako run` and the machines supervisor.
 *
 * container_start validates cfg (the tree, names, command, binds, user) before creating anything,
 * clones PID 1 and returns once the command (or init) has been exec'ed. On failure it logs one
 * line, leaves nothing behind and sets *ret_exit to hako's exit status for it (125 bad input,
 * 126 set-up failed, 127 command not found). cfg must outlive the container.
 *
 * Signals: callers that watch SIGCHLD/SIGTERM/... through a signalfd block them before calling
 * container_start; the container's processes start with every signal unblocked. */
int container_start(const struct run_config *cfg, struct container **ret, int *ret_exit);
/* Waits for PID 1 to exit; *ret_status is its exit code, or 128+N if it died of signal N. Runs
 * the cleanup hooks. */
int container_wait(struct container *c, int *ret_status);
/* Reaps PID 1 if it already exited (WNOHANG); returns 1 if it did, 0 if still running. */
int container_try_reap(struct container *c);
int container_kill(struct container *c, int sig);
/* Kills and reaps a still-running container, undoes its set-up, frees it. NULL is fine. */
void container_free(struct container *c);
/* Runs c in the foreground: relays the console (interactive/read-only/passive), forwards
 * SIGTERM/SIGINT/SIGHUP (SIGTERM as --kill-signal=), handles SIGWINCH and ^]^]^]; returns the
 * exit status. sigfd is a signalfd for SIGCHLD, SIGTERM, SIGINT, SIGHUP and SIGWINCH. */
int container_foreground(struct container *c, int sigfd);

/* Start-up phases, in order. Each returns 0 or a negative errno and logs what went wrong
 * itself (it knows what it was doing); cleanup hooks undo exactly what was done, and are safe
 * to call after a failed or skipped setup.
 *
 *   parent: isolation_prepare, network_prepare       before clone: validate, allocate
 *   parent: clone(flags | isolation_clone_flags | network_clone_flags)
 *   child : network_enter_child                      join --network-namespace-path, lo up
 *   parent: isolation_setup_parent, network_setup     child is waiting: maps, cgroup, veth, nft
 *   child : isolation_enter_cgroup (its cgroup namespace), mounts, pivot_root, caps;
 *           isolation_setup_child last before exec (seccomp)
 *   parent: network_cleanup, isolation_cleanup        after the container is gone
 */
unsigned long isolation_clone_flags(const struct container *c);
/* Refuses, by option name, what the caller may not ask for (a user who is not root: anything
 * that makes host links, forwards or cgroups). Called first: nothing is made yet. */
int isolation_check_caller(const struct run_config *cfg);
int isolation_prepare(struct container *c);
int isolation_setup_parent(struct container *c);
int isolation_setup_child(struct container *c);
void isolation_cleanup(struct container *c);

unsigned long network_clone_flags(const struct run_config *cfg);
int network_prepare(struct container *c);
int network_enter_child(struct container *c);
int network_setup(struct container *c);
void network_cleanup(struct container *c);
/* The ifindex of the host end of the container's veth once network_setup() made it (what
 * systemd-machined lists as the machine's interface), 0 if it has none. */
int network_host_ifindex(const struct container *c);
/* /etc/resolv.conf for a container on a managed network with DNS (its dnsmasq), or NULL. */
const char *network_resolv_conf(const struct container *c);

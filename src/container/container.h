/* A running (or starting) container, and the phases of its start-up. src/container/spawn.c owns
 * the sequence; isolation (src/container/) and networking (src/net/) plug into it through the
 * hooks below, each keeping its own state in its own struct. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "container/config.h"

struct isolation_state; /* src/container/isolation.c */
struct net_state;       /* src/net/container_net.c */

struct container {
	const struct run_config *cfg;
	char *name;            /* machine name (with the random suffix for --ephemeral) */
	char uuid[37];         /* container_uuid= */
	pid_t pid;             /* the container's PID 1, as seen from the host */
	struct isolation_state *iso;
	struct net_state *net;
};

/* Start-up phases, in order. Each returns 0 or a negative errno and logs what went wrong
 * itself (it knows what it was doing); cleanup hooks undo exactly what was done, and are safe
 * to call after a failed or skipped setup.
 *
 *   parent: isolation_prepare, network_prepare       before clone: validate, allocate
 *   parent: clone(flags | isolation_clone_flags | network_clone_flags)
 *   child : network_enter_child                      join --network-namespace-path, lo up
 *   parent: isolation_setup_parent, network_setup     child is waiting: maps, cgroup, veth, nft
 *   child : mounts, pivot_root, caps; isolation_setup_child last before exec (seccomp)
 *   parent: network_cleanup, isolation_cleanup        after the container is gone
 */
unsigned long isolation_clone_flags(const struct run_config *cfg);
int isolation_prepare(struct container *c);
int isolation_setup_parent(struct container *c);
int isolation_setup_child(struct container *c);
void isolation_cleanup(struct container *c);

unsigned long network_clone_flags(const struct run_config *cfg);
int network_prepare(struct container *c);
int network_enter_child(struct container *c);
int network_setup(struct container *c);
void network_cleanup(struct container *c);

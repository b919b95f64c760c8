/* What `hako list/show/status` report about a running machine, read from the host. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every process in the cgroup directory dir and below. */
int machine_cgroup_pids(const char *dir, pid_t **ret, size_t *ret_n);
/* A key of the tree's os-release (etc/, else usr/lib/), seen through /proc/LEADER/root;
 * NULL when absent. */
char *machine_os_release(pid_t leader, const char *key);
/* The addresses on the machine's interfaces but loopback, read in its network namespace
 * (a forked child joins it), as text. */
int machine_addresses(pid_t leader, char ***ret);
/* memory.current of the cgroup, or -ENOENT (v1 without memory accounting). */
int machine_memory(const char *cgroup, uint64_t *ret);

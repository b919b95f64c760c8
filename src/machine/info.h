/* What `hako list/show/status` report about a running machine, read from the host. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every process in the cgroup directory dir and below. */
int machine_cgroup_pids(const char *dir, pid_t **ret, size_t *ret_n);

/* dir's own processes (not its children's) as the kernel lists them in cgroup.procs. */
int machine_cgroup_own_pids(const char *dir, char ***ret);
/* The tree of an image directory, or (dir NULL) of a running machine through /proc/LEADER/root,
 * as a directory fd. */
int machine_open_root(const char *dir, pid_t leader);
/* A key of the tree's os-release (etc/, else usr/lib/), resolved inside the tree rootfd; NULL
 * when absent. */
char *machine_os_release(int rootfd, const char *key);
/* The tree's /etc/machine-id (32 lowercase hex digits), resolved inside rootfd; NULL when it has
 * none yet. A systemd guest's is its container_uuid unless the tree has its own. */
char *machine_id_of(int rootfd);
/* The addresses on the machine's interfaces but loopback, read in its network namespace
 * (one rtnetlink dump there, no process), as text. */
int machine_addresses(pid_t leader, char ***ret);
/* The memory the machine uses, from the first of its cgroup directories dirs (one a hierarchy)
 * that counts it: v2 memory.current, v1 memory.usage_in_bytes; -ENOENT if none does. */
int machine_memory(char *const *dirs, uint64_t *ret);
/* Its tasks (threads): pids.current of the first directory that has one (v2 or v1 pids), else
 * the processes in the first directory. */
int machine_tasks(char *const *dirs, uint64_t *ret);

/* Isolation beyond namespaces: user namespaces, cgroup limits, seccomp (issue: isolation in depth).
 * Owned by src/container/{isolation,userns,cgroup,seccomp}.c. Every field is plain data (no
 * pointers but syscall_filter), so run_config_free() needs to know nothing more. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/opts.h"
#include "container/cgroup.h"
#include "container/userns.h"

struct isolation_config {
	bool no_new_privileges;
	char **syscall_filter; /* --system-call-filter= values, validated, in order */
	struct userns_config userns;
	struct cgroup_limits limits;
};

/* The options of this area, a group of `hako run` (and .nspawn keys through .settings). */
extern const struct opt run_options_isolation[];
extern const size_t run_options_isolation_n;

/* Two steps of the start-up sequence for the user namespace's idmapped root (spawn.c, mounts.c):
 * the waiting child receives the tree the parent made (the parent alone holds CAP_SYS_ADMIN over
 * the tree's mount), before its "go"; mount_root then attaches it instead of a plain bind mount.
 * isolation_root_tree_fd returns -1 when there is none. */
struct container;
int isolation_enter_child(struct container *c, int sync_fd);
int isolation_root_tree_fd(const struct container *c);
/* The container's cgroup directory (v2, else the first v1 one), NULL if it has none: recorded by
 * the machines supervisor so a stale machine's cgroup can be collected. */
const char *isolation_cgroup_path(const struct container *c);

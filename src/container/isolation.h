/* Isolation beyond namespaces: user namespaces, cgroup limits, seccomp (issue: isolation in depth).
 * Owned by src/container/{isolation,userns,cgroup,seccomp}.c. Every field is plain data (no
 * pointers but syscall_filter), so run_config_free() needs to know nothing more. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/opts.h"
#include "container/cgroup.h"
#include "container/userns.h"

struct isolation_config {
	bool no_new_privileges;
	char **syscall_filter; /* --system-call-filter= values, validated, in order */
	struct userns_config userns;
	struct cgroup_limits limits;
	bool no_register; /* --register=no: no machined registration on a systemd host */
	bool keep_unit;   /* --keep-unit */
	char slice[128];  /* --slice=, "" for machine.slice */
};

/* The options of this area, a group of `hako run` (and .nspawn keys through .settings). */
extern const struct opt run_options_isolation[];
extern const size_t run_options_isolation_n;

/* Two steps of the start-up sequence for a user namespace (spawn.c, mounts.c): the waiting
 * child receives the idmapped tree the parent made (the parent alone holds CAP_SYS_ADMIN over the
 * tree's mount) and, still with the host's root ids, attaches the tree and clones the bind
 * sources' mounts, then becomes the namespace's root before its "go". mount_root then enters the
 * tree through isolation_root_tree_fd instead of a bind mount, and mount_binds takes each bind's
 * tree from isolation_take_bind_tree. Both return -1 when there is none. */
struct container;
int isolation_enter_child(struct container *c, int sync_fd);
int isolation_root_tree_fd(const struct container *c);
int isolation_take_bind_tree(struct container *c, unsigned i);
/* The host's uid (and gid) of the container's root: the base of its user namespace's range, 0
 * without one. */
uid_t isolation_root_host_uid(const struct container *c);
/* Whether this process's user namespace denies setgroups(2) (a rootless single-id map). */
bool isolation_setgroups_denied(void);
/* In the child after the parent's "go", before mounts_setup: enters the container's own cgroup
 * namespace, rooted at the cgroup the parent moved it into (nothing when it has none). */
int isolation_enter_cgroup(struct container *c);
/* Whether that cgroup is in the unified hierarchy: mounts_setup then mounts it, as the
 * container's own cgroup2 tree, on /sys/fs/cgroup. */
bool isolation_has_cgroup2(const struct container *c);
/* The container's cgroup directory (v2, else the first v1 one), NULL if it has none: recorded by
 * the machines supervisor so a stale machine's cgroup can be collected. */
const char *isolation_cgroup_path(const struct container *c);
/* All of its cgroup directories, one a hierarchy (NULL: none). */
int isolation_cgroup_paths(const struct container *c, char ***ret);

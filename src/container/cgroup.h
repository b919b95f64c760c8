/* One cgroup per container, removed when it ends, with systemd's property names for limits.
 *
 * Which hierarchy: for each controller hako uses cgroup v2 when the unified hierarchy offers it
 * (cgroup.controllers), else the v1 hierarchy that has it mounted. On a hybrid host (v2 at
 * /sys/fs/cgroup/unified without controllers, v1 memory/pids/cpu beside it) limits go to v1 and
 * the unified hierarchy still holds the container's cgroup (what its cgroup namespace shows).
 * The container's cgroup is "<hako's own cgroup>/hako/<machine>" in each hierarchy used.
 * HAKO_CGROUP_ROOT=PATH replaces the whole layout with the pure v2 hierarchy mounted at PATH. */
#pragma once
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_property {
	CG_MEMORY_MAX,
	CG_MEMORY_HIGH,
	CG_TASKS_MAX,
	CG_CPU_QUOTA,  /* percent of one CPU, x100 stored as basis points: 50% -> 5000 */
	CG_CPU_WEIGHT, /* 1..10000, systemd's default 100 */
	_CG_PROPERTY_MAX,
};

#define CG_INFINITY UINT64_MAX  /* "infinity" */

struct cgroup_limits {
	uint64_t value[_CG_PROPERTY_MAX]; /* the parsed value, CG_INFINITY for "infinity" */
	bool set[_CG_PROPERTY_MAX];
	bool has_cpu_affinity;            /* --cpu-affinity= given */
	bool accounting;                  /* memory and tasks measured even without limits (machines:
					   * on a hybrid host, a v1 memory and pids cgroup too) */
	cpu_set_t cpu_affinity;
};

/* Parses "Name=Value" (--property=). Unknown names and bad values: -EINVAL with *why. */
int cgroup_limits_parse_property(struct cgroup_limits *l, const char *assignment, const char **why);
/* Parses "0,2-3" (--cpu-affinity=). */
int cgroup_limits_parse_cpu_affinity(struct cgroup_limits *l, const char *list, const char **why);
bool cgroup_limits_any(const struct cgroup_limits *l);

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };

/* The value written for property p in the given version's file (see the table in cgroup.c):
 * the file name relative to the cgroup dir, and the text. Returns 0, or -EOPNOTSUPP when the
 * version has no file for it. Exposed for unit tests. */
int cgroup_property_file(enum cgroup_property p, enum cgroup_version v, uint64_t value,
			 const char **ret_file, char *buf, size_t size);

struct cgroup;
int cgroup_create(const char *machine, const struct cgroup_limits *l, struct cgroup **ret);
int cgroup_attach(struct cgroup *cg, pid_t pid);
/* Lets the container's root (uid/gid on the host) manage its subtree (boot mode). */
int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid);
/* Kills what is left, removes every directory made. Safe on NULL. */
void cgroup_destroy(struct cgroup *cg);
/* Kills what is left in the cgroup directory dir and removes it with its sub-cgroups: how a
 * machine's cgroup is collected after its supervisor died (src/machine). */
void cgroup_remove_path(const char *dir);
/* The container's cgroup path in the v2 (or first) hierarchy, for messages and tests. */
const char *cgroup_path(const struct cgroup *cg);
/* Every cgroup directory of the container, in each hierarchy (v2 first): what must be collected
 * if its owner dies. */
int cgroup_paths(const struct cgroup *cg, char ***ret);

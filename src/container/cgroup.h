/* One cgroup per container, removed when it ends, with systemd's property names for limits.
 *
 * Which hierarchy: for each controller hako uses cgroup v2 when the unified hierarchy offers it
 * (cgroup.controllers), else the v1 hierarchy that has it mounted. On a hybrid host (v2 at
 * /sys/fs/cgroup/unified without controllers, v1 memory/pids/cpu beside it) limits go to v1 and
 * the unified hierarchy still holds the container's cgroup (what its cgroup namespace shows).
 * The container's cgroup is "<hako's own cgroup>/hako/<machine>" in each hierarchy used; on v2,
 * where no cgroup with processes may hand controllers down, hako alone in its cgroup first moves
 * itself to a leaf "supervisor", and hako sharing its cgroup uses the root's "hako" (v2_base()).
 * HAKO_CGROUP_ROOT=PATH replaces the whole layout with the pure v2 hierarchy mounted at PATH.
 *
 * On a systemd host (PID 1 is systemd, cgroup_systemd_host()) hako's own cgroup is systemd's and
 * not delegated: the container's cgroup is a transient scope machine-NAME.scope that systemd (or
 * machined, which registers the machine) makes in machine.slice with Delegate=yes, and the limits
 * are its unit properties (cgroup_create_unit(), src/container/systemd.c). --keep-unit: the unit
 * hako runs in is delegated to it; hako moves itself to its leaf "supervisor" and the container
 * gets "payload" beside it, on both paths. */
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

// clang-format off
#define CG_INFINITY UINT64_MAX  /* "infinity" */
#define CG_DEFAULT_TASKS_MAX 16384 /* nspawn's TasksMax for every container, when none is given */
// clang-format on

struct cgroup_limits {
	uint64_t value[_CG_PROPERTY_MAX]; /* the parsed value, CG_INFINITY for "infinity" */
	bool set[_CG_PROPERTY_MAX];
	bool has_cpu_affinity; /* --cpu-affinity= given */
	bool accounting;       /* memory and tasks measured even without limits (machines:
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
int cgroup_property_file(enum cgroup_property p, enum cgroup_version v, uint64_t value, const char **ret_file,
			 char *buf, size_t size);

/* The D-Bus unit property for property p (the same table as cgroup_property_file()). */
struct unit_property;
int cgroup_property_bus(enum cgroup_property p, uint64_t value, struct unit_property *ret);
/* Every unit property for the limits in force (given, or TasksMax's default) into props (room for
 * _CG_PROPERTY_MAX + 1), AllowedCPUs' mask in cpus; returns how many. l may be NULL. */
size_t cgroup_unit_properties(const struct cgroup_limits *l, struct unit_property *props, uint8_t *cpus,
			      size_t cpus_size);

struct cgroup_request {
	const char *machine;
	const struct cgroup_limits *limits;
	bool keep_unit;        /* --keep-unit */
	bool register_machine; /* --register= (systemd host only) */
	const char *slice;     /* --slice=, NULL: machine.slice (systemd host only) */
	const char *directory; /* the root directory, for machined */
	const char *uuid;      /* the container's UUID (container_uuid=), machined's id */
	const int *ifindices;  /* the host side of its links, for machined */
	size_t n_ifindices;
};

/* PID 1 is systemd and no HAKO_CGROUP_ROOT replaces the layout. */
bool cgroup_systemd_host(void);

struct cgroup;
/* The cgroupfs path: made before the container's process exists, cgroup_attach() later. */
int cgroup_create(const struct cgroup_request *req, struct cgroup **ret);
/* --keep-unit on a systemd host: registers the unit hako runs in as the machine's with machined
 * (nothing to register with: 0). */
int cgroup_register_unit(const struct cgroup_request *req, pid_t leader, char **ret_why);
/* The systemd path: a scope with leader in it. -ENOPKG/-ENOMEDIUM: no libsystemd or no bus, use
 * the cgroupfs path; other errors may come with the bus's message in *ret_why. */
int cgroup_create_unit(const struct cgroup_request *req, pid_t leader, struct cgroup **ret, char **ret_why);
int cgroup_attach(struct cgroup *cg, pid_t pid);
/* Lets the container's root (uid/gid on the host) manage its subtree (boot mode). */
int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid);
/* Kills what is left, removes every directory made. Safe on NULL. */
void cgroup_destroy(struct cgroup *cg);
/* Kills what is left in the cgroup directory dir and removes it with its sub-cgroups: how a
 * machine's cgroup is collected after its supervisor died (src/machine). */
void cgroup_remove_path(const char *dir);
/* Removes every empty cgroup of hako's whose owner (the hako that made it, marked on it) is
 * gone: a run or start killed while starting left it, and a name never used again kept it. */
void cgroup_collect_orphans(void);
/* The container's cgroup path in the v2 (or first) hierarchy, for messages and tests. */
const char *cgroup_path(const struct cgroup *cg);
/* A cgroup directory of the unified hierarchy as systemd names it, from the hierarchy's root
 * ("/machine.slice/machine-deb.scope", "/hako/deb"); any other path as it is. malloc'd. */
char *cgroup_display_path(const char *dir);
/* Every cgroup directory of the container, in each hierarchy (v2 first): what must be collected
 * if its owner dies. */
int cgroup_paths(const struct cgroup *cg, char ***ret);

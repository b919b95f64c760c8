/* Container cgroups (see cgroup.h). The property table is the whole mapping from systemd's
 * names to the v1 and v2 files: review it here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/util.h"
#include "container/cgroup.h"
#include "container/systemd.h"

enum cgroup_controller { CTRL_MEMORY, CTRL_PIDS, CTRL_CPU, _CTRL_MAX };
static const char *const controller_names[_CTRL_MAX] = { "memory", "pids", "cpu" };

enum value_kind { KIND_SIZE, KIND_COUNT, KIND_PERCENT, KIND_WEIGHT };

#define CPU_PERIOD_USEC 100000

/* One row a property: hako's (systemd's) name, the cgroupfs files on the cgroupfs path, and the
 * unit property on a systemd host (D-Bus type 't' for all; CPUQuota is a rate there). */
static const struct property_info {
	const char *name;
	enum value_kind kind;
	enum cgroup_controller controller;
	const char *v2_file;
	const char *v1_file;
	const char *bus_name;
	char bus_type;
	// clang-format off
} properties[_CG_PROPERTY_MAX] = {
	[CG_MEMORY_MAX] = { "MemoryMax", KIND_SIZE, CTRL_MEMORY, "memory.max", "memory.limit_in_bytes", "MemoryMax", 't' },
	[CG_MEMORY_HIGH] = { "MemoryHigh", KIND_SIZE, CTRL_MEMORY, "memory.high", "memory.soft_limit_in_bytes", "MemoryHigh", 't' },
	[CG_TASKS_MAX] = { "TasksMax", KIND_COUNT, CTRL_PIDS, "pids.max", "pids.max", "TasksMax", 't' },
	[CG_CPU_QUOTA] = { "CPUQuota", KIND_PERCENT, CTRL_CPU, "cpu.max", "cpu.cfs_quota_us", "CPUQuotaPerSecUSec", 't' },
	[CG_CPU_WEIGHT] = { "CPUWeight", KIND_WEIGHT, CTRL_CPU, "cpu.weight", "cpu.shares", "CPUWeight", 't' },
};
// clang-format on

static int parse_value(enum value_kind kind, const char *s, uint64_t *ret)
{
	if (streq(s, "infinity") && kind != KIND_WEIGHT) {
		*ret = CG_INFINITY;
		return 0;
	}
	switch (kind) {
	case KIND_SIZE:
		return parse_size(s, ret);
	case KIND_COUNT:
		return parse_u64(s, ret);
	case KIND_PERCENT: { /* "50%" -> 5000 basis points; over 100% means several CPUs */
		size_t n = strlen(s);
		if (n < 2 || s[n - 1] != '%')
			return -EINVAL;
		_cleanup_free_ char *num = strndup(s, n - 1);
		uint64_t pct;
		if (!num)
			return -ENOMEM;
		int r = parse_u64(num, &pct);
		if (r < 0 || pct == 0 || pct > 100000)
			return r < 0 ? r : -ERANGE;
		*ret = pct * 100;
		return 0;
	}
	case KIND_WEIGHT: {
		int r = parse_u64(s, ret);
		return r < 0 ? r : (*ret < 1 || *ret > 10000) ? -ERANGE : 0;
	}
	}
	return -EINVAL;
}

int cgroup_limits_parse_property(struct cgroup_limits *l, const char *assignment, const char **why)
{
	const char *eq = strchr(assignment, '=');
	if (!eq) {
		*why = "expected NAME=VALUE";
		return -EINVAL;
	}
	for (size_t p = 0; p < _CG_PROPERTY_MAX; p++) {
		size_t n = strlen(properties[p].name);
		if ((size_t)(eq - assignment) != n || strncmp(assignment, properties[p].name, n) != 0)
			continue;
		if (parse_value(properties[p].kind, eq + 1, &l->value[p]) < 0) {
			*why = "invalid value";
			return -EINVAL;
		}
		l->set[p] = true;
		return 0;
	}
	*why = "unsupported property (MemoryMax, MemoryHigh, TasksMax, CPUQuota, CPUWeight)";
	return -EINVAL;
}

int cgroup_limits_parse_cpu_affinity(struct cgroup_limits *l, const char *list, const char **why)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	_cleanup_free_ char *copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	int n = 0;
	for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		char *dash = strchr(w, '-');
		uint32_t lo, hi;
		if (dash)
			*dash = '\0';
		if (parse_u32(w, &lo) < 0 || (dash ? parse_u32(dash + 1, &hi) : (hi = lo, 0)) < 0 ||
		    lo > hi || hi >= CPU_SETSIZE) {
			*why = "expected CPU numbers or ranges like 0,2-3";
			return -EINVAL;
		}
		for (uint32_t c = lo; c <= hi; c++)
			CPU_SET(c, &set);
		n++;
	}
	if (n == 0) {
		*why = "empty CPU list";
		return -EINVAL;
	}
	/* The kernel ignores CPUs it does not have, and refuses a set without any (EINVAL at start). */
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	bool any = false;
	for (long c = 0; c < cpus && c < CPU_SETSIZE; c++)
		any |= CPU_ISSET(c, &set);
	if (!any) {
		*why = "no CPU of the list exists on this machine";
		return -EINVAL;
	}
	l->cpu_affinity = set;
	l->has_cpu_affinity = true;
	return 0;
}

bool cgroup_limits_any(const struct cgroup_limits *l)
{
	for (size_t p = 0; p < _CG_PROPERTY_MAX; p++)
		if (l->set[p])
			return true;
	return false;
}

int cgroup_property_file(enum cgroup_property p, enum cgroup_version v, uint64_t value, const char **ret_file,
			 char *buf, size_t size)
{
	const struct property_info *info = &properties[p];
	bool inf = value == CG_INFINITY;
	*ret_file = v == CGROUP_V2 ? info->v2_file : info->v1_file;
	switch (p) {
	case CG_CPU_QUOTA: {
		unsigned long long quota = inf ? 0 : value * CPU_PERIOD_USEC / 10000;
		if (v == CGROUP_V2)
			inf ? snprintf(buf, size, "max %d", CPU_PERIOD_USEC)
			    : snprintf(buf, size, "%llu %d", quota, CPU_PERIOD_USEC);
		else /* cpu.cfs_period_us is 100000 by default on v1 */
			inf ? snprintf(buf, size, "-1") : snprintf(buf, size, "%llu", quota);
		return 0;
	}
	case CG_CPU_WEIGHT: /* v1 shares: weight 100 <-> 1024 shares (systemd's conversion) */
		snprintf(buf, size, "%llu",
			 (unsigned long long)(v == CGROUP_V2 ? value : value * 1024 / 100));
		return 0;
	case CG_MEMORY_MAX:
	case CG_MEMORY_HIGH:
		if (inf)
			snprintf(buf, size, v == CGROUP_V2 ? "max" : "-1");
		else
			snprintf(buf, size, "%llu", (unsigned long long)value);
		return 0;
	case CG_TASKS_MAX:
		inf ? snprintf(buf, size, "max") : snprintf(buf, size, "%llu", (unsigned long long)value);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int cgroup_property_bus(enum cgroup_property p, uint64_t value, struct unit_property *ret)
{
	if (p >= _CG_PROPERTY_MAX)
		return -EOPNOTSUPP;
	const struct property_info *info = &properties[p];
	*ret = (struct unit_property){ .name = info->bus_name, .type = info->bus_type, .u64 = value };
	/* CPUQuota=50% is 500000 us of CPU time a second; infinity is USEC_INFINITY either way. */
	if (p == CG_CPU_QUOTA && value != CG_INFINITY)
		ret->u64 = value * 100;
	return 0;
}

/* The limit in force for p: the one given, else nspawn's default (TasksMax=16384, what
 * nspawn's register_machine() and allocate_scope() set on every container), else none. */
static bool limit_of(const struct cgroup_limits *l, enum cgroup_property p, uint64_t *ret)
{
	if (l && l->set[p]) {
		*ret = l->value[p];
		return true;
	}
	*ret = CG_DEFAULT_TASKS_MAX;
	return p == CG_TASKS_MAX;
}

/* AllowedCPUs' bitmask: byte i bit j is CPU 8i+j, trailing zero bytes cut. */
static size_t cpu_mask(const cpu_set_t *set, uint8_t *buf, size_t size)
{
	size_t n = 0;
	memset(buf, 0, size);
	for (size_t c = 0; c < size * 8 && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, set)) {
			buf[c / 8] |= (uint8_t)(1u << (c % 8));
			n = c / 8 + 1;
		}
	return n;
}

size_t cgroup_unit_properties(const struct cgroup_limits *l, struct unit_property *props, uint8_t *cpus,
			      size_t cpus_size)
{
	size_t n = 0;
	for (size_t p = 0; p < _CG_PROPERTY_MAX; p++) {
		uint64_t v;
		if (limit_of(l, p, &v))
			(void)cgroup_property_bus(p, v, &props[n++]);
	}
	if (l && l->has_cpu_affinity) {
		size_t bytes = cpu_mask(&l->cpu_affinity, cpus, cpus_size);
		props[n++] = (struct unit_property){
			.name = "AllowedCPUs", .type = 'a', .bytes = cpus, .n_bytes = bytes
		};
	}
	return n;
}

/* --- hierarchies --- */

struct hierarchy {
	char *path;   /* the container's cgroup directory, NULL if unused */
	char *parent; /* its "hako" parent, removed too when empty */
	enum cgroup_version version;
};

struct cgroup {
	struct hierarchy v2;            /* the unified hierarchy, when mounted */
	struct hierarchy v1[_CTRL_MAX]; /* v1 hierarchies used for controllers v2 lacks */
	bool v2_has[_CTRL_MAX];
	char *unit; /* the scope systemd made for it, stopped at the end */
};

/* The cgroup of pid (0: hako) in the hierarchy named by key ("" for v2, "memory" for v1) in
 * /proc/PID/cgroup. */
static int cgroup_of(pid_t pid, const char *key, char **ret)
{
	_cleanup_free_ char *data = NULL, *file = pid ? xasprintf("/proc/%d/cgroup", (int)pid)
						      : strdup("/proc/self/cgroup");
	if (!file)
		return -ENOMEM;
	int r = read_file(file, &data, NULL);
	if (r < 0)
		return r;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':'), *path;
		if (!ctrls || !(path = strchr(++ctrls, ':')))
			continue;
		*path++ = '\0';
		if (*key == '\0' ? *ctrls == '\0' : false)
			return (*ret = strdup(path)) ? 0 : -ENOMEM;
		for (char *c = ctrls, *s2 = NULL, *tok; *key && (tok = strtok_r(c, ",", &s2)); c = NULL)
			if (streq(tok, key))
				return (*ret = strdup(path)) ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

/* Finds the mount points: the cgroup2 one and the v1 one of each controller. */
static int find_mounts(char **ret_v2, char *ret_v1[_CTRL_MAX])
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char mnt[1024], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (streq(fstype, "cgroup2") && !*ret_v2 && !(*ret_v2 = strdup(mnt)))
			return -ENOMEM;
		if (!streq(fstype, "cgroup"))
			continue;
		for (int c = 0; c < _CTRL_MAX; c++) {
			char *s2 = NULL;
			for (char *o = opts, *tok; (tok = strtok_r(o, ",", &s2)); o = NULL)
				if (streq(tok, controller_names[c]) && !ret_v1[c] &&
				    !(ret_v1[c] = strdup(mnt)))
					return -ENOMEM;
			/* strtok_r consumed opts; re-read it for the next controller */
			sscanf(sep + 3, "%*s %*s %1023s", opts);
		}
	}
	return 0;
}

static void v1_mounts_free(char *(*v1)[_CTRL_MAX])
{
	for (int c = 0; c < _CTRL_MAX; c++)
		free((*v1)[c]);
}

char *cgroup_display_path(const char *dir)
{
	_cleanup_free_ char *mount = NULL;
	_cleanup_(v1_mounts_free) char *v1[_CTRL_MAX] = {};
	if (find_mounts(&mount, v1) < 0 || !mount)
		return strdup(dir);
	const char *rest = startswith(dir, mount);
	if (!rest || (*rest && *rest != '/'))
		return strdup(dir);
	return strdup(*rest ? rest : "/");
}

static void v2_controllers(const char *dir, bool has[_CTRL_MAX])
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.controllers", dir), *data = NULL;
	if (!path || read_file(path, &data, NULL) < 0)
		return;
	char *save = NULL;
	for (char *tok = strtok_r(data, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		for (int c = 0; c < _CTRL_MAX; c++)
			if (streq(tok, controller_names[c]))
				has[c] = true;
}

static int own_cgroup(const char *key, char **ret)
{
	return cgroup_of(0, key, ret);
}

static int remove_tree(const char *dir);

/* Who made a container's cgroup: "PID STARTTIME" of the hako that did (the one that runs it:
 * hako run, or the machine's supervisor), in an extended attribute of the directory, as systemd
 * marks its cgroups with trusted.invocation_id. It tells a cgroup whose owner died (collect it)
 * from one another hako is still setting up, which an age could not (issue 18.4). */
#define OWNER_XATTR "trusted.hako_owner"

static void mark_owner(const char *path)
{
	uint64_t start;
	char owner[48];
	if (pid_start_time(getpid(), &start) < 0)
		return;
	snprintf(owner, sizeof(owner), "%d %llu", (int)getpid(), (unsigned long long)start);
	(void)setxattr(path, OWNER_XATTR, owner, strlen(owner), 0);
}

/* 1: its owner lives; 0: it is gone; -ENODATA: no mark (made by an older hako, or hako died
 * between mkdir and the mark). */
static int owner_alive(const char *path)
{
	char owner[48];
	ssize_t n = getxattr(path, OWNER_XATTR, owner, sizeof(owner) - 1);
	if (n < 0)
		return -ENODATA;
	owner[n] = '\0';
	int pid;
	unsigned long long start;
	uint64_t now_start;
	if (sscanf(owner, "%d %llu", &pid, &start) != 2 || pid <= 0)
		return 0;
	return pid_start_time(pid, &now_start) == 0 && now_start == start;
}

/* A cgroup left by a container whose hako was SIGKILLed stays behind, empty: collect it. One
 * with tasks in it is busy (rmdir fails with EBUSY) and stays; so does one whose owner lives.
 * Without an owner's mark, a young one stays too: another hako may just have made it. */
static int collect_stale(const char *path)
{
	int alive = owner_alive(path);
	if (alive > 0)
		return -EBUSY;
	struct stat st;
	if (alive < 0 && stat(path, &st) < 0)
		return -errno;
	if (alive < 0 && time(NULL) - st.st_ctime < 5)
		return -EBUSY;
	return remove_tree(path);
}

/* The container's cgroup directory, marked as ours; a stale one of the same name is collected
 * first. -EBUSY if the name is in use. */
static int make_owned_dir(const char *path)
{
	if (mkdir(path, 0755) < 0) {
		if (errno != EEXIST)
			return -errno;
		if (collect_stale(path) < 0)
			return -EBUSY;
		if (mkdir(path, 0755) < 0)
			return errno == EEXIST ? -EBUSY : -errno;
	}
	mark_owner(path);
	return 0;
}

/* The marked cgroups in dir whose owner is gone: removed (an rmdir that finds tasks fails). */
static void collect_orphans_in(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
		if (path && owner_alive(path) == 0)
			(void)remove_tree(path);
	}
}

/* The cgroup that holds the machines of hako's state directory: "hako" for the default one (the
 * layout nspawn and machined users know), "hako-XXXXXXXX" (a hash of its path) for any other, so
 * that two state directories, each with its own machines, may both run a machine NAME. */
static const char *parent_name(void)
{
	static char name[16];
	if (name[0])
		return name;
	const char *state = hako_dir(HAKO_DIR_STATE);
	uint64_t h = hash64(state, strlen(state));
	if (hako_dir_is_default(HAKO_DIR_STATE))
		snprintf(name, sizeof(name), "hako");
	else
		snprintf(name, sizeof(name), "hako-%08x", (unsigned)(uint32_t)(h ^ h >> 32));
	return name;
}

/* hako's cgroups of a hierarchy mounted at mount: below the collecting hako's own cgroup, and
 * below the root (where they go when hako shares its cgroup with other processes). */
static void collect_orphans_under(const char *mount, const char *own)
{
	_cleanup_free_ char *mine = xasprintf("%s%s/%s", mount, streq(own, "/") ? "" : own, parent_name());
	_cleanup_free_ char *root = xasprintf("%s/%s", mount, parent_name());
	if (mine)
		collect_orphans_in(mine);
	if (root && mine && !streq(root, mine))
		collect_orphans_in(root);
}

void cgroup_collect_orphans(void)
{
	char *v2 = NULL, *v1[_CTRL_MAX] = { 0 };
	_cleanup_free_ char *own = NULL;
	if (find_mounts(&v2, v1) >= 0 && own_cgroup("", &own) >= 0 && v2)
		collect_orphans_under(v2, own);
	for (int c = 0; c < _CTRL_MAX; c++) {
		_cleanup_free_ char *own1 = NULL;
		if (v1[c] && own_cgroup(controller_names[c], &own1) >= 0)
			collect_orphans_under(v1[c], own1);
		free(v1[c]);
	}
	free(v2);
}

/* Enables the controllers in dir's subtree_control. A failure is left for a limit to find: its
 * file is then missing. */
static void enable_controllers(const char *dir, const bool enable[_CTRL_MAX])
{
	_cleanup_free_ char *p = xasprintf("%s/cgroup.subtree_control", dir);
	for (int c = 0; p && c < _CTRL_MAX; c++)
		if (enable[c]) {
			char ctl[16];
			snprintf(ctl, sizeof(ctl), "+%s", controller_names[c]);
			(void)write_file(p, ctl, O_WRONLY, 0);
		}
}

/* hako is the only process in the cgroup directory dir. */
static bool alone_in(const char *dir)
{
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir), *data = NULL;
	char self[24];
	if (!procs || read_file(procs, &data, NULL) < 0)
		return false;
	snprintf(self, sizeof(self), "%d\n", (int)getpid());
	return streq(data, self);
}

/* Moves hako to the leaf "supervisor" below dir, so that dir may hand controllers down. */
static int move_self_to_leaf(const char *dir)
{
	_cleanup_free_ char *sup = xasprintf("%s/supervisor", dir);
	_cleanup_free_ char *procs = sup ? xasprintf("%s/cgroup.procs", sup) : NULL;
	char pid[16];
	if (!procs)
		return -ENOMEM;
	if (mkdir(sup, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return write_file(procs, pid, O_WRONLY, 0);
}

static char *cgroup_dir_of(const char *mount, const char *cgroup)
{
	return xasprintf("%s%s", mount, streq(cgroup, "/") ? "" : cgroup);
}

/* The cgroup (relative to the v2 mount) below which the containers' "hako" cgroup goes, without
 * systemd: hako's own, which must then hand the controllers down. cgroup v2 allows that only to a
 * cgroup without processes, the root excepted (some controllers, pids among them, are let through
 * and then the children cannot be made: never rely on the write failing). Alone in its cgroup (a
 * service of its own) hako moves itself to a leaf "supervisor", as nspawn does in its unit;
 * sharing it (an admin's login shell), it puts the containers below the hierarchy's root, as
 * Docker's and Podman's cgroupfs drivers do. */
static int v2_base(const char *mount, const char *own, const bool enable[_CTRL_MAX], char **ret)
{
	bool any = false;
	for (int c = 0; c < _CTRL_MAX; c++)
		any |= enable[c];
	_cleanup_free_ char *own_dir = cgroup_dir_of(mount, own);
	if (!own_dir)
		return -ENOMEM;
	if (!any || streq(own, "/"))
		*ret = strdup(own);
	else if (!alone_in(own_dir))
		*ret = strdup("/");
	else {
		int r = move_self_to_leaf(own_dir);
		if (r < 0)
			return r;
		*ret = strdup(own);
	}
	return *ret ? 0 : -ENOMEM;
}

/* Makes <mount><own>/<parent_name()>/<machine>; v2 also enables the wanted controllers down the path. */
static int make_hierarchy(struct hierarchy *h, enum cgroup_version v, const char *mount, const char *own,
			  const char *machine, const bool enable[_CTRL_MAX])
{
	h->version = v;
	h->parent = xasprintf("%s%s/%s", mount, streq(own, "/") ? "" : own, parent_name());
	if (!h->parent)
		return -ENOMEM;
	if (v == CGROUP_V2 && enable) {
		/* Controllers must be enabled in the parent of every cgroup that uses them. */
		_cleanup_free_ char *own_dir = cgroup_dir_of(mount, own);
		if (!own_dir)
			return -ENOMEM;
		enable_controllers(own_dir, enable);
	}
	if (mkdir(h->parent, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (v == CGROUP_V2 && enable)
		enable_controllers(h->parent, enable);
	h->path = xasprintf("%s/%s", h->parent, machine);
	if (!h->path)
		return -ENOMEM;
	int r = make_owned_dir(h->path);
	if (r < 0) {
		free(h->path);
		h->path = NULL; /* not ours: never remove a cgroup another container made */
	}
	return r;
}

/* --keep-unit: hako's own cgroup is delegated to it (Delegate=yes). cgroup v2 allows no
 * processes in a cgroup whose children get controllers, so hako moves itself to a leaf
 * "supervisor" and the container gets the sibling "payload", as nspawn does. */
static int make_keep_unit(struct hierarchy *h, const char *mount, const char *own,
			  const bool enable[_CTRL_MAX])
{
	h->version = CGROUP_V2;
	_cleanup_free_ char *own_dir = cgroup_dir_of(mount, own);
	if (!own_dir)
		return -ENOMEM;
	int r = move_self_to_leaf(own_dir);
	if (r < 0)
		return r;
	enable_controllers(own_dir, enable);
	h->path = xasprintf("%s/payload", own_dir);
	if (!h->path)
		return -ENOMEM;
	r = make_owned_dir(h->path);
	if (r < 0) {
		free(h->path);
		h->path = NULL;
	}
	return r;
}

static int write_limit(const struct hierarchy *h, enum cgroup_property p, uint64_t value)
{
	const char *file;
	char buf[64];
	int r = cgroup_property_file(p, h->version, value, &file, buf, sizeof(buf));
	if (r < 0)
		return r;
	_cleanup_free_ char *path = xasprintf("%s/%s", h->path, file);
	return path ? write_file(path, buf, O_WRONLY, 0) : -ENOMEM;
}

static struct hierarchy *hierarchy_for(struct cgroup *cg, enum cgroup_controller c)
{
	if (cg->v2_has[c] && cg->v2.path)
		return &cg->v2;
	return cg->v1[c].path ? &cg->v1[c] : NULL;
}

/* The container's cgroup in the v2 hierarchy at mount, with the wanted controllers it offers. */
static int setup_v2(struct cgroup *cg, const char *mount, const char *machine, const bool wanted[_CTRL_MAX],
		    bool keep_unit)
{
	_cleanup_free_ char *own = NULL, *own_dir = NULL, *base = NULL;
	/* A test-made v2 mount (HAKO_CGROUP_ROOT) is the same kernel hierarchy as the host's unified
	 * one: hako's own cgroup there is the "0::" line. */
	int r = own_cgroup("", &own);
	if (r < 0)
		return r;
	own_dir = cgroup_dir_of(mount, own);
	if (!own_dir)
		return -ENOMEM;
	v2_controllers(own_dir, cg->v2_has);
	bool enable[_CTRL_MAX] = {};
	for (int c = 0; c < _CTRL_MAX; c++)
		enable[c] = wanted[c] && cg->v2_has[c];
	if (keep_unit)
		return make_keep_unit(&cg->v2, mount, own, enable);
	r = v2_base(mount, own, enable, &base);
	if (r < 0)
		return r;
	return make_hierarchy(&cg->v2, CGROUP_V2, mount, base, machine, enable);
}

/* The v1 hierarchies for the controllers wanted that v2 does not offer. */
static int setup_v1(struct cgroup *cg, char *const v1[_CTRL_MAX], const char *machine,
		    const bool wanted[_CTRL_MAX], const bool limited[_CTRL_MAX])
{
	for (int c = 0; c < _CTRL_MAX; c++) {
		if (!wanted[c] || cg->v2_has[c])
			continue;
		if (!v1[c]) {
			if (!limited[c])
				continue;   /* only for accounting: measured nowhere, fine */
			return -EOPNOTSUPP; /* no hierarchy offers this controller */
		}
		_cleanup_free_ char *own = NULL;
		int r = own_cgroup(controller_names[c], &own);
		if (r < 0)
			return r;
		r = make_hierarchy(&cg->v1[c], CGROUP_V1, v1[c], own, machine, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static int setup_layout(struct cgroup *cg, const char *machine, const struct cgroup_limits *l, bool keep_unit)
{
	_cleanup_free_ char *v2 = NULL;
	_cleanup_(v1_mounts_free) char *v1[_CTRL_MAX] = {};
	const char *root = getenv("HAKO_CGROUP_ROOT");
	int r = 0;
	if (root && *root) {
		if (!(v2 = strdup(root)))
			return -ENOMEM;
	} else
		r = find_mounts(&v2, v1);

	bool wanted[_CTRL_MAX] = {}, limited[_CTRL_MAX] = {};
	for (size_t p = 0; p < _CG_PROPERTY_MAX; p++)
		if (l && l->set[p])
			wanted[properties[p].controller] = limited[properties[p].controller] = true;
	if (l && l->accounting)
		wanted[CTRL_MEMORY] = wanted[CTRL_PIDS] = true;
	wanted[CTRL_PIDS] = true; /* the default TasksMax, where a hierarchy offers pids */

	if (r < 0)
		return r;
	if (v2)
		r = setup_v2(cg, v2, machine, wanted, keep_unit);
	if (r < 0)
		return r;
	return setup_v1(cg, v1, machine, wanted, limited);
}

/* Every limit in force (given or default) to its file; a given one with no hierarchy to hold
 * it is -EOPNOTSUPP, a default one is skipped. */
static int write_limits(struct cgroup *cg, const struct cgroup_limits *l)
{
	for (size_t p = 0; p < _CG_PROPERTY_MAX; p++) {
		uint64_t v;
		if (!limit_of(l, p, &v))
			continue;
		struct hierarchy *h = hierarchy_for(cg, properties[p].controller);
		int r = h ? write_limit(h, p, v) : -EOPNOTSUPP;
		/* No file: the controller could not be enabled down to the cgroup (cgroup v2's
		 * no-internal-process rule in a cgroup hako does not own). */
		if (r == -ENOENT)
			r = -EOPNOTSUPP;
		if (!(l && l->set[p]))
			r = 0; /* a default, where it can be had */
		if (r < 0)
			return r;
	}
	return 0;
}

static void cgroup_destroyp(struct cgroup **cg)
{
	cgroup_destroy(*cg);
}

int cgroup_create(const struct cgroup_request *req, struct cgroup **ret)
{
	const struct cgroup_limits *l = req->limits;
	_cleanup_(cgroup_destroyp) struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	int r = setup_layout(cg, req->machine, l, req->keep_unit);
	if (r < 0)
		return r;
	r = write_limits(cg, l);
	if (r < 0)
		return r;
	/* v1 memory: swap must not let a hog escape MemoryMax. The file exists only with swap
	 * accounting; without it there is nothing to escape through. */
	if (l && l->set[CG_MEMORY_MAX] && cg->v1[CTRL_MEMORY].path) {
		_cleanup_free_ char *p =
			xasprintf("%s/memory.memsw.limit_in_bytes", cg->v1[CTRL_MEMORY].path);
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld",
			 l->value[CG_MEMORY_MAX] == CG_INFINITY ? -1LL : (long long)l->value[CG_MEMORY_MAX]);
		if (p && access(p, F_OK) == 0)
			r = write_file(p, buf, O_WRONLY, 0);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(cg);
	return 0;
}

bool cgroup_systemd_host(void)
{
	const char *root = getenv("HAKO_CGROUP_ROOT");
	return !(root && *root) && systemd_booted();
}

/* The scope systemd made holds the leader now: its directory in the unified hierarchy. */
static int adopt_scope(struct cgroup *cg, pid_t leader)
{
	_cleanup_free_ char *v2 = NULL, *own = NULL;
	_cleanup_(v1_mounts_free) char *v1[_CTRL_MAX] = {};
	int r = find_mounts(&v2, v1);
	if (r < 0)
		return r;
	if (!v2)
		return -ENOENT;
	r = cgroup_of(leader, "", &own);
	if (r < 0)
		return r;
	cg->v2.version = CGROUP_V2;
	cg->v2.path = xasprintf("%s%s", v2, own);
	return cg->v2.path ? 0 : -ENOMEM;
}

/* The systemd path: systemd (or machined) makes the scope with the limits as its properties and
 * moves the leader in. */
int cgroup_create_unit(const struct cgroup_request *req, pid_t leader, struct cgroup **ret, char **ret_why)
{
	struct unit_property props[_CG_PROPERTY_MAX + 1];
	uint8_t cpus[CPU_SETSIZE / 8];
	struct scope_request sr = {
		.machine = req->machine,
		.slice = req->slice,
		.leader = leader,
		.register_machine = req->register_machine,
		.directory = req->directory,
		.uuid = req->uuid,
		.ifindices = req->ifindices,
		.n_ifindices = req->n_ifindices,
		.properties = props,
		.n_properties = cgroup_unit_properties(req->limits, props, cpus, sizeof(cpus)),
	};
	_cleanup_(cgroup_destroyp) struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	bool registered;
	int r = systemd_create_scope(&sr, &registered, ret_why);
	if (r < 0)
		return r;
	cg->unit = systemd_scope_name(req->machine);
	if (!cg->unit)
		return -ENOMEM;
	r = adopt_scope(cg, leader);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

int cgroup_register_unit(const struct cgroup_request *req, pid_t leader, char **ret_why)
{
	struct scope_request sr = {
		.machine = req->machine,
		.leader = leader,
		.directory = req->directory,
		.uuid = req->uuid,
		.ifindices = req->ifindices,
		.n_ifindices = req->n_ifindices,
	};
	return systemd_register_machine(&sr, ret_why);
}

static int hierarchy_attach(const struct hierarchy *h, pid_t pid)
{
	if (!h->path)
		return 0;
	_cleanup_free_ char *p = xasprintf("%s/cgroup.procs", h->path);
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return p ? write_file(p, buf, O_WRONLY, 0) : -ENOMEM;
}

int cgroup_attach(struct cgroup *cg, pid_t pid)
{
	int r = hierarchy_attach(&cg->v2, pid);
	if (r < 0)
		return r;
	for (int c = 0; c < _CTRL_MAX; c++) {
		r = hierarchy_attach(&cg->v1[c], pid);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid)
{
	/* systemd's delegation: the directory and the files a manager writes to. */
	static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads",
					     "/cgroup.subtree_control" };
	if (!cg->v2.path)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = xasprintf("%s%s", cg->v2.path, files[i]);
		if (!p)
			return -ENOMEM;
		if (chown(p, uid, gid) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

const char *cgroup_path(const struct cgroup *cg)
{
	if (cg->v2.path)
		return cg->v2.path;
	for (int c = 0; c < _CTRL_MAX; c++)
		if (cg->v1[c].path)
			return cg->v1[c].path;
	return NULL;
}

int cgroup_paths(const struct cgroup *cg, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	int r = cg->v2.path ? strv_push(&v, cg->v2.path) : 0;
	if (r < 0)
		return r;
	for (int c = 0; c < _CTRL_MAX; c++) {
		if (!cg->v1[c].path || strv_contains(v, cg->v1[c].path))
			continue;
		r = strv_push(&v, cg->v1[c].path);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

/* Removes dir and any sub-cgroups (a booted init makes its own), deepest first. */
static int remove_tree(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
				_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
				if (sub)
					remove_tree(sub);
			}
	}
	return rmdir(dir) < 0 ? -errno : 0;
}

/* Kills anything still inside (the PID namespace normally took it all with its init). */
static void kill_remaining(const char *dir)
{
	_cleanup_free_ char *kill_file = xasprintf("%s/cgroup.kill", dir);
	if (kill_file && write_file(kill_file, "1", O_WRONLY, 0) == 0)
		return;
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir), *data = NULL;
	if (!procs || read_file(procs, &data, NULL) < 0)
		return;
	char *save = NULL;
	for (char *tok = strtok_r(data, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		int pid;
		if (parse_int(tok, &pid) == 0 && pid > 0)
			kill(pid, SIGKILL);
	}
}

/* Stopping a unit is asynchronous: wait (up to 5 s) until systemd removed the scope, so that a
 * machine started again at once (reboot) finds its name free. */
static void wait_gone(const char *dir)
{
	for (int i = 0; i < 1000 && access(dir, F_OK) == 0; i++)
		usleep(5000);
}

/* A scope's directory is systemd's: stop the unit (and so the machine), systemd removes it. */
static bool stop_scope(const char *dir)
{
	const char *base = strrchr(dir, '/');
	if (!base || !endswith(base, ".scope") || !cgroup_systemd_host())
		return false;
	_cleanup_free_ char *why = NULL;
	if (systemd_stop_unit(base + 1, &why) < 0)
		return false;
	wait_gone(dir);
	return true;
}

void cgroup_remove_path(const char *dir)
{
	kill_remaining(dir);
	if (stop_scope(dir))
		return;
	/* Killed tasks leave the cgroup asynchronously (slowly on a loaded host): retry on EBUSY
	 * for up to 5 s. */
	for (int i = 0; i < 1000 && remove_tree(dir) == -EBUSY; i++)
		usleep(5000);
}

static void hierarchy_destroy(struct hierarchy *h)
{
	if (h->path) {
		cgroup_remove_path(h->path);
		if (h->parent)
			(void)rmdir(h->parent); /* fails while other containers use it: fine */
	}
	free(h->path);
	free(h->parent);
	h->path = h->parent = NULL;
}

void cgroup_destroy(struct cgroup *cg)
{
	if (!cg)
		return;
	if (cg->unit && cg->v2.path) { /* systemd's: never rmdir it behind systemd's back */
		kill_remaining(cg->v2.path);
		_cleanup_free_ char *why = NULL;
		(void)systemd_stop_unit(cg->unit, &why);
		wait_gone(cg->v2.path);
		free(cg->v2.path);
		cg->v2.path = NULL;
	}
	free(cg->unit);
	hierarchy_destroy(&cg->v2);
	for (int c = 0; c < _CTRL_MAX; c++)
		hierarchy_destroy(&cg->v1[c]);
	free(cg);
}

/* Container cgroups (see cgroup.h). The property table is the whole mapping from systemd's
 * names to the v1 and v2 files: review it here. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/cgroup.h"

enum cgroup_controller { CTRL_MEMORY, CTRL_PIDS, CTRL_CPU, _CTRL_MAX };
static const char *const controller_names[_CTRL_MAX] = { "memory", "pids", "cpu" };

enum value_kind { KIND_SIZE, KIND_COUNT, KIND_PERCENT, KIND_WEIGHT };

#define CPU_PERIOD_USEC 100000

static const struct property_info {
	const char *name;
	enum value_kind kind;
	enum cgroup_controller controller;
	const char *v2_file;
	const char *v1_file;
} properties[_CG_PROPERTY_MAX] = {
	[CG_MEMORY_MAX] = { "MemoryMax", KIND_SIZE, CTRL_MEMORY, "memory.max", "memory.limit_in_bytes" },
	[CG_MEMORY_HIGH] = { "MemoryHigh", KIND_SIZE, CTRL_MEMORY, "memory.high", "memory.soft_limit_in_bytes" },
	[CG_TASKS_MAX] = { "TasksMax", KIND_COUNT, CTRL_PIDS, "pids.max", "pids.max" },
	[CG_CPU_QUOTA] = { "CPUQuota", KIND_PERCENT, CTRL_CPU, "cpu.max", "cpu.cfs_quota_us" },
	[CG_CPU_WEIGHT] = { "CPUWeight", KIND_WEIGHT, CTRL_CPU, "cpu.weight", "cpu.shares" },
};

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

int cgroup_property_file(enum cgroup_property p, enum cgroup_version v, uint64_t value,
			 const char **ret_file, char *buf, size_t size)
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
		snprintf(buf, size, "%llu", (unsigned long long)(v == CGROUP_V2 ? value : value * 1024 / 100));
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

/* --- hierarchies --- */

struct hierarchy {
	char *path;             /* the container's cgroup directory, NULL if unused */
	char *parent;           /* its "hako" parent, removed too when empty */
	enum cgroup_version version;
};

struct cgroup {
	struct hierarchy v2;               /* the unified hierarchy, when mounted */
	struct hierarchy v1[_CTRL_MAX];    /* v1 hierarchies used for controllers v2 lacks */
	bool v2_has[_CTRL_MAX];
};

/* hako's own cgroup in the hierarchy named by key ("" for v2, "memory" for v1) in
 * /proc/self/cgroup. */
static int own_cgroup(const char *key, char **ret)
{
	_cleanup_free_ char *data = NULL;
	int r = read_file("/proc/self/cgroup", &data, NULL);
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
				if (streq(tok, controller_names[c]) && !ret_v1[c] && !(ret_v1[c] = strdup(mnt)))
					return -ENOMEM;
			/* strtok_r consumed opts; re-read it for the next controller */
			sscanf(sep + 3, "%*s %*s %1023s", opts);
		}
	}
	return 0;
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

static int remove_tree(const char *dir);

/* A cgroup left by a container whose hako was SIGKILLed stays behind, empty: collect it. One
 * with tasks in it is busy (rmdir fails with EBUSY) and stays; so does a young empty one, which
 * another hako may have just made and not yet moved its container into. */
static int collect_stale(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (time(NULL) - st.st_ctime < 5)
		return -EBUSY;
	return remove_tree(path);
}

/* Makes <mount><own>/hako/<machine>; v2 also enables the wanted controllers down the path. */
static int make_hierarchy(struct hierarchy *h, enum cgroup_version v, const char *mount,
			  const char *own, const char *machine, const bool enable[_CTRL_MAX])
{
	h->version = v;
	h->parent = xasprintf("%s%s/hako", mount, streq(own, "/") ? "" : own);
	if (!h->parent)
		return -ENOMEM;
	if (v == CGROUP_V2 && enable) {
		/* Controllers must be enabled in the parent of every cgroup that uses them. */
		_cleanup_free_ char *own_dir = xasprintf("%s%s", mount, streq(own, "/") ? "" : own);
		for (int c = 0; own_dir && c < _CTRL_MAX; c++)
			if (enable[c]) {
				char ctl[16];
				snprintf(ctl, sizeof(ctl), "+%s", controller_names[c]);
				_cleanup_free_ char *p = xasprintf("%s/cgroup.subtree_control", own_dir);
				if (p)
					(void)write_file(p, ctl, O_WRONLY, 0);
			}
	}
	if (mkdir(h->parent, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (v == CGROUP_V2 && enable)
		for (int c = 0; c < _CTRL_MAX; c++)
			if (enable[c]) {
				char ctl[16];
				snprintf(ctl, sizeof(ctl), "+%s", controller_names[c]);
				_cleanup_free_ char *p = xasprintf("%s/cgroup.subtree_control", h->parent);
				int r = p ? write_file(p, ctl, O_WRONLY, 0) : -ENOMEM;
				if (r < 0)
					return r;
			}
	h->path = xasprintf("%s/%s", h->parent, machine);
	if (!h->path)
		return -ENOMEM;
	if (mkdir(h->path, 0755) < 0 && !(errno == EEXIST && collect_stale(h->path) == 0 &&
					    mkdir(h->path, 0755) == 0)) {
		int r = errno == EEXIST ? -EBUSY : -errno;
		free(h->path);
		h->path = NULL; /* not ours: never remove a cgroup another container made */
		return r;
	}
	return 0;
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

static int setup_layout(struct cgroup *cg, const char *machine, const struct cgroup_limits *l)
{
	_cleanup_free_ char *v2 = NULL;
	char *v1[_CTRL_MAX] = {};
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

	if (r >= 0 && v2) {
		_cleanup_free_ char *own = NULL;
		/* A test-made v2 mount (HAKO_CGROUP_ROOT) is the same kernel hierarchy as the host's
		 * unified one: hako's own cgroup there is the "0::" line. */
		r = own_cgroup("", &own);
		if (r >= 0) {
			_cleanup_free_ char *own_dir = xasprintf("%s%s", v2, streq(own, "/") ? "" : own);
			if (!own_dir)
				r = -ENOMEM;
			else
				v2_controllers(own_dir, cg->v2_has);
		}
		bool enable[_CTRL_MAX] = {};
		for (int c = 0; c < _CTRL_MAX; c++)
			enable[c] = wanted[c] && cg->v2_has[c];
		if (r >= 0)
			r = make_hierarchy(&cg->v2, CGROUP_V2, v2, own, machine, enable);
	}
	for (int c = 0; r >= 0 && c < _CTRL_MAX; c++) {
		if (!wanted[c] || cg->v2_has[c])
			continue;
		if (!v1[c]) {
			if (!limited[c])
				continue; /* only for accounting: measured nowhere, fine */
			r = -EOPNOTSUPP; /* no hierarchy offers this controller */
			break;
		}
		_cleanup_free_ char *own = NULL;
		r = own_cgroup(controller_names[c], &own);
		if (r >= 0)
			r = make_hierarchy(&cg->v1[c], CGROUP_V1, v1[c], own, machine, NULL);
	}
	for (int c = 0; c < _CTRL_MAX; c++)
		free(v1[c]);
	return r;
}

int cgroup_create(const char *machine, const struct cgroup_limits *l, struct cgroup **ret)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	int r = setup_layout(cg, machine, l);
	for (size_t p = 0; r >= 0 && p < _CG_PROPERTY_MAX; p++) {
		if (!l || !l->set[p])
			continue;
		struct hierarchy *h = hierarchy_for(cg, properties[p].controller);
		r = h ? write_limit(h, p, l->value[p]) : -EOPNOTSUPP;
	}
	/* v1 memory: swap must not let a hog escape MemoryMax. The file exists only with swap
	 * accounting; without it there is nothing to escape through. */
	if (r >= 0 && l && l->set[CG_MEMORY_MAX] && cg->v1[CTRL_MEMORY].path) {
		_cleanup_free_ char *p = xasprintf("%s/memory.memsw.limit_in_bytes", cg->v1[CTRL_MEMORY].path);
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", l->value[CG_MEMORY_MAX] == CG_INFINITY ? -1LL
						 : (long long)l->value[CG_MEMORY_MAX]);
		if (p && access(p, F_OK) == 0)
			r = write_file(p, buf, O_WRONLY, 0);
	}
	if (r < 0) {
		cgroup_destroy(cg);
		return r;
	}
	*ret = cg;
	return 0;
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
	for (int c = 0; r >= 0 && c < _CTRL_MAX; c++)
		r = hierarchy_attach(&cg->v1[c], pid);
	return r;
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
	for (int c = 0; r >= 0 && c < _CTRL_MAX; c++)
		if (cg->v1[c].path && !strv_contains(v, cg->v1[c].path))
			r = strv_push(&v, cg->v1[c].path);
	if (r < 0)
		return r;
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

void cgroup_remove_path(const char *dir)
{
	kill_remaining(dir);
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
	hierarchy_destroy(&cg->v2);
	for (int c = 0; c < _CTRL_MAX; c++)
		hierarchy_destroy(&cg->v1[c]);
	free(cg);
}

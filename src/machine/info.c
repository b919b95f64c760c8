#include "machine/info.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "container/user.h"
#include "machine/envfile.h"
#include "net/rtnl.h"

int machine_cgroup_own_pids(const char *dir, char ***ret)
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir), *text = NULL;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	_cleanup_strv_free_ char **pids = NULL;
	for (char *save = NULL, *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		r = strv_push(&pids, tok);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(pids);
	return 0;
}

static int append_pids(const char *dir, pid_t **pids, size_t *n)
{
	_cleanup_strv_free_ char **own = NULL;
	int r = machine_cgroup_own_pids(dir, &own);
	if (r < 0)
		return r;
	for (char **t = own; t && *t; t++) {
		int pid;
		if (parse_int(*t, &pid) < 0)
			continue;
		pid_t *p = realloc(*pids, (*n + 1) * sizeof(pid_t));
		if (!p)
			return -ENOMEM;
		*pids = p;
		p[(*n)++] = pid;
	}
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			_cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
			if (!sub)
				return -ENOMEM;
			(void)append_pids(sub, pids, n);
		}
	return 0;
}

int machine_cgroup_pids(const char *dir, pid_t **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	int r = append_pids(dir, ret, ret_n);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}

struct lookup {
	const char *key;
	char *value;
};

static int find_key(void *userdata, const char *key, const char *value)
{
	struct lookup *l = userdata;
	if (!streq(key, l->key))
		return 0;
	free(l->value);
	l->value = strdup(value);
	return l->value ? 0 : -ENOMEM;
}

/* os-release is a few hundred bytes: a tree's 300 MB sparse one is not read (issue 18). */
#define OS_RELEASE_MAX (64u << 10)

char *machine_os_release(int rootfd, const char *key)
{
	static const char *const paths[] = { "etc/os-release", "usr/lib/os-release" };
	for (size_t i = 0; rootfd >= 0 && i < ELEMENTSOF(paths); i++) {
		/* Inside the tree only (an absolute symlink must not read the host's file), and a
		 * regular file only (a FIFO would block hako list). */
		_cleanup_close_ int fd = open_in_root(rootfd, paths[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		_cleanup_free_ char *text = NULL;
		if (fd < 0)
			continue;
		if (read_file_bounded_fd(fd, OS_RELEASE_MAX, &text, NULL) < 0)
			continue;
		struct lookup l = { key, NULL };
		(void)envfile_parse(text, find_key, &l);
		return l.value;
	}
	return NULL;
}

char *machine_id_of(int rootfd)
{
	_cleanup_close_ int fd =
		rootfd >= 0 ? open_in_root(rootfd, "etc/machine-id", O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	_cleanup_free_ char *text = NULL;
	if (fd < 0)
		return NULL;
	if (read_file_bounded_fd(fd, 64, &text, NULL) < 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	if (strlen(text) != 32 || strspn(text, "0123456789abcdef") != 32)
		return NULL; /* empty, "uninitialized", or not an id */
	return TAKE_PTR(text);
}

int machine_open_root(const char *dir_or_null, pid_t leader)
{
	_cleanup_free_ char *p = dir_or_null ? strdup(dir_or_null) : xasprintf("/proc/%d/root", (int)leader);
	if (!p)
		return -ENOMEM;
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int machine_addresses(pid_t leader, char ***ret)
{
	*ret = NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)leader);
	_cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -errno;
	/* One rtnetlink socket made in the machine's namespace (this thread enters it only for
	 * socket()), not a child per machine: hako list's cost per machine stays a few system
	 * calls (issue 21). */
	return rtnl_addresses(ns, ret);
}

/* The first of files found in the first directory that has one: a counter's value. */
static int read_counter(char *const *dirs, const char *const *files, size_t n, uint64_t *ret)
{
	for (char *const *d = dirs; d && *d; d++)
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", *d, files[i]), *v = NULL;
			if (!p)
				return -ENOMEM;
			if (read_line_file(p, &v) >= 0)
				return parse_u64(v, ret);
		}
	return -ENOENT;
}

int machine_memory(char *const *dirs, uint64_t *ret)
{
	/* v2's counter where the unified hierarchy has the memory controller, else v1's (systemd
	 * reads the same on a legacy or hybrid host). */
	static const char *const files[] = { "memory.current", "memory.usage_in_bytes" };
	return read_counter(dirs, files, ELEMENTSOF(files), ret);
}

int machine_tasks(char *const *dirs, uint64_t *ret)
{
	static const char *const files[] = { "pids.current" }; /* the same file in v1 and v2 */
	if (read_counter(dirs, files, ELEMENTSOF(files), ret) >= 0)
		return 0;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = dirs && dirs[0] ? machine_cgroup_pids(dirs[0], &pids, &n) : -ENOENT;
	*ret = n;
	return r;
}

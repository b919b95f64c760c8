/* The process tree of `hako status`, as systemctl status and machinectl status draw a cgroup:
 * each cgroup below the machine's a branch, each process "PID command line" a leaf. */
#include "machine/cgtree.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "machine/info.h"

/* The child cgroups of dir, sorted. */
static int child_cgroups(const char *dir, char ***ret)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	char **names = NULL;
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_type == DT_DIR && e->d_name[0] != '.' && strv_push(&names, e->d_name) < 0) {
			strv_free(names);
			return -ENOMEM;
		}
	strv_sort(names);
	*ret = names;
	return d ? 0 : -errno;
}

/* "PID command line", arguments joined by spaces; "PID" alone for a kernel thread or a process
 * that just ended. */
static void print_process(FILE *f, const char *prefix, const char *pid)
{
	_cleanup_free_ char *path = xasprintf("/proc/%s/cmdline", pid), *cmdline = NULL;
	size_t len = 0;
	if (path && read_file(path, &cmdline, &len) >= 0)
		for (size_t i = 0; i + 1 < len; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
	fprintf(f, "%s%s %s\n", prefix, pid, cmdline ? cmdline : "");
}

/* depth bounds what a guest can make its host print: cgroups nest at most this deep here. */
#define TREE_DEPTH_MAX 16

static void print_level(FILE *f, const char *dir, const char *indent, int depth)
{
	_cleanup_strv_free_ char **pids = NULL, **children = NULL;
	if (depth > TREE_DEPTH_MAX)
		return;
	if (machine_cgroup_own_pids(dir, &pids) < 0)
		return;
	if (child_cgroups(dir, &children) < 0)
		return;
	size_t n_pids = strv_length(pids), n_children = strv_length(children);
	for (size_t i = 0; i < n_pids; i++) {
		_cleanup_free_ char *prefix =
			xasprintf("%s%s", indent, i + 1 < n_pids || n_children ? "├─" : "└─");
		if (prefix)
			print_process(f, prefix, pids[i]);
	}
	for (size_t i = 0; i < n_children; i++) {
		bool last = i + 1 == n_children;
		_cleanup_free_ char *sub = xasprintf("%s/%s", dir, children[i]);
		_cleanup_free_ char *next = xasprintf("%s%s", indent, last ? "  " : "│ ");
		if (!sub || !next)
			return;
		fprintf(f, "%s%s%s\n", indent, last ? "└─" : "├─", children[i]);
		print_level(f, sub, next, depth + 1);
	}
}

void cgroup_tree_print(FILE *f, const char *dir, const char *indent)
{
	print_level(f, dir, indent, 0);
}

/* Where a lab lives on the host ($HAKO_RUNTIME_DIR/labs/LAB) and how it goes away. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dirs.h"
#include "base/exit.h"
#include "base/log.h"
#include "base/util.h"
#include "lab/hosts.h"
#include "lab/lab.h"
#include "lab/labcmd.h"
#include "lab/programs.h"
#include "net/netns.h"

char *lab_path(const char *lab, const char *fmt, ...)
{
	_cleanup_free_ char *sub = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&sub, fmt, ap);
	va_end(ap);
	if (r < 0) {
		sub = NULL;
		return NULL;
	}
	return hako_path(HAKO_DIR_RUNTIME, "labs/%s%s%s", lab, *sub ? "/" : "", sub);
}

bool lab_is_up(const char *lab)
{
	_cleanup_free_ char *p = lab_path(lab, "up");
	return p && access(p, F_OK) == 0;
}

int lab_load(const char *lab, struct lab_topology **ret)
{
	if (!machine_name_valid(lab))
		return -ENOENT;
	_cleanup_free_ char *p = lab_path(lab, "topology");
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	int r = read_file(p, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return log_errno(r, "cannot read %s", p);
	_cleanup_topology_ struct lab_topology *t = NULL;
	r = topology_parse_string(text, p, &t);
	if (r < 0)
		return r;
	/* Without Name= the name came from the original file's name, not from this copy's. */
	free(t->name);
	t->name = strdup(lab);
	if (!t->name)
		return log_errno(-ENOMEM, "out of memory");
	r = lab_host_load(t);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(t);
	return 0;
}

int lab_ns_open(const char *lab, const char *member)
{
	_cleanup_free_ char *p = lab_path(lab, "ns/%s", member);
	if (!p)
		return log_errno(-ENOMEM, "out of memory");
	int fd = netns_open(p);
	if (fd < 0)
		return log_errno(fd, "lab %s: cannot open the namespace of %s", lab, member);
	return fd;
}

/* Unmounts and removes every namespace file (the kernel then frees the namespaces, and with them
 * every veth and bridge of the lab). */
static int remove_namespaces(const char *lab)
{
	_cleanup_free_ char *dir = lab_path(lab, "ns");
	if (!dir)
		return -ENOMEM;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return -errno;
	int r = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, e->d_name);
		if (!p)
			return -ENOMEM;
		if (umount2(p, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			r = -errno;
		if (unlink(p) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	return r;
}

int lab_lock(void)
{
	int r = hako_mkdir(HAKO_DIR_RUNTIME, "labs");
	if (r < 0)
		return log_errno(r, "cannot create the labs' directory");
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "labs");
	if (!dir)
		return log_errno(-ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open %s", dir);
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_errno(-errno, "cannot lock %s", dir);
	return TAKE_FD(fd);
}

/* The namespace files and the tmpfs under them (absent if up died before mounting it). */
static int remove_ns_dir(const char *lab)
{
	int r = remove_namespaces(lab);
	if (r < 0)
		return r;
	_cleanup_free_ char *ns = lab_path(lab, "ns");
	if (!ns)
		return -ENOMEM;
	if (umount2(ns, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	return 0;
}

int lab_down(const char *lab)
{
	_cleanup_free_ char *dir = lab_path(lab, "%s", "");
	if (!dir)
		return log_errno(-ENOMEM, "out of memory");
	if (!machine_name_valid(lab) || access(dir, F_OK) < 0)
		return -ENOENT;
	/* Not up from the first step on: a down killed half way leaves a lab that `lab list`
	 * calls incomplete, not up (issue 18.8); another down finishes it. */
	_cleanup_free_ char *up = lab_path(lab, "up");
	if (!up)
		return log_errno(-ENOMEM, "out of memory");
	if (unlink(up) < 0 && errno != ENOENT)
		return log_errno(-errno, "lab %s: cannot mark it going down", lab);
	lab_programs_kill(lab);
	/* For the tests only, as HAKO_TEST_LAB_KILL_AFTER for up (src/lab/up.c): a down killed
	 * half way, at a point it reaches for sure. */
	if (getenv("HAKO_TEST_LAB_DOWN_KILL"))
		raise(SIGKILL);
	/* The containers first: they hold their nodes' namespaces. */
	int r = lab_stop_containers(lab);
	if (r < 0)
		return r;
	r = remove_ns_dir(lab);
	if (r < 0)
		return log_errno(r, "lab %s: cannot remove its namespaces", lab);
	r = rm_rf(dir);
	if (r < 0)
		return log_errno(r, "lab %s: cannot remove %s", lab, dir);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lab_list(char ***ret)
{
	_cleanup_free_ char *dir = hako_path(HAKO_DIR_RUNTIME, "labs");
	if (!dir)
		return log_errno(-ENOMEM, "out of memory");
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = opendir(dir);
	/* No directory: no lab was ever made. */
	if (!d && errno != ENOENT)
		return log_errno(-errno, "cannot read %s", dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		if (strv_push(&names, e->d_name) < 0)
			return log_errno(-ENOMEM, "out of memory");
	}
	if (names)
		qsort(names, strv_length(names), sizeof(char *), cmp_str);
	*ret = TAKE_PTR(names);
	return 0;
}

/* A lab named by a topology file (a path: it has a '/' or names an existing regular file) or by
 * name. *ret_t gets the parsed file when it was one. */
int lab_resolve(const char *arg, char **ret_name, struct lab_topology **ret_t)
{
	struct stat st;
	if (strchr(arg, '/') || (stat(arg, &st) == 0 && S_ISREG(st.st_mode))) {
		_cleanup_topology_ struct lab_topology *t = NULL;
		int r = topology_parse_file(arg, &t);
		if (r < 0)
			return r;
		*ret_name = strdup(t->name);
		if (!*ret_name)
			return log_errno(-ENOMEM, "out of memory");
		if (ret_t)
			*ret_t = TAKE_PTR(t);
		return 0;
	}
	if (!machine_name_valid(arg)) {
		log_error("'%s' is neither a lab name nor a topology file", arg);
		return -EINVAL;
	}
	*ret_name = strdup(arg);
	if (!*ret_name)
		return log_errno(-ENOMEM, "out of memory");
	return 0;
}

int lab_load_or_fail(const char *name, struct lab_topology **ret)
{
	int r = lab_load(name, ret);
	if (r == -ENOENT)
		log_error("no lab '%s' (see hako lab list)", name);
	return r;
}

int lab_cmd_parse_node(const struct opt_group *group, int argc, char **argv, void *cfg, const char *usage,
		       int *ret_index)
{
	int i = opts_parse(group, 1, argc, argv, cfg, 0, usage, NULL);
	if (i == -ECANCELED)
		return 0;
	if (i < 0)
		return EXIT_HAKO_USAGE;
	if (argc - i != 2) {
		log_error("usage: %s", usage + strlen("Usage: "));
		return EXIT_HAKO_USAGE;
	}
	*ret_index = i;
	return -1;
}

/* The child that works inside a machine's mounts (mntns.h). */
#include "machine/mntns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

static int enter_mounts(int mntns, int root)
{
	/* Non-dumpable before joining: nothing inside may open this process's /proc/PID/fd (the
	 * host's side of a copy) or /proc/PID/exe (runc's CVE-2019-5736). */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	if (setns(mntns, CLONE_NEWNS) < 0)
		return -errno;
	/* The machine's root as this process's: an absolute symlink inside it ("/", "/etc/passwd")
	 * then names the machine's file, not the host's (docker cp's CVE-2018-15664 and
	 * CVE-2019-14271 resolved such paths on the host). */
	int r = chroot_fd(root);
	if (r < 0)
		return r;
	umask(0);
	return 0;
}

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

int machine_in_mounts(pid_t leader, int (*fn)(void *userdata), void *userdata)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)leader);
	_cleanup_close_ int mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (mntns < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/root", (int)leader);
	_cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int r = enter_mounts(mntns, root);
		if (r < 0)
			_exit(-r & 0xff);
		r = fn(userdata);
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	return wait_child(pid);
}

int machine_uid_shift(pid_t leader, uid_t *ret)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/uid_map", (int)leader), *map = NULL;
	if (!path)
		return -ENOMEM;
	int r = read_file(path, &map, NULL);
	if (r < 0)
		return r;
	unsigned long inside, outside;
	/* The line that maps the machine's root; the host's identity map says 0 too. */
	for (char *line = map; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (sscanf(line, "%lu %lu", &inside, &outside) == 2 && inside == 0) {
			*ret = (uid_t)outside;
			return 0;
		}
	return -ENOENT;
}

int path_split(const char *path, char **ret_dir, char **ret_name)
{
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	const char *name = slash ? slash + 1 : copy;
	if (!*name || streq(name, ".") || streq(name, ".."))
		return -EINVAL;
	_cleanup_free_ char *dir = !slash          ? strdup(".")
				   : slash == copy ? strdup("/")
						   : strndup(copy, (size_t)(slash - copy));
	if (!dir)
		return -ENOMEM;
	if (ret_name) {
		*ret_name = strdup(name);
		if (!*ret_name)
			return -ENOMEM;
	}
	*ret_dir = TAKE_PTR(dir);
	return 0;
}

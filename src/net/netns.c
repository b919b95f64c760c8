#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

int netns_open(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return -EINVAL;
	return TAKE_FD(fd);
}

int netns_enter(int netns_fd, int *ret_saved)
{
	_cleanup_close_ int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	*ret_saved = TAKE_FD(saved);
	return 0;
}

void netns_leave(int saved)
{
	if (setns(saved, CLONE_NEWNET) < 0)
		abort();
	close(saved);
}

int sysctl_write(int netns_fd, const char *key, const char *value)
{
	char path[256];
	if ((size_t)snprintf(path, sizeof(path), "/proc/sys/%s", key) >= sizeof(path))
		return -ENAMETOOLONG;
	int saved = -1;
	if (netns_fd >= 0) {
		int r = netns_enter(netns_fd, &saved);
		if (r < 0)
			return r;
	}
	int r = write_file(path, value, O_TRUNC, 0);
	if (saved >= 0)
		netns_leave(saved);
	return r;
}

int sysctl_net_open(void)
{
	int fd = open("/proc/sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

/* Namespaces looked up through one procfs instance: the walk of a lookup is at most this long,
 * and a new instance (about 0.3 ms) pays for itself many times over at this size. */
#define OPENER_NAMESPACES 64

/* A detached procfs mount, or -errno. */
static int proc_instance(void)
{
	_cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return -errno;
	return m;
}

int sysctl_net_open_fresh(struct sysctl_opener *o)
{
	if (o->proc >= 0 && o->used >= OPENER_NAMESPACES)
		sysctl_opener_done(o);
	if (o->proc < 0 && !o->failed) {
		int m = proc_instance();
		o->failed = m < 0;
		o->proc = m < 0 ? -1 : m;
		o->used = 0;
	}
	if (o->proc < 0)
		return sysctl_net_open();
	o->used++;
	int fd = openat(o->proc, "sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return fd;
}

void sysctl_opener_done(struct sysctl_opener *o)
{
	if (o->proc >= 0)
		close(o->proc);
	o->proc = -1;
}

int sysctl_write_at(int net_dir, const char *key, const char *value)
{
	if (!startswith(key, "net/"))
		return -EINVAL;
	return write_file_at(net_dir, key + strlen("net/"), value, O_TRUNC, 0);
}

#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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

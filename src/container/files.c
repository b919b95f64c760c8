#include "container/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/container.h"
#include "container/mounts.h"
#include "container/specs.h"
#include "container/user.h"

#define HOST_LOCALTIME "/etc/localtime"

/* nspawn's etc_writable(): may hako write the guest's /etc? */
static bool etc_writable(const struct container *c)
{
	return !c->cfg->read_only || c->cfg->ephemeral;
}

/* nspawn's auto rule, from what the host's /etc/localtime is: a symlink into the zoneinfo gives
 * the guest the same symlink, a plain file a copy, none none; a read-only tree gets a bind
 * (or is left alone) instead. link receives the host's symlink target. */
static enum timezone_mode timezone_effective(const struct container *c, char *link, size_t size)
{
	enum timezone_mode m = c->cfg->timezone;
	if (m != TIMEZONE_AUTO && m != TIMEZONE_SYMLINK)
		return m;
	ssize_t n = readlink(HOST_LOCALTIME, link, size - 1);
	int err = n < 0 ? errno : 0;
	link[n < 0 ? 0 : n] = 0;
	if (m == TIMEZONE_AUTO && err == ENOENT)
		return etc_writable(c) ? TIMEZONE_DELETE : TIMEZONE_OFF;
	if (m == TIMEZONE_AUTO && err == EINVAL) /* a plain file */
		return etc_writable(c) ? TIMEZONE_COPY : TIMEZONE_BIND;
	if (err) {
		log_warning("the host's %s is not a symlink (%s): the guest's time zone is left as it is",
			    HOST_LOCALTIME, strerror(err));
		return TIMEZONE_OFF;
	}
	if (m == TIMEZONE_AUTO)
		return etc_writable(c) ? TIMEZONE_SYMLINK : TIMEZONE_BIND;
	return m;
}

/* A symlink ../usr/share/zoneinfo/ZONE when the tree has that zone: 1 done, 0 not possible
 * (the caller binds instead), or a negative errno. */
static int timezone_symlink(int nfd, int etc, const char *host_link)
{
	const char *zone = timezone_from_path(host_link);
	if (!zone) {
		log_warning(
			"the host's %s does not point into /usr/share/zoneinfo: the guest's time zone is left as it is",
			HOST_LOCALTIME);
		return 1;
	}
	char guest[PATH_MAX];
	ssize_t n = readlinkat(etc, "localtime", guest, sizeof(guest) - 1);
	if (n >= 0) {
		guest[n] = 0;
		const char *z = timezone_from_path(guest);
		if (z && streq(z, zone))
			return 1; /* already right */
	}
	_cleanup_free_ char *check = xasprintf("/usr/share/zoneinfo/%s", zone);
	_cleanup_free_ char *what = xasprintf("../usr/share/zoneinfo/%s", zone);
	if (!check || !what)
		return -ENOMEM;
	_cleanup_close_ int z = open_in_root(nfd, check, O_PATH);
	if (z < 0)
		return 0; /* the tree has no such zone */
	if (unlinkat(etc, "localtime", 0) < 0 && errno != ENOENT)
		return -errno;
	return symlinkat(what, etc, "localtime") < 0 ? -errno : 1;
}

static int copy_fd(int from, int to)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (write(to, buf, (size_t)n) != n)
			return -EIO;
	}
}

/* A copy of the host's file replaces whatever the guest had. */
static int timezone_copy(int etc)
{
	_cleanup_close_ int from = open(HOST_LOCALTIME, O_RDONLY | O_CLOEXEC);
	if (from < 0)
		return -errno;
	if (unlinkat(etc, "localtime", 0) < 0 && errno != ENOENT)
		return -errno;
	_cleanup_close_ int to =
		openat(etc, "localtime", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (to < 0)
		return -errno;
	return copy_fd(from, to);
}

/* The host's file bound read-only over the guest's. A missing one is created, as nspawn does,
 * only when asked for by name: auto, hako's default, leaves a tree without the file unchanged. */
static int timezone_bind(int nfd, bool create)
{
	_cleanup_close_ int target = create ? mounts_make_target(nfd, HOST_LOCALTIME, false)
					    : open_in_root(nfd, HOST_LOCALTIME, O_PATH);
	if (target == -ENOENT && !create)
		return 0;
	if (target < 0)
		return target;
	return mounts_bind_onto(HOST_LOCALTIME, target, false, true);
}

static int timezone_apply(const struct container *c, int nfd, int etc, enum timezone_mode m,
			  const char *host_link)
{
	int r;
	switch (m) {
	case TIMEZONE_AUTO:
	case TIMEZONE_OFF:
		return 0;
	case TIMEZONE_DELETE:
		return unlinkat(etc, "localtime", 0) < 0 && errno != ENOENT ? -errno : 0;
	case TIMEZONE_SYMLINK:
		r = timezone_symlink(nfd, etc, host_link);
		if (r != 0)
			return r < 0 ? r : 0;
		/* As nspawn: no such zone in the tree, bind the host's file. */
		__attribute__((fallthrough));
	case TIMEZONE_BIND:
		r = timezone_bind(nfd, c->cfg->timezone != TIMEZONE_AUTO);
		if (r >= 0 || !etc_writable(c))
			return r;
		/* As nspawn: a copy where the bind failed. */
		__attribute__((fallthrough));
	case TIMEZONE_COPY:
		return timezone_copy(etc);
	}
	return -EINVAL;
}

int files_setup_timezone(const struct container *c, int nfd)
{
	char link[PATH_MAX];
	enum timezone_mode m = timezone_effective(c, link, sizeof(link));
	if (m == TIMEZONE_OFF)
		return 0;
	_cleanup_close_ int etc = open_in_root(nfd, "/etc", O_PATH | O_DIRECTORY);
	if (etc < 0)
		return 0; /* not a full tree: nothing to adjust */
	int r = timezone_apply(c, nfd, etc, m, link);
	if (r < 0)
		log_warning("cannot set the container's time zone (/etc/localtime): %s", strerror(-r));
	return 0; /* as nspawn, a time zone is not worth refusing to start over */
}

/* The empty nodes live in the container's /dev tmpfs while they are bound, then are unlinked
 * there: the mounts keep them, the tree is never written, the guest cannot find them. */
static const char inaccessible_file[] = "dev/.hako-inaccessible-file";
static const char inaccessible_dir[] = "dev/.hako-inaccessible-dir";

static int make_inaccessible_nodes(void)
{
	int fd = open(inaccessible_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	/* open() and mkdir() apply the umask: make sure of mode 0000. */
	if (chmod(inaccessible_file, 0) < 0)
		return -errno;
	if (mkdir(inaccessible_dir, 0) < 0)
		return -errno;
	return chmod(inaccessible_dir, 0) < 0 ? -errno : 0;
}

static void remove_inaccessible_nodes(void)
{
	(void)unlink(inaccessible_file);
	(void)rmdir(inaccessible_dir);
}

/* One path: resolved inside the tree (a symlink in it cannot point hako at the host's files),
 * covered by the node of its kind, read-only. A device, FIFO or socket gets the empty file. */
static int hide_path(int nfd, const char *path)
{
	_cleanup_close_ int target = open_in_root(nfd, path, O_PATH);
	if (target < 0)
		return target;
	struct stat st;
	if (fstat(target, &st) < 0)
		return -errno;
	const char *node = S_ISDIR(st.st_mode) ? inaccessible_dir : inaccessible_file;
	return mounts_bind_onto(node, target, false, true);
}

int files_setup_inaccessible(const struct container *c, int nfd)
{
	char **paths = c->cfg->inaccessible;
	if (!paths || !paths[0])
		return 0;
	int r = make_inaccessible_nodes();
	if (r < 0) {
		remove_inaccessible_nodes();
		return log_errno(r, "cannot make the nodes for --inaccessible=");
	}
	for (char **p = paths; *p && r >= 0; p++) {
		r = hide_path(nfd, *p);
		if (r < 0)
			log_errno(r, "cannot make %s inaccessible in the container", *p);
	}
	remove_inaccessible_nodes();
	return r;
}

/* Binding a host path into a running machine (bind.h), through the new mount API. */
#include "machine/bind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "machine/mntns.h"

struct bind_job {
	const struct machine_bind *req;
	int tree;
	bool is_dir;
	uid_t shift;
};

/* The mount point itself: a directory, or an empty file to mount a file on. */
static int make_node(const char *path, bool dir)
{
	if (dir)
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int make_path(const char *dir, const struct bind_job *j)
{
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	return make_node(j->req->machine_path, j->is_dir);
}

/* --mkdir: the mount point, as the machine's root makes it (its fs uid, so that a tree seen
 * through an idmapped mount takes it). */
static int make_mount_point(const struct bind_job *j)
{
	_cleanup_free_ char *dir = NULL;
	int r = path_split(j->req->machine_path, &dir, NULL);
	if (r < 0)
		return r;
	setfsgid(j->shift);
	setfsuid(j->shift);
	r = make_path(dir, j);
	setfsgid(0);
	setfsuid(0);
	return r;
}

static int bind_inside(void *userdata)
{
	struct bind_job *j = userdata;
	if (j->req->mkdir) {
		int r = make_mount_point(j);
		if (r < 0)
			return r;
	}
	/* The mount point is resolved in the machine's root: its symlinks stay inside. */
	if (move_mount(j->tree, "", AT_FDCWD, j->req->machine_path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

int machine_bind(const struct machine_bind *b)
{
	struct bind_job j = { .req = b };
	int r = machine_uid_shift(b->leader, &j.shift);
	if (r < 0)
		return r;
	_cleanup_close_ int tree =
		open_tree(AT_FDCWD, b->host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	if (b->read_only) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return -errno;
	}
	struct stat st;
	if (fstat(tree, &st) < 0)
		return -errno;
	j.tree = tree;
	j.is_dir = S_ISDIR(st.st_mode);
	return machine_in_mounts(b->leader, bind_inside, &j);
}

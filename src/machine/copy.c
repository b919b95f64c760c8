/* Copying into and out of a running machine (copy.h). */
#include "machine/copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/links.h"
#include "base/util.h"
#include "machine/mntns.h"

#define NO_ID ((uid_t)-1)

struct copy_ctx {
	uid_t owner;     /* every new entry's owner and group; NO_ID: the source's */
	uid_t create_as; /* the fs uid and gid while creating (0: root's). A -U machine's root, so
			  * that a tree it sees through an idmapped mount takes the new entry */
	bool replace;
	/* Hard links, as machinectl keeps them: the files with more names met so far, by their
	 * copy's path below top, the top directory of the destination (-1 until it is made). */
	struct hardlinks links;
	int top;
	char rel[PATH_MAX]; /* the directory being copied, relative to top ("" at the top) */
};

static void copy_ctx_done(struct copy_ctx **c)
{
	hardlinks_done(&(*c)->links);
	closep(&(*c)->top);
}

/* Around every creation on the machine's side of a copy-to into a -U machine. */
static void create_as(const struct copy_ctx *c, bool on)
{
	if (!c->create_as)
		return;
	setfsgid(on ? c->create_as : 0);
	setfsuid(on ? c->create_as : 0);
}

static int copy_symlink(int sdir, const char *sname, int ddir, const char *dname)
{
	char target[4096];
	ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (symlinkat(target, ddir, dname) < 0)
		return -errno;
	return 0;
}

/* A second name of a file this copy made already: a link to that copy (2). 0: not one, or one
 * that cannot be linked to from here (another file system below the destination): copied. */
static int link_again(const struct copy_ctx *c, const struct stat *st, int ddir, const char *dname)
{
	const char *first = S_ISDIR(st->st_mode) || st->st_nlink < 2 ? NULL : hardlinks_find(&c->links, st);
	if (!first)
		return 0;
	int r = link_beneath(c->top, first, ddir, dname);
	if (r == -EXDEV || r == -EMLINK)
		return 0;
	return r < 0 ? r : 2;
}

static int make_node(const struct copy_ctx *c, int sdir, const char *sname, const struct stat *st, int ddir,
		     const char *dname, int *ret_fd)
{
	create_as(c, true);
	int r = link_again(c, st, ddir, dname);
	if (r != 0) {
		create_as(c, false);
		return r;
	}
	if (S_ISDIR(st->st_mode))
		r = mkdirat(ddir, dname, 0700) < 0 ? -errno : 0;
	else if (S_ISREG(st->st_mode)) {
		*ret_fd = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		r = *ret_fd < 0 ? -errno : 0;
	} else if (S_ISLNK(st->st_mode))
		r = copy_symlink(sdir, sname, ddir, dname);
	else
		r = mknodat(ddir, dname, st->st_mode, st->st_rdev) < 0 ? -errno : 0;
	create_as(c, false);
	return r;
}

/* Creates the entry; an existing directory where a directory goes is merged into (1); a hard
 * link to an earlier copy is 2. */
static int create_entry(const struct copy_ctx *c, int sdir, const char *sname, const struct stat *st,
			int ddir, const char *dname, int *ret_fd)
{
	int r = make_node(c, sdir, sname, st, ddir, dname, ret_fd);
	if (r != -EEXIST)
		return r;
	struct stat there;
	if (fstatat(ddir, dname, &there, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(there.st_mode) && S_ISDIR(st->st_mode))
		return 1;
	/* A symlink there is replaced itself, never followed. */
	if (!c->replace || S_ISDIR(there.st_mode))
		return -EEXIST;
	if (unlinkat(ddir, dname, 0) < 0)
		return -errno;
	return make_node(c, sdir, sname, st, ddir, dname, ret_fd);
}

static int copy_data(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 24, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		break; /* not between these file systems: read and write */
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		int r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

/* Owner (chown before chmod: it clears setuid bits), mode and times. */
static int copy_attrs(const struct copy_ctx *c, const struct stat *st, int ddir, const char *dname)
{
	uid_t uid = c->owner == NO_ID ? st->st_uid : c->owner;
	gid_t gid = c->owner == NO_ID ? st->st_gid : (gid_t)c->owner;
	if (fchownat(ddir, dname, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, dname, st->st_mode & 07777, 0) < 0)
		return -errno;
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (utimensat(ddir, dname, times, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int copy_node(struct copy_ctx *c, int sdir, const char *sname, int ddir, const char *dname);

static int copy_entries(struct copy_ctx *c, int sdir, const char *sname, int d)
{
	int s = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return -errno;
	_cleanup_closedir_ DIR *dir = fdopendir(s);
	if (!dir) {
		close(s);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int r = copy_node(c, dirfd(dir), de->d_name, d, de->d_name);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The directory's entries, with c->rel naming it below the destination's top meanwhile. */
static int copy_children(struct copy_ctx *c, int sdir, const char *sname, int ddir, const char *dname)
{
	_cleanup_close_ int d = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -errno;
	size_t len = strlen(c->rel);
	if (len + strlen(dname) + 2 > sizeof(c->rel))
		return -ENAMETOOLONG;
	if (c->top < 0) {
		c->top = fcntl(d, F_DUPFD_CLOEXEC, 3);
		if (c->top < 0)
			return -errno;
	} else
		snprintf(c->rel + len, sizeof(c->rel) - len, "%s/", dname);
	int r = copy_entries(c, sdir, sname, d);
	c->rel[len] = '\0';
	return r;
}

static int copy_node(struct copy_ctx *c, int sdir, const char *sname, int ddir, const char *dname)
{
	struct stat st;
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	_cleanup_close_ int out = -1;
	int r = create_entry(c, sdir, sname, &st, ddir, dname, &out);
	if (r < 0)
		return r;
	if (r == 2)
		return 0; /* a link to the copy made already, owner, mode and all */
	bool merged = r == 1;
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return -errno;
		r = copy_data(in, out);
	} else if (S_ISDIR(st.st_mode))
		r = copy_children(c, sdir, sname, ddir, dname);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && c->top >= 0) {
		r = hardlinks_add(&c->links, &st, c->rel, dname);
		if (r < 0)
			return r;
	}
	/* A directory merged into keeps its own owner and mode, as with machinectl. */
	return merged ? 0 : copy_attrs(c, &st, ddir, dname);
}

struct copy_job {
	const struct machine_copy *req;
	struct copy_ctx ctx;
	int host_dir; /* the host's side, opened before the child joined the machine */
	const char *host_name;
};

/* In the child, inside the machine. */
static int copy_inside(void *userdata)
{
	struct copy_job *j = userdata;
	_cleanup_(copy_ctx_done) struct copy_ctx *ctx = &j->ctx;
	_cleanup_free_ char *dir = NULL, *name = NULL;
	int r = path_split(j->req->machine_path, &dir, &name);
	if (r < 0)
		return r;
	if (j->req->mkdir && j->req->to_machine) {
		create_as(ctx, true);
		r = mkdir_p(dir, 0755);
		create_as(ctx, false);
		if (r < 0)
			return r;
	}
	/* The parent is resolved here, in the machine's root: its symlinks stay inside. */
	_cleanup_close_ int mdir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mdir < 0)
		return -errno;
	if (j->req->to_machine)
		return copy_node(ctx, j->host_dir, j->host_name, mdir, name);
	return copy_node(ctx, mdir, name, j->host_dir, j->host_name);
}

int machine_copy(const struct machine_copy *c)
{
	uid_t shift = 0;
	int r = machine_uid_shift(c->leader, &shift);
	if (r < 0)
		return r;
	struct copy_job j = { .req = c,
			      .ctx = { .owner = NO_ID, .replace = c->replace, .top = -1 },
			      .host_dir = -1 };
	if (shift) {
		j.ctx.owner = c->to_machine ? shift : 0;
		j.ctx.create_as = c->to_machine ? shift : 0;
	}
	_cleanup_free_ char *dir = NULL, *host_name = NULL;
	r = path_split(c->host_path, &dir, &host_name);
	if (r < 0)
		return r;
	j.host_name = host_name;
	if (c->mkdir && !c->to_machine) {
		r = mkdir_p(dir, 0755);
		if (r < 0)
			return r;
	}
	_cleanup_close_ int host_dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_dir < 0)
		return -errno;
	j.host_dir = host_dir;
	return machine_in_mounts(c->leader, copy_inside, &j);
}

#include "base/copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/links.h"
#include "base/util.h"

struct copy {
	uint64_t total, done;
	uint64_t last_draw;
	bool bar;
	int root;           /* the destination's top */
	char rel[PATH_MAX]; /* the directory being copied, relative to root ("" at the top) */
	struct hardlinks links;
};

static void progress(struct copy *c, bool final)
{
	uint64_t now = now_usec();
	if (!c->bar || (!final && now - c->last_draw < 100000))
		return;
	c->last_draw = now;
	int pct = c->total ? (int)(c->done * 100 / c->total) : 100, fill = pct / 4;
	fprintf(stderr, "\r[%-25.*s] %3d%% %llu/%llu MiB%s", fill, "#########################", pct,
		(unsigned long long)(c->done >> 20), (unsigned long long)(c->total >> 20), final ? "\n" : "");
}

static uint64_t tree_size(int dirfd)
{
	_cleanup_closedir_ DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return 0;
	}
	uint64_t sum = 0;
	struct dirent *de;
	rewinddir(d);
	while ((de = readdir(d))) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				sum += tree_size(sub);
		}
	}
	return sum;
}

static int copy_data(int in, int out, struct copy *c, off_t size)
{
	if (ioctl(out, FICLONE, in) == 0) {
		c->done += (uint64_t)size;
		return 0;
	}
	for (off_t left = size; left > 0;) {
		ssize_t n =
			copy_file_range(in, NULL, out, NULL, (size_t)(left < (1 << 24) ? left : 1 << 24), 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the file shrank */
		left -= n;
		c->done += (uint64_t)n;
		progress(c, false);
	}
	return 0;
}

static int copy_dir(int src, int dst, struct copy *c);

/* Extended attributes: file capabilities (ping's), ACLs, security labels. */
static int copy_fd_xattrs(int s, int d)
{
	static char names[65536], value[65536];
	ssize_t n = flistxattr(s, names, sizeof(names));
	if (n < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		ssize_t v = fgetxattr(s, k, value, sizeof(value));
		if (v < 0)
			return -errno;
		if (fsetxattr(d, k, value, (size_t)v, 0) < 0)
			return -errno;
	}
	return 0;
}

/* Those of a file or directory (the copy makes no others with xattrs). */
static int copy_xattrs(int src, int dst, const char *name, mode_t mode)
{
	if (!S_ISREG(mode) && !S_ISDIR(mode))
		return 0;
	_cleanup_close_ int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	_cleanup_close_ int d = openat(dst, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (s < 0 || d < 0)
		return -errno;
	return copy_fd_xattrs(s, d);
}

/* A subdirectory, with c->rel naming it while its entries are copied. */
static int copy_subdir(int src, int dst, const char *name, struct copy *c)
{
	size_t len = strlen(c->rel);
	if (len + strlen(name) + 2 > sizeof(c->rel))
		return -ENAMETOOLONG;
	if (mkdirat(dst, name, 0700) < 0)
		return -errno;
	_cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return -errno;
	snprintf(c->rel + len, sizeof(c->rel) - len, "%s/", name);
	int r = copy_dir(s, d, c);
	c->rel[len] = 0;
	return r;
}

static int copy_file(int src, int dst, const char *name, const struct stat *st, struct copy *c)
{
	_cleanup_close_ int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s < 0 || d < 0)
		return -errno;
	int r = copy_data(s, d, c, st->st_size);
	if (r < 0)
		return r;
	return st->st_nlink > 1 ? hardlinks_add(&c->links, st, c->rel, name) : 0;
}

static int copy_symlink(int src, int dst, const char *name)
{
	char target[4096];
	ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return symlinkat(target, dst, name) < 0 ? -errno : 0;
}

/* Owner, mode, xattrs and times of the copy of one entry. */
static int copy_metadata(int src, int dst, const char *name, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	/* After the chown, which clears security.capability. */
	int r = copy_xattrs(src, dst, name, st->st_mode);
	if (r < 0)
		return r;
	return utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* Copies one entry, then its metadata; a second name of a file already copied is a link to it. */
static int copy_entry(int src, int dst, const char *name, struct copy *c)
{
	struct stat st;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	const char *first = !S_ISDIR(st.st_mode) && st.st_nlink > 1 ? hardlinks_find(&c->links, &st) : NULL;
	if (first)
		return link_beneath(c->root, first, dst, name);
	int r;
	if (S_ISDIR(st.st_mode))
		r = copy_subdir(src, dst, name, c);
	else if (S_ISREG(st.st_mode))
		r = copy_file(src, dst, name, &st, c);
	else if (S_ISLNK(st.st_mode))
		r = copy_symlink(src, dst, name);
	else
		r = mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ? -errno : 0;
	if (r < 0)
		return r;
	return copy_metadata(src, dst, name, &st);
}

static int copy_dir(int src, int dst, struct copy *c)
{
	int dup_src = fcntl(src, F_DUPFD_CLOEXEC, 0);
	_cleanup_closedir_ DIR *d = dup_src >= 0 ? fdopendir(dup_src) : NULL;
	if (!d) {
		if (dup_src >= 0)
			close(dup_src);
		return -errno;
	}
	rewinddir(d); /* the dup shares its offset with src, which may have been read */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int r = copy_entry(src, dst, de->d_name, c);
		if (r < 0)
			return r;
	}
	return 0;
}

static void copy_done(struct copy *c)
{
	hardlinks_done(&c->links);
}

int copy_tree_into(int s, int d, bool bar)
{
	_cleanup_(copy_done) struct copy c = { .bar = bar, .root = d };
	c.total = bar ? tree_size(fcntl(s, F_DUPFD_CLOEXEC, 0)) : 0;
	int r = copy_dir(s, d, &c);
	progress(&c, true);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(s, &st) < 0)
		return -errno;
	if (fchown(d, st.st_uid, st.st_gid) < 0)
		return -errno;
	if (fchmod(d, st.st_mode & 07777) < 0)
		return -errno;
	return copy_fd_xattrs(s, d);
}

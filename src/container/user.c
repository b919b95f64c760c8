#include "container/user.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

#define OPEN_IN_ROOT_TRIES 1000

int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	/* With RESOLVE_IN_ROOT, a path through ".." (a tree's /sbin/init -> ../bin/busybox) fails
	 * with EAGAIN whenever a rename or a mount happened anywhere on the host meanwhile: the
	 * kernel could not prove it stayed inside. openat2(2) says to retry; a busy host (other
	 * containers starting) made `hako start` fail with "no init to boot". */
	for (int tries = 0; tries < OPEN_IN_ROOT_TRIES; tries++) {
		int fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* The tree's own file, never the host's (open_in_root), read whole: non-blocking and a regular
 * file of at most READ_FILE_MAX (a FIFO or a huge /etc/passwd in the tree must not hang hako
 * or exhaust its memory; by then signals may be blocked). */
static int read_tree_file(int rootfd, const char *path, FILE **ret)
{
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file_bounded_fd(fd, READ_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	*ret = fmemopen(NULL, len + 1, "w+");
	if (!*ret)
		return -errno;
	if (fwrite(text, 1, len, *ret) != len) {
		fclose(*ret);
		return -EIO;
	}
	rewind(*ret);
	return 0;
}

/* Splits a colon-separated line into at most n fields, in place. Returns the field count. */
static size_t split_fields(char *line, char **f, size_t n)
{
	size_t i = 0;
	line[strcspn(line, "\n")] = 0;
	for (char *p = line; i < n; i++) {
		f[i] = p;
		char *c = strchr(p, ':');
		if (!c)
			return i + 1;
		*c = 0;
		p = c + 1;
	}
	return i;
}

static int find_passwd(int rootfd, const char *user, struct tree_user *u)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r = read_tree_file(rootfd, "/etc/passwd", &f);
	if (r < 0)
		return r;
	uint32_t want;
	bool numeric = parse_u32(user, &want) == 0;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *fl[7];
		uint32_t uid, gid;
		if (split_fields(line, fl, 7) != 7 || parse_u32(fl[2], &uid) < 0 ||
		    parse_u32(fl[3], &gid) < 0)
			continue;
		if (numeric ? uid != want : !streq(fl[0], user))
			continue;
		u->uid = uid;
		u->gid = gid;
		u->name = strdup(fl[0]);
		u->home = strdup(*fl[5] ? fl[5] : "/");
		u->shell = strdup(*fl[6] ? fl[6] : "/bin/sh");
		return u->name && u->home && u->shell ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static bool member_of(char *members, const char *name)
{
	for (char *save = NULL, *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (streq(m, name))
			return true;
	return false;
}

static int find_groups(int rootfd, struct tree_user *u)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r = read_tree_file(rootfd, "/etc/group", &f);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *fl[4];
		uint32_t gid;
		if (split_fields(line, fl, 4) != 4 || parse_u32(fl[2], &gid) < 0 || gid == u->gid ||
		    !member_of(fl[3], u->name))
			continue;
		gid_t *g = realloc(u->groups, (u->n_groups + 1) * sizeof(gid_t));
		if (!g)
			return -ENOMEM;
		g[u->n_groups++] = gid;
		u->groups = g;
	}
	return 0;
}

int tree_user_lookup(int rootfd, const char *user, struct tree_user *ret)
{
	_cleanup_(tree_user_done) struct tree_user u = { 0 };
	int r = find_passwd(rootfd, user, &u);
	if (r < 0)
		return r;
	r = find_groups(rootfd, &u);
	if (r < 0)
		return r;
	*ret = u;
	u = (struct tree_user){ 0 }; /* ret owns it now */
	return 0;
}

void tree_user_done(struct tree_user *u)
{
	free(u->groups);
	free(u->name);
	free(u->home);
	free(u->shell);
	*u = (struct tree_user){ 0 };
}

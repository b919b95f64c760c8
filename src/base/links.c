#include "base/links.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

static int compare(const void *a, const void *b)
{
	const struct link_seen *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

const char *hardlinks_find(const struct hardlinks *h, const struct stat *st)
{
	struct link_seen key = { st->st_dev, st->st_ino, NULL };
	struct link_seen **found = tfind(&key, &h->tree, compare);
	return found ? (*found)->path : NULL;
}

static void link_seen_free(struct link_seen *l)
{
	if (!l)
		return;
	free(l->path);
	free(l);
}

static void link_seen_freep(struct link_seen **l)
{
	link_seen_free(*l);
}

int hardlinks_add(struct hardlinks *h, const struct stat *st, const char *dir, const char *name)
{
	_cleanup_(link_seen_freep) struct link_seen *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = (struct link_seen){ st->st_dev, st->st_ino, xasprintf("%s%s", dir, name) };
	if (!l->path)
		return -ENOMEM;
	struct link_seen **in = tsearch(l, &h->tree, compare);
	if (!in)
		return -ENOMEM;
	if (*in == l)
		TAKE_PTR(l); /* else it was there already: the first copy stays the one linked to */
	return 0;
}

static void free_node(void *l)
{
	link_seen_free(l);
}

void hardlinks_done(struct hardlinks *h)
{
	tdestroy(h->tree, free_node);
	h->tree = NULL;
}

int link_beneath(int top, const char *path, int dirfd, const char *name)
{
	_cleanup_free_ char *parent = strdup(path);
	if (!parent)
		return -ENOMEM;
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = '\0';
	/* No ".." is ever in path, so RESOLVE_BENEATH never fails with EAGAIN here. */
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, top, slash ? parent : ".", &how, sizeof(how));
	if (fd < 0)
		return -errno;
	/* base is one component: linkat() follows nothing (no AT_SYMLINK_FOLLOW). */
	if (linkat(fd, base, dirfd, name, 0) < 0)
		return -errno;
	return 0;
}

/* Hard links kept as hard links by a tree copy (hako clone, import-fs, copy-to, copy-from): the
 * files with more than one name met so far, by the path of their first copy below the
 * destination's top, and the second name made as a link to that copy. */
#pragma once
#include <sys/stat.h>

struct hardlinks {
	void *tree; /* tsearch(3) tree of the (dev, ino) met, each with its copy's path */
};

/* The path below the destination's top of the copy of st's file, or NULL when none was made. */
const char *hardlinks_find(const struct hardlinks *h, const struct stat *st);
/* Remembers that st's file was copied to dir + name ("" or "a/b/" for dir). */
int hardlinks_add(struct hardlinks *h, const struct stat *st, const char *dir, const char *name);
void hardlinks_done(struct hardlinks *h);

/* Makes name in dirfd another name of path below top. path is resolved beneath top and through no
 * symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): what a running machine swaps into the
 * tree meanwhile cannot make hako link a file from outside it, as a name from the host's root
 * could (CVE-2018-15664's kind of race). Never AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH. */
int link_beneath(int top, const char *path, int dirfd, const char *name);

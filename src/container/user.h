/* Users and groups of the container, looked up in the TREE's /etc/passwd and /etc/group (never
 * the host's NSS: the tree's names and numbers are what its files are owned by). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct tree_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups naming the user in /etc/group */
	size_t n_groups;
	char *name, *home, *shell;
};

/* Resolves NAME or a numeric UID. Returns 0, -ENOENT if unknown, or another negative errno. */
int tree_user_lookup(int rootfd, const char *user, struct tree_user *ret);
void tree_user_done(struct tree_user *u);

/* Opens path inside the tree, resolving symlinks as if rootfd were "/" (openat2 RESOLVE_IN_ROOT):
 * an absolute symlink in the tree must never reach the host's files. */
int open_in_root(int rootfd, const char *path, int flags);

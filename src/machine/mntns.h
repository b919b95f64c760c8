/* Working on a running machine's files as the machine sees them (hako copy-to, copy-from, bind):
 * in a forked child that has joined its mount namespace and taken its root as its own, so every
 * path (and every symlink on the way) resolves inside the machine, never on the host. */
#pragma once
#include <sys/types.h>

/* Runs fn(userdata) in such a child and returns what it returned (0 or a negative errno); fds
 * opened before (the host's side of a copy, a mount tree) stay usable in fn. */
int machine_in_mounts(pid_t leader, int (*fn)(void *userdata), void *userdata);
/* The host uid that is root inside the machine: 0 when it has no user namespace. */
int machine_uid_shift(pid_t leader, uid_t *ret);
/* Splits path into its parent directory ("." or "/" when it has none) and its last component
 * (trailing slashes cut; not returned when ret_name is NULL), both malloc'd: -EINVAL for "/", "."
 * or "..". */
int path_split(const char *path, char **ret_dir, char **ret_name);

/* The container's file system, built inside its own mount namespace (the kernel drops it all when
 * the container ends: nothing ever lands on the host's mount table). */
#pragma once
#include <stdbool.h>

struct container;
struct run_config;

/* Refuses what --volatile= cannot do here, one line logged: with --read-only (nspawn refuses it
 * too), =yes on a tree whose /bin is a directory. */
int mounts_check(const struct container *c);

/* In the child, in its mount namespace and before it gives up the host's ids: opens the host
 * paths of the --overlay= layers (once; mounts_setup() calls it too). Logs what failed. */
int mounts_open_host_layers(const struct container *c);

/* The root is an overlay with a tmpfs upper layer (--ephemeral, --volatile=overlay). */
bool mounts_root_is_overlay(const struct run_config *cfg);

/* In the child, before anything of the tree runs: makes every mount private, mounts the tree
 * (bind, or an overlay on a tmpfs for --ephemeral), /proc, /sys, /dev, binds, tmpfs,
 * /etc/resolv.conf, --read-only, then pivot_root()s into it and drops the old root.
 * Logs what failed. */
int mounts_setup(struct container *c);

/* The tree again, in the container's new mount namespace: the fd validate() opened belongs to the
 * host's, and a mount can only be cloned or mounted over in its own namespace. Opened by the
 * tree's name with no symlink followed and checked to be the very directory validated: returns
 * an fd, -ESTALE when the name leads elsewhere now (the tree was moved or swapped), or another
 * negative errno. Logs nothing. */
int container_reopen_root(const struct container *c);

/* Logs why container_reopen_root() failed (r), one line. */
int log_reopen_root(const struct container *c, int r);

/* For the other setup steps of the child (src/container/files.c), on the tree's root fd nfd:
 * opens path inside the tree, creating it (a directory, or an empty file) and its missing parents;
 * binds the host path src (relative to the new root: its own files) onto the open target. */
int mounts_make_target(int nfd, const char *path, bool dir);
int mounts_bind_onto(const char *src, int target, bool recursive, bool ro);

/* The container's file system, built inside its own mount namespace (the kernel drops it all when
 * the container ends: nothing ever lands on the host's mount table). */
#pragma once

struct container;

/* In the child, before anything of the tree runs: makes every mount private, mounts the tree
 * (bind, or an overlay on a tmpfs for --ephemeral), /proc, /sys, /dev, binds, tmpfs,
 * /etc/resolv.conf, --read-only, then pivot_root()s into it and drops the old root.
 * Logs what failed. */
int mounts_setup(struct container *c);

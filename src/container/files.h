/* Files of the guest's /etc that hako adjusts as nspawn does (--timezone=), and paths it hides
 * (--inaccessible=). Called by mounts_setup() in the child, before pivot_root. */
#pragma once

struct container;

/* --timezone=: the guest's /etc/localtime from the host's, by nspawn's rules; nfd is the tree's
 * root. Paths in the tree are resolved inside it. Failures are warnings (as nspawn): returns 0. */
int files_setup_timezone(const struct container *c, int nfd);

/* --inaccessible=: an empty node of the path's kind, mode 0000, mounted read-only over each path.
 * Logs what failed. */
int files_setup_inaccessible(const struct container *c, int nfd);

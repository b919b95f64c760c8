/* nspawn's --template=DIR: a -D directory that does not exist yet is made from DIR first, a
 * btrfs snapshot where DIR is a subvolume on the same btrfs, else a copy that keeps owners,
 * modes, xattrs and hard links. An existing directory is used as it is. */
#pragma once
#include "container/config.h"

/* Bad input (with --ephemeral, no -D, a template that is no directory): -EINVAL, logged. */
int template_check(const struct run_config *cfg);
/* Makes cfg->directory from the template if it does not exist; nothing is left of a failed
 * copy. Logs its own error. */
int template_apply(const struct run_config *cfg);

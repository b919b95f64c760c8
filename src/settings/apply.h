/* A container's .nspawn file applied to its run configuration, as systemd-nspawn's --settings=
 * does for both `hako run` and `hako start`. */
#pragma once
#include <stddef.h>

#include "base/opts.h"
#include "container/config.h"

/* Finds NAME.nspawn (settings/nspawn.h: nspawn_find, beside cfg->directory) and applies it to
 * cfg through the option groups (their rows' `settings` keys), under cfg->settings: the command
 * line's options (seen) win, and [Exec] Parameters= counts only when no command was given;
 * SETTINGS_TRUSTED trusts a file beside the image too, SETTINGS_NO reads none. Logs why it fails. */
int settings_apply(struct run_config *cfg, const char *name, const struct opt_group *groups, size_t n_groups,
		   const struct opts_seen *seen);

/* --settings=override (nspawn's): the options whose keys NAME.nspawn sets, into ret (empty for
 * any other mode). The command line is then parsed again without them (opts_parse_except) before
 * settings_apply, so the file's keys win and its lists replace the command line's. Logs. */
int settings_override_keys(const struct run_config *cfg, const char *name, const struct opt_group *groups,
			   size_t n_groups, struct opts_seen *ret);

/* A command's parser: its command line into cfg, without the options in skip (NULL: none). */
typedef int (*settings_parse_fn)(const char *name, const struct opt_group *groups, size_t n_groups, int argc,
				 char **argv, struct run_config *cfg, struct opts_seen *seen,
				 const struct opts_seen *skip);
/* --settings=override: the command line parsed again by parse, without the options whose keys
 * NAME.nspawn sets (settings_override_keys), into a new cfg; a directory found by name (not
 * given) stays. Nothing to do for any other mode. */
int settings_reparse_for_override(const char *name, const struct opt_group *groups, size_t n_groups, int argc,
				  char **argv, settings_parse_fn parse, struct run_config *cfg,
				  struct opts_seen *seen);

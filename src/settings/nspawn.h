/* NAME.nspawn settings files, found and trusted as systemd-nspawn finds and trusts them, applied
 * through the option tables: a row whose .settings is "Exec.Boot" serves the key Boot= in [Exec],
 * so the file and the command line share one parser, and an option given on the command line
 * wins over the file's key. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "base/opts.h"

/* Finds NAME.nspawn: the first of $HAKO_CONFIG_DIR (/etc/hako), /etc/systemd/nspawn and
 * /run/systemd/nspawn (trusted; HAKO_NSPAWN_DIRS, a colon list, replaces the two systemd
 * directories), else image_parent/NAME.nspawn beside the image (untrusted: keys that grant
 * access are ignored). Returns 1 and sets *ret_path, 0 when there is none, or a negative errno. */
int nspawn_find(const char *name, const char *image_parent, char **ret_path, bool *ret_trusted);

/* Applies the settings in text (named file in messages). Unknown sections and keys are warnings
 * with FILE:LINE; a bad value is an error with FILE:LINE and returns -EINVAL. Keys whose option
 * is in seen (given on the command line) are skipped. */
int nspawn_apply_string(const char *text, const char *file, bool trusted, const struct opt_group *groups,
			size_t n_groups, void *target, const struct opts_seen *seen);
int nspawn_apply_file(const char *path, bool trusted, const struct opt_group *groups, size_t n_groups,
		      void *target, const struct opts_seen *seen);

/* --settings=override: the options whose keys the file at path sets (and that take effect, as
 * trusted allows), applied to scratch, into ret, with nothing logged but a bad value. A key of
 * [Network] (Port= aside) stands for all its options, Boot= or ProcessTwo= for the start mode's. */
int nspawn_file_keys(const char *path, bool trusted, const struct opt_group *groups, size_t n_groups,
		     void *scratch, struct opts_seen *ret);

#include "settings/apply.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "base/words.h"
#include "container/rlimit.h"
#include "settings/nspawn.h"

/* Exec.Parameters= has no option: the arguments to init (or the command) come after them. With
 * --settings=override the file's replace the command line's, as in nspawn. */
static int set_parameters(void *target, const char *value, const char **why)
{
	struct run_config *cfg = target;
	if (cfg->command && cfg->settings != SETTINGS_OVERRIDE)
		return 0; /* given on the command line */
	strv_free(cfg->command);
	cfg->command = NULL;
	return words_split(value, &cfg->command, why);
}

static const struct opt file_only_options[] = {
	{ "parameters", 0, OPT_REQUIRED, "ARGS", "", set_parameters, 0, "Exec.Parameters" },
};

#define MAX_GROUPS 8

/* The caller's groups and the file's own keys; *ret_path NULL when no file applies. */
static int find_file(const struct run_config *cfg, const char *name, const struct opt_group *groups,
		     size_t n_groups, struct opt_group *all, char **ret_path, bool *ret_trusted)
{
	*ret_path = NULL;
	if (cfg->settings == SETTINGS_NO || !cfg->directory)
		return 0;
	if (n_groups + 2 > MAX_GROUPS)
		return log_errno(-E2BIG, "too many option groups");
	memcpy(all, groups, n_groups * sizeof(*groups));
	all[n_groups] = (struct opt_group)OPT_GROUP(NULL, file_only_options);
	all[n_groups + 1] = (struct opt_group){ NULL, rlimit_settings_options, rlimit_settings_options_n };
	_cleanup_free_ char *dircopy = strdup(cfg->directory), *path = NULL;
	int r = dircopy ? nspawn_find(name, dirname(dircopy), &path, ret_trusted) : -ENOMEM;
	if (r < 0)
		return log_errno(r, "cannot look for %s.nspawn", name);
	if (r == 0)
		return 0;
	if (!*ret_trusted && cfg->settings == SETTINGS_TRUSTED) {
		log_debug("settings: %s ignored (--settings=trusted)", path);
		return 0;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int settings_apply(struct run_config *cfg, const char *name, const struct opt_group *groups,
		   size_t n_groups, const struct opts_seen *seen)
{
	struct opt_group all[MAX_GROUPS];
	_cleanup_free_ char *path = NULL;
	bool trusted;
	int r = find_file(cfg, name, groups, n_groups, all, &path, &trusted);
	if (r < 0 || !path)
		return r;
	log_debug("settings from %s%s", path, trusted ? "" : " (untrusted)");
	return nspawn_apply_file(path, trusted, all, n_groups + 2, cfg, seen);
}

int settings_override_keys(const struct run_config *cfg, const char *name, const struct opt_group *groups,
			   size_t n_groups, struct opts_seen *ret)
{
	*ret = (struct opts_seen){ 0 };
	if (cfg->settings != SETTINGS_OVERRIDE)
		return 0;
	struct opt_group all[MAX_GROUPS];
	_cleanup_free_ char *path = NULL;
	bool trusted;
	int r = find_file(cfg, name, groups, n_groups, all, &path, &trusted);
	if (r < 0 || !path)
		return r;
	_cleanup_(run_config_free) struct run_config scratch = { .settings = SETTINGS_OVERRIDE };
	return nspawn_file_keys(path, trusted, all, n_groups + 2, &scratch, ret);
}
